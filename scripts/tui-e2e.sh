#!/usr/bin/env bash
# End-to-end test of the chat: drives the real quantty binary in a private tmux server as a
# person would. Start, see the default model load, change a setting (F5), send a message and
# watch the reply stream with a non-zero tok/s in the stats panel, stop it (Esc), paste 40
# lines, scroll (mouse wheel, Home, End), open and close help (F1, ?), resize (compact, too
# small, wide), quit with Ctrl-Q and check the terminal is back to normal; start again, recall
# the earlier messages (Up, Down) and the setting, suspend (Ctrl-Z) and resume (fg), and end the
# app with SIGTERM, SIGINT, SIGHUP and SIGILL (a crash), checking the terminal each time.
#
# usage: scripts/tui-e2e.sh [BINARY]      (default .build/release/quantty)
# env:   E2E_OUT   folder for the screen captures (default: a temporary folder, kept if the run fails)
#        E2E_MAX   seconds for the whole run (default 400: a hang guard)
# exit:  0 passed, 1 failed (the last screen is printed), 77 skipped (tmux is not installed)
#
# Nothing of the user's is touched: the tmux server has its own socket and no config file,
# XDG_DATA_HOME and XDG_CONFIG_HOME point into a temporary folder (the models are read from the
# usual cache), every tmux command has its stdio on files or /dev/null, and the server is
# killed on every way out.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$ROOT/.build/release/quantty}
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
MAX=${E2E_MAX:-400}
SOCK=quantty-e2e-$$
SESSION=e2e
KEEP=${E2E_OUT:-}
. "$ROOT/scripts/tmux-harness.sh"
[ -f "$MODELS/SmolLM2-135M-Instruct.Q4_1.gguf" ] || { echo "FAIL: the default model is not in $MODELS (make fetch)"; exit 1; }

# Sends the scroll sequence $2 one notch at a time until the screen satisfies the check (each
# notch waits for the screen to change first), so the result does not depend on how many lines
# the replies above happened to take.
scroll_until() {
    local name=$1 seq=$2; shift 2
    local before until
    for _ in $(seq 60); do
        before=$(screen)
        type_text "$seq"
        until=$((SECONDS + 2))
        while :; do
            LAST=$(screen)
            if printf '%s\n' "$LAST" | "$@" >/dev/null 2>&1; then save "$name"; log "ok: $name"; return 0; fi
            [ "$LAST" != "$before" ] || [ "$SECONDS" -ge "$until" ] && break
            sleep 0.05
        done
    done
    save "$name-timeout"; fail "scrolling never reached $name"
}

# The generation speed in the stats panel ("gen  41.5 tok/s" right of the divider).
gen_speed() { grep -o 'gen  *[0-9][0-9.]* tok/s' | head -1 | grep -o '[0-9][0-9.]*'; }
gen_speed_positive() { local v; v=$(gen_speed) && awk -v v="$v" 'BEGIN { exit !(v > 0) }'; }
# The compact layout (a one-line stats bar) and the wide one (a stats panel).
compact() { local f; f=$(cat); [[ $f == *"› "* && $f == *" · ctx "* && $f != *"Speed"* && $f != *"too small"* ]]; }
wide() { local f; f=$(cat); [[ $f == *"› "* && $f == *"│ Speed"* && $f != *"too small"* ]]; }
# A streaming reply: the assistant has written something and no footer ("N tokens ·") yet.
streaming() {
    awk '/^ assistant/ { a = 1; next } a && /tokens? · / { done = 1 } a && /[A-Za-z]/ { text = 1 } END { exit !(a && text && !done) }'
}
FOOTER='tokens\? · [0-9.]* tok/s'
# The pasted message left the input box for the chat.
paste_sent() { local f; f=$(cat); grep -q '^   paste line 40' <<<"$f" && ! grep -q '^  paste line' <<<"$f"; }
# The chat at its end: the last message's end and the reply's footer, not its start.
at_bottom() { local f; f=$(cat); grep -q '^   paste line 40' <<<"$f" && grep -q "$FOOTER" <<<"$f" && ! grep -q 'paste line 01' <<<"$f"; }

log "binary $BIN, captures in $OUT"
tm new-session -d -s "$SESSION" -x 110 -y 30 \
    -e "XDG_DATA_HOME=$TMP/data" -e "XDG_CONFIG_HOME=$TMP/config" -e "LANG=C.UTF-8" -e "LC_ALL=C.UTF-8" \
    -e "PS1=e2e\$ " -e "HISTFILE=/dev/null" \
    bash --norc --noprofile || fail "cannot start tmux"
tm set-option -t "$SESSION" status off
wait_for shell 15 has 'e2e$'

# quantty runs under a non-interactive bash: an interactive one drops the rest of the line
# (the EXIT and terminal checks) when its child dies of SIGINT.
printf '#!/usr/bin/env bash\n"$1"\nexit $?\n' >"$TMP/run.sh"
chmod +x "$TMP/run.sh"
RUN="cd '$ROOT' && '$TMP/run.sh' '$BIN'; echo EXIT=\$?; $CHECK_TTY"

# --- First run ----------------------------------------------------------------------------
type_text "$RUN"; keys Enter
wait_for "model-loaded" 60 has 'loaded SmolLM2'
printf '%s\n' "$LAST" | has 'Q4_1' || fail "the default level Q4_1 is not shown"
printf '%s\n' "$LAST" | has 'F1 help' || fail "no key hints in the status line"
[ "$(alternate)" = 1 ] || fail "the chat is not on the alternate screen"

# F5: temperature 0.3 (the field's text is replaced), applied and kept for the next run.
keys F5
wait_for "settings" 10 has 'Settings (F5)'
keys Tab
keys BSpace BSpace BSpace BSpace BSpace BSpace
type_text "0.3"
keys Enter
wait_for "settings-applied" 10 has 'settings applied'

type_text "Tell me a long story about a dragon and a knight."
keys Enter
# Streaming: the reply grows on screen before its footer appears.
wait_for "streaming" 45 streaming
wait_for "gen-speed" 20 gen_speed_positive
log "gen speed $(printf '%s\n' "$LAST" | gen_speed) tok/s while streaming"
# Esc stops it (the footer says so).
sleep 2
keys Escape
wait_for "reply-footer" 20 grep -q 'tokens\? · [0-9.]* tok/s'
printf '%s\n' "$LAST" | gen_speed_positive || fail "no non-zero gen tok/s in the stats panel"

# A bracketed paste of 40 lines (newlines stay in the message), sent and stopped at once; then
# the mouse wheel (SGR reports), Home and End scroll the chat.
tm set-buffer -b e2e "$(for i in $(seq -w 1 40); do echo "paste line $i"; done)" || fail "set-buffer"
tm paste-buffer -p -r -b e2e -t "$SESSION" || fail "paste-buffer"
wait_for "pasted" 10 grep -q '^  paste line 40'
keys Enter
wait_for "paste-sent" 30 paste_sent
keys Escape
wait_for "paste-reply-stopped" 20 grep -q 'tokens\? · [0-9.]* tok/s'
printf '%s\n' "$LAST" | has 'paste line 01' && fail "the 40-line message should not fit on the screen"
scroll_until "wheel-up" $'\e[<64;20;10M' has 'paste line 01'
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26; do type_text $'\e[<65;20;10M'; done
wait_for "wheel-down" 10 at_bottom
# The same in X10 encoding (ESC [ M, then button 64 + 32 and the position), which curses
# decodes itself for TERM=screen.
scroll_until "wheel-up-x10" $'\e[M`5*' has 'paste line 01'
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26; do type_text $'\e[Ma5*'; done
wait_for "wheel-down-x10" 10 at_bottom
keys Home
wait_for "home" 10 has 'Tell me a long story'
keys End
wait_for "end" 10 at_bottom

# Help: F1 opens, Esc closes; ? (empty input) opens, ? closes.
keys F1
wait_for "help-f1" 10 has 'regenerate the last reply'
keys Escape
wait_for "help-closed" 10 lacks 'regenerate the last reply'
type_text "?"
wait_for "help-question-mark" 10 has 'regenerate the last reply'
type_text "?"
wait_for "help-closed-again" 10 lacks 'regenerate the last reply'

# Resize: compact, too small, and back to wide.
tm resize-window -t "$SESSION" -x 80 -y 24 || fail "resize-window"
wait_for "compact-80x24" 10 compact
tm resize-window -t "$SESSION" -x 40 -y 10 || fail "resize-window"
wait_for "too-small-40x10" 10 grep -qi 'too small'
tm resize-window -t "$SESSION" -x 110 -y 30 || fail "resize-window"
wait_for "wide-again" 10 wide

quit_cleanly
[ -f "$TMP/data/quantty/history.sqlite" ] || fail "no chat history at \$XDG_DATA_HOME/quantty/history.sqlite"

# --- Later runs: history and settings kept; signals restore the terminal ---------------------
# SIGTERM, SIGINT and SIGHUP as a session manager or `kill` sends them; SIGILL as a Swift
# runtime trap (a crash in the engine) raises it; SIGUSR1, SIGALRM, SIGXCPU (`ulimit -t`) and
# SIGPIPE end the process by default too.
type_text "ulimit -c 0"; keys Enter
for sig in TERM INT HUP ILL USR1 ALRM XCPU PIPE; do
    keys C-l
    type_text "$RUN"; keys Enter
    wait_for "model-loaded-$sig" 60 has 'loaded SmolLM2'
    if [ "$sig" = TERM ]; then
        # The last message (the paste) comes back first; Up climbs its 40 lines, then the one before.
        keys Up
        wait_for "input-history" 10 grep -q '^  paste line 40'
        tm send-keys -t "$SESSION" -N 40 Up || fail "send-keys -N 40 Up"
        wait_for "input-history-earlier" 10 grep -q '^› Tell me a long story'
        keys Down
        wait_for "input-history-down" 10 grep -q '^  paste line 40'
        keys F5
        wait_for "settings-kept" 10 grep -q 'temperature  *0\.3'
        keys Escape
        wait_for "settings-closed" 10 lacks 'Settings (F5)'
        # Ctrl-Z: back at the shell with a sane terminal; fg redraws the chat.
        keys C-z
        wait_for "suspended" 10 grep -q 'Stopped'
        [ "$(alternate)" = 0 ] || fail "the alternate screen is still on after Ctrl-Z"
        type_text "$CHECK_TTY"; keys Enter
        wait_for "terminal-restored-after-ctrl-z" 10 tty_sane
        type_text "clear; fg; echo EXIT=\$?; $CHECK_TTY"; keys Enter
        wait_for "resumed" 10 has 'loaded SmolLM2'
        [ "$(alternate)" = 1 ] || fail "fg did not bring the chat back to the alternate screen"
    fi
    PANE_PID=$(tm display-message -p -t "$SESSION" '#{pane_pid}')
    APP_PID=$(pgrep -s "$PANE_PID" -x quantty | head -1)
    [ -n "$APP_PID" ] || fail "cannot find the quantty process in the pane's session ($PANE_PID)"
    kill -s "$sig" "$APP_PID"
    status=$((128 + $(kill -l "$sig")))
    wait_for "sig$sig" 15 grep -q "^EXIT=$status"
    wait_for "terminal-restored-after-sig$sig" 10 tty_sane
    [ "$(alternate)" = 0 ] || fail "the alternate screen is still on after SIG$sig"
done

PASSED=1
log "PASS (${SECONDS}s)"
exit 0

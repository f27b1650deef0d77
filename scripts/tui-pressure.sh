#!/usr/bin/env bash
# Pressure test of the chat (issue 7): drives the real quantty binary in a private tmux server.
# Start on the default model, send a message, and while replies stream press stop (Esc),
# regenerate (Ctrl-R) and swap the level (F3, a level, Enter, Esc) 200 times in all,
# interleaved, a few milliseconds apart. After each regenerate, probe how fast the screen
# answers: type a character, Backspace it, and now and then open and close help (F1). At the
# end the process must still run, finish a reply by itself, echo typed text, open help, and
# quit with Ctrl-Q leaving the terminal as it was.
#
# Key latency is measured two ways and printed; with PRESSURE_LIMIT_MS set (`make bench` sets
# 100, on a quiet machine) both maxima must stay under it. `make test` sets none: a latency is a
# figure, and a test must pass on a busy machine.
# - outside: from `tmux send-keys` returning (the key is in the pane's terminal) until
#   `tmux capture-pane`, called over and over without pause, shows its effect. The granularity
#   is one capture-pane call (about 10 ms on the loaded 2-core machine, printed), and tmux's own
#   work is included, so this overstates the app's time. The time with the send-keys call
#   itself (a tmux client started per key) is printed too, not checked: on a loaded machine
#   that process start alone can take tens of milliseconds.
# - inside (QUANTTY_KEY_LATENCY_LOG): every key of the run, from the key being there to read
#   (or, when it was already waiting, the start of the loop's previous stretch of work) to the
#   frame after it flushed; see Sources/TUI/Terminal/KeyLatencyLog.swift.
#
# usage: scripts/tui-pressure.sh [BINARY]      (default .build/release/quantty)
# env:   PRESSURE_OUT       folder for captures and the key log (default: a temporary folder, kept if the run fails)
#        PRESSURE_MAX       seconds for the whole run (default 300: a hang guard)
#        PRESSURE_COMMANDS  stop/regenerate/swap commands (default 200)
#        PRESSURE_LIMIT_MS  the key latency bound (default: none, figures only)
#        PRESSURE_PROBE_S   a probe that shows no effect for this long fails (default 30: a hang guard)
# exit:  0 passed, 1 failed (the last screen is printed), 77 skipped (tmux is not installed)
#
# Nothing of the user's is touched: the tmux server has its own socket and no config file,
# XDG_DATA_HOME and XDG_CONFIG_HOME point into a temporary folder (the models are read from the
# usual cache), and the server is killed on every way out.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$ROOT/.build/release/quantty}
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
MAX=${PRESSURE_MAX:-300}
COMMANDS=${PRESSURE_COMMANDS:-200}
LIMIT_MS=${PRESSURE_LIMIT_MS:-}
PROBE_S=${PRESSURE_PROBE_S:-30}
SOCK=quantty-pressure-$$
SESSION=pressure
KEEP=${PRESSURE_OUT:-}
. "$ROOT/scripts/tmux-harness.sh"
for f in Q4_1 Q4_K_M Q5_K_M Q8_0; do
    [ -f "$MODELS/SmolLM2-135M-Instruct.$f.gguf" ] || { echo "FAIL: SmolLM2 $f is not in $MODELS (make fetch: all 4 levels are used)"; exit 1; }
done
KEYLOG=$OUT/key-latency.tsv
SAMPLES=$OUT/outside-latency.tsv
printf '# probe\tms\twith_send_ms\tstreaming\tlevel\n' >"$SAMPLES"

# A reply is streaming: the stats panel says so.
generating() { grep -qF '● generating'; }
# The last reply ended by itself: a footer without "stopped".
completed() { local f; f=$(cat); grep -q 'tokens\? · [0-9.]* tok/s' <<<"$f" && ! tail_footer_stopped <<<"$f"; }
tail_footer_stopped() { grep 'tokens\? · [0-9.]* tok/s' | tail -1 | grep -q 'stopped'; }
# The level in the stats panel ("level      Q4_1").
level_shown() { grep -o 'level  *[A-Z0-9_]*' | head -1 | awk '{ print $2 }'; }
# The input line: "› TEXT" (empty: the placeholder "› Message · Enter sends").
input_is() { grep -q "^› $1 *\\(│\\|\$\\)"; }
input_empty() { grep -q '^› Message · Enter sends'; }
now_us() { local t=${EPOCHREALTIME/./}; echo "$t"; }

# probe NAME CHECK KEYS...: sends KEYS, polls the screen (no pause) until CHECK holds, and
# records the milliseconds in $SAMPLES. Fails at 3 s.
PROBE_POLLS=0
PROBE_POLL_US=0
probe() {
    local name=$1 check=$2; shift 2
    local t0 ts t1 tp s
    t0=$(now_us)
    tm send-keys -t "$SESSION" "$@" || fail "send-keys $*"
    ts=$(now_us)
    while :; do
        tp=$(now_us)
        s=$(screen)
        t1=$(now_us)
        PROBE_POLLS=$((PROBE_POLLS + 1)); PROBE_POLL_US=$((PROBE_POLL_US + t1 - tp))
        if printf '%s\n' "$s" | eval "$check" >/dev/null 2>&1; then break; fi
        [ $((t1 - t0)) -gt $((PROBE_S * 1000000)) ] && { LAST=$s; save "probe-$name-timeout"; fail "probe $name: no effect after $PROBE_S s"; }
    done
    local gen=0; printf '%s\n' "$s" | generating && gen=1
    printf '%s\t%d.%03d\t%d.%03d\t%d\t%s\n' "$name" $(( (t1 - ts) / 1000 )) $(( (t1 - ts) % 1000 )) \
        $(( (t1 - t0) / 1000 )) $(( (t1 - t0) % 1000 )) "$gen" "$(printf '%s\n' "$s" | level_shown)" >>"$SAMPLES"
}

log "binary $BIN, captures and key log in $OUT"
tm new-session -d -s "$SESSION" -x 110 -y 30 \
    -e "XDG_DATA_HOME=$TMP/data" -e "XDG_CONFIG_HOME=$TMP/config" -e "LANG=C.UTF-8" -e "LC_ALL=C.UTF-8" \
    -e "QUANTTY_KEY_LATENCY_LOG=$KEYLOG" -e "PS1=pressure\$ " -e "HISTFILE=/dev/null" \
    bash --norc --noprofile || fail "cannot start tmux"
tm set-option -t "$SESSION" status off
wait_for shell 15 has 'pressure$'

printf '#!/usr/bin/env bash\n"$1"\nexit $?\n' >"$TMP/run.sh"
chmod +x "$TMP/run.sh"
type_text "cd '$ROOT' && '$TMP/run.sh' '$BIN'; echo EXIT=\$?; $CHECK_TTY"; keys Enter
wait_for "model-loaded" 60 has 'loaded SmolLM2'

# A 256-token context (F5, the last field): a reply ends at the latest when the context is
# full (about 220 tokens after the prompt), so the last one ends within seconds.
keys F5
wait_for "settings" 10 has 'Settings (F5)'
keys Tab Tab Tab Tab Tab Tab Tab
type_text "256"
keys Enter
wait_for "context-256" 30 has 'context 2048 → 256 tokens'

type_text "Tell me a story about a dragon and a knight."
keys Enter
wait_for "streaming" 45 generating

# --- Pressure --------------------------------------------------------------------------------
# Commands in a fixed interleaving: stop, swap, regenerate, stop, regenerate, ... Swap is F3, a
# level (Home: the highest precision, End: the lowest, Home Down and Home Down Down: the second
# and third), Enter, and Esc to close the picker when the swap was refused (a reply streaming)
# or is still loading. After each regenerate, the probes: type "x", Backspace, and every fifth
# time F1 and F1 again.
# After an Esc the next key waits ESC_GAP: a terminal sends Alt-x as ESC x, so curses (25 ms)
# and KeyDecoder (30 ms) read a key that follows ESC that closely as Alt+key, and the Esc is gone.
ESC_GAP=0.07
# On a loaded machine the app may not read for longer than any fixed gap, so an Esc and the key
# after it arrive together and are read as Alt+key (the terminal protocol is ambiguous there),
# and the Esc is lost. So after a swap, and before each probe, the script makes sure the level
# picker is closed, as a person would see it and press Esc again (once a second); no latency is
# recorded for that, and a picker that never closes fails the run after PROBE_S.
picker_closed() {
    local until=$((SECONDS + PROBE_S)) last_esc=$SECONDS
    while LAST=$(screen); printf '%s\n' "$LAST" | grep -qF 'Quantization level (F3)'; do
        [ "$SECONDS" -ge "$until" ] && { save "picker-open-timeout"; fail "the level picker is still open after $PROBE_S s of Esc"; }
        if [ "$SECONDS" -gt "$last_esc" ]; then keys Escape; sleep "$ESC_GAP"; last_esc=$SECONDS; ESC_AGAIN=$((ESC_AGAIN + 1)); fi
        sleep 0.02
    done
}
ESC_AGAIN=0
PATTERN=(stop swap regen stop regen)
NAVS=("Home" "End" "Home Down" "Home Down Down")
stops=0 swaps=0 regens=0 swapn=0
START_PRESSURE=$SECONDS
for ((i = 0; i < COMMANDS; i++)); do
    case ${PATTERN[i % ${#PATTERN[@]}]} in
        stop) keys Escape; sleep "$ESC_GAP"; stops=$((stops + 1)) ;;
        regen) keys C-r; regens=$((regens + 1)) ;;
        swap)
            # shellcheck disable=SC2086
            keys F3; keys ${NAVS[swapn % ${#NAVS[@]}]}; keys Enter; keys Escape; sleep "$ESC_GAP"
            picker_closed
            swaps=$((swaps + 1)); swapn=$((swapn + 1)) ;;
    esac
    sleep 0.0$(( (i * 7) % 5 ))   # then 0-40 ms more
    if [ "${PATTERN[i % ${#PATTERN[@]}]}" = regen ]; then
        picker_closed
        probe type-x 'input_is x' -l x
        probe backspace 'input_empty' BSpace
        if (( regens % 5 == 0 )); then
            probe help-open "has 'regenerate the last reply'" F1
            probe help-close "lacks 'regenerate the last reply'" F1
        fi
    fi
done
log "pressed $COMMANDS commands in $((SECONDS - START_PRESSURE))s: $stops stop, $regens regenerate, $swaps swap; Esc pressed again $ESC_AGAIN times (an Esc read as Alt+key under load)"
LAST=$(screen); save "after-pressure"

# --- Still alive and answering --------------------------------------------------------------
PANE_PID=$(tm display-message -p -t "$SESSION" '#{pane_pid}')
APP_PID=$(pgrep -s "$PANE_PID" -x quantty | head -1)
[ -n "$APP_PID" ] || fail "quantty is not running after the pressure"
# Stop whatever streams, wait for a swap in flight to land, then a last regenerated reply that
# must end by itself (a footer without "stopped").
keys Escape
sleep 1
keys Escape
wait_for "idle" 20 lacks '● generating'
keys C-r
wait_for "final-streaming" 20 generating
wait_for "final-reply-complete" 40 completed
printf '%s\n' "$LAST" | lacks '● generating' || fail "still generating after the final footer"
# One reply in the chat (each regenerate replaced the last), none left half-streamed (▍).
[ "$(printf '%s\n' "$LAST" | grep -c '^ assistant')" = 1 ] || fail "not exactly one reply on screen"
printf '%s\n' "$LAST" | lacks '▍' || fail "a reply is left streaming"
type_text "still here"
wait_for "typed-echo" 10 input_is 'still here'
keys F1
wait_for "help-open" 10 has 'regenerate the last reply'
keys Escape
wait_for "help-closed" 10 lacks 'regenerate the last reply'

quit_cleanly

# --- Latency figures --------------------------------------------------------------------------
[ -s "$KEYLOG" ] || fail "no key latency log at $KEYLOG"
# stats FILE COLUMN: count, median, 95th percentile and max of a column (header lines skipped).
stats() {
    grep -v '^#' "$1" | awk -v c="$2" '{ print $c }' | sort -g |
        awk '{ v[NR] = $1 } END { if (NR == 0) { print "0 0 0 0"; exit }
             printf "%d %.1f %.1f %.1f\n", NR, v[int((NR + 1) / 2)], v[int(NR * 0.95 + 0.999)], v[NR] }'
}
read -r n_out med_out p95_out max_out < <(stats "$SAMPLES" 2)
read -r _ med_send _ max_send < <(stats "$SAMPLES" 3)
read -r n_in med_in p95_in max_in < <(stats "$KEYLOG" 2)
read -r _ med_h p95_h max_h < <(stats "$KEYLOG" 3)
streamed=$(grep -v '^#' "$SAMPLES" | awk '$4 == 1' | wc -l)
levels=$(grep -v '^#' "$SAMPLES" | awk '{ print $5 }' | uniq | wc -l)
poll_ms=$(awk -v us="$PROBE_POLL_US" -v n="$PROBE_POLLS" 'BEGIN { printf "%.1f", n ? us / n / 1000 : 0 }')
log "outside (key sent -> capture-pane shows it): $n_out probes ($streamed with a reply streaming), median $med_out ms, p95 $p95_out ms, max $max_out ms; one capture-pane $poll_ms ms, $PROBE_POLLS in all; counting the send-keys call too: median $med_send ms, max $max_send ms"
log "inside (key -> frame flushed): $n_in keys, median $med_in ms, p95 $p95_in ms, max $max_in ms (read -> flushed: median $med_h, max $max_h)"
log "level changes seen by the probes: $((levels - 1))"
grep -v '^#' "$KEYLOG" | sort -t$'\t' -k2,2gr | head -5 | sed 's/^/  slowest: /'
if [ -n "$LIMIT_MS" ]; then
    awk -v m="$max_out" -v l="$LIMIT_MS" 'BEGIN { exit !(m < l) }' || fail "a key took $max_out ms to show (outside), limit $LIMIT_MS ms"
    awk -v m="$max_in" -v l="$LIMIT_MS" 'BEGIN { exit !(m < l) }' || fail "a key took $max_in ms to its frame (inside), limit $LIMIT_MS ms"
fi
[ "$n_in" -ge "$COMMANDS" ] || fail "the key log has $n_in keys, fewer than the $COMMANDS commands"
[ "$streamed" -ge 20 ] || fail "only $streamed probes saw a reply streaming"
[ "$levels" -ge 3 ] || fail "the level changed only $((levels - 1)) times: the swaps did not happen"

PASSED=1
log "PASS (${SECONDS}s)"
exit 0

# Shared by the tmux drivers of the chat (tui-e2e.sh, tui-pressure.sh); sourced, not run.
# The caller sets BIN (the binary), MAX (seconds for the whole run), SOCK (a tmux socket name of
# its own), SESSION, and KEEP (a folder the user asked to keep the captures in, or empty), then
# sources this file. It gets TMP (a temporary folder), OUT (captures), MODELS (the model cache),
# a private tmux server that is killed on every way out, and the helpers below. The caller sets
# PASSED=1 when its run passed (the captures of a failed run are kept).
export LANG=C.UTF-8 LC_ALL=C.UTF-8
export TERM=${TERM:-xterm-256color}
[ "$TERM" = dumb ] && export TERM=xterm-256color

unset TMUX TMUX_PANE
command -v tmux >/dev/null 2>&1 || { echo "SKIP: tmux is not installed (make test installs it)"; exit 77; }
[ -x "$BIN" ] || { echo "FAIL: no quantty binary at $BIN (swift build -c release --product quantty)"; exit 1; }
MODELS=${XDG_CACHE_HOME:-$HOME/.cache}/quantty/models

TMP=$(mktemp -d "${TMPDIR:-/tmp}/quantty-$SESSION.XXXXXX")
OUT=${KEEP:-$TMP/out}
mkdir -p "$OUT" "$TMP/data" "$TMP/config"
ERRLOG=$OUT/tmux-errors.txt
: >"$ERRLOG"

tm() { tmux -L "$SOCK" -f /dev/null "$@" </dev/null 2>>"$ERRLOG"; }
cleanup() {
    tmux -L "$SOCK" -f /dev/null kill-server </dev/null >/dev/null 2>&1
    rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCK"
    # The captures stay in KEEP, or in the temporary folder when the run failed.
    if [ -n "$KEEP" ] || [ "$PASSED" = 1 ]; then rm -rf "$TMP"; else rm -rf "$TMP/data" "$TMP/config" "$TMP/run.sh"; fi
}
PASSED=0
trap cleanup EXIT
trap 'echo "interrupted"; exit 1' INT TERM HUP

STEP=0
LAST=""
log() { printf '[%3ds] %s\n' "$SECONDS" "$*"; }
screen() { tm capture-pane -p -t "$SESSION"; }
save() { STEP=$((STEP + 1)); printf '%s\n' "$LAST" >"$OUT/$(printf %02d "$STEP")-$1.txt"; }
fail() {
    log "FAIL: $*"
    echo "----- screen -----"
    screen
    echo "------------------"
    echo "tmux errors: $(cat "$ERRLOG")"
    exit 1
}
remaining() { echo $((MAX - SECONDS)); }

# wait_for NAME SECONDS CMD...: polls the screen (into $LAST) until CMD succeeds with the
# screen on its stdin; fails after SECONDS times HARNESS_SCALE (default 4), or when the whole run
# is out of time. These are hang guards, not speed bounds: `make test` must pass on a 2-core
# machine with both cores busy, where a step can take several times as long as on a quiet one.
HARNESS_SCALE=${HARNESS_SCALE:-4}
wait_for() {
    local name=$1 limit=$(($2 * HARNESS_SCALE)); shift 2
    local left; left=$(remaining)
    [ "$limit" -gt "$left" ] && limit=$left
    local until=$((SECONDS + limit))
    while :; do
        LAST=$(screen)
        if printf '%s\n' "$LAST" | "$@" >/dev/null 2>&1; then save "$name"; log "ok: $name"; return 0; fi
        [ "$SECONDS" -ge "$until" ] && { save "$name-timeout"; fail "timed out (${limit}s) waiting for $name"; }
        sleep 0.1
    done
}
has() { grep -qF -- "$1"; }
lacks() { ! grep -qF -- "$1"; }
keys() { tm send-keys -t "$SESSION" "$@" || fail "send-keys $*"; }
type_text() { tm send-keys -t "$SESSION" -l -- "$1" || fail "send-keys -l $1"; }
alternate() { tm display-message -p -t "$SESSION" '#{alternate_on}'; }
# How the terminal is after quantty (the caller's shell line prints it): TTY=sane when echo and
# canonical mode are on.
CHECK_TTY='case " $(stty -a | tr ";\n" "  ") " in *" -echo "*|*" -icanon "*) echo TTY=raw ;; *) echo TTY=sane ;; esac'
tty_sane() { grep -q '^TTY=sane'; }
# Ctrl-Q: quantty exits 0, the terminal is sane again and off the alternate screen.
quit_cleanly() {
    keys C-q
    wait_for "quit" 15 grep -q '^EXIT=[0-9]'
    printf '%s\n' "$LAST" | grep -q '^EXIT=0' || fail "quantty did not exit with status 0"
    wait_for "terminal-restored" 10 tty_sane
    [ "$(alternate)" = 0 ] || fail "the alternate screen is still on after Ctrl-Q"
}

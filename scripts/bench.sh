#!/usr/bin/env bash
# `make bench`: the figures that are timings, printed, on this machine as it is (run it on a quiet
# one). None of them is a test: `make test` asserts behaviour only, so it passes on a busy 2-core
# machine. What this prints, each with the command behind it:
# - quantty bench on the default model's levels (pp512, tg128, peak RSS, open to ready);
# - a second `quantty fetch` (a no-op: the file is verified once, then trusted);
# - the engine under pressure: 200 stop/regenerate/swap commands, each command's latency and how
#   soon the previous stream ended (SoakPressureTests, which asserts only that all of them ended);
# - the chat in tmux under the same pressure, with the key latency bound of 100 ms checked
#   (PRESSURE_LIMIT_MS; `make test` runs the same script without a bound).
# For llama.cpp's own figures beside quantty's: ../shared/bench/vs-llamabench.sh (README, Performance).
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release/quantty
MODELS=${XDG_CACHE_HOME:-$HOME/.cache}/quantty/models
status=0
echo "== quantty bench (-p 512 -n 128 -t 2 -r 3) =="
for f in Q4_1 Q4_K_M Q5_K_M Q8_0; do
  m=$MODELS/SmolLM2-135M-Instruct.$f.gguf
  [ -f "$m" ] && "$BIN" bench -m "$m" -p 512 -n 128 -t 2 -r 3 || status=1
done
echo "== second fetch (a no-op) =="
"$BIN" fetch >/dev/null || status=1
start=$(date +%s%N); "$BIN" fetch || status=1
echo "second fetch: $(( ($(date +%s%N) - start) / 1000000 )) ms"
echo "== engine under pressure (stop / regenerate / swap) =="
swift test -c release -Xswiftc -enable-testing --skip-build --filter 'SoakPressureTests/testStopRegenerateSwapPressure|SoakPressureTests/testTrimmingALongConversation' 2>&1 \
  | grep -E '^(pressure|trimming)|error|passed|failed' || status=1
echo "== chat in tmux under pressure, key latency bound 100 ms =="
PRESSURE_LIMIT_MS=${PRESSURE_LIMIT_MS:-100} scripts/tui-pressure.sh "$BIN" | grep -E 'outside|inside|slowest|PASS|FAIL' || status=1
exit $status

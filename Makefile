# quantty: `make chat` opens the chat on the default model, `make test` runs every test.
# Both install missing Debian packages (as root), fetch the default model and build.
SHELL := /bin/bash
SWIFT ?= swift
BIN := .build/release/quantty
# Tests run on release builds: the numeric fixtures (real models) are too slow unoptimised.
TESTFLAGS := -c release -Xswiftc -enable-testing
export PYTHONPATH := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/quantty/pylib
# The Swift driver leaves TemporaryDirectory.* folders in $TMPDIR on every call: keep them
# under .build, which `make clean` removes.
export TMPDIR := $(CURDIR)/.build/tmp
$(shell mkdir -p $(CURDIR)/.build/tmp)

.PHONY: chat test deps build fetch fetch-test bench clean

chat: deps build fetch
	$(BIN)

test: deps fetch-test
	$(SWIFT) build $(TESTFLAGS) --build-tests
	$(SWIFT) test $(TESTFLAGS) --skip-build

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release --product quantty

# The default model's downloaded level, then its levels made by the quantizer (once, cached).
fetch: build
	$(BIN) fetch --all

# The tests use both real models and the gguf Python package as a second reader.
# llama.cpp's source (its tokenizer test vocabularies, from PyPI's llama-cpp-python sdist, unpacked
# under ~/.cache/quantty-llamacpp) when ../shared is beside the repository: a test oracle only.
# Built with the test flags, so `make test` compiles the package once, not once per flag set.
fetch-test: deps
	$(SWIFT) build $(TESTFLAGS) --product quantty
	$(BIN) fetch --all smollm2-135m-instruct
	$(BIN) fetch gemma-3-270m
	@scripts/install-pytools.sh
	@if [ -f ../shared/bench/llamacpp.sh ]; then bash ../shared/bench/llamacpp.sh src >/dev/null; fi

# Timings (tok/s, RSS, key latency, swap and fetch times) on this machine, printed: a benchmark,
# never a test (`make test` asserts behaviour only, and passes on a busy machine).
bench: fetch-test
	$(SWIFT) build $(TESTFLAGS) --build-tests
	@scripts/bench.sh

# Reliability: 500 chat turns on the default model in a 256-token context (it overflows again and
# again), headless; prints time and resident memory, fails on a bad reply or > 5 MiB growth.
.PHONY: soak
soak: fetch
	$(BIN) soak --turns 500 --warmup 50 -c 256 -n 16

clean:
	rm -rf .build

# --- Fuzzing and sanitizers (own build folders, so the normal .build stays as it is) ---
# `make fuzz`: every libFuzzer target for FUZZ_RUNS runs from its seeds in fuzz/TARGET (new
# inputs go to .build-fuzz/corpus/TARGET, crashes to .build-fuzz/crash-TARGET-*). The targets
# exist only with QUANTTY_FUZZ=1 (see Package.swift), so normal and test builds never compile them.
FUZZ_RUNS ?= 1000000
FUZZ_TARGETS ?= FuzzGGUF FuzzTokenizer FuzzChatTemplate FuzzCatalog FuzzTheme
FUZZ_BUILD := QUANTTY_FUZZ=1 $(SWIFT) build -c release --scratch-path .build-fuzz \
	-Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
# LSan: only third-party leaks are suppressed, each with its reason, in fuzz/lsan.supp.
# SWIFT_BACKTRACE off: the Swift runtime's crash handler trips ASan (and hangs) when reporting a trap.
# ASAN_OPTIONS malloc_context_size: keep 120 frames of each allocation's stack (default 30), so
# an allocation made deep in a recursive parser (the Jinja interpreter's) still shows the XCTest
# frame that fuzz/lsan.supp's `leak:libXCTest.so` matches; with 30 frames the same XCTest-held
# objects were reported as leaks (18,928 bytes, all under JinjaParser; none with 120 frames).
SAN_ENV := SWIFT_BACKTRACE=enable=no LSAN_OPTIONS=suppressions=$(CURDIR)/fuzz/lsan.supp ASAN_OPTIONS=malloc_context_size=120

.PHONY: fuzz fuzz-build asan asan-unit tsan

fuzz-build:
	@for t in $(FUZZ_TARGETS); do $(FUZZ_BUILD) --product $$t || exit 1; done

fuzz: fuzz-build
	@set -o pipefail; for t in $(FUZZ_TARGETS); do \
	  mkdir -p .build-fuzz/corpus/$$t; start=$$(date +%s); \
	  $(SAN_ENV) .build-fuzz/release/$$t -runs=$(FUZZ_RUNS) -timeout=30 -print_final_stats=1 \
	    -artifact_prefix=.build-fuzz/crash-$$t- .build-fuzz/corpus/$$t fuzz/$$t 2>&1 \
	    | grep -v '^#[0-9].*\(NEW\|REDUCE\|pulse\)' \
	    || { echo "$$t: FAILED (input in .build-fuzz/crash-$$t-*)"; exit 1; }; \
	  echo "$$t: $(FUZZ_RUNS) runs, no crash, $$(( $$(date +%s) - start )) s"; \
	done

# `make asan` / `make tsan`: the whole test suite, release build (the real-model tests are
# too slow unoptimised), under AddressSanitizer (+ LeakSanitizer) or ThreadSanitizer.
# QUANTTY_TEST_TIME_SCALE widens the hang guards of SoakPressureTests (minutes, never speed
# bounds), which run the real model several times slower instrumented.

asan: deps fetch-test
	$(SWIFT) build $(TESTFLAGS) --build-tests --sanitize=address --scratch-path .build-asan
	QUANTTY_TEST_TIME_SCALE=3 $(SAN_ENV) $(SWIFT) test $(TESTFLAGS) --skip-build --sanitize=address --scratch-path .build-asan

# `make asan-unit`: the unit tests under ASan + LSan, in the same .build-asan, for CI. Left out:
# every test that runs the quantty binary (the QuanttyTests target: bad input, CLI commands,
# levels, soak, the tmux end-to-end test), the whole-real-model tests (logits, perplexity,
# SmolLM2 quantizer plans, soak pressure, the opt-in benchmarks) and the PyPI download.
# Kept: parsers, quant formats and kernels, tokenizers, templates, samplers, the engine and
# the TUI on the tiny fixture models, and the real models' matmul/attention kernel checks.
ASAN_UNIT_SKIP := --skip 'QuanttyTests\.' --skip ModelRealTests --skip ModelPerplexityTests \
	--skip ModelBenchTests --skip BenchmarkTests --skip QuantizerSmolLM2Tests --skip SoakPressureTests \
	--skip 'FetcherTests/testFetchVerifyNoOpAndMismatch'

asan-unit: deps fetch-test
	$(SWIFT) build $(TESTFLAGS) --build-tests --sanitize=address --scratch-path .build-asan
	$(SAN_ENV) $(SWIFT) test $(TESTFLAGS) --skip-build --sanitize=address --scratch-path .build-asan $(ASAN_UNIT_SKIP)

# `make tsan` is slow: the real-model tests run about 20 times slower under TSan (66 min of tests
# here when split over two processes; see the README's Reliability section).
tsan: deps fetch-test
	$(SWIFT) build $(TESTFLAGS) --build-tests --sanitize=thread --scratch-path .build-tsan
	QUANTTY_TEST_TIME_SCALE=10 SWIFT_BACKTRACE=enable=no TSAN_OPTIONS="halt_on_error=1 suppressions=$(CURDIR)/fuzz/tsan.supp" \
	  $(SWIFT) test $(TESTFLAGS) --skip-build --sanitize=thread --scratch-path .build-tsan

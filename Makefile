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

.PHONY: chat test deps build fetch fetch-test clean

chat: deps build fetch
	$(BIN)

test: deps fetch-test
	$(SWIFT) build $(TESTFLAGS) --build-tests
	$(SWIFT) test $(TESTFLAGS) --skip-build

deps:
	@scripts/install-deps.sh

build:
	$(SWIFT) build -c release --product quantty

# The default model's downloaded level, then its levels made by the quantizer (once, cached).
fetch: build
	$(BIN) fetch --all

# The tests use both real models and the gguf Python package as a second reader.
fetch-test: build
	$(BIN) fetch --all smollm2-135m-instruct
	$(BIN) fetch gemma-3-270m
	@scripts/install-pytools.sh

# Reliability: 500 chat turns on the default model in a 256-token context (it overflows again and
# again), headless; prints time and resident memory, fails on a bad reply or > 5 MiB growth.
.PHONY: soak
soak: fetch
	$(BIN) soak --turns 500 --warmup 50 -c 256 -n 16

clean:
	rm -rf .build

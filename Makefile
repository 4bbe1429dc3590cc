# SPDX-License-Identifier: MIT
# Thin wrapper over CMake (as neovim does). `make demo` and `make test` are the
# README's two Quick start commands; both are idempotent.
BUILD ?= build
SAN_BUILD ?= build-asan
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
# The external corpus of real captures, used when present (read-only).
CORPUS ?= $(firstword $(wildcard ../shared/corpus $(CURDIR)/../shared/corpus))
CMAKE_FLAGS ?=
# Seconds any one test may run: a hang fails the test instead of the CI job
# (the slowest test takes under 90 s under ASan).
TEST_TIMEOUT ?= 900

.PHONY: deps configure build demo test test-asan test-release abi-check format format-check clean

deps:
	@scripts/install-deps.sh

configure: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFLOWSCOPE_CORPUS="$(abspath $(CORPUS))" $(CMAKE_FLAGS) >/dev/null

build: configure
	cmake --build $(BUILD) -j$(JOBS)

demo: build
	scripts/demo.sh $(BUILD)

test-release: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) --timeout $(TEST_TIMEOUT) --repeat until-pass:2

test-asan: deps
	cmake -S . -B $(SAN_BUILD) -DCMAKE_BUILD_TYPE=Sanitize -DFLOWSCOPE_CORPUS="$(abspath $(CORPUS))" $(CMAKE_FLAGS) >/dev/null
	cmake --build $(SAN_BUILD) -j$(JOBS)
	cd $(SAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j$(JOBS) --timeout $(TEST_TIMEOUT) --repeat until-pass:2 -LE no-asan

abi-check: build
	scripts/abi-check.sh $(BUILD)

format-check: configure
	cmake --build $(BUILD) --target format-check

format: configure
	cmake --build $(BUILD) --target format

test: test-release abi-check test-asan format-check

clean:
	rm -rf $(BUILD) $(SAN_BUILD)

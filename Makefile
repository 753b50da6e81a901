# The README's commands. Each does its own set-up (tools/setup.sh), configures with CMake,
# builds, and then runs. ARCH=x86_64 (default) or ARCH=riscv64.
ARCH  ?= x86_64
BUILD := build/$(ARCH)
CMAKE_FLAGS := -G Ninja -DARCH=$(ARCH) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: all setup configure build run test bench debug format clean

all: build

setup:
	@tools/setup.sh

configure: setup
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@ln -sf $(BUILD)/compile_commands.json compile_commands.json

build: configure
	@cmake --build $(BUILD)

test: build
	@ctest --test-dir $(BUILD) --output-on-failure --verbose --timeout 1200

bench: build
	@cmake --build $(BUILD) --target bench

run: build
	@cmake --build $(BUILD) --target run

debug: build
	@cmake --build $(BUILD) --target debug

format:
	@git ls-files '*.c' '*.h' | xargs clang-format -i

clean:
	rm -rf build compile_commands.json

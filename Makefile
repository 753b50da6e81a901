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

# Every test: host tests and x86_64 scenarios from build/x86_64, then the QEMU scenarios
# (ctest label "qemu") of every other architecture that has a port.
OTHER_ARCHES := $(filter-out x86_64,$(notdir $(patsubst %/config.cmake,%,$(wildcard arch/*/config.cmake))))

test: setup
	@$(MAKE) --no-print-directory build ARCH=x86_64
	@for a in $(OTHER_ARCHES); do $(MAKE) --no-print-directory build ARCH=$$a || exit 1; done
	@tools/test-all.sh build/x86_64 $(foreach a,$(OTHER_ARCHES),build/$(a):qemu)

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

# The README's commands. Each does its own set-up (tools/setup.sh), configures with CMake,
# builds, and then runs. ARCH=x86_64 (default) or ARCH=riscv64.
ARCH  ?= x86_64
BUILD := build/$(ARCH)
CMAKE_FLAGS := -G Ninja -DARCH=$(ARCH) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: all setup configure build run test bench stress debug format clean fuzz mutate prove profile

all: build

setup:
	@tools/setup.sh

configure: setup
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) -DMMK_RUN_PROGRAMS="$(PROGRAMS)" >/dev/null
	@ln -sf $(BUILD)/compile_commands.json compile_commands.json

build: configure
	@cmake --build $(BUILD)

# Every test: host tests and x86_64 scenarios from build/x86_64, then the QEMU scenarios
# (ctest label "qemu") of every other architecture that has a port, then the host tests once
# more under ASan and UBSan from SAN_BUILD (host code only, just the test binaries built).
OTHER_ARCHES := $(filter-out x86_64,$(notdir $(patsubst %/config.cmake,%,$(wildcard arch/*/config.cmake))))
SAN_BUILD := build/host-san

test: setup
	@$(MAKE) --no-print-directory build ARCH=x86_64
	@for a in $(OTHER_ARCHES); do $(MAKE) --no-print-directory build ARCH=$$a || exit 1; done
	@cmake -S . -B $(SAN_BUILD) $(CMAKE_FLAGS) -DMMK_HOST_ONLY=ON -DMMK_SANITIZE=ON >/dev/null
	@cmake --build $(SAN_BUILD) --target host_tests
	@tools/test-all.sh build/x86_64 $(foreach a,$(OTHER_ARCHES),build/$(a):qemu) $(SAN_BUILD)

# Every benchmark in one go: each ported arch's kernel benchmark under QEMU (x86_64 under KVM
# too when /dev/kvm works), the same operations under Debian's x86_64 Linux kernel in the same
# QEMU TCG -icount harness (its image fetched by tools/setup.sh linux-bench; booted by
# tools/linux-qemu-bench.sh) and on this Linux host, libpt on the host; then one table,
# build/bench/bench.json and build/bench/bench.svg (tools/bench-report.sh).
bench:
	@tools/setup.sh linux-bench
	@$(MAKE) --no-print-directory build ARCH=x86_64
	@for a in $(OTHER_ARCHES); do $(MAKE) --no-print-directory build ARCH=$$a || exit 1; done
	@rm -f build/*/bench-ipc-*.txt build/*/bench-mm-*.txt build/*/bench-all-*.txt build/x86_64/bench-linux-qemu.txt
	@cmake --build build/x86_64 --target bench
	@for a in $(OTHER_ARCHES); do cmake --build build/$$a --target bench_qemu || exit 1; done
	@tools/linux-qemu-bench.sh build/linux-image/vmlinuz build/x86_64/bin/linux_bench build/x86_64/bench-linux-qemu.txt
	@srcs=; for a in x86_64 $(OTHER_ARCHES); do for f in build/$$a/bench-ipc-*.txt; do \
	    [ -f "$$f" ] || continue; n=$${f##*/bench-ipc-}; all=build/$$a/bench-all-$$n; \
	    cat "$$f" $$(ls build/$$a/bench-mm-$$n 2>/dev/null) >"$$all"; srcs="$$srcs mmk-$${n%.txt}=$$all"; \
	done; done; tools/bench-report.sh build/bench $$srcs \
	    linux-x86_64-tcg=build/x86_64/bench-linux-qemu.txt linux-host=build/x86_64/bench-linux.txt

# Where one benchmark figure goes (tools/profile.sh): OP (a key of make bench's kernel
# benchmark: null_syscall, ipc_call, map_1, fault, ...) on ARCH, one sample under QEMU's
# execution log, guest instructions per function of the kernel, mmserver, the benchmark
# programs and the firmware; the total is checked against the sample's own figure.
profile: configure
	@test -n "$(OP)" || { echo "usage: make profile OP=<operation> [ARCH=x86_64|riscv64]"; exit 2; }
	@cmake --build $(BUILD) --target image_bench image_mm_bench
	@tools/profile.sh $(BUILD) $(OP)

# The hostile-process stress run (issue 14, tools/stress.sh): the mm_chaos image with seeds
# SEED, SEED+1, ... (default: from the clock) on every ported arch, each in build/stress-<arch>,
# for STRESS_SECONDS (default 600; at least one seed); one line per seed and arch (seed,
# syscalls made, verdict); stops at the first failing seed and says how to reproduce it.
# Then the full-count region run (issue 12, tools/regions-stress.sh): 100,000 regions in one
# process on every ported arch, and mm_bench's growth rows at that count; and the full-count
# process run (tools/many-stress.sh): 4,096 programs alive at once in 2 GiB.
STRESS_SECONDS ?= 600
stress: setup
	@STRESS_SECONDS=$(STRESS_SECONDS) $(if $(SEED),SEED=$(SEED)) $(if $(STRESS_STEPS),STRESS_STEPS=$(STRESS_STEPS)) tools/stress.sh
	@tools/regions-stress.sh
	@tools/many-stress.sh

# Every fuzz harness of tests/fuzz for FUZZ_SECONDS each (default 180), one after the other,
# each from its seed corpus copied to build/fuzz-corpus; prints the executions of each and
# fails if any found something (reproducers in build/fuzz-corpus/artifacts/<harness>/).
FUZZ_SECONDS ?= 180
fuzz: configure
	@cmake --build $(BUILD) --target fuzzers
	@tools/fuzz.sh all $(BUILD) $(FUZZ_SECONDS)

# The mutation run (issue 14, tools/mutate.sh): each planted bug of tests/mutate/mutants.txt
# in turn, on the committed HEAD in build/mutate (never the working tree), with the tests
# that should catch it; fails when one survives. MUTANTS=id1,id2 runs a subset.
mutate: setup
	@$(if $(MUTANTS),MUTANTS=$(MUTANTS)) tools/mutate.sh

# The proofs (issue 10, tools/prove.sh): Frama-C WP proves libpt's checks at the door and
# every format's entry encode/decode against their ACSL contracts (libpt/proof/), run-time
# errors included; prints goals proved / total, fails unless all are. Not part of make test.
prove:
	@tools/setup.sh prove
	@tools/prove.sh

# PROGRAMS="hello hello_peer": boot those programs (mmk_program, tests/programs/) instead of
# the demo; "demo" among them keeps the demo beside them (configure passes PROGRAMS to CMake
# as MMK_RUN_PROGRAMS, so a build without it boots the demo again). The exit status is the runner's
# verdict: 0 when every program exited with status 0 (the demo's `wild`: its expected fault).
run: build
	@cmake --build $(BUILD) --target run

debug: build
	@cmake --build $(BUILD) --target debug

format:
	@git ls-files '*.c' '*.h' | xargs clang-format -i

clean:
	rm -rf build compile_commands.json

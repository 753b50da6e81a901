# riscv64: sources, flags, and the bootable images (kernel ELF + cpio initrd for QEMU's
# virt machine with OpenSBI). Included by the top-level CMakeLists.txt when ARCH=riscv64.
set(ARCH_TRIPLE riscv64-unknown-none-elf)
set(ARCH_DIR ${CMAKE_SOURCE_DIR}/arch/riscv64)
# RV64IMAC, integer-only ABI: no FP state is saved for threads, so nobody may use FP
# registers (user FP instructions trap: sstatus.FS = off). medany: the kernel runs at
# 0xffffffff80200000 and, before paging, at 0x80200000, so all addressing is pc-relative.
# -mno-relax: ld.lld 14 implements no linker relaxation. -msmall-data-limit=0: no .sdata /
# .sbss, which the shared user linker script (ipc/user/user.ld) does not place.
set(RV_ISA_FLAGS -march=rv64imac -mabi=lp64 -mcmodel=medany -mno-relax -msmall-data-limit=0)
set(ARCH_KERNEL_CFLAGS ${RV_ISA_FLAGS})
set(ARCH_USER_CFLAGS ${RV_ISA_FLAGS})
set(ARCH_KERNEL_SOURCES
    ${ARCH_DIR}/boot.S ${ARCH_DIR}/entry.S ${ARCH_DIR}/cpu.c ${ARCH_DIR}/fdt.c
    ${ARCH_DIR}/mmu.c ${ARCH_DIR}/sbi.c ${ARCH_DIR}/timer.c ${ARCH_DIR}/trap.c)
set(ARCH_KERNEL_LDSCRIPT ${ARCH_DIR}/kernel.ld)
set(ARCH_USER_SOURCES
    ${ARCH_DIR}/user/crt0.S
    ${ARCH_DIR}/user/syscall.S
    ${ARCH_DIR}/user/mem.S)

include(${CMAKE_SOURCE_DIR}/kernel/kernel.cmake)

find_program(MMK_QEMU_RISCV64 qemu-system-riscv64 REQUIRED) # used by qemu.sh

# mmk_rv_image(NAME ARCHIVE CMDLINE...): ${CMAKE_BINARY_DIR}/images/NAME/, holding
# kernel.elf, initrd.cpio (the ARCHIVE archive) and cmdline, what qemu.sh boots.
function(mmk_rv_image name archive)
    set(dir ${CMAKE_BINARY_DIR}/images/${name})
    add_custom_command(OUTPUT ${dir}/kernel.elf ${dir}/initrd.cpio ${dir}/cmdline
        COMMAND ${ARCH_DIR}/mkimage.sh ${dir} ${MMK_KERNEL_ELF} ${MMK_ARCHIVE_${archive}} ${ARGN}
        DEPENDS ${MMK_KERNEL_ELF} ${MMK_ARCHIVE_${archive}} ${ARCH_DIR}/mkimage.sh
        COMMENT "Making ${name} image (kernel + initrd)")
    add_custom_target(image_${name} ALL DEPENDS ${dir}/kernel.elf)
endfunction()

# The run, test and panic images, and the `run` / `debug` targets (kernel.cmake).
mmk_standard_images(mmk_rv_image)
# The scenarios once more with the fallbacks QEMU's harts (all with Sv48 and 16-bit ASIDs)
# would otherwise never run: Sv39, and every user root sharing hardware ASID 0; on a hart
# with Svpbmt.
# Every scenario program at once (the `scenarios` archive, kernel.cmake).
mmk_rv_image(scenarios_sv39 scenarios sv39 noasid)

add_test(NAME qemu_scenarios_sv39_svpbmt
    COMMAND ${CMAKE_SOURCE_DIR}/tools/qemu-test.sh --expect-count ${MMK_SCENARIOS_ALL_COUNT}
            --require "test mm_pool_restored: OK"
            ${ARCH_DIR}/qemu.sh ${CMAKE_BINARY_DIR}/images/scenarios_sv39)
set_tests_properties(qemu_scenarios_sv39_svpbmt PROPERTIES TIMEOUT 120
    ENVIRONMENT "MMK_QEMU_CPU=rv64,svpbmt=on" LABELS qemu)

# The scenarios with 4 ASIDs (the kernel word tags=4: 3 user tags for dozens of spaces), so
# tags change hands all the time (kernel/tag.h); the run must have ended generations.
mmk_rv_image(scenarios_tags scenarios tags=4)
add_test(NAME qemu_scenarios_tags
    COMMAND ${CMAKE_SOURCE_DIR}/tools/qemu-test.sh --expect-count ${MMK_SCENARIOS_ALL_COUNT}
            --require "test mm_pool_restored: OK"
            --require "\\[vm\\] address-space tags: 4 in use, [1-9][0-9]* generations ended"
            ${ARCH_DIR}/qemu.sh ${CMAKE_BINARY_DIR}/images/scenarios_tags)
set_tests_properties(qemu_scenarios_tags PROPERTIES TIMEOUT 120 LABELS qemu)

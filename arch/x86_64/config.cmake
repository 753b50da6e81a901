# x86_64: sources, flags, and the bootable images (GRUB + Multiboot2 ISO). Included by the
# top-level CMakeLists.txt when ARCH=x86_64.
set(ARCH_TRIPLE x86_64-unknown-none-elf)
set(ARCH_DIR ${CMAKE_SOURCE_DIR}/arch/x86_64)
set(ARCH_KERNEL_CFLAGS -mno-red-zone -mcmodel=kernel -mgeneral-regs-only)
# No FPU/SSE state is saved for user threads yet, so user code must not use those registers.
set(ARCH_USER_CFLAGS -mgeneral-regs-only)
set(ARCH_KERNEL_SOURCES
    ${ARCH_DIR}/boot.S ${ARCH_DIR}/entry.S ${ARCH_DIR}/console.c ${ARCH_DIR}/cpu.c
    ${ARCH_DIR}/multiboot.c ${ARCH_DIR}/trap.c ${ARCH_DIR}/mmu.c ${ARCH_DIR}/timer.c)
set(ARCH_KERNEL_LDSCRIPT ${ARCH_DIR}/kernel.ld)
set(ARCH_USER_SOURCES
    ${ARCH_DIR}/user/crt0.S
    ${ARCH_DIR}/user/syscall.S
    ${ARCH_DIR}/user/mem.S)

include(${CMAKE_SOURCE_DIR}/kernel/kernel.cmake)

find_program(MMK_GRUB_MKRESCUE grub-mkrescue REQUIRED) # used by mkiso.sh

# mmk_x86_iso(NAME ARCHIVE CMDLINE...): ${CMAKE_BINARY_DIR}/images/NAME/boot.iso, GRUB
# loading kernel.elf with CMDLINE and the ARCHIVE archive as its one module.
function(mmk_x86_iso name archive)
    set(iso ${CMAKE_BINARY_DIR}/images/${name}/boot.iso)
    add_custom_command(OUTPUT ${iso}
        COMMAND ${ARCH_DIR}/mkiso.sh ${iso} ${MMK_KERNEL_ELF} ${MMK_ARCHIVE_${archive}} ${ARGN}
        DEPENDS ${MMK_KERNEL_ELF} ${MMK_ARCHIVE_${archive}} ${ARCH_DIR}/mkiso.sh
        COMMENT "Making ${name} ISO (grub-mkrescue)")
    add_custom_target(image_${name} ALL DEPENDS ${iso})
endfunction()

# The run, test and panic images as ISOs, and the `run` / `debug` targets (kernel.cmake).
mmk_standard_images(mmk_x86_iso)

# Every scenario program at once, on a CPU with PCID, INVPCID, 1 GiB pages, SMEP and SMAP
# (tests/qemu runs each scenario on QEMU's default qemu64, which has none of them).
if(TARGET image_scenarios)
    add_test(NAME qemu_scenarios_cpu_max
        COMMAND ${CMAKE_SOURCE_DIR}/tools/qemu-test.sh --expect-count ${MMK_SCENARIOS_ALL_COUNT}
                --require "test mm_pool_restored: OK"
                ${ARCH_DIR}/qemu.sh ${CMAKE_BINARY_DIR}/images/scenarios)
    set_tests_properties(qemu_scenarios_cpu_max PROPERTIES TIMEOUT 120
        ENVIRONMENT "MMK_QEMU_CPU=max" LABELS qemu)
endif()

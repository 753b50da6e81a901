# Scenarios only riscv64 can check (included by tests/qemu/CMakeLists.txt), and the
# riscv64 size of mm_ram: all of RAM (issue 12), 3 GiB in one map, with 4 GiB of RAM.
mmk_scenario(mm_ram MEM 4G)
# hostile_flags is not run here: RISC-V has no processor flag that user mode can set and the
# kernel's trap entry or sret would trip over (sstatus is not writable from U-mode, and the
# FP flags in fcsr are the program's own), so on riscv64 it would check nothing.

# Scenarios only x86_64 can check (included by tests/qemu/CMakeLists.txt).
# hostile_flags: user code sets NT, AC and DF, which could trip the kernel's entry or exit.
mmk_scenario(hostile_flags)
# mm_ram: all of RAM (issue 12), 6 GiB in one map, in a machine of its own with 8 GiB.
mmk_scenario(mm_ram MEM 8G)

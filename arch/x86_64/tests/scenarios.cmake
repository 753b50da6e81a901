# Scenarios only x86_64 can check (included by tests/qemu/CMakeLists.txt).
# hostile_flags: user code sets NT, AC and DF, which could trip the kernel's entry or exit.
mmk_scenario(hostile_flags)

# Generic build of the kernel, the user runtime, user programs and boot archives. Included
# by arch/<arch>/config.cmake after it has set:
#   ARCH_TRIPLE              clang target triple (x86_64-unknown-none-elf)
#   ARCH_KERNEL_CFLAGS       extra flags for kernel code (-mcmodel=kernel, ...)
#   ARCH_USER_CFLAGS         extra flags for user code
#   ARCH_KERNEL_SOURCES      the arch's kernel sources (C and .S)
#   ARCH_KERNEL_LDSCRIPT     the kernel linker script
#   ARCH_USER_SOURCES        the arch's part of the user runtime (crt0, syscall stub)
# It defines the targets `kernel` (${MMK_KERNEL_ELF}) and one archive per program set, and
# the functions below; the arch turns kernel + archive into a bootable image.
find_program(MMK_LD_LLD NAMES ld.lld ld.lld-14 REQUIRED)
find_program(MMK_CPIO cpio REQUIRED)

set(MMK_FREESTANDING_FLAGS
    --target=${ARCH_TRIPLE} -std=c11 -ffreestanding -fno-builtin -nostdlib
    -fno-stack-protector -fno-pic -fno-pie -fno-asynchronous-unwind-tables -fno-unwind-tables
    -fno-common -g -O2)
set(MMK_LINK_FLAGS -nostdlib -static -z max-page-size=4096 --no-undefined --fatal-warnings)
set(MMK_IPC_LIB ${CMAKE_SOURCE_DIR}/ipc/lib/fmt.c ${CMAKE_SOURCE_DIR}/ipc/lib/string.c)
# The shared freestanding parsers of the boot archive and of ELF files (the kernel reads
# mmserver's own image with them, mmserver every other program).
set(MMK_KERNEL_PARSERS ${CMAKE_SOURCE_DIR}/ipc/lib/elf64.c ${CMAKE_SOURCE_DIR}/ipc/lib/cpio.c)

# ---- the kernel ----
file(GLOB MMK_KERNEL_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/kernel/*.c)
add_library(mmk_kernel_objs OBJECT
    ${MMK_KERNEL_SOURCES} ${ARCH_KERNEL_SOURCES} ${PT_SOURCES} ${MMK_IPC_LIB}
    ${MMK_KERNEL_PARSERS})
target_include_directories(mmk_kernel_objs PRIVATE
    ${CMAKE_SOURCE_DIR}/arch/include ${CMAKE_SOURCE_DIR}/arch/${ARCH}/include
    ${PT_INCLUDE} ${CMAKE_SOURCE_DIR}/ipc/include ${CMAKE_SOURCE_DIR}/kernel)
target_compile_options(mmk_kernel_objs PRIVATE ${MMK_FREESTANDING_FLAGS} ${ARCH_KERNEL_CFLAGS}
    $<$<COMPILE_LANGUAGE:C>:-flto=thin>)

set(MMK_KERNEL_ELF ${CMAKE_BINARY_DIR}/kernel.elf)
add_custom_command(OUTPUT ${MMK_KERNEL_ELF}
    COMMAND ${MMK_LD_LLD} ${MMK_LINK_FLAGS} -T ${ARCH_KERNEL_LDSCRIPT} -o ${MMK_KERNEL_ELF}
            $<TARGET_OBJECTS:mmk_kernel_objs>
    DEPENDS mmk_kernel_objs $<TARGET_OBJECTS:mmk_kernel_objs> ${ARCH_KERNEL_LDSCRIPT}
    COMMAND_EXPAND_LISTS
    COMMENT "Linking kernel.elf")
add_custom_target(kernel ALL DEPENDS ${MMK_KERNEL_ELF})

# ---- the user runtime ----
# arch/<arch>/user/ipc.S is the message-syscall stub every arch provides (ipc/README.md).
add_library(mmk_user_runtime OBJECT ${CMAKE_SOURCE_DIR}/ipc/user/runtime.c
    ${CMAKE_SOURCE_DIR}/ipc/user/ipc.c ${CMAKE_SOURCE_DIR}/arch/${ARCH}/user/ipc.S
    ${MMK_IPC_LIB} ${ARCH_USER_SOURCES})
target_include_directories(mmk_user_runtime PRIVATE ${CMAKE_SOURCE_DIR}/ipc/include)
target_compile_options(mmk_user_runtime PRIVATE ${MMK_FREESTANDING_FLAGS} ${ARCH_USER_CFLAGS})
set(MMK_USER_LDSCRIPT ${CMAKE_SOURCE_DIR}/ipc/user/user.ld)

# mmk_user_program(NAME SOURCES... [INCLUDES dirs...]): builds ${CMAKE_BINARY_DIR}/user/NAME,
# a static ELF executable linked with the user runtime. The global property
# MMK_USER_LINK_FLAGS_<NAME>, when set, adds linker flags (the benchmarks link each of their
# programs at its own address, so that a profile can tell them apart: tests/bench).
function(mmk_user_program name)
    cmake_parse_arguments(P "" "" "SOURCES;INCLUDES" ${ARGN})
    get_property(extra_link GLOBAL PROPERTY MMK_USER_LINK_FLAGS_${name})
    add_library(mmk_user_${name} OBJECT ${P_SOURCES})
    target_include_directories(mmk_user_${name} PRIVATE
        ${CMAKE_SOURCE_DIR}/ipc/include ${P_INCLUDES})
    target_compile_options(mmk_user_${name} PRIVATE ${MMK_FREESTANDING_FLAGS} ${ARCH_USER_CFLAGS})
    set(out ${CMAKE_BINARY_DIR}/user/${name})
    add_custom_command(OUTPUT ${out}
        COMMAND ${MMK_LD_LLD} ${MMK_LINK_FLAGS} ${extra_link} -T ${MMK_USER_LDSCRIPT} -o ${out}
                $<TARGET_OBJECTS:mmk_user_${name}> $<TARGET_OBJECTS:mmk_user_runtime>
        DEPENDS mmk_user_${name} mmk_user_runtime $<TARGET_OBJECTS:mmk_user_${name}>
                $<TARGET_OBJECTS:mmk_user_runtime> ${MMK_USER_LDSCRIPT}
        COMMAND_EXPAND_LISTS
        COMMENT "Linking user program ${name}")
endfunction()

# ---- programs of your own (issue 16; ipc/user/README.md, "Your first program") ----
# What every program made with mmk_program links besides the runtime: the memory client
# (mm_map, ...: ipc/mm_client.h) and the user library (malloc, printf, ...: ipc/ulib.h).
set(MMK_USER_LIB_SOURCES
    ${CMAKE_SOURCE_DIR}/ipc/user/mm_client.c ${CMAKE_SOURCE_DIR}/ipc/user/mm_ipc.c
    ${CMAKE_SOURCE_DIR}/ipc/user/ulib.c ${CMAKE_SOURCE_DIR}/ipc/user/malloc.c
    ${CMAKE_SOURCE_DIR}/ipc/lib/mm_err.c)

# mmk_program(NAME SOURCES src... [INCLUDES dir...]): a user program of your own for the
# configured ARCH, build/<arch>/user/NAME (target program_NAME), linked with the user runtime
# and the user library; then `make run PROGRAMS="NAME ..."` boots it (mmk_run_programs
# below). Relative sources are taken from the calling folder.
function(mmk_program name)
    cmake_parse_arguments(P "" "" "SOURCES;INCLUDES" ${ARGN})
    if(NOT P_SOURCES)
        message(FATAL_ERROR "mmk_program(${name}): no SOURCES")
    endif()
    # One program per name: the boot archive names programs, and tests/qemu's scenario
    # programs, the demo's and mmserver are built under their names too.
    get_property(taken GLOBAL PROPERTY MMK_PROGRAM_${name} SET)
    get_property(demo GLOBAL PROPERTY MMK_DEMO_PROGRAMS)
    list(TRANSFORM demo REPLACE "\\|.*" "")
    if(taken OR name IN_LIST demo)
        message(FATAL_ERROR "mmk_program(${name}): a program of that name exists already")
    endif()
    set(srcs)
    foreach(s ${P_SOURCES})
        get_filename_component(s ${s} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
        list(APPEND srcs ${s})
    endforeach()
    mmk_user_program(${name} SOURCES ${srcs} ${MMK_USER_LIB_SOURCES}
                     INCLUDES ${CMAKE_CURRENT_SOURCE_DIR} ${P_INCLUDES})
    add_custom_target(program_${name} ALL DEPENDS ${CMAKE_BINARY_DIR}/user/${name})
    # Built here: an archive takes it as it is ("-").
    set_property(GLOBAL PROPERTY MMK_PROGRAM_${name} "${name}|-")
    set_property(GLOBAL APPEND PROPERTY MMK_USER_PROGRAMS ${name})
endfunction()

# mmk_program_image(NAME PROGRAMS prog... [CHECK script args...]): an image of mmserver,
# the test runner and PROGRAMS (each registered with mmk_program, or "demo": the demo's
# programs), made by mmk_standard_images (mmk_program_images). With CHECK, a ctest
# qemu_program_NAME (label qemu) runs `script QEMU_SH IMAGE_DIR RUN_DEMO MMVIZ BUILD_DIR args...`.
function(mmk_program_image name)
    cmake_parse_arguments(I "" "" "PROGRAMS;CHECK" ${ARGN})
    set_property(GLOBAL APPEND PROPERTY MMK_PROGRAM_IMAGES ${name})
    set_property(GLOBAL PROPERTY MMK_PROGRAM_IMAGE_${name}_PROGRAMS ${I_PROGRAMS})
    set_property(GLOBAL PROPERTY MMK_PROGRAM_IMAGE_${name}_CHECK ${I_CHECK})
endfunction()

# The archive entries (mmk_archive) of an image that boots progs through the runner: the
# demo's programs for "demo", else the one mmk_program (or tests/qemu's mmk_scenario_program)
# registered. Sets OUT in the caller.
function(mmk_program_entries out)
    get_property(entries GLOBAL PROPERTY MMK_DEMO_PROGRAMS)
    list(SUBLIST entries 0 2 head) # mmserver and the runner
    list(SUBLIST entries 2 -1 demo)
    set(list ${head})
    get_property(known GLOBAL PROPERTY MMK_USER_PROGRAMS)
    foreach(p ${ARGN})
        get_property(entry GLOBAL PROPERTY MMK_PROGRAM_${p})
        if(p STREQUAL "demo")
            list(APPEND list ${demo})
        elseif(entry) # mmk_program's, or a scenario program of tests/qemu
            list(APPEND list "${entry}")
        else()
            list(JOIN known " " known_words)
            message(FATAL_ERROR "no program '${p}' (programs: demo ${known_words}; add one with "
                                "mmk_program in tests/programs/CMakeLists.txt)")
        endif()
    endforeach()
    set(${out} ${list} PARENT_SCOPE)
endfunction()

# mmk_program_images(IMAGE_FUNCTION): the images of mmk_program_image, and their ctests.
function(mmk_program_images image_fn)
    get_property(images GLOBAL PROPERTY MMK_PROGRAM_IMAGES)
    foreach(name ${images})
        get_property(progs GLOBAL PROPERTY MMK_PROGRAM_IMAGE_${name}_PROGRAMS)
        get_property(check GLOBAL PROPERTY MMK_PROGRAM_IMAGE_${name}_CHECK)
        mmk_program_entries(entries ${progs})
        set_property(GLOBAL PROPERTY MMK_PROGRAM_IMAGE_${name} ${entries})
        mmk_archive(prog_${name} MMK_PROGRAM_IMAGE_${name})
        cmake_language(CALL ${image_fn} prog_${name} prog_${name})
        if(check)
            list(POP_FRONT check script)
            add_test(NAME qemu_program_${name}
                COMMAND ${script} ${CMAKE_SOURCE_DIR}/arch/${ARCH}/qemu.sh
                        ${CMAKE_BINARY_DIR}/images/prog_${name}
                        ${CMAKE_SOURCE_DIR}/tools/run-demo.sh ${MMVIZ} ${CMAKE_BINARY_DIR}
                        ${check})
            set_tests_properties(qemu_program_${name} PROPERTIES TIMEOUT 150 LABELS qemu)
        endif()
    endforeach()
endfunction()

# MMK_RUN_PROGRAMS (`make run PROGRAMS="..."`): what the `run` image boots instead of the
# demo; "demo" among them keeps the demo's programs beside them. Empty: the demo.
set(MMK_RUN_PROGRAMS "" CACHE STRING "Programs `make run` boots (empty: the demo)")

# mmk_archive(NAME PROPERTY): builds every program registered in the global property
# PROPERTY (entries "name|source[+source...][|include dir]", appended by
# tests/qemu/CMakeLists.txt; source "-": build/<arch>/user/name is built elsewhere; name
# "member=program": program packed under the name member)
# and packs them with `cpio -H newc` into ${CMAKE_BINARY_DIR}/images/NAME/archive.cpio.
# Sets MMK_ARCHIVE_<NAME> in the caller to that path.
function(mmk_archive name property)
    get_property(entries GLOBAL PROPERTY ${property})
    if(NOT entries)
        message(FATAL_ERROR "mmk_archive(${name}): no programs in ${property}")
    endif()
    set(archive ${CMAKE_BINARY_DIR}/images/${name}/archive.cpio)
    set(files)
    set(deps)
    foreach(entry ${entries})
        string(REPLACE "|" ";" parts "${entry}")
        list(GET parts 0 prog)
        set(member)
        if(prog MATCHES "^([^=]+)=(.+)$")
            set(member "@${CMAKE_MATCH_1}")
            set(prog ${CMAKE_MATCH_2})
        endif()
        list(GET parts 1 src)
        string(REPLACE "+" ";" src "${src}")
        set(incs)
        list(LENGTH parts n)
        if(n GREATER 2)
            list(SUBLIST parts 2 -1 incs)
        endif()
        if("${src}" STREQUAL "-")
            # built elsewhere (mmserver: mmserver/proc.cmake)
        elseif(NOT TARGET mmk_user_${prog})
            mmk_user_program(${prog} SOURCES ${src} INCLUDES ${incs})
        endif()
        list(APPEND files ${CMAKE_BINARY_DIR}/user/${prog}${member})
        list(APPEND deps ${CMAKE_BINARY_DIR}/user/${prog})
    endforeach()
    add_custom_command(OUTPUT ${archive}
        COMMAND ${CMAKE_SOURCE_DIR}/tools/mkarchive.sh ${archive} ${files}
        DEPENDS ${deps} ${CMAKE_SOURCE_DIR}/tools/mkarchive.sh
        COMMENT "Packing ${name} archive (cpio newc)")
    set(MMK_ARCHIVE_${name} ${archive} PARENT_SCOPE)
endfunction()

# mmk_scenario_images(IMAGE_FUNCTION): one image and one ctest per scenario registered by
# tests/qemu (mmk_scenario): the archive holds mmserver, the runner and the scenario's
# programs; the ctest qemu_<scenario> passes when the runner judged every program it must
# start OK (tools/qemu-test.sh --expect-count) and mmserver reported its pool restored.
# Also the image `scenarios`, every scenario program at once (the old single test image),
# which the arch may boot once more on other CPU models (MMK_SCENARIOS_ALL_COUNT: how many
# programs its runner must judge).
function(mmk_scenario_images image_fn)
    get_property(scenarios GLOBAL PROPERTY MMK_SCENARIOS)
    get_property(runner GLOBAL PROPERTY MMK_PROGRAM_runner)
    set(all_progs)
    foreach(scn ${scenarios})
        string(REPLACE "|" ";" parts "${scn}")
        list(GET parts 0 id)
        list(GET parts 1 progs)
        list(GET parts 2 mem)
        string(REPLACE "," ";" progs "${progs}")
        set(prop MMK_SCN_${id}_PROGRAMS)
        set_property(GLOBAL PROPERTY ${prop} "mmserver|-" "${runner}")
        foreach(p ${progs})
            get_property(entry GLOBAL PROPERTY MMK_PROGRAM_${p})
            set_property(GLOBAL APPEND PROPERTY ${prop} "${entry}")
            if(NOT mem) # a scenario that needs its own RAM size stays out of `scenarios`
                list(APPEND all_progs ${p})
            endif()
        endforeach()
        list(LENGTH progs count)
        mmk_archive(scn_${id} ${prop})
        cmake_language(CALL ${image_fn} scn_${id} scn_${id})
        add_test(NAME qemu_${id}
            COMMAND ${CMAKE_SOURCE_DIR}/tools/qemu-test.sh --expect-count ${count}
                    --require "test mm_pool_restored: OK"
                    ${CMAKE_SOURCE_DIR}/arch/${ARCH}/qemu.sh ${CMAKE_BINARY_DIR}/images/scn_${id})
        set_tests_properties(qemu_${id} PROPERTIES TIMEOUT 120 LABELS qemu)
        if(mem) # zeroing gigabytes under TCG takes tens of seconds, more on a busy host
            set_tests_properties(qemu_${id} PROPERTIES TIMEOUT 320
                ENVIRONMENT "MMK_QEMU_MEM=${mem};MMK_QEMU_TIMEOUT=300")
        endif()
    endforeach()
    list(REMOVE_DUPLICATES all_progs)
    set_property(GLOBAL PROPERTY MMK_SCN_ALL_PROGRAMS "mmserver|-" "${runner}")
    foreach(p ${all_progs})
        get_property(entry GLOBAL PROPERTY MMK_PROGRAM_${p})
        set_property(GLOBAL APPEND PROPERTY MMK_SCN_ALL_PROGRAMS "${entry}")
    endforeach()
    list(LENGTH all_progs all_count)
    mmk_archive(scenarios MMK_SCN_ALL_PROGRAMS)
    set(MMK_ARCHIVE_scenarios ${MMK_ARCHIVE_scenarios} PARENT_SCOPE)
    set(MMK_SCENARIOS_ALL_COUNT ${all_count} PARENT_SCOPE)
endfunction()

# mmk_standard_images(IMAGE_FUNCTION): what every architecture boots, made with the arch's
# IMAGE_FUNCTION(NAME ARCHIVE CMDLINE...), which must define the target image_NAME. Every
# image boots the one way: the kernel starts mmserver, mmserver the archive's root program.
#   run   the demo: the runner starts the demo programs; mmserver prints its map of each
#         (`mmdump` lines for tools/mmviz) (`make run`, `make debug`)
#   scn_<scenario>  one per scenario, each with its ctest (mmk_scenario_images)
#   scenarios  every scenario program at once (MMK_ARCHIVE_scenarios, for the arch's extra
#         runs on other CPU models)
#   panic a kernel that faults on purpose, "selftest-kernel-fault" (tests/qemu)
#   mm_hostile  a hostile program booted in mmserver's place
#   mm_chaos  mmserver, the runner, the seeded hostile mm_chaos and its witness
#   many  mmserver and many_root, which spawns many_worker / many_holder (issue 12)
#   bench the IPC benchmark programs (tests/bench/qemu), run by `make bench`
#   mm_bench  the memory benchmark (tests/bench/qemu/mm_bench.c), run by `make bench`
#   prog_<name>  one per mmk_program_image (tests/programs), with its ctest
# `run` boots MMK_RUN_PROGRAMS instead of the demo when set (`make run PROGRAMS=...`).
# and the `run` / `debug` targets, which boot `run` with arch/<arch>/qemu.sh [--debug]
# (`run` through tools/run-demo.sh: console copied to run.log, drawn by mmviz into
# address-spaces.svg),
# and `bench_qemu` (a dependency of `bench`): tools/qemu-bench.sh on the bench image.
function(mmk_standard_images image_fn)
    mmk_program_images(${image_fn})
    if(MMK_RUN_PROGRAMS)
        separate_arguments(progs UNIX_COMMAND "${MMK_RUN_PROGRAMS}") # "a b" or "a;b"
        mmk_program_entries(entries ${progs})
        set_property(GLOBAL PROPERTY MMK_DEMO_PROGRAMS ${entries})
    endif()
    mmk_archive(run MMK_DEMO_PROGRAMS)
    cmake_language(CALL ${image_fn} run run)
    cmake_language(CALL ${image_fn} panic run selftest-kernel-fault)
    mmk_scenario_images(${image_fn})
    cmake_language(CALL ${image_fn} scenarios scenarios)
    mmk_archive(mm_hostile MMK_MM_HOSTILE_PROGRAMS)
    cmake_language(CALL ${image_fn} mm_hostile mm_hostile)
    mmk_archive(mm_chaos MMK_MM_CHAOS_PROGRAMS)
    cmake_language(CALL ${image_fn} mm_chaos mm_chaos)
    mmk_archive(many MMK_MANY_PROGRAMS)
    cmake_language(CALL ${image_fn} many many)
    mmk_archive(bench MMK_BENCH_PROGRAMS)
    cmake_language(CALL ${image_fn} bench bench)
    mmk_archive(mm_bench MMK_MM_BENCH_PROGRAMS)
    cmake_language(CALL ${image_fn} mm_bench mm_bench)
    set(qemu_sh ${CMAKE_SOURCE_DIR}/arch/${ARCH}/qemu.sh)
    add_custom_target(run
        COMMAND ${CMAKE_SOURCE_DIR}/tools/run-demo.sh ${qemu_sh} ${CMAKE_BINARY_DIR}/images/run
                ${CMAKE_BINARY_DIR}/run.log ${MMVIZ} ${CMAKE_BINARY_DIR}/address-spaces.svg
        DEPENDS image_run mmviz
        USES_TERMINAL
        COMMENT "Booting the run image in QEMU (${ARCH}, TCG, console on this terminal and in run.log), then drawing address-spaces.svg")
    add_custom_target(debug
        COMMAND ${qemu_sh} --debug ${CMAKE_BINARY_DIR}/images/run
        DEPENDS image_run
        USES_TERMINAL)
    add_custom_target(bench_qemu
        COMMAND ${CMAKE_SOURCE_DIR}/tools/qemu-bench.sh ${ARCH} ${qemu_sh}
                ${CMAKE_BINARY_DIR}/images/bench ${CMAKE_BINARY_DIR}/bench-ipc-${ARCH}
        COMMAND ${CMAKE_SOURCE_DIR}/tools/qemu-bench.sh ${ARCH} ${qemu_sh}
                ${CMAKE_BINARY_DIR}/images/mm_bench ${CMAKE_BINARY_DIR}/bench-mm-${ARCH}
        DEPENDS image_bench image_mm_bench
        USES_TERMINAL
        COMMENT "IPC and memory benchmarks under QEMU (${ARCH})")
    if(TARGET bench)
        add_dependencies(bench bench_qemu)
    endif()
    set(MMK_ARCHIVE_run ${MMK_ARCHIVE_run} PARENT_SCOPE)
    set(MMK_ARCHIVE_scenarios ${MMK_ARCHIVE_scenarios} PARENT_SCOPE)
    set(MMK_SCENARIOS_ALL_COUNT ${MMK_SCENARIOS_ALL_COUNT} PARENT_SCOPE)
endfunction()

# The programs of tests/programs (the starter and yours: mmk_program), read once the
# functions above exist.
add_subdirectory(${CMAKE_SOURCE_DIR}/tests/programs ${CMAKE_BINARY_DIR}/programs)

# mmproc: mmserver as a process (boot-info check, ELF loader, program start, message
# adapter; mmserver/include/mmserver/proc.h) as a host library for tests/mmproc, the client
# stubs of the memory protocol (ipc/user/mm_client.c), freestanding checks of both, and the
# mmserver user program (mmserver/main.c + sys.c) for the configured ARCH. Included by
# mmserver/CMakeLists.txt after the core (MM_SOURCES, MM_INCLUDE, MM_STRICT).
set(MMP_SOURCES
    ${CMAKE_CURRENT_SOURCE_DIR}/src/boot.c
    ${CMAKE_CURRENT_SOURCE_DIR}/src/elf_load.c
    ${CMAKE_CURRENT_SOURCE_DIR}/src/spawn.c
    ${CMAKE_CURRENT_SOURCE_DIR}/src/serve.c
    ${CMAKE_SOURCE_DIR}/ipc/lib/elf64.c
    ${CMAKE_SOURCE_DIR}/ipc/lib/cpio.c)
set(MM_CLIENT_SOURCES ${CMAKE_SOURCE_DIR}/ipc/user/mm_client.c)

add_library(mmproc STATIC ${MMP_SOURCES})
target_include_directories(mmproc PUBLIC ${MM_INCLUDE})
target_link_libraries(mmproc PUBLIC mmcore)
target_compile_options(mmproc PRIVATE ${MM_STRICT})
set_target_properties(mmproc PROPERTIES C_EXTENSIONS OFF)

add_library(mm_client STATIC ${MM_CLIENT_SOURCES})
target_include_directories(mm_client PUBLIC ${CMAKE_SOURCE_DIR}/ipc/include)
target_compile_options(mm_client PRIVATE ${MM_STRICT})
set_target_properties(mm_client PROPERTIES C_EXTENSIONS OFF)

# Like the core: the process side, with the core and libpt, needs no outside symbol; nor do
# the client stubs, alone.
mm_freestanding_check(mmproc ${MMP_SOURCES} ${MM_SOURCES} ${PT_SOURCES})
mm_freestanding_check(mm_client ${MM_CLIENT_SOURCES})

# mmserver as a user program (build/<arch>/user/mmserver): the user runtime (message stubs
# included), the core, libpt and mmproc -- not the client stubs: mmserver is the other end
# of the protocol and shares with them only the message packing (ipc/mm_msg.h). Defined
# once the arch's config.cmake has brought kernel/kernel.cmake in (it comes after this
# directory), hence the deferred call. Packed into the archives that boot through mmserver
# (entry "mmserver|-", tests/qemu/CMakeLists.txt; mmserver/BOOT.md).
set_property(GLOBAL PROPERTY MMP_PROGRAM_SOURCES
    ${CMAKE_CURRENT_SOURCE_DIR}/main.c ${CMAKE_CURRENT_SOURCE_DIR}/sys.c ${MMP_SOURCES}
    ${MM_SOURCES} ${PT_SOURCES})
set_property(GLOBAL PROPERTY MMP_PROGRAM_INCLUDES ${MM_INCLUDE})
function(mmp_user_program)
    if(NOT COMMAND mmk_user_program)
        return()
    endif()
    get_property(sources GLOBAL PROPERTY MMP_PROGRAM_SOURCES)
    get_property(includes GLOBAL PROPERTY MMP_PROGRAM_INCLUDES)
    mmk_user_program(mmserver SOURCES ${sources} INCLUDES ${includes})
    if(MMK_PROGRAM_QUOTA) # a stress build's larger quota (tools/regions-stress.sh)
        target_compile_definitions(mmk_user_mmserver PRIVATE MMP_QUOTA=${MMK_PROGRAM_QUOTA}u)
    endif()
    # Whole-program optimisation, as for the kernel (kernel.cmake): request handling, libpt
    # and the IPC adapter inline across files.
    target_compile_options(mmk_user_mmserver PRIVATE $<$<COMPILE_LANGUAGE:C>:-flto=thin>)
    add_custom_target(mmserver_program ALL DEPENDS ${CMAKE_BINARY_DIR}/user/mmserver)
endfunction()
set(MMK_PROGRAM_QUOTA "" CACHE STRING
    "Frames each boot program may be charged (empty: MMP_QUOTA of proc.h); stress builds only")
cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL mmp_user_program)

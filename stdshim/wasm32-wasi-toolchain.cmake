# A CMake toolchain file for building a project of your own as gpuos guests:
# WebAssembly modules (wasm32-wasi) from C and C++, with Debian's clang,
# wasi-libc and libc++, and stdshim's malloc so that the heap is the GPU's.
#
#   cmake -S myproject -B build-wasm -G Ninja \
#         -DCMAKE_TOOLCHAIN_FILE=/path/to/gpuos/stdshim/wasm32-wasi-toolchain.cmake
#   cmake --build build-wasm
#   gpuos run build-wasm/myprog.wasm -- ARGS
#
# Debian packages: clang lld wasi-libc libclang-rt-14-dev-wasm32, and for C++
# libc++-14-dev-wasm32 libc++abi-14-dev-wasm32 (scripts/debian-packages.txt
# has them all).
#
# What it sets up, and why:
#   - clang/clang++ --target=wasm32-wasi against a sysroot of wasi-libc. Debian
#     installs wasi-libc in /usr/include/wasm32-wasi and /usr/lib/wasm32-wasi,
#     so a sysroot of two symlinks is made in the build tree: pointing clang at
#     /usr would let it search the host's own headers too.
#   - C++: -fno-exceptions (the VM has no exception handling; libc++ for
#     wasm32-wasi is built without it), libc++ and libc++abi linked.
#   - stdshim's malloc.c, compiled here once and linked into every executable
#     as an object, so malloc, free, calloc and realloc are the GPU heap's
#     opcodes and wasi-libc's dlmalloc stays out. GPUOS_STDSHIM_MALLOC=OFF
#     keeps dlmalloc (the program then manages its heap in its own memory,
#     which also works).
#   - The stack first in memory (an overflow traps instead of overwriting
#     data) and __heap_base exported (the runtime reads where data ends).
#   - Executables end in .wasm.
cmake_minimum_required(VERSION 3.20)

set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR wasm32)
set(GPUOS_WASM_TRIPLE wasm32-wasi)

find_program(GPUOS_TC_CLANG NAMES clang clang-14 clang-15 clang-16 REQUIRED)
find_program(GPUOS_TC_CLANGXX NAMES clang++ clang++-14 clang++-15 clang++-16 REQUIRED)
set(CMAKE_C_COMPILER ${GPUOS_TC_CLANG})
set(CMAKE_CXX_COMPILER ${GPUOS_TC_CLANGXX})
set(CMAKE_C_COMPILER_TARGET ${GPUOS_WASM_TRIPLE})
set(CMAKE_CXX_COMPILER_TARGET ${GPUOS_WASM_TRIPLE})

# The sysroot: a wasi-sdk style one if present, else Debian's split layout
# joined by two symlinks under the build tree.
set(_gpuos_sysroot "")
foreach(cand /usr/share/wasi-sysroot /opt/wasi-sdk/share/wasi-sysroot)
  if(EXISTS ${cand}/lib/wasm32-wasi/libc.a)
    set(_gpuos_sysroot ${cand})
    break()
  endif()
endforeach()
if(NOT _gpuos_sysroot)
  if(NOT EXISTS /usr/lib/wasm32-wasi/libc.a)
    message(FATAL_ERROR "gpuos toolchain: no wasi-libc found (install the Debian package wasi-libc)")
  endif()
  set(_gpuos_sysroot ${CMAKE_BINARY_DIR}/gpuos-wasi-sysroot)
  if(NOT EXISTS ${_gpuos_sysroot}/lib/wasm32-wasi)
    file(MAKE_DIRECTORY ${_gpuos_sysroot}/include ${_gpuos_sysroot}/lib)
    file(CREATE_LINK /usr/include/wasm32-wasi ${_gpuos_sysroot}/include/wasm32-wasi SYMBOLIC)
    file(CREATE_LINK /usr/lib/wasm32-wasi ${_gpuos_sysroot}/lib/wasm32-wasi SYMBOLIC)
  endif()
endif()
set(CMAKE_SYSROOT ${_gpuos_sysroot})

set(CMAKE_CXX_FLAGS_INIT "-fno-exceptions")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,--stack-first -Wl,--export=__heap_base -Wl,-z,stack-size=65536")
set(CMAKE_CXX_STANDARD_LIBRARIES_INIT "-lc++ -lc++abi")
set(CMAKE_EXECUTABLE_SUFFIX_C .wasm)
set(CMAKE_EXECUTABLE_SUFFIX_CXX .wasm)

# stdshim's malloc, built once per build tree (it is one file with no
# dependencies beyond stdshim/include).
option(GPUOS_STDSHIM_MALLOC "link stdshim's malloc (the GPU heap) instead of wasi-libc's dlmalloc" ON)
if(GPUOS_STDSHIM_MALLOC)
  set(_gpuos_shim_dir ${CMAKE_CURRENT_LIST_DIR})
  set(_gpuos_shim_obj ${CMAKE_BINARY_DIR}/gpuos-stdshim-malloc.o)
  if(NOT EXISTS ${_gpuos_shim_obj} OR ${_gpuos_shim_dir}/src/malloc.c IS_NEWER_THAN ${_gpuos_shim_obj})
    execute_process(
      COMMAND ${GPUOS_TC_CLANG} --target=${GPUOS_WASM_TRIPLE} --sysroot=${_gpuos_sysroot} -O2 -fno-builtin
              -I${_gpuos_shim_dir}/include -c ${_gpuos_shim_dir}/src/malloc.c -o ${_gpuos_shim_obj}
      RESULT_VARIABLE _rc ERROR_VARIABLE _err)
    if(NOT _rc EQUAL 0)
      message(FATAL_ERROR "gpuos toolchain: cannot build stdshim's malloc.c:\n${_err}")
    endif()
  endif()
  # An object, not an archive: the linker takes all of it, so its malloc
  # family wins and libc.a's dlmalloc.o is never pulled in.
  set(CMAKE_C_STANDARD_LIBRARIES_INIT "${_gpuos_shim_obj}")
  set(CMAKE_CXX_STANDARD_LIBRARIES_INIT "${_gpuos_shim_obj} -lc++ -lc++abi")
endif()

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

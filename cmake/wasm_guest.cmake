# cmake/wasm_guest.cmake: builds C and C++ guest programs to WebAssembly (wasm32).
#
# The host build stays g++/C++; guests are built by add_custom_command with
# clang, wasm-ld, compiler-rt's wasm32 builtins and (WASI mode) wasi-libc, all
# from Debian packages. No CMake toolchain switch is involved.
#
#   gpuos_add_wasm_guest(NAME [WASI] [NO_STDSHIM] [STACK_SIZE bytes]
#                        [OUTPUT_DIR dir] [TARGET tgt] SOURCES a.c ...)
#
# builds ${CMAKE_BINARY_DIR}/guests/NAME.wasm (variable GPUOS_GUEST_DIR) from the
# target `guest_NAME`, which is part of `all`. OUTPUT_DIR puts NAME.wasm in
# another folder (apps/ uses GPUOS_APPS_DIR) and TARGET names the target; a
# guest built with either is not listed in the GPUOS_GUESTS property, which
# holds the test guests. Two modes:
#
#   freestanding (default)  --target=wasm32, no libc. stdshim's crt.c (_start),
#                           malloc.c and string.c are linked in. Memory is one
#                           64 KiB page (16 KiB of it stack) and has no maximum,
#                           so memory.grow can add pages.
#   WASI                    --target=wasm32-wasi against wasi-libc (C++ sources,
#                           .cpp/.cc/.cxx: clang++ and libc++, -fno-exceptions). stdshim's
#                           malloc.c is linked ahead of libc.a, so malloc and
#                           friends are gpuos imports and dlmalloc is never
#                           pulled in. NO_STDSHIM leaves it out (the control
#                           build of tests/guests uses that to prove the check).
#
# Configure fails when a piece of the toolchain is missing: the project needs it.

include_guard(GLOBAL)

set(_gpuos_wasm_pkgs "clang lld wasi-libc libclang-rt-14-dev-wasm32")
function(_gpuos_wasm_fail what)
  message(FATAL_ERROR
    "gpuos: cannot build WebAssembly guests: ${what}\n"
    "Install the Debian packages: ${_gpuos_wasm_pkgs} "
    "(they are listed in scripts/debian-packages.txt; scripts/install-deps.sh installs them).")
endfunction()

# ---- the compiler and linker -------------------------------------------------
find_program(GPUOS_WASM_CLANG NAMES clang clang-14 clang-15 clang-16
  DOC "clang that can target wasm32 (guest compiler)")
if(NOT GPUOS_WASM_CLANG)
  _gpuos_wasm_fail("no clang found")
endif()
# clang runs wasm-ld itself (clang 14 ignores --ld-path and -fuse-ld=PATH for
# wasm targets); this only turns a missing linker into a clear message.
find_program(GPUOS_WASM_LD NAMES wasm-ld wasm-ld-14 wasm-ld-15 wasm-ld-16
  DOC "wasm-ld (lld's WebAssembly linker)")
if(NOT GPUOS_WASM_LD)
  _gpuos_wasm_fail("no wasm-ld found (Debian package lld)")
endif()

set(_probe_dir ${CMAKE_BINARY_DIR}/CMakeFiles/gpuos-wasm-probe)
file(MAKE_DIRECTORY ${_probe_dir})
file(WRITE ${_probe_dir}/target.c "int f(int x) { return x + 1; }\n")
execute_process(
  COMMAND ${GPUOS_WASM_CLANG} --target=wasm32 -c ${_probe_dir}/target.c -o ${_probe_dir}/target.o
  RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
if(NOT _rc EQUAL 0)
  _gpuos_wasm_fail("${GPUOS_WASM_CLANG} cannot compile for --target=wasm32:\n${_out}")
endif()

# compiler-rt builtins for wasm32 (128-bit integer and long double helpers).
# clang reports where it would look; Debian puts the file under lib/wasi/.
if(NOT GPUOS_WASM_BUILTINS)
  execute_process(
    COMMAND ${GPUOS_WASM_CLANG} --target=wasm32-wasi --rtlib=compiler-rt -print-libgcc-file-name
    OUTPUT_VARIABLE _rt OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(_rt AND EXISTS "${_rt}")
    set(GPUOS_WASM_BUILTINS "${_rt}" CACHE FILEPATH "libclang_rt.builtins-wasm32.a")
  endif()
endif()
if(NOT GPUOS_WASM_BUILTINS OR NOT EXISTS "${GPUOS_WASM_BUILTINS}")
  _gpuos_wasm_fail("compiler-rt builtins for wasm32 not found (looked for '${GPUOS_WASM_BUILTINS}${_rt}')")
endif()

# ---- the WASI sysroot ----------------------------------------------------------
# Accepts a wasi-sdk style sysroot (lib/wasm32-wasi/libc.a under it), e.g.
# /usr/share/wasi-sysroot. Debian's wasi-libc instead installs into
# /usr/include/wasm32-wasi and /usr/lib/wasm32-wasi; clang would find those
# without --sysroot, but it would then also search the host's /usr/include. So
# a sysroot of two symlinks is made in the build tree and passed explicitly.
set(GPUOS_WASI_SYSROOT "" CACHE PATH "WASI sysroot (empty: detect)")
set(_sysroot "${GPUOS_WASI_SYSROOT}")
if(NOT _sysroot)
  foreach(cand /usr/share/wasi-sysroot /opt/wasi-sdk/share/wasi-sysroot)
    if(EXISTS ${cand}/lib/wasm32-wasi/libc.a)
      set(_sysroot ${cand})
      break()
    endif()
  endforeach()
endif()
if(NOT _sysroot AND EXISTS /usr/lib/wasm32-wasi/libc.a AND EXISTS /usr/include/wasm32-wasi/stdio.h)
  set(_sysroot ${CMAKE_BINARY_DIR}/wasi-sysroot)
  file(MAKE_DIRECTORY ${_sysroot}/include ${_sysroot}/lib)
  file(CREATE_LINK /usr/include/wasm32-wasi ${_sysroot}/include/wasm32-wasi SYMBOLIC)
  file(CREATE_LINK /usr/lib/wasm32-wasi ${_sysroot}/lib/wasm32-wasi SYMBOLIC)
endif()
if(NOT _sysroot OR NOT EXISTS ${_sysroot}/lib/wasm32-wasi/libc.a)
  _gpuos_wasm_fail("no WASI sysroot (wasi-libc) found")
endif()
set(GPUOS_WASI_SYSROOT_DIR ${_sysroot})

# ---- flags ---------------------------------------------------------------------
set(GPUOS_STDSHIM_DIR ${CMAKE_SOURCE_DIR}/stdshim)
set(GPUOS_GUEST_DIR ${CMAKE_BINARY_DIR}/guests)
# The apps (apps/CMakeLists.txt): NAME.wasm here, native builds in native/.
set(GPUOS_APPS_DIR ${CMAKE_BINARY_DIR}/apps)
set(GPUOS_STDSHIM_OBJ_DIR ${CMAKE_BINARY_DIR}/stdshim-objs)
file(MAKE_DIRECTORY ${GPUOS_GUEST_DIR})

# Default CPU (MVP features only): the VM implements WebAssembly 2.0 core
# without SIMD, and MVP code needs none of the later proposals.
set(_common -O2 -Wall -Wextra -I${GPUOS_STDSHIM_DIR}/include)
# -ffreestanding: clang's own stdint.h etc. must not #include_next a libc;
# -nostdlibinc: never the host's /usr/include. Also implies -fno-builtin, so
# stdshim's memcpy can't be turned into a call to itself.
set(GPUOS_WASM_CFLAGS_FREESTANDING --target=wasm32 -ffreestanding -nostdlibinc ${_common})
set(GPUOS_WASM_CFLAGS_WASI --target=wasm32-wasi --sysroot=${GPUOS_WASI_SYSROOT_DIR} ${_common})
# 1 page (64 KiB) of initial memory so 1,000 processes fit a 128 MiB arena;
# --stack-first puts the 16 KiB stack at address 0, so an overflow runs off the
# bottom of memory and traps instead of overwriting data. No --max-memory.
# __heap_base (end of data) is exported so the runtime can tell what of page 0
# is free.
set(GPUOS_WASM_LDFLAGS_FREESTANDING --target=wasm32 -nostdlib
  -Wl,--initial-memory=65536 -Wl,--stack-first -Wl,--export=_start -Wl,--export=__heap_base)
set(GPUOS_WASM_LDFLAGS_WASI --target=wasm32-wasi --sysroot=${GPUOS_WASI_SYSROOT_DIR}
  -Wl,--stack-first -Wl,--export=__heap_base
  -Wl,--strip-debug) # libc.a carries DWARF; the name section stays
# -nostdlib drops the builtins too, so freestanding links name them; in WASI
# mode clang adds them after -lc itself.
set(GPUOS_WASM_LIBS_FREESTANDING ${GPUOS_WASM_BUILTINS})
set(GPUOS_WASM_LIBS_WASI)

# C++ guests (WASI mode only): clang++ with Debian's libc++ for wasm32-wasi
# (libc++-14-dev-wasm32, libc++abi-14-dev-wasm32). WebAssembly as the VM runs
# it has no exception handling, so C++ is built -fno-exceptions.
find_program(GPUOS_WASM_CLANGXX NAMES clang++ clang++-14 clang++-15 clang++-16
  DOC "clang++ that can target wasm32-wasi (C++ guest compiler)")
if(NOT GPUOS_WASM_CLANGXX)
  _gpuos_wasm_fail("no clang++ found")
endif()
set(GPUOS_WASM_CXX_SOURCE "\\.(cpp|cc|cxx)$")
set(GPUOS_WASM_CXXFLAGS -std=c++17 -fno-exceptions)
set(GPUOS_WASM_CXXLIBS_WASI -lc++ -lc++abi)

# ---- probe: compile and link a trivial guest in both modes ---------------------
file(WRITE ${_probe_dir}/probe-FREESTANDING.c "void _start(void) {}\n")
file(WRITE ${_probe_dir}/probe-WASI.c "int main(void) { return 0; }\n")
foreach(mode FREESTANDING WASI)
  execute_process(
    COMMAND ${GPUOS_WASM_CLANG} ${GPUOS_WASM_CFLAGS_${mode}} ${GPUOS_WASM_LDFLAGS_${mode}}
            ${_probe_dir}/probe-${mode}.c ${GPUOS_WASM_LIBS_${mode}} -o ${_probe_dir}/probe-${mode}.wasm
    RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
  if(NOT _rc EQUAL 0)
    _gpuos_wasm_fail("${GPUOS_WASM_CLANG} could not build a ${mode} wasm32 probe:\n${_out}")
  endif()
endforeach()
file(WRITE ${_probe_dir}/probe-cxx.cpp "#include <string>\n#include <vector>\n"
  "int main() { std::vector<std::string> v{\"a\"}; return static_cast<int>(v[0].size()) - 1; }\n")
execute_process(
  COMMAND ${GPUOS_WASM_CLANGXX} ${GPUOS_WASM_CFLAGS_WASI} ${GPUOS_WASM_CXXFLAGS} ${GPUOS_WASM_LDFLAGS_WASI}
          ${_probe_dir}/probe-cxx.cpp ${GPUOS_WASM_CXXLIBS_WASI} -o ${_probe_dir}/probe-cxx.wasm
  RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
if(NOT _rc EQUAL 0)
  set(_gpuos_wasm_pkgs "${_gpuos_wasm_pkgs} libc++-14-dev-wasm32 libc++abi-14-dev-wasm32")
  _gpuos_wasm_fail("${GPUOS_WASM_CLANGXX} could not build a C++ wasm32-wasi probe (libc++):\n${_out}")
endif()
message(STATUS "gpuos guests: ${GPUOS_WASM_CLANG}, ${GPUOS_WASM_LD}, ${GPUOS_WASM_BUILTINS}, "
               "WASI sysroot ${GPUOS_WASI_SYSROOT_DIR}")

# ---- helpers -------------------------------------------------------------------
# gpuos_wasm_compile(OBJ SRC MODE [extra flags...]): one custom command for one
# object, with a depfile so header edits rebuild it.
function(gpuos_wasm_compile obj src mode)
  get_filename_component(src ${src} ABSOLUTE)
  get_filename_component(dir ${obj} DIRECTORY)
  file(MAKE_DIRECTORY ${dir})
  set(compiler ${GPUOS_WASM_CLANG})
  set(lang_flags)
  if(src MATCHES "${GPUOS_WASM_CXX_SOURCE}")
    if(NOT mode STREQUAL "WASI")
      message(FATAL_ERROR "${src}: C++ guests are built in WASI mode (libc++ needs wasi-libc)")
    endif()
    set(compiler ${GPUOS_WASM_CLANGXX})
    set(lang_flags ${GPUOS_WASM_CXXFLAGS})
  endif()
  add_custom_command(OUTPUT ${obj}
    COMMAND ${compiler} ${GPUOS_WASM_CFLAGS_${mode}} ${lang_flags} ${ARGN}
            -MD -MF ${obj}.d -c ${src} -o ${obj}
    DEPENDS ${src}
    DEPFILE ${obj}.d
    COMMENT "wasm32 ${mode}: ${src}"
    VERBATIM)
endfunction()

# The stdshim objects; stdshim/CMakeLists.txt builds them (target gpuos_stdshim).
# malloc.c is built -fno-builtin so clang can't fold its own calloc into a
# malloc+memset that calls back into it.
set(GPUOS_STDSHIM_FREESTANDING_OBJECTS
  ${GPUOS_STDSHIM_OBJ_DIR}/freestanding/crt.o
  ${GPUOS_STDSHIM_OBJ_DIR}/freestanding/malloc.o
  ${GPUOS_STDSHIM_OBJ_DIR}/freestanding/string.o)
set(GPUOS_STDSHIM_WASI_OBJECTS
  ${GPUOS_STDSHIM_OBJ_DIR}/wasi/malloc.o)

function(gpuos_add_wasm_guest name)
  cmake_parse_arguments(PARSE_ARGV 1 G "WASI;NO_STDSHIM" "STACK_SIZE;OUTPUT_DIR;TARGET" "SOURCES")
  if(NOT G_SOURCES)
    message(FATAL_ERROR "gpuos_add_wasm_guest(${name}): no SOURCES")
  endif()
  if(NOT G_STACK_SIZE)
    set(G_STACK_SIZE 16384)
  endif()
  set(mode FREESTANDING)
  if(G_WASI)
    set(mode WASI)
  endif()

  set(objs)
  set(linker ${GPUOS_WASM_CLANG})
  set(cxx_libs)
  foreach(src ${G_SOURCES})
    if(src MATCHES "${GPUOS_WASM_CXX_SOURCE}")
      set(linker ${GPUOS_WASM_CLANGXX})
      set(cxx_libs ${GPUOS_WASM_CXXLIBS_${mode}})
    endif()
    get_filename_component(base ${src} NAME_WE)
    set(obj ${CMAKE_CURRENT_BINARY_DIR}/guest-objs/${name}/${base}.o)
    gpuos_wasm_compile(${obj} ${src} ${mode})
    list(APPEND objs ${obj})
  endforeach()

  set(shim)
  if(NOT G_NO_STDSHIM)
    # Objects before libc.a: an object's definitions always win, so libc's
    # dlmalloc.o is never extracted (stdshim defines every symbol that would
    # pull it in; see stdshim/src/malloc.c).
    set(shim ${GPUOS_STDSHIM_${mode}_OBJECTS})
  endif()

  set(listed TRUE)
  if(G_OUTPUT_DIR OR G_TARGET)
    set(listed FALSE)
  endif()
  if(NOT G_OUTPUT_DIR)
    set(G_OUTPUT_DIR ${GPUOS_GUEST_DIR})
  endif()
  if(NOT G_TARGET)
    set(G_TARGET guest_${name})
  endif()
  file(MAKE_DIRECTORY ${G_OUTPUT_DIR})
  set(out ${G_OUTPUT_DIR}/${name}.wasm)
  file(RELATIVE_PATH shown ${CMAKE_BINARY_DIR} ${out})
  add_custom_command(OUTPUT ${out}
    COMMAND ${linker} ${GPUOS_WASM_LDFLAGS_${mode}} -Wl,-z,stack-size=${G_STACK_SIZE}
            ${shim} ${objs} ${cxx_libs} ${GPUOS_WASM_LIBS_${mode}} -o ${out}
    DEPENDS ${shim} ${objs} ${GPUOS_WASM_LIBS_${mode}}
    COMMENT "wasm-ld ${mode}: ${shown}"
    VERBATIM)
  add_custom_target(${G_TARGET} ALL DEPENDS ${out})
  if(shim)
    add_dependencies(${G_TARGET} gpuos_stdshim)
  endif()
  if(listed)
    set_property(GLOBAL APPEND PROPERTY GPUOS_GUESTS ${name})
  endif()
endfunction()

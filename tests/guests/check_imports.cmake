# check_imports.cmake: the guests.imports test (cmake -P). Reads each guest
# with wabt's wasm-objdump and asserts what the build promises:
#
#   freestanding guests  import only from module "gpuos" (at least gpuos.exit,
#                        which _start calls), export _start and memory, and
#                        start with exactly 1 page of memory and no maximum
#   per guest            the imports its source uses (REQUIRED_<name> below)
#   WASI guests          (wasi_malloc, read_file) import nothing from any
#                        module but gpuos and wasi_snapshot_preview1, and hold
#                        no dlmalloc: none of dlmalloc's functions by name and
#                        no memory.grow (only dlmalloc's sbrk grows memory)
#   the control build    wasi_malloc_dlmalloc, the same source without stdshim,
#                        must fail both dlmalloc checks and lack gpuos.malloc,
#                        so the checks above are shown to tell the two apart
#
# -D inputs: OBJDUMP, GUEST_DIR, FREESTANDING, WASI, CONTROL (lists joined by ':').
cmake_minimum_required(VERSION 3.25) # policies: IN_LIST

foreach(v OBJDUMP GUEST_DIR FREESTANDING WASI CONTROL)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "check_imports.cmake: -D${v}= is required")
  endif()
endforeach()
string(REPLACE ":" ";" FREESTANDING "${FREESTANDING}")
string(REPLACE ":" ";" WASI "${WASI}")
include(${CMAKE_CURRENT_LIST_DIR}/../../cmake/wasm_imports.cmake)

set(REQUIRED_hello gpuos.print gpuos.getpid gpuos.exit)
set(REQUIRED_exit_code gpuos.arg gpuos.exit)
set(REQUIRED_spawn_tree gpuos.arg gpuos.spawn gpuos.wait gpuos.print gpuos.exit)
set(REQUIRED_malloc_stress gpuos.malloc gpuos.free gpuos.calloc gpuos.realloc
    gpuos.aligned_alloc gpuos.arg gpuos.print gpuos.exit)
set(REQUIRED_malloc_bench gpuos.malloc gpuos.free gpuos.exit)
set(REQUIRED_wasi_malloc gpuos.malloc gpuos.free gpuos.realloc)
set(REQUIRED_null_call gpuos.null_call gpuos.arg gpuos.exit)
set(REQUIRED_deep_calls gpuos.arg gpuos.exit)
set(REQUIRED_heap_rounds gpuos.malloc gpuos.free gpuos.arg gpuos.exit)
set(REQUIRED_read_file gpuos.arg gpuos.malloc wasi_snapshot_preview1.path_open
    wasi_snapshot_preview1.fd_read)
# dlmalloc's own functions (static ones too: the name section keeps them).
set(DLMALLOC_NAMES dlmalloc dlfree dlrealloc dispose_chunk internal_memalign
    sys_alloc tmalloc_small tmalloc_large init_mparams)

set(failures 0)
macro(fail msg)
  message(SEND_ERROR "FAIL ${msg}")
  math(EXPR failures "${failures} + 1")
endmacro()

# Runs wasm-objdump ARGS on guest NAME into OUT.
function(objdump out name)
  set(file ${GUEST_DIR}/${name}.wasm)
  if(NOT EXISTS ${file})
    message(FATAL_ERROR "FAIL ${file} does not exist (build the default target first)")
  endif()
  wasm_objdump(text ${file} ${ARGN})
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

# Facts about guest NAME, set in the caller as NAME_imports (module.field
# list), NAME_modules, NAME_funcs (defined function names), NAME_grows (count
# of memory.grow instructions) and NAME_details (the -x text).
function(inspect name)
  objdump(details ${name} -x)
  objdump(code ${name} -d)
  wasm_imports("${details}" modules fields)
  set(imports)
  foreach(m f IN ZIP_LISTS modules fields)
    list(APPEND imports "${m}.${f}")
  endforeach()
  list(REMOVE_DUPLICATES modules)
  # Function names come from the "name" section: " - func[7] sig=2 <dlmalloc>".
  string(REGEX MATCHALL " - func\\[[0-9]+\\] sig=[0-9]+ <[^>\n]+>" fl "${details}")
  set(funcs)
  foreach(l ${fl})
    string(REGEX REPLACE ".*<(.*)>$" "\\1" n "${l}")
    list(APPEND funcs "${n}")
  endforeach()
  string(REGEX MATCHALL "memory\\.grow" grows "${code}")
  list(LENGTH grows ngrow)
  set(${name}_imports "${imports}" PARENT_SCOPE)
  set(${name}_modules "${modules}" PARENT_SCOPE)
  set(${name}_funcs "${funcs}" PARENT_SCOPE)
  set(${name}_grows ${ngrow} PARENT_SCOPE)
  set(${name}_details "${details}" PARENT_SCOPE)
  list(JOIN imports " " shown)
  message(STATUS "${name}.wasm: imports ${shown}; memory.grow x${ngrow}")
endfunction()

function(require_imports name)
  foreach(imp ${REQUIRED_${name}})
    if(NOT imp IN_LIST ${name}_imports)
      fail("${name}: does not import ${imp}")
    endif()
  endforeach()
  set(failures ${failures} PARENT_SCOPE)
endfunction()

# How many of dlmalloc's functions NAME defines, into OUT.
function(count_dlmalloc out name)
  set(n 0)
  foreach(f ${DLMALLOC_NAMES})
    if(f IN_LIST ${name}_funcs)
      math(EXPR n "${n} + 1")
    endif()
  endforeach()
  set(${out} ${n} PARENT_SCOPE)
endfunction()

# ---- freestanding guests --------------------------------------------------------
foreach(g ${FREESTANDING})
  inspect(${g})
  if(NOT ${g}_modules STREQUAL "gpuos")
    fail("${g}: imports from modules '${${g}_modules}', expected only gpuos")
  endif()
  if(NOT "gpuos.exit" IN_LIST ${g}_imports)
    fail("${g}: does not import gpuos.exit (_start ends with it)")
  endif()
  require_imports(${g})
  if(NOT ${g}_details MATCHES "-> \"_start\"")
    fail("${g}: does not export _start")
  endif()
  if(NOT ${g}_details MATCHES "-> \"memory\"")
    fail("${g}: does not export memory")
  endif()
  if(NOT ${g}_details MATCHES " - memory\\[0\\] pages: initial=1\n")
    string(REGEX MATCH " - memory\\[0\\][^\n]*" mem "${${g}_details}")
    fail("${g}: memory is '${mem}', expected 1 initial page and no maximum")
  endif()
endforeach()

# ---- WASI guests ---------------------------------------------------------------
foreach(g ${WASI})
  inspect(${g})
  require_imports(${g})
  foreach(m ${${g}_modules})
    if(NOT m MATCHES "^(gpuos|wasi_snapshot_preview1)$")
      fail("${g}: imports from unexpected module ${m}")
    endif()
  endforeach()
  if(NOT "main" IN_LIST ${g}_funcs AND NOT "__original_main" IN_LIST ${g}_funcs)
    fail("${g}: no function names (name section missing?), the dlmalloc check would be blind")
  endif()
  count_dlmalloc(n ${g})
  if(n GREATER 0)
    fail("${g}: defines ${n} of dlmalloc's functions: wasi-libc's malloc was linked")
  endif()
  if(${g}_grows GREATER 0)
    fail("${g}: contains memory.grow (sbrk): wasi-libc's malloc was linked")
  endif()
endforeach()

# ---- the control: wasi-libc's own malloc --------------------------------------
inspect(${CONTROL})
count_dlmalloc(n ${CONTROL})
if(n EQUAL 0)
  fail("${CONTROL}: no dlmalloc functions found, so the dlmalloc check proves nothing")
endif()
if(${CONTROL}_grows EQUAL 0)
  fail("${CONTROL}: no memory.grow found, so the memory.grow check proves nothing")
endif()
if("gpuos.malloc" IN_LIST ${CONTROL}_imports)
  fail("${CONTROL}: imports gpuos.malloc without stdshim")
endif()
message(STATUS "${CONTROL}.wasm: ${n} dlmalloc functions, as expected without stdshim")

if(failures GREATER 0)
  message(FATAL_ERROR "${failures} check(s) failed")
endif()
message(STATUS "guests.imports: all checks passed")

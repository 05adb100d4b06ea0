# cmake/wasm_imports.cmake: a WebAssembly module's imports, read with wabt's
# wasm-objdump, for the cmake -P checks apps/check_imports.cmake (apps.imports)
# and tests/guests/check_imports.cmake (guests.imports). The includer sets
# OBJDUMP.

# Runs `wasm-objdump ARGN FILE` into OUT; a failed run is fatal.
function(wasm_objdump out file)
  execute_process(COMMAND ${OBJDUMP} ${ARGN} ${file}
    OUTPUT_VARIABLE text ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "FAIL wasm-objdump ${ARGN} ${file}: ${err}")
  endif()
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

# The imports listed in TEXT (wasm-objdump -x output; each import's line ends
# "<- module.field") as two lists of equal length, one entry per import:
# OUT_MODULES and OUT_FIELDS (walk them with foreach(m f IN ZIP_LISTS ...)).
function(wasm_imports text out_modules out_fields)
  string(REGEX MATCHALL "<- [^\n]+" lines "${text}")
  set(modules)
  set(fields)
  foreach(l ${lines})
    string(REGEX REPLACE "^<- ([^.]+)\\.(.*)$" "\\1;\\2" mf "${l}")
    list(GET mf 0 m)
    list(GET mf 1 f)
    list(APPEND modules "${m}")
    list(APPEND fields "${f}")
  endforeach()
  set(${out_modules} "${modules}" PARENT_SCOPE)
  set(${out_fields} "${fields}" PARENT_SCOPE)
endfunction()

# check_imports.cmake: the apps.imports test (cmake -P). Reads every app with
# wabt's wasm-objdump and fails if one imports anything but
#   - gpuos.* (stdshim: the malloc family), or
#   - a wasi_snapshot_preview1 call from ALLOWED below, the calls the runtime
#     serves for apps.
# Prints each app's WASI calls and the union of them all.
#
# -D inputs: OBJDUMP, APPS_DIR, APPS (names joined by ':').
cmake_minimum_required(VERSION 3.25)

foreach(v OBJDUMP APPS_DIR APPS)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "check_imports.cmake: -D${v}= is required")
  endif()
endforeach()
string(REPLACE ":" ";" APPS "${APPS}")
include(${CMAKE_CURRENT_LIST_DIR}/../cmake/wasm_imports.cmake)

set(ALLOWED args_get args_sizes_get environ_get environ_sizes_get fd_write fd_read
  fd_pread fd_pwrite fd_seek fd_tell fd_close fd_fdstat_get fd_fdstat_set_flags
  fd_filestat_get fd_prestat_get fd_prestat_dir_name fd_readdir path_open
  path_filestat_get path_create_directory path_remove_directory path_unlink_file
  path_rename clock_time_get clock_res_get random_get proc_exit sched_yield poll_oneoff)

set(failures 0)
set(all_wasi)
foreach(app ${APPS})
  set(file ${APPS_DIR}/${app}.wasm)
  if(NOT EXISTS ${file})
    message(SEND_ERROR "FAIL ${file} does not exist (build the target `apps` first)")
    math(EXPR failures "${failures} + 1")
    continue()
  endif()
  wasm_objdump(text ${file} -x -j Import)
  wasm_imports("${text}" modules fields)
  set(wasi)
  foreach(m f IN ZIP_LISTS modules fields)
    if(m STREQUAL "gpuos")
      continue()
    elseif(m STREQUAL "wasi_snapshot_preview1" AND f IN_LIST ALLOWED)
      list(APPEND wasi ${f})
    else()
      message(SEND_ERROR "FAIL ${app}: imports ${m}.${f}, which the runtime does not serve")
      math(EXPR failures "${failures} + 1")
    endif()
  endforeach()
  list(SORT wasi)
  list(JOIN wasi " " shown)
  message(STATUS "${app}.wasm: ${shown}")
  list(APPEND all_wasi ${wasi})
endforeach()
list(REMOVE_DUPLICATES all_wasi)
list(SORT all_wasi)
list(JOIN all_wasi " " shown)
message(STATUS "WASI calls used by the apps: ${shown}")
if(failures GREATER 0)
  message(FATAL_ERROR "${failures} check(s) failed")
endif()

# gpuos_test_folder(LABEL): registers every test of the calling folder, so a
# new test is a new file and no list is edited. Used by tests/fault (label
# `fault`, issue 20's attacks) and tests/usage (label `usage`, issue 19's
# first-hour surprises). In the folder:
#   NAME.sh         a shell test of the `gpuos` command, run as
#                   `bash NAME.sh GPUOS GUEST_DIR` (tests/fault/lib.sh has the
#                   helpers); registered as LABEL.NAME
#   NAME_test.cpp   GoogleTest cases, linked into gpuos_LABEL_tests with the
#                   host libraries; each case registered as LABEL.Suite.Case
#   guests/NAME.c, guests/NAME.cpp   a freestanding guest (stdshim only),
#                   built to GUEST_DIR/NAME.wasm
#   guests/wasi_NAME.c, guests/wasi_NAME.cpp   a wasm32-wasi guest (wasi-libc
#                   + stdshim), built to GUEST_DIR/wasi_NAME.wasm
# Tests that need a device or io_uring exit 77 (skipped, visibly) without one.
function(gpuos_test_folder label)
  set(dir ${CMAKE_CURRENT_SOURCE_DIR})
  set(spec_dir "${CMAKE_SOURCE_DIR}/../shared/wasm-spec")

  file(GLOB guests CONFIGURE_DEPENDS ${dir}/guests/*.c ${dir}/guests/*.cpp)
  set(guest_targets)
  foreach(src ${guests})
    get_filename_component(name ${src} NAME_WE)
    if(name MATCHES "^wasi_")
      gpuos_add_wasm_guest(${name} WASI SOURCES ${src})
    else()
      gpuos_add_wasm_guest(${name} SOURCES ${src})
    endif()
    list(APPEND guest_targets guest_${name})
  endforeach()
  add_custom_target(gpuos_${label}_guests)
  if(guest_targets)
    add_dependencies(gpuos_${label}_guests ${guest_targets})
  endif()

  file(GLOB scripts CONFIGURE_DEPENDS ${dir}/*.sh)
  foreach(script ${scripts})
    get_filename_component(name ${script} NAME_WE)
    if(name STREQUAL "lib")
      continue()
    endif()
    add_test(NAME ${label}.${name} COMMAND bash ${script} $<TARGET_FILE:gpuos> ${GPUOS_GUEST_DIR})
    set_tests_properties(${label}.${name} PROPERTIES
      LABELS ${label}
      SKIP_RETURN_CODE 77
      TIMEOUT 600
      FIXTURES_REQUIRED kernel_cache
      ENVIRONMENT "GPUOS_VULKAN_LIBRARY=;GPUOS_SPEC_DIR=${spec_dir}")
  endforeach()

  file(GLOB sources CONFIGURE_DEPENDS ${dir}/*_test.cpp)
  if(sources)
    add_executable(gpuos_${label}_tests ${sources})
    target_link_libraries(gpuos_${label}_tests PRIVATE gpuos_kernel gpuos_procs gpuos_io GTest::gtest_main)
    target_compile_definitions(gpuos_${label}_tests PRIVATE GPUOS_GUEST_DIR="${GPUOS_GUEST_DIR}"
                                                            GPUOS_SPEC_DIR="${spec_dir}")
    add_dependencies(gpuos_${label}_tests gpuos_${label}_guests)
    gtest_discover_tests(gpuos_${label}_tests DISCOVERY_MODE PRE_TEST TEST_PREFIX "${label}."
                         PROPERTIES LABELS ${label} TIMEOUT 300 SKIP_RETURN_CODE 77)
  endif()
endfunction()

// fuzz_wasm_decode.cpp: libFuzzer target for the WebAssembly decoder and
// validator (built with clang only; see CMakeLists.txt for how to run it).
// Any crash, sanitizer report, timeout or inconsistent result is a finding.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "procs/wasm/decoder.h"
#include "tests/fuzz/fuzz_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const gpuos::wasm::ByteSpan input(data, size);
  const auto result = gpuos::wasm::load_module(input);
  if (const char* problem = gpuos::wasm::test::check_load_result(input, result)) {
    std::fprintf(stderr, "fuzz_wasm_decode: %s\n", problem);
    if (!result.ok()) std::fprintf(stderr, "  detail: %s\n", result.detail().c_str());
    std::abort();
  }
  return 0;
}

// fuzz_checks.h: what the fuzzers assert about one load_module() call.
//
// Beyond "no crash, no hang, no leak" (the sanitizers' job), a result must
// be consistent: a refusal has a detail in the documented format, and an
// accepted module has in-bounds byte ranges and re-validates function by
// function with the public InstrReader + FunctionValidator API, which is
// what the translator will do. Returns a description of the first
// violated property, or nullptr.
#pragma once

#include "procs/wasm/decoder.h"
#include "procs/wasm/diagnostic.h"
#include "procs/wasm/instr_reader.h"
#include "procs/wasm/validator.h"

namespace gpuos::wasm::test {

inline const char* check_load_result(ByteSpan input, const Result<Module, WasmError>& result) {
  if (!result.ok()) {
    const std::string& detail = result.detail();
    if (detail.find(" (at 0x") == std::string::npos) return "error detail lacks its location";
    if (reason_of(detail).empty()) return "error detail lacks a reason";
    return nullptr;
  }
  const Module& m = result.value();
  if (m.bytes.size() != input.size()) return "module bytes differ from input";
  if (m.num_funcs() != m.num_imported_funcs + m.functions.size()) return "function index space inconsistent";
  for (const DataSegment& d : m.data) {
    if (uint64_t{d.data_offset} + d.data_size > m.bytes.size()) return "data segment out of range";
  }
  const ValidationContext ctx = ValidationContext::build(m);
  for (uint32_t i = 0; i < m.functions.size(); ++i) {
    const Function& f = m.functions[i];
    if (!(f.body_offset <= f.code_offset && f.code_offset < f.body_end && f.body_end <= m.bytes.size())) {
      return "function body range out of bounds";
    }
    if (f.max_control_depth == 0) return "control depth not recorded";
    FunctionValidator v(ctx, m.num_imported_funcs + i);
    InstrReader reader(m.bytes, f.code_offset, f.body_end);
    Instr in;
    uint32_t count = 0;
    while (!v.done()) {
      if (!reader.next(in)) return "accepted body does not decode again";
      if (!v.step(in)) return "accepted body does not validate again";
      ++count;
    }
    if (!reader.at_end() || count != f.instr_count) return "instruction count differs on re-read";
    if (v.max_stack_height() != f.max_stack_height) return "stack height differs on re-read";
  }
  return nullptr;
}

}  // namespace gpuos::wasm::test

// fuel_modules.h: the small modules the fuel tests meter, on the reference
// executor (fuel_test.cpp) and on the GPU interpreter against it
// (fuel_gpu_main.cpp). Each exports "f", (i32) -> i32.
#pragma once

#include "tests/wasm/wasm_builder.h"

namespace gpuos::vm::test::fuel {

using namespace gpuos::wasm::test;

inline Bytes one_function(const Bytes& body, std::vector<std::pair<uint32_t, wasm::ValType>> locals, bool memory) {
  ModuleBuilder b;
  const uint32_t t = b.add_type({wasm::ValType::I32}, {wasm::ValType::I32});
  b.add_func(t, std::move(locals), body);
  if (memory) b.add_memory(1);
  b.add_export("f", wasm::ExternKind::Func, 0);
  return b.build();
}

// A counting loop: the body's region is the local.get after the loop (1);
// each iteration's region is its 8 instructions, charged on entry. f(n)
// costs 1 + 8n for n >= 1.
inline Bytes counting_loop() {
  return one_function(cat({{0x03, 0x40, 0x20, 1}, i32_const(1),
                           {0x6a, 0x21, 1, 0x20, 1, 0x20, 0, 0x49, 0x0d, 0, 0x0b, 0x20, 1, 0x0b}}),
                      {{1, wasm::ValType::I32}}, false);
}

// local.get 0, if (result i32) then 1 + 2 else 7 end: the body costs 2
// (local.get, if), the then-arm 3, the else-arm 1.
inline Bytes if_arms() {
  return one_function(
      cat({{0x20, 0, 0x04, 0x7f}, i32_const(1), i32_const(2), {0x6a, 0x05}, i32_const(7), {0x0b, 0x0b}}), {}, false);
}

// memory.fill(0, 0, len = arg), then i32.const 0: five instructions, plus
// a unit per 64 bytes filled.
inline Bytes fill() {
  return one_function(cat({i32_const(0), i32_const(0), {0x20, 0, 0xfc, 0x0b, 0x00}, i32_const(0), {0x0b}}), {},
                      true);
}

}  // namespace gpuos::vm::test::fuel

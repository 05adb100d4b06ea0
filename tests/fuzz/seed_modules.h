// seed_modules.h: a few small valid modules that together use every kind of
// section, element/data segment form and most instruction families. They
// seed the libFuzzer corpus (gen_seeds.cpp) and the deterministic mutation
// test (fuzz_fallback_test.cpp), so no binary blobs live in the repo.
#pragma once

#include <vector>

#include "tests/wasm/wasm_builder.h"

namespace gpuos::wasm::test {

inline Bytes kitchen_sink_module() {
  using VT = ValType;
  ModuleBuilder b;
  const uint32_t t_binop = b.add_type({VT::I32, VT::I32}, {VT::I32});
  const uint32_t t_void = b.add_type({}, {});
  const uint32_t t_multi = b.add_type({VT::I32}, {VT::I32, VT::I64});
  const uint32_t t_f64 = b.add_type({VT::F64}, {VT::F64});
  b.import_func("env", "log", t_void);                              // func 0
  b.import_raw("env", "tab", cat({{0x01, 0x6f}, limits(1)}));       // table 0: externref
  b.import_raw("env", "mem", cat({{0x02}, limits(1, 2)}));          // memory 0
  b.import_raw("env", "g", {0x03, 0x7f, 0x00});                     // global 0: const i32
  b.add_func(t_binop, {}, {0x20, 0, 0x20, 1, 0x6a, 0x0b});          // func 1: add
  b.add_func(t_void, {{1, VT::I32}},                                // func 2: loops and memory
             {0x02, 0x40, 0x03, 0x40, 0x20, 0, 0x41, 1, 0x6a, 0x22, 0, 0x41, 10, 0x48, 0x0d, 0, 0x0b, 0x0b,
              0x41, 0, 0x28, 2, 4, 0x1a,                            // i32.load offset=4
              0x41, 8, 0x42, 0x7f, 0x37, 3, 0,                      // i64.store
              0x3f, 0, 0x40, 0, 0x1a,                               // memory.size, memory.grow
              0x41, 0, 0x41, 0, 0x41, 16, 0xfc, 0x0b, 0,            // memory.fill
              0x41, 0, 0x41, 16, 0x41, 4, 0xfc, 0x0a, 0, 0,         // memory.copy
              0x41, 0, 0x41, 0, 0x41, 1, 0xfc, 0x08, 0, 0,          // memory.init 0
              0xfc, 0x09, 0,                                        // data.drop 0
              0x10, 0,                                              // call 0
              0x23, 0, 0x24, 1,                                     // global.get 0, global.set 1
              0x0b});
  b.add_func(t_multi, {}, {0x20, 0, 0x20, 0, 0xac, 0x0b});         // func 3: two results
  b.add_func(t_f64, {},                                             // func 4: f64 math
             {0x20, 0, 0x44, 0, 0, 0, 0, 0, 0, 0, 0x40, 0xa2, 0x9f, 0x0b});
  b.add_func(t_void, {},                                            // func 5: tables, refs, misc
             {0xd2, 1, 0x1a,                                        // ref.func 1
              0x41, 0, 0x25, 1, 0x1a,                               // table.get 1
              0xfc, 0x10, 1, 0x1a,                                  // table.size 1
              0xd0, 0x70, 0x41, 1, 0xfc, 0x0f, 1, 0x1a,             // table.grow 1
              0x41, 0, 0xd0, 0x6f, 0x26, 0,                         // table.set 0
              0x41, 0, 0x41, 0, 0x41, 0, 0xfc, 0x0c, 0, 1,          // table.init elem 0 -> table 1
              0xfc, 0x0d, 0,                                        // elem.drop 0
              0x41, 0, 0x41, 0, 0x41, 0, 0xfc, 0x0e, 1, 1,          // table.copy 1 1
              0x41, 0, 0xd0, 0x70, 0x41, 0, 0xfc, 0x11, 1,          // table.fill 1
              0x41, 3, 0x41, 4, 0x41, 1, 0x11, static_cast<uint8_t>(t_binop), 1, 0x1a,  // call_indirect
              0x41, 1, 0x41, 2, 0x41, 0, 0x1c, 1, 0x7f, 0x1a,       // select (result i32)
              0x43, 0, 0, 0xc0, 0x3f, 0xfc, 0x00, 0xc0, 0x1a,       // trunc_sat, extend8_s
              0x02, 0x7f, 0x41, 1, 0x41, 0, 0x0e, 1, 0, 0, 0x0b, 0x1a,  // br_table
              0x41, 1, 0x04, 0x7e, 0x42, 1, 0x05, 0x42, 2, 0x0b, 0x1a,  // if/else
              0x41, 7, 0x10, 3, 0x1a, 0x1a,                         // multi-value call
              0x0b});
  b.add_table(VT::FuncRef, 4);                                      // table 1
  b.add_global(VT::I32, true, {0x41, 0, 0x0b});                     // global 1
  b.add_global(VT::FuncRef, false, {0xd2, 4, 0x0b});                // global 2
  b.add_export("add", ExternKind::Func, 1);
  b.add_export("main", ExternKind::Func, 2);
  b.add_export("tab", ExternKind::Table, 1);
  b.add_export("g", ExternKind::Global, 1);
  b.set_start(2);
  b.add_elem_raw(cat({{0x01, 0x00}, vec({uleb(1), uleb(2)})}));                  // passive funcidx
  b.add_elem_raw(cat({{0x02}, uleb(1), i32_const(0), {0x0b, 0x00}, vec({uleb(1)})}));  // active table 1
  b.add_elem_raw(cat({{0x07, 0x70}, vec({{0xd2, 5, 0x0b}})}));                   // declarative exprs
  b.add_elem_raw(cat({{0x06}, uleb(0), i32_const(0), {0x0b, 0x6f}, vec({{0xd0, 0x6f, 0x0b}})}));  // active exprs
  b.set_data_count(2);
  b.add_data_raw(cat({{0x01}, str("hello")}));
  b.add_data_raw(cat({{0x00}, i32_const(16), {0x0b}, str("world")}));
  b.add_custom("name", section(1, vec({cat({uleb(1), str("add")}), cat({uleb(2), str("main")})})));
  return b.build();
}

inline Bytes factorial_module() {
  ModuleBuilder b;
  b.add_type({ValType::I64}, {ValType::I64});
  b.add_func(0, {}, {0x20, 0, 0x50, 0x04, 0x7e, 0x42, 1, 0x05, 0x20, 0, 0x20, 0, 0x42, 1, 0x7d, 0x10, 0, 0x7e,
                     0x0b, 0x0b});
  b.add_export("fac", ExternKind::Func, 0);
  return b.build();
}

inline Bytes memory_module() {
  ModuleBuilder b;
  b.add_memory(1, 16);
  b.add_data_raw(cat({{0x00}, i32_const(1024), {0x0b}, str("some data")}));
  b.add_data_raw(cat({{0x02}, uleb(0), i32_const(0), {0x0b}, str("more")}));
  b.add_export("memory", ExternKind::Memory, 0);
  return b.build();
}

inline Bytes unreachable_module() {
  ModuleBuilder b;
  b.add_type({}, {ValType::I32});
  b.add_func(0, {}, {0x02, 0x7f, 0x00, 0x0c, 0, 0x0b, 0x0b});  // block (result i32) unreachable br 0 end
  b.add_func(0, {}, {0x00, 0x6a, 0x1b, 0x0b});                  // polymorphic i32.add, select
  return b.build();
}

inline std::vector<Bytes> seed_modules() {
  return {header(), kitchen_sink_module(), factorial_module(), memory_module(), unreachable_module()};
}

}  // namespace gpuos::wasm::test

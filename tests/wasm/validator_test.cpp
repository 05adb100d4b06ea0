// validator_test.cpp: function-body type checking (including the polymorphic
// stack), module-level rules, constant expressions, recorded stack maxima,
// and the FunctionValidator API a translator uses.
#include "procs/wasm/validator.h"

#include <gtest/gtest.h>

#include <string>

#include "procs/wasm/decoder.h"
#include "tests/wasm/wasm_builder.h"

namespace gpuos::wasm {
namespace {

using namespace test;
using VT = ValType;

// Module with one function of type params -> results and the given body.
Bytes single_func(std::vector<VT> params, std::vector<VT> results, const Bytes& body,
                  std::vector<std::pair<uint32_t, VT>> locals = {}) {
  ModuleBuilder b;
  b.add_type(std::move(params), std::move(results));
  b.add_func(0, std::move(locals), body);
  return b.build();
}

void expect_valid(const Bytes& bytes) {
  const auto r = load_module(bytes);
  EXPECT_TRUE(r.ok()) << r.detail();
}

void expect_invalid(const Bytes& bytes, const std::string& reason, WasmError code = WasmError::Invalid) {
  const auto r = load_module(bytes);
  ASSERT_FALSE(r.ok()) << "expected: " << reason;
  EXPECT_EQ(r.code(), code) << r.detail();
  EXPECT_EQ(std::string(reason_of(r.detail())).rfind(reason, 0), 0u) << r.detail();
}

TEST(Validator, SimpleFunctionAndStats) {
  // (i32.add (local.get 0) (i32.mul (local.get 1) (i32.const 3)))
  const auto r = load_module(single_func({VT::I32, VT::I32}, {VT::I32},
                                         {0x20, 0, 0x20, 1, 0x41, 3, 0x6c, 0x6a, 0x0b}));
  ASSERT_TRUE(r.ok()) << r.detail();
  EXPECT_EQ(r->functions[0].max_stack_height, 3u);
  EXPECT_EQ(r->functions[0].max_control_depth, 1u);
}

TEST(Validator, NestingDepth) {
  // block (block (loop (nop))) and an if inside
  const auto r = load_module(single_func(
      {}, {}, {0x02, 0x40, 0x02, 0x40, 0x03, 0x40, 0x41, 1, 0x04, 0x40, 0x01, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b}));
  ASSERT_TRUE(r.ok()) << r.detail();
  EXPECT_EQ(r->functions[0].max_control_depth, 5u);
  EXPECT_EQ(r->functions[0].max_stack_height, 1u);
}

TEST(Validator, TypeMismatchDetail) {
  ModuleBuilder b;
  b.add_type({}, {VT::I32});
  b.add_func(0, {}, {0x42, 1, 0x41, 1, 0x6a, 0x0b});  // i64.const 1; i32.const 1; i32.add
  b.add_custom("name", section(1, vec({cat({uleb(0), str("adder")})})));
  const auto r = load_module(b.build());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), WasmError::Invalid);
  EXPECT_EQ(reason_of(r.detail()), "type mismatch: expected i32 but got i64");
  EXPECT_NE(r.detail().find("code section, function 0 \"adder\", body +0x5)"), std::string::npos) << r.detail();
  EXPECT_NE(r.detail().find("(at 0x"), std::string::npos);
}

TEST(Validator, StackDiscipline) {
  expect_invalid(single_func({}, {VT::I32}, {0x0b}), "type mismatch");
  expect_invalid(single_func({}, {}, {0x41, 1, 0x0b}), "type mismatch");
  expect_invalid(single_func({}, {}, {0x6a, 0x0b}), "type mismatch");
  expect_invalid(single_func({}, {}, {0x1a, 0x0b}), "type mismatch");
  // A block cannot pop values from outside.
  expect_invalid(single_func({}, {}, {0x41, 1, 0x02, 0x40, 0x1a, 0x0b, 0x0b}), "type mismatch");
  expect_valid(single_func({}, {VT::I32}, {0x41, 1, 0x0f, 0x0b}));
}

TEST(Validator, UnreachableIsPolymorphic) {
  expect_valid(single_func({}, {VT::I32}, {0x00, 0x0b}));
  expect_valid(single_func({}, {VT::I32}, {0x00, 0x6a, 0x0b}));
  expect_valid(single_func({}, {}, {0x00, 0x1b, 0x1a, 0x0b}));  // select on unknowns
  expect_valid(single_func({}, {VT::I64}, {0x42, 0, 0x0c, 0, 0x6a, 0x1a, 0x42, 0, 0x0b}));
  // Known operands still have to match.
  expect_invalid(single_func({}, {}, {0x00, 0x42, 0, 0x6a, 0x1a, 0x0b}), "type mismatch");
  // Untyped select refuses references even in dead code.
  expect_invalid(single_func({}, {}, {0x00, 0xd0, 0x70, 0x41, 0, 0x1b, 0x1a, 0x0b}), "type mismatch");
  // br_table to labels of different types: fine on a polymorphic stack.
  expect_valid(single_func({}, {}, {0x02, 0x7c, 0x02, 0x7d, 0x00, 0x41, 1, 0x0e, 0x02, 0, 1, 1, 0x0b, 0x1a,
                                    0x44, 0, 0, 0, 0, 0, 0, 0, 0, 0x0b, 0x1a, 0x0b}));
  // ... but not when a concrete value is there.
  expect_invalid(single_func({}, {}, {0x02, 0x7c, 0x02, 0x7d, 0x43, 0, 0, 0, 0, 0x41, 1, 0x0e, 0x02, 0, 1, 1,
                                      0x0b, 0x1a, 0x44, 0, 0, 0, 0, 0, 0, 0, 0, 0x0b, 0x1a, 0x0b}),
                 "type mismatch");
}

TEST(Validator, Branches) {
  expect_invalid(single_func({}, {}, {0x0c, 1, 0x0b}), "unknown label");
  expect_valid(single_func({}, {VT::I32}, {0x02, 0x7f, 0x41, 1, 0x41, 0, 0x0d, 0, 0x0b, 0x0b}));
  // br_table arity must agree.
  expect_invalid(single_func({}, {}, {0x02, 0x40, 0x02, 0x7f, 0x41, 0, 0x0e, 1, 0, 1, 0x0b, 0x0b, 0x0b}),
                 "type mismatch");
  // Loop labels take the loop's parameters.
  ModuleBuilder b;
  const uint32_t t = b.add_type({}, {});
  const uint32_t loop_type = b.add_type({VT::I32}, {VT::I32});
  (void)t;
  b.add_func(0, {}, {0x41, 1, 0x03, static_cast<uint8_t>(loop_type), 0x41, 0, 0x0d, 0, 0x0b, 0x1a, 0x0b});
  expect_valid(b.build());
}

TEST(Validator, IfElseAndMultiValue) {
  ModuleBuilder b;
  b.add_type({}, {});
  const uint32_t pass = b.add_type({VT::I32}, {VT::I32});
  const uint32_t two = b.add_type({}, {VT::I32, VT::I64});
  // if with params and no else: params pass through.
  b.add_func(0, {}, {0x41, 5, 0x41, 1, 0x04, static_cast<uint8_t>(pass), 0x0b, 0x1a, 0x0b});
  // block returning two values.
  b.add_func(0, {}, {0x02, static_cast<uint8_t>(two), 0x41, 1, 0x42, 2, 0x0b, 0x1a, 0x1a, 0x0b});
  expect_valid(b.build());
  // if (result i32) without else.
  expect_invalid(single_func({}, {}, {0x41, 1, 0x04, 0x7f, 0x41, 1, 0x0b, 0x1a, 0x0b}), "type mismatch");
  // if condition missing.
  expect_invalid(single_func({}, {}, {0x04, 0x40, 0x0b, 0x0b}), "type mismatch");
  // else branch of wrong type.
  expect_invalid(single_func({}, {VT::I32}, {0x41, 1, 0x04, 0x7f, 0x41, 1, 0x05, 0x42, 1, 0x0b, 0x0b}),
                 "type mismatch");
  expect_invalid(single_func({}, {}, {0x02, 0x09, 0x0b, 0x0b}), "unknown type");
}

TEST(Validator, Variables) {
  expect_invalid(single_func({VT::I32}, {}, {0x20, 1, 0x1a, 0x0b}), "unknown local");
  expect_valid(single_func({VT::I32}, {VT::F64}, {0x20, 1, 0x0b}, {{1, VT::F64}}));
  expect_invalid(single_func({}, {}, {0x23, 0, 0x1a, 0x0b}), "unknown global");
  ModuleBuilder b;
  b.add_type({}, {});
  b.add_global(VT::I32, false, {0x41, 0, 0x0b});
  b.add_func(0, {}, {0x41, 1, 0x24, 0, 0x0b});
  expect_invalid(b.build(), "global is immutable");
}

TEST(Validator, CallsAndTables) {
  ModuleBuilder b;
  const uint32_t t = b.add_type({VT::I32}, {VT::I32});
  b.add_table(VT::FuncRef, 1);
  b.add_func(t, {}, {0x20, 0, 0x10, 0, 0x0b});                    // call 0
  b.add_func(t, {}, {0x20, 0, 0x41, 0, 0x11, 0, 0, 0x0b});         // call_indirect type 0 table 0
  expect_valid(b.build());
  expect_invalid(single_func({}, {}, {0x10, 3, 0x0b}), "unknown function");
  expect_invalid(single_func({}, {}, {0x41, 0, 0x11, 0, 0, 0x0b}), "unknown table");
  ModuleBuilder c;
  c.add_type({}, {});
  c.add_table(VT::ExternRef, 1);
  c.add_func(0, {}, {0x41, 0, 0x11, 0, 0, 0x0b});
  expect_invalid(c.build(), "type mismatch");
}

TEST(Validator, MemoryInstructions) {
  expect_invalid(single_func({}, {}, {0x41, 0, 0x28, 2, 0, 0x1a, 0x0b}), "unknown memory");
  ModuleBuilder b;
  b.add_type({}, {});
  b.add_memory(1);
  b.add_func(0, {}, {0x41, 0, 0x28, 3, 0, 0x1a, 0x0b});  // i32.load align=8
  expect_invalid(b.build(), "alignment must not be larger than natural");
  ModuleBuilder c;
  c.add_type({}, {});
  c.add_memory(1);
  c.set_data_count(1);
  c.add_func(0, {}, {0x41, 0, 0x41, 0, 0x41, 0, 0xfc, 0x08, 1, 0, 0x0b});  // memory.init 1
  c.add_data_raw(cat({{0x01}, str("x")}));
  expect_invalid(c.build(), "unknown data segment");
}

TEST(Validator, References) {
  expect_invalid(single_func({}, {}, {0xd2, 0, 0x1a, 0x0b}), "undeclared function reference");
  ModuleBuilder b;
  b.add_type({}, {});
  b.add_func(0, {}, {0xd2, 0, 0xd1, 0x1a, 0x0b});
  b.add_elem_raw(cat({{0x03, 0x00}, vec({uleb(0)})}));  // declarative segment declares function 0
  expect_valid(b.build());
  expect_invalid(single_func({}, {}, {0x41, 0, 0xd1, 0x1a, 0x0b}), "type mismatch");
  // select (result i32 i32)
  expect_invalid(single_func({}, {}, {0x41, 0, 0x41, 0, 0x41, 0, 0x1c, 2, 0x7f, 0x7f, 0x1a, 0x0b}),
                 "invalid result arity");
  ModuleBuilder c;
  c.add_type({}, {});
  c.add_table(VT::FuncRef, 1);
  c.add_elem_raw(cat({{0x05, 0x6f}, vec({{0xd0, 0x6f, 0x0b}})}));  // passive externref segment
  c.add_func(0, {}, {0x41, 0, 0x41, 0, 0x41, 0, 0xfc, 0x0c, 0, 0, 0x0b});  // table.init 0 0
  expect_invalid(c.build(), "type mismatch");
}

TEST(Validator, ConstantExpressions) {
  ModuleBuilder a;
  a.add_global(VT::I32, false, {0x41, 1, 0x41, 2, 0x6a, 0x0b});
  expect_invalid(a.build(), "constant expression required");
  ModuleBuilder b;
  b.add_global(VT::I32, false, {0x41, 1, 0x0b});
  b.add_global(VT::I32, false, {0x23, 0, 0x0b});  // only imported globals are visible
  expect_invalid(b.build(), "unknown global 0");
  ModuleBuilder c;
  c.import_raw("env", "g", {0x03, 0x7f, 0x01});
  c.add_global(VT::I32, false, {0x23, 0, 0x0b});  // mutable import
  expect_invalid(c.build(), "constant expression required");
  ModuleBuilder d;
  d.import_raw("env", "g", {0x03, 0x7f, 0x00});
  d.add_global(VT::I32, false, {0x23, 0, 0x0b});
  d.add_global(VT::I64, false, {0x41, 0, 0x0b});
  expect_invalid(d.build(), "type mismatch");
  ModuleBuilder e;
  e.add_global(VT::I32, false, {0x0b});
  expect_invalid(e.build(), "type mismatch");
  ModuleBuilder f;
  f.add_global(VT::I32, false, {0x41, 0, 0x41, 0, 0x0b});
  expect_invalid(f.build(), "type mismatch");
  ModuleBuilder g;  // ref.func in a global declares the function
  g.add_type({}, {});
  g.add_global(VT::FuncRef, false, {0xd2, 0, 0x0b});
  g.add_func(0, {}, {0xd2, 0, 0x1a, 0x0b});
  expect_valid(g.build());
}

TEST(Validator, ModuleRules) {
  ModuleBuilder a;
  a.add_memory(1);
  a.add_memory(1);
  expect_invalid(a.build(), "multiple memories");
  ModuleBuilder b;
  b.add_memory(65537);
  expect_invalid(b.build(), "memory size must be at most 65536 pages (4GiB)");
  ModuleBuilder c;
  c.add_memory(2, 1);
  expect_invalid(c.build(), "size minimum must not be greater than maximum");
  ModuleBuilder d;
  d.add_table(VT::FuncRef, 5, 4);
  expect_invalid(d.build(), "size minimum must not be greater than maximum");
  ModuleBuilder e;
  e.add_type({VT::I32}, {});
  e.add_func(0, {}, {0x0b});
  e.set_start(0);
  expect_invalid(e.build(), "start function");
  ModuleBuilder f;
  f.add_type({}, {});
  f.add_func(0, {}, {0x0b});
  f.add_export("a", ExternKind::Func, 0);
  f.add_export("a", ExternKind::Func, 0);
  expect_invalid(f.build(), "duplicate export name");
  ModuleBuilder g;
  g.add_export("m", ExternKind::Memory, 0);
  expect_invalid(g.build(), "unknown memory 0");
  ModuleBuilder h;
  h.add_type({}, {});
  h.import_func("env", "f", 4);
  expect_invalid(h.build(), "unknown type");
  ModuleBuilder i;
  i.add_data_raw(cat({{0x00}, i32_const(0), {0x0b}, str("x")}));
  expect_invalid(i.build(), "unknown memory 0");
  ModuleBuilder j;
  j.add_type({}, {});
  j.add_func(0, {}, {0x0b});
  j.add_elem_raw(cat({{0x00}, i32_const(0), {0x0b}, vec({uleb(0)})}));
  expect_invalid(j.build(), "unknown table 0");
}

TEST(Validator, StackHeightLimit) {
  Bytes body;
  for (uint32_t i = 0; i <= kMaxOperandStackHeight; ++i) body.insert(body.end(), {0x41, 0});
  body.push_back(0x0b);
  expect_invalid(single_func({}, {}, body), "operand stack too deep", WasmError::LimitExceeded);
}

TEST(FunctionValidator, TranslatorCanWatchTheStack) {
  const auto decoded = decode_module(single_func({VT::F32}, {VT::F64}, {0x20, 0, 0xbb, 0x0b}));
  ASSERT_TRUE(decoded.ok()) << decoded.detail();
  const Module& m = decoded.value();
  const ValidationContext ctx = ValidationContext::build(m);
  FunctionValidator v(ctx, 0);
  EXPECT_EQ(v.num_locals(), 1u);
  EXPECT_EQ(v.local_type(0), VT::F32);
  const Function& f = m.functions[0];
  InstrReader reader(m.bytes, f.code_offset, f.body_end);
  Instr in;
  std::vector<std::vector<VT>> stacks;
  while (!v.done()) {
    ASSERT_TRUE(reader.next(in));
    ASSERT_TRUE(v.step(in)) << v.diagnostic().reason;
    stacks.emplace_back(v.operands().begin(), v.operands().end());
  }
  ASSERT_EQ(stacks.size(), 3u);
  EXPECT_EQ(stacks[0], (std::vector<VT>{VT::F32}));
  EXPECT_EQ(stacks[1], (std::vector<VT>{VT::F64}));
  EXPECT_TRUE(reader.at_end());
}

}  // namespace
}  // namespace gpuos::wasm

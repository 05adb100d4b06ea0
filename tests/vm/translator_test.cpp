// translator_test.cpp: what the translator emits for small hand-built modules.
#include "tests/vm/vm_test_util.h"

namespace gpuos::vm::test {
namespace {

uint32_t w(Op op, uint16_t high = 0) { return opcode_word(op, high); }

TEST(Translator, AddIsOneInstructionOnParamSlots) {
  ModuleBuilder b;
  const uint32_t t = b.add_type({I32, I32}, {I32});
  b.add_func(t, {}, {0x20, 0, 0x20, 1, 0x6a, 0x0b});  // local.get 0, local.get 1, i32.add, end
  const ProgramImage img = translate_bytes(b.build());
  // Frame: s0 s1 params, s2 first operand-stack slot. local.get costs nothing.
  const std::vector<uint32_t> want = {w(Op::I32Add), 2, 0, 1, w(Op::Return), 2, 1};
  EXPECT_EQ(img.code, want) << disassemble_function(img, 0);
  EXPECT_EQ(img.functions[0].frame_slots, 4u);  // 2 params + max stack height 2
  EXPECT_EQ(img.functions[0].entry, 0u);
}

TEST(Translator, LocalSetRetargetsTheResult) {
  ModuleBuilder b;
  const uint32_t t = b.add_type({I32}, {I32});
  // local.get 0, i32.const 1, i32.add, local.set 1, local.get 1, end
  b.add_func(t, {{1, I32}}, cat({{0x20, 0}, i32_const(1), {0x6a, 0x21, 1, 0x20, 1, 0x0b}}));
  const ProgramImage img = translate_bytes(b.build());
  // stack_base = 2: the constant goes to s3, the sum straight into local s1.
  const std::vector<uint32_t> want = {w(Op::Const32), 3, 1, w(Op::I32Add), 1, 0, 3,
                                      w(Op::Copy), 2, 1, w(Op::Return), 2, 1};
  EXPECT_EQ(img.code, want) << disassemble_function(img, 0);
}

TEST(Translator, PendingLocalGetIsMaterialisedBeforeTheLocalChanges) {
  ModuleBuilder b;
  const uint32_t t = b.add_type({I32}, {I32});
  // local.get 0 (pending), i32.const 7, local.set 0, (old value must survive), end
  b.add_func(t, {}, cat({{0x20, 0}, i32_const(7), {0x21, 0, 0x0b}}));
  Harness h([&] {
    b.add_export("f", ExternKind::Func, 0);
    return b.build();
  }());
  auto r = h.call("f", {41});
  ASSERT_FALSE(r.trap);
  EXPECT_EQ(r.results, std::vector<ref::Slot>{41});
}

TEST(Translator, BranchTargetsAreResolvedWordOffsets) {
  ModuleBuilder b;
  const uint32_t t = b.add_type({I32}, {I32});
  // block (result i32) i32.const 1, local.get 0, br_if 0, drop, i32.const 2, end, end
  b.add_func(t, {}, cat({{0x02, 0x7f}, i32_const(1), {0x20, 0, 0x0d, 0, 0x1a}, i32_const(2), {0x0b, 0x0b}}));
  b.add_export("f", ExternKind::Func, 0);
  const Bytes bytes = b.build();
  const ProgramImage img = translate_bytes(bytes);
  expect_well_formed(img);
  Harness h(bytes);
  EXPECT_EQ(h.call("f", {1}).results, std::vector<ref::Slot>{1});
  EXPECT_EQ(h.call("f", {0}).results, std::vector<ref::Slot>{2});
}

TEST(Translator, BrTableCarriesValuesThroughStubs) {
  ModuleBuilder b;
  const uint32_t t = b.add_type({I32}, {I32});
  // block (result i32) block (result i32) i32.const 10, i32.const 20, drop... keep simple:
  // (block $a (result i32) (block $b (result i32) (i32.const 5) (local.get 0) (br_table $b $a $a))
  //  (i32.const 100) (i32.add)) end
  b.add_func(t, {}, cat({{0x02, 0x7f, 0x02, 0x7f}, i32_const(5), {0x20, 0, 0x0e, 2, 0, 1, 1, 0x0b},
                         i32_const(100), {0x6a, 0x0b, 0x0b}}));
  b.add_export("f", ExternKind::Func, 0);
  const Bytes bytes = b.build();
  expect_well_formed(translate_bytes(bytes));
  Harness h(bytes);
  EXPECT_EQ(h.call("f", {0}).results, std::vector<ref::Slot>{105});
  EXPECT_EQ(h.call("f", {1}).results, std::vector<ref::Slot>{5});
  EXPECT_EQ(h.call("f", {9}).results, std::vector<ref::Slot>{5});
}

TEST(Translator, CallPassesArgumentsInPlace) {
  ModuleBuilder b;
  const uint32_t t2 = b.add_type({I32, I32}, {I32});
  const uint32_t t1 = b.add_type({I32}, {I32});
  const uint32_t sub = b.add_func(t2, {}, {0x20, 0, 0x20, 1, 0x6b, 0x0b});
  // f(x) = sub(x, 3)
  b.add_func(t1, {}, cat({{0x20, 0}, i32_const(3), {0x10, static_cast<uint8_t>(sub), 0x0b}}));
  b.add_export("f", ExternKind::Func, 1);
  const Bytes bytes = b.build();
  const ProgramImage img = translate_bytes(bytes);
  const std::string listing = disassemble_function(img, 1);
  EXPECT_NE(listing.find("call 0 1"), std::string::npos) << listing;  // callee frame at slot 1
  Harness h(bytes);
  EXPECT_EQ(h.call("f", {10}).results, std::vector<ref::Slot>{7});
}

TEST(Translator, DeadCodeAfterBranchIsSkipped) {
  ModuleBuilder b;
  const uint32_t t = b.add_type({}, {I32});
  // i32.const 1, return, i32.const 2, i32.const 3, i32.add, end
  b.add_func(t, {}, cat({i32_const(1), {0x0f}, i32_const(2), i32_const(3), {0x6a, 0x0b}}));
  const ProgramImage img = translate_bytes(b.build());
  const std::vector<uint32_t> want = {w(Op::Const32), 0, 1, w(Op::Return), 0, 1};
  EXPECT_EQ(img.code, want) << disassemble_function(img, 0);
}

TEST(Translator, DebugTableMapsWordsToWasmOffsets) {
  ModuleBuilder b;
  const uint32_t t = b.add_type({I32, I32}, {I32});
  b.add_func(t, {}, {0x20, 0, 0x20, 1, 0x6d, 0x0b});  // i32.div_s
  b.add_export("div", ExternKind::Func, 0);
  b.add_custom("name", cat({{1}, uleb(6), uleb(1), uleb(0), str("div")}));
  const Bytes bytes = b.build();
  wasm::Module m;
  const ProgramImage img = translate_bytes(bytes, &m);
  const uint32_t div_offset = m.functions[0].code_offset + 4;
  ASSERT_NE(img.locate(0), nullptr);
  EXPECT_EQ(img.locate(0)->wasm_offset, div_offset);
  Harness h(bytes);
  auto r = h.call("div", {1, 0});
  EXPECT_EQ(r.trap.kind, TrapKind::IntegerDivideByZero);
  EXPECT_EQ(r.trap.func, 0u);
  EXPECT_EQ(r.trap.wasm_offset, div_offset);
  EXPECT_EQ(r.trap.function_name, "div");
  EXPECT_NE(r.trap.describe().find("integer divide by zero in function 0 \"div\""), std::string::npos);
}

TEST(Translator, TypeSignatureIdsAreStructural) {
  ModuleBuilder b;
  b.add_type({I32}, {I32});
  b.add_type({I64}, {});
  b.add_type({I32}, {I32});
  const ProgramImage img = translate_bytes(b.build());
  EXPECT_EQ(img.type_sig_ids, (std::vector<uint32_t>{0, 1, 0}));
}

}  // namespace
}  // namespace gpuos::vm::test

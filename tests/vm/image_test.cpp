// image_test.cpp: ProgramImage serialisation and the opcode table.
#include "tests/vm/vm_test_util.h"

namespace gpuos::vm::test {
namespace {

TEST(Image, SerialisedBlobRoundTrips) {
  ModuleBuilder b;
  const uint32_t t = b.add_type({I32}, {I32});
  b.import_func("env", "host", t);
  b.add_table(ValType::FuncRef, 2, 8);
  b.add_memory(1, 3);
  b.add_global(I64, true, {0x42, 0x7f, 0x0b});
  b.add_func(t, {{2, F64}}, {0x20, 0, 0x10, 0, 0x0b});
  b.add_export("f", ExternKind::Func, 1);
  b.add_elem_raw(cat({{0x00}, i32_const(0), {0x0b}, vec({uleb(1)})}));
  b.add_data_raw(cat({{0x00}, i32_const(4), {0x0b}, str("hello")}));
  const ProgramImage img = translate_bytes(b.build());
  const std::vector<uint8_t> blob = serialize(img);
  EXPECT_EQ(blob.size() % 4, 0u);
  auto back = deserialize(blob);
  ASSERT_TRUE(back.ok()) << back.detail();
  EXPECT_EQ(*back, img);
  EXPECT_EQ(back->imports.at(0).name, "host");
  EXPECT_EQ(back->data.at(0).bytes, (std::vector<uint8_t>{'h', 'e', 'l', 'l', 'o'}));
}

TEST(Image, TruncatedOrForeignBlobsAreRefused) {
  ModuleBuilder b;
  b.add_func(b.add_type({}, {}), {}, {0x0b});
  const std::vector<uint8_t> blob = serialize(translate_bytes(b.build()));
  for (size_t cut : {size_t{0}, size_t{8}, blob.size() - 4}) {
    EXPECT_FALSE(deserialize(std::span(blob).first(cut)).ok()) << cut;
  }
  std::vector<uint8_t> bad = blob;
  bad[0] ^= 1;
  EXPECT_EQ(deserialize(bad).code(), ImageError::Malformed);
  bad = blob;
  bad[4] = 99;
  EXPECT_EQ(deserialize(bad).code(), ImageError::VersionMismatch);
}

TEST(Bytecode, OpcodeTableIsConsistent) {
  int count = 0;
  for (uint32_t code = 0; code < kNumOpcodes; ++code) {
    const OpInfo* info = op_info(static_cast<uint16_t>(code));
    if (!info) continue;
    ++count;
    EXPECT_EQ(static_cast<uint32_t>(info->op), code);
    EXPECT_TRUE(code < kHostCallFirst) << "opcode in a reserved range: " << code;
    EXPECT_LE(info->num_operands, 5);
  }
  EXPECT_GT(count, 180);
  EXPECT_EQ(op_info(Op::I32Add)->form, Form::DAB);
  EXPECT_EQ(op_info(Op::I64Load32U)->form, Form::Load);
  EXPECT_STREQ(trap_message(TrapKind::IntegerOverflow), "integer overflow");
}

}  // namespace
}  // namespace gpuos::vm::test

#include "procs/vm/verify.h"

namespace gpuos::vm::test {
namespace {

TEST(Verify, AcceptsTranslatorOutputAndRefusesCorruptCode) {
  ModuleBuilder b;
  const uint32_t t = b.add_type({I32}, {I32});
  // block (result i32) i32.const 1, local.get 0, br_if 0, drop, i32.const 2, end, end
  b.add_func(t, {}, cat({{0x02, 0x7f}, i32_const(1), {0x20, 0, 0x0d, 0, 0x1a}, i32_const(2), {0x0b, 0x0b}}));
  const ProgramImage img = translate_bytes(b.build());
  ASSERT_TRUE(verify(img).ok()) << verify(img).detail() << disassemble_function(img, 0);

  ProgramImage slot = img;
  slot.code[1] = img.functions[0].frame_slots;  // const32's destination just past the frame
  EXPECT_FALSE(verify(slot).ok());

  ProgramImage target = img;
  for (uint32_t pc = 0; pc < target.code.size(); pc += 1 + op_info(opcode_of(target.code[pc]))->num_operands) {
    if (opcode_of(target.code[pc]) == static_cast<uint16_t>(Op::BrIf)) target.code[pc + 2] += 1;  // mid-instruction
  }
  EXPECT_FALSE(verify(target).ok());

  ProgramImage opcode = img;
  opcode.code[0] = 0x0fff;
  EXPECT_FALSE(verify(opcode).ok());
}

}  // namespace
}  // namespace gpuos::vm::test

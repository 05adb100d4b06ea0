// instr_reader_test.cpp: instruction decoding (immediates, offsets, errors),
// read_expr structure checks, and consistency of the opcode table.
#include "procs/wasm/instr_reader.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "tests/wasm/wasm_builder.h"

namespace gpuos::wasm {
namespace {

using test::Bytes;
using test::cat;

// Decodes all instructions of `code`; stops at the first failure.
std::vector<Instr> decode_all(const Bytes& code, Diagnostic* diag = nullptr) {
  InstrReader r(code, 0, static_cast<uint32_t>(code.size()));
  std::vector<Instr> out;
  Instr in;
  while (!r.at_end() && r.next(in)) {
    Instr copy = in;
    copy.targets = {};  // the reader's buffer is reused
    out.push_back(copy);
  }
  if (diag) *diag = r.diagnostic();
  return out;
}

TEST(InstrReader, ImmediatesAndOffsets) {
  const Bytes code = cat({
      {0x02, 0x40},                    // 0: block (empty)
      {0x03, 0x7f},                    // 2: loop (result i32)
      {0x04, 0x05},                    // 4: if (type 5)
      {0x41}, test::sleb(-1),          // 6: i32.const -1
      {0x42}, test::sleb(1LL << 40),   // 8: i64.const 2^40
      {0x43, 0x00, 0x00, 0x80, 0x3f},  // f32.const 1.0
      {0x44, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f},  // f64.const 1.0
      {0x28, 0x02, 0x10},              // i32.load align=2 offset=16
      {0x11, 0x03, 0x01},              // call_indirect type 3 table 1
      {0xd0, 0x6f},                    // ref.null extern
      {0x1c, 0x01, 0x7e},              // select (result i64)
      {0xfc, 0x08, 0x02, 0x00},        // memory.init 2
      {0xfc, 0x0e, 0x01, 0x02},        // table.copy 1 2
      {0xfc, 0x0c, 0x04, 0x05},        // table.init elem 4, table 5
      {0xfc, 0x00},                    // i32.trunc_sat_f32_s
      {0x3f, 0x00},                    // memory.size
  });
  Diagnostic diag;
  const auto ins = decode_all(code, &diag);
  ASSERT_EQ(ins.size(), 16u) << diag.reason;
  EXPECT_EQ(ins[0].op, Op::Block);
  EXPECT_EQ(ins[0].block.kind, BlockType::Kind::Empty);
  EXPECT_EQ(ins[1].op, Op::Loop);
  EXPECT_EQ(ins[1].block.kind, BlockType::Kind::Value);
  EXPECT_EQ(ins[1].block.value, ValType::I32);
  EXPECT_EQ(ins[2].block.kind, BlockType::Kind::TypeIndex);
  EXPECT_EQ(ins[2].block.type_index, 5u);
  EXPECT_EQ(ins[3].offset, 6u);
  EXPECT_EQ(ins[3].end, 8u);
  EXPECT_EQ(static_cast<int64_t>(ins[3].bits), -1);
  EXPECT_EQ(ins[4].bits, uint64_t{1} << 40);
  EXPECT_EQ(ins[5].bits, 0x3f800000u);
  EXPECT_EQ(ins[6].bits, 0x3ff0000000000000u);
  EXPECT_EQ(ins[7].mem.align, 2u);
  EXPECT_EQ(ins[7].mem.offset, 16u);
  EXPECT_EQ(ins[8].index, 3u);
  EXPECT_EQ(ins[8].index2, 1u);
  EXPECT_EQ(ins[9].type, ValType::ExternRef);
  EXPECT_EQ(ins[10].op, Op::SelectT);
  EXPECT_EQ(ins[10].type_count, 1u);
  EXPECT_EQ(ins[10].type, ValType::I64);
  EXPECT_EQ(ins[11].op, Op::MemoryInit);
  EXPECT_EQ(ins[11].index, 2u);
  EXPECT_EQ(ins[12].op, Op::TableCopy);
  EXPECT_EQ(ins[12].index, 1u);
  EXPECT_EQ(ins[12].index2, 2u);
  EXPECT_EQ(ins[13].index, 4u);
  EXPECT_EQ(ins[13].index2, 5u);
  EXPECT_EQ(ins[14].op, Op::I32TruncSatF32S);
  EXPECT_STREQ(ins[14].info->mnemonic, "i32.trunc_sat_f32_s");
  EXPECT_EQ(ins[15].op, Op::MemorySize);
  EXPECT_EQ(ins[15].end, code.size());
}

TEST(InstrReader, BrTableTargets) {
  const Bytes code{0x0e, 0x03, 0x00, 0x01, 0x02, 0x04};
  InstrReader r(code, 0, static_cast<uint32_t>(code.size()));
  Instr in;
  ASSERT_TRUE(r.next(in));
  EXPECT_EQ(in.op, Op::BrTable);
  ASSERT_EQ(in.targets.size(), 3u);
  EXPECT_EQ(in.targets[2], 2u);
  EXPECT_EQ(in.index, 4u);  // default label
}

TEST(InstrReader, EncodingErrors) {
  Diagnostic diag;
  decode_all({0x01, 0xff}, &diag);
  EXPECT_EQ(diag.code, WasmError::Malformed);
  EXPECT_EQ(diag.reason, "illegal opcode 0xff");
  EXPECT_EQ(diag.offset, 1u);

  decode_all({0xfc, 0x63}, &diag);
  EXPECT_EQ(diag.reason, "illegal opcode 0xfc 0x63");

  decode_all({0x40, 0x01}, &diag);  // memory.grow with a memory index
  EXPECT_EQ(diag.reason, "zero byte expected");
  EXPECT_EQ(diag.offset, 1u);

  decode_all({0x41, 0x80}, &diag);  // i32.const cut short
  EXPECT_TRUE(diag.truncated);

  decode_all({0x1c, 0x01, 0x60}, &diag);
  EXPECT_EQ(diag.reason.rfind("malformed value type", 0), 0u);

  decode_all({0xd0, 0x7f}, &diag);
  EXPECT_EQ(diag.reason.rfind("malformed reference type", 0), 0u);
}

TEST(InstrReader, ProposalsBeyondScopeAreUnsupported) {
  Diagnostic diag;
  for (uint8_t byte : {0xfd, 0xfe, 0xfb, 0x06, 0x12}) {
    decode_all({0x01, byte, 0x00, 0x00}, &diag);
    EXPECT_EQ(diag.code, WasmError::Unsupported) << int(byte);
    EXPECT_NE(diag.reason.find("not supported"), std::string::npos);
  }
  decode_all({0xfd, 0x0c}, &diag);
  EXPECT_NE(diag.reason.find("SIMD"), std::string::npos);
  decode_all({0x28, 0x42, 0x00, 0x00}, &diag);  // memarg with a memory index
  EXPECT_EQ(diag.code, WasmError::Unsupported);
}

TEST(ReadExpr, StructureAndSummary) {
  // block; if; else; end; end; memory.init 0; end
  const Bytes code{0x02, 0x40, 0x41, 0x01, 0x04, 0x40, 0x05, 0x0b, 0x0b, 0xfc, 0x08, 0x00, 0x00, 0x0b};
  InstrReader r(code, 0, static_cast<uint32_t>(code.size()));
  ExprSummary summary;
  ASSERT_TRUE(read_expr(r, summary)) << r.diagnostic().reason;
  EXPECT_EQ(summary.end, code.size());
  EXPECT_EQ(summary.instr_count, 8u);
  EXPECT_TRUE(summary.uses_data_count);
  EXPECT_EQ(summary.first.op, Op::Block);
}

TEST(ReadExpr, MisplacedElseAndMissingEnd) {
  for (const Bytes& code : {Bytes{0x05, 0x0b}, Bytes{0x02, 0x40, 0x05, 0x0b, 0x0b},
                            Bytes{0x41, 0x01, 0x04, 0x40, 0x05, 0x05, 0x0b, 0x0b}}) {
    InstrReader r(code, 0, static_cast<uint32_t>(code.size()));
    ExprSummary summary;
    EXPECT_FALSE(read_expr(r, summary));
    EXPECT_EQ(r.diagnostic().reason, "END opcode expected");
  }
  const Bytes open{0x02, 0x40, 0x0b};
  InstrReader r(open, 0, static_cast<uint32_t>(open.size()));
  ExprSummary summary;
  EXPECT_FALSE(read_expr(r, summary));
  EXPECT_TRUE(summary.truncated);
}

TEST(OpcodeTable, Consistent) {
  std::set<uint16_t> seen;
  int count = 0;
  for (int byte = 0; byte < 256; ++byte) {
    if (const OpInfo* info = op_info(static_cast<uint8_t>(byte))) {
      EXPECT_EQ(info->code, byte);
      EXPECT_EQ(info->prefix, 0);
      EXPECT_EQ(op_info(info->op), info);
      EXPECT_TRUE(seen.insert(static_cast<uint16_t>(info->op)).second);
      EXPECT_EQ(unsupported_opcode_feature(static_cast<uint8_t>(byte)), nullptr);
      ++count;
    }
    if (const OpInfo* info = op_info_fc(byte)) {
      EXPECT_EQ(info->code, byte);
      EXPECT_EQ(info->prefix, 0xfc);
      EXPECT_EQ(op_info(info->op), info);
      ++count;
    }
  }
  // MVP, sign extension, saturating truncation, bulk memory (7), reference
  // types (select t, table.get/set/grow/size/fill, ref.null/is_null/func).
  EXPECT_EQ(count, 172 + 5 + 8 + 7 + 9);
  EXPECT_EQ(op_info(Op::I64Load32U)->natural_align, 2);
  EXPECT_EQ(op_info(Op::F64Store)->natural_align, 3);
  EXPECT_EQ(op_info(Op::I32Add)->num_pops, 2);
  EXPECT_FALSE(op_info(Op::I32Add)->custom);
  EXPECT_TRUE(op_info(Op::Call)->custom);
  EXPECT_STREQ(mnemonic(Op::I64ReinterpretF64), "i64.reinterpret_f64");
}

}  // namespace
}  // namespace gpuos::wasm

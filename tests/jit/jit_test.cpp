// jit_test.cpp: the compiled tier's pieces that run without a GPU: the code
// walk (blocks and leaders), the numeric functions taken from numeric.glsl,
// and the generated GLSL, compiled in process and validated as SPIR-V.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <spirv-tools/libspirv.hpp>

#include <set>

#include "procs/jit/code_walk.h"
#include "procs/jit/compiler.h"
#include "procs/jit/kernel_variant.h"
#include "procs/jit/liveness.h"
#include "procs/jit/numeric_source.h"
#include "procs/vm/bytecode.h"
#include "tests/vm/vm_test_util.h"

namespace gpuos::jit {
namespace {

using namespace gpuos::vm::test;

bool is_numeric_opcode(uint16_t op) { return (op >= 0x0345 && op <= 0x03c4) || (op >= 0x0400 && op <= 0x0407); }

TEST(NumericSource, EveryNumericInstructionHasAFunction) {
  // Division and remainder trap on zero (and i*.div_s on overflow); the
  // checked truncations on NaN and range. Nothing else may return a trap.
  const std::set<uint16_t> trapping = {0x036d, 0x036e, 0x036f, 0x0370, 0x037f, 0x0380, 0x0381, 0x0382,
                                       0x03a8, 0x03a9, 0x03aa, 0x03ab, 0x03ae, 0x03af, 0x03b0, 0x03b1};
  int found = 0;
  for (uint32_t op = 0x0345; op <= 0x0407; ++op) {
    if (!is_numeric_opcode(static_cast<uint16_t>(op)) || vm::op_info(static_cast<uint16_t>(op)) == nullptr) continue;
    auto f = numeric_function(static_cast<uint16_t>(op));
    ASSERT_TRUE(f.ok()) << f.detail();
    EXPECT_EQ(f->may_trap, trapping.count(static_cast<uint16_t>(op)) == 1) << std::hex << op;
    EXPECT_NE(f->glsl.find(fmt::format("case 0x{:04x}u:", op)), std::string::npos) << f->glsl;
    ++found;
  }
  EXPECT_EQ(found, 0x03c4 - 0x0345 + 1 + 8);
}

TEST(NumericSource, AnOpcodeWithoutACaseIsAnError) {
  auto f = numeric_function(0x0344);  // memory.grow's neighbour: no numeric case
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.code(), NumericError::NotFound);
}

// (func (param i32) (result i32) (local i32)
//   loop  local.get 1 local.get 0 i32.add local.set 1
//         local.get 0 i32.const 1 i32.sub local.tee 0 br_if 0 end
//   local.get 1)
Bytes sum_loop() {
  ModuleBuilder b;
  const uint32_t t = b.add_type({I32}, {I32});
  b.add_func(t, {{1, I32}},
             cat({{0x03, 0x40, 0x20, 1, 0x20, 0, 0x6a, 0x21, 1, 0x20, 0}, i32_const(1),
                  {0x6b, 0x22, 0, 0x0d, 0, 0x0b, 0x20, 1, 0x0b}}));
  b.add_export("sum", ExternKind::Func, 0);
  return b.build();
}

TEST(CodeWalk, ALoopIsABlockOfItsOwn) {
  const vm::ProgramImage img = translate_bytes(sum_loop());
  auto fc = walk_function(img, 0);
  ASSERT_TRUE(fc.ok()) << fc.detail();
  // The loop starts at the entry (nothing before it), so: the loop body up
  // to br_if, then the code after it.
  ASSERT_EQ(fc->blocks.size(), 2u) << vm::disassemble_function(img, 0);
  const Instr& last = fc->instrs[fc->blocks[0].count - 1];
  EXPECT_EQ(last.op, static_cast<uint16_t>(vm::Op::BrIf));
  EXPECT_EQ(img.code[last.pc + 2], fc->begin);  // it jumps back to the entry
  EXPECT_EQ(fc->instrs[fc->blocks[1].first].pc, last.pc + last.words);
}

TEST(CodeWalk, ABranchIntoAnInstructionIsAnError) {
  vm::ProgramImage img = translate_bytes(sum_loop());
  auto fc = walk_function(img, 0);
  ASSERT_TRUE(fc.ok());
  const Instr& br = fc->instrs[fc->blocks[0].count - 1];
  img.code[br.pc + 2] = fc->begin + 1;  // an operand word, not an instruction
  auto bad = walk_function(img, 0);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.detail().find("branch target"), std::string::npos) << bad.detail();
}

// f0 (func (param i32) (result i32) local.get 0)
// f1 (func (param i32) (result i32) (local i32)
//      i32.const 5  local.set 1   ;; slot 1: written, never read after the call
//      local.get 0  call 0  local.get 0  i32.add)
Bytes call_then_param() {
  ModuleBuilder b;
  const uint32_t t = b.add_type({I32}, {I32});
  b.add_func(t, {}, {0x20, 0, 0x0b});
  b.add_func(t, {{1, I32}}, cat({i32_const(5), {0x21, 1, 0x20, 0, 0x10, 0, 0x20, 0, 0x6a, 0x0b}}));
  return b.build();
}

// Across a call only the parameter (read after it) and the argument are
// live, not the local that is dead by then.
TEST(Liveness, ACallKeepsWhatIsReadAfterItAndItsArguments) {
  const vm::ProgramImage img = translate_bytes(call_then_param());
  auto fc = walk_function(img, 1);
  ASSERT_TRUE(fc.ok()) << fc.detail();
  const Liveness lv = live_slots(img, *fc);
  ASSERT_EQ(lv.live_in.size(), fc->blocks.size());
  size_t call_block = fc->blocks.size();
  for (size_t b = 0; b < fc->blocks.size(); ++b) {
    if (fc->instrs[fc->blocks[b].first].op == static_cast<uint16_t>(vm::Op::Call)) call_block = b;
  }
  ASSERT_LT(call_block, fc->blocks.size()) << vm::disassemble_function(img, 1);
  const Instr& call = fc->instrs[fc->blocks[call_block].first];
  const uint32_t base = img.code[call.pc + 2];
  const std::vector<bool>& live = lv.live_in[call_block];
  EXPECT_TRUE(live[0]) << "the parameter, read after the call";
  EXPECT_FALSE(live[1]) << "the local, dead after the call";
  EXPECT_TRUE(live[base]) << "the argument";
  // The block after the call: the parameter and the call's result.
  const std::vector<bool>& after = lv.live_in[call_block + 1];
  EXPECT_TRUE(after[0]);
  EXPECT_TRUE(after[base]);
  EXPECT_FALSE(after[1]);
  // Entry: only the parameter is read before it is written.
  for (uint32_t k = 0; k < lv.slots; ++k) EXPECT_EQ(lv.live_in[0][k], k == 0) << "slot " << k;
}

// A module that uses every kind of block ending and helper: calls, an
// indirect call, br_table, return, memory access, memory.grow, memory.fill,
// a trapping division and a global.
Bytes assorted() {
  ModuleBuilder b;
  const uint32_t t_ii = b.add_type({I32}, {I32});
  b.add_memory(1, 4);
  b.add_table(vm::ValType::FuncRef, 2);
  b.add_global(vm::ValType::I32, true, cat({i32_const(5), {0x0b}}));
  // f0: br_table over 3 arms, each returning a different constant
  b.add_func(t_ii, {},
             cat({{0x02, 0x40, 0x02, 0x40, 0x02, 0x40, 0x20, 0, 0x0e, 2, 0, 1, 2, 0x0b}, i32_const(10),
                  {0x0f, 0x0b}, i32_const(11), {0x0f, 0x0b}, i32_const(12), {0x0b}}));
  // f1: store, load, grow, fill, divide, call f0, call_indirect
  b.add_func(t_ii, {},
             cat({i32_const(8), {0x20, 0, 0x36, 2, 0}, i32_const(8), {0x28, 2, 0, 0x1a}, i32_const(1),
                  {0x40, 0, 0x1a}, i32_const(0), i32_const(7), i32_const(4), {0xfc, 11, 0},
                  {0x20, 0, 0x20, 0, 0x6d, 0x1a, 0x20, 0, 0x10, 0, 0x1a, 0x20, 0}, i32_const(0),
                  {0x11, 0, 0, 0x23, 0, 0x6a, 0x0b}}));
  b.add_export("f", ExternKind::Func, 1);
  return b.build();
}

TEST(Compile, GeneratedCodeIsValidSpirv) {
  const vm::ProgramImage img = translate_bytes(assorted());
  ASSERT_FALSE(img.code.empty());
  auto c = compile_image(img);
  ASSERT_TRUE(c.ok()) << c.detail();
  EXPECT_EQ(c->emitted.functions, 2u);
  EXPECT_EQ(c->emitted.register_functions, 2u);
  EXPECT_GT(c->emitted.blocks, 6u);
  for (const char* piece : {"blk = JIT_CALL;", "blk = JIT_HELPER;", "call_f_ = f;", "jit_num_036d(", "blk = CODE("}) {
    EXPECT_NE(c->emitted.glsl.find(piece), std::string::npos) << piece;
  }
  spvtools::SpirvTools tools(SPV_ENV_VULKAN_1_2);
  std::string messages;
  tools.SetMessageConsumer([&](spv_message_level_t, const char*, const spv_position_t&, const char* m) {
    messages += std::string(m) + "\n";
  });
  EXPECT_TRUE(tools.Validate(c->spirv)) << messages;
}

// A call is a block of its own: a process whose stack is full leaves with
// pc_ at the call and runs it again once the stack has grown.
TEST(CodeWalk, ACallStartsABlock) {
  const vm::ProgramImage img = translate_bytes(assorted());
  auto f = walk_function(img, 1);
  ASSERT_TRUE(f.ok()) << f.detail();
  int calls = 0;
  for (const Block& blk : f->blocks) {
    for (uint32_t i = 0; i < blk.count; ++i) {
      const uint16_t op = f->instrs[blk.first + i].op;
      if (op == static_cast<uint16_t>(vm::Op::Call) || op == static_cast<uint16_t>(vm::Op::CallIndirect)) {
        EXPECT_EQ(i, 0u) << "a call at word " << f->instrs[blk.first + i].pc << " inside a block";
        ++calls;
      }
    }
  }
  EXPECT_EQ(calls, 2);
}

// The persistent kernel with two programs' code (kernel_variant.h): each
// body under its own prefix, one dispatch, valid SPIR-V.
TEST(KernelVariant, TwoProgramsCompileIntoTheKernel) {
  const vm::ProgramImage a = translate_bytes(assorted());
  const vm::ProgramImage b = translate_bytes(sum_loop());
  const std::vector<VariantProgram> programs = {{3, &a}, {7, &b}};
  auto v = compile_kernel_variant(programs, {});
  ASSERT_TRUE(v.ok()) << v.detail();
  for (const char* piece : {"void p3_run(uint budget)", "void p7_run(uint budget)", "case 3u: p3_run(budget);",
                            "case 7u: p7_run(budget);", "void jit_run_program(uint prog, uint budget)"}) {
    EXPECT_NE(v->glsl.find(piece), std::string::npos) << piece;
  }
  EXPECT_EQ(v->glsl.find("const uint JIT_RESUME"), v->glsl.rfind("const uint JIT_RESUME")) << "one prelude";
  spvtools::SpirvTools tools(SPV_ENV_VULKAN_1_2);
  std::string messages;
  tools.SetMessageConsumer([&](spv_message_level_t, const char*, const spv_position_t&, const char* m) {
    messages += std::string(m) + "\n";
  });
  EXPECT_TRUE(tools.Validate(v->spirv)) << messages;

  KernelVariantOptions small;
  small.max_glsl_bytes = 1024;
  auto refused = compile_kernel_variant(programs, small);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), CompileError::TooLarge);
}

TEST(Compile, LargeFramesStayInMemory) {
  const vm::ProgramImage img = translate_bytes(sum_loop());
  CompileOptions opts;
  opts.emit.max_register_slots = 1;  // sum's frame has more slots than that
  auto c = compile_image(img, opts);
  ASSERT_TRUE(c.ok()) << c.detail();
  EXPECT_EQ(c->emitted.register_functions, 0u);
  EXPECT_EQ(c->emitted.registers, 0u);
  EXPECT_NE(c->emitted.glsl.find("SLOT(fp_ + 1u)"), std::string::npos);
}

}  // namespace
}  // namespace gpuos::jit

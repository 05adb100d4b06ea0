// prepare_program (procs/proc/program.h): modules -> program-store words,
// checked on the C guests of tests/guests and on hand-made modules.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "procs/proc/program.h"
#include "procs/vm/bytecode.h"
#include "shaders/vm/vm_abi.h"

namespace gpuos::procs {
namespace {

using namespace gpuos::abi;
using namespace gpuos::vm::gpu;

std::vector<uint8_t> guest(const std::string& name) {
  std::ifstream f(std::string(GPUOS_GUEST_DIR) + "/" + name + ".wasm", std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

const uint32_t* func_entry(const ProcessProgram& p, uint32_t f) {
  return &p.words[p.desc.funcs_off + f * VM_FUNC_WORDS];
}

TEST(Program, GuestImportsBecomeIntrinsics) {
  auto bytes = guest("malloc_stress");
  ASSERT_FALSE(bytes.empty()) << "guest not built";
  auto p = prepare_program(bytes, "malloc_stress", ProcessLimits{});
  ASSERT_TRUE(p.ok()) << p.detail();
  size_t mapped = 0;
  for (const vm::ImageImport& imp : p->image.imports) {
    uint32_t id = ~0u;
    for (const Intrinsic& k : intrinsics()) {
      if (imp.module == k.module && imp.name == k.name) id = k.id;
    }
    ASSERT_NE(id, ~0u) << imp.name;
    EXPECT_EQ(func_entry(*p, imp.index)[VM_F_KIND], VM_FK_INTRINSIC | (id << 8)) << imp.name;
    ++mapped;
  }
  EXPECT_GE(mapped, 5u) << "malloc, free, calloc, realloc, aligned_alloc at least";
  // Defined functions run as bytecode; the start function is the last one.
  EXPECT_EQ(p->desc.entry_func, p->image.functions.size() - 1);
  EXPECT_EQ(func_entry(*p, p->desc.entry_func)[VM_F_KIND], VM_FK_LOCAL);
  EXPECT_EQ(p->desc.mem_pages, 1u) << "the guests are built with one page";
  EXPECT_EQ(p->desc.state, 1u);
}

TEST(Program, StartFunctionInitialisesThenCallsTheEntry) {
  auto p = prepare_program(guest("hello"), "hello", ProcessLimits{});
  ASSERT_TRUE(p.ok()) << p.detail();
  const vm::ImageFunction& start = p->image.functions[p->start_func];
  std::vector<uint32_t> ops;
  for (uint32_t pc = start.entry; pc < p->image.code.size();) {
    const uint32_t op = p->image.code[pc] & 0xffff;
    ops.push_back(op);
    const vm::OpInfo* info = vm::op_info(static_cast<uint16_t>(op));
    ASSERT_NE(info, nullptr) << "opcode 0x" << std::hex << op;
    pc += 1 + info->num_operands;
  }
  ASSERT_FALSE(ops.empty());
  EXPECT_EQ(ops.back(), uint32_t(vm::Op::Return));
  // hello has an active data segment (its text): memory.init then data.drop.
  EXPECT_NE(std::find(ops.begin(), ops.end(), uint32_t(vm::Op::MemoryInit)), ops.end());
  EXPECT_NE(std::find(ops.begin(), ops.end(), uint32_t(vm::Op::DataDrop)), ops.end());
  EXPECT_NE(std::find(ops.begin(), ops.end(), uint32_t(vm::Op::Call)), ops.end());
}

TEST(Program, BlockLayoutFitsTheBlock) {
  ProcessLimits lim;
  auto p = prepare_program(guest("spawn_tree"), "spawn_tree", lim);
  ASSERT_TRUE(p.ok()) << p.detail();
  const ProgramDesc& d = p->desc;
  EXPECT_GE(d.blk_meta, BLK_PAGE_TABLE + pt_block_words(lim.max_pages));
  EXPECT_EQ(d.blk_globals % 2, 0u);
  EXPECT_EQ(d.blk_slots % 2, 0u);
  EXPECT_LE(d.blk_slots + 2 * d.slot_limit, lim.block_words);
  EXPECT_GE(d.depth_limit, 16u);
  EXPECT_LE(d.depth_limit, lim.max_depth);
  EXPECT_GE(d.blk_slots, d.blk_ctl + 2 * d.depth_limit);
  lim.block_words = BLK_PAGE_TABLE + pt_block_words(lim.max_pages) + 64;
  auto small = prepare_program(guest("spawn_tree"), "spawn_tree", lim);
  ASSERT_FALSE(small.ok());
  EXPECT_EQ(small.code(), ProgramError::TooLarge);
  EXPECT_NE(small.detail().find("the call stack needs at least"), std::string::npos) << small.detail();
  EXPECT_NE(small.detail().find("--block-kib"), std::string::npos) << small.detail();
}

// (module (import MODULE NAME (func))): one import of type () -> ().
std::vector<uint8_t> importing(const std::string& module, const std::string& name) {
  std::vector<uint8_t> m = {0, 'a', 's', 'm', 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 2,
                            static_cast<uint8_t>(5 + module.size() + name.size()), 1,
                            static_cast<uint8_t>(module.size())};
  m.insert(m.end(), module.begin(), module.end());
  m.push_back(static_cast<uint8_t>(name.size()));
  m.insert(m.end(), name.begin(), name.end());
  m.push_back(0);  // a function
  m.push_back(0);  // of type 0
  return m;
}

TEST(Program, WasiImportsBecomeIntrinsics) {
  auto p = prepare_program(guest("wasi_malloc"), "wasi_malloc", ProcessLimits{});
  ASSERT_TRUE(p.ok()) << p.detail();
  size_t wasi = 0;
  for (const vm::ImageImport& imp : p->image.imports) {
    if (imp.module != "wasi_snapshot_preview1") continue;
    const uint32_t kind = func_entry(*p, imp.index)[VM_F_KIND];
    EXPECT_EQ(kind & 0xffu, VM_FK_INTRINSIC) << imp.name;
    EXPECT_GE(kind >> 8, GI_WASI_BASE) << imp.name;
    ++wasi;
  }
  EXPECT_GE(wasi, 2u) << "fd_write and proc_exit at least";
}

TEST(Program, RefusesWhatAProcessCannotRun) {
  auto env = prepare_program(importing("env", "f"), "env", ProcessLimits{});
  ASSERT_FALSE(env.ok());
  EXPECT_EQ(env.code(), ProgramError::Unsupported);
  EXPECT_NE(env.detail().find("unknown module"), std::string::npos) << env.detail();
  // A WASI function gpuos does not serve and that returns no errno to say so.
  auto noerr = prepare_program(importing("wasi_snapshot_preview1", "sock_foo"), "noerr", ProcessLimits{});
  ASSERT_FALSE(noerr.ok());
  EXPECT_NE(noerr.detail().find("not served"), std::string::npos) << noerr.detail();
  // A known WASI function with the wrong signature.
  auto bad_sig = prepare_program(importing("wasi_snapshot_preview1", "fd_write"), "bad_sig", ProcessLimits{});
  ASSERT_FALSE(bad_sig.ok());
  EXPECT_NE(bad_sig.detail().find("wrong signature"), std::string::npos) << bad_sig.detail();

  const std::vector<uint8_t> junk = {0, 'a', 's', 'm', 9, 9};
  auto bad = prepare_program(junk, "junk", ProcessLimits{});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.code(), ProgramError::Invalid);

  const std::vector<uint8_t> empty = {0, 'a', 's', 'm', 1, 0, 0, 0};
  auto none = prepare_program(empty, "empty", ProcessLimits{});
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.detail().find("no entry point"), std::string::npos) << none.detail();

  // (import "gpuos" "malloc" (func (param i64) (result i64))): wrong signature.
  const std::vector<uint8_t> wrong = {0, 'a', 's', 'm', 1, 0, 0, 0,
                                      1, 6, 1, 0x60, 1, 0x7e, 1, 0x7e,
                                      2, 16, 1, 5, 'g', 'p', 'u', 'o', 's', 6, 'm', 'a', 'l', 'l', 'o', 'c', 0, 0};
  auto sig = prepare_program(wrong, "wrong", ProcessLimits{});
  ASSERT_FALSE(sig.ok());
  EXPECT_NE(sig.detail().find("wrong signature"), std::string::npos) << sig.detail();
}

TEST(Program, TrapsAreDescribedWithTheFunction) {
  auto p = prepare_program(guest("oob"), "oob", ProcessLimits{});
  ASSERT_TRUE(p.ok()) << p.detail();
  ASSERT_FALSE(p->image.debug.empty());
  const vm::DebugEntry& e = p->image.debug.back();
  const std::string why = describe_trap(*p, 2, e.word);
  EXPECT_NE(why.find("out of bounds"), std::string::npos) << why;
  EXPECT_NE(why.find("function " + std::to_string(e.func)), std::string::npos) << why;
}

}  // namespace
}  // namespace gpuos::procs

// vm_test_util.h: shared helpers of the VM unit tests: assemble a module
// with tests/wasm/wasm_builder.h, load and translate it, run it on the
// reference executor.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "procs/vm/bytecode.h"
#include "procs/vm/disasm.h"
#include "procs/vm/ref_exec.h"
#include "procs/vm/translator.h"
#include "procs/wasm/decoder.h"
#include "tests/wasm/wasm_builder.h"

namespace gpuos::vm::test {

using namespace gpuos::wasm::test;
using wasm::ExternKind;
using wasm::ValType;
constexpr ValType I32 = ValType::I32, I64 = ValType::I64, F32 = ValType::F32, F64 = ValType::F64;

// Module bytes -> ProgramImage; fails the test on any error.
inline ProgramImage translate_bytes(const Bytes& bytes, wasm::Module* module_out = nullptr) {
  auto m = wasm::load_module(bytes);
  EXPECT_TRUE(m.ok()) << (m ? "" : m.detail());
  if (!m) return {};
  auto img = translate(*m);
  EXPECT_TRUE(img.ok()) << (img ? "" : img.detail());
  if (module_out) *module_out = *m;
  return img ? img.value() : ProgramImage{};
}

// Checks the code is a sequence of known instructions whose branch targets
// land on instruction starts.
inline void expect_well_formed(const ProgramImage& img) {
  std::vector<bool> start(img.code.size() + 1, false);
  std::vector<uint32_t> targets;
  for (uint32_t pc = 0; pc < img.code.size();) {
    start[pc] = true;
    const OpInfo* info = op_info(opcode_of(img.code[pc]));
    ASSERT_NE(info, nullptr) << "bad opcode at " << pc;
    if (info->op == Op::Br) targets.push_back(img.code[pc + 1]);
    if (info->op == Op::BrIf || info->op == Op::BrUnless) targets.push_back(img.code[pc + 2]);
    pc += 1 + info->num_operands;
    ASSERT_LE(pc, img.code.size());
  }
  for (uint32_t t : targets) EXPECT_TRUE(t < img.code.size() && start[t]) << "branch target " << t;
}

// A store with one instance of `bytes`, host imports given in order.
struct Harness {
  ref::Store store;
  uint32_t instance = kNone;
  std::shared_ptr<const ProgramImage> image;

  explicit Harness(const Bytes& bytes, std::vector<ref::Extern> imports = {}, ref::ExecLimits limits = {})
      : store(limits) {
    image = std::make_shared<const ProgramImage>(translate_bytes(bytes));
    auto id = store.instantiate(image, imports);
    EXPECT_TRUE(id.ok()) << (id ? "" : id.detail());
    if (id) instance = *id;
  }
  ref::InvokeResult call(std::string_view name, std::vector<ref::Slot> args = {}) {
    auto e = store.instance(instance).find_export(name);
    EXPECT_TRUE(e.has_value()) << name;
    if (!e) return {};
    return store.invoke(e->addr, args);
  }
};

}  // namespace gpuos::vm::test

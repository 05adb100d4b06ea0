// emit_internal.h: what emit_module.cpp and emit_block.cpp share.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "procs/jit/code_walk.h"
#include "procs/vm/image.h"

namespace gpuos::jit::detail {

// The function being emitted.
struct FunctionContext {
  const vm::ProgramImage& image;
  const FunctionCode& code;
  bool in_registers = false;  // frame slots are r<i>, else SLOT(fp_ + i)
  std::set<uint16_t>* numeric_ops = nullptr;  // numeric opcodes used, collected for the module

  // Frame slot i as an lvalue.
  std::string slot(uint32_t i) const;
  std::string spill_call() const;  // "jit_spill_3();" or ""
};

// The GLSL of one block: `case <pc>u: { ... }`.
std::string emit_block(const FunctionContext& fc, const Block& block);

}  // namespace gpuos::jit::detail

// emit_internal.h: what emit_module.cpp and emit_block.cpp share.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "procs/jit/code_walk.h"
#include "procs/jit/liveness.h"
#include "procs/vm/image.h"

namespace gpuos::jit::detail {

// The function being emitted.
struct FunctionContext {
  const vm::ProgramImage& image;
  const FunctionCode& code;
  const std::string& prefix;  // EmitOptions::prefix
  bool in_registers = false;  // frame slots are r<i>, else SLOT(fp_ + i)
  std::set<uint16_t>* numeric_ops = nullptr;  // numeric opcodes used, collected for the module
  const Liveness* liveness = nullptr;  // in_registers: the slots live at each block's start
  uint32_t max_register_slots = 0;     // EmitOptions': which callees keep their frame in registers

  // Frame slot i as an lvalue.
  std::string slot(uint32_t i) const;
  std::string spill_call() const;  // "jit_spill_3();" or ""
};

// The GLSL of block `index` of the function: `case <pc>u: { ... }`; for a
// block a call returns to, also its return entry (JIT_RETURN_TO | pc),
// which reloads only the registers live there.
std::string emit_block(const FunctionContext& fc, size_t index);

}  // namespace gpuos::jit::detail

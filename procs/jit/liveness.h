// liveness.h: which frame slots of a function hold values that its code may
// still read, at the start of each block (code_walk.h), so that a call
// writes back only those registers, and a return reloads only those
// (emit_block.cpp; docs/compiled-tier.md, "Calls").
//
// A slot is live at a point if some path from there reads it before writing
// it. Reads and writes per instruction follow the operand forms of
// procs/vm/bytecode.h. A call reads its arguments (the callee's frame starts
// at its base) and, seen from the caller, writes its results there. An
// instruction that runs through the interpreter's helper (memory.grow, bulk
// memory, tables) reads the frame in memory, so every slot is live before
// it.
#pragma once

#include <cstdint>
#include <vector>

#include "procs/jit/code_walk.h"
#include "procs/vm/image.h"

namespace gpuos::jit {

struct SlotUse {
  std::vector<uint32_t> reads, writes;  // frame slots
  bool reads_all = false;               // a helper instruction: the whole frame
};

// What instruction `in` of `image` reads and writes.
SlotUse slot_use(const vm::ProgramImage& image, const Instr& in);

struct Liveness {
  uint32_t slots = 0;                     // the function's frame slots
  std::vector<std::vector<bool>> live_in; // per block of the FunctionCode, per slot
};

Liveness live_slots(const vm::ProgramImage& image, const FunctionCode& code);

}  // namespace gpuos::jit

// code_walk.h: a defined function's bytecode (procs/vm/bytecode.h) as the
// compiled tier sees it: its instructions, and the basic blocks they form.
//
// A block starts at a "leader" and runs to the next one. Leaders are the
// places where compiled code can be entered or left with every register
// in the frame's slots (docs/compiled-tier.md, "Blocks"):
//   - the function's entry;
//   - every branch target (br, br_if, br_unless, br_table entries);
//   - the instruction after a branch, return, call, call_indirect or trap:
//     where a call returns to, and where code after an unconditional
//     transfer starts;
//   - every instruction the compiled code runs through the interpreter's
//     own helper (memory.grow, bulk memory, table instructions), and the one
//     after it: those leave the registers in memory while they run;
//   - every call and call_indirect: a call that finds a process's stack
//     full leaves with pc_ at the call, which runs again once the kernel
//     has grown the stack (proc/stack.glsl).
#pragma once

#include <cstdint>
#include <vector>

#include "kernel/result.h"
#include "procs/vm/image.h"

namespace gpuos::jit {

struct Instr {
  uint32_t pc = 0;        // code word of the opcode word
  uint32_t words = 0;     // opcode word + operands (+ br_table's entries)
  uint16_t op = 0;        // opcode (low 16 bits of the opcode word)
  uint16_t high = 0;      // high 16 bits (trap: the kind)
};

struct Block {
  uint32_t first = 0;  // index into FunctionCode::instrs
  uint32_t count = 0;  // instructions in the block
};

struct FunctionCode {
  uint32_t func = 0;  // index in the image's function space
  uint32_t begin = 0, end = 0;  // code words [begin, end)
  std::vector<Instr> instrs;
  std::vector<Block> blocks;  // in code order; blocks[0] starts at the entry
};

enum class WalkError { BadCode };

// True for the instructions compiled code hands to the interpreter's helper
// functions (their own blocks, see above).
bool runs_through_helper(uint16_t op);

// Decodes function `func` (defined, not imported) of `image` and splits it
// into blocks. The image has passed vm::verify, but a bad word is still an
// error here rather than a read past the code.
Result<FunctionCode, WalkError> walk_function(const vm::ProgramImage& image, uint32_t func);

}  // namespace gpuos::jit

// disasm.h: human-readable listing of VM bytecode (tests, debugging, docs).
#pragma once

#include <cstdint>
#include <string>

#include "procs/vm/image.h"

namespace gpuos::vm {

// One line per instruction: "  <word offset>: <mnemonic> <operands>".
// Slots print as sN, other operands as numbers; a br_table's entries are
// listed as the Br instructions they are.
std::string disassemble(const ProgramImage& image, uint32_t begin, uint32_t end);
// The whole body of defined function `func` (up to the next function's entry).
std::string disassemble_function(const ProgramImage& image, uint32_t func);

}  // namespace gpuos::vm

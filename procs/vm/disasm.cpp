// disasm.cpp: table-driven disassembler for bytecode.h instructions.
#include "procs/vm/disasm.h"

#include <algorithm>

#include "procs/vm/bytecode.h"

namespace gpuos::vm {

std::string disassemble(const ProgramImage& image, uint32_t begin, uint32_t end) {
  std::string out;
  end = std::min<uint32_t>(end, static_cast<uint32_t>(image.code.size()));
  for (uint32_t pc = begin; pc < end;) {
    const uint32_t word = image.code[pc];
    const OpInfo* info = op_info(opcode_of(word));
    out += "  " + std::to_string(pc) + ": ";
    if (!info) {
      out += "<bad opcode " + std::to_string(word) + ">\n";
      ++pc;
      continue;
    }
    out += info->mnemonic;
    if (info->op == Op::Trap) out += std::string(" ") + trap_message(static_cast<TrapKind>(high_of(word)));
    for (uint32_t i = 0; i < info->num_operands && pc + 1 + i < end; ++i) {
      const uint32_t v = image.code[pc + 1 + i];
      // Generic forms: every operand but a memory offset is a slot.
      const bool slot = info->form != Form::Custom && info->form != Form::None &&
                        !(i == 2 && (info->form == Form::Load || info->form == Form::Store));
      out += (slot ? " s" : " ") + std::to_string(v);
    }
    out += "\n";
    pc += 1 + info->num_operands;
  }
  return out;
}

std::string disassemble_function(const ProgramImage& image, uint32_t func) {
  const uint32_t begin = image.functions.at(func).entry;
  if (begin == kNone) return "";
  uint32_t end = static_cast<uint32_t>(image.code.size());
  for (const ImageFunction& f : image.functions) {
    if (f.entry != kNone && f.entry > begin) end = std::min(end, f.entry);
  }
  return disassemble(image, begin, end);
}

}  // namespace gpuos::vm

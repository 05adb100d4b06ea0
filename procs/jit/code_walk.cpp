// code_walk.cpp: see code_walk.h.
#include "procs/jit/code_walk.h"

#include <algorithm>
#include <set>
#include <string>

#include "procs/vm/bytecode.h"

namespace gpuos::jit {

using vm::Op;

bool runs_through_helper(uint16_t op) {
  switch (static_cast<Op>(op)) {
    case Op::MemoryGrow:
    case Op::MemoryInit:
    case Op::DataDrop:
    case Op::MemoryCopy:
    case Op::MemoryFill:
    case Op::TableInit:
    case Op::ElemDrop:
    case Op::TableCopy:
    case Op::TableGrow:
    case Op::TableSize:
    case Op::TableFill:
    case Op::TableGet:
    case Op::TableSet:
      return true;
    default:
      return false;
  }
}

namespace {

// The instruction after this one starts a block.
bool ends_block(uint16_t op) {
  switch (static_cast<Op>(op)) {
    case Op::Br:
    case Op::BrIf:
    case Op::BrUnless:
    case Op::BrTable:
    case Op::Return:
    case Op::Call:
    case Op::CallIndirect:
    case Op::Trap:
      return true;
    default:
      return runs_through_helper(op);
  }
}

uint32_t function_end(const vm::ProgramImage& image, uint32_t begin) {
  uint32_t end = static_cast<uint32_t>(image.code.size());
  for (const vm::ImageFunction& f : image.functions) {
    if (f.entry != vm::kNone && f.entry > begin) end = std::min(end, f.entry);
  }
  return end;
}

}  // namespace

Result<FunctionCode, WalkError> walk_function(const vm::ProgramImage& image, uint32_t func) {
  FunctionCode fc;
  fc.func = func;
  if (func >= image.functions.size() || image.functions[func].entry == vm::kNone) {
    return fail(WalkError::BadCode, "function " + std::to_string(func) + " has no code");
  }
  fc.begin = image.functions[func].entry;
  fc.end = function_end(image, fc.begin);
  auto bad = [&](uint32_t pc, const std::string& why) {
    return fail(WalkError::BadCode, "function " + std::to_string(func) + " word " + std::to_string(pc) + ": " + why);
  };

  std::set<uint32_t> leaders{fc.begin};
  for (uint32_t pc = fc.begin; pc < fc.end;) {
    const uint32_t word = image.code[pc];
    const vm::OpInfo* info = vm::op_info(vm::opcode_of(word));
    if (!info) return bad(pc, "unknown opcode");
    Instr in{pc, 1u + info->num_operands, vm::opcode_of(word), vm::high_of(word)};
    if (pc + in.words > fc.end) return bad(pc, "operands run past the function");
    const uint32_t* ops = image.code.data() + pc + 1;
    switch (info->op) {
      case Op::Br: leaders.insert(ops[0]); break;
      case Op::BrIf:
      case Op::BrUnless: leaders.insert(ops[1]); break;
      case Op::BrTable: {
        const uint64_t entries = uint64_t{ops[1]} + 1;
        if (pc + in.words + 2 * entries > fc.end) return bad(pc, "br_table runs past the function");
        for (uint64_t e = 0; e < entries; ++e) {
          const uint32_t at = pc + in.words + 2 * static_cast<uint32_t>(e);
          if (vm::opcode_of(image.code[at]) != static_cast<uint16_t>(Op::Br)) return bad(at, "br_table entry is no br");
          leaders.insert(image.code[at + 1]);
        }
        in.words += static_cast<uint32_t>(2 * entries);
        break;
      }
      default: break;
    }
    if (runs_through_helper(in.op) || info->op == Op::Call || info->op == Op::CallIndirect) leaders.insert(pc);
    if (ends_block(in.op)) leaders.insert(pc + in.words);
    fc.instrs.push_back(in);
    pc += in.words;
  }

  // Blocks: a leader that is no instruction start (a target past the end,
  // or inside an instruction) is an error; the one at `end` is not a block.
  for (uint32_t target : leaders) {
    if (target == fc.end) continue;
    auto it = std::lower_bound(fc.instrs.begin(), fc.instrs.end(), target,
                               [](const Instr& i, uint32_t pc) { return i.pc < pc; });
    if (it == fc.instrs.end() || it->pc != target) return bad(target, "branch target is no instruction");
  }
  for (uint32_t i = 0; i < fc.instrs.size(); ++i) {
    if (leaders.count(fc.instrs[i].pc)) fc.blocks.push_back(Block{i, 0});
    fc.blocks.back().count++;
  }
  return fc;
}

}  // namespace gpuos::jit

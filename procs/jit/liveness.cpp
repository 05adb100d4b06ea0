// liveness.cpp: see liveness.h. A backward dataflow over the blocks,
// iterated to its fixed point: live_in(b) = use(b) | (live_out(b) & ~def(b)),
// live_out(b) = the union of live_in over b's successors.
#include "procs/jit/liveness.h"

#include <algorithm>
#include <map>

#include "procs/vm/bytecode.h"

namespace gpuos::jit {

using vm::Op;

namespace {

void add_range(std::vector<uint32_t>& v, uint32_t first, uint32_t count) {
  for (uint32_t i = 0; i < count; ++i) v.push_back(first + i);
}

}  // namespace

SlotUse slot_use(const vm::ProgramImage& image, const Instr& in) {
  SlotUse u;
  const uint32_t* o = image.code.data() + in.pc + 1;
  if (runs_through_helper(in.op)) {
    u.reads_all = true;
    return u;
  }
  switch (static_cast<Op>(in.op)) {
    case Op::Nop:
    case Op::Trap:
    case Op::Br:
    case Op::Fuel: return u;
    case Op::BrIf:
    case Op::BrUnless:
    case Op::BrTable: u.reads = {o[0]}; return u;
    case Op::Return: add_range(u.reads, o[0], o[1]); return u;
    case Op::Call: {
      const vm::ImageFunction& f = image.functions[o[0]];
      add_range(u.reads, o[1], f.num_params);
      add_range(u.writes, o[1], f.num_results);
      return u;
    }
    case Op::CallIndirect: {
      const auto& t = image.types[o[1]];
      u.reads = {o[3]};
      add_range(u.reads, o[0], static_cast<uint32_t>(t.params.size()));
      add_range(u.writes, o[0], static_cast<uint32_t>(t.results.size()));
      return u;
    }
    case Op::Copy:
    case Op::RefIsNull: u.reads = {o[1]}; u.writes = {o[0]}; return u;
    case Op::Const32:
    case Op::Const64:
    case Op::GlobalGet:
    case Op::RefFunc:
    case Op::MemorySize: u.writes = {o[0]}; return u;
    case Op::Select: u.reads = {o[1], o[2], o[3]}; u.writes = {o[0]}; return u;
    case Op::GlobalSet: u.reads = {o[1]}; return u;
    default: break;
  }
  const vm::OpInfo* info = vm::op_info(in.op);
  switch (info ? info->form : vm::Form::Custom) {
    case vm::Form::None: return u;
    case vm::Form::D: u.writes = {o[0]}; return u;
    case vm::Form::DA: u.reads = {o[1]}; u.writes = {o[0]}; return u;
    case vm::Form::DAB: u.reads = {o[1], o[2]}; u.writes = {o[0]}; return u;
    case vm::Form::Load: u.reads = {o[1]}; u.writes = {o[0]}; return u;
    case vm::Form::Store: u.reads = {o[0], o[1]}; return u;
    case vm::Form::Custom: break;
  }
  u.reads_all = true;  // an instruction this file does not know: keep everything
  return u;
}

Liveness live_slots(const vm::ProgramImage& image, const FunctionCode& code) {
  Liveness lv;
  lv.slots = image.functions[code.func].frame_slots;
  const size_t nb = code.blocks.size();
  const uint32_t n = lv.slots;
  std::map<uint32_t, size_t> block_at;  // leader pc -> block
  for (size_t b = 0; b < nb; ++b) block_at[code.instrs[code.blocks[b].first].pc] = b;

  // Per block: use (read before written), def (written), successors.
  std::vector<std::vector<bool>> use(nb, std::vector<bool>(n, false)), def(nb, std::vector<bool>(n, false));
  std::vector<std::vector<size_t>> succ(nb);
  auto target = [&](size_t b, uint32_t pc) {
    if (auto it = block_at.find(pc); it != block_at.end()) succ[b].push_back(it->second);
  };
  for (size_t b = 0; b < nb; ++b) {
    const Block& blk = code.blocks[b];
    for (uint32_t i = 0; i < blk.count; ++i) {
      const Instr& in = code.instrs[blk.first + i];
      const SlotUse u = slot_use(image, in);
      if (u.reads_all) {
        for (uint32_t s = 0; s < n; ++s) {
          if (!def[b][s]) use[b][s] = true;
        }
      }
      for (uint32_t s : u.reads) {
        if (s < n && !def[b][s]) use[b][s] = true;
      }
      for (uint32_t s : u.writes) {
        if (s < n) def[b][s] = true;
      }
    }
    const Instr& last = code.instrs[blk.first + blk.count - 1];
    const uint32_t* o = image.code.data() + last.pc + 1;
    const uint32_t next = last.pc + last.words;
    switch (static_cast<Op>(last.op)) {
      case Op::Br: target(b, o[0]); break;
      case Op::BrIf:
      case Op::BrUnless: target(b, o[1]); target(b, next); break;
      case Op::BrTable:
        for (uint32_t e = 0; e <= o[1]; ++e) target(b, image.code[last.pc + 3 + 2 * e + 1]);
        break;
      case Op::Return:
      case Op::Trap: break;
      default: target(b, next); break;  // a call returns to the next instruction
    }
  }

  lv.live_in.assign(nb, std::vector<bool>(n, false));
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t b = nb; b-- > 0;) {
      std::vector<bool> out(n, false);
      for (size_t s : succ[b]) {
        for (uint32_t k = 0; k < n; ++k) out[k] = out[k] || lv.live_in[s][k];
      }
      for (uint32_t k = 0; k < n; ++k) {
        const bool in = use[b][k] || (out[k] && !def[b][k]);
        if (in && !lv.live_in[b][k]) {
          lv.live_in[b][k] = true;
          changed = true;
        }
      }
    }
  }
  return lv;
}

}  // namespace gpuos::jit

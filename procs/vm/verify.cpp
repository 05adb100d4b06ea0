// verify.cpp: see verify.h. Operand kinds per opcode mirror the operand
// column of the table in bytecode.h.
#include "procs/vm/verify.h"

#include <algorithm>
#include <string>

#include "procs/vm/bytecode.h"

namespace gpuos::vm {
namespace {

// What each operand word of an instruction is.
enum class K : uint8_t { Slot, Target, Func, Global, Table, Type, Data, Elem, Raw };

std::vector<K> operand_kinds(const OpInfo& info) {
  switch (info.form) {
    case Form::D: return {K::Slot};
    case Form::DA: return {K::Slot, K::Slot};
    case Form::DAB: return {K::Slot, K::Slot, K::Slot};
    case Form::Load:
    case Form::Store: return {K::Slot, K::Slot, K::Raw};
    default: break;
  }
  switch (info.op) {
    case Op::Br: return {K::Target};
    case Op::BrIf: case Op::BrUnless: return {K::Slot, K::Target};
    case Op::BrTable: return {K::Slot, K::Raw};
    case Op::Return: return {K::Raw, K::Raw};  // checked as a range below
    case Op::Call: return {K::Func, K::Raw};
    case Op::CallIndirect: return {K::Raw, K::Type, K::Table, K::Slot};
    case Op::Copy: case Op::RefIsNull: return {K::Slot, K::Slot};
    case Op::Const32: return {K::Slot, K::Raw};
    case Op::Const64: return {K::Slot, K::Raw, K::Raw};
    case Op::Select: return {K::Slot, K::Slot, K::Slot, K::Slot};
    case Op::GlobalGet: return {K::Slot, K::Global};
    case Op::GlobalSet: return {K::Global, K::Slot};
    case Op::RefFunc: return {K::Slot, K::Func};
    case Op::MemoryInit: return {K::Data, K::Slot, K::Slot, K::Slot};
    case Op::DataDrop: return {K::Data};
    case Op::MemoryCopy: case Op::MemoryFill: return {K::Slot, K::Slot, K::Slot};
    case Op::TableInit: return {K::Table, K::Elem, K::Slot, K::Slot, K::Slot};
    case Op::ElemDrop: return {K::Elem};
    case Op::TableCopy: return {K::Table, K::Table, K::Slot, K::Slot, K::Slot};
    case Op::TableGrow: return {K::Slot, K::Table, K::Slot, K::Slot};
    case Op::TableSize: return {K::Slot, K::Table};
    case Op::TableFill: return {K::Table, K::Slot, K::Slot, K::Slot};
    case Op::TableGet: return {K::Slot, K::Table, K::Slot};
    case Op::TableSet: return {K::Table, K::Slot, K::Slot};
    default: return std::vector<K>(info.num_operands, K::Raw);
  }
}

}  // namespace

Result<void, VerifyError> verify(const ProgramImage& img) {
  auto bad = [](uint32_t func, uint32_t pc, const std::string& why) {
    return fail(VerifyError::BadCode, "function " + std::to_string(func) + " word " + std::to_string(pc) + ": " + why);
  };
  std::vector<std::pair<uint32_t, uint32_t>> bodies;  // (entry, func)
  for (uint32_t f = 0; f < img.functions.size(); ++f) {
    const ImageFunction& fn = img.functions[f];
    if (fn.entry == kNone) continue;
    if (fn.entry >= img.code.size()) return bad(f, fn.entry, "entry outside the code");
    if (fn.type_index >= img.types.size()) return bad(f, fn.entry, "bad type index");
    bodies.push_back({fn.entry, f});
  }
  std::sort(bodies.begin(), bodies.end());
  for (size_t i = 0; i < bodies.size(); ++i) {
    const auto [begin, f] = bodies[i];
    const uint32_t end = i + 1 < bodies.size() ? bodies[i + 1].first : static_cast<uint32_t>(img.code.size());
    const ImageFunction& fn = img.functions[f];
    if (fn.num_params + fn.num_locals > fn.frame_slots) return bad(f, begin, "frame smaller than its locals");
    std::vector<bool> start(end - begin, false);
    std::vector<std::pair<uint32_t, uint32_t>> targets;  // (pc, target)
    uint32_t table_entries = 0;  // Br instructions still owed to a br_table
    for (uint32_t pc = begin; pc < end;) {
      start[pc - begin] = true;
      const OpInfo* info = op_info(opcode_of(img.code[pc]));
      if (!info) return bad(f, pc, "unknown opcode");
      if (pc + 1 + info->num_operands > end) return bad(f, pc, "instruction runs past the function");
      if (table_entries > 0) {
        if (info->op != Op::Br) return bad(f, pc, "br_table entry is not a br");
        --table_entries;
      }
      const uint32_t* o = &img.code[pc + 1];
      const std::vector<K> kinds = operand_kinds(*info);
      for (size_t k = 0; k < kinds.size(); ++k) {
        const uint32_t v = o[k];
        bool ok = true;
        switch (kinds[k]) {
          case K::Slot: ok = v < fn.frame_slots; break;
          case K::Target: targets.push_back({pc, v}); break;
          case K::Func: ok = v < img.functions.size(); break;
          case K::Global: ok = v < img.globals.size(); break;
          case K::Table: ok = v < img.tables.size(); break;
          case K::Type: ok = v < img.types.size(); break;
          case K::Data: ok = v < img.data.size(); break;
          case K::Elem: ok = v < img.elems.size(); break;
          case K::Raw: break;
        }
        if (!ok) return bad(f, pc, std::string(info->mnemonic) + " operand " + std::to_string(k) + " out of range");
      }
      if (info->op == Op::BrTable) {
        if (o[1] >= (end - pc) / 2) return bad(f, pc, "br_table larger than its function");
        table_entries = o[1] + 1;
      }
      if (info->op == Op::Return && uint64_t{o[0]} + o[1] > fn.frame_slots) return bad(f, pc, "return range outside the frame");
      if ((info->op == Op::Call || info->op == Op::CallIndirect) && o[info->op == Op::Call ? 1 : 0] > fn.frame_slots) {
        return bad(f, pc, "call base outside the frame");
      }
      pc += 1 + info->num_operands;
    }
    if (table_entries > 0) return bad(f, end, "br_table entries missing");
    for (auto [pc, t] : targets) {
      if (t < begin || t >= end || !start[t - begin]) return bad(f, pc, "branch target " + std::to_string(t) + " is not an instruction start");
    }
  }
  return {};
}

}  // namespace gpuos::vm

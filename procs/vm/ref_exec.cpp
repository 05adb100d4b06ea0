// ref_exec.cpp: the reference executor's interpreter loop.
//
// One slot array holds every frame back to back: a call's frame starts at
// the caller's `base` slot (where the arguments already are), exactly as the
// GPU lays frames out, and the return record (return pc, caller frame
// pointer, caller instance) goes on a separate control stack. Every
// instruction reads all of its operands before it writes its destination
// (the translator relies on this when it retargets a result into a local).
// Trap checks happen before any effect, so a trapping instruction changes
// nothing.
#include <algorithm>
#include <cstring>

#include "procs/vm/ref_exec.h"
#include "shaders/vm/vm_abi.h"

namespace gpuos::vm::ref {
namespace {

template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <typename T>
void store(uint8_t* p, T v) {
  std::memcpy(p, &v, sizeof v);
}

// Load result as a slot: integers sign- or zero-extended to the result
// type, i32 results zero-extended to 64 bits.
Slot load_value(Op op, const uint8_t* p) {
  switch (op) {
    case Op::I32Load: case Op::F32Load: return load<uint32_t>(p);
    case Op::I64Load: case Op::F64Load: return load<uint64_t>(p);
    case Op::I32Load8S: return static_cast<uint32_t>(static_cast<int32_t>(load<int8_t>(p)));
    case Op::I32Load8U: return load<uint8_t>(p);
    case Op::I32Load16S: return static_cast<uint32_t>(static_cast<int32_t>(load<int16_t>(p)));
    case Op::I32Load16U: return load<uint16_t>(p);
    case Op::I64Load8S: return static_cast<uint64_t>(static_cast<int64_t>(load<int8_t>(p)));
    case Op::I64Load8U: return load<uint8_t>(p);
    case Op::I64Load16S: return static_cast<uint64_t>(static_cast<int64_t>(load<int16_t>(p)));
    case Op::I64Load16U: return load<uint16_t>(p);
    case Op::I64Load32S: return static_cast<uint64_t>(static_cast<int64_t>(load<int32_t>(p)));
    case Op::I64Load32U: return load<uint32_t>(p);
    default: return 0;
  }
}

uint32_t access_size(Op op) {
  switch (op) {
    case Op::I32Load8S: case Op::I32Load8U: case Op::I64Load8S: case Op::I64Load8U:
    case Op::I32Store8: case Op::I64Store8: return 1;
    case Op::I32Load16S: case Op::I32Load16U: case Op::I64Load16S: case Op::I64Load16U:
    case Op::I32Store16: case Op::I64Store16: return 2;
    case Op::I32Load: case Op::F32Load: case Op::I64Load32S: case Op::I64Load32U:
    case Op::I32Store: case Op::F32Store: case Op::I64Store32: return 4;
    default: return 8;
  }
}

void store_value(Op op, uint8_t* p, Slot v) {
  switch (access_size(op)) {
    case 1: store<uint8_t>(p, static_cast<uint8_t>(v)); break;
    case 2: store<uint16_t>(p, static_cast<uint16_t>(v)); break;
    case 4: store<uint32_t>(p, static_cast<uint32_t>(v)); break;
    default: store<uint64_t>(p, v); break;
  }
}

inline uint32_t u32(Slot s) { return static_cast<uint32_t>(s); }

}  // namespace

InvokeResult Store::invoke(uint32_t func_addr, std::span<const Slot> args) { return run(func_addr, args); }

InvokeResult Store::run(uint32_t func_addr, std::span<const Slot> args) {
  InvokeResult res;
  FuncInst& entry = funcs_[func_addr];
  if (entry.instance == kNone) {  // a host function called directly
    res.results.resize(entry.type.results.size());
    res.trap.kind = entry.host(args, res.results);
    if (res.trap) res.results.clear();
    return res;
  }
  if (slots_size_ < limits_.max_slots) {
    slots_.reset(new Slot[limits_.max_slots]);  // default-initialised: untouched pages stay unmapped
    slots_size_ = limits_.max_slots;
  }
  Slot* const S = slots_.get();
  const uint64_t max_slots = slots_size_;

  struct Frame {
    uint32_t ret_pc, fp, instance;
  };
  std::vector<Frame> frames;
  uint32_t pc = 0, fp = 0, inst_id = kNone;
  Instance* inst = nullptr;
  const ProgramImage* img = nullptr;
  const uint32_t* code = nullptr;
  MemoryInst* mem = nullptr;
  auto switch_to = [&](uint32_t id) {
    inst_id = id;
    inst = &instances_[id];
    img = inst->image.get();
    code = img->code.data();
    mem = inst->memories.empty() ? nullptr : &memories_[inst->memories[0]];
  };
  // Enters store function `addr` with its frame at slot new_fp; host
  // functions run to completion here and continue at ret_pc.
  auto call = [&](uint32_t addr, uint32_t new_fp, uint32_t ret_pc) -> TrapKind {
    FuncInst& fi = funcs_[addr];
    if (fi.instance == kNone) {
      const size_t np = fi.type.params.size(), nr = fi.type.results.size();
      if (new_fp + std::max(np, nr) > max_slots) return TrapKind::CallStackExhausted;
      std::vector<Slot> a(S + new_fp, S + new_fp + np), r(nr);
      const TrapKind t = fi.host(a, r);
      if (t != TrapKind::None) return t;
      std::copy(r.begin(), r.end(), S + new_fp);
      pc = ret_pc;
      return TrapKind::None;
    }
    const ImageFunction& f = instances_[fi.instance].image->functions[fi.index];
    if (frames.size() >= limits_.max_call_depth || uint64_t{new_fp} + f.frame_slots > max_slots) {
      return TrapKind::CallStackExhausted;
    }
    frames.push_back({ret_pc, fp, inst_id});
    fp = new_fp;
    switch_to(fi.instance);
    std::fill_n(S + fp + f.num_params, f.num_locals, Slot{0});
    pc = f.entry;
    return TrapKind::None;
  };
  auto mem_ok = [&](uint64_t ea, uint64_t n) { return mem && ea + n <= mem->bytes.size(); };
  // Takes `units` of fuel; false (nothing taken) when less is left.
  auto charge = [&](uint64_t units) {
    if (!fuel_) return true;
    if (*fuel_ < units) return false;
    *fuel_ -= units;
    return true;
  };

  std::copy(args.begin(), args.end(), S);
  TrapKind trap = call(func_addr, 0, kNone);
  while (trap == TrapKind::None) {
    const uint32_t w = code[pc];
    const uint32_t* o = code + pc + 1;
    const OpInfo* info = op_info(opcode_of(w));
    const Op op = info->op;
    uint32_t next = pc + 1 + info->num_operands;
    Slot* const F = S + fp;
    switch (op) {
      case Op::Nop: break;
      case Op::Trap: trap = static_cast<TrapKind>(high_of(w)); continue;
      case Op::Br: next = o[0]; break;
      case Op::BrIf: if (u32(F[o[0]]) != 0) next = o[1]; break;
      case Op::BrUnless: if (u32(F[o[0]]) == 0) next = o[1]; break;
      case Op::BrTable: next = pc + 3 + 2 * std::min(u32(F[o[0]]), o[1]); break;
      case Op::Return: {
        const uint32_t src = o[0], k = o[1];
        for (uint32_t i = 0; i < k; ++i) F[i] = F[src + i];
        const Frame top = frames.back();
        frames.pop_back();
        if (top.ret_pc == kNone) {
          res.results.assign(F, F + k);
          return res;
        }
        fp = top.fp;
        switch_to(top.instance);
        next = top.ret_pc;
        break;
      }
      case Op::Call:
        trap = call(inst->funcs[o[0]], fp + o[1], next);
        continue;
      case Op::CallIndirect: {
        const TableInst& t = tables_[inst->tables[o[2]]];
        const uint32_t i = u32(F[o[3]]);
        if (i >= t.elems.size()) { trap = TrapKind::UndefinedElement; continue; }
        const Slot ref = t.elems[i];
        if (ref == 0) { trap = TrapKind::UninitializedElement; continue; }
        if (!(funcs_[ref - 1].type == img->types[o[1]])) { trap = TrapKind::IndirectCallTypeMismatch; continue; }
        trap = call(static_cast<uint32_t>(ref - 1), fp + o[0], next);
        continue;
      }
      case Op::Copy: F[o[0]] = F[o[1]]; break;
      case Op::Const32: F[o[0]] = o[1]; break;
      case Op::Const64: F[o[0]] = o[1] | (static_cast<Slot>(o[2]) << 32); break;
      case Op::Select: F[o[0]] = u32(F[o[3]]) ? F[o[1]] : F[o[2]]; break;
      case Op::GlobalGet: F[o[0]] = globals_[inst->globals[o[1]]].value; break;
      case Op::GlobalSet: globals_[inst->globals[o[0]]].value = F[o[1]]; break;
      case Op::RefFunc: F[o[0]] = static_cast<Slot>(inst->funcs[o[1]]) + 1; break;
      case Op::RefIsNull: F[o[0]] = F[o[1]] == 0; break;
      case Op::Fuel: if (!charge(o[0])) { trap = TrapKind::OutOfFuel; continue; } break;
      case Op::MemorySize: F[o[0]] = mem->pages(); break;
      case Op::MemoryGrow: F[o[0]] = static_cast<uint32_t>(grow_memory(*mem, u32(F[o[1]]))); break;
      case Op::MemoryInit:
        if (!charge(u32(F[o[3]]) / gpu::VM_FUEL_BYTES_PER_UNIT)) { trap = TrapKind::OutOfFuel; continue; }
        trap = memory_init(*inst, o[0], u32(F[o[1]]), u32(F[o[2]]), u32(F[o[3]]));
        break;
      case Op::DataDrop: inst->data_dropped[o[0]] = true; break;
      case Op::MemoryCopy: {
        const uint32_t d = u32(F[o[0]]), s = u32(F[o[1]]), n = u32(F[o[2]]);
        if (!charge(n / gpu::VM_FUEL_BYTES_PER_UNIT)) { trap = TrapKind::OutOfFuel; continue; }
        if (!mem_ok(d, n) || !mem_ok(s, n)) { trap = TrapKind::MemoryOutOfBounds; continue; }
        if (n) std::memmove(mem->bytes.data() + d, mem->bytes.data() + s, n);
        break;
      }
      case Op::MemoryFill: {
        const uint32_t d = u32(F[o[0]]), n = u32(F[o[2]]);
        if (!charge(n / gpu::VM_FUEL_BYTES_PER_UNIT)) { trap = TrapKind::OutOfFuel; continue; }
        if (!mem_ok(d, n)) { trap = TrapKind::MemoryOutOfBounds; continue; }
        if (n) std::memset(mem->bytes.data() + d, static_cast<uint8_t>(F[o[1]]), n);
        break;
      }
      case Op::TableGet: {
        const TableInst& t = tables_[inst->tables[o[1]]];
        const uint32_t i = u32(F[o[2]]);
        if (i >= t.elems.size()) { trap = TrapKind::TableOutOfBounds; continue; }
        F[o[0]] = t.elems[i];
        break;
      }
      case Op::TableSet: {
        TableInst& t = tables_[inst->tables[o[0]]];
        const uint32_t i = u32(F[o[1]]);
        if (i >= t.elems.size()) { trap = TrapKind::TableOutOfBounds; continue; }
        t.elems[i] = F[o[2]];
        break;
      }
      case Op::TableSize: F[o[0]] = static_cast<uint32_t>(tables_[inst->tables[o[1]]].elems.size()); break;
      case Op::TableGrow:
        F[o[0]] = static_cast<uint32_t>(grow_table(tables_[inst->tables[o[1]]], u32(F[o[3]]), F[o[2]]));
        break;
      case Op::TableFill: {
        TableInst& t = tables_[inst->tables[o[0]]];
        const uint32_t i = u32(F[o[1]]), n = u32(F[o[3]]);
        if (uint64_t{i} + n > t.elems.size()) { trap = TrapKind::TableOutOfBounds; continue; }
        std::fill_n(t.elems.begin() + i, n, F[o[2]]);
        break;
      }
      case Op::TableCopy: {
        TableInst& dt = tables_[inst->tables[o[0]]];
        const TableInst& st = tables_[inst->tables[o[1]]];
        const uint32_t d = u32(F[o[2]]), s = u32(F[o[3]]), n = u32(F[o[4]]);
        if (uint64_t{d} + n > dt.elems.size() || uint64_t{s} + n > st.elems.size()) {
          trap = TrapKind::TableOutOfBounds;
          continue;
        }
        if (n) std::memmove(dt.elems.data() + d, st.elems.data() + s, n * sizeof(Slot));
        break;
      }
      case Op::TableInit: trap = table_init(*inst, o[0], o[1], u32(F[o[2]]), u32(F[o[3]]), u32(F[o[4]])); break;
      case Op::ElemDrop: inst->elems[o[0]].clear(); break;
      default:
        switch (info->form) {
          case Form::Load: {
            const uint64_t ea = uint64_t{u32(F[o[1]])} + o[2];
            if (!mem_ok(ea, access_size(op))) { trap = TrapKind::MemoryOutOfBounds; continue; }
            F[o[0]] = load_value(op, mem->bytes.data() + ea);
            break;
          }
          case Form::Store: {
            const uint64_t ea = uint64_t{u32(F[o[0]])} + o[2];
            if (!mem_ok(ea, access_size(op))) { trap = TrapKind::MemoryOutOfBounds; continue; }
            store_value(op, mem->bytes.data() + ea, F[o[1]]);
            break;
          }
          case Form::DA: trap = exec_numeric(op, &F[o[0]], F[o[1]], 0); break;
          case Form::DAB: trap = exec_numeric(op, &F[o[0]], F[o[1]], F[o[2]]); break;
          default: trap = TrapKind::HostError; break;
        }
        if (trap != TrapKind::None) continue;
        break;
    }
    if (trap != TrapKind::None) continue;
    pc = next;
  }
  // Trapped: locate the instruction at pc (the trapping one, or the call
  // whose callee could not be entered).
  res.trap.kind = trap;
  if (img) {
    if (const DebugEntry* d = img->locate(pc)) {
      res.trap.func = d->func;
      res.trap.wasm_offset = d->wasm_offset;
      res.trap.function_name = std::string(img->function_name(d->func));
    }
  }
  return res;
}

}  // namespace gpuos::vm::ref

// emit_block.cpp: one block of bytecode as GLSL (emit_internal.h). Every
// instruction does what shaders/vm/interp.glsl does for it, on registers
// instead of slot memory; where the interpreter calls a helper (do_call,
// bulk_op, load_value, store_part, the numeric cases), so does this code.
#include <fmt/format.h>

#include <algorithm>

#include "procs/jit/emit_internal.h"
#include "procs/vm/bytecode.h"

namespace gpuos::jit::detail {

using vm::Op;

std::string FunctionContext::slot(uint32_t i) const {
  return in_registers ? fmt::format("r{}", i) : fmt::format("SLOT(fp_ + {}u)", i);
}
std::string FunctionContext::spill_call() const {
  return in_registers ? fmt::format("{}_spill_{}();", prefix, code.func) : "";
}

namespace {

// Bytes a load or store touches (interp.glsl's access_size).
uint32_t access_size(Op op) {
  switch (op) {
    case Op::I64Load: case Op::F64Load: case Op::I64Store: case Op::F64Store: return 8;
    case Op::I32Load8S: case Op::I32Load8U: case Op::I64Load8S: case Op::I64Load8U:
    case Op::I32Store8: case Op::I64Store8: return 1;
    case Op::I32Load16S: case Op::I32Load16U: case Op::I64Load16S: case Op::I64Load16U:
    case Op::I32Store16: case Op::I64Store16: return 2;
    default: return 4;
  }
}

bool is_numeric(uint16_t op) { return (op >= 0x0345 && op <= 0x03c4) || (op >= 0x0400 && op <= 0x0407); }

class BlockWriter {
 public:
  BlockWriter(const FunctionContext& fc, size_t block, const Instr& in) : fc_(fc), block_(block), in_(in) {}

  // Operand word k of the instruction.
  uint32_t o(uint32_t k) const { return fc_.image.code[in_.pc + 1 + k]; }
  std::string s(uint32_t k) const { return fc_.slot(o(k)); }
  // Leaves compiled code with a trap at this instruction.
  std::string trap(const std::string& kind) const { return fmt::format("{{ trap_ = {}; pc_ = {}u; return; }}", kind, in_.pc); }

  std::string emit(bool& terminates) {
    terminates = true;
    const Op op = static_cast<Op>(in_.op);
    const uint32_t pc = in_.pc;
    switch (op) {
      case Op::Trap: return fmt::format("trap_ = {}u; pc_ = {}u; return;", in_.high, pc);
      case Op::Br: return fmt::format("blk = {}u; break;", o(0));
      case Op::BrIf: return fmt::format("blk = uint({}) != 0u ? {}u : {}u; break;", s(0), o(1), pc + 3);
      case Op::BrUnless: return fmt::format("blk = uint({}) == 0u ? {}u : {}u; break;", s(0), o(1), pc + 3);
      case Op::BrTable:
        // The target of entry min(index, count) is read from the code, as
        // the interpreter reads it: one load, where a constant array of the
        // targets made llvmpipe compile for minutes (the spec's 25,000-entry
        // table) and a switch would nest inside the block switch.
        return fmt::format("blk = CODE({}u + 2u * min(uint({}), {}u));\n        break;", pc + 4, s(0), o(1));
      case Op::Return: return emit_return();
      case Op::Call: return emit_call();
      case Op::CallIndirect: return emit_call_indirect();
      default: break;
    }
    if (runs_through_helper(in_.op)) return emit_helper();
    terminates = false;
    switch (op) {
      case Op::Nop: return "";
      case Op::Copy: return fmt::format("{} = {};", s(0), s(1));
      // Constants are XORed with a zero the driver cannot see (JIT_RUNTIME_ZERO),
      // so that it cannot fold float identities the spec forbids (x / 0.0).
      case Op::Const32: return fmt::format("{} = {}UL ^ zero;", s(0), o(1));
      case Op::Const64: return fmt::format("{} = {}UL ^ zero;", s(0), uint64_t{o(1)} | (uint64_t{o(2)} << 32));
      case Op::Select: return fmt::format("{} = uint({}) != 0u ? {} : {};", s(0), s(3), s(1), s(2));
      case Op::GlobalGet: return fmt::format("{} = GLOBAL({}u);", s(0), o(1));
      case Op::GlobalSet: return fmt::format("GLOBAL({}u) = {};", o(0), s(1));
      case Op::RefFunc:
        return fmt::format("{} = uint64_t(FUNC({}u * VM_FUNC_WORDS + VM_F_STORE_ADDR)) + 1UL;", s(0), o(1));
      case Op::RefIsNull: return fmt::format("{} = uint64_t({} == 0UL);", s(0), s(1));
      case Op::Fuel:
        return fmt::format(
            "\n#ifdef VM_FUEL\n        if (!vm_fuel_take({}UL)) {{ pc_ = {}u; return; }}\n#else\n        "
            "{{ trap_ = VM_TRAP_UNSUPPORTED_OP; aux_ = 0x0011u; pc_ = {}u; return; }}\n#endif\n",
            o(0), pc, pc);
      case Op::MemorySize: return fmt::format("{} = uint64_t(META(VM_META_MEM_PAGES));", s(0));
      default: break;
    }
    if (in_.op >= 0x0128 && in_.op <= 0x013e) return emit_memory_access(op);
    if (is_numeric(in_.op)) return emit_numeric();
    // An opcode outside WebAssembly 2.0 (reserved ranges): as the interpreter does.
    return fmt::format("{{ trap_ = VM_TRAP_UNSUPPORTED_OP; aux_ = 0x{:04x}u; pc_ = {}u; return; }}", in_.op, pc);
  }

 private:
  // A call goes through the one JIT_CALL block (emit_module.cpp): it writes
  // the registers back, runs do_call and enters the callee through
  // JIT_RESUME. One copy of that code for every call site keeps the shader
  // small enough for llvmpipe (whose compile time grows much faster than
  // the code).
  //
  // Only the registers live at the call go back to the frame (liveness.h):
  // the arguments, and what the caller reads after the callee returns.
  std::string shared_call(const std::string& func, uint32_t base, uint32_t ret) const {
    return fmt::format("{}call_f_ = {}; call_base_ = {}u; call_ret_ = {}u; pc_ = {}u; blk = JIT_CALL; break;",
                       spill_live(), func, base, ret, in_.pc);
  }

  // The registers of slots [from, to) live at this (call) block's start,
  // written to the frame.
  std::string spill_live(uint32_t from = 0, uint32_t to = UINT32_MAX) const {
    std::string spill;
    if (!fc_.in_registers) return spill;
    const std::vector<bool>& live = fc_.liveness->live_in[block_];
    for (uint32_t k = from; k < std::min<size_t>(to, live.size()); ++k) {
      if (live[k]) spill += fmt::format("SLOT(fp_ + {0}u) = r{0}; ", k);
    }
    return spill;
  }

  // A call of a function of this image whose frame is in registers: the
  // callee's entry straight from here, its arguments moved register to
  // register and its locals zeroed, with do_call's bookkeeping written out.
  // A call that would find the stack full takes the shared path, where
  // do_call does what the stack needs (a trap, or the kernel growing it).
  std::string emit_call() const {
    const uint32_t f = o(0), base = o(1), ret = in_.pc + 3;
    const vm::ImageFunction& callee = fc_.image.functions[f];
    if (!fc_.in_registers || callee.entry == vm::kNone || callee.frame_slots > fc_.max_register_slots) {
      return shared_call(std::to_string(f) + "u", base, ret);
    }
    // What the caller reads after the call lies below base; the arguments
    // go to the frame only on the shared path, whose do_call reads them there.
    std::string out = fmt::format(
        "{}\n        if (depth_ >= VM_DEPTH_LIMIT || uint64_t(fp_) + {}UL > uint64_t(VM_SLOT_LIMIT)) {{ "
        "{}call_f_ = {}u; call_base_ = {}u; call_ret_ = {}u; pc_ = {}u; blk = JIT_CALL; break; }}\n",
        spill_live(0, base), uint64_t{base} + callee.frame_slots, spill_live(base, UINT32_MAX), f, base, ret, in_.pc);
    out += fmt::format("        CTL(2u * depth_) = {}u; CTL(2u * depth_ + 1u) = fp_; depth_++; fp_ += {}u;\n        ",
                       ret, base);
    for (uint32_t i = 0; i < callee.num_params; ++i) {
      if (base != 0) out += fmt::format("r{} = r{}; ", i, base + i);
    }
    for (uint32_t i = 0; i < callee.num_locals; ++i) out += fmt::format("r{} = 0UL; ", callee.num_params + i);
    return out + fmt::format("zpos_ = zend_; ticks_ += {}u; blk = {}u; break;", callee.num_locals, callee.entry);
  }

  std::string emit_return() const {
    const uint32_t src = o(0), k = o(1);
    std::string out;
    for (uint32_t i = 0; i < k; ++i) out += fmt::format("{} = {}; ", fc_.slot(i), fc_.slot(src + i));
    if (fc_.in_registers) {
      for (uint32_t i = 0; i < k; ++i) out += fmt::format("SLOT(fp_ + {}u) = r{}; ", i, i);
    }
    return out + fmt::format(
                     "\n        depth_--;\n        if (depth_ == 0u) {{ status_ = VM_ST_DONE; pc_ = {}u; return; }}\n"
                     "        fp_ = CTL(2u * depth_ + 1u);\n"
                     "        blk = JIT_RETURN_TO | CTL(2u * depth_); break;  // the caller's return entry",
                     in_.pc);
  }

  std::string emit_call_indirect() const {
    const uint32_t pc = in_.pc, base = o(0), type = o(1), table = o(2);
    return fmt::format(
        "uint td = tdesc({table}u);\n"
        "        uint i = uint({idx});\n"
        "        if (i >= META(td + VM_TD_SIZE)) {trap8}\n"
        "        uint64_t ref = TAB(META(td + VM_TD_BASE) + i);\n"
        "        if (ref == 0UL) {trap9}\n"
        "        uint addr = uint(ref - 1UL);\n"
        "        uint f = addr < META(VM_META_ADDR_LEN) ? META(META(VM_META_ADDR_OFF) + addr) : VM_NOT_MAPPED;\n"
        "        if (f == VM_NOT_MAPPED) {{  // another instance's function: the host checks its type and runs it\n"
        "          if (uint64_t(fp_) + {base}u > uint64_t(VM_SLOT_LIMIT)) {trap10}\n"
        "          {spill} status_ = VM_ST_HOSTCALL; aux_ = VM_NOT_MAPPED; callee_fp_ = fp_ + {base}u;\n"
        "          handle_ = addr; type_ = {type}u; pc_ = {ret}u; return;\n"
        "        }}\n"
        "        if (FUNC(f * VM_FUNC_WORDS + VM_F_SIG) != META(META(VM_META_SIG_OFF) + {type}u)) {trap7}\n"
        "        {call}",
        fmt::arg("table", table), fmt::arg("idx", s(3)), fmt::arg("trap8", trap("8u")), fmt::arg("trap9", trap("9u")),
        fmt::arg("trap10", trap("10u")), fmt::arg("trap7", trap("7u")), fmt::arg("base", base),
        fmt::arg("type", type), fmt::arg("ret", pc + 5), fmt::arg("spill", fc_.spill_call()),
        fmt::arg("call", shared_call("f", base, pc + 5)));
  }

  // memory.grow, bulk memory and table instructions go through the one
  // JIT_HELPER block (emit_module.cpp), which runs the interpreter's own
  // code for them over the frame in memory.
  std::string emit_helper() const { return fmt::format("pc_ = {}u; blk = JIT_HELPER; break;", in_.pc); }

  std::string emit_memory_access(Op op) const {
    const bool is_load = in_.op <= 0x0135;
    const uint32_t n = access_size(op);
    std::string out = fmt::format("{{ uint64_t ea = uint64_t(uint({})) + {}UL; if (ea + {}UL > mem_bytes()) {} ",
                                  s(is_load ? 1 : 0), o(2), n, trap("2u"));
    if (is_load) return out + fmt::format("{} = load_value({}u, ea); }}", s(0), in_.op);
    out += fmt::format("uint64_t v = {}; store_part(ea, uint(v), {}u); ", s(1), std::min(n, 4u));
    if (n == 8) out += "store_part(ea + 4UL, uint(v >> 32), 4u); ";
    return out + "}";
  }

  std::string emit_numeric() const {
    fc_.numeric_ops->insert(in_.op);
    const vm::OpInfo* info = vm::op_info(in_.op);
    const bool unary = info->form == vm::Form::DA;
    const std::string b = unary ? "0UL" : s(2);
    // A conversion's result is XORed with the opaque zero, like constants, so
    // that the driver cannot fold a round trip such as i64 -> f64 -> i64 into
    // nothing (llvmpipe did: float_exprs.wast's no_fold_f64_s); in the
    // interpreter the value passes through slot memory in between.
    const bool conversion = (in_.op >= 0x03a8 && in_.op <= 0x03bb) || in_.op >= 0x0400;
    return fmt::format("{{ uint64_t v; uint t = jit_num_{:04x}({}, {}, v); if (t != 0u) {} {} = v{}; }}", in_.op, s(1),
                       b, trap("t"), s(0), conversion ? " ^ zero" : "");
  }

  const FunctionContext& fc_;
  size_t block_;  // the block's index in the function
  const Instr& in_;
};

}  // namespace

std::string emit_block(const FunctionContext& fc, size_t index) {
  const FunctionCode& code = fc.code;
  const Block& block = code.blocks[index];
  const Instr& first = code.instrs[block.first];
  uint32_t ticks = block.count;
  const Instr& last = code.instrs[block.first + block.count - 1];
  if (last.op == static_cast<uint16_t>(Op::Return)) ticks += fc.image.code[last.pc + 2];  // its result copies
  std::string out;
  // The return entry of a block that a call returns to: a callee's return
  // comes here, and the caller's registers that are live here come back
  // from the frame (the call wrote them there).
  if (block.first > 0) {
    const uint16_t before = code.instrs[block.first - 1].op;
    if (before == static_cast<uint16_t>(Op::Call) || before == static_cast<uint16_t>(Op::CallIndirect)) {
      std::string load;
      if (fc.in_registers) {
        const std::vector<bool>& live = fc.liveness->live_in[index];
        for (uint32_t k = 0; k < live.size(); ++k) {
          if (live[k]) load += fmt::format(" r{0} = SLOT(fp_ + {0}u);", k);
        }
      }
      out += fmt::format("      case {}u: {{ // f{} return entry\n       {} blk = {}u; break;\n      }}\n",
                         0x80000000u | first.pc, code.func, load, first.pc);
    }
  }
  out += fmt::format("      case {}u: {{  // f{}\n        ticks_ += {}u;\n", first.pc, code.func, ticks);
  bool terminates = false;
  for (uint32_t i = 0; i < block.count; ++i) {
    const Instr& in = code.instrs[block.first + i];
    BlockWriter w(fc, index, in);
    const std::string line = w.emit(terminates);
    if (!line.empty()) out += "        " + line + "\n";
  }
  if (!terminates) out += fmt::format("        blk = {}u; break;\n", last.pc + last.words);
  return out + "      }\n";
}

}  // namespace gpuos::jit::detail

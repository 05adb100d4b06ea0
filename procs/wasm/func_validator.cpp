// func_validator.cpp: FunctionValidator, the operand/control-stack type
// checker of the spec's validation appendix, one instruction per step().
//
// Instructions with a fixed signature in the opcode table (opcodes.h) are
// checked generically: immediates first (memory, table, segment indices,
// alignment), then pops and push from the table. The rest (control,
// variables, references, parametric) have their own cases in step_custom()
// and step_branch().
#include <string>

#include "procs/wasm/decoder.h"
#include "procs/wasm/validator.h"

namespace gpuos::wasm {

namespace {

constexpr ValType kSingleTypes[] = {ValType::I32,     ValType::I64,     ValType::F32,
                                    ValType::F64,     ValType::FuncRef, ValType::ExternRef};

// A one-element type list for `t` that outlives every validator.
std::span<const ValType> single(ValType t) {
  for (const ValType& s : kSingleTypes) {
    if (s == t) return {&s, 1};
  }
  return {};
}

std::string type_name(ValType t) { return t == kUnknownType ? "any" : to_string(t); }

std::string num(uint32_t value) { return std::to_string(value); }

}  // namespace

FunctionValidator::FunctionValidator(const ValidationContext& ctx, uint32_t func_index)
    : ctx_(ctx), m_(*ctx.module) {
  const FuncType& type = m_.func_type(func_index);
  const Function* f = m_.defined_func(func_index);
  locals_.assign(type.params.begin(), type.params.end());
  if (f) {
    locals_.reserve(locals_.size() + f->num_locals);
    for (const LocalDecl& decl : f->locals) locals_.insert(locals_.end(), decl.count, decl.type);
  }
  // Parameters live in locals, so the function frame starts with an empty stack.
  push_frame(FrameKind::Function, {}, type.results);
}

bool FunctionValidator::fail(std::string reason, WasmError code) {
  diag_.code = code;
  diag_.offset = offset_;
  diag_.reason = std::move(reason);
  return false;
}

bool FunctionValidator::fail_mismatch(ValType expected, ValType actual) {
  return fail("type mismatch: expected " + type_name(expected) + " but got " + type_name(actual));
}

void FunctionValidator::push(ValType t) {
  operands_.push_back(t);
  if (operands_.size() > max_height_) max_height_ = static_cast<uint32_t>(operands_.size());
}

void FunctionValidator::push_all(std::span<const ValType> types) {
  operands_.insert(operands_.end(), types.begin(), types.end());
  if (operands_.size() > max_height_) max_height_ = static_cast<uint32_t>(operands_.size());
}

bool FunctionValidator::check_limits() {
  if (max_height_ > kMaxOperandStackHeight) {
    return fail("operand stack too deep: more than " + num(kMaxOperandStackHeight) + " values",
                WasmError::LimitExceeded);
  }
  if (max_depth_ > kMaxControlDepth) {
    return fail("blocks nested too deeply: more than " + num(kMaxControlDepth), WasmError::LimitExceeded);
  }
  return true;
}

bool FunctionValidator::pop(ValType expected, ValType* actual) {
  const Frame& frame = frames_.back();
  if (operands_.size() == frame.height) {
    if (frame.unreachable) {
      // Polymorphic stack: any value can be popped.
      if (actual) *actual = kUnknownType;
      return true;
    }
    return fail("type mismatch: expected " + type_name(expected) + " but the stack is empty");
  }
  const ValType t = operands_.back();
  operands_.pop_back();
  if (t != expected && t != kUnknownType && expected != kUnknownType) return fail_mismatch(expected, t);
  if (actual) *actual = t;
  return true;
}

bool FunctionValidator::pop_any(ValType* actual) { return pop(kUnknownType, actual); }

bool FunctionValidator::pop_all(std::span<const ValType> types) {
  const Frame& frame = frames_.back();
  if (frame.unreachable) {
    // Only the values above the polymorphic base need checking; the rest
    // pop as Unknown. (Keeps long type lists cheap in dead code.)
    const size_t available = operands_.size() - frame.height;
    if (types.size() > available) types = types.subspan(types.size() - available);
  }
  for (size_t i = types.size(); i-- > 0;) {
    if (!pop(types[i])) return false;
  }
  return true;
}

void FunctionValidator::push_frame(FrameKind kind, std::span<const ValType> params,
                                   std::span<const ValType> results) {
  frames_.push_back({kind, params, results, static_cast<uint32_t>(operands_.size()), false});
  if (frames_.size() > max_depth_) max_depth_ = static_cast<uint32_t>(frames_.size());
  push_all(params);
}

bool FunctionValidator::pop_frame(Frame& frame) {
  if (!pop_all(frames_.back().results)) return false;
  const Frame& top = frames_.back();
  if (operands_.size() != top.height) {
    return fail("type mismatch: " + num(static_cast<uint32_t>(operands_.size() - top.height)) +
                " value(s) left on the stack at the end of the block");
  }
  frame = top;
  frames_.pop_back();
  return true;
}

void FunctionValidator::set_unreachable() {
  operands_.resize(frames_.back().height);
  frames_.back().unreachable = true;
}

std::span<const ValType> FunctionValidator::label_types(const Frame& frame) const {
  return frame.kind == FrameKind::Loop ? frame.params : frame.results;
}

bool FunctionValidator::check_label(uint32_t depth) {
  if (depth >= frames_.size()) return fail("unknown label " + num(depth));
  return true;
}

bool FunctionValidator::block_signature(const Instr& in, std::span<const ValType>& params,
                                        std::span<const ValType>& results) {
  switch (in.block.kind) {
    case BlockType::Kind::Empty:
      params = results = {};
      return true;
    case BlockType::Kind::Value:
      params = {};
      results = single(in.block.value);
      return true;
    case BlockType::Kind::TypeIndex:
      if (in.block.type_index >= m_.types.size()) return fail("unknown type " + num(in.block.type_index));
      params = m_.types[in.block.type_index].params;
      results = m_.types[in.block.type_index].results;
      return true;
  }
  return true;
}

bool FunctionValidator::check_immediates(const Instr& in) {
  switch (in.info->imm) {
    case Imm::MemArg:
      if (m_.memories.empty()) return fail("unknown memory 0");
      if (in.mem.align > in.info->natural_align) return fail("alignment must not be larger than natural");
      return true;
    case Imm::ZeroByte:
    case Imm::MemoryCopy:
      if (m_.memories.empty()) return fail("unknown memory 0");
      return true;
    case Imm::MemoryInit:
      if (m_.memories.empty()) return fail("unknown memory 0");
      [[fallthrough]];
    case Imm::Data:
      if (in.index >= m_.data_count.value_or(0)) return fail("unknown data segment " + num(in.index));
      return true;
    case Imm::Table:
      if (in.index >= m_.tables.size()) return fail("unknown table " + num(in.index));
      return true;
    case Imm::Elem:
      if (in.index >= m_.elements.size()) return fail("unknown elem segment " + num(in.index));
      return true;
    case Imm::TableInit:
      if (in.index2 >= m_.tables.size()) return fail("unknown table " + num(in.index2));
      if (in.index >= m_.elements.size()) return fail("unknown elem segment " + num(in.index));
      if (m_.tables[in.index2].elem_type != m_.elements[in.index].elem_type) {
        return fail_mismatch(m_.tables[in.index2].elem_type, m_.elements[in.index].elem_type);
      }
      return true;
    case Imm::TableCopy:
      if (in.index >= m_.tables.size()) return fail("unknown table " + num(in.index));
      if (in.index2 >= m_.tables.size()) return fail("unknown table " + num(in.index2));
      if (m_.tables[in.index].elem_type != m_.tables[in.index2].elem_type) {
        return fail_mismatch(m_.tables[in.index].elem_type, m_.tables[in.index2].elem_type);
      }
      return true;
    default:
      return true;
  }
}

bool FunctionValidator::step(const Instr& in) {
  offset_ = in.offset;
  if (frames_.empty()) return fail("operators remaining after end of function");
  if (!check_immediates(in)) return false;
  const OpInfo& info = *in.info;
  if (info.custom) return step_custom(in) && check_limits();
  for (int i = info.num_pops; i-- > 0;) {
    if (!pop(info.pops[i])) return false;
  }
  if (info.has_push) push(info.push);
  return check_limits();
}

bool FunctionValidator::step_branch(const Instr& in) {
  switch (in.op) {
    case Op::Br:
      if (!check_label(in.index)) return false;
      if (!pop_all(label_types(frames_[frames_.size() - 1 - in.index]))) return false;
      set_unreachable();
      return true;
    case Op::BrIf: {
      if (!check_label(in.index) || !pop(ValType::I32)) return false;
      const auto types = label_types(frames_[frames_.size() - 1 - in.index]);
      if (!pop_all(types)) return false;
      push_all(types);
      return true;
    }
    case Op::BrTable: {
      if (!pop(ValType::I32) || !check_label(in.index)) return false;
      const size_t arity = label_types(frames_[frames_.size() - 1 - in.index]).size();
      // Type lists already checked against this stack. Checking one again
      // gives the same answer, and skipping it keeps a long br_table over
      // labels with many results linear in the input.
      checked_.clear();
      for (uint32_t target : in.targets) {
        if (!check_label(target)) return false;
        const auto types = label_types(frames_[frames_.size() - 1 - target]);
        if (types.size() != arity) {
          return fail("type mismatch: br_table targets take " + num(static_cast<uint32_t>(types.size())) +
                      " and " + num(static_cast<uint32_t>(arity)) + " values");
        }
        if (arity == 0) continue;
        if (arity > 4) {
          if (!checked_.insert(types.data()).second) continue;
        }
        // Pop and push back what was popped: on a polymorphic stack the
        // values stay Unknown, so targets may differ in type (spec appendix).
        ValType popped[16];
        std::vector<ValType> many;
        ValType* actual = types.size() <= 16 ? popped : (many.resize(types.size()), many.data());
        for (size_t i = types.size(); i-- > 0;) {
          if (!pop(types[i], &actual[i])) return false;
        }
        for (size_t i = 0; i < types.size(); ++i) push(actual[i]);
      }
      if (!pop_all(label_types(frames_[frames_.size() - 1 - in.index]))) return false;
      set_unreachable();
      return true;
    }
    case Op::Return:
      if (!pop_all(frames_.front().results)) return false;
      set_unreachable();
      return true;
    default:
      return fail(std::string("unhandled opcode ") + in.info->mnemonic);
  }
}

bool FunctionValidator::step_custom(const Instr& in) {
  switch (in.op) {
    case Op::Unreachable:
      set_unreachable();
      return true;
    case Op::Block:
    case Op::Loop:
    case Op::If: {
      std::span<const ValType> params, results;
      if (!block_signature(in, params, results)) return false;
      if (in.op == Op::If && !pop(ValType::I32)) return false;
      if (!pop_all(params)) return false;
      const FrameKind kind = in.op == Op::Block ? FrameKind::Block
                             : in.op == Op::Loop ? FrameKind::Loop
                                                 : FrameKind::If;
      push_frame(kind, params, results);
      return true;
    }
    case Op::Else: {
      if (frames_.back().kind != FrameKind::If) return fail("else without matching if");
      Frame frame;
      if (!pop_frame(frame)) return false;
      push_frame(FrameKind::Else, frame.params, frame.results);
      return true;
    }
    case Op::End: {
      Frame frame;
      if (!pop_frame(frame)) return false;
      if (frame.kind == FrameKind::If) {
        // `if` without `else` has an empty else branch: params must pass
        // through as results.
        push_frame(FrameKind::Else, frame.params, frame.results);
        if (!pop_frame(frame)) return false;
      }
      if (!frames_.empty()) push_all(frame.results);
      return true;
    }
    case Op::Br:
    case Op::BrIf:
    case Op::BrTable:
    case Op::Return:
      return step_branch(in);
    case Op::Call: {
      if (in.index >= m_.num_funcs()) return fail("unknown function " + num(in.index));
      const FuncType& type = m_.func_type(in.index);
      if (!pop_all(type.params)) return false;
      push_all(type.results);
      return true;
    }
    case Op::CallIndirect: {
      if (in.index2 >= m_.tables.size()) return fail("unknown table " + num(in.index2));
      if (in.index >= m_.types.size()) return fail("unknown type " + num(in.index));
      if (m_.tables[in.index2].elem_type != ValType::FuncRef) {
        return fail("type mismatch: call_indirect needs a funcref table");
      }
      const FuncType& type = m_.types[in.index];
      if (!pop(ValType::I32) || !pop_all(type.params)) return false;
      push_all(type.results);
      return true;
    }
    case Op::Drop:
      return pop_any(nullptr);
    case Op::Select: {
      ValType t1, t2;
      if (!pop(ValType::I32) || !pop_any(&t1) || !pop_any(&t2)) return false;
      const bool numeric = (t1 == kUnknownType || is_num(t1)) && (t2 == kUnknownType || is_num(t2));
      if (!numeric) return fail("type mismatch: select without a type needs numeric operands");
      if (t1 != t2 && t1 != kUnknownType && t2 != kUnknownType) return fail_mismatch(t1, t2);
      push(t1 == kUnknownType ? t2 : t1);
      return true;
    }
    case Op::SelectT:
      if (in.type_count != 1) return fail("invalid result arity");
      if (!pop(ValType::I32) || !pop(in.type) || !pop(in.type)) return false;
      push(in.type);
      return true;
    case Op::LocalGet:
    case Op::LocalSet:
    case Op::LocalTee: {
      if (in.index >= locals_.size()) return fail("unknown local " + num(in.index));
      const ValType t = locals_[in.index];
      if (in.op == Op::LocalGet) {
        push(t);
        return true;
      }
      if (!pop(t)) return false;
      if (in.op == Op::LocalTee) push(t);
      return true;
    }
    case Op::GlobalGet:
    case Op::GlobalSet: {
      if (in.index >= m_.globals.size()) return fail("unknown global " + num(in.index));
      const GlobalType& g = m_.globals[in.index].type;
      if (in.op == Op::GlobalGet) {
        push(g.type);
        return true;
      }
      if (!g.is_mutable) return fail("global is immutable");
      return pop(g.type);
    }
    case Op::TableGet:
      if (!pop(ValType::I32)) return false;
      push(m_.tables[in.index].elem_type);
      return true;
    case Op::TableSet:
      return pop(m_.tables[in.index].elem_type) && pop(ValType::I32);
    case Op::TableGrow:
      if (!pop(ValType::I32) || !pop(m_.tables[in.index].elem_type)) return false;
      push(ValType::I32);
      return true;
    case Op::TableFill:
      return pop(ValType::I32) && pop(m_.tables[in.index].elem_type) && pop(ValType::I32);
    case Op::RefNull:
      push(in.type);
      return true;
    case Op::RefIsNull: {
      ValType t;
      if (!pop_any(&t)) return false;
      if (t != kUnknownType && !is_ref(t)) return fail("type mismatch: expected a reference but got " + type_name(t));
      push(ValType::I32);
      return true;
    }
    case Op::RefFunc:
      if (in.index >= m_.num_funcs()) return fail("unknown function " + num(in.index));
      if (!ctx_.declared_refs[in.index]) return fail("undeclared function reference");
      push(ValType::FuncRef);
      return true;
    default:
      return fail(std::string("unhandled opcode ") + in.info->mnemonic);
  }
}

}  // namespace gpuos::wasm

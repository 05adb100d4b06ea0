// translate_function.cpp: one WebAssembly function body -> slot bytecode.
//
// A single forward pass over the body (InitReader), in the manner of wasmi
// 0.32 / WAMR fast-interp. The frame is [params | locals | operand stack]:
// the value at operand-stack height h lives in slot stack_base + h. The
// translator keeps a compile-time model of the operand stack whose entries
// name the slot holding each value, which lets `local.get` be free (the
// entry simply names the local's slot) and lets `local.set`/`local.tee`
// retarget the previous instruction's destination (no copy). Two rules
// keep that sound:
//   - before a local is written, stack entries naming it get copied to
//     their own slot ("materialised");
//   - at every control instruction (block, loop, if, else, end, call) all
//     entries are materialised, so that every control-flow edge sees values
//     in their canonical slots.
// Code after unreachable/br/br_table/return is skipped up to the end (or
// else) of its block. See docs/vm.md for the full scheme.
#include <algorithm>
#include <string>

#include "procs/vm/bytecode.h"
#include "procs/vm/translator.h"
#include "procs/wasm/instr_reader.h"

namespace gpuos::vm {
namespace {

using wasm::Instr;

// Translation of the WebAssembly instructions that map one to one.
const OpInfo* simple_op(wasm::Op op) {
  switch (op) {
#define GPUOS_VM_SIMPLE_CASE(name, code, n, form, mnemonic) \
  case wasm::Op::name: return op_info(Op::name);
    GPUOS_VM_WASM_OPS(GPUOS_VM_SIMPLE_CASE)
#undef GPUOS_VM_SIMPLE_CASE
    default: return nullptr;
  }
}

// One operand-stack value: the slot that holds it. `alias` entries name a
// local's slot (a pending local.get) rather than their own stack slot.
struct Entry {
  uint32_t slot = 0;
  bool alias = false;
};

// One open block, loop, if, or the function body itself.
struct Ctrl {
  wasm::Op kind = wasm::Op::Block;  // Block, Loop, If, or End for the function body
  uint32_t height = 0;              // stack height at entry, params excluded
  uint32_t num_params = 0;
  uint32_t num_results = 0;
  uint32_t loop_start = 0;             // Loop: branch target
  std::vector<uint32_t> fixups;        // words to patch with the end's offset
  uint32_t else_fixup = kNone;         // If: word to patch with the else's offset
  bool unreachable = false;            // the rest of this block is dead code
  bool metered = false;                // Loop, If: opened a fuel region (closed at its end)
  uint32_t label_arity() const { return kind == wasm::Op::Loop ? num_params : num_results; }
};

class FunctionTranslator {
 public:
  FunctionTranslator(const wasm::Module& m, uint32_t func, ProgramImage& img, const TranslateOptions& options)
      : m_(m), func_(func), img_(img), code_(img.code), meter_(options.meter_fuel) {}

  Result<void, TranslateError> run();

 private:
  // --- emission -------------------------------------------------------
  uint32_t here() const { return static_cast<uint32_t>(code_.size()); }
  void emit(Op op, std::initializer_list<uint32_t> operands, uint16_t high = 0) {
    code_.push_back(opcode_word(op, high));
    code_.insert(code_.end(), operands.begin(), operands.end());
    fuse_pos_ = kNone;
  }
  // Emits an instruction whose first operand is a new top-of-stack slot.
  void emit_result(Op op, std::initializer_list<uint32_t> rest) {
    const uint32_t dst = push_slot();
    code_.push_back(opcode_word(op));
    fuse_pos_ = here();
    code_.push_back(dst);
    code_.insert(code_.end(), rest.begin(), rest.end());
  }

  // --- fuel regions (TranslateOptions::meter_fuel) --------------------
  // A region's Fuel instruction is emitted with 0 units and patched with
  // its count when the region closes.
  struct FuelRegion {
    uint32_t word;   // the Fuel instruction's operand
    uint32_t units;  // instructions counted so far
  };
  void open_region() {
    emit(Op::Fuel, {0});
    regions_.push_back({here() - 1, 0});
  }
  void close_region() {
    code_[regions_.back().word] = regions_.back().units;
    regions_.pop_back();
  }
  static bool is_structure(wasm::Op op) {
    return op == wasm::Op::Block || op == wasm::Op::Loop || op == wasm::Op::Else || op == wasm::Op::End;
  }

  // --- operand stack model --------------------------------------------
  uint32_t slot_at(size_t height) const { return stack_base_ + static_cast<uint32_t>(height); }
  uint32_t push_slot() {
    const uint32_t s = slot_at(st_.size());
    st_.push_back({s, false});
    max_height_ = std::max(max_height_, static_cast<uint32_t>(st_.size()));
    return s;
  }
  uint32_t pop() {
    const uint32_t s = st_.back().slot;
    st_.pop_back();
    return s;
  }
  void materialise(size_t i) {
    if (!st_[i].alias) return;
    emit(Op::Copy, {slot_at(i), st_[i].slot});
    st_[i] = {slot_at(i), false};
  }
  void materialise_all() {
    for (size_t i = 0; i < st_.size(); ++i) materialise(i);
  }
  void materialise_local(uint32_t local) {
    for (size_t i = 0; i < st_.size(); ++i) {
      if (st_[i].alias && st_[i].slot == local) materialise(i);
    }
  }
  void set_unreachable() {
    Ctrl& c = ctrl_.back();
    st_.resize(c.height);
    c.unreachable = true;
    fuse_pos_ = kNone;
  }

  // --- control --------------------------------------------------------
  void block_arity(const Instr& in, uint32_t& params, uint32_t& results) const;
  bool needs_copies(const Ctrl& target) const;
  void emit_copies(const Ctrl& target);
  void emit_jump(Ctrl& target);  // Br to target (or Return for the body), copies already done
  void emit_branch(uint32_t depth);
  void emit_return();
  void on_block(const Instr& in);
  void on_else();
  void on_end();
  void on_br_if(uint32_t depth);
  void on_br_table(const Instr& in);
  uint32_t begin_call(uint32_t params);
  void end_call(uint32_t results);
  void on_local_set(uint32_t local, bool tee);
  bool step(const Instr& in);

  const wasm::Module& m_;
  uint32_t func_;
  ProgramImage& img_;
  std::vector<uint32_t>& code_;
  uint32_t stack_base_ = 0;
  uint32_t num_results_ = 0;
  std::vector<Entry> st_;
  std::vector<Ctrl> ctrl_;
  uint32_t dead_depth_ = 0;   // blocks opened inside dead code
  uint32_t max_height_ = 0;
  uint32_t fuse_pos_ = kNone;  // destination word of the last instruction, if it wrote the top slot
  bool meter_ = false;
  std::vector<FuelRegion> regions_;  // open fuel regions, innermost last
};

void FunctionTranslator::block_arity(const Instr& in, uint32_t& params, uint32_t& results) const {
  switch (in.block.kind) {
    case wasm::BlockType::Kind::Empty: params = results = 0; break;
    case wasm::BlockType::Kind::Value: params = 0, results = 1; break;
    case wasm::BlockType::Kind::TypeIndex:
      params = static_cast<uint32_t>(m_.types[in.block.type_index].params.size());
      results = static_cast<uint32_t>(m_.types[in.block.type_index].results.size());
      break;
  }
}

bool FunctionTranslator::needs_copies(const Ctrl& target) const {
  const uint32_t k = target.label_arity();
  for (uint32_t i = 0; i < k; ++i) {
    if (st_[st_.size() - k + i].slot != slot_at(target.height + i)) return true;
  }
  return false;
}

// Moves the label's values (top of stack) into the target's slots. Copies go
// in increasing slot order: a destination is never above its source, so no
// value is overwritten before it is read.
void FunctionTranslator::emit_copies(const Ctrl& target) {
  const uint32_t k = target.label_arity();
  for (uint32_t i = 0; i < k; ++i) {
    const uint32_t src = st_[st_.size() - k + i].slot, dst = slot_at(target.height + i);
    if (src != dst) emit(Op::Copy, {dst, src});
  }
}

void FunctionTranslator::emit_jump(Ctrl& target) {
  if (target.kind == wasm::Op::Loop) {
    emit(Op::Br, {target.loop_start});
  } else {
    emit(Op::Br, {0});
    target.fixups.push_back(here() - 1);
  }
}

void FunctionTranslator::emit_branch(uint32_t depth) {
  Ctrl& target = ctrl_[ctrl_.size() - 1 - depth];
  if (&target == &ctrl_.front()) return emit_return();
  emit_copies(target);
  emit_jump(target);
}

// Results go to slots 0..k-1 of the frame. Aliases are materialised first:
// a result copied into slot i could otherwise overwrite a parameter that a
// later result still reads.
void FunctionTranslator::emit_return() {
  const uint32_t k = num_results_;
  for (size_t i = st_.size() - k; i < st_.size(); ++i) materialise(i);
  emit(Op::Return, {k ? st_[st_.size() - k].slot : 0, k});
}

void FunctionTranslator::on_block(const Instr& in) {
  Ctrl c;
  c.kind = in.op;
  block_arity(in, c.num_params, c.num_results);
  if (in.op == wasm::Op::If) {
    const uint32_t cond = pop();
    materialise_all();
    emit(Op::BrUnless, {cond, 0});
    c.else_fixup = here() - 1;
  } else {
    materialise_all();
  }
  c.height = static_cast<uint32_t>(st_.size()) - c.num_params;
  c.loop_start = here();  // a loop's back edges run its Fuel again
  c.metered = meter_ && in.op != wasm::Op::Block;
  if (c.metered) open_region();  // a loop's body, an if's then-arm
  fuse_pos_ = kNone;
  ctrl_.push_back(std::move(c));
}

void FunctionTranslator::on_else() {
  Ctrl& c = ctrl_.back();
  if (!c.unreachable) {
    materialise_all();
    emit_jump(c);
  }
  if (c.metered) close_region();  // the then-arm's
  code_[c.else_fixup] = here();
  if (c.metered) open_region();  // the else-arm's
  c.else_fixup = kNone;
  c.unreachable = false;
  st_.resize(c.height);
  for (uint32_t i = 0; i < c.num_params; ++i) push_slot();
  fuse_pos_ = kNone;
}

void FunctionTranslator::on_end() {
  Ctrl& c = ctrl_.back();
  if (ctrl_.size() == 1) {
    if (!c.unreachable) emit_return();
    ctrl_.pop_back();
    return;
  }
  if (!c.unreachable) materialise_all();
  if (c.metered) close_region();
  for (uint32_t word : c.fixups) code_[word] = here();
  if (c.else_fixup != kNone) code_[c.else_fixup] = here();
  st_.resize(c.height);
  const uint32_t results = c.num_results;
  ctrl_.pop_back();
  for (uint32_t i = 0; i < results; ++i) push_slot();
  fuse_pos_ = kNone;
}

void FunctionTranslator::on_br_if(uint32_t depth) {
  const uint32_t cond = pop();
  Ctrl& target = ctrl_[ctrl_.size() - 1 - depth];
  if (&target != &ctrl_.front() && !needs_copies(target)) {
    if (target.kind == wasm::Op::Loop) {
      emit(Op::BrIf, {cond, target.loop_start});
    } else {
      emit(Op::BrIf, {cond, 0});
      target.fixups.push_back(here() - 1);
    }
    return;
  }
  // Copies (or a return) only on the taken path: skip them when cond == 0.
  emit(Op::BrUnless, {cond, 0});
  const uint32_t skip = here() - 1;
  const std::vector<Entry> saved = st_;  // emit_return may materialise; the fallthrough must not assume it
  emit_branch(depth);
  st_ = saved;
  code_[skip] = here();
  fuse_pos_ = kNone;
}

// BrTable index count, then count+1 Br instructions: entry i at
// table + 2*i. Entries whose target needs value copies (or is the function
// body) jump to a stub after the table that does the copies.
void FunctionTranslator::on_br_table(const Instr& in) {
  const uint32_t index = pop();
  const uint32_t n = static_cast<uint32_t>(in.targets.size());
  std::vector<uint32_t> depths(in.targets.begin(), in.targets.end());
  depths.push_back(in.index);
  emit(Op::BrTable, {index, n});
  std::vector<std::pair<uint32_t, uint32_t>> stubs;  // (entry word to patch, depth)
  for (uint32_t depth : depths) {
    Ctrl& target = ctrl_[ctrl_.size() - 1 - depth];
    if (&target == &ctrl_.front() || needs_copies(target)) {
      emit(Op::Br, {0});
      stubs.push_back({here() - 1, depth});
    } else {
      emit_jump(target);
    }
  }
  for (auto [word, depth] : stubs) {
    code_[word] = here();
    const std::vector<Entry> saved = st_;
    emit_branch(depth);
    st_ = saved;
  }
  set_unreachable();
}

// call / call_indirect: arguments are the top `params` values; the callee's
// frame starts at the first argument's slot, so only the arguments need to
// be materialised (the callee cannot touch the caller's locals).
uint32_t FunctionTranslator::begin_call(uint32_t params) {
  for (size_t i = st_.size() - params; i < st_.size(); ++i) materialise(i);
  const uint32_t base = slot_at(st_.size() - params);
  st_.resize(st_.size() - params);
  return base;
}

void FunctionTranslator::end_call(uint32_t results) {
  fuse_pos_ = kNone;
  for (uint32_t i = 0; i < results; ++i) push_slot();
}

void FunctionTranslator::on_local_set(uint32_t local, bool tee) {
  const Entry top = st_.back();
  bool others_alias = false;
  for (size_t i = 0; i + 1 < st_.size(); ++i) others_alias |= st_[i].alias && st_[i].slot == local;
  if (fuse_pos_ != kNone && !top.alias && top.slot == slot_at(st_.size() - 1) && code_[fuse_pos_] == top.slot &&
      !others_alias) {
    // The previous instruction computed this value: write it to the local directly.
    code_[fuse_pos_] = local;
    st_.back() = {local, true};
  } else if (!(top.alias && top.slot == local)) {
    materialise_local(local);
    emit(Op::Copy, {local, st_.back().slot});
  }
  fuse_pos_ = kNone;
  if (!tee) st_.pop_back();
}

bool FunctionTranslator::step(const Instr& in) {
  using W = wasm::Op;
  if (ctrl_.back().unreachable) {
    switch (in.op) {
      case W::Block: case W::Loop: case W::If: ++dead_depth_; return true;
      case W::Else: if (dead_depth_ == 0) on_else(); return true;
      case W::End:
        if (dead_depth_ > 0) --dead_depth_;
        else on_end();
        return true;
      default: return true;
    }
  }
  if (const OpInfo* info = simple_op(in.op)) {
    switch (info->form) {
      case Form::D: emit_result(info->op, {}); break;
      case Form::DA: { const uint32_t a = pop(); emit_result(info->op, {a}); break; }
      case Form::DAB: { const uint32_t b = pop(), a = pop(); emit_result(info->op, {a, b}); break; }
      case Form::Load: { const uint32_t a = pop(); emit_result(info->op, {a, in.mem.offset}); break; }
      case Form::Store: { const uint32_t v = pop(), a = pop(); emit(info->op, {a, v, in.mem.offset}); break; }
      default: return false;
    }
    return true;
  }
  switch (in.op) {
    case W::Unreachable: emit(Op::Trap, {}, static_cast<uint16_t>(TrapKind::Unreachable)); set_unreachable(); break;
    case W::Nop: break;
    case W::Block: case W::Loop: case W::If: on_block(in); break;
    case W::Else: on_else(); break;
    case W::End: on_end(); break;
    case W::Br: emit_branch(in.index); set_unreachable(); break;
    case W::BrIf: on_br_if(in.index); break;
    case W::BrTable: on_br_table(in); break;
    case W::Return: emit_return(); set_unreachable(); break;
    case W::Call: {
      const wasm::FuncType& t = m_.func_type(in.index);
      const uint32_t base = begin_call(static_cast<uint32_t>(t.params.size()));
      emit(Op::Call, {in.index, base});
      end_call(static_cast<uint32_t>(t.results.size()));
      break;
    }
    case W::CallIndirect: {
      const wasm::FuncType& t = m_.types[in.index];
      const uint32_t index = pop();
      const uint32_t base = begin_call(static_cast<uint32_t>(t.params.size()));
      emit(Op::CallIndirect, {base, in.index, in.index2, index});
      end_call(static_cast<uint32_t>(t.results.size()));
      break;
    }
    case W::Drop: pop(); break;
    case W::Select: case W::SelectT: {
      const uint32_t c = pop(), b = pop(), a = pop();
      emit_result(Op::Select, {a, b, c});
      break;
    }
    case W::LocalGet: st_.push_back({in.index, true}); max_height_ = std::max(max_height_, static_cast<uint32_t>(st_.size())); break;
    case W::LocalSet: on_local_set(in.index, false); break;
    case W::LocalTee: on_local_set(in.index, true); break;
    case W::GlobalGet: emit_result(Op::GlobalGet, {in.index}); break;
    case W::GlobalSet: { const uint32_t a = pop(); emit(Op::GlobalSet, {in.index, a}); break; }
    case W::I32Const: case W::F32Const: emit_result(Op::Const32, {static_cast<uint32_t>(in.bits)}); break;
    case W::I64Const: case W::F64Const:
      emit_result(Op::Const64, {static_cast<uint32_t>(in.bits), static_cast<uint32_t>(in.bits >> 32)});
      break;
    case W::RefNull: emit_result(Op::Const32, {0}); break;
    case W::RefIsNull: { const uint32_t a = pop(); emit_result(Op::RefIsNull, {a}); break; }
    case W::RefFunc: emit_result(Op::RefFunc, {in.index}); break;
    case W::TableGet: { const uint32_t i = pop(); emit_result(Op::TableGet, {in.index, i}); break; }
    case W::TableSet: { const uint32_t v = pop(), i = pop(); emit(Op::TableSet, {in.index, i, v}); break; }
    case W::TableSize: emit_result(Op::TableSize, {in.index}); break;
    case W::TableGrow: { const uint32_t n = pop(), v = pop(); emit_result(Op::TableGrow, {in.index, v, n}); break; }
    case W::TableFill: {
      const uint32_t n = pop(), v = pop(), i = pop();
      emit(Op::TableFill, {in.index, i, v, n});
      break;
    }
    case W::TableCopy: {
      const uint32_t n = pop(), s = pop(), d = pop();
      emit(Op::TableCopy, {in.index, in.index2, d, s, n});
      break;
    }
    case W::TableInit: {
      const uint32_t n = pop(), s = pop(), d = pop();
      emit(Op::TableInit, {in.index2, in.index, d, s, n});
      break;
    }
    case W::ElemDrop: emit(Op::ElemDrop, {in.index}); break;
    case W::MemoryInit: {
      const uint32_t n = pop(), s = pop(), d = pop();
      emit(Op::MemoryInit, {in.index, d, s, n});
      break;
    }
    case W::DataDrop: emit(Op::DataDrop, {in.index}); break;
    case W::MemoryCopy: { const uint32_t n = pop(), s = pop(), d = pop(); emit(Op::MemoryCopy, {d, s, n}); break; }
    case W::MemoryFill: { const uint32_t n = pop(), v = pop(), d = pop(); emit(Op::MemoryFill, {d, v, n}); break; }
    default: return false;
  }
  return true;
}

Result<void, TranslateError> FunctionTranslator::run() {
  const wasm::Function& f = *m_.defined_func(func_);
  const wasm::FuncType& type = m_.func_type(func_);
  const uint32_t num_params = static_cast<uint32_t>(type.params.size());
  stack_base_ = num_params + f.num_locals;
  num_results_ = static_cast<uint32_t>(type.results.size());
  ImageFunction& out = img_.functions[func_];
  out.entry = here();
  out.num_locals = f.num_locals;
  out.wasm_offset = f.body_offset;

  Ctrl body;
  body.kind = wasm::Op::End;
  body.num_results = num_results_;
  ctrl_.push_back(body);
  if (meter_) {
    open_region();  // the body's, closed after its end
    img_.debug.push_back({out.entry, func_, f.body_offset});
  }

  wasm::InstrReader reader(m_.bytes, f.code_offset, f.body_end);
  Instr in;
  while (!ctrl_.empty()) {
    if (!reader.next(in)) {
      return fail(TranslateError::Internal, "cannot decode function " + std::to_string(func_) + " at 0x" +
                                                std::to_string(reader.pos()));
    }
    const uint32_t start = here();
    const bool live = !ctrl_.back().unreachable;
    if (live && st_.size() < in.info->num_pops && !in.info->custom) {
      return fail(TranslateError::Internal, "operand stack underflow in function " + std::to_string(func_));
    }
    if (meter_ && live && !is_structure(in.op)) ++regions_.back().units;
    if (!step(in)) {
      return fail(TranslateError::Internal, std::string("cannot translate ") + in.info->mnemonic);
    }
    if (here() > start && (img_.debug.empty() || img_.debug.back().word < start)) {
      img_.debug.push_back({start, func_, in.offset});
    }
  }
  if (meter_) close_region();
  const uint64_t frame = static_cast<uint64_t>(stack_base_) + std::max(max_height_, f.max_stack_height);
  if (frame > kMaxFrameSlots) {
    return fail(TranslateError::LimitExceeded, "function " + std::to_string(func_) + " needs " +
                                                   std::to_string(frame) + " frame slots");
  }
  out.frame_slots = static_cast<uint32_t>(frame);
  return {};
}

}  // namespace

Result<void, TranslateError> translate_function(const wasm::Module& m, uint32_t func, ProgramImage& img,
                                                const TranslateOptions& options) {
  if (!m.defined_func(func)) return fail(TranslateError::Internal, "not a defined function");
  return FunctionTranslator(m, func, img, options).run();
}

}  // namespace gpuos::vm

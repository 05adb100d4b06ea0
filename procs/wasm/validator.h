// validator.h: WebAssembly 2.0 validation (no SIMD).
//
// validate_module() checks a decoded Module as the spec's validation rules
// require, in the reference interpreter's order (imports, function types,
// globals, tables, memories, element and data segments, function bodies,
// start, exports), so the first error reported matches the spec tests.
// Function bodies are checked with FunctionValidator, an implementation of
// the operand/control-stack algorithm of the spec's validation appendix,
// including the polymorphic stack after unreachable, br, br_table and
// return. It works one instruction at a time so that a translator can drive
// it alongside its own code generation and read the operand types at each
// step (operands()), rather than re-deriving them.
#pragma once

#include <cstdint>
#include <span>
#include <unordered_set>
#include <vector>

#include "kernel/result.h"
#include "procs/wasm/diagnostic.h"
#include "procs/wasm/instr_reader.h"
#include "procs/wasm/module.h"

namespace gpuos::wasm {

// Type of an operand whose type is not known: only on the polymorphic stack
// of unreachable code (the appendix's "Unknown").
inline constexpr ValType kUnknownType = static_cast<ValType>(0);

// Checks `module`; on success also fills Function::max_stack_height and
// Function::max_control_depth of every defined function.
Result<void, WasmError> validate_module(Module& module);

// Module-wide facts that function bodies are checked against (the spec's
// context C, minus locals and labels).
struct ValidationContext {
  const Module* module = nullptr;
  // C.refs: functions named outside function bodies (element segments,
  // global initialisers, exports), the only ones ref.func may name in code.
  std::vector<bool> declared_refs;

  static ValidationContext build(const Module& module);
};

class FunctionValidator {
 public:
  enum class FrameKind : uint8_t { Function, Block, Loop, If, Else };
  struct Frame {
    FrameKind kind = FrameKind::Block;
    std::span<const ValType> params;
    std::span<const ValType> results;
    uint32_t height = 0;       // operand stack height at entry (after params were popped)
    bool unreachable = false;  // rest of the frame is dead code
  };

  // Precondition: func_index names a defined function whose type index is
  // valid (validate_module checks declarations before bodies).
  FunctionValidator(const ValidationContext& ctx, uint32_t func_index);

  // Type-checks one instruction. Returns false on a validation error
  // (diagnostic()); the validator must not be used after that.
  bool step(const Instr& in);

  bool done() const { return frames_.empty(); }  // the function's final `end` was checked
  const Diagnostic& diagnostic() const { return diag_; }

  // Operand types, bottom first; kUnknownType only in unreachable code.
  std::span<const ValType> operands() const { return operands_; }
  std::span<const Frame> frames() const { return frames_; }
  // Type of local `index` (params first); index must be < num_locals().
  ValType local_type(uint32_t index) const { return locals_[index]; }
  uint32_t num_locals() const { return static_cast<uint32_t>(locals_.size()); }

  uint32_t max_stack_height() const { return max_height_; }
  uint32_t max_control_depth() const { return max_depth_; }

 private:
  bool fail(std::string reason, WasmError code = WasmError::Invalid);
  bool check_limits();
  bool fail_mismatch(ValType expected, ValType actual);
  void push(ValType t);
  void push_all(std::span<const ValType> types);
  bool pop(ValType expected, ValType* actual = nullptr);
  bool pop_any(ValType* actual);
  bool pop_all(std::span<const ValType> types);
  void push_frame(FrameKind kind, std::span<const ValType> params, std::span<const ValType> results);
  bool pop_frame(Frame& frame);
  void set_unreachable();
  std::span<const ValType> label_types(const Frame& frame) const;
  bool check_label(uint32_t depth);
  bool block_signature(const Instr& in, std::span<const ValType>& params, std::span<const ValType>& results);
  bool check_immediates(const Instr& in);
  bool step_custom(const Instr& in);
  bool step_branch(const Instr& in);

  const ValidationContext& ctx_;
  const Module& m_;
  std::vector<ValType> locals_;
  std::vector<ValType> operands_;
  std::vector<Frame> frames_;
  uint32_t max_height_ = 0;
  uint32_t max_depth_ = 0;
  uint32_t offset_ = 0;  // offset of the instruction being checked
  std::unordered_set<const ValType*> checked_;  // br_table: label type lists already checked
  Diagnostic diag_;
};

}  // namespace gpuos::wasm

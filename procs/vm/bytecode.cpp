// bytecode.cpp: opcode lookup table and trap messages for bytecode.h.
#include "procs/vm/bytecode.h"

#include <array>

namespace gpuos::vm {
namespace {

// Opcode-indexed table, built once from the two X-macro lists so that the
// opcode table in bytecode.h stays the single source of truth.
struct Table {
  std::array<OpInfo, kNumOpcodes> info{};
  std::array<bool, kNumOpcodes> present{};
  Table() {
#define GPUOS_VM_CORE_ROW(name, code, n, mnemonic, operands) \
  info[code] = {Op::name, n, Form::Custom, mnemonic};         \
  present[code] = true;
#define GPUOS_VM_WASM_ROW(name, code, n, form, mnemonic) \
  info[code] = {Op::name, n, Form::form, mnemonic};      \
  present[code] = true;
    GPUOS_VM_CORE_OPS(GPUOS_VM_CORE_ROW)
    GPUOS_VM_WASM_OPS(GPUOS_VM_WASM_ROW)
#undef GPUOS_VM_CORE_ROW
#undef GPUOS_VM_WASM_ROW
    info[0x0000].form = Form::None;
    info[0x0001].form = Form::None;
  }
};

const Table& table() {
  static const Table t;
  return t;
}

}  // namespace

const OpInfo* op_info(uint16_t opcode) {
  if (opcode >= kNumOpcodes || !table().present[opcode]) return nullptr;
  return &table().info[opcode];
}

const char* trap_message(TrapKind kind) {
  switch (kind) {
    case TrapKind::None: return "no trap";
    case TrapKind::Unreachable: return "unreachable";
    case TrapKind::MemoryOutOfBounds: return "out of bounds memory access";
    case TrapKind::TableOutOfBounds: return "out of bounds table access";
    case TrapKind::IntegerDivideByZero: return "integer divide by zero";
    case TrapKind::IntegerOverflow: return "integer overflow";
    case TrapKind::InvalidConversion: return "invalid conversion to integer";
    case TrapKind::IndirectCallTypeMismatch: return "indirect call type mismatch";
    case TrapKind::UndefinedElement: return "undefined element";
    case TrapKind::UninitializedElement: return "uninitialized element";
    case TrapKind::CallStackExhausted: return "call stack exhausted";
    case TrapKind::HostError: return "host function failed";
    case TrapKind::BudgetExhausted: return "instruction budget exhausted";
    case TrapKind::OutOfFuel: return "out of fuel";
  }
  return "unknown trap";
}

}  // namespace gpuos::vm

// bytecode.h: the gpuos VM instruction set (register/slot bytecode).
//
// WebAssembly stack code is translated (translator.h) into this form once,
// on the host, so that the GPU interpreter never decodes LEB128, never tracks
// an operand-stack height and never searches for a branch target:
//   - code is a flat array of 32-bit words;
//   - an instruction is one opcode word followed by a FIXED number of operand
//     words given by the opcode (kOpInfo below). The opcode is in the low 16
//     bits of the opcode word; the high 16 bits carry a small immediate where
//     an opcode says so (Trap: the trap kind), else zero;
//   - operands are frame slot indices (64-bit slots relative to the frame
//     pointer), absolute word offsets (branch targets), indices into the
//     image's spaces (function, global, table, segment) or raw constants;
//   - i32 and f32 live in the low 32 bits of a slot; an instruction that
//     writes an i32/f32 result zero-extends it. References are 64-bit:
//     0 is null, anything else a handle (see docs/vm.md).
// br_table is the one instruction followed by a variable tail: `count + 1`
// Br instructions (2 words each) forming its jump table, so every entry is
// itself a fixed-size instruction. See docs/vm.md for the full format.
#pragma once

#include <cstdint>
#include <string_view>

namespace gpuos::vm {

// Operand layout classes. Slots are written "d" (destination) and "a", "b",
// "c" (sources); "k" is an immediate (index, offset, count or constant).
enum class Form : uint8_t {
  None,   // no operands
  D,      // d
  DA,     // d a            (unary, conversions, memory.grow)
  DAB,    // d a b          (binary, comparisons)
  Load,   // d addr k:offset
  Store,  // addr value k:offset
  Custom  // see the operand column of the table
};

// VM-only instructions and WebAssembly instructions whose operands are not
// one of the generic forms.
//   X(Name, opcode, operand words, "mnemonic", "operands")
// clang-format off
#define GPUOS_VM_CORE_OPS(X) \
  /* control and moves: 0x0000-0x00ff */ \
  X(Nop,          0x0000, 0, "nop",           "") \
  X(Trap,         0x0001, 0, "trap",          "high 16 bits of the opcode word: TrapKind") \
  X(Br,           0x0002, 1, "br",            "k:target") \
  X(BrIf,         0x0003, 2, "br_if",         "a:cond k:target (taken if a != 0)") \
  X(BrUnless,     0x0004, 2, "br_unless",     "a:cond k:target (taken if a == 0)") \
  X(BrTable,      0x0005, 2, "br_table",      "a:index k:count, then count+1 Br entries") \
  X(Return,       0x0006, 2, "return",        "a:first result slot k:count (copied to slots 0..count-1)") \
  X(Call,         0x0007, 2, "call",          "k:func k:base (callee frame starts at slot base)") \
  X(CallIndirect, 0x0008, 4, "call_indirect", "k:base k:type k:table a:element index") \
  X(Copy,         0x0009, 2, "copy",          "d a") \
  X(Const32,      0x000a, 2, "const32",       "d k:value (zero-extended)") \
  X(Const64,      0x000b, 3, "const64",       "d k:low k:high") \
  X(Select,       0x000c, 4, "select",        "d a b c (d = c != 0 ? a : b)") \
  X(GlobalGet,    0x000d, 2, "global.get",    "d k:global") \
  X(GlobalSet,    0x000e, 2, "global.set",    "k:global a") \
  X(RefFunc,      0x000f, 2, "ref.func",      "d k:func") \
  X(RefIsNull,    0x0010, 2, "ref.is_null",   "d a") \
  X(Fuel,         0x0011, 1, "fuel",          "k:units charged as the region it starts is entered (metered code only)") \
  /* bulk memory: 0x0108-0x010b (0x0100 + 0xFC sub-opcode) */ \
  X(MemoryInit,   0x0108, 4, "memory.init",   "k:data a:dst b:src c:len") \
  X(DataDrop,     0x0109, 1, "data.drop",     "k:data") \
  X(MemoryCopy,   0x010a, 3, "memory.copy",   "a:dst b:src c:len") \
  X(MemoryFill,   0x010b, 3, "memory.fill",   "a:dst b:byte c:len") \
  /* tables: 0x0200-0x02ff */ \
  X(TableInit,    0x020c, 5, "table.init",    "k:table k:elem a:dst b:src c:len") \
  X(ElemDrop,     0x020d, 1, "elem.drop",     "k:elem") \
  X(TableCopy,    0x020e, 5, "table.copy",    "k:dst table k:src table a:dst b:src c:len") \
  X(TableGrow,    0x020f, 4, "table.grow",    "d k:table a:init b:delta") \
  X(TableSize,    0x0210, 2, "table.size",    "d k:table") \
  X(TableFill,    0x0211, 4, "table.fill",    "k:table a:index b:value c:len") \
  X(TableGet,     0x0225, 3, "table.get",     "d k:table a:index") \
  X(TableSet,     0x0226, 3, "table.set",     "k:table a:index b:value")

// WebAssembly instructions translated one to one, named as in
// procs/wasm/opcodes.h (the translator maps wasm::Op::Name to Op::Name):
//   memory 0x0100 + opcode byte, numeric 0x0300 + opcode byte,
//   0xFC saturating truncations 0x0400 + sub-opcode.
//   X(Name, opcode, operand words, form, "mnemonic")
#define GPUOS_VM_WASM_OPS(X) \
  X(I32Load,            0x0128, 3, Load,  "i32.load") \
  X(I64Load,            0x0129, 3, Load,  "i64.load") \
  X(F32Load,            0x012a, 3, Load,  "f32.load") \
  X(F64Load,            0x012b, 3, Load,  "f64.load") \
  X(I32Load8S,          0x012c, 3, Load,  "i32.load8_s") \
  X(I32Load8U,          0x012d, 3, Load,  "i32.load8_u") \
  X(I32Load16S,         0x012e, 3, Load,  "i32.load16_s") \
  X(I32Load16U,         0x012f, 3, Load,  "i32.load16_u") \
  X(I64Load8S,          0x0130, 3, Load,  "i64.load8_s") \
  X(I64Load8U,          0x0131, 3, Load,  "i64.load8_u") \
  X(I64Load16S,         0x0132, 3, Load,  "i64.load16_s") \
  X(I64Load16U,         0x0133, 3, Load,  "i64.load16_u") \
  X(I64Load32S,         0x0134, 3, Load,  "i64.load32_s") \
  X(I64Load32U,         0x0135, 3, Load,  "i64.load32_u") \
  X(I32Store,           0x0136, 3, Store, "i32.store") \
  X(I64Store,           0x0137, 3, Store, "i64.store") \
  X(F32Store,           0x0138, 3, Store, "f32.store") \
  X(F64Store,           0x0139, 3, Store, "f64.store") \
  X(I32Store8,          0x013a, 3, Store, "i32.store8") \
  X(I32Store16,         0x013b, 3, Store, "i32.store16") \
  X(I64Store8,          0x013c, 3, Store, "i64.store8") \
  X(I64Store16,         0x013d, 3, Store, "i64.store16") \
  X(I64Store32,         0x013e, 3, Store, "i64.store32") \
  X(MemorySize,         0x013f, 1, D,     "memory.size") \
  X(MemoryGrow,         0x0140, 2, DA,    "memory.grow") \
  X(I32Eqz,             0x0345, 2, DA,    "i32.eqz") \
  X(I32Eq,              0x0346, 3, DAB,   "i32.eq") \
  X(I32Ne,              0x0347, 3, DAB,   "i32.ne") \
  X(I32LtS,             0x0348, 3, DAB,   "i32.lt_s") \
  X(I32LtU,             0x0349, 3, DAB,   "i32.lt_u") \
  X(I32GtS,             0x034a, 3, DAB,   "i32.gt_s") \
  X(I32GtU,             0x034b, 3, DAB,   "i32.gt_u") \
  X(I32LeS,             0x034c, 3, DAB,   "i32.le_s") \
  X(I32LeU,             0x034d, 3, DAB,   "i32.le_u") \
  X(I32GeS,             0x034e, 3, DAB,   "i32.ge_s") \
  X(I32GeU,             0x034f, 3, DAB,   "i32.ge_u") \
  X(I64Eqz,             0x0350, 2, DA,    "i64.eqz") \
  X(I64Eq,              0x0351, 3, DAB,   "i64.eq") \
  X(I64Ne,              0x0352, 3, DAB,   "i64.ne") \
  X(I64LtS,             0x0353, 3, DAB,   "i64.lt_s") \
  X(I64LtU,             0x0354, 3, DAB,   "i64.lt_u") \
  X(I64GtS,             0x0355, 3, DAB,   "i64.gt_s") \
  X(I64GtU,             0x0356, 3, DAB,   "i64.gt_u") \
  X(I64LeS,             0x0357, 3, DAB,   "i64.le_s") \
  X(I64LeU,             0x0358, 3, DAB,   "i64.le_u") \
  X(I64GeS,             0x0359, 3, DAB,   "i64.ge_s") \
  X(I64GeU,             0x035a, 3, DAB,   "i64.ge_u") \
  X(F32Eq,              0x035b, 3, DAB,   "f32.eq") \
  X(F32Ne,              0x035c, 3, DAB,   "f32.ne") \
  X(F32Lt,              0x035d, 3, DAB,   "f32.lt") \
  X(F32Gt,              0x035e, 3, DAB,   "f32.gt") \
  X(F32Le,              0x035f, 3, DAB,   "f32.le") \
  X(F32Ge,              0x0360, 3, DAB,   "f32.ge") \
  X(F64Eq,              0x0361, 3, DAB,   "f64.eq") \
  X(F64Ne,              0x0362, 3, DAB,   "f64.ne") \
  X(F64Lt,              0x0363, 3, DAB,   "f64.lt") \
  X(F64Gt,              0x0364, 3, DAB,   "f64.gt") \
  X(F64Le,              0x0365, 3, DAB,   "f64.le") \
  X(F64Ge,              0x0366, 3, DAB,   "f64.ge") \
  X(I32Clz,             0x0367, 2, DA,    "i32.clz") \
  X(I32Ctz,             0x0368, 2, DA,    "i32.ctz") \
  X(I32Popcnt,          0x0369, 2, DA,    "i32.popcnt") \
  X(I32Add,             0x036a, 3, DAB,   "i32.add") \
  X(I32Sub,             0x036b, 3, DAB,   "i32.sub") \
  X(I32Mul,             0x036c, 3, DAB,   "i32.mul") \
  X(I32DivS,            0x036d, 3, DAB,   "i32.div_s") \
  X(I32DivU,            0x036e, 3, DAB,   "i32.div_u") \
  X(I32RemS,            0x036f, 3, DAB,   "i32.rem_s") \
  X(I32RemU,            0x0370, 3, DAB,   "i32.rem_u") \
  X(I32And,             0x0371, 3, DAB,   "i32.and") \
  X(I32Or,              0x0372, 3, DAB,   "i32.or") \
  X(I32Xor,             0x0373, 3, DAB,   "i32.xor") \
  X(I32Shl,             0x0374, 3, DAB,   "i32.shl") \
  X(I32ShrS,            0x0375, 3, DAB,   "i32.shr_s") \
  X(I32ShrU,            0x0376, 3, DAB,   "i32.shr_u") \
  X(I32Rotl,            0x0377, 3, DAB,   "i32.rotl") \
  X(I32Rotr,            0x0378, 3, DAB,   "i32.rotr") \
  X(I64Clz,             0x0379, 2, DA,    "i64.clz") \
  X(I64Ctz,             0x037a, 2, DA,    "i64.ctz") \
  X(I64Popcnt,          0x037b, 2, DA,    "i64.popcnt") \
  X(I64Add,             0x037c, 3, DAB,   "i64.add") \
  X(I64Sub,             0x037d, 3, DAB,   "i64.sub") \
  X(I64Mul,             0x037e, 3, DAB,   "i64.mul") \
  X(I64DivS,            0x037f, 3, DAB,   "i64.div_s") \
  X(I64DivU,            0x0380, 3, DAB,   "i64.div_u") \
  X(I64RemS,            0x0381, 3, DAB,   "i64.rem_s") \
  X(I64RemU,            0x0382, 3, DAB,   "i64.rem_u") \
  X(I64And,             0x0383, 3, DAB,   "i64.and") \
  X(I64Or,              0x0384, 3, DAB,   "i64.or") \
  X(I64Xor,             0x0385, 3, DAB,   "i64.xor") \
  X(I64Shl,             0x0386, 3, DAB,   "i64.shl") \
  X(I64ShrS,            0x0387, 3, DAB,   "i64.shr_s") \
  X(I64ShrU,            0x0388, 3, DAB,   "i64.shr_u") \
  X(I64Rotl,            0x0389, 3, DAB,   "i64.rotl") \
  X(I64Rotr,            0x038a, 3, DAB,   "i64.rotr") \
  X(F32Abs,             0x038b, 2, DA,    "f32.abs") \
  X(F32Neg,             0x038c, 2, DA,    "f32.neg") \
  X(F32Ceil,            0x038d, 2, DA,    "f32.ceil") \
  X(F32Floor,           0x038e, 2, DA,    "f32.floor") \
  X(F32Trunc,           0x038f, 2, DA,    "f32.trunc") \
  X(F32Nearest,         0x0390, 2, DA,    "f32.nearest") \
  X(F32Sqrt,            0x0391, 2, DA,    "f32.sqrt") \
  X(F32Add,             0x0392, 3, DAB,   "f32.add") \
  X(F32Sub,             0x0393, 3, DAB,   "f32.sub") \
  X(F32Mul,             0x0394, 3, DAB,   "f32.mul") \
  X(F32Div,             0x0395, 3, DAB,   "f32.div") \
  X(F32Min,             0x0396, 3, DAB,   "f32.min") \
  X(F32Max,             0x0397, 3, DAB,   "f32.max") \
  X(F32Copysign,        0x0398, 3, DAB,   "f32.copysign") \
  X(F64Abs,             0x0399, 2, DA,    "f64.abs") \
  X(F64Neg,             0x039a, 2, DA,    "f64.neg") \
  X(F64Ceil,            0x039b, 2, DA,    "f64.ceil") \
  X(F64Floor,           0x039c, 2, DA,    "f64.floor") \
  X(F64Trunc,           0x039d, 2, DA,    "f64.trunc") \
  X(F64Nearest,         0x039e, 2, DA,    "f64.nearest") \
  X(F64Sqrt,            0x039f, 2, DA,    "f64.sqrt") \
  X(F64Add,             0x03a0, 3, DAB,   "f64.add") \
  X(F64Sub,             0x03a1, 3, DAB,   "f64.sub") \
  X(F64Mul,             0x03a2, 3, DAB,   "f64.mul") \
  X(F64Div,             0x03a3, 3, DAB,   "f64.div") \
  X(F64Min,             0x03a4, 3, DAB,   "f64.min") \
  X(F64Max,             0x03a5, 3, DAB,   "f64.max") \
  X(F64Copysign,        0x03a6, 3, DAB,   "f64.copysign") \
  X(I32WrapI64,         0x03a7, 2, DA,    "i32.wrap_i64") \
  X(I32TruncF32S,       0x03a8, 2, DA,    "i32.trunc_f32_s") \
  X(I32TruncF32U,       0x03a9, 2, DA,    "i32.trunc_f32_u") \
  X(I32TruncF64S,       0x03aa, 2, DA,    "i32.trunc_f64_s") \
  X(I32TruncF64U,       0x03ab, 2, DA,    "i32.trunc_f64_u") \
  X(I64ExtendI32S,      0x03ac, 2, DA,    "i64.extend_i32_s") \
  X(I64ExtendI32U,      0x03ad, 2, DA,    "i64.extend_i32_u") \
  X(I64TruncF32S,       0x03ae, 2, DA,    "i64.trunc_f32_s") \
  X(I64TruncF32U,       0x03af, 2, DA,    "i64.trunc_f32_u") \
  X(I64TruncF64S,       0x03b0, 2, DA,    "i64.trunc_f64_s") \
  X(I64TruncF64U,       0x03b1, 2, DA,    "i64.trunc_f64_u") \
  X(F32ConvertI32S,     0x03b2, 2, DA,    "f32.convert_i32_s") \
  X(F32ConvertI32U,     0x03b3, 2, DA,    "f32.convert_i32_u") \
  X(F32ConvertI64S,     0x03b4, 2, DA,    "f32.convert_i64_s") \
  X(F32ConvertI64U,     0x03b5, 2, DA,    "f32.convert_i64_u") \
  X(F32DemoteF64,       0x03b6, 2, DA,    "f32.demote_f64") \
  X(F64ConvertI32S,     0x03b7, 2, DA,    "f64.convert_i32_s") \
  X(F64ConvertI32U,     0x03b8, 2, DA,    "f64.convert_i32_u") \
  X(F64ConvertI64S,     0x03b9, 2, DA,    "f64.convert_i64_s") \
  X(F64ConvertI64U,     0x03ba, 2, DA,    "f64.convert_i64_u") \
  X(F64PromoteF32,      0x03bb, 2, DA,    "f64.promote_f32") \
  X(I32ReinterpretF32,  0x03bc, 2, DA,    "i32.reinterpret_f32") \
  X(I64ReinterpretF64,  0x03bd, 2, DA,    "i64.reinterpret_f64") \
  X(F32ReinterpretI32,  0x03be, 2, DA,    "f32.reinterpret_i32") \
  X(F64ReinterpretI64,  0x03bf, 2, DA,    "f64.reinterpret_i64") \
  X(I32Extend8S,        0x03c0, 2, DA,    "i32.extend8_s") \
  X(I32Extend16S,       0x03c1, 2, DA,    "i32.extend16_s") \
  X(I64Extend8S,        0x03c2, 2, DA,    "i64.extend8_s") \
  X(I64Extend16S,       0x03c3, 2, DA,    "i64.extend16_s") \
  X(I64Extend32S,       0x03c4, 2, DA,    "i64.extend32_s") \
  X(I32TruncSatF32S,    0x0400, 2, DA,    "i32.trunc_sat_f32_s") \
  X(I32TruncSatF32U,    0x0401, 2, DA,    "i32.trunc_sat_f32_u") \
  X(I32TruncSatF64S,    0x0402, 2, DA,    "i32.trunc_sat_f64_s") \
  X(I32TruncSatF64U,    0x0403, 2, DA,    "i32.trunc_sat_f64_u") \
  X(I64TruncSatF32S,    0x0404, 2, DA,    "i64.trunc_sat_f32_s") \
  X(I64TruncSatF32U,    0x0405, 2, DA,    "i64.trunc_sat_f32_u") \
  X(I64TruncSatF64S,    0x0406, 2, DA,    "i64.trunc_sat_f64_s") \
  X(I64TruncSatF64U,    0x0407, 2, DA,    "i64.trunc_sat_f64_u")
// clang-format on

enum class Op : uint16_t {
#define GPUOS_VM_CORE_ENUM(name, code, n, mnemonic, operands) name = code,
#define GPUOS_VM_WASM_ENUM(name, code, n, form, mnemonic) name = code,
  GPUOS_VM_CORE_OPS(GPUOS_VM_CORE_ENUM) GPUOS_VM_WASM_OPS(GPUOS_VM_WASM_ENUM)
#undef GPUOS_VM_CORE_ENUM
#undef GPUOS_VM_WASM_ENUM
};

// Opcode ranges kept free for later tiers (see docs/vm.md):
inline constexpr uint16_t kHostCallFirst = 0x1000;  // host calls and WASI preview1 requests
inline constexpr uint16_t kHostCallLast = 0x10ff;
inline constexpr uint16_t kIntrinsicFirst = 0x1100;  // stdshim intrinsics: malloc, free, memcpy, ...
inline constexpr uint16_t kIntrinsicLast = 0x11ff;
inline constexpr uint16_t kAtomicsFirst = 0x1200;  // threads: atomics, wait/notify
inline constexpr uint16_t kAtomicsLast = 0x12ff;
inline constexpr uint16_t kNumOpcodes = 0x1300;  // size of opcode-indexed tables

struct OpInfo {
  Op op;
  uint8_t num_operands;  // operand words after the opcode word
  Form form;
  const char* mnemonic;
};

// Table entry for an opcode, or nullptr if the value is no opcode.
const OpInfo* op_info(uint16_t opcode);
inline const OpInfo* op_info(Op op) { return op_info(static_cast<uint16_t>(op)); }

inline constexpr uint32_t opcode_word(Op op, uint16_t high = 0) {
  return static_cast<uint32_t>(op) | (static_cast<uint32_t>(high) << 16);
}
inline constexpr uint16_t opcode_of(uint32_t word) { return static_cast<uint16_t>(word & 0xffff); }
inline constexpr uint16_t high_of(uint32_t word) { return static_cast<uint16_t>(word >> 16); }

// Trap kinds: the Trap instruction's immediate and the executors' trap
// result. Numbers are part of the GPU ABI: append only.
enum class TrapKind : uint16_t {
  None = 0,
  Unreachable = 1,
  MemoryOutOfBounds = 2,
  TableOutOfBounds = 3,
  IntegerDivideByZero = 4,
  IntegerOverflow = 5,
  InvalidConversion = 6,
  IndirectCallTypeMismatch = 7,
  UndefinedElement = 8,
  UninitializedElement = 9,
  CallStackExhausted = 10,
  HostError = 11,        // a host function failed
  BudgetExhausted = 12,  // instruction budget used up (kernel, not a wasm trap)
  OutOfFuel = 13,        // a metered call's fuel ran out (docs/contracts.md, "Fuel")
};

// The spec test suite's message for a trap kind ("integer divide by zero").
const char* trap_message(TrapKind kind);

}  // namespace gpuos::vm

// opcodes.h: the WebAssembly 2.0 (no SIMD) instruction set as one table.
//
// GPUOS_WASM_OPCODES(X) lists every supported instruction once:
//   X(Name, prefix, code, "mnemonic", immediates, pop1, pop2, pop3, push, align)
// - prefix is 0 for one-byte opcodes or 0xFC for the 0xFC-prefixed ones, whose
//   sub-opcode (code) is a u32 LEB128. Op values are code | (prefix << 8).
// - immediates says what InstrReader decodes after the opcode (Imm below).
// - pop1..pop3 (operands, bottom to top) and push give the stack signature
//   for instructions whose signature is fixed; CUSTOM in pop1 means the
//   validator types the instruction itself (control, variables, references,
//   parametric and table-typed instructions). NONE marks an unused slot.
// - align is the natural alignment (log2 bytes) of memory accesses.
// The validator (func_validator.cpp) uses the signatures directly, so most
// numeric instructions need no code of their own; a translator can use the
// same table for its opcode mapping.
#pragma once

#include <cstdint>

#include "procs/wasm/module.h"

namespace gpuos::wasm {

// What follows the opcode in the binary.
enum class Imm : uint8_t {
  None,
  Block,         // block type (empty, value type, or s33 type index)
  Label,         // u32 label depth
  BrTable,       // vec(label) + default label
  Func,          // u32 function index
  CallIndirect,  // u32 type index, u32 table index
  Local,         // u32 local index
  Global,        // u32 global index
  Table,         // u32 table index
  MemArg,        // u32 alignment exponent, u32 offset
  ZeroByte,      // memory.size / memory.grow / memory.fill: reserved 0x00
  I32,           // s32
  I64,           // s64
  F32,           // 4 raw bytes
  F64,           // 8 raw bytes
  RefType,       // reference type byte
  SelectT,       // vec(value type)
  MemoryInit,    // u32 data index, reserved 0x00
  Data,          // u32 data index
  MemoryCopy,    // two reserved 0x00
  TableInit,     // u32 element index, u32 table index
  Elem,          // u32 element index
  TableCopy,     // u32 destination table, u32 source table
};

// Stack-signature slot: NONE, CUSTOM, or a value type's encoding.
namespace sig {
inline constexpr uint8_t NONE = 0;
inline constexpr uint8_t CUSTOM = 1;
inline constexpr uint8_t I32 = static_cast<uint8_t>(ValType::I32);
inline constexpr uint8_t I64 = static_cast<uint8_t>(ValType::I64);
inline constexpr uint8_t F32 = static_cast<uint8_t>(ValType::F32);
inline constexpr uint8_t F64 = static_cast<uint8_t>(ValType::F64);
}  // namespace sig

// clang-format off
#define GPUOS_WASM_OPCODES(X) \
  /* control */ \
  X(Unreachable,       0,    0x00, "unreachable",         None,         CUSTOM, NONE, NONE, NONE, 0) \
  X(Nop,               0,    0x01, "nop",                 None,         NONE,   NONE, NONE, NONE, 0) \
  X(Block,             0,    0x02, "block",               Block,        CUSTOM, NONE, NONE, NONE, 0) \
  X(Loop,              0,    0x03, "loop",                Block,        CUSTOM, NONE, NONE, NONE, 0) \
  X(If,                0,    0x04, "if",                  Block,        CUSTOM, NONE, NONE, NONE, 0) \
  X(Else,              0,    0x05, "else",                None,         CUSTOM, NONE, NONE, NONE, 0) \
  X(End,               0,    0x0b, "end",                 None,         CUSTOM, NONE, NONE, NONE, 0) \
  X(Br,                0,    0x0c, "br",                  Label,        CUSTOM, NONE, NONE, NONE, 0) \
  X(BrIf,              0,    0x0d, "br_if",               Label,        CUSTOM, NONE, NONE, NONE, 0) \
  X(BrTable,           0,    0x0e, "br_table",            BrTable,      CUSTOM, NONE, NONE, NONE, 0) \
  X(Return,            0,    0x0f, "return",              None,         CUSTOM, NONE, NONE, NONE, 0) \
  X(Call,              0,    0x10, "call",                Func,         CUSTOM, NONE, NONE, NONE, 0) \
  X(CallIndirect,      0,    0x11, "call_indirect",       CallIndirect, CUSTOM, NONE, NONE, NONE, 0) \
  /* parametric */ \
  X(Drop,              0,    0x1a, "drop",                None,         CUSTOM, NONE, NONE, NONE, 0) \
  X(Select,            0,    0x1b, "select",              None,         CUSTOM, NONE, NONE, NONE, 0) \
  X(SelectT,           0,    0x1c, "select",              SelectT,      CUSTOM, NONE, NONE, NONE, 0) \
  /* variables */ \
  X(LocalGet,          0,    0x20, "local.get",           Local,        CUSTOM, NONE, NONE, NONE, 0) \
  X(LocalSet,          0,    0x21, "local.set",           Local,        CUSTOM, NONE, NONE, NONE, 0) \
  X(LocalTee,          0,    0x22, "local.tee",           Local,        CUSTOM, NONE, NONE, NONE, 0) \
  X(GlobalGet,         0,    0x23, "global.get",          Global,       CUSTOM, NONE, NONE, NONE, 0) \
  X(GlobalSet,         0,    0x24, "global.set",          Global,       CUSTOM, NONE, NONE, NONE, 0) \
  /* table */ \
  X(TableGet,          0,    0x25, "table.get",           Table,        CUSTOM, NONE, NONE, NONE, 0) \
  X(TableSet,          0,    0x26, "table.set",           Table,        CUSTOM, NONE, NONE, NONE, 0) \
  /* memory */ \
  X(I32Load,           0,    0x28, "i32.load",            MemArg,       I32,    NONE, NONE, I32,  2) \
  X(I64Load,           0,    0x29, "i64.load",            MemArg,       I32,    NONE, NONE, I64,  3) \
  X(F32Load,           0,    0x2a, "f32.load",            MemArg,       I32,    NONE, NONE, F32,  2) \
  X(F64Load,           0,    0x2b, "f64.load",            MemArg,       I32,    NONE, NONE, F64,  3) \
  X(I32Load8S,         0,    0x2c, "i32.load8_s",         MemArg,       I32,    NONE, NONE, I32,  0) \
  X(I32Load8U,         0,    0x2d, "i32.load8_u",         MemArg,       I32,    NONE, NONE, I32,  0) \
  X(I32Load16S,        0,    0x2e, "i32.load16_s",        MemArg,       I32,    NONE, NONE, I32,  1) \
  X(I32Load16U,        0,    0x2f, "i32.load16_u",        MemArg,       I32,    NONE, NONE, I32,  1) \
  X(I64Load8S,         0,    0x30, "i64.load8_s",         MemArg,       I32,    NONE, NONE, I64,  0) \
  X(I64Load8U,         0,    0x31, "i64.load8_u",         MemArg,       I32,    NONE, NONE, I64,  0) \
  X(I64Load16S,        0,    0x32, "i64.load16_s",        MemArg,       I32,    NONE, NONE, I64,  1) \
  X(I64Load16U,        0,    0x33, "i64.load16_u",        MemArg,       I32,    NONE, NONE, I64,  1) \
  X(I64Load32S,        0,    0x34, "i64.load32_s",        MemArg,       I32,    NONE, NONE, I64,  2) \
  X(I64Load32U,        0,    0x35, "i64.load32_u",        MemArg,       I32,    NONE, NONE, I64,  2) \
  X(I32Store,          0,    0x36, "i32.store",           MemArg,       I32,    I32,  NONE, NONE, 2) \
  X(I64Store,          0,    0x37, "i64.store",           MemArg,       I32,    I64,  NONE, NONE, 3) \
  X(F32Store,          0,    0x38, "f32.store",           MemArg,       I32,    F32,  NONE, NONE, 2) \
  X(F64Store,          0,    0x39, "f64.store",           MemArg,       I32,    F64,  NONE, NONE, 3) \
  X(I32Store8,         0,    0x3a, "i32.store8",          MemArg,       I32,    I32,  NONE, NONE, 0) \
  X(I32Store16,        0,    0x3b, "i32.store16",         MemArg,       I32,    I32,  NONE, NONE, 1) \
  X(I64Store8,         0,    0x3c, "i64.store8",          MemArg,       I32,    I64,  NONE, NONE, 0) \
  X(I64Store16,        0,    0x3d, "i64.store16",         MemArg,       I32,    I64,  NONE, NONE, 1) \
  X(I64Store32,        0,    0x3e, "i64.store32",         MemArg,       I32,    I64,  NONE, NONE, 2) \
  X(MemorySize,        0,    0x3f, "memory.size",         ZeroByte,     NONE,   NONE, NONE, I32,  0) \
  X(MemoryGrow,        0,    0x40, "memory.grow",         ZeroByte,     I32,    NONE, NONE, I32,  0) \
  /* constants */ \
  X(I32Const,          0,    0x41, "i32.const",           I32,          NONE,   NONE, NONE, I32,  0) \
  X(I64Const,          0,    0x42, "i64.const",           I64,          NONE,   NONE, NONE, I64,  0) \
  X(F32Const,          0,    0x43, "f32.const",           F32,          NONE,   NONE, NONE, F32,  0) \
  X(F64Const,          0,    0x44, "f64.const",           F64,          NONE,   NONE, NONE, F64,  0) \
  /* i32 comparisons */ \
  X(I32Eqz,            0,    0x45, "i32.eqz",             None,         I32,    NONE, NONE, I32,  0) \
  X(I32Eq,             0,    0x46, "i32.eq",              None,         I32,    I32,  NONE, I32,  0) \
  X(I32Ne,             0,    0x47, "i32.ne",              None,         I32,    I32,  NONE, I32,  0) \
  X(I32LtS,            0,    0x48, "i32.lt_s",            None,         I32,    I32,  NONE, I32,  0) \
  X(I32LtU,            0,    0x49, "i32.lt_u",            None,         I32,    I32,  NONE, I32,  0) \
  X(I32GtS,            0,    0x4a, "i32.gt_s",            None,         I32,    I32,  NONE, I32,  0) \
  X(I32GtU,            0,    0x4b, "i32.gt_u",            None,         I32,    I32,  NONE, I32,  0) \
  X(I32LeS,            0,    0x4c, "i32.le_s",            None,         I32,    I32,  NONE, I32,  0) \
  X(I32LeU,            0,    0x4d, "i32.le_u",            None,         I32,    I32,  NONE, I32,  0) \
  X(I32GeS,            0,    0x4e, "i32.ge_s",            None,         I32,    I32,  NONE, I32,  0) \
  X(I32GeU,            0,    0x4f, "i32.ge_u",            None,         I32,    I32,  NONE, I32,  0) \
  /* i64 comparisons */ \
  X(I64Eqz,            0,    0x50, "i64.eqz",             None,         I64,    NONE, NONE, I32,  0) \
  X(I64Eq,             0,    0x51, "i64.eq",              None,         I64,    I64,  NONE, I32,  0) \
  X(I64Ne,             0,    0x52, "i64.ne",              None,         I64,    I64,  NONE, I32,  0) \
  X(I64LtS,            0,    0x53, "i64.lt_s",            None,         I64,    I64,  NONE, I32,  0) \
  X(I64LtU,            0,    0x54, "i64.lt_u",            None,         I64,    I64,  NONE, I32,  0) \
  X(I64GtS,            0,    0x55, "i64.gt_s",            None,         I64,    I64,  NONE, I32,  0) \
  X(I64GtU,            0,    0x56, "i64.gt_u",            None,         I64,    I64,  NONE, I32,  0) \
  X(I64LeS,            0,    0x57, "i64.le_s",            None,         I64,    I64,  NONE, I32,  0) \
  X(I64LeU,            0,    0x58, "i64.le_u",            None,         I64,    I64,  NONE, I32,  0) \
  X(I64GeS,            0,    0x59, "i64.ge_s",            None,         I64,    I64,  NONE, I32,  0) \
  X(I64GeU,            0,    0x5a, "i64.ge_u",            None,         I64,    I64,  NONE, I32,  0) \
  /* float comparisons */ \
  X(F32Eq,             0,    0x5b, "f32.eq",              None,         F32,    F32,  NONE, I32,  0) \
  X(F32Ne,             0,    0x5c, "f32.ne",              None,         F32,    F32,  NONE, I32,  0) \
  X(F32Lt,             0,    0x5d, "f32.lt",              None,         F32,    F32,  NONE, I32,  0) \
  X(F32Gt,             0,    0x5e, "f32.gt",              None,         F32,    F32,  NONE, I32,  0) \
  X(F32Le,             0,    0x5f, "f32.le",              None,         F32,    F32,  NONE, I32,  0) \
  X(F32Ge,             0,    0x60, "f32.ge",              None,         F32,    F32,  NONE, I32,  0) \
  X(F64Eq,             0,    0x61, "f64.eq",              None,         F64,    F64,  NONE, I32,  0) \
  X(F64Ne,             0,    0x62, "f64.ne",              None,         F64,    F64,  NONE, I32,  0) \
  X(F64Lt,             0,    0x63, "f64.lt",              None,         F64,    F64,  NONE, I32,  0) \
  X(F64Gt,             0,    0x64, "f64.gt",              None,         F64,    F64,  NONE, I32,  0) \
  X(F64Le,             0,    0x65, "f64.le",              None,         F64,    F64,  NONE, I32,  0) \
  X(F64Ge,             0,    0x66, "f64.ge",              None,         F64,    F64,  NONE, I32,  0) \
  /* i32 arithmetic */ \
  X(I32Clz,            0,    0x67, "i32.clz",             None,         I32,    NONE, NONE, I32,  0) \
  X(I32Ctz,            0,    0x68, "i32.ctz",             None,         I32,    NONE, NONE, I32,  0) \
  X(I32Popcnt,         0,    0x69, "i32.popcnt",          None,         I32,    NONE, NONE, I32,  0) \
  X(I32Add,            0,    0x6a, "i32.add",             None,         I32,    I32,  NONE, I32,  0) \
  X(I32Sub,            0,    0x6b, "i32.sub",             None,         I32,    I32,  NONE, I32,  0) \
  X(I32Mul,            0,    0x6c, "i32.mul",             None,         I32,    I32,  NONE, I32,  0) \
  X(I32DivS,           0,    0x6d, "i32.div_s",           None,         I32,    I32,  NONE, I32,  0) \
  X(I32DivU,           0,    0x6e, "i32.div_u",           None,         I32,    I32,  NONE, I32,  0) \
  X(I32RemS,           0,    0x6f, "i32.rem_s",           None,         I32,    I32,  NONE, I32,  0) \
  X(I32RemU,           0,    0x70, "i32.rem_u",           None,         I32,    I32,  NONE, I32,  0) \
  X(I32And,            0,    0x71, "i32.and",             None,         I32,    I32,  NONE, I32,  0) \
  X(I32Or,             0,    0x72, "i32.or",              None,         I32,    I32,  NONE, I32,  0) \
  X(I32Xor,            0,    0x73, "i32.xor",             None,         I32,    I32,  NONE, I32,  0) \
  X(I32Shl,            0,    0x74, "i32.shl",             None,         I32,    I32,  NONE, I32,  0) \
  X(I32ShrS,           0,    0x75, "i32.shr_s",           None,         I32,    I32,  NONE, I32,  0) \
  X(I32ShrU,           0,    0x76, "i32.shr_u",           None,         I32,    I32,  NONE, I32,  0) \
  X(I32Rotl,           0,    0x77, "i32.rotl",            None,         I32,    I32,  NONE, I32,  0) \
  X(I32Rotr,           0,    0x78, "i32.rotr",            None,         I32,    I32,  NONE, I32,  0) \
  /* i64 arithmetic */ \
  X(I64Clz,            0,    0x79, "i64.clz",             None,         I64,    NONE, NONE, I64,  0) \
  X(I64Ctz,            0,    0x7a, "i64.ctz",             None,         I64,    NONE, NONE, I64,  0) \
  X(I64Popcnt,         0,    0x7b, "i64.popcnt",          None,         I64,    NONE, NONE, I64,  0) \
  X(I64Add,            0,    0x7c, "i64.add",             None,         I64,    I64,  NONE, I64,  0) \
  X(I64Sub,            0,    0x7d, "i64.sub",             None,         I64,    I64,  NONE, I64,  0) \
  X(I64Mul,            0,    0x7e, "i64.mul",             None,         I64,    I64,  NONE, I64,  0) \
  X(I64DivS,           0,    0x7f, "i64.div_s",           None,         I64,    I64,  NONE, I64,  0) \
  X(I64DivU,           0,    0x80, "i64.div_u",           None,         I64,    I64,  NONE, I64,  0) \
  X(I64RemS,           0,    0x81, "i64.rem_s",           None,         I64,    I64,  NONE, I64,  0) \
  X(I64RemU,           0,    0x82, "i64.rem_u",           None,         I64,    I64,  NONE, I64,  0) \
  X(I64And,            0,    0x83, "i64.and",             None,         I64,    I64,  NONE, I64,  0) \
  X(I64Or,             0,    0x84, "i64.or",              None,         I64,    I64,  NONE, I64,  0) \
  X(I64Xor,            0,    0x85, "i64.xor",             None,         I64,    I64,  NONE, I64,  0) \
  X(I64Shl,            0,    0x86, "i64.shl",             None,         I64,    I64,  NONE, I64,  0) \
  X(I64ShrS,           0,    0x87, "i64.shr_s",           None,         I64,    I64,  NONE, I64,  0) \
  X(I64ShrU,           0,    0x88, "i64.shr_u",           None,         I64,    I64,  NONE, I64,  0) \
  X(I64Rotl,           0,    0x89, "i64.rotl",            None,         I64,    I64,  NONE, I64,  0) \
  X(I64Rotr,           0,    0x8a, "i64.rotr",            None,         I64,    I64,  NONE, I64,  0) \
  /* f32 arithmetic */ \
  X(F32Abs,            0,    0x8b, "f32.abs",             None,         F32,    NONE, NONE, F32,  0) \
  X(F32Neg,            0,    0x8c, "f32.neg",             None,         F32,    NONE, NONE, F32,  0) \
  X(F32Ceil,           0,    0x8d, "f32.ceil",            None,         F32,    NONE, NONE, F32,  0) \
  X(F32Floor,          0,    0x8e, "f32.floor",           None,         F32,    NONE, NONE, F32,  0) \
  X(F32Trunc,          0,    0x8f, "f32.trunc",           None,         F32,    NONE, NONE, F32,  0) \
  X(F32Nearest,        0,    0x90, "f32.nearest",         None,         F32,    NONE, NONE, F32,  0) \
  X(F32Sqrt,           0,    0x91, "f32.sqrt",            None,         F32,    NONE, NONE, F32,  0) \
  X(F32Add,            0,    0x92, "f32.add",             None,         F32,    F32,  NONE, F32,  0) \
  X(F32Sub,            0,    0x93, "f32.sub",             None,         F32,    F32,  NONE, F32,  0) \
  X(F32Mul,            0,    0x94, "f32.mul",             None,         F32,    F32,  NONE, F32,  0) \
  X(F32Div,            0,    0x95, "f32.div",             None,         F32,    F32,  NONE, F32,  0) \
  X(F32Min,            0,    0x96, "f32.min",             None,         F32,    F32,  NONE, F32,  0) \
  X(F32Max,            0,    0x97, "f32.max",             None,         F32,    F32,  NONE, F32,  0) \
  X(F32Copysign,       0,    0x98, "f32.copysign",        None,         F32,    F32,  NONE, F32,  0) \
  /* f64 arithmetic */ \
  X(F64Abs,            0,    0x99, "f64.abs",             None,         F64,    NONE, NONE, F64,  0) \
  X(F64Neg,            0,    0x9a, "f64.neg",             None,         F64,    NONE, NONE, F64,  0) \
  X(F64Ceil,           0,    0x9b, "f64.ceil",            None,         F64,    NONE, NONE, F64,  0) \
  X(F64Floor,          0,    0x9c, "f64.floor",           None,         F64,    NONE, NONE, F64,  0) \
  X(F64Trunc,          0,    0x9d, "f64.trunc",           None,         F64,    NONE, NONE, F64,  0) \
  X(F64Nearest,        0,    0x9e, "f64.nearest",         None,         F64,    NONE, NONE, F64,  0) \
  X(F64Sqrt,           0,    0x9f, "f64.sqrt",            None,         F64,    NONE, NONE, F64,  0) \
  X(F64Add,            0,    0xa0, "f64.add",             None,         F64,    F64,  NONE, F64,  0) \
  X(F64Sub,            0,    0xa1, "f64.sub",             None,         F64,    F64,  NONE, F64,  0) \
  X(F64Mul,            0,    0xa2, "f64.mul",             None,         F64,    F64,  NONE, F64,  0) \
  X(F64Div,            0,    0xa3, "f64.div",             None,         F64,    F64,  NONE, F64,  0) \
  X(F64Min,            0,    0xa4, "f64.min",             None,         F64,    F64,  NONE, F64,  0) \
  X(F64Max,            0,    0xa5, "f64.max",             None,         F64,    F64,  NONE, F64,  0) \
  X(F64Copysign,       0,    0xa6, "f64.copysign",        None,         F64,    F64,  NONE, F64,  0) \
  /* conversions */ \
  X(I32WrapI64,        0,    0xa7, "i32.wrap_i64",        None,         I64,    NONE, NONE, I32,  0) \
  X(I32TruncF32S,      0,    0xa8, "i32.trunc_f32_s",     None,         F32,    NONE, NONE, I32,  0) \
  X(I32TruncF32U,      0,    0xa9, "i32.trunc_f32_u",     None,         F32,    NONE, NONE, I32,  0) \
  X(I32TruncF64S,      0,    0xaa, "i32.trunc_f64_s",     None,         F64,    NONE, NONE, I32,  0) \
  X(I32TruncF64U,      0,    0xab, "i32.trunc_f64_u",     None,         F64,    NONE, NONE, I32,  0) \
  X(I64ExtendI32S,     0,    0xac, "i64.extend_i32_s",    None,         I32,    NONE, NONE, I64,  0) \
  X(I64ExtendI32U,     0,    0xad, "i64.extend_i32_u",    None,         I32,    NONE, NONE, I64,  0) \
  X(I64TruncF32S,      0,    0xae, "i64.trunc_f32_s",     None,         F32,    NONE, NONE, I64,  0) \
  X(I64TruncF32U,      0,    0xaf, "i64.trunc_f32_u",     None,         F32,    NONE, NONE, I64,  0) \
  X(I64TruncF64S,      0,    0xb0, "i64.trunc_f64_s",     None,         F64,    NONE, NONE, I64,  0) \
  X(I64TruncF64U,      0,    0xb1, "i64.trunc_f64_u",     None,         F64,    NONE, NONE, I64,  0) \
  X(F32ConvertI32S,    0,    0xb2, "f32.convert_i32_s",   None,         I32,    NONE, NONE, F32,  0) \
  X(F32ConvertI32U,    0,    0xb3, "f32.convert_i32_u",   None,         I32,    NONE, NONE, F32,  0) \
  X(F32ConvertI64S,    0,    0xb4, "f32.convert_i64_s",   None,         I64,    NONE, NONE, F32,  0) \
  X(F32ConvertI64U,    0,    0xb5, "f32.convert_i64_u",   None,         I64,    NONE, NONE, F32,  0) \
  X(F32DemoteF64,      0,    0xb6, "f32.demote_f64",      None,         F64,    NONE, NONE, F32,  0) \
  X(F64ConvertI32S,    0,    0xb7, "f64.convert_i32_s",   None,         I32,    NONE, NONE, F64,  0) \
  X(F64ConvertI32U,    0,    0xb8, "f64.convert_i32_u",   None,         I32,    NONE, NONE, F64,  0) \
  X(F64ConvertI64S,    0,    0xb9, "f64.convert_i64_s",   None,         I64,    NONE, NONE, F64,  0) \
  X(F64ConvertI64U,    0,    0xba, "f64.convert_i64_u",   None,         I64,    NONE, NONE, F64,  0) \
  X(F64PromoteF32,     0,    0xbb, "f64.promote_f32",     None,         F32,    NONE, NONE, F64,  0) \
  X(I32ReinterpretF32, 0,    0xbc, "i32.reinterpret_f32", None,         F32,    NONE, NONE, I32,  0) \
  X(I64ReinterpretF64, 0,    0xbd, "i64.reinterpret_f64", None,         F64,    NONE, NONE, I64,  0) \
  X(F32ReinterpretI32, 0,    0xbe, "f32.reinterpret_i32", None,         I32,    NONE, NONE, F32,  0) \
  X(F64ReinterpretI64, 0,    0xbf, "f64.reinterpret_i64", None,         I64,    NONE, NONE, F64,  0) \
  /* sign extension */ \
  X(I32Extend8S,       0,    0xc0, "i32.extend8_s",       None,         I32,    NONE, NONE, I32,  0) \
  X(I32Extend16S,      0,    0xc1, "i32.extend16_s",      None,         I32,    NONE, NONE, I32,  0) \
  X(I64Extend8S,       0,    0xc2, "i64.extend8_s",       None,         I64,    NONE, NONE, I64,  0) \
  X(I64Extend16S,      0,    0xc3, "i64.extend16_s",      None,         I64,    NONE, NONE, I64,  0) \
  X(I64Extend32S,      0,    0xc4, "i64.extend32_s",      None,         I64,    NONE, NONE, I64,  0) \
  /* reference */ \
  X(RefNull,           0,    0xd0, "ref.null",            RefType,      CUSTOM, NONE, NONE, NONE, 0) \
  X(RefIsNull,         0,    0xd1, "ref.is_null",         None,         CUSTOM, NONE, NONE, NONE, 0) \
  X(RefFunc,           0,    0xd2, "ref.func",            Func,         CUSTOM, NONE, NONE, NONE, 0) \
  /* 0xFC: non-trapping float-to-int */ \
  X(I32TruncSatF32S,   0xfc, 0x00, "i32.trunc_sat_f32_s", None,         F32,    NONE, NONE, I32,  0) \
  X(I32TruncSatF32U,   0xfc, 0x01, "i32.trunc_sat_f32_u", None,         F32,    NONE, NONE, I32,  0) \
  X(I32TruncSatF64S,   0xfc, 0x02, "i32.trunc_sat_f64_s", None,         F64,    NONE, NONE, I32,  0) \
  X(I32TruncSatF64U,   0xfc, 0x03, "i32.trunc_sat_f64_u", None,         F64,    NONE, NONE, I32,  0) \
  X(I64TruncSatF32S,   0xfc, 0x04, "i64.trunc_sat_f32_s", None,         F32,    NONE, NONE, I64,  0) \
  X(I64TruncSatF32U,   0xfc, 0x05, "i64.trunc_sat_f32_u", None,         F32,    NONE, NONE, I64,  0) \
  X(I64TruncSatF64S,   0xfc, 0x06, "i64.trunc_sat_f64_s", None,         F64,    NONE, NONE, I64,  0) \
  X(I64TruncSatF64U,   0xfc, 0x07, "i64.trunc_sat_f64_u", None,         F64,    NONE, NONE, I64,  0) \
  /* 0xFC: bulk memory and table */ \
  X(MemoryInit,        0xfc, 0x08, "memory.init",         MemoryInit,   I32,    I32,  I32,  NONE, 0) \
  X(DataDrop,          0xfc, 0x09, "data.drop",           Data,         NONE,   NONE, NONE, NONE, 0) \
  X(MemoryCopy,        0xfc, 0x0a, "memory.copy",         MemoryCopy,   I32,    I32,  I32,  NONE, 0) \
  X(MemoryFill,        0xfc, 0x0b, "memory.fill",         ZeroByte,     I32,    I32,  I32,  NONE, 0) \
  X(TableInit,         0xfc, 0x0c, "table.init",          TableInit,    I32,    I32,  I32,  NONE, 0) \
  X(ElemDrop,          0xfc, 0x0d, "elem.drop",           Elem,         NONE,   NONE, NONE, NONE, 0) \
  X(TableCopy,         0xfc, 0x0e, "table.copy",          TableCopy,    I32,    I32,  I32,  NONE, 0) \
  X(TableGrow,         0xfc, 0x0f, "table.grow",          Table,        CUSTOM, NONE, NONE, NONE, 0) \
  X(TableSize,         0xfc, 0x10, "table.size",          Table,        NONE,   NONE, NONE, I32,  0) \
  X(TableFill,         0xfc, 0x11, "table.fill",          Table,        CUSTOM, NONE, NONE, NONE, 0)
// clang-format on

enum class Op : uint16_t {
#define GPUOS_WASM_OP_ENUM(name, prefix, code, mnemonic, imm, p1, p2, p3, push, align) \
  name = ((prefix) << 8) | (code),
  GPUOS_WASM_OPCODES(GPUOS_WASM_OP_ENUM)
#undef GPUOS_WASM_OP_ENUM
};

struct OpInfo {
  Op op;
  uint8_t prefix;          // 0 or 0xFC
  uint8_t code;            // opcode byte, or sub-opcode after the prefix
  const char* mnemonic;
  Imm imm;
  bool custom;             // validator types it by hand; pops/push unused
  uint8_t num_pops;
  ValType pops[3];         // bottom to top
  bool has_push;
  ValType push;
  uint8_t natural_align;   // log2 bytes, memory accesses only
};

// Table entry for a supported opcode; nullptr for any other value.
const OpInfo* op_info(Op op);
// Table entry for an opcode byte / 0xFC sub-opcode, or nullptr.
const OpInfo* op_info(uint8_t byte);
const OpInfo* op_info_fc(uint32_t sub_opcode);
const char* mnemonic(Op op);

// Extensions recognised only to refuse them as Unsupported with a clear
// name (SIMD, threads, exceptions, tail calls, ...); nullptr if the byte
// is no known opcode at all ("illegal opcode").
const char* unsupported_opcode_feature(uint8_t byte);

}  // namespace gpuos::wasm

// instr_reader.h: decodes one instruction at a time (opcode + immediates).
//
// This is the single place that knows the binary encoding of instructions.
// The decoder uses it to check the structure of function bodies and constant
// expressions, the validator to type-check them, and the translator (later)
// to turn them into VM bytecode; all three see the same Instr values with
// the same byte offsets. InstrReader checks encodings only (LEB128 limits,
// reserved zero bytes, known opcodes); index ranges and types are the
// validator's job.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "procs/wasm/module.h"
#include "procs/wasm/opcodes.h"
#include "procs/wasm/reader.h"

namespace gpuos::wasm {

struct MemArg {
  uint32_t align = 0;   // log2 of the alignment hint
  uint32_t offset = 0;  // static offset added to the address operand
};

struct BlockType {
  enum class Kind : uint8_t { Empty, Value, TypeIndex };
  Kind kind = Kind::Empty;
  ValType value = ValType::I32;  // Kind::Value: the single result
  uint32_t type_index = 0;       // Kind::TypeIndex: index into Module::types
};

// One decoded instruction. Which immediate fields are meaningful depends on
// info->imm; the others keep their defaults.
struct Instr {
  Op op = Op::Nop;
  const OpInfo* info = nullptr;
  uint32_t offset = 0;  // module offset of the opcode (the 0xFC prefix for prefixed ops)
  uint32_t end = 0;     // one past the last immediate byte
  // Label depth (br, br_if, br_table default), function, local, global,
  // table, data or element index; call_indirect: type index; table.init:
  // element index; table.copy: destination table.
  uint32_t index = 0;
  // call_indirect, table.init: table index; table.copy: source table.
  uint32_t index2 = 0;
  MemArg mem;
  BlockType block;
  ValType type = ValType::I32;  // ref.null: its type; select t: the first type
  uint32_t type_count = 0;      // select t: how many types were given (valid: 1)
  uint64_t bits = 0;            // i32/i64.const sign-extended; f32/f64.const raw bits
  std::span<const uint32_t> targets;  // br_table labels without the default; valid until next()
};

class InstrReader {
 public:
  // Reads instructions from module[begin, end).
  InstrReader(ByteSpan module, uint32_t begin, uint32_t end);

  bool at_end() const { return r_.at_end(); }
  uint32_t pos() const { return r_.pos(); }
  bool ok() const { return r_.ok(); }
  const Diagnostic& diagnostic() const { return r_.diagnostic(); }
  ByteReader& bytes() { return r_; }

  // Decodes the next instruction into `out`. Returns false on a malformed
  // or unsupported encoding, or when the window ends inside the instruction
  // (diagnostic().truncated); the reader stays failed afterwards.
  bool next(Instr& out);

 private:
  void read_block_type(Instr& in);

  ByteReader r_;
  std::vector<uint32_t> targets_;
};

// Value type byte; SIMD's v128 is Unsupported, anything else unknown is
// "malformed value type".
ValType read_value_type(ByteReader& r);
// Reference type byte (funcref/externref), else "malformed reference type".
ValType read_ref_type(ByteReader& r);

// Result of reading a whole expression with read_expr().
struct ExprSummary {
  uint32_t end = 0;               // one past the final `end`
  uint32_t instr_count = 0;       // final `end` included
  bool uses_data_count = false;   // memory.init or data.drop present
  uint32_t data_count_use = 0;    // offset of the first of them
  bool truncated = false;         // failed by running off the window
  Instr first;                    // the first instruction
};

// Reads instructions up to and including the `end` that closes the
// expression, checking structure only: every block/loop/if is closed, and
// `else` appears only once inside an `if` ("END opcode expected", the
// reference interpreter's wording). Returns false on failure; see
// reader.diagnostic().
bool read_expr(InstrReader& reader, ExprSummary& summary);

}  // namespace gpuos::wasm

// instr_reader.cpp: instruction decoding (InstrReader) and structural reading
// of whole expressions (read_expr). See instr_reader.h.
#include "procs/wasm/instr_reader.h"

#include <algorithm>

namespace gpuos::wasm {

ValType read_value_type(ByteReader& r) {
  const uint32_t at = r.pos();
  const uint8_t b = r.u8();
  if (!r.ok()) return ValType::I32;
  switch (b) {
    case 0x7f: case 0x7e: case 0x7d: case 0x7c: case 0x70: case 0x6f:
      return static_cast<ValType>(b);
    case 0x7b:
      r.fail(WasmError::Unsupported, at, "malformed value type: v128 (SIMD) is not supported");
      return ValType::I32;
    default:
      r.fail_malformed(at, "malformed value type " + hex(b));
      return ValType::I32;
  }
}

ValType read_ref_type(ByteReader& r) {
  const uint32_t at = r.pos();
  const uint8_t b = r.u8();
  if (!r.ok()) return ValType::FuncRef;
  if (b == 0x70 || b == 0x6f) return static_cast<ValType>(b);
  r.fail_malformed(at, "malformed reference type " + hex(b));
  return ValType::FuncRef;
}

InstrReader::InstrReader(ByteSpan module, uint32_t begin, uint32_t end) : r_(module, begin, end) {}

void InstrReader::read_block_type(Instr& in) {
  if (r_.at_end()) {
    r_.fail_truncated();
    return;
  }
  const uint8_t b = r_.peek();
  if (b == 0x40) {
    r_.u8();
    in.block.kind = BlockType::Kind::Empty;
  } else if ((b & 0xc0) == 0x40) {
    // One-byte negative s33: a value type.
    in.block.kind = BlockType::Kind::Value;
    in.block.value = read_value_type(r_);
  } else {
    const uint32_t at = r_.pos();
    const int64_t index = r_.s33();
    if (!r_.ok()) return;
    if (index < 0) {
      r_.fail_malformed(at, "malformed block type");
      return;
    }
    in.block.kind = BlockType::Kind::TypeIndex;
    in.block.type_index = static_cast<uint32_t>(index);
  }
}

bool InstrReader::next(Instr& in) {
  if (!r_.ok()) return false;
  in = Instr{};
  in.offset = r_.pos();
  const uint8_t byte = r_.u8();
  if (!r_.ok()) return false;

  const OpInfo* info = nullptr;
  if (byte == 0xfc) {
    const uint32_t sub = r_.u32();
    if (!r_.ok()) return false;
    info = op_info_fc(sub);
    if (!info) {
      r_.fail_malformed(in.offset, "illegal opcode 0xfc " + hex(sub));
      return false;
    }
  } else {
    info = op_info(byte);
    if (!info) {
      if (const char* feature = unsupported_opcode_feature(byte)) {
        r_.fail(WasmError::Unsupported, in.offset,
                "unsupported opcode " + hex(byte) + ": " + feature + " is not supported");
      } else {
        r_.fail_malformed(in.offset, "illegal opcode " + hex(byte));
      }
      return false;
    }
  }
  in.op = info->op;
  in.info = info;

  switch (info->imm) {
    case Imm::None:
      break;
    case Imm::Block:
      read_block_type(in);
      break;
    case Imm::Label:
    case Imm::Func:
    case Imm::Local:
    case Imm::Global:
    case Imm::Table:
    case Imm::Data:
    case Imm::Elem:
      in.index = r_.u32();
      break;
    case Imm::BrTable: {
      const uint32_t count = r_.length();
      targets_.clear();
      targets_.reserve(std::min(count, r_.remaining()));
      for (uint32_t i = 0; i < count && r_.ok(); ++i) targets_.push_back(r_.u32());
      in.index = r_.u32();
      in.targets = targets_;
      break;
    }
    case Imm::CallIndirect:
    case Imm::TableInit:
    case Imm::TableCopy:
      in.index = r_.u32();
      in.index2 = r_.u32();
      break;
    case Imm::MemArg: {
      const uint32_t at = r_.pos();
      in.mem.align = r_.u32();
      if (r_.ok() && (in.mem.align & 0x40)) {
        // Bit 6 announces a memory index (multi-memory proposal).
        r_.fail(WasmError::Unsupported, at,
                "malformed memop flags: memory index (multi-memory) is not supported");
      }
      in.mem.offset = r_.u32();
      break;
    }
    case Imm::ZeroByte: {
      const uint32_t at = r_.pos();
      if (r_.u8() != 0 && r_.ok()) r_.fail_malformed(at, "zero byte expected");
      break;
    }
    case Imm::MemoryInit: {
      in.index = r_.u32();
      const uint32_t at = r_.pos();
      if (r_.u8() != 0 && r_.ok()) r_.fail_malformed(at, "zero byte expected");
      break;
    }
    case Imm::MemoryCopy:
      for (int i = 0; i < 2; ++i) {
        const uint32_t at = r_.pos();
        if (r_.u8() != 0 && r_.ok()) r_.fail_malformed(at, "zero byte expected");
      }
      break;
    case Imm::I32:
      in.bits = static_cast<uint64_t>(static_cast<int64_t>(r_.s32()));
      break;
    case Imm::I64:
      in.bits = static_cast<uint64_t>(r_.s64());
      break;
    case Imm::F32:
      in.bits = r_.fixed_u32();
      break;
    case Imm::F64:
      in.bits = r_.fixed_u64();
      break;
    case Imm::RefType:
      in.type = read_ref_type(r_);
      break;
    case Imm::SelectT: {
      in.type_count = r_.length();
      for (uint32_t i = 0; i < in.type_count && r_.ok(); ++i) {
        const ValType t = read_value_type(r_);
        if (i == 0) in.type = t;
      }
      break;
    }
  }
  in.end = r_.pos();
  return r_.ok();
}

bool read_expr(InstrReader& reader, ExprSummary& summary) {
  // One entry per open block: true while it is an `if` that may still take
  // an `else`. The function/expression frame itself is the bottom entry.
  std::vector<bool> open{false};
  Instr in;
  while (reader.next(in)) {
    if (summary.instr_count++ == 0) summary.first = in;
    switch (in.op) {
      case Op::Block:
      case Op::Loop:
        open.push_back(false);
        break;
      case Op::If:
        open.push_back(true);
        break;
      case Op::Else:
        if (!open.back()) {
          reader.bytes().fail_malformed(in.offset, "END opcode expected");
          return false;
        }
        open.back() = false;
        break;
      case Op::End:
        open.pop_back();
        if (open.empty()) {
          summary.end = in.end;
          return true;
        }
        break;
      case Op::MemoryInit:
      case Op::DataDrop:
        if (!summary.uses_data_count) summary.data_count_use = in.offset;
        summary.uses_data_count = true;
        break;
      default:
        break;
    }
  }
  summary.truncated = reader.diagnostic().truncated;
  return false;
}

}  // namespace gpuos::wasm

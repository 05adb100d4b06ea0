// opcodes.cpp: lookup tables built from the opcode table in opcodes.h.
#include "procs/wasm/opcodes.h"

#include <array>

namespace gpuos::wasm {

namespace {

constexpr ValType slot_type(uint8_t s) {
  return s == sig::NONE || s == sig::CUSTOM ? ValType::I32 : static_cast<ValType>(s);
}

constexpr OpInfo make_info(Op op, uint8_t prefix, uint8_t code, const char* mnemonic, Imm imm,
                           uint8_t p1, uint8_t p2, uint8_t p3, uint8_t push, uint8_t align) {
  OpInfo info{op, prefix, code, mnemonic, imm, p1 == sig::CUSTOM, 0, {}, push != sig::NONE,
              slot_type(push), align};
  const uint8_t pops[3] = {p1, p2, p3};
  if (!info.custom) {
    for (uint8_t p : pops) {
      if (p != sig::NONE) info.pops[info.num_pops++] = slot_type(p);
    }
  }
  return info;
}

constexpr OpInfo kOpTable[] = {
#define GPUOS_WASM_OP_INFO(name, prefix, code, mnemonic, imm, p1, p2, p3, push, align)           \
  make_info(Op::name, prefix, code, mnemonic, Imm::imm, sig::p1, sig::p2, sig::p3, sig::push, \
            align),
    GPUOS_WASM_OPCODES(GPUOS_WASM_OP_INFO)
#undef GPUOS_WASM_OP_INFO
};

struct Lookup {
  std::array<const OpInfo*, 256> plain{};
  std::array<const OpInfo*, 256> fc{};
};

// Byte-indexed tables; filled once (constant-initialised where possible).
const Lookup& lookup() {
  static const Lookup table = [] {
    Lookup l;
    for (const OpInfo& info : kOpTable) {
      (info.prefix == 0 ? l.plain : l.fc)[info.code] = &info;
    }
    return l;
  }();
  return table;
}

}  // namespace

const OpInfo* op_info(uint8_t byte) { return lookup().plain[byte]; }

const OpInfo* op_info_fc(uint32_t sub_opcode) {
  return sub_opcode < 256 ? lookup().fc[sub_opcode] : nullptr;
}

const OpInfo* op_info(Op op) {
  const auto value = static_cast<uint16_t>(op);
  const uint8_t prefix = static_cast<uint8_t>(value >> 8);
  if (prefix == 0) return op_info(static_cast<uint8_t>(value));
  if (prefix == 0xfc) return op_info_fc(value & 0xff);
  return nullptr;
}

const char* mnemonic(Op op) {
  const OpInfo* info = op_info(op);
  return info ? info->mnemonic : "<unknown>";
}

const char* unsupported_opcode_feature(uint8_t byte) {
  switch (byte) {
    case 0x06: case 0x07: case 0x08: case 0x09: case 0x0a: case 0x18: case 0x19: case 0x1f:
      return "exception handling";
    case 0x12: case 0x13:
      return "tail calls";
    case 0x14: case 0x15: case 0xd3: case 0xd4: case 0xd5: case 0xd6:
      return "typed function references";
    case 0xfb:
      return "garbage collection (0xfb prefix)";
    case 0xfd:
      return "SIMD (0xfd prefix)";
    case 0xfe:
      return "threads and atomics (0xfe prefix)";
    default:
      return nullptr;
  }
}

}  // namespace gpuos::wasm

// leb128.h: LEB128 integer decoding with the spec's exact rejection rules.
//
// An N-bit LEB128 may use at most ceil(N/7) bytes ("integer representation
// too long"), and the unused high bits of its last byte must be zero for
// unsigned, or copies of the sign bit for signed ("integer too large").
// These helpers report which rule failed; ByteReader (reader.h) turns that
// into an error with an offset. Header-only because it is on the hot path of
// every decoder and validator loop.
#pragma once

#include <cstdint>

namespace gpuos::wasm {

enum class LebStatus : uint8_t {
  Ok,
  End,       // input ended inside the number
  TooLong,   // more bytes than an N-bit number may use
  TooLarge,  // unused bits of the last byte are not zero / sign copies
};

struct LebResult {
  uint64_t value = 0;  // zero-extended (unsigned) or sign-extended (signed) to 64 bits
  uint32_t length = 0;  // bytes consumed, including the offending byte on failure
  LebStatus status = LebStatus::Ok;
};

// Unsigned N-bit LEB128 (N <= 64) from [p, end).
template <unsigned Bits>
inline LebResult read_uleb(const uint8_t* p, const uint8_t* end) {
  static_assert(Bits > 0 && Bits <= 64);
  LebResult r;
  int remaining_bits = static_cast<int>(Bits);
  unsigned shift = 0;
  while (true) {
    if (remaining_bits <= 0) {
      r.status = LebStatus::TooLong;
      return r;
    }
    if (p + r.length >= end) {
      r.status = LebStatus::End;
      return r;
    }
    const uint8_t byte = p[r.length++];
    if (remaining_bits < 7 && (byte & 0x7f) >= (1u << remaining_bits)) {
      r.status = LebStatus::TooLarge;
      return r;
    }
    r.value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return r;
    shift += 7;
    remaining_bits -= 7;
  }
}

// Signed N-bit LEB128 (N <= 64) from [p, end).
template <unsigned Bits>
inline LebResult read_sleb(const uint8_t* p, const uint8_t* end) {
  static_assert(Bits > 0 && Bits <= 64);
  LebResult r;
  int remaining_bits = static_cast<int>(Bits);
  unsigned shift = 0;
  while (true) {
    if (remaining_bits <= 0) {
      r.status = LebStatus::TooLong;
      return r;
    }
    if (p + r.length >= end) {
      r.status = LebStatus::End;
      return r;
    }
    const uint8_t byte = p[r.length++];
    if (remaining_bits < 7) {
      // Bits above the sign bit must all equal it.
      const uint8_t mask = static_cast<uint8_t>((0xffu << (remaining_bits - 1)) & 0x7f);
      if ((byte & mask) != 0 && (byte & mask) != mask) {
        r.status = LebStatus::TooLarge;
        return r;
      }
    }
    r.value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    shift += 7;
    if ((byte & 0x80) == 0) {
      if (shift < 64 && (byte & 0x40)) r.value |= ~uint64_t{0} << shift;
      return r;
    }
    remaining_bits -= 7;
  }
}

}  // namespace gpuos::wasm

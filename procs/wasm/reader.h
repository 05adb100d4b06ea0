// reader.h: bounds-checked byte reader over a window of the module binary.
//
// Every read is checked against the window end (a section or function body)
// and against the end of the module; nothing here can read out of bounds.
// Errors are sticky: the first failure is recorded as a Diagnostic, and
// from then on reads return zero without advancing, so decoding code can
// read a whole entry and test ok() once, as long as every loop also tests
// ok() (counts read after a failure are zero, so loops end anyway).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "procs/wasm/diagnostic.h"
#include "procs/wasm/module.h"

namespace gpuos::wasm {

// Spec wording for running off the end of a section or function body, and
// for running off the end of the module outside any section.
inline constexpr const char* kUnexpectedEndOfSection = "unexpected end of section or function";
inline constexpr const char* kUnexpectedEnd = "unexpected end";

class ByteReader {
 public:
  // Reads module[begin, end), clamped to the module. The decoder keeps
  // modules below 2^32 bytes (kMaxModuleSize), so offsets fit in 32 bits.
  ByteReader(ByteSpan module, uint32_t begin, uint32_t end,
             const char* end_reason = kUnexpectedEndOfSection);

  uint32_t pos() const { return pos_; }
  uint32_t end() const { return end_; }
  uint32_t remaining() const { return end_ - pos_; }
  bool at_end() const { return pos_ >= end_; }
  ByteSpan module() const { return module_; }

  bool ok() const { return ok_; }
  const Diagnostic& diagnostic() const { return diag_; }
  // Records a failure unless one is recorded already (the first one wins).
  void fail(WasmError code, uint32_t offset, std::string reason);
  void fail(const Diagnostic& diag) {
    if (!ok_) return;
    ok_ = false;
    diag_ = diag;
  }
  void fail_malformed(uint32_t offset, std::string reason) {
    fail(WasmError::Malformed, offset, std::move(reason));
  }

  // Next byte without consuming it; requires !at_end().
  uint8_t peek() const { return module_[pos_]; }

  uint8_t u8();
  uint32_t fixed_u32();  // little-endian, 4 bytes
  uint64_t fixed_u64();  // little-endian, 8 bytes
  uint32_t u32();        // unsigned LEB128
  uint32_t u1();         // unsigned 1-bit LEB128 (limits flags)
  int32_t s32();         // signed LEB128
  int64_t s33();         // signed 33-bit LEB128 (block types)
  int64_t s64();         // signed LEB128
  int32_t s7();          // signed 7-bit LEB128 (type constructors)

  // A u32 length or vector count. A value larger than what is left of the
  // module is "length out of bounds"; callers must still cap any
  // reservation by remaining() (each element needs at least one byte).
  uint32_t length();
  // A length-prefixed UTF-8 name.
  std::string name();
  // Consumes n bytes; returns the offset where they start.
  uint32_t skip(uint32_t n);

  // Records "unexpected end..." at the window end and marks it truncated.
  void fail_truncated();

 private:
  template <typename T>
  T leb_result(uint64_t value, uint32_t length, int status);

  ByteSpan module_;
  uint32_t pos_;
  uint32_t end_;
  const char* end_reason_;
  bool ok_ = true;
  Diagnostic diag_;
};

// Well-formed UTF-8 as the spec defines it: shortest encodings only, no
// surrogates, nothing above U+10FFFF.
bool is_valid_utf8(std::string_view text);

}  // namespace gpuos::wasm

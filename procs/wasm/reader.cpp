// reader.cpp: ByteReader (bounds-checked, sticky-error byte reader), UTF-8
// validation, and the small to_string helpers of module.h.
#include "procs/wasm/reader.h"

#include <algorithm>

#include "procs/wasm/leb128.h"

namespace gpuos::wasm {

ByteReader::ByteReader(ByteSpan module, uint32_t begin, uint32_t end, const char* end_reason)
    : module_(module), pos_(begin), end_(end), end_reason_(end_reason) {
  // Callers compute windows from lengths in the input; never trust them.
  const auto size = static_cast<uint32_t>(std::min<size_t>(module.size(), UINT32_MAX));
  end_ = std::min(end_, size);
  pos_ = std::min(pos_, end_);
}

void ByteReader::fail(WasmError code, uint32_t offset, std::string reason) {
  if (!ok_) return;
  ok_ = false;
  diag_.code = code;
  diag_.offset = offset;
  diag_.reason = std::move(reason);
}

void ByteReader::fail_truncated() {
  if (!ok_) return;
  fail_malformed(end_, end_reason_);
  diag_.truncated = true;
}

uint8_t ByteReader::u8() {
  if (!ok_) return 0;
  if (pos_ >= end_) {
    fail_truncated();
    return 0;
  }
  return module_[pos_++];
}

uint32_t ByteReader::fixed_u32() {
  if (!ok_) return 0;
  if (remaining() < 4) {
    fail_truncated();
    return 0;
  }
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | module_[pos_ + i];
  pos_ += 4;
  return v;
}

uint64_t ByteReader::fixed_u64() {
  if (!ok_) return 0;
  if (remaining() < 8) {
    fail_truncated();
    return 0;
  }
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | module_[pos_ + i];
  pos_ += 8;
  return v;
}

// Shared tail of the LEB128 readers: advance or record the failure.
template <typename T>
T ByteReader::leb_result(uint64_t value, uint32_t length, int status) {
  switch (static_cast<LebStatus>(status)) {
    case LebStatus::Ok:
      pos_ += length;
      return static_cast<T>(value);
    case LebStatus::End:
      fail_truncated();
      return 0;
    case LebStatus::TooLong:
      fail_malformed(pos_ + length, "integer representation too long");
      return 0;
    case LebStatus::TooLarge:
      fail_malformed(pos_ + length - 1, "integer too large");
      return 0;
  }
  return 0;
}

#define GPUOS_WASM_LEB(NAME, TYPE, READER, BITS)                                      \
  TYPE ByteReader::NAME() {                                                           \
    if (!ok_) return 0;                                                               \
    const LebResult r = READER<BITS>(module_.data() + pos_, module_.data() + end_); \
    return leb_result<TYPE>(r.value, r.length, static_cast<int>(r.status));          \
  }
GPUOS_WASM_LEB(u32, uint32_t, read_uleb, 32)
GPUOS_WASM_LEB(u1, uint32_t, read_uleb, 1)
GPUOS_WASM_LEB(s32, int32_t, read_sleb, 32)
GPUOS_WASM_LEB(s33, int64_t, read_sleb, 33)
GPUOS_WASM_LEB(s64, int64_t, read_sleb, 64)
GPUOS_WASM_LEB(s7, int32_t, read_sleb, 7)
#undef GPUOS_WASM_LEB

uint32_t ByteReader::length() {
  const uint32_t at = pos_;
  const uint32_t n = u32();
  // Measured from the start of the length itself, as the reference
  // interpreter does; anything in between fails later as "unexpected end".
  if (ok_ && n > module_.size() - at) {
    fail_malformed(at, "length out of bounds");
    return 0;
  }
  return n;
}

uint32_t ByteReader::skip(uint32_t n) {
  const uint32_t at = pos_;
  if (!ok_) return at;
  if (n > remaining()) {
    fail_truncated();
    return at;
  }
  pos_ += n;
  return at;
}

std::string ByteReader::name() {
  const uint32_t at = pos_;
  const uint32_t n = length();
  const uint32_t start = skip(n);
  if (!ok_) return {};
  std::string text(reinterpret_cast<const char*>(module_.data() + start), n);
  if (!is_valid_utf8(text)) {
    fail_malformed(at, "malformed UTF-8 encoding");
    return {};
  }
  return text;
}

bool is_valid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    const unsigned c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int extra;
    uint32_t cp;
    uint32_t min;
    if ((c & 0xe0) == 0xc0) {
      extra = 1, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      extra = 2, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      extra = 3, cp = c & 0x07, min = 0x10000;
    } else {
      return false;  // stray continuation byte or 0xf8..0xff
    }
    if (end - p <= extra) return false;
    for (int i = 1; i <= extra; ++i) {
      if ((p[i] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    p += extra + 1;
  }
  return true;
}

const char* to_string(WasmError code) {
  switch (code) {
    case WasmError::Malformed: return "malformed";
    case WasmError::Invalid: return "invalid";
    case WasmError::Unsupported: return "unsupported";
    case WasmError::LimitExceeded: return "limit exceeded";
  }
  return "?";
}

const char* to_string(ValType type) {
  switch (type) {
    case ValType::I32: return "i32";
    case ValType::I64: return "i64";
    case ValType::F32: return "f32";
    case ValType::F64: return "f64";
    case ValType::FuncRef: return "funcref";
    case ValType::ExternRef: return "externref";
  }
  return "?";
}

const char* to_string(ExternKind kind) {
  switch (kind) {
    case ExternKind::Func: return "function";
    case ExternKind::Table: return "table";
    case ExternKind::Memory: return "memory";
    case ExternKind::Global: return "global";
  }
  return "?";
}

const char* to_string(SegmentMode mode) {
  switch (mode) {
    case SegmentMode::Active: return "active";
    case SegmentMode::Passive: return "passive";
    case SegmentMode::Declarative: return "declarative";
  }
  return "?";
}

}  // namespace gpuos::wasm

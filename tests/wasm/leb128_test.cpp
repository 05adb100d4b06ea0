// leb128_test.cpp: LEB128 limits, ByteReader bounds and sticky errors, UTF-8.
#include "procs/wasm/leb128.h"

#include <gtest/gtest.h>

#include "procs/wasm/reader.h"
#include "tests/wasm/wasm_builder.h"

namespace gpuos::wasm {
namespace {

using test::Bytes;

template <unsigned Bits>
LebResult u(const Bytes& b) {
  return read_uleb<Bits>(b.data(), b.data() + b.size());
}
template <unsigned Bits>
LebResult s(const Bytes& b) {
  return read_sleb<Bits>(b.data(), b.data() + b.size());
}

TEST(Leb128, UnsignedValues) {
  EXPECT_EQ(u<32>({0x00}).value, 0u);
  EXPECT_EQ(u<32>({0x7f}).value, 127u);
  EXPECT_EQ(u<32>({0x80, 0x01}).value, 128u);
  EXPECT_EQ(u<32>({0xe5, 0x8e, 0x26}).value, 624485u);
  const LebResult max = u<32>({0xff, 0xff, 0xff, 0xff, 0x0f});
  EXPECT_EQ(max.status, LebStatus::Ok);
  EXPECT_EQ(max.value, 0xffffffffu);
  EXPECT_EQ(max.length, 5u);
  // Padding up to the maximum length is allowed.
  EXPECT_EQ(u<32>({0x80, 0x80, 0x80, 0x80, 0x00}).status, LebStatus::Ok);
}

TEST(Leb128, UnsignedRejections) {
  EXPECT_EQ(u<32>({0x80, 0x80, 0x80, 0x80, 0x80, 0x00}).status, LebStatus::TooLong);
  EXPECT_EQ(u<32>({0xff, 0xff, 0xff, 0xff, 0x1f}).status, LebStatus::TooLarge);
  EXPECT_EQ(u<32>({0x82, 0x80, 0x80, 0x80, 0x70}).status, LebStatus::TooLarge);
  EXPECT_EQ(u<32>({0x80}).status, LebStatus::End);
  EXPECT_EQ(u<32>({}).status, LebStatus::End);
  EXPECT_EQ(u<1>({0x01}).value, 1u);
  EXPECT_EQ(u<1>({0x02}).status, LebStatus::TooLarge);
  EXPECT_EQ(u<1>({0x81, 0x00}).status, LebStatus::TooLong);
}

TEST(Leb128, SignedValues) {
  EXPECT_EQ(static_cast<int64_t>(s<32>({0x7f}).value), -1);
  EXPECT_EQ(static_cast<int64_t>(s<32>({0x40}).value), -64);
  EXPECT_EQ(static_cast<int64_t>(s<32>({0x3f}).value), 63);
  EXPECT_EQ(static_cast<int64_t>(s<32>({0xbf, 0x7f}).value), -65);
  EXPECT_EQ(static_cast<int64_t>(s<32>({0x80, 0x80, 0x80, 0x80, 0x78}).value), INT32_MIN);
  EXPECT_EQ(static_cast<int64_t>(s<32>({0xff, 0xff, 0xff, 0xff, 0x07}).value), INT32_MAX);
  EXPECT_EQ(static_cast<int64_t>(s<64>(test::sleb(INT64_MIN)).value), INT64_MIN);
  EXPECT_EQ(static_cast<int64_t>(s<64>(test::sleb(INT64_MAX)).value), INT64_MAX);
  EXPECT_EQ(static_cast<int64_t>(s<33>(test::sleb(0xffffffffLL)).value), 0xffffffffLL);
  for (int64_t v : {0LL, 1LL, -1LL, 1234567LL, -1234567LL, 1LL << 40, -(1LL << 40)}) {
    EXPECT_EQ(static_cast<int64_t>(s<64>(test::sleb(v)).value), v);
  }
}

TEST(Leb128, SignedRejections) {
  EXPECT_EQ(s<32>({0xff, 0xff, 0xff, 0xff, 0x4f}).status, LebStatus::TooLarge);
  EXPECT_EQ(s<32>({0x80, 0x80, 0x80, 0x80, 0x70}).status, LebStatus::TooLarge);
  EXPECT_EQ(s<32>({0x80, 0x80, 0x80, 0x80, 0x80, 0x00}).status, LebStatus::TooLong);
  EXPECT_EQ(s<64>({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}).status, LebStatus::TooLarge);
  EXPECT_EQ(s<64>({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}).status,
            LebStatus::TooLong);
  EXPECT_EQ(s<32>({0xff}).status, LebStatus::End);
}

TEST(ByteReader, LengthOutOfBounds) {
  const Bytes b{0x05, 'a', 'b'};
  ByteReader r(b, 0, 3);
  EXPECT_EQ(r.length(), 0u);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.diagnostic().reason, "length out of bounds");
  EXPECT_EQ(r.diagnostic().offset, 0u);
}

TEST(ByteReader, WindowEndIsUnexpectedEndAndSticky) {
  const Bytes b{0x01, 0x02, 0x03, 0x04};
  ByteReader r(b, 1, 2);
  EXPECT_EQ(r.u8(), 0x02);
  EXPECT_TRUE(r.at_end());
  EXPECT_EQ(r.u8(), 0);  // past the window, although the module goes on
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.diagnostic().truncated);
  EXPECT_EQ(r.diagnostic().reason, kUnexpectedEndOfSection);
  EXPECT_EQ(r.diagnostic().offset, 2u);
  r.fail_malformed(0, "second failure");  // the first failure wins
  EXPECT_EQ(r.diagnostic().reason, kUnexpectedEndOfSection);
  EXPECT_EQ(r.u32(), 0u);
  EXPECT_EQ(r.pos(), 2u);
}

TEST(ByteReader, LebErrorsCarryOffsets) {
  const Bytes b{0x00, 0xff, 0xff, 0xff, 0xff, 0x1f};
  ByteReader r(b, 1, static_cast<uint32_t>(b.size()));
  r.u32();
  EXPECT_EQ(r.diagnostic().reason, "integer too large");
  EXPECT_EQ(r.diagnostic().offset, 5u);
}

TEST(ByteReader, NamesAreUtf8) {
  const Bytes good = test::str("h\xc3\xa9llo \xf0\x9f\x98\x80");
  ByteReader r(good, 0, static_cast<uint32_t>(good.size()));
  EXPECT_EQ(r.name(), "h\xc3\xa9llo \xf0\x9f\x98\x80");
  EXPECT_TRUE(r.ok());

  const Bytes bad = test::str("\xc0\x80");
  ByteReader r2(bad, 0, static_cast<uint32_t>(bad.size()));
  r2.name();
  EXPECT_EQ(r2.diagnostic().reason, "malformed UTF-8 encoding");
}

TEST(Utf8, SpecRules) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain"));
  EXPECT_TRUE(is_valid_utf8("\xe2\x82\xac"));
  EXPECT_TRUE(is_valid_utf8("\xf4\x8f\xbf\xbf"));      // U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xc0\x80"));             // overlong NUL
  EXPECT_FALSE(is_valid_utf8("\xe0\x80\xaf"));         // overlong
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));         // surrogate U+D800
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));     // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\x80"));                 // stray continuation
  EXPECT_FALSE(is_valid_utf8("\xe2\x82"));             // truncated
  EXPECT_FALSE(is_valid_utf8("\xf8\x88\x80\x80\x80"));  // 5-byte form
}

}  // namespace
}  // namespace gpuos::wasm

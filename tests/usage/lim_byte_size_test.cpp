// Sizes as --max-memory reads them and as limit messages print them
// (kernel/byte_size.h; issue 19 item 8).
#include <gtest/gtest.h>

#include "kernel/byte_size.h"

using gpuos::format_byte_size;
using gpuos::parse_byte_size;

TEST(ByteSize, UnitsAreBinaryAndCaseBlind) {
  EXPECT_EQ(parse_byte_size("65536"), 65536u);
  EXPECT_EQ(parse_byte_size("64K"), 65536u);
  EXPECT_EQ(parse_byte_size("64kib"), 65536u);
  EXPECT_EQ(parse_byte_size("256M"), 256u << 20);
  EXPECT_EQ(parse_byte_size("4G"), uint64_t{4} << 30);
  EXPECT_EQ(parse_byte_size("4GiB"), uint64_t{4} << 30);
  EXPECT_EQ(parse_byte_size("7b"), 7u);
}

TEST(ByteSize, AnythingElseIsRefused) {
  for (const char* bad : {"", "M", "12X", "1.5G", "-1M", " 4G", "4 G", "18446744073709551616", "17179869184G"}) {
    EXPECT_FALSE(parse_byte_size(bad).has_value()) << bad;
  }
}

TEST(ByteSize, PrintedInTheLargestWholeUnit) {
  EXPECT_EQ(format_byte_size(uint64_t{64} << 20), "64 MiB");
  EXPECT_EQ(format_byte_size(uint64_t{4} << 30), "4 GiB");
  EXPECT_EQ(format_byte_size(128u << 10), "128 KiB");
  EXPECT_EQ(format_byte_size(uint64_t{3} << 29), "1.5 GiB");
  EXPECT_EQ(format_byte_size(100), "100 B");
}

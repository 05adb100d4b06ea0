// byte_size.h: sizes as users write and read them (`--max-memory 256M`,
// "at most 64 MiB"). Units are binary: K, M and G (or KiB, MiB, GiB, in
// either case) are 2^10, 2^20 and 2^30 bytes; a bare number is bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gpuos {

// "256M" -> 268435456; nullopt for anything else (no digits, an unknown
// unit, a fraction, a value past 2^64).
std::optional<uint64_t> parse_byte_size(std::string_view text);

// 67108864 -> "64 MiB"; a size that is no whole number of its unit keeps
// one decimal ("1.5 GiB"); under 1 KiB, bytes ("100 B").
std::string format_byte_size(uint64_t bytes);

}  // namespace gpuos

#include "contracts/alkane_id.h"

#include <algorithm>

namespace gpuos::contracts {

std::optional<u128> parse_u128(std::string_view s) {
  if (s.empty() || s.size() > 64) return std::nullopt;  // 64: leading zeros, but not a megabyte of them
  constexpr u128 kMax = ~u128{0};
  u128 v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const unsigned d = static_cast<unsigned>(c - '0');
    if (v > (kMax - d) / 10) return std::nullopt;  // v * 10 + d would wrap
    v = v * 10 + d;
  }
  return v;
}

std::string to_string(u128 v) {
  if (v == 0) return "0";
  std::string out;
  while (v != 0) {
    out.push_back(static_cast<char>('0' + static_cast<unsigned>(v % 10)));
    v /= 10;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::optional<AlkaneId> parse_alkane_id(std::string_view text) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto block = parse_u128(text.substr(0, colon));
  auto tx = parse_u128(text.substr(colon + 1));
  if (!block || !tx) return std::nullopt;
  return AlkaneId{*block, *tx};
}

std::string to_string(const AlkaneId& id) { return to_string(id.block) + ":" + to_string(id.tx); }

}  // namespace gpuos::contracts

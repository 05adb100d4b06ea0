#include "kernel/byte_size.h"

#include <fmt/format.h>

#include <cctype>

namespace gpuos {

std::optional<uint64_t> parse_byte_size(std::string_view text) {
  size_t i = 0;
  uint64_t n = 0;
  for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
    const uint64_t d = static_cast<uint64_t>(text[i] - '0');
    if (n > (UINT64_MAX - d) / 10) return std::nullopt;
    n = n * 10 + d;
  }
  if (i == 0) return std::nullopt;
  std::string unit;
  for (; i < text.size(); ++i) unit.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(text[i]))));
  unsigned shift = 0;
  if (unit.empty() || unit == "B") shift = 0;
  else if (unit == "K" || unit == "KIB") shift = 10;
  else if (unit == "M" || unit == "MIB") shift = 20;
  else if (unit == "G" || unit == "GIB") shift = 30;
  else return std::nullopt;
  if (shift != 0 && n > (UINT64_MAX >> shift)) return std::nullopt;
  return n << shift;
}

std::string format_byte_size(uint64_t bytes) {
  static constexpr struct { unsigned shift; const char* name; } kUnits[] = {{30, "GiB"}, {20, "MiB"}, {10, "KiB"}};
  for (const auto& u : kUnits) {
    if (bytes < (uint64_t{1} << u.shift)) continue;
    if (bytes % (uint64_t{1} << u.shift) == 0) return fmt::format("{} {}", bytes >> u.shift, u.name);
    return fmt::format("{:.1f} {}", static_cast<double>(bytes) / static_cast<double>(uint64_t{1} << u.shift), u.name);
  }
  return fmt::format("{} B", bytes);
}

}  // namespace gpuos

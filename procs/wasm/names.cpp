// names.cpp: the "name" custom section (module and function names), parsed
// leniently, and Module::function_name.
#include "procs/wasm/names.h"

#include <algorithm>

#include "procs/wasm/reader.h"

namespace gpuos::wasm {

namespace {

constexpr uint8_t kModuleNameSubsection = 0;
constexpr uint8_t kFunctionNamesSubsection = 1;

bool parse_function_names(ByteReader& r, NameSection& names) {
  const uint32_t count = r.length();
  names.function_names.reserve(std::min(count, r.remaining() / 2));
  for (uint32_t i = 0; i < count && r.ok(); ++i) {
    const uint32_t index = r.u32();
    std::string name = r.name();
    if (!r.ok()) break;
    // The spec requires increasing indices; without them lookup by binary
    // search would be wrong, so such a map is treated as malformed.
    if (!names.function_names.empty() && names.function_names.back().first >= index) return false;
    names.function_names.emplace_back(index, std::move(name));
  }
  return r.ok();
}

}  // namespace

void parse_name_section(Module& module, uint32_t begin, uint32_t end) {
  NameSection names;
  ByteReader r(module.bytes, begin, end);
  while (r.ok() && !r.at_end()) {
    const uint8_t id = r.u8();
    const uint32_t size = r.length();
    if (!r.ok() || size > r.remaining()) return;
    ByteReader sub(module.bytes, r.pos(), r.pos() + size);
    r.skip(size);
    if (id == kModuleNameSubsection) {
      names.module_name = sub.name();
      if (!sub.ok() || !sub.at_end()) return;
    } else if (id == kFunctionNamesSubsection) {
      if (!parse_function_names(sub, names) || !sub.at_end()) return;
    }
    // Other subsections (locals, labels, types, ...) are not kept.
  }
  if (!r.ok()) return;
  names.valid = true;
  module.names = std::move(names);
}

std::string_view Module::function_name(uint32_t func_index) const {
  const auto& list = names.function_names;
  auto it = std::lower_bound(list.begin(), list.end(), func_index,
                             [](const auto& entry, uint32_t index) { return entry.first < index; });
  if (it == list.end() || it->first != func_index) return {};
  return it->second;
}

}  // namespace gpuos::wasm

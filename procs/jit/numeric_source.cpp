// numeric_source.cpp: see numeric_source.h.
#include "procs/jit/numeric_source.h"

#include <fmt/format.h>

#include <map>
#include <mutex>
#include <regex>
#include <sstream>
#include <string_view>

#include "shaders/embedded.h"

namespace gpuos::jit {
namespace {

struct Parsed {
  std::string error;                      // non-empty: numeric.glsl was not in the expected shape
  std::string prelude;                    // numeric()'s statements before its switch
  std::map<uint16_t, std::string> cases;  // opcode -> the case's labels and body, verbatim
};

// Splits numeric()'s switch into cases. A case is a run of `case 0x....u:`
// labels at the start of lines, then everything up to the next line that
// starts with a label (or `default:`).
Parsed parse(std::string_view src) {
  Parsed p;
  const std::string_view head = "uint numeric(uint op, uint64_t a, uint64_t b, out uint64_t r) {";
  const size_t fn = src.find(head);
  const size_t sw = fn == std::string_view::npos ? fn : src.find("switch (op) {", fn);
  const size_t def = sw == std::string_view::npos ? sw : src.find("\n    default:", sw);
  if (def == std::string_view::npos) {
    p.error = "numeric.glsl: numeric()'s switch not found";
    return p;
  }
  p.prelude = std::string(src.substr(fn + head.size(), sw - fn - head.size()));
  std::istringstream lines{std::string(src.substr(sw + 13, def - sw - 13))};
  static const std::regex label(R"(^\s*case 0x([0-9a-f]{4})u:)");
  std::vector<uint16_t> open;  // labels of the case being read
  std::string text;
  bool body_started = false;
  auto flush = [&] {
    for (uint16_t op : open) p.cases[op] = text;
    open.clear();
    text.clear();
    body_started = false;
  };
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_search(line, m, label)) {
      if (body_started) flush();
      // every label on the line; the rest of the line (if any) starts the body
      std::string rest = line;
      for (std::smatch l; std::regex_search(rest, l, label); rest = l.suffix().str()) {
        open.push_back(static_cast<uint16_t>(std::stoul(l[1].str(), nullptr, 16)));
      }
      body_started = rest.find_first_not_of(" \t") != std::string::npos;
      text += line + "\n";
      continue;
    }
    if (open.empty()) continue;  // comments before the first case
    body_started = true;
    text += line + "\n";
  }
  if (!open.empty()) flush();
  if (p.cases.empty()) p.error = "numeric.glsl: no cases in numeric()";
  return p;
}

const Parsed& parsed() {
  static std::once_flag once;
  static Parsed p;
  std::call_once(once, [] {
    for (const shaders::SourceFile& f : shaders::glsl_sources) {
      if (f.path == "vm/numeric.glsl") p = parse(f.text);
    }
    if (p.cases.empty() && p.error.empty()) p.error = "vm/numeric.glsl is not embedded";
  });
  return p;
}

}  // namespace

Result<NumericFunction, NumericError> numeric_function(uint16_t op) {
  const Parsed& p = parsed();
  if (!p.error.empty()) return fail(NumericError::Malformed, p.error);
  auto it = p.cases.find(op);
  if (it == p.cases.end()) return fail(NumericError::NotFound, fmt::format("numeric.glsl has no case 0x{:04x}", op));
  NumericFunction f;
  f.name = fmt::format("jit_num_{:04x}", op);
  f.may_trap = it->second.find("return") != std::string::npos;
  f.glsl = fmt::format(
      "uint {}(uint64_t a, uint64_t b, out uint64_t r) {{\n  const uint op = 0x{:04x}u;{}switch (op) {{\n{}  }}\n  "
      "return 0u;\n}}\n",
      f.name, op, p.prelude, it->second);
  return f;
}

}  // namespace gpuos::jit

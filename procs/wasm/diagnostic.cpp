// diagnostic.cpp: formatting of decode/validation failures into Error details
// (format described in diagnostic.h).
#include "procs/wasm/diagnostic.h"

#include <cstdio>

namespace gpuos::wasm {

namespace {

constexpr std::string_view kLocationStart = " (at 0x";

// Names come from the module itself: keep them short and printable so a
// hostile name cannot forge or garble the message.
std::string sanitize_name(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (out.size() >= 48) {
      out += "...";
      break;
    }
    const bool printable = c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
    out += printable ? c : '?';
  }
  return out;
}

}  // namespace

std::string hex(uint64_t value) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(value));
  return buf;
}

std::string format_detail(const Diagnostic& diag, const Location& where) {
  std::string out = diag.reason;
  out += " (at ";
  out += hex(diag.offset);
  if (!where.section.empty()) {
    out += ", ";
    out += where.section;
  }
  if (where.entry && !where.entry_kind.empty()) {
    out += ", ";
    out += where.entry_kind;
    out += ' ';
    out += std::to_string(*where.entry);
  }
  if (where.func_index) {
    out += ", function ";
    out += std::to_string(*where.func_index);
    if (!where.func_name.empty()) {
      out += " \"";
      out += sanitize_name(where.func_name);
      out += '"';
    }
  }
  if (where.body_offset && diag.offset >= *where.body_offset) {
    out += ", body +";
    out += hex(diag.offset - *where.body_offset);
  }
  out += ')';
  return out;
}

Error<WasmError> make_error(const Diagnostic& diag, const Location& where) {
  return fail(diag.code, format_detail(diag, where));
}

std::string_view reason_of(std::string_view detail) {
  const size_t at = detail.rfind(kLocationStart);
  return at == std::string_view::npos ? detail : detail.substr(0, at);
}

}  // namespace gpuos::wasm

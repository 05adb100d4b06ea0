// diagnostic.h: how decode and validation failures are described.
//
// Internally a failure is a Diagnostic: error class, byte offset, and the
// reason in the spec test suite's wording ("type mismatch", "unknown
// local", ...), optionally followed by specifics after ": ". At the API
// boundary it becomes a gpuos::Error<WasmError> whose detail reads
//
//   <reason> (at 0x<offset>, <section>[, <entry> N][, function N "name", body +0x<rel>])
//
// e.g. `type mismatch: expected i32 but got f64 (at 0x4a, code section,
// function 3 "fib", body +0x12)`. The reason comes first so that a spec-style
// "message starts with" check works on the detail directly; reason_of()
// strips the location again.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "procs/wasm/module.h"

namespace gpuos::wasm {

struct Diagnostic {
  WasmError code = WasmError::Malformed;
  uint32_t offset = 0;
  std::string reason;
  bool truncated = false;  // a read ran past the end of its section or function body
};

// Context for turning a Diagnostic into an Error detail.
struct Location {
  std::string_view section;          // "type section", "module header", ...
  std::string_view entry_kind;       // "import", "global", ... (empty: none)
  std::optional<uint32_t> entry;     // index of the entry within the section
  std::optional<uint32_t> func_index;  // function (index space) for code errors
  std::string_view func_name;        // from the name section, may be empty
  std::optional<uint32_t> body_offset;  // function body start; adds "body +0x.." when set
};

std::string format_detail(const Diagnostic& diag, const Location& where);
Error<WasmError> make_error(const Diagnostic& diag, const Location& where);

// The reason part of an Error detail produced by format_detail().
std::string_view reason_of(std::string_view detail);

// Lower-case hex with 0x prefix, e.g. "0x1a4".
std::string hex(uint64_t value);

}  // namespace gpuos::wasm

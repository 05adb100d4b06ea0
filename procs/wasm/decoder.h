// decoder.h: public entry points for loading a WebAssembly binary.
//
//   load_module(bytes)    decode + validate: what the rest of gpuos calls.
//   decode_module(bytes)  the binary format only (sections, entries, and the
//                         structure of every function body); a decoded
//                         Module may still be invalid.
//   validate_module(m)    see validator.h.
//
// Errors are gpuos::Error<WasmError>; the detail format is described in
// diagnostic.h ("<reason> (at 0x<offset>, <section>, ...)").
#pragma once

#include <cstdint>
#include <string>

#include "kernel/result.h"
#include "procs/wasm/module.h"

namespace gpuos::wasm {

// Implementation limits (WasmError::LimitExceeded). They follow the limits
// that JavaScript engines share, so real-world modules fit; everything else
// is bounded by the module size, since every counted entry takes input bytes.
inline constexpr uint32_t kMaxModuleSize = 1u << 30;       // 1 GiB
inline constexpr uint32_t kMaxFunctionParams = 1000;
inline constexpr uint32_t kMaxFunctionResults = 1000;
inline constexpr uint32_t kMaxFunctionLocals = 50000;      // declared locals, params excluded
inline constexpr uint32_t kMaxFunctionBodySize = 7654321;  // bytes
// Checked by the validator. They bound its memory per function, and they are
// far above what compilers emit (a few hundred at most).
inline constexpr uint32_t kMaxOperandStackHeight = 1u << 16;  // values
inline constexpr uint32_t kMaxControlDepth = 1u << 16;        // nested blocks

// Limits on what a module declares (WasmError::LimitExceeded), checked as
// each count or size is read, before anything is sized from it. Without
// them a 40-byte module declaring `(table 1000000000 funcref)` is valid and
// makes whoever instantiates it allocate gigabytes. The defaults follow the
// limits JavaScript engines share (V8's wasm-limits.h), far above what
// compilers emit; a session passes tighter ones from its own sizes
// (procs/proc/program.cpp). Declared sizes that the spec itself forbids
// (memory above 65536 pages, a minimum above the maximum) are left to the
// validator, so those modules stay "invalid", as the spec tests expect.
struct DecodeLimits {
  uint32_t types = 1'000'000;
  uint32_t imports = 100'000;
  uint32_t functions = 1'000'000;        // defined (function section entries)
  uint32_t tables = 100'000;
  uint32_t table_entries = 10'000'000;   // a table's declared initial size
  uint32_t memory_pages = 65536;         // a memory's declared initial size
  uint32_t globals = 1'000'000;
  uint32_t exports = 100'000;
  uint32_t elem_segments = 10'000'000;
  uint32_t elem_items = 10'000'000;      // over all element segments
  uint32_t data_segments = 100'000;
  uint64_t data_bytes = kMaxModuleSize;  // over all data segments
  // Said after a refusal: where the limit comes from, e.g. "a process's
  // 16 KiB block; --block-kib". memory_pages and data_bytes have their own,
  // `source` covers the rest.
  std::string source = "implementation limit";
  std::string memory_pages_source = "implementation limit";
  std::string data_bytes_source = "implementation limit";
};

Result<Module, WasmError> decode_module(ByteSpan bytes, const DecodeLimits& limits = {});
Result<Module, WasmError> load_module(ByteSpan bytes, const DecodeLimits& limits = {});

}  // namespace gpuos::wasm

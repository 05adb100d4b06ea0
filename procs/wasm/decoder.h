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

Result<Module, WasmError> decode_module(ByteSpan bytes);
Result<Module, WasmError> load_module(ByteSpan bytes);

}  // namespace gpuos::wasm

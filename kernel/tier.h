// tier.h: which code a program's processes run (docs/compiled-tier.md):
// the interpreter, or the compiled tier inside the persistent kernel (a
// kernel variant, procs/jit/kernel_variant.h), and what the compiles cost.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gpuos {

// What a load asks for (`gpuos run --tier`).
enum class Tier {
  Interp,    // the interpreter only
  Compiled,  // compiled before any process starts; a module the compiler cannot handle is an error
  Auto,      // the interpreter at once, compiled code for processes that start once it is in the kernel;
             // a module the compiler cannot handle stays on the interpreter
};
const char* to_string(Tier t);
// The tier of `run` and `spawn` when none is given: Auto, but Interp on
// lavapipe, where installing a kernel variant stops every process for the
// driver's compile (minutes: llvmpipe compiles at the first dispatch), so
// Auto could not keep its promise that nobody waits for the compiler.
inline Tier default_tier(bool lavapipe) { return lavapipe ? Tier::Interp : Tier::Auto; }
std::optional<Tier> parse_tier(std::string_view s);

// Where a loaded program's compile stands.
enum class JitState {
  None,      // not asked for (Tier::Interp)
  Queued,    // asked for; being compiled, or waiting to be
  InKernel,  // its code is in the running kernel: processes that start now run compiled
  Failed,    // the compiler could not handle it: its processes run on the interpreter
};
const char* to_string(JitState s);

// The session's compiles so far (`gpuos info`, `gpuos stats`).
struct TierStats {
  uint32_t variants = 0;          // kernel variants built and installed
  uint32_t programs_compiled = 0; // programs whose code reached the kernel
  uint32_t failures = 0;          // programs the compiler could not handle
  uint32_t cache_hits = 0;        // variants whose SPIR-V came from the disk cache
  double emit_ms = 0;             // bytecode -> GLSL, over all variants
  double glslang_ms = 0;          // GLSL -> SPIR-V
  double pipeline_ms = 0;         // the driver's pipeline creation
  double install_ms = 0;          // parking the kernel and relaunching it as the variant
  double last_variant_ms = 0;     // the last variant, from its first queued program to installed
  std::string last_failure;
};

}  // namespace gpuos

// kernel_variant.h: the persistent kernel with the compiled code of some
// programs in it (docs/compiled-tier.md, "Inside the kernel").
//
// A variant is shaders/kernel.comp built at run time with PROC_JIT defined
// and, as jit/generated.glsl, the shared prelude (emit.h), one body per
// program with the prefix p<id> (p3_run for program 3), and
//   void jit_run_program(uint prog, uint budget)
// which runs the bound process's program: a switch on the program id, whose
// default (a program without code here) traps with VM_TRAP_BAD_STATE. The
// interpreter's loop calls it for processes that started compiled
// (vm/interp.glsl, VM_COMPILED_HOOK); every other process runs on the
// interpreter, which every variant keeps.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "kernel/result.h"
#include "procs/jit/compiler.h"
#include "procs/vm/image.h"

namespace gpuos::jit {

struct VariantProgram {
  uint32_t id = 0;                         // program id (the kernel's progs[] index)
  const vm::ProgramImage* image = nullptr;  // its code as the program store holds it
};

struct KernelVariantOptions {
  uint32_t max_register_slots = 64;  // EmitOptions::max_register_slots
  // The defines the running kernel was built with (shaders/CMakeLists.txt):
  // GPUOS_RELAXED_ATOMICS on lavapipe, GPUOS_PROFILE for --profile.
  std::vector<std::string> defines;
  uint64_t max_glsl_bytes = 0;  // generated code larger than this: TooLarge (0: no limit)
};

struct KernelVariant {
  std::vector<uint32_t> spirv;  // shaders/kernel.comp with PROC_JIT
  std::string glsl;             // the generated file
  uint32_t blocks = 0;          // over all programs
  double emit_ms = 0;
  double glslang_ms = 0;
};

// Fails (Emit) for a program whose code cannot be compiled, naming it;
// (TooLarge) when the generated code is over the limit; (Glsl) when glslang
// rejects the kernel, which is a bug.
Result<KernelVariant, CompileError> compile_kernel_variant(std::span<const VariantProgram> programs,
                                                           const KernelVariantOptions& options);

}  // namespace gpuos::jit

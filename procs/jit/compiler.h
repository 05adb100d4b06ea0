// compiler.h: the compiled tier's front door: a ProgramImage in, SPIR-V of
// the VM pipeline with the image's code compiled in out (emit.h, then
// glsl_compiler.h), with what it cost.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kernel/result.h"
#include "procs/jit/emit.h"
#include "procs/vm/image.h"

namespace gpuos::jit {

enum class CompileError { Emit, TooLarge, Glsl };

struct CompiledImage {
  std::vector<uint32_t> spirv;  // vm/vm_run.comp with VM_JIT
  EmittedModule emitted;        // counts; emitted.glsl is the generated source
  double emit_ms = 0;           // bytecode -> GLSL
  double glslang_ms = 0;        // GLSL -> SPIR-V
};

struct CompileOptions {
  EmitOptions emit;
  bool relaxed_atomics = false;  // lavapipe: the _relaxed variant's define (shaders/CMakeLists.txt)
  uint64_t max_glsl_bytes = 0;   // generated code larger than this: TooLarge (0: no limit)
};

Result<CompiledImage, CompileError> compile_image(const vm::ProgramImage& image, const CompileOptions& options = {});

// What compile_image and compile_kernel_variant (kernel_variant.h) share.
// TooLarge when the generated code has more than `max_bytes` (0: no limit).
Result<void, CompileError> check_generated_size(uint64_t bytes, uint64_t max_bytes);
// The embedded shader `main_path` with `defines` and `generated` as
// jit/generated.glsl, through glslang; adds the time it took to `glslang_ms`.
Result<std::vector<uint32_t>, CompileError> compile_with_generated(const std::string& main_path,
                                                                  std::vector<std::string> defines,
                                                                  const std::string& generated, double& glslang_ms);

}  // namespace gpuos::jit

// compiler.cpp: see compiler.h.
#include "procs/jit/compiler.h"

#include <fmt/format.h>

#include <chrono>

#include "procs/jit/glsl_compiler.h"

namespace gpuos::jit {
namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

Result<CompiledImage, CompileError> compile_image(const vm::ProgramImage& image, const CompileOptions& options) {
  CompiledImage out;
  auto t0 = std::chrono::steady_clock::now();
  auto emitted = emit_module(image, options.emit);
  if (!emitted) return fail(CompileError::Emit, emitted.detail());
  out.emitted = std::move(emitted.value());
  out.emit_ms = ms_since(t0);
  if (options.max_glsl_bytes != 0 && out.emitted.glsl.size() > options.max_glsl_bytes) {
    return fail(CompileError::TooLarge, fmt::format("generated code of {} KiB exceeds this device's limit of {} KiB",
                                                    out.emitted.glsl.size() / 1024, options.max_glsl_bytes / 1024));
  }

  GlslInput in;
  in.main_path = "vm/vm_run.comp";
  in.defines.push_back("VM_JIT");
  if (options.relaxed_atomics) in.defines.push_back("GPUOS_RELAXED_ATOMICS");
  in.generated.emplace_back("jit/generated.glsl", out.emitted.glsl);
  t0 = std::chrono::steady_clock::now();
  auto spirv = compile_glsl(in);
  if (!spirv) return fail(CompileError::Glsl, spirv.detail());
  out.spirv = std::move(spirv.value());
  out.glslang_ms = ms_since(t0);
  return out;
}

}  // namespace gpuos::jit

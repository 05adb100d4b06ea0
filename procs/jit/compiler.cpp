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

Result<void, CompileError> check_generated_size(uint64_t bytes, uint64_t max_bytes) {
  if (max_bytes != 0 && bytes > max_bytes) {
    return fail(CompileError::TooLarge, fmt::format("generated code of {} KiB exceeds this device's limit of {} KiB",
                                                    bytes / 1024, max_bytes / 1024));
  }
  return {};
}

Result<std::vector<uint32_t>, CompileError> compile_with_generated(const std::string& main_path,
                                                                  std::vector<std::string> defines,
                                                                  const std::string& generated, double& glslang_ms) {
  GlslInput in;
  in.main_path = main_path;
  in.defines = std::move(defines);
  in.generated.emplace_back("jit/generated.glsl", generated);
  const auto t0 = std::chrono::steady_clock::now();
  auto spirv = compile_glsl(in);
  glslang_ms += ms_since(t0);
  if (!spirv) return fail(CompileError::Glsl, spirv.detail());
  return std::move(spirv.value());
}

Result<CompiledImage, CompileError> compile_image(const vm::ProgramImage& image, const CompileOptions& options) {
  CompiledImage out;
  const auto t0 = std::chrono::steady_clock::now();
  auto emitted = emit_module(image, options.emit);
  if (!emitted) return fail(CompileError::Emit, emitted.detail());
  out.emitted = std::move(emitted.value());
  out.emit_ms = ms_since(t0);
  if (auto r = check_generated_size(out.emitted.glsl.size(), options.max_glsl_bytes); !r) return fail(r.code(), r.detail());
  std::vector<std::string> defines = {"VM_JIT"};
  if (options.relaxed_atomics) defines.push_back("GPUOS_RELAXED_ATOMICS");
  auto spirv = compile_with_generated("vm/vm_run.comp", std::move(defines), out.emitted.glsl, out.glslang_ms);
  if (!spirv) return fail(spirv.code(), spirv.detail());
  out.spirv = std::move(spirv.value());
  return out;
}

}  // namespace gpuos::jit

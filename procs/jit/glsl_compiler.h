// glsl_compiler.h: GLSL compute shaders compiled to SPIR-V at run time, in
// process, through glslang's library. #include names resolve first to the
// caller's generated files, then to the shader sources embedded in the
// binary (shaders/embedded.h), so a run-time shader includes exactly what
// the build-time shaders include.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kernel/result.h"

namespace gpuos::jit {

enum class GlslError {
  MissingSource,  // the main file is not among the embedded sources
  Parse,          // glslang rejected the source (the detail has its log)
  Link,
};

struct GlslInput {
  std::string main_path;  // embedded source holding main(), e.g. "vm/vm_run.comp"
  std::vector<std::string> defines;  // "NAME" or "NAME VALUE", as -D would give them
  // Files only this compile sees, by the path #include names: the generated code.
  std::vector<std::pair<std::string, std::string>> generated;
};

// SPIR-V for Vulkan 1.2, as glslangValidator -V --target-env vulkan1.2 gives it.
Result<std::vector<uint32_t>, GlslError> compile_glsl(const GlslInput& in);

}  // namespace gpuos::jit

// SPIR-V of the shaders in this folder, compiled and validated at build time
// (see CMakeLists.txt) and embedded in the binary; and the GLSL sources
// themselves, for the shaders the compiled tier builds at run time.
#pragma once
#include <cstdint>
#include <span>
#include <string_view>

namespace gpuos::shaders {
extern const std::span<const uint32_t> kernel;          // kernel.comp: the persistent kernel
extern const std::span<const uint32_t> kernel_relaxed;  // the same, lavapipe variant (lib/sync.glsl)
extern const std::span<const uint32_t> kernel_profile;  // the same, counting lane time (lib/profile.glsl)
extern const std::span<const uint32_t> vm_run;          // vm/vm_run.comp: standalone VM interpreter
extern const std::span<const uint32_t> vm_run_relaxed;  // the same, lavapipe variant (no atomics yet: identical)

// A shader source file, by its path relative to shaders/ ("vm/interp.glsl"),
// as #include names it.
struct SourceFile {
  std::string_view path;
  std::string_view text;
};
extern const std::span<const SourceFile> glsl_sources;  // every .glsl, .comp and .h here
}  // namespace gpuos::shaders

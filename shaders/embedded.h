// SPIR-V of the shaders in this folder, compiled and validated at build time
// (see CMakeLists.txt) and embedded in the binary.
#pragma once
#include <cstdint>
#include <span>

namespace gpuos::shaders {
extern const std::span<const uint32_t> kernel;          // kernel.comp: the persistent kernel
extern const std::span<const uint32_t> kernel_relaxed;  // the same, lavapipe variant (lib/sync.glsl)
extern const std::span<const uint32_t> kernel_profile;  // the same, counting lane time (lib/profile.glsl)
extern const std::span<const uint32_t> vm_run;          // vm/vm_run.comp: standalone VM interpreter
extern const std::span<const uint32_t> vm_run_relaxed;  // the same, lavapipe variant (no atomics yet: identical)
}  // namespace gpuos::shaders

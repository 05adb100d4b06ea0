// gpu_device.h: the Vulkan side of the GPU interpreter: a device, the
// vm_run pipeline, its nine storage buffers (shaders/vm/vm_abi.h) and
// launches. Knows nothing about WebAssembly; gpu_exec.cpp fills the buffers.
// Compiled images (procs/jit) add pipelines of their own over the same
// buffers; pipeline 0 is the interpreter.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>

#include "kernel/result.h"
#include "kernel/vk/compute_pipeline.h"
#include "kernel/vk/context.h"
#include "shaders/vm/vm_abi.h"

namespace gpuos::vm::gpu {

class VmDevice {
 public:
  static Result<std::unique_ptr<VmDevice>, std::string> create();
  ~VmDevice();

  const vk::DeviceInfo& info() const { return ctx_->info(); }
  // Host pointer of binding b, valid until the next ensure(b, ...).
  void* map(uint32_t b) { return bufs_[b].mapped; }
  template <typename T>
  T* as(uint32_t b) { return static_cast<T*>(bufs_[b].mapped); }
  VkDeviceSize size(uint32_t b) const { return bufs_[b].size; }
  // Makes binding b at least `bytes` long. A new buffer is zero-filled and
  // does not keep the old contents; returns true if it was replaced.
  Result<bool, std::string> ensure(uint32_t b, VkDeviceSize bytes);
  // Adds a pipeline made from `spirv` (vm_run.comp with VM_JIT), bound to
  // the same buffers; returns its id for launch().
  Result<uint32_t, std::string> add_pipeline(std::span<const uint32_t> spirv);
  void remove_pipeline(uint32_t id);
  // One dispatch over `lanes` lanes of pipeline `id`, waited for.
  Result<void, std::string> launch(const VmPush& push, uint32_t id = kInterpreter);

  static constexpr uint32_t kInterpreter = 0;

 private:
  VmDevice() = default;
  std::unique_ptr<vk::Context> ctx_;
  std::array<vk::Buffer, VM_NUM_BINDINGS> bufs_{};
  std::map<uint32_t, std::unique_ptr<vk::ComputePipeline>> pipelines_;  // by id
  std::map<uint32_t, bool> launched_;  // ids launched at least once (launch's first-launch timeout)
  uint32_t next_id_ = kInterpreter + 1;
};

}  // namespace gpuos::vm::gpu

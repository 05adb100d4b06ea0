// gpu_device.h: the Vulkan side of the GPU interpreter: a device, the
// vm_run pipeline, its nine storage buffers (shaders/vm/vm_abi.h) and
// launches. Knows nothing about WebAssembly; gpu_exec.cpp fills the buffers.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
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
  // One dispatch over `lanes` lanes, waited for.
  Result<void, std::string> launch(const VmPush& push);

 private:
  VmDevice() = default;
  std::unique_ptr<vk::Context> ctx_;
  std::array<vk::Buffer, VM_NUM_BINDINGS> bufs_{};
  std::unique_ptr<vk::ComputePipeline> pipeline_;
};

}  // namespace gpuos::vm::gpu

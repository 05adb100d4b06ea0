// A logical device on the chosen physical device: one compute queue and the
// buffers gpuos allocates. Every buffer is mapped for the host; where it lives
// (device-local BAR, cached host memory) is chosen by a preference list.
#pragma once

#include <initializer_list>
#include <memory>

#include "kernel/vk/device.h"

namespace gpuos::vk {

struct Buffer {
  VkBuffer buffer = VK_NULL_HANDLE;
  VkDeviceMemory memory = VK_NULL_HANDLE;
  void* mapped = nullptr;
  VkDeviceSize size = 0;
  uint32_t memory_type = 0;
  VkMemoryPropertyFlags flags = 0;
  VkDeviceAddress address = 0;  // create_device_buffer: for GL_EXT_buffer_reference
};

class Context {
 public:
  // Takes the instance; `device_index` comes from select_device().
  static Result<std::unique_ptr<Context>, VkError> create(std::shared_ptr<Instance> instance,
                                                          uint32_t device_index);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  Vk& vk() { return instance_->vk(); }
  VkDevice device() const { return device_; }
  VkQueue queue() const { return queue_; }
  uint32_t queue_family() const { return queue_family_; }
  const DeviceInfo& info() const { return instance_->devices()[device_index_]; }
  const std::vector<DeviceInfo>& all_devices() const { return instance_->devices(); }

  // A host-mapped storage buffer in the first memory type (in preference
  // order) whose flags include one of `preferences`.
  Result<Buffer, VkError> create_buffer(VkDeviceSize size,
                                        std::initializer_list<VkMemoryPropertyFlags> preferences);
  // A zero-filled, device-local buffer the host does not map, reached by
  // shaders through its device address (bufferDeviceAddress): the process
  // arena and blocks, which may be larger than a storage-buffer binding.
  Result<Buffer, VkError> create_device_buffer(VkDeviceSize size);
  void destroy_buffer(Buffer& b);

 private:
  Context() = default;
  std::shared_ptr<Instance> instance_;
  uint32_t device_index_ = 0;
  VkDevice device_ = VK_NULL_HANDLE;
  VkQueue queue_ = VK_NULL_HANDLE;
  uint32_t queue_family_ = 0;
};

}  // namespace gpuos::vk

// The persistent kernel's compute pipeline and its launches.
//
// One pipeline, one descriptor set (binding 0: control block, binding 1: debug
// ring, binding 2: host block), one pre-recorded command buffer and one fence: a launch is a queue
// submit of that command buffer, and the dispatch is over when the fence is.
#pragma once

#include <chrono>
#include <memory>
#include <span>

#include "kernel/vk/context.h"

namespace gpuos {

class KernelPipeline {
 public:
  static Result<std::unique_ptr<KernelPipeline>, vk::VkError> create(vk::Context& ctx,
                                                                     const vk::Buffer& control,
                                                                     const vk::Buffer& ring,
                                                                     const vk::Buffer& host,
                                                                     uint32_t workgroups,
                                                                     std::span<const uint32_t> spirv);
  ~KernelPipeline();

  uint32_t workgroups() const { return workgroups_; }
  uint32_t lanes() const { return workgroups_ * 64u; }

  // Submits one dispatch. The caller must not launch while one is running.
  Result<void, vk::VkError> launch();
  // True when the last launch has finished (or none was made). Waits up to `timeout`.
  Result<bool, vk::VkError> wait(std::chrono::microseconds timeout);
  bool running() const { return running_; }

 private:
  explicit KernelPipeline(vk::Context& ctx) : ctx_(ctx) {}
  vk::Context& ctx_;
  uint32_t workgroups_ = 0;
  bool running_ = false;
  VkShaderModule module_ = VK_NULL_HANDLE;
  VkDescriptorSetLayout set_layout_ = VK_NULL_HANDLE;
  VkPipelineLayout layout_ = VK_NULL_HANDLE;
  VkPipeline pipeline_ = VK_NULL_HANDLE;
  VkDescriptorPool pool_ = VK_NULL_HANDLE;
  VkDescriptorSet set_ = VK_NULL_HANDLE;
  VkCommandPool cmd_pool_ = VK_NULL_HANDLE;
  VkCommandBuffer cmd_ = VK_NULL_HANDLE;
  VkFence fence_ = VK_NULL_HANDLE;
};

}  // namespace gpuos

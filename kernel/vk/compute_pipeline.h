// ComputePipeline: one compute shader with N storage buffers in set 0,
// optional push constants, a command buffer and a fence. It is the Vulkan
// plumbing every gpuos pipeline shares: the persistent kernel
// (kernel/pipeline.h) and the VM interpreter (procs/vm/gpu_device.h).
//
// A dispatch is recorded once (record) and may be submitted many times
// (submit, then wait): the persistent kernel relaunches the same recording;
// the VM re-records when its push constants change.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>

#include "kernel/vk/context.h"

namespace gpuos::vk {

class ComputePipeline {
 public:
  static Result<std::unique_ptr<ComputePipeline>, VkError> create(Context& ctx, std::span<const uint32_t> spirv,
                                                                  uint32_t bindings, uint32_t push_bytes);
  ~ComputePipeline();
  ComputePipeline(const ComputePipeline&) = delete;
  ComputePipeline& operator=(const ComputePipeline&) = delete;

  // Points binding `index` at `buffer` (whole size). Not while a dispatch runs.
  void bind(uint32_t index, const Buffer& buffer);
  // (Re)records one dispatch of `groups` workgroups with `push` constants
  // (exactly push_bytes of them, or none when push_bytes is 0).
  Result<void, VkError> record(uint32_t groups, std::span<const std::byte> push = {});
  // Submits the recorded dispatch. The caller must not submit while one runs.
  Result<void, VkError> submit();
  // True when the last submit has finished (or none was made). Waits up to `timeout`.
  Result<bool, VkError> wait(std::chrono::microseconds timeout);
  bool running() const { return running_; }

 private:
  explicit ComputePipeline(Context& ctx) : ctx_(ctx) {}
  Context& ctx_;
  uint32_t push_bytes_ = 0;
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

}  // namespace gpuos::vk

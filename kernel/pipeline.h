// The persistent kernel's pipeline and its launches: a ComputePipeline with
// binding 0 the control block, 1 the debug ring, 2 the host block, 3 the sys
// buffer, 4 the program store, 5 the out buffer and 6 the bitmaps
// (shaders/abi_proc.h), and
// one dispatch recorded once; a launch resubmits it, and the dispatch is
// over when its fence is.
#pragma once

#include <chrono>
#include <memory>
#include <span>

#include "kernel/vk/compute_pipeline.h"

namespace gpuos {

class KernelPipeline {
 public:
  // `buffers`: one per binding, in binding order.
  static Result<std::unique_ptr<KernelPipeline>, vk::VkError> create(vk::Context& ctx,
                                                                     std::span<const vk::Buffer* const> buffers,
                                                                     uint32_t workgroups,
                                                                     std::span<const uint32_t> spirv);

  uint32_t workgroups() const { return workgroups_; }
  uint32_t lanes() const { return workgroups_ * 64u; }

  // Submits one dispatch. The caller must not launch while one is running.
  Result<void, vk::VkError> launch() { return pipeline_->submit(); }
  // True when the last launch has finished (or none was made). Waits up to `timeout`.
  Result<bool, vk::VkError> wait(std::chrono::microseconds timeout) { return pipeline_->wait(timeout); }
  bool running() const { return pipeline_->running(); }

 private:
  KernelPipeline() = default;
  uint32_t workgroups_ = 0;
  std::unique_ptr<vk::ComputePipeline> pipeline_;
};

}  // namespace gpuos

#include "kernel/pipeline.h"

#include "shaders/abi.h"

namespace gpuos {

Result<std::unique_ptr<KernelPipeline>, vk::VkError> KernelPipeline::create(
    vk::Context& ctx, std::span<const vk::Buffer* const> buffers, uint32_t workgroups,
    std::span<const uint32_t> spirv) {
  auto pipeline = vk::ComputePipeline::create(ctx, spirv, static_cast<uint32_t>(buffers.size()), /*push_bytes=*/0);
  if (!pipeline) return pipeline.error();
  std::unique_ptr<KernelPipeline> p(new KernelPipeline());
  p->workgroups_ = workgroups;
  p->pipeline_ = std::move(pipeline.value());
  for (uint32_t i = 0; i < buffers.size(); ++i) p->pipeline_->bind(i, *buffers[i]);
  // Recorded once; every launch resubmits it.
  if (auto r = p->pipeline_->record(workgroups); !r) return r.error();
  return p;
}

}  // namespace gpuos

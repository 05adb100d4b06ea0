#include "kernel/pipeline.h"

#include "shaders/abi.h"

namespace gpuos {

Result<std::unique_ptr<KernelPipeline>, vk::VkError> KernelPipeline::create(vk::Context& ctx,
                                                                            const vk::Buffer& control,
                                                                            const vk::Buffer& ring,
                                                                            const vk::Buffer& host,
                                                                            uint32_t workgroups,
                                                                            std::span<const uint32_t> spirv) {
  auto pipeline = vk::ComputePipeline::create(ctx, spirv, /*bindings=*/3, /*push_bytes=*/0);
  if (!pipeline) return pipeline.error();
  std::unique_ptr<KernelPipeline> p(new KernelPipeline());
  p->workgroups_ = workgroups;
  p->pipeline_ = std::move(pipeline.value());
  p->pipeline_->bind(0, control);
  p->pipeline_->bind(1, ring);
  p->pipeline_->bind(2, host);
  // Recorded once; every launch resubmits it.
  if (auto r = p->pipeline_->record(workgroups); !r) return r.error();
  return p;
}

}  // namespace gpuos

#include "kernel/vk/compute_pipeline.h"

#include <vector>

#include <fmt/format.h>

namespace gpuos::vk {

namespace {
Error<VkError> vk_fail(const char* what, VkResult r) {
  return fail(r == VK_ERROR_DEVICE_LOST ? VkError::DeviceLost : VkError::InitFailed,
              fmt::format("{} failed: {}", what, vk_result_name(r)));
}
}  // namespace

Result<std::unique_ptr<ComputePipeline>, VkError> ComputePipeline::create(Context& ctx,
                                                                          std::span<const uint32_t> spirv,
                                                                          uint32_t bindings, uint32_t push_bytes) {
  std::unique_ptr<ComputePipeline> p(new ComputePipeline(ctx));
  p->push_bytes_ = push_bytes;
  Vk& vk = ctx.vk();
  VkDevice dev = ctx.device();
  VkResult r;

  VkShaderModuleCreateInfo smci{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
  smci.codeSize = spirv.size_bytes();
  smci.pCode = spirv.data();
  if ((r = vk.CreateShaderModule(dev, &smci, nullptr, &p->module_)) != VK_SUCCESS)
    return vk_fail("vkCreateShaderModule", r);

  std::vector<VkDescriptorSetLayoutBinding> layout_bindings(bindings);
  for (uint32_t i = 0; i < bindings; ++i) {
    layout_bindings[i] = {i, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
  }
  VkDescriptorSetLayoutCreateInfo dslci{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
  dslci.bindingCount = bindings;
  dslci.pBindings = layout_bindings.data();
  if ((r = vk.CreateDescriptorSetLayout(dev, &dslci, nullptr, &p->set_layout_)) != VK_SUCCESS)
    return vk_fail("vkCreateDescriptorSetLayout", r);

  const VkPushConstantRange pcr{VK_SHADER_STAGE_COMPUTE_BIT, 0, push_bytes};
  VkPipelineLayoutCreateInfo plci{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
  plci.setLayoutCount = 1;
  plci.pSetLayouts = &p->set_layout_;
  plci.pushConstantRangeCount = push_bytes ? 1 : 0;
  plci.pPushConstantRanges = push_bytes ? &pcr : nullptr;
  if ((r = vk.CreatePipelineLayout(dev, &plci, nullptr, &p->layout_)) != VK_SUCCESS)
    return vk_fail("vkCreatePipelineLayout", r);

  VkComputePipelineCreateInfo cpci{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
  cpci.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
  cpci.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
  cpci.stage.module = p->module_;
  cpci.stage.pName = "main";
  cpci.layout = p->layout_;
  if ((r = vk.CreateComputePipelines(dev, VK_NULL_HANDLE, 1, &cpci, nullptr, &p->pipeline_)) != VK_SUCCESS)
    return vk_fail("vkCreateComputePipelines", r);

  const VkDescriptorPoolSize ps{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, bindings};
  VkDescriptorPoolCreateInfo dpci{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
  dpci.maxSets = 1;
  dpci.poolSizeCount = 1;
  dpci.pPoolSizes = &ps;
  if ((r = vk.CreateDescriptorPool(dev, &dpci, nullptr, &p->pool_)) != VK_SUCCESS)
    return vk_fail("vkCreateDescriptorPool", r);
  VkDescriptorSetAllocateInfo dsai{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
  dsai.descriptorPool = p->pool_;
  dsai.descriptorSetCount = 1;
  dsai.pSetLayouts = &p->set_layout_;
  if ((r = vk.AllocateDescriptorSets(dev, &dsai, &p->set_)) != VK_SUCCESS)
    return vk_fail("vkAllocateDescriptorSets", r);

  VkCommandPoolCreateInfo cpi{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  cpi.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;  // record() may re-record
  cpi.queueFamilyIndex = ctx.queue_family();
  if ((r = vk.CreateCommandPool(dev, &cpi, nullptr, &p->cmd_pool_)) != VK_SUCCESS)
    return vk_fail("vkCreateCommandPool", r);
  VkCommandBufferAllocateInfo cbai{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  cbai.commandPool = p->cmd_pool_;
  cbai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  cbai.commandBufferCount = 1;
  if ((r = vk.AllocateCommandBuffers(dev, &cbai, &p->cmd_)) != VK_SUCCESS)
    return vk_fail("vkAllocateCommandBuffers", r);

  VkFenceCreateInfo fci{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  if ((r = vk.CreateFence(dev, &fci, nullptr, &p->fence_)) != VK_SUCCESS) return vk_fail("vkCreateFence", r);
  return p;
}

ComputePipeline::~ComputePipeline() {
  Vk& vk = ctx_.vk();
  VkDevice dev = ctx_.device();
  // The owner stops its dispatch first; one still running would be waited
  // for by vkDeviceWaitIdle in ~Context.
  if (fence_) vk.DestroyFence(dev, fence_, nullptr);
  if (cmd_pool_) vk.DestroyCommandPool(dev, cmd_pool_, nullptr);
  if (pool_) vk.DestroyDescriptorPool(dev, pool_, nullptr);
  if (pipeline_) vk.DestroyPipeline(dev, pipeline_, nullptr);
  if (layout_) vk.DestroyPipelineLayout(dev, layout_, nullptr);
  if (set_layout_) vk.DestroyDescriptorSetLayout(dev, set_layout_, nullptr);
  if (module_) vk.DestroyShaderModule(dev, module_, nullptr);
}

void ComputePipeline::bind(uint32_t index, const Buffer& buffer) {
  const VkDescriptorBufferInfo info{buffer.buffer, 0, VK_WHOLE_SIZE};
  VkWriteDescriptorSet write{VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
  write.dstSet = set_;
  write.dstBinding = index;
  write.descriptorCount = 1;
  write.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
  write.pBufferInfo = &info;
  ctx_.vk().UpdateDescriptorSets(ctx_.device(), 1, &write, 0, nullptr);
}

Result<void, VkError> ComputePipeline::record(uint32_t groups, std::span<const std::byte> push) {
  if (push.size() != push_bytes_) {
    return fail(VkError::InitFailed, fmt::format("push constants: {} bytes given, {} declared", push.size(), push_bytes_));
  }
  Vk& vk = ctx_.vk();
  VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};  // no ONE_TIME: submits repeat
  VkResult r = vk.BeginCommandBuffer(cmd_, &bi);
  if (r != VK_SUCCESS) return vk_fail("vkBeginCommandBuffer", r);
  vk.CmdBindPipeline(cmd_, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline_);
  vk.CmdBindDescriptorSets(cmd_, VK_PIPELINE_BIND_POINT_COMPUTE, layout_, 0, 1, &set_, 0, nullptr);
  if (push_bytes_) vk.CmdPushConstants(cmd_, layout_, VK_SHADER_STAGE_COMPUTE_BIT, 0, push_bytes_, push.data());
  vk.CmdDispatch(cmd_, groups, 1, 1);
  if ((r = vk.EndCommandBuffer(cmd_)) != VK_SUCCESS) return vk_fail("vkEndCommandBuffer", r);
  return {};
}

Result<void, VkError> ComputePipeline::submit() {
  Vk& vk = ctx_.vk();
  VkResult r = vk.ResetFences(ctx_.device(), 1, &fence_);
  if (r != VK_SUCCESS) return vk_fail("vkResetFences", r);
  VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  si.commandBufferCount = 1;
  si.pCommandBuffers = &cmd_;
  if ((r = vk.QueueSubmit(ctx_.queue(), 1, &si, fence_)) != VK_SUCCESS) return vk_fail("vkQueueSubmit", r);
  running_ = true;
  return {};
}

Result<bool, VkError> ComputePipeline::wait(std::chrono::microseconds timeout) {
  if (!running_) return true;
  const uint64_t ns = static_cast<uint64_t>(timeout.count()) * 1000u;
  const VkResult r = ctx_.vk().WaitForFences(ctx_.device(), 1, &fence_, VK_TRUE, ns);
  if (r == VK_SUCCESS) {
    running_ = false;
    return true;
  }
  if (r == VK_TIMEOUT) return false;
  return vk_fail("vkWaitForFences", r);
}

}  // namespace gpuos::vk

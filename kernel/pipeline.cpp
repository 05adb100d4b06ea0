#include "kernel/pipeline.h"

#include <fmt/format.h>

#include "shaders/abi.h"

namespace gpuos {

using vk::VkError;

namespace {
Error<VkError> vk_fail(const char* what, VkResult r) {
  return fail(r == VK_ERROR_DEVICE_LOST ? VkError::DeviceLost : VkError::InitFailed,
              fmt::format("{} failed: {}", what, vk::vk_result_name(r)));
}
}  // namespace

Result<std::unique_ptr<KernelPipeline>, VkError> KernelPipeline::create(vk::Context& ctx,
                                                                        const vk::Buffer& control,
                                                                        const vk::Buffer& ring,
                                                                        const vk::Buffer& host,
                                                                        uint32_t workgroups,
                                                                        std::span<const uint32_t> spirv) {
  std::unique_ptr<KernelPipeline> p(new KernelPipeline(ctx));
  p->workgroups_ = workgroups;
  vk::Vk& vk = ctx.vk();
  VkDevice dev = ctx.device();
  VkResult r;

  VkShaderModuleCreateInfo smci{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
  smci.codeSize = spirv.size_bytes();
  smci.pCode = spirv.data();
  if ((r = vk.CreateShaderModule(dev, &smci, nullptr, &p->module_)) != VK_SUCCESS)
    return vk_fail("vkCreateShaderModule", r);

  VkDescriptorSetLayoutBinding bindings[3] = {};
  for (uint32_t i = 0; i < 3; ++i) {
    bindings[i].binding = i;
    bindings[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    bindings[i].descriptorCount = 1;
    bindings[i].stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
  }
  VkDescriptorSetLayoutCreateInfo dslci{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
  dslci.bindingCount = 3;
  dslci.pBindings = bindings;
  if ((r = vk.CreateDescriptorSetLayout(dev, &dslci, nullptr, &p->set_layout_)) != VK_SUCCESS)
    return vk_fail("vkCreateDescriptorSetLayout", r);

  VkPipelineLayoutCreateInfo plci{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
  plci.setLayoutCount = 1;
  plci.pSetLayouts = &p->set_layout_;
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

  VkDescriptorPoolSize ps{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 3};
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
  VkDescriptorBufferInfo infos[3] = {
      {control.buffer, 0, VK_WHOLE_SIZE}, {ring.buffer, 0, VK_WHOLE_SIZE}, {host.buffer, 0, VK_WHOLE_SIZE}};
  VkWriteDescriptorSet writes[3] = {};
  for (uint32_t i = 0; i < 3; ++i) {
    writes[i].sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET;
    writes[i].dstSet = p->set_;
    writes[i].dstBinding = i;
    writes[i].descriptorCount = 1;
    writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    writes[i].pBufferInfo = &infos[i];
  }
  vk.UpdateDescriptorSets(dev, 3, writes, 0, nullptr);

  VkCommandPoolCreateInfo cpi{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  cpi.queueFamilyIndex = ctx.queue_family();
  if ((r = vk.CreateCommandPool(dev, &cpi, nullptr, &p->cmd_pool_)) != VK_SUCCESS)
    return vk_fail("vkCreateCommandPool", r);
  VkCommandBufferAllocateInfo cbai{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  cbai.commandPool = p->cmd_pool_;
  cbai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  cbai.commandBufferCount = 1;
  if ((r = vk.AllocateCommandBuffers(dev, &cbai, &p->cmd_)) != VK_SUCCESS)
    return vk_fail("vkAllocateCommandBuffers", r);
  // Recorded once; every launch resubmits it (no ONE_TIME_SUBMIT flag).
  VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  vk.BeginCommandBuffer(p->cmd_, &bi);
  vk.CmdBindPipeline(p->cmd_, VK_PIPELINE_BIND_POINT_COMPUTE, p->pipeline_);
  vk.CmdBindDescriptorSets(p->cmd_, VK_PIPELINE_BIND_POINT_COMPUTE, p->layout_, 0, 1, &p->set_, 0, nullptr);
  vk.CmdDispatch(p->cmd_, workgroups, 1, 1);
  if ((r = vk.EndCommandBuffer(p->cmd_)) != VK_SUCCESS) return vk_fail("vkEndCommandBuffer", r);

  VkFenceCreateInfo fci{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  if ((r = vk.CreateFence(dev, &fci, nullptr, &p->fence_)) != VK_SUCCESS) return vk_fail("vkCreateFence", r);
  return p;
}

KernelPipeline::~KernelPipeline() {
  vk::Vk& vk = ctx_.vk();
  VkDevice dev = ctx_.device();
  // The caller stops the kernel first; a dispatch still running here would be
  // waited for by vkDeviceWaitIdle in ~Context.
  if (fence_) vk.DestroyFence(dev, fence_, nullptr);
  if (cmd_pool_) vk.DestroyCommandPool(dev, cmd_pool_, nullptr);
  if (pool_) vk.DestroyDescriptorPool(dev, pool_, nullptr);
  if (pipeline_) vk.DestroyPipeline(dev, pipeline_, nullptr);
  if (layout_) vk.DestroyPipelineLayout(dev, layout_, nullptr);
  if (set_layout_) vk.DestroyDescriptorSetLayout(dev, set_layout_, nullptr);
  if (module_) vk.DestroyShaderModule(dev, module_, nullptr);
}

Result<void, VkError> KernelPipeline::launch() {
  vk::Vk& vk = ctx_.vk();
  VkResult r = vk.ResetFences(ctx_.device(), 1, &fence_);
  if (r != VK_SUCCESS) return vk_fail("vkResetFences", r);
  VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  si.commandBufferCount = 1;
  si.pCommandBuffers = &cmd_;
  if ((r = vk.QueueSubmit(ctx_.queue(), 1, &si, fence_)) != VK_SUCCESS) return vk_fail("vkQueueSubmit", r);
  running_ = true;
  return {};
}

Result<bool, VkError> KernelPipeline::wait(std::chrono::microseconds timeout) {
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

}  // namespace gpuos

// gpu_device.cpp: Vulkan bring-up and launches for the VM interpreter.
// Mirrors kernel/pipeline.cpp, but with nine bindings and push constants,
// and the command buffer re-recorded per launch (push constants change).
#include "procs/vm/gpu_device.h"

#include <fmt/format.h>

#include "shaders/embedded.h"

namespace gpuos::vm::gpu {
namespace {

std::string vk_fail(const char* what, VkResult r) { return fmt::format("{} failed: {}", what, vk::vk_result_name(r)); }

// Where interpreter buffers live: device-local and mapped where the device
// has it (the GPU reads code and slots at every instruction), else host memory.
constexpr VkMemoryPropertyFlags kDL = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
constexpr VkMemoryPropertyFlags kHV = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;

}  // namespace

Result<std::unique_ptr<VmDevice>, std::string> VmDevice::create() {
  auto inst = vk::Instance::create();
  if (!inst) return fail(std::string(), "no Vulkan: " + inst.detail());
  auto sel = vk::select_device(inst.value()->devices(), std::nullopt);
  if (!sel) return fail(std::string(), "no Vulkan device: " + sel.detail());
  const vk::DeviceInfo& d = inst.value()->devices()[sel->chosen];
  if (!d.features.shader_int64 || !d.features.shader_float64) {
    return fail(std::string(), d.name + " lacks shaderInt64/shaderFloat64");
  }
  auto ctx = vk::Context::create(std::move(inst.value()), sel->chosen);
  if (!ctx) return fail(std::string(), ctx.detail());
  std::unique_ptr<VmDevice> p(new VmDevice());
  p->ctx_ = std::move(ctx.value());
  vk::Vk& vk = p->ctx_->vk();
  VkDevice dev = p->ctx_->device();
  VkResult r;

  const auto spirv = p->info().is_lavapipe() ? shaders::vm_run_relaxed : shaders::vm_run;
  VkShaderModuleCreateInfo smci{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
  smci.codeSize = spirv.size_bytes();
  smci.pCode = spirv.data();
  if ((r = vk.CreateShaderModule(dev, &smci, nullptr, &p->module_)) != VK_SUCCESS) return fail(std::string(), vk_fail("vkCreateShaderModule", r));

  VkDescriptorSetLayoutBinding bindings[VM_NUM_BINDINGS] = {};
  for (uint32_t i = 0; i < VM_NUM_BINDINGS; ++i) {
    bindings[i] = {i, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
  }
  VkDescriptorSetLayoutCreateInfo dslci{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
  dslci.bindingCount = VM_NUM_BINDINGS;
  dslci.pBindings = bindings;
  if ((r = vk.CreateDescriptorSetLayout(dev, &dslci, nullptr, &p->set_layout_)) != VK_SUCCESS)
    return fail(std::string(), vk_fail("vkCreateDescriptorSetLayout", r));
  VkPushConstantRange pcr{VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof(VmPush)};
  VkPipelineLayoutCreateInfo plci{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
  plci.setLayoutCount = 1;
  plci.pSetLayouts = &p->set_layout_;
  plci.pushConstantRangeCount = 1;
  plci.pPushConstantRanges = &pcr;
  if ((r = vk.CreatePipelineLayout(dev, &plci, nullptr, &p->layout_)) != VK_SUCCESS)
    return fail(std::string(), vk_fail("vkCreatePipelineLayout", r));
  VkComputePipelineCreateInfo cpci{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
  cpci.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
  cpci.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
  cpci.stage.module = p->module_;
  cpci.stage.pName = "main";
  cpci.layout = p->layout_;
  if ((r = vk.CreateComputePipelines(dev, VK_NULL_HANDLE, 1, &cpci, nullptr, &p->pipeline_)) != VK_SUCCESS)
    return fail(std::string(), vk_fail("vkCreateComputePipelines", r));

  VkDescriptorPoolSize ps{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, VM_NUM_BINDINGS};
  VkDescriptorPoolCreateInfo dpci{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
  dpci.maxSets = 1;
  dpci.poolSizeCount = 1;
  dpci.pPoolSizes = &ps;
  if ((r = vk.CreateDescriptorPool(dev, &dpci, nullptr, &p->pool_)) != VK_SUCCESS)
    return fail(std::string(), vk_fail("vkCreateDescriptorPool", r));
  VkDescriptorSetAllocateInfo dsai{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
  dsai.descriptorPool = p->pool_;
  dsai.descriptorSetCount = 1;
  dsai.pSetLayouts = &p->set_layout_;
  if ((r = vk.AllocateDescriptorSets(dev, &dsai, &p->set_)) != VK_SUCCESS)
    return fail(std::string(), vk_fail("vkAllocateDescriptorSets", r));

  VkCommandPoolCreateInfo cpi{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  cpi.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  cpi.queueFamilyIndex = p->ctx_->queue_family();
  if ((r = vk.CreateCommandPool(dev, &cpi, nullptr, &p->cmd_pool_)) != VK_SUCCESS)
    return fail(std::string(), vk_fail("vkCreateCommandPool", r));
  VkCommandBufferAllocateInfo cbai{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  cbai.commandPool = p->cmd_pool_;
  cbai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  cbai.commandBufferCount = 1;
  if ((r = vk.AllocateCommandBuffers(dev, &cbai, &p->cmd_)) != VK_SUCCESS)
    return fail(std::string(), vk_fail("vkAllocateCommandBuffers", r));
  VkFenceCreateInfo fci{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  if ((r = vk.CreateFence(dev, &fci, nullptr, &p->fence_)) != VK_SUCCESS) return fail(std::string(), vk_fail("vkCreateFence", r));
  // Every binding needs a buffer before the first descriptor update.
  for (uint32_t b = 0; b < VM_NUM_BINDINGS; ++b) {
    if (auto e = p->ensure(b, 256); !e) return fail(std::string(), e.detail());
  }
  return p;
}

VmDevice::~VmDevice() {
  if (!ctx_) return;
  vk::Vk& vk = ctx_->vk();
  VkDevice dev = ctx_->device();
  vk.DeviceWaitIdle(dev);
  for (vk::Buffer& b : bufs_) {
    if (b.buffer) ctx_->destroy_buffer(b);
  }
  if (fence_) vk.DestroyFence(dev, fence_, nullptr);
  if (cmd_pool_) vk.DestroyCommandPool(dev, cmd_pool_, nullptr);
  if (pool_) vk.DestroyDescriptorPool(dev, pool_, nullptr);
  if (pipeline_) vk.DestroyPipeline(dev, pipeline_, nullptr);
  if (layout_) vk.DestroyPipelineLayout(dev, layout_, nullptr);
  if (set_layout_) vk.DestroyDescriptorSetLayout(dev, set_layout_, nullptr);
  if (module_) vk.DestroyShaderModule(dev, module_, nullptr);
}

Result<bool, std::string> VmDevice::ensure(uint32_t b, VkDeviceSize bytes) {
  bytes = (bytes + 255) & ~VkDeviceSize{255};
  if (bufs_[b].buffer && bufs_[b].size >= bytes) return false;
  if (bufs_[b].buffer) ctx_->destroy_buffer(bufs_[b]);
  auto buf = ctx_->create_buffer(bytes, {kDL | kHV, kHV});
  if (!buf) return fail(std::string(), fmt::format("binding {}: {}", b, buf.detail()));
  bufs_[b] = buf.value();
  descriptors_dirty_ = true;
  return true;
}

Result<void, std::string> VmDevice::launch(const VmPush& push) {
  vk::Vk& vk = ctx_->vk();
  VkDevice dev = ctx_->device();
  if (descriptors_dirty_) {
    VkDescriptorBufferInfo infos[VM_NUM_BINDINGS];
    VkWriteDescriptorSet writes[VM_NUM_BINDINGS] = {};
    for (uint32_t i = 0; i < VM_NUM_BINDINGS; ++i) {
      infos[i] = {bufs_[i].buffer, 0, VK_WHOLE_SIZE};
      writes[i].sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET;
      writes[i].dstSet = set_;
      writes[i].dstBinding = i;
      writes[i].descriptorCount = 1;
      writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
      writes[i].pBufferInfo = &infos[i];
    }
    vk.UpdateDescriptorSets(dev, VM_NUM_BINDINGS, writes, 0, nullptr);
    descriptors_dirty_ = false;
  }
  VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  vk.BeginCommandBuffer(cmd_, &bi);
  vk.CmdBindPipeline(cmd_, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline_);
  vk.CmdBindDescriptorSets(cmd_, VK_PIPELINE_BIND_POINT_COMPUTE, layout_, 0, 1, &set_, 0, nullptr);
  vk.CmdPushConstants(cmd_, layout_, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof push, &push);
  vk.CmdDispatch(cmd_, (push.num_lanes + 63) / 64, 1, 1);
  VkResult r = vk.EndCommandBuffer(cmd_);
  if (r != VK_SUCCESS) return fail(std::string(), vk_fail("vkEndCommandBuffer", r));
  if ((r = vk.ResetFences(dev, 1, &fence_)) != VK_SUCCESS) return fail(std::string(), vk_fail("vkResetFences", r));
  VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  si.commandBufferCount = 1;
  si.pCommandBuffers = &cmd_;
  if ((r = vk.QueueSubmit(ctx_->queue(), 1, &si, fence_)) != VK_SUCCESS) return fail(std::string(), vk_fail("vkQueueSubmit", r));
  // Host-coherent memory: after the fence the host sees the GPU's writes.
  if ((r = vk.WaitForFences(dev, 1, &fence_, VK_TRUE, 60'000'000'000ull)) != VK_SUCCESS)
    return fail(std::string(), vk_fail("vkWaitForFences", r));
  return {};
}

}  // namespace gpuos::vm::gpu

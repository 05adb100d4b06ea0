#include "kernel/vk/context.h"

#include <cstring>

#include <fmt/format.h>

namespace gpuos::vk {

Result<std::unique_ptr<Context>, VkError> Context::create(std::shared_ptr<Instance> instance,
                                                          uint32_t device_index) {
  std::unique_ptr<Context> ctx(new Context());
  ctx->instance_ = std::move(instance);
  ctx->device_index_ = device_index;
  const DeviceInfo& d = ctx->info();
  Vk& vk = ctx->vk();
  ctx->queue_family_ = *d.compute_queue_family;

  // Enable what the device has of what the VM will use; boot itself needs none of it.
  VkPhysicalDeviceShaderClockFeaturesKHR clock{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_CLOCK_FEATURES_KHR};
  clock.shaderDeviceClock = d.features.shader_device_clock;
  VkPhysicalDeviceVulkan12Features f12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
  f12.bufferDeviceAddress = d.features.buffer_device_address;
  f12.vulkanMemoryModel = d.features.vulkan_memory_model;
  f12.vulkanMemoryModelDeviceScope = d.features.vulkan_memory_model_device_scope;
  VkPhysicalDeviceFeatures2 f2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
  f2.features.shaderInt64 = d.features.shader_int64;
  f2.features.shaderFloat64 = d.features.shader_float64;
  f2.pNext = &f12;
  std::vector<const char*> exts;
  if (d.features.shader_device_clock) {
    f12.pNext = &clock;
    exts.push_back(VK_KHR_SHADER_CLOCK_EXTENSION_NAME);
  }

  const float priority = 1.0f;
  VkDeviceQueueCreateInfo qci{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  qci.queueFamilyIndex = ctx->queue_family_;
  qci.queueCount = 1;
  qci.pQueuePriorities = &priority;
  VkDeviceCreateInfo dci{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
  dci.pNext = &f2;
  dci.queueCreateInfoCount = 1;
  dci.pQueueCreateInfos = &qci;
  dci.enabledExtensionCount = static_cast<uint32_t>(exts.size());
  dci.ppEnabledExtensionNames = exts.data();
  const VkResult r = vk.CreateDevice(d.handle, &dci, nullptr, &ctx->device_);
  if (r != VK_SUCCESS) {
    return fail(VkError::InitFailed, fmt::format("vkCreateDevice on device {} ({}) failed: {}", d.index,
                                                 d.name, vk_result_name(r)));
  }
  load_device_funcs(vk, ctx->device_);
  vk.GetDeviceQueue(ctx->device_, ctx->queue_family_, 0, &ctx->queue_);
  return ctx;
}

Context::~Context() {
  if (device_) {
    vk().DeviceWaitIdle(device_);
    vk().DestroyDevice(device_, nullptr);
  }
}

Result<Buffer, VkError> Context::create_buffer(VkDeviceSize size,
                                               std::initializer_list<VkMemoryPropertyFlags> preferences) {
  Vk& vk = this->vk();
  Buffer b;
  b.size = size;
  VkBufferCreateInfo bci{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  bci.size = size;
  bci.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
  bci.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  VkResult r = vk.CreateBuffer(device_, &bci, nullptr, &b.buffer);
  if (r != VK_SUCCESS) return fail(VkError::OutOfMemory, "vkCreateBuffer: " + vk_result_name(r));
  VkMemoryRequirements req{};
  vk.GetBufferMemoryRequirements(device_, b.buffer, &req);

  for (VkMemoryPropertyFlags want : preferences) {
    for (const MemoryType& t : info().memory_types) {
      if (!(req.memoryTypeBits & (1u << t.index)) || (t.flags & want) != want) continue;
      VkMemoryAllocateInfo ai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
      ai.allocationSize = req.size;
      ai.memoryTypeIndex = t.index;
      if (vk.AllocateMemory(device_, &ai, nullptr, &b.memory) != VK_SUCCESS) continue;
      vk.BindBufferMemory(device_, b.buffer, b.memory, 0);
      r = vk.MapMemory(device_, b.memory, 0, VK_WHOLE_SIZE, 0, &b.mapped);
      if (r != VK_SUCCESS) {
        destroy_buffer(b);
        return fail(VkError::InitFailed, "vkMapMemory: " + vk_result_name(r));
      }
      std::memset(b.mapped, 0, size);
      b.memory_type = t.index;
      b.flags = t.flags;
      return b;
    }
  }
  vk.DestroyBuffer(device_, b.buffer, nullptr);
  return fail(VkError::OutOfMemory,
              fmt::format("no host-visible memory type could hold a {}-byte buffer", size));
}

Result<Buffer, VkError> Context::create_device_buffer(VkDeviceSize size) {
  Vk& vk = this->vk();
  if (!info().features.buffer_device_address) {
    return fail(VkError::InitFailed, info().name + " lacks bufferDeviceAddress (the process arena needs it)");
  }
  Buffer b;
  b.size = size;
  VkBufferCreateInfo bci{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  bci.size = size;
  bci.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT |
              VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT;
  bci.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  VkResult r = vk.CreateBuffer(device_, &bci, nullptr, &b.buffer);
  if (r != VK_SUCCESS) return fail(VkError::OutOfMemory, "vkCreateBuffer: " + vk_result_name(r));
  VkMemoryRequirements req{};
  vk.GetBufferMemoryRequirements(device_, b.buffer, &req);
  VkMemoryAllocateFlagsInfo flags{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_FLAGS_INFO};
  flags.flags = VK_MEMORY_ALLOCATE_DEVICE_ADDRESS_BIT;
  for (VkMemoryPropertyFlags want : {VkMemoryPropertyFlags(VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT), VkMemoryPropertyFlags(0)}) {
    for (const MemoryType& t : info().memory_types) {
      if (b.memory || !(req.memoryTypeBits & (1u << t.index)) || (t.flags & want) != want) continue;
      VkMemoryAllocateInfo ai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
      ai.pNext = &flags;
      ai.allocationSize = req.size;
      ai.memoryTypeIndex = t.index;
      if (vk.AllocateMemory(device_, &ai, nullptr, &b.memory) != VK_SUCCESS) continue;
      b.memory_type = t.index;
      b.flags = t.flags;
    }
  }
  if (!b.memory) {
    vk.DestroyBuffer(device_, b.buffer, nullptr);
    return fail(VkError::OutOfMemory, fmt::format("no memory type could hold a {} MiB device buffer", size >> 20));
  }
  vk.BindBufferMemory(device_, b.buffer, b.memory, 0);
  VkBufferDeviceAddressInfo ai{VK_STRUCTURE_TYPE_BUFFER_DEVICE_ADDRESS_INFO};
  ai.buffer = b.buffer;
  b.address = vk.GetBufferDeviceAddress(device_, &ai);

  // Zero it with one transfer command (the host cannot map it).
  VkCommandPool pool = VK_NULL_HANDLE;
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  VkFence fence = VK_NULL_HANDLE;
  VkCommandPoolCreateInfo cpi{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  cpi.queueFamilyIndex = queue_family_;
  r = vk.CreateCommandPool(device_, &cpi, nullptr, &pool);
  if (r == VK_SUCCESS) {
    VkCommandBufferAllocateInfo cbai{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    cbai.commandPool = pool;
    cbai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    cbai.commandBufferCount = 1;
    r = vk.AllocateCommandBuffers(device_, &cbai, &cmd);
  }
  if (r == VK_SUCCESS) {
    VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    vk.BeginCommandBuffer(cmd, &bi);
    vk.CmdFillBuffer(cmd, b.buffer, 0, VK_WHOLE_SIZE, 0);
    vk.EndCommandBuffer(cmd);
    VkFenceCreateInfo fci{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    r = vk.CreateFence(device_, &fci, nullptr, &fence);
  }
  if (r == VK_SUCCESS) {
    VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    si.commandBufferCount = 1;
    si.pCommandBuffers = &cmd;
    r = vk.QueueSubmit(queue_, 1, &si, fence);
  }
  if (r == VK_SUCCESS) r = vk.WaitForFences(device_, 1, &fence, VK_TRUE, UINT64_MAX);
  if (fence) vk.DestroyFence(device_, fence, nullptr);
  if (pool) vk.DestroyCommandPool(device_, pool, nullptr);
  if (r != VK_SUCCESS) {
    destroy_buffer(b);
    return fail(VkError::InitFailed, "zeroing a device buffer failed: " + vk_result_name(r));
  }
  return b;
}

void Context::destroy_buffer(Buffer& b) {
  Vk& vk = this->vk();
  if (b.mapped) vk.UnmapMemory(device_, b.memory);
  if (b.buffer) vk.DestroyBuffer(device_, b.buffer, nullptr);
  if (b.memory) vk.FreeMemory(device_, b.memory, nullptr);
  b = Buffer{};
}

}  // namespace gpuos::vk

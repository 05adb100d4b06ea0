// The Vulkan loader, opened at run time with dlopen.
//
// gpuos does not link libvulkan: a machine without the loader must get a
// clear message and a non-zero exit, not a dynamic-linker failure before
// main(). Every entry point gpuos uses is listed once in GPUOS_VK_*_FUNCS and
// becomes a member of Vk, the dispatch table; names keep Vulkan's spelling
// without the "vk" prefix (vk.CreateDevice, vk.QueueSubmit).
#pragma once

#include <vulkan/vulkan.h>

#include <string>

#include "kernel/result.h"

namespace gpuos::vk {

enum class VkError {
  NoLoader,         // libvulkan.so.1 could not be opened
  NoDriver,         // the loader found no driver (ICD) at all
  NoDevice,         // drivers, but no usable physical device
  DeviceRejected,   // --device N names a device that cannot be used
  InitFailed,       // a Vulkan call failed during bring-up
  OutOfMemory,      // no memory type or allocation for a buffer
  Timeout,          // a fence or reply did not come in time
  DeviceLost,
};

const char* to_string(VkError e);

// Global functions (no instance needed).
#define GPUOS_VK_GLOBAL_FUNCS(X) \
  X(CreateInstance)              \
  X(EnumerateInstanceVersion)

#define GPUOS_VK_INSTANCE_FUNCS(X)         \
  X(DestroyInstance)                       \
  X(EnumeratePhysicalDevices)              \
  X(GetPhysicalDeviceProperties)           \
  X(GetPhysicalDeviceProperties2)          \
  X(GetPhysicalDeviceFeatures2)            \
  X(GetPhysicalDeviceMemoryProperties)     \
  X(GetPhysicalDeviceQueueFamilyProperties) \
  X(EnumerateDeviceExtensionProperties)    \
  X(CreateDevice)                          \
  X(GetDeviceProcAddr)

#define GPUOS_VK_DEVICE_FUNCS(X)      \
  X(DestroyDevice)                    \
  X(GetDeviceQueue)                   \
  X(DeviceWaitIdle)                   \
  X(CreateBuffer)                     \
  X(DestroyBuffer)                    \
  X(GetBufferMemoryRequirements)      \
  X(AllocateMemory)                   \
  X(FreeMemory)                       \
  X(BindBufferMemory)                 \
  X(MapMemory)                        \
  X(UnmapMemory)                      \
  X(GetBufferDeviceAddress)           \
  X(CreateShaderModule)               \
  X(DestroyShaderModule)              \
  X(CreateDescriptorSetLayout)        \
  X(DestroyDescriptorSetLayout)       \
  X(CreatePipelineLayout)             \
  X(DestroyPipelineLayout)            \
  X(CreateComputePipelines)           \
  X(DestroyPipeline)                  \
  X(CreateDescriptorPool)             \
  X(DestroyDescriptorPool)            \
  X(AllocateDescriptorSets)           \
  X(UpdateDescriptorSets)             \
  X(CreateCommandPool)                \
  X(DestroyCommandPool)               \
  X(AllocateCommandBuffers)           \
  X(BeginCommandBuffer)               \
  X(EndCommandBuffer)                 \
  X(CmdBindPipeline)                  \
  X(CmdBindDescriptorSets)            \
  X(CmdPushConstants)                 \
  X(CmdDispatch)                      \
  X(CmdFillBuffer)                    \
  X(CreateFence)                      \
  X(DestroyFence)                     \
  X(ResetFences)                      \
  X(WaitForFences)                    \
  X(GetFenceStatus)                   \
  X(QueueSubmit)

struct Vk {
#define GPUOS_VK_MEMBER(name) PFN_vk##name name = nullptr;
  GPUOS_VK_GLOBAL_FUNCS(GPUOS_VK_MEMBER)
  GPUOS_VK_INSTANCE_FUNCS(GPUOS_VK_MEMBER)
  GPUOS_VK_DEVICE_FUNCS(GPUOS_VK_MEMBER)
#undef GPUOS_VK_MEMBER
  PFN_vkGetInstanceProcAddr GetInstanceProcAddr = nullptr;
};

// Opens the loader (GPUOS_VULKAN_LIBRARY overrides the file name, which is
// how the tests simulate a machine without one) and fills the global
// functions. The library stays open for the life of the process.
Result<Vk, VkError> open_loader();

void load_instance_funcs(Vk& vk, VkInstance instance);
void load_device_funcs(Vk& vk, VkDevice device);

// "VK_ERROR_OUT_OF_DEVICE_MEMORY" etc.
std::string vk_result_name(VkResult r);

}  // namespace gpuos::vk

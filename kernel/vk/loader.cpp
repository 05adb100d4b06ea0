#include "kernel/vk/loader.h"

#include <dlfcn.h>

#include <cstdlib>

#include <fmt/format.h>

namespace gpuos::vk {

const char* to_string(VkError e) {
  switch (e) {
    case VkError::NoLoader: return "no Vulkan loader";
    case VkError::NoDriver: return "no Vulkan driver";
    case VkError::NoDevice: return "no usable Vulkan device";
    case VkError::DeviceRejected: return "device rejected";
    case VkError::InitFailed: return "Vulkan initialisation failed";
    case VkError::OutOfMemory: return "out of device memory";
    case VkError::Timeout: return "timeout";
    case VkError::DeviceLost: return "device lost";
  }
  return "unknown Vulkan error";
}

Result<Vk, VkError> open_loader() {
  const char* override_name = std::getenv("GPUOS_VULKAN_LIBRARY");
  const char* name = override_name && *override_name ? override_name : "libvulkan.so.1";
  void* lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    return fail(VkError::NoLoader,
                fmt::format("cannot open the Vulkan loader '{}': {}. Install it (Debian: "
                            "apt-get install libvulkan1 mesa-vulkan-drivers).",
                            name, dlerror()));
  }
  Vk vk;
  vk.GetInstanceProcAddr =
      reinterpret_cast<PFN_vkGetInstanceProcAddr>(dlsym(lib, "vkGetInstanceProcAddr"));
  if (!vk.GetInstanceProcAddr) {
    return fail(VkError::NoLoader, fmt::format("'{}' has no vkGetInstanceProcAddr", name));
  }
#define GPUOS_VK_LOAD(fn) \
  vk.fn = reinterpret_cast<PFN_vk##fn>(vk.GetInstanceProcAddr(nullptr, "vk" #fn));
  GPUOS_VK_GLOBAL_FUNCS(GPUOS_VK_LOAD)
#undef GPUOS_VK_LOAD
  if (!vk.CreateInstance) {
    return fail(VkError::NoLoader, fmt::format("'{}' does not export vkCreateInstance", name));
  }
  return vk;
}

void load_instance_funcs(Vk& vk, VkInstance instance) {
#define GPUOS_VK_LOAD(fn) \
  vk.fn = reinterpret_cast<PFN_vk##fn>(vk.GetInstanceProcAddr(instance, "vk" #fn));
  GPUOS_VK_INSTANCE_FUNCS(GPUOS_VK_LOAD)
#undef GPUOS_VK_LOAD
}

void load_device_funcs(Vk& vk, VkDevice device) {
#define GPUOS_VK_LOAD(fn) vk.fn = reinterpret_cast<PFN_vk##fn>(vk.GetDeviceProcAddr(device, "vk" #fn));
  GPUOS_VK_DEVICE_FUNCS(GPUOS_VK_LOAD)
#undef GPUOS_VK_LOAD
}

std::string vk_result_name(VkResult r) {
  switch (r) {
#define GPUOS_VK_CASE(x) \
  case x: return #x;
    GPUOS_VK_CASE(VK_SUCCESS)
    GPUOS_VK_CASE(VK_NOT_READY)
    GPUOS_VK_CASE(VK_TIMEOUT)
    GPUOS_VK_CASE(VK_INCOMPLETE)
    GPUOS_VK_CASE(VK_ERROR_OUT_OF_HOST_MEMORY)
    GPUOS_VK_CASE(VK_ERROR_OUT_OF_DEVICE_MEMORY)
    GPUOS_VK_CASE(VK_ERROR_INITIALIZATION_FAILED)
    GPUOS_VK_CASE(VK_ERROR_DEVICE_LOST)
    GPUOS_VK_CASE(VK_ERROR_MEMORY_MAP_FAILED)
    GPUOS_VK_CASE(VK_ERROR_LAYER_NOT_PRESENT)
    GPUOS_VK_CASE(VK_ERROR_EXTENSION_NOT_PRESENT)
    GPUOS_VK_CASE(VK_ERROR_FEATURE_NOT_PRESENT)
    GPUOS_VK_CASE(VK_ERROR_INCOMPATIBLE_DRIVER)
    GPUOS_VK_CASE(VK_ERROR_TOO_MANY_OBJECTS)
    GPUOS_VK_CASE(VK_ERROR_UNKNOWN)
#undef GPUOS_VK_CASE
    default: return fmt::format("VkResult({})", static_cast<int>(r));
  }
}

}  // namespace gpuos::vk

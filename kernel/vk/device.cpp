#include "kernel/vk/device.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include <fmt/format.h>

namespace gpuos::vk {

const char* device_type_name(VkPhysicalDeviceType t) {
  switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete GPU";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated GPU";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual GPU";
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return "CPU";
    default: return "other";
  }
}

std::string memory_flags_string(VkMemoryPropertyFlags f) {
  static const std::pair<VkMemoryPropertyFlags, const char*> names[] = {
      {VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, "DEVICE_LOCAL"},
      {VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT, "HOST_VISIBLE"},
      {VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, "HOST_COHERENT"},
      {VK_MEMORY_PROPERTY_HOST_CACHED_BIT, "HOST_CACHED"},
      {VK_MEMORY_PROPERTY_LAZILY_ALLOCATED_BIT, "LAZILY_ALLOCATED"},
      {VK_MEMORY_PROPERTY_PROTECTED_BIT, "PROTECTED"},
  };
  std::string s;
  for (auto [bit, name] : names) {
    if (f & bit) s += (s.empty() ? "" : "|") + std::string(name);
  }
  return s.empty() ? "0" : s;
}

bool DeviceInfo::has_device_local_host_visible() const {
  const VkMemoryPropertyFlags want = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT |
                                     VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                     VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  return std::any_of(memory_types.begin(), memory_types.end(),
                     [&](const MemoryType& m) { return (m.flags & want) == want; });
}

uint64_t DeviceInfo::device_local_bytes() const {
  uint64_t most = 0;
  for (const MemoryType& m : memory_types) {
    if (m.flags & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) most = std::max(most, m.heap_size);
  }
  return most;
}

namespace {

bool has_extension(Vk& vk, VkPhysicalDevice pd, const char* name) {
  uint32_t n = 0;
  vk.EnumerateDeviceExtensionProperties(pd, nullptr, &n, nullptr);
  std::vector<VkExtensionProperties> exts(n);
  vk.EnumerateDeviceExtensionProperties(pd, nullptr, &n, exts.data());
  return std::any_of(exts.begin(), exts.end(),
                     [&](const VkExtensionProperties& e) { return std::strcmp(e.extensionName, name) == 0; });
}

DeviceInfo survey(Vk& vk, VkPhysicalDevice pd, uint32_t index) {
  DeviceInfo d;
  d.index = index;
  d.handle = pd;

  VkPhysicalDeviceProperties base{};
  vk.GetPhysicalDeviceProperties(pd, &base);
  d.name = base.deviceName;
  d.type = base.deviceType;
  d.vendor_id = base.vendorID;
  d.device_id = base.deviceID;
  d.api_version = base.apiVersion;
  d.max_storage_buffer_range = base.limits.maxStorageBufferRange;

  if (d.api_version < VK_API_VERSION_1_2) {
    d.unusable_reason = fmt::format("Vulkan {}.{} (1.2 is required)", VK_API_VERSION_MAJOR(d.api_version),
                                    VK_API_VERSION_MINOR(d.api_version));
  }

  // Properties 1.1/1.2 (driver, subgroup size, float controls), SM count on NVIDIA.
  const bool nv_sm = has_extension(vk, pd, VK_NV_SHADER_SM_BUILTINS_EXTENSION_NAME);
  VkPhysicalDeviceShaderSMBuiltinsPropertiesNV sm{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_SM_BUILTINS_PROPERTIES_NV};
  VkPhysicalDeviceVulkan12Properties p12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_PROPERTIES};
  VkPhysicalDeviceVulkan11Properties p11{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_PROPERTIES};
  p11.pNext = &p12;
  if (nv_sm) p12.pNext = &sm;
  VkPhysicalDeviceProperties2 props2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
  props2.pNext = &p11;
  if (d.api_version >= VK_API_VERSION_1_2) {
    vk.GetPhysicalDeviceProperties2(pd, &props2);
    d.driver_id = p12.driverID;
    d.driver_name = p12.driverName;
    d.driver_info = p12.driverInfo;
    d.subgroup_size = p11.subgroupSize;
    // The GPU kernel's schedulers and takers work a subgroup at a time
    // (bitmap_take_subgroup, io_take_completions, emit_help_subgroup).
    constexpr VkSubgroupFeatureFlags kSubgroupOps = VK_SUBGROUP_FEATURE_BASIC_BIT | VK_SUBGROUP_FEATURE_BALLOT_BIT |
                                                    VK_SUBGROUP_FEATURE_ARITHMETIC_BIT | VK_SUBGROUP_FEATURE_SHUFFLE_BIT;
    const bool subgroup_ok = (p11.subgroupSupportedStages & VK_SHADER_STAGE_COMPUTE_BIT) &&
                             (p11.subgroupSupportedOperations & kSubgroupOps) == kSubgroupOps;
    if (!subgroup_ok && d.driver_id != VK_DRIVER_ID_MESA_LLVMPIPE && d.unusable_reason.empty()) {
      d.unusable_reason = "compute shaders lack subgroup basic, ballot, arithmetic or shuffle operations";
    }
    d.features.denorm_preserve_f32 = p12.shaderDenormPreserveFloat32;
    d.features.denorm_preserve_f64 = p12.shaderDenormPreserveFloat64;
    d.features.signed_zero_inf_nan_preserve_f32 = p12.shaderSignedZeroInfNanPreserveFloat32;
    d.features.signed_zero_inf_nan_preserve_f64 = p12.shaderSignedZeroInfNanPreserveFloat64;
    d.features.rounding_rte_f32 = p12.shaderRoundingModeRTEFloat32;
    d.features.rounding_rte_f64 = p12.shaderRoundingModeRTEFloat64;
    if (nv_sm) d.compute_units_hint = sm.shaderSMCount;

    VkPhysicalDeviceShaderClockFeaturesKHR clock{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_CLOCK_FEATURES_KHR};
    const bool has_clock = has_extension(vk, pd, VK_KHR_SHADER_CLOCK_EXTENSION_NAME);
    VkPhysicalDeviceVulkan12Features f12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
    if (has_clock) f12.pNext = &clock;
    VkPhysicalDeviceFeatures2 f2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
    f2.pNext = &f12;
    vk.GetPhysicalDeviceFeatures2(pd, &f2);
    d.features.shader_int64 = f2.features.shaderInt64;
    d.features.shader_float64 = f2.features.shaderFloat64;
    d.features.buffer_device_address = f12.bufferDeviceAddress;
    d.features.vulkan_memory_model = f12.vulkanMemoryModel;
    d.features.vulkan_memory_model_device_scope = f12.vulkanMemoryModelDeviceScope;
    d.features.shader_device_clock = has_clock && clock.shaderDeviceClock;
  }

  uint32_t nq = 0;
  vk.GetPhysicalDeviceQueueFamilyProperties(pd, &nq, nullptr);
  std::vector<VkQueueFamilyProperties> qs(nq);
  vk.GetPhysicalDeviceQueueFamilyProperties(pd, &nq, qs.data());
  // Prefer a compute-only family (no graphics work shares it), else any with compute.
  for (int pass = 0; pass < 2 && !d.compute_queue_family; ++pass) {
    for (uint32_t i = 0; i < nq; ++i) {
      const bool compute = qs[i].queueFlags & VK_QUEUE_COMPUTE_BIT;
      const bool graphics = qs[i].queueFlags & VK_QUEUE_GRAPHICS_BIT;
      if (compute && (pass == 1 || !graphics)) {
        d.compute_queue_family = i;
        break;
      }
    }
  }
  if (!d.compute_queue_family && d.unusable_reason.empty()) d.unusable_reason = "no compute queue";

  VkPhysicalDeviceMemoryProperties mem{};
  vk.GetPhysicalDeviceMemoryProperties(pd, &mem);
  for (uint32_t i = 0; i < mem.memoryTypeCount; ++i) {
    const auto& t = mem.memoryTypes[i];
    d.memory_types.push_back({i, t.heapIndex, t.propertyFlags, mem.memoryHeaps[t.heapIndex].size});
  }
  return d;
}

int type_rank(VkPhysicalDeviceType t) {
  switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return 0;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 1;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return 2;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return 3;
    default: return 4;
  }
}

}  // namespace

namespace {
std::string driver_configuration() {
  std::string key;
  for (const char* var : {"GPUOS_VULKAN_LIBRARY", "VK_DRIVER_FILES", "VK_ICD_FILENAMES"}) {
    const char* v = std::getenv(var);
    key += std::string(var) + "=" + (v ? v : "") + ";";
  }
  return key;
}
}  // namespace

Result<std::shared_ptr<Instance>, VkError> Instance::create() {
  static std::mutex mu;
  // Deliberately never destroyed: destroying it from a static destructor at
  // exit, after the NVIDIA driver has begun its own teardown, crashed.
  static auto* cached = new std::shared_ptr<Instance>();
  static auto* cached_for = new std::string();
  std::lock_guard lock(mu);
  const std::string config = driver_configuration();
  if (*cached && *cached_for == config) return *cached;
  auto created = create_uncached();
  if (created && !*cached) {
    *cached = created.value();
    *cached_for = config;
  }
  return created;
}

Result<std::shared_ptr<Instance>, VkError> Instance::create_uncached() {
  auto loader = open_loader();
  if (!loader) return loader.error();
  std::shared_ptr<Instance> inst(new Instance());
  inst->vk_ = loader.value();
  Vk& vk = inst->vk_;

  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "gpuos";
  app.pEngineName = "gpuos";
  app.apiVersion = VK_API_VERSION_1_2;
  VkInstanceCreateInfo ci{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  ci.pApplicationInfo = &app;
  VkResult r = vk.CreateInstance(&ci, nullptr, &inst->instance_);
  if (r == VK_ERROR_INCOMPATIBLE_DRIVER) {
    return fail(VkError::NoDriver,
                "the Vulkan loader found no driver (ICD). Install one (Debian: apt-get install "
                "mesa-vulkan-drivers for lavapipe), or point VK_DRIVER_FILES at an ICD json.");
  }
  if (r != VK_SUCCESS) {
    return fail(VkError::InitFailed, "vkCreateInstance failed: " + vk_result_name(r));
  }
  load_instance_funcs(vk, inst->instance_);

  uint32_t n = 0;
  r = vk.EnumeratePhysicalDevices(inst->instance_, &n, nullptr);
  if (r != VK_SUCCESS || n == 0) {
    return fail(VkError::NoDevice,
                "the Vulkan loader found no physical device (is VK_DRIVER_FILES pointing at a "
                "driver for this machine?)");
  }
  std::vector<VkPhysicalDevice> pds(n);
  vk.EnumeratePhysicalDevices(inst->instance_, &n, pds.data());
  for (uint32_t i = 0; i < n; ++i) inst->devices_.push_back(survey(vk, pds[i], i));
  return inst;
}

Instance::~Instance() {
  if (instance_ && vk_.DestroyInstance) vk_.DestroyInstance(instance_, nullptr);
}

Result<Selection, VkError> select_device(const std::vector<DeviceInfo>& devices,
                                         std::optional<uint32_t> requested) {
  if (!requested) {
    if (const char* env = std::getenv("GPUOS_DEVICE"); env && *env) {
      char* endp = nullptr;
      errno = 0;
      const unsigned long long v = std::strtoull(env, &endp, 10);
      if (*endp != '\0' || env[0] == '-' || errno == ERANGE || v > UINT32_MAX) {
        return fail(VkError::DeviceRejected, fmt::format("GPUOS_DEVICE='{}' is not a device index", env));
      }
      requested = static_cast<uint32_t>(v);
    }
  }
  Selection sel;
  if (requested) {
    if (*requested >= devices.size()) {
      return fail(VkError::DeviceRejected,
                  fmt::format("device {} does not exist; there {} {} (see gpuos info)", *requested,
                              devices.size() == 1 ? "is" : "are", devices.size()));
    }
    const DeviceInfo& d = devices[*requested];
    if (!d.unusable_reason.empty()) {
      return fail(VkError::DeviceRejected,
                  fmt::format("device {} ({}) cannot run a session: {}", d.index, d.name, d.unusable_reason));
    }
    sel.chosen = d.index;
    sel.why_chosen = "requested with --device or GPUOS_DEVICE";
    for (const auto& o : devices) {
      if (o.index != d.index) sel.passed_over.emplace_back(o.index, "another device was requested");
    }
    return sel;
  }

  std::optional<uint32_t> best;
  for (const auto& d : devices) {
    if (!d.unusable_reason.empty()) continue;
    if (!best) {
      best = d.index;
      continue;
    }
    const DeviceInfo& b = devices[*best];
    // Kind of device first, then full VM support, then enumeration order.
    const auto key = [](const DeviceInfo& x) { return std::pair(type_rank(x.type), x.features.vm_ready() ? 0 : 1); };
    if (key(d) < key(b)) best = d.index;
  }
  if (!best) {
    std::string why;
    for (const auto& d : devices) why += fmt::format("\n  device {} ({}): {}", d.index, d.name, d.unusable_reason);
    return fail(VkError::NoDevice, "no Vulkan device can run a session:" + why);
  }
  const DeviceInfo& c = devices[*best];
  sel.chosen = c.index;
  sel.why_chosen = fmt::format("the best {} present", device_type_name(c.type));
  for (const auto& d : devices) {
    if (d.index == c.index) continue;
    std::string reason = d.unusable_reason;
    if (reason.empty()) {
      if (type_rank(d.type) > type_rank(c.type)) {
        reason = fmt::format("a {}; a {} is preferred", device_type_name(d.type), device_type_name(c.type));
      } else if (!d.features.vm_ready() && c.features.vm_ready()) {
        reason = "lacks features the VM needs (see features)";
      } else {
        reason = fmt::format("device {} comes first in enumeration order", c.index);
      }
    }
    sel.passed_over.emplace_back(d.index, reason);
  }
  return sel;
}

}  // namespace gpuos::vk

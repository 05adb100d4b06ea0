// Vulkan instance, physical-device survey and device selection.
//
// Selection order: a discrete GPU, else an integrated one, else a virtual GPU,
// else a CPU implementation (Mesa lavapipe). `--device N` or GPUOS_DEVICE=N
// overrides. Every device that was passed over carries the reason, so `gpuos
// info` can say why a device was not chosen (the vk-bootstrap habit).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernel/vk/loader.h"

namespace gpuos::vk {

// What the VM needs from a device (reported by `gpuos info`).
struct DeviceFeatures {
  bool shader_int64 = false;
  bool shader_float64 = false;
  bool buffer_device_address = false;
  bool vulkan_memory_model = false;
  bool vulkan_memory_model_device_scope = false;
  bool shader_device_clock = false;
  // Float controls (VkPhysicalDeviceFloatControlsProperties).
  bool denorm_preserve_f32 = false;
  bool denorm_preserve_f64 = false;
  bool signed_zero_inf_nan_preserve_f32 = false;
  bool signed_zero_inf_nan_preserve_f64 = false;
  bool rounding_rte_f32 = false;
  bool rounding_rte_f64 = false;

  // The features without which the WebAssembly VM cannot run at all.
  bool vm_ready() const {
    return shader_int64 && shader_float64 && buffer_device_address && vulkan_memory_model;
  }
};

struct MemoryType {
  uint32_t index = 0;
  uint32_t heap = 0;
  VkMemoryPropertyFlags flags = 0;
  uint64_t heap_size = 0;
};

struct DeviceInfo {
  uint32_t index = 0;  // position in vkEnumeratePhysicalDevices order
  VkPhysicalDevice handle = VK_NULL_HANDLE;
  std::string name;
  VkPhysicalDeviceType type = VK_PHYSICAL_DEVICE_TYPE_OTHER;
  uint32_t vendor_id = 0;
  uint32_t device_id = 0;
  uint32_t api_version = 0;
  VkDriverId driver_id = static_cast<VkDriverId>(0);
  std::string driver_name;
  std::string driver_info;
  uint32_t subgroup_size = 0;
  uint32_t compute_units_hint = 0;   // multiprocessors, where known (kernel/session.cpp sizes the kernel by it)
  uint64_t max_storage_buffer_range = 0;
  std::optional<uint32_t> compute_queue_family;
  DeviceFeatures features;
  std::vector<MemoryType> memory_types;

  bool is_lavapipe() const { return driver_id == VK_DRIVER_ID_MESA_LLVMPIPE; }
  bool has_device_local_host_visible() const;
  uint64_t device_local_bytes() const;  // the largest DEVICE_LOCAL heap; 0: none
  // Empty when the device can run a session; otherwise why it cannot.
  std::string unusable_reason;
};

const char* device_type_name(VkPhysicalDeviceType t);
std::string memory_flags_string(VkMemoryPropertyFlags f);  // "DEVICE_LOCAL|HOST_VISIBLE|..."

// The instance and the survey of its devices.
//
// One per process (per driver configuration): create() hands out the same
// instance again while GPUOS_VULKAN_LIBRARY, VK_DRIVER_FILES and
// VK_ICD_FILENAMES are unchanged. NVIDIA's driver (580) takes static TLS
// each time the loader loads it and never gives it back, so about the 30th
// vkCreateInstance in one process failed on an H100 ("cannot allocate
// memory in static TLS block"). A changed configuration (the failure-path
// tests) gets a fresh, uncached instance.
class Instance {
 public:
  static Result<std::shared_ptr<Instance>, VkError> create();
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  Vk& vk() { return vk_; }
  VkInstance handle() const { return instance_; }
  const std::vector<DeviceInfo>& devices() const { return devices_; }

 private:
  Instance() = default;
  static Result<std::shared_ptr<Instance>, VkError> create_uncached();
  Vk vk_;
  VkInstance instance_ = VK_NULL_HANDLE;
  std::vector<DeviceInfo> devices_;
};

struct Selection {
  uint32_t chosen = 0;
  std::string why_chosen;
  // (device index, reason) for every device not chosen.
  std::vector<std::pair<uint32_t, std::string>> passed_over;
};

// `requested` comes from --device; when empty, GPUOS_DEVICE is consulted.
Result<Selection, VkError> select_device(const std::vector<DeviceInfo>& devices,
                                         std::optional<uint32_t> requested);

}  // namespace gpuos::vk

#include "kernel/control/json.h"

#include <fmt/format.h>

namespace gpuos::control {

nlohmann::json to_json(const SessionStatus& s) {
  return {
      {"schema", JSON_SCHEMA},
      {"device", {{"index", s.device_index}, {"name", s.device_name}, {"type", s.device_type}}},
      {"mode", to_string(s.mode)},
      {"mode_reason", s.mode_reason},
      {"kernel", {{"state", s.kernel_state},
                  {"workgroups", s.workgroups},
                  {"lanes", s.lanes},
                  {"lanes_running", s.lanes_running},
                  {"launches", s.launches},
                  {"heartbeat", s.heartbeat}}},
      {"commands", s.commands},
      {"ring", {{"capacity", s.ring_capacity},
                {"received", s.ring_received},
                {"bytes", s.ring_bytes},
                {"drops", s.ring_drops},
                {"position", s.ring_position}}},
      {"memory", {{"control", s.control_memory}, {"ring", s.ring_memory}, {"host", s.host_memory}}},
      {"uptime_s", s.uptime_s},
      {"failed", s.failed},
      {"failure", s.failure},
  };
}

nlohmann::json to_json(const io::DebugRecord& r) {
  nlohmann::json j = {{"seq", r.seq}, {"pid", r.pid}, {"lane", r.lane}, {"kind", io::record_kind_name(r.kind)}};
  if (r.kind == abi::RECORD_TEXT) {
    // Guest text may be any bytes; the JSON library would refuse invalid UTF-8.
    std::string text(r.text());
    for (char& c : text) {
      if (static_cast<unsigned char>(c) >= 0x80) c = '?';
    }
    j["text"] = text;
  } else {
    j["words"] = std::vector<uint32_t>(r.payload.begin(), r.payload.begin() + (r.len + 3) / 4);
  }
  return j;
}

nlohmann::json to_json(const vk::DeviceInfo& d) {
  nlohmann::json mem = nlohmann::json::array();
  for (const auto& m : d.memory_types) {
    mem.push_back({{"index", m.index}, {"heap", m.heap}, {"flags", vk::memory_flags_string(m.flags)},
                   {"heap_size", m.heap_size}});
  }
  const auto& f = d.features;
  return {
      {"index", d.index},
      {"name", d.name},
      {"type", vk::device_type_name(d.type)},
      {"vendor_id", fmt::format("0x{:04x}", d.vendor_id)},
      {"device_id", fmt::format("0x{:04x}", d.device_id)},
      {"api_version", fmt::format("{}.{}.{}", VK_API_VERSION_MAJOR(d.api_version), VK_API_VERSION_MINOR(d.api_version),
                                  VK_API_VERSION_PATCH(d.api_version))},
      {"driver", {{"name", d.driver_name}, {"info", d.driver_info}}},
      {"subgroup_size", d.subgroup_size},
      {"max_storage_buffer_range", d.max_storage_buffer_range},
      {"usable", d.unusable_reason.empty()},
      {"unusable_reason", d.unusable_reason},
      {"features",
       {{"shaderInt64", f.shader_int64},
        {"shaderFloat64", f.shader_float64},
        {"bufferDeviceAddress", f.buffer_device_address},
        {"vulkanMemoryModel", f.vulkan_memory_model},
        {"vulkanMemoryModelDeviceScope", f.vulkan_memory_model_device_scope},
        {"shaderDeviceClock", f.shader_device_clock},
        {"denormPreserveFloat32", f.denorm_preserve_f32},
        {"denormPreserveFloat64", f.denorm_preserve_f64},
        {"signedZeroInfNanPreserveFloat32", f.signed_zero_inf_nan_preserve_f32},
        {"signedZeroInfNanPreserveFloat64", f.signed_zero_inf_nan_preserve_f64},
        {"roundingModeRTEFloat32", f.rounding_rte_f32},
        {"roundingModeRTEFloat64", f.rounding_rte_f64},
        {"vm_ready", f.vm_ready()}}},
      {"has_device_local_host_visible", d.has_device_local_host_visible()},
      {"memory_types", mem},
  };
}

}  // namespace gpuos::control

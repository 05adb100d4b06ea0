// `gpuos info`: the Vulkan devices, which one a session would choose and why
// the others were passed over, their features and memory types, and (by
// booting a session briefly) whether the kernel runs live or in epochs, and
// which host I/O backend (io_uring or the thread pool) a session would use.
#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/json_out.h"
#include "io/io_backend.h"
#include "kernel/control/json.h"
#include "kernel/vk/device.h"

namespace gpuos::cli {

using nlohmann::json;

int cmd_info(const InfoArgs& a) {
  auto inst = vk::Instance::create();
  if (!inst) {
    report_error("gpuos: %s\n", inst.detail().c_str());
    return EXIT_NO_DEVICE;
  }
  const auto& devices = inst.value()->devices();
  auto sel = vk::select_device(devices, a.device);

  json out = {{"schema", control::JSON_SCHEMA}, {"ok", sel.ok()}, {"devices", json::array()}};
  for (const auto& d : devices) out["devices"].push_back(control::to_json(d));
  if (sel) {
    json passed = json::array();
    for (const auto& [idx, why] : sel->passed_over) passed.push_back({{"index", idx}, {"reason", why}});
    out["chosen"] = {{"index", sel->chosen}, {"why", sel->why_chosen}, {"passed_over", passed}};
  } else {
    out["error"] = sel.detail();
  }

  // Host I/O: which IoBackend a session would use, and why.
  std::string io_why;
  auto backend = io::make_io_backend(io::backend_choice_from_env(), io_why);
  const std::string io_name = backend ? backend.value()->name() : "none";
  if (!backend) io_why = backend.detail();
  out["io_backend"] = {{"name", io_name}, {"why", io_why}};

  // Live or epoch: only a booted kernel can tell (the mailbox check).
  if (sel && a.probe) {
    BootOptions o;
    o.device = sel->chosen;
    o.ring_capacity = 64;
    auto s = Session::boot(o);
    if (s) {
      const auto st = s.value()->status();
      out["mode"] = {{"mode", to_string(st.mode)}, {"reason", st.mode_reason},
                     {"workgroups", st.workgroups}, {"lanes", st.lanes},
                     {"control_memory", st.control_memory}, {"ring_memory", st.ring_memory},
                     {"host_memory", st.host_memory}};
      s.value()->shutdown();
    } else {
      out["mode"] = {{"mode", "unavailable"}, {"reason", s.detail()}};
    }
  }

  if (a.json) {
    if (sel) {
      print_json(std::move(out));
      return EXIT_OK;
    }
    report_error("gpuos: %s\n", sel.detail().c_str());
    out.erase("error");  // the error line's own
    return finish_json(EXIT_NO_DEVICE, out);
  }

  std::printf("Vulkan devices: %zu\n", devices.size());
  for (const auto& d : devices) {
    const bool chosen = sel && sel->chosen == d.index;
    std::printf("%s device %u: %s (%s), Vulkan %u.%u, driver %s %s\n", chosen ? "*" : " ", d.index, d.name.c_str(),
                vk::device_type_name(d.type), VK_API_VERSION_MAJOR(d.api_version), VK_API_VERSION_MINOR(d.api_version),
                d.driver_name.c_str(), d.driver_info.c_str());
    if (!d.unusable_reason.empty()) std::printf("    unusable: %s\n", d.unusable_reason.c_str());
    const auto& f = d.features;
    auto yn = [](bool b) { return b ? "yes" : "NO"; };
    std::printf("    VM features: shaderInt64 %s, shaderFloat64 %s, bufferDeviceAddress %s, vulkanMemoryModel %s%s\n",
                yn(f.shader_int64), yn(f.shader_float64), yn(f.buffer_device_address), yn(f.vulkan_memory_model),
                f.vm_ready() ? "" : "  (the WebAssembly VM cannot run here)");
    std::printf("    float controls: denorm preserve f32 %s f64 %s; signed zero/inf/nan preserve f32 %s f64 %s; RTE f32 %s f64 %s\n",
                yn(f.denorm_preserve_f32), yn(f.denorm_preserve_f64), yn(f.signed_zero_inf_nan_preserve_f32),
                yn(f.signed_zero_inf_nan_preserve_f64), yn(f.rounding_rte_f32), yn(f.rounding_rte_f64));
    std::printf("    subgroup size %u, max storage buffer %s\n", d.subgroup_size,
                fmt::format("{} MiB", d.max_storage_buffer_range >> 20).c_str());
    for (const auto& m : d.memory_types) {
      std::printf("    memory type %u (heap %u, %llu MiB): %s\n", m.index, m.heap,
                  static_cast<unsigned long long>(m.heap_size >> 20), vk::memory_flags_string(m.flags).c_str());
    }
  }
  if (!sel) {
    report_error("gpuos: %s\n", sel.detail().c_str());
    return EXIT_NO_DEVICE;
  }
  std::printf("chosen: device %u (%s)\n", sel->chosen, sel->why_chosen.c_str());
  for (const auto& [idx, why] : sel->passed_over) std::printf("passed over: device %u: %s\n", idx, why.c_str());
  std::printf("host I/O: %s%s\n", io_name.c_str(), io_why.empty() ? "" : fmt::format(" ({})", io_why).c_str());
  if (out.contains("mode")) {
    std::printf("kernel mode: %s (%s)\n", out["mode"]["mode"].get<std::string>().c_str(),
                out["mode"]["reason"].get<std::string>().c_str());
  }
  return EXIT_OK;
}

}  // namespace gpuos::cli

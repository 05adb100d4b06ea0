#include "kernel/control/json.h"

#include <fmt/format.h>

#include "kernel/base64.h"
#include "kernel/text_escape.h"
#include "procs/wasm/reader.h"
#include "shaders/abi.h"

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
                  {"heartbeat", s.heartbeat},
                  {"loop_cuts", s.loop_cuts}}},
      {"commands", s.commands},
      {"ring", {{"capacity", s.ring_capacity},
                {"received", s.ring_received},
                {"bytes", s.ring_bytes},
                {"drops", s.ring_drops},
                {"lost_claims", s.ring_lost},
                {"position", s.ring_position}}},
      {"memory", {{"control", s.control_memory}, {"ring", s.ring_memory}, {"host", s.host_memory}}},
      {"io",
       {{"backend", s.io_backend},
        {"requests", s.io_requests},
        {"slots", s.io_slots},
        {"slots_held", s.io_slots_held}}},
      {"uptime_s", s.uptime_s},
      {"failed", s.failed},
      {"failure", s.failure},
  };
}

nlohmann::json to_json(const io::DebugRecord& r) {
  nlohmann::json j = {{"seq", r.seq}, {"pid", r.pid}, {"lane", r.lane}, {"kind", io::record_kind_name(r.kind)}};
  if (r.kind == abi::RECORD_TEXT || r.kind == abi::RECORD_STDOUT || r.kind == abi::RECORD_STDERR) {
    // Guest text may be any bytes; a JSON string must be UTF-8. Well-formed
    // UTF-8 passes as written (`tail` escapes controls). Otherwise (a
    // character cut in two by the record boundary, or bytes that are not
    // text) only the bytes that are not UTF-8 become U+FFFD in "text", and
    // "data" has the exact bytes (base64), so that `tail` can join a line
    // the ring cut into records.
    const std::string_view text = r.text();
    if (wasm::is_valid_utf8(text)) {
      j["text"] = std::string(text);
    } else {
      std::string shown;
      for (size_t i = 0; i < text.size();) {
        uint32_t cp = 0;
        const auto c = static_cast<unsigned char>(text[i]);
        const int n = c < 0x80 ? 1 : escape_detail::utf8_sequence(text, i, cp);
        if (n == 0) {
          shown += "\xEF\xBF\xBD";  // U+FFFD
          ++i;
        } else {
          shown.append(text.substr(i, static_cast<size_t>(n)));
          i += static_cast<size_t>(n);
        }
      }
      j["text"] = shown;
      j["data"] = base64_encode(text);
    }
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

std::string proc_state_name(uint32_t state) {
  switch (state) {
    case abi::PROC_FREE: return "FREE";
    case abi::PROC_READY: return "READY";
    case abi::PROC_RUNNING: return "RUNNING";
    case abi::PROC_BLOCKED: return "BLOCKED";
    case abi::PROC_ZOMBIE: return "ZOMBIE";
    case abi::PROC_EXITING: return "EXITING";
    case abi::PROC_RELEASING: return "RELEASING";
  }
  return fmt::format("STATE{}", state);
}

nlohmann::json to_json(const TierStats& t) {
  return {
      {"variants", t.variants},
      {"programs_compiled", t.programs_compiled},
      {"failures", t.failures},
      {"cache_hits", t.cache_hits},
      {"emit_ms", t.emit_ms},
      {"glslang_ms", t.glslang_ms},
      {"pipeline_ms", t.pipeline_ms},
      {"install_ms", t.install_ms},
      {"last_variant_ms", t.last_variant_ms},
      {"last_failure", t.last_failure},
  };
}

nlohmann::json to_json(const ProcSnapshot& s) {
  const abi::SysHeader& h = s.header;
  nlohmann::json procs = nlohmann::json::array();
  for (const abi::ProcEntry& p : s.procs) {
    // Clock values are 32-bit milliseconds; unsigned differences survive a wrap.
    const bool ended = p.state == abi::PROC_ZOMBIE;
    const uint32_t time_ms = ended ? p.exit_ms - p.spawn_ms : s.clock_ms - p.spawn_ms;
    procs.push_back({
        {"pid", p.pid},
        {"ppid", p.ppid},
        {"group", p.group},
        {"state", proc_state_name(p.state)},
        {"program", p.program},
        {"prog", p.program < s.program_names.size() ? s.program_names[p.program] : fmt::format("#{}", p.program)},
        {"arg", p.arg},
        {"tier", (p.phase & abi::PROC_COMPILED) != 0 ? "compiled" : "interp"},
        {"instructions", p.instructions},
        {"requests", p.requests},
        {"quanta", p.quanta},
        {"pages", p.pages},
        {"pages_peak", p.pages_peak},
        {"mem_bytes", uint64_t{p.pages} * abi::PAGE_BYTES},
        {"spawn_ms", p.spawn_ms},
        {"exit_ms", p.exit_ms},
        {"time_ms", time_ms},
        {"exit_status", p.exit_status},
        {"trap", p.trap_kind},
        {"trap_pc", p.trap_pc},
        {"heap_live", p.heap_live},
        {"heap_allocs", p.heap_allocs},
        {"heap_frees", p.heap_frees},
        {"children", p.children},
        {"wait_pid", p.wait_pid},
    });
  }
  nlohmann::json heap = nlohmann::json::array();
  uint64_t bad_frees = 0;  // every class's: free() or realloc() of no live block (slab.glsl)
  for (uint32_t c = 0; c <= abi::HEAP_CLASSES && c < s.heap.size(); ++c) {
    const abi::HeapClassStats& st = s.heap[c];
    heap.push_back({
        {"class", c},
        {"large", c == 0},
        {"block_size", c == 0 ? 0u : abi::heap_class_size(c)},
        {"allocs", st.allocs},
        {"frees", st.frees},
        // 32-bit counters: the difference stays right across a wrap.
        {"live", static_cast<uint32_t>(st.allocs - st.frees)},
        {"slabs", st.slabs},
        {"bad_frees", st.bad_frees},
    });
    bad_frees += st.bad_frees;
  }
  return {
      {"schema", JSON_SCHEMA},
      {"clock_ms", s.clock_ms},
      {"page_bytes", abi::PAGE_BYTES},
      {"config", {{"table_size", h.table_size},
                  {"arena_pages", h.arena_pages},
                  {"max_pages", h.max_pages},
                  {"quantum", h.quantum},
                  {"block_words", h.block_words},
                  {"group_by_program", h.group_by_program != 0},
                  {"max_procs_per_tree", h.max_per_tree}}},
      {"counters", {{"live", h.live},
                    {"zombies", h.zombies},
                    {"slots_used", h.slots_used},
                    {"slot_high", h.slot_high},
                    {"spawned", h.spawned},
                    {"exited", h.exited},
                    {"killed", h.killed},
                    {"trapped", h.trapped},
                    {"spawn_failed", h.spawn_failed},
                    {"tree_refused", h.tree_refused},
                    {"bad_frees", bad_frees},
                    {"grow_failed", h.grow_failed},
                    {"stack_moves", h.stack_moves},
                    {"pages_used", h.pages_used}}},
      {"procs", procs},
      {"heap", heap},
      {"compiled_tier", to_json(s.tier)},
  };
}

nlohmann::json to_json(const procs::ExitInfo& e) {
  // A kill ends the process with EXIT_KILLED and no trap; a trap with
  // EXIT_TRAPPED and its kind. (A program that returns 137 itself reads as killed.)
  const char* how = e.trap != 0 ? "trapped" : (e.status == abi::EXIT_KILLED ? "killed" : "exited");
  return {
      {"pid", e.pid},
      {"ppid", e.ppid},
      {"how", how},
      {"status", e.status},
      {"trap", e.trap},
      {"trap_pc", e.trap_pc},
      {"program", e.program},
      {"instructions", e.instructions},
      {"pages_peak", e.pages_peak},
      {"spawn_ms", e.spawn_ms},
      {"exit_ms", e.exit_ms},
      {"time_ms", e.exit_ms - e.spawn_ms},
      {"heap_live", e.heap_live},
  };
}

}  // namespace gpuos::control

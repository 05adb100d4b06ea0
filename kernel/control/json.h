// JSON views of the session's snapshots, shared by the control server (which
// sends them) and `gpuos info` (which runs in-process). Every top-level
// object carries "schema": JSON_SCHEMA; bump it when a field changes meaning.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "io/debug_ring.h"
#include "kernel/session.h"
#include "kernel/vk/device.h"

namespace gpuos::control {

inline constexpr int JSON_SCHEMA = 1;

nlohmann::json to_json(const SessionStatus& s);
nlohmann::json to_json(const io::DebugRecord& r);
nlohmann::json to_json(const vk::DeviceInfo& d);

// The compiled tier's compiles (ProcSnapshot::tier; `gpuos stats`).
nlohmann::json to_json(const TierStats& t);
// The process-table snapshot (`ps`, `stats`): every view of it, human or
// --json, formats this one object (docs/cli.md, "ps --json").
nlohmann::json to_json(const ProcSnapshot& s);
// One exit record (`wait`); "how" is "exited", "trapped" or "killed".
nlohmann::json to_json(const procs::ExitInfo& e);
// "READY", "RUNNING", ... for ProcEntry.state; "STATE<n>" for anything else.
std::string proc_state_name(uint32_t state);

}  // namespace gpuos::control

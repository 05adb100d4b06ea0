// JSON views of the session's snapshots, shared by the control server (which
// sends them) and `gpuos info` (which runs in-process). Every top-level
// object carries "schema": JSON_SCHEMA; bump it when a field changes meaning.
#pragma once

#include <nlohmann/json.hpp>

#include "io/debug_ring.h"
#include "kernel/session.h"
#include "kernel/vk/device.h"

namespace gpuos::control {

inline constexpr int JSON_SCHEMA = 1;

nlohmann::json to_json(const SessionStatus& s);
nlohmann::json to_json(const io::DebugRecord& r);
nlohmann::json to_json(const vk::DeviceInfo& d);

}  // namespace gpuos::control

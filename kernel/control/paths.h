// Where a session's files live: $XDG_RUNTIME_DIR/gpuos, else /tmp/gpuos-$UID.
//   NAME.sock  the control socket (JSON lines)
//   NAME.lock  held (flock) by the daemon for its whole life; holds its pid
//   NAME.log   the daemon's stdout/stderr when started with --detach
#pragma once

#include <string>

#include "kernel/result.h"

namespace gpuos::control {

enum class PathError { BadName, NoDirectory };

// Session names: 1-64 of [A-Za-z0-9_.-], not starting with '.'.
Result<void, PathError> check_session_name(const std::string& name);
// Creates the directory (mode 0700) when missing.
Result<std::string, PathError> session_dir();

struct SessionPaths {
  std::string socket;
  std::string lock;
  std::string log;
};
Result<SessionPaths, PathError> session_paths(const std::string& name);

// The session name a verb uses when --session is not given: GPUOS_SESSION, else "default".
std::string default_session_name();

}  // namespace gpuos::control

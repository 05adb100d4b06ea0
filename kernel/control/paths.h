// Where a session's files live: $XDG_RUNTIME_DIR/gpuos, else /tmp/gpuos-$UID.
//   NAME.sock  the control socket (JSON lines)
//   NAME.lock  held (flock) by the daemon for its whole life; holds its pid
//   NAME.log   the daemon's stdout/stderr when started with --detach
//
// The directory is the session's only defence against other users: whoever
// can write in it can plant a symlink where the daemon opens its log (and so
// make it truncate any file the daemon's user may write) or a socket of their
// own that clients would then talk to. So it must be a real directory (not a
// symlink), owned by the caller, and writable by nobody else; anything else is
// refused with the reason and what to do, never repaired silently. Files in it
// are opened relative to the directory's descriptor and never through a
// symlink (open_session_file).
#pragma once

#include <sys/types.h>

#include <string>

#include "kernel/result.h"

namespace gpuos::control {

enum class PathError { BadName, NoDirectory, Unsafe };

// Session names: 1-64 of [A-Za-z0-9_.-], not starting with '.'.
Result<void, PathError> check_session_name(const std::string& name);
// Creates the directory (mode 0700) when missing, then checks it (above):
// PathError::Unsafe says why it is refused.
Result<std::string, PathError> session_dir();

struct SessionPaths {
  std::string dir;
  std::string socket;
  std::string lock;
  std::string log;
};
Result<SessionPaths, PathError> session_paths(const std::string& name);

// Opens `leaf` (a file name, no '/') inside the checked session directory:
// through the directory's descriptor (re-checked after opening it), never
// following a symlink, and only if what it finds is a regular file that the
// caller owns with a single link. `flags` are open(2)'s (O_NOFOLLOW and
// O_CLOEXEC are added); `fresh` first removes whatever is at `leaf` and then
// creates it with O_EXCL, so the caller writes only to a file it has just
// created (the daemon's log). Returns the descriptor.
Result<int, PathError> open_session_file(const std::string& dir, const std::string& leaf, int flags, bool fresh = false);

// The session name a verb uses when --session is not given: GPUOS_SESSION, else "default".
std::string default_session_name();

}  // namespace gpuos::control

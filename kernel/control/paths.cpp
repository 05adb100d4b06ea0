#include "kernel/control/paths.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace gpuos::control {

Result<void, PathError> check_session_name(const std::string& name) {
  const bool ok_len = !name.empty() && name.size() <= 64 && name[0] != '.';
  bool ok_chars = true;
  for (char c : name) {
    ok_chars &= (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                c == '-' || c == '.';
  }
  if (!ok_len || !ok_chars) {
    return fail(PathError::BadName,
                fmt::format("bad session name '{}': use 1-64 letters, digits, '_', '-' or '.', not starting with '.'", name));
  }
  return {};
}

Result<std::string, PathError> session_dir() {
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  const std::string dir = (xdg && *xdg) ? std::string(xdg) + "/gpuos" : fmt::format("/tmp/gpuos-{}", getuid());
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return fail(PathError::NoDirectory, fmt::format("cannot create {}: {}", dir, std::strerror(errno)));
  }
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return fail(PathError::NoDirectory, fmt::format("{} is not a directory", dir));
  }
  if (st.st_uid != getuid()) {
    return fail(PathError::NoDirectory, fmt::format("{} belongs to another user", dir));
  }
  return dir;
}

Result<SessionPaths, PathError> session_paths(const std::string& name) {
  if (auto r = check_session_name(name); !r) return r.error();
  auto dir = session_dir();
  if (!dir) return dir.error();
  const std::string base = dir.value() + "/" + name;
  // sun_path holds 108 bytes; say so rather than truncate.
  if (base.size() + 5 >= 108) {
    return fail(PathError::NoDirectory, fmt::format("socket path {}.sock is too long for a Unix socket", base));
  }
  return SessionPaths{base + ".sock", base + ".lock", base + ".log"};
}

std::string default_session_name() {
  const char* env = std::getenv("GPUOS_SESSION");
  return (env && *env) ? env : "default";
}

}  // namespace gpuos::control

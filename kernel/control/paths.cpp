#include "kernel/control/paths.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace gpuos::control {

namespace {

// Why `st` (of `dir`, from lstat or fstat) is not a safe session directory, or "".
std::string unsafe_dir_reason(const std::string& dir, const struct stat& st) {
  const uid_t me = ::geteuid();
  if (S_ISLNK(st.st_mode)) {
    return fmt::format(
        "session directory {} is a symbolic link; gpuos does not follow one there (another user may have planted it): "
        "remove it, or set XDG_RUNTIME_DIR to a directory of your own",
        dir);
  }
  if (!S_ISDIR(st.st_mode)) {
    return fmt::format("session directory {} is not a directory: remove it, or set XDG_RUNTIME_DIR to a directory of your own",
                       dir);
  }
  if (st.st_uid != me) {
    return fmt::format(
        "session directory {} belongs to uid {}, not to you (uid {}); another user may have made it to capture your "
        "session: remove it, or set XDG_RUNTIME_DIR to a directory of your own",
        dir, st.st_uid, me);
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return fmt::format(
        "session directory {} is writable by group or others (mode {:04o}), so anyone could plant files in it: "
        "run 'chmod 700 {}'",
        dir, st.st_mode & 07777, dir);
  }
  return {};
}

}  // namespace

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
  const std::string dir = (xdg && *xdg) ? std::string(xdg) + "/gpuos" : fmt::format("/tmp/gpuos-{}", ::geteuid());
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return fail(PathError::NoDirectory, fmt::format("cannot create {}: {}", dir, std::strerror(errno)));
  }
  // lstat, not stat: a symlink to a directory someone else controls is
  // exactly what must be refused.
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    return fail(PathError::NoDirectory, fmt::format("cannot examine {}: {}", dir, std::strerror(errno)));
  }
  if (auto why = unsafe_dir_reason(dir, st); !why.empty()) return fail(PathError::Unsafe, why);
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
  return SessionPaths{dir.value(), base + ".sock", base + ".lock", base + ".log"};
}

Result<int, PathError> open_session_file(const std::string& dir, const std::string& leaf, int flags, bool fresh) {
  const std::string path = dir + "/" + leaf;
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0) {
    return fail(errno == ELOOP || errno == ENOTDIR ? PathError::Unsafe : PathError::NoDirectory,
                fmt::format("cannot open the session directory {}: {}", dir, std::strerror(errno)));
  }
  // The directory checked by session_dir() may have been swapped since:
  // check the one actually opened.
  struct stat dst {};
  if (::fstat(dfd, &dst) != 0) {
    const int err = errno;
    ::close(dfd);
    return fail(PathError::NoDirectory, fmt::format("cannot examine {}: {}", dir, std::strerror(err)));
  }
  if (auto why = unsafe_dir_reason(dir, dst); !why.empty()) {
    ::close(dfd);
    return fail(PathError::Unsafe, why);
  }
  if (fresh) {
    // Removing first (a symlink is removed, not followed) and creating with
    // O_EXCL means the descriptor is always a file made here and now.
    if (::unlinkat(dfd, leaf.c_str(), 0) != 0 && errno != ENOENT) {
      const int err = errno;
      ::close(dfd);
      return fail(PathError::Unsafe, fmt::format("cannot replace {}: {}", path, std::strerror(err)));
    }
    flags = (flags & ~O_TRUNC) | O_CREAT | O_EXCL;
  }
  const int fd = ::openat(dfd, leaf.c_str(), flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
  const int err = errno;
  ::close(dfd);
  if (fd < 0) {
    if (err == ELOOP) {
      return fail(PathError::Unsafe,
                  fmt::format("{} is a symbolic link; gpuos does not follow one there (another user may have planted "
                              "it): remove it",
                              path));
    }
    return fail(PathError::NoDirectory, fmt::format("cannot open {}: {}", path, std::strerror(err)));
  }
  struct stat st {};
  std::string why;
  if (::fstat(fd, &st) != 0) {
    why = fmt::format("cannot examine {}: {}", path, std::strerror(errno));
  } else if (!S_ISREG(st.st_mode)) {
    why = fmt::format("{} is not a regular file: remove it", path);
  } else if (st.st_uid != ::geteuid()) {
    why = fmt::format("{} belongs to uid {}, not to you (uid {}): remove it", path, st.st_uid, ::geteuid());
  } else if (st.st_nlink != 1) {
    // A hard link to some other file (say /etc/shadow, for root) would let a
    // truncation or a pid write land there.
    why = fmt::format("{} has {} hard links, so writing it could change another file: remove it", path, st.st_nlink);
  }
  if (!why.empty()) {
    ::close(fd);
    return fail(PathError::Unsafe, why);
  }
  return fd;
}

std::string default_session_name() {
  const char* env = std::getenv("GPUOS_SESSION");
  return (env && *env) ? env : "default";
}

}  // namespace gpuos::control

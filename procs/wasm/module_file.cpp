// module_file.cpp: read_module_file (module_file.h).
#include "procs/wasm/module_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace gpuos::wasm {

namespace {

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

Error<ModuleFileError> errno_error(const std::string& path, const char* doing, int err) {
  const ModuleFileError code = err == ENOENT || err == ENOTDIR ? ModuleFileError::NotFound
                               : err == EACCES || err == EPERM ? ModuleFileError::Denied
                               : err == EISDIR                 ? ModuleFileError::NotRegular
                                                               : ModuleFileError::ReadFailed;
  if (code == ModuleFileError::NotFound) return fail(code, path + ": no such file");
  if (code == ModuleFileError::Denied) return fail(code, path + ": permission denied");
  return fail(code, path + ": " + doing + ": " + std::strerror(err));
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

const char* to_string(ModuleFileError e) {
  switch (e) {
    case ModuleFileError::NotFound: return "not found";
    case ModuleFileError::Denied: return "permission denied";
    case ModuleFileError::NotRegular: return "not a regular file";
    case ModuleFileError::TooLarge: return "too large";
    case ModuleFileError::Empty: return "empty";
    case ModuleFileError::ReadFailed: return "read failed";
  }
  return "?";
}

Result<std::vector<uint8_t>, ModuleFileError> read_module_file(const std::string& path, uint64_t max_bytes) {
  if (path.empty()) return fail(ModuleFileError::NotFound, "(empty path): no module file named");
  // stat before open: opening a device can act (a tape rewinds, a watchdog
  // starts), and opening a FIFO without O_NONBLOCK waits for a writer.
  struct stat before{};
  if (::stat(path.c_str(), &before) != 0) return errno_error(path, "cannot read it", errno);
  if (!S_ISREG(before.st_mode)) {
    return fail(ModuleFileError::NotRegular, path + ": is " + kind_of(before.st_mode) + ", not a module file");
  }
  Fd f;
  f.fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (f.fd < 0) return errno_error(path, "cannot open it", errno);
  struct stat st{};
  if (::fstat(f.fd, &st) != 0) return errno_error(path, "cannot stat it", errno);
  if (!S_ISREG(st.st_mode) || st.st_dev != before.st_dev || st.st_ino != before.st_ino) {
    // Replaced between the stat and the open.
    return fail(ModuleFileError::NotRegular, path + ": changed while being opened; not read");
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    return fail(ModuleFileError::TooLarge, path + ": is " + std::to_string(st.st_size) +
                                               " bytes; a module file may have at most " +
                                               std::to_string(max_bytes));
  }
  // The size is a hint only (procfs says 0, a file may grow while read):
  // read until EOF, but never more than max_bytes + 1.
  std::vector<uint8_t> bytes;
  bytes.resize(static_cast<size_t>(st.st_size > 0 ? st.st_size : 0) + 1);
  size_t have = 0;
  while (true) {
    if (have == bytes.size()) {
      if (have > max_bytes) {
        return fail(ModuleFileError::TooLarge, path + ": has more than " + std::to_string(max_bytes) +
                                                   " bytes; a module file may have at most that");
      }
      bytes.resize(static_cast<size_t>(std::min<uint64_t>(max_bytes + 1, std::max<size_t>(4096, have * 2))));
    }
    const ssize_t n = ::read(f.fd, bytes.data() + have, bytes.size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error(path, "cannot read it", errno);
    if (n == 0) break;
    have += static_cast<size_t>(n);
  }
  if (have > max_bytes) {
    return fail(ModuleFileError::TooLarge,
                path + ": has more than " + std::to_string(max_bytes) + " bytes; a module file may have at most that");
  }
  if (have == 0) return fail(ModuleFileError::Empty, path + ": is empty, not a module file");
  bytes.resize(have);
  return bytes;
}

}  // namespace gpuos::wasm

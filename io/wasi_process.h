// wasi_process.h: WasiHost's internals shared by its two source files:
// a process's descriptor table (wasi_host.cpp) and the sandboxed path
// operations (wasi_paths.cpp).
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "io/wasi_abi.h"
#include "io/wasi_host.h"

namespace gpuos::io {

// A host spawn's I/O: its SpawnIo and the preopened directories, opened
// once (O_PATH) and shared by every process of the spawn.
struct WasiHost::Spawn {
  std::shared_ptr<const SpawnIo> io;
  std::vector<int> dir_fds;  // one per io->dirs entry
  ~Spawn();
};

struct FdEntry {
  enum class Kind { Stdin, Stdout, Stderr, Directory, File };
  Kind kind = Kind::File;
  int host = -1;       // -1: none (an empty stdin, stdout, stderr)
  bool owned = false;  // fd_close closes `host` (not a spawn's shared preopen)
  wasi::Filetype type = wasi::FT_UNKNOWN;
  uint16_t fdflags = 0;
  uint64_t rights = 0, inheriting = 0;
  std::string preopen;  // the guest name, for a preopened directory
  bool read_only = false;  // under a read-only preopen
};

struct WasiHost::Process {
  uint32_t pid = 0;
  std::shared_ptr<Spawn> spawn;  // null: a process no host spawn claims (no files)
  std::vector<std::optional<FdEntry>> fds;
  ~Process();

  FdEntry* fd(uint32_t n) { return n < fds.size() && fds[n] ? &*fds[n] : nullptr; }
  uint32_t add(FdEntry e);  // the lowest free descriptor
};

namespace wasi_detail {

// Directory `dir` (a Directory entry) and a guest path under it: the open
// parent (O_PATH, owned by the caller) and the last component, or an errno.
struct Parent {
  int fd = -1;
  std::string name;
  ~Parent();
};
uint16_t resolve_parent(const FdEntry& dir, const std::string& path, Parent& out);
// openat2 RESOLVE_BENEATH of `path` under `dirfd`, as how.flags says.
int open_beneath(int dirfd, const std::string& path, uint64_t flags, uint64_t mode);
uint16_t errno_of(int e);  // a negative or positive Linux errno -> WASI
wasi::Filetype filetype_of(mode_t m);
wasi::Filestat filestat_of(const struct stat& st);

// Path operations: the request's out-data holds the path(s).
Reply path_filestat_get(WasiHost::Process& p, const Request& r);
Reply path_create_directory(WasiHost::Process& p, const Request& r);
Reply path_remove_directory(WasiHost::Process& p, const Request& r);
Reply path_unlink_file(WasiHost::Process& p, const Request& r);
Reply path_rename(WasiHost::Process& p, const Request& r);
Reply path_readlink(WasiHost::Process& p, const Request& r);
// path_open: checks rights and flags; on success fills `how`, `path` and
// the new entry's template (`entry`), for an OpenAt2 on `dirfd`.
uint16_t path_open_prepare(WasiHost::Process& p, const Request& r, int& dirfd, std::string& path, open_how& how,
                           FdEntry& entry);

}  // namespace wasi_detail

}  // namespace gpuos::io

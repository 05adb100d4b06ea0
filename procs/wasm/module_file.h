// module_file.h: reading a module file from a path that anyone may name.
//
// `gpuos run` and the daemon's `spawn` read a path a user gave them. Such a
// path may be a directory, a FIFO with no writer (open blocks, read blocks),
// a device (/dev/zero never ends, /dev/watchdog acts on open), a procfs file
// whose size says 0 (/proc/self/mem fails its reads), or a sparse file of
// terabytes. read_module_file() refuses all of those at once: it stats the
// path first and opens only regular files, opens with O_NONBLOCK (a FIFO
// swapped in after the stat cannot block the open) and checks with fstat
// that it opened the file it stat'ed, refuses files over `max_bytes` before
// reading, and reads at most max_bytes + 1 bytes whatever the size said.
// Symlinks are followed: a link to a module is an ordinary way to name it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kernel/result.h"

namespace gpuos::wasm {

enum class ModuleFileError {
  NotFound,    // no such file (or a component of the path is missing)
  Denied,      // permission denied
  NotRegular,  // a directory, FIFO, socket, device: not a module
  TooLarge,    // more than max_bytes
  Empty,       // 0 bytes
  ReadFailed,  // open or read failed otherwise (EIO, ...)
};
const char* to_string(ModuleFileError e);

// The largest module file gpuos reads: 256 MiB, far above what the program
// store holds (--store-mib, 16 by default), far below what a host misses.
inline constexpr uint64_t kMaxModuleFileBytes = uint64_t{256} << 20;

// The whole file, or why not. The detail is one line that starts with the
// path: "x.wasm: is a directory, not a module file".
Result<std::vector<uint8_t>, ModuleFileError> read_module_file(const std::string& path,
                                                               uint64_t max_bytes = kMaxModuleFileBytes);

}  // namespace gpuos::wasm

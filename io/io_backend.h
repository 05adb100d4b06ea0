// io_backend.h: how the host performs the file operations of guest
// requests. Two implementations behind one interface:
//   uring        io_uring through liburing: one ring, submissions from any
//                thread, completions handled on the backend's own thread;
//   thread-pool  plain system calls on a few worker threads, for hosts where
//                io_uring is unavailable (an old kernel, or a seccomp policy
//                that blocks io_uring_setup, as many container runtimes do).
// make_io_backend() picks io_uring when it can and says why it did not.
//
// Only operations that can block for long go through a backend: reads,
// writes, opens, closes and timed sleeps. Metadata calls (fstat, getdents,
// mkdirat, ...) are quick and run on the request service's thread.
#pragma once

#include <linux/openat2.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "kernel/result.h"

namespace gpuos::io {

struct IoOp {
  enum class Kind { Read, Write, OpenAt2, Close, Sleep };
  Kind kind = Kind::Read;
  int fd = -1;            // Read, Write, Close; OpenAt2: the directory it resolves under
  void* buf = nullptr;    // Read, Write
  uint32_t len = 0;
  int64_t offset = -1;    // Read, Write: -1 uses (and moves) the file position
  std::string path;       // OpenAt2
  open_how how{};         // OpenAt2
  uint64_t sleep_ns = 0;  // Sleep
};

// Called once per op, on a backend thread: result >= 0, or -errno.
using IoDone = std::function<void(int64_t result)>;

class IoBackend {
 public:
  virtual ~IoBackend() = default;
  virtual const char* name() const = 0;  // "io_uring" or "thread-pool"
  // Thread-safe. `done` runs exactly once, also when the backend is being
  // destroyed (then with -ECANCELED if the op never ran).
  virtual void submit(IoOp op, IoDone done) = 0;
};

enum class IoBackendChoice { Auto, Uring, ThreadPool };
enum class IoError { Unavailable };
// GPUOS_IO_BACKEND=io_uring|thread-pool forces one (tests of the fallback);
// unset or anything else: Auto.
IoBackendChoice backend_choice_from_env();

// Auto: io_uring if a ring can be set up, else the thread pool; `why` says
// why io_uring was not taken (empty when it was).
Result<std::unique_ptr<IoBackend>, IoError> make_io_backend(IoBackendChoice choice, std::string& why);

}  // namespace gpuos::io

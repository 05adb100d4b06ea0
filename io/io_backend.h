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
  // Who the op is for (WasiHost: the calling pid), so that cancel() can
  // find it; 0: nobody's (never cancelled).
  uint32_t owner = 0;
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
  // Thread-safe. Cancels the ops of `owner` (non-zero) still in flight: each
  // one's `done` runs soon with -ECANCELED, or with its own result if it
  // finished first. A killed process's blocking read or long sleep must not
  // hold its request slot until the host would have finished it (issue 20,
  // item 4). io_uring: IORING_OP_ASYNC_CANCEL (timeouts included); the
  // thread pool: queued ops and timers are dropped, and a read or write
  // waiting in a worker is woken (its poll also watches a cancel eventfd).
  // An open or close that is already running finishes first.
  virtual void cancel(uint32_t owner) = 0;
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

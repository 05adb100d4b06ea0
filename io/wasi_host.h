// wasi_host.h: the host's half of WASI preview1. It keeps each process's
// descriptor table and serves the requests the kernel posts (shaders/
// abi_io.h): files and directories through the IoBackend, clocks, random
// bytes and sleeping. The GPU answers args, environ, exit, yield and writes
// to fd 1 and 2 itself (shaders/proc/wasi.glsl); those writes reach
// output() as debug-ring records.
//
// Sandbox: a process sees only the directories preopened for it
// (SpawnIo::dirs). Every path is resolved under one of them by openat2
// with RESOLVE_BENEATH, so neither `..` nor a symlink (absolute or
// relative) can leave it; a path that tries gets ENOTCAPABLE. A read-only
// preopen grants no writing rights, and nothing opened under it gets any.
// Every failure is a WASI errno for the caller; none disturbs the session.
//
// Keys: a host spawn registers a SpawnIo under its io key (the spawn's argv
// blob, which every process of the spawn and all their GPU-spawned
// descendants carry: ProcEntry.argv_off). A process's descriptor table is
// made from its key's SpawnIo at its first request.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "io/io_backend.h"
#include "kernel/result.h"
#include "shaders/abi.h"

namespace gpuos::io {

// Where a spawn's stdout and stderr text goes: a callable taking (pid,
// is_stderr, text). One that returns int reports its write's outcome: 0
// when the text was written, else the Linux errno of the failed write
// (EPIPE, ENOSPC, EBADF, EIO, ...), which the writing process's later
// writes to that stream then return (docs/io.md, "Output errors"), so no
// output is lost silently. One that returns nothing never reports a
// failure (a capture into memory cannot fail).
class OutputSink {
 public:
  using Fn = std::function<int(uint32_t pid, bool is_stderr, std::string_view text)>;
  OutputSink() = default;
  OutputSink(std::nullptr_t) {}
  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, OutputSink>>>
  OutputSink(F f) {  // NOLINT: implicit, so that `io->output = lambda` reads as before
    if constexpr (std::is_void_v<std::invoke_result_t<F&, uint32_t, bool, std::string_view>>) {
      fn_ = [f = std::move(f)](uint32_t pid, bool is_stderr, std::string_view text) mutable {
        f(pid, is_stderr, text);
        return 0;
      };
    } else {
      fn_ = std::move(f);
    }
  }
  explicit operator bool() const { return static_cast<bool>(fn_); }
  int operator()(uint32_t pid, bool is_stderr, std::string_view text) const {
    return fn_ ? fn_(pid, is_stderr, text) : 0;
  }

 private:
  Fn fn_;
};

// A descriptor owned by whoever holds the last reference (a spawn's stdin
// passed by a client: kernel/control/proc_verbs.cpp).
struct OwnedFd {
  int fd = -1;
  explicit OwnedFd(int f) : fd(f) {}
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
  ~OwnedFd();
};

// What one host spawn gives its processes.
struct SpawnIo {
  struct Dir {
    std::string host;   // a host directory
    std::string guest;  // the name the guest sees (wasi-libc resolves relative paths against ".")
    bool read_only = false;
  };
  std::vector<Dir> dirs;   // preopened as fds 3, 4, ... in this order
  std::string stdin_path;  // empty: stdin is empty (unless stdin_file)
  // An open stdin instead of a path. A regular file is read by each process
  // from its start (each gets a description of its own); anything else (a
  // FIFO, a pipe, a terminal, /dev/null) is shared, as a shell's children
  // share theirs.
  std::shared_ptr<const OwnedFd> stdin_file;
  // Text a process wrote to fd 1 (is_stderr false) or 2, in order. Null:
  // it shows in `gpuos tail` only. Called on the session's drain thread.
  // Its write errors reach the process (OutputSink).
  OutputSink output;
};

enum class WasiError { BadDirectory, BadStdin };

// One request, as posted by the kernel.
struct Request {
  uint32_t pid = 0;
  uint32_t key = 0;
  uint32_t opcode = 0;  // abi::WASI_*
  uint64_t args[abi::RQ_MAX_ARGS] = {};
  std::vector<uint8_t> out;  // the out-data (a path, the bytes of a write, an iovec array)
  uint32_t arg32(int k) const { return static_cast<uint32_t>(args[k]); }
};

// A reply: the call's result and its writes into guest memory, encoded as
// the kernel applies them (abi_io.h's directives).
class Reply {
 public:
  uint32_t result = abi::WASI_ESUCCESS;
  // A sleep's reply, sent before the sleep (serve()'s `woken`): the process
  // applies it, gives its request slot back and sleeps without one until
  // the host's wake (abi_io.h: IO_RESULT_PARK).
  bool park = false;
  // Splits into directives of at most IOW_MAX_BYTES each.
  void write(uint32_t addr, const void* bytes, size_t n);
  template <typename T>
  void write_value(uint32_t addr, const T& v) {
    write(addr, &v, sizeof v);
  }
  const std::vector<uint32_t>& words() const { return words_; }
  static Reply error(uint32_t e) {
    Reply r;
    r.result = e;
    return r;
  }

 private:
  std::vector<uint32_t> words_;
};

// Largest payload a reply may carry beside its directive headers (a read's
// bytes, a readdir buffer, random bytes): what is left of a slot's data
// area after one header per IOW_MAX_BYTES and a few small writes.
constexpr uint32_t kReplyDataMax = 12 * 1024;

class WasiHost {
 public:
  explicit WasiHost(IoBackend& backend) : backend_(backend) {}
  ~WasiHost();

  // Opens the directories (and checks stdin) once; the spawn fails with the
  // reason if one cannot be opened.
  Result<void, WasiError> add_spawn(uint32_t key, std::shared_ptr<const SpawnIo> io);
  void remove_spawn(uint32_t key);

  // Serves one request; `done` gets the reply exactly once, maybe later and
  // on a backend thread. With `woken`, a sleep (poll_oneoff on clocks alone)
  // does not keep its request: `done` gets its reply at once, marked park,
  // and `woken` runs when the sleep ends (or is cancelled). Without it,
  // `done` runs when the sleep ends.
  void serve(Request req, std::function<void(Reply)> done, std::function<void()> woken = nullptr);
  // The process ended: its descriptors are closed, and its operations
  // still in flight are cancelled (their replies come back at once).
  void exited(uint32_t pid);
  // Cancels the operations of `pid` in flight (a kill): a blocking read or
  // a sleep ends now with ECANCELED, so its request slot comes back.
  void cancel(uint32_t pid);
  // A RECORD_STDOUT/STDERR record from the ring: 0, or the errno (Linux) of
  // its failed write (SpawnIo::output).
  int output(uint32_t pid, uint32_t key, bool is_stderr, std::string_view text);

  size_t processes() const;  // descriptor tables alive

  struct Process;  // wasi_host.cpp
  struct Spawn;

 private:
  std::shared_ptr<Process> process(uint32_t pid, uint32_t key);
  void transfer(std::shared_ptr<Process> p, Request r, std::function<void(Reply)> done);
  void path_open(std::shared_ptr<Process> p, Request r, std::function<void(Reply)> done);
  void poll_oneoff(Request r, std::function<void(Reply)> done, std::function<void()> woken);

  IoBackend& backend_;
  mutable std::mutex mu_;
  std::unordered_map<uint32_t, std::shared_ptr<Spawn>> spawns_;
  std::unordered_map<uint32_t, std::shared_ptr<Process>> procs_;
};

}  // namespace gpuos::io

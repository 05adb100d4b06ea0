// exit_log.h: what the host knows of processes that ended. The kernel
// writes one RECORD_EXIT per exit to the debug ring (proc/exit.glsl); the
// session's drain thread adds each here, and `gpuos wait` waits on it.
// Bounded: the oldest exits are forgotten first (keep).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>

namespace gpuos::procs {

struct ExitInfo {
  uint32_t pid = 0, ppid = 0, status = 0, trap = 0, trap_pc = 0, program = 0;
  uint64_t instructions = 0;
  uint32_t pages_peak = 0, spawn_ms = 0, exit_ms = 0, heap_live = 0;
  // Filled by the session as the exit is drained, while the program is
  // still loaded (it may be unloaded after): its name and, for a trap,
  // where it trapped. Empty: not known.
  std::string prog_name, trap_where;
};

// Decodes a RECORD_EXIT payload (abi_proc.h XR_*).
ExitInfo decode_exit_record(std::span<const uint32_t> payload);

class ExitLog {
 public:
  explicit ExitLog(size_t keep = 1u << 16) : keep_(keep) {}
  void add(const ExitInfo& e);
  std::optional<ExitInfo> find(uint32_t pid) const;
  // Waits until `pid` has exited or `timeout` passes (or `stop` says so).
  std::optional<ExitInfo> wait(uint32_t pid, std::chrono::milliseconds timeout) const;
  uint64_t total() const;
  void close();  // wakes every waiter (session end)

 private:
  size_t keep_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::unordered_map<uint32_t, ExitInfo> by_pid_;
  std::deque<uint32_t> order_;
  uint64_t total_ = 0;
  bool closed_ = false;
};

}  // namespace gpuos::procs

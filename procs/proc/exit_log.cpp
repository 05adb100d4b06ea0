// exit_log.cpp: ExitLog (exit_log.h).
#include "procs/proc/exit_log.h"

#include "shaders/abi.h"

namespace gpuos::procs {

using namespace gpuos::abi;

ExitInfo decode_exit_record(std::span<const uint32_t> p) {
  ExitInfo e;
  if (p.size() < EXIT_RECORD_WORDS) return e;
  e.pid = p[XR_PID];
  e.ppid = p[XR_PPID];
  e.status = p[XR_STATUS];
  e.trap = p[XR_TRAP];
  e.trap_pc = p[XR_TRAP_PC];
  e.program = p[XR_PROGRAM];
  e.instructions = uint64_t{p[XR_INSTR_LO]} | (uint64_t{p[XR_INSTR_HI]} << 32);
  e.pages_peak = p[XR_PAGES_PEAK];
  e.spawn_ms = p[XR_SPAWN_MS];
  e.exit_ms = p[XR_EXIT_MS];
  e.heap_live = p[XR_HEAP_LIVE];
  return e;
}

void ExitLog::add(const ExitInfo& e) {
  {
    std::lock_guard lock(mu_);
    // A pid comes back only after its slot is reused many times (abi_proc.h);
    // a newer exit of the same pid replaces the older.
    if (!by_pid_.count(e.pid)) order_.push_back(e.pid);
    by_pid_[e.pid] = e;
    ++total_;
    while (order_.size() > keep_) {
      by_pid_.erase(order_.front());
      order_.pop_front();
    }
  }
  cv_.notify_all();
}

std::optional<ExitInfo> ExitLog::find(uint32_t pid) const {
  std::lock_guard lock(mu_);
  auto it = by_pid_.find(pid);
  if (it == by_pid_.end()) return std::nullopt;
  return it->second;
}

std::optional<ExitInfo> ExitLog::wait(uint32_t pid, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return closed_ || by_pid_.count(pid) != 0; });
  auto it = by_pid_.find(pid);
  if (it == by_pid_.end()) return std::nullopt;
  return it->second;
}

uint64_t ExitLog::total() const {
  std::lock_guard lock(mu_);
  return total_;
}

void ExitLog::close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

}  // namespace gpuos::procs

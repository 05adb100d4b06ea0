// HangWatch: the session's heartbeat watchdog, told apart from a busy machine.
//
// The kernel's workgroup leaders beat (ctrl.heartbeat) every 16 loop
// iterations and at the start of every launch. Heartbeat silence alone is
// not a hang: under CPU load the host's service thread, and on lavapipe the
// "GPU" itself (llvmpipe's worker threads are CPU threads of this process),
// get little CPU time, and a healthy kernel fell silent for 4.5 s of wall
// time (issue 19, item 2). So silence is counted only over time in which the
// kernel could have beaten:
//   - host stalls are not silence: the service thread looks every ~1 ms, and
//     a longer gap between two looks means this process was not running
//     (starved, SIGSTOPped, a suspended VM); such a gap counts at most
//     kStallCap. On a GPU the kernel keeps running meanwhile, and the next
//     look sees its beats.
//   - on a CPU device (lavapipe), silence must also have cost the process
//     `timeout` of CPU time: a hung kernel spins its lanes and burns CPU at
//     once; a starved one gets none, so it is not blamed for it.
// A backstop catches a device that stops without spinning (a driver that
// blocks): wall silence, less host stalls, past kBackstop x timeout.
//
// Pure logic, fed by the caller (Session::service_loop) with its clock and
// CPU readings, so tests can drive it (tests/usage/sess_hang_watch_test.cpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>

#include <fmt/format.h>

namespace gpuos {

class HangWatch {
 public:
  using Duration = std::chrono::nanoseconds;
  // A gap between two looks longer than this is a host stall, not silence.
  static constexpr Duration kStallCap = std::chrono::milliseconds(250);
  // Silence (host stalls excluded) that is a hang even without CPU spent.
  static constexpr int kBackstop = 20;

  // `cpu_device`: the kernel runs on this process's CPU threads (lavapipe).
  HangWatch(Duration timeout, bool cpu_device) : timeout_(timeout), cpu_device_(cpu_device) {}

  // The kernel beat, or the silence starts afresh (a launch after idleness).
  void restart(Duration now, Duration cpu) {
    last_look_ = now;
    silent_wall_ = Duration::zero();
    silent_cpu_from_ = cpu;
    stalls_ = Duration::zero();
  }

  // One look while a launch runs; `beat_changed`: the heartbeat moved since
  // the last look. Returns why the kernel counts as hung, or nothing.
  std::optional<std::string> look(Duration now, Duration cpu, bool beat_changed) {
    const Duration gap = now - last_look_;
    last_look_ = now;
    if (beat_changed) {
      restart(now, cpu);
      return std::nullopt;
    }
    if (gap > kStallCap) {
      stalls_ += gap - kStallCap;
      silent_wall_ += kStallCap;
    } else if (gap > Duration::zero()) {
      silent_wall_ += gap;
    }
    if (silent_wall_ <= timeout_) return std::nullopt;
    const Duration cpu_spent = cpu - silent_cpu_from_;
    if (!cpu_device_ || cpu_spent > timeout_) {
      return fmt::format("no heartbeat for {} ms{}{}", ms(silent_wall_),
                         cpu_device_ ? fmt::format(" while the kernel's threads used {} ms of CPU", ms(cpu_spent))
                                     : std::string(),
                         stalls_ > Duration::zero() ? fmt::format(" ({} ms more while this process did not run)",
                                                                  ms(stalls_))
                                                    : std::string());
    }
    if (silent_wall_ > timeout_ * kBackstop) {
      return fmt::format("no heartbeat for {} ms though the device got only {} ms of CPU: the driver stopped "
                         "running the kernel",
                         ms(silent_wall_), ms(cpu_spent));
    }
    return std::nullopt;
  }

  // Readings for the caller: this process's CPU time (all threads).
  static Duration process_cpu() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
  }

 private:
  static long long ms(Duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }

  Duration timeout_;
  bool cpu_device_;
  Duration last_look_{};
  Duration silent_wall_{};
  Duration silent_cpu_from_{};
  Duration stalls_{};
};

}  // namespace gpuos

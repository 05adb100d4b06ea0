// HangWatch: the session's heartbeat watchdog, told apart from a busy machine.
//
// The kernel's workgroup leaders beat (ctrl.heartbeat) every 16 loop
// iterations and at the start of every launch. Heartbeat silence alone is
// not a hang: under CPU load the host's service thread, and on lavapipe the
// "GPU" itself (llvmpipe's worker threads are CPU threads of this process),
// get little CPU time, and a healthy kernel fell silent for 4.5 s of wall
// time (issue 19, item 2). So host stalls are not silence: the service
// thread looks every ~1 ms, and a longer gap between two looks means this
// process was not running (starved, SIGSTOPped, a suspended VM); such a gap
// counts at most kStallCap. On a GPU the kernel keeps running meanwhile, and
// the next look sees its beats; on lavapipe the kernel stalled with the host.
//
// (A second rule was tried and dropped: on a CPU device, count silence only
// while the process burns CPU, since a spinning hung kernel would. An
// injected hang on lavapipe left llvmpipe's threads idle instead, and went
// unreported. A hung lavapipe launch is also caught another way: llvmpipe
// cuts its loops, and a launch that ends without a beat is a hang;
// docs/architecture.md, "The heartbeat watchdog".)
//
// Pure logic, fed by the caller (Session::service_loop) with its clock, so
// tests can drive it (tests/usage/sess_hang_watch_test.cpp).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <fmt/format.h>

namespace gpuos {

class HangWatch {
 public:
  using Duration = std::chrono::nanoseconds;
  // A gap between two looks longer than this is a host stall, not silence.
  static constexpr Duration kStallCap = std::chrono::milliseconds(250);

  explicit HangWatch(Duration timeout) : timeout_(timeout) {}

  // The kernel beat, or the silence starts afresh (a launch after idleness).
  void restart(Duration now) {
    last_look_ = now;
    silent_ = Duration::zero();
    stalls_ = Duration::zero();
  }

  // One look while a launch runs; `beat_changed`: the heartbeat moved since
  // the last look. Returns why the kernel counts as hung, or nothing.
  std::optional<std::string> look(Duration now, bool beat_changed) {
    const Duration gap = now - last_look_;
    last_look_ = now;
    if (beat_changed) {
      restart(now);
      return std::nullopt;
    }
    if (gap > kStallCap) {
      stalls_ += gap - kStallCap;
      silent_ += kStallCap;
    } else if (gap > Duration::zero()) {
      silent_ += gap;
    }
    if (silent_ <= timeout_) return std::nullopt;
    return fmt::format("no heartbeat for {} ms{}", ms(silent_),
                       stalls_ > Duration::zero()
                           ? fmt::format(" ({} ms more while this process did not run)", ms(stalls_))
                           : std::string());
  }

 private:
  static long long ms(Duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }

  Duration timeout_;
  Duration last_look_{};
  Duration silent_{};
  Duration stalls_{};
};

}  // namespace gpuos

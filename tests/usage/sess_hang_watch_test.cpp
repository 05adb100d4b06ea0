// Issue 19 item 2: the heartbeat watchdog (kernel/hang_watch.h) tells a busy
// or stopped machine from a hung kernel. Driven with made-up clock and CPU
// readings, so every case is exact: the watchdog looks every 1 ms, as
// Session::service_loop does.
#include <gtest/gtest.h>

#include "kernel/hang_watch.h"

namespace gpuos {
namespace {

using namespace std::chrono_literals;
using D = HangWatch::Duration;

struct Feed {
  HangWatch w;
  D now{0}, cpu{0};
  Feed(D timeout, bool cpu_device) : w(timeout, cpu_device) { w.restart(now, cpu); }
  // `wall` of looks every `step`, the process getting `cpu_share` of a CPU
  // meanwhile, no beat; the first verdict, if any.
  std::optional<std::string> silent(D wall, double cpu_share, D step = 1ms) {
    for (D t{0}; t < wall; t += step) {
      now += step;
      cpu += D(static_cast<int64_t>(step.count() * cpu_share));
      if (auto why = w.look(now, cpu, false)) return why;
    }
    return std::nullopt;
  }
  void beat() {
    now += 1ms;
    EXPECT_FALSE(w.look(now, cpu, true));
  }
};

// lavapipe, a starved machine: the process gets a tenth of a CPU for 10 s
// (3x the timeout) and the kernel never beats. Not a hang: it did not run.
TEST(SessHangWatch, StarvedCpuDeviceIsNotHung) {
  Feed f(3000ms, /*cpu_device=*/true);
  EXPECT_EQ(f.silent(10s, 0.1), std::nullopt);
}

// A process stopped for 5 s (SIGSTOP): one gap of 5 s between two looks.
TEST(SessHangWatch, StoppedProcessIsNotHung) {
  for (bool cpu_device : {true, false}) {
    Feed f(3000ms, cpu_device);
    EXPECT_EQ(f.silent(1s, 1.0), std::nullopt);
    EXPECT_EQ(f.silent(5s, 0.0, /*step=*/5s), std::nullopt) << "cpu_device " << cpu_device;
    f.beat();  // it beats once it runs again
    EXPECT_EQ(f.silent(2s, 1.0), std::nullopt);
  }
}

// lavapipe, a hung kernel spins its lanes: two busy worker threads, so
// 2 s of CPU a second. Caught at the timeout, and named.
TEST(SessHangWatch, SpinningCpuDeviceIsHung) {
  Feed f(3000ms, true);
  auto why = f.silent(10s, 2.0);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("no heartbeat for 300"), std::string::npos) << *why;
  EXPECT_LE(f.now, 3002ms);
}

// The same hang on a loaded machine (a third of a CPU): caught once it has
// burnt the timeout's worth of CPU, 9 s here.
TEST(SessHangWatch, SpinningCpuDeviceUnderLoadIsHung) {
  Feed f(3000ms, true);
  ASSERT_TRUE(f.silent(20s, 1.0 / 3));
  EXPECT_GE(f.now, 9000ms);
  EXPECT_LE(f.now, 9010ms);
}

// A GPU: the kernel does not share the host's CPU, so wall silence while
// the host watched is a hang, CPU or not.
TEST(SessHangWatch, GpuSilenceIsHung) {
  Feed f(3000ms, false);
  ASSERT_TRUE(f.silent(5s, 0.0));
  EXPECT_LE(f.now, 3002ms);
}

// A CPU device that stops without spinning (a driver that blocks) is caught
// by the backstop, kBackstop x the timeout.
TEST(SessHangWatch, BlockedCpuDeviceHitsBackstop) {
  Feed f(300ms, true);
  auto why = f.silent(10s, 0.0);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("driver stopped"), std::string::npos) << *why;
  EXPECT_GE(f.now, 300ms * HangWatch::kBackstop);
}

// Beats keep resetting the count: a healthy kernel that beats every second
// never trips, however long it runs.
TEST(SessHangWatch, BeatsReset) {
  Feed f(3000ms, true);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(f.silent(2900ms, 2.0), std::nullopt) << i;
    f.beat();
  }
}

}  // namespace
}  // namespace gpuos

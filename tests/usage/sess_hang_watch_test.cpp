// Issue 19 item 2: the heartbeat watchdog (kernel/hang_watch.h) tells a busy
// or stopped machine from a hung kernel. Driven with a made-up clock, so
// every case is exact: the watchdog looks every 1 ms, as
// Session::service_loop does, unless the process is not running.
#include <gtest/gtest.h>

#include "kernel/hang_watch.h"

namespace gpuos {
namespace {

using namespace std::chrono_literals;
using D = HangWatch::Duration;

struct Feed {
  HangWatch w;
  D now{0};
  explicit Feed(D timeout) : w(timeout) { w.restart(now); }
  // `wall` of looks every `step` with no beat; the first verdict, if any.
  std::optional<std::string> silent(D wall, D step = 1ms) {
    for (D t{0}; t < wall; t += step) {
      now += step;
      if (auto why = w.look(now, false)) return why;
    }
    return std::nullopt;
  }
  void beat() {
    now += 1ms;
    EXPECT_FALSE(w.look(now, true));
  }
};

// A process stopped for 5 s (SIGSTOP): one gap of 5 s between two looks
// counts as kStallCap of silence, not 5 s.
TEST(SessHangWatch, StoppedProcessIsNotHung) {
  Feed f(3000ms);
  EXPECT_EQ(f.silent(1s), std::nullopt);
  EXPECT_EQ(f.silent(5s, /*step=*/5s), std::nullopt);
  f.beat();  // it beats once it runs again
  EXPECT_EQ(f.silent(2s), std::nullopt);
}

// A starved process: it looks only every 2 s for 20 s, and the kernel,
// starved alike, never beats. Each gap counts 250 ms: not a hang before
// 3 s of counted silence, 13 looks.
TEST(SessHangWatch, StarvedProcessCountsOnlyWhatItSaw) {
  Feed f(3000ms);
  EXPECT_EQ(f.silent(24s, /*step=*/2s), std::nullopt);
  auto why = f.silent(4s, /*step=*/2s);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("ms more while this process did not run"), std::string::npos) << *why;
}

// Silence while the host watched is a hang: caught at the timeout, named.
TEST(SessHangWatch, SilenceIsHung) {
  Feed f(3000ms);
  auto why = f.silent(10s);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("no heartbeat for 300"), std::string::npos) << *why;
  EXPECT_LE(f.now, 3002ms);
}

// Beats keep resetting the count: a healthy kernel that beats every 2.9 s
// never trips, however long it runs.
TEST(SessHangWatch, BeatsReset) {
  Feed f(3000ms);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(f.silent(2900ms), std::nullopt) << i;
    f.beat();
  }
}

}  // namespace
}  // namespace gpuos

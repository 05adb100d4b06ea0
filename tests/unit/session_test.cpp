// gpuos::Session on a real Vulkan device (lavapipe in CI). Every behaviour is
// checked in live mode (the default where the mailbox works while the kernel
// runs) and in epoch mode (BootOptions.force_epoch).
//
// The binary probes for a device first and exits 77 (CTest: skipped) when
// there is no loader, driver or device. Timeouts here are safety bounds only;
// nothing asserts on speed (bench/ measures that).
#include <gtest/gtest.h>

#include "tests/unit/scoped_env.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "kernel/session.h"
#include "kernel/vk/device.h"
#include "tests/unit/device_test_main.h"
#include "tests/unit/host_ring.h"

namespace gpuos {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

using gpuos::testing_env::ScopedEnv;

// Polls `pred` until it holds or `limit` (a safety bound) passes.
bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit = 10s) {
  const auto deadline = Clock::now() + limit;
  while (!pred()) {
    if (Clock::now() > deadline) return pred();
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// Runs `fn` on its own thread and waits at most `limit`. A call that does not
// return in time is a hang: report it and end the process instead of letting
// the test binary hang (a detached thread cannot be cancelled).
void must_return_within(std::chrono::seconds limit, const char* what, std::function<void()> fn) {
  auto done = std::make_shared<std::promise<void>>();
  auto fut = done->get_future();
  std::thread([fn = std::move(fn), done] {
    fn();
    done->set_value();
  }).detach();
  if (fut.wait_for(limit) != std::future_status::ready) {
    std::fprintf(stderr, "FATAL: %s did not return within %lld s (hang)\n", what,
                 static_cast<long long>(limit.count()));
    std::fflush(stderr);
    std::_Exit(1);
  }
}

enum class Mode { Live, Epoch };

class SessionTest : public ::testing::TestWithParam<Mode> {
 protected:
  bool epoch() const { return GetParam() == Mode::Epoch; }

  BootOptions options() const {
    BootOptions o;
    o.force_epoch = epoch();
    o.ring_capacity = 1024;
    o.log_keep = 1u << 17;
    return o;
  }

  // Boots, and checks that the requested mode is the one running. A live
  // request on a device without DEVICE_LOCAL|HOST_VISIBLE memory cannot be
  // live: that case is skipped, with the reason.
  std::unique_ptr<Session> boot(const BootOptions& o) {
    auto r = Session::boot(o);
    if (!r) {
      ADD_FAILURE() << "boot failed: " << to_string(r.code()) << ": " << r.detail();
      return nullptr;
    }
    std::unique_ptr<Session> s = std::move(r.value());
    const SessionStatus st = s->status();
    if (epoch()) {
      EXPECT_EQ(s->mode(), KernelMode::Epoch);
    } else if (s->mode() != KernelMode::Live) {
      const bool live_capable = contains(st.control_memory, "DEVICE_LOCAL") && contains(st.control_memory, "HOST_VISIBLE");
      if (live_capable) {
        ADD_FAILURE() << "live mode expected on " << st.device_name << " (control block in " << st.control_memory
                      << "), got epoch: " << st.mode_reason;
      } else {
        skip("live mode impossible on this device: " + st.mode_reason);
      }
      return nullptr;
    }
    return s;
  }

  // GTEST_SKIP returns from the function it is in, so it needs a void one.
  static void skip(const std::string& why) { GTEST_SKIP() << why; }
};

#define BOOT_OR_RETURN(var, opts) \
  auto var = boot(opts);          \
  if (!var) return

TEST_P(SessionTest, BootStatusIsSane) {
  const BootOptions o = options();
  BOOT_OR_RETURN(s, o);
  SessionStatus st = s->status();
  EXPECT_FALSE(st.device_name.empty());
  EXPECT_FALSE(st.device_type.empty());
  EXPECT_EQ(st.device_index, s->context().info().index);
  EXPECT_EQ(st.mode, s->mode());
  EXPECT_EQ(st.mode, epoch() ? KernelMode::Epoch : KernelMode::Live);
  EXPECT_FALSE(st.mode_reason.empty());
  if (epoch()) {
    EXPECT_TRUE(contains(st.mode_reason, "epoch")) << st.mode_reason;
  }
  EXPECT_GT(st.workgroups, 0u);
  EXPECT_EQ(st.lanes, st.workgroups * abi::KERNEL_WORKGROUP_SIZE);
  EXPECT_LE(st.lanes_running, st.lanes);
  EXPECT_TRUE(st.kernel_state == "running" || st.kernel_state == "parked" || st.kernel_state == "stopped")
      << st.kernel_state;
  EXPECT_TRUE(contains(st.control_memory, "HOST_VISIBLE")) << st.control_memory;
  EXPECT_TRUE(contains(st.control_memory, "HOST_COHERENT")) << st.control_memory;
  EXPECT_TRUE(contains(st.ring_memory, "HOST_VISIBLE")) << st.ring_memory;
  if (!epoch()) {
    EXPECT_TRUE(contains(st.control_memory, "DEVICE_LOCAL")) << st.control_memory;
  }
  EXPECT_EQ(st.ring_capacity, o.ring_capacity);
  EXPECT_EQ(st.commands, 0u);
  EXPECT_EQ(st.ring_received, 0u);
  EXPECT_EQ(st.ring_drops, 0u);
  EXPECT_EQ(st.ring_head, 0u);
  EXPECT_GE(st.uptime_s, 0.0);
  EXPECT_FALSE(st.failed);
  EXPECT_TRUE(st.failure.empty());
  EXPECT_FALSE(s->failed());

  ASSERT_TRUE(s->ping(3).ok());
  st = s->status();
  EXPECT_EQ(st.commands, 3u);
  EXPECT_GE(st.launches, 1u);
}

TEST_P(SessionTest, PingEchoesEveryToken) {
  BOOT_OR_RETURN(s, options());
  auto p = s->ping(100);
  ASSERT_TRUE(p.ok()) << p.detail();  // ping() itself checks each echo
  ASSERT_EQ(p->round_trip_us.size(), 100u);
  for (double us : p->round_trip_us) EXPECT_GT(us, 0.0);

  const uint32_t lanes = s->status().lanes;
  for (uint32_t i = 0; i < 20; ++i) {
    const uint32_t token = 0xA5A50000u ^ (i * 2654435761u);
    auto r = s->command(abi::OP_PING, token);
    ASSERT_TRUE(r.ok()) << r.detail();
    EXPECT_EQ(r->status, abi::STATUS_OK);
    EXPECT_EQ(r->value[0], token);
    EXPECT_GE(r->value[1], 1u) << "the answering lane itself is running";
    EXPECT_LE(r->value[1], lanes);
    EXPECT_LT(r->value[2], lanes) << "answering lane index";
    EXPECT_GE(r->value[3], 1u) << "launch number";
  }
  EXPECT_TRUE(s->command(abi::OP_NOP).ok());
}

TEST_P(SessionTest, EmitTextEachRecordExactlyOnceInOrder) {
  constexpr uint32_t n = 600;
  BOOT_OR_RETURN(s, options());
  auto r = s->emit(n, abi::RECORD_TEXT);
  ASSERT_TRUE(r.ok()) << r.detail();
  EXPECT_EQ(r->emitted, n);
  EXPECT_EQ(r->dropped, 0u);
  EXPECT_EQ(s->log().received(), n) << "emit() returns once the host has drained every record";
  const auto recs = s->log().last(2 * n);
  ASSERT_EQ(recs.size(), n);
  std::vector<int> seen(n, 0);
  const uint32_t lanes = s->status().lanes;
  for (size_t k = 0; k < recs.size(); ++k) {
    const io::DebugRecord& rec = recs[k];
    if (k) {
      ASSERT_GT(rec.seq, recs[k - 1].seq) << "seq must increase strictly";
    }
    ASSERT_EQ(rec.kind, abi::RECORD_TEXT);
    ASSERT_EQ(rec.pid, 0u);
    ASSERT_LT(rec.lane, lanes);
    const std::string_view text = rec.text();
    ASSERT_EQ(text.size(), rec.len);
    ASSERT_TRUE(text.starts_with("emit ")) << text;
    uint32_t idx = 0;
    const auto digits = text.substr(5);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), idx);
    ASSERT_TRUE(ec == std::errc() && end == digits.data() + digits.size()) << "bad text '" << text << "'";
    ASSERT_LT(idx, n) << text;
    ASSERT_EQ(seen[idx]++, 0) << "'" << text << "' delivered twice";
  }
  const auto st = s->status();
  EXPECT_EQ(st.ring_received, n);
  EXPECT_GE(st.ring_position, n);
  EXPECT_EQ(st.ring_head, static_cast<uint32_t>(st.ring_position)) << "everything claimed was drained";
}

// Far more records than the ring holds: the kernel must wrap around and wait
// for the host (backpressure) without losing or duplicating a record.
TEST_P(SessionTest, EmitPatternManyLapsEveryIndexOnce) {
  constexpr uint32_t n = 50000;
  BootOptions o = options();
  o.ring_capacity = 1024;
  o.log_keep = 16;
  BOOT_OR_RETURN(s, o);
  std::mutex mu;
  std::vector<uint8_t> seen(n, 0);
  uint64_t records = 0, bad = 0, dup = 0, out_of_order = 0;
  int64_t last_seq = -1;
  std::string first_problem;
  s->set_record_observer([&](std::span<const io::DebugRecord> batch) {
    std::lock_guard lock(mu);
    for (const io::DebugRecord& r : batch) {
      ++records;
      if (int64_t(r.seq) <= last_seq) ++out_of_order;
      last_seq = int64_t(r.seq);
      const uint32_t idx = r.payload[0] * testing::kPatternInv;
      bool ok = r.kind == abi::RECORD_PATTERN && r.len == abi::RING_PAYLOAD_WORDS * 4u && idx < n;
      for (uint32_t j = 0; ok && j < abi::RING_PAYLOAD_WORDS; ++j) ok = r.payload[j] == idx * testing::kPatternMul + j;
      if (!ok) {
        if (!bad++) first_problem = "bad record at seq " + std::to_string(r.seq);
        continue;
      }
      if (seen[idx]++) ++dup;
    }
  });
  auto r = s->emit(n, abi::RECORD_PATTERN, 0, 90000ms);
  ASSERT_TRUE(r.ok()) << r.detail();
  EXPECT_EQ(r->emitted, n);
  EXPECT_EQ(r->dropped, 0u);
  std::lock_guard lock(mu);
  EXPECT_EQ(bad, 0u) << first_problem;
  EXPECT_EQ(dup, 0u);
  EXPECT_EQ(out_of_order, 0u);
  EXPECT_EQ(records, n);
  size_t missing = 0;
  for (uint8_t v : seen) missing += v == 0;
  EXPECT_EQ(missing, 0u);
  const auto st = s->status();
  EXPECT_GE(st.ring_position, uint64_t(n));
  EXPECT_GT(st.ring_position / o.ring_capacity, 40u) << "the ring must have wrapped many times";
  EXPECT_EQ(st.ring_received, n);
  EXPECT_EQ(s->log().last(100).size(), 16u) << "log_keep bounds what is kept";
}

// The smallest ring the session accepts: every chunk of 4 competes for 16
// slots, so producers hit a full ring almost every time.
TEST_P(SessionTest, EmitPatternTinyRing) {
  constexpr uint32_t n = 20000;
  BootOptions o = options();
  o.ring_capacity = 16;
  BOOT_OR_RETURN(s, o);
  std::mutex mu;
  std::vector<uint8_t> seen(n, 0);
  uint64_t records = 0, bad = 0, dup = 0;
  s->set_record_observer([&](std::span<const io::DebugRecord> batch) {
    std::lock_guard lock(mu);
    for (const io::DebugRecord& r : batch) {
      ++records;
      const uint32_t idx = r.payload[0] * testing::kPatternInv;
      bool ok = r.kind == abi::RECORD_PATTERN && idx < n;
      for (uint32_t j = 0; ok && j < abi::RING_PAYLOAD_WORDS; ++j) ok = r.payload[j] == idx * testing::kPatternMul + j;
      if (!ok) ++bad;
      else if (seen[idx]++) ++dup;
    }
  });
  auto r = s->emit(n, abi::RECORD_PATTERN, 0, 90000ms);
  ASSERT_TRUE(r.ok()) << r.detail();
  EXPECT_EQ(r->dropped, 0u) << "without EMIT_MAY_DROP a producer waits; it never drops";
  std::lock_guard lock(mu);
  EXPECT_EQ(bad, 0u);
  EXPECT_EQ(dup, 0u);
  EXPECT_EQ(records, n);
  EXPECT_EQ(std::count(seen.begin(), seen.end(), 0), 0);
  EXPECT_EQ(s->status().ring_drops, 0u);
}

// A ring the host does not drain fills up; EMIT_MAY_DROP producers then drop
// after a bounded wait, and count every drop.
TEST_P(SessionTest, FullRingWithDropsCountsEveryRecord) {
  constexpr uint32_t n = 2000;
  BootOptions o = options();
  o.ring_capacity = 64;
  BOOT_OR_RETURN(s, o);
  std::mutex mu;
  std::vector<uint8_t> seen(n, 0);
  uint64_t dup = 0, bad = 0;
  s->set_record_observer([&](std::span<const io::DebugRecord> batch) {
    std::lock_guard lock(mu);
    for (const io::DebugRecord& r : batch) {
      const uint32_t idx = r.payload[0] * testing::kPatternInv;
      if (r.kind != abi::RECORD_PATTERN || idx >= n || r.payload[27] != idx * testing::kPatternMul + 27) {
        ++bad;
        continue;
      }
      if (seen[idx]++) ++dup;
    }
  });
  s->set_drain_paused(true);
  auto r = s->emit(n, abi::RECORD_PATTERN, abi::EMIT_MAY_DROP, 60000ms);
  ASSERT_TRUE(r.ok()) << r.detail();
  EXPECT_GT(r->dropped, 0u) << "nothing was drained, so more than the capacity cannot all fit";
  EXPECT_LE(r->dropped, n);
  EXPECT_EQ(s->status().ring_drops, r->dropped);
  EXPECT_EQ(s->log().received(), 0u) << "draining was paused";

  s->set_drain_paused(false);
  const uint64_t expect_received = n - r->dropped;
  EXPECT_TRUE(eventually([&] { return s->log().received() >= expect_received; }, 30s))
      << "received " << s->log().received() << " of " << expect_received;
  ASSERT_TRUE(s->ping(1).ok());  // the kernel is still healthy
  const uint64_t received = s->log().received();
  EXPECT_EQ(received + r->dropped, n) << "every record is either received or counted as dropped";
  EXPECT_LE(received, o.ring_capacity) << "with draining paused, only what fit in the ring can arrive";
  std::lock_guard lock(mu);
  EXPECT_EQ(bad, 0u);
  EXPECT_EQ(dup, 0u);
  const auto st = s->status();
  EXPECT_EQ(st.ring_drops, r->dropped);
  EXPECT_EQ(st.ring_received, received);
}

// EmitResult::emitted is documented as "records produced" (kernel/session.h),
// so with drops emitted + dropped must equal the count asked for.
TEST_P(SessionTest, EmitReplyEmittedExcludesDropped) {
  constexpr uint32_t n = 1000;
  BootOptions o = options();
  o.ring_capacity = 32;
  BOOT_OR_RETURN(s, o);
  s->set_drain_paused(true);
  auto r = s->emit(n, abi::RECORD_PATTERN, abi::EMIT_MAY_DROP, 60000ms);
  ASSERT_TRUE(r.ok()) << r.detail();
  ASSERT_GT(r->dropped, 0u);
  s->set_drain_paused(false);
  EXPECT_TRUE(eventually([&] { return s->log().received() + r->dropped >= n; }, 30s));
  EXPECT_EQ(r->emitted + r->dropped, n) << "emitted=" << r->emitted << " dropped=" << r->dropped
                                        << ": the reply's `emitted` counts dropped records too";
  EXPECT_EQ(r->emitted, s->log().received());
}

// Many commands in one session: each is served exactly once (a command
// served twice would open a second emit job and duplicate its records).
TEST_P(SessionTest, RepeatedCommandsAreEachServedOnce) {
  BOOT_OR_RETURN(s, options());
  uint64_t expect = 0;
  for (uint32_t i = 0; i < 60; ++i) {
    auto p = s->command(abi::OP_PING, 0x5EED0000u + i, 0, 0, 0, 10000ms);
    ASSERT_TRUE(p.ok()) << "iteration " << i << ": " << p.detail();
    ASSERT_EQ(p->value[0], 0x5EED0000u + i) << "iteration " << i << ": a ping answered with another token";
    const uint64_t from = s->log().next_seq();
    auto e = s->emit(5, abi::RECORD_TEXT, 0, 10000ms);
    ASSERT_TRUE(e.ok()) << "iteration " << i << ": " << e.detail();
    ASSERT_EQ(e->emitted, 5u);
    expect += 5;
    ASSERT_EQ(s->log().received(), expect) << "iteration " << i << ": an emit produced "
                                           << s->log().received() - (expect - 5) << " records, not 5";
    const auto recs = s->log().wait_from(from, 0ms);
    ASSERT_EQ(recs.size(), 5u);
    std::vector<int> seen(5, 0);
    for (const auto& r : recs) {
      const std::string_view t = r.text();
      ASSERT_TRUE(t.size() == 6 && t.starts_with("emit ") && t[5] >= '0' && t[5] <= '4') << t;
      ASSERT_EQ(seen[t[5] - '0']++, 0) << t << " twice";
    }
  }
  EXPECT_EQ(s->status().commands, 120u);
}

TEST_P(SessionTest, EmitCountLimit) {
  BOOT_OR_RETURN(s, options());
  auto r = s->emit((1u << 30) + 1, abi::RECORD_PATTERN);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), SessionError::BadArgument) << r.detail();
  EXPECT_EQ(s->status().emit_end, 0u) << "a refused emit must not reach the kernel";
  EXPECT_TRUE(s->ping(1).ok());
}

// An emit that timed out leaves its job running; a second emit must be
// refused until it ends, and the first job's records must all still arrive.
TEST_P(SessionTest, EmitWhileAJobIsOpenIsRefused) {
  constexpr uint32_t n = 1000;
  BootOptions o = options();
  o.ring_capacity = 64;
  BOOT_OR_RETURN(s, o);
  s->set_drain_paused(true);  // the job cannot finish: the ring stays full
  auto first = s->emit(n, abi::RECORD_PATTERN, 0, 300ms);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.code(), SessionError::Timeout) << first.detail();
  auto second = s->emit(5, abi::RECORD_TEXT);
  ASSERT_FALSE(second.ok()) << "a second emit job was opened over a running one";
  EXPECT_EQ(second.code(), SessionError::BadArgument) << second.detail();

  s->set_drain_paused(false);
  EXPECT_TRUE(eventually([&] { return s->log().received() >= n; }, 60s)) << s->log().received();
  EXPECT_TRUE(eventually([&] {
    const auto st = s->status();
    return st.emit_done == st.emit_end;
  }, 10s));
  EXPECT_EQ(s->log().received(), n);
  EXPECT_EQ(s->status().ring_drops, 0u);
  auto third = s->emit(5, abi::RECORD_TEXT, 0, 10000ms);
  ASSERT_TRUE(third.ok()) << third.detail();
  EXPECT_EQ(third->emitted, 5u);
  EXPECT_EQ(s->log().received(), n + 5);
}

TEST_P(SessionTest, BadOpcodeAndBadEmitKindAreRefused) {
  BOOT_OR_RETURN(s, options());
  auto bad = s->command(0x00FE);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.code(), SessionError::BadStatus);
  EXPECT_TRUE(contains(bad.detail(), "bad opcode")) << bad.detail();

  auto fault_range = s->command(0x7FFE);
  ASSERT_FALSE(fault_range.ok());
  EXPECT_EQ(fault_range.code(), SessionError::BadStatus);

  for (uint32_t kind : {abi::RECORD_PAD, abi::RECORD_U32, 0x1234u}) {
    auto e = s->emit(10, kind);
    ASSERT_FALSE(e.ok()) << "emit accepted kind " << kind;
    EXPECT_EQ(e.code(), SessionError::BadStatus) << kind;
    EXPECT_TRUE(contains(e.detail(), "bad argument")) << e.detail();
  }
  EXPECT_EQ(s->log().received(), 0u) << "a refused emit produces nothing";
  auto p = s->ping(3);
  EXPECT_TRUE(p.ok()) << "the session must survive refused commands: " << p.detail();
  EXPECT_FALSE(s->failed());
}

TEST_P(SessionTest, EmitZeroRecords) {
  BOOT_OR_RETURN(s, options());
  auto r = s->emit(0, abi::RECORD_TEXT);
  ASSERT_TRUE(r.ok()) << r.detail();
  EXPECT_EQ(r->emitted, 0u);
  EXPECT_EQ(r->dropped, 0u);
  auto r2 = s->emit(5, abi::RECORD_TEXT);
  ASSERT_TRUE(r2.ok()) << r2.detail();
  EXPECT_EQ(s->log().received(), 5u);
}

// The park and the hang race: the host asks an idle kernel to park just as
// it hangs. A hung kernel ignores the park, yet on lavapipe its launch ends
// anyway (llvmpipe cuts long loops); taken for parked, it was never
// relaunched, and a session under CPU load never reported its hang (CI,
// usage.sess_cpu_load). A 1 ms idle park, and busy threads that slow
// llvmpipe's hung launch down, make the race the common case.
// (An epoch kernel never parks and runs only for work: there the next
// command is what finds the hang.)
TEST_P(SessionTest, HangRacingAParkIsDetected) {
  BootOptions o = options();
  // Longer than a hung launch lasts on lavapipe before llvmpipe cuts it, so
  // the time rule does not fire first and hide the race.
  o.hang_timeout = 5s;
  o.idle_park = 1ms;
  BOOT_OR_RETURN(s, o);
  std::atomic<bool> load_on{true};
  std::vector<std::jthread> load;
  for (unsigned i = 0; i < 2 * std::max(1u, std::thread::hardware_concurrency()); ++i) {
    load.emplace_back([&] {
      while (load_on.load(std::memory_order_relaxed)) {
      }
    });
  }
  auto h = s->command(abi::OP_FAULT_HANG);
  if (h.ok() && epoch()) {
    EXPECT_FALSE(s->command(abi::OP_PING, 1, 0, 0, 0, 20000ms).ok()) << "a hung kernel answered a ping";
  }
  // Live: no further command; the session must notice by itself.
  const bool reported = h.ok() && eventually([&] { return s->failed(); }, 20s);
  load_on = false;
  load.clear();
  ASSERT_TRUE(h.ok()) << h.detail();
  EXPECT_TRUE(reported) << "a hang that raced a park went unreported";
  EXPECT_TRUE(contains(s->failure(), "hang")) << s->failure();
  must_return_within(60s, "shutdown() after a hang", [&] { s->shutdown(); });
}

TEST_P(SessionTest, HangIsDetectedAndReported) {
  BootOptions o = options();
  o.hang_timeout = 300ms;
  o.idle_park = 0ms;  // never park: an idle live kernel keeps running (and so keeps hanging)
  BOOT_OR_RETURN(s, o);
  std::atomic<int> callbacks{0};
  std::mutex mu;
  std::string reported;
  s->on_failure([&](const std::string& why) {
    std::lock_guard lock(mu);
    reported = why;
    ++callbacks;
  });
  auto h = s->command(abi::OP_FAULT_HANG);
  ASSERT_TRUE(h.ok()) << h.detail();

  if (!epoch()) {
    // A live kernel keeps running, so the watchdog must notice by itself.
    EXPECT_TRUE(eventually([&] { return s->failed(); }, 10s)) << "a hung live kernel was not detected";
  }
  // A command to a hung kernel is never answered; it must fail, not time out
  // after its own 20 s, once the watchdog fires (epoch: the command is what
  // relaunches the hung kernel).
  auto p = s->command(abi::OP_PING, 1, 0, 0, 0, 20000ms);
  ASSERT_FALSE(p.ok()) << "a hung kernel answered a ping";
  EXPECT_EQ(p.code(), SessionError::Failed) << p.detail();
  EXPECT_TRUE(s->failed());
  EXPECT_TRUE(contains(s->failure(), "hang")) << s->failure();
  EXPECT_TRUE(eventually([&] { return callbacks.load() >= 1; }, 10s)) << "on_failure was not called";
  const auto st = s->status();
  EXPECT_TRUE(st.failed);
  EXPECT_TRUE(contains(st.failure, "hang")) << st.failure;

  must_return_within(60s, "shutdown() after a hang", [&] { s->shutdown(); });
  EXPECT_EQ(callbacks.load(), 1) << "on_failure must be called exactly once";
  {
    std::lock_guard lock(mu);
    EXPECT_TRUE(contains(reported, "hang")) << reported;
  }
  auto after = s->command(abi::OP_PING);
  EXPECT_FALSE(after.ok());
  must_return_within(60s, "destroying a failed session", [&] { s.reset(); });
}

TEST_P(SessionTest, ShutdownIsIdempotentAndFinal) {
  BootOptions o = options();
  o.idle_park = 0ms;
  BOOT_OR_RETURN(s, o);
  ASSERT_TRUE(s->ping(3).ok());
  auto e = s->emit(10, abi::RECORD_TEXT);
  ASSERT_TRUE(e.ok()) << e.detail();

  std::chrono::microseconds d1{}, d2{};
  must_return_within(60s, "shutdown()", [&] { d1 = s->shutdown(); });
  must_return_within(60s, "second shutdown()", [&] { d2 = s->shutdown(); });
  EXPECT_EQ(d1, d2) << "a second shutdown reports the first one";
  const auto st = s->status();
  EXPECT_EQ(st.kernel_state, "stopped");
  EXPECT_FALSE(st.failed) << st.failure;
  // An awake, healthy kernel is shut down through the mailbox (OP_SHUTDOWN).
  EXPECT_EQ(st.shutdown_path, "mailbox");

  auto c = s->command(abi::OP_PING, 1);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.code(), SessionError::Closed) << c.detail();
  auto p = s->ping(1);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.code(), SessionError::Closed);
  auto em = s->emit(1, abi::RECORD_TEXT);
  ASSERT_FALSE(em.ok());
  EXPECT_EQ(em.code(), SessionError::Closed);

  EXPECT_EQ(s->log().received(), 10u) << "the log outlives the kernel";
  // tail -f must not sleep forever on a finished session.
  auto waiter = std::async(std::launch::async, [&] { return s->log().wait_from(s->log().next_seq(), 60s); });
  EXPECT_EQ(waiter.wait_for(20s), std::future_status::ready) << "the log was not closed by shutdown";
}

// kernel_state after shutdown must be "stopped" even if the kernel had parked.
TEST_P(SessionTest, ShutdownAfterIdleReportsStopped) {
  BootOptions o = options();
  o.idle_park = 20ms;
  BOOT_OR_RETURN(s, o);
  ASSERT_TRUE(s->ping(1).ok());
  // Let it go idle: live parks, epoch simply is not running.
  std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(eventually([&] { return s->status().kernel_state != "running"; }, 10s));
  must_return_within(60s, "shutdown()", [&] { s->shutdown(); });
  EXPECT_EQ(s->status().kernel_state, "stopped");
  EXPECT_FALSE(s->status().shutdown_path.empty());
  EXPECT_EQ(s->command(abi::OP_PING).code(), SessionError::Closed);
}

TEST_P(SessionTest, IdleKernelParksAndRelaunches) {
  BootOptions o = options();
  o.idle_park = 20ms;
  BOOT_OR_RETURN(s, o);
  ASSERT_TRUE(s->ping(2).ok());
  std::this_thread::sleep_for(200ms);
  if (epoch()) {
    // An epoch kernel returns when it has nothing to do; it never "parks".
    EXPECT_TRUE(eventually([&] { return s->status().kernel_state == "stopped"; }, 10s)) << s->status().kernel_state;
  } else {
    EXPECT_TRUE(eventually([&] { return s->status().kernel_state == "parked"; }, 10s)) << s->status().kernel_state;
  }
  const uint64_t launches = s->status().launches;
  auto p = s->ping(5);
  ASSERT_TRUE(p.ok()) << "a parked kernel must be relaunched by a command: " << p.detail();
  EXPECT_GT(s->status().launches, launches) << "the command must have relaunched the kernel";
  auto e = s->emit(20, abi::RECORD_TEXT);
  ASSERT_TRUE(e.ok()) << e.detail();
  EXPECT_EQ(s->log().received(), 20u);
  EXPECT_FALSE(s->failed());
}

INSTANTIATE_TEST_SUITE_P(Modes, SessionTest, ::testing::Values(Mode::Live, Mode::Epoch),
                         [](const auto& info) { return info.param == Mode::Live ? "Live" : "Epoch"; });

// ---- not parameterised ---------------------------------------------------

// The boot-time probe never answers: the live check must fail over to epoch
// mode, and the session must still work.
TEST(SessionBoot, DeafProbeFallsBackToEpoch) {
  BootOptions o;
  o.ring_capacity = 1024;
  o.faults = abi::FAULT_DEAF_PROBE;
  o.live_check_timeout = 200ms;
  auto r = Session::boot(o);
  ASSERT_TRUE(r.ok()) << r.detail();
  auto& s = *r.value();
  const auto st = s.status();
  if (!contains(st.control_memory, "DEVICE_LOCAL")) {
    GTEST_SKIP() << "no live-capable memory, so no live check to fail: " << st.mode_reason;
  }
  EXPECT_EQ(s.mode(), KernelMode::Epoch);
  EXPECT_TRUE(contains(st.mode_reason, "live")) << st.mode_reason;
  EXPECT_TRUE(contains(st.mode_reason, "check")) << st.mode_reason;
  auto p = s.ping(10);
  EXPECT_TRUE(p.ok()) << p.detail();
  auto e = s.emit(50, abi::RECORD_TEXT);
  ASSERT_TRUE(e.ok()) << e.detail();
  EXPECT_EQ(s.log().received(), 50u);
}

TEST(SessionBoot, MissingLoaderFailsWithDeviceError) {
  const char* path = "/nonexistent/libvulkan.so.1";
  ScopedEnv env("GPUOS_VULKAN_LIBRARY", path);
  auto r = Session::boot(BootOptions{});
  ASSERT_FALSE(r.ok());
  std::printf("  boot failed as expected: %s\n", r.detail().c_str());
  EXPECT_EQ(r.code(), SessionError::Device);
  EXPECT_TRUE(contains(r.detail(), "loader")) << r.detail();
  EXPECT_TRUE(contains(r.detail(), path)) << r.detail();
}

TEST(SessionBoot, MissingDriverFailsCleanly) {
  ScopedEnv files("VK_DRIVER_FILES", "/nonexistent.json");
  ScopedEnv legacy("VK_ICD_FILENAMES", nullptr);
  ScopedEnv add("VK_ADD_DRIVER_FILES", nullptr);
  auto r = Session::boot(BootOptions{});
  ASSERT_FALSE(r.ok()) << "booted without a driver";
  std::printf("  boot failed as expected: %s\n", r.detail().c_str());
  EXPECT_EQ(r.code(), SessionError::Device);
  EXPECT_TRUE(contains(r.detail(), "driver") || contains(r.detail(), "device")) << r.detail();
}

TEST(SessionBoot, MissingDeviceIndexIsNamed) {
  BootOptions o;
  o.device = 99;
  auto r = Session::boot(o);
  ASSERT_FALSE(r.ok());
  std::printf("  boot failed as expected: %s\n", r.detail().c_str());
  EXPECT_EQ(r.code(), SessionError::Device);
  EXPECT_TRUE(contains(r.detail(), "device 99")) << r.detail();
}

TEST(SessionBoot, BadRingCapacityIsRejected) {
  for (uint32_t cap : {8u, 100u, 1000u}) {
    BootOptions o;
    o.ring_capacity = cap;
    auto r = Session::boot(o);
    ASSERT_FALSE(r.ok()) << "ring capacity " << cap << " accepted";
    EXPECT_EQ(r.code(), SessionError::BadArgument);
    EXPECT_TRUE(contains(r.detail(), std::to_string(cap))) << r.detail();
  }
}

// The default ring has room for a record from every lane beside a full
// ring's worth of multi-record claims (lib/ring.glsl's ring_reserve).
TEST(SessionBoot, DefaultRingHoldsTwiceTheLanes) {
  auto r = Session::boot(BootOptions{});
  ASSERT_TRUE(r.ok()) << r.detail();
  const SessionStatus st = r.value()->status();
  EXPECT_GE(st.ring_capacity, 1u << 16);
  EXPECT_GE(st.ring_capacity, 2 * st.lanes);
  EXPECT_EQ(st.ring_capacity & (st.ring_capacity - 1), 0u) << st.ring_capacity;
}

// After the failure-path tests, a normal boot must still work in this process
// (environment restored, nothing left half-initialised).
TEST(SessionBoot, BootsAgainAfterFailures) {
  {
    ScopedEnv env("GPUOS_VULKAN_LIBRARY", "/nonexistent/libvulkan.so.1");
    ASSERT_FALSE(Session::boot(BootOptions{}).ok());
  }
  BootOptions o;
  o.ring_capacity = 1024;
  auto r = Session::boot(o);
  ASSERT_TRUE(r.ok()) << r.detail();
  EXPECT_TRUE(r.value()->ping(2).ok());
}

// A process may boot sessions one after another (a test runner, a suite
// runner, a library user). Each boot creates and destroys a VkInstance.
TEST(SessionBoot, ManySessionsInOneProcess) {
  constexpr int boots = 40;
  for (int i = 0; i < boots; ++i) {
    BootOptions o;
    o.force_epoch = true;
    o.ring_capacity = 64;
    auto r = Session::boot(o);
    ASSERT_TRUE(r.ok()) << "boot " << i + 1 << " of " << boots << " failed: " << r.detail();
    ASSERT_TRUE(r.value()->ping(1).ok()) << "boot " << i + 1;
  }
}

}  // namespace
}  // namespace gpuos

int main(int argc, char** argv) { return gpuos::device_tests::device_test_main(argc, argv, "session tests"); }

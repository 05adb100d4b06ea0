// io::DebugLog: keep-N eviction, last(n), wait_from and close().
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "io/debug_ring.h"

namespace gpuos {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::vector<io::DebugRecord> make_records(uint64_t first_seq, size_t n, uint32_t len = 8) {
  std::vector<io::DebugRecord> v(n);
  for (size_t i = 0; i < n; ++i) {
    v[i].seq = first_seq + i;
    v[i].kind = abi::RECORD_U32;
    v[i].len = len;
    v[i].payload[0] = static_cast<uint32_t>(first_seq + i);
  }
  return v;
}

TEST(DebugLog, CountsEverythingKeepsTheNewestN) {
  io::DebugLog log(5);
  EXPECT_EQ(log.received(), 0u);
  EXPECT_EQ(log.next_seq(), 0u);
  EXPECT_TRUE(log.last(10).empty());

  log.append(make_records(0, 3, 4));
  log.append(make_records(3, 9, 10));  // 12 in total, 5 kept
  EXPECT_EQ(log.received(), 12u);
  EXPECT_EQ(log.received_bytes(), 3u * 4 + 9u * 10);
  EXPECT_EQ(log.next_seq(), 12u);

  const auto all = log.last(100);
  ASSERT_EQ(all.size(), 5u) << "only the newest `keep` records are kept";
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(all[i].seq, 7u + i) << "oldest first, the oldest evicted";
    EXPECT_EQ(all[i].payload[0], 7u + i);
  }
  const auto two = log.last(2);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].seq, 10u);
  EXPECT_EQ(two[1].seq, 11u);
  EXPECT_TRUE(log.last(0).empty());
}

TEST(DebugLog, EmptyAppendChangesNothing) {
  io::DebugLog log(4);
  log.append(make_records(0, 2));
  log.append({});
  EXPECT_EQ(log.received(), 2u);
  EXPECT_EQ(log.next_seq(), 2u);
}

TEST(DebugLog, KeepZeroCountsButKeepsNothing) {
  io::DebugLog log(0);
  log.append(make_records(0, 4, 3));
  EXPECT_EQ(log.received(), 4u);
  EXPECT_EQ(log.received_bytes(), 12u);
  EXPECT_EQ(log.next_seq(), 4u);
  EXPECT_TRUE(log.last(4).empty());
}

TEST(DebugLog, NextSeqFollowsGapsFromPads) {
  io::DebugLog log(8);
  // Pads never reach the log, so seqs may skip.
  auto a = make_records(0, 2);
  auto b = make_records(5, 1);
  log.append(a);
  log.append(b);
  EXPECT_EQ(log.next_seq(), 6u);
  const auto from3 = log.wait_from(3, 0ms);
  ASSERT_EQ(from3.size(), 1u);
  EXPECT_EQ(from3[0].seq, 5u);
}

TEST(DebugLog, WaitFromReturnsKeptRecordsAtOrAfter) {
  io::DebugLog log(100);
  log.append(make_records(0, 10));
  const auto got = log.wait_from(4, 10s);  // already there: no wait
  ASSERT_EQ(got.size(), 6u);
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].seq, 4u + i);
}

TEST(DebugLog, WaitFromTimesOutEmpty) {
  io::DebugLog log(100);
  log.append(make_records(0, 3));
  const auto t0 = Clock::now();
  const auto got = log.wait_from(3, 50ms);
  const auto waited = Clock::now() - t0;
  EXPECT_TRUE(got.empty());
  EXPECT_GE(waited, 49ms) << "wait_from must wait for the timeout when nothing arrives";
}

TEST(DebugLog, WaitFromWakesOnAppend) {
  io::DebugLog log(100);
  log.append(make_records(0, 3));
  auto waiter = std::async(std::launch::async, [&] { return log.wait_from(3, 30s); });
  std::this_thread::sleep_for(20ms);
  log.append(make_records(3, 2));
  ASSERT_EQ(waiter.wait_for(20s), std::future_status::ready) << "waiter was not woken by append";
  const auto got = waiter.get();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].seq, 3u);
  EXPECT_EQ(got[1].seq, 4u);
}

TEST(DebugLog, WaitFromEvictedRangeReturnsOnlyKept) {
  io::DebugLog log(3);
  log.append(make_records(0, 10));
  const auto got = log.wait_from(2, 0ms);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].seq, 7u);
}

TEST(DebugLog, CloseWakesWaitersForGood) {
  io::DebugLog log(100);
  auto waiter = std::async(std::launch::async, [&] { return log.wait_from(0, 30s); });
  std::this_thread::sleep_for(20ms);
  log.close();
  ASSERT_EQ(waiter.wait_for(20s), std::future_status::ready) << "close() did not wake the waiter";
  EXPECT_TRUE(waiter.get().empty());

  // After close, a wait returns at once instead of sleeping its timeout.
  auto later = std::async(std::launch::async, [&] { return log.wait_from(0, 30s); });
  ASSERT_EQ(later.wait_for(20s), std::future_status::ready) << "wait_from after close() blocked";
  EXPECT_TRUE(later.get().empty());
}

TEST(DebugLog, ConcurrentAppendersAndWaiter) {
  io::DebugLog log(1u << 20);
  constexpr int writers = 4, batches = 500, per_batch = 8;
  std::atomic<uint64_t> next{0};
  std::mutex order;  // seqs must grow across appends, as the single drain thread guarantees
  std::vector<std::thread> ts;
  for (int w = 0; w < writers; ++w) {
    ts.emplace_back([&] {
      for (int b = 0; b < batches; ++b) {
        std::lock_guard lock(order);
        log.append(make_records(next.fetch_add(per_batch), per_batch));
      }
    });
  }
  const uint64_t total = uint64_t(writers) * batches * per_batch;
  uint64_t from = 0, seen = 0;
  const auto deadline = Clock::now() + 30s;  // safety bound
  while (seen < total && Clock::now() < deadline) {
    for (const auto& r : log.wait_from(from, 100ms)) {
      ASSERT_EQ(r.seq, from) << "wait_from must return consecutive kept records";
      ++from;
      ++seen;
    }
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(seen, total);
  EXPECT_EQ(log.received(), total);
}

}  // namespace
}  // namespace gpuos

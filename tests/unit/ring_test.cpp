// Debug-ring protocol: the real io::RingConsumer against host producers that
// follow shaders/lib/ring.glsl exactly (tests/unit/host_ring.h).
//
// Not covered here: 32-bit position wrap. RingConsumer always starts at
// position 0 and has no way to start elsewhere, so reaching 2^32 would take
// 4.3 billion records (minutes of CPU); the session's ring never starts
// anywhere else either.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>
#include <vector>

#include "io/debug_ring.h"
#include "tests/unit/host_ring.h"

namespace gpuos {
namespace {

using testing::HostRing;
using testing::kPatternInv;
using testing::kPatternMul;

struct Collector {
  std::vector<io::DebugRecord> records;
  size_t batches = 0;
  io::RingConsumer::Sink sink() {
    return [this](std::span<const io::DebugRecord> b) {
      EXPECT_FALSE(b.empty()) << "sink called with an empty batch";
      ++batches;
      records.insert(records.end(), b.begin(), b.end());
    };
  }
};

io::RingConsumer make_consumer(HostRing& ring) {
  return io::RingConsumer(ring.records.data(), ring.ctrl->ring_capacity, &ring.ctrl->ring_consumed);
}

void expect_pattern(const io::DebugRecord& r, uint32_t index) {
  ASSERT_EQ(r.kind, abi::RECORD_PATTERN);
  ASSERT_EQ(r.len, abi::RING_PAYLOAD_WORDS * 4u);
  for (uint32_t j = 0; j < abi::RING_PAYLOAD_WORDS; ++j) {
    ASSERT_EQ(r.payload[j], index * kPatternMul + j) << "record seq " << r.seq << " word " << j;
  }
}

// Claims exactly one position (the ring must have room).
uint32_t claim_one(HostRing& ring) {
  uint32_t pos = 0;
  EXPECT_EQ(ring.try_claim(1, pos), 1u);
  return pos;
}

TEST(RingConsumer, DeliversRecordsInPositionOrder) {
  HostRing ring(64);
  auto consumer = make_consumer(ring);
  for (uint32_t i = 0; i < 10; ++i) {
    const uint32_t pos = claim_one(ring);
    ASSERT_EQ(pos, i);
    ring.write_pattern(pos, i, /*pid=*/7, /*lane=*/100 + i);
  }
  Collector c;
  EXPECT_EQ(consumer.drain(c.sink()), 10u);
  ASSERT_EQ(c.records.size(), 10u);
  for (uint32_t i = 0; i < 10; ++i) {
    EXPECT_EQ(c.records[i].seq, i);
    EXPECT_EQ(c.records[i].pid, 7u);
    EXPECT_EQ(c.records[i].lane, 100u + i);
    expect_pattern(c.records[i], i);
  }
  EXPECT_EQ(consumer.position(), 10u);
  EXPECT_EQ(consumer.pads(), 0u);
  EXPECT_EQ(ring.consumed(), 10u) << "drained slots must be handed back through ring_consumed";

  // Nothing new: no records, no sink call, ring_consumed unchanged.
  Collector again;
  EXPECT_EQ(consumer.drain(again.sink()), 0u);
  EXPECT_EQ(again.batches, 0u);
  EXPECT_EQ(ring.consumed(), 10u);
}

TEST(RingConsumer, TextRecordsAndLengthClamp) {
  HostRing ring(16);
  auto consumer = make_consumer(ring);
  ring.write_text(claim_one(ring), "hello ring", 10, 3, 9);
  // A length field larger than the payload must not read past it.
  const uint32_t pos = claim_one(ring);
  ring.write_text(pos, "x", 1);
  ring.records[ring.slot(pos)].kind_len = abi::RECORD_TEXT | (4000u << 16);
  Collector c;
  ASSERT_EQ(consumer.drain(c.sink()), 2u);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[0].kind, abi::RECORD_TEXT);
  EXPECT_EQ(c.records[0].len, 10u);
  EXPECT_EQ(c.records[0].text(), "hello ring");
  EXPECT_EQ(c.records[0].pid, 3u);
  EXPECT_EQ(c.records[0].lane, 9u);
  EXPECT_LE(c.records[1].len, abi::RING_PAYLOAD_WORDS * 4u);
  EXPECT_EQ(c.records[1].text().size(), abi::RING_TEXT_MAX);
}

TEST(RingConsumer, StopsAtFirstUncommittedSlot) {
  HostRing ring(16);
  auto consumer = make_consumer(ring);
  uint32_t pos = 0;
  ASSERT_EQ(ring.try_claim(3, pos), 3u);
  ring.write_pattern(pos + 0, 0);
  ring.write_pattern(pos + 2, 2);  // position 1 is claimed but not yet stamped
  Collector c;
  EXPECT_EQ(consumer.drain(c.sink()), 1u);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].seq, 0u);
  EXPECT_EQ(ring.consumed(), 1u) << "slot 1 is not drained, so it must not be handed back";

  ring.write_pattern(pos + 1, 1);
  EXPECT_EQ(consumer.drain(c.sink()), 2u);
  ASSERT_EQ(c.records.size(), 3u);
  for (uint32_t i = 0; i < 3; ++i) {
    EXPECT_EQ(c.records[i].seq, i);
    expect_pattern(c.records[i], i);
  }
  EXPECT_EQ(ring.consumed(), 3u);
}

TEST(RingConsumer, PadsAreSkippedCountedAndFreed) {
  HostRing ring(16);
  auto consumer = make_consumer(ring);
  uint32_t pos = 0;
  ASSERT_EQ(ring.try_claim(8, pos), 8u);
  for (uint32_t i = 0; i < 8; ++i) {
    if (i % 2 == 0) ring.write_pattern(pos + i, i);
    else ring.put_pad(pos + i, 5);
  }
  Collector c;
  EXPECT_EQ(consumer.drain(c.sink()), 8u) << "drain counts pads among the positions consumed";
  ASSERT_EQ(c.records.size(), 4u);
  for (uint32_t k = 0; k < 4; ++k) {
    EXPECT_EQ(c.records[k].seq, 2u * k);
    EXPECT_NE(c.records[k].kind, abi::RECORD_PAD);
    expect_pattern(c.records[k], 2u * k);
  }
  EXPECT_EQ(consumer.pads(), 4u);
  EXPECT_EQ(consumer.position(), 8u);
  EXPECT_EQ(ring.consumed(), 8u) << "pad slots must be freed like any other";
}

TEST(RingConsumer, PadOnlyDrainStillFreesSlots) {
  HostRing ring(16);
  auto consumer = make_consumer(ring);
  uint32_t pos = 0;
  ASSERT_EQ(ring.try_claim(4, pos), 4u);
  for (uint32_t i = 0; i < 4; ++i) ring.put_pad(pos + i, 0);
  Collector c;
  EXPECT_EQ(consumer.drain(c.sink()), 4u);
  EXPECT_EQ(c.batches, 0u) << "a batch of pads only is not handed to the sink";
  EXPECT_EQ(consumer.pads(), 4u);
  EXPECT_EQ(ring.consumed(), 4u);
}

TEST(RingConsumer, DrainHonoursMax) {
  HostRing ring(16);
  auto consumer = make_consumer(ring);
  uint32_t pos = 0;
  ASSERT_EQ(ring.try_claim(10, pos), 10u);
  for (uint32_t i = 0; i < 10; ++i) {
    if (i == 2) ring.put_pad(pos + i, 0);
    else ring.write_pattern(pos + i, i);
  }
  Collector c;
  EXPECT_EQ(consumer.drain(c.sink(), 3), 3u);
  EXPECT_EQ(c.records.size(), 2u);
  EXPECT_EQ(consumer.position(), 3u);
  EXPECT_EQ(ring.consumed(), 3u);
  EXPECT_EQ(consumer.drain(c.sink(), 100), 7u);
  ASSERT_EQ(c.records.size(), 9u);
  EXPECT_EQ(c.records.back().seq, 9u);
}

TEST(RingConsumer, LargeDrainIsBatchedInOrder) {
  HostRing ring(1024);
  auto consumer = make_consumer(ring);
  uint32_t pos = 0;
  ASSERT_EQ(ring.try_claim(1000, pos), 1000u);
  for (uint32_t i = 0; i < 1000; ++i) ring.write_pattern(pos + i, i);
  Collector c;
  EXPECT_EQ(consumer.drain(c.sink()), 1000u);
  ASSERT_EQ(c.records.size(), 1000u);
  EXPECT_GE(c.batches, 1u);
  for (uint32_t i = 0; i < 1000; ++i) {
    ASSERT_EQ(c.records[i].seq, i);
    expect_pattern(c.records[i], i);
  }
}

TEST(RingProtocol, FullRingBlocksProducersAndNothingIsOverwritten) {
  constexpr uint32_t cap = 16;
  HostRing ring(cap);
  auto consumer = make_consumer(ring);
  // Fill the ring in chunks of 4, as emit does.
  for (uint32_t i = 0; i < cap; i += 4) {
    uint32_t pos = 0;
    ASSERT_EQ(ring.try_claim(4, pos), 4u);
    ASSERT_EQ(pos, i);
    for (uint32_t k = 0; k < 4; ++k) ring.write_pattern(pos + k, pos + k);
  }
  uint32_t pos = 0;
  EXPECT_EQ(ring.try_claim(1, pos), 0u) << "a full ring must refuse a claim";
  EXPECT_EQ(ring.try_claim(4, pos), 0u);
  EXPECT_EQ(ring.head(), cap) << "a refused claim must not move ring_head";
  for (uint32_t s = 0; s < cap; ++s) EXPECT_EQ(ring.records[s].stamp, s + 1) << "slot " << s;

  // Drain 4: exactly 4 slots come free, no more.
  Collector c;
  EXPECT_EQ(consumer.drain(c.sink(), 4), 4u);
  EXPECT_EQ(ring.consumed(), 4u);
  ASSERT_EQ(ring.try_claim(8, pos), 4u) << "a claim must be bounded by ring_consumed + capacity";
  EXPECT_EQ(pos, cap);
  EXPECT_EQ(ring.try_claim(1, pos), 0u);
  for (uint32_t k = 0; k < 4; ++k) ring.write_pattern(cap + k, cap + k);
  // The new records landed in slots 0..3 only; 4..15 still hold the first lap.
  for (uint32_t s = 0; s < 4; ++s) EXPECT_EQ(ring.records[s].stamp, cap + s + 1);
  for (uint32_t s = 4; s < cap; ++s) EXPECT_EQ(ring.records[s].stamp, s + 1);

  EXPECT_EQ(consumer.drain(c.sink()), cap);
  ASSERT_EQ(c.records.size(), cap + 4);
  for (uint32_t i = 0; i < cap + 4; ++i) {
    ASSERT_EQ(c.records[i].seq, i);
    expect_pattern(c.records[i], i);
  }
}

TEST(RingProtocol, OlderOrNewerLapStampIsNotTaken) {
  constexpr uint32_t cap = 16;
  HostRing ring(cap);
  auto consumer = make_consumer(ring);
  uint32_t pos = 0;
  ASSERT_EQ(ring.try_claim(cap, pos), cap);
  for (uint32_t i = 0; i < cap; ++i) ring.write_pattern(i, i);
  Collector c;
  ASSERT_EQ(consumer.drain(c.sink()), cap);
  // Slot 0 still holds position 0 (stamp 1); the consumer now wants position 16.
  EXPECT_EQ(consumer.drain(c.sink()), 0u) << "a record from the previous lap must not be taken again";
  // A stamp from a lap ahead is not position 16 either.
  testing::store_release(ring.records[0].stamp, 2 * cap + 1);
  EXPECT_EQ(consumer.drain(c.sink()), 0u);
  testing::store_release(ring.records[0].stamp, 0);  // a zeroed slot
  EXPECT_EQ(consumer.drain(c.sink()), 0u);
  EXPECT_EQ(c.records.size(), cap);
  EXPECT_EQ(consumer.position(), cap);
}

TEST(RingProtocol, ManyLapsOfASmallRing) {
  constexpr uint32_t cap = 16;
  constexpr uint32_t total = 100000;  // 6,250 laps
  HostRing ring(cap);
  auto consumer = make_consumer(ring);
  std::mt19937 rng(12345);
  Collector c;
  uint32_t next_index = 0;
  uint64_t pads = 0;
  while (next_index < total) {
    // Produce a random burst: chunks of 1-4, sometimes more than fit.
    const int chunks = 1 + int(rng() % 6);
    for (int k = 0; k < chunks && next_index < total; ++k) {
      uint32_t pos = 0;
      const uint32_t got = ring.try_claim(1 + rng() % 4, pos);
      if (got == 0) break;  // full: drain first
      for (uint32_t i = 0; i < got; ++i) {
        // Like emit: a chunk may end with pads when the job has fewer left.
        if (next_index < total && rng() % 8 != 0) ring.write_pattern(pos + i, next_index++);
        else {
          ring.put_pad(pos + i, 0);
          ++pads;
        }
      }
    }
    consumer.drain(c.sink(), 1 + rng() % cap);
  }
  while (consumer.drain(c.sink()) != 0) {
  }
  ASSERT_EQ(c.records.size(), total);
  uint64_t prev = 0;
  for (uint32_t i = 0; i < total; ++i) {
    if (i) {
      ASSERT_GT(c.records[i].seq, prev);
    }
    prev = c.records[i].seq;
    expect_pattern(c.records[i], i);
  }
  EXPECT_EQ(consumer.pads(), pads);
  EXPECT_EQ(consumer.position(), total + pads);
  EXPECT_EQ(consumer.position(), ring.head());
  EXPECT_EQ(ring.consumed(), ring.head());
}

// Several producer threads (like lanes) and one consumer thread: every record
// arrives exactly once, intact, and each producer's records in its order.
class RingConcurrency : public ::testing::TestWithParam<uint32_t> {};

TEST_P(RingConcurrency, EveryRecordExactlyOnce) {
  const uint32_t cap = GetParam();
  constexpr uint32_t producers = 4;
  constexpr uint32_t per_producer = 20000;
  HostRing ring(cap);
  auto consumer = make_consumer(ring);

  std::atomic<bool> go{false};
  std::atomic<bool> give_up{false};  // set by the consumer at its safety deadline
  std::atomic<uint64_t> pads_written{0};
  std::vector<std::thread> threads;
  for (uint32_t p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      while (!go.load()) std::this_thread::yield();
      std::mt19937 rng(p);
      uint32_t i = 0;
      uint64_t my_pads = 0;
      while (i < per_producer && !give_up.load()) {
        uint32_t pos = 0;
        const uint32_t got = ring.try_claim(1 + rng() % 4, pos);
        if (got == 0) {
          std::this_thread::yield();  // full or contended: retry later, never drop
          continue;
        }
        for (uint32_t k = 0; k < got; ++k) {
          if (i < per_producer) {
            // pid = producer + 1; payload: (i, p, then the pattern of i ^ p << 24)
            abi::RingRecord& r = ring.records[ring.slot(pos + k)];
            const uint32_t tag = i ^ (p << 24);
            r.payload[0] = i;
            r.payload[1] = p;
            for (uint32_t j = 2; j < abi::RING_PAYLOAD_WORDS; ++j) r.payload[j] = tag * kPatternMul + j;
            ring.commit(pos + k, p + 1, p, abi::RECORD_U32, abi::RING_PAYLOAD_WORDS * 4u);
            ++i;
          } else {
            ring.put_pad(pos + k, p);
            ++my_pads;
          }
        }
      }
      pads_written += my_pads;
    });
  }

  std::vector<io::DebugRecord> got;
  got.reserve(producers * per_producer);
  std::thread consumer_thread([&] {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);  // safety bound
    auto sink = [&](std::span<const io::DebugRecord> b) { got.insert(got.end(), b.begin(), b.end()); };
    while (got.size() < producers * per_producer && std::chrono::steady_clock::now() < deadline) {
      if (consumer.drain(sink, 1 + got.size() % 37) == 0) std::this_thread::yield();
    }
    if (got.size() < producers * per_producer) give_up = true;
  });
  go = true;
  for (auto& t : threads) t.join();
  consumer_thread.join();
  // Anything left (pads after the last record) drains now.
  consumer.drain([&](std::span<const io::DebugRecord> b) { got.insert(got.end(), b.begin(), b.end()); });

  ASSERT_EQ(got.size(), size_t(producers) * per_producer);
  std::vector<std::vector<uint8_t>> seen(producers, std::vector<uint8_t>(per_producer, 0));
  std::vector<int64_t> last_i(producers, -1);
  uint64_t prev_seq = 0;
  for (size_t n = 0; n < got.size(); ++n) {
    const io::DebugRecord& r = got[n];
    if (n) {
      ASSERT_GT(r.seq, prev_seq) << "positions must be delivered in order";
    }
    prev_seq = r.seq;
    ASSERT_EQ(r.kind, abi::RECORD_U32);
    const uint32_t p = r.payload[1];
    const uint32_t i = r.payload[0];
    ASSERT_LT(p, producers);
    ASSERT_LT(i, per_producer);
    ASSERT_EQ(r.pid, p + 1);
    ASSERT_EQ(r.lane, p);
    const uint32_t tag = i ^ (p << 24);
    for (uint32_t j = 2; j < abi::RING_PAYLOAD_WORDS; ++j) {
      ASSERT_EQ(r.payload[j], tag * kPatternMul + j) << "torn record at seq " << r.seq;
    }
    ASSERT_EQ(seen[p][i], 0) << "producer " << p << " record " << i << " delivered twice";
    seen[p][i] = 1;
    ASSERT_GT(int64_t(i), last_i[p]) << "producer " << p << "'s records out of order";
    last_i[p] = i;
  }
  EXPECT_EQ(consumer.pads(), pads_written.load());
  EXPECT_EQ(consumer.position(), uint64_t(producers) * per_producer + pads_written.load());
  EXPECT_EQ(consumer.position(), ring.head());
  EXPECT_EQ(ring.consumed(), ring.head());
}

INSTANTIATE_TEST_SUITE_P(Capacities, RingConcurrency, ::testing::Values(16u, 256u),
                         [](const auto& info) { return "cap" + std::to_string(info.param); });

TEST(RingRecordKinds, Names) {
  EXPECT_STREQ(io::record_kind_name(abi::RECORD_PAD), "pad");
  EXPECT_STREQ(io::record_kind_name(abi::RECORD_TEXT), "text");
  EXPECT_STREQ(io::record_kind_name(abi::RECORD_PATTERN), "pattern");
  EXPECT_STREQ(io::record_kind_name(abi::RECORD_U32), "u32");
  EXPECT_STREQ(io::record_kind_name(abi::RECORD_EXIT), "exit");
  EXPECT_STREQ(io::record_kind_name(0xFFFF), "unknown");
}

TEST(PatternInverse, RecoversIndex) {
  for (uint32_t i : {0u, 1u, 2u, 49999u, 0x7FFFFFFFu, 0xFFFFFFFFu}) EXPECT_EQ(i * kPatternMul * kPatternInv, i);
}

}  // namespace
}  // namespace gpuos

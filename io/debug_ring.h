// Debug ring, host side: the single consumer of the records that kernel lanes
// produce (the producer side is shaders/lib/ring.glsl; docs/ring.md has the
// whole protocol), and the log that keeps the newest records for `tail`.
//
// Nothing is lost silently: a record is either drained here, in position
// order, or counted in ControlBlock::ring_drops by the producer that gave up.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <span>
#include <string_view>
#include <vector>

#include "shaders/abi.h"

namespace gpuos::io {

// One record as the host keeps it: the ring position widened to 64 bits.
struct DebugRecord {
  uint64_t seq = 0;  // ring position; consecutive over every record the ring ever held
  uint32_t pid = 0;
  uint32_t lane = 0;
  uint32_t kind = 0;  // abi::RECORD_*
  uint32_t len = 0;   // payload bytes
  std::array<uint32_t, abi::RING_PAYLOAD_WORDS> payload{};

  std::string_view text() const {
    return {reinterpret_cast<const char*>(payload.data()), len <= abi::RING_TEXT_MAX ? len : abi::RING_TEXT_MAX};
  }
};

const char* record_kind_name(uint32_t kind);

class RingConsumer {
 public:
  // `records`: the ring (capacity a power of two); `consumed`: the control
  // block's ring_consumed, which tells producers which slots are free again.
  RingConsumer(abi::RingRecord* records, uint32_t capacity, uint32_t* consumed);

  using Sink = std::function<void(std::span<const DebugRecord>)>;
  // Takes up to `max` records that are ready, in position order, hands the
  // non-pad ones to `sink` in batches, and frees their slots. Returns how
  // many positions it consumed (pads included).
  size_t drain(const Sink& sink, size_t max = SIZE_MAX);

  uint64_t position() const { return position_; }  // next position to take
  uint64_t pads() const { return pads_; }

  // lavapipe only: llvmpipe can lose a successful ring claim under
  // contention (the producer sees its CAS fail, claims again elsewhere and
  // never writes the first slot; docs/platform.md 2g), which would stop the
  // in-order drain for good. With a timeout set, a slot that stays unwritten
  // that long while the slot after it is ready is skipped and counted in
  // lost(). 0 (the default): never skip.
  void set_lost_claim_timeout(std::chrono::milliseconds t) { lost_claim_timeout_ = t; }
  uint64_t lost() const { return lost_.load(); }

 private:
  bool skip_lost_claim();

  abi::RingRecord* records_;
  uint32_t capacity_;
  uint32_t* consumed_;
  uint64_t position_ = 0;
  uint64_t pads_ = 0;
  std::vector<DebugRecord> batch_;
  std::chrono::milliseconds lost_claim_timeout_{0};
  std::chrono::steady_clock::time_point stuck_since_{};
  uint64_t stuck_at_ = UINT64_MAX;  // the position stuck_since_ refers to
  std::atomic<uint64_t> lost_{0};
};

// The newest `keep` records, plus totals; `tail -f` waits on it.
class DebugLog {
 public:
  explicit DebugLog(size_t keep) : keep_(keep) {}

  void append(std::span<const DebugRecord> batch);
  // The newest `n` records still kept.
  std::vector<DebugRecord> last(size_t n) const;
  // Records with seq >= `from` (kept ones only), waiting up to `timeout` for
  // the first. Returns empty on timeout or when closed.
  std::vector<DebugRecord> wait_from(uint64_t from, std::chrono::milliseconds timeout) const;
  void close();  // wakes every waiter for good (session ending)

  uint64_t received() const;        // records appended in total
  uint64_t received_bytes() const;  // their payload bytes
  uint64_t next_seq() const;        // seq after the newest record seen

 private:
  size_t keep_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::deque<DebugRecord> kept_;
  uint64_t received_ = 0;
  uint64_t received_bytes_ = 0;
  uint64_t next_seq_ = 0;
  bool closed_ = false;
};

}  // namespace gpuos::io

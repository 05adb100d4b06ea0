// A host-side model of the kernel's debug-ring producer (shaders/lib/ring.glsl
// and the pattern writer of shaders/lib/emit.glsl), line for line, so that the
// real io::RingConsumer can be tested without a GPU.
//
// The GLSL macros map to C++ atomics on the same fields:
//   LOAD_RELAXED / LOAD_ACQUIRE   -> atomic_ref load (relaxed / acquire)
//   atomicCompSwap                -> atomic_ref compare_exchange_strong
//   STORE_RELEASE(stamp, pos + 1) -> atomic_ref store (release), written last
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "shaders/abi.h"

namespace gpuos::testing {

inline uint32_t load_relaxed(uint32_t& v) { return std::atomic_ref<uint32_t>(v).load(std::memory_order_relaxed); }
inline uint32_t load_acquire(uint32_t& v) { return std::atomic_ref<uint32_t>(v).load(std::memory_order_acquire); }
inline void store_release(uint32_t& v, uint32_t x) { std::atomic_ref<uint32_t>(v).store(x, std::memory_order_release); }
inline void store_relaxed(uint32_t& v, uint32_t x) { std::atomic_ref<uint32_t>(v).store(x, std::memory_order_relaxed); }
inline uint32_t cas(uint32_t& v, uint32_t expected, uint32_t desired) {
  std::atomic_ref<uint32_t>(v).compare_exchange_strong(expected, desired, std::memory_order_acq_rel,
                                                       std::memory_order_relaxed);
  return expected;  // like atomicCompSwap: the value found
}

constexpr uint32_t kPatternMul = 0x9E3779B1u;
// Multiplicative inverse of kPatternMul mod 2^32: index = payload[0] * kPatternInv.
constexpr uint32_t pattern_inverse() {
  uint32_t x = kPatternMul;  // Newton: x = x * (2 - a x), doubling correct bits
  for (int i = 0; i < 5; ++i) x *= 2u - kPatternMul * x;
  return x;
}
constexpr uint32_t kPatternInv = pattern_inverse();
static_assert(kPatternMul * kPatternInv == 1u);

// A heap control block and ring, zeroed as the session zeroes fresh memory.
struct HostRing {
  explicit HostRing(uint32_t capacity) : ctrl(std::make_unique<abi::ControlBlock>()), records(capacity) {
    std::memset(ctrl.get(), 0, sizeof(abi::ControlBlock));
    std::memset(records.data(), 0, records.size() * sizeof(abi::RingRecord));
    ctrl->magic = abi::ABI_MAGIC;
    ctrl->abi_version = abi::ABI_VERSION;
    ctrl->ring_capacity = capacity;
  }
  std::unique_ptr<abi::ControlBlock> ctrl;
  std::vector<abi::RingRecord> records;

  // ring.glsl: ring_try_claim. Returns how many positions (0: full or heavy
  // contention), the first in `pos`.
  uint32_t try_claim(uint32_t want, uint32_t& pos) {
    const uint32_t cap = ctrl->ring_capacity;
    uint32_t claimed = 0, first = 0;
    for (uint32_t attempt = 0; attempt < 8u && claimed == 0u; ++attempt) {
      const uint32_t head = load_relaxed(ctrl->ring_head);
      const uint32_t used = head - load_acquire(ctrl->ring_consumed);
      if (used >= cap) break;  // full
      const uint32_t n = std::min(want, cap - used);
      if (cas(ctrl->ring_head, head, head + n) == head) {
        claimed = n;
        first = head;
      }
    }
    pos = first;
    return claimed;
  }

  uint32_t slot(uint32_t pos) const { return pos & (ctrl->ring_capacity - 1u); }

  // ring.glsl: ring_commit. The caller wrote the payload already.
  void commit(uint32_t pos, uint32_t pid, uint32_t lane, uint32_t kind, uint32_t len) {
    abi::RingRecord& r = records[slot(pos)];
    r.pid = pid;
    r.lane = lane;
    r.kind_len = (kind & 0xFFFFu) | (len << 16);
    store_release(r.stamp, pos + 1u);
  }
  void put_pad(uint32_t pos, uint32_t lane) { commit(pos, 0, lane, abi::RECORD_PAD, 0); }

  // emit.glsl: emit_write_pattern.
  void write_pattern(uint32_t pos, uint32_t index, uint32_t pid = 0, uint32_t lane = 0) {
    abi::RingRecord& r = records[slot(pos)];
    const uint32_t base = index * kPatternMul;
    for (uint32_t j = 0; j < abi::RING_PAYLOAD_WORDS; ++j) r.payload[j] = base + j;
    commit(pos, pid, lane, abi::RECORD_PATTERN, abi::RING_PAYLOAD_WORDS * 4u);
  }

  // Writes `text` (up to RING_TEXT_MAX bytes) as a TEXT record.
  void write_text(uint32_t pos, const char* text, uint32_t len, uint32_t pid = 0, uint32_t lane = 0) {
    abi::RingRecord& r = records[slot(pos)];
    std::memset(r.payload, 0, sizeof(r.payload));
    std::memcpy(r.payload, text, std::min<uint32_t>(len, abi::RING_TEXT_MAX));
    commit(pos, pid, lane, abi::RECORD_TEXT, len);
  }

  uint32_t head() { return load_acquire(ctrl->ring_head); }
  uint32_t consumed() { return load_acquire(ctrl->ring_consumed); }
};

}  // namespace gpuos::testing

#include "io/debug_ring.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

#include "kernel/host_sync.h"

namespace gpuos::io {

const char* record_kind_name(uint32_t kind) {
  switch (kind) {
    case abi::RECORD_PAD: return "pad";
    case abi::RECORD_TEXT: return "text";
    case abi::RECORD_PATTERN: return "pattern";
    case abi::RECORD_U32: return "u32";
    case abi::RECORD_EXIT: return "exit";
    case abi::RECORD_REQUEST: return "request";
    case abi::RECORD_STDOUT: return "stdout";
    case abi::RECORD_STDERR: return "stderr";
    default: return "unknown";
  }
}

RingConsumer::RingConsumer(abi::RingRecord* records, uint32_t capacity, uint32_t* consumed)
    : records_(records), capacity_(capacity), consumed_(consumed) {
  batch_.reserve(256);
}

// The slot at position_ is not ready. True when it is to be skipped as a
// lost claim (set_lost_claim_timeout): the slot after it is ready, and this
// one has stayed unwritten for the whole timeout.
bool RingConsumer::skip_lost_claim() {
  if (lost_claim_timeout_.count() == 0) return false;
  const abi::RingRecord& next = records_[(position_ + 1) & (capacity_ - 1)];
  if (host_load_acquire(next.stamp) != static_cast<uint32_t>(position_ + 2)) {
    stuck_at_ = UINT64_MAX;
    return false;
  }
  const auto now = std::chrono::steady_clock::now();
  if (stuck_at_ != position_) {
    stuck_at_ = position_;
    stuck_since_ = now;
    return false;
  }
  if (now - stuck_since_ < lost_claim_timeout_) return false;
  spdlog::error("debug ring: position {} was claimed but never written for {} ms while later records arrived; "
                "skipped as a lost claim (llvmpipe, docs/platform.md 2g)",
                position_, lost_claim_timeout_.count());
  ++lost_;
  ++position_;
  stuck_at_ = UINT64_MAX;
  return true;
}

size_t RingConsumer::drain(const Sink& sink, size_t max) {
  size_t taken = 0;
  batch_.clear();
  while (taken < max) {
    abi::RingRecord& slot = records_[position_ & (capacity_ - 1)];
    // Acquire: the payload the producer wrote before its release-store of
    // the stamp is visible once the stamp is.
    if (host_load_acquire(slot.stamp) != static_cast<uint32_t>(position_ + 1)) {
      if (!skip_lost_claim()) break;
      ++taken;
      continue;
    }
    const uint32_t kind = slot.kind_len & 0xFFFFu;
    if (kind == abi::RECORD_PAD) {
      ++pads_;
    } else {
      DebugRecord& r = batch_.emplace_back();
      r.seq = position_;
      r.pid = slot.pid;
      r.lane = slot.lane;
      r.kind = kind;
      r.len = std::min<uint32_t>(slot.kind_len >> 16, abi::RING_PAYLOAD_WORDS * 4u);
      std::memcpy(r.payload.data(), slot.payload, sizeof(slot.payload));
      if (batch_.size() == batch_.capacity()) {
        sink(batch_);
        batch_.clear();
      }
    }
    ++position_;
    ++taken;
  }
  if (!batch_.empty()) sink(batch_);
  // Free the slots only after they were copied out.
  if (taken) host_publish(*consumed_, static_cast<uint32_t>(position_));
  return taken;
}

void DebugLog::append(std::span<const DebugRecord> batch) {
  if (batch.empty()) return;
  {
    std::lock_guard lock(mu_);
    for (const DebugRecord& r : batch) {
      received_bytes_ += r.len;
      if (keep_ == 0) continue;
      if (kept_.size() == keep_) kept_.pop_front();
      kept_.push_back(r);
    }
    received_ += batch.size();
    next_seq_ = batch.back().seq + 1;
  }
  cv_.notify_all();
}

std::vector<DebugRecord> DebugLog::last(size_t n) const {
  std::lock_guard lock(mu_);
  n = std::min(n, kept_.size());
  return {kept_.end() - static_cast<std::ptrdiff_t>(n), kept_.end()};
}

std::vector<DebugRecord> DebugLog::wait_from(uint64_t from, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return closed_ || next_seq_ > from; });
  std::vector<DebugRecord> out;
  for (const DebugRecord& r : kept_) {
    if (r.seq >= from) out.push_back(r);
  }
  return out;
}

void DebugLog::close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

uint64_t DebugLog::received() const {
  std::lock_guard lock(mu_);
  return received_;
}
uint64_t DebugLog::received_bytes() const {
  std::lock_guard lock(mu_);
  return received_bytes_;
}
uint64_t DebugLog::next_seq() const {
  std::lock_guard lock(mu_);
  return next_seq_;
}

}  // namespace gpuos::io

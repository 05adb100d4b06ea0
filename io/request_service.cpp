// request_service.cpp: RequestService (request_service.h).
#include "io/request_service.h"

#include <atomic>
#include <chrono>
#include <cstring>

#include <spdlog/spdlog.h>

#include "io/wasi_abi.h"
#include "kernel/host_sync.h"

namespace gpuos::io {

namespace {

uint32_t load_acquire(const uint32_t& v) { return host_load_acquire(v); }

constexpr uint32_t kSlotWords = sizeof(abi::IoSlot) / 4;

}  // namespace

RequestService::RequestService(IoBufferView io, WasiHost& wasi, std::function<void()> on_completion)
    : io_(io),
      wasi_(wasi),
      on_completion_(std::move(on_completion)),
      comp_head_(io.header->comp_head),
      slots_(io.header->slots),
      comp_capacity_(io.header->comp_capacity),
      slots_off_(io.header->slots_off),
      data_off_(io.header->data_off),
      proc_off_(io.header->proc_off),
      table_size_(io.header->table_size) {
  thread_ = std::thread([this] { loop(); });
}

RequestService::~RequestService() {
  stop();
  closed_ = true;
}

void RequestService::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RequestService::post(const DebugRecord& r) {
  received_ += r.kind == abi::RECORD_REQUEST ? 1 : 0;
  {
    std::lock_guard lock(mu_);
    queue_.push_back(r);
  }
  cv_.notify_one();
}

void RequestService::exited(uint32_t pid) {
  DebugRecord r;
  r.kind = abi::RECORD_EXIT;
  r.pid = pid;
  post(r);
}

bool RequestService::completions_pending() const {
  return load_acquire(io_.header->comp_head) != load_acquire(io_.header->comp_tail);  // rare: the idle check
}

Request RequestService::decode(const DebugRecord& r) const {
  Request q;
  q.pid = r.pid;
  q.key = r.payload[abi::RQ_KEY];
  q.opcode = r.payload[abi::RQ_OPCODE];
  for (uint32_t k = 0; k < abi::RQ_MAX_ARGS; ++k) {
    q.args[k] = uint64_t{r.payload[abi::RQ_ARGS + 2 * k]} | (uint64_t{r.payload[abi::RQ_ARGS + 2 * k + 1]} << 32);
  }
  const uint32_t rs = r.payload[abi::RQ_SLOT];
  const uint32_t len = std::min<uint32_t>(r.payload[abi::RQ_OUT_LEN], abi::IO_DATA_BYTES);
  // The slot's data area is the host's until it replies: copy the out-data
  // out of it before the reply overwrites it.
  const auto* data = reinterpret_cast<const uint8_t*>(io_.words + data_off_ + size_t{rs} * abi::IO_DATA_WORDS);
  q.out.assign(data, data + len);
  return q;
}

void RequestService::loop() {
  for (;;) {
    DebugRecord r;
    {
      std::unique_lock lock(mu_);
      for (;;) {
        if (stopping_) return;
        // Wakes that found no free wake slot: look again shortly (the
        // kernel frees one as it takes each wake).
        const bool stuck = !flush_wakes();
        if (!queue_.empty()) break;
        if (stuck) {
          cv_.wait_for(lock, std::chrono::milliseconds(1));
        } else {
          cv_.wait(lock, [&] { return stopping_ || !queue_.empty() || !wakes_.empty(); });
        }
      }
      r = queue_.front();
      queue_.pop_front();
    }
    if (r.kind == abi::RECORD_EXIT) {
      wasi_.exited(r.pid);
      continue;
    }
    const uint32_t rs = r.payload[abi::RQ_SLOT];
    if (rs >= slots_) {
      spdlog::error("request from pid {} names slot {} of {}: dropped", r.pid, rs, slots_);
      continue;
    }
    const uint32_t pid = r.pid;
    wasi_.serve(
        decode(r), [this, rs](Reply reply) { complete(rs, reply); }, [this, pid] { wake(pid); });
  }
}

void RequestService::wake(uint32_t pid) {
  if (closed_) return;
  {
    std::lock_guard lock(mu_);
    wakes_.push_back(pid);
  }
  cv_.notify_one();
}

bool RequestService::flush_wakes() {
  while (!wakes_.empty() && !closed_) {
    // A wake slot the kernel gave back (FREE): the taker frees it after it
    // read the pid. The acquire load orders that read before the pid's
    // store below. A read across PCIe on a GPU, but only once per sleep.
    uint32_t ws = slots_;
    for (uint32_t k = 0; k < slots_; ++k) {
      const uint32_t w = slots_ + (wake_next_ + k) % slots_;
      uint32_t* slot = io_.words + slots_off_ + w * kSlotWords;
      if (load_acquire(slot[offsetof(abi::IoSlot, state) / 4]) == abi::IOS_FREE) {
        ws = w;
        wake_next_ = (w - slots_ + 1) % slots_;
        break;
      }
    }
    if (ws == slots_) return false;
    uint32_t* slot = io_.words + slots_off_ + ws * kSlotWords;
    slot[offsetof(abi::IoSlot, pid) / 4] = wakes_.front();
    std::atomic_ref<uint32_t>(slot[offsetof(abi::IoSlot, state) / 4]).store(abi::IOS_SUBMITTED, std::memory_order_relaxed);
    wakes_.pop_front();
    publish(std::span<const uint32_t>(&ws, 1), 0);  // its fence puts the pid and state before the entry
  }
  return true;
}

void RequestService::output_failed(uint32_t pid, bool is_stderr, int linux_errno) {
  if (pid == 0 || table_size_ == 0) return;
  uint32_t* w = io_.words + proc_off_ + size_t{(pid - 1) % table_size_} * abi::IOP_WORDS;
  const uint32_t e = wasi::errno_from_linux(linux_errno);
  // The other stream's errno stays (a read back, on failures only).
  uint32_t err = load_acquire(w[abi::IOP_OUT_PID]) == pid ? w[abi::IOP_OUT_ERR] : 0;
  const uint32_t shift = is_stderr ? 16 : 0;
  if (((err >> shift) & 0xffff) == e) return;
  err = (err & ~(0xffffu << shift)) | (e << shift);
  std::atomic_ref<uint32_t>(w[abi::IOP_OUT_ERR]).store(err, std::memory_order_relaxed);
  // The errno before the pid that validates it (host_sync.h: a fence, then
  // the store, so it holds on write-combined BAR memory too).
  host_publish(w[abi::IOP_OUT_PID], pid);
}

void RequestService::write_reply(uint32_t rs, const Reply& reply) {
  const std::vector<uint32_t>& w = reply.words();
  uint32_t* slot = io_.words + slots_off_ + rs * kSlotWords;
  uint32_t* data = io_.words + data_off_ + size_t{rs} * abi::IO_DATA_WORDS;
  uint32_t result = reply.result | (reply.park ? abi::IO_RESULT_PARK : 0u);
  size_t words = w.size();
  if (words > abi::IO_DATA_WORDS) {  // a bug in a call's size caps: fail the call, never overrun
    spdlog::error("reply of {} bytes does not fit a request slot: the call fails with EIO", words * 4);
    result = 29;  // EIO
    words = 0;
  }
  if (words) std::memcpy(data, w.data(), words * 4);
  slot[offsetof(abi::IoSlot, result) / 4] = result;
  slot[offsetof(abi::IoSlot, reply_len) / 4] = static_cast<uint32_t>(words * 4);
}

void RequestService::publish(std::span<const uint32_t> slots, uint32_t flags) {
  if (slots.empty()) return;
  const uint32_t capacity = comp_capacity_;
  {
    std::lock_guard lock(publish_mu_);
    // On a GPU the io buffer is write-combined BAR memory, whose stores
    // leave the CPU in any order: a full fence (host_sync.h) puts the
    // replies before the entries, and host_publish the entries before the
    // head. An entry seen early is harmless (its stamp names its position,
    // abi_io.h); a reply seen after its entry would not be. Empty replies
    // wrote nothing to put first.
    if (flags != abi::IO_COMP_EMPTY) std::atomic_thread_fence(std::memory_order_seq_cst);
    for (const uint32_t rs : slots) {
      std::atomic_ref<uint32_t>(io_.words[comp_head_ & (capacity - 1)])
          .store(abi::io_comp_entry(comp_head_, capacity, rs | flags), std::memory_order_relaxed);
      ++comp_head_;
    }
    host_publish(io_.header->comp_head, comp_head_);
  }
  served_ += slots.size();
  if (on_completion_) on_completion_();
}

void RequestService::complete(uint32_t rs, const Reply& reply) {
  if (closed_) return;
  write_reply(rs, reply);
  publish(std::span<const uint32_t>(&rs, 1), 0);
}

void RequestService::complete_empty(std::span<const uint32_t> slots) {
  if (closed_) return;
  // A slot out of range would name another slot, or set the flag twice.
  std::vector<uint32_t> valid;
  valid.reserve(slots.size());
  for (const uint32_t rs : slots) {
    if (rs < slots_) {
      valid.push_back(rs);
    } else {
      spdlog::error("null request names slot {} of {}: dropped", rs, slots_);
    }
  }
  publish(valid, abi::IO_COMP_EMPTY);
}

}  // namespace gpuos::io

// request_service.h: the host end of the request path (shaders/abi_io.h).
// The session's drain thread hands it each RECORD_REQUEST; its own thread
// reads the request's out-data from the slot, has WasiHost serve it, and
// when the reply is ready (at once, or when the IoBackend completes it)
// writes the reply into the slot and publishes the slot on the completion
// ring, so a kernel lane wakes the process. The kernel keeps running
// meanwhile, and no lane waits for the host.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <span>
#include <thread>

#include "io/debug_ring.h"
#include "io/wasi_host.h"
#include "shaders/abi.h"

namespace gpuos::io {

// The io buffer as mapped on the host: its header and the words after it.
struct IoBufferView {
  abi::IoHeader* header = nullptr;
  uint32_t* words = nullptr;
};

class RequestService {
 public:
  // `on_completion` runs after each published completion (the session
  // relaunches an idle kernel with it).
  RequestService(IoBufferView io, WasiHost& wasi, std::function<void()> on_completion);
  ~RequestService();  // stop()s
  // Stops taking requests (joins the thread). Replies of operations still in
  // flight are still published: stop, destroy the backend, then this.
  void stop();
  RequestService(const RequestService&) = delete;
  RequestService& operator=(const RequestService&) = delete;

  void post(const DebugRecord& r);  // a RECORD_REQUEST
  void exited(uint32_t pid);        // after the pid's last request, in ring order

  // The host could not write output of `pid` to its sink (`linux_errno`):
  // its later writes to that stream (fd 2 if `is_stderr`, else fd 1) fail
  // with the errno (abi_io.h: IOP_OUT_*). Drain thread only.
  void output_failed(uint32_t pid, bool is_stderr, int linux_errno);

  uint64_t served() const { return served_.load(); }       // replies published
  uint64_t received() const { return received_.load(); }   // requests posted to it
  // Completions published and not yet taken by the kernel.
  bool completions_pending() const;

  // Writes a reply into slot `rs` and publishes it (any thread).
  void complete(uint32_t rs, const Reply& reply);
  // Replies "done, nothing to write" to each slot of `slots` and publishes
  // them together, with one head update (the null call's batch). Nothing is
  // written into the slots: the entries carry IO_COMP_EMPTY (abi_io.h).
  void complete_empty(std::span<const uint32_t> slots);

 private:
  void loop();
  Request decode(const DebugRecord& r) const;
  // Writes the reply into the slot's header and data area (not yet published).
  void write_reply(uint32_t rs, const Reply& reply);
  // Pushes the slots, whose replies are written (or, with `flags` =
  // IO_COMP_EMPTY, empty), onto the completion ring.
  void publish(std::span<const uint32_t> slots, uint32_t flags);
  // A parked sleeper's sleep ended: queue its wake (any thread).
  void wake(uint32_t pid);
  // Publishes queued wakes while wake slots are free (under mu_); false
  // when some wait for a wake slot the kernel has still to give back.
  bool flush_wakes();

  IoBufferView io_;
  WasiHost& wasi_;
  std::function<void()> on_completion_;
  std::mutex mu_;  // queue_, stopping_
  std::condition_variable cv_;
  std::deque<DebugRecord> queue_;  // requests, and exits (kind RECORD_EXIT)
  std::deque<uint32_t> wakes_;     // pids whose sleep ended, not yet published
  uint32_t wake_next_ = 0;         // the wake slot to try first (round robin)
  bool stopping_ = false;
  std::mutex publish_mu_;  // comp_head_
  // The completion ring's head. Only the host writes it, so the host keeps
  // its own copy and never reads the io buffer back: on a GPU that is a
  // read across PCIe (about a microsecond), in the path of every call.
  uint32_t comp_head_ = 0;
  // The io buffer's layout, copied from its header at construction (the
  // host wrote it at boot and it never changes). Every field read from the
  // header itself would be a read across PCIe: two of them per completion
  // held the request path at about 415,000 calls a second on an H100.
  uint32_t slots_ = 0, comp_capacity_ = 0, slots_off_ = 0, data_off_ = 0, proc_off_ = 0, table_size_ = 0;
  std::atomic<bool> closed_{false};
  std::atomic<uint64_t> served_{0}, received_{0};
  std::thread thread_;
};

}  // namespace gpuos::io

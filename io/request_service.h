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

  uint64_t served() const { return served_.load(); }       // replies published
  uint64_t received() const { return received_.load(); }   // requests posted to it
  // Completions published and not yet taken by the kernel.
  bool completions_pending() const;

  // Writes a reply into slot `rs` and publishes it (any thread).
  void complete(uint32_t rs, const Reply& reply);

 private:
  void loop();
  Request decode(const DebugRecord& r) const;

  IoBufferView io_;
  WasiHost& wasi_;
  std::function<void()> on_completion_;
  std::mutex mu_;  // queue_, stopping_
  std::condition_variable cv_;
  std::deque<DebugRecord> queue_;  // requests, and exits (kind RECORD_EXIT)
  bool stopping_ = false;
  std::mutex publish_mu_;  // the completion ring's head
  std::atomic<bool> closed_{false};
  std::atomic<uint64_t> served_{0}, received_{0};
  std::thread thread_;
};

}  // namespace gpuos::io

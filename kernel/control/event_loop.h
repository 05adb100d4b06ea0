// The control server's event loop (internal to kernel/control).
//
// One thread runs epoll over the listening socket, every connection and an
// eventfd that workers ring when a verb is done. A connection is a buffer in,
// a buffer out and a state; it costs no thread. Requests of one connection
// are served one at a time, in order:
//   - hello, status and tail run on the loop itself (ControlServer::runs_inline);
//   - the others go to a fixed pool of workers (ServerLimits::workers), since
//     they wait on the session (a mailbox command, a file, a snapshot);
//   - `tail` streams are fed from the DebugLog by the loop every few ms, and
//     a parked `wait` is answered by the loop when its pid's exit arrives.
// Bounds (ServerLimits): connections; unsent bytes per connection (a reply
// is queued whole, but a client that sends a request while more than
// max_backlog of earlier replies is unread is disconnected; a `tail -f`
// follower that falls behind gets a {"skipped":N} line instead of the N
// records); unsent bytes of all connections together (followers drop first,
// but each may always hold 16 KiB, so that the ones that never read cannot
// starve one that does).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "io/debug_ring.h"
#include "kernel/control/server.h"

namespace gpuos::control {

class ControlServer::Loop {
 public:
  static Result<std::unique_ptr<Loop>, ServerError> create(ControlServer& srv, const ServerLimits& limits);
  ~Loop();
  // Ends the loop (clients get their end lines, a short flush, then are
  // closed) and the workers; false if a worker was still busy after `grace`.
  bool stop(std::chrono::milliseconds grace);

 private:
  using Clock = std::chrono::steady_clock;
  enum class TailState { None, History, Live };
  struct Conn {
    uint64_t id = 0;
    int fd = -1;
    std::string in;
    std::string out;
    size_t out_off = 0;
    bool busy = false;      // a request is with a worker
    bool writable = true;   // the last send did not hit EAGAIN
    bool eof = false;       // the peer closed its end (or half-closed it)
    bool dead = false;      // closed; removed at the end of the loop round
    bool registered = true; // in epoll (a hung-up connection leaves it)
    bool close_after_flush = false;
    uint32_t events = 0;    // registered with epoll
    TailState tail = TailState::None;
    bool follow = false;
    uint64_t cursor = 0;       // next record seq to send
    uint64_t history_end = 0;  // History: the seq after the newest record asked for
    uint64_t skipped = 0;      // Live: records dropped and not yet reported
    std::optional<Parked> wait;
    // Descriptors received (SCM_RIGHTS) and not yet claimed by a request
    // line: the next line that says "fds": N takes the first N.
    RequestFds fds_in;
    size_t pending() const { return out.size() - out_off; }
  };
  struct Job {
    uint64_t conn;
    std::string line;
    RequestFds fds;
  };
  struct Done {
    uint64_t conn;
    std::string reply;
    Parked park;
  };

  Loop(ControlServer& srv, const ServerLimits& limits) : srv_(srv), lim_(limits) {}
  void run();
  void worker();
  void accept_all();
  void on_event(Conn& c, uint32_t ev);
  void read_in(Conn& c);
  void process(Conn& c);  // serves buffered request lines while it can
  void apply(Conn& c, const std::string& reply, const Parked& park);
  void append(Conn& c, std::string_view s);
  void flush(Conn& c);
  void close_conn(Conn& c);
  void update_events(Conn& c);
  void pump_tails(bool final_round);
  void fill_history(Conn& c);
  void end_tail(Conn& c);
  void check_waits();
  void final_round();
  std::deque<Done> take_done();  // the workers' finished replies, taken under mu_
  bool room(const Conn& c) const;
  Conn* find(uint64_t id);

  ControlServer& srv_;
  ServerLimits lim_;
  int ep_ = -1;
  int wake_fd_ = -1;
  bool listening_ = true;
  Clock::time_point accept_resume_{};
  std::unordered_map<uint64_t, std::unique_ptr<Conn>> conns_;
  uint64_t next_id_ = 2;  // 0: the listening socket, 1: the eventfd
  size_t total_out_ = 0;  // unsent bytes of all connections
  size_t tails_ = 0;      // connections in a tail stream
  size_t waits_ = 0;      // connections with a parked wait
  Clock::time_point last_tick_{};
  uint64_t refused_ = 0;  // connections refused (too many, or another user)
  std::thread thread_;
  std::atomic<bool> quit_{false};
  bool stopped_ = false;  // stop() has run (caller's thread)
  bool clean_ = true;

  std::mutex mu_;  // jobs_, done_, pool_stop_, workers_busy_
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::deque<Job> jobs_;
  std::deque<Done> done_;
  bool pool_stop_ = false;
  size_t workers_alive_ = 0;
  std::vector<std::thread> workers_;
};

}  // namespace gpuos::control

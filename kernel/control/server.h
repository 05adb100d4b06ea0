// The control socket: a Unix-domain stream socket that speaks JSON lines.
// One request object per line in, one or more response objects out; every
// response line carries "ok". Verbs (docs/cli.md has the full protocol):
//   {"verb":"hello"}                          session name, daemon pid, version
//   {"verb":"status"}                         the SessionStatus snapshot
//   {"verb":"ping","count":N}                 mailbox round trips, p50/p99
//   {"verb":"emit","count":N,"kind":"text"|"pattern","may_drop":false}
//   {"verb":"tail","n":N,"follow":false}      record lines, then {"end":true}
//   {"verb":"shutdown"}                       stops the session, then replies
//   {"verb":"fault","what":"hang"}            tests only: the kernel stops beating
// and the process verbs (proc_verbs.cpp):
//   {"verb":"spawn","path":"/abs/p.wasm","instances":N,"arg":A,"args":[...]}
//   {"verb":"kill","pid":P}                   error "no such process" if not alive
//   {"verb":"wait","pid":P,"timeout_ms":T}    the exit record (T absent: no limit)
//   {"verb":"ps"} / {"verb":"stats"}          one process-table snapshot
//
// Threads (event_loop.h): one event loop serves every connection (accept,
// reads, writes, `tail` streams, parked `wait`s), and a few workers run the
// verbs that wait on the session (spawn, ping, emit, ps, kill, shutdown...).
// So a client costs no thread and at most ServerLimits' bytes, whatever it
// does; nothing a client sends can throw past the loop or a worker, and a
// bad request gets {"ok":false,"error":...}. Every reply carries "schema";
// an error caused by the session having failed also carries "failed": true.
// Only clients running as the daemon's user, or as root, are served
// (SO_PEERCRED).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kernel/session.h"

namespace gpuos::control {

enum class ServerError { Socket };

struct ServerLimits {
  size_t max_clients = 1024;             // connections at once; beyond it a client is refused with a message
  size_t max_backlog = 1u << 20;         // unsent bytes per client (tail streams drop beyond it, with a count)
  size_t max_total_backlog = 32u << 20;  // unsent bytes of all clients together (followers drop beyond it)
  size_t workers = 4;                    // threads for the verbs that wait on the session
};

class ControlServer {
 public:
  // Binds `socket_path` (a stale file there must already be gone) and serves.
  static Result<std::unique_ptr<ControlServer>, ServerError> start(Session& session, std::string session_name,
                                                                   std::string socket_path, ServerLimits limits = {});
  ~ControlServer();
  // Stops accepting, ends every client (followers and waiters get their end
  // line), unlinks the socket. Returns false when a worker was still inside
  // a verb after `grace`: it is left running, and the caller must then end
  // the process without running destructors (std::_Exit), so that nothing
  // a client asked for can keep the daemon alive.
  bool stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));
  // True once a client's shutdown request has completed and its reply has
  // been handed to the connection.
  bool shutdown_requested() const { return shutdown_replied_.load(); }

  // Descriptors a request brought with it (SCM_RIGHTS: `spawn`'s --stdout,
  // --stderr and --stdin, opened by the client), in the order sent. Each
  // one not taken is closed with the request.
  struct RequestFds {
    std::vector<int> fds;
    RequestFds() = default;
    RequestFds(RequestFds&& o) noexcept : fds(std::move(o.fds)) { o.fds.clear(); }
    RequestFds& operator=(RequestFds&& o) noexcept;
    RequestFds(const RequestFds&) = delete;
    ~RequestFds();
    // Descriptor i, now the caller's to close; -1 if there is none.
    int take(size_t i);
  };

  // What a request leaves behind besides its reply line: a `tail` stream to
  // serve, or a `wait` to answer when its pid exits. Filled by handle().
  struct Parked {
    enum class Kind { None, Tail, Wait } kind = Kind::None;
    uint64_t n = 0;  // tail: the newest n records first
    bool follow = false;
    uint32_t pid = 0;  // wait
    std::optional<std::chrono::steady_clock::time_point> deadline;
    uint64_t timeout_ms = 0;
    // wait for a pid not in the table: until the ring is drained to `target`
    // (or `until`), then answer from the exit log (proc_verbs.cpp says why).
    bool catch_up = false;
    uint64_t target = 0;
    std::chrono::steady_clock::time_point until{};
    bool shutdown = false;  // the request was `shutdown`
  };

 private:
  class Loop;  // event_loop.h
  friend class Loop;
  ControlServer(Session& s, std::string name, std::string path);
  // Runs one request line; returns the reply line ("" when parked without one).
  std::string handle(const std::string& line, Parked& park, RequestFds* fds = nullptr);
  std::string handle_verb(const std::string& verb, const nlohmann::json& req, Parked& park, RequestFds* fds);
  // spawn, kill, wait, ps, stats, logs (proc_verbs.cpp); nullopt: not a process verb.
  std::optional<std::string> handle_proc_verb(const std::string& verb, const nlohmann::json& req, Parked& park,
                                              RequestFds* fds);
  // `wait`: answers at once when it can, else parks the client (proc_verbs.cpp).
  std::string start_wait(uint32_t pid, std::optional<uint64_t> timeout_ms, Parked& park);
  // A parked `wait`, looked at by the loop every few ms: its reply once it has one.
  std::optional<std::string> poll_wait(const Parked& park);
  // Verbs cheap enough for the loop itself (no mailbox command, no file).
  static bool runs_inline(const std::string& verb) { return verb == "hello" || verb == "status" || verb == "tail"; }

  Session& session_;
  std::string name_;
  std::string path_;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> shutdown_requested_{false};  // the session is shutting down (set by the verb)
  std::atomic<bool> shutdown_replied_{false};    // ... and its reply has been queued
  std::unique_ptr<Loop> loop_;
};

}  // namespace gpuos::control

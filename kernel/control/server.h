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
// A client thread per connection (reaped when it ends); nothing a client
// sends can throw past its thread, and a bad request gets
// {"ok":false,"error":...}. Every reply carries "schema"; an error caused by
// the session having failed also carries "failed": true.
#pragma once

#include <atomic>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "kernel/session.h"

namespace gpuos::control {

enum class ServerError { Socket };

class ControlServer {
 public:
  // Binds `socket_path` (a stale file there must already be gone) and serves.
  static Result<std::unique_ptr<ControlServer>, ServerError> start(Session& session, std::string session_name,
                                                                   std::string socket_path);
  ~ControlServer();
  // Stops accepting, ends every client (followers too), unlinks the socket.
  void stop();
  // True once a client's shutdown request has completed.
  bool shutdown_requested() const { return shutdown_requested_.load(); }

 private:
  struct Client {
    int fd = -1;
    std::thread thread;
    std::atomic<bool> done{false};
  };
  ControlServer(Session& s, std::string name, std::string path)
      : session_(s), name_(std::move(name)), path_(std::move(path)) {}
  void accept_loop();
  void serve(Client& c);
  std::string handle(const std::string& line, int fd);  // returns the final reply line
  std::string handle_verb(const std::string& verb, const nlohmann::json& req, int fd);
  // spawn, kill, wait, ps, stats (proc_verbs.cpp); nullopt: not a process verb.
  std::optional<std::string> handle_proc_verb(const std::string& verb, const nlohmann::json& req, int fd);
  std::string wait_for_exit(uint32_t pid, std::optional<uint64_t> timeout_ms, int fd);

  Session& session_;
  std::string name_;
  std::string path_;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> shutdown_requested_{false};
  std::thread accept_thread_;
  void reap_finished();  // joins and closes clients whose thread has ended
  std::mutex clients_mu_;
  std::list<Client> clients_;
};

}  // namespace gpuos::control

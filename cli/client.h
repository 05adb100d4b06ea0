// A connection to a session's control socket (kernel/control/server.h has
// the protocol). Connecting explains every way a session can be missing:
// never started, stale socket (cleaned up here), or not answering.
#pragma once

#include <chrono>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "kernel/result.h"

namespace gpuos::cli {

enum class ClientError { BadName, NoSession, NotAnswering, Io, Protocol };

class Client {
 public:
  static Result<Client, ClientError> connect(const std::string& session_name);
  Client(Client&& o) noexcept : fd_(o.fd_), buf_(std::move(o.buf_)) { o.fd_ = -1; }
  Client(const Client&) = delete;
  ~Client();

  Result<void, ClientError> send(const nlohmann::json& request);
  // send, with descriptors passed to the session (SCM_RIGHTS) alongside
  // the line's first bytes; the request says how many ("fds": N). The
  // session gets its own copies: the caller still closes `fds`.
  Result<void, ClientError> send_with_fds(const nlohmann::json& request, const std::vector<int>& fds);
  // The next response line; waits up to `timeout` (zero: forever).
  Result<nlohmann::json, ClientError> read(std::chrono::milliseconds timeout = std::chrono::milliseconds(0));
  // send + read, for one-reply verbs.
  Result<nlohmann::json, ClientError> call(const nlohmann::json& request,
                                           std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

 private:
  explicit Client(int fd) : fd_(fd) {}
  int fd_ = -1;
  std::string buf_;
};

int exit_code_for(ClientError e);

// Connects, sends `req`, reads one reply. On any failure (no session, a
// broken connection, {"ok":false}) prints `gpuos: <error>` on stderr and
// returns the exit code (EXIT_FAILED when the reply says "failed").
std::variant<nlohmann::json, int> one_call(const std::string& session, const nlohmann::json& req);

// Waits until the session's daemon has let go of its lock (it has exited,
// or is past the point where a new `boot` could collide with it); false
// when it still holds it after `timeout`.
bool wait_session_gone(const std::string& session, std::chrono::milliseconds timeout);

}  // namespace gpuos::cli

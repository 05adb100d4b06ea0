#include "cli/client.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "cli/exit_codes.h"
#include "cli/json_out.h"
#include "kernel/control/paths.h"

namespace gpuos::cli {

int exit_code_for(ClientError e) {
  switch (e) {
    case ClientError::NoSession:
    case ClientError::NotAnswering: return EXIT_NO_SESSION;
    default: return EXIT_ERROR;
  }
}

namespace {
// True when nobody holds the session's lock, i.e. no daemon is alive.
bool lock_is_free(const std::string& lock_path) {
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return true;
  const bool free_ = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
  ::close(fd);  // releases it again
  return free_;
}

// Who serves the socket: its daemon must run as us (or as root, who could
// read our files anyway). Checked before the first byte is sent, since a
// request can carry paths and arguments (paths.h says how a socket of
// another user gets there).
Result<void, ClientError> check_server(int fd, const std::string& socket_path) {
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    return fail(ClientError::Io, fmt::format("cannot tell who serves {}: {}", socket_path, std::strerror(errno)));
  }
  if (cred.uid == ::geteuid() || cred.uid == 0) return {};
  return fail(ClientError::Io,
              fmt::format("refusing to talk to {}: it is served by uid {} (pid {}), not by you (uid {}) or root; "
                          "another user may have planted it: remove it and check who can write to its directory",
                          socket_path, cred.uid, cred.pid, ::geteuid()));
}
}  // namespace

bool wait_session_gone(const std::string& session, std::chrono::milliseconds timeout) {
  auto paths = control::session_paths(session);
  if (!paths) return true;
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (!lock_is_free(paths->lock)) {
    if (std::chrono::steady_clock::now() >= end) return false;
    ::usleep(5000);
  }
  return true;
}

Result<Client, ClientError> Client::connect(const std::string& name) {
  auto paths = control::session_paths(name);
  if (!paths) {
    return fail(paths.code() == control::PathError::BadName ? ClientError::BadName : ClientError::Io, paths.detail());
  }
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(ClientError::Io, fmt::format("socket: {}", std::strerror(errno)));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", paths->socket.c_str());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    if (auto ok = check_server(fd, paths->socket); !ok) {
      ::close(fd);
      return ok.error();
    }
    return Client(fd);
  }
  const int err = errno;
  ::close(fd);
  if (err == ENOENT) {
    return fail(ClientError::NoSession,
                fmt::format("no session '{}' is running (start one with 'gpuos boot --session {}')", name, name));
  }
  if (err == ECONNREFUSED) {
    if (lock_is_free(paths->lock)) {
      ::unlink(paths->socket.c_str());
      return fail(ClientError::NoSession,
                  fmt::format("session '{}' is not running (it ended without cleaning up; removed its stale socket {})",
                              name, paths->socket));
    }
    return fail(ClientError::NotAnswering, fmt::format("session '{}' is alive but not accepting connections", name));
  }
  return fail(ClientError::Io, fmt::format("connect {}: {}", paths->socket, std::strerror(err)));
}

Client::~Client() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void, ClientError> Client::send(const nlohmann::json& request) { return send_with_fds(request, {}); }

Result<void, ClientError> Client::send_with_fds(const nlohmann::json& request, const std::vector<int>& fds) {
  const std::string line = request.dump() + "\n";
  size_t off = 0;
  while (off < line.size()) {
    ssize_t n;
    if (off == 0 && !fds.empty()) {
      // The descriptors ride on the first bytes: the session takes them
      // when it reads this line (kernel/control/event_loop.cpp).
      std::vector<char> ctl(CMSG_SPACE(sizeof(int) * fds.size()), 0);
      iovec iov{const_cast<char*>(line.data()), line.size()};
      msghdr msg{};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = ctl.data();
      msg.msg_controllen = ctl.size();
      cmsghdr* h = CMSG_FIRSTHDR(&msg);
      h->cmsg_level = SOL_SOCKET;
      h->cmsg_type = SCM_RIGHTS;
      h->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
      std::memcpy(CMSG_DATA(h), fds.data(), sizeof(int) * fds.size());
      n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    } else {
      n = ::send(fd_, line.data() + off, line.size() - off, MSG_NOSIGNAL);
    }
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      // A daemon that refuses a connection (too many clients) says why in
      // one line and closes; that line is still there to read.
      if (auto why = read(std::chrono::milliseconds(200)); why && why->contains("error")) {
        return fail(ClientError::Io, why->value("error", std::string("refused")));
      }
      return fail(ClientError::Io, fmt::format("the session closed the connection ({})", std::strerror(err)));
    }
    off += static_cast<size_t>(n);
  }
  return {};
}

Result<nlohmann::json, ClientError> Client::read(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const size_t nl = buf_.find('\n');
    if (nl != std::string::npos) {
      const std::string line = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      try {
        return nlohmann::json::parse(line);
      } catch (const nlohmann::json::exception& e) {
        return fail(ClientError::Protocol, fmt::format("bad reply from the session: {}", e.what()));
      }
    }
    int wait_ms = -1;
    if (timeout.count() > 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return fail(ClientError::NotAnswering, "the session did not answer in time");
      wait_ms = static_cast<int>(left.count());
    }
    pollfd p{fd_, POLLIN, 0};
    const int pr = ::poll(&p, 1, wait_ms);
    if (pr < 0 && errno == EINTR) continue;
    if (pr == 0) continue;  // deadline re-checked above
    char chunk[65536];
    const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(ClientError::Io, "the session closed the connection");
    buf_.append(chunk, static_cast<size_t>(n));
  }
}

Result<nlohmann::json, ClientError> Client::call(const nlohmann::json& request, std::chrono::milliseconds timeout) {
  if (auto r = send(request); !r) return r.error();
  return read(timeout);
}

std::variant<nlohmann::json, int> one_call(const std::string& session, const nlohmann::json& req) {
  auto c = Client::connect(session);
  if (!c) {
    report_error("gpuos: %s\n", c.detail().c_str());
    return exit_code_for(c.code());
  }
  auto r = c->call(req);
  if (!r) {
    report_error("gpuos: %s\n", r.detail().c_str());
    return exit_code_for(r.code());
  }
  if (!r->value("ok", false)) {
    report_error("gpuos: %s\n", r->value("error", std::string("request failed")).c_str());
    return r->value("failed", false) ? EXIT_FAILED : EXIT_ERROR;
  }
  return r.value();
}

}  // namespace gpuos::cli

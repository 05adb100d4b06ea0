#include "kernel/control/server.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "kernel/control/json.h"
#include "kernel/control/server_detail.h"

namespace gpuos::control {

using nlohmann::json;

namespace {

constexpr size_t kMaxRequestBytes = 64 * 1024;

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

}  // namespace

namespace detail {

bool send_line(int fd, const std::string& s) {
  std::string out = s + "\n";
  size_t off = 0;
  while (off < out.size()) {
    const ssize_t n = ::send(fd, out.data() + off, out.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

std::string error_reply(const std::string& msg) {
  return json{{"ok", false}, {"schema", JSON_SCHEMA}, {"error", msg}}.dump();
}

std::string session_error_reply(const std::string& verb, Session& s, const std::string& detail) {
  return json{{"ok", false}, {"schema", JSON_SCHEMA}, {"error", fmt::format("{}: {}", verb, detail)},
              {"failed", s.failed()}}
      .dump();
}

bool peer_closed(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  if (p.revents & (POLLHUP | POLLERR)) return true;
  char c;
  return ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

}  // namespace detail

using detail::error_reply;
using detail::peer_closed;
using detail::send_line;
using detail::session_error_reply;

Result<std::unique_ptr<ControlServer>, ServerError> ControlServer::start(Session& session, std::string session_name,
                                                                         std::string socket_path) {
  std::unique_ptr<ControlServer> s(new ControlServer(session, std::move(session_name), std::move(socket_path)));
  s->listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s->listen_fd_ < 0) return fail(ServerError::Socket, fmt::format("socket: {}", std::strerror(errno)));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", s->path_.c_str());
  if (::bind(s->listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return fail(ServerError::Socket, fmt::format("bind {}: {}", s->path_, std::strerror(errno)));
  }
  if (::listen(s->listen_fd_, 64) != 0) {
    return fail(ServerError::Socket, fmt::format("listen {}: {}", s->path_, std::strerror(errno)));
  }
  s->accept_thread_ = std::thread([p = s.get()] { p->accept_loop(); });
  return s;
}

ControlServer::~ControlServer() { stop(); }

void ControlServer::stop() {
  if (stopping_.exchange(true)) return;
  if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
  if (accept_thread_.joinable()) accept_thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  ::unlink(path_.c_str());
  std::lock_guard lock(clients_mu_);
  for (Client& c : clients_) ::shutdown(c.fd, SHUT_RDWR);  // unblocks reads and follows
  for (Client& c : clients_) {
    if (c.thread.joinable()) c.thread.join();
    ::close(c.fd);
  }
  clients_.clear();
}

void ControlServer::reap_finished() {
  for (auto it = clients_.begin(); it != clients_.end();) {
    if (!it->done.load()) {
      ++it;
      continue;
    }
    it->thread.join();
    ::close(it->fd);
    it = clients_.erase(it);
  }
}

void ControlServer::accept_loop() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    const int pr = ::poll(&p, 1, 100);
    std::lock_guard lock(clients_mu_);
    reap_finished();
    if (pr <= 0 || stopping_) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      // Out of descriptors, say: back off instead of spinning on poll.
      if (errno == EMFILE || errno == ENFILE) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    Client& c = clients_.emplace_back();
    c.fd = fd;
    c.thread = std::thread([this, &c] { serve(c); });
  }
}

void ControlServer::serve(Client& c) {
  const int fd = c.fd;
  std::string buf;
  char chunk[4096];
  while (!stopping_) {
    const size_t nl = buf.find('\n');
    if (nl != std::string::npos) {
      const std::string line = buf.substr(0, nl);
      buf.erase(0, nl + 1);
      std::string reply;
      try {
        reply = handle(line, fd);
      } catch (const std::exception& e) {  // nothing escapes a client thread
        reply = error_reply(fmt::format("internal error: {}", e.what()));
      }
      if (!reply.empty() && !send_line(fd, reply)) break;
      continue;
    }
    if (buf.size() > kMaxRequestBytes) {
      send_line(fd, error_reply("request line too long"));
      break;
    }
    const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    buf.append(chunk, static_cast<size_t>(n));
  }
  ::shutdown(fd, SHUT_RDWR);
  c.done = true;  // the accept loop joins this thread and closes fd
}

std::string ControlServer::handle(const std::string& line, int fd) {
  json req;
  try {
    req = json::parse(line);
  } catch (const json::exception& e) {
    return error_reply(fmt::format("bad request: not JSON ({})", e.what()));
  }
  if (!req.is_object() || !req.contains("verb") || !req["verb"].is_string()) {
    return error_reply("bad request: expected an object with a \"verb\" string");
  }
  const std::string verb = req["verb"];
  try {
    return handle_verb(verb, req, fd);
  } catch (const json::exception& e) {  // a field of the wrong type
    return error_reply(fmt::format("bad request for '{}': {}", verb, e.what()));
  }
}

std::string ControlServer::handle_verb(const std::string& verb, const nlohmann::json& req, int fd) {
  auto uint_arg = [&](const char* key, uint64_t def, uint64_t max) -> std::optional<uint64_t> {
    if (!req.contains(key)) return def;
    if (!req[key].is_number_unsigned() || req[key].get<uint64_t>() > max) return std::nullopt;
    return req[key].get<uint64_t>();
  };

  if (verb == "hello") {
    return json{{"ok", true}, {"schema", JSON_SCHEMA}, {"session", name_}, {"pid", ::getpid()}, {"version", "0.1.0"}}
        .dump();
  }
  if (verb == "status") {
    return json{{"ok", true}, {"schema", JSON_SCHEMA}, {"status", to_json(session_.status())}}.dump();
  }
  if (verb == "ping") {
    const auto count = uint_arg("count", 10, 1000000);
    if (!count || *count == 0) return error_reply("ping: count must be 1..1000000");
    auto r = session_.ping(static_cast<uint32_t>(*count));
    if (!r) return session_error_reply("ping", session_, r.detail());
    const auto& v = r->round_trip_us;
    return json{{"ok", true},
                {"schema", JSON_SCHEMA},
                {"count", v.size()},
                {"mode", to_string(session_.mode())},
                {"p50_us", percentile(v, 0.50)},
                {"p99_us", percentile(v, 0.99)},
                {"min_us", *std::min_element(v.begin(), v.end())},
                {"max_us", *std::max_element(v.begin(), v.end())}}
        .dump();
  }
  if (verb == "emit") {
    const auto count = uint_arg("count", 1, UINT32_MAX);
    if (!count) return error_reply("emit: count must be 0..4294967295");
    const std::string kind = req.value("kind", "text");
    if (kind != "text" && kind != "pattern") return error_reply("emit: kind must be \"text\" or \"pattern\"");
    const bool may_drop = req.value("may_drop", false);
    auto r = session_.emit(static_cast<uint32_t>(*count), kind == "text" ? abi::RECORD_TEXT : abi::RECORD_PATTERN,
                           may_drop ? abi::EMIT_MAY_DROP : 0);
    if (!r) return session_error_reply("emit", session_, r.detail());
    return json{{"ok", true}, {"schema", JSON_SCHEMA}, {"emitted", r->emitted}, {"dropped", r->dropped}}.dump();
  }
  if (verb == "tail") {
    const auto n = uint_arg("n", 10, 1u << 24);
    if (!n) return error_reply("tail: n must be a non-negative integer");
    const bool follow = req.value("follow", false);
    const io::DebugLog& log = session_.log();
    uint64_t next = log.next_seq();
    for (const auto& r : log.last(*n)) {
      if (!send_line(fd, json{{"ok", true}, {"schema", JSON_SCHEMA}, {"record", to_json(r)}}.dump())) return {};
    }
    while (follow && !stopping_ && !session_.failed()) {
      auto batch = log.wait_from(next, std::chrono::milliseconds(200));
      for (const auto& r : batch) {
        if (!send_line(fd, json{{"ok", true}, {"schema", JSON_SCHEMA}, {"record", to_json(r)}}.dump())) return {};
        next = r.seq + 1;
      }
      if (batch.empty() && peer_closed(fd)) return {};
      if (session_.status().kernel_state == "stopped" && shutdown_requested_) break;
    }
    const auto st = session_.status();
    return json{{"ok", true},
                {"schema", JSON_SCHEMA},
                {"end", true},
                {"received", st.ring_received},
                {"drops", st.ring_drops},
                {"failed", st.failed},
                {"reason", st.failed ? "session failed: " + st.failure : (follow ? "session ended" : "done")}}
        .dump();
  }
  if (verb == "fault") {  // tests only: make the kernel misbehave on purpose
    if (req.value("what", "") != "hang") return error_reply("fault: what must be \"hang\"");
    auto r = session_.command(abi::OP_FAULT_HANG);
    if (!r) return session_error_reply("fault", session_, r.detail());
    return json{{"ok", true}, {"schema", JSON_SCHEMA}}.dump();
  }
  if (verb == "shutdown") {
    const auto stopped = session_.shutdown();
    // Stop taking connections before replying, so a client that asks right
    // after `shutdown` returns already finds no session.
    ::unlink(path_.c_str());
    ::shutdown(listen_fd_, SHUT_RDWR);
    shutdown_requested_ = true;
    spdlog::info("shutdown requested over the control socket; kernel stopped in {} us", stopped.count());
    return json{{"ok", true}, {"schema", JSON_SCHEMA}, {"kernel_stop_us", stopped.count()}}.dump();
  }
  if (auto r = handle_proc_verb(verb, req, fd)) return *r;  // proc_verbs.cpp
  return error_reply(fmt::format(
      "unknown verb '{}' (try hello, status, ping, emit, tail, spawn, kill, wait, ps, stats, shutdown)", verb));
}

}  // namespace gpuos::control

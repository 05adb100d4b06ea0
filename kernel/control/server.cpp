#include "kernel/control/server.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
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
#include "kernel/control/event_loop.h"
#include "kernel/control/server_detail.h"

namespace gpuos::control {

using nlohmann::json;

namespace {

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

}  // namespace

namespace detail {

std::string error_reply(const std::string& msg) {
  return json{{"ok", false}, {"schema", JSON_SCHEMA}, {"error", msg}}.dump();
}

std::string session_error_reply(const std::string& verb, Session& s, const std::string& detail) {
  return json{{"ok", false}, {"schema", JSON_SCHEMA}, {"error", fmt::format("{}: {}", verb, detail)},
              {"failed", s.failed()}}
      .dump();
}

}  // namespace detail

using detail::error_reply;
using detail::session_error_reply;

Result<std::unique_ptr<ControlServer>, ServerError> ControlServer::start(Session& session, std::string session_name,
                                                                         std::string socket_path, ServerLimits limits) {
  std::unique_ptr<ControlServer> s(new ControlServer(session, std::move(session_name), std::move(socket_path)));
  s->listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s->listen_fd_ < 0) return fail(ServerError::Socket, fmt::format("socket: {}", std::strerror(errno)));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", s->path_.c_str());
  if (::bind(s->listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return fail(ServerError::Socket, fmt::format("bind {}: {}", s->path_, std::strerror(errno)));
  }
  // Owner only (the directory is already 0700; this holds if it is ever
  // made reachable some other way). SO_PEERCRED is the real check.
  ::chmod(s->path_.c_str(), 0600);
  if (::listen(s->listen_fd_, 512) != 0) {
    return fail(ServerError::Socket, fmt::format("listen {}: {}", s->path_, std::strerror(errno)));
  }
  // Every client is a descriptor: make room for max_clients of them.
  rlimit nofile{};
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < limits.max_clients + 256) {
    nofile.rlim_cur = std::min<rlim_t>(nofile.rlim_max, limits.max_clients + 256);
    ::setrlimit(RLIMIT_NOFILE, &nofile);
  }
  auto loop = Loop::create(*s, limits);
  if (!loop) return loop.error();
  s->loop_ = std::move(loop.value());
  return s;
}

ControlServer::ControlServer(Session& s, std::string name, std::string path)
    : session_(s), name_(std::move(name)), path_(std::move(path)) {}

ControlServer::~ControlServer() {
  if (!stop()) spdlog::warn("control server: a worker was still busy when the server was destroyed");
}

bool ControlServer::stop(std::chrono::milliseconds grace) {
  stopping_ = true;
  bool clean = true;
  if (loop_) clean = loop_->stop(grace);  // idempotent
  // A worker still inside a verb uses the loop's queues: leave them be
  // (the caller is about to _Exit).
  if (!clean) (void)loop_.release();
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
    ::unlink(path_.c_str());
  }
  return clean;
}

ControlServer::RequestFds& ControlServer::RequestFds::operator=(RequestFds&& o) noexcept {
  if (this != &o) {
    for (int fd : fds) {
      if (fd >= 0) ::close(fd);
    }
    fds = std::move(o.fds);
    o.fds.clear();
  }
  return *this;
}

ControlServer::RequestFds::~RequestFds() {
  for (int fd : fds) {
    if (fd >= 0) ::close(fd);
  }
}

int ControlServer::RequestFds::take(size_t i) {
  if (i >= fds.size()) return -1;
  const int fd = fds[i];
  fds[i] = -1;
  return fd;
}

std::string ControlServer::handle(const std::string& line, Parked& park, RequestFds* fds) {
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
    return handle_verb(verb, req, park, fds);
  } catch (const json::exception& e) {  // a field of the wrong type
    return error_reply(fmt::format("bad request for '{}': {}", verb, e.what()));
  }
}

std::string ControlServer::handle_verb(const std::string& verb, const nlohmann::json& req, Parked& park,
                                       RequestFds* fds) {
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
  if (verb == "tail") {  // served by the loop (event_loop.cpp), record by record
    const auto n = uint_arg("n", 10, 1u << 24);
    if (!n) return error_reply("tail: n must be a non-negative integer");
    park.kind = Parked::Kind::Tail;
    park.n = *n;
    park.follow = req.value("follow", false);
    return {};
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
    // after `shutdown` returns already finds no session (the loop closes
    // the listening socket when it sees the flag).
    ::unlink(path_.c_str());
    shutdown_requested_ = true;
    park.shutdown = true;
    spdlog::info("shutdown requested over the control socket; kernel stopped in {} us", stopped.count());
    return json{{"ok", true}, {"schema", JSON_SCHEMA}, {"kernel_stop_us", stopped.count()}}.dump();
  }
  if (auto r = handle_proc_verb(verb, req, park, fds)) return *r;  // proc_verbs.cpp
  return error_reply(fmt::format(
      "unknown verb '{}' (try hello, status, ping, emit, tail, spawn, kill, wait, ps, stats, logs, shutdown)", verb));
}

}  // namespace gpuos::control

// The process verbs of the control socket: spawn, kill, wait, ps, stats
// (server.h lists the requests; docs/cli.md has the protocol).
//
// They run on the server's workers (event_loop.h). `wait` is the one verb
// that blocks for long, so it does not hold a worker: start_wait answers at
// once when it can, else parks the client, and the event loop calls
// poll_wait every few ms until the exit record arrives, the deadline
// passes, the session fails or shuts down, or the client goes away.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "kernel/control/json.h"
#include "kernel/control/server.h"
#include "kernel/control/server_detail.h"
#include "kernel/proc_tree.h"
#include "procs/vm/bytecode.h"
#include "procs/wasm/module_file.h"
#include "shaders/abi.h"

namespace gpuos::control {

using nlohmann::json;
using detail::error_reply;
using detail::session_error_reply;

namespace {

constexpr uint64_t kMaxModuleBytes = wasm::kMaxModuleFileBytes;  // far above what the program store holds
// A spawn's output file: how long its open may take (a FIFO never makes it
// wait; a dead network filesystem might), and how long one record may wait
// for a FIFO or device that does not drain before it is dropped.
constexpr auto kOpenTimeout = std::chrono::seconds(2);
constexpr auto kWriteWait = std::chrono::milliseconds(500);
constexpr uint64_t kMaxWaitMs = uint64_t{1} << 36;  // about 2 years; keeps deadlines far from overflow
// How long `wait` lets the debug ring catch up before it calls a pid that is
// not in the table unknown (the exit record of a process that has just ended
// may still be on its way to the host).
constexpr auto kDrainCatchUp = std::chrono::seconds(10);

// A JSON integer in [lo, hi], or nullopt (absent: `def`; present but not
// such an integer: nullopt with `bad` set).
std::optional<uint64_t> uint_field(const json& req, const char* key, std::optional<uint64_t> def, uint64_t lo,
                                   uint64_t hi, bool& bad) {
  if (!req.contains(key)) return def;
  const json& v = req[key];
  if (!v.is_number_unsigned() || v.get<uint64_t>() < lo || v.get<uint64_t>() > hi) {
    bad = true;
    return std::nullopt;
  }
  return v.get<uint64_t>();
}

// "hello" for "/x/y/hello.wasm": the program's name (argv[0], ps's PROG).
std::string program_name(const std::string& path) {
  std::string base = path.substr(path.find_last_of('/') + 1);
  if (base.size() > 5 && base.compare(base.size() - 5, 5, ".wasm") == 0) base.resize(base.size() - 5);
  return base.empty() ? "program" : base;
}

// A file a spawn's output goes to, opened by the daemon, written with one
// write(2) per record (so what a process wrote is on disk when it exits).
// A FIFO, socket or device stays non-blocking: a reader that stops reading
// costs each record at most kWriteWait, then its output is dropped, and the
// session's drain thread, which calls this, is never held for long.
struct OutputFile {
  int fd = -1;
  bool stream = false;
  std::string path;
  std::atomic<bool> warned{false};
  ~OutputFile() {
    if (fd >= 0) ::close(fd);
  }
  // 0, or the errno of the failed write: the process's next write to the
  // stream returns it (a full disk is ENOSPC there, as it would be natively).
  // A stream whose reader stops reading is not an error: its output is dropped.
  int write(std::string_view text) {
    const auto until = std::chrono::steady_clock::now() + kWriteWait;
    while (!text.empty()) {
      const ssize_t n = ::write(fd, text.data(), text.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && stream) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
        pollfd p{fd, POLLOUT, 0};
        if (left.count() > 0 && ::poll(&p, 1, static_cast<int>(left.count())) > 0) continue;
        if (!warned.exchange(true)) spdlog::warn("spawn output {}: its reader is not reading; output dropped", path);
        return 0;
      }
      if (n < 0) return errno;
      if (n == 0) return EIO;
      text.remove_prefix(static_cast<size_t>(n));
    }
    return 0;
  }
};

// Opens `path` for writing without ever holding the caller for long.
// O_NONBLOCK makes a FIFO without a reader fail at once (ENXIO) instead of
// waiting for one (which held a server thread forever, and with it the
// daemon's exit), and a device open return at once; the open itself runs on
// a helper thread that the caller waits for at most kOpenTimeout, for opens
// that can hang anyway (a dead network filesystem). Only a regular file is
// truncated.
std::shared_ptr<OutputFile> open_output(const std::string& path, std::string& why) {
  struct Pending {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false, abandoned = false;
    int fd = -1, err = 0;
  };
  auto p = std::make_shared<Pending>();
  std::thread([p, path] {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0644);
    const int err = errno;
    std::lock_guard lock(p->mu);
    if (p->abandoned) {  // too late: nobody will use it
      if (fd >= 0) ::close(fd);
      return;
    }
    p->fd = fd;
    p->err = err;
    p->done = true;
    p->cv.notify_one();
  }).detach();
  std::unique_lock lock(p->mu);
  if (!p->cv.wait_for(lock, kOpenTimeout, [&] { return p->done; })) {
    p->abandoned = true;
    why = fmt::format("cannot open {} for writing: the open did not finish within {} s", path, kOpenTimeout.count());
    return nullptr;
  }
  if (p->fd < 0) {
    why = p->err == ENXIO ? fmt::format("cannot open {} for writing: it is a FIFO with no reader (the session does "
                                        "not wait for one: start the reader first)",
                                        path)
                          : fmt::format("cannot open {} for writing: {}", path, std::strerror(p->err));
    return nullptr;
  }
  auto f = std::make_shared<OutputFile>();
  f->fd = p->fd;
  f->path = path;
  struct stat st {};
  if (::fstat(f->fd, &st) == 0 && S_ISREG(st.st_mode)) {
    if (::ftruncate(f->fd, 0) != 0) {
      why = fmt::format("cannot truncate {}: {}", path, std::strerror(errno));
      return nullptr;
    }
    ::fcntl(f->fd, F_SETFL, ::fcntl(f->fd, F_GETFL) & ~O_NONBLOCK);
  } else {
    f->stream = true;
  }
  return f;
}

// The request's "stdout", "stderr", "stdin" (absolute paths) and "dirs"
// ([{host, guest, read_only}]) as a SpawnIo; nullptr with `why` if bad.
std::shared_ptr<io::SpawnIo> spawn_io(const json& req, std::string& why) {
  auto io = std::make_shared<io::SpawnIo>();
  auto path_field = [&](const char* key, std::string& out) {
    if (!req.contains(key)) return true;
    if (!req[key].is_string() || req[key].get<std::string>().empty() || req[key].get<std::string>()[0] != '/') {
      why = fmt::format("{} must be an absolute path", key);
      return false;
    }
    out = req[key].get<std::string>();
    return true;
  };
  std::string out_path, err_path;
  if (!path_field("stdout", out_path) || !path_field("stderr", err_path) || !path_field("stdin", io->stdin_path)) {
    return nullptr;
  }
  if (req.contains("dirs")) {
    if (!req["dirs"].is_array()) {
      why = "dirs must be an array";
      return nullptr;
    }
    for (const json& d : req["dirs"]) {
      if (!d.is_object() || !d.value("host", json()).is_string() || !d.value("guest", json()).is_string()) {
        why = "each of dirs must be {host, guest, read_only}";
        return nullptr;
      }
      io->dirs.push_back({d["host"], d["guest"], d.value("read_only", false)});
    }
  }
  std::shared_ptr<OutputFile> out, err;
  if (!out_path.empty() && !(out = open_output(out_path, why))) return nullptr;
  if (!err_path.empty()) {
    err = err_path == out_path ? out : open_output(err_path, why);
    if (!err) return nullptr;
  }
  if (out || err) {
    io->output = [out, err](uint32_t, bool is_stderr, std::string_view text) {
      const auto& f = is_stderr ? err : out;
      return f ? f->write(text) : 0;
    };
  }
  return io;
}

}  // namespace

std::optional<std::string> ControlServer::handle_proc_verb(const std::string& verb, const json& req, Parked& park) {
  bool bad = false;
  if (verb == "spawn") {
    if (!req.contains("path") || !req["path"].is_string() || req["path"].get<std::string>().empty()) {
      return error_reply("spawn: path must be a non-empty string (an absolute path to a .wasm file)");
    }
    const std::string path = req["path"];
    if (path[0] != '/') return error_reply(fmt::format("spawn: path '{}' is not absolute", path));
    const auto instances = uint_field(req, "instances", 1, 1, UINT32_MAX, bad);
    if (bad) return error_reply("spawn: instances must be an integer 1..4294967295");
    const auto arg = uint_field(req, "arg", 0, 0, UINT32_MAX, bad);
    if (bad) return error_reply("spawn: arg must be an integer 0..4294967295");
    std::vector<std::string> args;
    if (req.contains("args")) args = req["args"].get<std::vector<std::string>>();
    for (const std::string& a : args) {
      if (a.find('\0') != std::string::npos) return error_reply("spawn: an argument contains a NUL byte");
    }

    // A regular file of bounded size only, and never a blocking open or
    // read: a FIFO, a device or a directory is refused at once, and this
    // daemon serves every other client meanwhile (module_file.h).
    auto bytes = wasm::read_module_file(path, kMaxModuleBytes);
    if (!bytes) return error_reply("spawn: " + bytes.detail());
    const std::string name = program_name(path);
    auto prog = session_.load_program(*bytes, name);
    if (!prog) {
      // The loader's messages start with the program's name; the path says more.
      std::string why = prog.detail();
      if (why.rfind(name + ": ", 0) == 0) why = path + why.substr(name.size());
      return session_error_reply("spawn", session_, why);
    }
    std::string io_why;
    auto io = spawn_io(req, io_why);
    if (!io) return error_reply("spawn: " + io_why);
    auto r = session_.spawn(*prog, static_cast<uint32_t>(*instances), static_cast<uint32_t>(*arg), args, io);
    if (!r) return session_error_reply("spawn", session_, r.detail());
    return json{{"ok", true},
                {"schema", JSON_SCHEMA},
                {"program", *prog},
                {"name", name},
                {"instances", *instances},
                {"pids", r->pids},
                {"failed_slots", r->failed_slots},
                {"failed_pages", r->failed_pages}}
        .dump();
  }
  if (verb == "kill") {
    const auto pid = uint_field(req, "pid", std::nullopt, 1, UINT32_MAX, bad);
    if (!pid) return error_reply("kill: pid must be an integer 1..4294967295");
    if (req.contains("tree") && !req["tree"].is_boolean()) return error_reply("kill: tree must be true or false");
    if (req.value("tree", false)) {
      // The kernel ends the tree (or the session the subtree); the reply
      // says how many processes ran then. Wait (bounded) until none of
      // them runs, so the caller sees them gone when the reply says so.
      auto k = session_.kill_tree(static_cast<uint32_t>(*pid));
      if (!k) return session_error_reply("kill", session_, k.detail());
      if (!k->found) return error_reply(fmt::format("kill: no such process: pid {} is not in the table", *pid));
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      size_t left = 0;
      while (true) {
        auto snap = session_.snapshot();
        if (!snap) return session_error_reply("kill", session_, snap.detail());
        left = subtree_of(*snap, static_cast<uint32_t>(*pid)).live.size();
        if (left == 0 || std::chrono::steady_clock::now() >= deadline) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      if (left != 0) {
        return error_reply(fmt::format("kill: pid {} and its descendants were told to end, but {} of them still "
                                       "run after 10 s",
                                       *pid, left));
      }
      return json{{"ok", true},     {"schema", JSON_SCHEMA}, {"pid", *pid},        {"tree", true},
                  {"root", k->root}, {"whole_tree", k->whole}, {"ended", k->running}}
          .dump();
    }
    auto r = session_.kill(static_cast<uint32_t>(*pid));
    if (!r) return session_error_reply("kill", session_, r.detail());
    if (!*r) return error_reply(fmt::format("kill: no such process: pid {} is not running", *pid));
    return json{{"ok", true}, {"schema", JSON_SCHEMA}, {"pid", *pid}}.dump();
  }
  if (verb == "wait") {
    const auto pid = uint_field(req, "pid", std::nullopt, 1, UINT32_MAX, bad);
    if (!pid) return error_reply("wait: pid must be an integer 1..4294967295");
    const auto timeout = uint_field(req, "timeout_ms", std::nullopt, 0, kMaxWaitMs, bad);
    if (bad) return error_reply(fmt::format("wait: timeout_ms must be an integer 0..{}", kMaxWaitMs));
    return start_wait(static_cast<uint32_t>(*pid), timeout, park);
  }
  if (verb == "ps" || verb == "stats") {
    auto snap = session_.snapshot();
    if (!snap) return session_error_reply(verb, session_, snap.detail());
    return json{{"ok", true}, {"schema", JSON_SCHEMA}, {"snapshot", to_json(snap.value())}}.dump();
  }
  return std::nullopt;
}

namespace {

std::string exit_reply(Session& session, const procs::ExitInfo& e) {
  json x = to_json(e);
  const procs::ProcessProgram* prog = session.program(e.program);
  x["prog"] = prog ? prog->name : fmt::format("#{}", e.program);
  if (e.trap != 0) {
    x["trap_name"] = e.trap < 0x100 ? vm::trap_message(static_cast<vm::TrapKind>(e.trap)) : "unsupported";
    x["trap_where"] = prog ? procs::describe_trap(*prog, e.trap, e.trap_pc) : x["trap_name"].get<std::string>();
  }
  return json{{"ok", true}, {"schema", JSON_SCHEMA}, {"exit", x}}.dump();
}

}  // namespace

std::string ControlServer::start_wait(uint32_t pid, std::optional<uint64_t> timeout_ms, Parked& park) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  if (auto e = session_.exits().find(pid)) return exit_reply(session_, *e);

  // No exit recorded: is the pid in the table at all?
  auto snap = session_.snapshot();
  if (!snap) return session_error_reply("wait", session_, snap.detail());
  const bool present = std::any_of(snap->procs.begin(), snap->procs.end(),
                                   [&](const abi::ProcEntry& p) { return p.pid == pid; });
  park.kind = Parked::Kind::Wait;
  park.pid = pid;
  if (!present) {
    // The kernel writes the exit record before it frees the slot, so if the
    // process ended before the snapshot, its record lies before the ring
    // head read now: once the host has drained up to there, the log is
    // complete for this pid.
    const SessionStatus st = session_.status();
    park.catch_up = true;
    park.target = st.ring_position + static_cast<uint32_t>(st.ring_head - static_cast<uint32_t>(st.ring_position));
    park.until = Clock::now() + kDrainCatchUp;
    return {};
  }
  if (timeout_ms) {
    park.deadline = start + std::chrono::milliseconds(*timeout_ms);
    park.timeout_ms = *timeout_ms;
  }
  return {};
}

std::optional<std::string> ControlServer::poll_wait(const Parked& w) {
  if (auto e = session_.exits().find(w.pid)) return exit_reply(session_, *e);
  if (session_.failed()) return session_error_reply("wait", session_, session_.failure());
  if (stopping_ || shutdown_requested_) {
    return error_reply(fmt::format("wait: the session ended before pid {} exited", w.pid));
  }
  const auto now = std::chrono::steady_clock::now();
  if (w.catch_up) {
    if (session_.status().ring_position < w.target && now < w.until) return std::nullopt;
    if (auto e = session_.exits().find(w.pid)) return exit_reply(session_, *e);
    return error_reply(
        fmt::format("wait: no such process: pid {} is not running and no exit of it is recorded", w.pid));
  }
  if (w.deadline && now >= *w.deadline) {
    return error_reply(fmt::format("wait: pid {} did not exit within {:.3g} s", w.pid,
                                   static_cast<double>(w.timeout_ms) / 1000.0));
  }
  return std::nullopt;
}

}  // namespace gpuos::control

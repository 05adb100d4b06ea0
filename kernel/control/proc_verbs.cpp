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
#include <sys/socket.h>
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

#include "kernel/base64.h"
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
// How long one record of a spawn's output may wait for a FIFO or device
// that does not drain before it is dropped.
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

// A file a spawn's output goes to: a descriptor the client opened and
// passed (SCM_RIGHTS), written with one write(2) per record (so what a
// process wrote is on disk when it exits). A FIFO, pipe, socket or device
// is never written in a way that can hold the caller for long: a reader
// that stops reading costs each record at most kWriteWait, then its output
// is dropped, and the session's drain thread, which calls this, goes on.
// `gpuos spawn` passes a non-blocking description of its own; a descriptor
// that is blocking (another client's) is not changed (its flags are the
// client's, maybe its terminal's): each write waits for room with poll
// first, and a record (at most OUT_TEXT_MAX bytes, under PIPE_BUF) then
// fits without blocking. A socket is sent to with MSG_DONTWAIT.
struct OutputFile {
  int fd = -1;
  bool stream = false, blocking = false, socket = false;
  std::atomic<bool> warned{false};
  ~OutputFile() {
    if (fd >= 0) ::close(fd);
  }
  // 0, or the errno of the failed write: the process's next write to the
  // stream returns it (a full disk is ENOSPC there, as it would be natively).
  // A stream whose reader stops reading is not an error: its output is dropped.
  int write(std::string_view text) {
    const auto until = std::chrono::steady_clock::now() + kWriteWait;
    auto wait_room = [&] {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
      pollfd p{fd, POLLOUT, 0};
      return left.count() > 0 && ::poll(&p, 1, static_cast<int>(left.count())) > 0;
    };
    while (!text.empty()) {
      if (stream && blocking && !socket && !wait_room()) return dropped();
      const ssize_t n = socket ? ::send(fd, text.data(), text.size(), MSG_DONTWAIT | MSG_NOSIGNAL)
                               : ::write(fd, text.data(), text.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && stream) {
        if (wait_room()) continue;
        return dropped();
      }
      if (n < 0) return errno;
      if (n == 0) return EIO;
      text.remove_prefix(static_cast<size_t>(n));
    }
    return 0;
  }
  int dropped() {
    if (!warned.exchange(true)) spdlog::warn("spawn output (fd {}): its reader is not reading; output dropped", fd);
    return 0;
  }
};

// An OutputFile for a descriptor the client passed; nullptr with `why` if
// it cannot take output.
std::shared_ptr<OutputFile> output_from_fd(int fd, const char* what, std::string& why) {
  auto f = std::make_shared<OutputFile>();
  f->fd = fd;
  struct stat st {};
  const int fl = ::fcntl(fd, F_GETFL);
  if (::fstat(fd, &st) != 0 || fl < 0) {
    why = fmt::format("{}: the descriptor passed is not usable: {}", what, std::strerror(errno));
    return nullptr;
  }
  if ((fl & O_ACCMODE) == O_RDONLY || S_ISDIR(st.st_mode)) {
    why = fmt::format("{}: the descriptor passed is not open for writing", what);
    return nullptr;
  }
  f->stream = !S_ISREG(st.st_mode);
  f->socket = S_ISSOCK(st.st_mode);
  f->blocking = (fl & O_NONBLOCK) == 0;
  return f;
}

// The request's "stdout_fd", "stderr_fd", "stdin_fd" (indices into the
// descriptors it brought, `fds`) and "dirs" ([{host, guest, read_only}])
// as a SpawnIo; nullptr with `why` if bad.
std::shared_ptr<io::SpawnIo> spawn_io(const json& req, ControlServer::RequestFds* fds, std::string& why) {
  auto io = std::make_shared<io::SpawnIo>();
  for (const char* key : {"stdout", "stderr", "stdin"}) {
    if (req.contains(key)) {
      why = fmt::format("{}: the session no longer opens files by path; pass the open descriptor ({}_fd, "
                        "SCM_RIGHTS: docs/cli.md)",
                        key, key);
      return nullptr;
    }
  }
  const size_t have = fds ? fds->fds.size() : 0;
  auto index = [&](const char* key, std::optional<size_t>& out) {
    if (!req.contains(key)) return true;
    if (!req[key].is_number_unsigned() || req[key].get<size_t>() >= have) {
      why = fmt::format("{} must name one of the {} descriptors passed with the request", key, have);
      return false;
    }
    out = req[key].get<size_t>();
    return true;
  };
  std::optional<size_t> out_i, err_i, in_i;
  if (!index("stdout_fd", out_i) || !index("stderr_fd", err_i) || !index("stdin_fd", in_i)) return nullptr;
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
  if (out_i && !(out = output_from_fd(fds->take(*out_i), "stdout_fd", why))) return nullptr;
  if (err_i) {
    err = err_i == out_i ? out : output_from_fd(fds->take(*err_i), "stderr_fd", why);
    if (!err) return nullptr;
  }
  if (in_i) {
    auto in = std::make_shared<io::OwnedFd>(fds->take(*in_i));
    const int fl = ::fcntl(in->fd, F_GETFL);
    if (fl < 0 || (fl & O_ACCMODE) == O_WRONLY) {
      why = "stdin_fd: the descriptor passed is not open for reading";
      return nullptr;
    }
    io->stdin_file = std::move(in);
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

// `logs`: one process's stdout and stderr from position "from", at most
// "max_bytes" (the client asks again from "next" until it has "end"). The
// exit is looked up before the output is read: once the exit is drained,
// every record the process wrote is in (the drain thread adds output
// before exits), so "exited" with next == end means there is no more.
static std::string logs_reply(Session& session, const json& req) {
  bool bad = false;
  const auto pid = uint_field(req, "pid", std::nullopt, 1, UINT32_MAX, bad);
  if (!pid) return error_reply("logs: pid must be an integer 1..4294967295");
  const auto from = uint_field(req, "from", 0, 0, UINT64_MAX, bad);
  if (bad) return error_reply("logs: from must be a non-negative integer");
  const auto max_bytes = uint_field(req, "max_bytes", 32768, 1, 65536, bad);
  if (bad) return error_reply("logs: max_bytes must be an integer 1..65536");
  const auto exit = session.exits().find(static_cast<uint32_t>(*pid));
  const io::ProcessLogs::Read rd = session.outputs().read(static_cast<uint32_t>(*pid), *from, *max_bytes);
  if (!rd.known && !exit) {
    auto snap = session.snapshot();
    if (!snap) return session_error_reply("logs", session, snap.detail());
    if (std::none_of(snap->procs.begin(), snap->procs.end(), [&](const abi::ProcEntry& p) { return p.pid == *pid; })) {
      return error_reply(fmt::format("logs: no such process: pid {} is not running, and no output or exit of it is "
                                     "kept",
                                     *pid));
    }
  }
  json chunks = json::array();
  for (const auto& c : rd.chunks) {
    chunks.push_back({{"stream", c.is_stderr ? "stderr" : "stdout"}, {"data", base64_encode(c.bytes)}});
  }
  json r = {{"ok", true},       {"schema", JSON_SCHEMA}, {"pid", *pid},         {"start", rd.start},
            {"end", rd.end},    {"next", rd.known ? rd.next : *from}, {"dropped", rd.start},
            {"exited", exit.has_value()}, {"chunks", chunks},
            {"kept_per_process", session.outputs().limits().per_process}};
  if (exit) r["status"] = exit->status;
  return r.dump();
}

std::optional<std::string> ControlServer::handle_proc_verb(const std::string& verb, const json& req, Parked& park,
                                                           RequestFds* fds) {
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
    const auto max_memory = uint_field(req, "max_memory", 0, 0, uint64_t{1} << 32, bad);
    if (bad || (*max_memory != 0 && *max_memory < abi::PAGE_BYTES)) {
      return error_reply("spawn: max_memory must be 0 (the session's) or a byte count 65536..4294967296");
    }
    std::vector<std::string> args;
    if (req.contains("args")) args = req["args"].get<std::vector<std::string>>();
    for (const std::string& a : args) {
      if (a.find('\0') != std::string::npos) return error_reply("spawn: an argument contains a NUL byte");
    }
    // The processes' environment comes from the client (`spawn --env`),
    // never from this daemon's own.
    std::vector<std::string> env;
    if (req.contains("env")) {
      const json& e = req["env"];
      bool ok = e.is_array();
      for (size_t i = 0; ok && i < e.size(); ++i) {
        ok = e[i].is_string();
        if (!ok) break;
        const std::string kv = e[i];
        ok = kv.find('=') != std::string::npos && kv[0] != '=' && kv.find('\0') == std::string::npos;
        if (ok) env.push_back(kv);
      }
      if (!ok) return error_reply("spawn: env must be an array of \"KEY=VALUE\" strings (KEY non-empty, no NUL)");
    }

    // A regular file of bounded size only, and never a blocking open or
    // read: a FIFO, a device or a directory is refused at once, and this
    // daemon serves every other client meanwhile (module_file.h).
    auto bytes = wasm::read_module_file(path, kMaxModuleBytes);
    if (!bytes) return error_reply("spawn: " + bytes.detail());
    const std::string name = program_name(path);
    Tier tier = default_tier(session_.context().info().is_lavapipe());
    if (req.contains("tier")) {
      const auto t = req["tier"].is_string() ? parse_tier(req["tier"].get<std::string>()) : std::nullopt;
      if (!t) return error_reply("spawn: tier must be \"interp\", \"compiled\" or \"auto\"");
      tier = *t;
    }
    auto prog = session_.load_program(*bytes, name, tier);
    if (!prog) {
      // The loader's messages start with the program's name; the path says more.
      std::string why = prog.detail();
      if (why.rfind(name + ": ", 0) == 0) why = path + why.substr(name.size());
      return session_error_reply("spawn", session_, why);
    }
    std::string io_why;
    auto io = spawn_io(req, fds, io_why);
    if (!io) {
      session_.release_program(*prog);
      return error_reply("spawn: " + io_why);
    }
    auto r = session_.spawn(*prog, static_cast<uint32_t>(*instances), static_cast<uint32_t>(*arg), args, io, env,
                            static_cast<uint32_t>(*max_memory / abi::PAGE_BYTES));
    // Its processes hold it now (or none was made): the reaper unloads it
    // once the last of them is gone.
    session_.release_program(*prog);
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
  if (verb == "logs") return logs_reply(session_, req);
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
  // Named as the session drained the exit (the program may be unloaded since).
  const procs::ProcessProgram* prog = e.prog_name.empty() ? session.program(e.program) : nullptr;
  x["prog"] = !e.prog_name.empty() ? e.prog_name : prog ? prog->name : fmt::format("#{}", e.program);
  if (e.trap != 0) {
    x["trap_name"] = e.trap < 0x100 ? vm::trap_message(static_cast<vm::TrapKind>(e.trap)) : "unsupported";
    x["trap_where"] = !e.trap_where.empty() ? e.trap_where
                      : prog               ? procs::describe_trap(*prog, e.trap, e.trap_pc)
                                           : x["trap_name"].get<std::string>();
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

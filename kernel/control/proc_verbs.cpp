// The process verbs of the control socket: spawn, kill, wait, ps, stats
// (server.h lists the requests; docs/cli.md has the protocol).
//
// `wait` is the one verb that blocks for long: it runs on its client's own
// thread (the server has one per connection), in 200 ms steps, so it notices
// a client that went away, a server that stops and a session that fails or
// shuts down, and other clients are never held up by it.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "kernel/control/json.h"
#include "kernel/control/server.h"
#include "kernel/control/server_detail.h"
#include "procs/vm/bytecode.h"
#include "shaders/abi.h"

namespace gpuos::control {

using nlohmann::json;
using detail::error_reply;
using detail::peer_closed;
using detail::session_error_reply;

namespace {

constexpr size_t kMaxModuleBytes = 256u << 20;  // far above what the program store holds
constexpr auto kWaitStep = std::chrono::milliseconds(200);
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
struct OutputFile {
  int fd = -1;
  ~OutputFile() {
    if (fd >= 0) ::close(fd);
  }
  // 0, or the errno of the failed write: the process's next write to the
  // stream returns it (a full disk is ENOSPC there, as it would be natively).
  int write(std::string_view text) const {
    while (!text.empty()) {
      const ssize_t n = ::write(fd, text.data(), text.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return errno;
      if (n == 0) return EIO;
      text.remove_prefix(static_cast<size_t>(n));
    }
    return 0;
  }
};

std::shared_ptr<OutputFile> open_output(const std::string& path, std::string& why) {
  auto f = std::make_shared<OutputFile>();
  f->fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (f->fd < 0) why = fmt::format("cannot open {} for writing: {}", path, std::strerror(errno));
  return f->fd < 0 ? nullptr : f;
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

std::optional<std::string> ControlServer::handle_proc_verb(const std::string& verb, const json& req, int fd) {
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

    std::error_code ec;
    if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec)) {
      return error_reply(fmt::format("spawn: {} is not a regular file", path));
    }
    std::ifstream f(path, std::ios::binary);
    if (!f) return error_reply(fmt::format("spawn: cannot read {}: {}", path, std::strerror(errno)));
    f.seekg(0, std::ios::end);
    const auto size = static_cast<uint64_t>(std::max<std::streamoff>(0, f.tellg()));
    if (size > kMaxModuleBytes) {
      return error_reply(fmt::format("spawn: {} is {} bytes; modules of at most {} bytes are taken", path, size,
                                     kMaxModuleBytes));
    }
    f.seekg(0);
    std::vector<uint8_t> bytes(static_cast<size_t>(size));
    if (!f.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()))) {
      return error_reply(fmt::format("spawn: cannot read {}: {}", path, std::strerror(errno)));
    }
    const std::string name = program_name(path);
    auto prog = session_.load_program(bytes, name);
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
    return wait_for_exit(static_cast<uint32_t>(*pid), timeout, fd);
  }
  if (verb == "ps" || verb == "stats") {
    auto snap = session_.snapshot();
    if (!snap) return session_error_reply(verb, session_, snap.detail());
    return json{{"ok", true}, {"schema", JSON_SCHEMA}, {"snapshot", to_json(snap.value())}}.dump();
  }
  return std::nullopt;
}

std::string ControlServer::wait_for_exit(uint32_t pid, std::optional<uint64_t> timeout_ms, int fd) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const procs::ExitLog& log = session_.exits();

  auto exit_reply = [&](const procs::ExitInfo& e) {
    json x = to_json(e);
    const procs::ProcessProgram* prog = session_.program(e.program);
    x["prog"] = prog ? prog->name : fmt::format("#{}", e.program);
    if (e.trap != 0) {
      x["trap_name"] = e.trap < 0x100 ? vm::trap_message(static_cast<vm::TrapKind>(e.trap)) : "unsupported";
      x["trap_where"] = prog ? procs::describe_trap(*prog, e.trap, e.trap_pc) : x["trap_name"].get<std::string>();
    }
    return json{{"ok", true}, {"schema", JSON_SCHEMA}, {"exit", x}}.dump();
  };
  const std::string ended = error_reply(fmt::format("wait: the session ended before pid {} exited", pid));
  // Why a wait that found no exit record stops, or nullopt to keep waiting.
  auto interrupted = [&]() -> std::optional<std::string> {
    if (session_.failed()) return session_error_reply("wait", session_, session_.failure());
    if (stopping_ || shutdown_requested_) return ended;
    if (peer_closed(fd)) return std::string();  // nobody to answer
    return std::nullopt;
  };
  // ExitLog::wait returns early without a record only once the log is
  // closed (Session::shutdown): answer then, before the server drops the
  // connection.
  bool log_closed = false;
  auto wait_step = [&](std::chrono::milliseconds step) -> std::optional<procs::ExitInfo> {
    const auto t0 = Clock::now();
    auto e = log.wait(pid, step);
    if (!e && Clock::now() - t0 + std::chrono::milliseconds(2) < step) log_closed = true;
    return e;
  };

  if (auto e = log.find(pid)) return exit_reply(*e);

  // No exit recorded: is the pid in the table at all?
  auto snap = session_.snapshot();
  if (!snap) return session_error_reply("wait", session_, snap.detail());
  const bool present = std::any_of(snap->procs.begin(), snap->procs.end(),
                                   [&](const abi::ProcEntry& p) { return p.pid == pid; });
  if (!present) {
    // The kernel writes the exit record before it frees the slot, so if the
    // process ended before the snapshot, its record lies before the ring
    // head read now: once the host has drained up to there, the log is
    // complete for this pid.
    const SessionStatus st = session_.status();
    const uint64_t target =
        st.ring_position + static_cast<uint32_t>(st.ring_head - static_cast<uint32_t>(st.ring_position));
    const auto until = Clock::now() + kDrainCatchUp;
    while (session_.status().ring_position < target && Clock::now() < until) {
      if (auto e = wait_step(std::chrono::milliseconds(10))) return exit_reply(*e);
      if (log_closed) return ended;
      if (auto why = interrupted()) return *why;
    }
    if (auto e = log.find(pid)) return exit_reply(*e);
    return error_reply(fmt::format("wait: no such process: pid {} is not running and no exit of it is recorded", pid));
  }

  const auto deadline = timeout_ms ? start + std::chrono::milliseconds(*timeout_ms) : Clock::time_point::max();
  while (true) {
    const auto now = Clock::now();
    if (now >= deadline) {
      return error_reply(fmt::format("wait: pid {} did not exit within {:.3g} s", pid,
                                     static_cast<double>(*timeout_ms) / 1000.0));
    }
    const auto step = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::min<Clock::duration>(kWaitStep, deadline - now)) +
                      std::chrono::milliseconds(1);
    if (auto e = wait_step(step)) return exit_reply(*e);
    if (log_closed) return ended;
    if (auto why = interrupted()) return *why;
  }
}

}  // namespace gpuos::control

// The process verbs: spawn, kill, wait, ps, stats. Each sends one request
// to the session (kernel/control/proc_verbs.cpp) and formats the reply;
// `ps` and `stats` format the one snapshot object the daemon sends
// (control::to_json(ProcSnapshot)), and --json prints it as it came.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <system_error>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/client.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/json_out.h"
#include "kernel/base64.h"
#include "kernel/control/json.h"
#include "kernel/text_escape.h"
#include "procs/wasm/reader.h"

namespace gpuos::cli {

using nlohmann::json;

namespace {

// Memory in binary units: "0", "64 KiB", "1.5 MiB", "2.0 GiB".
std::string fmt_mem(uint64_t b) {
  if (b == 0) return "0";
  if (b >= (1ull << 30)) return fmt::format("{:.1f} GiB", static_cast<double>(b) / (1ull << 30));
  if (b >= (1ull << 20)) return fmt::format("{:.1f} MiB", static_cast<double>(b) / (1ull << 20));
  if (b >= (1ull << 10)) return fmt::format("{} KiB", b >> 10);
  return fmt::format("{} B", b);
}

// Milliseconds: "15 ms", "2.35 s", "4m05s", "3h07m".
std::string fmt_ms(uint64_t ms) {
  if (ms < 1000) return fmt::format("{} ms", ms);
  if (ms < 60000) return fmt::format("{:.2f} s", static_cast<double>(ms) / 1000.0);
  const uint64_t s = ms / 1000;
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, (s / 60) % 60);
}

// A text table: columns right-aligned unless named in `left`; widths fit the content.
void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                 const std::vector<bool>& left) {
  std::vector<size_t> w(header.size());
  for (size_t i = 0; i < header.size(); ++i) w[i] = header[i].size();
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], r[i].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < cells.size(); ++i) {
      const bool last = i + 1 == cells.size();
      if (i) out += "  ";
      if (left[i]) {
        out += last ? cells[i] : fmt::format("{:<{}}", cells[i], w[i]);
      } else {
        out += fmt::format("{:>{}}", cells[i], w[i]);
      }
    }
    std::printf("%s\n", out.c_str());
  };
  line(header);
  for (const auto& r : rows) line(r);
}

void print_heap(const json& snap) {
  std::vector<std::vector<std::string>> rows;
  for (const json& c : snap["heap"]) {
    const bool large = c.value("large", false);
    rows.push_back({large ? "large" : std::to_string(c["class"].get<unsigned>()),
                    large ? "pages" : std::to_string(c["block_size"].get<unsigned>()),
                    std::to_string(c["allocs"].get<uint64_t>()), std::to_string(c["frees"].get<uint64_t>()),
                    std::to_string(c["live"].get<uint64_t>()), std::to_string(c["slabs"].get<uint64_t>()),
                    std::to_string(c["bad_frees"].get<uint64_t>())});
  }
  print_table({"CLASS", "SIZE", "ALLOCS", "FREES", "LIVE", "SLABS", "BAD_FREES"}, rows,
              {false, false, false, false, false, false, false});
}

// The snapshot from a `ps` or `stats` reply, or an exit code.
std::variant<json, int> snapshot(const std::string& session, const char* verb) {
  auto r = one_call(session, {{"verb", verb}});
  if (auto* code = std::get_if<int>(&r)) return *code;
  return std::get<json>(r)["snapshot"];
}

// The files a spawn's --stdout, --stderr and --stdin name, opened here.
struct OpenedFiles {
  std::vector<int> fds;
  void close_all() {
    for (int fd : fds) ::close(fd);
    fds.clear();
  }
  ~OpenedFiles() { close_all(); }
};

// Opens an output file as `>` would: created (mode 0666 less our umask),
// truncated if a regular file, appended to (stdout and stderr may share
// it). Non-blocking, a new open file description of our own: the session
// writes it without ever waiting on a slow reader, and the descriptor our
// shell gave us (a terminal's, behind /dev/stdout) keeps its flags. A FIFO
// without a reader makes us wait for one, as a shell would; the session
// is not involved until it has one.
int open_output_file(const std::string& path, const char* opt, std::string& why) {
  constexpr int kFlags = O_WRONLY | O_CREAT | O_APPEND | O_NOCTTY | O_CLOEXEC;
  int fd = ::open(path.c_str(), kFlags | O_NONBLOCK, 0666);
  if (fd < 0 && errno == ENXIO) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISFIFO(st.st_mode)) {
      std::fprintf(stderr, "gpuos: spawn: %s %s is a FIFO with no reader: waiting for one\n", opt,
                   escape_text(path).c_str());
      do {
        fd = ::open(path.c_str(), kFlags, 0666);
      } while (fd < 0 && errno == EINTR);
      if (fd >= 0) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    } else {
      errno = ENXIO;
    }
  }
  if (fd < 0) {
    why = fmt::format("{} {}: {}", opt, escape_text(path), std::strerror(errno));
    return -1;
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ::ftruncate(fd, 0) != 0) {
    why = fmt::format("{} {}: cannot truncate: {}", opt, escape_text(path), std::strerror(errno));
    ::close(fd);
    return -1;
  }
  return fd;
}

// Opens the spawn's files into `files` and names them in `req`
// ("stdout_fd", "stderr_fd", "stdin_fd": indices into the descriptors
// sent; "fds": how many). Returns EXIT_OK or, having said why, an exit code.
int open_spawn_files(const SpawnArgs& a, OpenedFiles& files, json& req) {
  std::string why;
  auto add = [&](int fd, const char* key) {
    req[key] = files.fds.size();
    files.fds.push_back(fd);
  };
  if (!a.stdout_path.empty()) {
    const int fd = open_output_file(a.stdout_path, "--stdout", why);
    if (fd < 0) return report_error("gpuos: spawn: %s\n", why.c_str()), EXIT_ERROR;
    add(fd, "stdout_fd");
  }
  if (!a.stderr_path.empty()) {
    if (a.stderr_path == a.stdout_path) {
      req["stderr_fd"] = req["stdout_fd"];  // one file, one description: their lines interleave in order
    } else {
      const int fd = open_output_file(a.stderr_path, "--stderr", why);
      if (fd < 0) return report_error("gpuos: spawn: %s\n", why.c_str()), EXIT_ERROR;
      add(fd, "stderr_fd");
    }
  }
  if (!a.stdin_path.empty()) {
    // Blocking, as `<` is: a FIFO without a writer makes us wait for one.
    int fd;
    do {
      fd = ::open(a.stdin_path.c_str(), O_RDONLY | O_NOCTTY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    struct stat st {};
    if (fd >= 0 && ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
      ::close(fd);
      fd = -1;
      errno = EISDIR;
    }
    if (fd < 0) {  // worded as `run --stdin` words it
      report_error("gpuos: spawn: --stdin %s: %s\n", escape_text(a.stdin_path).c_str(),
                   errno == EISDIR ? "is a directory" : std::strerror(errno));
      return EXIT_ERROR;
    }
    add(fd, "stdin_fd");
  }
  if (!files.fds.empty()) req["fds"] = files.fds.size();
  return EXIT_OK;
}

// one_call, with descriptors passed along (Client::send_with_fds).
std::variant<json, int> one_call_with_fds(const std::string& session, const json& req, const std::vector<int>& fds) {
  auto c = Client::connect(session);
  if (!c) {
    report_error("gpuos: %s\n", c.detail().c_str());
    return exit_code_for(c.code());
  }
  if (auto s = c->send_with_fds(req, fds); !s) {
    report_error("gpuos: %s\n", s.detail().c_str());
    return exit_code_for(s.code());
  }
  auto r = c->read();
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

}  // namespace

int cmd_spawn(const std::string& session, const SpawnArgs& a) {
  // The daemon reads the file, and its working directory is not ours. What
  // the file is (missing, a directory, a FIFO, too large) is the daemon's
  // to judge (wasm::read_module_file): a check here could only race it.
  std::error_code ec;
  if (a.program.empty()) {
    report_error("gpuos: spawn: the program path is empty\n");
    return EXIT_ERROR;
  }
  const std::filesystem::path path = std::filesystem::absolute(a.program, ec);
  if (ec) {  // a relative path from a working directory that was removed
    report_error("gpuos: spawn: %s: %s (give an absolute path)\n", escape_text(a.program).c_str(),
                 ec.message().c_str());
    return EXIT_ERROR;
  }
  // The environment is this command's to give (--env, --env-inherit), never
  // the daemon's own: the daemon was started elsewhere, by someone else.
  auto env = build_env(a.env, a.env_inherit, "spawn");
  if (!env) return EXIT_ERROR;
  json req = {{"verb", "spawn"},
              {"path", path.lexically_normal().string()},
              {"instances", a.instances},
              {"arg", a.first_arg},
              {"args", a.args}};
  if (!env->empty()) req["env"] = *env;
  if (a.max_memory_pages != 0) req["max_memory"] = uint64_t{a.max_memory_pages} * abi::PAGE_BYTES;
  if (a.tier) req["tier"] = to_string(*a.tier);
  json dirs = json::array();
  for (const auto& [spec, ro] : a.dirs) {
    std::string why;
    auto d = parse_dir(spec, ro, why);
    if (!d) {
      report_error("gpuos: spawn: %s\n", why.c_str());
      return EXIT_ERROR;
    }
    dirs.push_back({{"host", d->host}, {"guest", d->guest}, {"read_only", d->read_only}});
  }
  if (!dirs.empty()) req["dirs"] = dirs;
  // The control protocol is JSON, whose strings are UTF-8: a path or an
  // argument that is not would make the request unencodable.
  // (--stdout, --stderr and --stdin go as descriptors: any path will do.)
  std::vector<std::pair<std::string, const std::string*>> texts = {{"the program path", &a.program}};
  for (const std::string& arg : a.args) texts.emplace_back("an argument", &arg);
  for (const std::string& e : *env) texts.emplace_back("an environment variable", &e);
  for (const auto& d : a.dirs) texts.emplace_back(d.second ? "--dir-ro" : "--dir", &d.first);
  for (const auto& [what, text] : texts) {
    if (!wasm::is_valid_utf8(*text)) {
      report_error("gpuos: spawn: %s (%s) is not valid UTF-8, which the session's protocol needs\n",
                   what.c_str(), escape_text(*text).c_str());
      return EXIT_ERROR;
    }
  }
  // --stdout, --stderr and --stdin are opened here, as a shell would open
  // them (our working directory, our permissions), and passed to the
  // session (SCM_RIGHTS): FIFOs, /dev/stdout and /dev/null work, and the
  // daemon never opens a path a client names for them.
  OpenedFiles files;
  if (int rc = open_spawn_files(a, files, req); rc != EXIT_OK) return rc;
  auto r = one_call_with_fds(session, req, files.fds);
  files.close_all();
  if (auto* code = std::get_if<int>(&r)) return *code;
  const json& j = std::get<json>(r);
  const unsigned no_slot = j.value("failed_slots", 0u), no_pages = j.value("failed_pages", 0u);
  if (!a.json) {
    for (const json& pid : j["pids"]) std::printf("%u\n", pid.get<unsigned>());
  } else if (no_slot == 0 && no_pages == 0) {
    print_json(j);
  }
  if (no_slot == 0 && no_pages == 0) return EXIT_OK;
  std::string why;
  if (no_slot) why += fmt::format("{} because the process table is full", no_slot);
  if (no_pages) why += fmt::format("{}{} for lack of free memory pages", why.empty() ? "" : ", ", no_pages);
  report_error("gpuos: spawn: %u of %u instances were refused: %s\n", no_slot + no_pages, a.instances,
               why.c_str());
  // --json: the reply is the error line, with the pids of those that started.
  return finish_json(EXIT_ERROR, j);
}

int cmd_kill(const std::string& session, uint32_t pid, bool tree, bool as_json) {
  json req = {{"verb", "kill"}, {"pid", pid}};
  if (tree) req["tree"] = true;
  auto r = one_call(session, req);
  if (auto* code = std::get_if<int>(&r)) return *code;
  const json& j = std::get<json>(r);
  if (as_json) {
    print_json(j);
  } else if (tree) {
    const unsigned n = j.value("ended", 0u);
    if (j.value("whole_tree", true)) {
      std::printf("killed the tree of pid %u: %u process%s ended\n", pid, n, n == 1 ? "" : "es");
    } else {
      std::printf("killed pid %u and its descendants (in the tree of pid %u): %u process%s ended\n", pid,
                  j.value("root", 0u), n, n == 1 ? "" : "es");
    }
  } else {
    std::printf("killed pid %u\n", pid);
  }
  return EXIT_OK;
}

int cmd_wait(const std::string& session, uint32_t pid, std::optional<double> timeout_s, bool as_json) {
  json req = {{"verb", "wait"}, {"pid", pid}};
  if (timeout_s) req["timeout_ms"] = static_cast<uint64_t>(std::llround(*timeout_s * 1000.0));
  // Every failure of gpuos's own is EXIT_GPUOS here, so that it cannot pass
  // for the process's status (one_call printed why).
  auto r = one_call(session, req);
  if (std::get_if<int>(&r)) return EXIT_GPUOS;
  const json& j = std::get<json>(r);
  const json& e = j["exit"];
  const uint32_t status = e["status"].get<uint32_t>();
  const std::string how = e.value("how", "exited");
  if (as_json) {
    print_json(j);
  } else if (how == "trapped") {
    std::printf("pid %u trapped: %s (pc %u); status %u\n", pid,
                escape_text(e.value("trap_where", std::string("?"))).c_str(),
                e["trap_pc"].get<unsigned>(), status);
  } else if (how == "killed") {
    std::printf("pid %u was killed (status %u)\n", pid, status);
  } else {
    std::printf("pid %u exited with status %u\n", pid, status);
  }
  // Our own exit status is the process's, as a shell would show it: 134
  // for a trap and 137 for a kill are already in it.
  return program_status(status);
}

int cmd_ps(const std::string& session, bool as_json, bool heap, bool raw) {
  auto r = snapshot(session, "ps");
  if (auto* code = std::get_if<int>(&r)) return *code;
  const json& s = std::get<json>(r);
  if (as_json) {
    print_json(s);
    return EXIT_OK;
  }
  std::vector<std::vector<std::string>> rows;
  for (const json& p : s["procs"]) {
    const std::string prog = p["prog"].get<std::string>();
    rows.push_back({std::to_string(p["pid"].get<unsigned>()), std::to_string(p["ppid"].get<unsigned>()),
                    p["state"].get<std::string>(), raw ? prog : escape_text(prog), p.value("tier", std::string("?")),
                    std::to_string(p["instructions"].get<uint64_t>()), fmt_mem(p["mem_bytes"].get<uint64_t>()),
                    fmt_ms(p["time_ms"].get<uint64_t>())});
  }
  print_table({"PID", "PPID", "STATE", "PROG", "TIER", "INSTR", "MEM", "TIME"}, rows,
              {false, false, true, true, true, false, false, false});
  if (heap) {
    std::printf("\n");
    print_heap(s);
  }
  return EXIT_OK;
}

int cmd_stats(const std::string& session, bool as_json) {
  auto r = snapshot(session, "stats");
  if (auto* code = std::get_if<int>(&r)) return *code;
  json s = std::get<json>(r);
  if (as_json) {
    s.erase("procs");  // `ps --json` has them
    print_json(s);
    return EXIT_OK;
  }
  const json& c = s["counters"];
  const json& cfg = s["config"];
  const uint64_t page = s["page_bytes"].get<uint64_t>();
  auto u = [](const json& j, const char* k) { return j[k].get<unsigned long long>(); };
  std::printf("processes  %llu live, %llu zombies; %llu spawned, %llu exited (%llu killed, %llu trapped)\n",
              u(c, "live"), u(c, "zombies"), u(c, "spawned"), u(c, "exited"), u(c, "killed"), u(c, "trapped"));
  std::printf("refused    %llu spawns (table full or no pages), %llu GPU spawns (tree limit or tree kill), %llu grows "
              "(no pages)\n",
              u(c, "spawn_failed"), c.value("tree_refused", 0ull), u(c, "grow_failed"));
  std::printf("stacks     %llu moves to a larger run (deep calls)\n", c.value("stack_moves", 0ull));
  std::printf("table      %llu of %llu slots in use (highest used: %llu)\n", u(c, "slots_used"),
              u(cfg, "table_size"), u(c, "slot_high"));
  std::printf("pages      %llu of %llu in use (%s of %s); at most %llu per process\n", u(c, "pages_used"),
              u(cfg, "arena_pages"), fmt_mem(u(c, "pages_used") * page).c_str(),
              fmt_mem(u(cfg, "arena_pages") * page).c_str(), u(cfg, "max_pages"));
  std::printf("quantum    %llu ticks\n", u(cfg, "quantum"));
  if (s.contains("compiled_tier")) {
    const json& t = s["compiled_tier"];
    std::printf("compiled   %llu programs in %llu kernel variants, %llu could not be compiled; %llu cache hits; "
                "emit %.0f ms, glslang %.0f ms, pipeline %.0f ms, install %.0f ms\n",
                u(t, "programs_compiled"), u(t, "variants"), u(t, "failures"), u(t, "cache_hits"),
                t["emit_ms"].get<double>(), t["glslang_ms"].get<double>(), t["pipeline_ms"].get<double>(),
                t["install_ms"].get<double>());
    if (!t["last_failure"].get<std::string>().empty()) {
      std::printf("           last failure: %s\n", escape_text(t["last_failure"].get<std::string>()).c_str());
    }
  }
  std::printf("clock      %s\n", fmt_ms(u(s, "clock_ms")).c_str());
  std::printf("\nheap size classes (SIZE in bytes; LIVE = ALLOCS - FREES; the large row counts page runs):\n");
  print_heap(s);
  return EXIT_OK;
}

}  // namespace gpuos::cli

namespace gpuos::cli {

// `logs [-f] PID`: what the process wrote, as written: its stdout to ours,
// its stderr to ours. --json: one object per line of its output (each
// stream's lines whole, however the ring cut them), then an end object.
// Asks the session for the log from position `from` on, again and again
// while there is more; -f goes on (every 100 ms) until the process exits.
int cmd_logs(const std::string& session, uint32_t pid, bool follow, bool as_json) {
  auto c = Client::connect(session);
  if (!c) {
    report_error("gpuos: %s\n", c.detail().c_str());
    return exit_code_for(c.code());
  }
  uint64_t from = 0, dropped_told = 0;
  std::string line[2];  // --json: each stream's unfinished line
  auto emit_line = [&](int stream, std::string text, bool partial) {
    json j = {{"schema", control::JSON_SCHEMA}, {"pid", pid}, {"stream", stream ? "stderr" : "stdout"},
              {"text", std::move(text)}};
    if (partial) j["partial"] = true;  // no newline (yet)
    print_json(std::move(j));
  };
  json last;
  while (true) {
    auto r = c->call({{"verb", "logs"}, {"pid", pid}, {"from", from}});
    if (!r) {
      report_error("gpuos: logs: %s\n", r.detail().c_str());
      return exit_code_for(r.code());
    }
    if (!r->value("ok", false)) {
      report_error("gpuos: %s\n", r->value("error", std::string("logs failed")).c_str());
      return r->value("failed", false) ? EXIT_FAILED : EXIT_ERROR;
    }
    last = *r;
    const uint64_t start = r->value("start", 0ull);
    if (start > from && start > dropped_told && !as_json) {
      std::fprintf(stderr, "gpuos: logs: the first %llu bytes pid %u wrote were dropped (the session keeps the "
                   "last %llu bytes of each process)\n",
                   static_cast<unsigned long long>(start), pid, r->value("kept_per_process", 0ull));
      dropped_told = start;
    }
    for (const json& ch : (*r)["chunks"]) {
      const int stream = ch.value("stream", "stdout") == "stderr" ? 1 : 0;
      auto bytes = base64_decode(ch.value("data", ""));
      if (!bytes) {
        report_error("gpuos: logs: bad reply from the session (data is not base64)\n");
        return EXIT_ERROR;
      }
      if (!as_json) {
        std::fwrite(bytes->data(), 1, bytes->size(), stream ? stderr : stdout);
        continue;
      }
      line[stream] += *bytes;
      for (size_t nl; (nl = line[stream].find('\n')) != std::string::npos;) {
        emit_line(stream, line[stream].substr(0, nl), false);
        line[stream].erase(0, nl + 1);
      }
    }
    std::fflush(stdout);
    from = r->value("next", from);
    if (from < r->value("end", 0ull)) continue;  // more is there now
    if (!follow || r->value("exited", false)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (as_json) {
    for (int s = 0; s < 2; ++s) {
      if (!line[s].empty()) emit_line(s, line[s], true);
    }
    json end = {{"schema", control::JSON_SCHEMA}, {"pid", pid}, {"end", true}, {"bytes", last.value("end", 0ull)},
                {"dropped", last.value("dropped", 0ull)}, {"exited", last.value("exited", false)}};
    if (last.contains("status")) end["status"] = last["status"];
    print_json(std::move(end));
  }
  return EXIT_OK;
}

}  // namespace gpuos::cli

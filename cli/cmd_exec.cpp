// `gpuos run prog.wasm [ARGS...]` (no --invoke): runs a program as GPU
// processes in a session of its own, the way a shell runs a command.
//
// It boots a session on the best device (no daemon needed), spawns the
// program with argv = [prog, ARGS...], prints each process's stdout and
// stderr as they arrive (to this command's stdout and stderr), waits for
// every instance, and exits with the first non-zero exit status (0 if all
// were 0). A trap prints its kind and location to stderr and gives
// EXIT_TRAPPED; gpuos's own failures (no device, a failed session) give
// EXIT_GPUOS, a module that cannot run EXIT_CANNOT_RUN, a missing one
// EXIT_NOT_FOUND (exit_codes.h). Output that could not be written reaches
// the program as its write's errno, and fails the run: EXIT_SIGPIPE when
// the reader went away, else non-zero (docs/cli.md).
//
// Files: the current directory is preopened read-only as "." unless
// --no-cwd; --dir and --dir-ro add more (HOST[:GUEST]), numbered from fd 4
// (3 is "." unless --no-cwd) in the order given. stdin is this
// command's stdin (each instance opens it anew), or --stdin FILE.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/json_out.h"
#include "kernel/text_escape.h"
#include "procs/wasm/module_file.h"

namespace gpuos::cli {

namespace {

using namespace std::chrono_literals;

// How long after the reader of their output went away records may still
// come that were written before the program saw EPIPE (its next write
// returns it). A program whose output keeps coming after that ignores the
// error (most loops around printf do) and would write forever: it is
// killed, as SIGPIPE would have ended it natively (a WebAssembly program
// cannot catch that either). One that stops writing runs on, as natively.
constexpr auto kPipeGrace = 2s;

// The program's stdout and stderr, as this command's fd 1 and 2, and what
// became of writing them.
struct OutputSinks {
  std::mutex mu;
  bool closed[2] = {false, false};  // fd 1, fd 2 was not open when `run` started
  int error[2] = {0, 0};            // the first failed write's errno, per stream
  std::chrono::steady_clock::time_point broke_at{};  // the first EPIPE
  bool pipe_ignored = false;  // output kept coming to a broken pipe after the grace

  // A closed fd 1 or 2 (`>&-`) is held on /dev/null, so that nothing the
  // session opens (a device file, a socket) takes its number and receives
  // the program's output; the program's writes to it fail with EBADF, as
  // they would natively.
  void open() {
    for (int fd = 1; fd <= 2; ++fd) {
      if (::fcntl(fd, F_GETFD) >= 0 || errno != EBADF) continue;
      closed[fd - 1] = true;
      const int n = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
      if (n >= 0 && n != fd) {
        ::dup2(n, fd);
        ::close(n);
      }
    }
  }

  // 0, or the errno of the failed write (the session hands it to the
  // program: SpawnIo::output).
  int write(bool is_stderr, std::string_view text) {
    std::lock_guard lock(mu);
    const int i = is_stderr ? 1 : 0;
    int e = closed[i] ? EBADF : 0;
    while (e == 0 && !text.empty()) {
      const ssize_t n = ::write(i + 1, text.data(), text.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        e = n < 0 ? errno : EIO;
        break;
      }
      text.remove_prefix(static_cast<size_t>(n));
    }
    if (e != 0 && error[i] == 0) {
      error[i] = e;
      if (e == EPIPE) broke_at = std::chrono::steady_clock::now();
    } else if (e == EPIPE && error[i] == EPIPE && std::chrono::steady_clock::now() - broke_at > kPipeGrace) {
      pipe_ignored = true;  // records written after the program was told
    }
    return e;
  }

  int stream_error(int i) {
    std::lock_guard lock(mu);
    return error[i];
  }
  // The program still writes to a pipe whose reader went away, past the
  // grace: it ignores EPIPE.
  bool ignores_epipe() {
    std::lock_guard lock(mu);
    return pipe_ignored;
  }
};

}  // namespace

// "HOST[:GUEST]" -> a preopen; GUEST defaults to HOST as given.
std::optional<io::SpawnIo::Dir> parse_dir(const std::string& spec, bool read_only, std::string& why) {
  const size_t colon = spec.find(':');
  io::SpawnIo::Dir d;
  d.host = spec.substr(0, colon);
  d.guest = colon == std::string::npos ? d.host : spec.substr(colon + 1);
  d.read_only = read_only;
  const char* option = read_only ? "--dir-ro" : "--dir";
  std::error_code ec;
  if (d.host.empty() || d.guest.empty()) {
    why = fmt::format("{} {}: give HOST or HOST:GUEST, neither empty", option, spec);
    return std::nullopt;
  }
  if (!std::filesystem::is_directory(d.host, ec)) {
    why = fmt::format("{} {}: not a directory", option, spec);
    return std::nullopt;
  }
  const std::filesystem::path abs = std::filesystem::absolute(d.host, ec);
  if (ec) {  // a relative HOST from a working directory that was removed
    why = fmt::format("{} {}: {}", option, spec, ec.message());
    return std::nullopt;
  }
  d.host = abs.string();
  return d;
}

int exit_for_module_file(wasm::ModuleFileError e) {
  return e == wasm::ModuleFileError::NotFound ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
}

std::optional<std::vector<std::string>> build_env(const std::vector<std::string>& given, bool inherit,
                                                  const char* verb) {
  std::vector<std::string> env;
  auto put = [&](const std::string& kv) {
    const size_t eq = kv.find('=');
    for (std::string& e : env) {
      if (e.compare(0, eq + 1, kv, 0, eq + 1) == 0) {  // same KEY=: the later one wins, in place
        e = kv;
        return;
      }
    }
    env.push_back(kv);
  };
  if (inherit) {
    for (char** e = environ; e && *e; ++e) {
      if (std::strchr(*e, '=') && **e != '=') put(*e);
    }
  }
  for (const std::string& g : given) {
    const size_t eq = g.find('=');
    const std::string key = g.substr(0, eq);
    if (key.empty()) {
      report_error("gpuos: %s: --env %s: give KEY=VALUE or KEY, with a non-empty KEY\n", verb,
                   escape_text(g).c_str());
      return std::nullopt;
    }
    if (eq != std::string::npos) {
      put(g);
    } else if (const char* v = std::getenv(key.c_str())) {  // --env KEY: this command's value, as docker does
      put(key + "=" + v);
    }
  }
  return env;
}

int cmd_exec(const RunArgs& a) {
  auto env = build_env(a.env, a.env_inherit, "run");
  if (!env) return EXIT_GPUOS;
  auto bytes = wasm::read_module_file(a.module);
  if (!bytes) {
    report_error("gpuos: run: %s\n", escape_text(bytes.detail()).c_str());
    return exit_for_module_file(bytes.code());
  }

  // The module is checked against the session's sizes before a session
  // exists: a bad or oversized module is refused in milliseconds, not after
  // a boot (the session checks it again when it loads it).
  // The session is this program's alone, so its block is sized to fit it:
  // --block-kib is a floor, raised for a program whose tables and frames
  // need more (a C++ program's vtables, say).
  const std::string name = std::filesystem::path(a.module).filename().string();
  BootOptions opts = a.boot;
  {
    procs::ProcessLimits lim;
    lim.max_pages = a.boot.max_pages_before_boot();
    lim.max_depth = a.boot.max_call_depth;
    lim.store_words = uint64_t{a.boot.store_mib} * 262144u;
    if (auto need = procs::block_words_for(*bytes, name, lim)) opts.fit_block(*need);
    lim.block_words = opts.block_kib * 256u;
    auto checked = procs::prepare_program(*bytes, name, lim);
    if (!checked) {
      report_error("gpuos: %s: %s: %s\n", escape_text(name).c_str(), procs::to_string(checked.code()),
                   escape_text(checked.detail()).c_str());
      return EXIT_CANNOT_RUN;
    }
  }

  auto io = std::make_shared<io::SpawnIo>();
  if (!a.no_cwd) {
    std::error_code ec;
    const std::filesystem::path cwd = std::filesystem::current_path(ec);
    if (ec) {
      report_error("gpuos: run: cannot preopen the current directory: %s (was it removed?); "
                   "--no-cwd runs without it\n", ec.message().c_str());
      return EXIT_GPUOS;
    }
    io->dirs.push_back({cwd.string(), ".", !a.cwd_rw});
  }
  for (const auto& [spec, ro] : a.dirs) {
    std::string why;
    auto d = parse_dir(spec, ro, why);
    if (!d) {
      report_error("gpuos: run: %s\n", why.c_str());
      return EXIT_GPUOS;
    }
    io->dirs.push_back(*d);
  }
  if (!a.stdin_path.empty()) {
    // Checked before the boot; a FIFO or a device is a fine stdin (as in a shell).
    std::error_code ec;
    const auto st = std::filesystem::status(a.stdin_path, ec);
    if (ec || st.type() == std::filesystem::file_type::directory) {
      report_error("gpuos: run: --stdin %s: %s\n", escape_text(a.stdin_path).c_str(),
                   ec ? ec.message().c_str() : "is a directory");
      return EXIT_GPUOS;
    }
    if (::access(a.stdin_path.c_str(), R_OK) != 0) {
      report_error("gpuos: run: --stdin %s: %s\n", escape_text(a.stdin_path).c_str(), std::strerror(errno));
      return EXIT_GPUOS;
    }
  }
  io->stdin_path = a.stdin_path.empty() ? "/dev/stdin" : a.stdin_path;
  if (a.stdin_path.empty() && ::isatty(0) == 0 && ::access("/dev/stdin", R_OK) != 0) io->stdin_path.clear();
  // The program's output goes out with one write(2) per record, so that a
  // failed write is known at once and reaches the program as its next
  // write's errno (docs/io.md, "Output errors"): stdio's buffer would hide
  // a full disk until the end, when the program can no longer see it.
  auto sinks = std::make_shared<OutputSinks>();
  sinks->open();
  io->output = [sinks](uint32_t, bool is_stderr, std::string_view text) { return sinks->write(is_stderr, text); };

  opts.device = a.device;  // the log level is main's: warn, or debug with -v
  auto booted = Session::boot(opts);
  if (!booted) {
    report_error("gpuos: cannot boot a session: %s\n", booted.detail().c_str());
    return EXIT_GPUOS;
  }
  Session& s = *booted.value();
  auto prog = s.load_program(*bytes, name, a.tier.value_or(default_tier(s.context().info().is_lavapipe())));
  if (!prog) {
    report_error("gpuos: %s\n", escape_text(prog.detail()).c_str());
    return EXIT_CANNOT_RUN;
  }
  auto spawned = s.spawn(*prog, a.instances, 0, a.args, io, *env);
  if (!spawned) {
    report_error("gpuos: spawn: %s\n", spawned.detail().c_str());
    return EXIT_GPUOS;
  }
  if (spawned->pids.size() < a.instances) {
    report_error("gpuos: only %zu of %u instances could start (%u: table full, %u: out of pages)\n",
                 spawned->pids.size(), a.instances, spawned->failed_slots, spawned->failed_pages);
  }
  int rc = spawned->pids.size() < a.instances ? EXIT_GPUOS : EXIT_OK;
  bool own_code = rc != EXIT_OK;  // rc is gpuos's (a trap, a failure), not a program's status
  bool pipe_killed = false;
  for (uint32_t pid : spawned->pids) {
    std::optional<procs::ExitInfo> e;
    while (!(e = s.exits().wait(pid, 200ms)) && !s.failed()) {
      // The reader went away and they write on regardless: end them, as
      // SIGPIPE would have (exit status EXIT_SIGPIPE below).
      if (!pipe_killed && sinks->ignores_epipe()) {
        pipe_killed = true;
        for (uint32_t p : spawned->pids) (void)s.kill(p);
      }
    }
    if (!e) break;
    const procs::ProcessProgram* p = s.program(*prog);
    if (e->trap != 0) {
      std::fflush(stdout);
      report_error("gpuos: pid %u trapped: %s\n", pid,
                   escape_text(procs::describe_trap(*p, e->trap, e->trap_pc)).c_str());
      if (rc == EXIT_OK) {
        rc = EXIT_TRAPPED;
        own_code = true;
      }
    } else if (e->status != 0 && rc == EXIT_OK) {
      rc = program_status(e->status);
    }
  }
  if (s.failed()) {
    report_error("gpuos: the session failed: %s\n", s.failure().c_str());
    rc = EXIT_GPUOS;
    own_code = true;
  }
  // Output arrives before the exit record (ring order), so all of it is out.
  s.shutdown();
  std::fflush(stdout);
  // Output that could not be written fails the run (docs/cli.md): a reader
  // that went away gives 141 as a shell reports SIGPIPE, any other failed
  // write (a full disk, a closed stdout) the program's status, or 1 where
  // that was 0. A trap or a failed session keeps its own code.
  const int out_err = sinks->stream_error(0), err_err = sinks->stream_error(1);
  if (out_err != 0 || err_err != 0) {
    if (out_err != 0 && out_err != EPIPE && !sinks->closed[1]) {
      report_error("gpuos: the program's stdout could not be written: %s\n", std::strerror(out_err));
    }
    if (!own_code) {
      if (out_err == EPIPE || err_err == EPIPE) {
        rc = EXIT_SIGPIPE;
      } else if (rc == EXIT_OK) {
        rc = EXIT_ERROR;
      }
    }
  }
  return rc;
}

}  // namespace gpuos::cli

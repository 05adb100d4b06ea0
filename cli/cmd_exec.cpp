// `gpuos run prog.wasm [ARGS...]` (no --invoke): runs a program as GPU
// processes in a session of its own, the way a shell runs a command.
//
// It boots a session on the best device (no daemon needed), spawns the
// program with argv = [prog, ARGS...], prints each process's stdout and
// stderr as they arrive (to this command's stdout and stderr), waits for
// every instance, and exits with the first non-zero exit status (0 if all
// were 0). A trap prints its kind and location to stderr and gives
// EXIT_TRAP; a session failure EXIT_FAILED.
//
// Files: the current directory is preopened read-only as "." unless
// --no-cwd; --dir and --dir-ro add more (HOST[:GUEST]), numbered from fd 4
// (3 is "." unless --no-cwd) in the order given. stdin is this
// command's stdin (each instance opens it anew), or --stdin FILE.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "kernel/text_escape.h"
#include "procs/wasm/module_file.h"

namespace gpuos::cli {

namespace {

using namespace std::chrono_literals;

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

int cmd_exec(const RunArgs& a) {
  auto bytes = wasm::read_module_file(a.module);
  if (!bytes) {
    std::fprintf(stderr, "gpuos: run: %s\n", escape_text(bytes.detail()).c_str());
    return EXIT_ERROR;
  }

  // The module is checked against the session's sizes before a session
  // exists: a bad or oversized module is refused in milliseconds, not after
  // a boot (the session checks it again when it loads it).
  const std::string name = std::filesystem::path(a.module).filename().string();
  {
    procs::ProcessLimits lim;
    lim.block_words = a.boot.block_kib * 256u;
    lim.max_pages = a.boot.max_pages;
    lim.store_words = uint64_t{a.boot.store_mib} * 262144u;
    auto checked = procs::prepare_program(*bytes, name, lim);
    if (!checked) {
      std::fprintf(stderr, "gpuos: %s: %s: %s\n", escape_text(name).c_str(), procs::to_string(checked.code()),
                   escape_text(checked.detail()).c_str());
      return EXIT_ERROR;
    }
  }

  auto io = std::make_shared<io::SpawnIo>();
  if (!a.no_cwd) {
    std::error_code ec;
    const std::filesystem::path cwd = std::filesystem::current_path(ec);
    if (ec) {
      std::fprintf(stderr, "gpuos: run: cannot preopen the current directory: %s (was it removed?); "
                   "--no-cwd runs without it\n", ec.message().c_str());
      return EXIT_ERROR;
    }
    io->dirs.push_back({cwd.string(), ".", !a.cwd_rw});
  }
  for (const auto& [spec, ro] : a.dirs) {
    std::string why;
    auto d = parse_dir(spec, ro, why);
    if (!d) {
      std::fprintf(stderr, "gpuos: %s\n", why.c_str());
      return EXIT_ERROR;
    }
    io->dirs.push_back(*d);
  }
  if (!a.stdin_path.empty()) {
    // Checked before the boot; a FIFO or a device is a fine stdin (as in a shell).
    std::error_code ec;
    const auto st = std::filesystem::status(a.stdin_path, ec);
    if (ec || st.type() == std::filesystem::file_type::directory) {
      std::fprintf(stderr, "gpuos: run: --stdin %s: %s\n", a.stdin_path.c_str(),
                   ec ? ec.message().c_str() : "is a directory");
      return EXIT_ERROR;
    }
  }
  io->stdin_path = a.stdin_path.empty() ? "/dev/stdin" : a.stdin_path;
  if (a.stdin_path.empty() && ::isatty(0) == 0 && ::access("/dev/stdin", R_OK) != 0) io->stdin_path.clear();
  std::mutex out_mu;
  io->output = [&out_mu](uint32_t, bool is_stderr, std::string_view text) {
    std::lock_guard lock(out_mu);
    std::fwrite(text.data(), 1, text.size(), is_stderr ? stderr : stdout);
    if (is_stderr) std::fflush(stderr);
  };

  spdlog::set_level(spdlog::level::warn);
  BootOptions opts = a.boot;
  opts.device = a.device;
  auto booted = Session::boot(opts);
  if (!booted) {
    std::fprintf(stderr, "gpuos: cannot boot a session: %s\n", booted.detail().c_str());
    return booted.code() == SessionError::Device ? EXIT_NO_DEVICE : EXIT_FAILED;
  }
  Session& s = *booted.value();
  auto prog = s.load_program(*bytes, name);
  if (!prog) {
    std::fprintf(stderr, "gpuos: %s\n", escape_text(prog.detail()).c_str());
    return EXIT_ERROR;
  }
  auto spawned = s.spawn(*prog, a.instances, 0, a.args, io);
  if (!spawned) {
    std::fprintf(stderr, "gpuos: spawn: %s\n", spawned.detail().c_str());
    return EXIT_ERROR;
  }
  if (spawned->pids.size() < a.instances) {
    std::fprintf(stderr, "gpuos: only %zu of %u instances could start (%u: table full, %u: out of pages)\n",
                 spawned->pids.size(), a.instances, spawned->failed_slots, spawned->failed_pages);
  }
  int rc = spawned->pids.size() < a.instances ? EXIT_ERROR : EXIT_OK;
  for (uint32_t pid : spawned->pids) {
    std::optional<procs::ExitInfo> e;
    while (!(e = s.exits().wait(pid, 200ms)) && !s.failed()) {
    }
    if (!e) break;
    const procs::ProcessProgram* p = s.program(*prog);
    if (e->trap != 0) {
      std::fflush(stdout);
      std::fprintf(stderr, "gpuos: pid %u trapped: %s\n", pid,
                   escape_text(procs::describe_trap(*p, e->trap, e->trap_pc)).c_str());
      if (rc == EXIT_OK) rc = EXIT_TRAP;
    } else if (e->status != 0 && rc == EXIT_OK) {
      rc = e->status < 256 ? static_cast<int>(e->status) : EXIT_ERROR;
    }
  }
  if (s.failed()) {
    std::fprintf(stderr, "gpuos: the session failed: %s\n", s.failure().c_str());
    rc = EXIT_FAILED;
  }
  // Output arrives before the exit record (ring order), so all of it is out.
  s.shutdown();
  std::fflush(stdout);
  return rc;
}

}  // namespace gpuos::cli

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
// --no-cwd; --dir and --dir-ro add more (HOST[:GUEST]). stdin is this
// command's stdin (each instance opens it anew), or --stdin FILE.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"

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
  std::error_code ec;
  if (d.host.empty() || d.guest.empty() || !std::filesystem::is_directory(d.host, ec)) {
    why = fmt::format("--dir {}: not a directory", spec);
    return std::nullopt;
  }
  d.host = std::filesystem::absolute(d.host, ec).string();
  return d;
}

int cmd_exec(const RunArgs& a) {
  std::ifstream f(a.module, std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "gpuos: %s: no such file or not readable\n", a.module.c_str());
    return EXIT_ERROR;
  }
  const std::vector<uint8_t> wasm((std::istreambuf_iterator<char>(f)), {});

  auto io = std::make_shared<io::SpawnIo>();
  if (!a.no_cwd) io->dirs.push_back({std::filesystem::current_path().string(), ".", !a.cwd_rw});
  for (const auto& [spec, ro] : a.dirs) {
    std::string why;
    auto d = parse_dir(spec, ro, why);
    if (!d) {
      std::fprintf(stderr, "gpuos: %s\n", why.c_str());
      return EXIT_ERROR;
    }
    io->dirs.push_back(*d);
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
  BootOptions opts;
  opts.device = a.device;
  auto booted = Session::boot(opts);
  if (!booted) {
    std::fprintf(stderr, "gpuos: cannot boot a session: %s\n", booted.detail().c_str());
    return booted.code() == SessionError::Device ? EXIT_NO_DEVICE : EXIT_FAILED;
  }
  Session& s = *booted.value();
  const std::string name = std::filesystem::path(a.module).filename().string();
  auto prog = s.load_program(wasm, name);
  if (!prog) {
    std::fprintf(stderr, "gpuos: %s\n", prog.detail().c_str());
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
      std::fprintf(stderr, "gpuos: pid %u trapped: %s\n", pid, procs::describe_trap(*p, e->trap, e->trap_pc).c_str());
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

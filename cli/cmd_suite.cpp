// `gpuos suite DIR`: runs every case of an app suite (DIR/suite.json, the
// format in apps/README.md, read by apps/tools/suite_manifest.h) as GPU
// processes in a session of its own, checks each instance's exit status,
// stdout, stderr and written files byte for byte, and prints a pass/fail and
// speed table.
//
// One boot for the whole suite. Every instance of every case is its own
// spawn (count 1, its own SpawnIo): a fresh working dir under a temporary
// folder with the case's files copied in, preopened read-write as ".", stdin
// from the case's stdin file (else empty), stdout and stderr captured per
// process. All of them are spawned at once and run concurrently (--jobs N:
// at most N at a time); a spawn the kernel refuses (process table full, out
// of pages) waits for an exit and is tried again. --timeout bounds the whole run: what is still running then is
// killed and fails, so the command never hangs.
//
// Ctrl-C (SIGINT, or SIGTERM) is handled: what still runs is killed, the
// partial table is printed (cases cut short show as INTR), every working dir
// is removed (unless --keep), and the exit status is 128 + the signal. A
// second signal, a second or more later, ends the command at once, as it
// would have without this.
//
// A case's wall time runs from its first spawn to its last exit (as the host
// sees them); its instructions/s is the sum of its processes' instruction
// counts over that time. The cases share the device, so these are the
// throughput of a case among the others, not alone.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <ctime>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "apps/tools/suite_manifest.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/json_out.h"
#include "kernel/control/json.h"
#include "procs/proc/program.h"
#include "procs/wasm/module_file.h"

#ifndef GPUOS_APPS_DIR
#error "GPUOS_APPS_DIR (the build's apps folder) comes from cli/CMakeLists.txt"
#endif

namespace gpuos::cli {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;
using namespace std::chrono_literals;

// More output than this from one process fails its case (and is not kept).
constexpr size_t kMaxCapture = 64u << 20;

// The signal that interrupted the suite (SIGINT, SIGTERM), 0 while none
// came. Set by the handler; read by the main loop, which polls every few
// milliseconds anyway. lock-free, so safe in a handler.
std::atomic<int> g_interrupt{0};
std::atomic<int64_t> g_interrupt_ns{0};  // CLOCK_MONOTONIC of the first signal
void on_interrupt(int sig) {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);  // async-signal-safe
  const int64_t ns = int64_t{now.tv_sec} * 1000000000 + now.tv_nsec;
  int none = 0;
  if (g_interrupt.compare_exchange_strong(none, sig, std::memory_order_relaxed)) {
    g_interrupt_ns.store(ns, std::memory_order_relaxed);
    return;
  }
  // A second Ctrl-C ends the command at once, as it would have without
  // this handler. One within a second of the first is the same keypress
  // delivered twice (`timeout` and a terminal both send one to the group).
  if (ns - g_interrupt_ns.load(std::memory_order_relaxed) > 1000000000) {
    ::signal(sig, SIG_DFL);
    ::raise(sig);
  }
}

// Installs on_interrupt for SIGINT and SIGTERM for the life of the suite
// (even where the shell started it with SIGINT ignored, as a script's
// background job: the working dirs must go either way), and restores the
// earlier handlers after.
class InterruptScope {
 public:
  InterruptScope() {
    g_interrupt.store(0, std::memory_order_relaxed);
    g_interrupt_ns.store(0, std::memory_order_relaxed);
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &old_int_);
    ::sigaction(SIGTERM, &sa, &old_term_);
  }
  ~InterruptScope() {
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
  }
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;
  static int signal() { return g_interrupt.load(std::memory_order_relaxed); }

 private:
  struct sigaction old_int_ {}, old_term_ {};
};

// A process's stdout and stderr, filled on the session's drain thread.
struct Captured {
  std::mutex mu;
  std::string out, err;
  bool overflow = false;
};

struct Instance {
  size_t case_index = 0;
  int index = 0;                      // within its case
  fs::path base;                      // TMP/CASE/INDEX: work/, and stdout, stderr when kept
  std::shared_ptr<io::SpawnIo> io;
  std::shared_ptr<Captured> cap;
  enum class State { Pending, Running, Done } state = State::Pending;
  uint32_t pid = 0;
  uint32_t io_key = 0;
  std::optional<procs::ExitInfo> exit;
  std::string failure;  // empty: passed (once Done)
  bool interrupted = false;  // cut short by Ctrl-C: neither passed nor failed
};

struct CaseRun {
  const apps::Case* c = nullptr;
  std::optional<uint32_t> program;  // its app, loaded
  std::vector<size_t> instances;    // into the Instance list
  bool started = false;
  Clock::time_point first_spawn{}, last_exit{};
  int done = 0;
  uint64_t instructions = 0;
  bool finished() const { return done == static_cast<int>(instances.size()); }
  double wall_s() const {
    return started ? std::chrono::duration<double>(last_exit - first_spawn).count() : 0.0;
  }
  double ips() const {
    const double w = wall_s();
    return w > 0 ? static_cast<double>(instructions) / w : 0.0;
  }
};

// 1234567 -> "1.23 M"
std::string si(double v) {
  const char* units[] = {"", " k", " M", " G", " T"};
  int u = 0;
  while (std::fabs(v) >= 1000 && u < 4) {
    v /= 1000;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f}", v) : fmt::format("{:.2f}{}", v, units[u]);
}

std::string first_line(const std::string& s, size_t max = 160) {
  std::string l = s.substr(0, s.find('\n'));
  if (l.size() > max) l = l.substr(0, max) + "...";
  return l;
}

// The progress line on stderr: rewritten in place on a terminal, a plain
// line at most once a second (and at the end) otherwise.
class Progress {
 public:
  Progress(bool quiet, size_t total) : quiet_(quiet), tty_(::isatty(2) == 1), total_(total) {}
  void note(const std::string& text) {
    if (quiet_) return;
    if (tty_) {
      std::fprintf(stderr, "\r\033[K%s", text.c_str());
      shown_ = true;
    } else {
      std::fprintf(stderr, "%s\n", text.c_str());
    }
    std::fflush(stderr);
  }
  void update(size_t done, size_t failed, size_t running, bool force = false) {
    if (quiet_) return;
    const auto now = Clock::now();
    if (!tty_ && !force && done != total_ && now - last_ < 1s) return;
    if (done == last_done_ && (!force || !tty_)) return;
    last_ = now;
    last_done_ = done;
    std::string t = fmt::format("[{}/{} cases done", done, total_);
    if (failed) t += fmt::format(", {} failed", failed);
    if (running) t += fmt::format(", {} process{} running", running, running == 1 ? "" : "es");
    note(t + "]");
  }
  // Ends the in-place line so that what follows starts on a fresh one.
  void finish() {
    if (!quiet_ && tty_ && shown_) {
      std::fprintf(stderr, "\r\033[K");
      std::fflush(stderr);
    }
    shown_ = false;
  }

 private:
  bool quiet_, tty_;
  size_t total_;
  bool shown_ = false;
  Clock::time_point last_{};
  size_t last_done_ = SIZE_MAX;
};

// Checks one exited instance against the case's expectations; "" if it passed.
std::string check(const apps::Suite& s, const apps::Case& c, const Instance& in, const procs::ProcessProgram* prog) {
  const procs::ExitInfo& e = *in.exit;
  std::lock_guard lock(in.cap->mu);
  const std::string& out = in.cap->out;
  const std::string& err = in.cap->err;
  if (e.trap != 0) {
    std::string msg = "trapped: " + (prog ? procs::describe_trap(*prog, e.trap, e.trap_pc) : fmt::format("trap {}", e.trap));
    if (!err.empty()) msg += "; stderr: " + first_line(err);
    return msg;
  }
  if (in.cap->overflow) return fmt::format("wrote more than {} MiB to stdout or stderr", kMaxCapture >> 20);
  if (e.status != static_cast<uint32_t>(c.exit_status)) {
    std::string msg = fmt::format("exit status {}, expected {}", e.status, c.exit_status);
    if (!err.empty()) msg += "; stderr: " + first_line(err);
    return msg;
  }
  auto want = [&](const std::string& p) { return apps::read_file(s.dir / p).value_or(""); };
  std::string d = apps::compare(out, want(c.stdout_file));
  if (!d.empty()) return "stdout " + d;
  if (c.stderr_file) {
    d = apps::compare(err, want(*c.stderr_file));
    if (!d.empty()) return "stderr " + d;
  }
  for (const auto& [wpath, spath] : c.out_files) {
    auto got = apps::read_file(in.base / "work" / wpath);
    if (!got) return "file " + wpath + " was not written";
    d = apps::compare(*got, want(spath));
    if (!d.empty()) return "file " + wpath + " " + d;
  }
  return "";
}

}  // namespace

int cmd_suite(const SuiteArgs& a) {
  // ---- the manifest and the apps, before any device work ----------------------
  std::error_code ec;
  const fs::path dir = a.dir;
  if (!fs::is_directory(dir, ec)) {
    report_error("gpuos: suite: %s: no such directory\n", a.dir.c_str());
    return EXIT_GPUOS;
  }
  if (!fs::exists(dir / "suite.json", ec)) {
    report_error("gpuos: suite: %s: no suite.json in it (a suite is a folder like apps/suites/basic)\n",
                 a.dir.c_str());
    return EXIT_GPUOS;
  }
  // A FIFO or a device named suite.json would block the manifest's read.
  if (!fs::is_regular_file(dir / "suite.json", ec)) {
    report_error("gpuos: suite: %s/suite.json is not a regular file\n", a.dir.c_str());
    return EXIT_GPUOS;
  }
  apps::Suite suite;
  try {
    suite = apps::load_suite(fs::absolute(dir, ec));
  } catch (const std::exception& e) {
    report_error("gpuos: suite: bad manifest: %s\n", e.what());
    return EXIT_GPUOS;
  }
  const fs::path apps_dir = fs::absolute(a.apps_dir.empty() ? std::string(GPUOS_APPS_DIR) : a.apps_dir, ec);
  static const char* kBuiltBy =
      "the apps are built by the default build target (ninja -C BUILD, or ninja -C BUILD apps) into BUILD/apps; "
      "--apps-dir says where they are";
  if (!fs::is_directory(apps_dir, ec)) {
    report_error("gpuos: suite: the apps dir %s does not exist: %s\n", apps_dir.string().c_str(), kBuiltBy);
    return EXIT_GPUOS;
  }
  std::map<std::string, std::vector<uint8_t>> wasm;  // app -> module bytes
  // One line however many apps are missing: the first, and how many more.
  int missing = 0;  // the exit code for the first app that could not be read
  std::string first_missing;
  size_t more_missing = 0;
  for (const auto& c : suite.cases) {
    if (wasm.count(c.app)) continue;
    const fs::path p = apps_dir / (c.app + ".wasm");
    auto bytes = wasm::read_module_file(p.string());
    if (!bytes) {
      if (!missing) {
        missing = exit_for_module_file(bytes.code());
        first_missing = fmt::format("case {}: app '{}': {}", c.name, c.app, bytes.detail());
      } else {
        ++more_missing;
      }
      wasm[c.app];
      continue;
    }
    wasm[c.app] = std::move(*bytes);
  }
  if (missing) {
    report_error("gpuos: suite: %s%s; %s (now %s)\n", first_missing.c_str(),
                 more_missing ? fmt::format(" (and {} more apps)", more_missing).c_str() : "", kBuiltBy,
                 apps_dir.string().c_str());
    return missing;
  }

  // ---- working dirs ------------------------------------------------------------
  // From here on a Ctrl-C must not leave the temporary folder behind.
  InterruptScope interrupt_scope;
  const char* tmpdir = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/gpuos-suite-XXXXXX";
  if (!::mkdtemp(tmpl.data())) {
    report_error("gpuos: suite: mkdtemp %s: %s\n", tmpl.c_str(), std::strerror(errno));
    return EXIT_GPUOS;
  }
  const fs::path tmp = tmpl;
  std::vector<CaseRun> cases(suite.cases.size());
  std::vector<Instance> insts;
  try {
    for (size_t ci = 0; ci < suite.cases.size(); ++ci) {
      const apps::Case& c = suite.cases[ci];
      cases[ci].c = &c;
      for (int i = 0; i < c.instances; ++i) {
        Instance in;
        in.case_index = ci;
        in.index = i;
        in.base = tmp / c.name / std::to_string(i);
        apps::copy_case_files(suite, c, in.base / "work");
        in.cap = std::make_shared<Captured>();
        in.io = std::make_shared<io::SpawnIo>();
        in.io->dirs.push_back({(in.base / "work").string(), ".", false});
        if (c.stdin_file) in.io->stdin_path = (suite.dir / *c.stdin_file).string();
        in.io->output = [cap = in.cap](uint32_t, bool is_stderr, std::string_view text) {
          std::lock_guard lock(cap->mu);
          std::string& to = is_stderr ? cap->err : cap->out;
          if (to.size() + text.size() > kMaxCapture) {
            cap->overflow = true;
            return;
          }
          to.append(text);
        };
        cases[ci].instances.push_back(insts.size());
        insts.push_back(std::move(in));
      }
    }
  } catch (const std::exception& e) {
    report_error("gpuos: suite: preparing the working dirs in %s: %s\n", tmp.c_str(), e.what());
    fs::remove_all(tmp, ec);
    return EXIT_GPUOS;
  }
  if (const int sig = InterruptScope::signal()) {
    fs::remove_all(tmp, ec);
    report_error("gpuos: suite: interrupted (signal %d) before any case ran\n", sig);
    return 128 + sig;
  }

  // ---- the session ----------------------------------------------------------------
  Progress progress(a.quiet, cases.size());
  progress.note(fmt::format("gpuos: suite {}: {} cases, {} processes; booting a session", suite.name, cases.size(),
                            insts.size()));
  const auto t_boot = Clock::now();
  BootOptions opts;
  opts.device = a.device;
  // The session runs these apps alone: its block is sized to the largest
  // (a C++ app's vtables can outgrow the default).
  for (const auto& [app, bytes] : wasm) {
    procs::ProcessLimits lim;
    lim.max_pages = opts.max_pages_before_boot();
    lim.max_depth = opts.max_call_depth;
    if (auto need = procs::block_words_for(bytes, app, lim)) opts.fit_block(*need);
  }
  auto booted = Session::boot(opts);
  if (!booted) {
    progress.finish();
    report_error("gpuos: cannot boot a session: %s\n", booted.detail().c_str());
    fs::remove_all(tmp, ec);
    return EXIT_GPUOS;
  }
  Session& s = *booted.value();
  if (const int sig = InterruptScope::signal()) {  // during the boot, which cannot be cut short
    progress.finish();
    s.shutdown();
    fs::remove_all(tmp, ec);
    report_error("gpuos: suite: interrupted (signal %d) before any case ran\n", sig);
    return 128 + sig;
  }
  const double boot_s = std::chrono::duration<double>(Clock::now() - t_boot).count();
  const SessionStatus st = s.status();

  std::map<std::string, uint32_t> programs;     // app -> program id
  std::map<std::string, std::string> load_err;  // app -> why it did not load
  // --tier compiled: every app asked for first, then waited for, so that
  // they compile into one kernel variant rather than one variant each.
  const Tier tier = a.tier.value_or(Tier::Interp);
  const Tier load_tier = tier == Tier::Compiled ? Tier::Auto : tier;
  for (const auto& [app, bytes] : wasm) {
    auto p = s.load_program(bytes, app, load_tier);  // named as the app: argv[0] is the app's name
    if (p) programs[app] = *p;
    else load_err[app] = p.detail();
  }
  if (tier == Tier::Compiled && !programs.empty()) {
    if (!a.quiet) std::fprintf(stderr, "gpuos: suite: compiling %zu apps for the compiled tier ...\n", programs.size());
    for (auto it = programs.begin(); it != programs.end();) {
      if (auto r = s.wait_compiled(it->second); !r) {
        load_err[it->first] = it->first + ": " + r.detail();
        it = programs.erase(it);
      } else {
        ++it;
      }
    }
    const TierStats ts = s.tier_stats();
    if (!a.quiet) {
      std::fprintf(stderr, "gpuos: suite: compiled %u apps (emit %.0f ms, glslang %.0f ms, pipeline %.0f ms)\n",
                   ts.programs_compiled, ts.emit_ms, ts.glslang_ms, ts.pipeline_ms);
    }
  }

  size_t cases_done = 0, cases_failed = 0, running = 0;
  bool refused = false;  // the last spawn was refused; try again after an exit
  std::deque<size_t> pending;
  for (size_t i = 0; i < insts.size(); ++i) pending.push_back(i);

  auto finish_instance = [&](Instance& in, std::string failure) {
    CaseRun& cr = cases[in.case_index];
    if (in.state == Instance::State::Running) {
      --running;
      refused = false;
    }
    in.state = Instance::State::Done;
    in.failure = std::move(failure);
    if (in.io_key != 0) s.release_io(in.io_key);
    cr.last_exit = Clock::now();
    if (in.exit) cr.instructions += in.exit->instructions;
    if (++cr.done == static_cast<int>(cr.instances.size())) {
      ++cases_done;
      for (size_t k : cr.instances) {
        if (!insts[k].failure.empty()) {
          ++cases_failed;
          break;
        }
      }
    }
  };
  auto exited = [&](Instance& in, const procs::ExitInfo& e) {
    in.exit = e;
    const CaseRun& cr = cases[in.case_index];
    finish_instance(in, check(suite, *cr.c, in, s.program(*cr.program)));
  };

  // Spawns what is pending until the kernel refuses one (it is tried again
  // after the next exit) or the session fails.
  auto spawn_pending = [&]() {
    while (!pending.empty() && !refused && (a.jobs == 0 || running < a.jobs)) {
      Instance& in = insts[pending.front()];
      CaseRun& cr = cases[in.case_index];
      const apps::Case& c = *cr.c;
      if (!cr.program) {
        auto it = programs.find(c.app);
        if (it == programs.end()) {
          pending.pop_front();
          finish_instance(in, "the app did not load: " + load_err[c.app]);
          continue;
        }
        cr.program = it->second;
      }
      const auto t = Clock::now();
      auto r = s.spawn(*cr.program, 1, 0, c.args, in.io);
      if (!r) {
        if (s.failed()) return;
        pending.pop_front();
        finish_instance(in, "spawn: " + r.detail());
        continue;
      }
      if (r->pids.empty()) {
        s.release_io(r->io_key);
        if (running == 0) {  // nothing will exit to make room
          pending.pop_front();
          finish_instance(in, fmt::format("the kernel refused the spawn with nothing else running ({})",
                                          r->failed_slots ? "process table full" : "out of pages"));
          continue;
        }
        refused = true;
        return;
      }
      pending.pop_front();
      if (!cr.started) {
        cr.started = true;
        cr.first_spawn = t;
      }
      in.pid = r->pids[0];
      in.io_key = r->io_key;
      in.state = Instance::State::Running;
      ++running;
    }
  };

  const auto t_run = Clock::now();
  const auto deadline = t_run + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(a.timeout_s));
  bool timed_out = false;
  int interrupted = 0;  // the signal, once one came
  progress.update(0, 0, 0, true);
  while (cases_done < cases.size()) {
    if (s.failed()) break;
    if ((interrupted = InterruptScope::signal()) != 0) break;
    spawn_pending();
    if (s.failed()) break;
    // Exits: a short wait on one running process, then a look at all.
    for (const Instance& in : insts) {
      if (in.state == Instance::State::Running) {
        (void)s.exits().wait(in.pid, 10ms);
        break;
      }
    }
    for (Instance& in : insts) {
      if (in.state != Instance::State::Running) continue;
      if (auto e = s.exits().find(in.pid)) exited(in, *e);
    }
    progress.update(cases_done, cases_failed, running);
    if (Clock::now() > deadline && cases_done < cases.size()) {
      timed_out = true;
      break;
    }
  }

  std::string session_failure;
  if (s.failed()) {
    session_failure = s.failure();
    for (Instance& in : insts) {
      if (in.state != Instance::State::Done) finish_instance(in, "the session failed: " + session_failure);
    }
  } else if (timed_out || interrupted) {
    // Say where each process that still runs stands (a hang in the runtime
    // shows here), kill it, give the kills a few seconds to land, then fail
    // whatever is left either way. After a Ctrl-C they are marked
    // interrupted instead: neither passed nor failed.
    const std::string why =
        interrupted ? std::string("interrupted (Ctrl-C)") : fmt::format("timed out after {:g} s", a.timeout_s);
    auto cut_short = [&](Instance& in, std::string what) {
      in.interrupted = interrupted != 0;
      finish_instance(in, std::move(what));
    };
    std::map<uint32_t, std::string> where;  // pid -> its state when the time ran out
    if (auto snap = s.snapshot()) {
      for (const abi::ProcEntry& p : snap->procs) {
        std::string w = fmt::format("{}, {} instructions, {} requests, {} quanta", control::proc_state_name(p.state),
                                    si(static_cast<double>(p.instructions)), p.requests, p.quanta);
        if (p.io_slot) w += fmt::format(", holds request slot {}", p.io_slot - 1);
        where[p.pid] = w;
      }
    } else {
      report_error("gpuos: suite: no process-table snapshot: %s\n", snap.detail().c_str());
    }
    std::string kill_failed;  // after one kill fails (a stuck mailbox), none more is tried
    for (Instance& in : insts) {
      if (in.state != Instance::State::Running) continue;
      auto it = where.find(in.pid);
      std::string w = it == where.end() ? "not in the process table" : it->second;
      if (kill_failed.empty()) {
        if (auto k = s.kill(in.pid); !k) kill_failed = k.detail();
      }
      if (!kill_failed.empty()) w += "; kill: " + kill_failed;
      where[in.pid] = w;
    }
    const auto kill_deadline = Clock::now() + 5s;
    while (running > 0 && Clock::now() < kill_deadline && !s.failed()) {
      for (Instance& in : insts) {
        if (in.state != Instance::State::Running) continue;
        if (auto e = s.exits().find(in.pid)) {
          in.exit = e;
          cut_short(in, fmt::format("{} ({}; killed)", why, where[in.pid]));
        }
      }
      std::this_thread::sleep_for(10ms);
    }
    for (Instance& in : insts) {
      if (in.state == Instance::State::Running) {
        cut_short(in, fmt::format("{} ({}; the kill did not land)", why, where[in.pid]));
      } else if (in.state == Instance::State::Pending) {
        cut_short(in, interrupted ? std::string("not started: interrupted (Ctrl-C)")
                                  : fmt::format("not started within the {:g} s timeout", a.timeout_s));
      }
    }
  }
  const double wall_s = std::chrono::duration<double>(Clock::now() - t_run).count();
  progress.update(cases_done, cases_failed, 0, true);
  progress.finish();
  // Output arrives before the exit record (ring order), so all of it is in.
  s.shutdown();

  // ---- working dirs: kept for the failed cases (all with --keep) -----------------
  // After a Ctrl-C none is kept unless --keep: the user asked to stop, not
  // to debug, and nothing may be left behind in the temporary folder.
  bool kept = false;
  for (const CaseRun& cr : cases) {
    bool failed = false;
    for (size_t k : cr.instances) failed |= !insts[k].failure.empty();
    if ((failed && !interrupted) || a.keep) {
      kept = true;
      for (size_t k : cr.instances) {
        const Instance& in = insts[k];
        std::lock_guard lock(in.cap->mu);
        try {
          apps::write_file(in.base / "stdout", in.cap->out);
          apps::write_file(in.base / "stderr", in.cap->err);
        } catch (const std::exception&) {
        }
      }
    } else {
      fs::remove_all(tmp / cr.c->name, ec);
    }
  }
  if (!kept) fs::remove_all(tmp, ec);

  // ---- the report ------------------------------------------------------------------
  uint64_t total_instr = 0;
  size_t passed = 0;
  for (const CaseRun& cr : cases) total_instr += cr.instructions;
  auto failures_of = [&](const CaseRun& cr) {
    std::vector<std::pair<const Instance*, std::string>> f;
    for (size_t k : cr.instances) {
      if (!insts[k].failure.empty()) f.emplace_back(&insts[k], insts[k].failure);
    }
    return f;
  };
  // A case cut short by Ctrl-C is neither passed nor failed.
  auto interrupted_case = [&](const CaseRun& cr) {
    for (size_t k : cr.instances) {
      if (insts[k].interrupted) return true;
    }
    return false;
  };
  auto result_of = [&](const CaseRun& cr, bool word) -> const char* {
    if (interrupted_case(cr)) return word ? "INTERRUPTED" : "INTR";
    return failures_of(cr).empty() ? "PASS" : "FAIL";
  };
  size_t cut = 0;
  for (const CaseRun& cr : cases) {
    if (interrupted_case(cr)) ++cut;
    else passed += failures_of(cr).empty() ? 1 : 0;
  }
  const size_t failed = cases.size() - passed - cut;

  json report;  // --json: printed last, after the messages below
  if (a.json) {
    json jc = json::array();
    for (const CaseRun& cr : cases) {
      json f = json::array();
      for (const auto& [in, what] : failures_of(cr)) {
        f.push_back({{"instance", in->index}, {"pid", in->pid}, {"what", what}});
      }
      json procs = json::array();
      for (size_t k : cr.instances) {
        const Instance& in = insts[k];
        json p = {{"instance", in.index}, {"pid", in.pid}};
        if (in.exit) {
          p["exit"] = in.exit->status;
          p["instructions"] = in.exit->instructions;
          p["pages_peak"] = in.exit->pages_peak;
          if (in.exit->trap) p["trap"] = in.exit->trap;
        }
        procs.push_back(p);
      }
      jc.push_back({{"name", cr.c->name},
                    {"app", cr.c->app},
                    {"instances", cr.instances.size()},
                    {"result", result_of(cr, true)},
                    {"wall_s", cr.wall_s()},
                    {"instructions", cr.instructions},
                    {"instructions_per_s", cr.ips()},
                    {"failures", f},
                    {"processes", procs}});
    }
    report = {{"suite", suite.name},
                {"dir", suite.dir.string()},
                {"apps_dir", apps_dir.string()},
                {"device", st.device_name},
                {"mode", to_string(st.mode)},
                {"tier", to_string(a.tier.value_or(Tier::Interp))},
                {"boot_s", boot_s},
                {"wall_s", wall_s},
                {"timeout_s", a.timeout_s},
                {"jobs", a.jobs},
                {"timed_out", timed_out},
                {"interrupted", interrupted != 0},
                {"cases", jc},
                {"passed", passed},
                {"failed", failed},
                {"processes", insts.size()},
                {"instructions", total_instr},
                {"instructions_per_s", wall_s > 0 ? static_cast<double>(total_instr) / wall_s : 0.0},
                {"session_failure", session_failure.empty() ? json(nullptr) : json(session_failure)},
                {"workdirs", kept ? json(tmp.string()) : json(nullptr)}};
  } else {
    size_t w = 4;
    for (const CaseRun& cr : cases) w = std::max(w, cr.c->app.size() + 1 + cr.c->name.size());
    std::printf("suite %s: %zu cases, %zu processes, on %s (%s mode)\n", suite.name.c_str(), cases.size(),
                insts.size(), st.device_name.c_str(), to_string(st.mode));
    std::printf("%-*s  %4s  %-6s  %9s  %12s\n", static_cast<int>(w), "APP/CASE", "N", "RESULT", "WALL", "INSTR/S");
    for (const CaseRun& cr : cases) {
      const auto f = failures_of(cr);
      const std::string label = cr.c->app + "/" + cr.c->name;
      std::printf("%-*s  %4zu  %-6s  %7.3f s  %12s\n", static_cast<int>(w), label.c_str(), cr.instances.size(),
                  result_of(cr, false), cr.wall_s(), cr.started ? si(cr.ips()).c_str() : "-");
      // Instances that failed alike are one line; at most kShow lines a case.
      std::vector<std::pair<std::string, std::vector<const Instance*>>> alike;
      for (const auto& [in, what] : f) {
        auto it = std::find_if(alike.begin(), alike.end(), [&](const auto& g) { return g.first == what; });
        if (it == alike.end()) alike.push_back({what, {in}});
        else it->second.push_back(in);
      }
      constexpr size_t kShow = 3;
      for (size_t i = 0; i < alike.size() && i < kShow; ++i) {
        const auto& ins = alike[i].second;
        std::string who = ins.size() == 1 ? "instance " : "instances ";
        for (size_t k = 0; k < ins.size(); ++k) who += (k ? ", " : "") + std::to_string(ins[k]->index);
        who += ins.size() == 1 ? " (pid " : " (pids ";
        for (size_t k = 0; k < ins.size(); ++k) who += (k ? ", " : "") + std::to_string(ins[k]->pid);
        std::printf("    %s): %s\n", who.c_str(), alike[i].first.c_str());
      }
      size_t more = 0;
      for (size_t i = kShow; i < alike.size(); ++i) more += alike[i].second.size();
      if (more) std::printf("    ... and %zu more instances failed otherwise (--json lists them all)\n", more);
    }
    if (interrupted) {
      std::printf("INTERRUPTED: %zu of %zu cases done (%zu passed, %zu failed), %zu cut short; %s instructions in "
                  "%.2f s (boot %.2f s)\n",
                  passed + failed, cases.size(), passed, failed, cut, si(static_cast<double>(total_instr)).c_str(),
                  wall_s, boot_s);
    } else {
      std::printf("%s: %zu of %zu cases passed, %zu failed; %s instructions in %.2f s (%s/s; boot %.2f s)\n",
                  failed == 0 ? "PASS" : "FAIL", passed, cases.size(), failed,
                  si(static_cast<double>(total_instr)).c_str(), wall_s,
                  si(wall_s > 0 ? static_cast<double>(total_instr) / wall_s : 0.0).c_str(), boot_s);
    }
    std::fflush(stdout);
  }
  if (timed_out) report_error("gpuos: suite: timed out after %g s (--timeout)\n", a.timeout_s);
  if (interrupted) {
    report_error("gpuos: suite: interrupted (signal %d): %zu of %zu cases done; %s\n", interrupted,
                 passed + failed, cases.size(), kept ? "working dirs kept (--keep)" : "working dirs removed");
  }
  if (!session_failure.empty()) report_error("gpuos: the session failed: %s\n", session_failure.c_str());
  if (kept) std::fprintf(stderr, "gpuos: suite: working dirs kept in %s\n", tmp.c_str());
  int rc = failed == 0 ? EXIT_OK : EXIT_ERROR;  // a failed case is the suite's result, not gpuos's failure
  if (!session_failure.empty()) rc = EXIT_GPUOS;
  if (interrupted) rc = 128 + interrupted;  // EXIT_INTERRUPTED for SIGINT
  if (!a.json) return rc;
  // The report is the one line: ok, or the error line's fields with the report's.
  if (rc == EXIT_OK) {
    print_json(std::move(report));
    return rc;
  }
  if (timed_out || interrupted || !session_failure.empty()) return finish_json(rc, report);
  report["error"] = fmt::format("suite: {} of {} cases failed", failed, cases.size());
  return finish_json(rc, report);
}

}  // namespace gpuos::cli

// process_runs.cpp: see process_runs.h.
#include "bench/vm/process_runs.h"

#include <algorithm>
#include <thread>

#include "bench/vm/vm_common.h"
#include "kernel/session.h"

namespace gpuos::bench::vmb {

namespace {

// compute.wat's memory, 65,536 regions of 256 bytes for the lanes of one
// instance; a process has an instance of its own and uses region 0 only.
constexpr const char* kLaneMemory = R"((memory (export "memory") 256 256))";
constexpr const char* kProcessMemory = R"((memory (export "memory") 1 1))";

// The process entry: run(0, ITERS), its i64 checksum folded to the i32 exit
// status (fold_checksum). Not counted in the wasm instructions.
constexpr const char* kMain = R"(
  (func (export "main") (result i32) (local $r i64)
    i32.const 0
    i32.const {}
    call $run
    local.tee $r
    i32.wrap_i64
    local.get $r
    i64.const 32
    i64.shr_u
    i32.wrap_i64
    i32.xor)
)";

}  // namespace

std::unique_ptr<ProcessBench> ProcessBench::boot(std::string& why) {
  const auto t0 = Clock::now();
  auto booted = Session::boot(BootOptions{});
  if (!booted) {
    why = "session boot failed: " + booted.detail();
    return nullptr;
  }
  std::unique_ptr<ProcessBench> b(new ProcessBench);
  b->session_ = std::move(booted.value());
  b->info_.boot_s = seconds_since(t0);
  Session& s = *b->session_;
  const SessionStatus st = s.status();
  b->info_.device = st.device_name;
  b->info_.lavapipe = s.context().info().is_lavapipe();
  b->info_.mode = to_string(st.mode);
  auto snap = s.snapshot();
  if (!snap) {
    why = "the session's first snapshot failed: " + snap.detail();
    return nullptr;
  }
  b->info_.slots = snap->header.table_size;
  b->info_.arena_pages = snap->header.arena_pages;
  return b;
}

ProcessBench::~ProcessBench() { shutdown(); }

void ProcessBench::shutdown() {
  if (session_) session_->shutdown();
}

bool ProcessBench::prepare(const std::string& wat_text, const std::string& wat2wasm, const std::string& tmpdir,
                           uint32_t iters, uint64_t checksum, bool compiled, std::string& why) {
  iters_ = iters;
  expected_status_ = fold_checksum(checksum);
  if (wat_text.empty()) {
    why = "no module text: cannot read compute.wat (--wat)";
    return false;
  }
  std::string text = wat_text;
  const size_t at = text.find(kLaneMemory);
  if (at == std::string::npos) {
    why = fmt::format("compute.wat has no line {}: cannot give the process module a 1-page memory", kLaneMemory);
    return false;
  }
  text.replace(at, std::string_view(kLaneMemory).size(), kProcessMemory);
  const auto with_main = add_to_module(text, fmt::format(fmt::runtime(kMain), iters));
  if (!with_main) {
    why = "compute.wat: no module text to add main() to";
    return false;
  }
  const auto path = build_wat(wat2wasm, tmpdir + "/process", *with_main, why);
  if (!path) return false;
  const auto bytes = read_file(*path, why);
  if (!bytes) return false;

  // The bench's own check of the module: main() on the reference executor.
  const auto mod = load(*bytes, *path, why);
  if (!mod) return false;
  const RefResult ref = reference(*mod, "main", {});
  if (!ref.ok) {
    why = fmt::format("{}: main() on the reference executor: {}", *path, ref.error);
    return false;
  }
  if (uint32_t(ref.checksum) != expected_status_) {
    why = fmt::format("{}: main() returned {} on the reference executor, not the folded checksum {}", *path,
                      uint32_t(ref.checksum), expected_status_);
    return false;
  }
  auto id = session_->load_program(*bytes, "compute");
  if (!id) {
    why = fmt::format("{}: the session cannot load it as a program: {}", *path, id.detail());
    return false;
  }
  program_ = *id;
  if (compiled) {
    const auto t0 = Clock::now();
    auto cid = session_->load_program(*bytes, "compute", Tier::Compiled);
    if (!cid) {
      why = fmt::format("{}: the session cannot load it on the compiled tier: {}", *path, cid.detail());
      return false;
    }
    compiled_program_ = *cid;
    compile_ms_ = seconds_since(t0) * 1000.0;
  }
  return true;
}

ProcessResult ProcessBench::run(uint32_t n, double timeout_s, bool compiled) {
  using namespace std::chrono_literals;
  Session& s = *session_;
  ProcessResult r;
  r.instances = n;
  r.tier = compiled ? "compiled" : "interp";
  const uint32_t program = compiled ? compiled_program_ : program_;
  r.ticks_min = UINT64_MAX;
  const procs::ProcessProgram* prog = s.program(program);
  auto check = [&](const procs::ExitInfo& e) {
    r.ticks += e.instructions;
    r.ticks_min = std::min(r.ticks_min, e.instructions);
    r.ticks_max = std::max(r.ticks_max, e.instructions);
    std::string bad;
    if (e.trap != 0) {
      ++r.trapped;
      bad = "trap: " + (prog ? procs::describe_trap(*prog, e.trap, e.trap_pc) : fmt::format("kind {}", e.trap));
    } else if (e.status != expected_status_) {
      ++r.wrong;
      bad = fmt::format("exit status {} != folded reference checksum {}", e.status, expected_status_);
    } else {
      ++r.procs_ok;
    }
    if (!bad.empty() && r.errors.size() < 8) r.errors.push_back(fmt::format("pid {}: {}", e.pid, bad));
  };

  // Only this bench spawns in the session, so every exit record that comes
  // after `base` is one of ours. A spawn asks for what the table has room
  // for, once that is at least `batch` (or all that is left), so a small
  // table is refilled in waves rather than one slot at a time.
  const uint64_t base = s.exits().total();
  const uint32_t slots = info_.slots;
  const uint32_t batch = std::max(1u, slots / 8);
  std::vector<uint32_t> waiting;  // spawned; exit not yet checked
  uint32_t spawned = 0;
  uint64_t scanned_total = base;
  bool done = false;
  progress("[proc] N={} {}: {} processes of main() = run(0, {}), {} table slots", n, r.tier, n, iters_, slots);
  const auto t0 = Clock::now();
  bool stuck = false;  // spawns refused all with none in flight ...
  auto stuck_since = t0;  // ... since
  auto last_progress = t0;
  for (;;) {
    const uint64_t total = s.exits().total();
    const uint32_t exited = uint32_t(total - base);
    if (spawned == n && exited >= n) {
      r.wall_s = seconds_since(t0);
      done = true;
    }
    // Check what arrived. Between two scans fewer than N <= 65,536 records
    // arrive, so the ExitLog (65,536 kept) forgets none of them first.
    if (total != scanned_total || done) {
      scanned_total = total;
      for (size_t i = 0; i < waiting.size();) {
        const auto e = s.exits().find(waiting[i]);
        if (!e) {
          ++i;
          continue;
        }
        check(*e);
        waiting[i] = waiting.back();
        waiting.pop_back();
      }
    }
    if (done) break;
    const uint32_t in_flight = spawned - std::min(spawned, exited);
    const uint32_t room = slots > in_flight ? slots - in_flight : 0;
    const uint32_t want = std::min(n - spawned, room);
    if (want > 0 && want >= std::min(n - spawned, batch)) {
      auto sp = s.spawn(program, want, spawned, {});
      if (!sp) {
        r.errors.push_back(fmt::format("spawn of {} failed: {}", want, sp.detail()));
        break;
      }
      ++r.spawn_calls;
      r.refused_slots += sp->failed_slots;
      r.refused_pages += sp->failed_pages;
      spawned += uint32_t(sp->pids.size());
      waiting.insert(waiting.end(), sp->pids.begin(), sp->pids.end());
      r.max_in_flight = std::max<uint32_t>(r.max_in_flight, in_flight + uint32_t(sp->pids.size()));
      // A slot is freed just after its exit record is written, so a spawn
      // may race with it and be refused; only a lasting refusal is an error.
      if (!sp->pids.empty() || in_flight > 0) {
        stuck = false;
      } else if (!stuck) {
        stuck = true;
        stuck_since = Clock::now();
      } else if (seconds_since(stuck_since) > 2) {
        r.errors.push_back(fmt::format("spawn refuses every process with none running ({} slots, {} pages refused)",
                                       sp->failed_slots, sp->failed_pages));
        break;
      }
      if (sp->failed_slots + sp->failed_pages == 0) continue;
    }
    if (s.failed()) {
      r.errors.push_back("the session failed: " + s.failure());
      break;
    }
    if (seconds_since(t0) > timeout_s) {
      r.timed_out = true;
      r.errors.push_back(fmt::format("timed out after {} s (--timeout): {} of {} spawned, {} exited", timeout_s,
                                     spawned, n, exited));
      break;
    }
    if (seconds_since(last_progress) >= 5) {
      last_progress = Clock::now();
      progress("[proc] N={}: {:.1f} s, {} spawned, {} exited, {} in flight, {} bad so far", n, seconds_since(t0),
               spawned, exited, in_flight, r.wrong + r.trapped);
    }
    // Wait for an exit, at most 2 ms (top-ups, the timeout), rather than
    // poll: on lavapipe the lanes are this host's own cores. wait() returns
    // as soon as that pid's record arrives, and the pid waited for last is
    // the last to exit, so the end time is that record's arrival.
    if (!waiting.empty()) {
      (void)s.exits().wait(waiting.front(), 2ms);
    } else {
      std::this_thread::sleep_for(2ms);
    }
  }
  if (!done) {
    r.wall_s = seconds_since(t0);
    usable_ = false;
    unusable_reason_ = fmt::format("the process run of N={} did not finish", n);
  }
  if (r.procs_ok + r.wrong + r.trapped == 0) r.ticks_min = 0;
  r.ran = true;
  r.missing = n - (r.procs_ok + r.wrong + r.trapped);
  r.wasm_instr = uint64_t(r.procs_ok) * wasm_per_call(iters_);
  r.ok = done && r.procs_ok == n;
  return r;
}

}  // namespace gpuos::bench::vmb

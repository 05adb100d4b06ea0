// gpuos_bench_vm: throughput of the GPU VM interpreter on a compute-bound
// WebAssembly module (bench/vm/compute.wat), beside CPU peers measured in
// the same run.
//
// For each N in --instances it measures, in this order:
//  - lanes: N invocations of run(base = i * 256, iters), one per GPU lane,
//    in ONE GpuVm::run call on ONE shared instance (procs/vm/gpu_exec.h),
//    each lane in its own 256-byte region; the wall time is that call;
//  - processes (process_runs.h): N separate gpuos processes of one booted
//    gpuos::Session, each with its own instance (own memory, globals,
//    stack), whose main() calls run(0, iters) and exits with the checksum
//    folded to 32 bits; the wall time runs from the first spawn call to the
//    N-th exit record, spawning in waves when the process table is smaller
//    than N. The GpuVm is gone before the session boots.
// Both report VM instructions retired (lanes: the sum of Outcome.ticks;
// processes: the sum of ExitInfo.instructions, a process's whole life) and
// WebAssembly instructions executed, counted from the module: kWasmFixed +
// kWasmPerIter * iters per run() call, N calls, nothing else (a process's
// start-up and main() are not counted). Every lane's checksum, and every
// process's exit status (folded), must equal the CPU reference executor's
// checksum for the same iters (the checksum does not depend on base; a
// second reference run at the highest base checks that).
//
// Peers (same host, all cores busy, after the GPU): nproc concurrent
// processes each of wabt's wasm-interp and of Node.js (run_node.mjs), each
// process doing a fixed number of run(0, iters) calls, sized by a
// one-process calibration run; every process's checksum is checked too.
// bench/README.md says what is counted and how.
//
// Exit codes: 0 all figures measured and every checksum right; 1 a wrong
// checksum, a trapped or unsupported lane, a trapped, wrong or missing
// process (a process run that timed out, a session that failed), or a peer
// that failed; 2 setup failure (module, Vulkan device, session boot, the
// process module, bad option).

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "bench/bench_clock.h"
#include "bench/vm/vm_common.h"
#include "bench/vm/process_runs.h"
#include "procs/vm/gpu_exec.h"

#ifndef GPUOS_BENCH_VM_WASM
#define GPUOS_BENCH_VM_WASM "compute.wasm"
#endif
#ifndef GPUOS_BENCH_VM_WAT
#define GPUOS_BENCH_VM_WAT "compute.wat"
#endif
#ifndef GPUOS_BENCH_VM_NODE_SCRIPT
#define GPUOS_BENCH_VM_NODE_SCRIPT "run_node.mjs"
#endif

namespace {

using json = nlohmann::json;
namespace vm = gpuos::vm;
using namespace gpuos::bench::vmb;

struct Options {
  std::vector<uint32_t> instances{1, 1000, 65536};
  uint32_t iters = 0;  // 0: the default for the mode
  bool quick = false;
  bool peers_only = false;
  bool no_peers = false;
  bool no_lanes = false;
  std::string lanes_tier = "both";  // interp, compiled or both: the lanes' GpuVm tier
  std::string process_tier = "both";  // interp, compiled or both: the processes' (Session::load_program)
  bool no_processes = false;
  double timeout_s = 600;  // per process run of one N
  uint32_t procs = 0;  // 0: nproc
  double peer_seconds = 0;  // 0: the default for the mode
  std::string wasm = GPUOS_BENCH_VM_WASM;
  std::string wat = GPUOS_BENCH_VM_WAT;
  std::string node_script = GPUOS_BENCH_VM_NODE_SCRIPT;
  bool json = false;
  bool quiet = false;
};

using gpuos::bench::utc_now;

// ---- GPU -------------------------------------------------------------------------

struct GpuResult {
  std::string tier;  // "interp" or "compiled"
  double compile_ms = 0;  // compiled: emit + glslang + pipeline of the module (in the warm-up, not in wall_s)
  uint32_t instances = 0;
  bool ran = false, ok = false;
  double overhead_s = 0;  // the same N lanes running idle(): upload, launch, write-back
  double wall_s = 0;      // the measured GpuVm::run call
  uint64_t ticks = 0;     // sum of Outcome.ticks
  uint64_t ticks_min = 0, ticks_max = 0;
  uint64_t wasm_instr = 0;
  uint32_t lanes_ok = 0, wrong = 0, trapped = 0, unsupported = 0;
  std::vector<std::string> errors;
  double ticks_per_s() const { return wall_s > 0 ? double(ticks) / wall_s : 0; }
  double wasm_per_s() const { return wall_s > 0 ? double(wasm_instr) / wall_s : 0; }
};

GpuResult run_gpu(vm::gpu::GpuVm& gpu, const Module& m, uint32_t n, uint32_t iters, uint64_t expected) {
  GpuResult g;
  g.instances = n;
  g.tier = gpu.limits().tier == vm::gpu::Tier::Compiled ? "compiled" : "interp";
  const vm::gpu::TierStats before = gpu.tier_stats();
  vm::ref::Store store;
  auto id = store.instantiate(m.image, {});
  if (!id) {
    g.errors.push_back("instantiation failed: " + id.detail());
    return g;
  }
  std::vector<vm::gpu::SegmentState> segs;
  auto invocations = [&](uint32_t func) {
    std::vector<vm::gpu::Invocation> invs(n);
    for (uint32_t i = 0; i < n; ++i) invs[i] = {func, {vm::ref::Slot(i) * kRegionBytes, iters}};
    return invs;
  };
  // Two runs of n lanes of idle(): the first allocates the lane, slot and
  // memory buffers, the second is the fixed cost of a run of n lanes
  // (upload of code and memory, launch, write-back).
  {
    const auto idle = invocations(m.idle_func);
    gpu.run(store, *id, segs, idle);
    const auto t0 = Clock::now();
    gpu.run(store, *id, segs, idle);
    g.overhead_s = seconds_since(t0);
  }
  const vm::gpu::TierStats& after = gpu.tier_stats();
  g.compile_ms = (after.emit_ms + after.glslang_ms + after.pipeline_ms) -
                 (before.emit_ms + before.glslang_ms + before.pipeline_ms);
  const auto invs = invocations(m.run_func);
  progress("[gpu] N={}: {} invocations of run(i * 256, {}) in one GpuVm::run, {} tier", n, n, iters, g.tier);
  const auto t0 = Clock::now();
  const std::vector<vm::gpu::Outcome> out = gpu.run(store, *id, segs, invs);
  g.wall_s = seconds_since(t0);
  g.ran = true;
  g.ticks_min = UINT64_MAX;
  for (uint32_t i = 0; i < n; ++i) {
    const auto& o = out.at(i);
    g.ticks += o.ticks;
    g.ticks_min = std::min(g.ticks_min, o.ticks);
    g.ticks_max = std::max(g.ticks_max, o.ticks);
    std::string bad;
    if (o.kind == vm::gpu::Outcome::Kind::Unsupported) {
      ++g.unsupported;
      bad = "unsupported: " + o.detail;
    } else if (o.kind == vm::gpu::Outcome::Kind::Trap) {
      ++g.trapped;
      bad = fmt::format("trap: {} at code word {}", vm::trap_message(o.trap), o.pc);
    } else if (o.results.empty() || o.results[0] != expected) {
      ++g.wrong;
      bad = fmt::format("checksum {} != reference {}", o.results.empty() ? 0 : o.results[0], expected);
    } else {
      ++g.lanes_ok;
    }
    if (!bad.empty() && g.errors.size() < 8) g.errors.push_back(fmt::format("lane {} (base {}): {}", i, i * kRegionBytes, bad));
  }
  if (n == 0) g.ticks_min = 0;
  g.wasm_instr = uint64_t(g.lanes_ok) * wasm_per_call(iters);
  g.ok = g.lanes_ok == n;
  return g;
}

// ---- peers -----------------------------------------------------------------------

struct ProcOut {
  int status = -1;
  std::string out;
};

// Starts every command at once (popen), then collects them; returns the
// wall time from the first start to the last exit.
double run_concurrently(const std::vector<std::string>& cmds, std::vector<ProcOut>& outs) {
  outs.assign(cmds.size(), {});
  std::vector<FILE*> fs(cmds.size(), nullptr);
  const auto t0 = Clock::now();
  for (size_t i = 0; i < cmds.size(); ++i) fs[i] = ::popen(cmds[i].c_str(), "r");
  for (size_t i = 0; i < cmds.size(); ++i) {
    if (!fs[i]) continue;
    char buf[4096];
    size_t k;
    while ((k = std::fread(buf, 1, sizeof buf, fs[i])) > 0) outs[i].out.append(buf, k);
    outs[i].status = ::pclose(fs[i]);
  }
  return seconds_since(t0);
}

struct PeerResult {
  std::string name;
  bool installed = false, ran = false, ok = false;
  std::string version;
  uint32_t procs = 0;
  uint32_t iters = 0;
  uint64_t calls_per_proc = 0;
  double calibration_s = 0;  // one process, calibration_calls calls, alone
  uint64_t calibration_calls = 0;
  double wall_s = 0;
  uint64_t wasm_instr = 0;
  uint32_t procs_ok = 0;
  std::vector<std::string> errors;
  double wasm_per_s() const { return wall_s > 0 ? double(wasm_instr) / wall_s : 0; }
};

// A peer: builds the command of one process doing `calls` calls of
// run(0, iters), and parses the checksum out of its output.
struct PeerKind {
  std::string name;
  std::function<std::optional<std::string>(uint64_t calls, std::string& why)> command;
  std::function<std::optional<uint64_t>(const std::string& out)> checksum;
};

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

PeerResult run_peer(const PeerKind& k, uint32_t procs, uint32_t iters, uint64_t expected, double target_s) {
  PeerResult p;
  p.name = k.name;
  p.installed = true;
  p.procs = procs;
  p.iters = iters;
  auto check = [&](const std::vector<ProcOut>& outs, const char* phase) {
    uint32_t good = 0;
    for (size_t i = 0; i < outs.size(); ++i) {
      const auto sum = k.checksum(outs[i].out);
      std::string bad;
      if (!WIFEXITED(outs[i].status) || WEXITSTATUS(outs[i].status) != 0) {
        bad = fmt::format("exit status {}", outs[i].status);
      } else if (!sum) {
        bad = fmt::format("no checksum in output '{}'", first_line(outs[i].out));
      } else if (*sum != expected) {
        bad = fmt::format("checksum {} != reference {}", *sum, expected);
      } else {
        ++good;
      }
      if (!bad.empty() && p.errors.size() < 8) p.errors.push_back(fmt::format("{} process {}: {}", phase, i, bad));
    }
    return good;
  };
  // Calibration: one process, alone, growing until it runs >= 0.5 s
  // (process start-up included, so the measured processes run a little
  // under target_s each).
  uint64_t calls = 1;
  for (;;) {
    std::string why;
    const auto cmd = k.command(calls, why);
    if (!cmd) {
      p.errors.push_back(why);
      return p;
    }
    std::vector<ProcOut> outs;
    const double s = run_concurrently({*cmd}, outs);
    if (check(outs, "calibration") != 1) return p;
    p.calibration_s = s;
    p.calibration_calls = calls;
    if (s >= 0.5 || calls >= (uint64_t(1) << 40)) break;
    calls *= s < 0.02 ? 10 : 2;
  }
  // The measured run: each process does the calls that took about target_s alone.
  p.calls_per_proc = std::max<uint64_t>(1, uint64_t(double(p.calibration_calls) * target_s / p.calibration_s));
  std::string why;
  const auto cmd = k.command(p.calls_per_proc, why);
  if (!cmd) {
    p.errors.push_back(why);
    return p;
  }
  progress("[{}] {} processes x {} calls of run(0, {})", k.name, procs, p.calls_per_proc, iters);
  std::vector<ProcOut> outs;
  p.wall_s = run_concurrently(std::vector<std::string>(procs, *cmd), outs);
  p.ran = true;
  p.procs_ok = check(outs, "measured");
  p.wasm_instr = uint64_t(p.procs_ok) * p.calls_per_proc * wasm_per_call(iters);
  p.ok = p.procs_ok == procs;
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  CLI::App app{"gpuos VM benchmark: GPU interpreter throughput on a compute-bound wasm module, with CPU peers"};
  app.add_option("--instances", opt.instances, "the Ns: lanes per GpuVm::run, and processes per process run; a list")
      ->check(CLI::Range(1u, kMaxInstances))
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--iters", opt.iters, "loop iterations per invocation (default 50000, --quick 10)")
      ->check(CLI::Range(1u, 1u << 30));
  app.add_flag("--quick", opt.quick, "small defaults for lavapipe: --iters 10, --peer-seconds 1");
  auto* po = app.add_flag("--peers-only", opt.peers_only, "run the CPU peers only, not the GPU");
  auto* np = app.add_flag("--no-peers", opt.no_peers, "run the GPU only, not the CPU peers");
  auto* nl = app.add_flag("--no-lanes", opt.no_lanes, "skip the GPU lanes (GpuVm, one instance)");
  app.add_option("--lanes-tier", opt.lanes_tier, "the lanes' code: interp, compiled (procs/jit) or both")
      ->check(CLI::IsMember({"interp", "compiled", "both"}))
      ->capture_default_str();
  app.add_option("--process-tier", opt.process_tier, "the processes' code: interp, compiled (in the kernel) or both")
      ->check(CLI::IsMember({"interp", "compiled", "both"}))
      ->capture_default_str();
  auto* npr = app.add_flag("--no-processes", opt.no_processes, "skip the GPU processes (gpuos::Session)");
  po->excludes(np)->excludes(nl)->excludes(npr);
  app.add_option("--timeout", opt.timeout_s, "seconds one process run of N may take before it fails")
      ->check(CLI::Range(1.0, 86400.0))
      ->capture_default_str();
  app.add_option("--procs", opt.procs, "concurrent processes per peer (default: nproc)");
  app.add_option("--peer-seconds", opt.peer_seconds, "work per peer process, in seconds of one process alone (default 3, --quick 1)")
      ->check(CLI::Range(0.05, 3600.0));
  app.add_option("--wasm", opt.wasm, "the benchmark module")->capture_default_str();
  app.add_option("--wat", opt.wat, "its text (the process module and wasm-interp's wrapper are built from it)")->capture_default_str();
  app.add_option("--node-script", opt.node_script, "run_node.mjs")->capture_default_str();
  app.add_flag("--json", opt.json, "print one JSON object (schema 4) on stdout instead of the table");
  app.add_flag("-q,--quiet", opt.quiet, "no progress on stderr");
  CLI11_PARSE(app, argc, argv);
  g_quiet = opt.quiet;
  if (opt.peers_only) opt.no_lanes = opt.no_processes = true;
  spdlog::set_default_logger(spdlog::stderr_color_mt("gpuos"));  // stdout: only the table or the JSON
  spdlog::set_level(spdlog::level::warn);

  std::string why;
  const auto mod = load(opt.wasm, why);
  if (!mod) {
    note("{}", why);
    return 2;
  }

  // A temp dir for the modules built from compute.wat (processes, wasm-interp).
  std::string tmpdir;
  {
    char tmpl[] = "/tmp/gpuos_bench_vm.XXXXXX";
    if (::mkdtemp(tmpl)) tmpdir = tmpl;
  }
  struct RemoveDir {
    const std::string& dir;
    ~RemoveDir() {
      if (!dir.empty()) std::filesystem::remove_all(dir);
    }
  } remove_tmpdir{tmpdir};
  std::string wat_text;
  {
    std::ifstream in(opt.wat);
    wat_text.assign((std::istreambuf_iterator<char>(in)), {});
  }
  const auto wat2wasm = which("wat2wasm");
  if (!opt.no_processes && (!wat2wasm || tmpdir.empty())) {
    note("{}", !wat2wasm ? "wat2wasm is not on PATH: it builds the process module (or pass --no-processes)"
                         : "no temp dir for the process module");
    return 2;
  }

  // The GPU first, lanes then processes: on lavapipe the full defaults would
  // take hours, so it gets the --quick ones unless --iters was given. The
  // lanes' GpuVm and the processes' session do not run at the same time:
  // without lanes the session boots here, else after the lanes.
  std::unique_ptr<vm::gpu::GpuVm> gpu_vm;
  std::unique_ptr<ProcessBench> proc_bench;
  uint32_t max_depth = 0, slots_per_lane = 0;
  std::string device;
  bool lavapipe = false;
  auto boot_processes = [&]() -> bool {
    progress("[proc] booting a gpuos session");
    proc_bench = ProcessBench::boot(why);
    if (!proc_bench) note("no GPU processes: {}", why);
    return proc_bench != nullptr;
  };
  if (!opt.no_lanes) {
    vm::gpu::GpuLimits lim;
    // compute.wat nests at most 6 frames (run, rec x 4 or mix); the defaults
    // (2^21 slots, 20,000 calls per lane) would need 1 TiB of slots at 65,536 lanes.
    max_depth = 16;
    slots_per_lane = std::max<uint32_t>(256, mod->image->max_frame_slots * (max_depth + 1));
    lim.max_depth = max_depth;
    lim.slots_per_lane = slots_per_lane;
    lim.budget_ticks = uint64_t(1) << 62;
    auto gpu = vm::gpu::GpuVm::create(lim);
    if (!gpu) {
      note("no GPU interpreter: {}", gpu.error().detail);
      return 2;
    }
    gpu_vm = std::move(gpu.value());
    device = gpu_vm->device_name();
    lavapipe = gpu_vm->is_lavapipe();
  } else if (!opt.no_processes) {
    if (!boot_processes()) return 2;
    device = proc_bench->info().device;
    lavapipe = proc_bench->info().lavapipe;
  }
  if (!opt.no_lanes || !opt.no_processes) {
    if (lavapipe && opt.iters == 0 && !opt.quick) {
      opt.quick = true;
      note("lavapipe: using the --quick defaults (--iters 10); pass --iters to override");
    }
  }
  if (opt.iters == 0) opt.iters = opt.quick ? 10 : 50000;
  if (opt.peer_seconds == 0) opt.peer_seconds = opt.quick ? 1.0 : 3.0;
  if (opt.procs == 0) opt.procs = std::max(1u, std::thread::hardware_concurrency());
  const std::string date = utc_now();


  // The reference checksum, and that it does not depend on base.
  progress("[ref] run(0, {}) and run({}, {}) on the CPU reference executor", opt.iters,
           (kMaxInstances - 1) * kRegionBytes, opt.iters);
  const RefResult ref = reference(*mod, 0, opt.iters);
  const RefResult ref_hi = reference(*mod, (kMaxInstances - 1) * kRegionBytes, opt.iters);
  if (!ref.ok || !ref_hi.ok) {
    note("reference executor failed: {}", ref.ok ? ref_hi.error : ref.error);
    return 2;
  }
  if (ref.checksum != ref_hi.checksum) {
    note("the checksum depends on base ({} at 0, {} at {}): compute.wat is broken", ref.checksum, ref_hi.checksum,
         (kMaxInstances - 1) * kRegionBytes);
    return 2;
  }
  std::vector<std::string> failures;

  // GPU.
  std::vector<GpuResult> gpu_results;
  if (gpu_vm) {
    progress("[gpu] device: {}{}", device, lavapipe ? " (lavapipe)" : "");
    std::vector<vm::gpu::Tier> tiers;
    if (opt.lanes_tier != "compiled") tiers.push_back(vm::gpu::Tier::Interpreter);
    if (opt.lanes_tier != "interp") tiers.push_back(vm::gpu::Tier::Compiled);
    for (vm::gpu::Tier tier : tiers) {
      gpu_vm->set_tier(tier);
      for (uint32_t n : opt.instances) {
        GpuResult g = run_gpu(*gpu_vm, *mod, n, opt.iters, ref.checksum);
        progress("[gpu] N={} {}: {:.3f} s, {}/{} lanes right, {}ticks/s, {}wasm instr/s", n, g.tier, g.wall_s,
                 g.lanes_ok, n, si(g.ticks_per_s()), si(g.wasm_per_s()));
        for (const auto& e : g.errors) note("[gpu] N={} {}: {}", n, g.tier, e);
        if (!g.ok) failures.push_back(fmt::format("gpu N={} {}: {} wrong, {} trapped, {} unsupported of {} lanes", n,
                                                  g.tier, g.wrong, g.trapped, g.unsupported, n));
        if (g.ticks_min != g.ticks_max) {
          note("[gpu] N={} {}: lanes retired different tick counts ({}..{})", n, g.tier, g.ticks_min, g.ticks_max);
        }
        gpu_results.push_back(std::move(g));
      }
    }
    gpu_vm.reset();
  }

  // GPU processes.
  std::vector<ProcessResult> proc_results;
  if (!opt.no_processes) {
    if (!proc_bench && !boot_processes()) return 2;
    const ProcessSessionInfo& pi = proc_bench->info();
    progress("[proc] device: {}{}, {} mode, {} slots, {} pages, booted in {:.2f} s", pi.device,
             pi.lavapipe ? " (lavapipe)" : "", pi.mode, pi.slots, pi.arena_pages, pi.boot_s);
    const bool want_compiled = opt.process_tier != "interp";
    if (!proc_bench->prepare(wat_text, *wat2wasm, tmpdir, opt.iters, ref.checksum, want_compiled, why)) {
      note("no GPU processes: {}", why);
      return 2;
    }
    if (want_compiled) progress("[proc] compiled tier: the program compiled into the kernel in {:.0f} ms", proc_bench->compile_ms());
    std::vector<bool> proc_tiers;  // compiled?
    if (opt.process_tier != "compiled") proc_tiers.push_back(false);
    if (want_compiled) proc_tiers.push_back(true);
    for (bool compiled : proc_tiers) {
      for (uint32_t n : opt.instances) {
        const char* tier = compiled ? "compiled" : "interp";
        if (!proc_bench->usable()) {
          failures.push_back(fmt::format("gpu processes N={} {}: not run: {}", n, tier, proc_bench->unusable_reason()));
          continue;
        }
        ProcessResult p = proc_bench->run(n, opt.timeout_s, compiled);
        progress("[proc] N={} {}: {:.3f} s, {}/{} processes right, {}ticks/s, {}wasm instr/s", n, tier, p.wall_s,
                 p.procs_ok, n, si(p.ticks_per_s()), si(p.wasm_per_s()));
        for (const auto& e : p.errors) note("[proc] N={} {}: {}", n, tier, e);
        if (!p.ok) {
          failures.push_back(fmt::format("gpu processes N={} {}: {} wrong, {} trapped, {} missing of {} processes{}", n,
                                         tier, p.wrong, p.trapped, p.missing, n, p.timed_out ? " (timed out)" : ""));
        }
        if (p.ticks_min != p.ticks_max) {
          note("[proc] N={} {}: processes retired different tick counts ({}..{})", n, tier, p.ticks_min, p.ticks_max);
        }
        proc_results.push_back(std::move(p));
      }
    }
    proc_bench->shutdown();  // before the peers: they want every core
  }

  // Peers.
  std::vector<PeerResult> peers;
  std::vector<std::string> not_installed;
  if (!opt.no_peers) {
    const auto interp = which("wasm-interp");
    const auto node = which("node");
    // wasm-interp 1.0.32 can only run exports without parameters
    // (--run-all-exports), so it runs a wrapper: compute.wat plus
    // peer_main(), which calls run(0, ITERS) CALLS times and returns the
    // checksum (changed if any call disagreed). Its own loop, about 17
    // instructions a call, is not counted.
    PeerKind wi{"wasm-interp", {}, {}};
    wi.command = [&](uint64_t calls, std::string& err) -> std::optional<std::string> {
      if (tmpdir.empty() || calls > 0xffffffffu) {
        err = "cannot build the wasm-interp wrapper (no temp dir)";
        return std::nullopt;
      }
      const std::string wrapper = fmt::format(R"(
  (func (export "peer_main") (result i64) (local $k i32) (local $r i64) (local $bad i32)
    i32.const 0
    i32.const {0}
    call $run
    local.set $r
    i32.const 1
    local.set $k
    block $done
      loop $more
        local.get $k
        i32.const {1}
        i32.ge_u
        br_if $done
        i32.const 0
        i32.const {0}
        call $run
        local.get $r
        i64.ne
        local.get $bad
        i32.or
        local.set $bad
        local.get $k
        i32.const 1
        i32.add
        local.set $k
        br $more
      end
    end
    local.get $r
    local.get $bad
    i64.extend_i32_u
    i64.xor)
)",
                                              opt.iters, uint32_t(calls));
      const auto text = add_to_module(wat_text, wrapper);
      if (!text) {
        err = "cannot build the wasm-interp wrapper: no module text at " + opt.wat;
        return std::nullopt;
      }
      const auto wasm = build_wat(*wat2wasm, fmt::format("{}/peer_{}", tmpdir, calls), *text, err);
      if (!wasm) return std::nullopt;
      return fmt::format("{} {} --run-all-exports 2>&1", sh_quote(*interp), sh_quote(*wasm));
    };
    wi.checksum = [](const std::string& out) -> std::optional<uint64_t> {
      const auto at = out.find("peer_main() => i64:");
      if (at == std::string::npos) return std::nullopt;
      return std::strtoull(out.c_str() + at + std::strlen("peer_main() => i64:"), nullptr, 10);
    };
    PeerKind nd{"node", {}, {}};
    nd.command = [&](uint64_t calls, std::string&) -> std::optional<std::string> {
      return fmt::format("{} {} {} {} {} 0", sh_quote(*node), sh_quote(opt.node_script), sh_quote(opt.wasm), opt.iters, calls);
    };
    nd.checksum = [](const std::string& out) -> std::optional<uint64_t> {
      try {
        const json j = json::parse(first_line(out));
        if (!j.at("consistent").get<bool>()) return std::nullopt;
        return std::strtoull(j.at("checksum").get<std::string>().c_str(), nullptr, 10);
      } catch (...) {
        return std::nullopt;
      }
    };
    auto version_of = [](const std::string& bin) {
      std::vector<ProcOut> outs;
      run_concurrently({sh_quote(bin) + " --version 2>&1"}, outs);
      return first_line(outs[0].out);
    };
    struct Cand {
      PeerKind kind;
      bool have;
      std::string bin;
    };
    const std::vector<Cand> cands = {{wi, interp && wat2wasm, interp ? *interp : ""}, {nd, node.has_value(), node ? *node : ""}};
    for (const Cand& c : cands) {
      if (!c.have) {
        note("peer {}: not installed{}", c.kind.name, c.kind.name == "wasm-interp" && interp ? " (wat2wasm missing)" : "");
        not_installed.push_back(c.kind.name);
        continue;
      }
      PeerResult p = run_peer(c.kind, opt.procs, opt.iters, ref.checksum, opt.peer_seconds);
      p.version = version_of(c.bin);
      for (const auto& e : p.errors) note("[{}] {}", p.name, e);
      if (!p.ok) failures.push_back(fmt::format("peer {}: {} of {} processes right", p.name, p.procs_ok, p.procs));
      progress("[{}] {:.3f} s, {}/{} processes right, {}wasm instr/s", p.name, p.wall_s, p.procs_ok, p.procs, si(p.wasm_per_s()));
      peers.push_back(std::move(p));
    }
  }

  const bool ok = failures.empty();
  const uint64_t per_call = wasm_per_call(opt.iters);
  if (opt.json) {
    json j{{"schema", 4},
           {"benchmark", "vm"},
           {"date", date},
           {"ok", ok},
           {"failures", failures},
           {"device", opt.no_lanes && opt.no_processes ? json(nullptr) : json{{"name", device}, {"lavapipe", lavapipe}}},
           {"host", {{"cpus", std::thread::hardware_concurrency()}}},
           {"options",
            {{"instances", opt.instances},
             {"iters", opt.iters},
             {"quick", opt.quick},
             {"procs", opt.procs},
             {"peer_seconds", opt.peer_seconds},
             {"gpu_max_depth", max_depth},
             {"gpu_slots_per_lane", slots_per_lane},
             {"lanes", !opt.no_lanes},
             {"processes", !opt.no_processes},
             {"lanes_tier", opt.lanes_tier},
             {"process_tier", opt.process_tier},
             {"timeout_s", opt.timeout_s}}},
           {"wasm_instr_per_call", per_call},
           {"wasm_instr_formula", fmt::format("{} + {} * iters", kWasmFixed, kWasmPerIter)},
           {"reference",
            {{"checksum", fmt::format("{}", ref.checksum)},
             {"exit_status", fold_checksum(ref.checksum)},
             {"seconds", ref.seconds},
             {"wasm_instr_per_s", ref.seconds > 0 ? double(per_call) / ref.seconds : 0},
             {"base_independent", true}}}};
    json g = json::array();
    for (const auto& r : gpu_results) {
      g.push_back({{"instances", r.instances},
                   {"tier", r.tier},
                   {"compile_ms", r.compile_ms},
                   {"ok", r.ok},
                   {"wall_s", r.wall_s},
                   {"overhead_s", r.overhead_s},
                   {"vm_ticks", r.ticks},
                   {"vm_ticks_per_call_min", r.ticks_min},
                   {"vm_ticks_per_call_max", r.ticks_max},
                   {"vm_ticks_per_s", r.ticks_per_s()},
                   {"wasm_instr", r.wasm_instr},
                   {"wasm_instr_per_s", r.wasm_per_s()},
                   {"lanes_ok", r.lanes_ok},
                   {"wrong", r.wrong},
                   {"trapped", r.trapped},
                   {"unsupported", r.unsupported},
                   {"errors", r.errors}});
    }
    j["gpu"] = opt.no_lanes ? json(nullptr) : g;
    json pr = json::array();
    for (const auto& r : proc_results) {
      pr.push_back({{"instances", r.instances},
                    {"tier", r.tier},
                    {"compile_ms", r.tier == "compiled" && proc_bench ? proc_bench->compile_ms() : 0.0},
                    {"ok", r.ok},
                    {"wall_s", r.wall_s},
                    {"vm_ticks", r.ticks},
                    {"vm_ticks_per_proc_min", r.ticks_min},
                    {"vm_ticks_per_proc_max", r.ticks_max},
                    {"vm_ticks_per_s", r.ticks_per_s()},
                    {"wasm_instr", r.wasm_instr},
                    {"wasm_instr_per_s", r.wasm_per_s()},
                    {"procs_ok", r.procs_ok},
                    {"wrong", r.wrong},
                    {"trapped", r.trapped},
                    {"missing", r.missing},
                    {"timed_out", r.timed_out},
                    {"spawn_calls", r.spawn_calls},
                    {"refused_slots", r.refused_slots},
                    {"refused_pages", r.refused_pages},
                    {"max_in_flight", r.max_in_flight},
                    {"errors", r.errors}});
    }
    j["processes"] = opt.no_processes ? json(nullptr) : pr;
    if (proc_bench) {
      const ProcessSessionInfo& pi = proc_bench->info();
      j["process_session"] = {{"device", pi.device}, {"lavapipe", pi.lavapipe}, {"mode", pi.mode},
                              {"slots", pi.slots}, {"arena_pages", pi.arena_pages}, {"boot_s", pi.boot_s}};
    } else {
      j["process_session"] = nullptr;
    }
    json p = json::array();
    for (const auto& r : peers) {
      p.push_back({{"name", r.name},
                   {"version", r.version},
                   {"ok", r.ok},
                   {"procs", r.procs},
                   {"iters", r.iters},
                   {"calls_per_proc", r.calls_per_proc},
                   {"calibration_calls", r.calibration_calls},
                   {"calibration_s", r.calibration_s},
                   {"wall_s", r.wall_s},
                   {"wasm_instr", r.wasm_instr},
                   {"wasm_instr_per_s", r.wasm_per_s()},
                   {"procs_ok", r.procs_ok},
                   {"errors", r.errors}});
    }
    j["peers"] = opt.no_peers ? json(nullptr) : p;
    j["peers_not_installed"] = not_installed;
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("VM interpreter throughput, %s\n", date.c_str());
    std::printf("module: %s; run(base, %u): %" PRIu64 " wasm instructions per call (%" PRIu64 " + %" PRIu64 " * iters)\n",
                opt.wasm.c_str(), opt.iters, per_call, kWasmFixed, kWasmPerIter);
    std::printf("reference checksum %" PRIu64 " (CPU reference executor, 1 thread: %.3f s/call, %swasm instr/s)\n",
                ref.checksum, ref.seconds, si(ref.seconds > 0 ? double(per_call) / ref.seconds : 0).c_str());
    if (!opt.no_lanes || !opt.no_processes) {
      std::printf("device: %s%s\n", device.c_str(), lavapipe ? " (lavapipe: for regressions only)" : "");
    }
    if (proc_bench) {
      const ProcessSessionInfo& pi = proc_bench->info();
      std::printf("processes: a gpuos session on %s, %s mode, %u table slots; main() = run(0, %u), exit status %u "
                  "(the checksum folded)\n",
                  pi.device.c_str(), pi.mode.c_str(), pi.slots, opt.iters, fold_checksum(ref.checksum));
    }
    std::printf("\n%-30s %10s %10s %10s %14s %14s %14s %s\n", "engine", "instances", "wall s", "fixed s", "VM ticks/call",
                "VM ticks/s", "wasm instr/s", "checksums");
    auto range = [](uint64_t lo, uint64_t hi) { return lo == hi ? fmt::format("{}", lo) : fmt::format("{}..{}", lo, hi); };
    for (const auto& r : gpu_results) {
      const std::string name = r.tier == "compiled" ? fmt::format("gpu lanes, compiled ({:.0f} ms)", r.compile_ms)
                                                    : std::string("gpu lanes, interpreter");
      std::printf("%-30s %10u %10.3f %10.3f %14s %14s %14s %u/%u\n", name.c_str(), r.instances, r.wall_s,
                  r.overhead_s, range(r.ticks_min, r.ticks_max).c_str(), si(r.ticks_per_s()).c_str(),
                  si(r.wasm_per_s()).c_str(), r.lanes_ok, r.instances);
    }
    for (const auto& r : proc_results) {
      const std::string name = r.tier == "compiled" ? "gpu processes, compiled" : "gpu processes, interpreter";
      std::printf("%-30s %10u %10.3f %10s %14s %14s %14s %u/%u%s\n", name.c_str(), r.instances, r.wall_s, "-",
                  range(r.ticks_min, r.ticks_max).c_str(), si(r.ticks_per_s()).c_str(), si(r.wasm_per_s()).c_str(),
                  r.procs_ok, r.instances, r.timed_out ? " (timed out)" : "");
    }
    for (const auto& r : peers) {
      const std::string name = fmt::format("{} ({} procs)", r.name, r.procs);
      const std::string inst = fmt::format("{}x{}", r.procs, r.calls_per_proc);
      std::printf("%-30s %10s %10.3f %10s %14s %14s %14s %u/%u procs\n", name.c_str(), inst.c_str(), r.wall_s, "-", "-",
                  "-", si(r.wasm_per_s()).c_str(), r.procs_ok, r.procs);
    }
    for (const auto& n : not_installed) std::printf("peer %s: not installed\n", n.c_str());
    std::printf("\nwall s: the GpuVm::run call (lanes) / first spawn to last exit record (processes) / all peer\n"
                "  processes, first start to last exit;\n"
                "fixed s: a GpuVm::run of as many lanes of idle(), which returns at once (upload, launch, write-back);\n"
                "VM ticks/call: per lane, or per process (its whole life: start-up, main(), exit);\n"
                "wasm instr: run(0, iters)'s %" PRIu64 " per lane, process or peer call, nothing else;\n"
                "peers: instances = processes x calls of run(0, iters) per process.\n",
                per_call);
    for (const auto& r : proc_results) {
      std::printf("gpu processes N=%u: %u spawn calls, at most %u processes at once, %u+%u refused and spawned again\n",
                  r.instances, r.spawn_calls, r.max_in_flight, r.refused_slots, r.refused_pages);
    }
  }
  std::fflush(stdout);
  if (!ok) {
    for (const auto& f : failures) note("FAILED: {}", f);
    return 1;
  }
  return 0;
}

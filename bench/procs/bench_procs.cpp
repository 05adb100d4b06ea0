// gpuos_bench_procs: the process model's benchmark (issue 4, item 7).
//
//   spawn       P host-spawned `spawn_bench` parents each spawn C children
//               from the GPU (gpuos_spawn) and wait for them. Counted: the
//               P x C GPU-native spawns, from the host's spawn() call until
//               every exit record (P + P x C) has reached the host.
//   malloc      N `malloc_bench` processes, each 100,000 rounds of
//               malloc(32), one store, free. Counted: N x 100,000 pairs from
//               the spawn until the last exit record.
//   concurrent  N `spin` processes alive at once: spawned in one command,
//               then snapshots until every one is live and has run.
//
// Peers, measured in the same run on the same host, with every CPU thread
// busy: glibc malloc(32)/store/free pairs per second, and fork()/_exit/
// waitpid per second (taken before the session boots, while the process
// is small). Every GPU figure is checked: each process's exit status, the
// heap's allocs == frees, live == N.
//
// --profile boots the GPUOS_PROFILE kernel and prints, per measurement, the
// share of all lane time each part of the main loop took (house-keeping,
// ready-bitmap scans that hit or missed, boot, run, spawn and heap calls
// within run, exit zeroing, exit notification, scheduling): what limits a
// figure. It slows the kernel a little, so its figures are not the record.
//
// Exit codes: 0 every figure measured and checked; 1 a check failed; 2 boot
// failed or a bad argument.

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "bench/bench_clock.h"
#include "bench/bench_profile.h"
#include "kernel/session.h"

namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr uint64_t kMallocRounds = 100000;  // malloc_bench.c's ROUNDS

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::vector<uint8_t> read_guest(const std::string& dir, const std::string& name) {
  std::ifstream f(dir + "/" + name + ".wasm", std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

// ---- CPU peers -----------------------------------------------------------------

double cpu_malloc_pairs_per_s(unsigned threads, uint64_t rounds) {
  std::atomic<uint64_t> sink{0};
  const auto t0 = Clock::now();
  std::vector<std::thread> ts;
  for (unsigned t = 0; t < threads; ++t) {
    ts.emplace_back([&] {
      uint64_t s = 0;
      for (uint64_t i = 0; i < rounds; ++i) {
        auto* p = static_cast<volatile uint32_t*>(std::malloc(32));
        *p = static_cast<uint32_t>(i);
        s += *p;
        std::free(const_cast<uint32_t*>(p));
      }
      sink += s;
    });
  }
  for (auto& t : ts) t.join();
  return double(threads) * double(rounds) / seconds_since(t0);
}

double cpu_forks_per_s(unsigned threads, unsigned per_thread) {
  std::atomic<bool> failed{false};
  const auto t0 = Clock::now();
  std::vector<std::thread> ts;
  for (unsigned t = 0; t < threads; ++t) {
    ts.emplace_back([&] {
      for (unsigned i = 0; i < per_thread; ++i) {
        const pid_t pid = fork();
        if (pid == 0) _exit(0);
        int st = 0;
        if (pid < 0 || waitpid(pid, &st, 0) != pid || st != 0) failed = true;
      }
    });
  }
  for (auto& t : ts) t.join();
  return failed ? 0.0 : double(threads) * per_thread / seconds_since(t0);
}

// ---- GPU measurements ----------------------------------------------------------

struct Bench {
  gpuos::Session& s;
  std::string guests;
  unsigned timeout_s;
  bool ok = true;

  void check(bool cond, const std::string& what) {
    if (!cond) {
      std::fprintf(stderr, "CHECK FAILED: %s\n", what.c_str());
      ok = false;
    }
  }

  uint32_t load(const std::string& name) {
    auto id = s.load_program(read_guest(guests, name), name);
    if (!id) {
      std::fprintf(stderr, "cannot load %s: %s\n", name.c_str(), id.detail().c_str());
      std::exit(2);
    }
    return *id;
  }

  // Waits until `n` more exit records than `base` have arrived; false on timeout.
  bool wait_exits(uint64_t base, uint64_t n, Clock::time_point t0) {
    while (s.exits().total() < base + n) {
      if (seconds_since(t0) > timeout_s || s.status().failed) return false;
      std::this_thread::sleep_for(200us);
    }
    return true;
  }

  json spawn(uint32_t parents, uint32_t children) {
    const uint32_t prog = load("spawn_bench");
    const uint64_t base = s.exits().total();
    const auto t0 = Clock::now();
    const uint32_t per_parent = std::min(children, 1024u);  // spawn_bench.c's cap
    auto r = s.spawn(prog, parents, per_parent << 16, {});   // instance i: (children << 16) + i
    check(r.ok() && r->pids.size() == parents, "all parents spawned");
    if (!r.ok()) return {};
    const uint64_t expect_children = uint64_t(parents) * per_parent;
    // Done when every parent has exited (each waits for its children first);
    // children a full table refused never ran, so count the exits that came.
    bool done = false;
    while (!done && seconds_since(t0) < timeout_s && !s.status().failed) {
      done = true;
      for (uint32_t pid : r->pids) done = done && s.exits().find(pid).has_value();
      if (!done) std::this_thread::sleep_for(200us);
    }
    const double t = seconds_since(t0);
    check(done, "every parent exited in time");
    const uint64_t children_ran = s.exits().total() - base - parents;
    uint32_t bad = 0;
    for (uint32_t pid : r->pids) {
      auto e = s.exits().find(pid);
      bad += (!e || e->status != 0) ? 1 : 0;
    }
    check(bad == 0 && children_ran == expect_children,
          fmt::format("{} parents reported a refused spawn or a failed child; {} of {} children ran", bad,
                      children_ran, expect_children));
    return {{"parents", parents}, {"children", children_ran}, {"seconds", t},
            {"gpu_spawns_per_s", double(children_ran) / t}};
  }

  json malloc_pairs(uint32_t instances) {
    const uint32_t prog = load("malloc_bench");
    auto before = s.snapshot();
    const uint64_t base = s.exits().total();
    const auto t0 = Clock::now();
    auto r = s.spawn(prog, instances, 0, {});
    check(r.ok() && r->pids.size() == instances, "all malloc_bench instances spawned");
    if (!r.ok()) return {};
    const bool done = wait_exits(base, instances, t0);
    const double t = seconds_since(t0);
    check(done, "every malloc_bench exited in time");
    uint32_t bad = 0;
    for (uint32_t pid : r->pids) {
      auto e = s.exits().find(pid);
      bad += (!e || e->status != 0 || e->heap_live != 0) ? 1 : 0;
    }
    check(bad == 0, fmt::format("{} malloc_bench processes failed or leaked", bad));
    auto after = s.snapshot();
    uint64_t allocs = 0, frees = 0;
    if (after.ok() && before.ok()) {
      for (size_t c = 0; c < after->heap.size(); ++c) {
        allocs += after->heap[c].allocs - before->heap[c].allocs;
        frees += after->heap[c].frees - before->heap[c].frees;
      }
    }
    check(allocs == uint64_t(instances) * kMallocRounds && frees == allocs,
          fmt::format("heap counted {} allocs and {} frees for {} pairs", allocs, frees,
                      uint64_t(instances) * kMallocRounds));
    const double pairs = double(instances) * double(kMallocRounds);
    return {{"instances", instances}, {"pairs", pairs}, {"seconds", t}, {"gpu_pairs_per_s", pairs / t}};
  }

  json concurrent(uint32_t n) {
    const uint32_t prog = load("spin");
    const auto t0 = Clock::now();
    auto r = s.spawn(prog, n, 0, {});
    const double spawn_s = seconds_since(t0);
    check(r.ok() && r->pids.size() == n,
          fmt::format("{} spin processes spawned ({} refused: {} slots, {} pages)", n, r.ok() ? n - r->pids.size() : n,
                      r.ok() ? r->failed_slots : 0, r.ok() ? r->failed_pages : 0));
    if (!r.ok()) return {};
    uint32_t live = 0, ran = 0;
    double all_ran_s = -1;
    while (seconds_since(t0) < timeout_s) {
      auto snap = s.snapshot();
      if (!snap.ok()) break;
      live = snap->header.live;
      ran = 0;
      for (const auto& p : snap->procs) ran += p.instructions > 0 ? 1 : 0;
      if (live == r->pids.size() && ran == r->pids.size()) {
        all_ran_s = seconds_since(t0);
        break;
      }
      std::this_thread::sleep_for(50ms);
    }
    check(all_ran_s >= 0, fmt::format("all {} live and running (last: {} live, {} had run)", n, live, ran));
    const auto k0 = Clock::now();
    for (uint32_t pid : r->pids) (void)s.kill(pid);
    while (seconds_since(k0) < timeout_s) {
      auto snap = s.snapshot();
      if (snap.ok() && snap->header.live == 0) break;
      std::this_thread::sleep_for(50ms);
    }
    const double kill_s = seconds_since(k0);
    return {{"processes", r->pids.size()}, {"spawn_seconds", spawn_s}, {"all_running_seconds", all_ran_s},
            {"kill_all_seconds", kill_s}};
  }
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gpuos_bench_procs: GPU spawns, slab-heap malloc/free pairs, concurrent processes"};
  std::string mode = "all";
  uint32_t parents = 1024, children = 64, malloc_instances = 16384, concurrent = 100000;
  uint32_t fork_per_thread = 200;
  unsigned timeout_s = 300;
  std::string guests = GPUOS_GUEST_DIR;
  bool as_json = false;
  gpuos::BootOptions o;
  app.add_option("--mode", mode, "spawn, malloc, concurrent or all")->check(CLI::IsMember({"spawn", "malloc", "concurrent", "all"}));
  app.add_option("--parents", parents, "spawn: host-spawned parents");
  app.add_option("--children", children, "spawn: children per parent (at most 1024)");
  app.add_option("--malloc-instances", malloc_instances, "malloc: malloc_bench processes");
  app.add_option("--concurrent", concurrent, "concurrent: spin processes alive at once");
  app.add_option("--proc-slots", o.proc_slots, "process-table slots (0: the device's default)");
  app.add_option("--arena-mib", o.arena_mib, "page arena (0: the device's default)");
  app.add_option("--quantum", o.quantum, "ticks per quantum (0: the device's default)");
  bool no_grouping = false;
  app.add_flag("--no-grouping", no_grouping, "do not group a program's processes into subgroups (for comparison)");
  app.add_flag("--profile", o.profile, "use the kernel that counts where lane time goes, and print the shares");
  app.add_option("--fork-per-thread", fork_per_thread, "peer: forks per CPU thread");
  app.add_option("--guests", guests, "directory of the guest .wasm files");
  app.add_option("--timeout", timeout_s, "seconds each measurement may take");
  app.add_flag("--json", as_json, "print one JSON object");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::warn);
  o.group_by_program = !no_grouping;

  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  json out = {{"bench", "procs"}, {"utc", gpuos::bench::utc_now()}, {"cpu_threads", threads}};
  const bool all = mode == "all";
  if (all || mode == "spawn") out["peer_fork_per_s"] = cpu_forks_per_s(threads, fork_per_thread);

  auto booted = gpuos::Session::boot(o);
  if (!booted) {
    std::fprintf(stderr, "boot failed: %s\n", booted.detail().c_str());
    return 2;
  }
  auto& s = *booted.value();
  const auto st = s.status();
  out["device"] = st.device_name;
  out["group_by_program"] = o.group_by_program;
  Bench b{s, guests, timeout_s};
  // With --profile, each measurement's lane-time shares, from snapshots around it.
  auto profiled = [&](const char* name, auto&& measure) {
    out[name] = gpuos::bench::profiled(s, o.profile, measure);
  };
  if (all || mode == "spawn") profiled("spawn", [&] { return b.spawn(parents, children); });
  if (all || mode == "malloc") {
    profiled("malloc", [&] { return b.malloc_pairs(malloc_instances); });
    out["peer_glibc_malloc_pairs_per_s"] = cpu_malloc_pairs_per_s(threads, 20'000'000);
  }
  if (all || mode == "concurrent") profiled("concurrent", [&] { return b.concurrent(concurrent); });
  out["checks_passed"] = b.ok;
  s.shutdown();

  if (as_json) {
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::printf("device %s, %s, grouping %s\n", out["device"].get<std::string>().c_str(),
                out["utc"].get<std::string>().c_str(), o.group_by_program ? "on" : "off");
    if (out.contains("spawn") && !out["spawn"].empty()) {
      std::printf("spawn:      %.0f GPU-native spawns/s (%llu children of %u parents in %.3f s); peer fork+wait %.0f/s\n",
                  out["spawn"]["gpu_spawns_per_s"].get<double>(), out["spawn"]["children"].get<unsigned long long>(),
                  parents, out["spawn"]["seconds"].get<double>(), out["peer_fork_per_s"].get<double>());
    }
    if (out.contains("malloc") && !out["malloc"].empty()) {
      std::printf("malloc:     %.3g malloc+free pairs/s (%u processes x 100000 in %.3f s); peer glibc %.3g/s on %u threads\n",
                  out["malloc"]["gpu_pairs_per_s"].get<double>(), malloc_instances,
                  out["malloc"]["seconds"].get<double>(), out["peer_glibc_malloc_pairs_per_s"].get<double>(), threads);
    }
    if (out.contains("concurrent") && !out["concurrent"].empty()) {
      std::printf("concurrent: %u processes live and running after %.2f s (spawn command %.3f s, kill all %.2f s)\n",
                  out["concurrent"]["processes"].get<unsigned>(), out["concurrent"]["all_running_seconds"].get<double>(),
                  out["concurrent"]["spawn_seconds"].get<double>(), out["concurrent"]["kill_all_seconds"].get<double>());
    }
    for (const char* m : {"spawn", "malloc", "concurrent"}) {
      if (out.contains(m) && out[m].contains("profile")) gpuos::bench::print_profile(m, out[m]["profile"]);
    }
    std::printf("checks: %s\n", b.ok ? "all passed" : "FAILED");
  }
  return b.ok ? 0 : 1;
}

// Processes on a real Vulkan device (lavapipe in CI): spawn, exit, wait,
// kill, traps, isolation, memory exhaustion, a GPU spawn tree, the slab
// heap and 1,000 concurrent processes, with the guests of tests/guests.
// Exits 77 (CTest: skipped) without a device, like gpuos_session_tests.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "kernel/session.h"
#include "kernel/vk/device.h"
#include "tests/unit/booted_session.h"
#include "tests/unit/device_test_main.h"

namespace gpuos {
namespace {

using namespace std::chrono_literals;

using device_tests::boot;
using device_tests::Booted;
using device_tests::guest;

TEST(Process, HelloPrintsAndExitsZero) {
  auto b = boot();
  ASSERT_TRUE(b.s);
  const auto pids = b.spawn(b.load("hello"), 1);
  ASSERT_EQ(pids.size(), 1u);
  const auto e = b.wait(pids[0]);
  EXPECT_EQ(e.status, 0u);
  EXPECT_EQ(e.trap, 0u);
  EXPECT_GT(e.instructions, 0u);
  const std::string want = "hello from pid " + std::to_string(pids[0]);
  bool seen = false;
  for (const auto& r : b.s->log().last(256)) seen = seen || (r.pid == pids[0] && r.text().find(want) != std::string::npos);
  EXPECT_TRUE(seen) << "no debug record \"" << want << "\" tagged with the pid";
}

TEST(Process, InstancesGetTheirArgument) {
  auto b = boot();
  ASSERT_TRUE(b.s);
  const auto pids = b.spawn(b.load("exit_code"), 8, 0);
  ASSERT_EQ(pids.size(), 8u);
  for (uint32_t i = 0; i < 8; ++i) EXPECT_EQ(b.wait(pids[i]).status, 40u + i) << "instance " << i;
}

TEST(Process, OutOfBoundsTrapsThatProcessAlone) {
  auto b = boot();
  ASSERT_TRUE(b.s);
  const uint32_t oob = b.load("oob"), ok = b.load("exit_code");
  const auto good = b.spawn(ok, 4, 0);
  const auto bad = b.spawn(oob, 2);
  ASSERT_EQ(bad.size(), 2u);
  for (uint32_t pid : bad) {
    const auto e = b.wait(pid);
    EXPECT_EQ(e.status, abi::EXIT_TRAPPED);
    EXPECT_EQ(e.trap, 2u) << "out-of-bounds memory access";
    const std::string why = procs::describe_trap(*b.s->program(oob), e.trap, e.trap_pc);
    EXPECT_NE(why.find("out of bounds"), std::string::npos) << why;
  }
  for (uint32_t i = 0; i < good.size(); ++i) EXPECT_EQ(b.wait(good[i]).status, 40u + i);
  EXPECT_FALSE(b.s->failed());
}

TEST(Process, EndlessLoopIsPreemptedAndKilled) {
  auto b = boot();
  ASSERT_TRUE(b.s);
  const auto spin = b.spawn(b.load("spin"), 1);
  ASSERT_EQ(spin.size(), 1u);
  const auto normal = b.spawn(b.load("exit_code"), 1, 2);
  EXPECT_EQ(b.wait(normal.at(0)).status, 42u) << "a normal program finishes beside an endless loop";
  EXPECT_FALSE(b.s->exits().find(spin[0]).has_value()) << "the loop is still running";
  auto snap = b.s->snapshot();
  ASSERT_TRUE(snap.ok()) << snap.detail();
  bool running = false;
  for (const auto& p : snap->procs) running = running || (p.pid == spin[0] && p.instructions > 0);
  EXPECT_TRUE(running) << "the loop made progress";
  auto k = b.s->kill(spin[0]);
  ASSERT_TRUE(k.ok());
  EXPECT_TRUE(*k);
  EXPECT_EQ(b.wait(spin[0], 30s).status, abi::EXIT_KILLED);
  auto again = b.s->kill(spin[0]);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again) << "a dead pid is not killed twice";
}

TEST(Process, GrowUntilPagesRunOutThenSpawnStillWorks) {
  BootOptions o;
  o.arena_mib = 8;  // 128 pages
  o.max_pages = 1024;
  auto b = boot(o);
  ASSERT_TRUE(b.s);
  const auto g = b.spawn(b.load("grower"), 1);
  ASSERT_EQ(g.size(), 1u);
  const auto e = b.wait(g[0]);
  EXPECT_EQ(e.trap, 0u);
  EXPECT_EQ(e.pages_peak, 128u) << "the grower held every page of the arena";
  EXPECT_EQ(e.status, 127u) << "it gained 127 pages beside its first (exit status = pages & 0xff)";
  const auto after = b.spawn(b.load("exit_code"), 4, 0);
  ASSERT_EQ(after.size(), 4u) << "spawn works once the grower has exited";
  for (uint32_t i = 0; i < 4; ++i) EXPECT_EQ(b.wait(after[i]).status, 40u + i);
}

TEST(Process, SpawnRefusedWhenPagesOrSlotsRunOut) {
  BootOptions o;
  o.arena_mib = 2;  // 32 pages
  o.proc_slots = 64;
  auto b = boot(o);
  ASSERT_TRUE(b.s);
  const uint32_t spin = b.load("spin");
  auto r = b.s->spawn(spin, 40, 0, {});
  ASSERT_TRUE(r.ok()) << r.detail();
  EXPECT_EQ(r->pids.size(), 32u);
  EXPECT_EQ(r->failed_pages, 8u);
  for (uint32_t pid : r->pids) ASSERT_TRUE(b.s->kill(pid).ok());
  for (uint32_t pid : r->pids) EXPECT_EQ(b.wait(pid).status, abi::EXIT_KILLED);
  auto r2 = b.s->spawn(spin, 64, 0, {});
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->pids.size(), 32u) << "every page came back";
  for (uint32_t pid : r2->pids) ASSERT_TRUE(b.s->kill(pid).ok());
  for (uint32_t pid : r2->pids) b.wait(pid);
}

TEST(Process, SpawnTreeFromTheGpu) {
  auto b = boot();
  ASSERT_TRUE(b.s);
  const auto root = b.spawn(b.load("spawn_tree"), 1, 2);
  ASSERT_EQ(root.size(), 1u);
  const auto e = b.wait(root[0]);
  EXPECT_EQ(e.status, 7u) << "root + 2 children + 4 grandchildren, each status collected by its parent";
  // Every process of the tree exited: 7 exit records whose statuses add up.
  EXPECT_GE(b.s->exits().total(), 7u);
  auto snap = b.s->snapshot();
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->header.zombies, 0u) << "every child was reaped by its parent";
  EXPECT_EQ(snap->header.live, 0u);
}

TEST(Process, MallocStressHasNoLeaksOrOverlaps) {
  auto b = boot();
  ASSERT_TRUE(b.s);
  // lavapipe interprets about 10^5 instructions a second per process: 200
  // operations there (arg bits 16..31), the full 3,000 on GPUs.
  const bool lavapipe = b.s->status().device_name.find("llvmpipe") != std::string::npos;
  const uint32_t ops = lavapipe ? 200u : 0u;
  const auto pids = b.spawn(b.load("malloc_stress"), 4, ops << 16);
  ASSERT_EQ(pids.size(), 4u);
  for (uint32_t pid : pids) {
    const auto e = b.wait(pid, 300s);
    EXPECT_EQ(e.status, 0u) << "malloc_stress found a problem (its exit code names it)";
    EXPECT_EQ(e.heap_live, 0u) << "bytes still allocated at exit";
  }
  auto snap = b.s->snapshot();
  ASSERT_TRUE(snap.ok());
  uint64_t allocs = 0, frees = 0;
  for (const auto& c : snap->heap) allocs += c.allocs, frees += c.frees;
  EXPECT_GT(allocs, 4u * (lavapipe ? 200u : 3000u) / 4u) << "about half the operations allocate";
  EXPECT_EQ(allocs, frees) << "every block allocated was freed";
}

TEST(Process, ThousandConcurrentProcesses) {
  auto b = boot();
  ASSERT_TRUE(b.s);
  const auto pids = b.spawn(b.load("spin"), 1000);
  ASSERT_EQ(pids.size(), 1000u);
  // Every one of them runs: each retires instructions while all are alive.
  bool all_ran = false;
  uint32_t ran = 0, live = 0;
  for (int i = 0; i < 600 && !all_ran; ++i) {
    auto snap = b.s->snapshot();
    ASSERT_TRUE(snap.ok()) << snap.detail();
    ran = 0;
    for (const auto& p : snap->procs) ran += p.instructions > 0 ? 1 : 0;
    live = snap->header.live;
    all_ran = live == 1000 && ran == 1000;
    if (!all_ran) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(all_ran) << "1,000 live processes, each having run; last snapshot: " << live << " live, " << ran
                       << " had run";
  for (uint32_t pid : pids) ASSERT_TRUE(b.s->kill(pid).ok());
  for (uint32_t pid : pids) EXPECT_EQ(b.wait(pid).status, abi::EXIT_KILLED);
}

// What a spawn's processes wrote to fd 1 and 2, as the host received it.
struct Captured {
  std::mutex mu;
  std::string out, err;
  std::shared_ptr<io::SpawnIo> io() {
    auto io = std::make_shared<io::SpawnIo>();
    io->output = [this](uint32_t, bool is_stderr, std::string_view text) {
      std::lock_guard lock(mu);
      (is_stderr ? err : out).append(text);
    };
    return io;
  }
};

TEST(Process, WasiProgramPrintsToItsSpawner) {
  auto b = boot();
  ASSERT_TRUE(b.s);
  Captured c;
  auto r = b.s->spawn(b.load("wasi_malloc"), 1, 0, {}, c.io());
  ASSERT_TRUE(r.ok() && r->pids.size() == 1) << (r.ok() ? "not spawned" : r.detail());
  const auto e = b.wait(r->pids[0]);
  EXPECT_EQ(e.status, 0u);
  EXPECT_EQ(e.trap, 0u);
  std::lock_guard lock(c.mu);  // output records come before the exit record
  EXPECT_EQ(c.out, "wasi_malloc: 2 + 3 = 5\n");
  EXPECT_EQ(c.err, "");
}

// A process waiting for the host is BLOCKED and off the lanes: its
// instruction count stands still while the host's timer runs, and other
// processes run to completion meanwhile.
TEST(Process, ABlockedRequestGivesTheLaneUp) {
  auto b = boot();
  ASSERT_TRUE(b.s);
  Captured c;
  auto r = b.s->spawn(b.load("sleeper"), 1, 0, {}, c.io());
  ASSERT_TRUE(r.ok() && r->pids.size() == 1) << (r.ok() ? "not spawned" : r.detail());
  const uint32_t sleeper = r->pids[0];
  auto entry = [&]() -> std::optional<abi::ProcEntry> {
    auto snap = b.s->snapshot();
    if (!snap.ok()) return std::nullopt;
    for (const auto& p : snap->procs) {
      if (p.pid == sleeper) return p;
    }
    return std::nullopt;
  };
  // A sleep blocks twice: for the host's park reply (holding a request
  // slot), then parked until the timer's wake (holding none; docs/io.md,
  // "Sleeping"). Between the two it runs a few instructions to give its
  // slot back, so the still-standing count is judged from the second.
  auto parked = [](const std::optional<abi::ProcEntry>& p) {
    return p && p->state == abi::PROC_BLOCKED && p->io_slot == 0;
  };
  std::optional<abi::ProcEntry> first;
  for (int i = 0; i < 100 && !parked(first); ++i) {
    first = entry();
    if (!parked(first)) std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(parked(first)) << "the sleeper never parked: " << b.describe(sleeper);
  const auto t0 = std::chrono::steady_clock::now();
  const auto hello = b.spawn(b.load("hello"), 4);
  for (uint32_t pid : hello) EXPECT_EQ(b.wait(pid).status, 0u);
  std::this_thread::sleep_for(300ms);
  const auto later = entry();
  // The sleep is 3 s; all of this happened well inside it.
  ASSERT_LT(std::chrono::steady_clock::now() - t0, 2500ms) << "too slow to observe the sleep";
  ASSERT_TRUE(later.has_value());
  EXPECT_EQ(later->state, abi::PROC_BLOCKED);
  EXPECT_EQ(later->instructions, first->instructions) << "a blocked process ran";
  EXPECT_EQ(later->quanta, first->quanta);
  const auto e = b.wait(sleeper);
  EXPECT_EQ(e.status, 0u);
  std::lock_guard lock(c.mu);
  EXPECT_EQ(c.out, "slept\n");
}

// Request slots come back: processes keep theirs between calls (io.glsl),
// so every way a process can end must give its slot back. 96 processes
// making null calls share 32 slots (more processes than slots: some yield
// for a slot, and with more than half held the rest give theirs back after
// each call); a sleeper, killed while it sleeps, holds no slot (a sleep is
// a timer: io.md) and its timer is cancelled. Afterwards no slot is held.
TEST(Process, RequestSlotsComeBackAfterEveryKindOfExit) {
  BootOptions o;
  o.io_slots = 32;
  auto b = boot(o);
  ASSERT_TRUE(b.s);
  const auto callers = b.spawn(b.load("null_call"), 96, 20u << 12);
  ASSERT_EQ(callers.size(), 96u);
  for (uint32_t pid : callers) EXPECT_EQ(b.wait(pid).status, 0u) << "a null call failed in pid " << pid;
  const auto sleeper = b.spawn(b.load("sleeper"), 1);
  ASSERT_EQ(sleeper.size(), 1u);
  bool blocked = false;
  for (int i = 0; i < 100 && !blocked; ++i) {
    auto snap = b.s->snapshot();
    for (const auto& p : snap.ok() ? snap->procs : std::vector<abi::ProcEntry>{}) {
      blocked = blocked || (p.pid == sleeper[0] && p.state == abi::PROC_BLOCKED);
    }
    if (!blocked) std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(blocked) << "the sleeper never blocked on its request: " << b.describe(sleeper[0]);
  auto killed = b.s->kill(sleeper[0]);
  ASSERT_TRUE(killed.ok() && *killed) << (killed.ok() ? "no such live process" : killed.detail());
  EXPECT_EQ(b.wait(sleeper[0], 10s).status, abi::EXIT_KILLED);
  // A slot it held (ORPHAN, if the host was still serving a request) comes
  // back when the host replies: at once, since the kill cancels it.
  uint32_t held = 1;
  for (int i = 0; i < 100 && held != 0; ++i) {
    held = b.s->status().io_slots_held;
    if (held != 0) std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(held, 0u) << "request slots still held with no process alive";
  EXPECT_EQ(b.s->status().io_slots, 32u);
}

TEST(Process, UnrunnableModulesAreRefusedWithAReason) {
  auto b = boot();
  ASSERT_TRUE(b.s);
  // (module (import "env" "f" (func))): not an import a process can have.
  const std::vector<uint8_t> env = {0, 'a', 's', 'm', 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0,
                                    2, 9, 1, 3, 'e', 'n', 'v', 1, 'f', 0, 0};
  auto imp = b.s->load_program(env, "env");
  ASSERT_FALSE(imp.ok());
  EXPECT_NE(imp.detail().find("unknown module"), std::string::npos) << imp.detail();
  const std::vector<uint8_t> junk = {0, 'a', 's', 'm', 9, 9};
  auto bad = b.s->load_program(junk, "junk");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.detail().find("invalid module"), std::string::npos) << bad.detail();
  auto none = b.s->spawn(77, 1, 0, {});
  EXPECT_FALSE(none.ok());
}

}  // namespace
}  // namespace gpuos

int main(int argc, char** argv) { return gpuos::device_tests::device_test_main(argc, argv, "process tests"); }

// The compiled tier inside the kernel (docs/compiled-tier.md, "Inside the
// kernel") on a real Vulkan device (lavapipe in CI): programs loaded with
// Tier::Compiled run as ordinary processes whose results match the same
// programs on the interpreter, through system calls, GPU spawns, the heap,
// traps, a call stack that moves to pages, preemption and kill. Exits 77
// (CTest: skipped) without a device.
#include <gtest/gtest.h>

#include <map>
#include <optional>

#include "tests/unit/booted_session.h"
#include "tests/unit/device_test_main.h"

namespace gpuos {
namespace {

using namespace std::chrono_literals;
using device_tests::boot;
using device_tests::Booted;

// deep_calls's f (tests/guests/deep_calls.c).
uint32_t deep_calls_status(uint32_t depth) {
  uint32_t v = 1;
  for (uint32_t n = 1; n <= depth; ++n) v = (v * 3u + n) & 0xffffu;
  return v & 0xffu;
}

// The process's table entry, if it is in the table.
std::optional<abi::ProcEntry> entry(Session& s, uint32_t pid) {
  auto snap = s.snapshot();
  if (!snap.ok()) return std::nullopt;
  for (const abi::ProcEntry& p : snap->procs) {
    if (p.pid == pid) return p;
  }
  return std::nullopt;
}

bool runs_compiled(const abi::ProcEntry& p) { return (p.phase & abi::PROC_COMPILED) != 0; }

// Waits until `pid` has run a quantum past its boot, and says on which tier.
std::optional<bool> tier_once_running(Session& s, uint32_t pid) {
  for (int i = 0; i < 600; ++i) {
    if (auto p = entry(s, pid); p && (p->phase & 0xffu) == abi::PH_RUN && p->quanta > 0) return runs_compiled(*p);
    std::this_thread::sleep_for(100ms);
  }
  return std::nullopt;
}

// One session, every guest on both tiers: the compiled programs are asked
// for together (Auto) and waited for, so they share one kernel variant.
TEST(CompiledTier, GuestsMatchTheInterpreter) {
  auto b = boot();
  ASSERT_TRUE(b.s);
  const std::vector<std::string> names = {"exit_code", "oob", "deep_calls", "heap_rounds", "null_call",
                                          "spawn_bench", "spin"};
  std::map<std::string, uint32_t> interp, compiled;
  for (const std::string& n : names) {
    interp[n] = b.load(n, Tier::Interp);
    compiled[n] = b.load(n, Tier::Auto);
    EXPECT_NE(interp[n], compiled[n]) << n << ": one program per tier";
  }
  for (const std::string& n : names) {
    auto r = b.s->wait_compiled(compiled[n]);
    ASSERT_TRUE(r.ok()) << n << ": " << r.detail();
    EXPECT_EQ(b.s->program_jit(compiled[n]), JitState::InKernel) << n;
    EXPECT_EQ(b.s->program_jit(interp[n]), JitState::None) << n;
  }
  const TierStats ts = b.s->tier_stats();
  EXPECT_EQ(ts.programs_compiled, names.size());
  EXPECT_GE(ts.variants, 1u);
  EXPECT_EQ(ts.failures, 0u) << ts.last_failure;

  // A runaway process on each tier: preempted (the others finish beside
  // it), shown with its tier, and killed.
  const auto spin_c = b.spawn(compiled["spin"], 1);
  const auto spin_i = b.spawn(interp["spin"], 1);
  ASSERT_EQ(spin_c.size(), 1u);
  ASSERT_EQ(spin_i.size(), 1u);
  EXPECT_EQ(tier_once_running(*b.s, spin_c[0]), std::optional<bool>(true)) << b.describe(spin_c[0]);
  EXPECT_EQ(tier_once_running(*b.s, spin_i[0]), std::optional<bool>(false)) << b.describe(spin_i[0]);

  for (auto* tier : {&interp, &compiled}) {
    const char* t = tier == &interp ? "interp" : "compiled";
    SCOPED_TRACE(t);
    const auto codes = b.spawn((*tier)["exit_code"], 4, 0);
    ASSERT_EQ(codes.size(), 4u);
    for (uint32_t i = 0; i < 4; ++i) EXPECT_EQ(b.wait(codes[i]).status, 40u + i) << "instance " << i;

    // 600 nested calls: the stack leaves the block (256) mid-call.
    const auto deep = b.spawn((*tier)["deep_calls"], 2, 600);
    ASSERT_EQ(deep.size(), 2u);
    for (uint32_t pid : deep) {
      const auto e = b.wait(pid);
      EXPECT_EQ(e.status, deep_calls_status(600 + (pid == deep[1]))) << e.trap_where;
    }

    // 200 malloc/free rounds through stdshim's heap.
    const auto heap = b.spawn((*tier)["heap_rounds"], 2, 200);
    ASSERT_EQ(heap.size(), 2u);
    for (uint32_t pid : heap) EXPECT_EQ(b.wait(pid).status, 0u) << "the heap through stdshim";

    // 20 null calls each: requests to the host, a suspension each.
    const auto calls = b.spawn((*tier)["null_call"], 2, 20u << 12);
    ASSERT_EQ(calls.size(), 2u);
    for (uint32_t pid : calls) EXPECT_EQ(b.wait(pid).status, 0u) << "every request answered";

    // A GPU spawn of 6 children of its own program, each waited for.
    const auto parent = b.spawn((*tier)["spawn_bench"], 1, 6u << 16);
    ASSERT_EQ(parent.size(), 1u);
    EXPECT_EQ(b.wait(parent[0]).status, 0u);

    const auto bad = b.spawn((*tier)["oob"], 1);
    ASSERT_EQ(bad.size(), 1u);
    const auto e = b.wait(bad[0]);
    EXPECT_EQ(e.status, abi::EXIT_TRAPPED);
    EXPECT_EQ(e.trap, 2u) << "out of bounds";
    EXPECT_NE(e.trap_where.find("main"), std::string::npos) << e.trap_where;
  }
  // Both traps at the same instruction of the same code.
  {
    const auto a = b.spawn(interp["oob"], 1), c = b.spawn(compiled["oob"], 1);
    ASSERT_EQ(a.size(), 1u);
    ASSERT_EQ(c.size(), 1u);
    const auto ea = b.wait(a[0]), ec = b.wait(c[0]);
    EXPECT_EQ(ea.trap_pc, ec.trap_pc);
    EXPECT_EQ(ea.trap_where, ec.trap_where);
  }

  for (uint32_t pid : {spin_c[0], spin_i[0]}) {
    SCOPED_TRACE(b.describe(pid));
    EXPECT_EQ(b.s->exits().find(pid).has_value(), false) << "the loop is still running";
    auto k = b.s->kill(pid);
    ASSERT_TRUE(k.ok()) << k.detail();
    EXPECT_EQ(b.wait(pid, 30s).status, abi::EXIT_KILLED);
  }
}

// Auto: processes start at once on the interpreter; once the program's
// code is in the kernel, new ones run compiled, and the earlier ones go on
// interpreted to the end.
TEST(CompiledTier, AutoStartsInterpretedAndLaterProcessesRunCompiled) {
  auto b = boot();
  ASSERT_TRUE(b.s);
  const uint32_t spin = b.load("spin", Tier::Auto);
  const auto early = b.spawn(spin, 1);
  ASSERT_EQ(early.size(), 1u);
  const std::optional<bool> early_tier = tier_once_running(*b.s, early[0]);
  ASSERT_TRUE(early_tier.has_value()) << b.describe(early[0]);
  auto r = b.s->wait_compiled(spin);
  ASSERT_TRUE(r.ok()) << r.detail();
  const auto late = b.spawn(spin, 1);
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(tier_once_running(*b.s, late[0]), std::optional<bool>(true)) << b.describe(late[0]);
  // The early one keeps the tier it started with, whichever that was (the
  // compile may have won the race on a fast device).
  auto e = entry(*b.s, early[0]);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(runs_compiled(*e), *early_tier);
  for (uint32_t pid : {early[0], late[0]}) {
    ASSERT_TRUE(b.s->kill(pid).ok());
    EXPECT_EQ(b.wait(pid, 30s).status, abi::EXIT_KILLED);
  }
}

// A program the compiler will not take (here: over a small size limit):
// Compiled refuses it with the reason, Auto runs it on the interpreter.
TEST(CompiledTier, AModuleTheCompilerRefusesStaysOnTheInterpreter) {
  BootOptions o;
  o.jit_max_glsl_kib = 1;  // every program's code is larger
  auto b = boot(o);
  ASSERT_TRUE(b.s);
  auto refused = b.s->load_program(device_tests::guest("deep_calls"), "deep_calls", Tier::Compiled);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.detail().find("exceeds this device's limit of 1 KiB"), std::string::npos) << refused.detail();

  const uint32_t id = b.load("deep_calls", Tier::Auto);
  auto w = b.s->wait_compiled(id);
  EXPECT_FALSE(w.ok());
  std::string why;
  EXPECT_EQ(b.s->program_jit(id, &why), JitState::Failed);
  EXPECT_NE(why.find("limit"), std::string::npos) << why;
  const auto pids = b.spawn(id, 1, 300);
  ASSERT_EQ(pids.size(), 1u);
  EXPECT_EQ(b.wait(pids[0]).status, deep_calls_status(300)) << "on the interpreter";
  EXPECT_GE(b.s->tier_stats().failures, 1u);
}

}  // namespace
}  // namespace gpuos

int main(int argc, char** argv) { return gpuos::device_tests::device_test_main(argc, argv, "compiled-tier tests"); }

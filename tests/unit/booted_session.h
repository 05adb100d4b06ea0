// booted_session.h: a session booted for a device test, with the helpers
// the process and compiled-tier tests share: load a guest of tests/guests,
// spawn it, wait for an exit, and say where a process stands when one does
// not come.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "kernel/session.h"

namespace gpuos::device_tests {

using namespace std::chrono_literals;

inline std::vector<uint8_t> guest(const std::string& name) {
  std::ifstream f(std::string(GPUOS_GUEST_DIR) + "/" + name + ".wasm", std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

struct Booted {
  std::unique_ptr<Session> s;
  // Every test's workload must stay inside llvmpipe's loop budget: a lane
  // cut short there may have left a copy half done (docs/platform.md 2h).
  // On GPUs the count is always 0.
  ~Booted() {
    if (s) {
      EXPECT_EQ(s->status().loop_cuts, 0u) << "lanes cut short by llvmpipe's loop budget";
    }
  }
  Booted(std::unique_ptr<Session> session) : s(std::move(session)) {}
  Booted(Booted&&) = default;
  uint32_t load(const std::string& name, Tier tier = Tier::Interp) {
    auto id = s->load_program(guest(name), name, tier);
    EXPECT_TRUE(id.ok()) << id.detail();
    return id.ok() ? *id : 0;
  }
  std::vector<uint32_t> spawn(uint32_t prog, uint32_t n, uint32_t arg = 0) {
    auto r = s->spawn(prog, n, arg, {});
    EXPECT_TRUE(r.ok()) << r.detail();
    return r.ok() ? r->pids : std::vector<uint32_t>{};
  }
  procs::ExitInfo wait(uint32_t pid, std::chrono::milliseconds limit = 60s) {
    auto e = s->exits().wait(pid, limit);
    EXPECT_TRUE(e.has_value()) << "pid " << pid << " did not exit within " << limit.count() << " ms: "
                               << describe(pid) << "; " << kernel_progress();
    return e.value_or(procs::ExitInfo{});
  }
  // Where a process stands, for failure messages.
  std::string describe(uint32_t pid) {
    auto snap = s->snapshot();
    if (!snap.ok()) return "no snapshot: " + snap.detail();
    for (const auto& p : snap->procs) {
      if (p.pid != pid) continue;
      return "state " + std::to_string(p.state) + ", " + std::to_string(p.instructions) + " instructions, " +
             std::to_string(p.quanta) + " quanta, " + std::to_string(p.pages) + " pages, phase " +
             std::to_string(p.phase) + ", vm status " + std::to_string(p.vm_status) + ", pc " + std::to_string(p.pc);
    }
    return "not in the table";
  }
  std::string kernel_progress() {
    const auto a = s->status();
    std::this_thread::sleep_for(500ms);
    const auto b = s->status();
    return "launches " + std::to_string(a.launches) + " -> " + std::to_string(b.launches) + ", heartbeat " +
           std::to_string(a.heartbeat) + " -> " + std::to_string(b.heartbeat) + ", lanes running " +
           std::to_string(b.lanes_running);
  }
};

inline Booted boot(BootOptions o = {}) {
  auto s = Session::boot(o);
  EXPECT_TRUE(s.ok()) << s.detail();
  return Booted{s.ok() ? std::move(s.value()) : nullptr};
}

}  // namespace gpuos::device_tests

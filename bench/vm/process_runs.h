// process_runs.h: gpuos_bench_vm's process mode. Each N of --instances is
// also run as N separate gpuos processes of one booted gpuos::Session,
// each with its own instance of the module (own memory, globals, stack),
// beside the lane runs (one shared instance, GpuVm) and the CPU peers.
//
// The process variant of compute.wat is built at run time from its text:
// the memory becomes 1 page (a process only uses the region [0, 256)), and
// an export `main` calls run(0, ITERS) and returns the i64 checksum folded
// to 32 bits (low ^ high) as its exit status. The CPU reference executor
// runs that `main` once before the session sees the module.
//
// One run of N: from the first spawn call until the last of the N exit
// records has reached the host (Session::exits()). The process table may
// hold fewer than N (lavapipe: 1,024 slots), so processes are spawned in
// waves: what fits, then topped up as exits arrive. Every exit is checked
// (status == the folded reference checksum, no trap) as soon as it arrives,
// long before the ExitLog (65,536 entries) could forget it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace gpuos {
class Session;
}

namespace gpuos::bench::vmb {

// The i64 checksum as a process's exit status: low 32 bits ^ high 32 bits.
inline uint32_t fold_checksum(uint64_t c) { return uint32_t(c) ^ uint32_t(c >> 32); }

struct ProcessResult {
  uint32_t instances = 0;
  std::string tier = "interp";  // "interp" or "compiled" (the program's, Session::load_program)
  bool ran = false, ok = false, timed_out = false;
  double wall_s = 0;      // first spawn call until the N-th exit record arrived
  uint64_t ticks = 0;     // sum of ExitInfo.instructions (whole processes)
  uint64_t ticks_min = 0, ticks_max = 0;  // per process
  uint64_t wasm_instr = 0;  // procs_ok x wasm_per_call(iters): run() only
  uint32_t procs_ok = 0, wrong = 0, trapped = 0, missing = 0;
  uint32_t spawn_calls = 0;     // Session::spawn commands (waves and top-ups)
  uint32_t refused_slots = 0;   // instances a spawn refused (table full), spawned again later
  uint32_t refused_pages = 0;   //   ... (no free pages)
  uint32_t max_in_flight = 0;   // most processes spawned and not yet exited at once
  std::vector<std::string> errors;
  double ticks_per_s() const { return wall_s > 0 ? double(ticks) / wall_s : 0; }
  double wasm_per_s() const { return wall_s > 0 ? double(wasm_instr) / wall_s : 0; }
};

struct ProcessSessionInfo {
  std::string device;
  bool lavapipe = false;
  std::string mode;          // "live" or "epoch"
  uint32_t slots = 0;        // process-table slots
  uint32_t arena_pages = 0;  // 64 KiB pages
  double boot_s = 0;
};

class ProcessBench {
 public:
  // Boots a session with the BootOptions defaults; nullptr and `why` when
  // none boots.
  static std::unique_ptr<ProcessBench> boot(std::string& why);
  ~ProcessBench();

  const ProcessSessionInfo& info() const { return info_; }

  // Builds the process module from compute.wat's text with `wat2wasm` (in
  // `tmpdir`), checks its main() on the reference executor against
  // `checksum` (run(0, iters)'s) and loads it into the session. False and
  // `why` when any of that fails (a setup failure). `compiled`: it is
  // loaded a second time with Tier::Compiled, and the compile is waited for
  // (compile_ms says how long that took).
  bool prepare(const std::string& wat_text, const std::string& wat2wasm, const std::string& tmpdir, uint32_t iters,
               uint64_t checksum, bool compiled, std::string& why);
  double compile_ms() const { return compile_ms_; }

  // N processes of the program loaded for `compiled` or not, at most `timeout_s` seconds.
  ProcessResult run(uint32_t n, double timeout_s, bool compiled = false);

  // False after a run timed out or the session failed: later runs would
  // share the table with stragglers, so they are not started.
  bool usable() const { return usable_; }
  std::string unusable_reason() const { return unusable_reason_; }

  void shutdown();

 private:
  ProcessBench() = default;

  std::unique_ptr<Session> session_;
  ProcessSessionInfo info_;
  uint32_t program_ = 0;           // Tier::Interp
  uint32_t compiled_program_ = 0;  // Tier::Compiled, if prepared
  double compile_ms_ = 0;
  uint32_t iters_ = 0;
  uint32_t expected_status_ = 0;
  bool usable_ = true;
  std::string unusable_reason_;
};

}  // namespace gpuos::bench::vmb

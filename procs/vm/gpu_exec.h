// gpu_exec.h: first-cut GPU interpreter driver (shaders/vm/vm_run.comp).
//
// A standalone compute pipeline, not yet inside the persistent kernel. The
// host keeps the store (a ref::Store, procs/vm/ref_exec.h: functions,
// tables, memories, globals, instances by address) as the source of truth
// between invocations; for each run GpuVm copies one instance's view of it
// to the GPU (code, function table, globals, memory 0, tables, element
// items, data segments), launches bounded slices until every lane is done,
// and writes memory, globals and tables back to the store.
//
// Buffers are plain storage buffers, one descriptor set (layout in
// shaders/vm/vm_abi.h); no buffer device addresses.
//
// Calls out of the instance's own bytecode (host functions such as
// spectest.print_i32, and functions of other instances) suspend the lane:
// host functions run on the host; another instance's function runs as a
// nested GPU run (single-lane runs only), with the caller's state written
// back to the store before and re-uploaded after.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "kernel/result.h"
#include "procs/vm/ref_exec.h"

namespace gpuos::vm::gpu {

// Which code runs the lanes: the interpreter (vm_run.comp), or the image
// compiled to GPU code (procs/jit, docs/compiled-tier.md) in a pipeline of
// its own, made on first use and kept for later runs of the same code.
enum class Tier { Interpreter, Compiled };

struct GpuLimits {
  Tier tier = Tier::Interpreter;
  uint32_t jit_register_slots = 64;     // compiled: larger frames stay in memory (jit::EmitOptions)
  // Compiled: generated GLSL larger than this is refused (Unsupported, with
  // the reason) rather than handed to the driver. 0: lavapipe 384 KiB (its
  // compile time explodes past that: docs/compiled-tier.md), no limit on GPUs.
  uint64_t jit_max_glsl_bytes = 0;
  uint32_t slots_per_lane = 1u << 21;   // 16 MiB of frames per lane
  uint32_t max_depth = 20000;           // nested calls, as ref::ExecLimits
  uint32_t slice_ticks = 0;             // 0: 32768 on lavapipe (loop budget 65,535), 1 << 20 elsewhere
  uint64_t budget_ticks = 50'000'000;   // per invocation, then BudgetExhausted
  uint32_t mem_cap_pages = 2048;        // memory.grow beyond this returns -1 (spec: grow may fail)
  uint32_t table_headroom = 65536;      // table.grow beyond size + this returns -1
  uint32_t max_nesting = 64;            // nested cross-instance runs
};

// Drop state of an instance's segments: data.drop/elem.drop on the GPU
// cannot be written into a ref::Instance (const), so the executor keeps it.
struct SegmentState {
  std::vector<uint8_t> data_dropped, elem_dropped;
};

struct Outcome {
  enum class Kind { Ok, Trap, Unsupported };
  Kind kind = Kind::Ok;
  TrapKind trap = TrapKind::None;  // Kind::Trap
  uint32_t pc = kNone;             // code word of the trapping instruction
  std::vector<ref::Slot> results;  // Kind::Ok
  std::string detail;              // Kind::Unsupported: why
  uint64_t ticks = 0;              // instructions (and bulk units) run
  uint64_t fuel_left = 0;          // of Invocation::fuel, when the lane finished
};

struct Invocation {
  uint32_t func = 0;  // function index in the instance's image (defined, not imported)
  std::vector<ref::Slot> args;
  // Fuel for metered code (TranslateOptions::meter_fuel), charged as the
  // reference executor charges it; unmetered code never touches it.
  uint64_t fuel = UINT64_MAX;
};

// What the compiled tier cost so far (GpuVm::tier_stats).
struct TierStats {
  uint32_t compiles = 0;    // images compiled (each a new pipeline)
  uint32_t cache_hits = 0;  // runs whose image already had its pipeline
  uint32_t failures = 0;    // images that did not compile (those runs are Unsupported)
  double emit_ms = 0, glslang_ms = 0, pipeline_ms = 0;  // summed over compiles
  std::string last_failure;
};

class GpuVm {
 public:
  // Brings up Vulkan on the selected device; the error says why not (no
  // device, no shaderInt64/shaderFloat64, ...).
  static Result<std::unique_ptr<GpuVm>, std::string> create(GpuLimits limits = {});
  ~GpuVm();
  GpuVm(const GpuVm&) = delete;
  GpuVm& operator=(const GpuVm&) = delete;

  std::string device_name() const;
  bool is_lavapipe() const;
  const GpuLimits& limits() const { return limits_; }
  void set_tier(Tier tier) { limits_.tier = tier; }
  const TierStats& tier_stats() const { return tier_stats_; }

  // Runs `invs` (one lane each) in instance `instance` of `store`, whose
  // segment drops are `segs` (indexed by instance id, grown as needed).
  std::vector<Outcome> run(ref::Store& store, uint32_t instance, std::vector<SegmentState>& segs,
                           std::span<const Invocation> invs);

  struct Impl;

 private:
  GpuVm() = default;
  GpuLimits limits_;
  std::unique_ptr<Impl> impl_;
  uint32_t nesting_ = 0;
  TierStats tier_stats_;
};

}  // namespace gpuos::vm::gpu

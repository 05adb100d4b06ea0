#version 460
// The persistent kernel: one dispatch whose lanes loop until told to stop.
//
// Every lane runs the same loop and can do any piece of work, because Vulkan
// promises no forward progress between workgroups (and lavapipe runs the
// subgroups of a workgroup one after another): no lane ever waits for
// another lane. Each iteration a lane
//   1. checks the stop flag (so every lane sees it within one iteration),
//   2. tries to claim the newest mailbox command and answer it (workgroup
//      leaders), and takes request completions from the host
//      (io_take_completions),
//   3. runs one READY process for a quantum (proc/sched.glsl): the one
//      its completion woke, if any, at once,
//   4. helps with the current emit job, if one is open,
//   5. helps with the current process job (spawn, snapshot), if one is open
//      (lavapipe: 4 and 5 before 3; kernel_duties says why),
//   6. having run nothing, sweeps one slot for orphaned zombies.
// In epoch and probe modes a lane also leaves after slice_iterations, and in
// epoch mode it leaves as soon as there is nothing to do; the host relaunches.
//
// lavapipe (the GPUOS_RELAXED_ATOMICS variant) bounds live launches too:
// llvmpipe ends a subgroup's loops after 65535 iterations counted over all
// its loops together, masked ones included (LP_MAX_TGSI_LOOP_ITERATIONS),
// silently, mid-algorithm. So there every launch is a slice whose loop
// iterations stay under that budget (lib/loop_budget.glsl meters it; the
// host sizes the slice), and the host relaunches a live kernel as soon as
// a slice ends.
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#extension GL_KHR_memory_scope_semantics : require
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_ballot : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#extension GL_KHR_shader_subgroup_shuffle : require
#extension GL_EXT_buffer_reference : require

layout(local_size_x = 64) in;

#include "abi.h"

// `coherent`: the plain loads that follow an acquire (mailbox args, emit job
// fields) must not be served from a non-coherent per-SM cache. Without it,
// an NVIDIA H100 answered a ping with the previous command's argument
// (measured 2026-11-21). Not `volatile` (DESIGN.md). The lavapipe variant
// leaves it out: CPU caches are coherent, and llvmpipe handles these
// qualifiers no better than it handles acquire/release (lib/sync.glsl).
#ifdef GPUOS_RELAXED_ATOMICS
#define GPUOS_COHERENT
#else
#define GPUOS_COHERENT coherent
#endif
layout(std430, set = 0, binding = 0) GPUOS_COHERENT buffer ControlBuf { ControlBlock ctrl; };
// The fields the host sets when the session boots and nobody changes after
// (SysHeader and IoHeader line 0; the ring's capacity and reserve here),
// read through views that are neither coherent nor writable, so an SM may
// serve them from its own cache. Read through the coherent views, each was
// an L2 round trip, and many sat in the middle of a chain: the ring's size
// in every claim, the io header's offsets in every request-slot access,
// the arena's address in every guest memory access. ctrl_boot is this one;
// sys.glsl and io.glsl have sys_boot and io_boot.
layout(std430, set = 0, binding = 0) readonly buffer ControlBoot { ControlBlock ctrl_boot; };
layout(std430, set = 0, binding = 1) GPUOS_COHERENT buffer RingBuf { RingRecord records[]; };
// The same ring seen as 16-byte units (8 per record), for ring_put4.
layout(std430, set = 0, binding = 1) GPUOS_COHERENT buffer RingBuf4 { uvec4 record_quads[]; };
layout(std430, set = 0, binding = 2) GPUOS_COHERENT buffer HostBuf { HostBlock host; };

#include "lib/sync.glsl"

#ifdef GPUOS_RELAXED_ATOMICS
const bool KERNEL_ALWAYS_BOUNDED = true;
#else
const bool KERNEL_ALWAYS_BOUNDED = false;
#endif
#include "lib/ring.glsl"
#include "lib/mailbox.glsl"
#include "lib/emit.glsl"
#ifndef GPUOS_RELAXED_ATOMICS
#include "lib/emit_subgroup.glsl"
#endif

// Processes: the buffers, the page allocator, the interpreter over a
// process's state, the slab heap, the process table and the scheduler.
#include "proc/sys.glsl"
#include "lib/profile.glsl"
#include "proc/bitmap.glsl"
#include "heap/pages.glsl"
#include "proc/page_table.glsl"
#include "proc/vm_glue.glsl"
// A kernel variant (procs/jit/kernel_variant.h) has some programs' compiled
// code, generated and built at run time with PROC_JIT defined:
// jit_run_program(prog, budget) runs the bound process's program, and the
// interpreter's loop hands it every process that started compiled
// (BLK_TIER; vm/interp.glsl, VM_COMPILED_HOOK).
#ifdef PROC_JIT
void jit_run_program(uint prog, uint budget);
#define VM_COMPILED_HOOK (blk_ref.w[BLK_TIER] != 0u)
#define VM_COMPILED_RUN(budget) jit_run_program(cur_prog, budget)
#endif
#include "vm/interp.glsl"
#include "heap/grow.glsl"
#include "proc/stack.glsl"
#include "heap/slab.glsl"
#include "heap/alloc_calls.glsl"
#include "proc/table.glsl"
#include "proc/io.glsl"
#include "proc/exit.glsl"
#include "proc/wasi.glsl"
#include "proc/intrinsics.glsl"
#include "proc/jobs.glsl"
// The variant's generated code (above). Its opaque zero is the control
// block's, which nobody writes (abi.h).
#ifdef PROC_JIT
#define JIT_RUNTIME_ZERO ctrl_boot.jit_zero
#include "jit/generated.glsl"
#endif
#include "proc/sched.glsl"
#ifdef GPUOS_RELAXED_ATOMICS
#include "lib/loop_budget.glsl"
#endif

// The emit and process-job duties of one main-loop iteration; true when
// this lane helped a process job. On GPUs they follow the iteration's run,
// so a woken process does not wait for them. lavapipe does them before the
// run, as it always did: there llvmpipe may cut an invocation's loops off
// once they pass its budget (platform.md 2b), and a duty cut off half-done
// (a spawn unit claimed and never finished) loses its mailbox reply. With
// the duties after the run there, 2 of 7 app-suite runs lost a spawn reply
// ("no reply within 60000 ms"); with them first, 10 of 10 passed
// (2026-11-22).
bool kernel_duties(uint lane, inout uint ring_full_streak, inout bool busy) {
  PROF_START(duty_t0);
#ifdef GPUOS_RELAXED_ATOMICS
  busy = emit_help(lane, ring_full_streak) || busy;
#else
  busy = emit_help_subgroup(lane, ring_full_streak) || busy;
#endif
  const bool job = proc_job_help();
  busy = job || busy;
  PROF_STOP(duty_t0, PROF_HOUSE);
  return job;
}

void main() {
  const uint lane = gl_GlobalInvocationID.x;
  const uint mode = ctrl.mode;
  const bool bounded = KERNEL_ALWAYS_BOUNDED || mode != MODE_LIVE;
  const uint slice = ctrl.slice_iterations;
  const bool leader = gl_LocalInvocationIndex == 0u;

  atomicAdd(ctrl.lanes_running, 1u);
  uint ring_full_streak = 0u;  // consecutive iterations this lane found the ring full
  // lavapipe: what this launch has used of llvmpipe's loop budget (its
  // subgroup's: lib/loop_budget.glsl), and the process ticks this lane ran
  // (docs/platform.md 2b, 2f, 2h). A lane leaves before an iteration could
  // overrun the budget, and runs no quantum that could overrun it or take
  // it past LAVAPIPE_TICKS_PER_LAUNCH.
#ifdef GPUOS_RELAXED_ATOMICS
  uint loops_used = 0u, ticks_run = 0u;
  lavapipe_meter_start();
  bool cut_reported = false;
#endif
  PROF_INIT();
  // Where this launch's sweeps start: launches that run few iterations (on
  // lavapipe, or in slices) would otherwise sweep the same few slots each
  // time, and leave an orphaned zombie elsewhere for ever.
  uint sweep_seed;
  SUBGROUP_LOAD(sweep_seed, LOAD_RELAXED(ctrl.heartbeat));
  for (uint iter = 0u;; ++iter) {
    PROF_START(iter_t0);
    uint hung_flag;
    SUBGROUP_LOAD(hung_flag, LOAD_RELAXED(ctrl.hung));
    const bool hung = hung_flag != 0u;
    // Beat first, so every launch beats at least once (the host takes a
    // launch that ends without a beat for a hang). A hung kernel stops
    // beating: that is what the host watchdog notices.
    if (leader && !hung && (iter & 15u) == 0u) atomicAdd(ctrl.heartbeat, 1u);
    uint stop;
    SUBGROUP_LOAD(stop, LOAD_RELAXED(ctrl.stop));  // carries no data: relaxed
    // A hung kernel ignores parking, as a real one would; it still obeys
    // shutdown so that the session can end it after reporting the hang.
    if (stop == STOP_SHUTDOWN || (stop != STOP_NONE && !hung)) {
      // The host takes a launch for parked only when every workgroup says it
      // left on the park: a hung kernel ignores STOP_PARK, yet on lavapipe
      // its launch ends anyway (llvmpipe cuts long loops), and a launch
      // taken for parked is not relaunched, so the hang would go unseen.
      if (leader && stop == STOP_PARK) atomicAdd(ctrl.parked_groups, 1u);
      break;
    }
    if (bounded && iter >= slice && !hung) break;
#ifdef GPUOS_RELAXED_ATOMICS
    if (!hung && loops_used + lavapipe_iteration_max() > LAVAPIPE_LOOP_LIMIT) break;
#endif
    if (hung) continue;

    // One poller per workgroup: any of them may take a command, and lane 0
    // is the one that runs first wherever subgroups are serialised.
    bool busy = false;
    PROF_START(house_t0);
    if (gl_LocalInvocationIndex == 0u) busy = mailbox_poll(lane);
    // A process this lane woke with its request's completion (on GPUs every
    // subgroup takes completions, on lavapipe the workgroup leader).
    PROF_START(take_t0);
    const uint woken = io_take_completions(busy);
    if (woken != NONE) { PROF_STOP(take_t0, PROF_TAKE); }
    PROF_STOP(house_t0, PROF_HOUSE);
#ifdef GPUOS_RELAXED_ATOMICS
    const bool job = kernel_duties(lane, ring_full_streak, busy);  // first on lavapipe (kernel_duties says why)
    const bool may_run = !job && ticks_run + sys_boot.quantum <= LAVAPIPE_TICKS_PER_LAUNCH &&
                         loops_used + lavapipe_run_iteration_max() <= LAVAPIPE_LOOP_LIMIT;
#else
    const bool may_run = true;
#endif
    // The process a completion woke runs here and now: through the ready
    // bitmap it would wait for a scan to find it, most of a null call's
    // round trip. Nor does it wait for its subgroup's scan, or (on GPUs)
    // for the emit and job duties, which come after the run: on an H100
    // those were 3.5 us of an 18.8 us round trip. A subgroup that woke any
    // process skips its scan this iteration (sched_take is a subgroup
    // operation on GPUs, so the choice is the subgroup's).
#ifdef GPUOS_RELAXED_ATOMICS
    const bool scan = woken == NONE;
#else
    const bool scan = subgroupBallot(woken != NONE) == uvec4(0u);
#endif
    const uint taken = scan ? sched_take(lane, iter, may_run) : NONE;
    const uint next = woken != NONE ? woken : taken;
    const bool ran = may_run && next != NONE;
    if (ran) {
      proc_run(next, lane, woken != NONE);
      busy = true;
    } else if (next != NONE) {
      proc_make_ready(next);  // lavapipe: no ticks or loop budget left for it in this launch
    }
#ifndef GPUOS_RELAXED_ATOMICS
    const bool job = kernel_duties(lane, ring_full_streak, busy);
#endif
    // A sweep's reap may release a chain of ghosts (table.glsl, hold_drop),
    // a tick a level, which the loop meter charges.
    if (!ran) {
      PROF_START(sweep_t0);
      ticks_ = 0u;
      sched_sweep(lane, iter + sweep_seed);
      PROF_STOP(sweep_t0, PROF_SCAN_MISS);
    }
#ifdef GPUOS_RELAXED_ATOMICS
    loops_used = lavapipe_meter_charge((job ? PROC_LOOP_COST : 0u) + (ran ? ticks_ + PROC_RUN_LOOPS : ticks_), ran);
    ticks_run += ran ? ticks_ : 0u;
    if (lavapipe_budget_cut(cut_reported)) atomicAdd(ctrl.loop_cuts, 1u);
#endif
    PROF_STOP(iter_t0, PROF_LOOP);
    PROF_COUNT(PROF_ITERATIONS);
    if ((iter % 64u) == 63u) PROF_FLUSH();
    // Epoch slices end as soon as this lane finds nothing to do.
    if (mode == MODE_EPOCH && !busy && !emit_open()) break;
  }
  PROF_FLUSH();
  atomicAdd(ctrl.lanes_running, 0xFFFFFFFFu);
}

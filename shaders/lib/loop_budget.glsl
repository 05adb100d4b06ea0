// loop_budget.glsl (lavapipe variant only): llvmpipe's loop budget, metered
// per subgroup, and a check that it held.
//
// llvmpipe ends every loop of an invocation once LAVAPIPE_LOOP_LIMIT loop
// iterations have run, silently, in the middle of whatever the loop was
// doing (docs/platform.md 2b). Measured on Mesa 22.3 (2026-11-22, 2h), that
// budget is a subgroup's, not a lane's: llvmpipe runs a subgroup's 8 lanes
// as one SIMD bundle with one counter, so loops that lanes run in divergent
// code add up, and the loops of code no lane takes still cost an iteration,
// masked. An interpreted VM instruction passes the loops of every case and
// every intrinsic: up to 46 loop iterations per instruction, where the
// ticks count one. Counted per lane in ticks, a subgroup's budget ran out in
// every run of the basic app suite, and now and then that cut a copy of a
// request's data short (zero bytes in what an app read, a path cut off).
//
// So each main-loop iteration charges the subgroup's meter with its
// housekeeping once, each lane's own counted work (a job chunk, a quantum's
// ticks), and, when any lane ran a quantum, LAVAPIPE_LOOPS_PER_VM_STEP for
// each VM instruction a quantum can run. An iteration starts only with room
// left for the most its housekeeping and jobs can add, and a quantum only
// with room for the most a quantum adds (kernel.comp).
//
// The check: a loop of two iterations at the end of each main-loop
// iteration; one that runs fewer means the budget ran out, and the lane
// counts itself in ctrl.loop_cuts, which the host reports.
//
// The shared words are per subgroup (gl_SubgroupID), touched with relaxed
// atomics only (2a). A subgroup's lanes run each statement together, so all
// of them have charged before any reads the sum.

shared uint lavapipe_meter[KERNEL_WORKGROUP_SIZE];  // loops charged this launch
shared uint lavapipe_flags[KERNEL_WORKGROUP_SIZE];  // this iteration: 1 a lane iterated, 2 a lane ran a quantum

// What a subgroup's iteration costs once, whatever its lanes do: the main
// loop's own inner loops, and the interpreter's masked pass when any lane
// ran a quantum. The bounds below and the charge use the same two.
const uint LAVAPIPE_HOUSEKEEPING_LOOPS = KERNEL_LOOP_COST + SCHED_SCAN_WORDS;
// A kernel variant (PROC_JIT) charges it twice: a subgroup may run compiled
// code and the interpreter in one iteration, each path with its own loops
// (masked for the other's lanes), and compiled code passes the loops of the
// helpers inside its block switch on every block. Twice is the most that
// leaves room for one iteration with quanta (lavapipe_run_iteration_max).
#ifdef PROC_JIT
const uint LAVAPIPE_PASSES = 2u;
#else
const uint LAVAPIPE_PASSES = 1u;
#endif
uint lavapipe_interpreter_pass() { return LAVAPIPE_PASSES * LAVAPIPE_LOOPS_PER_VM_STEP * (sys_boot.quantum + 1u); }

// Most loops one release of a slot adds: the ghosts it frees in a row
// (proc/table.glsl, hold_drop).
uint lavapipe_release_max() { return RELEASE_LEVELS + 1u; }

// Most loops one main-loop iteration adds without quanta: its housekeeping,
// and in every lane a job chunk or a sweep's release, not both (a lane that
// helped a job runs nothing, and sweeps).
uint lavapipe_iteration_max() {
  return LAVAPIPE_HOUSEKEEPING_LOOPS + gl_SubgroupSize * (PROC_LOOP_COST + lavapipe_release_max());
}

// Most loops an iteration adds with quanta: the interpreter's pass, and in
// every lane a quantum with its largest overrun (PROC_LOOP_COST) and a
// release (its exit, or a wait's reap), or a job chunk and a sweep.
uint lavapipe_run_iteration_max() {
  return LAVAPIPE_HOUSEKEEPING_LOOPS + lavapipe_interpreter_pass() +
         gl_SubgroupSize * (sys_boot.quantum + PROC_LOOP_COST + PROC_RUN_LOOPS + lavapipe_release_max());
}

void lavapipe_meter_start() {
  if (gl_SubgroupInvocationID == 0u) {
    atomicExchange(lavapipe_meter[gl_SubgroupID], 0u);
    atomicExchange(lavapipe_flags[gl_SubgroupID], 0u);
  }
}

// Charges this iteration: `own` is this lane's counted work. Returns the
// subgroup's charge for the launch so far, the same in every lane.
uint lavapipe_meter_charge(uint own, bool ran) {
  const uint sg = gl_SubgroupID;
  atomicOr(lavapipe_flags[sg], ran ? 3u : 1u);
  const uint flags = atomicExchange(lavapipe_flags[sg], 0u);  // non-zero in one lane only
  const uint once = ((flags & 1u) != 0u ? LAVAPIPE_HOUSEKEEPING_LOOPS : 0u) +
                    ((flags & 2u) != 0u ? lavapipe_interpreter_pass() : 0u);
  atomicAdd(lavapipe_meter[sg], own + once);
  return atomicAdd(lavapipe_meter[sg], 0u);
}

// True once in a launch, in a lane whose budget has run out.
bool lavapipe_budget_cut(inout bool reported) {
  uint runs = 0u;
  const uint two = min(ctrl_boot.ring_capacity, 2u);  // 2, but not a constant the compiler could unroll
  for (uint k = 0u; k < two; ++k) runs += 1u;
  const bool cut = runs != two && !reported;
  reported = reported || cut;
  return cut;
}

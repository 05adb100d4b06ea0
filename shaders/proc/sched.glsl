// sched.glsl: the scheduler. Every lane of the persistent kernel, between
// its mailbox and job duties, takes one READY process off the ready bitmap,
// runs it for up to one quantum of ticks, and puts it back (or ends it).
//
// Grouping (SysHeader.group_by_program): the lanes of a subgroup start
// their scan on the same bitmap word, each preferring its own bit, and
// spawns fill the slot bitmap 32 at a time from one start word, so the
// instances of one spawn tend to run side by side in one subgroup and
// fetch the same instructions. Without it each lane starts on its own word.
const uint SCHED_SCAN_WORDS = 32u;

// ProcEntry.kill_pid as proc_bind read it, and whether its tree is being
// killed (table.glsl, proc_tree_killed).
uint kill_seen_ = 0u;
bool tree_kill_seen_ = false;

// Points the interpreter's accessors (vm_glue.glsl) at the process in
// `slot`; `program_bound`: proc_bind_program(slot) has run.
void proc_bind(uint slot, bool program_bound) {
  if (!program_bound) proc_bind_program(slot);
  cur_instructions = procs[slot].instructions;  // vm_glue.glsl says why here
  cur_quanta = procs[slot].quanta;
  cur_requests = procs[slot].requests;
  cur_io_slot = procs[slot].io_slot;
  // Read here with the rest, so that the load overlaps theirs: a kill that
  // lands after it is seen at the next quantum, as one that lands after
  // the quantum's check always was.
  kill_seen_ = LOAD_RELAXED(procs[slot].kill_pid);
  tree_kill_seen_ = proc_tree_killed(slot);
  const uint64_t a = block_address(slot);
  blk_ref = Words(a);
  blkq_ref = Qwords(a);
}

void regs_load() {
  status_ = blk_ref.w[BLK_STATUS];
  pc_ = blk_ref.w[BLK_PC];
  fp_ = blk_ref.w[BLK_FP];
  depth_ = blk_ref.w[BLK_DEPTH];
  aux_ = blk_ref.w[BLK_AUX];
  bulk_ = blk_ref.w[BLK_BULK];
  zpos_ = blk_ref.w[BLK_ZPOS];
  zend_ = blk_ref.w[BLK_ZEND];
  callee_fp_ = blk_ref.w[BLK_CALLEE_FP];
  handle_ = blk_ref.w[BLK_HANDLE];
  type_ = blk_ref.w[BLK_TYPE];
  io_kept_idle_ = blk_ref.w[BLK_IO_IDLE];
  // Loaded with the registers, not alone in proc_bind: the stack's place
  // decides a branch, and a load of its own there was one more round trip
  // on every request (+0.37 us on the H100's null call).
  stack_bind(blk_ref.w[BLK_STK_PAGE]);
  parts_bind(blk_ref.w[BLK_PARTS_PAGE]);
}

void regs_save() {
  blk_ref.w[BLK_STATUS] = status_;
  blk_ref.w[BLK_PC] = pc_;
  blk_ref.w[BLK_FP] = fp_;
  blk_ref.w[BLK_DEPTH] = depth_;
  blk_ref.w[BLK_AUX] = aux_;
  blk_ref.w[BLK_BULK] = bulk_;
  blk_ref.w[BLK_ZPOS] = zpos_;
  blk_ref.w[BLK_ZEND] = zend_;
  blk_ref.w[BLK_CALLEE_FP] = callee_fp_;
  blk_ref.w[BLK_HANDLE] = handle_;
  blk_ref.w[BLK_TYPE] = type_;
  blk_ref.w[BLK_IO_IDLE] = io_kept_idle_;
}

// PH_BOOT: copies the program's initial meta, globals and tables into the
// block (or their run: parts_bind) and clears the heap state, a budget's
// worth at a time; true when done.
bool proc_boot_step(uint budget) {
  const uint p = cur_prog;
  const uint m = progs[p].meta_words, g = 2u * progs[p].num_globals, t = 2u * progs[p].tab_elems;
  const uint total = m + g + t + HEAP_STATE_WORDS;
  uint pos = blk_ref.w[BLK_PHASE_POS];
  const uint e = min(total, pos + max(budget - min(budget, ticks_), 1u));
  for (uint i = pos; i < e; ++i) {
    if (i < m) META(i) = prog_words[progs[p].meta_off + i];
    else if (i < m + g) Words(parts_addr).w[blk_globals + i - m] = prog_words[progs[p].globals_off + i - m];
    else if (i < m + g + t) Words(parts_addr).w[blk_tabs + i - m - g] = prog_words[progs[p].tabs_off + i - m - g];
    else blk_ref.w[BLK_HEAP + i - m - g - t] = 0u;
  }
  ticks_ += e - pos;
  blk_ref.w[BLK_PHASE_POS] = e;
  return e == total;
}

// The process blocked in gpuos.wait on a running child, or again on its
// request to the host after a spurious wake-up (a first request blocks in
// io_publish). BLOCKED until the child's exit, the request's completion or
// a kill wakes it. Published first, then the look at what it waits for:
// the waker publishes its change first, then looks here (table.glsl, top),
// so one of the two sees the other. gpuos.wait gives a kept request slot
// back first, so a process holding one waits on its request.
//
// The release fence puts the quantum's saved state (registers, table
// fields) before BLOCKED: the waker that claims the process from BLOCKED
// hands it to a runner that reads that state. A request's first block
// (io_publish) is claimed through its completion, and the record's commit
// fence orders that; here nothing did.
void proc_block(uint slot) {
  RELEASE_FENCE();
  atomicExchange(procs[slot].state, PROC_BLOCKED);
  FULL_FENCE();
  bool ready;
  if (cur_io_slot != 0u) {
    ready = io_completed_meanwhile();
  } else if (io_sleeping(ready)) {
    // a sleep without a slot (io.glsl): `ready` once its wake came
  } else {
    const uint child = procs[slot].wait_pid;
    const uint cs = slot_of(child);
    const uint st = LOAD_RELAXED(procs[cs].state);
    ready = LOAD_RELAXED(procs[cs].pid) != child || st == PROC_ZOMBIE || st == PROC_FREE;
  }
  if (ready || LOAD_RELAXED(procs[slot].kill_pid) == cur_pid || proc_tree_killed(slot)) proc_wake(slot);
}

// Runs the process in `slot` for one quantum: taken off the ready bitmap,
// or (`woken`) woken by this lane with its request's completion.
void proc_run(uint slot, uint lane, bool woken) {
  PROF_START(quantum_t0);
  PROF_COUNT(PROF_QUANTA);
  uint64_t accounted = 0UL;  // profile: time given to the phases below
  proc_bind(slot, woken);
  io_reply_taken_ = woken;
  if (!woken) ring_forget_room();  // only the taker notes one (ring.glsl)
  // The registers with the phase, whatever the phase: loads issued
  // together overlap, and a process that runs (PH_RUN) needs them next.
  regs_load();
  uint phase = blk_ref.w[BLK_PHASE];
  STORE_RELAXED(procs[slot].state, PROC_RUNNING);
  ticks_ = 0u;
  trap_ = 0u;
  const uint budget = sys_boot.quantum;
  bool blocked = false;

  if (phase < PH_EXIT && (kill_seen_ == cur_pid || tree_kill_seen_)) {
    proc_begin_exit(EXIT_KILLED, 0u, 0u);
    atomicAdd(sys.killed, 1u);
    phase = PH_EXIT;
  }
  PROF_START(boot_t0);
  const bool booted = phase == PH_BOOT && proc_boot_step(budget);
  PROF_ACCOUNT(phase == PH_BOOT, boot_t0, PROF_BOOT, accounted);
  if (booted) {
    phase = PH_RUN;
    blk_ref.w[BLK_PHASE] = PH_RUN;
    status_ = VM_ST_RUNNING;
    bulk_ = 0u;
    callee_fp_ = 0u;
    handle_ = 0u;
    type_ = 0u;
    io_kept_idle_ = 0u;
    // The process's page limit: the session's, or its spawn's if lower.
    const uint cap = spawn_page_cap();
    const uint limit = cap == 0u ? sys_boot.max_pages : min(cap, sys_boot.max_pages);
    blk_ref.w[BLK_PAGE_LIMIT] = limit;
    META(VM_META_MEM_CAP_PAGES) = min(META(VM_META_MEM_CAP_PAGES), limit);
    // Its tier, for life: compiled if the running kernel has its program's
    // code (ProgramDesc.jit). vm_start leaves pc_ at a function entry, where
    // compiled code can begin.
#ifdef PROC_JIT
    blk_ref.w[BLK_TIER] = progs[cur_prog].jit;
#endif
    vm_start(progs[cur_prog].entry_func);
    regs_save();
  }
  if (phase == PH_RUN && ticks_ < budget) {
    trap_ = 0u;
    PROF_START(run_t0);
    vm_run_slice(budget);  // or the program's compiled code (kernel.comp, PROC_JIT)
    PROF_ACCOUNT(true, run_t0, PROF_RUN, accounted);
    blocked = status_ == VM_ST_BLOCKED && trap_ == 0u;
    if (status_ == VM_ST_YIELD || status_ == VM_ST_BLOCKED) {
      // An intrinsic that runs again (it put pc_ back at its call, handle_)
      // resumes as the pending intrinsic, not at the call instruction: the
      // call's decoding (its code, then the callee's function words) was a
      // chain of dependent loads in every request's round trip. Otherwise
      // the process resumes after the call.
      const bool again = pc_ == handle_;
      status_ = again ? VM_ST_INTRINSIC : VM_ST_RUNNING;
      if (again) pc_ = intrinsic_ret_pc_;
    }
    if (status_ == VM_ST_STACK_FULL && trap_ == 0u) {  // grow the stack, then run the call again
      const uint r = stack_grow_step(budget);
      if (r == GROW_DONE) status_ = VM_ST_RUNNING;
      if (r == GROW_FAILED) {
        trap_ = 10u;  // CallStackExhausted, at the call
        status_ = VM_ST_TRAPPED;
      }
    }
    const uint st = trap_ != 0u ? VM_ST_TRAPPED : status_;
    if (st == VM_ST_DONE) {
      proc_begin_exit(uint(SLOT(0u)), 0u, 0u);  // the start function returns the exit status
      phase = PH_EXIT;
    } else if (st == VM_ST_EXITED) {
      proc_begin_exit(aux_, 0u, 0u);
      phase = PH_EXIT;
    } else if (st == VM_ST_TRAPPED || st == VM_ST_HOSTCALL) {
      const uint kind = st == VM_ST_TRAPPED ? trap_ : VM_TRAP_BAD_STATE;  // no host functions in a process
      proc_begin_exit(EXIT_TRAPPED, kind, pc_);
      phase = PH_EXIT;
    }
    regs_save();
  }
  PROF_START(exit_t0);
  if (phase == PH_EXIT && proc_exit_step(budget)) {
    phase = PH_NOTIFY;
    blk_ref.w[BLK_PHASE] = PH_NOTIFY;
  }
  PROF_ACCOUNT(blk_ref.w[BLK_PHASE] >= PH_EXIT, exit_t0, PROF_EXIT, accounted);
  procs[slot].phase = phase | (blk_ref.w[BLK_TIER] != 0u ? PROC_COMPILED : 0u);
  procs[slot].vm_status = status_;
  procs[slot].pc = status_ == VM_ST_INTRINSIC ? handle_ : pc_;  // a pending intrinsic: at its call
  procs[slot].instructions = cur_instructions + uint64_t(ticks_);
  procs[slot].quanta = cur_quanta + 1u;
  heap_flush_stats();
  PROF_START(notify_t0);
  const bool gone = phase == PH_NOTIFY && proc_notify_step(lane);  // zombie or free
  PROF_ACCOUNT(phase == PH_NOTIFY, notify_t0, PROF_NOTIFY, accounted);
  if (gone) {
    PROF_REST(quantum_t0, PROF_SCHED, accounted);
    return;
  }

  if (blocked) {
    if (io_post_rs_ != NONE) io_publish(slot, lane);  // the request, last (io.glsl)
    else proc_block(slot);
  } else {
    atomicExchange(procs[slot].state, PROC_READY);
    proc_make_ready(slot);
  }
  PROF_REST(quantum_t0, PROF_SCHED, accounted);
}

// Takes one READY process off the ready bitmap for this lane to run, or
// NONE. On GPUs every lane of the subgroup calls it together, and `want`
// says whether this lane takes one (bitmap_take_subgroup); lavapipe's lanes
// each scan alone.
uint sched_take(uint lane, uint iter, bool want) {
  const uint words = sys_boot.table_size >> 5u;
  // The scan moves on every iteration and across launches, over words and
  // over bits: a lavapipe slice is a few iterations long, and with a fixed
  // start and preferred bit only 272 of 1,000 processes had run after a
  // minute there.
  const uint turn = iter + ctrl.launch * ctrl.slice_iterations;
  PROF_START(scan_t0);
#ifdef GPUOS_RELAXED_ATOMICS
  if (!want) return NONE;
  uint start, prefer;
  if (sys_boot.group_by_program != 0u) {
    start = (lane / gl_SubgroupSize + turn) % words;
    prefer = (gl_SubgroupInvocationID + turn * gl_SubgroupSize) & 31u;  // 8-lane subgroups: all 32 bits in turn
  } else {
    start = (lane * 2654435761u + turn) % words;
    prefer = (lane * 7u + turn) & 31u;
  }
  const uint slot = bitmap_take(sys_boot.ready_bits_off, words, start, prefer, min(words, SCHED_SCAN_WORDS));
#else
  // Grouping: each subgroup's window moves one word per turn; without it
  // the windows are spread by a hash of the subgroup.
  const uint subgroup = lane / gl_SubgroupSize;
  const uint start = (sys_boot.group_by_program != 0u ? subgroup + turn : subgroup * 2654435761u + turn) % words;
  const uint slot = bitmap_take_subgroup(sys_boot.ready_bits_off, words, start, (turn * 7u) & 31u, want);
  if (!want) return NONE;
#endif
#ifdef GPUOS_PROFILE
  prof_add(slot == NONE ? PROF_SCAN_MISS : PROF_SCAN_HIT, clockRealtimeEXT() - scan_t0);
  if (slot == NONE) PROF_COUNT(PROF_MISSES);
#endif
  if (slot != NONE) ACQUIRE_FENCE();  // what the previous runner (or the spawner) wrote before the bit
  return slot;
}

// The sweep, run by lanes that found nothing to do: reaps one zombie whose
// parent is gone (a parent that died between its child's check and its own
// exit leaves such a zombie; exit.glsl), or goes on with a long chain of
// ghosts that a release left (table.glsl, hold_drop).
void sched_sweep(uint lane, uint iter) {
  const uint high = LOAD_RELAXED(sys.slot_high);
  if (high == 0u) return;
  const uint s = (lane + iter * 7919u) % high;
  const uint st = LOAD_RELAXED(procs[s].state);
  if (st == PROC_ZOMBIE && !proc_alive(procs[s].ppid)) proc_reap(s);
  else if (st == PROC_RELEASING) proc_release_left(s);
}

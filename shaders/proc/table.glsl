// table.glsl: process slots: create (spawn from the host or from a guest),
// free, reap, and the wake-ups between parents, children and killers.
//
// State changes that another lane may race with are atomic RMWs on
// ProcEntry.state, and each side of a wake-up publishes its own change
// before it looks at the other's (full barrier between), so of a sleeper
// and its waker at least one sees the other: no wake-up is lost.
// Whoever moves a process to READY sets its ready bit, after everything
// the next runner reads (release fence).

void proc_make_ready(uint slot) {
  RELEASE_FENCE();
  bitmap_set(sys_boot.ready_bits_off, slot);
}

// Gives the slot back: state, bit, then the count. Its pid stays, so the
// slot's next pid follows it.
void proc_release_slot(uint slot) {
  atomicExchange(procs[slot].state, PROC_FREE);
  RELEASE_FENCE();
  bitmap_clear(sys_boot.slot_bits_off, slot);
  atomicAdd(sys.slots_used, 0xffffffffu);  // after the bit: a reservation always finds one
}

// Gives back the slot of an entry whose last hold is gone: takes it off its
// tree's count and releases it. Returns the parent's slot, whose hold on
// this entry goes too, or NONE for a tree's root (spawned by the host).
// The root is held by every member's chain, so it is released last and its
// count is still there for each member to leave.
uint hold_release(uint slot) {
  // Read before the release: then the slot may be reused at once.
  const uint ppid = procs[slot].ppid;
  const uint g = procs[slot].group;
  ticks_ += 1u;  // a level of a chain: the lavapipe loop meter counts ticks
  atomicAdd(procs[slot_of(g)].tree_slots, 0xffffffffu);
  proc_release_slot(slot);
  return ppid == 0u ? NONE : slot_of(ppid);
}

// Drops one of the holds on `slot` (ProcEntry.hold: the process's own,
// until it exits or is reaped, and one per child holding a slot). The one
// that takes it to 0 gives the slot back and drops the hold it had on its
// parent's entry, which may free a ghost in turn: a chain of exited
// ancestors goes with its last descendant, RELEASE_LEVELS of them here and
// the rest from the sweep (sched_sweep), which finds the next one
// PROC_RELEASING.
void hold_drop(uint slot) {
  for (uint level = 0u; slot != NONE && atomicAdd(procs[slot].hold, 0xffffffffu) == 1u; ++level) {
    if (level == RELEASE_LEVELS) {
      atomicExchange(procs[slot].state, PROC_RELEASING);
      return;
    }
    slot = hold_release(slot);
  }
}

// The sweep's part of a long chain: one PROC_RELEASING entry (whoever wins
// the CAS), and the chain above it.
void proc_release_left(uint slot) {
  if (atomicCompSwap(procs[slot].state, PROC_RELEASING, PROC_FREE) != PROC_RELEASING) return;
  hold_drop(hold_release(slot));
}

// An exited process gives its slot up itself (its parent is the host, or
// gone). The slot stays a ghost while children of it hold theirs.
void proc_free_slot(uint slot) {
  atomicExchange(procs[slot].state, PROC_FREE);
  hold_drop(slot);
}

// ZOMBIE -> FREE by whoever wins the CAS (the parent's wait or the sweep).
// Zombies are GPU-spawned, so never a tree's root.
bool proc_reap(uint slot) {
  if (atomicCompSwap(procs[slot].state, PROC_ZOMBIE, PROC_FREE) != PROC_ZOMBIE) return false;
  atomicAdd(sys.zombies, 0xffffffffu);
  hold_drop(slot);
  return true;
}

// True when the tree of the process in `slot` is being killed (`kill --tree`).
bool proc_tree_killed(uint slot) {
  const uint g = procs[slot].group;
  return LOAD_RELAXED(procs[slot_of(g)].tree_kill) == g;
}

bool proc_alive(uint pid) {
  if (pid == 0u) return false;
  const uint s = slot_of(pid);
  const uint st = LOAD_RELAXED(procs[s].state);
  return LOAD_RELAXED(procs[s].pid) == pid && (st == PROC_READY || st == PROC_RUNNING || st == PROC_BLOCKED);
}

// Creates a process of `prog` in tree `group` (0: a tree of its own; a GPU
// spawn's caller has reserved the slot on the tree's count). Returns its
// pid, or SPAWN_* (>= 2^31).
// Pages for the initial memory are mapped here (zero already), and a
// program too large for the block gets the run its parts go in; the meta,
// globals and tables are copied by the process itself (PH_BOOT), so a spawn
// costs a slot, its pages and one entry.
uint proc_create(uint prog, uint arg, uint ppid, uint argv_off, uint group) {
  if (prog >= MAX_PROGRAMS || progs[prog].state != 1u) return SPAWN_BAD_PROGRAM;
  const uint T = sys_boot.table_size;
  if (atomicAdd(sys.slots_used, 1u) >= T) {
    atomicAdd(sys.slots_used, 0xffffffffu);
    atomicAdd(sys.spawn_failed, 1u);
    return SPAWN_NO_SLOT;
  }
  // its initial memory, the page table's extension pages for it, and a run
  // for the parts the block cannot hold
  const uint npages = progs[prog].mem_pages, parts = progs[prog].parts_pages;
  const uint need = npages <= sys_boot.max_pages ? npages + pt_ext_pages(npages) + parts : 0u;
  if (npages > sys_boot.max_pages || !pages_reserve(need)) {
    atomicAdd(sys.slots_used, 0xffffffffu);
    atomicAdd(sys.spawn_failed, 1u);
    return SPAWN_NO_PAGES;
  }
  const uint words = T >> 5u;
  const uint slot = bitmap_claim(sys_boot.slot_bits_off, words, (atomicAdd(sys.slot_hint, 1u) >> 5u) % words, 2u * words);
  bool ok = slot != NONE;
  Words blk = Words(block_address(ok ? slot : 0u));
  uint mapped = 0u, pending = need;
  for (uint i = 0u; i < npages && ok; ++i) {
    const uint taken = pt_map_new(blk, i, PTE_TAG_PLAIN);
    ok = taken != 0u;
    pending -= taken;
    if (ok) mapped = i + 1u;
  }
  uint parts_page = 0u;  // first page + 1
  if (ok && parts != 0u) {
    const uint first = parts == 1u ? page_claim() : page_run_claim(parts / 32u);
    ok = first != NONE;
    if (ok) {
      pending -= parts;
      parts_page = first + 1u;
    }
  }
  if (!ok) {  // rare: the bitmaps moved under two full scans (or no run was free)
    for (uint i = mapped; i > 0u; --i) pt_unmap_release(blk, i - 1u);
    pages_unreserve(pending);
    if (slot != NONE) bitmap_clear(sys_boot.slot_bits_off, slot);
    atomicAdd(sys.slots_used, 0xffffffffu);
    atomicAdd(sys.spawn_failed, 1u);
    return slot == NONE ? SPAWN_NO_SLOT : SPAWN_NO_PAGES;
  }
  blk.w[BLK_PHASE] = PH_BOOT;
  blk.w[BLK_TIER] = 0u;  // the interpreter until its boot ends (sched.glsl)
  blk.w[BLK_PHASE_POS] = 0u;
  blk.w[BLK_STATUS] = VM_ST_IDLE;
  blk.w[BLK_MAPPED] = npages;
  blk.w[BLK_PENDING] = 0u;
  blk.w[BLK_STK_PAGE] = 0u;  // the call stack starts in the block (proc/stack.glsl)
  blk.w[BLK_STK_PAGES] = 0u;
  blk.w[BLK_STK_NEW] = 0u;
  blk.w[BLK_PARTS_PAGE] = parts_page;

  const uint old = procs[slot].pid;
  uint pid = old == 0u ? slot + 1u : old + T;
  if (pid >= 0x80000000u) pid = slot + 1u;  // pids stay positive i32s
  procs[slot].pid = pid;
  procs[slot].ppid = ppid;
  procs[slot].program = prog;
  procs[slot].arg = arg;
  procs[slot].exit_status = 0u;
  procs[slot].trap_kind = 0u;
  procs[slot].trap_pc = 0u;
  procs[slot].pages = npages;
  procs[slot].pages_peak = npages;
  procs[slot].wait_pid = 0u;
  procs[slot].instructions = 0UL;
  procs[slot].requests = 0UL;
  procs[slot].spawn_ms = LOAD_RELAXED(ctrl.clock_ms);
  procs[slot].exit_ms = 0u;
  procs[slot].argv_off = argv_off;
  procs[slot].quanta = 0u;
  procs[slot].heap_live = 0u;
  procs[slot].heap_allocs = 0u;
  procs[slot].heap_frees = 0u;
  procs[slot].io_slot = 0u;
  procs[slot].children = 0u;
  // A new root's tree words (a late tree kill of the slot's previous tree
  // names that tree's id, so it never matches this one).
  procs[slot].group = group == 0u ? pid : group;
  atomicExchange(procs[slot].tree_kill, 0u);
  atomicExchange(procs[slot].tree_slots, group == 0u ? 1u : 0u);
  atomicExchange(procs[slot].hold, 1u);
  atomicAdd(sys.live, 1u);
  atomicAdd(sys.spawned, 1u);
  atomicMax(sys.slot_high, slot + 1u);
  atomicExchange(procs[slot].state, PROC_READY);
  proc_make_ready(slot);
  return pid;
}

// Moves a BLOCKED process to READY, once (the CAS picks one waker); true
// for the waker, which then owns the process: it is on no ready bitmap yet.
bool proc_claim_woken(uint slot) { return atomicCompSwap(procs[slot].state, PROC_BLOCKED, PROC_READY) == PROC_BLOCKED; }

// A parent blocked in gpuos.wait on `child_pid`, or a killed process that
// sleeps: woken, and put on the ready bitmap.
void proc_wake(uint slot) {
  if (proc_claim_woken(slot)) proc_make_ready(slot);
}

// OP_KILL: 1 if `pid` was alive. The runner ends it at its next quantum
// boundary; a sleeper is woken to see the request.
uint proc_kill(uint pid) {
  if (!proc_alive(pid)) return 0u;
  const uint s = slot_of(pid);
  atomicExchange(procs[s].kill_pid, pid);
  FULL_FENCE();  // the request before the look at its state (see the top)
  proc_wake(s);
  return 1u;
}

// gpuos.spawn: a child in the caller's tree. The slot is reserved on the
// tree's count first, then the kill flag is read (a full fence between):
// a tree kill sets the flag, then (fence) its job looks at the tree's
// processes, so a child created here is either seen by that job or was
// created after the flag, which every member (the child too) reads at its
// quantum boundary. Either way it ends: no spawn escapes a tree kill.
// A kill of the caller itself (a plain kill, or `kill --tree` of a pid
// below the root, which kills each process it finds: kernel/proc_tree.h)
// is read twice: before, to refuse, and after the child exists, to kill it
// too. Each side of the race writes, then (fence) reads the other's word,
// so a child is either killed here or exists when its killer's next look
// at the table comes (the host looks again until it finds none new).
uint proc_spawn_child(uint prog, uint arg) {
  const uint g = procs[cur_slot].group;
  const uint gs = slot_of(g);
  uint r;
  if (atomicAdd(procs[gs].tree_slots, 1u) >= sys_boot.max_per_tree) {
    r = SPAWN_TREE_LIMIT;
  } else {
    // The child's hold on this entry, before the child can run and exit.
    atomicAdd(procs[cur_slot].hold, 1u);
    FULL_FENCE();
    const bool killed = LOAD_RELAXED(procs[gs].tree_kill) == g || LOAD_RELAXED(procs[cur_slot].kill_pid) == cur_pid;
    r = killed ? SPAWN_KILLED : proc_create(prog, arg, cur_pid, cur_argv_off, g);
    if (r >= 0x80000000u) atomicAdd(procs[cur_slot].hold, 0xffffffffu);  // never the last: ours
  }
  if (r >= 0x80000000u) {
    atomicAdd(procs[gs].tree_slots, 0xffffffffu);  // never the last: the caller holds one
    if (r == SPAWN_TREE_LIMIT || r == SPAWN_KILLED) atomicAdd(sys.tree_refused, 1u);
    return r;
  }
  FULL_FENCE();  // the child before the second look at our kill
  if (LOAD_RELAXED(procs[cur_slot].kill_pid) == cur_pid) atomicExchange(procs[slot_of(r)].kill_pid, r);
  return r;
}

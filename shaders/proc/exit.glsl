// exit.glsl: the end of a process, in two resumable phases run by whichever
// lane holds it (so a big memory never stalls one lane for long):
//   PH_EXIT    zero every mapped page and give it back (free pages are
//              zero: heap/pages.glsl), then the call stack's run of pages
//              (proc/stack.glsl), then the parts' run if the program has
//              one, then any pages a grow had reserved;
//   PH_NOTIFY  write the exit record to the debug ring (the host's wait,
//              ps history and exit codes come from it; a full ring means
//              "try again next time", never a lost record), then become
//              ZOMBIE for a live parent to reap, or FREE at once when the
//              parent is the host or gone.
const uint EXIT_ZERO_CHUNK = 64u;  // 16-byte stores per inner iteration group

void proc_begin_exit(uint status, uint trap, uint trap_pc) {
  procs[cur_slot].exit_status = status;
  procs[cur_slot].trap_kind = trap;
  procs[cur_slot].trap_pc = trap_pc;
  procs[cur_slot].exit_ms = LOAD_RELAXED(ctrl.clock_ms);
  blk_ref.w[BLK_PHASE] = PH_EXIT;
  blk_ref.w[BLK_PHASE_POS] = 0u;
  if (trap != 0u) atomicAdd(sys.trapped, 1u);
  io_release_on_exit();
}

// Zeroes the words the parts' run held (ProgramDesc.parts_pages) and gives
// it back, a budget's worth at a time, with progress in BLK_PHASE_POS
// (16-byte units; stack_free_step left it 0). True when none is left.
bool parts_free_step(uint budget) {
  const uint page = blk_ref.w[BLK_PARTS_PAGE];
  if (page == 0u) return true;
  const uint units = (blk_tabs + 2u * progs[cur_prog].tab_elems + 3u) / 4u;
  const uint pos = run_zero(page - 1u, blk_ref.w[BLK_PHASE_POS], units, budget);
  blk_ref.w[BLK_PHASE_POS] = pos;
  if (pos < units) return false;
  const uint pages = progs[cur_prog].parts_pages;
  if (pages == 1u) page_release(page - 1u);
  else page_run_release(page - 1u, pages);
  blk_ref.w[BLK_PARTS_PAGE] = 0u;
  blk_ref.w[BLK_PHASE_POS] = 0u;
  show_pages_held(blk_ref.w[BLK_MAPPED]);
  return true;
}

// Returns true when every page is back.
bool proc_exit_step(uint budget) {
  uint n = blk_ref.w[BLK_MAPPED];
  uint pos = blk_ref.w[BLK_PHASE_POS];  // 16-byte units of the top page zeroed
  while (n > 0u && ticks_ < budget) {
    const uint page = pte(n - 1u) & PTE_PAGE_MASK;
    Quads q = Quads(page_address(page));
    const uint e = min(PAGE_BYTES / 16u, pos + EXIT_ZERO_CHUNK);
    for (uint i = pos; i < e; ++i) q.v[i] = uvec4(0u);
    ticks_ += e - pos;
    pos = e;
    if (pos == PAGE_BYTES / 16u) {
      pt_unmap_release(blk_ref, n - 1u);
      n--;
      pos = 0u;
    }
  }
  blk_ref.w[BLK_MAPPED] = n;
  blk_ref.w[BLK_PHASE_POS] = pos;
  show_pages_held(n);
  if (n != 0u || !stack_free_step(budget) || !parts_free_step(budget)) return false;
  pages_unreserve(blk_ref.w[BLK_PENDING]);
  blk_ref.w[BLK_PENDING] = 0u;
  return true;
}

// Returns false when the ring is full (the caller requeues the process).
bool proc_notify_step(uint lane) {
  uint pos;
  if (!ring_claim_one(pos)) return false;
  const uint s = ring_slot(pos);
  const uint64_t instr = procs[cur_slot].instructions;
  uint x[EXIT_RECORD_WORDS];
  x[XR_PID] = cur_pid;
  x[XR_PPID] = procs[cur_slot].ppid;
  x[XR_STATUS] = procs[cur_slot].exit_status;
  x[XR_TRAP] = procs[cur_slot].trap_kind;
  x[XR_TRAP_PC] = procs[cur_slot].trap_pc;
  x[XR_PROGRAM] = cur_prog;
  x[XR_INSTR_LO] = uint(instr);
  x[XR_INSTR_HI] = uint(instr >> 32);
  x[XR_PAGES_PEAK] = procs[cur_slot].pages_peak;
  x[XR_SPAWN_MS] = procs[cur_slot].spawn_ms;
  x[XR_EXIT_MS] = procs[cur_slot].exit_ms;
  x[XR_HEAP_LIVE] = procs[cur_slot].heap_live;
  for (uint q = 0u; q < EXIT_RECORD_WORDS / 4u; ++q) ring_put4(s, q, uvec4(x[4u * q], x[4u * q + 1u], x[4u * q + 2u], x[4u * q + 3u]));
  ring_commit(pos, cur_pid, lane, RECORD_EXIT, EXIT_RECORD_WORDS * 4u);

  atomicAdd(sys.exited, 1u);
  atomicAdd(sys.live, 0xffffffffu);
  const uint ppid = procs[cur_slot].ppid;
  if (!proc_alive(ppid)) {  // the host (ppid 0) reaps through the record; an orphan reaps itself
    proc_free_slot(cur_slot);
    return true;
  }
  atomicAdd(sys.zombies, 1u);
  atomicExchange(procs[cur_slot].state, PROC_ZOMBIE);
  FULL_FENCE();  // ZOMBIE before the look at the parent (table.glsl, top)
  const uint ps = slot_of(ppid);
  if (LOAD_RELAXED(procs[ps].wait_pid) == cur_pid) proc_wake(ps);
  // A parent that died after the check above leaves this zombie to the
  // sweep (sched.glsl), which reaps zombies whose parent is gone.
  return true;
}

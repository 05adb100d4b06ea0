// jobs.glsl: OP_SPAWN and OP_SNAPSHOT as jobs shared by every lane, in the
// manner of the emit job (lib/emit.glsl): positions only grow, a lane
// claims a few with a CAS bounded by the `end` it read, and the lane whose
// share completes the job sends the mailbox reply. The host posts one
// command at a time and waits for its reply, so one job is open at most.
//
// OP_SPAWN unit i: creates instance i (spawn argument arg0 + i), writes its
// pid (or 0) to out_words[i]. OP_SNAPSHOT unit u: copies 32 words of the
// sys buffer (header, heap statistics, then one ProcEntry per unit) to
// out_words[32u..]: the one snapshot that `ps`, `stats` and --json format.
// OP_KILL (a tree kill, proc_kill_tree) unit u: slots 32u .. 32u + 31,
// waking the tree's sleepers and counting its running processes.
const uint JOB_CHUNK = 4u;

layout(std430, set = 0, binding = 3) GPUOS_COHERENT buffer SysWords { uint sys_words[]; };  // the sys buffer as words

void mailbox_reply(uint seq, uint status, uint v0, uint v1, uint v2, uint v3);  // mailbox.glsl

void proc_job_open(uint op, uint seq, uint count, uint a0, uint a1, uint a2) {
  const uint begin = READ_SHARED(sys.job_end);
  if (count == 0u) {
    mailbox_reply(seq, STATUS_OK, 0u, 0u, 0u, 0u);
    return;
  }
  WRITE_SHARED(sys.job_begin, begin);
  WRITE_SHARED(sys.job_op, op);
  WRITE_SHARED(sys.job_seq, seq);
  WRITE_SHARED(sys.job_arg0, a0);
  WRITE_SHARED(sys.job_arg1, a1);
  WRITE_SHARED(sys.job_arg2, a2);
  STORE_RELAXED(sys.job_ok, 0u);
  STORE_RELAXED(sys.job_fail_slots, 0u);
  STORE_RELAXED(sys.job_fail_pages, 0u);
  RELEASE_FENCE();
  STORE_RELEASE(sys.job_end, begin + count);  // opens the job; the fields above first
}

// OP_KILL with KILL_TREE: ends every process of tree `gid` (the root's pid).
// The flag is the kill: every member reads it at its quantum boundary and
// every GPU spawn of a member before it creates a child. The job that
// follows (proc_job_unit) wakes the members that sleep and counts the running
// ones. A pid that is a member but not the root is answered with its root.
void proc_kill_tree(uint seq, uint gid) {
  const uint s = gid == 0u ? 0u : slot_of(gid);
  const bool root = gid != 0u && LOAD_RELAXED(procs[s].pid) == gid && LOAD_RELAXED(procs[s].group) == gid &&
                    LOAD_RELAXED(procs[s].tree_slots) != 0u;
  if (!root) {
    mailbox_reply(seq, STATUS_OK, 0u, 0u, proc_alive(gid) ? LOAD_RELAXED(procs[s].group) : 0u, 0u);
    return;
  }
  atomicExchange(procs[s].tree_kill, gid);
  FULL_FENCE();  // the flag before the job's look at states (proc_block's side: sched.glsl)
  proc_job_open(OP_KILL, seq, (LOAD_RELAXED(sys.slot_high) + 31u) >> 5u, gid, 0u, 0u);
}

// Units of a snapshot: the header and heap statistics (8), then every slot
// ever used, capped by the out buffer.
uint proc_snapshot_units() { return min(sys_boot.snap_units, 8u + LOAD_RELAXED(sys.slot_high)); }

void proc_job_unit(uint op, uint u) {
  if (op == OP_SPAWN) {
    const uint pid = proc_create(READ_SHARED(sys.job_arg0), READ_SHARED(sys.job_arg1) + u, 0u, READ_SHARED(sys.job_arg2), 0u);
    WRITE_SHARED(out_words[u], pid < 0x80000000u ? pid : 0u);
    if (pid < 0x80000000u) atomicAdd(sys.job_ok, 1u);
    else if (pid == SPAWN_NO_PAGES) atomicAdd(sys.job_fail_pages, 1u);
    else atomicAdd(sys.job_fail_slots, 1u);
  } else if (op == OP_KILL) {
    // A sleeper wakes to see the flag (a spurious wake-up is harmless:
    // gpuos.wait and a request both block again). Reads of a slot being
    // reused may be stale; they can only wake or count one process too many.
    const uint gid = READ_SHARED(sys.job_arg0);
    const uint high = LOAD_RELAXED(sys.slot_high);
    uint n = 0u;
    for (uint k = 0u; k < 32u; ++k) {
      const uint s = u * 32u + k;
      const uint st = s < high ? LOAD_RELAXED(procs[s].state) : PROC_FREE;
      if ((st == PROC_READY || st == PROC_RUNNING || st == PROC_BLOCKED) && LOAD_RELAXED(procs[s].group) == gid) {
        n += 1u;
        if (st == PROC_BLOCKED) proc_wake(s);
      }
    }
    if (n != 0u) atomicAdd(sys.job_ok, n);
  } else {  // OP_SNAPSHOT
    for (uint k = 0u; k < 32u; ++k) WRITE_SHARED(out_words[u * 32u + k], LOAD_RELAXED(sys_words[u * 32u + k]));
  }
}

// Returns true when this lane did part of a job.
bool proc_job_help() {
  uint end, cursor;
  SUBGROUP_LOAD(end, LOAD_RELAXED(sys.job_end));
  SUBGROUP_LOAD(cursor, LOAD_RELAXED(sys.job_cursor));
  if (int(end - cursor) <= 0) return false;
  ACQUIRE_FENCE();
  uint n = 0u, first = 0u;
  for (uint attempt = 0u; attempt < 4u && n == 0u; ++attempt) {
    const uint c = LOAD_RELAXED(sys.job_cursor);
    const int left = int(end - c);  // signed: `end` may be a finished job's
    if (left <= 0) break;
    const uint want = min(JOB_CHUNK, uint(left));
    if (atomicCompSwap(sys.job_cursor, c, c + want) == c) {
      n = want;
      first = c;
    }
  }
  if (n == 0u) return false;
  const uint op = READ_SHARED(sys.job_op);
  const uint begin = READ_SHARED(sys.job_begin);
  for (uint i = 0u; i < n; ++i) proc_job_unit(op, first + i - begin);
  RELEASE_FENCE();  // this lane's units before its share of `done`
  const uint before = ADD_ACQ_REL(sys.job_done, n);
  if (before + n == end) {
    ACQUIRE_FENCE();
    const uint seq = READ_SHARED(sys.job_seq);
    if (op == OP_SPAWN) {
      mailbox_reply(seq, STATUS_OK, LOAD_RELAXED(sys.job_ok), LOAD_RELAXED(sys.job_fail_slots),
                    LOAD_RELAXED(sys.job_fail_pages), 0u);
    } else if (op == OP_KILL) {
      mailbox_reply(seq, STATUS_OK, 1u, LOAD_RELAXED(sys.job_ok), 0u, 0u);
    } else {
      mailbox_reply(seq, STATUS_OK, end - begin, 0u, 0u, 0u);
    }
  }
  return true;
}

// The process opcodes of the mailbox (mailbox.glsl hands them over).
void proc_mailbox(uint seq, uint op, uint a0, uint a1, uint a2, uint a3) {
  if (op == OP_SPAWN) {
    if (a0 >= MAX_PROGRAMS || progs[a0].state != 1u) mailbox_reply(seq, STATUS_NO_PROGRAM, a0, 0u, 0u, 0u);
    else proc_job_open(OP_SPAWN, seq, a1, a0, a2, a3);
  } else if (op == OP_KILL) {
    if (a1 == KILL_TREE) proc_kill_tree(seq, a0);  // answers when its job ends
    else mailbox_reply(seq, STATUS_OK, proc_kill(a0), 0u, 0u, 0u);
  } else {  // OP_SNAPSHOT
    proc_job_open(OP_SNAPSHOT, seq, proc_snapshot_units(), 0u, 0u, 0u);
  }
}

// io.glsl: system calls served by the host, the kernel's side (abi_io.h
// describes the protocol; docs/io.md the whole path).
//
// A request runs as one resumable call (the interpreter re-runs the call
// instruction while pc_ == call_pc), in the states of its IoSlot:
//   no slot     check the guest memory the call names (EFAULT at once if it
//               is out of bounds), claim a slot, FILLING
//   FILLING     (the same check when the process kept its slot) copy the
//               out-data into the slot, a step at a time; then claim a
//               debug-ring position and end the quantum BLOCKED. The
//               quantum's last act (io_publish, after the process's state
//               is saved) marks the slot SUBMITTED, the process BLOCKED,
//               and commits the RECORD_REQUEST: the host never sees a
//               request from a process that is still running.
//   SUBMITTED   (a spurious wake-up) block again
//   DONE        apply the host's writes, a directive a step; return the
//               result; keep the slot (FILLING) or free it
//   DONE_EMPTY  the same, for an empty reply (result 0, nothing written)
// The completion taker (io_take_completions: a subgroup at a time on GPUs,
// workgroup leaders on lavapipe) moves SUBMITTED -> DONE (or DONE_EMPTY) and
// wakes the process, which the taking lane then runs at once. A process that ends with
// a request posted leaves it ORPHAN, and the taker frees the slot.
//
// Why a process keeps its slot: claiming one (a bitmap scan and two CASes)
// and freeing it (an exchange, a fence, a bitmap clear) were a fifth of a
// null call's round trip. It keeps it only while at most half the slots
// are held, so that processes that call rarely cannot starve the rest, and
// gives it back before gpuos.wait (a parent waiting on its child must not
// sit on the slot the child needs).
//
// Naming: `rs` is a request slot, `s` a process-table slot; io_words[]
// offsets are words after the IoHeader; io_post_* hold the request a
// quantum will publish.

layout(std430, set = 0, binding = 7) GPUOS_COHERENT buffer IoBuf {
  IoHeader io;
  uint io_words[];
};

const uint IOF_STATE = 0u, IOF_PID = 1u, IOF_PROC = 2u, IOF_RESULT = 3u, IOF_REPLY_LEN = 4u, IOF_PROG = 5u;
// IoHeader line 0, set at boot: see ctrl_boot (kernel.comp).
layout(std430, set = 0, binding = 7) readonly buffer IoBoot { IoHeader io_boot; };

#define IOSLOT(rs, f) io_words[io_boot.slots_off + 8u * (rs) + (f)]
#define IOPROC(s, f) io_words[io_boot.proc_off + IOP_WORDS * (s) + (f)]
#define IOPROG(p) io_words[io_boot.progs_off + (p)]
#define IODATA(rs, i) io_words[io_boot.data_off + (rs) * IO_DATA_WORDS + (i)]

// ProcEntry.io_slot of the running process: its runner is the only writer,
// so a register keeps it (read at bind time, vm_glue.glsl).
void set_io_slot(uint held) {
  cur_io_slot = held;
  procs[cur_slot].io_slot = held;
}

void io_slot_free(uint rs) {
  // Read while the slot is still ours: once FREE, its next owner writes it.
  // Written by the claim, which the owner (or, for an ORPHAN, the taker's
  // acquire fence) sees.
  const uint prog = IOSLOT(rs, IOF_PROG);
  atomicExchange(IOSLOT(rs, IOF_STATE), IOS_FREE);
  RELEASE_FENCE();
  bitmap_clear(io_boot.bits_off, rs);
  atomicAdd(io.held, 0xffffffffu);
  atomicAdd(IOPROG(prog), 0xffffffffu);  // after the bit, as `held`: a count never undercounts a held slot
}

// True while the running process's request slot is known to be DONE: this
// lane took its completion (io_complete_slot) and runs it now. The slot's
// state need not be loaded again, nor the reply fenced: the taker's fence
// already ordered the reply's reads after the completion entry. Set for the
// quantum by proc_run, cleared by the request's next step.
bool io_reply_taken_ = false;

// 1 while the process keeps its request slot between calls (FILLING, no
// request under way; BLK_IO_IDLE between quanta). Only the process changes
// a slot in that state, so its next call need not load the state: that
// load was the first wait of every request's path.
uint io_kept_idle_ = 0u;

// The reply of the request this lane took (io_complete_slot), read by the
// taker behind its acquire fence: valid while io_reply_taken_. Read there,
// the loads overlap the taker's claims; read by the process, they were one
// more wait in a row.
uint io_taken_result_ = 0u, io_taken_reply_len_ = 0u, io_taken_held_ = 0u;
uint io_taken_slot_ = NONE;  // the request slot they belong to

// GPUs: the completion-ring position this subgroup saw as the tail at its
// last poll. The next poll reads the entry there along with the tail, and
// when the tail has not moved, that is the entry to take: the entry's load
// does not wait for the tail's (io_take_completions).
uint io_tail_guess_ = 0u;

// The request this quantum publishes (gi_request fills them, io_publish
// sends): its slot (NONE: none), ring position, opcode, frame, out-data
// bytes.
uint io_post_rs_ = NONE, io_post_pos_, io_post_op_, io_post_fp_, io_post_len_;

// The request in slot `rs` is complete: DONE, and its process woken.
// Returns the woken process's table slot, which the caller now owns
// (READY, but on no ready bitmap: run it, or proc_make_ready it), or NONE.
//
// The process went BLOCKED before its request was published (io_publish),
// so it is asleep by the time the host answers, unless a spurious wake-up
// (a kill) has it running. So on GPUs the taker first just claims it
// (BLOCKED -> READY), and then marks the slot DONE for the process it now
// runs: a claim, where the slow path below is a CAS on the slot, a full
// fence and a claim in a row. A claim that fails (the process is running
// or gone), or that took another process (the table slot was reused: a
// spurious wake-up for it, which every blocked process tolerates), falls
// back to the slow path. lavapipe takes only the slow path: there a
// completion may be taken twice (a misreported CAS on the tail,
// docs/platform.md 2g), and only the CAS on the slot turns the second
// away.
//
// The slow path: DONE, then the look at the process. A running process,
// when it blocks again, finds DONE and does not sleep (proc_block). Each
// side publishes its word (DONE here, BLOCKED there) before it looks at the
// other's.
//
// `entry_slot`: the entry's slot field (abi_io.h: the slot, and
// IO_COMP_EMPTY for an empty reply, which the host did not write into the
// slot). `ring_consumed`: ControlBlock.ring_consumed, read by the poll that
// found the entry. With the ring head read here, after the fence, it makes
// a ring check for the woken process's next request (ring.glsl:
// ring_note_room).
uint io_complete_wake(uint ws, uint ring_consumed);

uint io_complete_slot(uint entry_slot, uint ring_consumed) {
  const uint rs = entry_slot & (IO_COMP_EMPTY - 1u);
  if (rs >= io_boot.slots) return io_complete_wake(rs, ring_consumed);
  const bool empty = (entry_slot & IO_COMP_EMPTY) != 0u;
  ACQUIRE_FENCE();  // the slot's reply was written before its entry
  // All read at once, so that they overlap the claims below: the process,
  // the ring head, and the reply (io_taken_*).
  const uint s = READ_SHARED(IOSLOT(rs, IOF_PROC)), pid = READ_SHARED(IOSLOT(rs, IOF_PID));  // set at the claim
  const uint ring_head = LOAD_RELAXED(ctrl.ring_head);
  io_taken_result_ = empty ? 0u : READ_SHARED(IOSLOT(rs, IOF_RESULT));
  io_taken_reply_len_ = empty ? 0u : READ_SHARED(IOSLOT(rs, IOF_REPLY_LEN));
  io_taken_held_ = LOAD_RELAXED(io.held);
  io_taken_slot_ = rs;
  // A park (a sleep's reply, sent before the sleep): the process still
  // waits for the host, for its wake, so it stays counted in `waiting`,
  // which the taker's count lowers for every entry (the wake's too). Added
  // once, by whoever takes the completion for good (below), also when the
  // process has ended (ORPHAN): its wake still comes.
  const bool park = (io_taken_result_ & IO_RESULT_PARK) != 0u;
  // The process's program is fixed while the process lives; when the claim
  // fails, the registers set here are dropped with it.
  proc_bind_program(s);
#ifndef GPUOS_RELAXED_ATOMICS
  if (proc_claim_woken(s)) {
    if (cur_pid == pid) {
      STORE_RELAXED(IOSLOT(rs, IOF_STATE), IOS_DONE);  // read by this lane only, from here on
      if (park) atomicAdd(io.waiting, 1u);
      ring_note_room(ring_consumed, ring_head);
      return s;
    }
    proc_make_ready(s);  // another process, woken for nothing
  }
#endif
  // A CAS, not a swap: a completion for a slot in any other state (on
  // lavapipe, a completion taken twice, above) must change nothing. The
  // process reads its reply from the slot, unless the state says it is
  // empty (the host wrote none there).
  const uint prev = atomicCompSwap(IOSLOT(rs, IOF_STATE), IOS_SUBMITTED, empty ? IOS_DONE_EMPTY : IOS_DONE);
  if (park && (prev == IOS_SUBMITTED || prev == IOS_ORPHAN)) atomicAdd(io.waiting, 1u);
  if (prev == IOS_ORPHAN) {
    io_slot_free(rs);
    return NONE;
  }
  if (prev != IOS_SUBMITTED) return NONE;
  FULL_FENCE();  // DONE before the look at the process's state
  if (!proc_claim_woken(s)) return NONE;
  ring_note_room(ring_consumed, ring_head);
  return s;
}

// A wake slot's completion (abi_io.h, "Wake slots"): the sleep of the pid
// it names has ended. The taker reads the pid, gives the wake slot back to
// the host, and wakes the process if it is still parked there: the CAS on
// its IOP_WAKE word (pid | IOP_PARKED -> pid) tells it, for a process that
// ended meanwhile no longer has it. Returns the woken process's table slot
// (the caller owns it, as for io_complete_slot), or NONE.
//
// The sleeper publishes BLOCKED and then looks at IOP_WAKE (proc_block,
// io_sleeping); here the wake is published first and then the look at the
// state: one of the two sees the other.
uint io_complete_wake(uint ws, uint ring_consumed) {
  ACQUIRE_FENCE();  // the host wrote the pid and the state before the entry
  const uint pid = READ_SHARED(IOSLOT(ws, IOF_PID));
  const uint ring_head = LOAD_RELAXED(ctrl.ring_head);
  io_taken_slot_ = ws;  // no request slot of the woken process's
  io_taken_result_ = 0u;
  io_taken_reply_len_ = 0u;
  // The pid's read before the slot goes back: the host writes the next pid
  // once it sees FREE. A CAS, so that a completion taken twice (lavapipe,
  // io_complete_slot) wakes nobody the second time.
  RELEASE_FENCE();
  if (atomicCompSwap(IOSLOT(ws, IOF_STATE), IOS_SUBMITTED, IOS_FREE) != IOS_SUBMITTED) return NONE;
  const uint s = slot_of(pid);
  if (atomicCompSwap(IOPROC(s, IOP_WAKE), pid | IOP_PARKED, pid) != (pid | IOP_PARKED)) return NONE;
  FULL_FENCE();  // the wake before the look at the process's state
  proc_bind_program(s);
  if (!proc_claim_woken(s)) return NONE;  // running: it sees the wake when it blocks (proc_block)
  ring_note_room(ring_consumed, ring_head);
  return s;
}

// The running process sleeps in poll_oneoff without a request slot (it got
// its park): true, with `woken` when its wake came. proc_block asks, for a
// process that holds no slot: false means it is not sleeping (gpuos.wait).
bool io_sleeping(out bool woken) {
  const uint w = LOAD_RELAXED(IOPROC(cur_slot, IOP_WAKE));
  woken = w == cur_pid;
  return woken || w == (cur_pid | IOP_PARKED);
}

// The errno the host could not write the running process's fd 1 or 2 with
// (abi_io.h: IOP_OUT_*), or 0. Relaxed: a write that misses an errno being
// stored just goes out (and fails on the host), and the next one sees it.
uint io_output_error(uint fd) {
  if (LOAD_RELAXED(IOPROC(cur_slot, IOP_OUT_PID)) != cur_pid) return 0u;
  ACQUIRE_FENCE();  // the host stored the errno before the pid
  return (LOAD_RELAXED(IOPROC(cur_slot, IOP_OUT_ERR)) >> (fd == 2u ? 16u : 0u)) & 0xffffu;
}

// True when the completion entry `v` was written for ring position `pos`
// (abi_io.h: io_comp_entry); false for one that has not landed yet.
bool io_entry_landed(uint v, uint pos) { return (v >> 16u) == (io_comp_entry(pos, io_boot.comp_capacity, 0u) >> 16u); }

#ifdef GPUOS_RELAXED_ATOMICS
// lavapipe: the workgroup leader takes one completion at a time. Returns a
// woken process (io_complete_slot), or NONE; `took` is set when it took one.
uint io_take_completions(inout bool took) {
  if (gl_LocalInvocationIndex != 0u) return NONE;
  const uint tail = LOAD_RELAXED(io.comp_tail);
  const uint consumed = LOAD_RELAXED(ctrl.ring_consumed);
  if (LOAD_ACQUIRE(io.comp_head) == tail) return NONE;
  const uint v = LOAD_RELAXED(io_words[tail & (io_boot.comp_capacity - 1u)]);
  // Validated before the tail moves past it: a tail taken over an entry
  // not yet seen would lose that completion for good. The host cannot
  // rewrite it meanwhile (abi_io.h: it never laps the tail).
  if (!io_entry_landed(v, tail)) return NONE;
  if (atomicCompSwap(io.comp_tail, tail, tail + 1u) != tail) return NONE;
  took = true;
  atomicAdd(io.completed, 1u);
  atomicAdd(io.waiting, 0xffffffffu);
  return io_complete_slot(v & 0xffffu, consumed);  // the slot field
}
#else
// GPUs: a subgroup takes up to a subgroup's worth of completions with one
// CAS, lane i entry tail + i, so the completion ring drains as fast as the
// host fills it. Each lane returns the process it woke (io_complete_slot),
// or NONE; `took` is set on the lanes of a subgroup that took any.
uint io_take_completions(inout bool took) {
  // One elected lane reads them all, so the loads overlap: the tail, the
  // head, the debug ring's consumed count (io_complete_slot) and the entry
  // at the tail this subgroup saw last (io_tail_guess_). All relaxed: the
  // head only bounds which entries to look at, each entry proves its own
  // position (io_entry_landed), and io_complete_slot fences before any
  // reply is read. Every subgroup polls here every iteration; on an H100
  // the acquire load here cost each round trip about 0.45 us (p50 13.05
  // against 12.6 us in a build with timestamps, 2026-11-22).
  uvec4 seen = uvec4(0u);
  if (subgroupElect()) {
    seen = uvec4(LOAD_RELAXED(io.comp_tail), LOAD_RELAXED(io.comp_head), LOAD_RELAXED(ctrl.ring_consumed),
                 LOAD_RELAXED(io_words[io_tail_guess_ & (io_boot.comp_capacity - 1u)]));
  }
  const uint tail = subgroupBroadcastFirst(seen.x), head = subgroupBroadcastFirst(seen.y);
  const uint consumed = subgroupBroadcastFirst(seen.z), guessed = subgroupBroadcastFirst(seen.w);
  // The guess was right when the tail has not moved since; then the entry
  // at the tail is known without a second load (the latency case: one
  // completion, found by a subgroup that saw its tail while idle).
  const bool guess_landed = tail == io_tail_guess_ && io_entry_landed(guessed, tail);
  io_tail_guess_ = tail;
  if (head == tail) return NONE;
  const uint i = gl_SubgroupInvocationID;
  uint v = 0u;
  bool landed = false;
  if (guess_landed) {  // take that one entry; any others, next iteration
    v = guessed;
    landed = i == 0u;
  } else if (i < min(head - tail, 32u)) {
    v = LOAD_RELAXED(io_words[(tail + i) & (io_boot.comp_capacity - 1u)]);
    landed = io_entry_landed(v, tail + i);
  }
  // Only the unbroken run of landed entries from the tail: the tail cannot
  // skip one that has not landed.
  const uint run = subgroupBallot(landed).x;
  const uint n = run == 0xffffffffu ? 32u : uint(findLSB(~run));
  if (n == 0u) return NONE;
  uint won = 0u;
  if (subgroupElect()) won = atomicCompSwap(io.comp_tail, tail, tail + n) == tail ? 1u : 0u;
  if (subgroupBroadcastFirst(won) == 0u) return NONE;
  took = true;
  io_tail_guess_ = tail + n;
  const uint woke = i < n ? io_complete_slot(v & 0xffffu, consumed) : NONE;
  // The counts after the wake-ups: issued before them, the first fence of
  // io_complete_slot waited for both adds.
  if (subgroupElect()) {
    atomicAdd(io.completed, n);
    atomicAdd(io.waiting, 0u - n);
  }
  return woke;
}
#endif

// True when the process in `slot`, BLOCKED again after a spurious wake-up,
// must not sleep: its request completed meanwhile (io_complete_slot could
// not wake a running process).
bool io_completed_meanwhile() {
  return LOAD_RELAXED(IOSLOT(cur_io_slot - 1u, IOF_STATE)) != IOS_SUBMITTED;
}

// The process ends (kill, trap, exit) holding a request slot.
void io_release_on_exit() {
  const uint held = cur_io_slot;
  if (held == 0u) return;
  set_io_slot(0u);
  const uint rs = held - 1u;
  // Still with the host (now ORPHAN): the taker frees it. FILLING or DONE:
  // nobody else holds it.
  if (atomicCompSwap(IOSLOT(rs, IOF_STATE), IOS_SUBMITTED, IOS_ORPHAN) != IOS_SUBMITTED) io_slot_free(rs);
}

// Gives back the slot the process holds between calls (before gpuos.wait,
// or after a reply when more than half the slots are held).
void io_release_kept() {
  const uint held = cur_io_slot;
  if (held == 0u) return;
  set_io_slot(0u);
  io_kept_idle_ = 0u;
  io_slot_free(held - 1u);  // FILLING or DONE: the host is done with it
}

// ---- out-data: the guest memory a request carries to the host ------------
// Per call: up to two plain regions (pointer, length), or the bytes an
// iovec array points at (writes). Region 2 follows region 1 in the data area.
#define IOARG(k) uint(SLOT(fp + (k)))

bool io_gathers(uint op) { return op == WASI_FD_WRITE || op == WASI_FD_PWRITE; }

// True when `op` names guest memory regions: the cases of io_region.
bool io_has_regions(uint op) {
  switch (op) {
    case WASI_FD_READ:
    case WASI_FD_PREAD:
    case WASI_PATH_OPEN:
    case WASI_PATH_FILESTAT_GET:
    case WASI_PATH_CREATE_DIRECTORY:
    case WASI_PATH_REMOVE_DIRECTORY:
    case WASI_PATH_UNLINK_FILE:
    case WASI_PATH_READLINK:
    case WASI_PATH_RENAME:
    case WASI_POLL_ONEOFF: return true;
    default: return false;
  }
}

// Region k (0 or 1) of `op`: start and length in guest memory (0, 0: none).
uvec2 io_region(uint op, uint fp, uint k) {
  uvec2 r = uvec2(0u);
  switch (op) {
    case WASI_FD_READ:
    case WASI_FD_PREAD: if (k == 0u) r = uvec2(IOARG(1), IOARG(2) * 8u); break;  // the iovec array
    case WASI_PATH_OPEN:
    case WASI_PATH_FILESTAT_GET: if (k == 0u) r = uvec2(IOARG(2), IOARG(3)); break;
    case WASI_PATH_CREATE_DIRECTORY:
    case WASI_PATH_REMOVE_DIRECTORY:
    case WASI_PATH_UNLINK_FILE:
    case WASI_PATH_READLINK: if (k == 0u) r = uvec2(IOARG(1), IOARG(2)); break;
    case WASI_PATH_RENAME: r = k == 0u ? uvec2(IOARG(1), IOARG(2)) : uvec2(IOARG(4), IOARG(5)); break;
    case WASI_POLL_ONEOFF: if (k == 0u) r = uvec2(IOARG(0), IOARG(2) * 48u); break;  // the subscriptions
    default: break;
  }
  return r;
}

// Bytes of out-data `op` carries, or an errno (>= 0x80000000 | errno) when
// the memory it names is out of bounds or too big for a slot.
uint io_out_len(uint op, uint fp) {
  // Most calls carry none (the null call among them): they wait for
  // neither the memory's size nor any argument.
  if (!io_gathers(op) && !io_has_regions(op)) return 0u;
  const uint64_t mem = mem_bytes();
  if (io_gathers(op)) {
    const uint iovs = IOARG(1), n = IOARG(2);
    if (uint64_t(iovs) + 8UL * n > mem) return 0x80000000u | WASI_EFAULT;
    if (n > IO_DATA_BYTES / 8u) return 0x80000000u | WASI_EINVAL;
    uint total = 0u;
    for (uint i = 0u; i < n; ++i) {
      const uint p = load32(uint64_t(iovs + 8u * i)), len = load32(uint64_t(iovs + 8u * i + 4u));
      if (uint64_t(p) + len > mem) total = 0xffffffffu;
      else if (total != 0xffffffffu) total = min(IO_DATA_BYTES, total + len);
    }
    ticks_ += n;
    return total == 0xffffffffu ? (0x80000000u | WASI_EFAULT) : total;
  }
  const uvec2 a = io_region(op, fp, 0u), b = io_region(op, fp, 1u);
  if (uint64_t(a.x) + a.y > mem || uint64_t(b.x) + b.y > mem) return 0x80000000u | WASI_EFAULT;
  if (uint64_t(a.y) + b.y > IO_DATA_BYTES) return 0x80000000u | (io_gathers(op) ? WASI_EINVAL : 37u /* ENAMETOOLONG */);
  return a.y + b.y;
}

// Walking the out-data in order. Its segments are the call's regions or
// the write's iovecs; a cursor stands on segment k, which starts at
// out-data byte `at`. A copy walks each segment once, rather than looking
// a byte's segment up from the start for every byte: that cost a loop
// iteration per iovec per byte, which the ticks did not count, and on
// lavapipe the uncounted iterations ran past llvmpipe's loop budget
// (docs/platform.md 2b) and cut the copies short (zeroed bytes).
struct IoCursor {
  uint k;     // segment
  uint at;    // out-data byte where segment k starts
  uint addr;  // its guest address
  uint len;   // its length
};

uint io_segments(uint op, uint fp) { return io_gathers(op) ? IOARG(2) : 2u; }

uvec2 io_segment(uint op, uint fp, uint k) {
  if (!io_gathers(op)) return io_region(op, fp, k);
  const uint iov = IOARG(1) + 8u * k;
  return uvec2(load32(uint64_t(iov)), load32(uint64_t(iov + 4u)));
}

IoCursor io_cursor(uint op, uint fp) {
  const uvec2 s = io_segments(op, fp) == 0u ? uvec2(0u) : io_segment(op, fp, 0u);
  return IoCursor(0u, 0u, s.x, s.y);
}

// Guest address of out-data byte i (below the out length, and at or after
// the cursor's segment); moves the cursor to the segment that holds it.
uint io_cursor_source(uint op, uint fp, inout IoCursor c, uint i) {
  const uint n = io_segments(op, fp);
  while (i >= c.at + c.len && c.k + 1u < n) {
    c.at += c.len;
    c.k += 1u;
    const uvec2 s = io_segment(op, fp, c.k);
    c.addr = s.x;
    c.len = s.y;
    ticks_ += 1u;
  }
  return c.addr + (i - c.at);
}

// Copies out-data bytes [bulk_, ...) into the slot, up to IO_COPY_WORDS
// words; true when all `len` bytes are in. A byte at a time (a region or
// iovec boundary may fall inside a word), each word stored once.
bool io_fill_step(uint op, uint fp, uint rs, uint len) {
  const uint end = min(len, bulk_ + IO_COPY_WORDS * 4u);
  IoCursor c = io_cursor(op, fp);
  uint v = 0u;  // every step but the last ends on a word boundary (IO_COPY_WORDS words)
  for (uint i = bulk_; i < end; ++i) {
    v |= mem_byte(uint64_t(io_cursor_source(op, fp, c, i))) << (8u * (i & 3u));
    if ((i & 3u) == 3u || i + 1u == end) {
      WRITE_SHARED(IODATA(rs, i >> 2u), v);
      v = 0u;
    }
  }
  ticks_ += end - bulk_;
  bulk_ = end;
  return end == len;
}

// Applies the reply directive at byte bulk_ of the data area (of `reply`
// bytes); true when every directive is done. A directive outside the
// guest's memory faults the call (`faulted`: it returns EFAULT) and ends
// the reply.
bool io_apply_step(uint rs, uint reply, out bool faulted) {
  faulted = false;
  if (bulk_ + 4u * IOW_HEADER_WORDS > reply) return true;
  const uint w0 = bulk_ >> 2u;
  const uint addr = READ_SHARED(IODATA(rs, w0)), len = READ_SHARED(IODATA(rs, w0 + 1u));
  if (uint64_t(addr) + len > mem_bytes() || len > IOW_MAX_BYTES) {
    faulted = true;
    bulk_ = reply;
    return true;
  }
  for (uint k = 0u; k < len; k += 4u) {
    store_part(uint64_t(addr + k), READ_SHARED(IODATA(rs, w0 + IOW_HEADER_WORDS + (k >> 2u))), min(4u, len - k));
  }
  ticks_ += 2u + (len >> 2u);
  bulk_ += 4u * IOW_HEADER_WORDS + ((len + 3u) & ~3u);
  return bulk_ >= reply;
}

// Publishes the request this quantum filled (io_post_*), after everything
// the process's next runner reads is stored: the slot SUBMITTED, the
// process BLOCKED, then the RECORD_REQUEST committed at the ring position
// gi_request claimed. From the commit on, the host may answer and another
// lane run the process.
void io_publish(uint slot, uint lane) {
  const uint rs = io_post_rs_, fp = io_post_fp_;
  io_post_rs_ = NONE;
  // The payload is read while the process is still this lane's: once it is
  // BLOCKED, a kill may wake it and run it elsewhere.
  const uvec4 head = uvec4(io_post_op_, rs, cur_argv_off, io_post_len_);  // RQ_OPCODE .. RQ_OUT_LEN
  uvec4 args[RQ_MAX_ARGS / 2u];  // RQ_ARGS: two 64-bit arguments a quad
  for (uint k = 0u; k < RQ_MAX_ARGS; k += 2u) {  // past the call's own parameters: whatever the frame holds
    const uint64_t a = SLOT(fp + k), b = SLOT(fp + k + 1u);
    args[k / 2u] = uvec4(uint(a), uint(a >> 32), uint(b), uint(b >> 32));
  }
  STORE_RELAXED(IOSLOT(rs, IOF_STATE), IOS_SUBMITTED);
  atomicAdd(io.waiting, 1u);
  atomicAdd(io.posted, 1u);
  atomicExchange(procs[slot].state, PROC_BLOCKED);
  const uint r = ring_slot(io_post_pos_);
  ring_put4(r, 0u, head);
  for (uint q = 0u; q < RQ_MAX_ARGS / 2u; ++q) ring_put4(r, 1u + q, args[q]);
  ring_put4(r, RQ_WORDS / 4u, uvec4(0u));  // the unused rest
  ring_commit(io_post_pos_, cur_pid, lane, RECORD_REQUEST, RQ_WORDS * 4u);
  // The look at a kill, after BLOCKED: proc_kill publishes its request
  // before it looks at the state (table.glsl, top). The commit's fence
  // orders the two, so this needs no fence of its own. The process may
  // already be running elsewhere; then the CAS in proc_wake fails.
  if (LOAD_RELAXED(procs[slot].kill_pid) == cur_pid) proc_wake(slot);
}

// Claims a free request slot for the current process (FILLING); NONE when
// every slot is busy or the claim lost a race (the call yields and runs
// again later).
uint io_claim_slot() {
  // The program's share first (abi_io.h, "Fairness"): one atomic add that
  // decides it, taken back when the program is at its cap or no slot is
  // had. Relaxed: a count, ordered by nothing else.
  if (atomicAdd(IOPROG(cur_prog), 1u) >= io_boot.prog_cap) {
    atomicAdd(IOPROG(cur_prog), 0xffffffffu);
    atomicAdd(io.no_slot, 1u);
    return NONE;
  }
  const uint words = io_boot.slots >> 5u;
  const uint rs = bitmap_claim(io_boot.bits_off, words, atomicAdd(io.slot_hint, 1u) % words, words);
  if (rs == NONE) {
    atomicAdd(IOPROG(cur_prog), 0xffffffffu);
    atomicAdd(io.no_slot, 1u);
    return NONE;
  }
  // The bit says the slot is ours; the state must agree. A slot that is
  // not FREE belongs to someone else (a claim llvmpipe misreported,
  // docs/platform.md 2g): leave it to its owner and try again later.
  if (atomicCompSwap(IOSLOT(rs, IOF_STATE), IOS_FREE, IOS_FILLING) != IOS_FREE) {
    atomicAdd(IOPROG(cur_prog), 0xffffffffu);
    atomicAdd(io.claim_conflicts, 1u);
    return NONE;
  }
  atomicAdd(io.held, 1u);
  IOSLOT(rs, IOF_PID) = cur_pid;
  IOSLOT(rs, IOF_PROC) = cur_slot;
  IOSLOT(rs, IOF_PROG) = cur_prog;
  set_io_slot(rs + 1u);
  return rs;
}

// A call served by the host. Returns its result (a WASI errno) when it
// completes; otherwise it has set pc_ = call_pc (and maybe status_).
uint gi_request(uint op, uint fp, uint call_pc) {
  const uint held = cur_io_slot;
  const bool taken = io_reply_taken_ && held == io_taken_slot_ + 1u, idle = io_kept_idle_ != 0u && held != 0u;
  io_reply_taken_ = false;
  io_kept_idle_ = 0u;  // a request is under way from here
  const uint st = held == 0u ? IOS_FREE
                  : idle     ? IOS_FILLING
                  : taken    ? IOS_DONE
                             : LOAD_RELAXED(IOSLOT(held - 1u, IOF_STATE));
  const uint return_pc = pc_;
  pc_ = call_pc;  // run the call again, unless it completes below
  if (op == WASI_POLL_ONEOFF && held == 0u) {
    // Parked in a sleep (below): done once the wake came, else asleep
    // again (a spurious wake-up). A new call never finds the park word
    // with its pid: each call's end clears it.
    bool woken;
    if (io_sleeping(woken)) {
      if (!woken) {
        status_ = VM_ST_BLOCKED;
        return 0u;
      }
      STORE_RELAXED(IOPROC(cur_slot, IOP_WAKE), 0u);  // only its owner writes it now: the wake is spent
      pc_ = return_pc;
      return WASI_ESUCCESS;
    }
  }
  if (st == IOS_FREE || st == IOS_FILLING) {
    // The same on every step of one call: the process did not run between.
    const uint out_len = io_out_len(op, fp);
    if (out_len >= 0x80000000u) {  // only ever at the first step (bulk_ == 0)
      pc_ = return_pc;
      return out_len & 0xffffu;
    }
    const uint rs = st == IOS_FREE ? io_claim_slot() : held - 1u;
    if (rs == NONE) {  // every slot busy: give the lane up and try again
      status_ = VM_ST_YIELD;
      return 0u;
    }
    if (out_len != 0u && !io_fill_step(op, fp, rs, out_len)) return 0u;
    if (!ring_claim_one(io_post_pos_)) {
      status_ = VM_ST_YIELD;  // ring full: post on a later quantum
      return 0u;
    }
    // A poll_oneoff may come back as a park (a sleep without the slot):
    // marked parked before the host can answer, so that its wake, which
    // may overtake the park's reply, finds the mark (io_complete_wake).
    // Ordered before the host's answer by io_publish's commit fence.
    if (op == WASI_POLL_ONEOFF) STORE_RELAXED(IOPROC(cur_slot, IOP_WAKE), cur_pid | IOP_PARKED);
    io_post_rs_ = rs;  // proc_run publishes it once the process is saved (io_publish)
    io_post_op_ = op;
    io_post_fp_ = fp;
    io_post_len_ = out_len;
    bulk_ = 0u;
    status_ = VM_ST_BLOCKED;
    return 0u;
  }
  const uint rs = held - 1u;
  if (st == IOS_SUBMITTED) {  // a wake-up before the reply: sleep again
    status_ = VM_ST_BLOCKED;
    return 0u;
  }
  // The reply as the taker read it; or, when another lane took it (or on a
  // later step of a long reply), read now: for IOS_DONE_EMPTY nothing
  // (result 0, nothing to apply), for IOS_DONE the slot's, after a fence.
  uint result = io_taken_result_, reply_len = io_taken_reply_len_, held_now = io_taken_held_;
  if (!taken) {
    held_now = LOAD_RELAXED(io.held);
    result = 0u;
    reply_len = 0u;
    if (st != IOS_DONE_EMPTY) {
      ACQUIRE_FENCE();
      result = READ_SHARED(IOSLOT(rs, IOF_RESULT));
      reply_len = READ_SHARED(IOSLOT(rs, IOF_REPLY_LEN));
    }
  }
  bool faulted;
  if (!io_apply_step(rs, reply_len, faulted)) return 0u;
  bulk_ = 0u;
  pc_ = return_pc;
  if (op == WASI_POLL_ONEOFF) {
    const bool park = (result & IO_RESULT_PARK) != 0u && !faulted;
    bool woken = false;
    if (park) {
      // A sleep: the events are written; the slot goes back now (the host
      // is done with it) and the process sleeps without one until its
      // wake, unless that came already.
      io_release_kept();
      io_sleeping(woken);
      if (!woken) {
        pc_ = call_pc;
        status_ = VM_ST_BLOCKED;
        return 0u;
      }
    }
    // The call ends: no park word outlives it (a late wake then finds none).
    STORE_RELAXED(IOPROC(cur_slot, IOP_WAKE), 0u);
    if (park) return WASI_ESUCCESS;
    result &= ~IO_RESULT_PARK;  // a park whose events faulted returns EFAULT below
  }
  if (held_now <= io_boot.slots / 2u) {
    STORE_RELAXED(IOSLOT(rs, IOF_STATE), IOS_FILLING);  // kept for the next call
    io_kept_idle_ = 1u;
  } else {
    io_release_kept();
  }
  return faulted ? WASI_EFAULT : result;
}
#undef IOARG

// intrinsics.glsl: the `gpuos` imports (docs/stdshim.md), run inside the
// call by the interpreter (vm_intrinsic, interp.glsl's hook). Each id is
// one GI_* of abi_proc.h; ids from GI_WASI_BASE on are WASI (wasi.glsl). Work that can be long (print, args_get, calloc,
// realloc, a heap refill) is resumable: the intrinsic sets pc_ = call_pc
// and the call runs again, with its progress in bulk_ or the block.

#define ARG(k) uint(SLOT(fp + (k)))

// print(ptr, len): the process's stdout, as wasi.glsl's fd_write(1) writes
// it (RECORD_STDOUT records carrying the io key, so the spawner gets it).
void gi_print(uint fp, uint call_pc, uint lane) {
  const uint ptr = ARG(0), len = ARG(1);
  if (uint64_t(ptr) + len > mem_bytes()) {
    trap_ = 2u;  // out of bounds, at the call
    return;
  }
  if (len == 0u) return;
  uint pos;
  if (!ring_claim_one(pos)) {  // ring full: give the lane up, print again later
    pc_ = call_pc;
    status_ = VM_ST_YIELD;
    return;
  }
  const uint done = bulk_;
  const uint n = min(len - done, OUT_TEXT_MAX);
  const uint s = ring_slot(pos);
  for (uint q = 0u; q < RING_PAYLOAD_WORDS / 4u; ++q) {
    uvec4 quad;
    for (uint i = 0u; i < 4u; ++i) {
      const uint w = 4u * q + i;
      quad[i] = w == OUT_KEY_WORD ? cur_argv_off : 4u * w < n ? load32(uint64_t(ptr + done + 4u * w)) : 0u;
    }
    ring_put4(s, q, quad);
  }
  ring_commit(pos, cur_pid, lane, RECORD_STDOUT, n);
  ticks_ += RING_PAYLOAD_WORDS;
  bulk_ = done + n < len ? done + n : 0u;
  if (bulk_ != 0u) pc_ = call_pc;  // more records to write
}

// args_get(buf, len): copies up to len bytes of the argv blob; returns argc.
// Blob (program store): word 0 bytes, word 1 argc, then the bytes.
uint gi_args_get(uint fp, uint call_pc) {
  const uint off = cur_argv_off;
  if (off == 0u) return 0u;
  const uint buf = ARG(0);
  const uint n = min(ARG(1), prog_words[off]);
  if (uint64_t(buf) + n > mem_bytes()) {
    trap_ = 2u;
    return 0u;
  }
  const uint e = min(n, bulk_ + HEAP_COPY_BYTES);
  for (uint i = bulk_; i < e; ++i) {
    store_part(uint64_t(buf + i), (prog_words[off + 2u + (i >> 2u)] >> ((i & 3u) * 8u)) & 0xffu, 1u);
  }
  ticks_ += e - bulk_;
  if (e < n) {
    bulk_ = e;
    pc_ = call_pc;
    return 0u;
  }
  bulk_ = 0u;
  return prog_words[off + 1u];
}

// wait(pid): the child's exit status once it is a zombie (and reaped);
// else the caller blocks (sched.glsl) and runs the call again when woken.
uint gi_wait(uint fp, uint call_pc) {
  const uint pid = ARG(0);
  const uint s = pid == 0u ? 0u : slot_of(pid);
  if (pid == 0u || pid >= 0x80000000u || LOAD_RELAXED(procs[s].pid) != pid || procs[s].ppid != cur_pid) {
    return WAIT_NOT_CHILD;
  }
  if (LOAD_RELAXED(procs[s].state) == PROC_ZOMBIE) {
    ACQUIRE_FENCE();
    const uint status = procs[s].exit_status;
    if (proc_reap(s)) {
      procs[cur_slot].children -= 1u;
      procs[cur_slot].wait_pid = 0u;
      return status;
    }
    return WAIT_NOT_CHILD;  // reaped by someone else: no longer a child
  }
  io_release_kept();  // the child may need it
  procs[cur_slot].wait_pid = pid;
  status_ = VM_ST_BLOCKED;
  pc_ = call_pc;
  return 0u;
}

// True when intrinsic `id` is a WASI function (id - GI_WASI_BASE is its WASI_*).
bool gi_is_wasi(uint id) { return id >= GI_WASI_BASE && id < GI_WASI_BASE + 64u; }

// The intrinsics the GPU runs alone: everything but a request to the host.
uint gi_on_gpu(uint id, uint fp, uint call_pc, uint lane, inout bool has_result) {
  uint r = 0u;
  switch (id) {
    case GI_EXIT:
      status_ = VM_ST_EXITED;
      aux_ = ARG(0);
      has_result = false;
      break;
    case GI_GETPID: r = cur_pid; break;
    case GI_GETPPID: r = procs[cur_slot].ppid; break;
    case GI_ARG: r = procs[cur_slot].arg; break;
    case GI_SPAWN: {
      const uint prog = ARG(0) == 0xffffffffu ? cur_prog : ARG(0);
      PROF_START(spawn_t0);
      r = proc_spawn_child(prog, ARG(1));  // in the caller's tree, within its limit
      PROF_STOP(spawn_t0, PROF_SPAWN);
      if (r < 0x80000000u) procs[cur_slot].children += 1u;
      ticks_ += 64u;  // a spawn's bitmap scans
      break;
    }
    case GI_WAIT: r = gi_wait(fp, call_pc); break;
    case GI_YIELD:
      status_ = VM_ST_YIELD;
      has_result = false;
      break;
    case GI_PRINT:
      gi_print(fp, call_pc, lane);
      has_result = false;
      break;
    case GI_MALLOC:
    case GI_FREE:
    case GI_CALLOC:
    case GI_REALLOC:
    case GI_ALIGNED_ALLOC:
      PROF_START(heap_t0);
      r = gi_heap(id, ARG(0), id == GI_MALLOC || id == GI_FREE ? 0u : ARG(1), call_pc);
      PROF_STOP(heap_t0, PROF_HEAP);
      has_result = id != GI_FREE;
      break;
    case GI_ARGS_SIZE: r = cur_argv_off == 0u ? 0u : prog_words[cur_argv_off]; break;
    case GI_ARGS_GET: r = gi_args_get(fp, call_pc); break;
    default:
      if (gi_is_wasi(id)) {
        r = gi_wasi(id - GI_WASI_BASE, fp, call_pc, lane, has_result);
      } else {
        trap_ = VM_TRAP_UNSUPPORTED_OP;
        aux_ = 0x0007u;
      }
      break;
  }
  return r;
}

void vm_intrinsic(uint id, uint fp, uint call_pc) {
  const uint lane = gl_GlobalInvocationID.x;
  bool has_result = true;
  uint r;
  // A request to the host goes to gi_request first thing, past the
  // dispatch of every other intrinsic (gi_on_gpu's switch, then gi_wasi's):
  // a request's call and its reply each ran through both. gi_request has
  // this one call site: llvmpipe's compile time grows with every inlined
  // copy of a big helper (docs/platform.md 2e).
  if (gi_is_wasi(id) && wasi_to_host(id - GI_WASI_BASE, fp)) {
    PROF_START(request_t0);
    r = gi_request(id - GI_WASI_BASE, fp, call_pc);
    PROF_STOP(request_t0, PROF_REQUEST);
  } else {
    r = gi_on_gpu(id, fp, call_pc, lane, has_result);
  }
  if (pc_ != call_pc && trap_ == 0u) {  // the call completed
    cur_requests += 1UL;
    procs[cur_slot].requests = cur_requests;
    if (has_result) SLOT(fp) = uint64_t(r);
  }
}
#undef ARG

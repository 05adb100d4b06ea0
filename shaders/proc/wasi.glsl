// wasi.glsl: WASI preview1 calls (module "wasi_snapshot_preview1"), as
// intrinsics GI_WASI_BASE + WASI_*. The ones the GPU can answer alone run
// here: the arguments and environment, proc_exit, sched_yield, and ENOSYS
// for functions gpuos does not serve. Everything else (files, clocks,
// randomness, sleeping) is a request to the host (io.glsl).
//
// The environment is the spawn's (`run`/`spawn --env`): a second list of
// strings right after the argv blob, in the same layout (env_off).

#define WARG(k) uint(SLOT(fp + (k)))

// Stores a 32-bit value at a guest address; false (and nothing stored) when
// it is out of bounds.
bool wasi_store32(uint addr, uint v) {
  if (uint64_t(addr) + 4UL > mem_bytes()) return false;
  store_part(uint64_t(addr), v, 4u);
  return true;
}

// The environment's list: the words right after the argv blob (bytes,
// count, strings), as Session::spawn lays them out; 0 when there is no blob.
uint env_off() {
  const uint off = cur_argv_off;
  return off == 0u ? 0u : off + 2u + ((prog_words[off] + 3u) >> 2u);
}

// The spawn's page cap (`spawn --max-memory`): the word after the
// environment's list, as Session::spawn lays it out; 0 when the spawn set
// none. A GPU-spawned child shares its ancestors' blob, and so their cap.
uint spawn_page_cap() {
  const uint e = env_off();
  return e == 0u ? 0u : prog_words[e + 2u + ((prog_words[e] + 3u) >> 2u)];
}

// args_get(argv, argv_buf) and environ_get(environ, environ_buf): copies a
// list's strings (the argv blob at `off`, or the environment's) to the
// buffer and points argv[k] at each, a chunk of bytes per step (resumable:
// bulk_ is the next byte, BLK_CALL_AUX the next index).
uint wasi_args_get(uint fp, uint call_pc, uint off) {
  if (off == 0u) return WASI_ESUCCESS;
  const uint argv = WARG(0), buf = WARG(1);
  const uint n = prog_words[off], argc = prog_words[off + 1u];
  if (uint64_t(buf) + n > mem_bytes() || uint64_t(argv) + 4UL * argc > mem_bytes()) return WASI_EFAULT;
  uint k = bulk_ == 0u ? 0u : blk_ref.w[BLK_CALL_AUX];
  const uint e = min(n, bulk_ + HEAP_COPY_BYTES);
  for (uint i = bulk_; i < e; ++i) {
    const uint b = (prog_words[off + 2u + (i >> 2u)] >> ((i & 3u) * 8u)) & 0xffu;
    const bool starts = i == 0u || ((prog_words[off + 2u + ((i - 1u) >> 2u)] >> (((i - 1u) & 3u) * 8u)) & 0xffu) == 0u;
    if (starts && k < argc) {
      store_part(uint64_t(argv + 4u * k), buf + i, 4u);
      k += 1u;
    }
    store_part(uint64_t(buf + i), b, 1u);
  }
  ticks_ += e - bulk_;
  if (e < n) {
    bulk_ = e;
    blk_ref.w[BLK_CALL_AUX] = k;
    pc_ = call_pc;
    return 0u;
  }
  bulk_ = 0u;
  return WASI_ESUCCESS;
}

// fd_write(1 or 2, iovs, n, nwritten): the bytes go to the debug ring as
// RECORD_STDOUT/STDERR records, one record a step (resumable: bulk_ is the
// bytes written so far). A full ring yields and writes on later; nothing is
// dropped.
uint wasi_write_stdio(uint fp, uint call_pc, uint lane) {
  const uint fd = WARG(0), iovs = WARG(1), n = WARG(2);
  const uint64_t mem = mem_bytes();
  if (uint64_t(iovs) + 8UL * n > mem) return WASI_EFAULT;
  uint total = 0u;
  bool bad = false;
  for (uint k = 0u; k < n; ++k) {
    const uint p = load32(uint64_t(iovs + 8u * k)), len = load32(uint64_t(iovs + 8u * k + 4u));
    bad = bad || uint64_t(p) + len > mem || uint64_t(total) + len > 0x7fffffffUL;
    total += len;
  }
  ticks_ += n;
  if (bad) return WASI_EFAULT;
  // The host could not write this stream (a full disk, a closed stdout):
  // the write fails as it would natively (docs/io.md, "Output errors"),
  // and nothing goes out. EPIPE (the reader went away) is the exception:
  // the bytes still go (the host drops them) and the write fails at its
  // end, so that the host sees a program that writes on regardless and
  // `gpuos run` can end it, as SIGPIPE would.
  if (bulk_ == 0u) {
    const uint e = io_output_error(fd);
    if (e != 0u && e != WASI_EPIPE) return e;
  }
  if (bulk_ < total) {
    uint pos;
    if (!ring_claim_one(pos)) {
      pc_ = call_pc;
      status_ = VM_ST_YIELD;
      return 0u;
    }
    const uint r = ring_slot(pos);
    const uint len = min(OUT_TEXT_MAX, total - bulk_);
    IoCursor c = io_cursor(WASI_FD_WRITE, fp);
    uvec4 quad = uvec4(0u);  // payload words, a quad (ring_put4) at a time
    for (uint i = 0u; i < 4u * OUT_KEY_WORD; ++i) {
      if (i < len) quad[(i >> 2u) & 3u] |= mem_byte(uint64_t(io_cursor_source(WASI_FD_WRITE, fp, c, bulk_ + i))) << (8u * (i & 3u));
      if ((i & 15u) == 15u) {
        ring_put4(r, i >> 4u, quad);
        quad = uvec4(0u);
      }
    }
    quad[3] = cur_argv_off;  // OUT_KEY_WORD, the last word
    ring_put4(r, OUT_KEY_WORD >> 2u, quad);
    ring_commit(pos, cur_pid, lane, fd == 1u ? RECORD_STDOUT : RECORD_STDERR, len);
    ticks_ += 4u * OUT_KEY_WORD;
    bulk_ += len;
  }
  if (bulk_ < total) {
    pc_ = call_pc;
    return 0u;
  }
  bulk_ = 0u;
  if (io_output_error(fd) == WASI_EPIPE) return WASI_EPIPE;
  return wasi_store32(WARG(3), total) ? WASI_ESUCCESS : WASI_EFAULT;
}

// The WASI functions below 32 that the GPU answers alone (gi_wasi), as
// bits; WASI_UNSUPPORTED is the other. The rest, and fd_write to a file,
// are requests to the host (wasi_to_host).
const uint WASI_ON_GPU = (1u << WASI_ARGS_GET) | (1u << WASI_ARGS_SIZES_GET) | (1u << WASI_ENVIRON_GET) |
                         (1u << WASI_ENVIRON_SIZES_GET) | (1u << WASI_PROC_EXIT) | (1u << WASI_SCHED_YIELD);

// True when WASI function `f` is a request to the host (gi_request).
bool wasi_to_host(uint f, uint fp) {
  if (f == WASI_FD_WRITE) return WARG(0) != 1u && WARG(0) != 2u;  // stdout and stderr: the debug ring
  if (f >= 32u) return f != WASI_UNSUPPORTED;
  return ((WASI_ON_GPU >> f) & 1u) == 0u;
}

// Runs WASI function `f`, one that the GPU answers (not wasi_to_host); the
// result (an errno) goes to the caller unless has_result comes back false
// (proc_exit).
uint gi_wasi(uint f, uint fp, uint call_pc, uint lane, inout bool has_result) {
  uint r = WASI_ESUCCESS;
  switch (f) {
    case WASI_ARGS_SIZES_GET: {
      const uint off = cur_argv_off;
      const uint argc = off == 0u ? 0u : prog_words[off + 1u], bytes = off == 0u ? 0u : prog_words[off];
      if (!wasi_store32(WARG(0), argc) || !wasi_store32(WARG(1), bytes)) r = WASI_EFAULT;
      break;
    }
    case WASI_ARGS_GET: r = wasi_args_get(fp, call_pc, cur_argv_off); break;
    case WASI_ENVIRON_SIZES_GET: {
      const uint off = env_off();
      const uint envc = off == 0u ? 0u : prog_words[off + 1u], bytes = off == 0u ? 0u : prog_words[off];
      if (!wasi_store32(WARG(0), envc) || !wasi_store32(WARG(1), bytes)) r = WASI_EFAULT;
      break;
    }
    case WASI_ENVIRON_GET: r = wasi_args_get(fp, call_pc, env_off()); break;
    case WASI_PROC_EXIT:
      status_ = VM_ST_EXITED;
      aux_ = WARG(0);
      has_result = false;
      break;
    case WASI_SCHED_YIELD: status_ = VM_ST_YIELD; break;
    case WASI_FD_WRITE: r = wasi_write_stdio(fp, call_pc, lane); break;  // stdout or stderr
    default: r = WASI_ENOSYS; break;  // WASI_UNSUPPORTED
  }
  return r;
}
#undef WARG

// stack.glsl: a process's call stack, and how it grows.
//
// The call stack is the control stack (two words per call level: return
// pc, caller fp) and the frame slots. It starts in the process block, after
// the tables (progs[].blk_ctl and blk_slots, depth_limit levels and
// slot_limit slots). A call that finds either part full ends its slice with
// VM_ST_STACK_FULL and pc_ still at the call (interp.glsl, vm_stack_full);
// the runner then moves the stack to a run of contiguous arena pages twice
// the size of the last (at least STACK_RUN_PAGES), a budget's worth of
// words per quantum, and the call runs again. In a run of W words:
//
//   words [0, W/8)    control stack: W/16 levels
//   words [W/8, W)    frame slots: (W - W/8) / 2 of 8 bytes
//
// so depth and slots grow together, and a frame's slots stay contiguous,
// as the interpreter addresses them (fp + i).
//
// Bounds: the run's pages count against the process's pages
// (BLK_PAGE_LIMIT, with its memory and heap: heap/grow.glsl); a call
// deeper than progs[].depth_cap (--max-call-depth), or a stack the
// process's pages or the arena cannot hold, traps "call stack exhausted"
// as before. Runs are whole words of the page bitmap (32 pages, 2 MiB), so
// one is claimed with a compare-and-swap per word. Free pages are zero
// (heap/pages.glsl): a run is zeroed before it goes back, by the move that
// leaves it or by the exit (stack_free_step).
//
// Naming: stk_* describe where the current process's stack is (the
// accessors SLOT and CTL in vm_glue.glsl go through them).

const uint STACK_RUN_PAGES = 32u;  // one page-bitmap word
const uint STACK_CHUNK = 64u;      // words or 16-byte units a step moves at least

// Points the stack accessors at the bound process's stack; `page` is its
// BLK_STK_PAGE (regs_load, sched.glsl).
void stack_bind(uint page) {
  if (page == 0u) {
    stk_ref = blk_ref;
    stkq_ref = blkq_ref;
    stk_ctl = blk_ctl;
    stk_slots = blk_slots;
    // cur_slot_limit and cur_depth_limit: the program's (proc_bind_program)
  } else {
    const uint w = blk_ref.w[BLK_STK_PAGES] * PAGE_WORDS;
    const uint64_t a = page_address(page - 1u);
    stk_ref = Words(a);
    stkq_ref = Qwords(a);
    stk_ctl = 0u;
    stk_slots = w / 8u;
    cur_depth_limit = min(w / 16u, cur_depth_cap);
    cur_slot_limit = (w - w / 8u) / 2u;
  }
}

// The size of the run the next move fills: twice the stack's, at least one
// bitmap word.
uint stack_next_pages() { return max(2u * blk_ref.w[BLK_STK_PAGES], STACK_RUN_PAGES); }

// The interpreter's question (vm_stack_full): is a full stack to grow?
// Not past the depth cap; memory is checked when the move starts.
bool vm_stack_can_grow() { return depth_ < cur_depth_cap; }

// Claims n consecutive all-free words of the page bitmap (n * 32 pages of
// contiguous arena) for pages the caller has reserved; returns the first
// page or NONE. A word another lane takes meanwhile makes its compare-and-
// swap fail: the words taken so far go back and the scan goes on past it.
// One exit from each loop (bitmap.glsl says why).
uint page_run_claim(uint n) {
  const uint nwords = sys_boot.arena_pages >> 5u;
  const uint off = sys_boot.page_bits_off;
  uint found = NONE;
  uint run = 0u;  // free words in a row, ending at word w
  for (uint w = 0u; w < nwords && found == NONE; ++w) {
    run = LOAD_RELAXED(bits[off + w]) == 0u ? run + 1u : 0u;
    ticks_++;
    if (run == n) {
      const uint first = w + 1u - n;
      uint taken = 0u;
      bool lost = false;
      for (uint k = 0u; k < n && !lost; ++k) {
        lost = atomicCompSwap(bits[off + first + k], 0u, 0xffffffffu) != 0u;
        if (!lost) taken = k + 1u;
      }
      for (uint k = 0u; k < taken && lost; ++k) atomicExchange(bits[off + first + k], 0u);
      ticks_ += n;
      if (lost) run = 0u;
      else found = first * 32u;
    }
  }
  return found;
}

// Gives back a zeroed run of `pages` pages from `first` (and its reservation).
void page_run_release(uint first, uint pages) {
  RELEASE_FENCE();  // the zeroing stores before the bits say "free"
  for (uint k = 0u; k < pages / 32u; ++k) atomicExchange(bits[sys_boot.page_bits_off + (first >> 5u) + k], 0u);
  atomicAdd(sys.pages_used, 0u - pages);
  ticks_ += pages / 32u;
}

// Zeroes 16-byte units [pos, end) of the run at `page`, as far as the
// budget goes; returns where it stopped.
uint run_zero(uint page, uint pos, uint end, uint budget) {
  Quads q = Quads(page_address(page));
  const uint e = min(end, pos + max(budget - min(budget, ticks_), STACK_CHUNK));
  for (uint i = pos; i < e; ++i) q.v[i] = uvec4(0u);
  ticks_ += e - pos;
  return e;
}

// One quantum's share of a move: GROW_DONE (the stack is in its new run;
// the call runs again), GROW_MORE, or GROW_FAILED (the call traps). Every
// slot moves: the caller's operands above the callee's arguments are live
// too (call_indirect's table index is one), and no register says where the
// caller's frame ends. Sizes double, so the copying stays in proportion.
uint stack_grow_step(uint budget) {
  const uint old_page = blk_ref.w[BLK_STK_PAGE];
  const uint old_pages = blk_ref.w[BLK_STK_PAGES];
  const uint new_pages = stack_next_pages();
  uint dst = blk_ref.w[BLK_STK_NEW];
  if (dst == 0u) {
    // what it holds besides the stack it leaves: that run goes back at the end
    const uint held = pages_held(blk_ref.w[BLK_MAPPED]) - old_pages;
    if (uint64_t(held) + new_pages > uint64_t(blk_ref.w[BLK_PAGE_LIMIT]) || !pages_reserve(new_pages)) return GROW_FAILED;
    const uint first = page_run_claim(new_pages / 32u);
    if (first == NONE) {
      pages_unreserve(new_pages);
      return GROW_FAILED;
    }
    dst = first + 1u;
    blk_ref.w[BLK_STK_NEW] = dst;
    blk_ref.w[BLK_STK_POS] = 0u;
  }
  // Words to copy: the control stack's levels in use, then the live slots;
  // then (leaving a run) 16-byte units of the old run to zero.
  const uint nw = new_pages * PAGE_WORDS;
  const uint ctl_words = 2u * depth_, slot_words = 2u * cur_slot_limit;
  const uint copy = ctl_words + slot_words;
  const uint zero = old_page == 0u ? 0u : old_pages * (PAGE_BYTES / 16u);
  Words to = Words(page_address(dst - 1u));
  uint pos = blk_ref.w[BLK_STK_POS];
  if (pos < copy) {
    const uint e = min(copy, pos + max(budget - min(budget, ticks_), STACK_CHUNK));
    for (uint i = pos; i < e; ++i) {
      if (i < ctl_words) to.w[i] = stk_ref.w[stk_ctl + i];
      else to.w[nw / 8u + i - ctl_words] = stk_ref.w[stk_slots + i - ctl_words];
    }
    ticks_ += e - pos;
    pos = e;
  }
  if (pos >= copy && pos < copy + zero) pos = copy + run_zero(old_page - 1u, pos - copy, zero, budget);
  blk_ref.w[BLK_STK_POS] = pos;
  if (pos < copy + zero) return GROW_MORE;
  if (old_page != 0u) page_run_release(old_page - 1u, old_pages);
  blk_ref.w[BLK_STK_PAGE] = dst;
  blk_ref.w[BLK_STK_PAGES] = new_pages;
  blk_ref.w[BLK_STK_NEW] = 0u;
  blk_ref.w[BLK_STK_POS] = 0u;
  show_pages_held(blk_ref.w[BLK_MAPPED]);
  atomicAdd(sys.stack_moves, 1u);
  stack_bind(dst);
  vm_slot_forget();
  return GROW_DONE;
}

// The exit's share: zeroes and gives back a run a move was filling, then
// the stack's run, a budget's worth at a time, with progress in
// BLK_PHASE_POS (16-byte units; the memory pages before left it 0). True
// when no run is left.
bool stack_free_step(uint budget) {
  uint pos = blk_ref.w[BLK_PHASE_POS];
  bool more = true;
  for (uint round = 0u; round < 2u && more && ticks_ < budget; ++round) {
    const bool filling = blk_ref.w[BLK_STK_NEW] != 0u;
    const uint page = filling ? blk_ref.w[BLK_STK_NEW] : blk_ref.w[BLK_STK_PAGE];
    if (page == 0u) {
      more = false;
    } else {
      const uint pages = filling ? stack_next_pages() : blk_ref.w[BLK_STK_PAGES];
      const uint units = pages * (PAGE_BYTES / 16u);
      pos = run_zero(page - 1u, pos, units, budget);
      if (pos == units) {
        page_run_release(page - 1u, pages);
        pos = 0u;
        if (filling) {
          blk_ref.w[BLK_STK_NEW] = 0u;
        } else {
          blk_ref.w[BLK_STK_PAGE] = 0u;
          blk_ref.w[BLK_STK_PAGES] = 0u;
        }
      }
    }
  }
  blk_ref.w[BLK_PHASE_POS] = pos;
  const bool done = blk_ref.w[BLK_STK_NEW] == 0u && blk_ref.w[BLK_STK_PAGE] == 0u;
  if (done) show_pages_held(blk_ref.w[BLK_MAPPED]);
  return done;
}

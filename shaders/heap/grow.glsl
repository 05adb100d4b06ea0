// grow.glsl: new pages at the end of a process's linear memory, for
// memory.grow and for the heap's slabs and large runs. Nothing is copied:
// a page-table entry per page.
//
// Resumable like the bulk instructions (ops_bulk.glsl): at most GROW_CHUNK
// pages per execution, and while a grow is under way bulk_ is non-zero, so
// the instruction (or intrinsic) runs again. The pages are reserved up
// front with the page table's extension pages they need (BLK_PENDING
// counts those not yet claimed), so "out of pages" is known before any is
// mapped; BLK_MAPPED counts the entries in use, so an exit in the middle of
// a grow gives back both; MEM_PAGES moves only when all are mapped, so the
// guest never sees half.
const uint GROW_CHUNK = 8u;
const uint GROW_DONE = 0u;
const uint GROW_FAILED = 1u;
const uint GROW_MORE = 2u;

// Pages the process holds: `mapped` page-table entries, the table's
// extension pages (proc/page_table.glsl), its call stack's run once the
// stack moved (proc/stack.glsl), and its parts' run if it has one
// (ProgramDesc.parts_pages). BLK_PAGE_LIMIT bounds this sum;
// ProcEntry.pages shows it, and pages_peak its highest.
uint pages_held(uint mapped) {
  const uint parts = blk_ref.w[BLK_PARTS_PAGE] != 0u ? progs[cur_prog].parts_pages : 0u;
  return mapped + pt_ext_pages(mapped) + blk_ref.w[BLK_STK_PAGES] + parts;
}
void show_pages_held(uint mapped) {
  const uint held = pages_held(mapped);
  procs[cur_slot].pages = held;
  procs[cur_slot].pages_peak = max(procs[cur_slot].pages_peak, held);
}

uint grow_cap() { return min(META(VM_META_MEM_CAP_PAGES), sys_boot.max_pages); }

// Grows memory by n pages tagged tag_first (first page) and tag_rest.
uint grow_step(uint n, uint tag_first, uint tag_rest) {
  const uint old = META(VM_META_MEM_PAGES);
  if (bulk_ == 0u) {
    if (n == 0u) return GROW_DONE;
    // old + n is checked first, so the sums below stay within 32 bits
    const bool fits = META(VM_META_HAS_MEMORY) != 0u && uint64_t(old) + n <= uint64_t(grow_cap());
    const uint held = pages_held(blk_ref.w[BLK_MAPPED]);
    const uint add = fits ? n + pt_ext_pages(old + n) - pt_ext_pages(old) : 0u;
    if (!fits || uint64_t(held) + add > uint64_t(blk_ref.w[BLK_PAGE_LIMIT]) || !pages_reserve(add)) {
      atomicAdd(sys.grow_failed, 1u);
      return GROW_FAILED;
    }
    blk_ref.w[BLK_PENDING] = add;
    bulk_ = 1u;
  }
  bool ok = true;
  uint mapped = blk_ref.w[BLK_MAPPED];
  uint pending = blk_ref.w[BLK_PENDING];
  const uint e = min(old + n, mapped + GROW_CHUNK);
  for (uint i = mapped; i < e && ok; ++i) {
    const uint taken = pt_map_new(blk_ref, i, i == old ? tag_first : tag_rest);
    ok = taken != 0u;
    pending -= taken;
    if (ok) mapped = i + 1u;
  }
  ticks_ += GROW_CHUNK;
  blk_ref.w[BLK_MAPPED] = mapped;
  show_pages_held(mapped);
  blk_ref.w[BLK_PENDING] = pending;
  if (!ok) {  // rare (page_claim says why): undo; the pages are still zero
    for (uint i = mapped; i > old; --i) pt_unmap_release(blk_ref, i - 1u);
    pages_unreserve(pending);
    ticks_ += mapped - old;
    blk_ref.w[BLK_MAPPED] = old;
    show_pages_held(old);
    blk_ref.w[BLK_PENDING] = 0u;
    bulk_ = 0u;
    atomicAdd(sys.grow_failed, 1u);
    return GROW_FAILED;
  }
  if (mapped < old + n) return GROW_MORE;
  bulk_ = 0u;
  META(VM_META_MEM_PAGES) = old + n;
  return GROW_DONE;
}

// memory.grow d a (the interpreter's hook): -1 when the pages or the cap
// say no, as the spec allows.
uint vm_memory_grow() {
  const uint old = META(VM_META_MEM_PAGES);
  const uint r = grow_step(uint(S(O(1u))), PTE_TAG_PLAIN, PTE_TAG_PLAIN);
  if (r == GROW_MORE) return pc_;
  W(O(0u), r == GROW_DONE ? uint64_t(old) : 0xffffffffUL);
  return pc_ + 3u;
}

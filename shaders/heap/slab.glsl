// slab.glsl: the slab heap behind stdshim's malloc family (abi_heap.h has
// the glossary and the size-class table). Runs inside the gpuos intrinsics
// (proc/intrinsics.glsl), on the lane that runs the process, over that
// process's own block and memory: no locks, no atomics, except the page
// bitmap when a slab is refilled and the statistics flushed per quantum.
//
// Results are linear-memory offsets; 0 means failure (out of pages, over
// the memory cap, a module without memory, or a size beyond 4 GiB).
//
// A free() of anything but a live block (abi_heap.h, "bad free") is
// counted and ignored: a block is live from its malloc to its free, and
// checking that takes its page's tag, its offset, the class's bump and the
// free mark, so no bad free reaches a free list.

// Free-list links are the first word of a block, and blocks are 16-byte
// aligned, so links are read and written as whole words of linear memory.
#define HS(i) blk_ref.w[BLK_HEAP + (i)]

// Size classes whose counters changed this quantum (heap_flush_stats).
uint heap_touched_ = 0u;

uint heap_class_of(uint size) {
  if (size <= 48u) return max(1u, (size + 15u) >> 4u);
  const uint p = uint(findMSB(size - 1u));  // 2^p < size <= 2^(p+1), p >= 5
  return size <= (3u << (p - 1u)) ? 2u * p - 7u : 2u * p - 6u;
}

uint pte_tag(uint addr) { return pte(addr >> 16u) >> PTE_TAG_SHIFT; }

void heap_count(uint c, uint counter, uint bytes, bool alloc) {
  HS(counter + c) += 1u;
  heap_touched_ |= 1u << c;
  if (alloc) procs[cur_slot].heap_live += bytes;
  else procs[cur_slot].heap_live -= bytes;
}

// The free mark of the block at p (abi_heap.h): p xor the process's key,
// odd, so never 0 (a fresh page's word) nor a 16-aligned link. The key is
// made on first use from the pid and the clock; it need not be secret, only
// unlikely to meet by chance in a live block's second word (a guest that
// forges marks on purpose can only hurt its own heap).
uint heap_free_mark(uint p) {
  uint key = HS(HS_KEY);
  if (key == 0u) {
    key = ((cur_pid * 0x9E3779B9u) ^ (LOAD_RELAXED(ctrl.clock_ms) * 0x85EBCA6Bu) ^ uint(cur_instructions)) | 1u;
    HS(HS_KEY) = key;
  }
  return p ^ key;
}

// True when p is where a block of class c can start: inside memory, on a
// slab of c, at a multiple of the size, with the whole block in the page.
bool heap_block_ok(uint p, uint c) {
  const uint size = heap_class_size(c);
  const uint off = p & 0xffffu;
  return p != 0u && uint64_t(p) < mem_bytes() && pte_tag(p) == c && off % size == 0u && off + size <= PAGE_BYTES;
}

// A free-list head is guest memory: accept it only if it is a block of
// class c that bears its free mark; anything else drops the list (only
// this process's own heap can have been corrupted). A block that is on a
// list twice is caught the same way: its first pop cleared its mark.
bool heap_free_head_ok(uint p, uint c) {
  return heap_block_ok(p, c) && mem_load_word((p >> 2u) + 1u) == heap_free_mark(p);
}

// The class (1..HEAP_CLASSES) of the live small block at p, 0 for a live
// large run, NONE for anything else: a free block, a block of the newest
// slab never handed out (at or past its bump), a pointer inside a block,
// beyond the slab's last block, into plain memory, or out of memory.
uint heap_live_class(uint p) {
  if (p == 0u || uint64_t(p) >= mem_bytes()) return NONE;
  const uint tag = pte_tag(p);
  if (tag == PTE_TAG_LARGE) return (p & 0xffffu) == 0u ? 0u : NONE;
  if (tag < 1u || tag > HEAP_CLASSES || !heap_block_ok(p, tag)) return NONE;
  const uint end = HS(HS_END + tag);
  if (end != 0u && (p >> 16u) == ((end - 1u) >> 16u) && p >= HS(HS_BUMP + tag)) return NONE;
  return mem_load_word((p >> 2u) + 1u) == heap_free_mark(p) ? NONE : tag;
}

// Counts a bad free in the row of the class p's page holds (else row 0).
void heap_bad_free(uint p) {
  const uint tag = p != 0u && uint64_t(p) < mem_bytes() ? pte_tag(p) : 0u;
  atomicAdd(heap_stats[tag >= 1u && tag <= HEAP_CLASSES ? tag : 0u].bad_frees, 1u);
}

void pte_set_tag(uint page, uint tag) {
  pt_set(blk_ref, page, (pte(page) & PTE_PAGE_MASK) | (tag << PTE_TAG_SHIFT));
}

// Pages a large run starting at page `first` holds (its LARGE_TAIL pages + 1).
uint heap_run_pages(uint first) {
  const uint limit = META(VM_META_MEM_PAGES);
  uint n = 1u;
  for (bool more = true; more && first + n < limit;) {
    more = (pte(first + n) >> PTE_TAG_SHIFT) == PTE_TAG_LARGE_TAIL;
    if (more) ++n;
  }
  ticks_ += n;
  return n;
}

// Small allocation of class c. GROW_MORE while a refill is under way.
uint heap_alloc_small(uint c, out uint status) {
  status = GROW_DONE;
  const uint size = heap_class_size(c);
  uint p = HS(HS_FREE + c);
  if (p != 0u && !heap_free_head_ok(p, c)) {
    HS(HS_FREE + c) = 0u;
    p = 0u;
  }
  if (p != 0u) {
    HS(HS_FREE + c) = mem_load_word(p >> 2u);
    mem_store_word((p >> 2u) + 1u, 0u);  // the mark: live again
  } else if (HS(HS_BUMP + c) != 0u && HS(HS_BUMP + c) + size <= HS(HS_END + c)) {
    p = HS(HS_BUMP + c);
    HS(HS_BUMP + c) = p + size;
  } else {  // refill: one new page becomes a slab of this class
    const uint first = META(VM_META_MEM_PAGES);
    status = grow_step(1u, c, c);
    if (status != GROW_DONE) return 0u;
    p = first << 16u;
    HS(HS_BUMP + c) = p + size;
    HS(HS_END + c) = p + PAGE_BYTES - PAGE_BYTES % size;
    atomicAdd(heap_stats[c].slabs, 1u);
  }
  heap_count(c, HS_ALLOCS, size, true);
  return p;
}

// Large allocation: a reused run (first fit over at most 8 list entries)
// or a new one grown at the end of memory.
uint heap_alloc_large(uint size, out uint status) {
  status = GROW_DONE;
  // In 64 bits: (size + 0xffff) wraps for sizes near 4 GiB, and a run of 0
  // pages would be the end of memory, which the next grow hands out again.
  const uint want = uint((uint64_t(size) + 0xffffUL) >> 16u);  // <= 65536: grow_step refuses it
  if (bulk_ == 0u) {
    uint prev = 0u, p = HS(HS_FREE);
    uint found = 0u;
    for (uint k = 0u; k < 8u && p != 0u && found == 0u; ++k) {
      if (uint64_t(p) >= mem_bytes() || (p & 0xffffu) != 0u || pte_tag(p) != PTE_TAG_LARGE_FREE) {
        p = 0u;  // a corrupt link: stop here and keep what came before
      } else if (heap_run_pages(p >> 16u) >= want) {
        found = p;
      } else {
        prev = p;
        p = mem_load_word(p >> 2u);
      }
    }
    ticks_ += 8u;
    if (found != 0u) {
      const uint next = mem_load_word(found >> 2u);
      if (prev == 0u) HS(HS_FREE) = next;
      else mem_store_word(prev >> 2u, next);
      mem_store_word(found >> 2u, 0u);  // the link word was the only write
      pte_set_tag(found >> 16u, PTE_TAG_LARGE);
      heap_count(0u, HS_ALLOCS, heap_run_pages(found >> 16u) << 16u, true);
      return found;
    }
  }
  status = grow_step(want, PTE_TAG_LARGE, PTE_TAG_LARGE_TAIL);
  if (status != GROW_DONE) return 0u;
  atomicAdd(heap_stats[0].slabs, want);
  heap_count(0u, HS_ALLOCS, want << 16u, true);
  return (META(VM_META_MEM_PAGES) - want) << 16u;
}

uint heap_alloc(uint size, out uint status) {
  if (size > HEAP_MAX_SMALL) return heap_alloc_large(size, status);
  return heap_alloc_small(heap_class_of(max(size, 1u)), status);
}

// Usable bytes of the live block at p (0: not a live heap block).
uint heap_block_size(uint p) {
  const uint c = heap_live_class(p);
  if (c == NONE) return 0u;
  return c != 0u ? heap_class_size(c) : heap_run_pages(p >> 16u) << 16u;
}

void heap_free(uint p) {
  if (p == 0u) return;
  const uint c = heap_live_class(p);
  if (c == NONE) {
    heap_bad_free(p);  // not a live block: ignored, counted
  } else if (c != 0u) {
    mem_store_word(p >> 2u, HS(HS_FREE + c));
    mem_store_word((p >> 2u) + 1u, heap_free_mark(p));
    HS(HS_FREE + c) = p;
    heap_count(c, HS_FREES, heap_class_size(c), false);
  } else {
    const uint bytes = heap_run_pages(p >> 16u) << 16u;
    mem_store_word(p >> 2u, HS(HS_FREE));
    HS(HS_FREE) = p;
    pte_set_tag(p >> 16u, PTE_TAG_LARGE_FREE);
    heap_count(0u, HS_FREES, bytes, false);
  }
}

// Adds this quantum's per-class counts to the global statistics.
void heap_flush_stats() {
  uint touched = heap_touched_;
  heap_touched_ = 0u;
  for (uint k = 0u; k < 32u && touched != 0u; ++k) {
    const uint c = uint(findLSB(touched));
    touched &= touched - 1u;
    if (HS(HS_ALLOCS + c) != 0u) atomicAdd(heap_stats[c].allocs, HS(HS_ALLOCS + c));
    if (HS(HS_FREES + c) != 0u) atomicAdd(heap_stats[c].frees, HS(HS_FREES + c));
    HS(HS_ALLOCS + c) = 0u;
    HS(HS_FREES + c) = 0u;
  }
}

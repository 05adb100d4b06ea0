// slab.glsl: the slab heap behind stdshim's malloc family (abi_heap.h has
// the glossary and the size-class table). Runs inside the gpuos intrinsics
// (proc/intrinsics.glsl), on the lane that runs the process, over that
// process's own block and memory: no locks, no atomics, except the page
// bitmap when a slab is refilled and the statistics flushed per quantum.
//
// Results are linear-memory offsets; 0 means failure (out of pages, over
// the memory cap, a module without memory, or a size beyond 4 GiB).

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

// A free-list head is guest memory: accept it only if it is a block of
// class c inside memory; anything else drops the list (only this process's
// own heap can have been corrupted).
bool heap_block_ok(uint p, uint c) {
  const uint size = heap_class_size(c);
  return p != 0u && uint64_t(p) < mem_bytes() && pte_tag(p) == c && ((p & 0xffffu) % size) == 0u;
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
  if (p != 0u && !heap_block_ok(p, c)) {
    HS(HS_FREE + c) = 0u;
    p = 0u;
  }
  if (p != 0u) {
    HS(HS_FREE + c) = mem_load_word(p >> 2u);
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
  const uint want = (size + 0xffffu) >> 16u;
  if (bulk_ == 0u) {
    uint prev = 0u, p = HS(HS_FREE);
    uint found = 0u;
    for (uint k = 0u; k < 8u && p != 0u && found == 0u; ++k) {
      if (uint64_t(p) >= mem_bytes() || (p & 0xffffu) != 0u || pte_tag(p) != PTE_TAG_LARGE) {
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

// Usable bytes of the block at p (0: not a heap block).
uint heap_block_size(uint p) {
  if (p == 0u || uint64_t(p) >= mem_bytes()) return 0u;
  const uint tag = pte_tag(p);
  if (tag >= 1u && tag <= HEAP_CLASSES) return heap_class_size(tag);
  if (tag == PTE_TAG_LARGE && (p & 0xffffu) == 0u) return heap_run_pages(p >> 16u) << 16u;
  return 0u;
}

void heap_free(uint p) {
  if (p == 0u) return;
  const uint tag = uint64_t(p) < mem_bytes() ? pte_tag(p) : 0u;
  if (tag >= 1u && tag <= HEAP_CLASSES && ((p & 0xffffu) % heap_class_size(tag)) == 0u) {
    mem_store_word(p >> 2u, HS(HS_FREE + tag));
    HS(HS_FREE + tag) = p;
    heap_count(tag, HS_FREES, heap_class_size(tag), false);
  } else if (tag == PTE_TAG_LARGE && (p & 0xffffu) == 0u) {
    const uint bytes = heap_run_pages(p >> 16u) << 16u;
    mem_store_word(p >> 2u, HS(HS_FREE));
    HS(HS_FREE) = p;
    heap_count(0u, HS_FREES, bytes, false);
  } else {
    atomicAdd(heap_stats[0].bad_frees, 1u);  // not a block: ignored, counted
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

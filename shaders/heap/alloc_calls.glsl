// alloc_calls.glsl: the malloc family as gpuos intrinsics, over slab.glsl.
// calloc's zeroing and realloc's copy are resumable (at most
// HEAP_COPY_BYTES per execution; BLK_HEAP_TMP holds the new block and
// BLK_HEAP_POS the progress + 1), so no call runs a long loop (the
// lavapipe loop budget) and the quantum stays bounded.
//
// All five calls go through gi_heap, which calls heap_alloc, the copy loop
// and heap_free once each: llvmpipe inlines every call site, and its
// compile time grows far faster than the inlined size (docs/platform.md 2e).
const uint HEAP_COPY_BYTES = 256u;

// Copies (src != 0) or zeroes bytes [pos, end) of dst in whole words: both
// blocks are 16-byte aligned, and their sizes are multiples of 16 at least
// `end` (a class size, or whole pages).
void heap_copy_chunk(uint dst, uint src, uint pos, uint end) {
  for (uint i = pos; i < end; i += 4u) {
    mem_store_word((dst + i) >> 2u, src == 0u ? 0u : mem_load_word((src + i) >> 2u));
  }
  ticks_ += (end - pos + 3u) >> 2u;
}

// The call `id` (GI_MALLOC, FREE, CALLOC, REALLOC, ALIGNED_ALLOC) with
// arguments a0, a1; returns its result, or sets pc_ = call_pc (and returns
// 0) to run again.
uint gi_heap(uint id, uint a0, uint a1, uint call_pc) {
  const uint NO_ALLOC = 0xffffffffu;
  uint want = NO_ALLOC;     // bytes to allocate
  uint src = 0u, len = 0u;  // then copy len bytes from src into the new block (src 0: zero them)
  uint release = 0u;        // a block to free at the end
  const bool copying = blk_ref.w[BLK_HEAP_POS] != 0u;  // a calloc or realloc resumed mid-copy
  switch (id) {
    case GI_MALLOC: want = a0; break;
    case GI_FREE: release = a0; break;
    case GI_CALLOC: {
      const uint64_t total = uint64_t(a0) * uint64_t(a1);
      if (total > 0xffffffffUL) return 0u;
      want = uint(total);
      len = want;  // a reused block is dirty
      break;
    }
    case GI_REALLOC: {
      if (a0 == 0u) {
        want = a1;
        break;
      }
      const uint old = heap_block_size(a0);
      if (!copying) {
        if (a1 == 0u) {
          release = a0;
          break;
        }
        if (old == 0u) {  // not a live block: NULL, and the pointer is left alone
          heap_bad_free(a0);
          return 0u;
        }
        if (a1 <= old) return a0;  // shrinking keeps the block
      }
      want = a1;
      src = a0;
      len = old;
      break;
    }
    case GI_ALIGNED_ALLOC: {
      const uint align = a0, size = a1, need = max(a1, a0);
      if (align == 0u || (align & (align - 1u)) != 0u || align > PAGE_BYTES) return 0u;
      if (align <= HEAP_MIN_ALIGN) want = size;               // every block is aligned so
      else if (need <= HEAP_MAX_SMALL) want = 1u << (uint(findMSB(need - 1u)) + 1u);  // a power-of-two class
      else want = need;                                        // a large run: page aligned
      break;
    }
  }

  uint p = 0u;
  if (want != NO_ALLOC) {
    if (!copying) {
      uint st;
      p = heap_alloc(want, st);
      if (st == GROW_MORE) {
        pc_ = call_pc;
        return 0u;
      }
      if (p == 0u || len == 0u) return p;  // a failed realloc leaves its block valid, as C requires
      blk_ref.w[BLK_HEAP_TMP] = p;
      blk_ref.w[BLK_HEAP_POS] = 1u;
    }
    p = blk_ref.w[BLK_HEAP_TMP];
    const uint pos = blk_ref.w[BLK_HEAP_POS] - 1u;
    const uint end = min(len, pos + HEAP_COPY_BYTES);
    heap_copy_chunk(p, src, pos, end);
    if (end < len) {
      blk_ref.w[BLK_HEAP_POS] = end + 1u;
      pc_ = call_pc;
      return 0u;
    }
    blk_ref.w[BLK_HEAP_POS] = 0u;
    release = src;  // realloc's old block; none for calloc
  }
  heap_free(release);
  return p;
}

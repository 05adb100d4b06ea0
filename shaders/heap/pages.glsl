// pages.glsl: the page allocator. 64 KiB arena pages, one bit each in the
// page bitmap. A caller first reserves pages on the pages_used counter, so
// "out of pages" is decided once, by one atomic, and a reservation always
// has free bits behind it; the claims that follow only have to find them.
//
// Free pages are all zero: the arena is zeroed at boot and a page is zeroed
// before it is released (proc/exit.glsl), so a new page needs no work and
// a process never sees another's data.

// Reserves n pages; false (nothing reserved) when the arena lacks them.
bool pages_reserve(uint n) {
  if (n == 0u) return true;
  const uint before = atomicAdd(sys.pages_used, n);
  if (uint64_t(before) + n > uint64_t(sys_boot.arena_pages)) {
    atomicAdd(sys.pages_used, 0u - n);
    return false;
  }
  return true;
}

void pages_unreserve(uint n) { atomicAdd(sys.pages_used, 0u - n); }

// Claims one reserved page. Two full passes at most: with a reservation
// held a free bit exists, but others' claims and frees may move it behind
// the scan once. NONE only in that rare case (the caller unreserves).
uint page_claim() {
  const uint nwords = sys_boot.arena_pages >> 5u;
  const uint start = atomicAdd(sys.page_hint, 1u) % nwords;
  return bitmap_claim(sys_boot.page_bits_off, nwords, start, 2u * nwords);
}

// Gives back a page claimed but never written, keeping its reservation for
// the caller (proc/page_table.glsl's failed map).
void page_unclaim(uint page) { bitmap_clear(sys_boot.page_bits_off, page); }

// Gives back a zeroed page claimed earlier (and its reservation).
void page_release(uint page) {
  RELEASE_FENCE();  // the zeroing stores before the bit says "free"
  bitmap_clear(sys_boot.page_bits_off, page);
  atomicAdd(sys.pages_used, 0xffffffffu);
}

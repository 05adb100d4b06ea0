// page_table.glsl: a process's page table, from a linear-memory page to the
// arena page behind it (the entry's low 24 bits; a heap tag in the top 8).
//
// Two levels (abi_proc.h). Entry i < PT_DIRECT_PAGES is block word
// BLK_PAGE_TABLE + i. Past those, entry i is word
// (i - PT_DIRECT_PAGES) % PT_EXT_ENTRIES of an extension page: an arena
// page named (+ 1; 0 while there is none) by the directory word
// pt_dir_word(i) that follows the direct entries in the block. A memory
// under 64 MiB never leaves the block, so the interpreter pays one compare;
// a memory of 4 GiB takes four extension pages, and the block's table is
// 1,028 words at most, whatever the session's limit.
//
// Entries are added at the end (spawn, grow) and taken away from the end
// (exit, a failed grow). pt_map_new claims an extension page with its first
// entry, and pt_unmap_release clears extension entries and gives the page
// back with its first entry. So an extension page is all zero when it goes
// back, as free pages must be (heap/pages.glsl), and a table of n entries
// holds pt_ext_pages(n) pages (abi_proc.h), which callers reserve with the
// memory pages.

uint pt_dir_word(uint i) { return BLK_PAGE_TABLE + PT_DIRECT_PAGES + (i - PT_DIRECT_PAGES) / PT_EXT_ENTRIES; }

bool pt_starts_ext_page(uint i) { return i >= PT_DIRECT_PAGES && (i - PT_DIRECT_PAGES) % PT_EXT_ENTRIES == 0u; }

uint pt_get(Words blk, uint i) {
  if (i < PT_DIRECT_PAGES) return blk.w[BLK_PAGE_TABLE + i];
  return Words(page_address(blk.w[pt_dir_word(i)] - 1u)).w[(i - PT_DIRECT_PAGES) % PT_EXT_ENTRIES];
}

// Rewrites mapped entry i (the heap's tags).
void pt_set(Words blk, uint i, uint v) {
  if (i < PT_DIRECT_PAGES) {
    blk.w[BLK_PAGE_TABLE + i] = v;
  } else {
    Words(page_address(blk.w[pt_dir_word(i)] - 1u)).w[(i - PT_DIRECT_PAGES) % PT_EXT_ENTRIES] = v;
  }
}

// Maps entry i, the table's next, to a newly claimed page tagged `tag`,
// claiming first the extension page the entry needs. Returns how many of
// the caller's reserved pages it took (1, or 2 with an extension page); 0
// in page_claim's rare failure, with nothing claimed and the reservations
// still the caller's.
uint pt_map_new(Words blk, uint i, uint tag) {
  const bool starts = pt_starts_ext_page(i);
  const uint ext = starts ? page_claim() : 0u;
  const uint page = ext != NONE ? page_claim() : NONE;
  if (page == NONE) {
    if (starts && ext != NONE) page_unclaim(ext);
    return 0u;
  }
  if (starts) blk.w[pt_dir_word(i)] = ext + 1u;
  pt_set(blk, i, page | (tag << PTE_TAG_SHIFT));
  return starts ? 2u : 1u;
}

// Gives back the zeroed page of entry i, the table's last, and the
// extension page when i was its first entry.
void pt_unmap_release(Words blk, uint i) {
  page_release(pt_get(blk, i) & PTE_PAGE_MASK);
  if (i >= PT_DIRECT_PAGES) {
    pt_set(blk, i, 0u);
    if (pt_starts_ext_page(i)) {
      const uint w = pt_dir_word(i);
      page_release(blk.w[w] - 1u);
      blk.w[w] = 0u;
    }
  }
}

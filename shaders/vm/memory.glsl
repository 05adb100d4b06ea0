// memory.glsl: linear memory 0 as uint words, byte addressed, over the
// includer's mem_load_word/mem_store_word (interp.glsl). Unaligned and
// sub-word accesses are assembled from (at most) two words; a read at the
// very end touches the word past the last page (vm_run.comp: the buffer's
// pad word), so mem_load_word must tolerate that index.
// Stores are read-modify-write of whole words, not atomic: two lanes storing
// to neighbouring bytes of one word at once would lose one (lanes sharing a
// memory are a first-cut non-goal; the spec executor runs one lane).

uint64_t mem_bytes() { return uint64_t(META(VM_META_MEM_PAGES)) << 16; }

uint load32(uint64_t ea) {
  uint w = uint(ea >> 2), s = uint(ea & 3UL) * 8u;
  if (s == 0u) return mem_load_word(w);
  return (mem_load_word(w) >> s) | (mem_load_word(w + 1u) << (32u - s));
}

uint mem_byte(uint64_t ea) { return load32(ea) & 0xffu; }

// Stores the low n bytes (1..4) of v at ea.
void store_part(uint64_t ea, uint v, uint n) {
  uint w = uint(ea >> 2), s = uint(ea & 3UL) * 8u;
  uint mask = n == 4u ? 0xffffffffu : ((1u << (8u * n)) - 1u);
  v &= mask;
  mem_store_word(w, (mem_load_word(w) & ~(mask << s)) | (v << s));
  if (s != 0u && (s + 8u * n) > 32u) {
    uint r = 32u - s;
    mem_store_word(w + 1u, (mem_load_word(w + 1u) & ~(mask >> r)) | (v >> r));
  }
}

// memory.glsl: linear memory 0 as uint words, byte addressed. Unaligned and
// sub-word accesses are assembled from (at most) two words; the buffer has a
// pad word past the last page so a read at the end never leaves it.
// Stores are read-modify-write of whole words, not atomic: two lanes storing
// to neighbouring bytes of one word at once would lose one (lanes sharing a
// memory are a first-cut non-goal; the spec executor runs one lane).

uint64_t mem_bytes() { return uint64_t(meta[VM_META_MEM_PAGES]) << 16; }

uint load32(uint64_t ea) {
  uint w = uint(ea >> 2), s = uint(ea & 3UL) * 8u;
  if (s == 0u) return mem[w];
  return (mem[w] >> s) | (mem[w + 1u] << (32u - s));
}

// Stores the low n bytes (1..4) of v at ea.
void store_part(uint64_t ea, uint v, uint n) {
  uint w = uint(ea >> 2), s = uint(ea & 3UL) * 8u;
  uint mask = n == 4u ? 0xffffffffu : ((1u << (8u * n)) - 1u);
  v &= mask;
  mem[w] = (mem[w] & ~(mask << s)) | (v << s);
  if (s != 0u && (s + 8u * n) > 32u) {
    uint r = 32u - s;
    mem[w + 1u] = (mem[w + 1u] & ~(mask >> r)) | (v >> r);
  }
}


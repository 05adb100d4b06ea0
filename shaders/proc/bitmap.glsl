// bitmap.glsl: lock-free bitmaps in bits[] (pages in use, slots in use,
// slots READY). A bit is taken by the one lane whose atomicOr (claim) or
// atomicAnd (take) flips it; nobody ever waits for another lane.
//
// Loops have a single exit (a found flag, no return inside): llvmpipe loses
// writes made before an early return from a loop (docs/platform.md).

// Racing lanes: a lane whose atomicOr (atomicAnd) finds the bit already
// flipped lost it to another lane, and the returned word shows the word as
// it is now, so the lane tries that word's next candidate bit before moving
// on. Each such loss means another lane flipped a bit of the word, so a
// word costs at most 33 tries, and a lane never gives up on a word that
// still has a bit for it (a burst of spawns on one subgroup would).

// Sets one clear bit of words [off, off + nwords), scanning at most
// `max_words` words from word `start`. Returns the bit's index or NONE.
uint bitmap_claim(uint off, uint nwords, uint start, uint max_words) {
  uint found = NONE;
  uint k = 0u;
  uint w = LOAD_RELAXED(bits[off + start % nwords]);
  for (uint tries = 0u; k < max_words && found == NONE && tries < 33u * max_words; ++tries) {
    const uint wi = (start + k) % nwords;
    if (w == 0xffffffffu) {
      ++k;
      w = LOAD_RELAXED(bits[off + (start + k) % nwords]);
    } else {
      const uint b = uint(findLSB(~w));
      const uint old = atomicOr(bits[off + wi], 1u << b);
      if ((old & (1u << b)) == 0u) found = wi * 32u + b;
      else w = old;
    }
  }
  return found;
}

// Clears one set bit: in each word the first set bit at or after bit
// `prefer`, cyclically (so the lanes of a subgroup, starting on the same
// word, take neighbouring slots, and a moving `prefer` reaches every bit).
// Returns the bit's index or NONE.
uint bitmap_take(uint off, uint nwords, uint start, uint prefer, uint max_words) {
  uint found = NONE;
  uint k = 0u;
  uint w = LOAD_RELAXED(bits[off + start % nwords]);
  for (uint tries = 0u; k < max_words && found == NONE && tries < 33u * max_words; ++tries) {
    const uint wi = (start + k) % nwords;
    if (w == 0u) {
      ++k;
      w = LOAD_RELAXED(bits[off + (start + k) % nwords]);
    } else {
      const uint rotated = prefer == 0u ? w : (w >> prefer) | (w << (32u - prefer));
      const uint b = (uint(findLSB(rotated)) + prefer) & 31u;
      const uint old = atomicAnd(bits[off + wi], ~(1u << b));
      if ((old & (1u << b)) != 0u) found = wi * 32u + b;
      else w = old;
    }
  }
  return found;
}

void bitmap_set(uint off, uint i) { atomicOr(bits[off + (i >> 5u)], 1u << (i & 31u)); }
void bitmap_clear(uint off, uint i) { atomicAnd(bits[off + (i >> 5u)], ~(1u << (i & 31u))); }

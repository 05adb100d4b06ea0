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

#ifndef GPUOS_RELAXED_ATOMICS
// GPUs: the lanes of a subgroup take set bits together. Lane i loads word
// start + i, so the subgroup sees 32 words after one load's latency (a lane
// scanning alone waits for up to 32 loads in a row), and the lanes that
// `want` one take the set bits in order: the r-th such lane the r-th set
// bit, counting each word from bit `rot` cyclically. Lanes of a subgroup
// thus take neighbouring bits, as bitmap_take's `prefer` arranges. Call it
// from subgroup-uniform control flow. Returns the bit this lane took, or
// NONE (it did not want one, there were too few, or another lane won it).
uint bitmap_take_subgroup(uint off, uint nwords, uint start, uint rot, bool want) {
  const uint span = min(nwords, min(gl_SubgroupSize, 32u));  // words looked at
  const uint i = gl_SubgroupInvocationID;
  const uint w = i < span ? LOAD_RELAXED(bits[off + (start + i) % nwords]) : 0u;
  const uint rw = rot == 0u ? w : (w >> rot) | (w << (32u - rot));  // bit k: bit (k + rot) & 31 of w
  const uint before = subgroupExclusiveAdd(bitCount(rw));  // set bits in the words before lane i's
  const uint end = before + uint(bitCount(rw));
  const uint rank = subgroupExclusiveAdd(want ? 1u : 0u);
  // The word holding set bit number `rank`: the first whose run ends past it.
  uint j = 0u;
  for (uint k = 0u; k < span; ++k) {
    const uint e = subgroupShuffle(end, k);
    if (e <= rank) j = k + 1u;
  }
  const uint jw = min(j, span - 1u);
  uint x = subgroupShuffle(rw, jw);
  const uint nth = rank - subgroupShuffle(before, jw);
  uint found = NONE;
  if (want && j < span) {
    for (uint k = 0u; k < min(nth, 32u); ++k) x &= x - 1u;  // drop the set bits the lanes before take
    const uint b = (uint(findLSB(x)) + rot) & 31u;
    const uint wi = (start + jw) % nwords;
    const uint old = atomicAnd(bits[off + wi], ~(1u << b));
    if ((old & (1u << b)) != 0u) found = wi * 32u + b;
  }
  return found;
}
#endif

void bitmap_set(uint off, uint i) { atomicOr(bits[off + (i >> 5u)], 1u << (i & 31u)); }
void bitmap_clear(uint off, uint i) { atomicAnd(bits[off + (i >> 5u)], ~(1u << (i & 31u))); }

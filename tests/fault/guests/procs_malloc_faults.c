/* procs_malloc_faults (issue 20, item 9): stdshim's malloc against impossible
 * sizes, double frees and foreign frees.
 *   - malloc, calloc, aligned_alloc and realloc of ~4 GiB return NULL (a
 *     failed realloc leaves its block alone), and two malloc(200000) after
 *     that are distinct and do not overlap;
 *   - a double free (small and large) is ignored: the next two mallocs of
 *     that size return two different blocks;
 *   - frees of pointers into static data, the stack, the middle of a block,
 *     past the end of memory, and of a slab block never handed out are
 *     ignored, as is realloc of a freed or foreign pointer (NULL);
 *   - then many patterned blocks are allocated, freed in part, allocated
 *     again and checked, so a heap corrupted by any of the above shows.
 * It prints "bad frees: N", the number of bad frees and reallocs it made;
 * the test checks that `gpuos stats --json` counted exactly that many.
 * arg() 1 skips the impossible sizes (to see the other checks on a heap
 * that fails them).
 * Expected exit status: 0; else the number of the first failed check.
 */
#include "gpuos.h"

static uint32_t static_word[4];
static int bad = 0; /* bad frees and reallocs made */

static int fail(int code, const char *what) {
  gpuos_printf("malloc_faults: check %d failed: %s\n", code, what);
  return code;
}

/* Big blocks are patterned every 61st byte and at their last byte (the VM
 * is slow on lavapipe; blocks are contiguous, so an overlap still shows). */
static uint32_t step(uint32_t n) { return n > 4096u ? 61u : 1u; }
static void fill(uint8_t *p, uint32_t n, uint32_t tag) {
  for (uint32_t i = 0; i < n; i += step(n)) p[i] = (uint8_t)(tag * 31u + i * 7u);
  p[n - 1] = (uint8_t)(tag * 31u + (n - 1) * 7u);
}
static int holds(const uint8_t *p, uint32_t n, uint32_t tag) {
  for (uint32_t i = 0; i < n; i += step(n)) {
    if (p[i] != (uint8_t)(tag * 31u + i * 7u)) return 0;
  }
  return p[n - 1] == (uint8_t)(tag * 31u + (n - 1) * 7u);
}
static int disjoint(const void *a, uint32_t na, const void *b, uint32_t nb) {
  const uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
  return x + na <= y || y + nb <= x;
}

#define NBLK 96
static uint8_t *blk[NBLK];
static uint32_t blk_size[NBLK];

static uint32_t size_of(uint32_t i) {
  static const uint32_t sizes[] = {16, 24, 40, 64, 100, 200, 500, 1000, 3000, 9000, 33000, 70000};
  return sizes[i % (sizeof sizes / sizeof sizes[0])] + (i % 5u);
}

int main(void) {
  /* 1. Impossible sizes: NULL, never a pointer the heap hands out again. */
  const int sizes = gpuos_arg() != 1;
  if (sizes && malloc(0xFFFFFFF0u)) return fail(1, "malloc(0xFFFFFFF0) is not NULL");
  if (sizes && malloc(0xFFFF0001u)) return fail(1, "malloc(0xFFFF0001) is not NULL");
  if (sizes && calloc(1, 0xFFFFFFF0u)) return fail(1, "calloc(1, 0xFFFFFFF0) is not NULL");
  if (calloc(0x10000u, 0x10001u)) return fail(1, "calloc(0x10000, 0x10001) is not NULL");
  if (sizes && aligned_alloc(4096, 0xFFFFF000u)) return fail(1, "aligned_alloc(4096, 0xFFFFF000) is not NULL");
  uint8_t *a = malloc(200000), *b = malloc(200000);
  if (!a || !b) return fail(2, "malloc(200000) failed");
  if (!disjoint(a, 200000, b, 200000)) return fail(2, "two malloc(200000) overlap");
  fill(a, 200000, 1);
  fill(b, 200000, 2);
  if (sizes && realloc(a, 0xFFFFFFF0u)) return fail(2, "realloc(a, 0xFFFFFFF0) is not NULL");
  if (!holds(a, 200000, 1) || !holds(b, 200000, 2)) return fail(2, "the two 200000-byte blocks do not hold");

  /* 2. Double frees, small and large. */
  uint8_t *x = malloc(64);
  if (!x) return fail(3, "malloc(64) failed");
  free(x);
  free(x), bad++;
  uint8_t *y = malloc(64), *z = malloc(64);
  if (!y || !z || y == z) return fail(3, "after a double free two malloc(64) returned the same block");
  fill(y, 64, 3);
  fill(z, 64, 4);
  uint8_t *l = malloc(100000);
  if (!l) return fail(4, "malloc(100000) failed");
  free(l);
  free(l), bad++;
  uint8_t *m1 = malloc(100000), *m2 = malloc(100000);
  if (!m1 || !m2 || !disjoint(m1, 100000, m2, 100000)) return fail(4, "after a large double free two blocks overlap");
  fill(m1, 100000, 5);
  fill(m2, 100000, 6);

  /* 3. Foreign frees: static data, the stack, inside a block, past memory,
   * a slab block never handed out; realloc of a freed or foreign pointer. */
  volatile uint32_t on_stack[4] = {1, 2, 3, 4};
  free(static_word), bad++;
  free((void *)on_stack), bad++;
  free(y + 4), bad++;
  free(y + 16), bad++;
  free((void *)0x7ffffff0u), bad++;
  uint8_t *q = malloc(1536); /* the first of its class: a fresh slab */
  if (!q) return fail(5, "malloc(1536) failed");
  free(q + 1536), bad++; /* the slab's next block, never handed out */
  uint8_t *w = malloc(128);
  if (!w) return fail(5, "malloc(128) failed");
  free(w);
  if (realloc(w, 256)) return fail(5, "realloc of a freed block is not NULL");
  bad++;
  if (realloc(static_word, 256)) return fail(5, "realloc of static data is not NULL");
  bad++;
  uint8_t *q2 = malloc(1536), *q3 = malloc(1536);
  if (!q2 || !q3 || q2 == q3 || q2 == q || q3 == q) return fail(5, "1536-byte blocks handed out twice");
  if (!holds(y, 64, 3) || !holds(z, 64, 4)) return fail(5, "a foreign free changed a live block");

  /* 4. The heap is intact: many patterned blocks, half freed, again. */
  for (uint32_t i = 0; i < NBLK; i++) {
    blk_size[i] = size_of(i);
    blk[i] = malloc(blk_size[i]);
    if (!blk[i]) return fail(6, "malloc failed in the pattern run");
    fill(blk[i], blk_size[i], 100 + i);
  }
  for (uint32_t i = 0; i < NBLK; i += 2) free(blk[i]);
  for (uint32_t i = 0; i < NBLK; i += 2) {
    blk_size[i] = size_of(i + 7u);
    blk[i] = malloc(blk_size[i]);
    if (!blk[i]) return fail(6, "malloc failed in the second pattern run");
    fill(blk[i], blk_size[i], 300 + i);
  }
  for (uint32_t i = 0; i < NBLK; i++) {
    if (!holds(blk[i], blk_size[i], i % 2 ? 100 + i : 300 + i)) return fail(7, "a patterned block changed (overlap)");
  }
  if (!holds(a, 200000, 1) || !holds(b, 200000, 2) || !holds(y, 64, 3) || !holds(z, 64, 4) ||
      !holds(m1, 100000, 5) || !holds(m2, 100000, 6)) {
    return fail(7, "an early block changed");
  }
  if (on_stack[0] != 1 || on_stack[3] != 4) return fail(7, "the stack changed");
  for (uint32_t i = 0; i < NBLK; i++) free(blk[i]);
  free(a), free(b), free(y), free(z), free(m1), free(m2), free(q), free(q2), free(q3);
  gpuos_printf("bad frees: %d\n", bad);
  return 0;
}

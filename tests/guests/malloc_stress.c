/* malloc_stress: a deterministic workout for the GPU slab allocator through
 * stdshim's malloc, free, calloc, realloc and aligned_alloc.
 *
 * First the edge sizes (1 byte up to past 64 KiB), then OPS random operations
 * on up to SLOTS live blocks with sizes 1..70,096 bytes. Every live block is
 * filled with a pattern derived from its own tag, and the pattern is checked
 * before the block is freed or reallocated and in periodic sweeps, so two
 * blocks that overlap, or a block the allocator scribbles on, are caught.
 * calloc memory must be zero (freed blocks held patterns), aligned_alloc must
 * align, every block must lie inside linear memory, and calloc must refuse a
 * product that wraps 32 bits. Everything is freed at the end.
 * arg()'s low 16 bits perturb the seed, so instances of a host spawn differ;
 * its high 16 bits, when not 0, replace OPS (a short run for slow devices).
 *
 * Expected exit status: 0. On failure it prints what failed and exits with
 * one of the codes below.
 */
#include "gpuos.h"

enum {
  E_NULL = 2,         /* an allocation returned NULL */
  E_ALIGN = 3,        /* malloc/calloc/realloc result not 8-aligned (size >= 8) */
  E_ALIGNED = 4,      /* aligned_alloc result not aligned as asked */
  E_CALLOC_DIRTY = 5, /* calloc memory not zero */
  E_CORRUPT = 6,      /* a live block's contents changed (overlap or scribble) */
  E_REALLOC = 7,      /* realloc did not keep the old contents */
  E_OVERFLOW = 8,     /* calloc(65536, 65536) did not fail */
  E_RANGE = 9,        /* block not inside linear memory */
};

#define SLOTS 200
#define OPS 3000
static int ops = OPS;

struct block {
  uint8_t *p;
  uint32_t size, tag;
};
static struct block live[SLOTS];
static uint32_t rng;

static uint32_t rnd(void) { /* xorshift32 */
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}

static uint32_t pick_size(void) {
  uint32_t r = rnd() % 100;
  if (r < 70) return 1 + rnd() % 128;
  if (r < 95) return 129 + rnd() % 4000;
  return 4097 + rnd() % 66000; /* up to 70,096: past a 64 KiB page */
}

static int fail(int code, const char *what, uint32_t a, uint32_t b) {
  gpuos_printf("malloc_stress: %s (%u, %u)\n", what, a, b);
  return code;
}

/* Word k of a block with tag t; byte j is byte j%4 of word j/4. */
static uint32_t pat(uint32_t t, uint32_t k) {
  uint32_t x = t ^ (k * 0x9E3779B1u);
  return x ^ (x >> 15);
}

static void fill(uint8_t *p, uint32_t n, uint32_t t) {
  uint32_t k = 0;
  if (((uintptr_t)p & 3) == 0)
    for (; k < n / 4; k++) ((uint32_t *)p)[k] = pat(t, k);
  for (uint32_t j = k * 4; j < n; j++) p[j] = (uint8_t)(pat(t, j / 4) >> (8 * (j % 4)));
}

/* Returns the first wrong byte offset + 1, or 0 when all n bytes match. */
static uint32_t check(const uint8_t *p, uint32_t n, uint32_t t) {
  uint32_t k = 0;
  if (((uintptr_t)p & 3) == 0)
    for (; k < n / 4; k++)
      if (((const uint32_t *)p)[k] != pat(t, k)) return k * 4 + 1;
  for (uint32_t j = k * 4; j < n; j++)
    if (p[j] != (uint8_t)(pat(t, j / 4) >> (8 * (j % 4)))) return j + 1;
  return 0;
}

/* The checks every fresh block gets; 0 when it passes. */
static int vet(const uint8_t *p, uint32_t size, uint32_t align) {
  if (!p) return fail(E_NULL, "allocation returned NULL, size", size, align);
  uint32_t mem = (uint32_t)__builtin_wasm_memory_size(0) * 65536u;
  if ((uintptr_t)p < 1024 || (uintptr_t)p > mem || size > mem - (uintptr_t)p)
    return fail(E_RANGE, "block outside linear memory, at/size", (uint32_t)(uintptr_t)p, size);
  if (align > 1 && ((uintptr_t)p & (align - 1)))
    return fail(E_ALIGNED, "aligned_alloc misaligned, at/align", (uint32_t)(uintptr_t)p, align);
  if (size >= 8 && ((uintptr_t)p & 7))
    return fail(E_ALIGN, "block not 8-aligned, at/size", (uint32_t)(uintptr_t)p, size);
  return 0;
}

static int check_block(const struct block *b, int code, const char *what) {
  uint32_t bad = check(b->p, b->size, b->tag);
  return bad ? fail(code, what, (uint32_t)(uintptr_t)b->p, bad - 1) : 0;
}

/* A new block for an empty slot: malloc, calloc or aligned_alloc, chosen at random. */
static int alloc_slot(struct block *b) {
  uint32_t size = pick_size(), how = rnd() % 4, align = 1;
  uint8_t *p;
  if (how == 0) {
    uint32_t n = 1 + rnd() % 16; /* calloc(n, size/n): the product is what counts */
    size = n * (size / n + 1);
    p = (uint8_t *)calloc(n, size / n);
  } else if (how == 1) {
    align = 8u << (rnd() % 10); /* 8 .. 4096 */
    p = (uint8_t *)aligned_alloc(align, size);
  } else {
    p = (uint8_t *)malloc(size);
  }
  int rc = vet(p, size, align);
  if (rc) return rc;
  if (how == 0)
    for (uint32_t j = 0; j < size; j++)
      if (p[j]) return fail(E_CALLOC_DIRTY, "calloc byte not zero, at/offset", (uint32_t)(uintptr_t)p, j);
  b->p = p;
  b->size = size;
  b->tag = rnd();
  fill(p, size, b->tag);
  return 0;
}

static int sweep(void) {
  for (int s = 0; s < SLOTS; s++)
    if (live[s].p) {
      int rc = check_block(&live[s], E_CORRUPT, "live block changed, at/offset");
      if (rc) return rc;
    }
  return 0;
}

static int edge_sizes(void) {
  static const uint32_t sizes[] = {1, 7, 8, 16, 4095, 4096, 4097, 65535, 65536, 65537, 70000};
  struct block b[sizeof sizes / sizeof sizes[0]];
  const int n = sizeof sizes / sizeof sizes[0];
  for (int i = 0; i < n; i++) {
    b[i].size = sizes[i];
    b[i].tag = rnd();
    b[i].p = (uint8_t *)malloc(sizes[i]);
    int rc = vet(b[i].p, sizes[i], 1);
    if (rc) return rc;
    fill(b[i].p, b[i].size, b[i].tag);
  }
  for (int i = 0; i < n; i++) { /* all at once: none may overlap another */
    int rc = check_block(&b[i], E_CORRUPT, "edge-size block changed, at/offset");
    if (rc) return rc;
    free(b[i].p);
  }
  return 0;
}

static int run(void) {
  free(0); /* must be a no-op */

  /* 65536 * 65536 wraps to 0 in 32 bits: both the stdshim wrapper and the GPU
   * import itself must fail rather than hand back a tiny block. */
  if (calloc(65536, 65536)) return fail(E_OVERFLOW, "calloc(65536, 65536) succeeded", 0, 0);
  if (gpuos_calloc(65536, 65536)) return fail(E_OVERFLOW, "gpuos_calloc(65536, 65536) succeeded", 0, 0);

  int rc = edge_sizes();
  if (rc) return rc;

  for (int op = 0; op < ops; op++) {
    struct block *b = &live[rnd() % SLOTS];
    if (!b->p) {
      rc = alloc_slot(b);
    } else if (rnd() % 3) {
      rc = check_block(b, E_CORRUPT, "block changed before free, at/offset");
      free(b->p);
      b->p = 0;
    } else {
      rc = check_block(b, E_CORRUPT, "block changed before realloc, at/offset");
      if (rc) return rc;
      uint32_t size = pick_size();
      uint8_t *p = (uint8_t *)realloc(b->p, size);
      rc = vet(p, size, 1);
      if (rc) return rc;
      b->p = p;
      uint32_t keep = size < b->size ? size : b->size;
      uint32_t bad = check(p, keep, b->tag);
      if (bad) return fail(E_REALLOC, "realloc lost contents, at/offset", (uint32_t)(uintptr_t)p, bad - 1);
      b->size = size;
      fill(p, size, b->tag);
    }
    if (rc) return rc;
    if (op % 250 == 249 && (rc = sweep())) return rc;
  }

  if ((rc = sweep())) return rc;
  uint32_t freed = 0;
  for (int s = 0; s < SLOTS; s++)
    if (live[s].p) {
      free(live[s].p);
      live[s].p = 0;
      freed++;
    }
  gpuos_printf("malloc_stress: ok, %d ops, %u blocks live at the end\n", ops, freed);
  return 0;
}

int main(void) {
  const uint32_t arg = (uint32_t)gpuos_arg();
  if (arg >> 16) ops = (int)(arg >> 16);
  rng = 0x2545F491u ^ ((arg & 0xffffu) * 0x9E3779B9u);
  if (!rng) rng = 1;
  return run();
}

/* malloc_bench: 100,000 rounds of malloc(32), one store, free. Ignores arg(),
 * so every instance does the same work; used by the allocator benchmark.
 * Expected exit status: 0; 1 if malloc returned NULL. */
#include "gpuos.h"

#define ROUNDS 100000u

int main(void) {
  for (uint32_t i = 0; i < ROUNDS; i++) {
    /* volatile: the store must happen, so the block is really touched */
    volatile uint32_t *p = (volatile uint32_t *)malloc(32);
    if (!p) return 1;
    *p = i;
    free((void *)p);
  }
  return 0;
}

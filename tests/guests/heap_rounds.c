/* heap_rounds: arg() rounds of malloc(32), a store, a check and free
 * through stdshim's heap (gpuos imports): malloc_bench's work at a size a
 * lavapipe test can wait for (tests/unit/tier_test.cpp).
 * Expected exit status: 0; 1 if malloc returned NULL, 2 if a block lost
 * what was stored in it. */
#include "gpuos.h"

int main(void) {
  const uint32_t rounds = (uint32_t)gpuos_arg();
  for (uint32_t i = 0; i < rounds; i++) {
    volatile uint32_t *p = (volatile uint32_t *)malloc(32);
    if (!p) return 1;
    p[0] = i;
    p[7] = ~i;
    if (p[0] != i || p[7] != ~i) return 2;
    free((void *)p);
  }
  return 0;
}

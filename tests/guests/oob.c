/* oob: a store far beyond linear memory (1 page here) must trap
 * out-of-bounds instead of reaching anything outside the process.
 * Expected exit status: 134 (trapped). If the store does not trap, it says so
 * and exits 1. */
#include "gpuos.h"

int main(void) {
  *(volatile uint32_t *)(uintptr_t)0x7ffffff0u = 0xdeadbeefu;
  gpuos_puts("oob: the out-of-bounds store did not trap\n");
  return 1;
}

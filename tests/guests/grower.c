/* grower: memory.grow one page at a time until it fails, to prove the page
 * allocator and the per-process page table. For each new page it checks that
 * memory.grow returned the old size, that the page reads as zero (pages may be
 * recycled from dead processes and must be cleared), and that a word written
 * there reads back. At the end every grown page must still hold its own value
 * (no two pages share a frame) and memory.size must add up.
 * Prints "grower: gained N pages" and exits with N & 0xff.
 * Expected exit status: (pages gained) & 0xff; 1 if a check failed (printed).
 */
#include "gpuos.h"

#define PAGE 65536u

/* One word per page, at an offset that moves around the page. */
static volatile uint32_t *word_in(uint32_t page) {
  return (volatile uint32_t *)(uintptr_t)(page * PAGE + (page % 16u) * 4096u + 64u);
}
static uint32_t tag(uint32_t page) { return 0xA5000000u ^ (page * 2654435761u); }

int main(void) {
  uint32_t start = __builtin_wasm_memory_size(0);
  uint32_t gained = 0;
  for (;;) {
    int32_t old = __builtin_wasm_memory_grow(0, 1);
    if (old == -1) break;
    uint32_t page = (uint32_t)old;
    if (page != start + gained) {
      gpuos_printf("grower: memory.grow returned %u, expected %u\n", page, start + gained);
      return 1;
    }
    volatile uint32_t *w = word_in(page);
    if (*w != 0) {
      gpuos_printf("grower: new page %u is not zero: %x\n", page, *w);
      return 1;
    }
    *w = tag(page);
    if (*w != tag(page)) {
      gpuos_printf("grower: page %u: wrote %x, read %x\n", page, tag(page), *w);
      return 1;
    }
    gained++;
  }
  if (__builtin_wasm_memory_size(0) != start + gained) {
    gpuos_printf("grower: memory.size %u, expected %u\n", (uint32_t)__builtin_wasm_memory_size(0),
                 start + gained);
    return 1;
  }
  for (uint32_t page = start; page < start + gained; page++)
    if (*word_in(page) != tag(page)) {
      gpuos_printf("grower: page %u lost its value: %x\n", page, *word_in(page));
      return 1;
    }
  gpuos_printf("grower: gained %u pages\n", gained);
  return (int)(gained & 0xffu);
}

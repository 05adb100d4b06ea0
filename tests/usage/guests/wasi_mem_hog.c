/* mem_hog: takes memory 1 MiB at a time until malloc says no or it holds
 * argv[1] MiB (default 4096), writing a byte in every 4 KiB, and prints
 * "got N MiB". For tests/usage/lim_max_memory.sh (issue 19 item 8): how
 * much a process gets is its --max-memory, less what its code, data and
 * stack already hold.
 */
#include <stdio.h>
#include <stdlib.h>

/* Every block escapes through here, so the compiler cannot drop the
 * allocations as unused (it may, for a malloc whose memory nobody reads). */
char* volatile last_block;

int main(int argc, char** argv) {
  const unsigned long want = argc > 1 ? strtoul(argv[1], NULL, 10) : 4096ul;
  unsigned long got = 0;
  while (got < want) {
    char* p = malloc(1u << 20);
    if (!p) break;
    for (unsigned i = 0; i < (1u << 20); i += 4096) p[i] = (char)got;  /* a byte a 4 KiB: every page mapped */
    last_block = p;
    ++got;
  }
  printf("got %lu MiB\n", got);
  return 0;
}

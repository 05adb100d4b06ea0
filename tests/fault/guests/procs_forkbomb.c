/* procs_forkbomb: a fork bomb (issue 20, item 8). Every process spawns
 * copies of itself until a spawn is refused, prints the refusal once
 * ("forkbomb: pid P refused: E", E the negative error, -4 for the tree's
 * limit), then never ends: a process with children blocks in gpuos_wait on
 * its first one (which never exits), one without spins, yielding. Only a
 * kill ends it; killing the processes one by one loses to their spawns,
 * which is what `gpuos kill --tree` and the per-tree limit are for.
 * Expected exit status: none (never exits); 137 once killed.
 */
#include "gpuos.h"

int main(void) {
  int32_t first = 0, err = 0;
  for (;;) {
    int32_t pid = gpuos_spawn(GPUOS_SELF, 0);
    if (pid <= 0) {
      err = pid;
      break;
    }
    if (first == 0) first = pid;
  }
  gpuos_printf("forkbomb: pid %d refused: %d\n", gpuos_getpid(), err);
  if (first > 0) gpuos_wait(first); /* blocks: the child never exits */
  for (;;) gpuos_yield();
}

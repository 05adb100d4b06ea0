/* spawn_tree: GPU-native spawn and wait. depth = arg(). At depth 0 exit 1;
 * otherwise spawn two children of this same program with depth - 1, wait for
 * both and exit 1 + the sum of their statuses. A tree of depth d therefore
 * exits 2^(d+1) - 1 and holds that many processes: arg 2 exits 7 (root, 2, 4).
 * Keep d <= 6: 255 is the error status.
 * Expected exit status: 2^(arg+1) - 1; 255 if a spawn or wait failed anywhere
 * in the tree (printed, and passed up by every ancestor).
 */
#include "gpuos.h"

#define FAILED 255

int main(void) {
  int32_t depth = gpuos_arg();
  if (depth <= 0) return 1;

  int32_t kids[2];
  int nkids = 0, failed = 0;
  for (int i = 0; i < 2; i++) {
    int32_t pid = gpuos_spawn(GPUOS_SELF, depth - 1);
    if (pid <= 0) {
      gpuos_printf("spawn_tree: pid %d depth %d: spawn failed: %d\n", gpuos_getpid(), depth, pid);
      failed = 1;
      break;
    }
    kids[nkids++] = pid;
  }

  int32_t status = 1;
  for (int i = 0; i < nkids; i++) { /* reap what was spawned, even after a failure */
    int32_t st = gpuos_wait(kids[i]);
    if (st < 0) {
      gpuos_printf("spawn_tree: pid %d: wait(%d) failed: %d\n", gpuos_getpid(), kids[i], st);
      failed = 1;
    } else if (st == FAILED) {
      failed = 1; /* a descendant already printed why */
    } else {
      status += st;
    }
  }
  return failed ? FAILED : status;
}

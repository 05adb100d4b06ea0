/* spawn_bench: GPU-native spawns for the process benchmark. With arg() == 0
 * it is a child and exits at once; otherwise it is a parent: it spawns
 * arg() >> 16 children of its own program (at most 1024; the low 16 bits are
 * the host spawn's instance index), then waits for each.
 * Expected exit status: 0; 1 if a spawn failed, 2 if a child's status was
 * not 0. */
#include "gpuos.h"

#define MAX_CHILDREN 1024

static int32_t pids[MAX_CHILDREN];

int main(void) {
  const int32_t n = (int32_t)((uint32_t)gpuos_arg() >> 16);
  if (n <= 0) return 0;
  const int32_t count = n > MAX_CHILDREN ? MAX_CHILDREN : n;
  int status = 0;
  for (int32_t i = 0; i < count; i++) {
    pids[i] = gpuos_spawn(GPUOS_SELF, 0);
    if (pids[i] < 0) status = 1;
  }
  for (int32_t i = 0; i < count; i++) {
    if (pids[i] >= 0 && gpuos_wait(pids[i]) != 0 && status == 0) status = 2;
  }
  return status;
}

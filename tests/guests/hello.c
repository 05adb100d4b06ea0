/* hello: the first guest. Prints "hello from pid <pid>\n" as one debug-ring
 * record and exits 0.
 * Expected exit status: 0. */
#include "gpuos.h"

int main(void) {
  gpuos_printf("hello from pid %d\n", gpuos_getpid());
  return 0;
}

/* exit_code: the exit status reaches wait(), and each instance sees its own
 * spawn argument. Exits 40 + arg(), so host-spawned instance i exits 40 + i.
 * Expected exit status: 40 + arg(). */
#include "gpuos.h"

int main(void) { return 40 + gpuos_arg(); }

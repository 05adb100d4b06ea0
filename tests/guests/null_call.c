/* null_call: the null system call's round trip, for bench/io. Calls
 * gpuos_null_call() N times back to back, where N = (uint32_t)arg() >> 12:
 * the host spawns with first_arg = N << 12, so the low 12 bits carry the
 * instance index (up to 4,096 instances per spawn command) and N may be up to
 * 2^20 - 1. Each call is a request that the host answers at once, doing
 * nothing (shaders/abi_io.h, WASI_GPUOS_NULL), so it costs one full
 * guest -> host -> guest trip through the request slots, the debug ring and
 * the completion ring.
 * Expected exit status: 0 if every call returned 0; 1 if one did not. */
#include "gpuos.h"

int main(void) {
  const uint32_t n = (uint32_t)gpuos_arg() >> 12;
  int status = 0;
  for (uint32_t i = 0; i < n; i++) {
    if (gpuos_null_call() != 0) status = 1;
  }
  return status;
}

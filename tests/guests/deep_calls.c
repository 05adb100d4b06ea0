/* deep_calls: recursion deeper than a process block holds (256 nested
 * calls), so that a call finds the stack full and runs again once the
 * kernel has moved the stack to pages (shaders/proc/stack.glsl); the
 * compiled tier's tests run it on both tiers (tests/unit/tier_test.cpp).
 * depth = arg(); f(0) = 1, f(n) = (3 f(n - 1) + n) mod 2^16. Its frames
 * live in VM slots only: a C stack frame per level (a volatile local)
 * would outgrow the guest's small shadow stack in linear memory.
 * Expected exit status: f(arg()) & 0xff. */
#include "gpuos.h"

__attribute__((noinline)) static uint32_t f(uint32_t n) {
  if (n == 0) return 1u;
  return (f(n - 1u) * 3u + n) & 0xffffu;
}

int main(void) { return (int)(f((uint32_t)gpuos_arg()) & 0xffu); }

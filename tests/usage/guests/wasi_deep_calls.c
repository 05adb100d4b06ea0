/* deep_calls: recursion as deep as argv[2] (issue 19 item 1: no fixed size
 * cuts a program short), for tests/usage/lim_deep_calls.sh.
 *   deep_calls direct N     f(N) by direct calls N deep
 *   deep_calls indirect N   the same through a function pointer (call_indirect)
 *   deep_calls forever      recursion without end: must trap "call stack exhausted"
 * Prints "depth N result R"; R = f(N), where f(0) = 0 and
 * f(n) = (f(n-1) * 31 + n) mod 2^32, which the test computes itself.
 * The store to `sink` after each call keeps the compiler from turning the
 * recursion into a loop. No frame keeps an array: those live on C's own
 * stack in linear memory, which wasm-ld makes 64 KiB unless told otherwise
 * (-z stack-size), and overflowing it is the program's bug, as natively.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

volatile unsigned sink;

__attribute__((noinline)) static unsigned direct(unsigned n) {
  if (n == 0) return 0;
  unsigned r = direct(n - 1);
  sink = r;
  return r * 31u + n;
}

typedef unsigned (*step_fn)(unsigned);
static step_fn volatile next_step;

__attribute__((noinline)) static unsigned indirect(unsigned n) {
  if (n == 0) return 0;
  unsigned r = next_step(n - 1);
  sink = r;
  return r * 31u + n;
}

__attribute__((noinline)) static unsigned forever(unsigned n) {
  if (n == 0xffffffffu) return 0;  /* never, in the stack a process can have */
  unsigned r = forever(n + 1);
  sink = r;
  return r + 1;
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "direct";
  const unsigned n = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 1000u;
  unsigned r;
  if (strcmp(mode, "forever") == 0) {
    r = forever(0);
  } else if (strcmp(mode, "indirect") == 0) {
    next_step = indirect;
    r = indirect(n);
  } else {
    r = direct(n);
  }
  printf("depth %u result %u\n", n, r);
  return 0;
}

/* sleeper: a wasi-libc program that sleeps 3 s (nanosleep, which wasi-libc
 * turns into poll_oneoff: a request the host serves with a timer), then
 * prints "slept" and exits 0. The process tests check that it stays BLOCKED,
 * off every lane, while the host's timer runs, and that other processes
 * run meanwhile.
 * Expected exit status: 0; 1 if nanosleep failed.
 */
#include <stdio.h>
#include <time.h>

int main(void) {
  struct timespec t = {3, 0};
  if (nanosleep(&t, NULL) != 0) return 1;
  puts("slept");
  return 0;
}

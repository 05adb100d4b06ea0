/* wasi_io_sleep: sleeps argv[1] seconds (default 60) with nanosleep, which
 * wasi-libc turns into poll_oneoff on a clock, then prints "slept" and
 * exits 0 (1 if nanosleep failed). The io_ fault tests park many of these
 * at once: a sleep must not hold a request slot (issue 20, item 4).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char** argv) {
  struct timespec t = {argc > 1 ? atoi(argv[1]) : 60, 0};
  if (nanosleep(&t, NULL) != 0) return 1;
  puts("slept");
  return 0;
}

/* sess_busy: a healthy program that only computes, for the no-false-hang
 * test (tests/usage/sess_cpu_load.sh, issue 19 item 2). It runs ROUNDS
 * rounds (argv[1], default 1000) of an xorshift walk, prints one line per
 * tenth of the work (so progress shows while it runs) and the final hash,
 * and exits 42, so a test can tell its own status from gpuos's (3: the
 * session failed).
 * Expected output: "round R/ROUNDS" lines, then "hash HEX"; exit status 42.
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  const unsigned rounds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 1000u;
  unsigned long long x = 0x9E3779B97F4A7C15ull;
  for (unsigned r = 1; r <= rounds; ++r) {
    for (int i = 0; i < 100; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
    }
    if (rounds >= 10 && r % (rounds / 10) == 0) printf("round %u/%u\n", r, rounds);
  }
  printf("hash %016llx\n", x);
  return 42;
}

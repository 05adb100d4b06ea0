/* wasi_out_writer: writes what the out_ tests (issue 19, item 7) check
 * `gpuos logs` and `gpuos tail` against.
 *   lines          four stdout lines and two stderr lines: one of 294 bytes
 *                  of multi-byte UTF-8 (longer than a ring record, so the
 *                  ring cuts it into several), and "café split" written in
 *                  two calls that cut the é in two
 *   flood N        N writes of 4096 bytes: 64 lines "line %06d ...\n" each
 *   slow N S       N stdout lines, S seconds apart
 * Each write is one fwrite + fflush, as a program's line would be.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void put(FILE* f, const char* s) {
  fwrite(s, 1, strlen(s), f);
  fflush(f);
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "lines";
  if (strcmp(mode, "lines") == 0) {
    char big[512] = "utf8:";
    /* "żółw ✓ 日本 " is 20 bytes; 15 of them, then a newline. */
    for (int i = 0; i < 15; i++) strcat(big, "\xc5\xbc\xc3\xb3\xc5\x82w \xe2\x9c\x93 \xe6\x97\xa5\xe6\x9c\xac ");
    strcat(big, "end\n");
    put(stdout, "first line\n");
    put(stderr, "an error line\n");
    put(stdout, big);
    put(stderr, "second error\n");
    put(stdout, "caf\xc3");        /* a character cut in two by the program's own writes */
    put(stdout, "\xa9 split\n");
    put(stdout, "last line\n");
    return 0;
  }
  if (strcmp(mode, "flood") == 0) {
    /* N blocks of 64 lines "line %06d ....\n", 64 bytes each: one write per block. */
    const int n = argc > 2 ? atoi(argv[2]) : 16;
    static char block[4096 + 1];
    for (int b = 0; b < n; b++) {
      for (int i = 0; i < 64; i++) {
        char* l = block + 64 * i;
        snprintf(l, 65, "line %06d ", b * 64 + i);
        memset(l + 12, '.', 51);
        l[63] = '\n';
      }
      fwrite(block, 1, 4096, stdout);
      fflush(stdout);
    }
    return 0;
  }
  if (strcmp(mode, "slow") == 0) {
    const int n = argc > 2 ? atoi(argv[2]) : 3;
    const int s = argc > 3 ? atoi(argv[3]) : 1;
    char line[64];
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        struct timespec t = {s, 0};
        nanosleep(&t, NULL);
      }
      snprintf(line, sizeof line, "tick %d\n", i);
      put(stdout, line);
    }
    return 0;
  }
  fprintf(stderr, "wasi_out_writer: unknown mode %s\n", mode);
  return 2;
}

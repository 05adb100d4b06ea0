/* cat: copies files, or stdin, to stdout.
 *
 * usage: cat [FILE...]
 *   With no FILE, or where FILE is "-", reads stdin. A file that cannot be
 *   opened or read is reported on stderr and skipped; the exit status is then
 *   1, else 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 4096

/* Copies `in` to stdout; 0 on success, -1 on a read or write error. */
static int copy(FILE *in, char *buf) {
  size_t n;
  while ((n = fread(buf, 1, CHUNK, in)) > 0) {
    if (fwrite(buf, 1, n, stdout) != n) return -1;
  }
  return ferror(in) ? -1 : 0;
}

int main(int argc, char **argv) {
  char *buf = malloc(CHUNK);
  if (!buf) {
    fprintf(stderr, "cat: out of memory\n");
    return 1;
  }
  int status = 0;
  if (argc < 2) {
    if (copy(stdin, buf) != 0) {
      fprintf(stderr, "cat: -: read error\n");
      status = 1;
    }
  }
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-") == 0) {
      if (copy(stdin, buf) != 0) {
        fprintf(stderr, "cat: -: read error\n");
        status = 1;
      }
      continue;
    }
    FILE *f = fopen(argv[i], "rb");
    if (!f) {
      fprintf(stderr, "cat: %s: cannot open\n", argv[i]);
      status = 1;
      continue;
    }
    if (copy(f, buf) != 0) {
      fprintf(stderr, "cat: %s: read error\n", argv[i]);
      status = 1;
    }
    fclose(f);
  }
  free(buf);
  if (fflush(stdout) != 0) {
    fprintf(stderr, "cat: write error\n");
    status = 1;
  }
  return status;
}

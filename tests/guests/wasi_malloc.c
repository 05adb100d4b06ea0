/* wasi_malloc: a wasi-libc program (snprintf, puts, malloc, realloc) linked
 * with stdshim, whose malloc family replaces wasi-libc's dlmalloc. It prints
 * through WASI's fd_write (the process tests check the text arrives). The
 * guests.imports test checks that it imports gpuos.malloc and holds no dlmalloc.
 * Expected exit status: 0; 1 if an allocation failed, 2 if the text is wrong.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  char *buf = malloc(64);
  if (!buf) return 1;
  snprintf(buf, 64, "wasi_malloc: %d + %d = %d", 2, 3, 2 + 3);
  char *big = realloc(buf, 100000); /* more than a 64 KiB page */
  if (!big) return 1;
  puts(big);
  int ok = strcmp(big, "wasi_malloc: 2 + 3 = 5") == 0;
  free(big);
  return ok ? 0 : 2;
}

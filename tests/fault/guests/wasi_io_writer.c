/* wasi_io_writer: writes and reports how its writes fail (issue 20, item 6:
 * no silent loss).
 *   out N       writes "line K\n" to stdout N times (0: until a write fails)
 *               with write(2), checking each
 *   file PATH N writes 4 KiB blocks to PATH (created, truncated) N times
 *               (0: until a write fails)
 *   ignore      writes "y\n" to stdout forever, ignoring every error (a
 *               naive `yes`)
 *   linger      writes to stdout until a write fails, then reports it,
 *               sleeps 4 s without writing, prints "writer: lived on" to
 *               stderr and exits 7 (a program that stops writing on EPIPE
 *               must not be killed for it)
 * On a failed write it prints "writer: write failed: <strerror> (errno E)"
 * to stderr and exits 7; otherwise it exits 0 (2 for bad arguments, 3 if
 * PATH cannot be opened).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int failed(void) {
  const int e = errno;
  fprintf(stderr, "writer: write failed: %s (errno %d)\n", strerror(e), e);
  return 7;
}

static int write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    const ssize_t k = write(fd, p, n);
    if (k < 0) return -1;
    p += k;
    n -= (size_t)k;
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc >= 2 && strcmp(argv[1], "ignore") == 0) {
    for (;;) (void)write(1, "y\n", 2);
  }
  if (argc >= 2 && strcmp(argv[1], "linger") == 0) {
    while (write_all(1, "linger\n", 7) == 0) {
    }
    failed();
    struct timespec t = {4, 0};
    nanosleep(&t, NULL);
    fprintf(stderr, "writer: lived on\n");
    return 7;
  }
  if (argc >= 3 && strcmp(argv[1], "out") == 0) {
    const long n = atol(argv[2]);
    char line[32];
    for (long k = 1; n == 0 || k <= n; ++k) {
      const int len = snprintf(line, sizeof line, "line %ld\n", k);
      if (write_all(1, line, (size_t)len) != 0) return failed();
    }
    return 0;
  }
  if (argc >= 4 && strcmp(argv[1], "file") == 0) {
    const int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
      fprintf(stderr, "writer: open %s: %s\n", argv[2], strerror(errno));
      return 3;
    }
    static char block[4096];
    memset(block, 'x', sizeof block);
    const long n = atol(argv[3]);
    for (long k = 1; n == 0 || k <= n; ++k) {
      if (write_all(fd, block, sizeof block) != 0) return failed();
    }
    if (close(fd) != 0) return failed();
    return 0;
  }
  fprintf(stderr, "usage: wasi_io_writer out N | file PATH N | ignore | linger\n");
  return 2;
}

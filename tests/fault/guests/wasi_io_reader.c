/* wasi_io_reader [PATH]: reads PATH (default: its stdin) to the end and
 * prints "read N bytes" (exit 0; 1 if a read failed, 3 if PATH cannot be
 * opened). Given a FIFO whose writer never writes, it blocks in fd_read on
 * the host for good: the io_ fault tests kill it there (issue 20, item 4).
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char** argv) {
  const int fd = argc > 1 ? open(argv[1], O_RDONLY) : 0;
  if (fd < 0) return 3;
  char buf[256];
  long total = 0;
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) return 1;
    if (n == 0) break;
    total += n;
  }
  printf("read %ld bytes\n", total);
  return 0;
}

/* wasi_input_preopens: prints the preopened directories as WASI numbers
 * them, one line each: "preopen FD NAME", from fd 3 up to the first fd that
 * is not a preopen (issue 20, item 10: preopens are numbered in the order
 * the command line gives them, --dir and --dir-ro mixed).
 * Expected exit status: 0. */
#include <stdio.h>
#include <wasi/api.h>

int main(void) {
  for (__wasi_fd_t fd = 3; fd < 64; ++fd) {
    __wasi_prestat_t p;
    if (__wasi_fd_prestat_get(fd, &p) != __WASI_ERRNO_SUCCESS) break;
    char name[256];
    const size_t len = p.u.dir.pr_name_len < sizeof name - 1 ? p.u.dir.pr_name_len : sizeof name - 1;
    if (__wasi_fd_prestat_dir_name(fd, (uint8_t *)name, len) != __WASI_ERRNO_SUCCESS) return 1;
    name[len] = '\0';
    printf("preopen %u %s\n", (unsigned)fd, name);
  }
  return 0;
}

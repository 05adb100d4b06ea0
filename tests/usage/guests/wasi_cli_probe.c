/* wasi_cli_probe: prints what a program is given, for the CLI tests of
 * issue 19 (tests/usage/cli_*.sh): one line per argv entry, then one per
 * environment variable, in order. An argument "exit=N" makes it exit with
 * status N after printing; "trap" makes it trap (unreachable).
 *
 *   argc=3
 *   argv[0]=wasi_cli_probe.wasm
 *   argv[1]=-n
 *   argv[2]=exit=7
 *   envc=1
 *   env[0]=GREETING=hello world
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

int main(int argc, char **argv) {
  printf("argc=%d\n", argc);
  for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
  int envc = 0;
  for (char **e = environ; e && *e; e++) envc++;
  printf("envc=%d\n", envc);
  for (int i = 0; i < envc; i++) printf("env[%d]=%s\n", i, environ[i]);
  fflush(stdout);
  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], "exit=", 5) == 0) return atoi(argv[i] + 5);
    if (strcmp(argv[i], "trap") == 0) __builtin_trap();
  }
  return 0;
}

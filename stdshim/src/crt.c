/* stdshim/src/crt.c: the entry point of freestanding guests (WASI guests use
 * wasi-libc's crt1-command.o instead).
 *
 * How clang 14 names main on wasm32 depends on -ffreestanding:
 *   int main(void)            __original_main, aliased __main_void, plus a
 *                             two-argument `main` wrapper (either mode)
 *   int main(int, char **)    hosted: __main_argc_argv;
 *                             freestanding (our guests): plain `main`
 * _start calls __main_void. A main(void) program defines it, which overrides
 * the weak definition below, so nothing about arguments is linked in. For a
 * main(argc, argv) program the weak one runs: it builds argv from the args
 * imports and calls main. A program with no main fails to link
 * ("undefined symbol: main"). This file must be built -ffreestanding, like
 * the guests, or the names above do not match.
 */
#include "gpuos.h"

void __wasm_call_ctors(void); /* synthesised by wasm-ld: constructors */
int main(int argc, char **argv); /* freestanding: not renamed */

__attribute__((weak)) int __main_void(void) {
  static char *no_args[1] = {0};
  size_t size = gpuos_args_size();
  char *blob = size ? (char *)gpuos_malloc(size) : 0;
  int argc = gpuos_args_get(blob, blob ? size : 0);
  char **argv = argc > 0 ? (char **)gpuos_malloc((size_t)(argc + 1) * sizeof(char *)) : 0;
  if (!argv || !blob) return main(0, no_args);
  /* The blob is the arguments back to back, each ending in NUL. */
  char *p = blob, *end = blob + size;
  int i = 0;
  for (; i < argc && p < end; i++) {
    argv[i] = p;
    while (p < end && *p) p++;
    p++;
  }
  argv[i] = 0;
  return main(i, argv);
}

void _start(void) {
  __wasm_call_ctors();
  gpuos_exit(__main_void());
}

/* hello: the smallest app. Prints a greeting to stdout, then one more line per
 * argument.
 *
 * usage: hello [NAME...]
 *   hello            -> "Hello, world!"
 *   hello gpu wasm   -> "Hello, world!", "Hello, gpu!", "Hello, wasm!"
 * Exit status 0.
 */
#include <stdio.h>

int main(int argc, char **argv) {
  printf("Hello, world!\n");
  for (int i = 1; i < argc; i++) printf("Hello, %s!\n", argv[i]);
  return 0;
}

/* stdshim/src/string.c: the memory and string functions that clang emits
 * calls to (struct copies, zeroed arrays) and that freestanding guests get no
 * libc for. Compiled -ffreestanding (no builtins), so these loops are never
 * turned back into calls to themselves. Aligned inputs move a word at a time:
 * in an interpreter each loop trip costs several instructions.
 */
#include "gpuos.h"

typedef uint32_t __attribute__((may_alias)) word;

static int aligned(const void *a, const void *b) {
  return (((uintptr_t)a | (uintptr_t)b) & 3) == 0;
}

void *memset(void *dst, int c, size_t n) {
  unsigned char *d = (unsigned char *)dst;
  if (aligned(d, 0)) {
    word w = (unsigned char)c * 0x01010101u;
    for (; n >= 4; n -= 4, d += 4) *(word *)d = w;
  }
  while (n--) *d++ = (unsigned char)c;
  return dst;
}

/* Front to back; also right for overlaps where dst is below src, because every
 * word is read before anything at or above it is written. */
static void copy_forward(unsigned char *d, const unsigned char *s, size_t n) {
  if (aligned(d, s))
    for (; n >= 4; n -= 4, d += 4, s += 4) *(word *)d = *(const word *)s;
  while (n--) *d++ = *s++;
}

void *memcpy(void *__restrict dst, const void *__restrict src, size_t n) {
  copy_forward((unsigned char *)dst, (const unsigned char *)src, n);
  return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
  unsigned char *d = (unsigned char *)dst;
  const unsigned char *s = (const unsigned char *)src;
  if (d <= s || d >= s + n) {
    copy_forward(d, s, n);
    return dst;
  }
  /* dst overlaps the tail of src: copy back to front */
  while (n--) d[n] = s[n];
  return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
  for (; n; n--, x++, y++)
    if (*x != *y) return *x - *y;
  return 0;
}

size_t strlen(const char *s) { return gpuos_strlen(s); }

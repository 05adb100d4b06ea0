/* stdshim/src/malloc.c: the C allocation functions, forwarded to the gpuos
 * heap imports (a GPU slab allocator in the process's own linear memory).
 *
 * In WASI builds this object is linked ahead of libc.a and must define every
 * symbol that wasi-libc's dlmalloc.o defines and the rest of libc uses:
 * malloc, free, calloc, realloc, aligned_alloc, posix_memalign and the
 * __libc_malloc/__libc_calloc/__libc_free aliases (locale and atexit code call
 * those). Then dlmalloc.o is never extracted and no duplicate symbols arise.
 * malloc_usable_size is left out on purpose: there is no import that could
 * answer it, and a program that calls it pulls in dlmalloc.o and fails to link
 * with duplicate symbols, which is better than a wrong answer.
 *
 * Built with -fno-builtin so clang does not recognise these bodies as the
 * library functions they define.
 */
#include "gpuos.h"

#ifdef __wasi__
#include <errno.h>
#define SET_ERRNO(e) (errno = (e))
#else
/* Freestanding: no errno. The values are WASI's, for posix_memalign. */
#define EINVAL 28
#define ENOMEM 48
#define SET_ERRNO(e) ((void)0)
#endif

static void *nomem(void *p) {
  if (!p) SET_ERRNO(ENOMEM);
  return p;
}

void *malloc(size_t size) { return nomem(gpuos_malloc(size)); }

void free(void *ptr) {
  if (ptr) gpuos_free(ptr); /* free(NULL) never reaches the GPU */
}

void *calloc(size_t n, size_t size) {
  /* n * size must not wrap: calloc(65536, 65536) is a failure, not 0 bytes */
  if (size && n > SIZE_MAX / size) return nomem(0);
  return nomem(gpuos_calloc(n, size));
}

void *realloc(void *ptr, size_t size) { return nomem(gpuos_realloc(ptr, size)); }

static int pow2(size_t a) { return a && !(a & (a - 1)); }

void *aligned_alloc(size_t align, size_t size) {
  if (!pow2(align)) {
    SET_ERRNO(EINVAL);
    return 0;
  }
  return nomem(gpuos_aligned_alloc(align, size));
}

int posix_memalign(void **out, size_t align, size_t size) {
  if (!pow2(align) || align % sizeof(void *)) return EINVAL;
  void *p = gpuos_aligned_alloc(align, size);
  if (!p && size) return ENOMEM; /* size 0 may give NULL, which is allowed */
  *out = p;
  return 0;
}

#ifdef __wasi__
void *__libc_malloc(size_t size) { return malloc(size); }
void *__libc_calloc(size_t n, size_t size) { return calloc(n, size); }
void __libc_free(void *ptr) { free(ptr); }
#endif

/* gpuos.h: the guest side of the gpuos system-call ABI.
 *
 * stdshim is the guest library that maps alloc, sync, fmt and process calls to
 * GPU opcodes: a guest calls functions imported from the WebAssembly module
 * "gpuos", and the translator turns each import into a VM opcode that the
 * persistent kernel serves on the GPU (DESIGN.md, "Processes and the VM").
 * This header declares those imports under gpuos_ names, a few inline helpers
 * (gpuos_puts, integer formatting, a tiny printf), and, in freestanding builds,
 * the libc subset that stdshim itself defines (malloc family, mem* and strlen).
 *
 * Every parameter and result is an i32 on wasm32 (pointers and size_t
 * included). docs/stdshim.md has the table with the exact semantics.
 */
#ifndef GPUOS_STDSHIM_GPUOS_H
#define GPUOS_STDSHIM_GPUOS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GPUOS_IMPORT(name) __attribute__((import_module("gpuos"), import_name(#name)))

/* ---- process ---------------------------------------------------------------- */
/* Ends the process with `status` (what wait() on it returns). Never returns. */
GPUOS_IMPORT(exit) __attribute__((noreturn)) void gpuos_exit(int32_t status);
GPUOS_IMPORT(getpid) int32_t gpuos_getpid(void);
GPUOS_IMPORT(getppid) int32_t gpuos_getppid(void);
/* The spawn argument: the instance index 0..N-1 for host spawns, the value
 * passed to gpuos_spawn for GPU spawns. */
GPUOS_IMPORT(arg) int32_t gpuos_arg(void);
/* Starts `program` (GPUOS_SELF: the caller's own) with spawn argument `arg`.
 * Returns the child's pid (> 0) or a negative error (GPUOS_SPAWN_*; the same
 * values as shaders/abi_proc.h's SPAWN_*). The child joins the caller's
 * process tree, which may hold at most `gpuos boot --max-procs-per-tree`
 * slots (its processes and their unreaped zombies). */
#define GPUOS_SELF (-1)
#define GPUOS_SPAWN_NO_SLOT (-1)     /* the process table is full */
#define GPUOS_SPAWN_NO_PAGES (-2)    /* not enough free memory pages */
#define GPUOS_SPAWN_BAD_PROGRAM (-3) /* no such program */
#define GPUOS_SPAWN_TREE_LIMIT (-4)  /* the caller's tree holds its limit of slots */
#define GPUOS_SPAWN_KILLED (-5)      /* the caller, or its tree, is being killed */
GPUOS_IMPORT(spawn) int32_t gpuos_spawn(int32_t program, int32_t arg);
/* Blocks until child `pid` exits and returns its exit status: the exit()
 * value, 137 if it was killed, 134 if it trapped. Negative if `pid` is not a
 * child of the caller. */
#define GPUOS_STATUS_KILLED 137
#define GPUOS_STATUS_TRAPPED 134
GPUOS_IMPORT(wait) int32_t gpuos_wait(int32_t pid);
/* Gives the lane up for the rest of this quantum. */
GPUOS_IMPORT(yield) void gpuos_yield(void);

/* ---- host requests ----------------------------------------------------------- */
/* The null system call: a request to the host, which answers at once and does
 * nothing. The process blocks until the answer comes back, as for any WASI call
 * the host serves, so one call is one full guest -> host -> guest round trip
 * (bench/io measures it). Returns 0. */
GPUOS_IMPORT(null_call) int32_t gpuos_null_call(void);

/* ---- output ----------------------------------------------------------------- */
/* Writes `len` bytes at `ptr` to the process's stdout: debug-ring records of
 * up to 108 bytes, tagged with the pid, that the host routes to whoever
 * spawned the process (gpuos run prints them; docs/io.md). */
GPUOS_IMPORT(print) void gpuos_print(const void *ptr, size_t len);

/* ---- heap: a slab allocator on the GPU, inside this process's own linear
 * memory, so results are ordinary pointers. 0 means failure. ------------------ */
GPUOS_IMPORT(malloc) void *gpuos_malloc(size_t size);
GPUOS_IMPORT(free) void gpuos_free(void *ptr);
GPUOS_IMPORT(calloc) void *gpuos_calloc(size_t n, size_t size);
GPUOS_IMPORT(realloc) void *gpuos_realloc(void *ptr, size_t size);
GPUOS_IMPORT(aligned_alloc) void *gpuos_aligned_alloc(size_t align, size_t size);

/* ---- arguments -------------------------------------------------------------- */
/* Total bytes of the argv blob: the arguments, each followed by a NUL. */
GPUOS_IMPORT(args_size) size_t gpuos_args_size(void);
/* Copies up to `len` bytes of the blob to `buf`; returns argc. */
GPUOS_IMPORT(args_get) int32_t gpuos_args_get(char *buf, size_t len);

#undef GPUOS_IMPORT

/* ---- libc subset that stdshim defines in freestanding builds ---------------- */
#if !__STDC_HOSTED__
void *malloc(size_t size);
void free(void *ptr);
void *calloc(size_t n, size_t size);
void *realloc(void *ptr, size_t size);
void *aligned_alloc(size_t align, size_t size);
int posix_memalign(void **out, size_t align, size_t size);
void *memset(void *dst, int c, size_t n);
void *memcpy(void *__restrict dst, const void *__restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
#endif

/* ---- inline helpers ----------------------------------------------------------- */
static inline size_t gpuos_strlen(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

/* Prints a NUL-terminated string as one record. Unlike puts(), no newline is
 * added. */
static inline void gpuos_puts(const char *s) { gpuos_print(s, gpuos_strlen(s)); }

/* Writes `v` in `base` (2..16, lower-case digits) to `buf`, which needs room
 * for 32 digits; returns the digit count. No NUL is written. */
static inline size_t gpuos_fmt_u32(char *buf, uint32_t v, unsigned base) {
  char tmp[32];
  size_t n = 0;
  do {
    tmp[n++] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v);
  for (size_t i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
  return n;
}

/* Decimal, with a leading '-'; needs room for 11 characters. */
static inline size_t gpuos_fmt_i32(char *buf, int32_t v) {
  if (v >= 0) return gpuos_fmt_u32(buf, (uint32_t)v, 10);
  buf[0] = '-';
  /* 0u - v: INT32_MIN has no positive int32 */
  return 1 + gpuos_fmt_u32(buf + 1, 0u - (uint32_t)v, 10);
}

/* A small vsnprintf: %d %i %u %x %p %s %c %%, no widths or flags. Always
 * NUL-terminates when cap > 0 and returns the length written (truncated
 * output is cut, not counted). */
static inline int gpuos_vsnprintf(char *buf, size_t cap, const char *fmt, va_list ap) {
  size_t n = 0;
  if (cap == 0) return 0;
  for (const char *f = fmt; *f; f++) {
    char num[34];
    const char *s = num;
    size_t len = 0;
    if (*f != '%') {
      num[0] = *f;
      len = 1;
    } else {
      switch (*++f) {
        case 'd': case 'i': len = gpuos_fmt_i32(num, va_arg(ap, int32_t)); break;
        case 'u': len = gpuos_fmt_u32(num, va_arg(ap, uint32_t), 10); break;
        case 'x': len = gpuos_fmt_u32(num, va_arg(ap, uint32_t), 16); break;
        case 'p':
          num[0] = '0';
          num[1] = 'x';
          len = 2 + gpuos_fmt_u32(num + 2, (uint32_t)(uintptr_t)va_arg(ap, void *), 16);
          break;
        case 's':
          s = va_arg(ap, const char *);
          if (!s) s = "(null)";
          len = gpuos_strlen(s);
          break;
        case 'c': num[0] = (char)va_arg(ap, int); len = 1; break;
        case '%': num[0] = '%'; len = 1; break;
        case '\0': f--; break; /* lone '%' at the end: print nothing */
        default: num[0] = '%'; num[1] = *f; len = 2; break; /* unknown: as written */
      }
    }
    for (size_t i = 0; i < len && n + 1 < cap; i++) buf[n++] = s[i];
  }
  buf[n] = '\0';
  return (int)n;
}

static inline int gpuos_snprintf(char *buf, size_t cap, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = gpuos_vsnprintf(buf, cap, fmt, ap);
  va_end(ap);
  return n;
}

/* Formats into a 256-byte stack buffer and prints it to stdout (longer output
 * is cut). Returns the length printed. */
static inline int gpuos_printf(const char *fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  int n = gpuos_vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  gpuos_print(buf, (size_t)n);
  return n;
}

#ifdef __cplusplus
}
#endif

#endif /* GPUOS_STDSHIM_GPUOS_H */

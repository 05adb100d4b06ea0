/* read_file: reads one file through WASI, for bench/io's file-reading
 * throughput.
 *
 * The file is argv[1] if given, else "f<index>.bin" with index = the low 20
 * bits of gpuos_arg() in decimal, so the instances of one host spawn each
 * read their own file (first_arg 0: instance i reads "fi.bin"). Paths are
 * relative: wasi-libc resolves them against the preopened directory "."
 * (SpawnIo). The file is read fully with open() and read() into a 64 KiB
 * buffer: the buffer is filled (read() may return short counts; the host
 * gives at most 12 KiB a call), hashed, and filled again until end of file.
 *
 * Checksum: 64-bit FNV-1a over the file's little-endian 64-bit words (hash =
 * (hash ^ word) * 0x100000001b3, from 0xcbf29ce484222325), then over the 1
 * to 7 bytes of a final partial word one byte at a time. Words, not bytes,
 * so the interpreter spends 8 times fewer instructions than byte-wise
 * FNV-1a; the loop is unrolled by 4 for the same reason. The host computes
 * the same (bench/io/bench_io.cpp, fnv1a64_words).
 *
 * With bit 30 of gpuos_arg() set ("read only") nothing is hashed: the bytes
 * are only read (bench/io's pass that measures the I/O path alone).
 *
 * Prints one line to stdout: "read_file NAME BYTES CHECKSUM" (the checksum as
 * 16 hex digits; 0 when read only).
 * Expected exit status: the checksum & 0x7f (0..127), 0 when read only; 129
 * if the file cannot be opened, 130 if a read fails, 131 if the buffer cannot
 * be allocated. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gpuos.h"

#define CHUNK 65536u
#define INDEX_MASK 0xfffffu
#define READ_ONLY (1u << 30)
#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static uint64_t fnv1a64_words(uint64_t h, const unsigned char *p, size_t n) {
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    uint64_t w[4];
    memcpy(w, p + i, 32); /* wasm32 is little-endian */
    h = (h ^ w[0]) * FNV_PRIME;
    h = (h ^ w[1]) * FNV_PRIME;
    h = (h ^ w[2]) * FNV_PRIME;
    h = (h ^ w[3]) * FNV_PRIME;
  }
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    h = (h ^ w) * FNV_PRIME;
  }
  for (; i < n; i++) h = (h ^ p[i]) * FNV_PRIME;
  return h;
}

int main(int argc, char **argv) {
  const uint32_t arg = (uint32_t)gpuos_arg();
  const int hash = !(arg & READ_ONLY);
  char name[32];
  const char *path = argc > 1 ? argv[1] : name;
  if (argc <= 1) snprintf(name, sizeof name, "f%u.bin", (unsigned)(arg & INDEX_MASK));
  unsigned char *buf = malloc(CHUNK);
  if (!buf) return 131;
  const int fd = open(path, O_RDONLY);
  if (fd < 0) return 129;
  uint64_t h = hash ? FNV_OFFSET : 0;
  uint64_t total = 0;
  for (;;) {
    /* Fill the chunk, so that words never straddle two hashing steps. */
    size_t filled = 0;
    while (filled < CHUNK) {
      const ssize_t r = read(fd, buf + filled, CHUNK - filled);
      if (r < 0) return 130;
      if (r == 0) break;
      filled += (size_t)r;
    }
    if (filled == 0) break;
    if (hash) h = fnv1a64_words(h, buf, filled);
    total += filled;
    if (filled < CHUNK) break;
  }
  close(fd);
  printf("read_file %s %llu %016llx\n", path, (unsigned long long)total, (unsigned long long)h);
  return (int)(h & 0x7f);
}

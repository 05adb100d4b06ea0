/* mandelbrot: renders the Mandelbrot set to a binary PPM (P6) image.
 *
 * usage: mandelbrot WIDTH HEIGHT OUT.ppm [MAXITER]
 *   Covers re in [-2.5, 1.0), im in [-1.25, 1.25) (top row is im = +1.25),
 *   MAXITER iterations at most per pixel (default 255, 1..100000), and writes
 *   "P6\nWIDTH HEIGHT\n255\n" and the RGB pixels to OUT.ppm. Points in the set
 *   are black; others are coloured by their escape count. Then prints one line
 *   to stdout:
 *     mandelbrot WIDTHxHEIGHT maxiter=N inside=PIXELS iterations=TOTAL fnv1a64=HEX
 *   where fnv1a64 is the FNV-1a 64-bit hash of the whole file.
 *   All arithmetic is integer (fixed point, 24 fraction bits, in 64-bit
 *   integers), so every build computes the same image bit for bit.
 *   WIDTH and HEIGHT are 1..4096.
 * Exit status 0; 1 if the file cannot be written, 2 on bad arguments.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRAC 24
#define ONE ((int64_t)1 << FRAC)

static uint64_t fnv = 0xcbf29ce484222325ull;

static void hash(const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    fnv ^= p[i];
    fnv *= 0x100000001b3ull;
  }
}

/* (a * b) in fixed point; division truncates toward zero, which C defines
 * (a right shift of a negative value would be implementation-defined) */
static int64_t fmul(int64_t a, int64_t b) { return a * b / ONE; }

static long arg(const char *s, long lo, long hi, const char *what) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*s == '\0' || *end || v < lo || v > hi) {
    fprintf(stderr, "mandelbrot: bad %s '%s' (%ld..%ld)\n", what, s, lo, hi);
    exit(2);
  }
  return v;
}

int main(int argc, char **argv) {
  if (argc != 4 && argc != 5) {
    fprintf(stderr, "usage: mandelbrot WIDTH HEIGHT OUT.ppm [MAXITER]\n");
    return 2;
  }
  long w = arg(argv[1], 1, 4096, "width");
  long h = arg(argv[2], 1, 4096, "height");
  long maxiter = argc == 5 ? arg(argv[4], 1, 100000, "iteration count") : 255;

  size_t row_bytes = (size_t)w * 3;
  unsigned char *row = malloc(row_bytes);
  if (!row) {
    fprintf(stderr, "mandelbrot: out of memory\n");
    return 1;
  }
  FILE *out = fopen(argv[3], "wb");
  if (!out) {
    fprintf(stderr, "mandelbrot: %s: cannot open for writing\n", argv[3]);
    free(row);
    return 1;
  }
  char header[64];
  int hl = snprintf(header, sizeof header, "P6\n%ld %ld\n255\n", w, h);
  fwrite(header, 1, (size_t)hl, out);
  hash((const unsigned char *)header, (size_t)hl);

  const int64_t re0 = -5 * ONE / 2, re_span = 7 * ONE / 2; /* -2.5, 3.5 */
  const int64_t im0 = 5 * ONE / 4, im_span = 5 * ONE / 2;  /* +1.25, 2.5 */
  const int64_t limit = 4 * ONE;
  long inside = 0;
  uint64_t total = 0;
  for (long y = 0; y < h; y++) {
    int64_t ci = im0 - im_span * y / h;
    for (long x = 0; x < w; x++) {
      int64_t cr = re0 + re_span * x / w;
      int64_t zr = 0, zi = 0;
      long n = 0;
      while (n < maxiter) {
        int64_t zr2 = fmul(zr, zr), zi2 = fmul(zi, zi);
        if (zr2 + zi2 > limit) break;
        zi = fmul(2 * zr, zi) + ci;
        zr = zr2 - zi2 + cr;
        n++;
      }
      total += (uint64_t)n;
      unsigned char *px = row + 3 * x;
      if (n == maxiter) {
        inside++;
        px[0] = px[1] = px[2] = 0;
      } else {
        px[0] = (unsigned char)(n * 9 % 256);
        px[1] = (unsigned char)(n * 4 % 256);
        px[2] = (unsigned char)(255 - n * 16 % 256);
      }
    }
    hash(row, row_bytes);
    if (fwrite(row, 1, row_bytes, out) != row_bytes) {
      fprintf(stderr, "mandelbrot: %s: write error\n", argv[3]);
      fclose(out);
      free(row);
      return 1;
    }
  }
  free(row);
  if (fclose(out) != 0) {
    fprintf(stderr, "mandelbrot: %s: write error\n", argv[3]);
    return 1;
  }
  printf("mandelbrot %ldx%ld maxiter=%ld inside=%ld iterations=%llu fnv1a64=%016llx\n", w, h,
         maxiter, inside, (unsigned long long)total, (unsigned long long)fnv);
  return 0;
}

/* base64: encodes a file, or stdin, as base64 (RFC 4648), or decodes it.
 *
 * usage: base64 [-d] [-w COLS] [FILE]
 *   Encoding writes lines of COLS characters (default 76, as base64(1);
 *   0: one line) and ends with a newline. -d decodes: white space is skipped,
 *   '=' padding is required at the end of a partial group, and anything else
 *   outside the alphabet is an error. With no FILE, or with "-", reads stdin.
 * Exit status 0; 1 on invalid input or a file that cannot be opened, 2 on a
 * usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 3072 /* a multiple of 3, so only the last chunk needs padding */

static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static long cols = 76, col;

static void put(char c) {
  if (cols > 0 && col == cols) {
    putchar('\n');
    col = 0;
  }
  putchar(c);
  col++;
}

static int encode(FILE *in) {
  unsigned char *buf = malloc(CHUNK);
  if (!buf) {
    fprintf(stderr, "base64: out of memory\n");
    return 1;
  }
  size_t n;
  int any = 0;
  /* fill whole chunks so that padding only happens at the end */
  for (;;) {
    n = 0;
    while (n < CHUNK) {
      size_t got = fread(buf + n, 1, CHUNK - n, in);
      if (got == 0) break;
      n += got;
    }
    for (size_t i = 0; i < n; i += 3) {
      unsigned v = (unsigned)buf[i] << 16;
      if (i + 1 < n) v |= (unsigned)buf[i + 1] << 8;
      if (i + 2 < n) v |= buf[i + 2];
      put(ALPHABET[v >> 18 & 63]);
      put(ALPHABET[v >> 12 & 63]);
      put(i + 1 < n ? ALPHABET[v >> 6 & 63] : '=');
      put(i + 2 < n ? ALPHABET[v & 63] : '=');
    }
    if (n) any = 1;
    if (n < CHUNK) break;
  }
  free(buf);
  if (ferror(in)) {
    fprintf(stderr, "base64: read error\n");
    return 1;
  }
  if (any) putchar('\n');
  return 0;
}

static int decode(FILE *in) {
  int val[256];
  for (int i = 0; i < 256; i++) val[i] = -1;
  for (int i = 0; i < 64; i++) val[(unsigned char)ALPHABET[i]] = i;

  unsigned group = 0; /* bits collected */
  int have = 0;       /* sextets in group */
  int pad = 0;        /* '=' seen */
  long pos = 0;
  int ch;
  while ((ch = getc(in)) != EOF) {
    pos++;
    if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') continue;
    if (ch == '=') {
      if (have < 2 || have + pad >= 4) goto bad;
      pad++;
      if (have + pad == 4) { /* a complete padded group */
        if (have == 2) { /* 12 bits: one byte */
          putchar((int)(group >> 4 & 255));
        } else { /* 18 bits: two bytes */
          putchar((int)(group >> 10 & 255));
          putchar((int)(group >> 2 & 255));
        }
        group = 0;
        have = 0;
        pad = -1; /* nothing may follow but white space */
      }
      continue;
    }
    if (val[ch] < 0 || pad != 0) goto bad;
    group = group << 6 | (unsigned)val[ch];
    if (++have == 4) {
      putchar((int)(group >> 16 & 255));
      putchar((int)(group >> 8 & 255));
      putchar((int)(group & 255));
      group = 0;
      have = 0;
    }
  }
  if (ferror(in)) {
    fprintf(stderr, "base64: read error\n");
    return 1;
  }
  if (have != 0 || pad > 0) {
    fflush(stdout);
    fprintf(stderr, "base64: invalid input: truncated group at the end\n");
    return 1;
  }
  return 0;
bad:
  fflush(stdout);
  fprintf(stderr, "base64: invalid input at byte %ld\n", pos);
  return 1;
}

int main(int argc, char **argv) {
  int opt_d = 0, i = 1;
  for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
    if (strcmp(argv[i], "-d") == 0) {
      opt_d = 1;
    } else if (strcmp(argv[i], "-w") == 0 && i + 1 < argc) {
      char *end;
      cols = strtol(argv[++i], &end, 10);
      if (*end || cols < 0) {
        fprintf(stderr, "base64: bad column count '%s'\n", argv[i]);
        return 2;
      }
    } else {
      fprintf(stderr, "base64: unknown option %s\nusage: base64 [-d] [-w COLS] [FILE]\n", argv[i]);
      return 2;
    }
  }
  if (argc - i > 1) {
    fprintf(stderr, "usage: base64 [-d] [-w COLS] [FILE]\n");
    return 2;
  }
  FILE *in = stdin;
  if (i < argc && strcmp(argv[i], "-") != 0) {
    in = fopen(argv[i], "rb");
    if (!in) {
      fprintf(stderr, "base64: %s: cannot open\n", argv[i]);
      return 1;
    }
  }
  int status = opt_d ? decode(in) : encode(in);
  if (in != stdin) fclose(in);
  return status;
}

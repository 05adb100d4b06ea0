/* sort: sorts the lines of files, or stdin, and writes them to stdout.
 *
 * usage: sort [-r] [-n] [-u] [FILE...]
 *   Lines are compared byte by byte (the C locale), the whole line as the key.
 *   -n  compare by the number at the start of the line (optional blanks, an
 *       optional sign, digits, an optional fraction); a line without one
 *       counts as 0. Lines with equal numbers are ordered byte by byte.
 *   -r  reverse the order
 *   -u  print only the first of each run of lines with equal keys (with -n:
 *       equal numbers)
 *   With no FILE, or where FILE is "-", reads stdin. The inputs are sorted
 *   together. A missing final newline is supplied. The order is a total one,
 *   so the output does not depend on the qsort implementation.
 * Exit status 0; 2 on a usage error or a file that cannot be opened.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int opt_r, opt_n, opt_u;

struct line {
  char *text; /* NUL-terminated, no '\n' */
  size_t len;
  /* -n: the number as a sign, integer digits and fraction digits, compared
   * as strings so no floating point is involved */
  int neg;
  const char *ip; /* integer part without leading zeros */
  size_t ilen;
  const char *fp; /* fraction digits without trailing zeros */
  size_t flen;
};

static struct line *lines;
static size_t nlines, caplines;

static void oom(void) {
  fprintf(stderr, "sort: out of memory\n");
  exit(2);
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static void parse_number(struct line *l) {
  const char *p = l->text;
  while (*p == ' ' || *p == '\t') p++;
  l->neg = 0;
  if (*p == '-' || *p == '+') {
    l->neg = *p == '-';
    p++;
  }
  while (*p == '0') p++;
  l->ip = p;
  while (is_digit(*p)) p++;
  l->ilen = (size_t)(p - l->ip);
  l->fp = p;
  l->flen = 0;
  if (*p == '.') {
    l->fp = ++p;
    while (is_digit(*p)) p++;
    l->flen = (size_t)(p - l->fp);
    while (l->flen > 0 && l->fp[l->flen - 1] == '0') l->flen--;
  }
  if (l->ilen == 0 && l->flen == 0) l->neg = 0; /* -0 is 0 */
}

/* compares the magnitudes of a and b */
static int cmp_magnitude(const struct line *a, const struct line *b) {
  if (a->ilen != b->ilen) return a->ilen < b->ilen ? -1 : 1;
  int c = memcmp(a->ip, b->ip, a->ilen);
  if (c) return c < 0 ? -1 : 1;
  size_t n = a->flen < b->flen ? a->flen : b->flen;
  c = memcmp(a->fp, b->fp, n);
  if (c) return c < 0 ? -1 : 1;
  if (a->flen != b->flen) return a->flen < b->flen ? -1 : 1;
  return 0;
}

static int cmp_key(const struct line *a, const struct line *b) {
  if (opt_n) {
    if (a->neg != b->neg) return a->neg ? -1 : 1;
    int c = cmp_magnitude(a, b);
    return a->neg ? -c : c;
  }
  size_t n = a->len < b->len ? a->len : b->len;
  int c = memcmp(a->text, b->text, n);
  if (c) return c < 0 ? -1 : 1;
  if (a->len != b->len) return a->len < b->len ? -1 : 1;
  return 0;
}

static int cmp_bytes(const struct line *a, const struct line *b) {
  size_t n = a->len < b->len ? a->len : b->len;
  int c = memcmp(a->text, b->text, n);
  if (c) return c < 0 ? -1 : 1;
  if (a->len != b->len) return a->len < b->len ? -1 : 1;
  return 0;
}

static int compare(const void *pa, const void *pb) {
  const struct line *a = pa, *b = pb;
  int c = cmp_key(a, b);
  if (c == 0) c = cmp_bytes(a, b);
  return opt_r ? -c : c;
}

static void add_line(char *text, size_t len) {
  if (nlines == caplines) {
    caplines = caplines ? caplines * 2 : 64;
    struct line *nl = realloc(lines, caplines * sizeof *lines);
    if (!nl) oom();
    lines = nl;
  }
  struct line *l = &lines[nlines++];
  l->text = text;
  l->len = len;
  if (opt_n) parse_number(l);
}

static void read_lines(FILE *in) {
  char *buf = NULL;
  size_t n = 0, cap = 0;
  int ch;
  for (;;) {
    ch = getc(in);
    if (ch == EOF && n == 0) break;
    if (ch == EOF || ch == '\n') {
      char *text = malloc(n + 1);
      if (!text) oom();
      if (n) memcpy(text, buf, n);
      text[n] = '\0';
      add_line(text, n);
      n = 0;
      if (ch == EOF) break;
      continue;
    }
    if (n + 1 >= cap) {
      cap = cap ? cap * 2 : 128;
      char *nb = realloc(buf, cap);
      if (!nb) oom();
      buf = nb;
    }
    buf[n++] = (char)ch;
  }
  free(buf);
}

int main(int argc, char **argv) {
  int i = 1;
  for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
    for (const char *p = argv[i] + 1; *p; p++) {
      switch (*p) {
      case 'r': opt_r = 1; break;
      case 'n': opt_n = 1; break;
      case 'u': opt_u = 1; break;
      default:
        fprintf(stderr, "sort: unknown option -%c\nusage: sort [-r] [-n] [-u] [FILE...]\n", *p);
        return 2;
      }
    }
  }
  if (i == argc) read_lines(stdin);
  for (; i < argc; i++) {
    if (strcmp(argv[i], "-") == 0) {
      read_lines(stdin);
      continue;
    }
    FILE *f = fopen(argv[i], "rb");
    if (!f) {
      fprintf(stderr, "sort: %s: cannot open\n", argv[i]);
      return 2;
    }
    read_lines(f);
    fclose(f);
  }
  if (nlines > 1) qsort(lines, nlines, sizeof *lines, compare);
  for (size_t k = 0; k < nlines; k++) {
    if (opt_u && k > 0 && cmp_key(&lines[k - 1], &lines[k]) == 0) continue;
    fwrite(lines[k].text, 1, lines[k].len, stdout);
    putchar('\n');
  }
  for (size_t k = 0; k < nlines; k++) free(lines[k].text);
  free(lines);
  return 0;
}

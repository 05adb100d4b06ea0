/* grep: prints the lines of files, or stdin, that match a pattern.
 *
 * usage: grep [-n] [-c] [-v] [-F] PATTERN [FILE...]
 *   PATTERN is a small regular expression (Kernighan and Pike's matcher):
 *     c   any other byte matches itself
 *     .   matches any byte
 *     x*  zero or more of the preceding byte or '.'
 *     ^   at the start of the pattern: anchors it to the start of the line
 *     $   at the end of the pattern: anchors it to the end of the line
 *   -F  PATTERN is a fixed string (no special bytes)
 *   -n  prefix each line with its line number
 *   -c  print only the number of matching lines
 *   -v  select the lines that do not match
 *   With no FILE, or where FILE is "-", reads stdin. With more than one FILE,
 *   each output line is prefixed with "NAME:". "--" ends the options.
 * Exit status: 0 if a line was selected, 1 if none was, 2 on an error (usage,
 * a file that cannot be opened), as grep(1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int opt_n, opt_c, opt_v, opt_F;

/* ---- the matcher: text is s[0..len), not NUL-terminated --------------------- */
static int match_here(const char *re, const char *s, size_t len);

/* c* at the start of s: the shortest run first, as in The Practice of Programming */
static int match_star(int c, const char *re, const char *s, size_t len) {
  do {
    if (match_here(re, s, len)) return 1;
    if (len == 0 || (*s != c && c != '.')) return 0;
    s++;
    len--;
  } while (1);
}

static int match_here(const char *re, const char *s, size_t len) {
  for (;;) {
    if (re[0] == '\0') return 1;
    if (re[1] == '*') return match_star((unsigned char)re[0], re + 2, s, len);
    if (re[0] == '$' && re[1] == '\0') return len == 0;
    if (len == 0 || (re[0] != '.' && re[0] != *s)) return 0;
    re++;
    s++;
    len--;
  }
}

static int match(const char *re, const char *s, size_t len) {
  if (re[0] == '^') return match_here(re + 1, s, len);
  do {
    if (match_here(re, s, len)) return 1;
    if (len == 0) return 0;
    s++;
    len--;
  } while (1);
}

static int match_fixed(const char *pat, size_t plen, const char *s, size_t len) {
  if (plen == 0) return 1;
  for (size_t i = 0; i + plen <= len; i++) {
    if (memcmp(s + i, pat, plen) == 0) return 1;
  }
  return 0;
}

/* ---- lines ------------------------------------------------------------------- */
/* Reads one line (without its '\n') into *buf, growing it. Returns the length,
 * or -1 at end of input. *had_nl says whether the line ended with '\n'. */
static long read_line(FILE *in, char **buf, size_t *cap, int *had_nl) {
  size_t n = 0;
  int ch;
  *had_nl = 0;
  while ((ch = getc(in)) != EOF) {
    if (ch == '\n') {
      *had_nl = 1;
      break;
    }
    if (n + 1 >= *cap) {
      size_t ncap = *cap ? *cap * 2 : 256;
      char *nb = realloc(*buf, ncap);
      if (!nb) {
        fprintf(stderr, "grep: out of memory\n");
        exit(2);
      }
      *buf = nb;
      *cap = ncap;
    }
    (*buf)[n++] = (char)ch;
  }
  if (n == 0 && !*had_nl) return -1;
  return (long)n;
}

/* Greps one stream; returns the number of selected lines. */
static long grep(FILE *in, const char *name, const char *pat) {
  char *line = NULL;
  size_t cap = 0, plen = strlen(pat);
  long len, lineno = 0, selected = 0;
  int had_nl;
  while ((len = read_line(in, &line, &cap, &had_nl)) >= 0) {
    lineno++;
    int m = opt_F ? match_fixed(pat, plen, line ? line : "", (size_t)len)
                  : match(pat, line ? line : "", (size_t)len);
    if (m == opt_v) continue;
    selected++;
    if (opt_c) continue;
    if (name) printf("%s:", name);
    if (opt_n) printf("%ld:", lineno);
    fwrite(line ? line : "", 1, (size_t)len, stdout);
    putchar('\n');
  }
  free(line);
  if (opt_c) {
    if (name) printf("%s:", name);
    printf("%ld\n", selected);
  }
  return selected;
}

int main(int argc, char **argv) {
  int i = 1;
  for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
    if (strcmp(argv[i], "--") == 0) {
      i++;
      break;
    }
    for (const char *p = argv[i] + 1; *p; p++) {
      switch (*p) {
      case 'n': opt_n = 1; break;
      case 'c': opt_c = 1; break;
      case 'v': opt_v = 1; break;
      case 'F': opt_F = 1; break;
      default:
        fprintf(stderr, "grep: unknown option -%c\n", *p);
        fprintf(stderr, "usage: grep [-n] [-c] [-v] [-F] PATTERN [FILE...]\n");
        return 2;
      }
    }
  }
  if (i >= argc) {
    fprintf(stderr, "usage: grep [-n] [-c] [-v] [-F] PATTERN [FILE...]\n");
    return 2;
  }
  const char *pat = argv[i++];
  int nfiles = argc - i, status = 1, errors = 0;
  if (nfiles == 0) {
    if (grep(stdin, NULL, pat) > 0) status = 0;
  }
  for (; i < argc; i++) {
    int is_stdin = strcmp(argv[i], "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(argv[i], "rb");
    if (!f) {
      fprintf(stderr, "grep: %s: cannot open\n", argv[i]);
      errors = 1;
      continue;
    }
    if (grep(f, nfiles > 1 ? argv[i] : NULL, pat) > 0) status = 0;
    if (!is_stdin) fclose(f);
  }
  return errors ? 2 : status;
}

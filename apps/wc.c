/* wc: counts the lines, words and bytes of files or stdin, like wc(1).
 *
 * usage: wc [-l] [-w] [-c] [FILE...]
 *   -l lines, -w words, -c bytes; with none of them, all three in that order.
 *   A word is a maximal run of bytes that are not white space (isspace in the
 *   C locale). With no FILE, or where FILE is "-", reads stdin. Each count is
 *   printed right-aligned in 7 columns, then the name; with more than one FILE
 *   a "total" line follows. A file that cannot be opened is reported on stderr
 *   and skipped, and the exit status is then 1, else 0.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 4096

struct counts {
  unsigned long lines, words, bytes;
};

static int show_l, show_w, show_c;

static int count(FILE *in, struct counts *c, unsigned char *buf) {
  int in_word = 0;
  size_t n;
  while ((n = fread(buf, 1, CHUNK, in)) > 0) {
    c->bytes += n;
    for (size_t i = 0; i < n; i++) {
      if (buf[i] == '\n') c->lines++;
      if (isspace(buf[i])) {
        in_word = 0;
      } else if (!in_word) {
        in_word = 1;
        c->words++;
      }
    }
  }
  return ferror(in) ? -1 : 0;
}

static void print(const struct counts *c, const char *name) {
  if (show_l) printf("%7lu", c->lines);
  if (show_w) printf("%s%7lu", show_l ? " " : "", c->words);
  if (show_c) printf("%s%7lu", show_l || show_w ? " " : "", c->bytes);
  if (name) printf(" %s", name);
  printf("\n");
}

int main(int argc, char **argv) {
  int first = 1;
  for (; first < argc && argv[first][0] == '-' && argv[first][1]; first++) {
    for (const char *p = argv[first] + 1; *p; p++) {
      switch (*p) {
      case 'l': show_l = 1; break;
      case 'w': show_w = 1; break;
      case 'c': show_c = 1; break;
      default:
        fprintf(stderr, "wc: unknown option -%c\nusage: wc [-l] [-w] [-c] [FILE...]\n", *p);
        return 2;
      }
    }
  }
  if (!show_l && !show_w && !show_c) show_l = show_w = show_c = 1;

  unsigned char *buf = malloc(CHUNK);
  if (!buf) {
    fprintf(stderr, "wc: out of memory\n");
    return 1;
  }
  int status = 0;
  struct counts total = {0, 0, 0};
  if (first == argc) {
    struct counts c = {0, 0, 0};
    if (count(stdin, &c, buf) != 0) {
      fprintf(stderr, "wc: -: read error\n");
      status = 1;
    }
    print(&c, NULL);
  }
  for (int i = first; i < argc; i++) {
    struct counts c = {0, 0, 0};
    int is_stdin = strcmp(argv[i], "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(argv[i], "rb");
    if (!f) {
      fprintf(stderr, "wc: %s: cannot open\n", argv[i]);
      status = 1;
      continue;
    }
    if (count(f, &c, buf) != 0) {
      fprintf(stderr, "wc: %s: read error\n", argv[i]);
      status = 1;
    }
    if (!is_stdin) fclose(f);
    print(&c, argv[i]);
    total.lines += c.lines;
    total.words += c.words;
    total.bytes += c.bytes;
  }
  if (argc - first > 1) print(&total, "total");
  free(buf);
  return status;
}

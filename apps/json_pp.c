/* json_pp: checks a JSON document (RFC 8259) and prints it indented.
 *
 * usage: json_pp [-c] [FILE]
 *   Reads FILE, or stdin when FILE is absent or "-", parses it into a tree
 *   and prints it with two spaces per level, "key": value, one member or
 *   element per line, and empty containers as {} and []. -c prints it compact
 *   instead (no white space at all). Numbers and strings are printed exactly
 *   as written (they are checked, not converted), so no floating point is
 *   involved; object members keep their order, duplicates included.
 * On bad JSON it prints "json_pp: NAME:LINE:COLUMN: what" on stderr, prints
 * nothing on stdout, and exits 1. Nesting deeper than 200 levels is refused
 * the same way. Exit status 0 on success, 2 on a usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 200

enum type { J_LITERAL, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT };

struct value;
struct member {
  const char *key; /* raw string token with its quotes; NULL in arrays */
  size_t key_len;
  struct value *value;
};

struct value {
  enum type type;
  const char *text; /* raw token of a literal, number or string */
  size_t len;
  struct member *items; /* array elements or object members */
  size_t n, cap;
};

static const char *name;
static const char *src;
static size_t src_len, pos;

static void fail(const char *what) {
  long line = 1, column = 1;
  for (size_t i = 0; i < pos && i < src_len; i++) {
    if (src[i] == '\n') {
      line++;
      column = 1;
    } else {
      column++;
    }
  }
  fprintf(stderr, "json_pp: %s:%ld:%ld: %s\n", name, line, column, what);
  exit(1);
}

static void *xmalloc(size_t n) {
  void *p = malloc(n);
  if (!p) {
    fprintf(stderr, "json_pp: out of memory\n");
    exit(1);
  }
  return p;
}

static int peek(void) { return pos < src_len ? (unsigned char)src[pos] : -1; }

static void skip_ws(void) {
  while (pos < src_len &&
         (src[pos] == ' ' || src[pos] == '\t' || src[pos] == '\n' || src[pos] == '\r'))
    pos++;
}

static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_hex(int c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

/* A string token starting at pos (which holds '"'); leaves pos after it. */
static void scan_string(void) {
  pos++;
  for (;;) {
    int c = peek();
    if (c < 0) fail("unterminated string");
    if (c == '"') {
      pos++;
      return;
    }
    if (c < 0x20) fail("control character in string");
    if (c == '\\') {
      pos++;
      c = peek();
      if (c == 'u') {
        pos++;
        for (int i = 0; i < 4; i++, pos++) {
          if (!is_hex(peek())) fail("bad \\u escape");
        }
        continue;
      }
      if (c < 0 || !strchr("\"\\/bfnrt", c)) fail("bad escape in string");
    }
    pos++;
  }
}

static void scan_number(void) {
  if (peek() == '-') pos++;
  if (peek() == '0') {
    pos++;
  } else if (is_digit(peek())) {
    while (is_digit(peek())) pos++;
  } else {
    fail("bad number");
  }
  if (peek() == '.') {
    pos++;
    if (!is_digit(peek())) fail("bad number: digits expected after '.'");
    while (is_digit(peek())) pos++;
  }
  if (peek() == 'e' || peek() == 'E') {
    pos++;
    if (peek() == '+' || peek() == '-') pos++;
    if (!is_digit(peek())) fail("bad number: digits expected in exponent");
    while (is_digit(peek())) pos++;
  }
}

static void add(struct value *v, const char *key, size_t key_len, struct value *item) {
  if (v->n == v->cap) {
    v->cap = v->cap ? v->cap * 2 : 4;
    struct member *m = realloc(v->items, v->cap * sizeof *m);
    if (!m) {
      fprintf(stderr, "json_pp: out of memory\n");
      exit(1);
    }
    v->items = m;
  }
  v->items[v->n].key = key;
  v->items[v->n].key_len = key_len;
  v->items[v->n].value = item;
  v->n++;
}

static struct value *parse_value(int depth) {
  skip_ws();
  struct value *v = xmalloc(sizeof *v);
  memset(v, 0, sizeof *v);
  size_t start = pos;
  int c = peek();
  if (c < 0) fail("unexpected end of input, expected a value");
  if (c == '{' || c == '[') {
    if (depth >= MAX_DEPTH) fail("nesting too deep");
    int close = c == '{' ? '}' : ']';
    v->type = c == '{' ? J_OBJECT : J_ARRAY;
    pos++;
    skip_ws();
    if (peek() == close) {
      pos++;
      return v;
    }
    for (;;) {
      const char *key = NULL;
      size_t key_len = 0;
      if (v->type == J_OBJECT) {
        skip_ws();
        if (peek() != '"') fail("expected a string key");
        size_t k = pos;
        scan_string();
        key = src + k;
        key_len = pos - k;
        skip_ws();
        if (peek() != ':') fail("expected ':'");
        pos++;
      }
      add(v, key, key_len, parse_value(depth + 1));
      skip_ws();
      c = peek();
      if (c == ',') {
        pos++;
        continue;
      }
      if (c == close) {
        pos++;
        return v;
      }
      fail(close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
    }
  }
  if (c == '"') {
    v->type = J_STRING;
    scan_string();
  } else if (c == '-' || is_digit(c)) {
    v->type = J_NUMBER;
    scan_number();
  } else {
    static const char *const words[] = {"true", "false", "null"};
    size_t i;
    for (i = 0; i < 3; i++) {
      size_t n = strlen(words[i]);
      if (src_len - pos >= n && memcmp(src + pos, words[i], n) == 0) {
        pos += n;
        break;
      }
    }
    if (i == 3) fail("unexpected character, expected a value");
    v->type = J_LITERAL;
  }
  v->text = src + start;
  v->len = pos - start;
  return v;
}

static int compact;

static void indent(int depth) {
  if (compact) return;
  putchar('\n');
  for (int i = 0; i < depth; i++) fputs("  ", stdout);
}

static void print_value(const struct value *v, int depth) {
  if (v->type != J_ARRAY && v->type != J_OBJECT) {
    fwrite(v->text, 1, v->len, stdout);
    return;
  }
  int obj = v->type == J_OBJECT;
  putchar(obj ? '{' : '[');
  if (v->n) {
    for (size_t i = 0; i < v->n; i++) {
      if (i) putchar(',');
      indent(depth + 1);
      if (obj) {
        fwrite(v->items[i].key, 1, v->items[i].key_len, stdout);
        fputs(compact ? ":" : ": ", stdout);
      }
      print_value(v->items[i].value, depth + 1);
    }
    indent(depth);
  }
  putchar(obj ? '}' : ']');
}

static void free_value(struct value *v) {
  for (size_t i = 0; i < v->n; i++) free_value(v->items[i].value);
  free(v->items);
  free(v);
}

int main(int argc, char **argv) {
  int i = 1;
  if (i < argc && strcmp(argv[i], "-c") == 0) {
    compact = 1;
    i++;
  }
  if (argc - i > 1 || (i < argc && argv[i][0] == '-' && argv[i][1])) {
    fprintf(stderr, "usage: json_pp [-c] [FILE]\n");
    return 2;
  }
  FILE *in = stdin;
  name = "<stdin>";
  if (i < argc && strcmp(argv[i], "-") != 0) {
    name = argv[i];
    in = fopen(name, "rb");
    if (!in) {
      fprintf(stderr, "json_pp: %s: cannot open\n", name);
      return 1;
    }
  }
  size_t cap = 4096;
  char *buf = xmalloc(cap);
  for (;;) {
    size_t got = fread(buf + src_len, 1, cap - src_len, in);
    src_len += got;
    if (src_len < cap) break;
    cap *= 2;
    char *nb = realloc(buf, cap);
    if (!nb) {
      fprintf(stderr, "json_pp: out of memory\n");
      return 1;
    }
    buf = nb;
  }
  if (ferror(in)) {
    fprintf(stderr, "json_pp: %s: read error\n", name);
    return 1;
  }
  if (in != stdin) fclose(in);
  src = buf;

  struct value *root = parse_value(0);
  skip_ws();
  if (pos != src_len) fail("trailing characters after the value");
  print_value(root, 0);
  putchar('\n');
  free_value(root);
  free(buf);
  return 0;
}

/* charcount: counts the distinct characters of a text file with a hash map.
 *
 * usage: charcount [FILE]
 *   Reads FILE (default: input.txt in the working directory), decodes it as
 *   UTF-8, counts each character (Unicode scalar value) in a hash map and
 *   prints "Found N unique chars".
 *
 * This is the seed program of /work/shared/seeds/002_*.txt ("Full Rust
 * compilation on GPU"). The seed is Rust, not C:
 *
 *     let data = fs::read_to_string("input.txt").unwrap();
 *     let mut counts: HashMap<char, usize> = HashMap::new();
 *     for c in data.chars() { *counts.entry(c).or_insert(0) += 1; }
 *     println!("Found {} unique chars", counts.len());
 *
 * so this is its faithful C version, kept line for line where C allows: read
 * the whole file as a string (read_to_string), fail on a missing file or
 * invalid UTF-8 (unwrap), walk the characters (chars), count each in a hash
 * map (HashMap<char, usize>: open addressing here), print the map's length.
 * Differences: the optional FILE argument (with none it reads input.txt, as
 * the seed does), and an error is a message on stderr with exit status 1
 * where Rust would panic with status 101.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- HashMap<char, usize> -------------------------------------------------- */
struct entry {
  uint32_t key; /* a Unicode scalar value */
  int used;
  size_t count;
};

struct map {
  struct entry *slots;
  size_t cap; /* a power of two */
  size_t len;
};

static uint32_t hash_char(uint32_t c) {
  c ^= c >> 16;
  c *= 0x7feb352dU;
  c ^= c >> 15;
  c *= 0x846ca68bU;
  c ^= c >> 16;
  return c;
}

static int map_init(struct map *m, size_t cap) {
  m->slots = calloc(cap, sizeof *m->slots);
  m->cap = cap;
  m->len = 0;
  return m->slots ? 0 : -1;
}

/* entry(c): the slot for c, inserted with count 0 if it was absent */
static struct entry *map_entry(struct map *m, uint32_t c);

static int map_grow(struct map *m) {
  struct map bigger;
  if (map_init(&bigger, m->cap * 2) != 0) return -1;
  for (size_t i = 0; i < m->cap; i++) {
    if (m->slots[i].used) map_entry(&bigger, m->slots[i].key)->count = m->slots[i].count;
  }
  free(m->slots);
  *m = bigger;
  return 0;
}

static struct entry *map_entry(struct map *m, uint32_t c) {
  if ((m->len + 1) * 4 > m->cap * 3 && map_grow(m) != 0) return NULL;
  size_t i = hash_char(c) & (m->cap - 1);
  while (m->slots[i].used && m->slots[i].key != c) i = (i + 1) & (m->cap - 1);
  if (!m->slots[i].used) {
    m->slots[i].used = 1;
    m->slots[i].key = c;
    m->slots[i].count = 0;
    m->len++;
  }
  return &m->slots[i];
}

/* ---- fs::read_to_string ------------------------------------------------------ */
static char *read_to_string(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    n += fread(buf + n, 1, cap - n, f);
    if (n < cap) break;
    cap *= 2;
    char *nb = realloc(buf, cap);
    if (!nb) free(buf);
    buf = nb;
  }
  if (buf && ferror(f)) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *len = n;
  return buf;
}

/* ---- str::chars: the next UTF-8 character at *p, or -1 if invalid ----------- */
static long next_char(const unsigned char **p, const unsigned char *end) {
  const unsigned char *s = *p;
  uint32_t c = s[0];
  int more;
  uint32_t min;
  if (c < 0x80) {
    *p = s + 1;
    return c;
  } else if (c >= 0xc2 && c <= 0xdf) {
    more = 1, min = 0x80, c &= 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    more = 2, min = 0x800, c &= 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    more = 3, min = 0x10000, c &= 0x07;
  } else {
    return -1;
  }
  if (end - s <= more) return -1;
  for (int i = 1; i <= more; i++) {
    if ((s[i] & 0xc0) != 0x80) return -1;
    c = c << 6 | (s[i] & 0x3f);
  }
  if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return -1;
  *p = s + 1 + more;
  return (long)c;
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "input.txt";
  size_t len;
  char *data = read_to_string(path, &len);
  if (!data) {
    fprintf(stderr, "charcount: %s: cannot read\n", path);
    return 1;
  }
  struct map counts;
  if (map_init(&counts, 64) != 0) {
    fprintf(stderr, "charcount: out of memory\n");
    return 1;
  }
  const unsigned char *p = (const unsigned char *)data, *end = p + len;
  while (p < end) {
    long c = next_char(&p, end);
    if (c < 0) {
      fprintf(stderr, "charcount: %s: stream did not contain valid UTF-8\n", path);
      return 1;
    }
    struct entry *e = map_entry(&counts, (uint32_t)c);
    if (!e) {
      fprintf(stderr, "charcount: out of memory\n");
      return 1;
    }
    e->count += 1;
  }
  printf("Found %zu unique chars\n", counts.len);
  free(counts.slots);
  free(data);
  return 0;
}

/* forth: a tiny Forth interpreter that runs a program file.
 *
 * usage: forth [FILE]
 *   Runs FILE, or stdin when FILE is absent or "-". Cells are 64-bit signed
 *   integers (wrapping), so results do not depend on the machine.
 *
 *   numbers   decimal, optionally negative: 42 -7
 *   stack     dup drop swap over rot nip tuck ?dup pick 2dup 2drop depth
 *   math      + - * / mod /mod negate abs min max 1+ 1- 2* 2/
 *             (/ and mod truncate toward zero, as C does; dividing by 0 is an error)
 *   logic     = <> < > <= >= 0= 0< 0> and or xor invert lshift rshift true false
 *   output    . (number and a space) emit cr space spaces ." text" .s
 *   memory    variable NAME   constant NAME   create NAME   N allot   cells
 *             here , @ ! +!   (addresses index a memory of 65536 cells)
 *   words     : NAME ... ;   recurse exit
 *   control   (inside definitions only)
 *             IF ... [else ...] then     DO ... loop / +loop  i j leave
 *             begin ... until    begin ... while ... repeat    begin ... again
 *   comments  \ to end of line   ( ... )
 *   Words are case-insensitive. A later definition hides an earlier one.
 *
 * On an error (unknown word, stack underflow or overflow, division by zero,
 * a control word outside a definition, a bad address) it prints
 * "forth: line N: what" on stderr and exits 1. Exit status 0 on success.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STACK 256
#define RSTACK 256
#define MEMORY 65536
#define NAME_MAX_LEN 31

typedef int64_t cell;

/* ---- errors ------------------------------------------------------------------ */
static long line_no = 1;

static void die(const char *what, const char *detail) {
  fflush(stdout);
  if (detail)
    fprintf(stderr, "forth: line %ld: %s '%s'\n", line_no, what, detail);
  else
    fprintf(stderr, "forth: line %ld: %s\n", line_no, what);
  exit(1);
}

static void *xrealloc(void *p, size_t n) {
  p = realloc(p, n);
  if (!p) die("out of memory", NULL);
  return p;
}

/* ---- data stack, memory ------------------------------------------------------ */
static cell stack[STACK];
static int sp;
static cell *mem;
static cell here_ptr;

static void push(cell v) {
  if (sp == STACK) die("stack overflow", NULL);
  stack[sp++] = v;
}

static cell pop(void) {
  if (sp == 0) die("stack underflow", NULL);
  return stack[--sp];
}

static void need(int n) {
  if (sp < n) die("stack underflow", NULL);
}

static cell *addr(cell a) {
  if (a < 0 || a >= MEMORY) die("bad address", NULL);
  return &mem[a];
}

/* wrapping arithmetic without signed overflow */
static cell wrap_add(cell a, cell b) { return (cell)((uint64_t)a + (uint64_t)b); }
static cell wrap_sub(cell a, cell b) { return (cell)((uint64_t)a - (uint64_t)b); }
static cell wrap_mul(cell a, cell b) { return (cell)((uint64_t)a * (uint64_t)b); }

static void divmod(cell a, cell b, cell *q, cell *r) {
  if (b == 0) die("division by zero", NULL);
  if (b == -1) { /* INT64_MIN / -1 would trap */
    *q = wrap_sub(0, a);
    *r = 0;
    return;
  }
  *q = a / b;
  *r = a % b;
}

/* ---- code and dictionary ------------------------------------------------------ */
enum op {
  OP_LIT,     /* push arg */
  OP_PRIM,    /* primitive number arg */
  OP_CALL,    /* word number arg */
  OP_BRANCH,  /* to arg */
  OP_0BRANCH, /* to arg if the top is 0 */
  OP_DO,      /* limit start -- ; pushes a loop frame */
  OP_LOOP,    /* to arg while the index has not reached the limit */
  OP_PLOOP,   /* +loop */
  OP_LEAVE,   /* drop the loop frame, branch to arg */
  OP_UNLOOP,  /* drop the loop frame */
  OP_I,
  OP_J,
  OP_DOTQ,    /* print string number arg */
  OP_EXIT,
};

struct ins {
  enum op op;
  cell arg;
};

struct word {
  char name[NAME_MAX_LEN + 1];
  int prim;          /* >= 0: a primitive; -1: a colon definition */
  int kind;          /* colon definitions: 0 code, 1 variable/create (push arg), 2 constant */
  cell value;        /* kinds 1 and 2 */
  struct ins *code;  /* kind 0 */
  size_t ncode, capcode;
};

static struct word *dict;
static size_t ndict, capdict;
static char **strings;
static size_t nstrings, capstrings;

enum prim {
  P_ADD, P_SUB, P_MUL, P_DIV, P_MOD, P_DIVMOD, P_NEGATE, P_ABS, P_MIN, P_MAX,
  P_INC, P_DEC, P_MUL2, P_DIV2, P_EQ, P_NE, P_LT, P_GT, P_LE, P_GE, P_ZEQ, P_ZLT,
  P_ZGT, P_AND, P_OR, P_XOR, P_INVERT, P_LSHIFT, P_RSHIFT, P_TRUE, P_FALSE, P_DUP,
  P_DROP, P_SWAP, P_OVER, P_ROT, P_NIP, P_TUCK, P_QDUP, P_PICK, P_2DUP, P_2DROP,
  P_DEPTH, P_DOT, P_EMIT, P_CR, P_SPACE, P_SPACES, P_DOTS, P_FETCH, P_STORE,
  P_PSTORE, P_HERE, P_COMMA, P_ALLOT, P_CELLS,
};

static const char *const prim_names[] = {
  "+", "-", "*", "/", "mod", "/mod", "negate", "abs", "min", "max",
  "1+", "1-", "2*", "2/", "=", "<>", "<", ">", "<=", ">=", "0=", "0<",
  "0>", "and", "or", "xor", "invert", "lshift", "rshift", "true", "false", "dup",
  "drop", "swap", "over", "rot", "nip", "tuck", "?dup", "pick", "2dup", "2drop",
  "depth", ".", "emit", "cr", "space", "spaces", ".s", "@", "!",
  "+!", "here", ",", "allot", "cells",
};
#define NPRIMS (sizeof prim_names / sizeof prim_names[0])

static cell flag(int b) { return b ? -1 : 0; }

static void run_prim(int p) {
  cell a, b, q, r;
  switch ((enum prim)p) {
  case P_ADD: b = pop(); a = pop(); push(wrap_add(a, b)); break;
  case P_SUB: b = pop(); a = pop(); push(wrap_sub(a, b)); break;
  case P_MUL: b = pop(); a = pop(); push(wrap_mul(a, b)); break;
  case P_DIV: b = pop(); a = pop(); divmod(a, b, &q, &r); push(q); break;
  case P_MOD: b = pop(); a = pop(); divmod(a, b, &q, &r); push(r); break;
  case P_DIVMOD: b = pop(); a = pop(); divmod(a, b, &q, &r); push(r); push(q); break;
  case P_NEGATE: push(wrap_sub(0, pop())); break;
  case P_ABS: a = pop(); push(a < 0 ? wrap_sub(0, a) : a); break;
  case P_MIN: b = pop(); a = pop(); push(a < b ? a : b); break;
  case P_MAX: b = pop(); a = pop(); push(a > b ? a : b); break;
  case P_INC: push(wrap_add(pop(), 1)); break;
  case P_DEC: push(wrap_sub(pop(), 1)); break;
  case P_MUL2: push(wrap_mul(pop(), 2)); break;
  case P_DIV2: a = pop(); push((a - (a < 0 && (a & 1))) / 2); break; /* floor, as a shift */
  case P_EQ: b = pop(); a = pop(); push(flag(a == b)); break;
  case P_NE: b = pop(); a = pop(); push(flag(a != b)); break;
  case P_LT: b = pop(); a = pop(); push(flag(a < b)); break;
  case P_GT: b = pop(); a = pop(); push(flag(a > b)); break;
  case P_LE: b = pop(); a = pop(); push(flag(a <= b)); break;
  case P_GE: b = pop(); a = pop(); push(flag(a >= b)); break;
  case P_ZEQ: push(flag(pop() == 0)); break;
  case P_ZLT: push(flag(pop() < 0)); break;
  case P_ZGT: push(flag(pop() > 0)); break;
  case P_AND: b = pop(); a = pop(); push(a & b); break;
  case P_OR: b = pop(); a = pop(); push(a | b); break;
  case P_XOR: b = pop(); a = pop(); push(a ^ b); break;
  case P_INVERT: push(~pop()); break;
  case P_LSHIFT: b = pop(); a = pop(); push(b < 0 || b > 63 ? 0 : (cell)((uint64_t)a << b)); break;
  case P_RSHIFT: b = pop(); a = pop(); push(b < 0 || b > 63 ? 0 : (cell)((uint64_t)a >> b)); break;
  case P_TRUE: push(-1); break;
  case P_FALSE: push(0); break;
  case P_DUP: need(1); push(stack[sp - 1]); break;
  case P_DROP: pop(); break;
  case P_SWAP: need(2); a = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = a; break;
  case P_OVER: need(2); push(stack[sp - 2]); break;
  case P_ROT: need(3); a = stack[sp - 3]; stack[sp - 3] = stack[sp - 2];
    stack[sp - 2] = stack[sp - 1]; stack[sp - 1] = a; break;
  case P_NIP: b = pop(); pop(); push(b); break;
  case P_TUCK: b = pop(); a = pop(); push(b); push(a); push(b); break;
  case P_QDUP: need(1); if (stack[sp - 1]) push(stack[sp - 1]); break;
  case P_PICK: a = pop(); if (a < 0 || a >= sp) die("stack underflow", NULL);
    push(stack[sp - 1 - a]); break;
  case P_2DUP: need(2); a = stack[sp - 2]; b = stack[sp - 1]; push(a); push(b); break;
  case P_2DROP: pop(); pop(); break;
  case P_DEPTH: push(sp); break;
  case P_DOT: printf("%lld ", (long long)pop()); break;
  case P_EMIT: putchar((int)(pop() & 255)); break;
  case P_CR: putchar('\n'); break;
  case P_SPACE: putchar(' '); break;
  case P_SPACES: for (a = pop(); a > 0; a--) putchar(' '); break;
  case P_DOTS:
    printf("<%d> ", sp);
    for (int k = 0; k < sp; k++) printf("%lld ", (long long)stack[k]);
    break;
  case P_FETCH: push(*addr(pop())); break;
  case P_STORE: a = pop(); b = pop(); *addr(a) = b; break;
  case P_PSTORE: a = pop(); b = pop(); *addr(a) = wrap_add(*addr(a), b); break;
  case P_HERE: push(here_ptr); break;
  case P_COMMA: a = pop(); *addr(here_ptr) = a; here_ptr++; break;
  case P_ALLOT: a = pop(); if (here_ptr + a < 0 || here_ptr + a > MEMORY) die("bad address", NULL);
    here_ptr += a; break;
  case P_CELLS: break; /* addresses count cells */
  }
}

/* ---- the inner interpreter -------------------------------------------------- */
struct frame {
  struct word *w;
  size_t ip;
};
struct loop {
  cell index, limit;
};
static struct frame rstack[RSTACK];
static struct loop lstack[RSTACK];
static int rsp, lsp;

static void execute(size_t wi) {
  struct word *w = &dict[wi];
  if (w->prim >= 0) {
    run_prim(w->prim);
    return;
  }
  if (w->kind != 0) {
    push(w->value);
    return;
  }
  int base = rsp;
  rstack[rsp++] = (struct frame){w, 0};
  while (rsp > base) {
    struct frame *f = &rstack[rsp - 1];
    if (f->ip >= f->w->ncode) {
      rsp--;
      continue;
    }
    struct ins in = f->w->code[f->ip++];
    switch (in.op) {
    case OP_LIT: push(in.arg); break;
    case OP_PRIM: run_prim((int)in.arg); break;
    case OP_CALL: {
      struct word *c = &dict[in.arg];
      if (c->prim >= 0) {
        run_prim(c->prim);
      } else if (c->kind != 0) {
        push(c->value);
      } else {
        if (rsp == RSTACK) die("return stack overflow", NULL);
        rstack[rsp++] = (struct frame){c, 0};
      }
      break;
    }
    case OP_BRANCH: f->ip = (size_t)in.arg; break;
    case OP_0BRANCH: if (pop() == 0) f->ip = (size_t)in.arg; break;
    case OP_DO: {
      cell start = pop(), limit = pop();
      if (lsp == RSTACK) die("loop stack overflow", NULL);
      lstack[lsp++] = (struct loop){start, limit};
      break;
    }
    case OP_LOOP: {
      struct loop *l = &lstack[lsp - 1];
      l->index = wrap_add(l->index, 1);
      if (l->index != l->limit) f->ip = (size_t)in.arg;
      else lsp--;
      break;
    }
    case OP_PLOOP: {
      struct loop *l = &lstack[lsp - 1];
      cell step = pop();
      cell before = wrap_sub(l->index, l->limit);
      l->index = wrap_add(l->index, step);
      cell after = wrap_sub(l->index, l->limit);
      /* ends when the index crosses the boundary between limit-1 and limit
       * (gforth's test; a wrap-around of the difference does not count) */
      if ((before ^ after) >= 0 || (before ^ step) >= 0) f->ip = (size_t)in.arg;
      else lsp--;
      break;
    }
    case OP_LEAVE: lsp--; f->ip = (size_t)in.arg; break;
    case OP_UNLOOP: lsp--; break;
    case OP_I:
      if (lsp < 1) die("i outside a loop", NULL);
      push(lstack[lsp - 1].index);
      break;
    case OP_J:
      if (lsp < 2) die("j outside a nested loop", NULL);
      push(lstack[lsp - 2].index);
      break;
    case OP_DOTQ: fputs(strings[in.arg], stdout); break;
    case OP_EXIT: rsp--; break;
    }
  }
}

/* ---- the outer interpreter -------------------------------------------------- */
static const char *src;
static size_t src_len, pos;

/* next white-space-delimited token into tok; 0 at the end */
static int next_token(char *tok, size_t max) {
  while (pos < src_len && isspace((unsigned char)src[pos])) {
    if (src[pos] == '\n') line_no++;
    pos++;
  }
  if (pos >= src_len) return 0;
  size_t n = 0;
  while (pos < src_len && !isspace((unsigned char)src[pos])) {
    if (n + 1 == max) die("word too long", NULL);
    tok[n++] = (char)tolower((unsigned char)src[pos]);
    pos++;
  }
  tok[n] = '\0';
  return 1;
}

static long find(const char *name) {
  for (size_t i = ndict; i-- > 0;) {
    if (strcmp(dict[i].name, name) == 0) return (long)i;
  }
  return -1;
}

static struct word *new_word(const char *name) {
  if (strlen(name) > NAME_MAX_LEN) die("name too long", name);
  if (ndict == capdict) {
    capdict = capdict ? capdict * 2 : 128;
    dict = xrealloc(dict, capdict * sizeof *dict);
  }
  struct word *w = &dict[ndict++];
  memset(w, 0, sizeof *w);
  snprintf(w->name, sizeof w->name, "%s", name);
  w->prim = -1;
  return w;
}

static void emit_ins(struct word *w, enum op op, cell arg) {
  if (w->ncode == w->capcode) {
    w->capcode = w->capcode ? w->capcode * 2 : 16;
    w->code = xrealloc(w->code, w->capcode * sizeof *w->code);
  }
  w->code[w->ncode].op = op;
  w->code[w->ncode].arg = arg;
  w->ncode++;
}

static int parse_number(const char *t, cell *out) {
  const char *p = t;
  int neg = 0;
  if (*p == '-' && p[1]) {
    neg = 1;
    p++;
  }
  if (!*p) return 0;
  uint64_t v = 0;
  for (; *p; p++) {
    if (*p < '0' || *p > '9') return 0;
    v = v * 10 + (uint64_t)(*p - '0');
  }
  *out = (cell)(neg ? 0 - v : v);
  return 1;
}

/* reads up to the delimiter; returns a malloc'd copy (for ." and comments) */
static char *read_until(char delim) {
  if (pos < src_len && src[pos] != '\n') pos++; /* the one space after the word */
  size_t start = pos;
  long start_line = line_no;
  while (pos < src_len && src[pos] != delim) {
    if (src[pos] == '\n') line_no++;
    pos++;
  }
  if (pos >= src_len && delim != '\n') {
    line_no = start_line;
    die("missing delimiter", delim == '"' ? "\"" : ")");
  }
  size_t n = pos - start;
  if (pos < src_len) pos++;
  char *s = xrealloc(NULL, n + 1);
  memcpy(s, src + start, n);
  s[n] = '\0';
  if (delim == '\n') line_no++;
  return s;
}

static cell add_string(char *s) {
  if (nstrings == capstrings) {
    capstrings = capstrings ? capstrings * 2 : 16;
    strings = xrealloc(strings, capstrings * sizeof *strings);
  }
  strings[nstrings] = s;
  return (cell)nstrings++;
}

/* control-flow stack while compiling: kinds and code positions */
enum ctl { C_IF, C_ELSE, C_DO, C_BEGIN, C_WHILE };
struct ctl_entry {
  enum ctl kind;
  size_t at;
};
static struct ctl_entry ctl[64];
static int nctl;
/* LEAVEs to patch: code positions, tagged with the DO nesting level */
static struct {
  size_t at;
  int level;
} leaves[64];
static int nleaves, do_level;

static void ctl_push(enum ctl k, size_t at) {
  if (nctl == 64) die("control structures nested too deep", NULL);
  ctl[nctl].kind = k;
  ctl[nctl].at = at;
  nctl++;
}

static size_t ctl_pop(enum ctl k, const char *word) {
  if (nctl == 0 || ctl[nctl - 1].kind != k) die("unbalanced control word", word);
  return ctl[--nctl].at;
}

static char pending[NAME_MAX_LEN + 1]; /* the name of the word being defined */

static void run(void) {
  char tok[64];
  struct word *cur = NULL; /* the definition being compiled */
  while (next_token(tok, sizeof tok)) {
    if (strcmp(tok, "\\") == 0) {
      free(read_until('\n'));
      continue;
    }
    if (strcmp(tok, "(") == 0) {
      free(read_until(')'));
      continue;
    }
    if (strcmp(tok, ".\"") == 0) {
      char *s = read_until('"');
      if (cur) {
        emit_ins(cur, OP_DOTQ, add_string(s));
      } else {
        fputs(s, stdout);
        free(s);
      }
      continue;
    }
    if (strcmp(tok, ":") == 0) {
      if (cur) die("nested definition", NULL);
      if (!next_token(tok, sizeof tok)) die("missing name after", ":");
      if (strlen(tok) > NAME_MAX_LEN) die("name too long", tok);
      memcpy(pending, tok, strlen(tok) + 1);
      cur = new_word(""); /* nameless until ';', so NAME inside still means an older word */
      nctl = 0;
      nleaves = 0;
      do_level = 0;
      continue;
    }
    if (strcmp(tok, "variable") == 0 || strcmp(tok, "create") == 0 ||
        strcmp(tok, "constant") == 0) {
      if (cur) die("not allowed inside a definition", tok);
      int is_const = tok[1] == 'o';
      int is_var = tok[0] == 'v';
      if (!next_token(tok, sizeof tok)) die("missing name", NULL);
      cell v = is_const ? pop() : 0;
      struct word *w = new_word(tok);
      w->kind = is_const ? 2 : 1;
      w->value = is_const ? v : here_ptr;
      if (is_var) {
        *addr(here_ptr) = 0;
        here_ptr++;
      }
      continue;
    }
    if (!cur) {
      static const char *const compile_only[] = {
          ";", "if", "else", "then", "do", "loop", "+loop", "i", "j", "leave",
          "begin", "until", "while", "repeat", "again", "recurse", "exit"};
      for (size_t k = 0; k < sizeof compile_only / sizeof compile_only[0]; k++) {
        if (strcmp(tok, compile_only[k]) == 0) die("only allowed inside a definition", tok);
      }
      long wi = find(tok);
      cell n;
      if (wi >= 0) {
        execute((size_t)wi);
      } else if (parse_number(tok, &n)) {
        push(n);
      } else {
        die("unknown word", tok);
      }
      continue;
    }
    /* compiling */
    size_t here = cur->ncode;
    if (strcmp(tok, ";") == 0) {
      if (nctl) die("unclosed control structure in", pending);
      snprintf(cur->name, sizeof cur->name, "%s", pending);
      cur = NULL;
    } else if (strcmp(tok, "if") == 0) {
      ctl_push(C_IF, here);
      emit_ins(cur, OP_0BRANCH, 0);
    } else if (strcmp(tok, "else") == 0) {
      size_t at = ctl_pop(C_IF, tok);
      ctl_push(C_ELSE, here);
      emit_ins(cur, OP_BRANCH, 0);
      cur->code[at].arg = (cell)cur->ncode;
    } else if (strcmp(tok, "then") == 0) {
      if (nctl && ctl[nctl - 1].kind == C_ELSE) {
        cur->code[ctl_pop(C_ELSE, tok)].arg = (cell)here;
      } else {
        cur->code[ctl_pop(C_IF, tok)].arg = (cell)here;
      }
    } else if (strcmp(tok, "do") == 0) {
      emit_ins(cur, OP_DO, 0);
      ctl_push(C_DO, cur->ncode);
      do_level++;
    } else if (strcmp(tok, "loop") == 0 || strcmp(tok, "+loop") == 0) {
      size_t body = ctl_pop(C_DO, tok);
      emit_ins(cur, tok[0] == '+' ? OP_PLOOP : OP_LOOP, (cell)body);
      while (nleaves > 0 && leaves[nleaves - 1].level == do_level) {
        cur->code[leaves[--nleaves].at].arg = (cell)cur->ncode;
      }
      do_level--;
    } else if (strcmp(tok, "leave") == 0) {
      if (do_level == 0) die("leave outside a loop", NULL);
      if (nleaves == 64) die("too many leaves", NULL);
      leaves[nleaves].at = here;
      leaves[nleaves].level = do_level;
      nleaves++;
      emit_ins(cur, OP_LEAVE, 0);
    } else if (strcmp(tok, "i") == 0) {
      emit_ins(cur, OP_I, 0);
    } else if (strcmp(tok, "j") == 0) {
      emit_ins(cur, OP_J, 0);
    } else if (strcmp(tok, "begin") == 0) {
      ctl_push(C_BEGIN, here);
    } else if (strcmp(tok, "until") == 0) {
      emit_ins(cur, OP_0BRANCH, (cell)ctl_pop(C_BEGIN, tok));
    } else if (strcmp(tok, "again") == 0) {
      emit_ins(cur, OP_BRANCH, (cell)ctl_pop(C_BEGIN, tok));
    } else if (strcmp(tok, "while") == 0) {
      if (nctl == 0 || ctl[nctl - 1].kind != C_BEGIN) die("unbalanced control word", tok);
      ctl_push(C_WHILE, here);
      emit_ins(cur, OP_0BRANCH, 0);
    } else if (strcmp(tok, "repeat") == 0) {
      size_t w = ctl_pop(C_WHILE, tok);
      size_t b = ctl_pop(C_BEGIN, tok);
      emit_ins(cur, OP_BRANCH, (cell)b);
      cur->code[w].arg = (cell)cur->ncode;
    } else if (strcmp(tok, "recurse") == 0) {
      emit_ins(cur, OP_CALL, (cell)(cur - dict));
    } else if (strcmp(tok, "exit") == 0) {
      if (do_level) die("exit inside a do loop", NULL);
      emit_ins(cur, OP_EXIT, 0);
    } else {
      long wi = find(tok);
      cell n;
      if (wi >= 0) {
        emit_ins(cur, OP_CALL, wi);
      } else if (parse_number(tok, &n)) {
        emit_ins(cur, OP_LIT, n);
      } else {
        die("unknown word", tok);
      }
    }
  }
  if (cur) die("unfinished definition at end of input", pending);
}

int main(int argc, char **argv) {
  if (argc > 2) {
    fprintf(stderr, "usage: forth [FILE]\n");
    return 2;
  }
  FILE *in = stdin;
  if (argc == 2 && strcmp(argv[1], "-") != 0) {
    in = fopen(argv[1], "rb");
    if (!in) {
      fprintf(stderr, "forth: %s: cannot open\n", argv[1]);
      return 1;
    }
  }
  size_t cap = 4096;
  char *buf = xrealloc(NULL, cap);
  for (;;) {
    size_t got = fread(buf + src_len, 1, cap - src_len, in);
    src_len += got;
    if (src_len < cap) break;
    cap *= 2;
    buf = xrealloc(buf, cap);
  }
  if (in != stdin) fclose(in);
  src = buf;
  mem = calloc(MEMORY, sizeof *mem);
  if (!mem) die("out of memory", NULL);
  for (size_t p = 0; p < NPRIMS; p++) {
    struct word *w = new_word(prim_names[p]);
    w->prim = (int)p;
  }
  run();
  if (fflush(stdout) != 0) {
    fprintf(stderr, "forth: write error\n");
    return 1;
  }
  return 0;
}

/* alkanes.h: the host interface of alkanes contracts, for the project's own
 * test contracts in C (contracts/guests/). The facts are in
 * ../shared/alkanes/README.md: every import is from module "env"; a buffer
 * that crosses the boundary is a pointer to its data with the data's length
 * as a u32 little-endian word at pointer - 4; numbers are u128
 * little-endian. A contract exports `memory`, `__execute` and `__meta`.
 *
 * Naming: alk_* are this header's helpers; the imports keep their alkanes
 * names. Freestanding (no libc): memory comes from a bump arena that lives
 * as long as the call, which is all a contract call needs. */
#ifndef GPUOS_ALKANES_H
#define GPUOS_ALKANES_H

#include <stddef.h>
#include <stdint.h>

typedef unsigned __int128 u128;

#define ALK_IMPORT(name) __attribute__((import_module("env"), import_name(#name)))
ALK_IMPORT(abort) void alk_host_abort(int32_t msg, int32_t file, int32_t line, int32_t column);
ALK_IMPORT(__request_context) int32_t __request_context(void);
ALK_IMPORT(__load_context) int32_t __load_context(int32_t out);
ALK_IMPORT(__request_storage) int32_t __request_storage(int32_t key);
ALK_IMPORT(__load_storage) int32_t __load_storage(int32_t key, int32_t out);
ALK_IMPORT(__height) void __height(int32_t out);
ALK_IMPORT(__log) void __log(int32_t text);

/* Built with -mbulk-memory, so copies and fills are memory.copy and
 * memory.fill, not calls to a libc this header does not have. */
static inline uint32_t alk_strlen(const char *s) {
  uint32_t n = 0;
  while (s[n]) ++n;
  return n;
}

/* ---- memory: a bump arena; alk_buf gives room for n bytes after a length word */
static uint8_t alk_arena[1 << 16] __attribute__((aligned(16)));
static size_t alk_used;

static inline uint8_t *alk_buf(uint32_t n) {
  size_t at = (alk_used + 3) & ~(size_t)3;
  if (at + 4 + n > sizeof alk_arena) __builtin_trap();
  alk_used = at + 4 + n;
  uint8_t *p = alk_arena + at + 4;
  __builtin_memcpy(p - 4, &n, 4);
  return p;
}
static inline uint32_t alk_len(const uint8_t *p) {
  uint32_t n;
  __builtin_memcpy(&n, p - 4, 4);
  return n;
}
static inline int32_t alk_ptr(const void *p) { return (int32_t)(uintptr_t)p; }

static inline u128 alk_u128_at(const uint8_t *p) {
  u128 v = 0;
  for (int i = 15; i >= 0; --i) v = v << 8 | p[i];
  return v;
}
static inline void alk_put_u128(uint8_t *p, u128 v) {
  for (int i = 0; i < 16; ++i, v >>= 8) p[i] = (uint8_t)v;
}

/* ---- the call's context ---------------------------------------------------- */
typedef struct {
  u128 block, tx;
} alk_id;
typedef struct {
  alk_id id;
  u128 value;
} alk_transfer;
typedef struct {
  alk_id myself, caller;
  u128 vout;
  uint32_t n_incoming;
  const uint8_t *incoming; /* n_incoming x (block, tx, value) */
  uint32_t n_inputs;
  const uint8_t *inputs; /* n_inputs u128s; inputs[0] is the opcode */
} alk_context;

static inline alk_transfer alk_incoming(const alk_context *c, uint32_t i) {
  alk_transfer t = {{alk_u128_at(c->incoming + 48 * i), alk_u128_at(c->incoming + 48 * i + 16)},
                    alk_u128_at(c->incoming + 48 * i + 32)};
  return t;
}
static inline u128 alk_input(const alk_context *c, uint32_t i) { return i < c->n_inputs ? alk_u128_at(c->inputs + 16 * i) : 0; }

static inline alk_context alk_load_context(void) {
  uint32_t n = (uint32_t)__request_context();
  uint8_t *p = alk_buf(n);
  __load_context(alk_ptr(p));
  alk_context c;
  if (n < 96) __builtin_trap();
  c.myself.block = alk_u128_at(p);
  c.myself.tx = alk_u128_at(p + 16);
  c.caller.block = alk_u128_at(p + 32);
  c.caller.tx = alk_u128_at(p + 48);
  c.vout = alk_u128_at(p + 64);
  c.n_incoming = (uint32_t)alk_u128_at(p + 80);
  c.incoming = p + 96;
  uint32_t used = 96 + 48 * c.n_incoming;
  if (used > n) __builtin_trap();
  c.inputs = p + used;
  c.n_inputs = (n - used) / 16;
  return c;
}

/* ---- storage: reads from the host, writes collected for the response ------- */
static inline uint8_t *alk_key(const char *text) {
  uint32_t n = alk_strlen(text);
  uint8_t *k = alk_buf(n);
  __builtin_memcpy(k, text, n);
  return k;
}
/* The stored value (its length at p - 4); an absent key reads as empty. */
static inline uint8_t *alk_get(const char *key) {
  uint8_t *k = alk_key(key);
  uint32_t n = (uint32_t)__request_storage(alk_ptr(k));
  uint8_t *v = alk_buf(n);
  __load_storage(alk_ptr(k), alk_ptr(v));
  return v;
}
static inline u128 alk_get_u128(const char *key) {
  uint8_t *v = alk_get(key);
  return alk_len(v) >= 16 ? alk_u128_at(v) : 0;
}

/* ---- the response -------------------------------------------------------------
 * u128 count of outgoing transfers, each (block, tx, value); u32 count of
 * storage writes, each (u32 key length, key, u32 value length, value); then
 * the return data. */
#define ALK_MAX_OUT 8
typedef struct {
  uint32_t n_transfers, n_writes;
  alk_transfer transfers[ALK_MAX_OUT];
  const char *write_key[ALK_MAX_OUT];
  uint8_t write_value[ALK_MAX_OUT][16];
  uint32_t write_len[ALK_MAX_OUT];
  const uint8_t *data;
  uint32_t data_len;
} alk_response;

static inline void alk_send(alk_response *r, alk_id id, u128 value) {
  if (r->n_transfers == ALK_MAX_OUT) __builtin_trap();
  alk_transfer t = {id, value};
  r->transfers[r->n_transfers++] = t;
}
static inline void alk_set_u128(alk_response *r, const char *key, u128 v) {
  if (r->n_writes == ALK_MAX_OUT) __builtin_trap();
  r->write_key[r->n_writes] = key;
  alk_put_u128(r->write_value[r->n_writes], v);
  r->write_len[r->n_writes++] = 16;
}
static inline void alk_return_text(alk_response *r, const char *text) {
  r->data = (const uint8_t *)text;
  r->data_len = alk_strlen(text);
}
static inline void alk_return_u128(alk_response *r, u128 v) {
  uint8_t *p = alk_buf(16);
  alk_put_u128(p, v);
  r->data = p;
  r->data_len = 16;
}

static inline int32_t alk_finish(const alk_response *r) {
  uint32_t n = 16 + 48 * r->n_transfers + 4 + r->data_len;
  for (uint32_t i = 0; i < r->n_writes; ++i) n += 8 + alk_strlen(r->write_key[i]) + r->write_len[i];
  uint8_t *out = alk_buf(n), *p = out;
  alk_put_u128(p, r->n_transfers);
  p += 16;
  for (uint32_t i = 0; i < r->n_transfers; ++i, p += 48) {
    alk_put_u128(p, r->transfers[i].id.block);
    alk_put_u128(p + 16, r->transfers[i].id.tx);
    alk_put_u128(p + 32, r->transfers[i].value);
  }
  __builtin_memcpy(p, &r->n_writes, 4);
  p += 4;
  for (uint32_t i = 0; i < r->n_writes; ++i) {
    uint32_t kl = alk_strlen(r->write_key[i]);
    __builtin_memcpy(p, &kl, 4);
    __builtin_memcpy(p + 4, r->write_key[i], kl);
    p += 4 + kl;
    __builtin_memcpy(p, &r->write_len[i], 4);
    __builtin_memcpy(p + 4, r->write_value[i], r->write_len[i]);
    p += 4 + r->write_len[i];
  }
  __builtin_memcpy(p, r->data, r->data_len);
  return alk_ptr(out);
}

/* A failed call: abort (the host reverts the call's writes and transfers),
 * then a response whose data is 08 c3 79 a0 and the message. */
static inline int32_t alk_fail(const char *message) {
  alk_host_abort(0, 0, 0, 0);
  uint32_t n = alk_strlen(message);
  uint8_t *d = alk_buf(4 + n);
  d[0] = 0x08, d[1] = 0xc3, d[2] = 0x79, d[3] = 0xa0;
  __builtin_memcpy(d + 4, message, n);
  alk_response r = {0};
  r.data = d;
  r.data_len = 4 + n;
  return alk_finish(&r);
}

#endif

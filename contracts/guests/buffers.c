/* buffers: checks how the host hands buffers over (docs/contracts.md,
 * "Running a call"): a load writes the length word at pointer - 4 and
 * returns the pointer, for the context, a value and an absent key alike.
 * Returns "ok", or fails naming the first thing that differed. */
#include "alkanes.h"

static int32_t check(void) {
  const uint32_t n = (uint32_t)__request_context();
  uint8_t *p = alk_buf(n);
  __builtin_memset(p - 4, 0xff, 4); /* poison the length word: the host must write it */
  if (__load_context(alk_ptr(p)) != alk_ptr(p)) return alk_fail("__load_context did not return the pointer");
  if (alk_len(p) != n) return alk_fail("__load_context did not write the length word");
  uint8_t *absent = alk_key("/never-written");
  if (__request_storage(alk_ptr(absent)) != 0) return alk_fail("an absent key has a length");
  uint8_t *v = alk_buf(4);
  __builtin_memset(v - 4, 0xff, 8);
  if (__load_storage(alk_ptr(absent), alk_ptr(v)) != alk_ptr(v)) return alk_fail("__load_storage did not return the pointer");
  if (alk_len(v) != 0) return alk_fail("an absent key's length word is not 0");
  alk_response r = {0};
  alk_return_text(&r, "ok");
  return alk_finish(&r);
}

__attribute__((export_name("__execute"))) int32_t execute(void) { return check(); }

/* fuel_burner: the project's contract for fuel (issue 16, items 2 and 4):
 *
 *   1 N   runs a loop of N iterations, then returns N (a u128): the fuel a
 *         call uses grows by the same amount for each iteration
 *   2     loops until its fuel runs out: the call fails, using all of it
 *   3     returns what __fuel says is left, a u64
 *   else  fails: "unknown opcode"
 *
 * No storage. */
#include "alkanes.h"

ALK_IMPORT(__fuel) void __fuel(int32_t out);

/* Written in the loops, so the compiler keeps them. */
static volatile uint32_t alk_sink;

__attribute__((export_name("__execute"))) int32_t execute(void) {
  alk_context c = alk_load_context();
  alk_response r = {0};
  const u128 opcode = alk_input(&c, 0);
  if (opcode == 1) {
    const u128 n = alk_input(&c, 1);
    for (u128 i = 0; i < n; ++i) alk_sink = (uint32_t)i;
    alk_return_u128(&r, n);
  } else if (opcode == 2) {
    for (uint32_t i = 0;; ++i) alk_sink = i;
  } else if (opcode == 3) {
    uint8_t *left = alk_buf(8);
    __fuel(alk_ptr(left));
    r.data = left;
    r.data_len = 8;
  } else {
    return alk_fail("unknown opcode");
  }
  return alk_finish(&r);
}

__attribute__((export_name("__meta"))) int32_t meta(void) {
  static const char text[] = "{\"name\":\"fuel_burner\"}";
  uint8_t *p = alk_buf(sizeof text - 1);
  __builtin_memcpy(p, text, sizeof text - 1);
  return alk_ptr(p);
}

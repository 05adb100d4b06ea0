/* token: the project's own alkanes token contract, for tests (issue 16):
 *
 *   0   initialise(supply)  once; mints `supply` to the caller
 *   77  mint(amount)        adds `amount` to the supply and sends it out
 *   88  burn                burns what the call brings in of this token
 *   99  name                "gpuos test token"
 *   100 symbol              "GTT"
 *   101 total supply        a u128
 *   else                    fails: "unknown opcode"
 *
 * Storage: /initialized (1 once initialised), /totalsupply (a u128). */
#include "alkanes.h"

__attribute__((export_name("__execute"))) int32_t execute(void) {
  alk_context c = alk_load_context();
  alk_response r = {0};
  const u128 opcode = alk_input(&c, 0);
  if (opcode == 0) {
    if (alk_get_u128("/initialized") != 0) return alk_fail("already initialised");
    const u128 supply = alk_input(&c, 1);
    alk_set_u128(&r, "/initialized", 1);
    alk_set_u128(&r, "/totalsupply", supply);
    alk_send(&r, c.myself, supply);
  } else if (opcode == 77) {
    if (alk_get_u128("/initialized") == 0) return alk_fail("not initialised");
    const u128 amount = alk_input(&c, 1);
    const u128 supply = alk_get_u128("/totalsupply");
    if (supply + amount < supply) return alk_fail("supply overflow");
    alk_set_u128(&r, "/totalsupply", supply + amount);
    alk_send(&r, c.myself, amount);
  } else if (opcode == 88) {
    u128 burnt = 0;
    for (uint32_t i = 0; i < c.n_incoming; ++i) {
      alk_transfer t = alk_incoming(&c, i);
      if (t.id.block == c.myself.block && t.id.tx == c.myself.tx) burnt += t.value;
    }
    const u128 supply = alk_get_u128("/totalsupply");
    if (burnt > supply) return alk_fail("burning more than the supply");
    alk_set_u128(&r, "/totalsupply", supply - burnt);
  } else if (opcode == 99) {
    alk_return_text(&r, "gpuos test token");
  } else if (opcode == 100) {
    alk_return_text(&r, "GTT");
  } else if (opcode == 101) {
    alk_return_u128(&r, alk_get_u128("/totalsupply"));
  } else {
    return alk_fail("unknown opcode");
  }
  return alk_finish(&r);
}

__attribute__((export_name("__meta"))) int32_t meta(void) {
  uint8_t *m = alk_buf(2);
  m[0] = '{', m[1] = '}';
  return alk_ptr(m);
}

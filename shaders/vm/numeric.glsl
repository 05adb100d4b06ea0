// numeric.glsl: WebAssembly numeric instructions (opcodes 0x0345-0x03c4 and
// the saturating truncations 0x0400-0x0407), on 64-bit slots, as
// procs/vm/ref_numeric.cpp defines them. Returns a trap kind (0: none) and
// the result in r. Requires float.glsl.
//
// Integer division and remainder are written with truncating OpSDiv only:
// GLSL's `%` on signed types compiles to OpSMod (sign of the divisor).

uint clz32(uint x) { return x == 0u ? 32u : uint(31 - findMSB(x)); }
uint ctz32(uint x) { return x == 0u ? 32u : uint(findLSB(x)); }
uint rotl32(uint x, uint k) { k &= 31u; return (x << k) | (x >> ((32u - k) & 31u)); }
uint64_t rotl64(uint64_t x, uint k) { k &= 63u; return (x << k) | (x >> ((64u - k) & 63u)); }

// Checked truncation: NaN -> InvalidConversion (6), out of range -> IntegerOverflow (5).
uint trunc_check(double x, double lo, double hi) {
  if (isnan(x)) return 6u;
  if (!(x > lo && x < hi)) return 5u;
  return 0u;
}

uint numeric(uint op, uint64_t a, uint64_t b, out uint64_t r) {
  uint ua = uint(a), ub = uint(b);
  int sa = int(ua), sb = int(ub);
  int64_t la = int64_t(a), lb = int64_t(b);
  r = 0UL;
  switch (op) {
    // i32 comparisons
    case 0x0345u: r = uint64_t(ua == 0u); break;
    case 0x0346u: r = uint64_t(ua == ub); break;
    case 0x0347u: r = uint64_t(ua != ub); break;
    case 0x0348u: r = uint64_t(sa < sb); break;
    case 0x0349u: r = uint64_t(ua < ub); break;
    case 0x034au: r = uint64_t(sa > sb); break;
    case 0x034bu: r = uint64_t(ua > ub); break;
    case 0x034cu: r = uint64_t(sa <= sb); break;
    case 0x034du: r = uint64_t(ua <= ub); break;
    case 0x034eu: r = uint64_t(sa >= sb); break;
    case 0x034fu: r = uint64_t(ua >= ub); break;
    // i64 comparisons
    case 0x0350u: r = uint64_t(a == 0UL); break;
    case 0x0351u: r = uint64_t(a == b); break;
    case 0x0352u: r = uint64_t(a != b); break;
    case 0x0353u: r = uint64_t(la < lb); break;
    case 0x0354u: r = uint64_t(a < b); break;
    case 0x0355u: r = uint64_t(la > lb); break;
    case 0x0356u: r = uint64_t(a > b); break;
    case 0x0357u: r = uint64_t(la <= lb); break;
    case 0x0358u: r = uint64_t(a <= b); break;
    case 0x0359u: r = uint64_t(la >= lb); break;
    case 0x035au: r = uint64_t(a >= b); break;
    // f32 comparisons (exact on promoted values; NaN compares false)
    case 0x035bu: r = uint64_t(F32D(a) == F32D(b)); break;
    case 0x035cu: r = uint64_t(F32D(a) != F32D(b)); break;
    case 0x035du: r = uint64_t(F32D(a) < F32D(b)); break;
    case 0x035eu: r = uint64_t(F32D(a) > F32D(b)); break;
    case 0x035fu: r = uint64_t(F32D(a) <= F32D(b)); break;
    case 0x0360u: r = uint64_t(F32D(a) >= F32D(b)); break;
    case 0x0361u: r = uint64_t(F64(a) == F64(b)); break;
    case 0x0362u: r = uint64_t(F64(a) != F64(b)); break;
    case 0x0363u: r = uint64_t(F64(a) < F64(b)); break;
    case 0x0364u: r = uint64_t(F64(a) > F64(b)); break;
    case 0x0365u: r = uint64_t(F64(a) <= F64(b)); break;
    case 0x0366u: r = uint64_t(F64(a) >= F64(b)); break;
    // i32 arithmetic
    case 0x0367u: r = uint64_t(clz32(ua)); break;
    case 0x0368u: r = uint64_t(ctz32(ua)); break;
    case 0x0369u: r = uint64_t(uint(bitCount(ua))); break;
    case 0x036au: r = uint64_t(ua + ub); break;
    case 0x036bu: r = uint64_t(ua - ub); break;
    case 0x036cu: r = uint64_t(ua * ub); break;
    case 0x036du:
      if (ub == 0u) return 4u;
      if (ua == 0x80000000u && ub == 0xffffffffu) return 5u;
      r = uint64_t(uint(sa / sb)); break;
    case 0x036eu: if (ub == 0u) return 4u; r = uint64_t(ua / ub); break;
    case 0x036fu:
      if (ub == 0u) return 4u;
      r = ub == 0xffffffffu ? 0UL : uint64_t(uint(sa - (sa / sb) * sb)); break;
    case 0x0370u: if (ub == 0u) return 4u; r = uint64_t(ua - (ua / ub) * ub); break;
    case 0x0371u: r = uint64_t(ua & ub); break;
    case 0x0372u: r = uint64_t(ua | ub); break;
    case 0x0373u: r = uint64_t(ua ^ ub); break;
    case 0x0374u: r = uint64_t(ua << (ub & 31u)); break;
    case 0x0375u: r = uint64_t(uint(sa >> int(ub & 31u))); break;
    case 0x0376u: r = uint64_t(ua >> (ub & 31u)); break;
    case 0x0377u: r = uint64_t(rotl32(ua, ub)); break;
    case 0x0378u: r = uint64_t(rotl32(ua, 32u - (ub & 31u))); break;
    // i64 arithmetic
    case 0x0379u: { uint hi = uint(a >> 32); r = uint64_t(hi != 0u ? clz32(hi) : 32u + clz32(uint(a))); break; }
    case 0x037au: { uint lo = uint(a); r = uint64_t(lo != 0u ? ctz32(lo) : 32u + ctz32(uint(a >> 32))); break; }
    case 0x037bu: r = uint64_t(uint(bitCount(uint(a)) + bitCount(uint(a >> 32)))); break;
    case 0x037cu: r = a + b; break;
    case 0x037du: r = a - b; break;
    case 0x037eu: r = a * b; break;
    case 0x037fu:
      if (b == 0UL) return 4u;
      if (a == 0x8000000000000000UL && b == 0xffffffffffffffffUL) return 5u;
      r = uint64_t(la / lb); break;
    case 0x0380u: if (b == 0UL) return 4u; r = a / b; break;
    case 0x0381u:
      if (b == 0UL) return 4u;
      r = b == 0xffffffffffffffffUL ? 0UL : uint64_t(la - (la / lb) * lb); break;
    case 0x0382u: if (b == 0UL) return 4u; r = a - (a / b) * b; break;
    case 0x0383u: r = a & b; break;
    case 0x0384u: r = a | b; break;
    case 0x0385u: r = a ^ b; break;
    case 0x0386u: r = a << uint(b & 63UL); break;
    case 0x0387u: r = uint64_t(la >> int(b & 63UL)); break;
    case 0x0388u: r = a >> uint(b & 63UL); break;
    case 0x0389u: r = rotl64(a, uint(b & 63UL)); break;
    case 0x038au: r = rotl64(a, 64u - uint(b & 63UL)); break;
    // f32 (bit operations exact; arithmetic through f64, see float.glsl)
    case 0x038bu: r = uint64_t(ua & 0x7fffffffu); break;
    case 0x038cu: r = uint64_t(ua ^ 0x80000000u); break;
    case 0x038du: { precise double x = F32D(a); r = R32(isnan(x) ? x + x : ceil(x)); break; }
    case 0x038eu: { precise double x = F32D(a); r = R32(isnan(x) ? x + x : floor(x)); break; }
    case 0x038fu: { precise double x = F32D(a); r = R32(isnan(x) ? x + x : trunc(x)); break; }
    case 0x0390u: { precise double x = F32D(a); r = R32(isnan(x) ? x + x : roundEven(x)); break; }
    case 0x0391u: { precise double x = sqrt(F32D(a)); r = R32(x); break; }
    case 0x0392u: { precise double x = F32D(a) + F32D(b); r = R32(x); break; }
    case 0x0393u: { precise double x = F32D(a) - F32D(b); r = R32(x); break; }
    case 0x0394u: { precise double x = F32D(a) * F32D(b); r = R32(x); break; }
    case 0x0395u: { precise double x = F32D(a) / F32D(b); r = R32(x); break; }
    case 0x0396u: r = uint64_t(f32_from_f64(fmin64(f64_from_f32(ua), f64_from_f32(ub)))); break;
    case 0x0397u: r = uint64_t(f32_from_f64(fmax64(f64_from_f32(ua), f64_from_f32(ub)))); break;
    case 0x0398u: r = uint64_t((ua & 0x7fffffffu) | (ub & 0x80000000u)); break;
    // f64
    case 0x0399u: r = a & 0x7fffffffffffffffUL; break;
    case 0x039au: r = a ^ 0x8000000000000000UL; break;
    case 0x039bu: { precise double x = F64(a); r = B64(isnan(x) ? x + x : ceil(x)); break; }
    case 0x039cu: { precise double x = F64(a); r = B64(isnan(x) ? x + x : floor(x)); break; }
    case 0x039du: { precise double x = F64(a); r = B64(isnan(x) ? x + x : trunc(x)); break; }
    case 0x039eu: { precise double x = F64(a); r = B64(isnan(x) ? x + x : roundEven(x)); break; }
    case 0x039fu: { precise double x = sqrt(F64(a)); r = B64(x); break; }
    case 0x03a0u: { precise double x = F64(a) + F64(b); r = B64(x); break; }
    case 0x03a1u: { precise double x = F64(a) - F64(b); r = B64(x); break; }
    case 0x03a2u: { precise double x = F64(a) * F64(b); r = B64(x); break; }
    case 0x03a3u: { precise double x = F64(a) / F64(b); r = B64(x); break; }
    case 0x03a4u: r = fmin64(a, b); break;
    case 0x03a5u: r = fmax64(a, b); break;
    case 0x03a6u: r = (a & 0x7fffffffffffffffUL) | (b & 0x8000000000000000UL); break;
    // conversions
    case 0x03a7u: r = uint64_t(ua); break;
    case 0x03a8u: case 0x03aau: {
      double x = op == 0x03a8u ? F32D(a) : F64(a);
      uint t = trunc_check(x, I32_LO, I32_HI); if (t != 0u) return t;
      r = uint64_t(uint(int(x))); break;
    }
    case 0x03a9u: case 0x03abu: {
      double x = op == 0x03a9u ? F32D(a) : F64(a);
      uint t = trunc_check(x, U32_LO, U32_HI); if (t != 0u) return t;
      r = uint64_t(uint(max(trunc(x), 0.0LF))); break;  // (-1,0) -> 0 without UB
    }
    case 0x03acu: r = uint64_t(int64_t(sa)); break;
    case 0x03adu: r = uint64_t(ua); break;
    case 0x03aeu: case 0x03b0u: {
      double x = op == 0x03aeu ? F32D(a) : F64(a);
      uint t = trunc_check(x, I64_LO, I64_HI); if (t != 0u) return t;
      r = uint64_t(int64_t(x)); break;
    }
    case 0x03afu: case 0x03b1u: {
      double x = op == 0x03afu ? F32D(a) : F64(a);
      uint t = trunc_check(x, U64_LO, U64_HI); if (t != 0u) return t;
      r = uint64_t(max(trunc(x), 0.0LF)); break;
    }
    case 0x03b2u: r = uint64_t(floatBitsToUint(float(sa))); break;
    case 0x03b3u: r = uint64_t(floatBitsToUint(float(ua))); break;
    case 0x03b4u: r = uint64_t(floatBitsToUint(float(la))); break;
    case 0x03b5u: r = uint64_t(floatBitsToUint(float(a))); break;
    case 0x03b6u: r = uint64_t(f32_from_f64(a)); break;
    case 0x03b7u: r = B64(double(sa)); break;
    case 0x03b8u: r = B64(double(ua)); break;
    case 0x03b9u: r = B64(double(la)); break;
    case 0x03bau: r = B64(double(a)); break;
    case 0x03bbu: r = f64_from_f32(ua); break;
    case 0x03bcu: case 0x03beu: r = uint64_t(ua); break;
    case 0x03bdu: case 0x03bfu: r = a; break;
    case 0x03c0u: r = uint64_t(uint(bitfieldExtract(sa, 0, 8))); break;
    case 0x03c1u: r = uint64_t(uint(bitfieldExtract(sa, 0, 16))); break;
    case 0x03c2u: r = uint64_t(int64_t(bitfieldExtract(sa, 0, 8))); break;
    case 0x03c3u: r = uint64_t(int64_t(bitfieldExtract(sa, 0, 16))); break;
    case 0x03c4u: r = uint64_t(int64_t(sa)); break;
    // saturating truncations: 0 signed/unsigned, f32/f64 in bits 0..2
    case 0x0400u: case 0x0401u: case 0x0402u: case 0x0403u:
    case 0x0404u: case 0x0405u: case 0x0406u: case 0x0407u: {
      uint k = op & 7u;
      bool is64 = k >= 4u, uns = (k & 1u) != 0u, from64 = (k & 2u) != 0u;
      double x = from64 ? F64(a) : F32D(a);
      if (isnan(x)) { r = 0UL; break; }
      if (!is64 && !uns) r = x <= I32_LO ? 0x80000000UL : x >= I32_HI ? 0x7fffffffUL : uint64_t(uint(int(x)));
      else if (!is64) r = x <= U32_LO ? 0UL : x >= U32_HI ? 0xffffffffUL : uint64_t(uint(max(trunc(x), 0.0LF)));
      else if (!uns) r = x <= I64_LO ? 0x8000000000000000UL : x >= I64_HI ? 0x7fffffffffffffffUL : uint64_t(int64_t(x));
      else r = x <= U64_LO ? 0UL : x >= U64_HI ? 0xffffffffffffffffUL : uint64_t(max(trunc(x), 0.0LF));
      break;
    }
    default: return 0x100u;  // VM_TRAP_UNSUPPORTED_OP
  }
  return 0u;
}

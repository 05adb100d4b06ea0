// float.glsl: WebAssembly f32/f64 helpers.
//
// f32 arithmetic is done in f64 on exactly converted operands, then rounded
// once to f32 by hand (f32_from_f64). Why:
//  - Vulkan allows 2.5 ulp for f32 division and inversesqrt-based sqrt; f64
//    add/sub/mul/div/sqrt of f32 values rounded to f32 is correctly rounded
//    (53 >= 2*24 + 2, so the double rounding is innocuous);
//  - llvmpipe runs with denormals flushed (no denorm preservation): f32
//    subnormals are normal numbers as f64, and the bit-level conversions
//    below never go through the FPU, so f32 results are exact there too.
// f64 arithmetic is native with `precise` (no contraction); on lavapipe f64
// subnormal inputs/outputs are flushed to zero: those spec commands fail.

// f32 bits -> f64 bits, exact (subnormals normalised), signalling NaNs quieted.
uint64_t f64_from_f32(uint f) {
  uint64_t sign = uint64_t(f >> 31) << 63;
  uint e = (f >> 23) & 0xffu;
  uint m = f & 0x7fffffu;
  if (e == 0xffu) {
    uint64_t r = sign | (uint64_t(0x7ffu) << 52) | (uint64_t(m) << 29);
    if (m != 0u) r |= uint64_t(1) << 51;  // NaN: quiet, payload kept
    return r;
  }
  if (e == 0u) {
    if (m == 0u) return sign;
    int msb = findMSB(m);  // value = m * 2^-149 = 1.frac * 2^(msb-149)
    uint64_t frac = uint64_t(m ^ (1u << msb)) << (52 - msb);
    return sign | (uint64_t(uint(msb - 149 + 1023)) << 52) | frac;
  }
  return sign | (uint64_t(e - 127u + 1023u) << 52) | (uint64_t(m) << 29);
}

// f64 bits -> f32 bits, round to nearest even, subnormal results exact.
uint f32_from_f64(uint64_t d) {
  uint sign = uint(d >> 63) << 31;
  int e = int(uint(d >> 52) & 0x7ffu);
  uint64_t m = d & 0xfffffffffffffUL;
  if (e == 0x7ff) {
    if (m != 0UL) return sign | 0x7fc00000u | uint(m >> 29);
    return sign | 0x7f800000u;
  }
  if (e == 0) return sign;  // f64 subnormals are far below f32's range
  int fe = e - 1023 + 127;
  if (fe >= 0xff) return sign | 0x7f800000u;
  m |= uint64_t(1) << 52;
  uint s = 29u;  // bits dropped
  uint base = 0u;
  if (fe <= 0) {
    s = uint(29 + 1 - fe);
    if (s > 60u) return sign;
  } else {
    base = uint(fe) << 23;
    m &= 0xfffffffffffffUL;  // normal: implicit bit lives in the exponent
  }
  uint keep = uint(m >> s);
  uint64_t rem = m & ((uint64_t(1) << s) - 1UL);
  uint64_t halfway = uint64_t(1) << (s - 1u);
  if (rem > halfway || (rem == halfway && (keep & 1u) != 0u)) keep++;
  return sign | (base + keep);  // a carry rounds up into the exponent, to inf at most
}

double F64(uint64_t b) { return uint64BitsToDouble(b); }
uint64_t B64(double d) { return doubleBitsToUint64(d); }
double F32D(uint64_t s) { return uint64BitsToDouble(f64_from_f32(uint(s))); }
uint64_t R32(double d) { return uint64_t(f32_from_f64(doubleBitsToUint64(d))); }

bool nan64(uint64_t b) { return (b & 0x7fffffffffffffffUL) > 0x7ff0000000000000UL; }

// min/max: NaN in -> quiet NaN out; -0 < +0. Operates on f64 bits.
uint64_t fmin64(uint64_t a, uint64_t b) {
  if (nan64(a) || nan64(b)) return B64(F64(a) + F64(b));
  if (((a | b) & 0x7fffffffffffffffUL) == 0UL) return a | b;  // +-0: -0 if any
  precise double x = F64(a), y = F64(b);
  return x < y ? a : b;
}
uint64_t fmax64(uint64_t a, uint64_t b) {
  if (nan64(a) || nan64(b)) return B64(F64(a) + F64(b));
  if (((a | b) & 0x7fffffffffffffffUL) == 0UL) return a & b;  // +-0: +0 if any
  precise double x = F64(a), y = F64(b);
  return x > y ? a : b;
}

// Float -> int range checks, as in ref_numeric.cpp (exclusive bounds).
const double I32_LO = -2147483649.0, I32_HI = 2147483648.0;
const double U32_LO = -1.0, U32_HI = 4294967296.0;
const double I64_LO = -9223372036854777856.0LF, I64_HI = 9223372036854775808.0LF;
const double U64_LO = -1.0, U64_HI = 18446744073709551616.0LF;

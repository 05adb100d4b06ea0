// ref_numeric.cpp: WebAssembly numeric semantics for the reference executor.
//
// Integer arithmetic wraps; division and float-to-int truncation trap as
// the spec says. Floats are IEEE binary32/binary64 computed by the host FPU
// (SSE on x86-64: no x87 excess precision, no contraction since the build
// uses -std=c++20, not gnu++). NaN results: operations on NaN inputs
// propagate a quieted input NaN and invalid operations give the default
// NaN, which meets the spec's nan:arithmetic / nan:canonical rules.
// min, max, abs, neg, copysign and nearest are written out because the C
// library's versions differ from WebAssembly on signed zeros and NaNs.
#include <bit>
#include <cmath>
#include <limits>

#include "procs/vm/ref_exec.h"

namespace gpuos::vm::ref {
namespace {

inline uint32_t u32(Slot s) { return static_cast<uint32_t>(s); }
inline int32_t s32(Slot s) { return static_cast<int32_t>(static_cast<uint32_t>(s)); }
inline uint64_t u64(Slot s) { return s; }
inline int64_t s64(Slot s) { return static_cast<int64_t>(s); }
inline float f32(Slot s) { return std::bit_cast<float>(static_cast<uint32_t>(s)); }
inline double f64(Slot s) { return std::bit_cast<double>(s); }
inline Slot from_u32(uint32_t v) { return v; }
inline Slot from_f32(float v) { return std::bit_cast<uint32_t>(v); }
inline Slot from_f64(double v) { return std::bit_cast<uint64_t>(v); }

template <typename F>
F fmin_wasm(F a, F b) {
  if (std::isnan(a) || std::isnan(b)) return a + b;  // quieted NaN
  if (a == 0 && b == 0) return std::signbit(a) ? a : b;
  return a < b ? a : b;
}
template <typename F>
F fmax_wasm(F a, F b) {
  if (std::isnan(a) || std::isnan(b)) return a + b;
  if (a == 0 && b == 0) return std::signbit(a) ? b : a;
  return a > b ? a : b;
}

// ceil, floor, trunc, nearest: glibc returns a signalling NaN input
// unchanged, but WebAssembly wants an arithmetic (quiet) NaN.
template <typename F, typename Fn>
F round_op(F x, Fn fn) {
  if (std::isnan(x)) return x + x;  // quiets the NaN, keeps the payload
  return fn(x);
}

// Float -> int truncation. `lo` and `hi` are exclusive bounds (as doubles,
// exact) of the values whose truncation fits the target type.
template <typename I>
TrapKind trunc_checked(double x, double lo, double hi, I& out) {
  if (std::isnan(x)) return TrapKind::InvalidConversion;
  if (!(x > lo && x < hi)) return TrapKind::IntegerOverflow;
  out = static_cast<I>(x);
  return TrapKind::None;
}
template <typename I>
I trunc_sat(double x, double lo, double hi) {
  if (std::isnan(x)) return 0;
  if (x <= lo) return std::numeric_limits<I>::min();
  if (x >= hi) return std::numeric_limits<I>::max();
  return static_cast<I>(x);
}
constexpr double kI32Lo = -2147483649.0, kI32Hi = 2147483648.0;
constexpr double kU32Lo = -1.0, kU32Hi = 4294967296.0;
constexpr double kI64Lo = -9223372036854777856.0, kI64Hi = 9223372036854775808.0;  // lo: next double below -2^63
constexpr double kU64Lo = -1.0, kU64Hi = 18446744073709551616.0;

}  // namespace

TrapKind exec_numeric(Op op, Slot* dst, Slot a, Slot b) {
  TrapKind trap = TrapKind::None;
  Slot r = 0;
  switch (op) {
    // i32
    case Op::I32Eqz: r = u32(a) == 0; break;
    case Op::I32Eq: r = u32(a) == u32(b); break;
    case Op::I32Ne: r = u32(a) != u32(b); break;
    case Op::I32LtS: r = s32(a) < s32(b); break;
    case Op::I32LtU: r = u32(a) < u32(b); break;
    case Op::I32GtS: r = s32(a) > s32(b); break;
    case Op::I32GtU: r = u32(a) > u32(b); break;
    case Op::I32LeS: r = s32(a) <= s32(b); break;
    case Op::I32LeU: r = u32(a) <= u32(b); break;
    case Op::I32GeS: r = s32(a) >= s32(b); break;
    case Op::I32GeU: r = u32(a) >= u32(b); break;
    case Op::I32Clz: r = std::countl_zero(u32(a)); break;
    case Op::I32Ctz: r = std::countr_zero(u32(a)); break;
    case Op::I32Popcnt: r = std::popcount(u32(a)); break;
    case Op::I32Add: r = from_u32(u32(a) + u32(b)); break;
    case Op::I32Sub: r = from_u32(u32(a) - u32(b)); break;
    case Op::I32Mul: r = from_u32(u32(a) * u32(b)); break;
    case Op::I32DivS:
      if (u32(b) == 0) return TrapKind::IntegerDivideByZero;
      if (s32(a) == INT32_MIN && s32(b) == -1) return TrapKind::IntegerOverflow;
      r = from_u32(static_cast<uint32_t>(s32(a) / s32(b)));
      break;
    case Op::I32DivU:
      if (u32(b) == 0) return TrapKind::IntegerDivideByZero;
      r = u32(a) / u32(b);
      break;
    case Op::I32RemS:
      if (u32(b) == 0) return TrapKind::IntegerDivideByZero;
      r = s32(b) == -1 ? 0 : from_u32(static_cast<uint32_t>(s32(a) % s32(b)));
      break;
    case Op::I32RemU:
      if (u32(b) == 0) return TrapKind::IntegerDivideByZero;
      r = u32(a) % u32(b);
      break;
    case Op::I32And: r = u32(a) & u32(b); break;
    case Op::I32Or: r = u32(a) | u32(b); break;
    case Op::I32Xor: r = u32(a) ^ u32(b); break;
    case Op::I32Shl: r = from_u32(u32(a) << (u32(b) & 31)); break;
    case Op::I32ShrS: r = from_u32(static_cast<uint32_t>(s32(a) >> (u32(b) & 31))); break;
    case Op::I32ShrU: r = u32(a) >> (u32(b) & 31); break;
    case Op::I32Rotl: r = std::rotl(u32(a), static_cast<int>(u32(b) & 31)); break;
    case Op::I32Rotr: r = std::rotr(u32(a), static_cast<int>(u32(b) & 31)); break;
    // i64
    case Op::I64Eqz: r = u64(a) == 0; break;
    case Op::I64Eq: r = u64(a) == u64(b); break;
    case Op::I64Ne: r = u64(a) != u64(b); break;
    case Op::I64LtS: r = s64(a) < s64(b); break;
    case Op::I64LtU: r = u64(a) < u64(b); break;
    case Op::I64GtS: r = s64(a) > s64(b); break;
    case Op::I64GtU: r = u64(a) > u64(b); break;
    case Op::I64LeS: r = s64(a) <= s64(b); break;
    case Op::I64LeU: r = u64(a) <= u64(b); break;
    case Op::I64GeS: r = s64(a) >= s64(b); break;
    case Op::I64GeU: r = u64(a) >= u64(b); break;
    case Op::I64Clz: r = std::countl_zero(u64(a)); break;
    case Op::I64Ctz: r = std::countr_zero(u64(a)); break;
    case Op::I64Popcnt: r = std::popcount(u64(a)); break;
    case Op::I64Add: r = u64(a) + u64(b); break;
    case Op::I64Sub: r = u64(a) - u64(b); break;
    case Op::I64Mul: r = u64(a) * u64(b); break;
    case Op::I64DivS:
      if (b == 0) return TrapKind::IntegerDivideByZero;
      if (s64(a) == INT64_MIN && s64(b) == -1) return TrapKind::IntegerOverflow;
      r = static_cast<uint64_t>(s64(a) / s64(b));
      break;
    case Op::I64DivU:
      if (b == 0) return TrapKind::IntegerDivideByZero;
      r = a / b;
      break;
    case Op::I64RemS:
      if (b == 0) return TrapKind::IntegerDivideByZero;
      r = s64(b) == -1 ? 0 : static_cast<uint64_t>(s64(a) % s64(b));
      break;
    case Op::I64RemU:
      if (b == 0) return TrapKind::IntegerDivideByZero;
      r = a % b;
      break;
    case Op::I64And: r = a & b; break;
    case Op::I64Or: r = a | b; break;
    case Op::I64Xor: r = a ^ b; break;
    case Op::I64Shl: r = a << (b & 63); break;
    case Op::I64ShrS: r = static_cast<uint64_t>(s64(a) >> (b & 63)); break;
    case Op::I64ShrU: r = a >> (b & 63); break;
    case Op::I64Rotl: r = std::rotl(a, static_cast<int>(b & 63)); break;
    case Op::I64Rotr: r = std::rotr(a, static_cast<int>(b & 63)); break;
    // float comparisons
    case Op::F32Eq: r = f32(a) == f32(b); break;
    case Op::F32Ne: r = f32(a) != f32(b); break;
    case Op::F32Lt: r = f32(a) < f32(b); break;
    case Op::F32Gt: r = f32(a) > f32(b); break;
    case Op::F32Le: r = f32(a) <= f32(b); break;
    case Op::F32Ge: r = f32(a) >= f32(b); break;
    case Op::F64Eq: r = f64(a) == f64(b); break;
    case Op::F64Ne: r = f64(a) != f64(b); break;
    case Op::F64Lt: r = f64(a) < f64(b); break;
    case Op::F64Gt: r = f64(a) > f64(b); break;
    case Op::F64Le: r = f64(a) <= f64(b); break;
    case Op::F64Ge: r = f64(a) >= f64(b); break;
    // f32
    case Op::F32Abs: r = u32(a) & 0x7fffffffu; break;
    case Op::F32Neg: r = u32(a) ^ 0x80000000u; break;
    case Op::F32Copysign: r = (u32(a) & 0x7fffffffu) | (u32(b) & 0x80000000u); break;
    case Op::F32Ceil: r = from_f32(round_op(f32(a), [](float x) { return std::ceil(x); })); break;
    case Op::F32Floor: r = from_f32(round_op(f32(a), [](float x) { return std::floor(x); })); break;
    case Op::F32Trunc: r = from_f32(round_op(f32(a), [](float x) { return std::trunc(x); })); break;
    case Op::F32Nearest: r = from_f32(round_op(f32(a), [](float x) { return std::nearbyint(x); })); break;
    case Op::F32Sqrt: r = from_f32(std::sqrt(f32(a))); break;
    case Op::F32Add: r = from_f32(f32(a) + f32(b)); break;
    case Op::F32Sub: r = from_f32(f32(a) - f32(b)); break;
    case Op::F32Mul: r = from_f32(f32(a) * f32(b)); break;
    case Op::F32Div: r = from_f32(f32(a) / f32(b)); break;
    case Op::F32Min: r = from_f32(fmin_wasm(f32(a), f32(b))); break;
    case Op::F32Max: r = from_f32(fmax_wasm(f32(a), f32(b))); break;
    // f64
    case Op::F64Abs: r = a & 0x7fffffffffffffffull; break;
    case Op::F64Neg: r = a ^ 0x8000000000000000ull; break;
    case Op::F64Copysign: r = (a & 0x7fffffffffffffffull) | (b & 0x8000000000000000ull); break;
    case Op::F64Ceil: r = from_f64(round_op(f64(a), [](double x) { return std::ceil(x); })); break;
    case Op::F64Floor: r = from_f64(round_op(f64(a), [](double x) { return std::floor(x); })); break;
    case Op::F64Trunc: r = from_f64(round_op(f64(a), [](double x) { return std::trunc(x); })); break;
    case Op::F64Nearest: r = from_f64(round_op(f64(a), [](double x) { return std::nearbyint(x); })); break;
    case Op::F64Sqrt: r = from_f64(std::sqrt(f64(a))); break;
    case Op::F64Add: r = from_f64(f64(a) + f64(b)); break;
    case Op::F64Sub: r = from_f64(f64(a) - f64(b)); break;
    case Op::F64Mul: r = from_f64(f64(a) * f64(b)); break;
    case Op::F64Div: r = from_f64(f64(a) / f64(b)); break;
    case Op::F64Min: r = from_f64(fmin_wasm(f64(a), f64(b))); break;
    case Op::F64Max: r = from_f64(fmax_wasm(f64(a), f64(b))); break;
    // conversions
    case Op::I32WrapI64: r = u32(a); break;
    case Op::I64ExtendI32S: r = static_cast<uint64_t>(static_cast<int64_t>(s32(a))); break;
    case Op::I64ExtendI32U: r = u32(a); break;
    case Op::I32TruncF32S: case Op::I32TruncF64S: {
      int32_t v = 0;
      trap = trunc_checked(op == Op::I32TruncF32S ? f32(a) : f64(a), kI32Lo, kI32Hi, v);
      r = static_cast<uint32_t>(v);
      break;
    }
    case Op::I32TruncF32U: case Op::I32TruncF64U: {
      uint32_t v = 0;
      trap = trunc_checked(op == Op::I32TruncF32U ? f32(a) : f64(a), kU32Lo, kU32Hi, v);
      r = v;
      break;
    }
    case Op::I64TruncF32S: case Op::I64TruncF64S: {
      int64_t v = 0;
      trap = trunc_checked(op == Op::I64TruncF32S ? f32(a) : f64(a), kI64Lo, kI64Hi, v);
      r = static_cast<uint64_t>(v);
      break;
    }
    case Op::I64TruncF32U: case Op::I64TruncF64U: {
      uint64_t v = 0;
      trap = trunc_checked(op == Op::I64TruncF32U ? f32(a) : f64(a), kU64Lo, kU64Hi, v);
      r = v;
      break;
    }
    case Op::I32TruncSatF32S: r = static_cast<uint32_t>(trunc_sat<int32_t>(f32(a), kI32Lo, kI32Hi)); break;
    case Op::I32TruncSatF64S: r = static_cast<uint32_t>(trunc_sat<int32_t>(f64(a), kI32Lo, kI32Hi)); break;
    case Op::I32TruncSatF32U: r = trunc_sat<uint32_t>(f32(a), kU32Lo, kU32Hi); break;
    case Op::I32TruncSatF64U: r = trunc_sat<uint32_t>(f64(a), kU32Lo, kU32Hi); break;
    case Op::I64TruncSatF32S: r = static_cast<uint64_t>(trunc_sat<int64_t>(f32(a), kI64Lo, kI64Hi)); break;
    case Op::I64TruncSatF64S: r = static_cast<uint64_t>(trunc_sat<int64_t>(f64(a), kI64Lo, kI64Hi)); break;
    case Op::I64TruncSatF32U: r = trunc_sat<uint64_t>(f32(a), kU64Lo, kU64Hi); break;
    case Op::I64TruncSatF64U: r = trunc_sat<uint64_t>(f64(a), kU64Lo, kU64Hi); break;
    case Op::F32ConvertI32S: r = from_f32(static_cast<float>(s32(a))); break;
    case Op::F32ConvertI32U: r = from_f32(static_cast<float>(u32(a))); break;
    case Op::F32ConvertI64S: r = from_f32(static_cast<float>(s64(a))); break;
    case Op::F32ConvertI64U: r = from_f32(static_cast<float>(u64(a))); break;
    case Op::F32DemoteF64: r = from_f32(static_cast<float>(f64(a))); break;
    case Op::F64ConvertI32S: r = from_f64(static_cast<double>(s32(a))); break;
    case Op::F64ConvertI32U: r = from_f64(static_cast<double>(u32(a))); break;
    case Op::F64ConvertI64S: r = from_f64(static_cast<double>(s64(a))); break;
    case Op::F64ConvertI64U: r = from_f64(static_cast<double>(u64(a))); break;
    case Op::F64PromoteF32: r = from_f64(static_cast<double>(f32(a))); break;
    case Op::I32ReinterpretF32: case Op::F32ReinterpretI32: r = u32(a); break;
    case Op::I64ReinterpretF64: case Op::F64ReinterpretI64: r = a; break;
    // sign extension
    case Op::I32Extend8S: r = static_cast<uint32_t>(static_cast<int32_t>(static_cast<int8_t>(a))); break;
    case Op::I32Extend16S: r = static_cast<uint32_t>(static_cast<int32_t>(static_cast<int16_t>(a))); break;
    case Op::I64Extend8S: r = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int8_t>(a))); break;
    case Op::I64Extend16S: r = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int16_t>(a))); break;
    case Op::I64Extend32S: r = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(a))); break;
    default: return TrapKind::HostError;  // not a numeric opcode: the caller's bug
  }
  if (trap == TrapKind::None) *dst = r;
  return trap;
}

}  // namespace gpuos::vm::ref

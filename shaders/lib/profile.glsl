// profile.glsl: where lanes spend their time (the GPUOS_PROFILE kernel,
// `--profile`; the normal kernels compile every macro here to nothing).
//
// Each lane adds device-clock nanoseconds (clockRealtimeEXT) per PROF_*
// category into private accumulators, and every PROF_FLUSH_EVERY main-loop
// iterations (and when it leaves the loop) adds them into SysHeader.prof as
// 64-bit sums over all lanes: atomicAdd on the low word, and a carry into
// the high word when that add wrapped. Dividing a category by PROF_LOOP
// gives the share of all lane time it took.
#ifdef GPUOS_PROFILE
#extension GL_EXT_shader_realtime_clock : require

const uint PROF_FLUSH_EVERY = 64u;
uint64_t prof_acc[PROF_SLOTS];

void prof_add(uint k, uint64_t v) { prof_acc[k] += v; }

void prof_flush() {
  for (uint k = 0u; k < PROF_SLOTS; ++k) {
    const uint64_t v = prof_acc[k];
    if (v != 0UL) {
      const uint lo = uint(v), hi = uint(v >> 32);
      const uint old = atomicAdd(sys.prof[2u * k], lo);
      const uint carry = old + lo < old ? 1u : 0u;
      if (hi + carry != 0u) atomicAdd(sys.prof[2u * k + 1u], hi + carry);
    }
    prof_acc[k] = 0UL;
  }
}

#define PROF_INIT() for (uint k_ = 0u; k_ < PROF_SLOTS; ++k_) prof_acc[k_] = 0UL
#define PROF_START(t) const uint64_t t = clockRealtimeEXT()
#define PROF_STOP(t, k) prof_add(k, clockRealtimeEXT() - (t))
#define PROF_COUNT(k) prof_add(k, 1UL)
#define PROF_FLUSH() prof_flush()
// When `cond`, the time since t goes to part k, and is added to `acc` (the
// time a quantum has given its parts; PROF_REST charges the rest).
#define PROF_ACCOUNT(cond, t, k, acc)                 \
  if (cond) {                                         \
    const uint64_t prof_d_ = clockRealtimeEXT() - (t); \
    prof_add(k, prof_d_);                             \
    acc += prof_d_;                                   \
  }
#define PROF_REST(t, k, acc) prof_add(k, clockRealtimeEXT() - (t) - (acc))
#else
#define PROF_INIT()
#define PROF_START(t)
#define PROF_STOP(t, k)
#define PROF_COUNT(k)
#define PROF_FLUSH()
#define PROF_ACCOUNT(cond, t, k, acc)
#define PROF_REST(t, k, acc)
#endif

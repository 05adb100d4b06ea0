// Memory-model loads and stores on buffer memory (GL_KHR_memory_scope_semantics).
// Macros, not functions: an atomic must name the buffer variable itself, and
// a GLSL function parameter would be a copy.
//
// Device scope: the other side is another workgroup or the host, and the
// shared buffers are host-coherent, so device-scope release/acquire is what
// makes a write reach the other agent in order. Plain `volatile` is not used
// anywhere (DESIGN.md: lavapipe loses volatile atomics after divergent exits).
//
// GPUOS_RELAXED_ATOMICS builds the lavapipe variant of every shader. Mesa
// 22.3's llvmpipe corrupts the execution mask when an atomic with acquire or
// release semantics runs in divergent control flow inside a loop (measured:
// later stores and the post-loop atomics of the whole subgroup vanish; see
// docs/platform.md). Its atomics are sequentially consistent x86 operations
// whatever the semantics say, so the variant asks for relaxed ones.
#ifdef GPUOS_RELAXED_ATOMICS
#define LOAD_ACQUIRE(v) atomicLoad(v, gl_ScopeDevice, gl_StorageSemanticsBuffer, gl_SemanticsRelaxed)
#define STORE_RELEASE(v, x) atomicStore(v, x, gl_ScopeDevice, gl_StorageSemanticsBuffer, gl_SemanticsRelaxed)
#define ADD_ACQ_REL(v, x) atomicAdd(v, x, gl_ScopeDevice, gl_StorageSemanticsBuffer, gl_SemanticsRelaxed)
#define ACQUIRE_FENCE()
#define RELEASE_FENCE()
// A store-then-load fence (Dekker: publish my state, then look at yours).
// The stores it follows are atomicExchanges, locked x86 instructions and so
// full fences already; a memoryBarrier() in divergent control flow would
// corrupt the execution mask like an acquire/release atomic (above).
#define FULL_FENCE()
// With no fences and only relaxed atomics, order comes from making every
// shared word an atomic access: llvmpipe's JIT keeps atomics in program
// order (x86 then keeps stores in order), while a plain store may sink past
// the relaxed store that publishes it (seen: a reply read in one 16-byte
// load showed the new seq beside the old values).
#define WRITE_SHARED(dst, x) atomicStore(dst, x, gl_ScopeDevice, gl_StorageSemanticsBuffer, gl_SemanticsRelaxed)
#define READ_SHARED(x) atomicLoad(x, gl_ScopeDevice, gl_StorageSemanticsBuffer, gl_SemanticsRelaxed)
#else
#define LOAD_ACQUIRE(v) atomicLoad(v, gl_ScopeDevice, gl_StorageSemanticsBuffer, gl_SemanticsAcquire)
#define STORE_RELEASE(v, x) atomicStore(v, x, gl_ScopeDevice, gl_StorageSemanticsBuffer, gl_SemanticsRelease)
// Read-modify-write that publishes this lane's earlier writes (release) and
// sees the writes published by earlier adders (acquire).
#define ADD_ACQ_REL(v, x) atomicAdd(v, x, gl_ScopeDevice, gl_StorageSemanticsBuffer, gl_SemanticsAcquireRelease)
// Explicit fences around every publish and every consume of plain data.
// Without the Vulkan memory model (GLSL450 model), an NVIDIA H100 let a
// reply's seq store overtake the value stores before it (measured
// 2026-11-21: a ping answered with the previous command's values about
// once in 10^4 round trips); a memory barrier orders them.
#define ACQUIRE_FENCE() memoryBarrierBuffer()
#define RELEASE_FENCE() memoryBarrierBuffer()
#define FULL_FENCE() memoryBarrier()  // store-then-load (Dekker), see the relaxed variant
// Plain accesses to data published or consumed under the fences above.
#define WRITE_SHARED(dst, x) dst = (x)
#define READ_SHARED(x) (x)
#endif
#define LOAD_RELAXED(v) atomicLoad(v, gl_ScopeDevice, gl_StorageSemanticsBuffer, gl_SemanticsRelaxed)
#define STORE_RELAXED(v, x) atomicStore(v, x, gl_ScopeDevice, gl_StorageSemanticsBuffer, gl_SemanticsRelaxed)

// SUBGROUP_LOAD(dst, expr): one lane of the subgroup evaluates `expr` (an
// atomic load of shared state) and every active lane gets its value. With
// tens of thousands of lanes polling the same few control-block words, this
// cuts the atomic traffic on those L2 lines by the subgroup size (32 on
// NVIDIA). lavapipe keeps per-lane loads: it has few lanes, and its
// subgroup operations are best left out of divergent loops (docs/platform.md).
#ifdef GPUOS_RELAXED_ATOMICS
#define SUBGROUP_LOAD(dst, expr) dst = (expr)
#else
#define SUBGROUP_LOAD(dst, expr)          \
  {                                       \
    uint subgroup_value_ = 0u;            \
    if (subgroupElect()) subgroup_value_ = (expr); \
    dst = subgroupBroadcastFirst(subgroup_value_); \
  }
#endif

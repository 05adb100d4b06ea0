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
#define LOAD_ACQUIRE(v) atomicAdd(v, 0u)
#define LOAD_RELAXED(v) atomicAdd(v, 0u)
#define STORE_RELEASE(v, x) atomicExchange(v, x)
#define STORE_RELAXED(v, x) atomicExchange(v, x)
#define ADD_ACQ_REL(v, x) atomicAdd(v, x)
#else
#define LOAD_ACQUIRE(v) atomicLoad(v, gl_ScopeDevice, gl_StorageSemanticsBuffer, gl_SemanticsAcquire)
#define LOAD_RELAXED(v) atomicLoad(v, gl_ScopeDevice, gl_StorageSemanticsBuffer, gl_SemanticsRelaxed)
#define STORE_RELEASE(v, x) atomicStore(v, x, gl_ScopeDevice, gl_StorageSemanticsBuffer, gl_SemanticsRelease)
#define STORE_RELAXED(v, x) atomicStore(v, x, gl_ScopeDevice, gl_StorageSemanticsBuffer, gl_SemanticsRelaxed)
// Read-modify-write that publishes this lane's earlier writes (release) and
// sees the writes published by earlier adders (acquire).
#define ADD_ACQ_REL(v, x) atomicAdd(v, x, gl_ScopeDevice, gl_StorageSemanticsBuffer, gl_SemanticsAcquireRelease)
#endif

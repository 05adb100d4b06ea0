#version 460
// vm_run.comp: first-cut GPU interpreter of the VM slot bytecode (docs/vm.md),
// a standalone compute pipeline driven by procs/vm/gpu_exec.cpp. The
// interpreter itself is vm/interp.glsl; this shader maps its accessors onto
// the bound buffers (vm/layout.glsl) and keeps the registers in lane headers.
//
// One WebAssembly invocation per lane. The host puts the arguments in the
// lane's slots 0.., the function index in AUX and status START; each launch
// the lane runs a bounded slice (at most P.slice_ticks ticks), saves pc, fp,
// call depth and any half-done bulk work in its lane header (vm_abi.h), and
// the host relaunches until every lane is DONE, TRAPPED or HOSTCALL. The
// same slices give the host its instruction budget (lane TICKS).
//
// Why slices: llvmpipe silently ends an invocation's loops after 65,535
// iterations over all loops together (docs/platform.md 2b); interp.glsl
// counts every loop's iterations as ticks, so a launch runs at most
// slice_ticks + VM_CHUNK + (results of one return) iterations.
//
// Calls to anything but this image's own bytecode (host functions, functions
// of other instances) suspend the lane with status HOSTCALL: the host runs
// the callee, writes its results into the callee frame and resumes the lane.
//
// Known limits: linear memory, globals and tables are plain (non-atomic)
// buffers shared by all lanes of a launch.
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#extension GL_GOOGLE_include_directive : require

layout(local_size_x = 64) in;

#include "vm/vm_abi.h"
#include "vm/layout.glsl"

uint hb_, ctl_, sb_;  // this lane's header, control stack (lanes[]), slot base (slots[])

// interp.glsl's accessors (its header has the contract).
#define CODE(i) code[i]
#define FUNC(i) funcs[i]
#define SEG(i) segdata[i]
#define META(i) meta[i]
#define GLOBAL(i) globals[i]
#define TAB(i) tabs[i]
#define SLOT(i) slots[sb_ + (i)]
#define CTL(i) lanes[ctl_ + (i)]
#define VM_SLOT_LIMIT (P.slots_per_lane)
#define VM_DEPTH_LIMIT (P.max_depth)
#define VM_FUEL 1  // fuel_ lives in the lane header (VM_L_FUEL_*)

// The memory buffer has a pad word past its capacity (vm_abi.h), so the
// word after the last page that an unaligned load32 reads is still inside it.
uint mem_load_word(uint wi) { return mem[wi]; }
void mem_store_word(uint wi, uint v) { mem[wi] = v; }

#include "vm/interp.glsl"

// memory.grow over the bound memory buffer: the host sized it for
// VM_META_MEM_CAP_PAGES and zeroed it beyond the current pages.
uint vm_memory_grow() {
  uint old = META(VM_META_MEM_PAGES), delta = uint(S(O(1u)));
  uint64_t want = uint64_t(old) + uint64_t(delta);
  if (META(VM_META_HAS_MEMORY) == 0u || want > uint64_t(META(VM_META_MEM_CAP_PAGES))) {
    W(O(0u), 0xffffffffUL);
  } else {
    META(VM_META_MEM_PAGES) = uint(want);
    W(O(0u), uint64_t(old));
  }
  return pc_ + 3u;
}

// Intrinsics belong to the persistent kernel; the host never gives this
// pipeline one, but if it did the call traps as an unsupported "call".
void vm_intrinsic(uint id, uint callee_fp, uint call_pc) {
  trap_ = VM_TRAP_UNSUPPORTED_OP;
  aux_ = 0x0007u;
}

// The compiled tier (procs/jit, docs/compiled-tier.md): the same pipeline
// with VM_JIT defined and the image's blocks as generated GLSL, compiled at
// run time. Lanes, buffers and every helper above are shared, so a lane's
// state means the same to both, and a launch runs either.
#ifdef VM_JIT
#define JIT_RUNTIME_ZERO P.zero  // 0, unknown to the compiler (layout.glsl)
#include "jit/generated.glsl"
#endif

void main() {
  uint lane = gl_GlobalInvocationID.x;
  if (lane >= P.num_lanes) return;
  hb_ = lane * VM_LANE_WORDS;
  ctl_ = P.num_lanes * VM_LANE_WORDS + lane * 2u * P.max_depth;
  sb_ = lane * P.slots_per_lane;
  status_ = lanes[hb_ + VM_L_STATUS];
  if (status_ != VM_ST_START && status_ != VM_ST_RUNNING) return;
  pc_ = lanes[hb_ + VM_L_PC];
  fp_ = lanes[hb_ + VM_L_FP];
  depth_ = lanes[hb_ + VM_L_DEPTH];
  aux_ = lanes[hb_ + VM_L_AUX];
  bulk_ = lanes[hb_ + VM_L_BULK];
  zpos_ = lanes[hb_ + VM_L_ZPOS];
  zend_ = lanes[hb_ + VM_L_ZEND];
  handle_ = lanes[hb_ + VM_L_HANDLE];
  type_ = lanes[hb_ + VM_L_TYPE];
  callee_fp_ = 0u;
  trap_ = 0u;
  ticks_ = 0u;
  fuel_ = uint64_t(lanes[hb_ + VM_L_FUEL_LO]) | (uint64_t(lanes[hb_ + VM_L_FUEL_HI]) << 32);
  if (status_ == VM_ST_START) vm_start(aux_);
#ifdef VM_JIT
  if (status_ == VM_ST_RUNNING && trap_ == 0u) jit_run(P.slice_ticks);
  if (trap_ != 0u) status_ = VM_ST_TRAPPED;
#else
  vm_run_slice(P.slice_ticks);
#endif

  if (trap_ != 0u) {  // vm_run_slice made it TRAPPED
    lanes[hb_ + VM_L_TRAP] = trap_;
    lanes[hb_ + VM_L_TRAP_PC] = pc_;
  }
  lanes[hb_ + VM_L_STATUS] = status_;
  lanes[hb_ + VM_L_PC] = pc_;
  lanes[hb_ + VM_L_FP] = fp_;
  lanes[hb_ + VM_L_DEPTH] = depth_;
  lanes[hb_ + VM_L_AUX] = aux_;
  lanes[hb_ + VM_L_BULK] = bulk_;
  lanes[hb_ + VM_L_ZPOS] = zpos_;
  lanes[hb_ + VM_L_ZEND] = zend_;
  lanes[hb_ + VM_L_TICKS] += ticks_;
  lanes[hb_ + VM_L_CALLEE_FP] = callee_fp_;
  lanes[hb_ + VM_L_HANDLE] = handle_;
  lanes[hb_ + VM_L_TYPE] = type_;
  lanes[hb_ + VM_L_FUEL_LO] = uint(fuel_);
  lanes[hb_ + VM_L_FUEL_HI] = uint(fuel_ >> 32);
}

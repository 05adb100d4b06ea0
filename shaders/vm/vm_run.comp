#version 460
// vm_run.comp: first-cut GPU interpreter of the VM slot bytecode (docs/vm.md),
// a standalone compute pipeline driven by procs/vm/gpu_exec.cpp.
//
// One WebAssembly invocation per lane. The host puts the arguments in the
// lane's slots 0.., the function index in AUX and status START; each launch
// the lane runs a bounded slice (at most P.slice_ticks ticks), saves pc, fp,
// call depth and any half-done bulk work in its lane header (vm_abi.h), and
// the host relaunches until every lane is DONE, TRAPPED or HOSTCALL. The
// same slices give the host its instruction budget (lane TICKS).
//
// Why slices: llvmpipe silently ends an invocation's loops after 65,535
// iterations over all loops together (docs/platform.md 2b). Every loop here
// counts its iterations as ticks: the instruction loop, zeroing a new
// frame's locals and bulk memory/table work (both VM_CHUNK units at a time,
// resumable), and return's result copy. So a launch runs at most
// slice_ticks + VM_CHUNK + (results of one return) iterations.
//
// Calls to anything but this image's own bytecode (host functions, functions
// of other instances) suspend the lane with status HOSTCALL: the host runs
// the callee, writes its results into the callee frame and resumes the lane.
//
// Not supported here (trap VM_TRAP_UNSUPPORTED_OP, never a wrong value):
// opcodes outside the WebAssembly 2.0 set of bytecode.h (reserved ranges).
// Known limits: linear memory, globals and tables are plain (non-atomic)
// buffers shared by all lanes of a launch.
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#extension GL_GOOGLE_include_directive : require

layout(local_size_x = 64) in;

#include "vm/vm_abi.h"
#include "vm/layout.glsl"
#include "vm/float.glsl"
#include "vm/numeric.glsl"
#include "vm/memory.glsl"

// The lane's registers for this launch (saved to its header at the end).
uint status_, pc_, fp_, depth_, trap_, aux_, bulk_, zpos_, zend_, ticks_, callee_fp_;
uint hb_, ctl_, sb_;  // lane header, control stack (lanes[]), slot base (slots[])

uint64_t S(uint i) { return slots[sb_ + fp_ + i]; }
void W(uint i, uint64_t v) { slots[sb_ + fp_ + i] = v; }
uint O(uint k) { return code[pc_ + 1u + k]; }

// Enters function f with its frame at slot new_fp; on return the caller
// continues at ret_pc. Sets trap_ (pc_ unchanged) or suspends for the host.
void do_call(uint f, uint new_fp, uint ret_pc) {
  uint fb = f * VM_FUNC_WORDS;
  uint np = funcs[fb + VM_F_PARAMS];
  if (funcs[fb + VM_F_KIND] != VM_FK_LOCAL) {
    if (uint64_t(new_fp) + max(np, funcs[fb + VM_F_RESULTS]) > uint64_t(P.slots_per_lane)) { trap_ = 10u; return; }
    status_ = VM_ST_HOSTCALL;
    aux_ = f;
    callee_fp_ = new_fp;
    pc_ = ret_pc;
    return;
  }
  if (depth_ >= P.max_depth || uint64_t(new_fp) + funcs[fb + VM_F_FRAME] > uint64_t(P.slots_per_lane)) {
    trap_ = 10u;  // CallStackExhausted
    return;
  }
  lanes[ctl_ + 2u * depth_] = ret_pc;
  lanes[ctl_ + 2u * depth_ + 1u] = fp_;
  depth_++;
  fp_ = new_fp;
  zpos_ = fp_ + np;
  zend_ = zpos_ + funcs[fb + VM_F_LOCALS];
  pc_ = funcs[fb + VM_F_ENTRY];
}

bool is_unary(uint op) {
  return op == 0x0345u || op == 0x0350u || (op >= 0x0367u && op <= 0x0369u) || (op >= 0x0379u && op <= 0x037bu) ||
         (op >= 0x038bu && op <= 0x0391u) || (op >= 0x0399u && op <= 0x039fu) || (op >= 0x03a7u && op <= 0x03c4u) ||
         (op >= 0x0400u && op <= 0x0407u);
}

uint access_size(uint op) {  // loads 0x0128-0x0135, stores 0x0136-0x013e
  switch (op) {
    case 0x0129u: case 0x012bu: case 0x0137u: case 0x0139u: return 8u;
    case 0x012cu: case 0x012du: case 0x0130u: case 0x0131u: case 0x013au: case 0x013cu: return 1u;
    case 0x012eu: case 0x012fu: case 0x0132u: case 0x0133u: case 0x013bu: case 0x013du: return 2u;
    default: return 4u;
  }
}

uint64_t load_value(uint op, uint64_t ea) {
  uint v = load32(ea);
  switch (op) {
    case 0x0129u: case 0x012bu: return uint64_t(v) | (uint64_t(load32(ea + 4UL)) << 32);
    case 0x012cu: return uint64_t(uint(bitfieldExtract(int(v), 0, 8)));
    case 0x012du: case 0x0131u: return uint64_t(v & 0xffu);
    case 0x012eu: return uint64_t(uint(bitfieldExtract(int(v), 0, 16)));
    case 0x012fu: case 0x0133u: return uint64_t(v & 0xffffu);
    case 0x0130u: return uint64_t(int64_t(bitfieldExtract(int(v), 0, 8)));
    case 0x0132u: return uint64_t(int64_t(bitfieldExtract(int(v), 0, 16)));
    case 0x0134u: return uint64_t(int64_t(int(v)));
    default: return uint64_t(v);
  }
}

uint mem_byte(uint64_t ea) { return load32(ea) & 0xffu; }
uint seg_byte(uint i) { return (segdata[i >> 2] >> ((i & 3u) * 8u)) & 0xffu; }
uint tdesc(uint t) { return meta[VM_META_TABLES_OFF] + t * VM_DESC_WORDS; }

// One chunk of a resumable bulk instruction of n units: runs units
// [bulk_, end) through the caller's loop and returns end; the caller stays
// on this instruction (next = pc_) until end == n.
uint bulk_end(uint n) { return min(n, bulk_ + VM_CHUNK); }

#include "vm/ops_bulk.glsl"

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
  callee_fp_ = 0u;
  trap_ = 0u;
  ticks_ = 0u;
  if (status_ == VM_ST_START) {
    status_ = VM_ST_RUNNING;
    fp_ = 0u;
    depth_ = 0u;
    pc_ = 0xffffffffu;
    do_call(aux_, 0u, 0xffffffffu);
  }

  while (status_ == VM_ST_RUNNING && trap_ == 0u && ticks_ < P.slice_ticks) {
    if (zpos_ < zend_) {  // zero the new frame's declared locals, a chunk per iteration
      uint e = min(zend_, zpos_ + VM_CHUNK);
      for (uint i = zpos_; i < e; ++i) slots[sb_ + i] = 0UL;
      ticks_ += e - zpos_;
      zpos_ = e;
      continue;
    }
    ticks_++;
    uint w = code[pc_];
    uint op = w & 0xffffu;
    uint next = pc_ + 1u;
    switch (op) {
      case 0x0000u: break;                                                          // nop
      case 0x0001u: trap_ = w >> 16; break;                                         // trap
      case 0x0002u: next = O(0u); break;                                            // br
      case 0x0003u: next = uint(S(O(0u))) != 0u ? O(1u) : pc_ + 3u; break;          // br_if
      case 0x0004u: next = uint(S(O(0u))) == 0u ? O(1u) : pc_ + 3u; break;          // br_unless
      case 0x0005u: next = pc_ + 3u + 2u * min(uint(S(O(0u))), O(1u)); break;       // br_table
      case 0x0006u: {                                                               // return
        uint src = O(0u), k = O(1u);
        for (uint i = 0u; i < k; ++i) W(i, S(src + i));
        ticks_ += k;
        depth_--;
        if (depth_ == 0u) {
          status_ = VM_ST_DONE;  // results in slots 0..k-1 of frame 0
          next = pc_;
        } else {
          next = lanes[ctl_ + 2u * depth_];
          fp_ = lanes[ctl_ + 2u * depth_ + 1u];
        }
        break;
      }
      case 0x0007u: do_call(O(0u), fp_ + O(1u), pc_ + 3u); next = pc_; break;     // call
      case 0x0008u: {                                                               // call_indirect
        uint td = tdesc(O(2u));
        uint i = uint(S(O(3u)));
        if (i >= meta[td + VM_TD_SIZE]) { trap_ = 8u; break; }                      // UndefinedElement
        uint64_t ref = tabs[meta[td + VM_TD_BASE] + i];
        if (ref == 0UL) { trap_ = 9u; break; }                                      // UninitializedElement
        uint addr = uint(ref - 1UL);
        uint f = addr < meta[VM_META_ADDR_LEN] ? meta[meta[VM_META_ADDR_OFF] + addr] : VM_NOT_MAPPED;
        if (f == VM_NOT_MAPPED) {  // another instance's function: the host checks its type and runs it
          if (uint64_t(fp_) + O(0u) > uint64_t(P.slots_per_lane)) { trap_ = 10u; break; }
          status_ = VM_ST_HOSTCALL;
          aux_ = VM_NOT_MAPPED;
          callee_fp_ = fp_ + O(0u);
          lanes[hb_ + VM_L_HANDLE] = addr;
          lanes[hb_ + VM_L_TYPE] = O(1u);
          pc_ = pc_ + 5u;
          next = pc_;
          break;
        }
        if (funcs[f * VM_FUNC_WORDS + VM_F_SIG] != meta[meta[VM_META_SIG_OFF] + O(1u)]) { trap_ = 7u; break; }
        do_call(f, fp_ + O(0u), pc_ + 5u);
        next = pc_;
        break;
      }
      case 0x0009u: W(O(0u), S(O(1u))); next = pc_ + 3u; break;                    // copy
      case 0x000au: W(O(0u), uint64_t(O(1u))); next = pc_ + 3u; break;             // const32
      case 0x000bu: W(O(0u), uint64_t(O(1u)) | (uint64_t(O(2u)) << 32)); next = pc_ + 4u; break;
      case 0x000cu: W(O(0u), uint(S(O(3u))) != 0u ? S(O(1u)) : S(O(2u))); next = pc_ + 5u; break;
      case 0x000du: W(O(0u), globals[O(1u)]); next = pc_ + 3u; break;              // global.get
      case 0x000eu: globals[O(0u)] = S(O(1u)); next = pc_ + 3u; break;             // global.set
      case 0x000fu: W(O(0u), uint64_t(funcs[O(1u) * VM_FUNC_WORDS + VM_F_STORE_ADDR]) + 1UL); next = pc_ + 3u; break;
      case 0x0010u: W(O(0u), uint64_t(S(O(1u)) == 0UL)); next = pc_ + 3u; break;   // ref.is_null
      case 0x013fu: W(O(0u), uint64_t(meta[VM_META_MEM_PAGES])); next = pc_ + 2u; break;  // memory.size
      case 0x0140u: {                                                               // memory.grow
        uint old = meta[VM_META_MEM_PAGES], delta = uint(S(O(1u)));
        uint64_t want = uint64_t(old) + uint64_t(delta);
        if (meta[VM_META_HAS_MEMORY] == 0u || want > uint64_t(meta[VM_META_MEM_CAP_PAGES])) {
          W(O(0u), 0xffffffffUL);  // the buffer beyond `old` pages is zero (host)
        } else {
          meta[VM_META_MEM_PAGES] = uint(want);
          W(O(0u), uint64_t(old));
        }
        next = pc_ + 3u;
        break;
      }
      default:
        if (op >= 0x0128u && op <= 0x013eu) {                                      // loads, stores
          bool is_load = op <= 0x0135u;
          uint64_t ea = uint64_t(uint(S(O(is_load ? 1u : 0u)))) + uint64_t(O(2u));
          uint n = access_size(op);
          next = pc_ + 4u;
          if (ea + n > mem_bytes()) { trap_ = 2u; break; }
          if (is_load) {
            W(O(0u), load_value(op, ea));
          } else {
            uint64_t v = S(O(1u));
            store_part(ea, uint(v), min(n, 4u));
            if (n == 8u) store_part(ea + 4UL, uint(v >> 32), 4u);
          }
        } else if (op >= 0x0345u && op <= 0x0407u) {                               // numeric
          bool un = is_unary(op);
          uint64_t r;
          uint t = numeric(op, S(O(1u)), un ? 0UL : S(O(2u)), r);
          if (t == VM_TRAP_UNSUPPORTED_OP) aux_ = op;
          if (t != 0u) { trap_ = t; break; }
          W(O(0u), r);
          next = pc_ + (un ? 3u : 4u);
        } else {
          next = bulk_op(op);  // memory.init/copy/fill, data.drop, table.*; sets trap_
        }
        break;
    }
    if (trap_ == 0u && status_ == VM_ST_RUNNING) pc_ = next;
  }

  if (trap_ != 0u) {
    status_ = VM_ST_TRAPPED;
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
}

// interp.glsl: the interpreter of the VM slot bytecode (docs/vm.md), one
// WebAssembly invocation per lane, shared by the standalone pipeline
// (vm_run.comp) and the persistent kernel. It names no buffer: every access
// goes through accessors that the including shader defines, so the same loop
// runs over bound buffers (vm_run.comp) or over per-process state behind
// buffer device addresses and a page table.
//
// The includer enables GL_EXT_shader_explicit_arithmetic_types_int64 and
// GL_GOOGLE_include_directive and defines, BEFORE #include "vm/interp.glsl"
// (word layouts in vm_abi.h):
//   CODE(i)    uint: code word i (read only)
//   FUNC(i)    uint: funcs word i, VM_FUNC_WORDS per function (read only)
//   SEG(i)     uint: data-segment word i (read only)
//   META(i)    uint lvalue: meta word i (sizes, drops, maps)
//   GLOBAL(i)  uint64_t lvalue: global i
//   TAB(i)     uint64_t lvalue: every table's elements, then the elem items
//   SLOT(i)    uint64_t lvalue: slot i of this lane's slot space (the
//              interpreter adds fp_ itself; a lane base is the includer's)
//   CTL(i)     uint lvalue: control-stack word i of this lane (two per call:
//              return pc, caller fp)
//   VM_SLOT_LIMIT   expression: slots in this lane's slot space
//   VM_DEPTH_LIMIT  expression: nested calls before CallStackExhausted
//   VM_STACK_GROWS  (optional) a full stack may grow: vm_stack_full says how
//   VM_FUEL         (optional) runs metered code: the includer loads and
//                   saves fuel_ with the lane's registers (below)
// and these functions, before the #include or after it (prototypes below;
// after it if they use the lane registers):
//   uint mem_load_word(uint wi)          linear memory word wi (bytes 4wi..4wi+3)
//   void mem_store_word(uint wi, uint v)
//     Accesses are bounds-checked against META(VM_META_MEM_PAGES) first, but
//     an unaligned load32 reads word wi+1 too, which for the last bytes of
//     memory lies one word past the last page: mem_load_word must tolerate
//     that (any value; vm_run.comp keeps a pad word after its memory).
//   uint vm_memory_grow()   memory.grow d a (operands O(0), O(1)): writes the
//     old size or -1 to d and returns the next pc, or pc_ to run again
//     (resumable, with progress in bulk_, like the bulk instructions)
//   void vm_intrinsic(uint id, uint callee_fp, uint call_pc)
//     runs a function whose funcs[VM_F_KIND] is VM_FK_INTRINSIC | (id << 8),
//     just after the call (run_intrinsic): do_call has checked the callee
//     frame fits (callee_fp + max(params, results) <= VM_SLOT_LIMIT, else
//     trap 10 as for host calls) and set pc_ to the return pc. Arguments are
//     in SLOT(callee_fp + k); it writes its results there, and may set trap_
//     (reported at the call: run_intrinsic puts pc_ back), change status_ (e.g.
//     VM_ST_YIELD, VM_ST_BLOCKED, VM_ST_EXITED: the slice ends) and set
//     pc_ = call_pc to run the call again when the lane resumes.
//
// Provided: the lane registers below, S/W/O, do_call, the instruction
// helpers, the bulk instructions (ops_bulk.glsl), vm_start(f) and
// vm_run_slice(budget). The includer loads the registers, zeroes trap_ and
// ticks_ (vm_run.comp also callee_fp_), calls vm_start for a new invocation,
// then vm_run_slice, and saves the registers (trap_ and pc_ give the trap
// kind and location when status_ is VM_ST_TRAPPED).
//
// Loop budget: llvmpipe silently ends an invocation's loops after 65,535
// iterations over all loops together (docs/platform.md 2b). Every loop here
// counts its iterations as ticks: the instruction loop, zeroing a new
// frame's locals and bulk memory/table work (both VM_CHUNK units at a time,
// resumable), and return's result copy. So one vm_run_slice(budget) runs at
// most budget + VM_CHUNK + (results of one return) iterations.
//
// Not supported here (trap VM_TRAP_UNSUPPORTED_OP, never a wrong value):
// opcodes outside the WebAssembly 2.0 set of bytecode.h (reserved ranges),
// and `fuel` (metered code) unless the includer defines VM_FUEL.

#include "vm/vm_abi.h"
#include "vm/float.glsl"
#include "vm/numeric.glsl"

uint mem_load_word(uint wi);
void mem_store_word(uint wi, uint v);
void vm_intrinsic(uint id, uint callee_fp, uint call_pc);
uint vm_memory_grow();  // memory.grow d a: writes d, returns the next pc (pc_ itself to run again)

#include "vm/memory.glsl"

// The lane's registers (the includer loads and saves them around a slice).
uint status_;     // VM_ST_*
uint pc_, fp_;    // code word of the instruction to run; frame base slot
uint depth_;      // calls on the control stack
uint trap_;       // trap kind, 0 = none
uint aux_;        // START: function; HOSTCALL: callee; unsupported: the opcode
uint bulk_;       // units done by the current bulk instruction (resumable)
uint zpos_, zend_;  // pending zeroing of a new frame's locals: [zpos_, zend_)
uint ticks_;      // ticks of this slice
uint callee_fp_;  // HOSTCALL: the callee frame (args in, results out)
uint handle_, type_;  // HOSTCALL with aux_ = VM_NOT_MAPPED: call_indirect to
                      // this handle (another instance's function) of type type_
uint intrinsic_ret_pc_;  // where the intrinsic run last returns to (run_intrinsic;
                         // not saved: an includer that suspends one reads it
                         // before the slice ends)

// The instruction being run: its first VM_CODE_READ_AHEAD operands,
// fetched with its first word before the dispatch (vm_run_slice). Fetched
// inside each case, the operands waited for the opcode's load, and each
// case's slot loads for them: one more memory round trip per instruction.
uvec4 ops_;

// The last slot written (absolute index, or VM_NO_SLOT) and its value. Most
// instructions read what the one before wrote; from this register that read
// is no memory round trip (in the kernel every slot load is one: process
// state is coherent). Writes go through to memory as well, so any other
// reader sees them. Every write that bypasses W (a new frame's zeroing, an
// intrinsic's results) resets it: vm_slot_forget.
const uint VM_NO_SLOT = 0xffffffffu;
uint fwd_slot_ = VM_NO_SLOT;
uint64_t fwd_value_;

void vm_slot_forget() { fwd_slot_ = VM_NO_SLOT; }

uint64_t S(uint i) {
  const uint a = fp_ + i;
  if (a == fwd_slot_) return fwd_value_;
  return SLOT(a);
}
void W(uint i, uint64_t v) {
  const uint a = fp_ + i;
  SLOT(a) = v;
  fwd_slot_ = a;
  fwd_value_ = v;
}
uint O(uint k) { return k < VM_CODE_READ_AHEAD ? ops_[k] : CODE(pc_ + 1u + k); }

// Fuel of metered code (TranslateOptions::meter_fuel; docs/contracts.md,
// "Fuel"), charged as the reference executor charges it: a `fuel N`
// instruction takes N, and memory.copy, memory.fill and memory.init one
// unit per VM_FUEL_BYTES_PER_UNIT bytes before their first chunk. A charge
// larger than what is left traps OutOfFuel (13) and takes nothing.
#ifdef VM_FUEL
uint64_t fuel_;
bool vm_fuel_take(uint64_t units) {
  if (fuel_ < units) {
    trap_ = 13u;
    return false;
  }
  fuel_ -= units;
  return true;
}
#endif

// A call that finds the stack full (depth or slots): CallStackExhausted,
// unless the includer grows stacks (VM_STACK_GROWS, with bool
// vm_stack_can_grow() declared before the #include) and says this one may
// grow. Then the lane leaves its slice with VM_ST_STACK_FULL and pc_ still
// at the call; the includer grows the stack and the call runs again.
void vm_stack_full() {
#ifdef VM_STACK_GROWS
  if (vm_stack_can_grow()) {
    status_ = VM_ST_STACK_FULL;
    return;
  }
#endif
  trap_ = 10u;  // CallStackExhausted
}

// Enters function f with its frame at slot new_fp; on return the caller
// continues at ret_pc. Sets trap_ (pc_ unchanged) or suspends for the host.
void do_call(uint f, uint new_fp, uint ret_pc) {
  uint fb = f * VM_FUNC_WORDS;
  uint np = FUNC(fb + VM_F_PARAMS);
  uint kind = FUNC(fb + VM_F_KIND);
  if (kind != VM_FK_LOCAL) {
    if (uint64_t(new_fp) + max(np, FUNC(fb + VM_F_RESULTS)) > uint64_t(VM_SLOT_LIMIT)) {
      vm_stack_full();
      return;
    }
    if ((kind & 0xffu) == VM_FK_INTRINSIC) {  // run next by vm_run_slice (run_intrinsic)
      status_ = VM_ST_INTRINSIC;
      aux_ = kind >> 8;
      callee_fp_ = new_fp;
      handle_ = pc_;  // the call: where a trap is reported, or the call runs again
      pc_ = ret_pc;
      return;
    }
    status_ = VM_ST_HOSTCALL;
    aux_ = f;
    callee_fp_ = new_fp;
    pc_ = ret_pc;
    return;
  }
  if (depth_ >= VM_DEPTH_LIMIT || uint64_t(new_fp) + FUNC(fb + VM_F_FRAME) > uint64_t(VM_SLOT_LIMIT)) {
    vm_stack_full();
    return;
  }
  CTL(2u * depth_) = ret_pc;
  CTL(2u * depth_ + 1u) = fp_;
  depth_++;
  fp_ = new_fp;
  zpos_ = fp_ + np;
  zend_ = zpos_ + FUNC(fb + VM_F_LOCALS);
  pc_ = FUNC(fb + VM_F_ENTRY);
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

uint seg_byte(uint i) { return (SEG(i >> 2) >> ((i & 3u) * 8u)) & 0xffu; }
uint tdesc(uint t) { return META(VM_META_TABLES_OFF) + t * VM_DESC_WORDS; }

// One chunk of a resumable bulk instruction of n units: runs units
// [bulk_, end) through the caller's loop and returns end; the caller stays
// on this instruction (next = pc_) until end == n.
uint bulk_end(uint n) { return min(n, bulk_ + VM_CHUNK); }

#include "vm/ops_bulk.glsl"

// Runs the intrinsic that do_call left pending (VM_ST_INTRINSIC: AUX the id,
// CALLEE_FP its frame, HANDLE the call's pc). Intrinsics run here, at one
// call site, and not inside do_call (three call sites): llvmpipe inlines
// every call, and its compile time grows far faster than the inlined size
// (docs/platform.md 2e).
void run_intrinsic() {
  const uint call_pc = handle_;
  intrinsic_ret_pc_ = pc_;
  status_ = VM_ST_RUNNING;
  ticks_++;
  vm_intrinsic(aux_, callee_fp_, call_pc);
  vm_slot_forget();  // it wrote its results straight into the callee's frame
  if (trap_ != 0u) {
    pc_ = call_pc;
  } else if (status_ == VM_ST_RUNNING && depth_ == 0u && pc_ == 0xffffffffu) {
    status_ = VM_ST_DONE;  // started directly (vm_start): no caller to return to
  }
}

// Starts function f with its arguments in slots 0.. (frame 0). A function
// that does not run bytecode suspends (HOSTCALL), or, an intrinsic, runs
// first thing in vm_run_slice and is then DONE (its results in slots 0..),
// as there is no caller to return to; it cannot ask to run again (call_pc
// is 0xffffffff), so the kernel should not start intrinsics that suspend.
void vm_start(uint f) {
  status_ = VM_ST_RUNNING;
  fp_ = 0u;
  depth_ = 0u;
  pc_ = 0xffffffffu;
  do_call(f, 0u, 0xffffffffu);
  if (trap_ == 0u && status_ == VM_ST_RUNNING && depth_ == 0u) status_ = VM_ST_DONE;
}

// Runs the lane until it leaves RUNNING, traps, or has used `budget` ticks
// (counted in ticks_ from its value on entry); a trap sets status_ TRAPPED
// with trap_ the kind and pc_ the trapping instruction.
void vm_run_slice(uint budget) {
  vm_slot_forget();  // another slice, maybe another lane's slots
  while ((status_ == VM_ST_RUNNING || status_ == VM_ST_INTRINSIC) && trap_ == 0u && ticks_ < budget) {
    if (status_ == VM_ST_INTRINSIC) {
      run_intrinsic();
      continue;
    }
#ifdef VM_COMPILED_HOOK
    // The includer's compiled code for this lane (the kernel's PROC_JIT
    // variants: VM_COMPILED_HOOK is true for a process that runs compiled).
    // It runs while it can and leaves a pending intrinsic to this loop, so
    // run_intrinsic keeps its one call site (llvmpipe inlines every call,
    // and a second copy of the kernel's system calls took its compile from
    // seconds to minutes).
    if (VM_COMPILED_HOOK) {
      VM_COMPILED_RUN(budget);
      vm_slot_forget();  // it wrote slots directly, past S and W's forwarding
      continue;
    }
#endif
    if (zpos_ < zend_) {  // zero the new frame's declared locals, a chunk per iteration
      uint e = min(zend_, zpos_ + VM_CHUNK);
      for (uint i = zpos_; i < e; ++i) SLOT(i) = 0UL;
      vm_slot_forget();
      ticks_ += e - zpos_;
      zpos_ = e;
      continue;
    }
    ticks_++;
    uint w = CODE(pc_);
    ops_ = uvec4(CODE(pc_ + 1u), CODE(pc_ + 2u), CODE(pc_ + 3u), CODE(pc_ + 4u));
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
          next = CTL(2u * depth_);
          fp_ = CTL(2u * depth_ + 1u);
        }
        break;
      }
      case 0x0007u: do_call(O(0u), fp_ + O(1u), pc_ + 3u); next = pc_; break;     // call
      case 0x0008u: {                                                               // call_indirect
        uint td = tdesc(O(2u));
        uint i = uint(S(O(3u)));
        if (i >= META(td + VM_TD_SIZE)) { trap_ = 8u; break; }                      // UndefinedElement
        uint64_t ref = TAB(META(td + VM_TD_BASE) + i);
        if (ref == 0UL) { trap_ = 9u; break; }                                      // UninitializedElement
        uint addr = uint(ref - 1UL);
        uint f = addr < META(VM_META_ADDR_LEN) ? META(META(VM_META_ADDR_OFF) + addr) : VM_NOT_MAPPED;
        if (f == VM_NOT_MAPPED) {  // another instance's function: the host checks its type and runs it
          if (uint64_t(fp_) + O(0u) > uint64_t(VM_SLOT_LIMIT)) { trap_ = 10u; break; }
          status_ = VM_ST_HOSTCALL;
          aux_ = VM_NOT_MAPPED;
          callee_fp_ = fp_ + O(0u);
          handle_ = addr;
          type_ = O(1u);
          pc_ = pc_ + 5u;
          next = pc_;
          break;
        }
        if (FUNC(f * VM_FUNC_WORDS + VM_F_SIG) != META(META(VM_META_SIG_OFF) + O(1u))) { trap_ = 7u; break; }
        do_call(f, fp_ + O(0u), pc_ + 5u);
        next = pc_;
        break;
      }
      case 0x0009u: W(O(0u), S(O(1u))); next = pc_ + 3u; break;                    // copy
      case 0x000au: W(O(0u), uint64_t(O(1u))); next = pc_ + 3u; break;             // const32
      case 0x000bu: W(O(0u), uint64_t(O(1u)) | (uint64_t(O(2u)) << 32)); next = pc_ + 4u; break;
      case 0x000cu: W(O(0u), uint(S(O(3u))) != 0u ? S(O(1u)) : S(O(2u))); next = pc_ + 5u; break;
      case 0x000du: W(O(0u), GLOBAL(O(1u))); next = pc_ + 3u; break;               // global.get
      case 0x000eu: GLOBAL(O(0u)) = S(O(1u)); next = pc_ + 3u; break;              // global.set
      case 0x000fu: W(O(0u), uint64_t(FUNC(O(1u) * VM_FUNC_WORDS + VM_F_STORE_ADDR)) + 1UL); next = pc_ + 3u; break;
      case 0x0010u: W(O(0u), uint64_t(S(O(1u)) == 0UL)); next = pc_ + 3u; break;   // ref.is_null
#ifdef VM_FUEL
      case 0x0011u: if (vm_fuel_take(uint64_t(O(0u)))) next = pc_ + 2u; break;      // fuel
#endif
      case 0x013fu: W(O(0u), uint64_t(META(VM_META_MEM_PAGES))); next = pc_ + 2u; break;  // memory.size
      case 0x0140u: next = vm_memory_grow(); break;                                 // memory.grow (includer)
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
  if (trap_ != 0u) status_ = VM_ST_TRAPPED;
}

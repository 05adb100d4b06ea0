// vm_abi.h: the layout shared by the standalone VM interpreter
// (shaders/vm/vm_run.comp, around the loop in shaders/vm/interp.glsl) and its
// host driver (procs/vm/gpu_exec.cpp). The persistent kernel runs the same
// interp.glsl over its own storage; the function and status words below are
// common to both.
//
// Written in the common subset of C++20 and GLSL 4.60, like shaders/abi.h:
// the same text compiles on both sides, so the word offsets below are the
// one definition of every buffer the interpreter reads or writes.
//
// Buffers (descriptor set 0, all storage buffers, bindings VM_B_*):
//   code     uint[]      the image's code words, then VM_CODE_READ_AHEAD readable words
//   funcs    uint[]      VM_FUNC_WORDS per function index (imports included)
//   globals  uint64_t[]  one slot per global index (imports gathered by the host)
//   memory   uint[]      linear memory 0, capacity VM_META_MEM_CAP_PAGES pages + 8 bytes pad
//   tables   uint64_t[]  every table's elements (capacity each), then every elem segment's items
//   meta     uint[]      sizes the interpreter may change (pages, table sizes, drops) + maps
//   segdata  uint[]      data segment bytes, each segment starting on a word
//   lanes    uint[]      VM_LANE_WORDS per lane, then each lane's control stack
//   slots    uint64_t[] each lane's frames: slots_per_lane slots per lane
#ifndef GPUOS_VM_ABI_H
#define GPUOS_VM_ABI_H

#ifdef __cplusplus
#include <cstdint>
namespace gpuos::vm::gpu {
typedef uint32_t uint;
#endif

const uint VM_B_CODE = 0u;
const uint VM_B_FUNCS = 1u;
const uint VM_B_GLOBALS = 2u;
const uint VM_B_MEMORY = 3u;
const uint VM_B_TABLES = 4u;
const uint VM_B_META = 5u;
const uint VM_B_SEGDATA = 6u;
const uint VM_B_LANES = 7u;
const uint VM_B_SLOTS = 8u;
const uint VM_NUM_BINDINGS = 9u;

// funcs[] entry, per function index of the image.
const uint VM_FUNC_WORDS = 8u;
const uint VM_F_ENTRY = 0u;        // code word of the first instruction
const uint VM_F_PARAMS = 1u;
const uint VM_F_RESULTS = 2u;
const uint VM_F_LOCALS = 3u;       // declared locals, zeroed on entry
const uint VM_F_FRAME = 4u;        // frame_slots
const uint VM_F_SIG = 5u;          // signature id of its type (call_indirect check)
const uint VM_F_KIND = 6u;         // VM_FK_*
const uint VM_F_STORE_ADDR = 7u;   // handle of the function (ref.func gives addr + 1)
const uint VM_FK_LOCAL = 0u;       // bytecode of this image: runs on the GPU
const uint VM_FK_HOST = 1u;        // anything else: the lane suspends (VM_ST_HOSTCALL)
// An intrinsic: the kind word is VM_FK_INTRINSIC | (id << 8) (low 8 bits the
// kind, bits 8..31 the intrinsic id). The shader runs it inside the call via
// its vm_intrinsic(id, ...) (interp.glsl); vm_run.comp has none (it traps
// unsupported: the host driver never writes this kind).
const uint VM_FK_INTRINSIC = 2u;

// meta[] header words.
const uint VM_META_MEM_PAGES = 0u;      // [gpu] current pages of memory 0
const uint VM_META_MEM_CAP_PAGES = 1u;  // [host] grow limit: min(declared max, buffer capacity)
const uint VM_META_HAS_MEMORY = 2u;
const uint VM_META_NUM_TABLES = 3u;
const uint VM_META_TABLES_OFF = 4u;     // meta word of table 0's descriptor
const uint VM_META_DATA_OFF = 5u;       // meta word of data segment 0's descriptor
const uint VM_META_ELEM_OFF = 6u;       // meta word of elem segment 0's descriptor
const uint VM_META_ADDR_OFF = 7u;       // meta word of the handle -> function index map
const uint VM_META_ADDR_LEN = 8u;
const uint VM_META_SIG_OFF = 9u;        // meta word of type_sig_ids[0]
const uint VM_META_HEADER_WORDS = 16u;
// Descriptors, 4 words each.
const uint VM_TD_BASE = 0u;  // table: first element in tables[]; size [gpu]; capacity
const uint VM_TD_SIZE = 1u;
const uint VM_TD_CAP = 2u;
const uint VM_SD_BASE = 0u;  // data: byte offset in segdata; elem: first item in tables[]
const uint VM_SD_LEN = 1u;
const uint VM_SD_DROPPED = 2u;  // [gpu] data.drop / elem.drop
const uint VM_DESC_WORDS = 4u;
const uint VM_NOT_MAPPED = 0xffffffffu;  // handle -> index map: not a function of this image

// lanes[] header, per lane.
const uint VM_LANE_WORDS = 16u;
const uint VM_L_STATUS = 0u;
const uint VM_L_PC = 1u;
const uint VM_L_FP = 2u;
const uint VM_L_DEPTH = 3u;
const uint VM_L_TRAP = 4u;      // trap kind: TrapKind, or VM_TRAP_UNSUPPORTED_*
const uint VM_L_TRAP_PC = 5u;   // code word of the trapping instruction
const uint VM_L_AUX = 6u;       // START: function; HOSTCALL: callee; unsupported: the opcode
const uint VM_L_BULK = 7u;      // units done by the current bulk instruction (resumable)
const uint VM_L_ZPOS = 8u;      // pending zeroing of a new frame's locals: [zpos, zend)
const uint VM_L_ZEND = 9u;
const uint VM_L_TICKS = 10u;    // [gpu] instruction ticks, summed over launches
const uint VM_L_CALLEE_FP = 11u;  // HOSTCALL: the callee frame (args in, results out)
const uint VM_L_HANDLE = 12u;     // HOSTCALL with AUX = VM_NOT_MAPPED: call_indirect to this handle
const uint VM_L_TYPE = 13u;       //   (a function of another instance), whose type the host checks
const uint VM_L_FUEL_LO = 14u;    // [both] fuel left for metered code (interp.glsl, VM_FUEL)
const uint VM_L_FUEL_HI = 15u;
// Metered code's bulk memory instructions take one unit of fuel per this
// many bytes, on both executors (interp.glsl with VM_FUEL, ref_exec.cpp).
const uint VM_FUEL_BYTES_PER_UNIT = 64u;

const uint VM_ST_IDLE = 0u;
const uint VM_ST_START = 1u;     // [host] call function AUX with args in slots 0..
const uint VM_ST_RUNNING = 2u;
const uint VM_ST_HOSTCALL = 3u;  // [gpu] call AUX (or HANDLE) at CALLEE_FP on the host, then set RUNNING
const uint VM_ST_DONE = 4u;      // results in slots 0..
const uint VM_ST_TRAPPED = 5u;
// Persistent kernel only (set by its intrinsics; vm_run.comp never does):
const uint VM_ST_YIELD = 6u;     // gave the lane up, resumable (set RUNNING again)
const uint VM_ST_EXITED = 7u;    // the process exited
const uint VM_ST_BLOCKED = 8u;   // waiting (e.g. for I/O), resumable
const uint VM_ST_INTRINSIC = 9u; // [gpu] run intrinsic AUX at CALLEE_FP next (HANDLE: the call's pc)
const uint VM_ST_STACK_FULL = 10u; // [gpu] a call found the stack full: grow it, then run the call again

// GPU-only trap kinds: not WebAssembly traps, reported as "unsupported".
const uint VM_TRAP_UNSUPPORTED_OP = 0x100u;  // AUX: the opcode
const uint VM_TRAP_BAD_STATE = 0x101u;       // a lane in a state the interpreter cannot run

// Loop budget: each launch runs at most slice_ticks ticks per lane; a tick is
// one instruction or one unit of a bulk loop. Bulk loops (memory.fill/copy/
// init, table.*, zeroing locals) do at most VM_CHUNK units per tick group,
// so a launch runs < slice_ticks + VM_CHUNK loop iterations (lavapipe: 65,535).
const uint VM_CHUNK = 64u;
// The interpreter fetches an instruction's first word and the next
// VM_CODE_READ_AHEAD words together (interp.glsl: ops_), so whatever holds
// the code keeps that many readable words after its last instruction.
const uint VM_CODE_READ_AHEAD = 4u;

// Push constants.
#ifdef __cplusplus
struct VmPush {
  uint num_lanes, slice_ticks, slots_per_lane, max_depth;
  uint zero;  // always 0 (layout.glsl says why)
};
}  // namespace gpuos::vm::gpu
#endif

#endif

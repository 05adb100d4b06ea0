// gpuos shared ABI: the one definition of every structure that the host (C++)
// and the persistent kernel (GLSL) both touch.
//
// This file is written in the common subset of C++20 and GLSL 4.60, in the
// manner of LLVM libc's GPU RPC header: the same text compiles on both sides.
//   * `uint` is a 32-bit unsigned integer on both sides (a typedef in C++);
//     `uint64_t` is native in C++ and comes from
//     GL_EXT_shader_explicit_arithmetic_types_int64 in GLSL.
//   * Constants are `const uint NAME = value;` which both languages accept.
//   * Every struct is made of naturally aligned 4- and 8-byte fields with
//     explicit padding, so its std430 layout equals its C++ layout. The host
//     pins sizes and offsets with static_assert (kernel/abi_check.cpp).
//   * Nothing here is `volatile`: data shared between agents is read and
//     written with atomics or memory-model loads and stores (DESIGN.md says
//     why: lavapipe loses volatile atomics after divergent exits).
//
// Who writes what is noted on every field:
//   [host]   written by the host only, read by the kernel
//   [kernel] written by the kernel only, read by the host
//   [both]   kernel-internal claim counters the host may read for stats
#ifndef GPUOS_ABI_H
#define GPUOS_ABI_H

#ifdef __cplusplus
#include <cstdint>
#define GPUOS_ABI_BEGIN namespace gpuos::abi {
#define GPUOS_ABI_END }
#define GPUOS_ABI_FN inline constexpr
GPUOS_ABI_BEGIN
typedef uint32_t uint;
GPUOS_ABI_END
#else
#define GPUOS_ABI_BEGIN
#define GPUOS_ABI_END
#define GPUOS_ABI_FN
#endif

GPUOS_ABI_BEGIN

const uint ABI_MAGIC = 0x534F5047u;  // "GPOS" little-endian
const uint ABI_VERSION = 3u;  // 2: the mailbox reply moved to HostBlock; 3: processes

// Lanes per workgroup of the persistent kernel (local_size_x in kernel.comp).
const uint KERNEL_WORKGROUP_SIZE = 64u;

// Upper bound on the loop iterations one main-loop iteration of kernel.comp
// runs in its inner loops (claims: 8 + 8; a chunk of 4 records: 4 x 41),
// plus the main loop's own. lavapipe slices are sized with it so that
// slice x KERNEL_LOOP_COST stays under llvmpipe's 65535 (see kernel.comp).
const uint KERNEL_LOOP_COST = 200u;
const uint LAVAPIPE_LOOP_LIMIT = 65535u;
// Loop iterations llvmpipe's budget loses per interpreted VM instruction of
// a quantum: the masked loops of the cases and intrinsics the instruction
// does not take (lib/loop_budget.glsl). Up to 46 were measured (Mesa 22.3,
// the basic app suite, 2026-11-22).
const uint LAVAPIPE_LOOPS_PER_VM_STEP = 64u;
// Process ticks (quanta x quantum) one lavapipe launch may run, whatever
// the slice allows: past about 2,000-4,000 ticks per launch, llvmpipe lost
// the lanes_running decrement of other lanes of the workgroup and stalled
// ring claims (docs/platform.md 2f). 512 since the loop budget is metered
// per subgroup (2h): two quanta of 256 ticks are what the meter allows.
const uint LAVAPIPE_TICKS_PER_LAUNCH = 512u;

// ---- kernel run modes (ControlBlock.mode) ----------------------------------
const uint MODE_LIVE = 1u;   // one resident dispatch, mailbox polled while it runs
const uint MODE_EPOCH = 2u;  // bounded slices, host relaunches between them
const uint MODE_PROBE = 3u;  // live semantics, but bounded: the boot-time mailbox check

// ---- stop reasons (ControlBlock.stop) ---------------------------------------
const uint STOP_NONE = 0u;
const uint STOP_SHUTDOWN = 1u;  // session ends
const uint STOP_PARK = 2u;      // idle: return now, host relaunches on new work

// ---- fault injection (ControlBlock.faults), for the failure-path tests -----
const uint FAULT_DEAF_PROBE = 1u;  // the boot-time probe never answers, so the live check fails

// ---- mailbox opcodes ---------------------------------------------------------
// Opcode space, so later subsystems slot in without renumbering:
//   0x0000-0x00FF session control     0x0100-0x01FF processes
//   0x0200-0x02FF heap                0x0300-0x03FF host I/O
//   0x7F00-0x7FFF fault injection (tests only)
const uint OP_NOP = 0x0000u;
const uint OP_PING = 0x0001u;      // arg0: token, echoed in value0
const uint OP_EMIT = 0x0002u;      // arg0: count, arg1: record kind, arg2: EMIT_* flags, arg3: first index
const uint OP_SHUTDOWN = 0x0003u;  // every lane exits; reply is sent first
const uint OP_FAULT_HANG = 0x7F01u;  // heartbeat stops and slices stop ending

const uint EMIT_MAY_DROP = 1u;  // producers drop after a bounded wait instead of waiting

// ---- mailbox status codes (MailboxReply.status) ------------------------------
const uint STATUS_OK = 0u;
const uint STATUS_BAD_OPCODE = 1u;
const uint STATUS_BAD_ARGUMENT = 2u;

// ---- debug-ring record kinds (RingRecord.kind_len & 0xFFFF) -----------------
const uint RECORD_PAD = 0u;      // filler: claimed but unused slot, skipped by the host
const uint RECORD_TEXT = 1u;     // UTF-8 text, length in bytes
const uint RECORD_PATTERN = 2u;  // test pattern: payload[j] = index * 0x9E3779B1 + j
const uint RECORD_U32 = 3u;      // raw 32-bit words

// A mailbox command. The host writes op and args, then stores seq with
// release order; a lane that loads the new seq with acquire sees the args.
struct MailboxCommand {
  uint seq;  // [host] bumps by one per command
  uint op;   // [host] OP_*
  uint arg0;
  uint arg1;
  uint arg2;
  uint arg3;
  uint _pad0;
  uint _pad1;
};

// The kernel's answer. Values first, then seq with release order.
struct MailboxReply {
  uint seq;     // [kernel] equals the command's seq once answered
  uint status;  // [kernel] STATUS_*
  uint value0;
  uint value1;
  uint value2;
  uint value3;
  uint _pad0;
  uint _pad1;
};

// State of the emit job (OP_EMIT). Positions are global and only grow, so a
// lane holding stale job bounds can never claim another job's records.
struct EmitJob {
  uint begin;   // [kernel] first cursor position of the current job
  uint end;     // [kernel] one past its last
  uint cursor;  // [both] next position to hand out (CAS-bounded by end)
  uint done;    // [both] positions produced or dropped; job ends at done == end
  uint kind;    // [kernel] record kind
  uint flags;   // [kernel] EMIT_*
  uint seq;     // [kernel] mailbox seq to answer when the job ends
  uint drops;   // [kernel] records this job dropped
};

// Control block: the host<->kernel meeting point. In live mode it lives in
// DEVICE_LOCAL|HOST_VISIBLE|HOST_COHERENT memory (see DESIGN.md's measured
// facts: NVIDIA lanes never see host writes to plain host memory). Fields
// written by different agents sit in different 128-byte lines.
struct ControlBlock {
  // line 0: identity and launch parameters [host, written before each launch]
  uint magic;
  uint abi_version;
  uint mode;              // MODE_*
  uint faults;            // FAULT_* bits
  uint slice_iterations;  // epoch/probe: loop iterations per launch
  uint launch;            // launch counter, for diagnostics
  uint ring_capacity;     // records; a power of two (set at boot, never changed)
  uint ring_wait_spins;   // EMIT_MAY_DROP: ring-full attempts in a row before a producer drops
  uint ring_reserve;      // ring positions every multi-record claim leaves free for
                          // single-record claims (lib/ring.glsl); 0: none (set at boot)
  uint jit_zero;          // always 0: compiled code's zero that no compiler can fold
                          // (procs/jit/emit.h, "zero"); nobody writes it
  uint _pad_l0[22];

  // line 1: host -> kernel while running [host]
  uint stop;           // STOP_* (the kernel also sets STOP_SHUTDOWN on OP_SHUTDOWN)
  uint ring_consumed;  // ring positions the host has drained
  uint clock_ms;       // session clock, ms since boot (process spawn and exit times)
  uint _pad_l1[5];
  MailboxCommand cmd;
  uint _pad_l1b[16];

  // line 2: kernel -> host [kernel]
  uint heartbeat;      // bumped by workgroup leaders; a stall means a hang
  uint lanes_running;  // lanes inside the main loop
  uint ring_drops;     // records dropped in total after a bounded wait
  uint hung;           // OP_FAULT_HANG seen
  uint loop_cuts;      // lavapipe: lanes whose loops llvmpipe's budget cut short (lib/loop_budget.glsl)
  uint parked_groups;  // workgroups whose leader left the loop on STOP_PARK (the host's proof of a park)
  uint _pad_l2[2];
  uint _pad_l2b[24];  // (the mailbox reply lives in HostBlock)

  // line 3: kernel-internal claim counters [both]
  uint cmd_claimed;  // seq of the newest command a lane has taken
  uint ring_head;    // next ring position to claim
  uint emit_first;   // [kernel] index of the emit job's first record (OP_EMIT arg3)
  uint _pad_l3[5];
  EmitJob emit;
  uint _pad_l3b[16];
};

// What the host polls: kept in host memory (HOST_CACHED where the device
// has it), because every host read of device-local memory is a round trip
// over PCIe (about a microsecond), and kernel writes to host memory do
// arrive while the kernel runs (DESIGN.md's measured facts). The kernel
// orders its writes here exactly as it does the ring's (fence, then seq).
struct HostBlock {
  MailboxReply reply;  // [kernel]
  uint _pad[24];
};

// One debug-ring record: 128 bytes, so a record is one GPU cache line.
// The producer writes everything else first and `stamp` last, with release
// order; the host reads `stamp` with acquire and takes the record only when
// stamp == position + 1 (so a zeroed or older-lap slot is never mistaken).
const uint RING_PAYLOAD_WORDS = 28u;
const uint RING_TEXT_MAX = 112u;  // bytes of text one record carries

struct RingRecord {
  uint stamp;     // ring position + 1 (mod 2^32)
  uint pid;       // 0: the kernel itself
  uint lane;      // global invocation index of the producer
  uint kind_len;  // kind (bits 0-15) | payload bytes (bits 16-31)
  uint payload[RING_PAYLOAD_WORDS];
};

GPUOS_ABI_END

// The process subsystem and the slab heap (issue 4).
#include "abi_heap.h"
#include "abi_proc.h"
#include "abi_io.h"

#endif  // GPUOS_ABI_H

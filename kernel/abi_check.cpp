// Pins the shared ABI (shaders/abi.h): the GLSL side lays these structs out
// with std430 rules, which match C++ only while every field stays naturally
// aligned and the sizes below hold. A change that breaks that fails here, at
// compile time, instead of as corrupted data on the GPU.
#include <cstddef>

#include "shaders/abi.h"

namespace gpuos::abi {

static_assert(sizeof(MailboxCommand) == 32);
static_assert(sizeof(MailboxReply) == 32);
static_assert(sizeof(EmitJob) == 32);

static_assert(sizeof(ControlBlock) == 512, "four 128-byte lines");
static_assert(offsetof(ControlBlock, magic) == 0);
static_assert(offsetof(ControlBlock, mode) == 8);
static_assert(offsetof(ControlBlock, slice_iterations) == 16);
static_assert(offsetof(ControlBlock, ring_capacity) == 24);
static_assert(offsetof(ControlBlock, stop) == 128, "host-written line starts at 128");
static_assert(offsetof(ControlBlock, ring_consumed) == 132);
static_assert(offsetof(ControlBlock, cmd) == 160);
static_assert(offsetof(ControlBlock, heartbeat) == 256, "kernel-written line starts at 256");
static_assert(offsetof(ControlBlock, ring_drops) == 264);
static_assert(offsetof(ControlBlock, cmd_claimed) == 384, "claim counters start at 384");
static_assert(offsetof(ControlBlock, ring_head) == 388);
static_assert(offsetof(ControlBlock, emit) == 416);

static_assert(sizeof(HostBlock) == 128);
static_assert(offsetof(HostBlock, reply) == 0);

static_assert(sizeof(RingRecord) == 128, "one record per GPU cache line");
static_assert(offsetof(RingRecord, stamp) == 0);
static_assert(offsetof(RingRecord, kind_len) == 12);
static_assert(offsetof(RingRecord, payload) == 16);
static_assert(RING_TEXT_MAX == RING_PAYLOAD_WORDS * 4);

static_assert(sizeof(ProcEntry) == 128);
static_assert(offsetof(ProcEntry, instructions) == 32, "64-bit counters 8-aligned");
static_assert(offsetof(ProcEntry, syscalls) == 40);
static_assert(offsetof(ProcEntry, pages) == 48);

}  // namespace gpuos::abi

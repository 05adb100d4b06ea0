// The shared ABI (shaders/abi.h): layout pins that the GLSL std430 side relies
// on, and the consistency of constants that different files combine.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <set>

#include "kernel/session.h"
#include "shaders/abi.h"

namespace gpuos {
namespace {

using namespace abi;

constexpr size_t kLine = 128;
size_t line_of(size_t offset) { return offset / kLine; }

TEST(Abi, StructSizes) {
  EXPECT_EQ(sizeof(MailboxCommand), 32u);
  EXPECT_EQ(sizeof(abi::MailboxReply), 32u);
  EXPECT_EQ(sizeof(EmitJob), 32u);
  EXPECT_EQ(sizeof(ControlBlock), 4 * kLine);
  EXPECT_EQ(sizeof(RingRecord), kLine) << "one ring record per GPU cache line";
  EXPECT_EQ(sizeof(ProcEntry), kLine);
  EXPECT_EQ(sizeof(uint), 4u);
}

TEST(Abi, ControlBlockFieldsByWriter) {
  // Line 0: launch parameters (host, before launch).
  for (size_t off : {offsetof(ControlBlock, magic), offsetof(ControlBlock, mode), offsetof(ControlBlock, faults),
                     offsetof(ControlBlock, slice_iterations), offsetof(ControlBlock, launch),
                     offsetof(ControlBlock, ring_capacity), offsetof(ControlBlock, ring_wait_spins),
                     offsetof(ControlBlock, ring_reserve)}) {
    EXPECT_EQ(line_of(off), 0u) << "offset " << off;
  }
  // Line 1: host -> kernel while running.
  EXPECT_EQ(offsetof(ControlBlock, stop), 128u);
  EXPECT_EQ(offsetof(ControlBlock, ring_consumed), 132u);
  EXPECT_EQ(offsetof(ControlBlock, cmd), 160u);
  EXPECT_EQ(line_of(offsetof(ControlBlock, cmd) + sizeof(MailboxCommand) - 1), 1u);
  // Line 2: kernel -> host.
  EXPECT_EQ(offsetof(ControlBlock, heartbeat), 256u);
  EXPECT_EQ(offsetof(ControlBlock, lanes_running), 260u);
  EXPECT_EQ(offsetof(ControlBlock, ring_drops), 264u);
  EXPECT_EQ(offsetof(ControlBlock, hung), 268u);
  EXPECT_EQ(offsetof(ControlBlock, loop_cuts), 272u);
  EXPECT_EQ(sizeof(abi::HostBlock), 128u) << "the reply block is one cache line of host memory";
  EXPECT_EQ(offsetof(abi::HostBlock, reply), 0u);
  // Line 3: kernel-internal claim counters.
  EXPECT_EQ(offsetof(ControlBlock, cmd_claimed), 384u);
  EXPECT_EQ(offsetof(ControlBlock, ring_head), 388u);
  EXPECT_EQ(offsetof(ControlBlock, emit), 416u);
  EXPECT_EQ(line_of(offsetof(ControlBlock, emit) + sizeof(EmitJob) - 1), 3u);
}

TEST(Abi, MailboxLayouts) {
  EXPECT_EQ(offsetof(MailboxCommand, seq), 0u);
  EXPECT_EQ(offsetof(MailboxCommand, op), 4u);
  EXPECT_EQ(offsetof(MailboxCommand, arg0), 8u);
  EXPECT_EQ(offsetof(MailboxCommand, arg3), 20u);
  EXPECT_EQ(offsetof(abi::MailboxReply, seq), 0u);
  EXPECT_EQ(offsetof(abi::MailboxReply, status), 4u);
  EXPECT_EQ(offsetof(abi::MailboxReply, value0), 8u);
  EXPECT_EQ(offsetof(abi::MailboxReply, value3), 20u);
  EXPECT_EQ(offsetof(EmitJob, begin), 0u);
  EXPECT_EQ(offsetof(EmitJob, drops), 28u);
}

TEST(Abi, RingRecordLayout) {
  EXPECT_EQ(offsetof(RingRecord, stamp), 0u);
  EXPECT_EQ(offsetof(RingRecord, pid), 4u);
  EXPECT_EQ(offsetof(RingRecord, lane), 8u);
  EXPECT_EQ(offsetof(RingRecord, kind_len), 12u);
  EXPECT_EQ(offsetof(RingRecord, payload), 16u);
  EXPECT_EQ(16u + RING_PAYLOAD_WORDS * 4u, sizeof(RingRecord)) << "payload fills the record";
}

TEST(Abi, ProcEntryLayout) {
  EXPECT_EQ(offsetof(ProcEntry, instructions) % 8, 0u);
  EXPECT_EQ(offsetof(ProcEntry, instructions), 48u);
  EXPECT_EQ(offsetof(ProcEntry, requests), 56u);
  EXPECT_EQ(sizeof(SysHeader), 4 * kLine);
}

TEST(Abi, HeapClassTable) {
  // The table written out in abi_heap.h, checked against the formula.
  const uint expected[HEAP_CLASSES] = {16,   32,   48,   64,   96,    128,   192,   256,   384,   512,   768,
                                       1024, 1536, 2048, 3072, 4096,  6144,  8192,  12288, 16384, 24576, 32768};
  for (uint c = 1; c <= HEAP_CLASSES; ++c) EXPECT_EQ(heap_class_size(c), expected[c - 1]) << "class " << c;
}

TEST(Abi, RingConstantsAgree) {
  EXPECT_EQ(RING_TEXT_MAX, 4u * RING_PAYLOAD_WORDS);
  // kind_len: kind in bits 0-15, length in bits 16-31.
  EXPECT_LE(RING_PAYLOAD_WORDS * 4u, 0xFFFFu);
  for (uint k : {RECORD_PAD, RECORD_TEXT, RECORD_PATTERN, RECORD_U32}) EXPECT_LE(k, 0xFFFFu);
  EXPECT_EQ(RECORD_PAD, 0u) << "a zeroed slot must read as a pad, never as data";
  EXPECT_EQ(std::set<uint>({RECORD_PAD, RECORD_TEXT, RECORD_PATTERN, RECORD_U32}).size(), 4u);
}

TEST(Abi, IdentityConstants) {
  char magic[4];
  std::memcpy(magic, &ABI_MAGIC, 4);
  EXPECT_EQ(std::string(magic, 4), "GPOS");
  EXPECT_GE(ABI_VERSION, 1u);
  EXPECT_EQ(KERNEL_WORKGROUP_SIZE, 64u) << "kernel.comp's local_size_x and KernelPipeline::lanes() assume 64";
}

TEST(Abi, OpcodesInTheirRanges) {
  for (uint op : {OP_NOP, OP_PING, OP_EMIT, OP_SHUTDOWN}) EXPECT_LE(op, 0x00FFu) << op;
  EXPECT_GE(OP_FAULT_HANG, 0x7F00u);
  EXPECT_LE(OP_FAULT_HANG, 0x7FFFu);
  EXPECT_EQ(std::set<uint>({OP_NOP, OP_PING, OP_EMIT, OP_SHUTDOWN, OP_FAULT_HANG}).size(), 5u);
  EXPECT_EQ(std::set<uint>({STATUS_OK, STATUS_BAD_OPCODE, STATUS_BAD_ARGUMENT}).size(), 3u);
  EXPECT_EQ(STATUS_OK, 0u);
  EXPECT_EQ(std::set<uint>({MODE_LIVE, MODE_EPOCH, MODE_PROBE}).size(), 3u);
  EXPECT_NE(MODE_LIVE, 0u) << "a zeroed mode must not read as a valid one";
  EXPECT_EQ(STOP_NONE, 0u) << "a zeroed control block must not read as stopped";
  EXPECT_NE(STOP_SHUTDOWN, STOP_PARK);
}

TEST(Abi, LavapipeSliceBudget) {
  // emit.glsl: one main-loop iteration runs at most 8 (mailbox/ring claim) +
  // 8 (job claim) + EMIT_CHUNK(4) x 41 (a record write) inner iterations plus
  // its own; KERNEL_LOOP_COST must bound that.
  EXPECT_GE(KERNEL_LOOP_COST, 8u + 8u + 4u * 41u + 1u);
  EXPECT_EQ(LAVAPIPE_LOOP_LIMIT, 65535u);
  // session.cpp: max_slice_ = LAVAPIPE_LOOP_LIMIT / KERNEL_LOOP_COST - 8.
  const uint32_t lavapipe_slice = LAVAPIPE_LOOP_LIMIT / KERNEL_LOOP_COST - 8u;
  EXPECT_GT(lavapipe_slice, 0u);
  EXPECT_LE(uint64_t(lavapipe_slice) * KERNEL_LOOP_COST, LAVAPIPE_LOOP_LIMIT);
  const BootOptions defaults;
  // An EMIT_MAY_DROP producer drops only after ring_wait_spins full attempts
  // in a row, and its streak restarts with every launch: a slice shorter than
  // that could never drop, and a full ring with a paused host would hang.
  EXPECT_GT(lavapipe_slice, defaults.ring_wait_spins);
  EXPECT_GT(defaults.epoch_slice_iterations, defaults.ring_wait_spins);
}

// Completion entries (abi_io.h): an entry is taken only when its lap stamp
// names the position being taken, so one written for another lap, or the
// zeroed memory of a fresh ring, is never mistaken for it.
TEST(Abi, CompletionEntriesNameTheirLap) {
  for (uint32_t cap : {2u, 256u, 65536u}) {
    for (uint32_t pos : {0u, 1u, cap - 1, cap, 5 * cap + 3, 0xffffffffu - cap + 1, 0xffffffffu}) {
      const uint32_t e = io_comp_entry(pos, cap, 7);
      EXPECT_EQ(e & 0xffffu, 7u);
      if (pos < cap) {
        EXPECT_NE(e >> 16, 0u) << "a fresh ring's zeroed entry must not pass at pos " << pos;
      }
      // The same ring index one lap before and one lap after carries another stamp.
      EXPECT_NE(e >> 16, io_comp_entry(pos - cap, cap, 7) >> 16) << "pos " << pos << " cap " << cap;
      EXPECT_NE(e >> 16, io_comp_entry(pos + cap, cap, 7) >> 16) << "pos " << pos << " cap " << cap;
    }
  }
  EXPECT_EQ(io_comp_entry(0, 2 * IO_MAX_SLOTS, IO_MAX_SLOTS - 1) & 0xffffu, IO_MAX_SLOTS - 1) << "a slot fits 16 bits";
  // The empty-reply flag lies above every slot, inside the slot field.
  EXPECT_EQ((IO_MAX_SLOTS - 1) & IO_COMP_EMPTY, 0u);
  EXPECT_EQ(io_comp_entry(0, 2 * IO_MAX_SLOTS, (IO_MAX_SLOTS - 1) | IO_COMP_EMPTY) & 0xffffu,
            (IO_MAX_SLOTS - 1) | IO_COMP_EMPTY);
}

TEST(Abi, BootOptionDefaultsAreValid) {
  const BootOptions d;
  EXPECT_EQ(d.ring_capacity, 0u) << "0: the session sizes the ring to the kernel (SessionBoot.DefaultRing...)";
  EXPECT_GT(d.hang_timeout.count(), 0);
  EXPECT_GT(d.live_check_timeout.count(), 0);
  EXPECT_GT(d.ring_wait_spins, 0u);
  EXPECT_GT(d.log_keep, 0u);
  EXPECT_FALSE(d.force_epoch);
  EXPECT_EQ(d.faults, 0u);
  EXPECT_FALSE(d.device.has_value());
}

}  // namespace
}  // namespace gpuos

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
static_assert(offsetof(ControlBlock, jit_zero) == 36);
static_assert(offsetof(ControlBlock, stop) == 128, "host-written line starts at 128");
static_assert(offsetof(ControlBlock, ring_consumed) == 132);
static_assert(offsetof(ControlBlock, cmd) == 160);
static_assert(offsetof(ControlBlock, heartbeat) == 256, "kernel-written line starts at 256");
static_assert(offsetof(ControlBlock, ring_drops) == 264);
static_assert(offsetof(ControlBlock, loop_cuts) == 272);
static_assert(offsetof(ControlBlock, parked_groups) == 276);
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

static_assert(sizeof(ProcEntry) == 128, "one table entry per cache line");
static_assert(offsetof(ProcEntry, state) == 8);
static_assert(offsetof(ProcEntry, instructions) == 48, "64-bit counters 8-aligned");
static_assert(offsetof(ProcEntry, requests) == 56);
static_assert(offsetof(ProcEntry, spawn_ms) == 64);
static_assert(sizeof(ProgramDesc) == 128);
static_assert(offsetof(ProgramDesc, jit) == 88);
static_assert(sizeof(ProgramDesc) * MAX_PROGRAMS % 128 == 0, "program words start on a line");
static_assert(sizeof(SysHeader) == 512, "four 128-byte lines");
static_assert(offsetof(SysHeader, pages_used) == 128, "kernel counters on line 1");
static_assert(offsetof(SysHeader, job_begin) == 256, "the process job on line 2");
static_assert(sizeof(HeapClassStats) * 32 == HEAP_STATS_WORDS * 4);
static_assert(HEAP_CLASSES < 32, "class arrays hold 32 words, index 0 for large runs");
static_assert(heap_class_size(1) == 16 && heap_class_size(3) == 48 && heap_class_size(4) == 64);
static_assert(heap_class_size(5) == 96 && heap_class_size(12) == 1024);
static_assert(heap_class_size(HEAP_CLASSES) == HEAP_MAX_SMALL, "the table in abi_heap.h ends at 32 KiB");
static_assert(BLK_PAGE_TABLE == BLK_HEAP + HEAP_STATE_WORDS);
// The two-level page table (shaders/proc/page_table.glsl): a flat table up to
// 64 MiB, then a directory word and an extension page per GiB.
static_assert(pt_block_words(1024) == 1024 && pt_block_words(1025) == 1025 && pt_block_words(65536) == 1028);
static_assert(pt_ext_pages(1024) == 0 && pt_ext_pages(1025) == 1 && pt_ext_pages(1024 + PT_EXT_ENTRIES) == 1 &&
              pt_ext_pages(1025 + PT_EXT_ENTRIES) == 2 && pt_ext_pages(PT_MAX_PAGES) == 4);
static_assert(EXIT_RECORD_WORDS <= RING_PAYLOAD_WORDS);
static_assert(PROF_SLOTS * 2 <= 32, "the profile fits SysHeader line 3");

static_assert(sizeof(IoSlot) == 32, "8 words a request slot (io.glsl's IOSLOT)");
static_assert(offsetof(IoSlot, result) == 12 && offsetof(IoSlot, reply_len) == 16);
static_assert(offsetof(IoSlot, prog) == 20, "io.glsl's IOF_PROG");
static_assert(2 * IO_MAX_SLOTS <= IO_COMP_EMPTY, "request and wake slots fit the completion entry's slot field");
static_assert(IO_RESULT_PARK > 0xffffu && (IOP_PARKED & 0x7fffffffu) == 0u, "above every errno and every pid");
static_assert(sizeof(IoHeader) == 384, "three 128-byte lines: io_words[] starts after them");
static_assert(offsetof(IoHeader, comp_head) == 128, "host-written line starts at 128");
static_assert(offsetof(IoHeader, comp_tail) == 256, "kernel-written line starts at 256");
static_assert(RQ_WORDS <= RING_PAYLOAD_WORDS, "a request fits one ring record");
static_assert(OUT_KEY_WORD * 4 == OUT_TEXT_MAX && OUT_KEY_WORD < RING_PAYLOAD_WORDS);
// Records are written a 16-byte quad at a time (lib/ring.glsl, ring_put4):
// the payload is whole quads after a one-quad header, a request's opcode,
// slot, key and length fill quad 0 and its arguments pair up in the next
// ones, and the io key is the payload's last word.
static_assert(sizeof(RingRecord) == 8 * 16 && offsetof(RingRecord, payload) == 16 && RING_PAYLOAD_WORDS % 4 == 0);
static_assert(RQ_OPCODE == 0 && RQ_SLOT == 1 && RQ_KEY == 2 && RQ_OUT_LEN == 3 && RQ_ARGS == 4);
static_assert(RQ_MAX_ARGS % 2 == 0 && RQ_WORDS == RING_PAYLOAD_WORDS - 4);
static_assert(OUT_KEY_WORD == RING_PAYLOAD_WORDS - 1 && EXIT_RECORD_WORDS % 4 == 0);
static_assert(IOW_MAX_BYTES + 4 * IOW_HEADER_WORDS == IO_COPY_WORDS * 4, "a directive is one copy step");
static_assert(IO_DATA_BYTES % 4 == 0);

}  // namespace gpuos::abi

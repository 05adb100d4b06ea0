// Host I/O's part of the shared ABI (included by abi.h; same C++/GLSL subset
// and the same [host]/[kernel]/[both] notes). docs/io.md has the picture.
//
// A WASI call that needs the host (files, clocks, sleep) becomes a request:
//   1. the calling process claims a request slot (bit in the io bitmap), or
//      uses the one it kept from its last call, copies the guest memory the
//      host will need (a path, the bytes of a write, an iovec array) into
//      the slot's data area, goes BLOCKED, and posts a RECORD_REQUEST to
//      the debug ring: pid, opcode, arguments, and the slot that holds its
//      buffer. Its lane runs other processes.
//   2. the host's request service serves it (io/request_service.cpp) and
//      writes the reply into the slot: the call's result and a list of
//      writes into guest memory (IoWrite directives), then pushes the slot
//      onto the completion ring.
//   3. a kernel lane takes the completion, marks the slot DONE and wakes
//      the process, which applies the writes and returns the result. It
//      keeps the slot for its next call while at most half the slots are
//      held, and gives it back otherwise (and when it waits or ends).
// Nothing on the GPU waits for the host: a process without a free slot
// yields and tries again, and a blocked process is off the ready bitmap.
//
// The io buffer (binding 7) is DEVICE_LOCAL|HOST_VISIBLE where the device
// has it: the only memory NVIDIA lanes see host writes in while running
// (DESIGN.md). Layout: IoHeader, then the completion ring's entries, then
// IoSlot[2 x slots] (the request slots, then the wake slots), then each
// request slot's data area (IO_DATA_BYTES), then the per-process words,
// then the per-program held counts.
GPUOS_ABI_BEGIN

const uint RECORD_REQUEST = 5u;  // debug-ring kind: payload RQ_* words
// A process's writes to fd 1 and 2 never leave the GPU as requests: they
// are debug-ring records of these kinds (so `gpuos tail` shows them, with
// the pid), OUT_TEXT_MAX bytes of text each, the last payload word the io
// key. The host routes them to whoever spawned the process.
const uint RECORD_STDOUT = 6u;
const uint RECORD_STDERR = 7u;
const uint OUT_TEXT_MAX = 108u;
const uint OUT_KEY_WORD = 27u;

// RECORD_REQUEST payload word indices. The record's own pid field is the
// caller's pid.
const uint RQ_OPCODE = 0u;   // WASI_* (the function)
const uint RQ_SLOT = 1u;     // request slot holding the buffer
const uint RQ_KEY = 2u;      // io key: the argv blob of the host spawn the process descends
                             // from (ProcEntry.argv_off), which names its files and stdio
const uint RQ_OUT_LEN = 3u;  // bytes of guest data copied into the slot
const uint RQ_ARGS = 4u;     // 10 arguments, 64 bits each (lo, hi): the call's own
const uint RQ_MAX_ARGS = 10u;
const uint RQ_WORDS = RQ_ARGS + 2u * RQ_MAX_ARGS;

// Bytes of one slot's data area. Reads and writes move at most this much
// per call (short counts are legal in WASI, and wasi-libc loops on them).
const uint IO_DATA_BYTES = 16384u;
const uint IO_DATA_WORDS = IO_DATA_BYTES / 4u;
// Guest-memory words one step of a copy moves (resumable across quanta, so
// a lavapipe launch stays within its loop budget: PROC_LOOP_COST).
const uint IO_COPY_WORDS = 512u;

// IoSlot.state
const uint IOS_FREE = 0u;
const uint IOS_FILLING = 1u;    // the process owns it: copying its out-data, or
                                // kept between two calls
const uint IOS_SUBMITTED = 2u;  // posted; the host owns the data area, and the
                                // process sleeps on it (BLOCKED)
const uint IOS_DONE = 3u;       // completed; the process owns it again
const uint IOS_ORPHAN = 4u;     // the process ended while the host served it;
                                // the completion taker frees the slot
const uint IOS_DONE_EMPTY = 5u; // DONE with an empty reply, which the slot does
                                // not hold (IO_COMP_EMPTY)

// A completion's result word (IoSlot.result) with this bit set is a park:
// the reply of a sleep, sent before the sleep. The process applies it,
// gives its slot back and sleeps without one until the host's wake (below);
// the call then returns 0. WASI errnos are below 2^16.
const uint IO_RESULT_PARK = 0x10000u;

// Wake slots. Slots [slots, 2 x slots) have a header (IoSlot) and no data
// area. They belong to the host, which uses one to wake a parked sleeper:
// it writes the sleeper's pid into the header, sets the state SUBMITTED,
// and pushes the slot onto the completion ring. The taker reads the pid,
// frees the wake slot (FREE, which the host checks before it uses one
// again) and wakes the process if it is still parked (IOP_WAKE). So at
// most 2 x slots completions are outstanding, which the ring holds.
//
// Per-process words (IoHeader.proc_off, IOP_WORDS per process-table slot),
// each tagged with the pid it is for, since a table slot is reused:
//   IOP_OUT_PID, IOP_OUT_ERR  [host] the host could not write the process's
//               output: OUT_ERR holds the WASI errno for fd 1 (low 16 bits)
//               and fd 2 (high 16), valid while OUT_PID is the process's
//               pid. Written OUT_ERR first, then OUT_PID (release). The
//               process's next fd_write to that fd returns the errno.
//   IOP_WAKE    [kernel] a sleeper's park: pid | IOP_PARKED while it sleeps
//               (stored by the process before it posts a poll_oneoff), the
//               pid once its wake came (CAS by the wake's taker), 0 or any
//               other pid otherwise.
const uint IOP_OUT_PID = 0u;
const uint IOP_OUT_ERR = 1u;
const uint IOP_WAKE = 2u;
const uint IOP_WORDS = 4u;
const uint IOP_PARKED = 0x80000000u;  // pids are below 2^31

// One request slot's header: 32 bytes.
struct IoSlot {
  uint state;      // [both] IOS_*: the process and the completion taker (CAS)
  uint pid;        // [kernel] the caller ([host] in a wake slot: the sleeper)
  uint proc_slot;  // [kernel] its process-table slot (the taker wakes it)
  uint result;     // [host] the call's return value (a WASI errno)
  uint reply_len;  // [host] bytes of IoWrite directives in the data area
  uint prog;       // [kernel] the caller's program (its count of held slots, io.glsl)
  uint _pad[2];
};

// Fairness: one program's processes together hold at most
// IoHeader.prog_cap request slots (an eighth of them stay for the rest), so
// that no program, whatever its requests wait for (a pipe that never
// delivers, a terminal), can starve the others of slots. A process holds
// at most one, and a sleeping one none (Wake slots, below).

// The reply in the data area is a sequence of directives, each 4-aligned:
// { guest address, byte count, bytes padded to a multiple of 4 }. The host
// keeps each directive within IO_COPY_WORDS words so that one copy step
// applies one directive. A directive that falls outside the guest's memory
// makes the call return WASI_EFAULT.
const uint IOW_HEADER_WORDS = 2u;
const uint IOW_MAX_BYTES = IO_COPY_WORDS * 4u - 4u * IOW_HEADER_WORDS;

struct IoHeader {
  // line 0 [host, at boot]
  uint slots;          // request slots, a multiple of 32
  uint comp_capacity;  // completion-ring entries, a power of two >= 2 x slots, <= 2^16
  uint slots_off;      // io word of IoSlot[0]
  uint data_off;       // io word of slot 0's data area
  uint bits_off;       // bits[] word of the request-slot bitmap (sys.glsl's BitsBuf)
  uint proc_off;       // io word of the per-process words (IOP_*), IOP_WORDS per table slot
  uint table_size;     // process-table slots (the per-process words' count)
  uint progs_off;      // io word of the slots held per program (MAX_PROGRAMS words, [kernel])
  uint prog_cap;       // slots one program may hold at once: slots - slots / 8
  uint _pad0[23];
  // line 1 [host] completions published
  uint comp_head;
  uint _pad1[31];
  // line 2 [kernel]
  uint comp_tail;      // completions taken (CAS)
  uint waiting;        // processes with a request posted and not yet completed
  uint posted;         // requests posted, total
  uint completed;      // completions taken, total
  uint no_slot;        // calls that found every slot busy and yielded
  uint slot_hint;
  uint claim_conflicts;  // claimed bits whose slot was not FREE (io.glsl)
  uint held;           // slots owned by processes (claimed and not yet freed)
  uint _pad2[24];
};
// Completion entries follow the header. The entry of ring position p holds
// the slot, stamped with p's lap (io_comp_entry), so that the kernel takes
// an entry only once the host has written it for this very position: an
// entry seen before it lands, or a stale one from the lap before, fails the
// stamp check and is looked at again later, never taken. Nobody clears an
// entry, and the host never reads one back: at most `slots` completions are
// ever outstanding (a slot has at most one), plus at most `slots` wakes
// (below), so with comp_capacity >= 2 x slots the host cannot lap an entry
// the kernel has still to take.
// Slots and wake slots < 2^15 and comp_capacity <= 2^16, so a lap stamp is 16 bits and two
// consecutive laps always differ in it, across the 2^32 wrap too.
//
// The slot field is the slot (a request slot or a wake slot, below
// 2 x IO_MAX_SLOTS, so 15 bits), with
// IO_COMP_EMPTY set for an empty reply: result 0 and no directives, which
// the host does not write into the slot. So an empty reply is one store
// and one fence fewer on the host, and on the GPU the taker needs no load
// to know it (io.glsl: io_complete_slot).
// Request slots: at most IO_MAX_SLOTS, so that they and their wake slots
// (2 x slots in all) fit the 15-bit slot field.
const uint IO_MAX_SLOTS = 16384u;
const uint IO_COMP_EMPTY = 0x8000u;
GPUOS_ABI_FN uint io_comp_entry(uint pos, uint capacity, uint slot) { return (((pos / capacity) + 1u) << 16u) | slot; }

// ---- WASI preview1 functions (module "wasi_snapshot_preview1") -----------
// The translator turns each import into intrinsic GI_WASI_BASE + WASI_*.
// procs/proc/wasi_imports.cpp has their signatures; docs/io.md which run on
// the GPU and which go to the host.
const uint GI_WASI_BASE = 64u;
const uint WASI_ARGS_GET = 0u;
const uint WASI_ARGS_SIZES_GET = 1u;
const uint WASI_ENVIRON_GET = 2u;
const uint WASI_ENVIRON_SIZES_GET = 3u;
const uint WASI_CLOCK_RES_GET = 4u;
const uint WASI_CLOCK_TIME_GET = 5u;
const uint WASI_FD_CLOSE = 6u;
const uint WASI_FD_FDSTAT_GET = 7u;
const uint WASI_FD_FDSTAT_SET_FLAGS = 8u;
const uint WASI_FD_FILESTAT_GET = 9u;
const uint WASI_FD_PREAD = 10u;
const uint WASI_FD_PRESTAT_GET = 11u;
const uint WASI_FD_PRESTAT_DIR_NAME = 12u;
const uint WASI_FD_PWRITE = 13u;
const uint WASI_FD_READ = 14u;
const uint WASI_FD_READDIR = 15u;
const uint WASI_FD_SEEK = 16u;
const uint WASI_FD_TELL = 17u;
const uint WASI_FD_WRITE = 18u;
const uint WASI_PATH_CREATE_DIRECTORY = 19u;
const uint WASI_PATH_FILESTAT_GET = 20u;
const uint WASI_PATH_OPEN = 21u;
const uint WASI_PATH_REMOVE_DIRECTORY = 22u;
const uint WASI_PATH_RENAME = 23u;
const uint WASI_PATH_UNLINK_FILE = 24u;
const uint WASI_POLL_ONEOFF = 25u;
const uint WASI_PROC_EXIT = 26u;
const uint WASI_RANDOM_GET = 27u;
const uint WASI_SCHED_YIELD = 28u;
const uint WASI_FD_SYNC = 29u;
const uint WASI_FD_DATASYNC = 30u;
const uint WASI_FD_FILESTAT_SET_SIZE = 31u;
const uint WASI_FD_ADVISE = 32u;
const uint WASI_PATH_READLINK = 33u;
const uint WASI_UNSUPPORTED = 34u;  // any other function returning an errno: ENOSYS
const uint WASI_COUNT = 35u;
// gpuos.null_call(): a request the host answers at once, doing nothing
// (bench/io: the null system call's round trip). In the WASI id block so
// that it takes the same path.
const uint WASI_GPUOS_NULL = 63u;

// WASI errno values the kernel itself returns.
const uint WASI_ESUCCESS = 0u;
const uint WASI_EBADF = 8u;
const uint WASI_EFAULT = 21u;
const uint WASI_EINVAL = 28u;
const uint WASI_ENOSYS = 52u;
const uint WASI_EPIPE = 64u;

GPUOS_ABI_END

// The process subsystem's part of the shared ABI (included by abi.h; same
// C++/GLSL subset and the same [host]/[kernel]/[both] notes).
//
// Where things live (docs/processes.md has the picture):
//   sys buffer (binding 3)  SysHeader, then the heap statistics, then the
//                           process table (ProcEntry per slot), then three
//                           bitmaps: pages in use, slots in use, slots READY.
//   program store (binding 4)  ProgramDesc[MAX_PROGRAMS], then each loaded
//                           program's words (code, funcs, initial meta,
//                           globals and tables, data segments, argv blobs).
//   arena (device address)  the 64 KiB pages of every linear memory.
//   blocks (device address) one block per slot: the process's registers,
//                           page table, meta, globals, tables, heap state,
//                           control stack and frame slots (BLK_* and the
//                           per-program offsets in ProgramDesc).
//   out buffer (binding 5)  host memory: process-table snapshots and the
//                           pids of a spawn (one command at a time).
//
// Pids. Slot s (0-based) of a table of T slots gives pids s + 1, then
// s + 1 + T, s + 1 + 2T, ...: a freed slot's next pid is its last plus T, so
// a pid comes back only after 2^31 / T reuses of its slot. slot = (pid-1) % T.
GPUOS_ABI_BEGIN

const uint PAGE_BYTES = 65536u;  // WebAssembly's page; also the arena's
const uint PAGE_WORDS = 16384u;
const uint MAX_PROGRAMS = 256u;

// ---- mailbox opcodes of the process range -------------------------------
// OP_SPAWN: arg0 program, arg1 count, arg2 first spawn argument (instance i
// gets arg2 + i), arg3 argv blob (program-store word offset, 0: none).
// Answered when all are created: value0 spawned, value1 refused for lack of
// slots, value2 refused for lack of pages; out[i] = pid of instance i or 0.
const uint OP_SPAWN = 0x0101u;
// OP_KILL: arg0 pid, arg1 0 or KILL_TREE. Alone: value0 1 if it was alive.
// KILL_TREE (table.glsl, proc_kill_tree): arg0 names a tree by its root's
// pid (ProcEntry.group); value0 1 if such a tree holds slots, value1 its
// processes found running (answered when the wake-up job ends), value2 the
// tree's root pid when arg0 is a member but not the root (value0 0 then).
const uint OP_KILL = 0x0102u;
const uint KILL_TREE = 1u;
const uint OP_SNAPSHOT = 0x0103u;  // copies SNAP_UNITS(...) units to out; value0 units
// Units of 32 words copied by OP_SNAPSHOT: header and heap stats, then the
// table up to the highest slot ever used.
const uint STATUS_NO_PROGRAM = 16u;

// Loop iterations one main-loop iteration of kernel.comp may add for the
// process work beyond the quantum itself (lavapipe slices, KERNEL_LOOP_COST):
// a job chunk (4 spawns, each scanning the slot and page bitmaps twice at
// most, and trying a word again only for a bit another lane took first;
// bitmap.glsl), the ready-bitmap scan, and the largest step a quantum can overrun
// by (a grow chunk of 8 page claims, a bulk or heap-copy chunk).
const uint PROC_LOOP_COST = 3000u;
// Loop iterations a quantum runs that its ticks do not count: the request
// record's payload and stores (io_publish: 38), heap_flush_stats (up to
// 32), and the ready-bitmap scan. A quantum that blocks at once on a
// request runs few ticks, so a lavapipe launch may run many of them, and
// their loops add up.
const uint PROC_RUN_LOOPS = 128u;
// Ghosts one release frees in a row (proc/table.glsl, hold_drop); a longer
// chain is left to the sweep, PROC_RELEASING, so that a release costs a
// bounded number of loop iterations (lib/loop_budget.glsl reserves it).
const uint RELEASE_LEVELS = 32u;

// gpuos imports (module "gpuos") the translator turns into VM intrinsics
// (funcs kind VM_FK_INTRINSIC | id << 8); docs/stdshim.md has the table.
const uint GI_EXIT = 0u;
const uint GI_GETPID = 1u;
const uint GI_GETPPID = 2u;
const uint GI_ARG = 3u;
const uint GI_SPAWN = 4u;
const uint GI_WAIT = 5u;
const uint GI_YIELD = 6u;
const uint GI_PRINT = 7u;
const uint GI_MALLOC = 8u;
const uint GI_FREE = 9u;
const uint GI_CALLOC = 10u;
const uint GI_REALLOC = 11u;
const uint GI_ALIGNED_ALLOC = 12u;
const uint GI_ARGS_SIZE = 13u;
const uint GI_ARGS_GET = 14u;
const uint GI_COUNT = 15u;

// gpuos.spawn / gpuos.wait errors (negative i32 results).
const uint SPAWN_NO_SLOT = 0xffffffffu;     // -1: the process table is full
const uint SPAWN_NO_PAGES = 0xfffffffeu;    // -2: not enough free pages
const uint SPAWN_BAD_PROGRAM = 0xfffffffdu; // -3: no such program
const uint SPAWN_TREE_LIMIT = 0xfffffffcu;  // -4: the caller's tree holds its limit of slots
const uint SPAWN_KILLED = 0xfffffffbu;      // -5: the caller, or its tree, is being killed
const uint WAIT_NOT_CHILD = 0xffffffffu;    // -1

// ---- process states (ProcEntry.state) -----------------------------------
const uint PROC_FREE = 0u;
const uint PROC_READY = 1u;
const uint PROC_RUNNING = 2u;
const uint PROC_BLOCKED = 3u;
const uint PROC_ZOMBIE = 4u;
const uint PROC_EXITING = 5u;  // giving back its pages; becomes ZOMBIE (or FREE)
const uint PROC_RELEASING = 6u;  // a ghost no child needs any more, left for the sweep to give back

// Exit statuses the kernel gives (POSIX shell convention).
const uint EXIT_TRAPPED = 134u;  // 128 + SIGABRT
const uint EXIT_KILLED = 137u;   // 128 + SIGKILL

// Debug-ring record kinds of processes.
const uint RECORD_EXIT = 4u;  // payload: ExitRecord words
const uint EXIT_RECORD_WORDS = 12u;
// ExitRecord payload word indices.
const uint XR_PID = 0u;
const uint XR_PPID = 1u;
const uint XR_STATUS = 2u;
const uint XR_TRAP = 3u;
const uint XR_TRAP_PC = 4u;
const uint XR_PROGRAM = 5u;
const uint XR_INSTR_LO = 6u;
const uint XR_INSTR_HI = 7u;
const uint XR_PAGES_PEAK = 8u;
const uint XR_SPAWN_MS = 9u;
const uint XR_EXIT_MS = 10u;
const uint XR_HEAP_LIVE = 11u;  // heap bytes the process never freed

// One process-table entry: 128 bytes, a cache line. The lane running the
// process owns every field but `state` (CAS by a waker or killer, and by
// the reaper) and `kill_pid`.
struct ProcEntry {
  uint pid;          // [kernel] 0: never used
  uint ppid;         // [kernel] 0: spawned by the host
  uint state;        // [kernel] PROC_*
  uint program;      // [kernel] program index
  uint arg;          // [kernel] spawn argument (gpuos.arg)
  uint kill_pid;     // [both] a kill asked for this pid; honoured at the next
                     // quantum boundary if it is this process's (a late kill
                     // of a reused slot names the old pid and is ignored)
  uint exit_status;  // [kernel] valid in ZOMBIE
  uint trap_kind;    // [kernel] 0: no trap; else TrapKind (or VM_TRAP_*)
  uint trap_pc;      // [kernel] code word of the trapping instruction
  uint pages;        // [kernel] pages held now: memory and heap, and the call stack once it moved
  uint pages_peak;   // [kernel]
  uint wait_pid;     // [kernel] BLOCKED in gpuos.wait on this child
  uint64_t instructions;  // [kernel] VM ticks retired
  uint64_t requests;      // [kernel] gpuos calls made
  uint spawn_ms;     // [kernel] ControlBlock clock_ms at spawn
  uint exit_ms;      // [kernel] clock_ms at exit
  uint argv_off;     // [kernel] argv blob (program-store word offset), 0: none
  uint quanta;       // [kernel] quanta run
  uint heap_live;    // [kernel] heap bytes allocated and not freed
  uint heap_allocs;  // [kernel]
  uint heap_frees;   // [kernel]
  uint children;     // [kernel] children spawned and not yet reaped
  uint phase;        // [kernel] PH_* after its last quantum, | PROC_COMPILED if it runs compiled code
  uint vm_status;    // [kernel] VM_ST_* after its last quantum
  uint pc;           // [kernel] code word it runs next
  uint io_slot;      // [kernel] request slot held + 1 (io.glsl), 0: none
  // Trees (process groups). A host spawn starts a tree, whose id is the
  // root's pid; a GPU spawn's child inherits its parent's. An entry is kept
  // (state FREE, slot bit still set: a "ghost") while a child of it holds a
  // slot, so every member's ppid chain stays whole up to its root, through
  // ancestors that have exited: the root's entry, which holds the tree's
  // two shared words, is always at slot_of(group), and `kill --tree PID`
  // finds every descendant of PID (kernel/proc_tree.h walks the chains).
  uint group;        // [kernel] the tree's id: its root's pid
  uint tree_slots;   // [kernel] root entry: slots the tree holds (live, zombie, ghost, the root's own)
  uint tree_kill;    // [kernel] root entry: == group once `kill --tree ROOT` was asked for it
  uint hold;         // [kernel] 1 until the process gives its slot up (exit, reap), plus 1 for each
                     // child that holds a slot; the slot is released when it reaches 0 (table.glsl)
};

// Program descriptor (program store, index = program id). The host writes
// everything, then `state` = 1 last (stored before the OP_SPAWN that names
// it is posted, so the mailbox's release/acquire orders it).
struct ProgramDesc {
  uint state;        // [host] 0 free, 1 loaded
  uint code_off;     // [host] program-store word offsets of the parts
  uint funcs_off;
  uint meta_off;     //   initial meta (copied into each block)
  uint meta_words;
  uint globals_off;  //   initial globals: 2 words each
  uint num_globals;
  uint tabs_off;     //   initial tables then elem items: 2 words each
  uint tab_elems;
  uint seg_off;      //   data segment bytes
  uint entry_func;   //   the synthetic start function (instantiate, start, entry, exit)
  uint mem_pages;    //   initial pages of memory 0 (0: none)
  uint has_memory;
  // Block layout of this program's processes: word offsets in the block.
  uint blk_meta;
  uint blk_globals;  // 8-byte aligned
  uint blk_tabs;     // 8-byte aligned
  uint blk_ctl;      // control stack: 2 words per call level
  uint blk_slots;    // 8-byte aligned; slots run to the end of the block
  uint slot_limit;   // frame slots
  uint depth_limit;  // nested calls in the block
  uint depth_cap;    // nested calls the stack may grow to (--max-call-depth)
  // 0: meta, globals and tables are in the block (blk_meta, blk_globals and
  // blk_tabs are block offsets). Else a program too large for the block: its
  // spawn claims a run of this many arena pages for them (1, or whole
  // bitmap words of 32; BLK_PARTS_PAGE), and those offsets are the run's.
  uint parts_pages;
  // 1: the running kernel is a variant with this program's compiled code
  // (procs/jit/kernel_variant.h), and its processes that start from now on
  // run it (BLK_TIER). Written by the host only while no kernel runs.
  uint jit;
  uint _pad[9];
};

// Process block words, before the per-program parts.
const uint BLK_STATUS = 0u;   // VM_ST_*
const uint BLK_PC = 1u;
const uint BLK_FP = 2u;
const uint BLK_DEPTH = 3u;
const uint BLK_AUX = 4u;
const uint BLK_BULK = 5u;
const uint BLK_ZPOS = 6u;
const uint BLK_ZEND = 7u;
const uint BLK_CALLEE_FP = 8u;
const uint BLK_PHASE = 9u;     // PH_*
const uint BLK_PHASE_POS = 10u;  // progress within the phase (resumable)
const uint BLK_HEAP_TMP = 11u; // calloc/realloc in progress: the new block
const uint BLK_HEAP_POS = 15u; //   and bytes zeroed or copied + 1
const uint BLK_IO_IDLE = 12u;  // 1: the kept request slot is FILLING, no request under way (io.glsl)
const uint BLK_HANDLE = 13u;
const uint BLK_TYPE = 14u;
const uint BLK_MAPPED = 16u;   // page-table entries in use (>= MEM_PAGES while a grow is under way)
const uint BLK_PENDING = 17u;  // pages reserved by a grow under way and not yet mapped
const uint BLK_CALL_AUX = 18u; // a resumable call's second cursor (WASI args_get)
// The call stack (control stack and frame slots) starts in the block and
// moves, when a call finds it full, to a run of arena pages twice as large
// (proc/stack.glsl): then these say where it is.
const uint BLK_STK_PAGE = 19u;  // first arena page of the stack + 1; 0: the stack is in the block
const uint BLK_STK_PAGES = 20u; // pages of that run (a multiple of STACK_RUN_PAGES)
const uint BLK_STK_NEW = 21u;   // a move under way: first page + 1 of the run it fills, else 0
const uint BLK_STK_POS = 22u;   //   and the words it has copied
// Pages the process may hold, its memory, heap and stack together: the
// session's max_pages, or less where its spawn asked (`spawn --max-memory`;
// set when its boot phase ends, sched.glsl).
const uint BLK_PAGE_LIMIT = 23u;
// First page + 1 of the run that holds meta, globals and tables when the
// program's parts_pages is not 0 (set at spawn, freed by the exit).
const uint BLK_PARTS_PAGE = 24u;
// 1: the process runs its program's compiled code (ProgramDesc.jit when its
// boot phase ended, sched.glsl); 0: the interpreter. For its whole life:
// an interpreted process may stop between any two instructions, compiled
// code enters only at a block start.
const uint BLK_TIER = 25u;
const uint BLK_HEAP = 26u;     // HEAP_STATE_WORDS of slab heap state (abi_heap.h)
const uint BLK_PAGE_TABLE = 26u + HEAP_STATE_WORDS;  // pt_block_words(max_pages) words

// The page table has two levels (proc/page_table.glsl). The first
// PT_DIRECT_PAGES entries (64 MiB of memory, which most programs never pass)
// are words of the block; past them, the block holds one directory word per
// PT_EXT_ENTRIES pages (1 GiB), naming an arena page of their entries.
const uint PT_DIRECT_PAGES = 1024u;
const uint PT_MAX_PAGES = 65536u;  // WebAssembly's 4 GiB
const uint PT_EXT_ENTRIES = PAGE_WORDS;  // one arena page of entries
// The most a program's parts run may take (16 MiB, 4M words: tables of
// about 2M elements); decode_limits bounds declared counts by it.
const uint PARTS_MAX_PAGES = 256u;
// Pages a parts run of `words` takes: one page, or whole bitmap words of
// 32 pages, which a run is claimed in (proc/stack.glsl, page_run_claim).
GPUOS_ABI_FN uint parts_run_pages(uint words) {
  const uint pages = (words + PAGE_WORDS - 1u) / PAGE_WORDS;
  return pages <= 1u ? pages : (pages + 31u) / 32u * 32u;
}
// Block words the page table of a session of max_pages takes: 1,028 at
// WebAssembly's 65,536 pages.
GPUOS_ABI_FN uint pt_block_words(uint max_pages) {
  return max_pages <= PT_DIRECT_PAGES
             ? max_pages
             : PT_DIRECT_PAGES + (max_pages - PT_DIRECT_PAGES + PT_EXT_ENTRIES - 1u) / PT_EXT_ENTRIES;
}
// Extension pages a table of `mapped` entries holds; they count against
// the process's pages with its memory (heap/grow.glsl).
GPUOS_ABI_FN uint pt_ext_pages(uint mapped) {
  return mapped <= PT_DIRECT_PAGES ? 0u : (mapped - PT_DIRECT_PAGES + PT_EXT_ENTRIES - 1u) / PT_EXT_ENTRIES;
}

const uint PH_BOOT = 0u;   // copying meta, globals and tables from the program
const uint PH_RUN = 1u;
const uint PH_EXIT = 2u;   // zeroing and freeing pages
const uint PH_NOTIFY = 3u; // writing the exit record, waking the parent
// ProcEntry.phase bit: the process runs its program's compiled code
// (BLK_TIER), so that `ps` can show each process's tier.
const uint PROC_COMPILED = 0x100u;

// Page-table entry: arena page in the low 24 bits, a heap tag in the top 8.
const uint PTE_PAGE_MASK = 0x00FFFFFFu;
const uint PTE_TAG_SHIFT = 24u;
const uint PTE_TAG_PLAIN = 0u;    // memory.grow / initial memory
// 1..HEAP_CLASSES: a slab of that size class (abi_heap.h)
const uint PTE_TAG_LARGE = 0xFEu;  // first page of a large allocation
const uint PTE_TAG_LARGE_TAIL = 0xFDu;
const uint PTE_TAG_LARGE_FREE = 0xFCu;  // first page of a freed large run (on the run list)

// The sys buffer header: 4 lines of 128 bytes.
struct SysHeader {
  // line 0 [host, at boot]
  uint64_t arena_addr;   // device address of page 0
  uint64_t blocks_addr;  // device address of slot 0's block
  uint arena_pages;
  uint table_size;       // slots, a multiple of 32
  uint block_words;      // words per block
  uint max_pages;        // page-table entries per process
  uint quantum;          // ticks per quantum
  uint heap_off;         // sys word of HeapClassStats[0]
  uint table_off;        // sys word of ProcEntry[0]
  uint page_bits_off;    // sys word of the page bitmap
  uint slot_bits_off;    // sys word of the slot bitmap
  uint ready_bits_off;   // sys word of the ready bitmap
  uint snap_units;       // 32-word units OP_SNAPSHOT copies at most
  uint group_by_program; // 1: lanes of a subgroup start on the same ready word
  uint profile;          // 1: the kernel is the GPUOS_PROFILE variant (prof[] counts)
  uint max_per_tree;     // slots one tree may hold; a GPU spawn past it gets SPAWN_TREE_LIMIT
  uint _pad0[14];
  // line 1 [kernel] counters
  uint pages_used;
  uint live;             // processes not FREE and not ZOMBIE
  uint zombies;
  uint slots_used;
  uint slot_high;        // highest slot ever used + 1
  uint spawned;          // total
  uint exited;           // total
  uint spawn_failed;     // total refused (slots or pages)
  uint grow_failed;      // memory.grow / heap refills refused for lack of pages
  uint killed;
  uint trapped;
  uint ready_hint;       // rotating start word of the ready bitmap
  uint page_hint;        // rotating start word of the page bitmap
  uint slot_hint;        // spawns so far; start word of the slot bitmap = hint / 32,
                         // so 32 spawns in a row share a word (and a subgroup)
  uint tree_refused;     // GPU spawns refused: tree limit reached, or the tree being killed
  uint stack_moves;      // call stacks moved to a larger run (proc/stack.glsl)
  uint _pad1[16];
  // line 2 [kernel] the process job (OP_SPAWN or OP_SNAPSHOT), as the emit
  // job: positions only grow, so a lane holding a finished job's `end` can
  // never claim a unit of the next one. Unit u of a job is position begin + u.
  uint job_begin;    // first position of the current job
  uint job_end;      // one past its last; published last (release)
  uint job_cursor;   // next position to hand out
  uint job_done;     // positions finished; the lane completing it replies
  uint job_op;       // OP_SPAWN, OP_SNAPSHOT or OP_KILL (a tree kill's wake-ups)
  uint job_seq;      // mailbox seq to answer
  uint job_arg0;     // OP_SPAWN: program; OP_KILL: the tree
  uint job_arg1;     //   first spawn argument
  uint job_arg2;     //   argv blob
  uint job_ok;       // units that succeeded
  uint job_fail_slots;
  uint job_fail_pages;
  uint _pad2[20];
  // line 3 [kernel] lane-time profile (the GPUOS_PROFILE kernel only; zero
  // otherwise): PROF_* pairs of (lo, hi) words, each a 64-bit sum over lanes
  // of device-clock nanoseconds (or a count), added with carry (lib/profile.glsl).
  uint prof[32];
};

// Profile slots (SysHeader.prof[2k], [2k+1]). Times nest as written: SPAWN,
// HEAP and REQUEST are parts of RUN, TAKE of HOUSE, and everything is part
// of LOOP.
const uint PROF_LOOP = 0u;       // lane time inside the main loop
const uint PROF_HOUSE = 1u;      // mailbox, emit and process jobs, completions
const uint PROF_SCAN_HIT = 2u;   // a ready-bitmap scan that found a process
const uint PROF_SCAN_MISS = 3u;  // a scan that found none, and the zombie sweep
const uint PROF_BOOT = 4u;       // PH_BOOT: copying meta, globals, tables
const uint PROF_RUN = 5u;        // PH_RUN: the interpreter (with its intrinsics)
const uint PROF_SPAWN = 6u;      //   gpuos.spawn (proc_create)
const uint PROF_HEAP = 7u;       //   malloc family
const uint PROF_EXIT = 8u;       // PH_EXIT: zeroing and freeing pages
const uint PROF_NOTIFY = 9u;     // PH_NOTIFY: exit record, wake, reap
const uint PROF_SCHED = 10u;     // the rest of a quantum: bind, state, requeue
const uint PROF_ITERATIONS = 11u;  // count: main-loop iterations
const uint PROF_QUANTA = 12u;      // count: quanta run
const uint PROF_MISSES = 13u;      // count: scans that found nothing
const uint PROF_REQUEST = 14u;     //   host requests (gi_request: claim, fill, post; or the reply)
const uint PROF_TAKE = 15u;        //   taking completions, where one woke a process
const uint PROF_SLOTS = 16u;

GPUOS_ABI_END

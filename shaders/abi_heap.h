// The slab heap's part of the shared ABI (included by abi.h before
// abi_proc.h; same C++/GLSL subset). The kernel side is shaders/heap/.
//
// Glossary
//   arena       one device buffer of 64 KiB pages, reached by device address.
//   page        64 KiB of the arena; also one page of a linear memory.
//   page table  per process: linear page i -> arena page (+ a heap tag).
//   slab        one page of a process's linear memory carved into blocks of
//               one size class; it is mapped like memory.grow's pages, so a
//               heap pointer is an ordinary linear-memory offset.
//   block       what malloc returns: one slot of a slab.
//   class       a block size from the table below; tag = class index (1..).
//   free list   per process and class: freed blocks, linked through their
//               first word (guest memory; a corrupt link is checked and
//               dropped, so it can only hurt its own process).
//   bump        per process and class: the next never-used block of the
//               newest slab; a fresh slab is all bump, no list building.
//   free mark   a small block on a free list holds, in its second word, its
//               address xor the process's heap key (HS_KEY): free() of a
//               block that bears it is a double free, and a block popped
//               from a list must bear it (malloc clears it), so no block
//               is handed out twice. A freed large run's first page is
//               tagged LARGE_FREE in the page table (out of the guest's
//               reach) instead.
//   bad free    free() or realloc() of anything but a live block: already
//               free, never handed out, misaligned, outside the heap. It is
//               counted (HeapClassStats.bad_frees) and otherwise ignored.
//   large       above the largest class: whole pages, the first tagged
//               LARGE and the rest LARGE_TAIL; freed runs are kept on a
//               per-process list (first fit) and reused.
//   refill      a class with no free block and no bump space gets a new
//               page from the lock-free page bitmap and maps it as a slab.
//
// Every heap structure belongs to one process, and a process runs on one
// lane at a time, so malloc and free take no locks and no atomics; only the
// page bitmap (refill) and the global statistics (flushed once per quantum)
// are shared.
GPUOS_ABI_BEGIN

// Size classes, bytes. Class c (1-based) has size HEAP_CLASS_SIZE[c - 1].
// Powers of two and their midpoints, so waste stays under 50% (25% above
// 64 bytes) and every power-of-two class is aligned to its size (slabs
// start on a page), which aligned_alloc relies on.
//
//   class  size   blocks/slab   class  size   blocks/slab
//     1      16      4096         12    1024        64
//     2      32      2048         13    1536        42
//     3      48      1365         14    2048        32
//     4      64      1024         15    3072        21
//     5      96       682         16    4096        16
//     6     128       512         17    6144        10
//     7     192       341         18    8192         8
//     8     256       256         19   12288         5
//     9     384       170         20   16384         4
//    10     512       128         21   24576         2
//    11     768        85         22   32768         2
const uint HEAP_CLASSES = 22u;

// The table above as a formula (both sides compile this one definition):
// 16, 32, 48, then alternately 1.5 x and 2 x a power of two from 64.
GPUOS_ABI_FN uint heap_class_size(uint c) {
  if (c <= 3u) return 16u * c;
  const uint k = c - 4u;
  return ((k & 1u) == 0u ? 64u : 96u) << (k >> 1u);
}
const uint HEAP_MAX_SMALL = 32768u;  // larger requests are page runs
const uint HEAP_MIN_ALIGN = 16u;     // every block is at least 16-byte aligned

// Per-process heap state in the process block (BLK_HEAP + ...): arrays of
// 32 words indexed by class (index 0: the large-run free list).
const uint HS_FREE = 0u;     // free-list head (linear address, 0: empty)
const uint HS_BUMP = 32u;    // next unused block of the newest slab
const uint HS_KEY = 32u;     //   [0] (large runs have no bump): the free-mark key, odd; 0: not yet made
const uint HS_END = 64u;     // end of the newest slab
const uint HS_ALLOCS = 96u;  // allocations not yet flushed to HeapClassStats
const uint HS_FREES = 128u;  // frees not yet flushed
const uint HEAP_STATE_WORDS = 160u;

// Global statistics per class (sys buffer, heap_off), index 0 = large runs.
// allocs and frees are flushed from the process blocks at each quantum end
// (one atomicAdd per class touched), slabs when a refill maps a page.
struct HeapClassStats {
  uint allocs;
  uint frees;
  uint slabs;      // slab pages mapped (large: pages of runs)
  uint bad_frees;  // free()/realloc() of no live block: row of the class its page holds, else 0
};
const uint HEAP_STATS_WORDS = 128u;  // 32 classes x 4 words: 4 snapshot units

GPUOS_ABI_END

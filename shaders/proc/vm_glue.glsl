// vm_glue.glsl: the interpreter (vm/interp.glsl) over one process's state.
//
// Before a quantum the lane points these registers at the process it took
// (proc_bind in sched.glsl); the accessor macros then reach the program's
// code in the program store and everything mutable in the process block,
// and linear memory through the block's page table into the arena. So the
// instruction loop is the same text as the spec-tested standalone one.
//
// Naming: blk_* are word offsets inside the current block, cur_* describe
// the current process, *_ref are device-address views.

#include "vm/vm_abi.h"

uint cur_slot, cur_pid, cur_prog;
uint cur_argv_off;  // ProcEntry.argv_off: fixed for the process's life
uint cur_code, cur_funcs, cur_seg;  // program-store word offsets
uint blk_meta, blk_globals, blk_tabs, blk_ctl, blk_slots;  // block word offsets
uint cur_slot_limit, cur_depth_limit;  // of the stack where it is now
uint cur_depth_cap;  // progs[].depth_cap: how deep the stack may grow
uint stk_ctl, stk_slots;  // word offsets of the control stack and slots (proc/stack.glsl)
// ProcEntry.instructions and .quanta when the quantum began, and .requests
// as it goes: the runner is their only writer, and loads at bind time
// overlap (a load where they change would be one more wait in a row).
uint64_t cur_instructions, cur_requests;
uint cur_quanta;
uint cur_io_slot;  // ProcEntry.io_slot: a request slot held + 1 (io.glsl)
Words blk_ref;    // the block as words
Qwords blkq_ref;  // the block as 64-bit words (offsets / 2)
Words stk_ref;    // where the call stack is: the block, or a run of arena pages
Qwords stkq_ref;
uint64_t parts_addr;  // where meta, globals and tables are: the block, or their run

#define CODE(i) prog_words[cur_code + (i)]
#define FUNC(i) prog_words[cur_funcs + (i)]
#define SEG(i) prog_words[cur_seg + (i)]
#define META(i) Words(parts_addr).w[blk_meta + (i)]
#define GLOBAL(i) Qwords(parts_addr).q[(blk_globals >> 1u) + (i)]
#define TAB(i) Qwords(parts_addr).q[(blk_tabs >> 1u) + (i)]
#define SLOT(i) stkq_ref.q[(stk_slots >> 1u) + (i)]
#define CTL(i) stk_ref.w[stk_ctl + (i)]
#define VM_SLOT_LIMIT cur_slot_limit
#define VM_DEPTH_LIMIT cur_depth_limit
#define VM_STACK_GROWS 1  // a full stack moves (proc/stack.glsl)
bool vm_stack_can_grow();

// The part of proc_bind (sched.glsl) that is fixed for the process's life:
// its pid, its program and the program's layout. The completion taker calls
// it as soon as it knows the process (io_complete_slot, io.glsl), so that
// these loads, two in a row, overlap the taker's fence and claim instead of
// following them.
void proc_bind_program(uint slot) {
  cur_slot = slot;
  cur_pid = procs[slot].pid;
  cur_prog = procs[slot].program;
  cur_argv_off = procs[slot].argv_off;
  cur_code = progs[cur_prog].code_off;
  cur_funcs = progs[cur_prog].funcs_off;
  cur_seg = progs[cur_prog].seg_off;
  blk_meta = progs[cur_prog].blk_meta;
  blk_globals = progs[cur_prog].blk_globals;
  blk_tabs = progs[cur_prog].blk_tabs;
  blk_ctl = progs[cur_prog].blk_ctl;
  blk_slots = progs[cur_prog].blk_slots;
  cur_slot_limit = progs[cur_prog].slot_limit;
  cur_depth_limit = progs[cur_prog].depth_limit;
  cur_depth_cap = progs[cur_prog].depth_cap;
}

// Points META, GLOBAL and TAB at the bound process's parts: the block, or
// the run its spawn claimed for a program too large for the block. `page`
// is BLK_PARTS_PAGE, loaded with the registers (regs_load): a branch on a
// load of its own would wait for it on every bind.
void parts_bind(uint page) { parts_addr = page == 0u ? uint64_t(blk_ref) : page_address(page - 1u); }

uint pte(uint page) { return pt_get(blk_ref, page); }

// Word wi of linear memory. Past the last page (only the second word of an
// unaligned load at the very end) reads as 0 and never touches the arena.
uint mem_load_word(uint wi) {
  const uint page = wi >> 14u;
  if (page >= META(VM_META_MEM_PAGES)) return 0u;
  return Words(page_address(pte(page) & PTE_PAGE_MASK)).w[wi & (PAGE_WORDS - 1u)];
}

void mem_store_word(uint wi, uint v) {
  const uint page = wi >> 14u;
  if (page >= META(VM_META_MEM_PAGES)) return;  // unreachable: stores are bounds-checked first
  Words(page_address(pte(page) & PTE_PAGE_MASK)).w[wi & (PAGE_WORDS - 1u)] = v;
}

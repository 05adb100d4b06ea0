// sys.glsl: the process subsystem's buffers (abi_proc.h says what lives
// where) and the device-address views of the arena and the process blocks.
//
// `coherent` on everything a process touches (GPU variant): a process moves
// between lanes, and so between SMs, from one quantum to the next; its
// block and pages must never be read from the previous SM's L1 (the same
// H100 lesson as the control block, kernel.comp).
#extension GL_EXT_buffer_reference : require

layout(std430, set = 0, binding = 3) GPUOS_COHERENT buffer SysBuf {
  SysHeader sys;
  HeapClassStats heap_stats[32];
  ProcEntry procs[];
};
// SysHeader line 0, set at boot: see ctrl_boot (kernel.comp).
layout(std430, set = 0, binding = 3) readonly buffer SysBoot { SysHeader sys_boot; };
// Written by the host before the spawn that first names a program, never
// rewritten in place (the host only appends), so no stale line can exist.
layout(std430, set = 0, binding = 4) readonly buffer ProgBuf {
  ProgramDesc progs[MAX_PROGRAMS];
  uint prog_words[];
};
layout(std430, set = 0, binding = 5) GPUOS_COHERENT buffer OutBuf { uint out_words[]; };
layout(std430, set = 0, binding = 6) GPUOS_COHERENT buffer BitsBuf { uint bits[]; };

layout(buffer_reference, std430, buffer_reference_align = 4) GPUOS_COHERENT buffer Words { uint w[]; };
layout(buffer_reference, std430, buffer_reference_align = 8) GPUOS_COHERENT buffer Qwords { uint64_t q[]; };
layout(buffer_reference, std430, buffer_reference_align = 16) GPUOS_COHERENT buffer Quads { uvec4 v[]; };

const uint NONE = 0xffffffffu;

uint64_t page_address(uint page) { return sys_boot.arena_addr + uint64_t(page) * uint64_t(PAGE_BYTES); }
uint64_t block_address(uint slot) { return sys_boot.blocks_addr + uint64_t(slot) * uint64_t(sys_boot.block_words) * 4UL; }
uint slot_of(uint pid) { return (pid - 1u) % sys_boot.table_size; }

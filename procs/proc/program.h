// program.h: a WebAssembly module prepared to run as gpuos processes.
//
// prepare_program() decodes, validates and translates the module (procs/wasm,
// procs/vm), resolves its imports to gpuos intrinsics (shaders/abi_proc.h
// GI_*; anything else is refused with the import's name), appends a
// synthetic start function, and lays out everything the kernel reads in the
// program store (code, function table, initial meta, globals and tables,
// data segments) plus the per-process block layout (abi::ProgramDesc).
//
// The start function instantiates the module inside the process: it runs
// memory.init/table.init for the active segments, drops them, calls the
// start function, then `_start` (exit status 0) or `main` (its i32 result
// is the exit status). Instantiation traps (a segment out of bounds) are
// the process's traps, as the spec's "uninstantiable".
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "kernel/result.h"
#include "procs/vm/image.h"
#include "shaders/abi.h"

namespace gpuos::procs {

// Session-wide sizes a program's processes must fit (BootOptions).
struct ProcessLimits {
  uint32_t block_words = 4096;  // words per process block
  uint32_t max_pages = 1024;    // page-table entries per process
  uint32_t max_depth = 1000000; // nested calls the stack may grow to (--max-call-depth)
  uint32_t block_depth = 256;   // nested calls the block holds before the stack moves to pages
  uint32_t table_headroom = 64; // table.grow room per table
  uint64_t store_words = 0;     // the program store (--store-mib); 0: not checked here
};

enum class ProgramError {
  Invalid,      // not a valid WebAssembly module (the decoder's message)
  Unsupported,  // valid, but not runnable as a process (an import, no entry, ...)
  TooLarge,     // does not fit the block or the page table
};
const char* to_string(ProgramError e);

struct ProcessProgram {
  std::string name;
  vm::ProgramImage image;     // with the start function appended (trap locations)
  uint32_t start_func = 0;    // its function index
  abi::ProgramDesc desc{};    // *_off relative to `words`; rebase() when placed
  std::vector<uint32_t> words;
};

Result<ProcessProgram, ProgramError> prepare_program(std::span<const uint8_t> wasm, std::string name,
                                                     const ProcessLimits& limits);

// The block words (abi::ProgramDesc's layout, in 4-byte words) a process of
// this module needs to nest calls limits.block_depth deep in its block: registers, page
// table, meta, globals, tables, the control stack and the frame slots.
// limits.block_words is ignored. A verb that boots a session for programs it
// already holds (run, suite) sizes the session's block with it, so a large
// program is not refused for a default block that fits small ones.
Result<uint32_t, ProgramError> block_words_for(std::span<const uint8_t> wasm, std::string name, ProcessLimits limits);

// Adds `base` (a program-store word offset) to every *_off of `desc`.
void rebase(abi::ProgramDesc& desc, uint32_t base);

// "integer divide by zero in function 3 "f" at 0x4a" for a process's trap.
std::string describe_trap(const ProcessProgram& program, uint32_t trap_kind, uint32_t trap_pc);

// The import table: every function a process may import, from module
// "gpuos" (docs/stdshim.md) or "wasi_snapshot_preview1" (docs/io.md), with
// its intrinsic id and signature ('i' i32, 'I' i64, per parameter/result).
// Any other WASI function that returns an errno is accepted too, and
// returns ENOSYS when called (abi::WASI_UNSUPPORTED).
struct Intrinsic {
  const char* module;
  const char* name;
  uint32_t id;
  const char* params;
  const char* results;
};
std::span<const Intrinsic> intrinsics();

}  // namespace gpuos::procs

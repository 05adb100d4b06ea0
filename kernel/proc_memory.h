// ProcMemory: the buffers of the process subsystem (shaders/abi_proc.h):
// the sys buffer (header, heap statistics, process table), the bitmaps,
// the program store, the out buffer, the io buffer (host I/O requests), and
// the device-address arena and process blocks. It sizes them from ProcConfig, writes the SysHeader, and
// places programs and argv blobs in the program store.
//
// The store is read through a readonly binding, which a GPU may cache
// without coherence for the whole of a dispatch (sys.glsl). So a range
// given back (release) is not handed out again until a kernel launch has
// begun after the release: a launch that began later has never read the
// old words, and the one that might have is over (launches are
// sequential). Until then the range waits in quarantine; the caller says
// which launch is current (Session::launches_).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "kernel/result.h"
#include "kernel/vk/context.h"
#include "shaders/abi.h"

namespace gpuos {

struct ProcConfig {
  uint32_t slots = 0;          // process-table slots (a multiple of 32)
  uint32_t arena_pages = 0;    // 64 KiB pages (a multiple of 32)
  uint32_t block_words = 0;    // words per process block
  uint32_t max_pages = 0;      // pages per process (page-table entries)
  uint32_t max_call_depth = 0; // nested calls a process's stack may grow to
  uint32_t quantum = 0;        // ticks per quantum
  uint32_t store_words = 0;    // program store, after the descriptors
  bool profile = false;        // the kernel counts lane time (SysHeader.prof)
  uint32_t io_slots = 0;       // request slots (a multiple of 32; shaders/abi_io.h)
  bool group_by_program = true;
  uint32_t max_per_tree = 0;   // slots one process tree may hold (SysHeader.max_per_tree)
};

class ProcMemory {
 public:
  static Result<std::unique_ptr<ProcMemory>, std::string> create(vk::Context& ctx, const ProcConfig& cfg);
  ~ProcMemory();

  const ProcConfig& config() const { return cfg_; }
  // Bindings 3..7 of the kernel, in order.
  std::vector<const vk::Buffer*> bindings() const { return {&sys_, &store_, &out_, &bits_, &io_}; }

  // Places words in the program store (first fit, on a 32-word line);
  // returns their word offset (from prog_words[0]) or an error when the
  // store is full. `launch`: the number of kernel launches begun so far.
  Result<uint32_t, std::string> append(std::span<const uint32_t> words, uint64_t launch = 0);
  // Gives back `words` words at `at` (an offset append returned), reusable
  // once a launch after `launch` has begun.
  void release(uint32_t at, uint32_t words, uint64_t launch);
  uint64_t store_words_used() const;  // in use or in quarantine
  // Publishes program `index`'s descriptor (its parts already appended).
  void publish_program(uint32_t index, const abi::ProgramDesc& desc);
  // ProgramDesc.jit: whether processes of program `index` that start from
  // now on run its compiled code. Only while no kernel runs (the running
  // kernel must have that code: Session installs the variant first).
  void set_program_jit(uint32_t index, bool compiled);
  // Marks program `index`'s descriptor free (state 0): a GPU spawn naming
  // it fails from then on (SPAWN_BAD_PROGRAM).
  void retire_program(uint32_t index);
  // Request slots the kernel counts as held by program `index` (abi_io.h,
  // "Fairness"); a program is not unloaded while any are.
  uint32_t io_slots_held_by(uint32_t index);

  abi::SysHeader& header() { return *static_cast<abi::SysHeader*>(sys_.mapped); }
  // The io buffer (binding 7): IoHeader, then the words after it.
  abi::IoHeader& io_header() { return *static_cast<abi::IoHeader*>(io_.mapped); }
  uint32_t* io_words() { return reinterpret_cast<uint32_t*>(static_cast<uint8_t*>(io_.mapped) + sizeof(abi::IoHeader)); }
  const uint32_t* out_words() const { return static_cast<const uint32_t*>(out_.mapped); }
  size_t out_capacity_words() const { return out_.size / 4; }
  std::string describe() const;  // sizes and where each buffer lives, for `gpuos info`/status

 private:
  explicit ProcMemory(vk::Context& ctx) : ctx_(ctx) {}
  vk::Context& ctx_;
  ProcConfig cfg_;
  vk::Buffer sys_, store_, out_, bits_, io_, arena_, blocks_;
  // The store's free ranges (offset -> words), coalesced, and the ranges
  // given back but not yet reusable (offset, words, launch at release).
  mutable std::mutex store_mu_;  // free_, quarantine_, used_words_: loads and spawns come from several threads
  std::map<uint32_t, uint32_t> free_;
  struct Quarantined {
    uint32_t at, words;
    uint64_t launch;
  };
  std::vector<Quarantined> quarantine_;
  uint64_t used_words_ = 0;  // allocated or quarantined
  void add_free(uint32_t at, uint32_t words);
};

}  // namespace gpuos

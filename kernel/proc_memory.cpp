// proc_memory.cpp: ProcMemory (proc_memory.h).
#include "kernel/proc_memory.h"

#include <atomic>
#include <cstring>

#include <fmt/format.h>

namespace gpuos {

using namespace gpuos::abi;

Result<std::unique_ptr<ProcMemory>, std::string> ProcMemory::create(vk::Context& ctx, const ProcConfig& cfg) {
  if (cfg.slots == 0 || cfg.slots % 32 != 0 || cfg.slots > (1u << 24)) {
    return fail(std::string(), fmt::format("process slots {} must be a non-zero multiple of 32", cfg.slots));
  }
  if (cfg.arena_pages == 0 || cfg.arena_pages % 32 != 0 || cfg.arena_pages > PTE_PAGE_MASK) {
    return fail(std::string(), fmt::format("arena of {} pages must be a non-zero multiple of 32 (2 MiB)", cfg.arena_pages));
  }
  if (cfg.max_pages == 0 || cfg.max_pages > PT_MAX_PAGES || cfg.quantum == 0) {
    return fail(std::string(), "pages per process must be 1..65536 and the quantum non-zero");
  }
  if (cfg.io_slots == 0 || cfg.io_slots % 32 != 0 || cfg.io_slots > IO_MAX_SLOTS) {
    return fail(std::string(), fmt::format("request slots {} must be a non-zero multiple of 32, at most {}",
                                           cfg.io_slots, IO_MAX_SLOTS));
  }
  if (cfg.block_words < BLK_PAGE_TABLE + pt_block_words(cfg.max_pages) + 1024) {
    return fail(std::string(), fmt::format("a {} KiB block cannot hold a {}-entry page table and frames",
                                           cfg.block_words / 256, cfg.max_pages));
  }
  std::unique_ptr<ProcMemory> m(new ProcMemory(ctx));
  m->cfg_ = cfg;
  using F = VkMemoryPropertyFlags;
  const F DL = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, HV = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT,
          HC = VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, CACHED = VK_MEMORY_PROPERTY_HOST_CACHED_BIT;
  auto take = [](Result<vk::Buffer, vk::VkError> r, vk::Buffer& into, const char* what) -> Result<void, std::string> {
    if (!r) return fail(std::string(), fmt::format("{}: {}", what, r.detail()));
    into = r.value();
    return {};
  };
  const uint64_t sys_bytes = sizeof(SysHeader) + HEAP_STATS_WORDS * 4 + uint64_t{cfg.slots} * sizeof(ProcEntry);
  // Read and written by lanes all the time; the host writes the header once.
  if (auto r = take(ctx.create_buffer(sys_bytes, {DL | HV | HC, HV | HC}), m->sys_, "sys buffer"); !r) return r.error();
  const uint32_t page_words = cfg.arena_pages / 32, slot_words = cfg.slots / 32, io_bit_words = cfg.io_slots / 32;
  if (auto r = take(ctx.create_buffer(uint64_t{page_words + 2 * slot_words + io_bit_words} * 4, {DL | HV | HC, HV | HC}), m->bits_,
                    "bitmaps");
      !r)
    return r.error();
  // The program store is written by the host and read by every instruction fetch.
  if (auto r = take(ctx.create_buffer(sizeof(ProgramDesc) * MAX_PROGRAMS + uint64_t{cfg.store_words} * 4,
                                      {DL | HV | HC, HV | HC}),
                    m->store_, "program store");
      !r)
    return r.error();
  // Snapshots and spawn results, read by the host: cached host memory.
  const uint64_t out_bytes = std::max<uint64_t>(uint64_t{cfg.slots} * 4, (8 + uint64_t{cfg.slots}) * 128);
  if (auto r = take(ctx.create_buffer(out_bytes, {HV | HC | CACHED, HV | HC}), m->out_, "out buffer"); !r) return r.error();
  // Requests: the host writes replies and completions that running lanes
  // must see, so device-local and host-visible where the device has it.
  uint32_t comp_capacity = 1;
  while (comp_capacity < 2 * cfg.io_slots) comp_capacity <<= 1;
  const uint32_t io_slots_off = comp_capacity;
  const uint32_t io_data_off = io_slots_off + 2 * cfg.io_slots * (sizeof(IoSlot) / 4);  // and the wake slots
  const uint64_t io_proc_off = uint64_t{io_data_off} + uint64_t{cfg.io_slots} * IO_DATA_WORDS;
  const uint64_t io_progs_off = io_proc_off + uint64_t{cfg.slots} * IOP_WORDS;
  const uint64_t io_bytes = sizeof(IoHeader) + (io_progs_off + MAX_PROGRAMS) * 4;
  if (auto r = take(ctx.create_buffer(io_bytes, {DL | HV | HC, HV | HC}), m->io_, "io buffer"); !r) return r.error();
  if (auto r = take(ctx.create_device_buffer(uint64_t{cfg.arena_pages} * PAGE_BYTES), m->arena_, "arena"); !r)
    return r.error();
  if (auto r = take(ctx.create_device_buffer(uint64_t{cfg.slots} * cfg.block_words * 4), m->blocks_, "process blocks"); !r)
    return r.error();

  SysHeader& h = m->header();
  h.arena_addr = m->arena_.address;
  h.blocks_addr = m->blocks_.address;
  h.arena_pages = cfg.arena_pages;
  h.table_size = cfg.slots;
  h.block_words = cfg.block_words;
  h.max_pages = cfg.max_pages;
  h.quantum = cfg.quantum;
  h.heap_off = sizeof(SysHeader) / 4;
  h.table_off = h.heap_off + HEAP_STATS_WORDS;
  h.page_bits_off = 0;
  h.slot_bits_off = page_words;
  h.ready_bits_off = page_words + slot_words;
  h.snap_units = static_cast<uint32_t>(m->out_.size / 128);
  h.group_by_program = cfg.group_by_program ? 1 : 0;
  h.profile = cfg.profile ? 1 : 0;
  h.max_per_tree = cfg.max_per_tree;
  std::memset(m->io_.mapped, 0, io_bytes);
  IoHeader& io = m->io_header();
  io.slots = cfg.io_slots;
  io.comp_capacity = comp_capacity;
  io.slots_off = io_slots_off;
  io.data_off = io_data_off;
  io.bits_off = page_words + 2 * slot_words;
  io.proc_off = static_cast<uint32_t>(io_proc_off);
  io.table_size = cfg.slots;
  io.progs_off = static_cast<uint32_t>(io_progs_off);
  io.prog_cap = cfg.io_slots - cfg.io_slots / 8;
  // Offset 0 means "no argv blob" (OP_SPAWN) and "no io key": nothing is
  // ever placed there, so the first line stays unused.
  if (cfg.store_words >= 64) m->add_free(32, (cfg.store_words & ~31u) - 32);
  std::atomic_thread_fence(std::memory_order_release);
  return m;
}

ProcMemory::~ProcMemory() {
  for (vk::Buffer* b : {&sys_, &store_, &out_, &bits_, &io_, &arena_, &blocks_}) {
    if (b->buffer) ctx_.destroy_buffer(*b);
  }
}

void ProcMemory::add_free(uint32_t at, uint32_t words) {
  auto next = free_.lower_bound(at);
  if (next != free_.end() && at + words == next->first) {  // joins the range after it
    words += next->second;
    next = free_.erase(next);
  }
  if (next != free_.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second == at) {  // joins the range before it
      prev->second += words;
      return;
    }
  }
  free_.emplace(at, words);
}

Result<uint32_t, std::string> ProcMemory::append(std::span<const uint32_t> words, uint64_t launch) {
  std::lock_guard lock(store_mu_);
  // Ranges released before the current launch began are safe to reuse.
  std::erase_if(quarantine_, [&](const Quarantined& q) {
    if (q.launch >= launch) return false;
    add_free(q.at, q.words);
    used_words_ -= q.words;
    return true;
  });
  // Every range starts on a 32-word line (sys.glsl) and takes whole lines.
  const uint64_t need = (uint64_t{words.size()} + 31) & ~uint64_t{31};
  for (auto it = free_.begin(); it != free_.end(); ++it) {
    if (it->second < need) continue;
    const uint32_t at = it->first, left = it->second - static_cast<uint32_t>(need);
    free_.erase(it);
    if (left) free_.emplace(at + static_cast<uint32_t>(need), left);
    used_words_ += need;
    auto* base = reinterpret_cast<uint32_t*>(static_cast<uint8_t*>(store_.mapped) + sizeof(ProgramDesc) * MAX_PROGRAMS);
    std::memcpy(base + at, words.data(), words.size() * 4);
    return at;
  }
  uint64_t quarantined = 0;
  for (const Quarantined& q : quarantine_) quarantined += q.words;
  return fail(std::string(),
              fmt::format("the program store is full ({} of {} KiB used{}; --store-mib)", used_words_ * 4 / 1024,
                          uint64_t{cfg_.store_words} * 4 / 1024,
                          quarantined ? fmt::format(", {} KiB of it freed and reusable after the kernel's next launch",
                                                    quarantined * 4 / 1024)
                                      : std::string()));
}

void ProcMemory::release(uint32_t at, uint32_t words, uint64_t launch) {
  const uint32_t lines = (words + 31) & ~31u;
  if (lines == 0) return;
  std::lock_guard lock(store_mu_);
  quarantine_.push_back({at, lines, launch});
}

uint64_t ProcMemory::store_words_used() const {
  std::lock_guard lock(store_mu_);
  return used_words_;
}

void ProcMemory::publish_program(uint32_t index, const ProgramDesc& desc) {
  auto* descs = static_cast<ProgramDesc*>(store_.mapped);
  ProgramDesc d = desc;
  d.state = 0;
  std::memcpy(&descs[index], &d, sizeof d);
  std::atomic_thread_fence(std::memory_order_release);
  // `state` last; the OP_SPAWN that first names it is posted after this (mailbox release).
  reinterpret_cast<std::atomic<uint32_t>*>(&descs[index].state)->store(1, std::memory_order_release);
}

void ProcMemory::retire_program(uint32_t index) {
  auto* descs = static_cast<ProgramDesc*>(store_.mapped);
  // Relaxed: nothing else is published with it; a GPU spawn that reads the
  // old 1 a little longer finds the old words still in place (they are
  // quarantined, not rewritten, until a later launch).
  reinterpret_cast<std::atomic<uint32_t>*>(&descs[index].state)->store(0, std::memory_order_relaxed);
}

void ProcMemory::set_program_jit(uint32_t index, bool compiled) {
  // A plain store: no kernel runs now, and the next launch's submission
  // makes host writes to this coherent memory visible to it.
  static_cast<ProgramDesc*>(store_.mapped)[index].jit = compiled ? 1u : 0u;
}

uint32_t ProcMemory::io_slots_held_by(uint32_t index) {
  const IoHeader& h = io_header();
  // Written by the kernel's atomics; a relaxed read of a count.
  return std::atomic_ref<uint32_t>(io_words()[h.progs_off + index]).load(std::memory_order_relaxed);
}

std::string ProcMemory::describe() const {
  return fmt::format("{} slots, arena {} MiB ({} pages), blocks {} KiB each, {} pages per process, quantum {}, "
                     "{} request slots",
                     cfg_.slots, uint64_t{cfg_.arena_pages} * 64 / 1024, cfg_.arena_pages, cfg_.block_words / 256,
                     cfg_.max_pages, cfg_.quantum, cfg_.io_slots);
}

}  // namespace gpuos

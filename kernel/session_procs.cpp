// session_procs.cpp: the process verbs of gpuos::Session (session.h):
// program loading, spawn, kill and the process-table snapshot. Exits arrive
// through the debug ring (drain_loop -> exits_).
#include <algorithm>
#include <atomic>
#include <cstring>
#include <functional>
#include <string_view>
#include <unordered_set>

#include <openssl/evp.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "kernel/byte_size.h"
#include "kernel/proc_tree.h"
#include "kernel/session.h"

namespace gpuos {

using namespace gpuos::abi;

namespace {

// The arena's default: 128 MiB on lavapipe (its memory is the host's, and
// CI machines are small); on a GPU a quarter of its memory, at most 8 GiB,
// in whole bitmap words of 2 MiB.
uint32_t default_arena_mib(const vk::DeviceInfo& dev) {
  if (dev.is_lavapipe()) return 128u;
  const uint64_t quarter_mib = dev.device_local_bytes() / 4u >> 20;
  return static_cast<uint32_t>(std::clamp<uint64_t>(quarter_mib / 2u * 2u, 128u, 8192u));
}

}  // namespace

Result<void, SessionError> Session::init_processes() {
  const bool lvp = ctx_->info().is_lavapipe();
  ProcConfig cfg;
  cfg.slots = opts_.proc_slots ? opts_.proc_slots : (lvp ? 1024u : 131072u);
  cfg.arena_pages = (opts_.arena_mib ? opts_.arena_mib : default_arena_mib(ctx_->info())) * 16u;
  // By default a process may hold half the arena, up to WebAssembly's 4 GiB:
  // 64 MiB on lavapipe, 4 GiB on a GPU of 64 GiB or more.
  cfg.max_pages = opts_.max_pages ? opts_.max_pages : std::min(cfg.arena_pages / 2u, PT_MAX_PAGES);
  // --block-kib is a floor: a block always holds the page table and room
  // for a program's parts and frames besides it.
  cfg.block_words = std::max(opts_.block_kib * 256u, (BLK_PAGE_TABLE + pt_block_words(cfg.max_pages) + 1024u + 255u) / 256u * 256u);
  // The default arena grows to hold one process of the largest size. One
  // given smaller is taken (a limit is a cap, not a reservation, and tests
  // run arenas dry on purpose), with a warning.
  if (opts_.arena_mib != 0 && cfg.arena_pages < cfg.max_pages) {
    spdlog::warn("processes: a process may hold {} (--max-memory), more than the arena holds ({}; --arena-mib): "
                 "its memory runs out at the arena's size, which every process shares",
                 format_byte_size(uint64_t{cfg.max_pages} * PAGE_BYTES),
                 format_byte_size(uint64_t{cfg.arena_pages} * PAGE_BYTES));
  }
  if (opts_.arena_mib == 0 && cfg.arena_pages < cfg.max_pages) cfg.arena_pages = (cfg.max_pages + 31u) / 32u * 32u;
  // Large blocks (--block-kib, or a program's tables) make the default table
  // smaller, so that the blocks take at most 4 GiB.
  constexpr uint64_t kBlocksBudget = uint64_t{4} << 30;
  if (opts_.proc_slots == 0 && uint64_t{cfg.slots} * cfg.block_words * 4u > kBlocksBudget) {
    cfg.slots = std::max<uint32_t>(32u, static_cast<uint32_t>(kBlocksBudget / (uint64_t{cfg.block_words} * 4u)) / 32u * 32u);
  }
  cfg.max_call_depth = opts_.max_call_depth;
  cfg.quantum = opts_.quantum ? opts_.quantum : (lvp ? 256u : 10000u);
  if (lvp && cfg.quantum > LAVAPIPE_TICKS_PER_LAUNCH) {
    return fail(SessionError::BadArgument,
                fmt::format("processes: a quantum of {} ticks is more than lavapipe runs in one launch ({}; "
                            "docs/platform.md 2f)",
                            cfg.quantum, LAVAPIPE_TICKS_PER_LAUNCH));
  }
  cfg.store_words = opts_.store_mib * 262144u;
  cfg.group_by_program = opts_.group_by_program;
  // A quarter of the table by default: a fork bomb fills at most that, and
  // the rest stays free for everyone else (and for `gpuos kill`'s work).
  cfg.max_per_tree = opts_.max_procs_per_tree ? opts_.max_procs_per_tree : std::max(1u, cfg.slots / 4u);
  if (cfg.max_per_tree > cfg.slots) {
    return fail(SessionError::BadArgument,
                fmt::format("processes: --max-procs-per-tree {} is more than the table's {} slots", cfg.max_per_tree,
                            cfg.slots));
  }
  cfg.profile = opts_.profile;
  cfg.io_slots = opts_.io_slots ? opts_.io_slots : (lvp ? 128u : 4096u);
  auto m = ProcMemory::create(*ctx_, cfg);
  if (!m) return fail(SessionError::BadArgument, "processes: " + m.detail());
  procs_ = std::move(m.value());
  spdlog::info("processes: {}", procs_->describe());
  return {};
}

Result<void, SessionError> Session::init_io() {
  const io::IoBackendChoice choice =
      opts_.io_backend == io::IoBackendChoice::Auto ? io::backend_choice_from_env() : opts_.io_backend;
  auto b = io::make_io_backend(choice, backend_why_);
  if (!b) return fail(SessionError::BadArgument, "host I/O: " + b.detail());
  backend_ = std::move(b.value());
  if (!backend_why_.empty()) spdlog::info("host I/O: thread pool ({})", backend_why_);
  wasi_ = std::make_unique<io::WasiHost>(*backend_);
  io::IoBufferView view{&procs_->io_header(), procs_->io_words()};
  requests_ = std::make_unique<io::RequestService>(view, *wasi_, [this] {
    last_activity_ns_ = std::chrono::steady_clock::now().time_since_epoch().count();
    if (kernel_running_.load()) return;  // a running kernel takes it by itself
    post_work();  // a completion for an idle kernel: relaunch it (epoch, parked)
  });
  return {};
}

std::string Session::io_backend_description() const {
  if (!backend_) return "none";
  if (backend_why_.empty()) return backend_->name();
  return fmt::format("{} ({})", backend_->name(), backend_why_);
}

void Session::release_io(uint32_t key) {
  if (wasi_ && key != 0) wasi_->remove_spawn(key);
}

namespace {

std::array<uint8_t, 32> sha256_of(std::span<const uint8_t> bytes) {
  std::array<uint8_t, 32> md{};
  unsigned int len = 0;
  // EVP_Digest cannot fail for SHA-256 on memory short of a broken libcrypto;
  // a zero digest then only costs a duplicate load, never a wrong match
  // (the name and the digest must both match).
  if (EVP_Digest(bytes.data(), bytes.size(), md.data(), &len, EVP_sha256(), nullptr) != 1) md.fill(0);
  return md;
}

}  // namespace

Result<uint32_t, SessionError> Session::load_program(std::span<const uint8_t> wasm, const std::string& name,
                                                    Tier tier) {
  auto id = load_program_id(wasm, name, tier == Tier::Interp);
  if (!id || tier == Tier::Interp) return id;
  request_compile(*id);
  if (tier == Tier::Compiled) {
    if (auto r = wait_compiled(*id); !r) {
      release_program(*id);
      return fail(r.code(), fmt::format("{}: {}", name, r.detail()));
    }
  }
  return id;
}

Result<uint32_t, SessionError> Session::load_program_id(std::span<const uint8_t> wasm, const std::string& name,
                                                       bool interp_only) {
  const std::array<uint8_t, 32> digest = sha256_of(wasm);
  auto find = [&]() -> std::optional<uint32_t> {
    for (size_t i = 0; i < programs_.size(); ++i) {
      const LoadedProgram& p = programs_[i];
      if (p.prog && p.sha256 == digest && p.prog->name == name && p.interp_only == interp_only) {
        return static_cast<uint32_t>(i);
      }
    }
    return std::nullopt;
  };
  {
    std::lock_guard lock(programs_mu_);
    if (auto id = find()) {
      ++programs_[*id].pins;
      return *id;
    }
  }
  // Prepared without the lock: translating a large module takes a while,
  // and the drain thread names exits under it.
  const ProcConfig& cfg = procs_->config();
  procs::ProcessLimits lim;
  lim.block_words = cfg.block_words;
  lim.max_pages = cfg.max_pages;
  lim.max_depth = cfg.max_call_depth;
  lim.store_words = cfg.store_words;
  auto prog = procs::prepare_program(wasm, name, lim);
  if (!prog) return fail(SessionError::BadArgument, fmt::format("{}: {}: {}", name, to_string(prog.code()), prog.detail()));
  for (int attempt = 0;; ++attempt) {
    {
      std::lock_guard lock(programs_mu_);
      if (auto id = find()) {  // another client loaded it meanwhile
        ++programs_[*id].pins;
        return *id;
      }
      // A free id (one whose unload a launch has passed), else a new one.
      const uint64_t launch = launches_.load();
      std::optional<uint32_t> id;
      for (size_t i = 0; i < programs_.size() && !id; ++i) {
        if (!programs_[i].prog && programs_[i].freed_launch < launch) id = static_cast<uint32_t>(i);
      }
      if (!id && programs_.size() < MAX_PROGRAMS) {
        id = static_cast<uint32_t>(programs_.size());
        programs_.emplace_back();
      }
      if (id) {
        auto at = procs_->append(prog->words, launch);
        if (at) {
          procs::rebase(prog->desc, *at);
          procs_->publish_program(*id, prog->desc);
          LoadedProgram& p = programs_[*id];
          p.store_at = *at;
          p.store_words = static_cast<uint32_t>(prog->words.size());
          p.sha256 = digest;
          p.pins = 1;
          p.interp_only = interp_only;
          p.jit = JitState::None;
          p.jit_failure.clear();
          p.prog = std::make_shared<const procs::ProcessProgram>(std::move(prog.value()));
          return *id;
        }
        if (attempt > 0) return fail(SessionError::BadArgument, fmt::format("{}: {}", name, at.detail()));
      } else if (attempt > 0) {
        const auto waiting = std::count_if(programs_.begin(), programs_.end(), [](const LoadedProgram& p) {
          return p.prog == nullptr;
        });
        return fail(SessionError::BadArgument,
                    waiting > 0
                        ? fmt::format("{}: the session holds {} programs; {} of them were unloaded, but the kernel "
                                      "did not relaunch within 5 s, which their slots wait for",
                                      name, MAX_PROGRAMS, waiting)
                        : fmt::format("{}: the session holds {} programs, each still used by a process or a client "
                                      "(programs are unloaded when their last process is gone)",
                                      name, MAX_PROGRAMS));
      }
    }
    // Full: release what no process holds, and try once more. Ids and
    // store ranges freed are reused only after a launch has begun since
    // (ProcMemory::release says why): a running live kernel may not
    // relaunch for a long while, so one is asked for.
    if (auto c = collect_unused(); !c) return fail(c.code(), c.detail());
    if (!relaunch_kernel(5s)) spdlog::debug("load_program: no relaunch within 5 s");
  }
}

bool Session::relaunch_kernel(std::chrono::milliseconds timeout) {
  const uint64_t before = launches_.load();
  relaunch_wanted_ = true;
  post_work();
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (launches_.load() == before) {
    if (failed_.load() || std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

void Session::release_program(uint32_t id) {
  {
    std::lock_guard lock(programs_mu_);
    if (id < programs_.size() && programs_[id].pins > 0) --programs_[id].pins;
  }
  // The reaper runs only for sessions whose programs can be unloaded (a
  // caller that never releases keeps them all, as a library user expects).
  std::lock_guard lock(reaper_mu_);
  if (!reaper_thread_.joinable() && !reaper_stop_) reaper_thread_ = std::thread([this] { reaper_loop(); });
}

uint32_t Session::programs_loaded() const {
  std::lock_guard lock(programs_mu_);
  return static_cast<uint32_t>(std::count_if(programs_.begin(), programs_.end(), [](const LoadedProgram& p) {
    return p.prog != nullptr;
  }));
}

uint32_t Session::spawns_kept() const {
  std::lock_guard lock(programs_mu_);
  return static_cast<uint32_t>(spawns_.size());
}

void Session::describe_exit(procs::ExitInfo& e) const {
  std::shared_ptr<const procs::ProcessProgram> prog;
  {
    std::lock_guard lock(programs_mu_);
    if (e.program < programs_.size()) prog = programs_[e.program].prog;
  }
  if (!prog) return;
  e.prog_name = prog->name;
  if (e.trap != 0) e.trap_where = procs::describe_trap(*prog, e.trap, e.trap_pc);
}

// What no process holds any more: programs nobody pins whose processes are
// all gone, and host spawns none of whose processes (nor their GPU-spawned
// descendants, which carry the same key) remain.
//
// A snapshot of the table says what is held. A slot is freed only after its
// exit record was written, so once the host has drained the ring up to the
// head read after the snapshot, every exit of a process missing from it has
// been named (describe_exit) and every output record of it written to its
// sink: its program and its I/O can go. A spawn registered after the
// snapshot began is not judged by it. A GPU spawn names its own program
// (GPUOS_SELF) from a live process of it; a guest that names another
// program by index does not keep that program loaded (docs/processes.md).
Result<Session::Collected, SessionError> Session::collect_unused() {
  std::lock_guard collect_lock(collect_mu_);
  Collected done;
  uint64_t seq_before;
  {
    std::lock_guard lock(programs_mu_);
    const bool any_program = std::any_of(programs_.begin(), programs_.end(), [](const LoadedProgram& p) {
      return p.prog && p.pins == 0;
    });
    if (!any_program && spawns_.empty()) return done;
    seq_before = spawn_seq_;
  }
  auto snap = snapshot();
  if (!snap) return fail(snap.code(), snap.detail());
  const SessionStatus st = status();
  const uint64_t target = st.ring_position + static_cast<uint32_t>(st.ring_head - static_cast<uint32_t>(st.ring_position));
  const auto until = std::chrono::steady_clock::now() + 2s;
  while (drained_position_.load() < target) {
    if (std::chrono::steady_clock::now() >= until || failed_.load() || drain_stop_.load()) return done;  // try again later
    std::this_thread::sleep_for(1ms);
  }
  std::vector<bool> prog_live(MAX_PROGRAMS, false);
  std::unordered_set<uint32_t> key_live;
  for (const ProcEntry& e : snap->procs) {
    if (e.program < MAX_PROGRAMS) prog_live[e.program] = true;
    if (e.argv_off != 0) key_live.insert(e.argv_off);
  }
  std::vector<std::shared_ptr<const procs::ProcessProgram>> unloaded;  // destroyed without the lock
  std::vector<uint32_t> released_keys;
  {
    std::lock_guard lock(programs_mu_);
    const uint64_t launch = launches_.load();
    for (size_t i = 0; i < programs_.size(); ++i) {
      LoadedProgram& p = programs_[i];
      if (!p.prog || p.pins != 0 || prog_live[i]) continue;
      if (procs_->io_slots_held_by(static_cast<uint32_t>(i)) != 0) continue;  // an orphan request slot: later
      procs_->retire_program(static_cast<uint32_t>(i));
      procs_->release(p.store_at, p.store_words, launch);
      unloaded.push_back(std::move(p.prog));
      p.prog.reset();
      p.freed_launch = launch;
      ++done.programs;
    }
    for (auto it = spawns_.begin(); it != spawns_.end();) {
      if (it->second.seq > seq_before || key_live.count(it->first)) {
        ++it;
        continue;
      }
      procs_->release(it->first, it->second.words, launch);
      released_keys.push_back(it->first);
      it = spawns_.erase(it);
      ++done.spawns;
    }
  }
  // Closes the spawns' output files (the last reference to them).
  for (uint32_t key : released_keys) release_io(key);
  if (done.programs || done.spawns) {
    spdlog::debug("unloaded {} programs, released {} spawns", done.programs, done.spawns);
  }
  return done;
}

// Every 500 ms after exits arrived: collect_unused. Started by the first
// release_program; stopped before the kernel at shutdown.
void Session::reaper_loop() {
  std::unique_lock lock(reaper_mu_);
  while (!reaper_stop_) {
    reaper_cv_.wait_for(lock, 500ms);
    if (reaper_stop_) break;
    const uint64_t exits = exits_.total();
    if (exits == reaper_seen_exits_) continue;
    lock.unlock();
    auto c = collect_unused();
    lock.lock();
    if (c) reaper_seen_exits_ = exits;  // else (the ring lagged, the session failed): try again next round
    if (!c && failed_.load()) break;
  }
}

void Session::stop_reaper() {
  {
    std::lock_guard lock(reaper_mu_);
    reaper_stop_ = true;
    reaper_cv_.notify_all();
  }
  if (reaper_thread_.joinable()) reaper_thread_.join();
}

const procs::ProcessProgram* Session::program(uint32_t id) const {
  std::lock_guard lock(programs_mu_);
  return id < programs_.size() ? programs_[id].prog.get() : nullptr;
}

Result<SpawnResult, SessionError> Session::spawn(uint32_t program, uint32_t count, uint32_t first_arg,
                                                 std::span<const std::string> args,
                                                 std::shared_ptr<const io::SpawnIo> io,
                                                 std::span<const std::string> env, uint32_t page_cap) {
  const procs::ProcessProgram* prog = this->program(program);
  if (!prog) return fail(SessionError::BadArgument, fmt::format("no program {}", program));
  const ProcConfig& cfg = procs_->config();
  if (page_cap > cfg.max_pages) {
    return fail(SessionError::BadArgument,
                fmt::format("--max-memory {}: this session gives a process at most {} (boot --max-memory)",
                            format_byte_size(uint64_t{page_cap} * PAGE_BYTES),
                            format_byte_size(uint64_t{cfg.max_pages} * PAGE_BYTES)));
  }
  if (page_cap > cfg.arena_pages) {
    return fail(SessionError::BadArgument,
                fmt::format("--max-memory {}: more than the session's arena holds ({}; boot --arena-mib)",
                            format_byte_size(uint64_t{page_cap} * PAGE_BYTES),
                            format_byte_size(uint64_t{cfg.arena_pages} * PAGE_BYTES)));
  }
  if (page_cap != 0 && prog->desc.mem_pages > page_cap) {
    return fail(SessionError::BadArgument,
                fmt::format("{} starts with {} of memory, more than --max-memory {}", prog->name,
                            format_byte_size(uint64_t{prog->desc.mem_pages} * PAGE_BYTES),
                            format_byte_size(uint64_t{page_cap} * PAGE_BYTES)));
  }
  const uint32_t slots = cfg.slots;
  if (count > slots) {
    return fail(SessionError::BadArgument,
                fmt::format("{} instances asked for; the process table has {} slots (--proc-slots)", count, slots));
  }
  // argv blob: bytes, argc, then "name\0arg1\0..." (intrinsics.glsl);
  // right after it (word-aligned) the environment the same way: bytes,
  // count, "K=V\0..." (wasi.glsl, environ_get); then one word, the page
  // cap (wasi.glsl, spawn_page_cap).
  auto strings = [](std::vector<uint32_t>& words, std::span<const std::string> list, const std::string* first) {
    std::string blob;
    if (first) blob.append(*first).push_back('\0');
    for (const std::string& a : list) blob.append(a).push_back('\0');
    const size_t at = words.size();
    words.resize(at + 2 + (blob.size() + 3) / 4, 0);
    words[at] = static_cast<uint32_t>(blob.size());
    words[at + 1] = static_cast<uint32_t>(list.size() + (first ? 1 : 0));
    std::memcpy(words.data() + at + 2, blob.data(), blob.size());
  };
  std::vector<uint32_t> words;
  strings(words, args, &prog->name);
  strings(words, env, nullptr);
  words.push_back(page_cap);
  std::lock_guard out_lock(out_mu_);
  auto at = procs_->append(words, launches_.load());
  if (!at) return fail(SessionError::BadArgument, at.detail());
  // The blob's offset is the spawn's io key: every record of its processes
  // (and their descendants) carries it, so the I/O is in place before any
  // of them can run.
  if (io) {
    if (auto ok = wasi_->add_spawn(*at, std::move(io)); !ok) {
      procs_->release(*at, static_cast<uint32_t>(words.size()), launches_.load());
      return fail(SessionError::BadArgument, ok.detail());
    }
  }
  auto reply = command(OP_SPAWN, program, count, first_arg, *at, 60000ms);
  if (!reply) {
    // The kernel may have read the blob even so: it is released only by
    // collect_unused, once no process carries its key.
    wasi_->remove_spawn(*at);
  }
  {
    // Registered after the kernel's answer, under out_mu_ (as snapshots
    // are): collect_unused judges it only by a snapshot taken after this.
    std::lock_guard lock(programs_mu_);
    spawns_[*at] = KeptSpawn{static_cast<uint32_t>(words.size()), ++spawn_seq_};
  }
  if (!reply) return fail(reply.code(), reply.detail());
  SpawnResult r;
  r.io_key = *at;
  r.failed_slots = reply->value[1];
  r.failed_pages = reply->value[2];
  const uint32_t* out = procs_->out_words();
  for (uint32_t i = 0; i < count; ++i) {
    const uint32_t pid = std::atomic_ref<const uint32_t>(out[i]).load(std::memory_order_acquire);
    if (pid != 0) r.pids.push_back(pid);
  }
  return r;
}

Result<bool, SessionError> Session::kill(uint32_t pid) {
  auto reply = command(OP_KILL, pid);
  if (!reply) return fail(reply.code(), reply.detail());
  // Its host operations in flight (a read that may never return, a sleep)
  // end now, so its request slot comes back at once: the kernel frees an
  // ORPHAN slot when its completion arrives (docs/io.md). The process ends
  // at its next quantum whatever the reply says: the kill is posted.
  if (reply->value[0] != 0 && wasi_) wasi_->cancel(pid);
  return reply->value[0] != 0;
}

// A tree kill of a root is one flag the kernel sets on the root's entry
// (every member reads it at its quantum boundary, and a member's spawn fails
// once it is set), then a job over the table that wakes the tree's
// sleepers; the reply comes when that job ends. No flag names the
// processes below some other pid, so those are killed one by one, in
// rounds: each round takes a snapshot and kills the descendants it shows
// that no kill names yet. A process spawned in a race with its parent's
// kill is killed by the parent's spawn, or shows in the next round
// (shaders/proc/table.glsl, proc_spawn_child); the rounds end with one
// that finds nothing new. The processes end at their next quantum.
Result<TreeKill, SessionError> Session::kill_tree(uint32_t pid) {
  auto reply = command(OP_KILL, pid, KILL_TREE, 0, 0, 30000ms);
  if (!reply) return fail(reply.code(), reply.detail());
  TreeKill k;
  if (reply->value[0] != 0) {
    k.found = k.whole = true;
    k.running = reply->value[1];
    k.root = pid;
    return k;
  }
  constexpr int kMaxRounds = 1000;  // a bound, should spawns outrun the kills for ever
  for (int round = 0; round < kMaxRounds; ++round) {
    auto snap = snapshot();
    if (!snap) return fail(snap.code(), snap.detail());
    const Subtree below = subtree_of(*snap, pid);
    if (!below.found) return k;  // round 0: no such process; later: all of it is gone
    k.found = true;
    k.root = below.group;
    // A process that ended between the snapshot and its kill may have
    // spawned meanwhile: any kill tried, ended or not, earns another round.
    uint32_t tried = 0;
    for (const SubtreeMember& m : below.live) {
      if (m.kill_pending) continue;
      auto killed = kill(m.pid);
      if (!killed) return fail(killed.code(), killed.detail());
      ++tried;
      k.running += *killed ? 1 : 0;
    }
    if (tried == 0) return k;
  }
  return k;
}

Result<ProcSnapshot, SessionError> Session::snapshot() {
  std::lock_guard out_lock(out_mu_);
  auto reply = command(OP_SNAPSHOT, 0, 0, 0, 0, 30000ms);
  if (!reply) return fail(reply.code(), reply.detail());
  const uint32_t units = reply->value[0];
  std::atomic_thread_fence(std::memory_order_acquire);
  const auto* out = reinterpret_cast<const uint8_t*>(procs_->out_words());
  ProcSnapshot s;
  std::memcpy(&s.header, out, sizeof(SysHeader));
  s.heap.resize(32);
  std::memcpy(s.heap.data(), out + sizeof(SysHeader), HEAP_STATS_WORDS * 4);
  for (uint32_t u = 8; u < units; ++u) {
    ProcEntry e;
    std::memcpy(&e, out + size_t{u} * 128, sizeof e);
    if (e.pid == 0) continue;
    if (e.state != PROC_FREE && e.state != PROC_RELEASING) s.procs.push_back(e);
    else if (e.hold != 0) s.ghosts.push_back(e);  // (a RELEASING one has no hold left: gone)
  }
  s.clock_ms = ctrl_->clock_ms;
  std::lock_guard lock(programs_mu_);
  for (const auto& p : programs_) s.program_names.push_back(p.prog ? p.prog->name : std::string());
  s.tier = tier_stats();
  return s;
}

}  // namespace gpuos

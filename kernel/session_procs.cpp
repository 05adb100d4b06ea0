// session_procs.cpp: the process verbs of gpuos::Session (session.h):
// program loading, spawn, kill and the process-table snapshot. Exits arrive
// through the debug ring (drain_loop -> exits_).
#include <algorithm>
#include <atomic>
#include <cstring>
#include <functional>
#include <string_view>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "kernel/proc_tree.h"
#include "kernel/session.h"

namespace gpuos {

using namespace gpuos::abi;

Result<void, SessionError> Session::init_processes() {
  const bool lvp = ctx_->info().is_lavapipe();
  ProcConfig cfg;
  cfg.slots = opts_.proc_slots ? opts_.proc_slots : (lvp ? 1024u : 131072u);
  cfg.arena_pages = (opts_.arena_mib ? opts_.arena_mib : (lvp ? 128u : 8192u)) * 16u;
  cfg.block_words = opts_.block_kib * 256u;
  cfg.max_pages = opts_.max_pages;
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
    // A completion for an idle kernel: relaunch it (epoch, parked).
    std::lock_guard lock(service_mu_);
    work_posted_ = true;
    service_cv_.notify_all();
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

Result<uint32_t, SessionError> Session::load_program(std::span<const uint8_t> wasm, const std::string& name) {
  const size_t hash = std::hash<std::string_view>{}(
      std::string_view(reinterpret_cast<const char*>(wasm.data()), wasm.size()));
  std::lock_guard lock(programs_mu_);
  for (size_t i = 0; i < programs_.size(); ++i) {
    if (program_hash_[i] == hash && programs_[i]->name == name) return static_cast<uint32_t>(i);
  }
  if (programs_.size() >= MAX_PROGRAMS) {
    return fail(SessionError::BadArgument, fmt::format("{}: the session holds {} programs already", name, MAX_PROGRAMS));
  }
  const ProcConfig& cfg = procs_->config();
  procs::ProcessLimits lim;
  lim.block_words = cfg.block_words;
  lim.max_pages = cfg.max_pages;
  lim.store_words = cfg.store_words;
  auto prog = procs::prepare_program(wasm, name, lim);
  if (!prog) return fail(SessionError::BadArgument, fmt::format("{}: {}: {}", name, to_string(prog.code()), prog.detail()));
  auto at = procs_->append(prog->words);
  if (!at) return fail(SessionError::BadArgument, fmt::format("{}: {}", name, at.detail()));
  procs::rebase(prog->desc, *at);
  const uint32_t id = static_cast<uint32_t>(programs_.size());
  procs_->publish_program(id, prog->desc);
  programs_.push_back(std::make_unique<procs::ProcessProgram>(std::move(prog.value())));
  program_hash_.push_back(hash);
  return id;
}

const procs::ProcessProgram* Session::program(uint32_t id) const {
  std::lock_guard lock(const_cast<std::mutex&>(programs_mu_));
  return id < programs_.size() ? programs_[id].get() : nullptr;
}

Result<SpawnResult, SessionError> Session::spawn(uint32_t program, uint32_t count, uint32_t first_arg,
                                                 std::span<const std::string> args,
                                                 std::shared_ptr<const io::SpawnIo> io) {
  const procs::ProcessProgram* prog = this->program(program);
  if (!prog) return fail(SessionError::BadArgument, fmt::format("no program {}", program));
  const uint32_t slots = procs_->config().slots;
  if (count > slots) {
    return fail(SessionError::BadArgument,
                fmt::format("{} instances asked for; the process table has {} slots (--proc-slots)", count, slots));
  }
  // argv blob: bytes, argc, then "name\0arg1\0..." (intrinsics.glsl).
  std::string blob = prog->name;
  blob.push_back('\0');
  for (const std::string& a : args) {
    blob += a;
    blob.push_back('\0');
  }
  std::vector<uint32_t> words(2 + (blob.size() + 3) / 4, 0);
  words[0] = static_cast<uint32_t>(blob.size());
  words[1] = static_cast<uint32_t>(1 + args.size());
  std::memcpy(words.data() + 2, blob.data(), blob.size());
  std::lock_guard out_lock(out_mu_);
  auto at = procs_->append(words);
  if (!at) return fail(SessionError::BadArgument, at.detail());
  // The blob's offset is the spawn's io key: every record of its processes
  // (and their descendants) carries it, so the I/O is in place before any
  // of them can run.
  if (io) {
    if (auto ok = wasi_->add_spawn(*at, std::move(io)); !ok) return fail(SessionError::BadArgument, ok.detail());
  }
  auto reply = command(OP_SPAWN, program, count, first_arg, *at, 60000ms);
  if (!reply) {
    wasi_->remove_spawn(*at);
    return fail(reply.code(), reply.detail());
  }
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
  for (const auto& p : programs_) s.program_names.push_back(p->name);
  return s;
}

}  // namespace gpuos

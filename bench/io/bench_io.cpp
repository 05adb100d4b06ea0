// gpuos_bench_io: the host-I/O request path's benchmark (issue 5, item 7).
//
// Every figure comes from one booted gpuos::Session and its record observer
// (Session::set_record_observer), which runs on the session's drain thread:
// for each drained batch it reads the steady clock once and, for every
// record of the batch, counts RECORD_REQUEST records by opcode and
// RECORD_EXIT records (keeping the time of the last one). So "the host saw
// it" always means the same point of the pipeline: the drain thread has
// taken the record from the debug ring, handed a request to the request
// service, and appended the batch to the log.
//
//   latency     ONE `null_call` process making K gpuos_null_call()s back to
//               back. Each call is a request the host answers at once
//               (WASI_GPUOS_NULL): the process claims a request slot, posts
//               a RECORD_REQUEST and blocks; the drain thread takes the
//               record, the request service replies and publishes the slot
//               on the completion ring, a kernel lane takes the completion
//               and wakes the process, which returns from the call and
//               posts the next one. The observer timestamps every null
//               request; the interval between consecutive requests of the
//               one process is one full round trip host -> guest -> host
//               (the same as guest -> host -> guest: a cycle is a cycle).
//               K requests give K - 1 intervals; the first --warmup are
//               skipped; p50/p90/p99 (nearest rank), mean, min and max of
//               the rest are reported, and K / wall time from the spawn()
//               call to the exit record.
//   throughput  P `null_call` processes x K calls each, spawned in commands
//               of at most 4,096 (null_call.c's encoding of K). Counted:
//               P x K calls from the first spawn() call to the last exit
//               record. Checks: every exit status 0, exactly P exit records
//               and exactly P x K null requests seen by the observer.
//   files       F files of S bytes with deterministic contents in a new temp
//               dir; F `read_file` processes (instance i reads "fi.bin",
//               the dir preopened read-only as "."), in one spawn command.
//               Counted: F x S bytes from the spawn() call to the last exit
//               record. Two GPU passes: "checksummed", where each guest
//               hashes what it read (64-bit FNV-1a over 64-bit words) and
//               the bench checks, per file, the printed byte count and
//               checksum against its own and the exit status against
//               checksum & 0x7f; then "read only" (unless
//               --no-read-only-pass), where the guests only read (the I/O
//               path without the interpreter's hashing; byte counts and exit
//               status 0 checked). Peer, in the same run: the same F reads
//               by the host CPU, all cores, one thread per core taking files
//               from a shared counter (open, pread in 64 KiB chunks, the
//               same checksum, checked, close). All read from the page cache
//               (the files were just written).
//
// --profile boots the GPUOS_PROFILE kernel (bench/bench_profile.h) and
// prints, for latency and throughput, the share of lane time each part of
// the kernel's main loop took and the mean main-loop iteration: how long a
// posted completion may wait for a lane to look. Its figures are slower and
// not the record.
//
// Every wait is bounded by --timeout; a timed-out phase fails the run, kills
// its processes and skips the phases after it.
//
// Exit codes: 0 every figure measured and every check passed; 1 a check
// failed (or a phase timed out, or the session failed); 2 setup failure
// (boot, a guest that does not load, the temp files, a bad argument).

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "bench/bench_clock.h"
#include "bench/bench_profile.h"
#include "bench/bench_stats.h"
#include "kernel/session.h"
#include "shaders/abi.h"

namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr uint32_t kArgShift = 12;                      // null_call.c: N = arg >> 12
constexpr uint32_t kMaxPerSpawn = 1u << kArgShift;      // instances per spawn command
constexpr uint32_t kMaxCalls = (1u << (32 - kArgShift)) - 1;
constexpr size_t kChunk = 65536;                        // read_file.c's CHUNK
constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ull, kFnvPrime = 0x100000001b3ull;
constexpr uint32_t kReadOnly = 1u << 30;                // read_file.c: arg bit 30, read without hashing
// Linear-memory pages one read_file process holds at its peak (measured:
// ExitInfo.pages_peak, reported as files.*.pages_peak): its initial page,
// the 64 KiB buffer and what wasi-libc's stdio allocates.
constexpr uint32_t kReadFilePages = 4;
constexpr uint32_t kPageMargin = 64;

bool g_quiet = false;

template <typename... Args>
void progress(fmt::format_string<Args...> f, Args&&... args) {
  if (g_quiet) return;
  std::fprintf(stderr, "%s\n", fmt::format(f, std::forward<Args>(args)...).c_str());
}

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

std::vector<uint8_t> read_guest(const std::string& dir, const std::string& name) {
  std::ifstream f(dir + "/" + name + ".wasm", std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

// read_file.c's checksum: 64-bit FNV-1a over little-endian 64-bit words,
// then the bytes of a final partial word. Called per 64 KiB chunk (a
// multiple of 8), as the guest does.
uint64_t fnv1a64_words(uint64_t h, const uint8_t* p, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);  // x86 and wasm32 are both little-endian
    h = (h ^ w) * kFnvPrime;
  }
  for (; i < n; ++i) h = (h ^ p[i]) * kFnvPrime;
  return h;
}

// File i's contents: a splitmix64 stream seeded by i.
void fill_file(std::vector<uint8_t>& buf, uint32_t index) {
  uint64_t x = 0x9E3779B97F4A7C15ull * (uint64_t{index} + 1);
  for (size_t i = 0; i < buf.size(); i += 8) {
    uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    std::memcpy(buf.data() + i, &z, std::min<size_t>(8, buf.size() - i));
  }
}

json stats_json(const gpuos::bench::LatencyStats& s) {
  return {{"count", s.count}, {"min_us", s.min}, {"mean_us", s.mean}, {"p50_us", s.p50},
          {"p90_us", s.p90},  {"p99_us", s.p99}, {"max_us", s.max}};
}

// ---- the record observer ---------------------------------------------------------
// Runs on the drain thread, once per batch: one clock read, one pass over
// the batch. The main thread resets it between phases, when no process of
// the bench is alive.
struct Observer {
  std::atomic<uint64_t> null_requests{0}, read_requests{0}, open_requests{0}, other_requests{0};
  std::atomic<uint64_t> by_opcode[64] = {};  // every request, by opcode (WASI_*; 63 the null call)
  std::atomic<uint64_t> exits{0};
  std::atomic<int64_t> last_exit_ns{0};
  // Latency capture: the time of every null request, and its pid.
  std::atomic<bool> capture{false};
  std::vector<int64_t> stamps;
  std::vector<uint32_t> stamp_pids;
  std::atomic<size_t> nstamps{0};
  std::atomic<uint64_t> stamp_overflow{0};

  void operator()(std::span<const gpuos::io::DebugRecord> batch) {
    const int64_t t = now_ns();
    const bool cap = capture.load(std::memory_order_acquire);
    for (const auto& r : batch) {
      if (r.kind == gpuos::abi::RECORD_REQUEST) {
        by_opcode[r.payload[gpuos::abi::RQ_OPCODE] & 63].fetch_add(1, std::memory_order_relaxed);
        switch (r.payload[gpuos::abi::RQ_OPCODE]) {
          case gpuos::abi::WASI_GPUOS_NULL:
            null_requests.fetch_add(1, std::memory_order_relaxed);
            if (cap) {
              const size_t i = nstamps.load(std::memory_order_relaxed);
              if (i < stamps.size()) {
                stamps[i] = t;
                stamp_pids[i] = r.pid;
                nstamps.store(i + 1, std::memory_order_release);
              } else {
                stamp_overflow.fetch_add(1, std::memory_order_relaxed);
              }
            }
            break;
          case gpuos::abi::WASI_FD_READ: read_requests.fetch_add(1, std::memory_order_relaxed); break;
          case gpuos::abi::WASI_PATH_OPEN: open_requests.fetch_add(1, std::memory_order_relaxed); break;
          default: other_requests.fetch_add(1, std::memory_order_relaxed); break;
        }
      } else if (r.kind == gpuos::abi::RECORD_EXIT) {
        last_exit_ns.store(t, std::memory_order_relaxed);
        exits.fetch_add(1, std::memory_order_release);  // after last_exit_ns
      }
    }
  }

  void reset() {
    capture.store(false);
    null_requests = read_requests = open_requests = other_requests = 0;
    for (auto& c : by_opcode) c = 0;
    exits = 0;
    last_exit_ns = 0;
    nstamps = 0;
    stamp_overflow = 0;
  }
};

// ---- the benchmark ---------------------------------------------------------------

struct Bench {
  gpuos::Session& s;
  Observer& obs;
  std::string guests;
  double timeout_s;
  bool ok = true;
  bool timed_out = false;  // a phase timed out: the later ones are skipped
  std::vector<std::string> failures;

  void check(bool cond, const std::string& what) {
    if (cond) return;
    std::fprintf(stderr, "CHECK FAILED: %s\n", what.c_str());
    failures.push_back(what);
    ok = false;
  }

  // UINT32_MAX on failure (the caller exits 2).
  uint32_t load(const std::string& name) {
    auto bytes = read_guest(guests, name);
    if (bytes.empty()) {
      std::fprintf(stderr, "cannot read %s/%s.wasm\n", guests.c_str(), name.c_str());
      return UINT32_MAX;
    }
    auto id = s.load_program(bytes, name);
    if (!id) {
      std::fprintf(stderr, "cannot load %s: %s\n", name.c_str(), id.detail().c_str());
      return UINT32_MAX;
    }
    return *id;
  }

  // Waits until the observer has seen `n` exit records; false on timeout or
  // a failed session. Prints progress every few seconds.
  bool wait_exits(uint64_t n, Clock::time_point t0, const char* what) {
    auto last_note = Clock::now();
    while (obs.exits.load(std::memory_order_acquire) < n) {
      const double t = std::chrono::duration<double>(Clock::now() - t0).count();
      if (s.failed()) {
        check(false, fmt::format("{}: the session failed: {}", what, s.failure()));
        return false;
      }
      if (t > timeout_s) {
        check(false, fmt::format("{}: timed out after {:.0f} s with {} of {} exit records", what, t,
                                 obs.exits.load(), n));
        timed_out = true;
        if (diagnosis.is_null()) diagnosis = diagnose();
        return false;
      }
      if (Clock::now() - last_note > 5s) {
        last_note = Clock::now();
        progress("  {:.0f} s: {} of {} exited, {} null / {} read requests", t, obs.exits.load(), n,
                 obs.null_requests.load(), obs.read_requests.load());
      }
      std::this_thread::sleep_for(1ms);
    }
    return true;
  }

  // After a timeout: what the session and the process table look like, on
  // stderr and in the JSON's "diagnosis", so a stall can be told from a
  // slow run.
  json diagnose() {
    const gpuos::SessionStatus st = s.status();
    json d = {{"kernel_state", st.kernel_state}, {"launches", st.launches},   {"heartbeat", st.heartbeat},
              {"lanes_running", st.lanes_running}, {"ring_received", st.ring_received},
              {"ring_drops", st.ring_drops},       {"failed", st.failed},        {"failure", st.failure},
              {"ring_position", st.ring_position}, {"ring_head", st.ring_head}};
    // The host drains in position order: a position claimed and never
    // committed stops it there, and every record behind it waits.
    std::string text = fmt::format("kernel {}, {} launches, heartbeat {}, ring received {} dropped {}; ring: host at "
                                   "position {}, producers claimed up to {}",
                                   st.kernel_state, st.launches, st.heartbeat, st.ring_received, st.ring_drops,
                                   st.ring_position, st.ring_head);
    json ops = json::object();
    text += "; requests seen in this phase by opcode:";
    for (uint32_t op = 0; op < 64; ++op) {
      if (const uint64_t n = obs.by_opcode[op].load(); n) {
        ops[std::to_string(op)] = n;
        text += fmt::format(" {}x{}", op, n);
      }
    }
    d["requests_by_opcode"] = ops;
    if (auto snap = s.snapshot(); snap) {
      uint32_t by_state[6] = {}, holding_slot = 0;
      std::map<uint32_t, uint32_t> by_phase, by_vm_status;
      for (const auto& p : snap->procs) {
        ++by_state[std::min(p.state, 5u)];
        holding_slot += p.io_slot ? 1 : 0;
        ++by_phase[p.phase];
        ++by_vm_status[p.vm_status];
      }
      json phases = json::object(), vm = json::object();
      for (auto [k, v] : by_phase) phases[std::to_string(k)] = v;
      for (auto [k, v] : by_vm_status) vm[std::to_string(k)] = v;
      d["processes"] = {{"live", snap->header.live},       {"ready", by_state[gpuos::abi::PROC_READY]},
                        {"running", by_state[gpuos::abi::PROC_RUNNING]},
                        {"blocked", by_state[gpuos::abi::PROC_BLOCKED]},
                        {"zombie", by_state[gpuos::abi::PROC_ZOMBIE]}, {"holding_request_slot", holding_slot},
                        {"by_phase", phases}, {"by_vm_status", vm}, {"pages_used", snap->header.pages_used},
                        {"arena_pages", snap->header.arena_pages}};
      text += fmt::format("; {} live: {} ready, {} running, {} blocked, {} zombie; {} hold a request slot; "
                          "pages {} of {}",
                          snap->header.live, by_state[gpuos::abi::PROC_READY], by_state[gpuos::abi::PROC_RUNNING],
                          by_state[gpuos::abi::PROC_BLOCKED], by_state[gpuos::abi::PROC_ZOMBIE], holding_slot,
                          snap->header.pages_used, snap->header.arena_pages);
    } else {
      text += fmt::format("; no snapshot: {}", snap.detail());
    }
    std::fprintf(stderr, "diagnosis: %s\n", text.c_str());
    return d;
  }
  json diagnosis;  // the first one taken

  void kill_all(const std::vector<uint32_t>& pids) {
    for (uint32_t pid : pids) (void)s.kill(pid);
  }

  // Spawns `count` null_call instances making `calls` calls each, in commands
  // of at most kMaxPerSpawn. Returns the pids; false if a spawn failed.
  bool spawn_null(uint32_t prog, uint32_t count, uint32_t calls, std::vector<uint32_t>& pids) {
    for (uint32_t done = 0; done < count;) {
      const uint32_t n = std::min(count - done, kMaxPerSpawn);
      auto r = s.spawn(prog, n, calls << kArgShift, {});
      if (!r) {
        check(false, fmt::format("spawn of {} null_call: {}", n, r.detail()));
        return false;
      }
      pids.insert(pids.end(), r->pids.begin(), r->pids.end());
      if (r->pids.size() != n) {
        check(false, fmt::format("{} of {} null_call processes spawned ({} refused for slots, {} for pages)",
                                 r->pids.size(), n, r->failed_slots, r->failed_pages));
        return false;
      }
      done += n;
    }
    return true;
  }

  json latency(uint32_t prog, uint32_t calls, uint32_t warmup) {
    progress("latency: 1 process x {} null calls", calls);
    obs.reset();
    obs.stamps.assign(size_t{calls} + 64, 0);
    obs.stamp_pids.assign(size_t{calls} + 64, 0);
    obs.capture.store(true, std::memory_order_release);
    std::vector<uint32_t> pids;
    const auto t0 = Clock::now();
    const int64_t t0_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t0.time_since_epoch()).count();
    if (!spawn_null(prog, 1, calls, pids)) return nullptr;
    const bool done = wait_exits(1, t0, "latency");
    obs.capture.store(false);
    if (!done) {
      kill_all(pids);
      return nullptr;
    }
    const size_t n = obs.nstamps.load(std::memory_order_acquire);
    const double wall = double(obs.last_exit_ns.load() - t0_ns) * 1e-9;
    auto e = s.exits().find(pids[0]);
    check(e && e->status == 0, fmt::format("latency: null_call exit status {} (expected 0)",
                                           e ? std::to_string(e->status) : "unknown"));
    check(n == calls && obs.stamp_overflow == 0 && obs.null_requests == calls,
          fmt::format("latency: {} null requests seen, {} expected", obs.null_requests.load(), calls));
    size_t foreign = 0;
    for (size_t i = 0; i < n; ++i) foreign += obs.stamp_pids[i] != pids[0] ? 1 : 0;
    check(foreign == 0, fmt::format("latency: {} null requests from another pid", foreign));
    std::vector<double> us;
    for (size_t i = 1 + warmup; i < n; ++i) us.push_back(double(obs.stamps[i] - obs.stamps[i - 1]) * 1e-3);
    check(!us.empty(), fmt::format("latency: no intervals left after {} warm-up", warmup));
    const gpuos::bench::LatencyStats st = gpuos::bench::latency_stats(us);
    const double first_ms = n ? double(obs.stamps[0] - t0_ns) * 1e-6 : -1;
    progress("latency: p50 {:.2f} us, p99 {:.2f} us over {} intervals; {:.0f} calls/s overall", st.p50, st.p99,
             st.count, double(calls) / wall);
    return {{"calls", calls},
            {"warmup_intervals", warmup},
            {"pid", pids[0]},
            {"exit_status", e ? json(e->status) : json(nullptr)},
            {"requests_seen", obs.null_requests.load()},
            {"round_trip", stats_json(st)},
            {"first_request_ms", first_ms},
            {"wall_s", wall},
            {"calls_per_s", double(calls) / wall}};
  }

  json throughput(uint32_t prog, uint32_t procs, uint32_t calls) {
    progress("throughput: {} processes x {} null calls", procs, calls);
    obs.reset();
    std::vector<uint32_t> pids;
    const auto t0 = Clock::now();
    const int64_t t0_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t0.time_since_epoch()).count();
    if (!spawn_null(prog, procs, calls, pids)) {
      if (!pids.empty() && !wait_exits(pids.size(), t0, "throughput (partial spawn)")) kill_all(pids);
      return nullptr;
    }
    const double spawn_s = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!wait_exits(procs, t0, "throughput")) {
      kill_all(pids);
      return nullptr;
    }
    const double wall = double(obs.last_exit_ns.load() - t0_ns) * 1e-9;
    const uint64_t expect = uint64_t{procs} * calls;
    uint32_t bad = 0, missing = 0;
    for (uint32_t pid : pids) {
      auto e = s.exits().find(pid);
      missing += e ? 0 : 1;
      bad += (e && e->status != 0) ? 1 : 0;
    }
    check(bad == 0 && missing == 0,
          fmt::format("throughput: {} processes exited non-zero, {} exits not found", bad, missing));
    check(obs.exits == procs, fmt::format("throughput: {} exit records for {} processes", obs.exits.load(), procs));
    check(obs.null_requests == expect,
          fmt::format("throughput: {} null requests seen, {} expected", obs.null_requests.load(), expect));
    progress("throughput: {:.0f} calls/s ({} calls in {:.3f} s)", double(expect) / wall, expect, wall);
    return {{"procs", procs},
            {"calls_per_proc", calls},
            {"calls", expect},
            {"requests_seen", obs.null_requests.load()},
            {"exits", obs.exits.load()},
            {"bad_status", bad},
            {"spawn_s", spawn_s},
            {"wall_s", wall},
            {"calls_per_s", double(expect) / wall}};
  }

  struct FileSet {
    fs::path dir;
    std::vector<uint64_t> checksum;  // by file index
  };

  // One pass: every file read by its own read_file process. `read_only`:
  // the guests read without hashing (arg bit 30), and only the byte counts
  // and exit statuses (0) are checked.
  json files(uint32_t prog, const FileSet& set, uint64_t size, bool read_only) {
    const uint32_t nfiles = static_cast<uint32_t>(set.checksum.size());
    const char* pass = read_only ? "files (read only)" : "files (checksummed)";
    progress("{}: {} read_file processes, {} bytes each", pass, nfiles, size);
    obs.reset();
    // stdout of each process, by pid (the drain thread appends).
    auto out_mu = std::make_shared<std::mutex>();
    auto out = std::make_shared<std::map<uint32_t, std::string>>();
    auto io = std::make_shared<gpuos::io::SpawnIo>();
    io->dirs.push_back({set.dir.string(), ".", true});
    io->output = [out_mu, out](uint32_t pid, bool is_stderr, std::string_view text) {
      std::lock_guard lock(*out_mu);
      (*out)[pid].append(is_stderr ? "[stderr] " : "").append(text);
    };
    const auto t0 = Clock::now();
    const int64_t t0_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t0.time_since_epoch()).count();
    auto r = s.spawn(prog, nfiles, read_only ? kReadOnly : 0, {}, io);
    if (!r) {
      check(false, fmt::format("{}: spawn of {} read_file: {}", pass, nfiles, r.detail()));
      return nullptr;
    }
    const double spawn_s = std::chrono::duration<double>(Clock::now() - t0).count();
    check(r->pids.size() == nfiles, fmt::format("{}: {} of {} read_file processes spawned ({} refused for slots, "
                                                "{} for pages)",
                                                pass, r->pids.size(), nfiles, r->failed_slots, r->failed_pages));
    if (!wait_exits(r->pids.size(), t0, pass)) {
      kill_all(r->pids);
      return nullptr;
    }
    const double wall = double(obs.last_exit_ns.load() - t0_ns) * 1e-9;
    s.release_io(r->io_key);
    // Check every process: its printed line and its exit status.
    uint32_t checked = 0, bad_sum = 0, bad_status = 0, bad_output = 0, pages_peak = 0;
    std::vector<bool> seen(nfiles, false);
    std::string first_bad;
    std::lock_guard lock(*out_mu);
    for (uint32_t pid : r->pids) {
      auto e = s.exits().find(pid);
      if (e) pages_peak = std::max(pages_peak, e->pages_peak);
      const std::string& text = (*out)[pid];
      char name[64] = {};
      unsigned long long bytes = 0, sum = 0;
      unsigned idx = 0;
      if (std::sscanf(text.c_str(), "read_file %63s %llu %llx", name, &bytes, &sum) != 3 ||
          std::sscanf(name, "f%u.bin", &idx) != 1 || idx >= nfiles || seen[idx]) {
        ++bad_output;
        if (first_bad.empty())
          first_bad = fmt::format("pid {}: output '{}', exit {}", pid, text, e ? std::to_string(e->status) : "?");
        continue;
      }
      seen[idx] = true;
      const uint64_t want = read_only ? 0 : set.checksum[idx];
      if (bytes != size || sum != want) {
        ++bad_sum;
        if (first_bad.empty())
          first_bad = fmt::format("pid {} ({}): {} bytes, checksum {:016x}; expected {} bytes, {:016x}", pid, name,
                                  bytes, sum, size, want);
      } else if (!e || e->status != (want & 0x7f)) {
        ++bad_status;
        if (first_bad.empty())
          first_bad = fmt::format("pid {} ({}): exit status {}, expected {}", pid, name,
                                  e ? std::to_string(e->status) : "?", want & 0x7f);
      } else {
        ++checked;
      }
    }
    check(checked == nfiles, fmt::format("{}: {} of {} files checked; {} wrong checksum or size, {} wrong exit "
                                         "status, {} bad output (first: {})",
                                         pass, checked, nfiles, bad_sum, bad_status, bad_output, first_bad));
    if (pages_peak > kReadFilePages)
      progress("note: read_file held {} pages at its peak, more than the {} the arena was sized for", pages_peak,
               kReadFilePages);
    const double total = double(nfiles) * double(size);
    progress("{}: GPU {:.1f} MB/s ({} files in {:.3f} s), {} fd_read requests", pass, total / wall * 1e-6, nfiles,
             wall, obs.read_requests.load());
    return {{"checksummed", !read_only},
            {"procs", r->pids.size()},
            {"spawn_s", spawn_s},
            {"wall_s", wall},
            {"bytes", total},
            {"bytes_per_s", total / wall},
            {"mb_per_s", total / wall * 1e-6},
            {"fd_read_requests", obs.read_requests.load()},
            {"path_open_requests", obs.open_requests.load()},
            {"other_requests", obs.other_requests.load()},
            {"pages_peak", pages_peak},
            {"checked", checked},
            {"bad_checksum", bad_sum},
            {"bad_status", bad_status},
            {"bad_output", bad_output}};
  }
};

// ---- files and the CPU peer --------------------------------------------------------

// Creates the files; false (with a message) on an I/O error.
bool make_files(Bench::FileSet& set, const fs::path& base, uint32_t nfiles, uint64_t size) {
  std::string tmpl = (base / "gpuos-bench-io-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) {
    std::fprintf(stderr, "cannot create a temp dir under %s: %s\n", base.c_str(), std::strerror(errno));
    return false;
  }
  set.dir = tmpl;
  set.checksum.resize(nfiles);
  std::vector<uint8_t> buf(size);
  for (uint32_t i = 0; i < nfiles; ++i) {
    fill_file(buf, i);
    uint64_t h = kFnvOffset;
    for (size_t off = 0; off < size; off += kChunk) h = fnv1a64_words(h, buf.data() + off, std::min<size_t>(kChunk, size - off));
    set.checksum[i] = h;
    const fs::path p = set.dir / fmt::format("f{}.bin", i);
    const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    size_t done = 0;
    while (fd >= 0 && done < size) {
      const ssize_t w = ::write(fd, buf.data() + done, size - done);
      if (w <= 0) break;
      done += size_t(w);
    }
    if (fd < 0 || done != size || ::close(fd) != 0) {
      std::fprintf(stderr, "cannot write %s: %s\n", p.c_str(), std::strerror(errno));
      return false;
    }
  }
  return true;
}

struct PeerResult {
  double wall_s = 0;
  uint32_t bad = 0;
};

PeerResult cpu_read_files(const Bench::FileSet& set, uint64_t size, unsigned threads) {
  const uint32_t nfiles = static_cast<uint32_t>(set.checksum.size());
  std::atomic<uint32_t> next{0}, bad{0};
  const auto t0 = Clock::now();
  std::vector<std::thread> ts;
  for (unsigned t = 0; t < threads; ++t) {
    ts.emplace_back([&] {
      std::vector<uint8_t> buf(kChunk);
      for (uint32_t i; (i = next.fetch_add(1)) < nfiles;) {
        const std::string p = (set.dir / fmt::format("f{}.bin", i)).string();
        const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
          ++bad;
          continue;
        }
        uint64_t h = kFnvOffset;
        uint64_t off = 0;
        bool err = false;
        for (;;) {
          size_t filled = 0;
          while (filled < kChunk) {
            const ssize_t r = ::pread(fd, buf.data() + filled, kChunk - filled, off_t(off + filled));
            if (r < 0) err = true;
            if (r <= 0) break;
            filled += size_t(r);
          }
          if (filled == 0 || err) break;
          h = fnv1a64_words(h, buf.data(), filled);
          off += filled;
          if (filled < kChunk) break;
        }
        ::close(fd);
        if (err || off != size || h != set.checksum[i]) ++bad;
      }
    });
  }
  for (auto& t : ts) t.join();
  return {std::chrono::duration<double>(Clock::now() - t0).count(), bad.load()};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gpuos_bench_io: null system call round trip, calls/s, file-reading throughput"};
  std::string mode = "all";
  uint32_t lat_calls = 0, lat_warmup = UINT32_MAX, tp_procs = 0, tp_calls = 0, nfiles = 1000;
  uint64_t file_size = 0;
  unsigned cpu_threads = std::max(1u, std::thread::hardware_concurrency());
  double timeout_s = 300;
  std::string guests = GPUOS_GUEST_DIR;
  std::string tmp_base;
  bool keep_files = false, as_json = false, read_only_pass = true;
  gpuos::BootOptions o;
  app.add_option("--mode", mode, "latency, throughput, files or all")
      ->check(CLI::IsMember({"latency", "throughput", "files", "all"}));
  app.add_option("--calls", lat_calls, "latency: null calls of the one process (default 20000; lavapipe 2000)")
      ->check(CLI::Range(2u, kMaxCalls));
  app.add_option("--warmup", lat_warmup, "latency: first intervals not counted (default 100; lavapipe 20)");
  app.add_option("--procs", tp_procs, "throughput: null_call processes (default 4096; lavapipe 64)")
      ->check(CLI::Range(1u, 1u << 24));
  app.add_option("--proc-calls", tp_calls, "throughput: null calls per process (default 1000; lavapipe 100)")
      ->check(CLI::Range(1u, kMaxCalls));
  app.add_option("--files", nfiles, "files: files and read_file processes")->check(CLI::Range(1u, 1u << 24));
  app.add_option("--file-size", file_size, "files: bytes per file (default 1 MiB; lavapipe 64 KiB)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 32));
  app.add_option("--cpu-threads", cpu_threads, "files: threads of the CPU peer (default: all cores)")
      ->check(CLI::Range(1u, 4096u));
  app.add_option("--tmpdir", tmp_base, "files: where to make the temp dir (default $TMPDIR or /tmp)");
  app.add_flag("--keep-files", keep_files, "files: leave the temp dir in place");
  app.add_flag("!--no-read-only-pass", read_only_pass, "files: skip the second GPU pass (read without hashing)");
  app.add_option("--device", o.device, "Vulkan device index");
  app.add_option("--workgroups", o.workgroups, "kernel workgroups of 64 lanes (0: sized to the device)");
  app.add_flag("--profile", o.profile,
               "use the kernel that counts where lane time goes, and print the shares for latency and throughput");
  app.add_flag("--epoch", o.force_epoch, "force epoch mode");
  app.add_option("--proc-slots", o.proc_slots, "process-table slots (0: the device's default)");
  app.add_option("--arena-mib", o.arena_mib,
                 "page arena (0: the device's default, raised to fit --files read_file processes)");
  app.add_option("--io-slots", o.io_slots, "request slots (0: the device's default)");
  app.add_option("--quantum", o.quantum, "ticks per quantum (0: the device's default)");
  app.add_option("--guests", guests, "directory of the guest .wasm files");
  app.add_option("--timeout", timeout_s, "seconds each phase may take")->check(CLI::PositiveNumber);
  app.add_flag("--json", as_json, "print one JSON object on stdout");
  app.add_flag("-q,--quiet", g_quiet, "no progress on stderr");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::warn);

  const bool all = mode == "all";
  const bool do_lat = all || mode == "latency", do_tp = all || mode == "throughput", do_files = all || mode == "files";

  auto booted = gpuos::Session::boot(o);
  if (!booted) {
    std::fprintf(stderr, "boot failed: %s\n", booted.detail().c_str());
    return 2;
  }
  std::unique_ptr<gpuos::Session> session = std::move(booted.value());
  // read_file needs kReadFilePages pages at its peak; F of them at once may
  // not fit the device's default arena (lavapipe: 128 MiB, 2,048 pages).
  // Without --arena-mib, reboot with one that fits.
  if (do_files) {
    auto snap = session->snapshot();
    const uint64_t need = uint64_t{nfiles} * kReadFilePages + kPageMargin;
    if (snap && snap->header.arena_pages < need) {
      if (o.arena_mib) {
        std::fprintf(stderr, "--arena-mib %u holds %u pages; %u read_file processes need about %llu: raise it\n",
                     o.arena_mib, snap->header.arena_pages, nfiles, (unsigned long long)need);
        return 2;
      }
      o.arena_mib = static_cast<uint32_t>((need * 65536 + (1u << 20) - 1) >> 20);
      progress("files: the default arena holds {} pages and {} read_file processes need about {}: booting again "
               "with --arena-mib {}",
               snap->header.arena_pages, nfiles, need, o.arena_mib);
      session.reset();
      auto again = gpuos::Session::boot(o);
      if (!again) {
        std::fprintf(stderr, "boot with --arena-mib %u failed: %s\n", o.arena_mib, again.detail().c_str());
        return 2;
      }
      session = std::move(again.value());
    }
  }
  auto& s = *session;
  Observer obs;
  s.set_record_observer([&obs](std::span<const gpuos::io::DebugRecord> b) { obs(b); });  // before any spawn
  const auto st = s.status();
  const auto& dev = s.context().info();
  const bool lvp = dev.is_lavapipe();
  if (!lat_calls) lat_calls = lvp ? 2000 : 20000;
  if (lat_warmup == UINT32_MAX) lat_warmup = lvp ? 20 : 100;
  lat_warmup = std::min(lat_warmup, lat_calls - 2);
  if (!tp_procs) tp_procs = lvp ? 64 : 4096;
  if (!tp_calls) tp_calls = lvp ? 100 : 1000;
  if (!file_size) file_size = lvp ? 64 * 1024 : 1024 * 1024;
  progress("device {} ({}), {} mode, {} workgroups, {} lanes; I/O backend {}", st.device_name, lvp ? "lavapipe" : "GPU",
           gpuos::to_string(s.mode()), st.workgroups, st.lanes, s.io_backend_description());

  json out = {{"schema", 1},
              {"benchmark", "io"},
              {"date", gpuos::bench::utc_now()},
              {"device", {{"name", st.device_name}, {"index", dev.index}, {"lavapipe", lvp}, {"driver", dev.driver_info},
                          {"mode", gpuos::to_string(s.mode())}, {"workgroups", st.workgroups}, {"lanes", st.lanes}}},
              {"io_backend", s.io_backend_description()},
              {"host", {{"cpus", std::thread::hardware_concurrency()}}},
              {"options", {{"mode", mode}, {"calls", lat_calls}, {"warmup", lat_warmup}, {"procs", tp_procs},
                           {"proc_calls", tp_calls}, {"files", nfiles}, {"file_size", file_size},
                           {"cpu_threads", cpu_threads}, {"timeout_s", timeout_s}, {"arena_mib", o.arena_mib},
                           {"proc_slots", o.proc_slots}, {"io_slots", o.io_slots}, {"quantum", o.quantum},
                           {"read_only_pass", read_only_pass}}},
              {"units", {{"round_trip", "microseconds between consecutive null requests of one process, as the "
                                        "host's drain thread sees them"},
                         {"calls_per_s", "null calls / seconds from the first spawn() call to the last exit record"},
                         {"mb_per_s", "10^6 bytes of file contents / seconds from spawn() to the last exit record"}}},
              {"targets", {{"round_trip_p50_us", 10}, {"calls_per_s", 1e6}}},
              {"latency", nullptr},
              {"throughput", nullptr},
              {"files", nullptr}};

  Bench b{s, obs, guests, timeout_s};
  int setup_failure = 0;
  const uint32_t null_prog = (do_lat || do_tp) ? b.load("null_call") : 0;
  const uint32_t read_prog = do_files ? b.load("read_file") : 0;
  if (null_prog == UINT32_MAX || read_prog == UINT32_MAX) setup_failure = 2;

  // With --profile, a phase's lane-time shares, from snapshots around it.
  if (!setup_failure && do_lat) {
    out["latency"] = gpuos::bench::profiled(s, o.profile, [&] { return b.latency(null_prog, lat_calls, lat_warmup); });
  }
  if (!setup_failure && do_tp && !b.timed_out) {
    out["throughput"] = gpuos::bench::profiled(s, o.profile, [&] { return b.throughput(null_prog, tp_procs, tp_calls); });
  }
  Bench::FileSet set;
  if (!setup_failure && do_files && !b.timed_out) {
    if (tmp_base.empty()) tmp_base = std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp";
    progress("files: writing {} files of {} bytes under {}", nfiles, file_size, tmp_base);
    if (!make_files(set, tmp_base, nfiles, file_size)) {
      setup_failure = 2;
    } else {
      json f = {{"files", nfiles}, {"file_size", file_size}, {"dir", set.dir.string()}};
      f["gpu"] = b.files(read_prog, set, file_size, false);
      if (read_only_pass && !b.timed_out) f["gpu_read_only"] = b.files(read_prog, set, file_size, true);
      if (!b.timed_out) {
        const PeerResult peer = cpu_read_files(set, file_size, cpu_threads);
        const double total = double(nfiles) * double(file_size);
        b.check(peer.bad == 0, fmt::format("files: the CPU peer got {} files wrong", peer.bad));
        progress("files: CPU peer {:.1f} MB/s on {} threads ({:.3f} s)", total / peer.wall_s * 1e-6, cpu_threads,
                 peer.wall_s);
        f["cpu_peer"] = {{"threads", cpu_threads}, {"wall_s", peer.wall_s}, {"bytes_per_s", total / peer.wall_s},
                         {"mb_per_s", total / peer.wall_s * 1e-6}, {"bad_checksum", peer.bad}};
      }
      out["files"] = f;
    }
  }
  if (b.timed_out) progress("a phase timed out: the phases after it were skipped");
  s.shutdown();
  if (!set.dir.empty() && !keep_files) {
    std::error_code ec;
    fs::remove_all(set.dir, ec);
  }

  const bool ok = b.ok && !setup_failure;
  out["ok"] = ok;
  out["failures"] = b.failures;
  if (!b.diagnosis.is_null()) out["diagnosis"] = b.diagnosis;
  if (!lvp) {
    json met = json::object();
    if (out["latency"].is_object()) met["round_trip_p50"] = out["latency"]["round_trip"]["p50_us"].get<double>() <= 10;
    if (out["throughput"].is_object()) met["calls_per_s"] = out["throughput"]["calls_per_s"].get<double>() >= 1e6;
    out["targets_met"] = met;
  }

  if (as_json) {
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::printf("gpuos_bench_io  %s  device %s (%s mode, %u lanes)%s\n", out["date"].get<std::string>().c_str(),
                st.device_name.c_str(), gpuos::to_string(s.mode()), st.lanes,
                lvp ? "  [lavapipe: for regressions only, not a speed claim]" : "");
    if (const json& l = out["latency"]; l.is_object()) {
      const json& r = l["round_trip"];
      std::printf("latency     null call round trip, 1 process, %u calls (%zu intervals after %u warm-up):\n"
                  "            p50 %.2f us  p90 %.2f us  p99 %.2f us  mean %.2f us  min %.2f  max %.2f  (target p50 <= 10 us)\n"
                  "            overall %.0f calls/s (%.3f s from spawn to exit)\n",
                  lat_calls, r["count"].get<size_t>(), lat_warmup, r["p50_us"].get<double>(), r["p90_us"].get<double>(),
                  r["p99_us"].get<double>(), r["mean_us"].get<double>(), r["min_us"].get<double>(),
                  r["max_us"].get<double>(), l["calls_per_s"].get<double>(), l["wall_s"].get<double>());
    }
    if (const json& t = out["throughput"]; t.is_object()) {
      std::printf("throughput  %.0f null calls/s: %u processes x %u calls in %.3f s (target >= 1000000/s)\n",
                  t["calls_per_s"].get<double>(), tp_procs, tp_calls, t["wall_s"].get<double>());
    }
    if (const json& f = out["files"]; f.is_object() && f["gpu"].is_object()) {
      const json& g = f["gpu"];
      std::printf("files       %u files x %llu bytes, one read_file process each:\n"
                  "            GPU, checksummed  %10.1f MB/s (%.3f s, %llu fd_read requests)\n",
                  nfiles, (unsigned long long)file_size, g["mb_per_s"].get<double>(), g["wall_s"].get<double>(),
                  (unsigned long long)g["fd_read_requests"].get<uint64_t>());
      if (const json& ro = f.value("gpu_read_only", json()); ro.is_object())
        std::printf("            GPU, read only    %10.1f MB/s (%.3f s, %llu fd_read requests)\n",
                    ro["mb_per_s"].get<double>(), ro["wall_s"].get<double>(),
                    (unsigned long long)ro["fd_read_requests"].get<uint64_t>());
      if (f.contains("cpu_peer"))
        std::printf("            CPU peer          %10.1f MB/s (%.3f s, %u threads, checksummed)\n",
                    f["cpu_peer"]["mb_per_s"].get<double>(), f["cpu_peer"]["wall_s"].get<double>(), cpu_threads);
    }
    for (const char* m : {"latency", "throughput"}) {
      if (out[m].is_object() && out[m].contains("profile")) gpuos::bench::print_profile(m, out[m]["profile"]);
    }
    std::printf("checks: %s\n", ok ? "all passed" : "FAILED");
  }
  if (setup_failure) return setup_failure;
  return ok ? 0 : 1;
}

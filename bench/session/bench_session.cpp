// gpuos_bench_session: the session foundation's benchmark.
//
// For each kernel mode (live, epoch) it boots a gpuos::Session and measures
//   1. the mailbox round trip: Session::ping, one OP_PING per call, after a
//      warm-up; p50/p90/p99/max in microseconds;
//   2. debug-ring drain throughput: one OP_EMIT of M RECORD_PATTERN records,
//      timed from the emit() call to its return (emit returns once the host
//      has drained every record). The record observer checks EVERY record:
//      kind, length, payload == pattern, and each index 0..M-1 seen exactly
//      once (a bitmap). Any wrong, duplicated or missing record fails the run;
//   3. boot time (Session::boot) and shutdown latency (what shutdown()
//      returns: the time to stop the kernel).
// bench/README.md says how to run it and what is counted.
//
// Exit codes: 0 all figures measured and every record accounted for;
// 1 a measurement failed (bad/duplicate/missing records, ping or emit error,
// session failure); 2 boot failed or a bad argument.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "bench/bench_clock.h"
#include "bench/bench_stats.h"
#include "kernel/session.h"
#include "shaders/abi.h"

namespace {

using Clock = std::chrono::steady_clock;
using gpuos::abi::RING_PAYLOAD_WORDS;
using json = nlohmann::json;

constexpr uint32_t kPatternMul = 0x9E3779B1u;  // abi.h: payload[j] = index * 0x9E3779B1 + j
constexpr uint64_t kRecordBytes = sizeof(gpuos::abi::RingRecord);       // 128
constexpr uint64_t kPayloadBytes = RING_PAYLOAD_WORDS * sizeof(uint32_t);  // 112
static_assert(kRecordBytes == 128 && kPayloadBytes == 112);

// The multiplier is odd, so it has an inverse mod 2^32: index = payload[0] * inverse.
constexpr uint32_t inverse_mod_2_32(uint32_t a) {
  uint32_t x = a;  // correct to 3 bits for odd a; each Newton step doubles that
  for (int i = 0; i < 5; ++i) x *= 2u - a * x;
  return x;
}
constexpr uint32_t kPatternInv = inverse_mod_2_32(kPatternMul);
static_assert(kPatternMul * kPatternInv == 1u);

// ---- options -----------------------------------------------------------------

struct Options {
  std::string mode = "both";
  uint32_t pings = 10000;
  uint32_t ping_warmup = 200;
  uint32_t records = 2000000;
  uint32_t emit_warmup = 65536;
  uint32_t ring = 65536;
  std::optional<uint32_t> device;
  uint32_t workgroups = 0;
  uint32_t timeout_s = 600;
  bool json = false;
  bool quiet = false;
};

// ---- record verification (runs on the session's drain thread) ----------------

// Checks every record of one emit job of `expected` PATTERN records. The
// drain thread is the only writer; the main thread reads the figures after
// emit() returned, which happens after the drain thread published its
// position (Session::emit waits on that atomic), so no lock is needed.
class Verifier {
 public:
  explicit Verifier(uint32_t expected) : expected_(expected), bits_((uint64_t(expected) + 63) / 64, 0) {}

  void check(std::span<const gpuos::io::DebugRecord> batch) {
    for (const gpuos::io::DebugRecord& r : batch) {
      ++received_;
      if (r.kind != gpuos::abi::RECORD_PATTERN) {
        note_bad(r, fmt::format("kind {} ({}), want pattern", r.kind, gpuos::io::record_kind_name(r.kind)));
        ++wrong_kind_;
        continue;
      }
      const uint32_t index = r.payload[0] * kPatternInv;
      bool payload_ok = r.len == kPayloadBytes;
      for (uint32_t j = 0; j < RING_PAYLOAD_WORDS && payload_ok; ++j) {
        payload_ok = r.payload[j] == index * kPatternMul + j;
      }
      if (!payload_ok) {
        note_bad(r, fmt::format("payload does not match the pattern (len {}, word0 0x{:08x}, word1 0x{:08x})",
                                r.len, r.payload[0], r.payload[1]));
        ++corrupt_;
        continue;
      }
      if (index >= expected_) {
        note_bad(r, fmt::format("index {} out of range 0..{}", index, expected_ - 1));
        ++out_of_range_;
        continue;
      }
      uint64_t& word = bits_[index >> 6];
      const uint64_t bit = uint64_t(1) << (index & 63);
      if (word & bit) {
        note_bad(r, fmt::format("index {} seen twice", index));
        ++duplicates_;
        continue;
      }
      word |= bit;
      ++unique_;
    }
    progress_.fetch_add(batch.size(), std::memory_order_relaxed);
  }

  uint32_t expected() const { return expected_; }
  uint64_t received() const { return received_; }
  uint64_t unique() const { return unique_; }
  uint64_t duplicates() const { return duplicates_; }
  uint64_t corrupt() const { return corrupt_; }
  uint64_t wrong_kind() const { return wrong_kind_; }
  uint64_t out_of_range() const { return out_of_range_; }
  uint64_t missing() const { return expected_ - unique_; }
  uint64_t progress() const { return progress_.load(std::memory_order_relaxed); }
  const std::vector<std::string>& first_errors() const { return first_errors_; }
  bool ok() const {
    return unique_ == expected_ && received_ == expected_ && duplicates_ == 0 && corrupt_ == 0 &&
           wrong_kind_ == 0 && out_of_range_ == 0;
  }
  // The lowest indices never seen, for the failure message.
  std::vector<uint32_t> first_missing(size_t n) const {
    std::vector<uint32_t> out;
    for (uint64_t i = 0; i < expected_ && out.size() < n; ++i) {
      if (!(bits_[i >> 6] & (uint64_t(1) << (i & 63)))) out.push_back(static_cast<uint32_t>(i));
    }
    return out;
  }

 private:
  void note_bad(const gpuos::io::DebugRecord& r, std::string what) {
    if (first_errors_.size() < 8) {
      first_errors_.push_back(fmt::format("ring position {} (lane {}): {}", r.seq, r.lane, what));
    }
  }

  uint32_t expected_;
  std::vector<uint64_t> bits_;
  uint64_t received_ = 0, unique_ = 0, duplicates_ = 0, corrupt_ = 0, wrong_kind_ = 0, out_of_range_ = 0;
  std::atomic<uint64_t> progress_{0};
  std::vector<std::string> first_errors_;
};

// ---- figures -----------------------------------------------------------------

using gpuos::bench::LatencyStats;
using gpuos::bench::latency_stats;

struct RunResult {
  std::string requested_mode;
  bool booted = false;
  bool ok = false;
  std::vector<std::string> errors;

  std::string mode;  // the mode the session actually runs in
  std::string mode_reason;
  uint32_t workgroups = 0, lanes = 0;
  std::string control_memory, ring_memory;
  double boot_ms = 0;

  bool ping_done = false;
  uint32_t ping_warmup = 0;
  LatencyStats ping;

  bool ring_done = false;
  uint32_t ring_capacity = 0;
  uint32_t emit_warmup = 0;
  bool emit_warmup_ok = false;
  uint32_t records = 0;
  uint32_t emitted = 0, dropped = 0;
  double drain_s = 0;
  uint64_t received = 0, unique = 0, duplicates = 0, missing = 0, corrupt = 0, wrong_kind = 0, out_of_range = 0;
  uint64_t ring_drops_total = 0;
  uint32_t job_span = 0;  // emit.end advance: the positions the kernel's job covered

  bool shutdown_done = false;
  double shutdown_us = 0;       // Session::shutdown()'s return value
  double shutdown_call_us = 0;  // the whole call, threads joined

  double records_per_s() const { return drain_s > 0 ? double(unique) / drain_s : 0; }
  double record_mb_per_s() const { return records_per_s() * double(kRecordBytes) / 1e6; }
  double payload_mb_per_s() const { return records_per_s() * double(kPayloadBytes) / 1e6; }
};

// ---- helpers -------------------------------------------------------------------

bool g_quiet = false;
bool g_tty = false;

template <typename... Args>
void progress(fmt::format_string<Args...> f, Args&&... args) {
  if (g_quiet) return;
  std::string s = fmt::format(f, std::forward<Args>(args)...);
  std::fprintf(stderr, "%s%s", s.c_str(), g_tty ? "\x1b[K\r" : "\n");
  std::fflush(stderr);
}
void progress_done() {
  if (!g_quiet && g_tty) std::fprintf(stderr, "\n");
}

template <typename... Args>
void note(fmt::format_string<Args...> f, Args&&... args) {
  std::string s = fmt::format(f, std::forward<Args>(args)...);
  std::fprintf(stderr, "gpuos_bench_session: %s\n", s.c_str());
}

using gpuos::bench::utc_now;

struct DeviceFacts {
  std::string name, type, driver_name, driver_info, api;
  uint32_t index = 0, vendor_id = 0, device_id = 0;
  bool lavapipe = false;
  bool known = false;
};

// Prints the drain's progress every second while the emit runs.
class DrainProgress {
 public:
  DrainProgress(const Verifier& v, const char* mode) : v_(v), mode_(mode) {
    if (!g_quiet) thread_ = std::thread([this] { run(); });
  }
  ~DrainProgress() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void run() {
    const auto t0 = Clock::now();
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stop_; })) {
      const double s = std::chrono::duration<double>(Clock::now() - t0).count();
      const uint64_t n = v_.progress();
      progress("[{}] ring drain: {}/{} records ({:.0f}%), {:.1f} s", mode_, n, v_.expected(),
               100.0 * double(n) / double(std::max<uint32_t>(1, v_.expected())), s);
    }
  }
  const Verifier& v_;
  const char* mode_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

// What the kernel's own counters say about one emit job: the job's span of
// cursor positions must equal the records asked for, and the ring head must
// have advanced by at least that (pads come on top).
std::string job_counters(const gpuos::SessionStatus& before, const gpuos::SessionStatus& after, uint32_t asked) {
  return fmt::format("kernel counters: emit job span {} positions for {} records (emit.end {} -> {}, cursor {}, "
                     "done {}), ring head advanced {}, host drained {} positions",
                     after.emit_end - before.emit_end, asked, before.emit_end, after.emit_end, after.emit_cursor,
                     after.emit_done, after.ring_head - before.ring_head, after.ring_position - before.ring_position);
}

// ---- one mode -------------------------------------------------------------------

RunResult run_mode(const Options& opt, bool epoch, DeviceFacts& dev, int& boot_failures) {
  RunResult res;
  res.requested_mode = epoch ? "epoch" : "live";
  const char* tag = epoch ? "epoch" : "live";
  auto fail_run = [&](std::string why) {
    note("[{}] {}", tag, why);
    res.errors.push_back(std::move(why));
  };

  gpuos::BootOptions bo;
  bo.device = opt.device;
  bo.force_epoch = epoch;
  bo.workgroups = opt.workgroups;
  bo.ring_capacity = opt.ring;

  progress("[{}] booting (ring {} records)", tag, opt.ring);
  progress_done();
  const auto tb0 = Clock::now();
  auto booted = gpuos::Session::boot(bo);
  const auto tb1 = Clock::now();
  if (!booted) {
    fail_run(fmt::format("boot failed: {}: {}", gpuos::to_string(booted.code()), booted.detail()));
    ++boot_failures;
    return res;
  }
  res.booted = true;
  res.boot_ms = std::chrono::duration<double, std::milli>(tb1 - tb0).count();
  gpuos::Session& s = *booted.value();

  {
    const gpuos::SessionStatus st = s.status();
    const gpuos::vk::DeviceInfo& d = s.context().info();
    res.mode = gpuos::to_string(s.mode());
    res.mode_reason = st.mode_reason;
    res.workgroups = st.workgroups;
    res.lanes = st.lanes;
    res.control_memory = st.control_memory;
    res.ring_memory = st.ring_memory;
    res.ring_capacity = st.ring_capacity;
    if (!dev.known) {
      dev.known = true;
      dev.name = d.name;
      dev.type = gpuos::vk::device_type_name(d.type);
      dev.index = d.index;
      dev.vendor_id = d.vendor_id;
      dev.device_id = d.device_id;
      dev.driver_name = d.driver_name;
      dev.driver_info = d.driver_info;
      dev.api = fmt::format("{}.{}.{}", d.api_version >> 22, (d.api_version >> 12) & 0x3FF, d.api_version & 0xFFF);
      dev.lavapipe = d.is_lavapipe();
    }
  }
  if (!epoch && s.mode() != gpuos::KernelMode::Live) {
    note("[live] the session fell back to epoch mode ({}); the 'live' column measures epoch mode", res.mode_reason);
  }
  progress("[{}] booted in {:.1f} ms: {} mode, {} workgroups, {} lanes", tag, res.boot_ms, res.mode, res.workgroups,
           res.lanes);
  progress_done();

  // Every drained batch goes to the verifier of the phase in progress. Set
  // before any record exists: the drain thread reads the observer unlocked.
  std::atomic<Verifier*> current{nullptr};
  std::atomic<uint64_t> stray{0};  // records drained outside an emit phase
  s.set_record_observer([&](std::span<const gpuos::io::DebugRecord> batch) {
    if (Verifier* v = current.load(std::memory_order_acquire)) {
      v->check(batch);
    } else {
      stray.fetch_add(batch.size(), std::memory_order_relaxed);
    }
  });
  const auto timeout = std::chrono::milliseconds(uint64_t(opt.timeout_s) * 1000);
  // The verifiers live until the session is shut down: after a failed emit
  // the drain thread may still be inside one when the phase gives up.
  std::unique_ptr<Verifier> warm_verifier, verifier;

  // 1. Mailbox round trip.
  do {
    progress("[{}] ping warm-up: {} pings", tag, opt.ping_warmup);
    if (opt.ping_warmup) {
      auto w = s.ping(opt.ping_warmup, timeout);
      if (!w) {
        fail_run(fmt::format("ping warm-up failed: {}: {}", gpuos::to_string(w.code()), w.detail()));
        break;
      }
    }
    res.ping_warmup = opt.ping_warmup;
    std::vector<double> rt;
    rt.reserve(opt.pings);
    const uint32_t chunk = std::max<uint32_t>(1, opt.pings / 20);
    bool ping_ok = true;
    auto shown = Clock::now();
    while (rt.size() < opt.pings) {
      const uint32_t n = std::min<uint32_t>(chunk, opt.pings - static_cast<uint32_t>(rt.size()));
      auto p = s.ping(n, timeout);
      if (!p) {
        fail_run(fmt::format("ping failed after {} of {}: {}: {}", rt.size(), opt.pings, gpuos::to_string(p.code()),
                             p.detail()));
        ping_ok = false;
        break;
      }
      rt.insert(rt.end(), p->round_trip_us.begin(), p->round_trip_us.end());
      if (Clock::now() - shown >= std::chrono::seconds(1) || rt.size() == opt.pings) {
        progress("[{}] ping: {}/{}", tag, rt.size(), opt.pings);
        shown = Clock::now();
      }
    }
    progress_done();
    if (!ping_ok) break;
    res.ping = latency_stats(std::move(rt));
    res.ping_done = true;
  } while (false);

  // 2. Debug-ring drain: a warm-up job, then the measured one; both verified.
  do {
    if (s.failed()) break;
    res.records = opt.records;
    res.emit_warmup = std::min(opt.emit_warmup, opt.records);
    if (res.emit_warmup) {
      progress("[{}] ring warm-up: {} records", tag, res.emit_warmup);
      progress_done();
      warm_verifier = std::make_unique<Verifier>(res.emit_warmup);
      Verifier& wv = *warm_verifier;
      const gpuos::SessionStatus before = s.status();
      current.store(&wv, std::memory_order_release);
      auto e = s.emit(res.emit_warmup, gpuos::abi::RECORD_PATTERN, 0, timeout);
      current.store(nullptr, std::memory_order_release);
      const gpuos::SessionStatus after = s.status();
      if (!e) {
        fail_run(fmt::format("ring warm-up emit failed: {}: {}", gpuos::to_string(e.code()), e.detail()));
        break;
      }
      res.emit_warmup_ok = wv.ok() && e->emitted == res.emit_warmup && e->dropped == 0;
      if (!res.emit_warmup_ok) {
        fail_run(fmt::format("ring warm-up: {} records: emitted {}, dropped {}, received {}, unique {}, duplicates {}, "
                             "corrupt {}, wrong kind {}, out of range {}",
                             res.emit_warmup, e->emitted, e->dropped, wv.received(), wv.unique(), wv.duplicates(),
                             wv.corrupt(), wv.wrong_kind(), wv.out_of_range()));
        note("[{}]   {}", tag, job_counters(before, after, res.emit_warmup));
        for (const std::string& m : wv.first_errors()) note("[{}]   {}", tag, m);
      }
    }

    verifier = std::make_unique<Verifier>(opt.records);
    Verifier& v = *verifier;
    const gpuos::SessionStatus before = s.status();
    current.store(&v, std::memory_order_release);
    progress("[{}] ring drain: emitting {} pattern records", tag, opt.records);
    gpuos::Result<gpuos::EmitResult, gpuos::SessionError> e = gpuos::EmitResult{};
    double wall = 0;
    {
      DrainProgress shown(v, tag);
      const auto t0 = Clock::now();
      e = s.emit(opt.records, gpuos::abi::RECORD_PATTERN, 0, timeout);
      const auto t1 = Clock::now();
      wall = std::chrono::duration<double>(t1 - t0).count();
    }
    current.store(nullptr, std::memory_order_release);
    progress_done();
    res.drain_s = wall;
    res.received = v.received();
    res.unique = v.unique();
    res.duplicates = v.duplicates();
    res.missing = v.missing();
    res.corrupt = v.corrupt();
    res.wrong_kind = v.wrong_kind();
    res.out_of_range = v.out_of_range();
    const gpuos::SessionStatus after = s.status();
    res.ring_drops_total = after.ring_drops;
    res.job_span = after.emit_end - before.emit_end;
    if (!e) {
      fail_run(fmt::format("emit of {} records failed after {:.2f} s: {}: {} (verified so far {}/{})", opt.records,
                           wall, gpuos::to_string(e.code()), e.detail(), v.unique(), opt.records));
      break;
    }
    res.emitted = e->emitted;
    res.dropped = e->dropped;
    res.ring_done = true;
    if (e->emitted != opt.records || e->dropped != 0) {
      fail_run(fmt::format("the kernel reports {} emitted and {} dropped of {}", e->emitted, e->dropped, opt.records));
    }
    if (res.job_span != opt.records) {
      fail_run(fmt::format("the kernel's emit job spans {} positions, not the {} records asked for (emit.end moved "
                           "{} -> {})",
                           res.job_span, opt.records, before.emit_end, after.emit_end));
    }
    if (!v.ok()) {
      fail_run(fmt::format("ring drain: verified {}/{}, duplicates {}, missing {}, corrupt {}, wrong kind {}, "
                           "out of range {}",
                           v.unique(), opt.records, v.duplicates(), v.missing(), v.corrupt(), v.wrong_kind(),
                           v.out_of_range()));
      note("[{}]   {}", tag, job_counters(before, after, opt.records));
      for (const std::string& m : v.first_errors()) note("[{}]   {}", tag, m);
      if (v.missing()) {
        std::string list;
        for (uint32_t i : v.first_missing(8)) list += fmt::format(" {}", i);
        note("[{}]   first missing indices:{}", tag, list);
      }
    }
    if (res.ring_drops_total != 0) {
      fail_run(fmt::format("the control block counts {} dropped records", res.ring_drops_total));
    }
  } while (false);

  if (const uint64_t n = stray.load()) {
    fail_run(fmt::format("{} records were drained outside an emit (none expected)", n));
  }
  if (s.failed()) fail_run(fmt::format("the session failed: {}", s.failure()));

  // 3. Shutdown latency.
  progress("[{}] shutting down", tag);
  progress_done();
  const auto ts0 = Clock::now();
  const std::chrono::microseconds stopped = s.shutdown();
  const auto ts1 = Clock::now();
  res.shutdown_us = double(stopped.count());
  res.shutdown_call_us = std::chrono::duration<double, std::micro>(ts1 - ts0).count();
  res.shutdown_done = true;
  s.set_record_observer(nullptr);  // threads are joined: nothing reads it now

  res.ok = res.errors.empty() && res.ping_done && res.ring_done;
  return res;
}

// ---- output -----------------------------------------------------------------------

json to_json(const Options& opt, const DeviceFacts& dev, const std::vector<RunResult>& runs, const std::string& date,
             bool ok) {
  json j;
  j["schema"] = 1;
  j["benchmark"] = "session";
  j["date"] = date;
  j["ok"] = ok;
  j["device"] = dev.known ? json{{"name", dev.name},
                                 {"type", dev.type},
                                 {"index", dev.index},
                                 {"vendor_id", dev.vendor_id},
                                 {"device_id", dev.device_id},
                                 {"api_version", dev.api},
                                 {"lavapipe", dev.lavapipe}}
                          : json(nullptr);
  j["driver"] = dev.known ? json{{"name", dev.driver_name}, {"info", dev.driver_info}} : json(nullptr);
  j["options"] = {{"mode", opt.mode},
                  {"pings", opt.pings},
                  {"ping_warmup", opt.ping_warmup},
                  {"records", opt.records},
                  {"emit_warmup", opt.emit_warmup},
                  {"ring_capacity", opt.ring},
                  {"workgroups", opt.workgroups},
                  {"timeout_s", opt.timeout_s}};
  j["units"] = {{"latency", "microseconds"},
                {"MB", "10^6 bytes"},
                {"record_bytes", kRecordBytes},
                {"payload_bytes", kPayloadBytes},
                {"drain_wall", "seconds from the emit() call to its return; emit returns after the host drained "
                               "every record"}};
  j["targets"] = {{"device", "NVIDIA H100"},
                  {"ping_p50_us_max_live", 5.0},
                  {"ring_drain_gb_per_s_min", 1.0},
                  {"ring_drain_bytes", "full 128-byte records"}};
  json arr = json::array();
  for (const RunResult& r : runs) {
    json m;
    m["requested_mode"] = r.requested_mode;
    m["ok"] = r.ok;
    m["errors"] = r.errors;
    m["booted"] = r.booted;
    if (r.booted) {
      m["mode"] = r.mode;
      m["mode_reason"] = r.mode_reason;
      m["workgroups"] = r.workgroups;
      m["lanes"] = r.lanes;
      m["control_memory"] = r.control_memory;
      m["ring_memory"] = r.ring_memory;
      m["boot_ms"] = r.boot_ms;
    }
    m["ping"] = r.ping_done ? json{{"warmup", r.ping_warmup}, {"count", r.ping.count}, {"min_us", r.ping.min},
                                   {"mean_us", r.ping.mean}, {"p50_us", r.ping.p50},   {"p90_us", r.ping.p90},
                                   {"p99_us", r.ping.p99},   {"max_us", r.ping.max}}
                            : json(nullptr);
    if (r.ring_done || r.records) {
      m["ring"] = {{"capacity", r.ring_capacity},
                   {"warmup_records", r.emit_warmup},
                   {"warmup_verified", r.emit_warmup_ok},
                   {"records", r.records},
                   {"emitted", r.emitted},
                   {"dropped", r.dropped},
                   {"wall_s", r.drain_s},
                   {"records_per_s", r.records_per_s()},
                   {"record_mb_per_s", r.record_mb_per_s()},
                   {"payload_mb_per_s", r.payload_mb_per_s()},
                   {"received", r.received},
                   {"verified", r.unique},
                   {"duplicates", r.duplicates},
                   {"missing", r.missing},
                   {"corrupt", r.corrupt},
                   {"wrong_kind", r.wrong_kind},
                   {"out_of_range", r.out_of_range},
                   {"ring_drops_total", r.ring_drops_total},
                   {"kernel_job_span", r.job_span},
                   {"completed", r.ring_done}};
    } else {
      m["ring"] = nullptr;
    }
    m["shutdown"] = r.shutdown_done ? json{{"stop_us", r.shutdown_us}, {"call_us", r.shutdown_call_us}} : json(nullptr);
    if (!dev.lavapipe && r.booted && r.mode == "live" && r.ping_done && r.ring_done) {
      m["targets_met"] = {{"ping_p50", r.ping.p50 <= 5.0}, {"ring_drain", r.record_mb_per_s() >= 1000.0}};
    }
    arr.push_back(std::move(m));
  }
  j["runs"] = std::move(arr);
  return j;
}

void print_table(const DeviceFacts& dev, const std::vector<RunResult>& runs, const std::string& date) {
  std::printf("gpuos session benchmark, %s\n", date.c_str());
  if (dev.known) {
    std::printf("device %u: %s (%s), driver %s %s, Vulkan %s\n", dev.index, dev.name.c_str(), dev.type.c_str(),
                dev.driver_name.c_str(), dev.driver_info.c_str(), dev.api.c_str());
  }
  if (dev.lavapipe) std::printf("lavapipe: for regressions only, not a speed claim\n");
  std::printf("\n");

  const int w0 = 34, w = 22;
  auto row = [&](const std::string& label, auto cell) {
    std::string line = fmt::format("{:<{}}", label, w0);
    for (const RunResult& r : runs) line += fmt::format("{:>{}}", cell(r), w);
    std::printf("%s\n", line.c_str());
  };
  auto num = [](bool have, double v, int prec) { return have ? fmt::format("{:.{}f}", v, prec) : std::string("-"); };

  row("", [](const RunResult& r) { return r.requested_mode; });
  row("kernel mode", [](const RunResult& r) { return r.booted ? r.mode : std::string("boot failed"); });
  row("workgroups x lanes/workgroup", [](const RunResult& r) {
    return r.booted ? fmt::format("{} x {}", r.workgroups, r.lanes / std::max<uint32_t>(1, r.workgroups)) : "-";
  });
  row("boot (ms)", [&](const RunResult& r) { return num(r.booted, r.boot_ms, 1); });
  row("mailbox pings (after warm-up)", [](const RunResult& r) {
    return r.ping_done ? fmt::format("{} (+{})", r.ping.count, r.ping_warmup) : std::string("-");
  });
  row("  round trip p50 (us)", [&](const RunResult& r) { return num(r.ping_done, r.ping.p50, 2); });
  row("  round trip p90 (us)", [&](const RunResult& r) { return num(r.ping_done, r.ping.p90, 2); });
  row("  round trip p99 (us)", [&](const RunResult& r) { return num(r.ping_done, r.ping.p99, 2); });
  row("  round trip max (us)", [&](const RunResult& r) { return num(r.ping_done, r.ping.max, 2); });
  row("  round trip mean (us)", [&](const RunResult& r) { return num(r.ping_done, r.ping.mean, 2); });
  row("ring drain: records", [](const RunResult& r) {
    return r.records ? fmt::format("{}", r.records) : std::string("-");
  });
  row("  ring capacity (records)", [](const RunResult& r) {
    return r.booted ? fmt::format("{}", r.ring_capacity) : std::string("-");
  });
  row("  wall, emit() to return (s)", [&](const RunResult& r) { return num(r.ring_done, r.drain_s, 3); });
  row("  records/s (M)", [&](const RunResult& r) { return num(r.ring_done, r.records_per_s() / 1e6, 3); });
  row("  MB/s, 128-byte records", [&](const RunResult& r) { return num(r.ring_done, r.record_mb_per_s(), 1); });
  row("  MB/s, 112-byte payloads", [&](const RunResult& r) { return num(r.ring_done, r.payload_mb_per_s(), 1); });
  row("  verified", [](const RunResult& r) {
    return r.records ? fmt::format("{}/{}", r.unique, r.records) : std::string("-");
  });
  row("  duplicates / missing / corrupt", [](const RunResult& r) {
    return r.records ? fmt::format("{} / {} / {}", r.duplicates, r.missing, r.corrupt + r.wrong_kind + r.out_of_range)
                     : std::string("-");
  });
  row("  dropped", [](const RunResult& r) {
    return r.ring_done ? fmt::format("{}", r.dropped) : std::string("-");
  });
  row("shutdown: kernel stop (us)", [&](const RunResult& r) { return num(r.shutdown_done, r.shutdown_us, 0); });
  row("shutdown: whole call (us)", [&](const RunResult& r) { return num(r.shutdown_done, r.shutdown_call_us, 0); });
  row("result", [](const RunResult& r) { return r.ok ? std::string("ok") : std::string("FAILED"); });
  std::printf("\nMB = 10^6 bytes. Drain wall time runs from the emit() call to its return, which comes after the\n"
              "host drained every record; every record's payload and index were checked.\n");
  for (const RunResult& r : runs) {
    if (r.ring_done) {
      std::printf("%s: verified: %" PRIu64 "/%u, duplicates %" PRIu64 ", missing %" PRIu64 "\n",
                  r.requested_mode.c_str(), r.unique, r.records, r.duplicates, r.missing);
    }
    if (r.booted && r.requested_mode != r.mode) {
      std::printf("%s: the session runs in %s mode: %s\n", r.requested_mode.c_str(), r.mode.c_str(),
                  r.mode_reason.c_str());
    }
    for (const std::string& e : r.errors) std::printf("%s: error: %s\n", r.requested_mode.c_str(), e.c_str());
  }
  std::printf("Targets (NVIDIA H100): ping p50 <= 5 us in live mode; ring drain >= 1 GB/s (128-byte records),\n"
              "every record accounted for.\n");
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  CLI::App app{"gpuos session benchmark: mailbox round trip, debug-ring drain, boot and shutdown latency"};
  app.add_option("--mode", opt.mode, "kernel mode to measure")
      ->check(CLI::IsMember({"live", "epoch", "both"}))
      ->capture_default_str();
  app.add_option("--pings", opt.pings, "measured mailbox pings")->check(CLI::Range(1u, 100000000u))->capture_default_str();
  app.add_option("--ping-warmup", opt.ping_warmup, "pings before the measured ones")->capture_default_str();
  app.add_option("--records", opt.records, "PATTERN records in the measured drain")
      ->check(CLI::Range(1u, 1u << 30))  // Session::emit takes at most 2^30 per job
      ->capture_default_str();
  app.add_option("--emit-warmup", opt.emit_warmup, "records in a verified warm-up emit (capped at --records)")
      ->capture_default_str();
  app.add_option("--ring", opt.ring, "debug-ring capacity in records (a power of two, >= 16)")->capture_default_str();
  app.add_option("--device", opt.device, "Vulkan device index (default: GPUOS_DEVICE, else the best)");
  app.add_option("--workgroups", opt.workgroups, "kernel workgroups (0: sized to the device)")->capture_default_str();
  app.add_option("--timeout", opt.timeout_s, "seconds one ping batch or one emit may take")
      ->check(CLI::Range(1u, 86400u))
      ->capture_default_str();
  app.add_flag("--json", opt.json, "print one JSON object (schema 1) on stdout instead of the table");
  app.add_flag("-q,--quiet", opt.quiet, "no progress on stderr");
  CLI11_PARSE(app, argc, argv);

  if (opt.ring < 16 || (opt.ring & (opt.ring - 1)) != 0) {
    note("--ring {}: must be a power of two, at least 16", opt.ring);
    return 2;
  }
  g_quiet = opt.quiet;
  g_tty = isatty(STDERR_FILENO) != 0;
  // Session logs (device, mode) are diagnostics: stderr, so stdout stays the table or the JSON.
  auto logger = spdlog::stderr_color_mt("gpuos");
  spdlog::set_default_logger(logger);
  spdlog::set_level(opt.quiet ? spdlog::level::warn : spdlog::level::info);

  const std::string date = utc_now();
  DeviceFacts dev;
  std::vector<RunResult> runs;
  int boot_failures = 0;
  if (opt.mode == "live" || opt.mode == "both") runs.push_back(run_mode(opt, false, dev, boot_failures));
  if (opt.mode == "epoch" || opt.mode == "both") runs.push_back(run_mode(opt, true, dev, boot_failures));

  const bool ok = std::all_of(runs.begin(), runs.end(), [](const RunResult& r) { return r.ok; });
  const bool any_booted = std::any_of(runs.begin(), runs.end(), [](const RunResult& r) { return r.booted; });
  if (opt.json) {
    std::printf("%s\n", to_json(opt, dev, runs, date, ok).dump(2).c_str());
  } else if (any_booted) {
    print_table(dev, runs, date);
  }
  std::fflush(stdout);
  if (boot_failures) {
    note("FAILED: {} of {} session boots failed (see above)", boot_failures, runs.size());
    return 2;
  }
  if (!ok) {
    note("FAILED: a measurement failed or a record was wrong, duplicated or missing (see above)");
    return 1;
  }
  return 0;
}

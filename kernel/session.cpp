#include "kernel/session.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <ctime>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "kernel/hang_watch.h"
#include "kernel/host_sync.h"
#include "shaders/embedded.h"

namespace gpuos {

using Clock = std::chrono::steady_clock;

const char* to_string(SessionError e) {
  switch (e) {
    case SessionError::Device: return "device error";
    case SessionError::Timeout: return "timeout";
    case SessionError::Failed: return "session failed";
    case SessionError::BadStatus: return "kernel refused the command";
    case SessionError::Closed: return "session is shut down";
    case SessionError::BadArgument: return "bad argument";
  }
  return "unknown session error";
}

const char* to_string(KernelMode m) { return m == KernelMode::Live ? "live" : "epoch"; }

namespace {

// A cold compile of the kernel takes ~17 s on llvmpipe with two cores busy;
// far beyond that, the first launch is taken for a hang.
constexpr std::chrono::seconds kCompileTimeout{600};

int64_t now_ns() { return Clock::now().time_since_epoch().count(); }

Error<SessionError> device_error(const Error<vk::VkError>& e) { return fail(SessionError::Device, e.detail); }

// Live kernels: lavapipe runs one workgroup per worker thread at a time and
// DESIGN.md forbids waiting on others, so it gets exactly that many; a GPU
// gets a few workgroups per multiprocessor.
uint32_t default_workgroups(const vk::DeviceInfo& d) {
  if (d.is_lavapipe()) {
    if (const char* env = std::getenv("LP_NUM_THREADS"); env && std::atoi(env) > 0) {
      return static_cast<uint32_t>(std::atoi(env));
    }
    return std::max(1u, std::thread::hardware_concurrency());
  }
  if (d.compute_units_hint) return d.compute_units_hint * 4u;
  return 128u;
}

std::mutex g_compile_progress_mu;
std::function<void(const CompileProgress&)> g_compile_progress;

// This process's CPU time, all threads together.
std::chrono::nanoseconds process_cpu() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

// Reports the driver's compile of the kernel while a boot waits for it.
// Its own thread, because the compile happens inside blocking driver calls
// (vkCreateComputePipelines on most GPUs; on llvmpipe both that, for the NIR
// work, and the first dispatch, for LLVM's).
//
// A compile is told from a cache hit by the CPU time it costs, not by wall
// time, which a loaded machine stretches: the first line comes once the
// watched calls have used kQuietCpu of CPU (or after kQuietWall whatever they
// used), then a line a second, then Done. On llvmpipe only the first dispatch
// is watched: the pipeline's creation does lavapipe's NIR work warm or cold
// alike (3.6-3.8 s of CPU, 16-20 s of wall time on this 2-core machine under
// load, 2026-12-07), while the first dispatch costs ~110 s of CPU cold and
// next to nothing warm.
class CompileReporter {
 public:
  static constexpr auto kQuietCpu = std::chrono::milliseconds(3000);
  static constexpr auto kQuietWall = std::chrono::seconds(30);

  explicit CompileReporter(std::string device)
      : device_(std::move(device)), started_at_(Clock::now()), cpu_at_start_(process_cpu()) {
    {
      std::lock_guard lock(g_compile_progress_mu);
      report_ = g_compile_progress;
    }
    if (report_) thread_ = std::thread([this] { watch(); });
  }
  ~CompileReporter() { finish(false); }
  CompileReporter(const CompileReporter&) = delete;
  CompileReporter& operator=(const CompileReporter&) = delete;

  // The compile is over (ok), or the boot gave up (!ok). Idempotent.
  void finish(bool ok) {
    {
      std::lock_guard lock(mu_);
      if (done_) return;
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    const double cpu = std::chrono::duration<double>(process_cpu() - cpu_at_start_).count();
    spdlog::debug("kernel: the driver's compile (watched calls) took {:.1f} s, {:.1f} s of CPU", elapsed(), cpu);
    if (shown_) report_({CompileProgress::Phase::Done, device_, elapsed(), ok});
  }

 private:
  double elapsed() const { return std::chrono::duration<double>(Clock::now() - started_at_).count(); }
  void watch() {
    std::unique_lock lock(mu_);
    for (;;) {
      if (cv_.wait_for(lock, 250ms, [this] { return done_; })) return;
      if (process_cpu() - cpu_at_start_ >= kQuietCpu || Clock::now() - started_at_ >= kQuietWall) break;
    }
    shown_ = true;  // read by finish() after the join
    report_({CompileProgress::Phase::Started, device_, elapsed(), true});
    while (!cv_.wait_for(lock, 1s, [this] { return done_; })) {
      report_({CompileProgress::Phase::Running, device_, elapsed(), true});
    }
  }

  std::string device_;
  Clock::time_point started_at_;
  std::chrono::nanoseconds cpu_at_start_;
  std::function<void(const CompileProgress&)> report_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;   // under mu_
  bool shown_ = false;  // the watcher's until it is joined
  std::thread thread_;
};

}  // namespace

void set_compile_progress(std::function<void(const CompileProgress&)> fn) {
  std::lock_guard lock(g_compile_progress_mu);
  g_compile_progress = std::move(fn);
}

Result<std::unique_ptr<Session>, SessionError> Session::boot(const BootOptions& opts) {
  std::unique_ptr<Session> s(new Session());
  auto r = s->init(opts);
  if (!r) return r.error();
  return s;
}

Result<void, SessionError> Session::init(const BootOptions& opts) {
  opts_ = opts;
  booted_at_ = Clock::now();
  {
    size_t keep = opts.output_keep_bytes;
    if (const char* env = std::getenv("GPUOS_OUTPUT_KEEP_BYTES"); keep == 0 && env && std::atoll(env) > 0) {
      keep = static_cast<size_t>(std::atoll(env));  // tests: a small bound is reached in little time
    }
    if (keep != 0) {
      io::ProcessLogs::Limits lim;
      lim.per_process = keep;
      outputs_.set_limits(lim);
    }
  }
  if (opts.ring_capacity != 0 && (opts.ring_capacity < 16 || (opts.ring_capacity & (opts.ring_capacity - 1)) != 0)) {
    return fail(SessionError::BadArgument,
                fmt::format("ring capacity {} must be a power of two, at least 16", opts.ring_capacity));
  }
  auto inst = vk::Instance::create();
  if (!inst) return device_error(inst.error());
  auto sel = vk::select_device(inst.value()->devices(), opts.device);
  if (!sel) return device_error(sel.error());
  auto ctx = vk::Context::create(std::move(inst.value()), sel->chosen);
  if (!ctx) return device_error(ctx.error());
  ctx_ = std::move(ctx.value());
  const vk::DeviceInfo& dev = ctx_->info();
  spdlog::info("device {}: {} ({}), {}", dev.index, dev.name, vk::device_type_name(dev.type), sel->why_chosen);

  using F = VkMemoryPropertyFlags;
  const F DL = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, HV = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT,
          HC = VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, CACHED = VK_MEMORY_PROPERTY_HOST_CACHED_BIT;
  // Control block: device-local and host-visible if the device has it (the
  // only place NVIDIA lanes see host writes while running).
  auto control = ctx_->create_buffer(sizeof(abi::ControlBlock), {DL | HV | HC, HV | HC});
  if (!control) return device_error(control.error());
  control_buf_ = control.value();
  // Ring: written by the GPU, read by the host, so cached host memory first.
  const uint32_t workgroups = opts.workgroups ? opts.workgroups : default_workgroups(dev);
  const uint32_t lanes = workgroups * abi::KERNEL_WORKGROUP_SIZE;
  ring_capacity_ = opts.ring_capacity ? opts.ring_capacity : std::max(1u << 16, std::bit_ceil(2 * lanes));
  auto ring = ctx_->create_buffer(VkDeviceSize(ring_capacity_) * sizeof(abi::RingRecord),
                                  {HV | HC | CACHED, HV | HC});
  if (!ring) return device_error(ring.error());
  ring_buf_ = ring.value();
  auto host = ctx_->create_buffer(sizeof(abi::HostBlock), {HV | HC | CACHED, HV | HC});
  if (!host) return device_error(host.error());
  host_buf_ = host.value();

  ctrl_ = static_cast<abi::ControlBlock*>(control_buf_.mapped);
  ctrl_->magic = abi::ABI_MAGIC;
  ctrl_->abi_version = abi::ABI_VERSION;
  ctrl_->ring_capacity = ring_capacity_;
  // Single-record claims take a position with one atomicAdd when the ring
  // has room for every lane's (lib/ring.glsl); a smaller ring (a test's)
  // claims them by CAS, as multi-record claims always do. So does lavapipe,
  // whose 128-odd lanes hardly contend, and where atomicAdd claims broke
  // stdout records (docs/platform.md 2g).
  ctrl_->ring_reserve = (!dev.is_lavapipe() && ring_capacity_ >= 2 * lanes) ? lanes : 0;
  ctrl_->ring_wait_spins = opts.ring_wait_spins;
  ctrl_->faults = opts.faults;

  if (auto r = init_processes(); !r) return r;
  if (auto r = init_io(); !r) return r;
  std::vector<const vk::Buffer*> bindings = {&control_buf_, &ring_buf_, &host_buf_};
  for (const vk::Buffer* b : procs_->bindings()) bindings.push_back(b);
  if (opts.profile && (dev.is_lavapipe() || !dev.features.shader_device_clock)) {
    return fail(SessionError::BadArgument,
                "--profile needs a GPU with shaderDeviceClock (VK_KHR_shader_clock); this device has not");
  }
  // The driver's compile: in the pipeline's creation on GPUs, at the first
  // dispatch (warm_up) on llvmpipe (CompileReporter says why).
  std::optional<CompileReporter> compile;
  if (!dev.is_lavapipe()) compile.emplace(dev.name);
  const auto& spirv = dev.is_lavapipe() ? shaders::kernel_relaxed : opts.profile ? shaders::kernel_profile : shaders::kernel;
  // Kernel variants (session_tier.cpp) are that kernel with compiled code in it.
  if (dev.is_lavapipe()) kernel_defines_.push_back("GPUOS_RELAXED_ATOMICS");
  else if (opts.profile) kernel_defines_.push_back("GPUOS_PROFILE");
  bindings_ = bindings;
  kernel_workgroups_ = workgroups;
  auto pipeline = KernelPipeline::create(*ctx_, bindings, workgroups, spirv);
  if (!pipeline) return device_error(pipeline.error());
  pipeline_ = std::move(pipeline.value());

  mailbox_ = std::make_unique<MailboxClient>(ctrl_, static_cast<abi::HostBlock*>(host_buf_.mapped));
  consumer_ = std::make_unique<io::RingConsumer>(static_cast<abi::RingRecord*>(ring_buf_.mapped),
                                                 ring_capacity_, &ctrl_->ring_consumed);
  if (dev.is_lavapipe()) consumer_->set_lost_claim_timeout(1000ms);  // llvmpipe loses claims (platform.md 2g)
  drain_spin_rounds_ = dev.is_lavapipe() ? 64 : 200000;  // GPUs: about 10 ms of pause rounds
  drain_spin_pause_ = !dev.is_lavapipe();
  log_ = std::make_unique<io::DebugLog>(opts.log_keep);
  drain_thread_ = std::thread([this] { drain_loop(); });

  // lavapipe: a slice's main-loop iterations stay under llvmpipe's loop
  // budget (KERNEL_LOOP_COST each); iterations that run processes cost more,
  // and there the kernel itself leaves early (kernel.comp, docs/platform.md
  // 2b and 2f).
  if (dev.is_lavapipe()) {
    max_slice_ = abi::LAVAPIPE_LOOP_LIMIT / abi::KERNEL_LOOP_COST - 8u;
    proc_slice_ = std::max(1u, abi::LAVAPIPE_TICKS_PER_LAUNCH / procs_->config().quantum);
  }
  idle_park_ = opts.idle_park.count() >= 0 ? opts.idle_park
                                           : (dev.is_lavapipe() ? std::chrono::milliseconds(50) : 1000ms);
  if (!compile) compile.emplace(dev.name);
  if (auto r = warm_up(); !r) {
    compile->finish(false);
    shutdown();
    return r;
  }
  compile->finish(true);
  if (auto r = choose_mode(); !r) {
    shutdown();
    return r;
  }
  last_activity_ns_ = now_ns();
  service_thread_ = std::thread([this] { service_loop(); });
  spdlog::info("kernel: {} mode ({}), {} workgroups of {} lanes", to_string(mode_), mode_reason_, workgroups,
               abi::KERNEL_WORKGROUP_SIZE);
  return {};
}

Result<void, SessionError> Session::launch(uint32_t mode, uint32_t slice) {
  ctrl_->mode = mode;
  ctrl_->slice_iterations = slice;
  ctrl_->stop = abi::STOP_NONE;
  ctrl_->launch = static_cast<uint32_t>(++launches_);
  // vkQueueSubmit makes these host writes to coherent memory visible to the dispatch.
  auto r = pipeline_->launch();
  if (!r) return device_error(r.error());
  kernel_running_ = true;
  parked_ = false;
  return {};
}

uint32_t Session::slice_for(uint32_t mode) const {
  // lavapipe with processes to run: a few iterations per launch, so each
  // lane's quanta stay under LAVAPIPE_TICKS_PER_LAUNCH and the launch ends
  // when they are done, rather than idling out a long slice.
  const uint32_t cap = (proc_slice_ != 0 && processes_to_run()) ? std::min(proc_slice_, max_slice_) : max_slice_;
  switch (mode) {
    case abi::MODE_EPOCH: return std::min(opts_.epoch_slice_iterations, cap);
    case abi::MODE_PROBE:
      // Short probes: a probe that ends before its answer is simply launched
      // again, and a long one (the process scheduler makes an iteration
      // dearer) would outlast the hang timeout when the probe is deaf.
      return std::min(opts_.probe_iterations ? opts_.probe_iterations : (1u << 16), max_slice_);
    default: return cap == UINT32_MAX ? 0u : cap;  // live: unbounded on a GPU
  }
}

// The first launch pays for the driver's compile of the kernel: llvmpipe
// compiles at the first dispatch, and a cold compile of the process kernel
// takes about 17 s there (docs/platform.md 2e; Mesa's shader cache makes
// later boots fast). Paying it in a launch whose lanes leave at once keeps
// it out of the live check's timeout and the hang watchdog.
Result<void, SessionError> Session::warm_up() {
  const auto started = Clock::now();
  if (auto r = launch(abi::MODE_EPOCH, 0); !r) return r;  // slice 0: every lane leaves in its first iteration
  for (;;) {
    auto done = pipeline_->wait(5s);
    if (!done) return device_error(done.error());
    if (done.value()) break;
    const auto waited = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started);
    if (waited >= kCompileTimeout) {
      kernel_abandoned_ = true;
      return fail(SessionError::Failed,
                  fmt::format("the kernel's first launch did not end within {} s (the driver's compile)", waited.count()));
    }
    spdlog::info("kernel: the driver is still compiling the kernel ({} s so far; it caches the result)",
                 waited.count());
  }
  kernel_running_ = false;
  const double took = std::chrono::duration<double>(Clock::now() - started).count();
  if (took > 1.0) spdlog::info("kernel: first launch (the driver's compile) took {:.1f} s", took);
  return {};
}

// Live mode needs host writes to reach a running dispatch, which Vulkan does
// not promise. The check: launch a bounded probe dispatch, wait until its
// lanes run, post a ping, and accept only a reply sent by that same launch
// (PING answers with the launch number). A reply from a later launch proves
// nothing (the submit itself made the write visible), so that attempt is
// repeated until live_check_timeout.
Result<void, SessionError> Session::choose_mode() {
  if (opts_.force_epoch) {
    mode_ = KernelMode::Epoch;
    mode_reason_ = "forced with --epoch";
    return {};
  }
  const VkMemoryPropertyFlags want = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT | VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT;
  if ((control_buf_.flags & want) != want) {
    mode_ = KernelMode::Epoch;
    mode_reason_ = "no DEVICE_LOCAL|HOST_VISIBLE|HOST_COHERENT memory for the control block";
    return {};
  }
  const auto deadline = Clock::now() + opts_.live_check_timeout;
  const auto probe_wait = std::chrono::duration_cast<std::chrono::microseconds>(opts_.hang_timeout);
  bool live = false;
  for (uint32_t token = 0x600D0000u; !live && Clock::now() < deadline; ++token) {
    if (auto r = launch(abi::MODE_PROBE, slice_for(abi::MODE_PROBE)); !r) return r;
    const uint32_t this_launch = ctrl_->launch;
    bool posted = false;
    uint32_t seq = 0;
    while (Clock::now() < deadline) {
      auto done = pipeline_->wait(0us);
      if (!done) return device_error(done.error());
      if (done.value()) break;  // slice over before an answer: try again
      if (!posted && load(ctrl_->lanes_running) > 0) {
        seq = mailbox_->post(abi::OP_PING, token);
        posted = true;
      }
      if (posted) {
        if (auto reply = mailbox_->poll(seq)) {
          live = reply->value[0] == token && reply->value[3] == this_launch;
          break;
        }
      }
      std::this_thread::sleep_for(10us);
    }
    if (live) host_publish(ctrl_->stop, abi::STOP_PARK);
    // The probe is bounded, so it ends by itself even if it never saw a host write.
    auto done = pipeline_->wait(probe_wait);
    if (!done) return device_error(done.error());
    if (!done.value()) {
      kernel_abandoned_ = true;
      return fail(SessionError::Failed, fmt::format("the bounded live-check dispatch did not finish within {} ms",
                                                    opts_.hang_timeout.count()));
    }
    kernel_running_ = false;
  }
  if (live) {
    mode_ = KernelMode::Live;
    mode_reason_ = "mailbox answered while the kernel ran";
  } else {
    mode_ = KernelMode::Epoch;
    mode_reason_ = fmt::format("live mailbox check failed: no reply from a running kernel within {} ms",
                               opts_.live_check_timeout.count());
  }
  return {};
}

uint32_t Session::load(const uint32_t& field) const { return host_load_acquire(field); }

bool Session::kernel_has_work() const {
  if (mailbox_->outstanding()) return true;
  if (static_cast<int32_t>(load(ctrl_->emit.end) - load(ctrl_->emit.done)) > 0) return true;
  if (requests_ && requests_->completions_pending()) return true;
  return processes_to_run();
}

bool Session::processes_to_run() const {
  const abi::SysHeader& h = procs_->header();
  // Live processes (zombies do not run) that are not all waiting for the
  // host's replies, or a spawn/snapshot job.
  const uint32_t waiting = load(procs_->io_header().waiting);
  return load(h.live) > waiting || static_cast<int32_t>(load(h.job_end) - load(h.job_done)) > 0;
}

void Session::post_work() {
  std::lock_guard lock(service_mu_);
  work_posted_ = true;
  service_cv_.notify_all();
}

void Session::service_loop() {
  uint32_t last_beat = load(ctrl_->heartbeat);
  auto last_beat_change = Clock::now();  // parking: is the heartbeat fresh
  // Silence counted only while the kernel could have beaten (hang_watch.h):
  // a busy or stopped machine is not a hung kernel.
  HangWatch watch(opts_.hang_timeout);
  const auto since_boot = [this] { return Clock::now() - booted_at_; };
  watch.restart(since_boot());
  bool parking = false;
  bool was_idle = true;  // the heartbeat clock restarts only after idleness, not per slice
  uint32_t beat_at_launch = last_beat;
  uint32_t parks_at_launch = load(ctrl_->parked_groups);
  const bool live = mode_ == KernelMode::Live;
  while (!failed_) {
    ctrl_->clock_ms = static_cast<uint32_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - booted_at_).count());
    if (!pipeline_->running()) {
      std::unique_lock lock(service_mu_);
      if (stopping_) break;
      // A live kernel runs until parked (and, on lavapipe, slice after slice);
      // an epoch kernel runs while there is work.
      const bool want = kernel_has_work() || (live && !parked_) || relaunch_wanted_.load();
      if (!want) {
        was_idle = true;
        service_cv_.wait_for(lock, 5ms, [&] { return stopping_ || work_posted_; });
        work_posted_ = false;
        continue;
      }
      lock.unlock();
      if (relaunch_wanted_.exchange(false)) parked_ = false;  // asked for by a loader: a fresh launch
      // After taking the request: the tier thread leaves its variant first
      // and asks for a relaunch second, so a variant left after this look
      // comes with a request that the next pass sees.
      if (auto r = install_pending_variant(); !r) {
        fail_session(fmt::format("installing a kernel variant (the compiled tier): {}", r.detail()));
        break;
      }
      beat_at_launch = load(ctrl_->heartbeat);  // before the submit: the first beat may come at once
      parks_at_launch = load(ctrl_->parked_groups);
      if (auto r = launch(live ? abi::MODE_LIVE : abi::MODE_EPOCH, slice_for(live ? abi::MODE_LIVE : abi::MODE_EPOCH)); !r) {
        fail_session(r.detail());
        break;
      }
      if (was_idle) {
        last_beat_change = Clock::now();
        watch.restart(since_boot());
      }
      was_idle = false;
      continue;
    }

    auto done = pipeline_->wait(1ms);
    if (!done) {
      fail_session(done.detail());
      break;
    }
    if (done.value()) {
      kernel_running_ = false;
      // A kernel that answered OP_SHUTDOWN stopped itself: no relaunch.
      // A park counts only when every workgroup took it. A hung kernel
      // ignores STOP_PARK, but on lavapipe its launch ends anyway, cut by
      // llvmpipe's loop limit; taken for parked, it would never be
      // relaunched and the hang never seen. Relaunched, it shows as a
      // launch without a beat (below). A healthy launch that some
      // workgroups left for another reason parks again at the next look.
      const uint32_t parks = load(ctrl_->parked_groups) - parks_at_launch;
      const bool park_taken = parking && parks >= pipeline_->workgroups();
      if (parking && !park_taken) {
        spdlog::debug("kernel: launch {} ended with {} of {} workgroups parked: not parked, relaunched",
                      launches_.load(), parks, pipeline_->workgroups());
      }
      parked_ = park_taken || load(ctrl_->stop) == abi::STOP_SHUTDOWN;
      parking = false;
      // Every launch beats at its first iteration; one that ended without a
      // beat was hung (on lavapipe a hung launch ends anyway: llvmpipe cuts
      // every loop after 65535 iterations).
      if (load(ctrl_->heartbeat) == beat_at_launch && !stopping_) {
        fail_session(fmt::format("kernel hang: launch {} ended without a heartbeat (mode {})", launches_.load(),
                                 to_string(mode_)));
        break;
      }
      // Every lane counts itself out when it leaves the loop. A count that
      // is not back at 0 means the driver lost lanes mid-launch, and with
      // them possibly a ring claim or a process half done (llvmpipe:
      // docs/platform.md 2f): fail loudly rather than stall silently.
      if (const uint32_t lost = load(ctrl_->lanes_running); lost != 0 && !stopping_) {
        fail_session(fmt::format("kernel launch {} ended with {} lanes still counted in its loop: the driver "
                                 "lost them mid-launch (docs/platform.md 2f)",
                                 launches_.load(), lost));
        break;
      }
      continue;
    }
    if (stopping_) {
      // A launch may have raced with shutdown() and cleared the flag.
      host_publish(ctrl_->stop, abi::STOP_SHUTDOWN);
    }
    // Still running: watch the heartbeat.
    const auto now = Clock::now();
    const uint32_t beat = load(ctrl_->heartbeat);
    const bool beat_changed = beat != last_beat;
    if (beat_changed) {
      last_beat = beat;
      last_beat_change = now;
    }
    if (auto why = watch.look(now - booted_at_, beat_changed)) {
      fail_session(fmt::format("kernel hang: {} (mode {}, launch {})", *why, to_string(mode_), launches_.load()));
      break;
    }
    // A loader waits for a fresh launch: park (the lanes finish their
    // quanta; no process is disturbed), then the branch above relaunches.
    if (live && !parking && relaunch_wanted_.load()) {
      host_publish(ctrl_->stop, abi::STOP_PARK);
      parking = true;
    }
    // An idle live kernel parks (returns) instead of spinning; the next command relaunches it.
    // A kernel whose heartbeat is stale is watched, not parked: parking would hide a hang.
    if (live && !parking && idle_park_.count() > 0 && !kernel_has_work() && now - last_beat_change < 100ms &&
        now_ns() - last_activity_ns_.load() > std::chrono::nanoseconds(idle_park_).count()) {
      host_publish(ctrl_->stop, abi::STOP_PARK);
      parking = true;
    }
  }
}

void Session::drain_loop() {
  std::vector<uint32_t> null_calls;  // this batch's, answered together
  auto sink = [this, &null_calls](std::span<const io::DebugRecord> batch) {
    null_calls.clear();
    for (const io::DebugRecord& r : batch) {
      switch (r.kind) {
        case abi::RECORD_REQUEST:
          // The null call is answered here, without the hand-off to the
          // service thread: it measures the path itself (bench/io).
          if (r.payload[abi::RQ_OPCODE] == abi::WASI_GPUOS_NULL) {
            null_calls.push_back(r.payload[abi::RQ_SLOT]);
          } else {
            requests_->post(r);
          }
          break;
        case abi::RECORD_STDOUT:
        case abi::RECORD_STDERR: {
          const bool is_stderr = r.kind == abi::RECORD_STDERR;
          const std::string_view text(reinterpret_cast<const char*>(r.payload.data()),
                                      std::min(r.len, abi::OUT_TEXT_MAX));
          outputs_.write(r.pid, is_stderr, text);  // `gpuos logs`
          // A failed write reaches the process as its next write's errno
          // (docs/io.md, "Output errors"): nothing is lost silently.
          if (const int e = wasi_->output(r.pid, r.payload[abi::OUT_KEY_WORD], is_stderr, text))
            requests_->output_failed(r.pid, is_stderr, e);
          break;
        }
        default: break;
      }
    }
    if (!null_calls.empty()) requests_->complete_empty(null_calls);  // before the log: the kernel waits on these
    // Exits last: whoever waits for one finds the process's records in the
    // log, and its requests with the request service, already.
    log_->append(batch);
    for (const io::DebugRecord& r : batch) {
      if (r.kind != abi::RECORD_EXIT) continue;
      procs::ExitInfo e = procs::decode_exit_record(r.payload);
      describe_exit(e);  // named now: its program may be unloaded once this is drained
      outputs_.exited(r.pid);
      exits_.add(e);
      requests_->exited(r.pid);  // after its requests, posted above
    }
    if (observer_) observer_(batch);
  };
  int idle_rounds = 0;
  while (true) {
    const bool stop = drain_stop_.load();
    size_t n = 0;
    if (!drain_paused_.load()) n = consumer_->drain(sink, 4096);
    drained_position_.store(consumer_->position());
    if (n) {
      idle_rounds = 0;
      continue;
    }
    if (stop) break;  // the kernel is stopped: nothing more can arrive
    // Spin briefly while records flow, then back off so an idle session
    // leaves the CPU (on lavapipe the kernel itself runs on the CPU).
    // GPUs: spin longer, and on the pause hint rather than sched_yield (a
    // host core is cheap next to a request's round trip, and a record must
    // not wait out a system call); lavapipe: the kernel itself needs the
    // cores, so it yields them.
    if (++idle_rounds < drain_spin_rounds_) {
      if (drain_spin_pause_) {
        cpu_relax();
      } else {
        std::this_thread::yield();
      }
    } else {
      std::this_thread::sleep_for(idle_rounds < 1024 ? 20us : 200us);
    }
  }
}

Result<MailboxReply, SessionError> Session::command(uint32_t op, uint32_t a0, uint32_t a1, uint32_t a2,
                                                    uint32_t a3, std::chrono::milliseconds timeout) {
  command_waiters_.fetch_add(1, std::memory_order_relaxed);  // emit() lets us go first
  std::unique_lock cmd_lock(command_mu_);
  command_waiters_.fetch_sub(1, std::memory_order_relaxed);
  if (failed_) return fail(SessionError::Failed, failure());
  {
    std::lock_guard lock(service_mu_);
    if (stopping_) return fail(SessionError::Closed, "the session is shutting down");
  }
  last_activity_ns_ = now_ns();
  const uint32_t seq = mailbox_->post(op, a0, a1, a2, a3);
  ++commands_;
  if (!kernel_running_.load()) {
    parked_ = false;
    post_work();
  }
  const auto start = Clock::now();
  const auto deadline = start + timeout;
  for (uint64_t spins = 0;; ++spins) {
    if (auto reply = mailbox_->poll(seq)) {
      last_activity_ns_ = now_ns();
      if (reply->status != abi::STATUS_OK) {
        return fail(SessionError::BadStatus, fmt::format("op 0x{:04x}: {}", op, mailbox_status_name(reply->status)));
      }
      return *reply;
    }
    if (failed_) return fail(SessionError::Failed, failure());
    // Spin while a reply can be microseconds away, then sleep in short steps.
    if (spins > 4096) {
      if (Clock::now() > deadline) {
        return fail(SessionError::Timeout,
                    fmt::format("op 0x{:04x}: no reply within {} ms", op, timeout.count()));
      }
      std::this_thread::sleep_for(spins > 65536 ? 100us : 10us);
      last_activity_ns_ = now_ns();  // a long command is not idleness
    }
  }
}

Result<PingResult, SessionError> Session::ping(uint32_t count, std::chrono::milliseconds timeout) {
  PingResult out;
  out.round_trip_us.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    const auto t0 = Clock::now();
    auto r = command(abi::OP_PING, i, 0, 0, 0, timeout);
    const auto t1 = Clock::now();
    if (!r) return r.error();
    if (r->value[0] != i) {
      return fail(SessionError::BadStatus, fmt::format("ping {} echoed {}", i, r->value[0]));
    }
    out.round_trip_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  return out;
}

Result<EmitResult, SessionError> Session::emit(uint32_t count, uint32_t kind, uint32_t flags,
                                               std::chrono::milliseconds timeout) {
  // Positions are compared as signed 32-bit distances in the kernel.
  if (count > (1u << 30)) {
    return fail(SessionError::BadArgument, fmt::format("at most {} records per job", 1u << 30));
  }
  // One emit at a time (a second waits here, as it used to wait for the mailbox).
  std::lock_guard emit_lock(emit_mu_);
  // A new EMIT would overwrite the fields of an open job (possible only
  // after an earlier emit timed out).
  if (static_cast<int32_t>(load(ctrl_->emit.end) - load(ctrl_->emit.done)) > 0) {
    return fail(SessionError::BadArgument, "the previous emit job is still running");
  }
  // The kernel answers OP_EMIT only when the whole job is written, and the
  // mailbox serves one command at a time: one job of millions of records
  // held every other command (ping, spawn, ps) for 10-24 s on lavapipe. So
  // the records go out as several jobs, numbered on from the previous one
  // (OP_EMIT arg3), and a command that is waiting goes between two jobs.
  // A job costs a round trip and, on lavapipe, often a relaunch (tens of ms
  // under load), so jobs are sized by time: 100 ms after a command went in
  // between, doubling up to 1 s while none does. A command thus waits at
  // most about a second.
  constexpr auto kJobShort = std::chrono::milliseconds(100);
  constexpr auto kJobLong = std::chrono::milliseconds(1000);
  constexpr uint64_t kMinJob = 4096, kMaxJob = 1u << 24;
  const auto deadline = Clock::now() + timeout;
  EmitResult out;
  auto target = kJobShort;
  double rate = 0;  // records per ms, as measured on the previous job
  uint32_t first = 0;
  do {
    if (first > 0) {
      const bool waited = command_waiters_.load(std::memory_order_relaxed) > 0;
      // Let a waiting command take the mailbox first (std::mutex is not fair).
      for (int i = 0; i < 2000 && command_waiters_.load(std::memory_order_relaxed) > 0; ++i) {
        std::this_thread::sleep_for(50us);
      }
      target = waited ? kJobShort : std::min(kJobLong, target * 2);
    }
    const uint64_t job = first == 0 ? 65536 : std::clamp<uint64_t>(static_cast<uint64_t>(rate * target.count()), kMinJob, kMaxJob);
    const uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(job, count - first));
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      return fail(SessionError::Timeout, fmt::format("op 0x{:04x}: no reply within {} ms", abi::OP_EMIT, timeout.count()));
    }
    const auto t0 = Clock::now();
    auto r = command(abi::OP_EMIT, n, kind, flags, first, left);
    if (!r) return r.error();
    // The kernel answers with the job size and the records it dropped.
    out.emitted += r->value[0] - r->value[1];
    out.dropped += r->value[1];
    first += n;
    rate = n / std::max(1.0, std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  } while (first < count);
  // Every record of the job is stamped before the reply; wait until the
  // host has drained up to the ring head as it is now.
  const uint32_t head = load(ctrl_->ring_head);
  const auto drain_deadline = Clock::now() + timeout;
  while (static_cast<int32_t>(head - static_cast<uint32_t>(drained_position_.load())) > 0) {
    if (Clock::now() > drain_deadline) {
      return fail(SessionError::Timeout, "the host did not drain the emitted records in time");
    }
    if (drain_paused_) break;
    std::this_thread::sleep_for(20us);
  }
  return out;
}

std::chrono::microseconds Session::shutdown() {
  std::lock_guard shutdown_lock(shutdown_mu_);  // a second caller waits, then gets the same answer
  if (shutdown_time_) return *shutdown_time_;
  stop_reaper();  // it issues commands: before the kernel stops
  stop_tier();    // no variant is installed from here on
  const auto t0 = Clock::now();
  // The normal path is a mailbox command: the kernel answers OP_SHUTDOWN and
  // sets the stop flag itself. A parked kernel is not woken just for that,
  // and a failed or unanswering one is stopped by the host's stop flag below.
  if (ctrl_ && service_thread_.joinable() && !failed_ && !parked_) {
    const auto limit = std::min<std::chrono::milliseconds>(opts_.hang_timeout, 1000ms);
    shutdown_path_ = command(abi::OP_SHUTDOWN, 0, 0, 0, 0, limit) ? "mailbox" : "stop flag";
  } else {
    shutdown_path_ = "stop flag";
  }
  {
    std::lock_guard lock(service_mu_);
    stopping_ = true;
    service_cv_.notify_all();
  }
  if (ctrl_) host_publish(ctrl_->stop, abi::STOP_SHUTDOWN);
  if (service_thread_.joinable()) service_thread_.join();
  // The service thread may have left with a dispatch still running (failure path).
  if (pipeline_ && pipeline_->running() && !kernel_abandoned_) {
    auto done = pipeline_->wait(std::chrono::duration_cast<std::chrono::microseconds>(opts_.hang_timeout));
    if (!done || !done.value()) kernel_abandoned_ = true;
  }
  kernel_running_ = false;
  parked_ = false;
  const auto stopped = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0);
  drain_stop_ = true;
  if (drain_thread_.joinable()) drain_thread_.join();
  if (procs_) {
    if (const uint32_t c = load(ctrl_->loop_cuts)) {
      spdlog::error("lavapipe: llvmpipe's loop budget cut {} lanes short in mid-work; their processes' results "
                    "may be wrong (docs/platform.md 2h)", c);
    }
    if (const uint32_t c = load(procs_->io_header().claim_conflicts)) {
      spdlog::warn("host I/O: {} request-slot claims found their slot taken and were retried (docs/platform.md 2g)", c);
    }
  }
  // Host I/O: no new requests, then what is in flight finishes (or is
  // cancelled) while the io buffer is still there.
  if (requests_) requests_->stop();
  backend_.reset();
  requests_.reset();
  if (log_) log_->close();
  exits_.close();
  shutdown_time_ = stopped;
  return stopped;
}

Session::~Session() {
  shutdown();
  if (kernel_abandoned_) {
    // A dispatch we could not stop: destroying the device would wait for it
    // forever. Leave the objects to process exit.
    (void)ctx_.release();
    (void)pipeline_.release();
    (void)procs_.release();
    return;
  }
  pipeline_.reset();
  procs_.reset();
  if (ctx_) {
    ctx_->destroy_buffer(host_buf_);
    ctx_->destroy_buffer(ring_buf_);
    ctx_->destroy_buffer(control_buf_);
  }
}

void Session::fail_session(const std::string& why) {
  {
    std::lock_guard lock(failure_mu_);
    if (failed_) return;
    failure_ = why;
    failed_ = true;
  }
  spdlog::error("{}", why);
  // Try to stop the kernel; a truly hung one is abandoned, never waited for forever.
  host_publish(ctrl_->stop, abi::STOP_SHUTDOWN);
  if (pipeline_->running()) {
    auto done = pipeline_->wait(1s);
    if (!done || !done.value()) kernel_abandoned_ = true;
  }
  std::function<void(const std::string&)> cb;
  {
    std::lock_guard lock(failure_mu_);
    cb = failure_cb_;
  }
  if (cb) cb(why);
}

std::string Session::failure() const {
  std::lock_guard lock(failure_mu_);
  return failure_;
}

void Session::on_failure(std::function<void(const std::string&)> cb) {
  std::lock_guard lock(failure_mu_);
  failure_cb_ = std::move(cb);
}

void Session::set_record_observer(io::RingConsumer::Sink sink) { observer_ = std::move(sink); }

SessionStatus Session::status() const {
  SessionStatus s;
  const vk::DeviceInfo& d = ctx_->info();
  s.device_name = d.name;
  s.device_index = d.index;
  s.device_type = vk::device_type_name(d.type);
  s.mode = mode_;
  s.mode_reason = mode_reason_;
  s.kernel_state = kernel_running_ ? "running" : (parked_ ? "parked" : "stopped");
  s.workgroups = pipeline_->workgroups();
  s.lanes = pipeline_->lanes();
  s.lanes_running = load(ctrl_->lanes_running);
  s.launches = launches_.load();
  s.heartbeat = load(ctrl_->heartbeat);
  s.loop_cuts = load(ctrl_->loop_cuts);
  s.commands = commands_.load();
  s.ring_capacity = ring_capacity_;
  s.ring_received = log_->received();
  s.ring_bytes = log_->received_bytes();
  s.ring_drops = load(ctrl_->ring_drops);
  s.ring_lost = consumer_->lost();
  s.ring_position = drained_position_.load();
  s.ring_head = load(ctrl_->ring_head);
  s.emit_end = load(ctrl_->emit.end);
  s.emit_cursor = load(ctrl_->emit.cursor);
  s.emit_done = load(ctrl_->emit.done);
  s.control_memory = vk::memory_flags_string(control_buf_.flags);
  s.ring_memory = vk::memory_flags_string(ring_buf_.flags);
  s.host_memory = vk::memory_flags_string(host_buf_.flags);
  s.io_backend = io_backend_description();
  s.io_requests = requests_ ? requests_->served() : 0;
  if (procs_) {
    s.io_slots = procs_->config().io_slots;
    s.io_slots_held = load(procs_->io_header().held);
  }
  s.uptime_s = std::chrono::duration<double>(Clock::now() - booted_at_).count();
  s.failed = failed_.load();
  s.failure = failure();
  s.shutdown_path = shutdown_path_.load();
  return s;
}

}  // namespace gpuos

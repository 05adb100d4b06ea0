// gpuos::Session: one booted GPU session, usable from C++ directly (the
// daemon behind `gpuos boot` is a thin socket front for it).
//
// A session owns the device, the control block and the debug ring, keeps the
// persistent kernel running (live mode) or relaunches it in slices (epoch
// mode), drains the debug ring continuously, and watches the heartbeat: a
// kernel that stops beating is reported as hung and the session fails
// instead of hanging.
//
// Threads: the caller's (commands), the service thread (launches, waits,
// watchdog, parking) and the drain thread (debug ring -> DebugLog).
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "io/debug_ring.h"
#include "io/io_backend.h"
#include "io/proc_logs.h"
#include "io/request_service.h"
#include "io/wasi_host.h"
#include "kernel/mailbox.h"
#include "kernel/pipeline.h"
#include "kernel/proc_memory.h"
#include "kernel/tier.h"
#include "kernel/vk/context.h"
#include "procs/proc/exit_log.h"
#include "procs/proc/program.h"

namespace gpuos {

using namespace std::chrono_literals;

struct BootOptions {
  std::optional<uint32_t> device;  // --device N; else GPUOS_DEVICE; else the best
  bool force_epoch = false;        // --epoch
  uint32_t workgroups = 0;         // 0: sized to the device
  // Records (128 B each), a power of two; 0: 2^16, or twice the kernel's
  // lanes where that is more (lib/ring.glsl's single-record claims need
  // room for one record per lane).
  uint32_t ring_capacity = 0;
  uint32_t ring_wait_spins = 64;      // EMIT_MAY_DROP: ring-full attempts in a row before a drop
  uint32_t epoch_slice_iterations = 1u << 14;  // capped on lavapipe (kernel.comp says why)
  uint32_t probe_iterations = 0;      // 0: sized to the device
  std::chrono::milliseconds live_check_timeout = 1000ms;
  std::chrono::milliseconds hang_timeout = 3000ms;  // heartbeat silence that means a hang
  std::chrono::milliseconds idle_park = -1ms;       // <0: device default; 0: never park
  size_t log_keep = 1u << 16;  // debug records kept for `tail`
  // Bytes of each process's stdout and stderr kept for `gpuos logs`
  // (io/proc_logs.h); 0: 64 KiB, or GPUOS_OUTPUT_KEEP_BYTES if set.
  size_t output_keep_bytes = 0;
  uint32_t faults = 0;         // abi::FAULT_* (tests)
  // Processes (shaders/abi_proc.h). 0: the device's default.
  uint32_t proc_slots = 0;     // process-table slots (lavapipe 1024, GPUs 131072)
  uint32_t arena_mib = 0;      // page arena (lavapipe 128; GPUs a quarter of device memory, at most 8192)
  uint32_t block_kib = 16;     // per-process block: registers, page table, frames
  uint32_t max_pages = 0;      // pages a process may hold (half the arena, at most 65536)
  // Nested calls a process's stack may grow to (shaders/proc/stack.glsl);
  // its pages count against max_pages, which bounds it first for most programs.
  uint32_t max_call_depth = 1000000;
  uint32_t quantum = 0;        // ticks per quantum (lavapipe 256, at most 1024; GPUs 10000)
  uint32_t store_mib = 16;     // program store
  bool group_by_program = true;
  // Slots one process tree (a host spawn and every process it spawns on the
  // GPU, and theirs) may hold; a GPU spawn beyond it fails with -4.
  // 0: a quarter of the table (docs/processes.md, "Trees").
  uint32_t max_procs_per_tree = 0;
  // The kernel that counts where lane time goes (SysHeader.prof; GPUs with
  // shaderDeviceClock only; a little slower).
  bool profile = false;
  // The compiled tier (docs/compiled-tier.md, "Inside the kernel"): a kernel
  // variant whose generated code is larger than this many KiB is not built,
  // and the programs it was for stay on the interpreter. 0: the device's
  // default, kJitLavapipeMaxKib on lavapipe (llvmpipe's compile time grows
  // much faster than the code) and no limit on GPUs.
  uint32_t jit_max_glsl_kib = 0;
  static constexpr uint32_t kJitLavapipeMaxKib = 192;
  // Host I/O (shaders/abi_io.h). 0: the device's default.
  uint32_t io_slots = 0;       // request slots (lavapipe 128, GPUs 4096)
  io::IoBackendChoice io_backend = io::IoBackendChoice::Auto;

  // Raises block_kib so a block holds `words` (procs::block_words_for): a
  // verb that boots a session for programs it holds sizes the block to them.
  // Raises the block to hold a program's parts and the start of its stack,
  // up to kFitBlockMaxKib: every slot has a block, so a larger program's
  // parts go to a run of pages instead (docs/processes.md).
  static constexpr uint32_t kFitBlockMaxKib = 64;
  // max_pages for checking a program before the session exists: the one
  // given, else WebAssembly's ceiling (the device's default is known only
  // at boot, and the session checks the program again then).
  uint32_t max_pages_before_boot() const { return max_pages ? max_pages : abi::PT_MAX_PAGES; }
  void fit_block(uint32_t words) { block_kib = std::max(block_kib, std::min(kFitBlockMaxKib, (words + 255) / 256)); }
};

// A boot's progress through the driver's compile of the kernel. On a cold
// shader cache it takes a minute or more on lavapipe (docs/platform.md 2e);
// with a warm one a boot reports nothing.
struct CompileProgress {
  enum class Phase {
    Started,  // the compile has cost 3 s of CPU (or 30 s): a real one, not the cache
    Running,  // about once a second after that
    Done,     // finished (ok), or the boot failed meanwhile (!ok)
  };
  Phase phase = Phase::Started;
  std::string device;   // the device's name
  double seconds = 0;   // since the compile began (GPUs: the pipeline's creation; llvmpipe: the first dispatch)
  bool ok = true;
};
// Where every boot in this process reports it, from a thread of its own
// (the CLI prints it on stderr). None by default: a library stays quiet.
void set_compile_progress(std::function<void(const CompileProgress&)> fn);

// What a tree kill found (Session::kill_tree).
struct TreeKill {
  bool found = false;    // `pid` is in the table (running, zombie, or kept for its children)
  bool whole = false;    // `pid` is its tree's root: the kernel's tree flag ended the tree
  uint32_t running = 0;  // processes that were running, ready or blocked: each ends
  uint32_t root = 0;     // the root of its tree
};

struct SpawnResult {
  std::vector<uint32_t> pids;   // of the instances created, in instance order
  uint32_t failed_slots = 0;    // refused: the process table was full
  uint32_t failed_pages = 0;    // refused: not enough free pages
  uint32_t io_key = 0;          // its SpawnIo's key (release_io when done with it)
};

// One process-table snapshot, published by the kernel (OP_SNAPSHOT);
// `ps`, `stats` and their --json only format it.
struct ProcSnapshot {
  abi::SysHeader header{};
  std::vector<abi::HeapClassStats> heap;  // 32 classes, index 0 large runs
  std::vector<abi::ProcEntry> procs;      // every slot not FREE, by slot
  std::vector<abi::ProcEntry> ghosts;     // FREE but kept for children that hold slots (ProcEntry.hold)
  uint32_t clock_ms = 0;                  // session clock when taken
  std::vector<std::string> program_names; // by program index
  TierStats tier;                         // the compiled tier's compiles so far
};

enum class SessionError {
  Device,        // Vulkan bring-up or a Vulkan call failed
  Timeout,       // no reply in time
  Failed,        // the session has failed (hang, device lost); see failure()
  BadStatus,     // the kernel answered with a non-OK status
  Closed,        // shut down
  BadArgument,
};
const char* to_string(SessionError e);

enum class KernelMode { Live, Epoch };
const char* to_string(KernelMode m);

struct PingResult {
  std::vector<double> round_trip_us;  // one per ping, in order
};

struct EmitResult {
  uint32_t emitted = 0;  // records produced (written to the ring)
  uint32_t dropped = 0;  // records dropped after a bounded wait (EMIT_MAY_DROP)
};

// One consistent snapshot; `status`, `ps`-style verbs and --json format it.
struct SessionStatus {
  std::string device_name;
  uint32_t device_index = 0;
  std::string device_type;
  KernelMode mode = KernelMode::Epoch;
  std::string mode_reason;
  std::string kernel_state;  // "running", "parked", "stopped"
  uint32_t workgroups = 0;
  uint32_t lanes = 0;
  uint32_t lanes_running = 0;
  uint64_t launches = 0;
  uint32_t heartbeat = 0;
  uint32_t loop_cuts = 0;       // lavapipe: lanes whose loops llvmpipe's budget cut short (platform.md 2h); 0 is right
  uint64_t commands = 0;
  uint32_t ring_capacity = 0;
  uint64_t ring_received = 0;
  uint64_t ring_bytes = 0;
  uint64_t ring_drops = 0;
  uint64_t ring_lost = 0;       // lavapipe: claimed slots never written, skipped (platform.md 2g)
  uint64_t ring_position = 0;   // next ring position the host will drain
  uint32_t ring_head = 0;       // next ring position a producer will claim (mod 2^32)
  uint32_t emit_end = 0;        // emit job: one past its last position
  uint32_t emit_cursor = 0;     //   next position handed out
  uint32_t emit_done = 0;       //   positions produced or dropped
  std::string control_memory;
  std::string ring_memory;
  std::string host_memory;
  std::string io_backend;        // io_uring, or thread-pool (and why)
  uint64_t io_requests = 0;      // requests served by the host
  uint32_t io_slots = 0;         // request slots
  uint32_t io_slots_held = 0;    // of which processes hold (a request in flight, or kept between calls)
  double uptime_s = 0;
  bool failed = false;
  std::string failure;
  std::string shutdown_path;  // after shutdown: "mailbox" (OP_SHUTDOWN answered) or "stop flag"
};

class Session {
 public:
  static Result<std::unique_ptr<Session>, SessionError> boot(const BootOptions& opts);
  ~Session();  // shuts down if still running
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // One mailbox command, answered or failed within `timeout`.
  Result<MailboxReply, SessionError> command(uint32_t op, uint32_t a0 = 0, uint32_t a1 = 0,
                                             uint32_t a2 = 0, uint32_t a3 = 0,
                                             std::chrono::milliseconds timeout = 5000ms);
  Result<PingResult, SessionError> ping(uint32_t count, std::chrono::milliseconds timeout = 5000ms);
  // Emits `count` records of `kind` and returns once the host has drained them all.
  Result<EmitResult, SessionError> emit(uint32_t count, uint32_t kind, uint32_t flags = 0,
                                        std::chrono::milliseconds timeout = 60000ms);
  // Stops the kernel and the threads; no dispatch is running afterwards.
  // Idempotent. Returns how long stopping the kernel took.
  std::chrono::microseconds shutdown();

  // Processes. load_program prepares a module (procs/proc/program.h) and
  // places it in the program store; identical bytes (by SHA-256) under the
  // same name load once. Each call pins the program: it stays loaded until
  // release_program is called as often (never, for a caller that does not
  // call it) and its last process is gone (collect_unused).
  //
  // `tier` (docs/compiled-tier.md, "Inside the kernel"): Interp keeps the
  // program on the interpreter. Auto asks for its compile and returns at
  // once: a thread compiles it into a kernel variant and installs that at
  // the next launch boundary, and the processes that start after that run
  // compiled (earlier ones finish on the interpreter). Compiled waits for
  // that install and fails when the compiler cannot handle the module. The
  // same module loaded with Interp and with Compiled or Auto is two
  // programs, so each keeps its tier.
  Result<uint32_t, SessionError> load_program(std::span<const uint8_t> wasm, const std::string& name,
                                              Tier tier = Tier::Interp);
  // Waits until program `id` (loaded with Compiled or Auto) runs compiled;
  // fails when the compiler could not handle it. load_program(Compiled) is
  // load_program(Auto) and this: loading many programs with Auto and then
  // waiting for each compiles them into one kernel variant, not one each.
  Result<void, SessionError> wait_compiled(uint32_t id);
  // Where program `id`'s compile stands, and why it failed if it did.
  JitState program_jit(uint32_t id, std::string* failure = nullptr) const;
  TierStats tier_stats() const;
  // Unpins a program load_program returned. Unpinned programs, and the
  // argv blobs and I/O (open files) of spawns, are released by a reaper
  // thread once no process holds them (docs/processes.md, "Unloading").
  void release_program(uint32_t id);
  // Releases now what no process holds; returns how many programs and
  // spawns it released. The reaper calls it; tests may too.
  struct Collected {
    uint32_t programs = 0, spawns = 0;
  };
  Result<Collected, SessionError> collect_unused();
  // Has the kernel begin a new launch, within `timeout`; true when one began.
  bool relaunch_kernel(std::chrono::milliseconds timeout);
  // Sets work_posted_ and wakes the service thread (service_loop).
  void post_work();
  // Programs loaded now, and spawns whose argv blob and I/O are kept.
  uint32_t programs_loaded() const;
  uint32_t spawns_kept() const;
  // `count` instances; instance i gets spawn argument first_arg + i and
  // argv (argv[0] is the program's name). `io` gives them (and the
  // processes they spawn) their preopened directories, stdin and a sink for
  // their stdout and stderr; without it they have no files and their output
  // shows in `gpuos tail` only. `env` ("KEY=VALUE" each) is their WASI
  // environment, and that of the processes they spawn. `page_cap`: the
  // pages each may hold (memory, heap and stack; `spawn --max-memory`),
  // at most the session's max_pages; 0: the session's.
  Result<SpawnResult, SessionError> spawn(uint32_t program, uint32_t count, uint32_t first_arg,
                                          std::span<const std::string> args,
                                          std::shared_ptr<const io::SpawnIo> io = nullptr,
                                          std::span<const std::string> env = {}, uint32_t page_cap = 0);
  // Forgets a spawn's SpawnIo (after its processes have exited).
  void release_io(uint32_t key);
  // "io_uring", or "thread-pool (why io_uring was not used)".
  std::string io_backend_description() const;
  Result<bool, SessionError> kill(uint32_t pid);  // false: no such live process
  // `kill --tree`: ends `pid` and every descendant of it (its whole tree
  // when `pid` is a tree's root).
  Result<TreeKill, SessionError> kill_tree(uint32_t pid);
  Result<ProcSnapshot, SessionError> snapshot();
  const procs::ExitLog& exits() const { return exits_; }
  const procs::ProcessProgram* program(uint32_t id) const;

  SessionStatus status() const;
  const io::DebugLog& log() const { return *log_; }
  // Each process's stdout and stderr, as written (`gpuos logs`).
  const io::ProcessLogs& outputs() const { return outputs_; }
  KernelMode mode() const { return mode_; }
  const vk::Context& context() const { return *ctx_; }
  bool failed() const { return failed_.load(); }
  std::string failure() const;
  // Called once, from the service thread, when the session fails (hang, device lost).
  void on_failure(std::function<void(const std::string&)> cb);

  // Tests: stop draining the ring (producers then see it full).
  void set_drain_paused(bool paused) { drain_paused_.store(paused); }
  // Every drained batch also goes here (benchmarks, tests). Set before use.
  void set_record_observer(io::RingConsumer::Sink sink);

 private:
  Session() = default;
  Result<void, SessionError> init(const BootOptions& opts);
  Result<void, SessionError> warm_up();
  Result<void, SessionError> choose_mode();
  Result<void, SessionError> launch(uint32_t mode, uint32_t slice);
  uint32_t slice_for(uint32_t mode) const;
  void service_loop();
  void drain_loop();
  void fail_session(const std::string& why);
  bool kernel_has_work() const;
  bool processes_to_run() const;
  uint32_t load(const uint32_t& field) const;

  Result<void, SessionError> init_processes();
  void reaper_loop();
  void stop_reaper();
  // Name and trap description of an exit, while its program is loaded (the
  // drain thread, before the exit is logged: the program may be unloaded
  // once its last exit has been drained).
  void describe_exit(procs::ExitInfo& e) const;
  Result<void, SessionError> init_io();
  // load_program without the tier: finds or places the program.
  Result<uint32_t, SessionError> load_program_id(std::span<const uint8_t> wasm, const std::string& name,
                                                 bool interp_only);
  // The compiled tier (session_tier.cpp).
  struct KernelVariant {
    std::unique_ptr<KernelPipeline> pipeline;
    // The programs whose code it holds; installed only for ids that still
    // hold the same program (one unloaded meanwhile may have been replaced).
    std::vector<std::pair<uint32_t, std::shared_ptr<const procs::ProcessProgram>>> programs;
    std::chrono::steady_clock::time_point queued_at;  // the oldest of its programs' requests
  };
  void request_compile(uint32_t id);
  void tier_loop();
  void stop_tier();
  // The service thread, before a launch: a variant the tier thread built
  // becomes the kernel (no kernel runs then).
  Result<void, SessionError> install_pending_variant();

  BootOptions opts_;
  std::unique_ptr<vk::Context> ctx_;
  std::unique_ptr<ProcMemory> procs_;
  // Programs by id. An id whose program was unloaded is free again once a
  // kernel launch has begun after the unload (ProcMemory says why).
  struct LoadedProgram {
    std::shared_ptr<const procs::ProcessProgram> prog;  // null: the id is free
    std::array<uint8_t, 32> sha256{};
    uint32_t store_at = 0, store_words = 0;
    uint32_t pins = 0;          // load_program calls not yet matched by release_program
    uint64_t freed_launch = 0;  // a free id: launches_ when it was freed
    bool interp_only = false;   // loaded with Tier::Interp
    JitState jit = JitState::None;
    std::string jit_failure;
  };
  // A host spawn whose argv blob (and I/O, if any) is kept while a process
  // carries its key (ProcEntry.argv_off).
  struct KeptSpawn {
    uint32_t words = 0;
    uint64_t seq = 0;  // registration order (collect_unused skips spawns newer than its snapshot)
  };
  mutable std::mutex programs_mu_;  // programs_, spawns_, spawn_seq_
  std::vector<LoadedProgram> programs_;
  std::unordered_map<uint32_t, KeptSpawn> spawns_;  // by io key
  uint64_t spawn_seq_ = 0;
  std::mutex collect_mu_;  // one collect_unused at a time
  std::mutex reaper_mu_;
  std::condition_variable reaper_cv_;
  std::thread reaper_thread_;
  bool reaper_stop_ = false;     // under reaper_mu_
  uint64_t reaper_seen_exits_ = 0;
  std::mutex out_mu_;  // a spawn or snapshot: its command and the read of the out buffer
  procs::ExitLog exits_;
  vk::Buffer control_buf_;
  vk::Buffer ring_buf_;
  vk::Buffer host_buf_;  // HostBlock: the mailbox reply
  abi::ControlBlock* ctrl_ = nullptr;
  std::unique_ptr<KernelPipeline> pipeline_;
  // What a kernel variant is built from: the kernel's buffers in binding
  // order, its workgroups and the defines of the build-time kernel it
  // replaces (shaders/CMakeLists.txt).
  std::vector<const vk::Buffer*> bindings_;
  std::vector<std::string> kernel_defines_;
  uint32_t kernel_workgroups_ = 0;
  // The tier thread: compiles queued programs into variants (tier_loop).
  mutable std::mutex tier_mu_;  // the members below
  std::condition_variable tier_cv_;  // work for the tier thread, or a variant installed
  std::thread tier_thread_;
  bool tier_stop_ = false;
  bool tier_work_ = false;
  std::unique_ptr<KernelVariant> pending_variant_;  // built, waiting for the service thread
  std::chrono::steady_clock::time_point first_queued_at_{};  // the oldest program waiting for a variant
  TierStats tier_stats_;
  std::unique_ptr<MailboxClient> mailbox_;
  std::unique_ptr<io::RingConsumer> consumer_;
  std::unique_ptr<io::DebugLog> log_;
  io::ProcessLogs outputs_;  // fed by the drain thread
  // Host I/O. Destroyed in this order: the service (no new work), the
  // backend (finishes or cancels what is in flight), the WASI host.
  std::unique_ptr<io::WasiHost> wasi_;
  std::unique_ptr<io::IoBackend> backend_;
  std::string backend_why_;
  std::unique_ptr<io::RequestService> requests_;
  KernelMode mode_ = KernelMode::Epoch;
  std::string mode_reason_;
  std::chrono::milliseconds idle_park_{0};
  uint32_t max_slice_ = UINT32_MAX;  // lavapipe: loop-iteration budget per launch
  uint32_t proc_slice_ = 0;          // lavapipe, processes to run: LAVAPIPE_TICKS_PER_LAUNCH / quantum
  std::chrono::steady_clock::time_point booted_at_;

  std::mutex command_mu_;  // one mailbox command at a time
  std::atomic<int> command_waiters_{0};  // commands waiting for command_mu_ (emit yields to them)
  std::mutex emit_mu_;     // one emit() at a time: its jobs are several commands
  std::atomic<uint64_t> commands_{0};

  mutable std::mutex service_mu_;
  std::condition_variable service_cv_;
  std::atomic<bool> stopping_{false};
  bool work_posted_ = false;              // under service_mu_: wake the service thread
  std::atomic<bool> kernel_running_{false};
  std::atomic<bool> parked_{false};
  std::atomic<uint64_t> launches_{0};
  // A loader waits for a launch (freed program ids and store ranges are
  // reused only after one): the service thread parks a running live kernel
  // and relaunches it, or launches an idle one (relaunch_kernel).
  std::atomic<bool> relaunch_wanted_{false};
  std::atomic<int64_t> last_activity_ns_{0};
  std::thread service_thread_;
  std::mutex shutdown_mu_;  // held for the whole of shutdown()
  std::optional<std::chrono::microseconds> shutdown_time_;  // under shutdown_mu_
  std::atomic<const char*> shutdown_path_{""};  // "mailbox" or "stop flag"

  std::thread drain_thread_;
  std::atomic<bool> drain_stop_{false};
  std::atomic<bool> drain_paused_{false};
  std::atomic<uint64_t> drained_position_{0};
  int drain_spin_rounds_ = 64;  // idle drain rounds before sleeping
  bool drain_spin_pause_ = false;  // GPUs: those rounds spin on cpu_relax(); lavapipe: they yield
  uint32_t ring_capacity_ = 0;  // records: BootOptions.ring_capacity, or sized to the kernel
  io::RingConsumer::Sink observer_;

  std::atomic<bool> failed_{false};
  mutable std::mutex failure_mu_;
  std::string failure_;
  std::function<void(const std::string&)> failure_cb_;
  bool kernel_abandoned_ = false;  // a hung dispatch we could not stop
};

}  // namespace gpuos

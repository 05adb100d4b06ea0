// The `gpuos` command. Every verb is a function in cmd_*.cpp; this file only
// declares the command line (CLI11) and maps it to them.
#include <unistd.h>

#include <csignal>
#include <cstdio>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/json_out.h"
#include "kernel/byte_size.h"
#include "kernel/control/paths.h"
#include "kernel/session.h"
#include "kernel/text_escape.h"

using namespace gpuos;
using namespace gpuos::cli;

namespace {

// --max-memory SIZE: whole 64 KiB pages, 1 to 65,536 (4 GiB, WebAssembly's
// limit); a refusal is CLI11's one line.
// --tier interp|compiled|auto (docs/compiled-tier.md).
void add_tier_option(CLI::App* cmd, std::optional<Tier>& tier, const char* what) {
  cmd->add_option_function<std::string>(
         "--tier", [&tier](const std::string& s) { tier = *parse_tier(s); }, what)
      ->check(CLI::IsMember({"interp", "compiled", "auto"}));
}

uint32_t max_memory_pages(const std::string& text) {
  const auto bytes = parse_byte_size(text);
  if (!bytes || *bytes < abi::PAGE_BYTES || *bytes > (uint64_t{1} << 32)) {
    throw CLI::ValidationError("--max-memory", text + ": give a size from 64K to 4G (a number, then K, M or G)");
  }
  return static_cast<uint32_t>(*bytes / abi::PAGE_BYTES);
}

// The sizes a session gives each process and program, on every verb that
// boots one (boot, run). Error messages name these options.
void add_size_options(CLI::App* c, BootOptions& o) {
  auto* pages = c->add_option("--max-pages", o.max_pages,
                               "pages (64 KiB) a process may hold, its linear memory, heap and call stack together: "
                               "1..65536 (default: half the arena, at most 65536)")
                    ->check(CLI::Range(1u, 65536u));
  c->add_option_function<std::string>(
       "--max-memory", [&o](const std::string& s) { o.max_pages = max_memory_pages(s); },
       "memory a process may hold, its linear memory, heap and call stack together: 64K..4G (default: half the arena, at most 4G; 64M on lavapipe); "
       "--max-pages in bytes")
      ->excludes(pages);
  c->add_option("--block-kib", o.block_kib,
                "KiB per process block: registers, page table, globals, tables, call frames")
      ->capture_default_str()
      ->check(CLI::Range(4u, 65536u));
  c->add_option("--store-mib", o.store_mib, "MiB of program store: the code and data of every loaded program")
      ->capture_default_str()
      ->check(CLI::Range(1u, 4095u));
  c->add_option("--max-call-depth", o.max_call_depth,
                "nested calls before the 'call stack exhausted' trap; the stack grows in the process's pages "
                "(--max-pages) up to it")
      ->capture_default_str()
      ->check(CLI::Range(1u, 10000000u));
}

// Adds --dir and --dir-ro to `c`, one HOST[:GUEST] per occurrence. Their
// order on the command line is the order of the preopens (fds 3, 4, ...),
// so it is rebuilt from CLI11's parse order by order_dirs().
struct DirOptions {
  CLI::Option* rw = nullptr;
  CLI::Option* ro = nullptr;
  std::vector<std::string> rw_specs, ro_specs;
};
void add_dir_options(CLI::App* c, DirOptions& d, const char* rw_help) {
  d.rw = c->add_option("--dir", d.rw_specs, rw_help)->allow_extra_args(false);
  d.ro = c->add_option("--dir-ro", d.ro_specs, "preopen HOST[:GUEST] read-only (repeatable)")->allow_extra_args(false);
}
std::vector<std::pair<std::string, bool>> order_dirs(const CLI::App* c, const DirOptions& d) {
  std::vector<std::pair<std::string, bool>> out;
  size_t rw = 0, ro = 0;
  for (const CLI::Option* o : c->parse_order()) {
    if (o == d.rw && rw < d.rw_specs.size()) out.emplace_back(d.rw_specs[rw++], false);
    if (o == d.ro && ro < d.ro_specs.size()) out.emplace_back(d.ro_specs[ro++], true);
  }
  // Anything parse_order did not account for (it should not happen) keeps its place after.
  while (rw < d.rw_specs.size()) out.emplace_back(d.rw_specs[rw++], false);
  while (ro < d.ro_specs.size()) out.emplace_back(d.ro_specs[ro++], true);
  return out;
}

// A cold start compiles the kernel for a minute or more on lavapipe: say so
// on stderr. A terminal gets one line that counts the seconds; anything else
// (a log, a pipe) gets a start line and a done line.
void print_compile_progress(const CompileProgress& p) {
  static const bool tty = ::isatty(STDERR_FILENO) == 1;
  using P = CompileProgress::Phase;
  const char* what = "gpuos: compiling the kernel for";
  switch (p.phase) {
    case P::Started:
      if (tty) {
        std::fprintf(stderr, "%s %s (first run; cached afterwards) ... %.0f s", what, p.device.c_str(), p.seconds);
      } else {
        std::fprintf(stderr, "%s %s (first run; cached afterwards; minutes on a CPU device) ...\n", what,
                     p.device.c_str());
      }
      break;
    case P::Running:
      if (tty) std::fprintf(stderr, "\r%s %s (first run; cached afterwards) ... %.0f s", what, p.device.c_str(), p.seconds);
      break;
    case P::Done:
      std::fprintf(stderr, "%sgpuos: %s the kernel for %s in %.1f s%s\n", tty ? "\r\033[K" : "",
                   p.ok ? "compiled" : "gave up compiling", p.device.c_str(), p.seconds,
                   p.ok ? " (cached for later runs)" : "");
      break;
  }
  std::fflush(stderr);
}

// wasmtime's rule for `run` and `spawn`: gpuos options come before the
// module, and the module and every word after it belong to the program,
// whatever they look like (`run wc.wasm -l f`). The verb is a CLI11 prefix
// command with no positionals, so parsing stops at the first word it does
// not know: that word is the module (or an unknown option, refused here),
// the rest is the program's. A `--` right after the module is dropped, as
// wasmtime does, so `run x.wasm -- -n 2` still gives the program "-n 2".
bool take_module(const CLI::App* c, std::string& module, std::vector<std::string>& args) {
  std::vector<std::string> rest = c->remaining();
  size_t i = 0;
  if (i < rest.size() && rest[i] == "--") ++i;  // `run -- x.wasm`: the module may not look like an option
  else if (i < rest.size() && rest[i].size() > 1 && rest[i][0] == '-') {
    std::fprintf(stderr,
                 "gpuos: %s: unknown option '%s' (gpuos options go before the module; `gpuos help %s` lists them)\n",
                 c->get_name().c_str(), rest[i].c_str(), c->get_name().c_str());
    return false;
  }
  if (i >= rest.size()) {
    report_error("gpuos: %s: no module given (usage: gpuos %s [OPTIONS] MODULE.wasm [ARGS...])\n",
                 c->get_name().c_str(), c->get_name().c_str());
    return false;
  }
  module = rest[i++];
  if (i < rest.size() && rest[i] == "--") ++i;
  args.assign(rest.begin() + static_cast<std::ptrdiff_t>(i), rest.end());
  return true;
}

// The verbs a user sees (the hidden `fault` is not listed), for the
// unknown-command hint.
std::string verb_list(const CLI::App& app) {
  std::string out;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App* a) { return !a->get_group().empty(); })) {
    out += (out.empty() ? "" : ", ") + sub->get_name();
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  // Diagnostics go to stderr; stdout is for what the verb prints.
  spdlog::set_default_logger(spdlog::stderr_color_mt("gpuos"));
  set_compile_progress(print_compile_progress);
  CLI::App app{
      "gpuos: a GPU operating-system runtime. A session keeps one persistent Vulkan compute kernel\n"
      "resident on the device; the verbs below boot one and talk to it over a Unix socket under\n"
      "$XDG_RUNTIME_DIR/gpuos (or /tmp/gpuos-$UID).\n"
      "Exit codes of run, wait and suite: the program's own status, else 125 gpuos failed (bad arguments, no\n"
      "session, no device, session failed), 126 the module cannot run, 127 no such module file, 134 a trap,\n"
      "137 killed, 141 its reader went away, 130 (suite) interrupted. Every other verb: 0 ok, 1 error,\n"
      "2 no such session, 3 session failed (hang), 4 no Vulkan device.",
      "gpuos"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "gpuos 0.1.0");
  std::string session = control::default_session_name();
  bool verbose = false;
  app.add_option("--session,-s", session, "session name (default: $GPUOS_SESSION or 'default')");
  app.add_flag("--verbose,-v", verbose, "log diagnostics to stderr");
  int rc = EXIT_OK;

  // boot
  BootArgs boot;
  uint32_t device = 0;
  uint32_t hang_ms = 3000, park_ms = 0;
  auto* c_boot = app.add_subcommand("boot", "start a session: boot the device and keep the kernel resident");
  c_boot->add_flag("--detach,-d", boot.detach, "run in the background (log in the session dir); print when ready");
  auto* o_dev = c_boot->add_option("--device", device, "use Vulkan device N (see `gpuos info`; also $GPUOS_DEVICE)");
  c_boot->add_flag("--epoch", boot.options.force_epoch, "run the kernel in bounded relaunched slices (no live mailbox)");
  c_boot->add_option("--ring", boot.options.ring_capacity, "debug-ring capacity in records: a power of two, or 0 for 2^16 or twice the kernel's lanes, whichever is more")
      ->capture_default_str();
  c_boot->add_option("--workgroups", boot.options.workgroups, "workgroups of the persistent kernel (0: sized to the device)")
      ->capture_default_str();
  auto* o_hang = c_boot->add_option("--hang-timeout-ms", hang_ms, "heartbeat silence that counts as a hang")
                     ->capture_default_str();
  auto* o_park = c_boot->add_option("--idle-park-ms", park_ms,
                                    "idle time after which a live kernel parks (0: never; default 1000, 50 on lavapipe)");
  c_boot->add_option("--proc-slots", boot.options.proc_slots,
                     "process-table slots, a multiple of 32 (0: 1024 on lavapipe, 131072 on GPUs)")
      ->capture_default_str();
  c_boot->add_option("--max-procs-per-tree", boot.options.max_procs_per_tree,
                     "slots one process tree (a spawned process and all it spawns) may hold; a GPU spawn past "
                     "it fails with -4 (0: a quarter of the table)")
      ->capture_default_str();
  c_boot->add_option("--arena-mib", boot.options.arena_mib,
                     "memory for process pages in MiB, a multiple of 2 (0: 128 on lavapipe, 8192 on GPUs)")
      ->capture_default_str();
  add_size_options(c_boot, boot.options);
  c_boot->add_flag("--profile", boot.options.profile,
                   "count where lane time goes (GPUs with shaderDeviceClock only; a little slower)");
  c_boot->callback([&] {
    boot.session = session;
    if (*o_dev) boot.options.device = device;
    if (*o_hang) boot.options.hang_timeout = std::chrono::milliseconds(hang_ms);
    if (*o_park) boot.options.idle_park = std::chrono::milliseconds(park_ms);
    rc = cmd_boot(boot);
  });

  // info
  InfoArgs info;
  bool no_probe = false;
  auto* c_info = app.add_subcommand("info", "list Vulkan devices, the chosen one, features, memory types, live or epoch");
  auto* o_idev = c_info->add_option("--device", device, "report as if --device N were given");
  c_info->add_flag("--json", info.json, "machine-readable output");
  c_info->add_flag("--no-probe", no_probe, "do not boot a kernel to learn live or epoch mode");
  c_info->callback([&] {
    if (*o_idev) info.device = device;
    info.probe = !no_probe;
    rc = cmd_info(info);
  });

  bool json = false;
  RunArgs run;
  auto* c_run = app.add_subcommand(
      "run", "run a program as GPU processes (its output here, its exit status), or with --invoke one export");
  c_run->prefix_command();  // MODULE [ARGS...]: take_module()
  c_run->footer(
      "Arguments: gpuos options go before MODULE; MODULE and every word after it belong to the program, as in\n"
      "wasmtime: `gpuos run --dir . wc.wasm -l f` runs wc with argv [\"wc.wasm\", \"-l\", \"f\"] (argv[0] is the file's\n"
      "name). A `--` right after MODULE is dropped; any other `--` reaches the program. With --invoke NAME the\n"
      "words after MODULE are the export's arguments, by parameter type (ints: decimal or 0x; floats: C numbers).\n"
      "Usage: gpuos run [OPTIONS] MODULE.wasm [ARGS...]    gpuos run --invoke NAME [OPTIONS] MODULE.wasm [ARGS...]");
  c_run->add_option("--invoke", run.invoke, "call this export and print its results, instead of running the program");
  c_run->add_flag("--json", run.json, "--invoke: machine-readable output");
  // Before the module, as `gpuos -v run` (after it, -v is the program's).
  c_run->add_flag("--verbose,-v", verbose, "log diagnostics to stderr: device, kernel mode, compile time");
  DirOptions run_dirs;
  add_dir_options(c_run, run_dirs, "preopen HOST[:GUEST] read-write (repeatable; fds from 4, in the order given)");
  auto* o_no_cwd =
      c_run->add_flag("--no-cwd", run.no_cwd, "do not preopen the current directory (read-only as \".\", fd 3, by default)");
  c_run->add_flag("--cwd-rw", run.cwd_rw, "preopen the current directory read-write")->excludes(o_no_cwd);
  c_run->add_option("--stdin", run.stdin_path, "the program's stdin (default: this command's)");
  c_run->add_option("--env", run.env,
                    "KEY=VALUE in the program's environment (repeatable); --env KEY takes this command's value")
      ->allow_extra_args(false);
  c_run->add_flag("--env-inherit", run.env_inherit,
                  "give the program this command's whole environment (--env adds to it and overrides)");
  c_run->add_option("--instances,-n", run.instances, "processes to run")->check(CLI::Range(1u, 1u << 20));
  add_tier_option(c_run, run.tier,
                  "the program's code: interp, compiled (wait for the compiler), or auto (start on the "
                  "interpreter, later processes compiled; the default, but interp on lavapipe)");
  c_run->add_option("--device", run.device, "Vulkan device index (default: the best)");
  add_size_options(c_run, run.boot);
  c_run->get_option("--max-pages")
      ->description("linear-memory pages (64 KiB) a process may hold, 1..65536 (--invoke: default 2048)");
  c_run->add_option("--proc-slots", run.boot.proc_slots,
                    "process-table slots, a multiple of 32 (0: 1024 on lavapipe, 131072 on GPUs)")
      ->capture_default_str();
  c_run->callback([&] {
    if (!take_module(c_run, run.module, run.args)) {
      rc = EXIT_GPUOS;
      return;
    }
    run.dirs = order_dirs(c_run, run_dirs);
    if (c_run->count("--max-pages") || c_run->count("--max-memory")) run.boot_max_pages = run.boot.max_pages;
    // Options of one form given to the other would be ignored: refused.
    static const char* const kProgramOnly[] = {"--dir",    "--dir-ro",    "--no-cwd",    "--cwd-rw",
                                               "--stdin",  "--instances", "--device",    "--block-kib",
                                               "--store-mib", "--proc-slots", "--env",   "--env-inherit"};
    for (const char* o : kProgramOnly) {
      if (!run.invoke.empty() && c_run->count(o)) {
        report_error("gpuos: run: %s goes without --invoke (it is for running a program)%s\n", o,
                     std::string(o) == "--device" ? "; --invoke uses $GPUOS_DEVICE" : "");
        rc = EXIT_GPUOS;
        return;
      }
    }
    if (!run.invoke.empty() && c_run->count("--max-call-depth")) {  // --invoke's own stack: 20000 unless given
      if (run.boot.max_call_depth > RunArgs::kInvokeMaxCallDepth) {
        report_error("gpuos: run: --invoke nests calls at most %u deep (--max-call-depth)\n", RunArgs::kInvokeMaxCallDepth);
        rc = EXIT_GPUOS;
        return;
      }
      run.max_call_depth = run.boot.max_call_depth;
    }
    if (run.invoke.empty()) {
      if (run.json) {
        report_error("gpuos: run: --json goes with --invoke (a program's output is its own)\n");
        rc = EXIT_GPUOS;
        return;
      }
      rc = cmd_exec(run);
    } else {
      rc = cmd_run(run);
    }
  });

  SuiteArgs suite;
  auto* c_suite = app.add_subcommand(
      "suite", "run an app suite (DIR/suite.json) on the GPU, check every case, print a pass/fail and speed table");
  c_suite->add_option("dir", suite.dir, "the suite folder, e.g. apps/suites/basic")->required();
  c_suite->add_option("--apps-dir", suite.apps_dir, "where the apps' .wasm files are (default: " GPUOS_APPS_DIR ")");
  c_suite->add_flag("--json", suite.json, "machine-readable output");
  add_tier_option(c_suite, suite.tier, "the apps' code: interp (default), compiled, or auto");
  c_suite->add_flag("--keep", suite.keep, "keep every working dir (a failed case's is kept anyway)");
  c_suite->add_flag("--quiet,-q", suite.quiet, "no progress line on stderr");
  c_suite->add_option("--timeout", suite.timeout_s, "seconds for the whole suite; what still runs then fails")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 1e7));
  c_suite->add_option("--jobs,-j", suite.jobs, "at most N processes at once (0: every instance of every case)")
      ->capture_default_str();
  c_suite->add_option("--device", suite.device, "Vulkan device index (default: the best)");
  c_suite->callback([&] { rc = cmd_suite(suite); });

  BlockArgs block;
  auto* c_block = app.add_subcommand("block", "blocks of contract calls against a state database: run, view, rollback");
  c_block->require_subcommand(1);
  auto* c_block_run = c_block->add_subcommand("run", "run a block file's calls in order and commit the block");
  c_block_run->add_option("block", block.block_file, "the block file (JSON lines; docs/contracts.md)")->required();
  c_block_run->add_option("--db", block.db, "the state database folder (created if missing)")->required();
  c_block_run->add_flag("--json", block.json, "one object per call, then an end object");
  c_block_run->callback([&] { rc = cmd_block_run(block); });
  auto* c_block_view = c_block->add_subcommand("view", "one read-only call against the committed state");
  c_block_view->add_option("--db", block.db, "the state database folder")->required();
  c_block_view->add_option("target", block.target, "the contract's id, block:tx")->required();
  c_block_view->add_option("inputs", block.inputs, "the call's inputs, decimal u128s, the opcode first")->required();
  c_block_view->add_flag("--json", block.json, "machine-readable output");
  c_block_view->callback([&] { rc = cmd_block_view(block); });
  auto* c_block_rollback = c_block->add_subcommand("rollback", "undo the blocks above a height (a reorg)");
  c_block_rollback->add_option("--db", block.db, "the state database folder")->required();
  c_block_rollback->add_option("--to", block.to_height, "the height to go back to")->required();
  c_block_rollback->add_flag("--json", block.json, "machine-readable output");
  c_block_rollback->callback([&] { rc = cmd_block_rollback(block); });

  auto* c_status = app.add_subcommand("status", "show the session's state: device, mode, kernel, ring, drops");
  c_status->add_flag("--json", json, "machine-readable output");
  c_status->callback([&] { rc = cmd_status(session, json); });

  uint32_t count = 100;
  auto* c_ping = app.add_subcommand("ping", "round-trip the mailbox N times; print p50 and p99");
  c_ping->add_option("-n,--count", count, "number of pings")->capture_default_str()->check(CLI::Range(1u, 1000000u));
  c_ping->add_flag("--json", json, "machine-readable output");
  c_ping->callback([&] { rc = cmd_ping(session, count, json); });

  uint32_t tail_n = 10;
  bool follow = false;
  auto* c_tail = app.add_subcommand("tail", "print the newest debug-ring records (pid- and lane-tagged)");
  c_tail->add_option("-n", tail_n, "records to print first")->capture_default_str();
  c_tail->add_flag("-f,--follow", follow, "keep printing new records until the session ends or Ctrl-C");
  c_tail->add_flag("--json", json, "one JSON object per record");
  bool raw = false;
  c_tail->add_flag("--raw", raw, "guest text as written (default: control characters and escape sequences shown as \\xNN)");
  c_tail->callback([&] { rc = cmd_tail(session, tail_n, follow, json, raw); });

  uint32_t emit_n = 0;
  std::string kind = "text";
  bool may_drop = false;
  auto* c_emit = app.add_subcommand("emit", "diagnostic: have the kernel write N debug records (lanes in parallel)");
  c_emit->add_option("count", emit_n, "records to emit")->required();
  c_emit->add_option("--kind", kind, "text ('emit <i>') or pattern (verifiable words)")
      ->check(CLI::IsMember({"text", "pattern"}))
      ->capture_default_str();
  c_emit->add_flag("--may-drop", may_drop, "producers drop (and count) records after a bounded wait on a full ring");
  c_emit->add_flag("--json", json, "machine-readable output");
  c_emit->callback([&] { rc = cmd_emit(session, emit_n, kind, may_drop, json); });

  auto* c_shutdown = app.add_subcommand("shutdown", "stop the session: the kernel exits, the daemon ends");
  c_shutdown->add_flag("--json", json, "machine-readable output");
  c_shutdown->callback([&] { rc = cmd_shutdown(session, json); });

  // Processes (cmd_procs.cpp).
  SpawnArgs spawn;
  auto* c_spawn = app.add_subcommand("spawn", "load a .wasm program and start processes of it; print their pids");
  c_spawn->prefix_command();  // MODULE [ARGS...]: take_module()
  c_spawn->footer(
      "Arguments: gpuos options go before MODULE; MODULE and every word after it belong to the program, as in\n"
      "wasmtime: `gpuos spawn -n 4 --stdout o.log x.wasm -v 0` gives every instance argv [\"x\", \"-v\", \"0\"].\n"
      "A `--` right after MODULE is dropped; any other `--` reaches the program.\n"
      "Usage: gpuos spawn [OPTIONS] MODULE.wasm [ARGS...]");
  c_spawn->add_option("-n,--instances", spawn.instances, "processes to start")
      ->capture_default_str()
      ->check(CLI::Range(1u, 4294967295u));
  c_spawn->add_option("--arg", spawn.first_arg, "spawn argument of the first instance; instance i gets FIRST + i")
      ->capture_default_str();
  c_spawn->add_option("--stdout", spawn.stdout_path, "write the processes' stdout to FILE (default: gpuos tail only)");
  c_spawn->add_option("--stderr", spawn.stderr_path, "write their stderr to FILE (may be the --stdout file)");
  c_spawn->add_option("--stdin", spawn.stdin_path, "each process reads FILE as its stdin (default: empty)");
  c_spawn->add_option_function<std::string>(
      "--max-memory", [&spawn](const std::string& s) { spawn.max_memory_pages = max_memory_pages(s); },
      "memory each process may hold, its linear memory, heap and call stack together: 64K up to what the session "
      "gives (boot --max-memory)");
  c_spawn->add_option("--env", spawn.env,
                      "KEY=VALUE in the processes' environment (repeatable; default: none, never the daemon's); "
                      "--env KEY takes this command's value")
      ->allow_extra_args(false);
  c_spawn->add_flag("--env-inherit", spawn.env_inherit,
                    "give the processes this command's whole environment (--env adds to it and overrides)");
  DirOptions spawn_dirs;
  add_dir_options(c_spawn, spawn_dirs,
                  "preopen HOST[:GUEST] read-write (repeatable; none by default; fds from 3, in the order given)");
  add_tier_option(c_spawn, spawn.tier,
                  "the program's code: interp, compiled (wait for the compiler), or auto (start on the "
                  "interpreter, later processes compiled; the default, but interp on lavapipe)");
  c_spawn->add_flag("--json", spawn.json, "machine-readable output");
  c_spawn->callback([&] {
    if (!take_module(c_spawn, spawn.program, spawn.args)) {
      rc = EXIT_ERROR;
      return;
    }
    spawn.dirs = order_dirs(c_spawn, spawn_dirs);
    rc = cmd_spawn(session, spawn);
  });

  uint32_t pid = 0;
  bool kill_tree = false;
  auto* c_kill = app.add_subcommand("kill", "kill a process (it stops at its next quantum boundary)");
  c_kill->add_option("pid", pid, "the process")->required()->check(CLI::Range(1u, 4294967295u));
  c_kill->add_flag("--tree", kill_tree,
                   "end PID and every process below it (spawned from it, or from those, even where a "
                   "parent between has exited), including any spawned meanwhile; for a tree's root, the "
                   "whole tree");
  c_kill->add_flag("--json", json, "machine-readable output");
  c_kill->callback([&] { rc = cmd_kill(session, pid, kill_tree, json); });

  double wait_timeout = 0;
  auto* c_wait = app.add_subcommand("wait", "wait until a process exits; exit with its exit status");
  c_wait->add_option("pid", pid, "the process")->required()->check(CLI::Range(1u, 4294967295u));
  auto* o_wait_timeout = c_wait->add_option("--timeout", wait_timeout, "give up after SECONDS (default: no limit)")
                             ->check(CLI::Range(0.0, 1e7));
  c_wait->add_flag("--json", json, "machine-readable output");
  c_wait->callback([&] {
    rc = cmd_wait(session, pid, *o_wait_timeout ? std::optional<double>(wait_timeout) : std::nullopt, json);
  });

  auto* c_logs = app.add_subcommand("logs", "print what a process wrote to stdout and stderr, as written");
  c_logs->add_option("pid", pid, "the process (running or exited)")->required()->check(CLI::Range(1u, 4294967295u));
  c_logs->add_flag("-f,--follow", follow, "keep printing until the process exits");
  c_logs->add_flag("--json", json, "one JSON object per line of output, then an end object");
  c_logs->callback([&] { rc = cmd_logs(session, pid, follow, json); });

  bool heap = false;
  auto* c_ps = app.add_subcommand("ps", "list the processes: PID PPID STATE PROG INSTR MEM TIME");
  c_ps->add_flag("--json", json, "the whole snapshot: counters, processes, heap classes");
  c_ps->add_flag("--heap", heap, "add the heap's per-size-class table");
  c_ps->add_flag("--raw", raw, "program names as given (default: control characters shown as \\xNN)");
  c_ps->callback([&] { rc = cmd_ps(session, json, heap, raw); });

  auto* c_stats = app.add_subcommand("stats", "process and page counters, and the heap's per-size-class table");
  c_stats->add_flag("--json", json, "machine-readable output");
  c_stats->callback([&] { rc = cmd_stats(session, json); });

  // Hidden (empty group): tests use it to prove that a hang is reported.
  std::string fault_what;
  auto* c_fault = app.add_subcommand("fault", "tests only: inject a kernel fault (hang)")->group("");
  c_fault->add_option("what", fault_what, "hang")->required()->check(CLI::IsMember({"hang"}));
  c_fault->callback([&] { rc = cmd_fault(session, fault_what); });

  // --session is accepted before or after the verb (`gpuos -s a ping`, `gpuos ping -s a`).
  for (CLI::App* sub : app.get_subcommands({})) {
    if (sub != c_info && sub != c_run && sub != c_suite && sub != c_block) {
      sub->add_option("--session,-s", session, "session name");
    }
  }
  // `gpuos help [VERB]`: the same text as `gpuos [VERB] --help`.
  std::string help_verb;
  auto* c_help = app.add_subcommand("help", "show the help of gpuos, or of one verb: gpuos help VERB");
  c_help->add_option("verb", help_verb, "the verb");
  c_help->callback([&] {
    if (help_verb.empty()) {
      std::printf("%s", app.help().c_str());
      return;
    }
    CLI::App* sub = nullptr;
    try {
      sub = app.get_subcommand(help_verb);
    } catch (const CLI::OptionNotFound&) {
    }
    if (!sub || sub->get_group().empty() || sub == c_help) {
      report_error("gpuos: help: unknown command '%s' (the commands: %s)\n", help_verb.c_str(),
                   verb_list(app).c_str());
      rc = EXIT_ERROR;
      return;
    }
    std::printf("%s", sub->help("gpuos").c_str());
  });

  // The verb given --json: its output, failures included, is JSON lines (cli/json_out.h).
  auto json_requested = [&] {
    const std::vector<CLI::App*> verbs = app.get_subcommands();
    if (verbs.empty()) return false;
    const CLI::App* verb = verbs.front();
    if (!verb->get_subcommands().empty()) verb = verb->get_subcommands().front();  // `block run`
    const CLI::Option* o = verb->get_option_no_throw("--json");
    return o != nullptr && o->count() > 0;
  };
  app.parse_complete_callback([&] {
    spdlog::set_level(verbose ? spdlog::level::debug : spdlog::level::warn);
    set_json_output(json_requested());
  });
  // run, wait and suite pass a program's status through: their own
  // failures, bad arguments included, are EXIT_GPUOS (exit_codes.h).
  auto own_failure = [&] {
    const std::vector<CLI::App*> verbs = app.get_subcommands();
    const bool program_verb =
        !verbs.empty() && (verbs.front() == c_run || verbs.front() == c_wait || verbs.front() == c_suite);
    return program_verb ? EXIT_GPUOS : EXIT_ERROR;
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version: CLI11 prints them
    // A first word that is no verb: say so, rather than CLI11's "A
    // subcommand is required" or "arguments were not expected".
    const std::vector<std::string> rest = app.remaining();
    if (app.get_subcommands().empty()) {
      if (!rest.empty() && !rest.front().empty() && rest.front()[0] != '-') {
        report_error("gpuos: unknown command '%s' (the commands: %s; `gpuos help VERB` for one)\n",
                     escape_text(rest.front()).c_str(), verb_list(app).c_str());
      } else {
        report_error("gpuos: %s (the commands: %s; `gpuos --help`)\n",
                     rest.empty() ? "no command given" : escape_text(e.what()).c_str(), verb_list(app).c_str());
      }
      return EXIT_ERROR;
    }
    // Every refusal is one line that names the verb and where its options
    // are listed (CLI11 would add a second, "Run with --help ...").
    const std::string verb = app.get_subcommands().front()->get_name();
    report_error("gpuos: %s: %s (`gpuos help %s`)\n", verb.c_str(), escape_text(e.what()).c_str(),
                 verb.c_str());
    set_json_output(json_requested());  // as far as parsing got
    return finish_json(own_failure());
  } catch (const std::exception& e) {
    // Nothing a verb meets should get here (each says what went wrong
    // itself); should something, it is one line and an exit code, never
    // std::terminate's abort (134, which `run` reserves for a trap).
    std::fflush(stdout);
    report_error("gpuos: internal error: %s (please report it)\n", escape_text(e.what()).c_str());
    return finish_json(own_failure());
  }
  return finish_json(rc);
}

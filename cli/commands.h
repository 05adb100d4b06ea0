// One function per `gpuos` verb; main.cpp wires them to CLI11.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kernel/session.h"
#include "procs/wasm/module_file.h"

namespace gpuos::cli {

struct BootArgs {
  std::string session;
  bool detach = false;
  BootOptions options;
};
int cmd_boot(const BootArgs& a);

struct InfoArgs {
  std::optional<uint32_t> device;
  bool json = false;
  bool probe = true;  // boot briefly to learn live or epoch mode
};
int cmd_info(const InfoArgs& a);

struct RunArgs {
  std::string module;
  std::string invoke;             // --invoke: run this export (cmd_run); else the program (cmd_exec)
  std::vector<std::string> args;  // the export's arguments, or the program's argv[1..]
  bool json = false;
  uint32_t max_call_depth = 20000;  // --invoke: nested calls before "call stack exhausted"
  static constexpr uint32_t kInvokeMaxCallDepth = 1000000;  // --invoke's own stack, at most
  // As a program (cmd_exec.cpp):
  std::vector<std::pair<std::string, bool>> dirs;  // HOST[:GUEST], read-only?
  std::vector<std::string> env;  // --env KEY=VALUE or KEY, in order
  bool env_inherit = false;      // --env-inherit: this command's whole environment first
  bool no_cwd = false;   // do not preopen the current directory
  bool cwd_rw = false;   // preopen it read-write
  std::string stdin_path;  // empty: this command's stdin
  uint32_t instances = 1;
  std::optional<Tier> tier;  // --tier (docs/compiled-tier.md); none: default_tier; --invoke: compiled runs it compiled
  std::optional<uint32_t> device;
  BootOptions boot;  // the session's sizes: --max-pages, --block-kib, --store-mib, --proc-slots
  std::optional<uint32_t> boot_max_pages;  // --max-pages as given (--invoke caps its memory with it)
};
int cmd_run(const RunArgs& a);
int cmd_exec(const RunArgs& a);
// "HOST[:GUEST]" -> a preopened directory (HOST made absolute), or why not.
std::optional<io::SpawnIo::Dir> parse_dir(const std::string& spec, bool read_only, std::string& why);
// A module file that could not be read: EXIT_NOT_FOUND when it does not
// exist, else EXIT_CANNOT_RUN (a directory, unreadable, empty, too large).
int exit_for_module_file(wasm::ModuleFileError e);
// The program's environment, "KEY=VALUE" each: with `inherit` this
// command's own first, then `given` in order (--env KEY=VALUE, or --env KEY
// for this command's value of KEY; a KEY given again replaces the earlier
// one in place). nullopt after printing why (`verb` names the command).
std::optional<std::vector<std::string>> build_env(const std::vector<std::string>& given, bool inherit,
                                                  const char* verb);

// `gpuos suite DIR` (cmd_suite.cpp): an app suite on the GPU, in a session of its own.
struct SuiteArgs {
  std::string dir;         // the suite folder (holds suite.json)
  std::string apps_dir;    // where APP.wasm are; empty: the build's apps dir (GPUOS_APPS_DIR)
  bool json = false;
  bool keep = false;       // keep every working dir (failed cases' are kept anyway)
  bool quiet = false;      // no progress line
  double timeout_s = 600;  // for the whole suite
  uint32_t jobs = 0;       // processes running at once; 0: all of them
  std::optional<Tier> tier;  // --tier: the apps' code; none: the interpreter
  std::optional<uint32_t> device;
};
int cmd_suite(const SuiteArgs& a);

int cmd_status(const std::string& session, bool json);
int cmd_ping(const std::string& session, uint32_t count, bool json);
// raw: guest text as written (else escape_text, kernel/text_escape.h).
int cmd_tail(const std::string& session, uint32_t n, bool follow, bool json, bool raw = false);
int cmd_emit(const std::string& session, uint32_t count, const std::string& kind, bool may_drop, bool json);
int cmd_shutdown(const std::string& session, bool json);
int cmd_fault(const std::string& session, const std::string& what);

// Blocks of contract calls (cmd_block.cpp), against a state database.
struct BlockArgs {
  std::string db;                   // --db DIR
  std::string block_file;           // run
  std::string target;               // view: "block:tx"
  std::vector<std::string> inputs;  // view: u128s, the opcode first
  uint64_t to_height = 0;           // rollback --to
  bool json = false;
};
int cmd_block_run(const BlockArgs& a);
int cmd_block_view(const BlockArgs& a);
int cmd_block_rollback(const BlockArgs& a);

// Processes (cmd_procs.cpp).
struct SpawnArgs {
  std::string program;            // path to the .wasm file (made absolute before sending)
  uint32_t instances = 1;
  uint32_t first_arg = 0;         // instance i gets spawn argument first_arg + i
  std::vector<std::string> args;  // argv[1..]
  std::string stdout_path, stderr_path, stdin_path;  // files (made absolute before sending)
  std::vector<std::pair<std::string, bool>> dirs;    // HOST[:GUEST], read-only?
  std::vector<std::string> env;                      // --env, as RunArgs::env
  bool env_inherit = false;                          // --env-inherit: this command's environment, not the daemon's
  uint32_t max_memory_pages = 0;                     // --max-memory in pages; 0: the session's
  std::optional<Tier> tier;                          // --tier; none: the session's default_tier
  bool json = false;
};
int cmd_spawn(const std::string& session, const SpawnArgs& a);
int cmd_kill(const std::string& session, uint32_t pid, bool tree, bool json);
// Returns the process's exit status (its low 8 bits, as a shell sees them)
// once it has exited; EXIT_GPUOS when gpuos could not tell (exit_codes.h).
int cmd_wait(const std::string& session, uint32_t pid, std::optional<double> timeout_s, bool json);
int cmd_ps(const std::string& session, bool json, bool heap, bool raw = false);
int cmd_stats(const std::string& session, bool json);
// `logs [-f] PID`: the process's stdout and stderr as written (-f: until it exits).
int cmd_logs(const std::string& session, uint32_t pid, bool follow, bool json);

}  // namespace gpuos::cli

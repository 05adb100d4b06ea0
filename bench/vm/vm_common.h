// vm_common.h: what gpuos_bench_vm's parts share (bench_vm.cpp: lanes,
// peers, output; process_runs.cpp: the process mode): the workload's
// instruction count, progress and notes on stderr, loading compute.wasm,
// the CPU reference executor, and building variants of compute.wat with
// wabt's wat2wasm.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "procs/vm/image.h"
#include "procs/vm/ref_exec.h"

namespace gpuos::bench::vmb {

using Clock = std::chrono::steady_clock;

// WebAssembly instructions executed by one call run(base, iters), iters >= 1,
// counted from compute.wat (its header and bracketed counts; the rule is in
// bench/README.md) and checked against `wasm-interp --trace`.
constexpr uint64_t kWasmFixed = 930;
constexpr uint64_t kWasmPerIter = 133;
constexpr uint32_t kRegionBytes = 256;
constexpr uint32_t kMaxInstances = 65536;  // 256 pages / 256-byte regions

inline uint64_t wasm_per_call(uint32_t iters) { return iters == 0 ? kWasmFixed - 1 : kWasmFixed + kWasmPerIter * iters; }

inline double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

inline bool g_quiet = false;  // --quiet: no progress lines

template <typename... Args>
void progress(fmt::format_string<Args...> f, Args&&... args) {
  if (g_quiet) return;
  std::fprintf(stderr, "%s\n", fmt::format(f, std::forward<Args>(args)...).c_str());
  std::fflush(stderr);
}
template <typename... Args>
void note(fmt::format_string<Args...> f, Args&&... args) {
  std::fprintf(stderr, "gpuos_bench_vm: %s\n", fmt::format(f, std::forward<Args>(args)...).c_str());
  std::fflush(stderr);
}

// 1.23 G, 4.56 M, ...
std::string si(double v);

// ---- module and reference ------------------------------------------------------

struct Module {
  std::shared_ptr<const vm::ProgramImage> image;
  uint32_t run_func = 0;   // function index of the export "run"
  uint32_t idle_func = 0;  // "idle": returns 0 at once
};

std::optional<std::vector<uint8_t>> read_file(const std::string& path, std::string& why);
// Decodes and translates a module that exports "run" and "idle"; `label`
// names it in `why`.
std::optional<Module> load(std::span<const uint8_t> bytes, const std::string& label, std::string& why);
std::optional<Module> load(const std::string& path, std::string& why);

struct RefResult {
  bool ok = false;
  uint64_t checksum = 0;  // the export's first result
  double seconds = 0;     // the second of two calls
  std::string error;
};

// Calls export `name` with `args` twice on the CPU reference executor, in a
// fresh store, and times the second call.
RefResult reference(const Module& m, std::string_view name, std::span<const vm::ref::Slot> args);
// run(base, iters).
RefResult reference(const Module& m, uint32_t base, uint32_t iters);

// ---- tools and module text -----------------------------------------------------

std::optional<std::string> which(const std::string& name);  // on PATH
std::string sh_quote(const std::string& s);

// compute.wat with `funcs` added at the end of the module (before its
// closing parenthesis); nullopt when the text has none.
std::optional<std::string> add_to_module(const std::string& wat, const std::string& funcs);

// Writes `text` to base.wat and builds base.wasm with `wat2wasm`; returns
// the .wasm path, or nullopt with `why`.
std::optional<std::string> build_wat(const std::string& wat2wasm, const std::string& base, const std::string& text,
                                     std::string& why);

}  // namespace gpuos::bench::vmb

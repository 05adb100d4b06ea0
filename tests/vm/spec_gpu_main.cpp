// spec_gpu_main.cpp: the WebAssembly spec test suite on the GPU interpreter
// (translator + procs/vm/gpu_exec + shaders/vm/vm_run.comp).
//
// As spec_ref_main.cpp, with GpuExecutor: per-file and per-command tables,
// failures, and the "unsupported on GPU" reasons with counts. Fails (exit 1)
// if fewer commands pass than tests/spec/expected_passes_gpu.txt records;
// exits 77 (CTest skip) if the corpus, wast2json or a Vulkan device with
// shaderInt64 + shaderFloat64 is missing.
//
// usage: vm_spec_gpu --spec-dir DIR --wast2json PATH --work-dir DIR
//                    [--expected FILE] [--only NAME] [--quiet]
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "tests/spec/gpu_executor.h"

namespace fs = std::filesystem;
using namespace gpuos::spec;

int main(int argc, char** argv) {
  std::string spec_dir, wast2json, work_dir, expected_file, only;
  bool quiet = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (arg == "--spec-dir") spec_dir = value();
    else if (arg == "--wast2json") wast2json = value();
    else if (arg == "--work-dir") work_dir = value();
    else if (arg == "--expected") expected_file = value();
    else if (arg == "--only") only = value();
    else if (arg == "--quiet") quiet = true;
    else {
      std::cerr << "unknown argument " << arg << "\n";
      return 2;
    }
  }
  std::vector<fs::path> wasts;
  std::error_code ec;
  if (!spec_dir.empty() && fs::is_directory(spec_dir, ec)) {
    for (const auto& e : fs::directory_iterator(spec_dir, ec)) {
      if (e.path().extension() == ".wast" && (only.empty() || e.path().stem() == only)) wasts.push_back(e.path());
    }
  }
  if (wasts.empty()) {
    std::cout << "SKIP: no .wast files in spec dir '" << spec_dir << "' (set GPUOS_WASM_SPEC_DIR)\n";
    return 77;
  }
  if (wast2json.empty() || wast2json.find("NOTFOUND") != std::string::npos || !fs::exists(wast2json, ec)) {
    std::cout << "SKIP: wast2json not found ('" << wast2json << "'); install wabt\n";
    return 77;
  }
  if (work_dir.empty()) work_dir = (fs::temp_directory_path() / "gpuos-vm-spec-gpu").string();
  std::sort(wasts.begin(), wasts.end());

  auto vm = gpuos::vm::gpu::GpuVm::create();
  if (!vm) {
    std::cout << "SKIP: no GPU interpreter: " << vm.detail() << "\n";
    return 77;
  }
  std::cout << "device: " << vm.value()->device_name() << ", slice " << vm.value()->limits().slice_ticks << " ticks\n";
  std::map<std::string, int> unsupported;
  uint64_t ticks = 0;
  std::vector<FileReport> reports;
  for (const fs::path& wast : wasts) {
    std::string error;
    const fs::path json = convert_wast(wast, wast2json, work_dir, error);
    if (json.empty()) {
      FileReport r;
      r.name = wast.stem().string();
      r.total.failed = 1;
      r.failures.push_back(r.name + ": " + error);
      reports.push_back(r);
      continue;
    }
    GpuExecutor executor(*vm.value());
    reports.push_back(run_json(json, executor));
    for (const auto& [why, count] : executor.unsupported()) unsupported[why] += count;
    ticks += executor.ticks();
  }

  Counts total;
  std::map<std::string, Counts> by_command;
  std::printf("%-32s %8s %8s %8s\n", "file", "passed", "failed", "n/a");
  for (const FileReport& r : reports) {
    std::printf("%-32s %8d %8d %8d\n", r.name.c_str(), r.total.passed, r.total.failed, r.total.skipped);
    total.add(r.total);
    for (const auto& [cmd, c] : r.by_command) by_command[cmd].add(c);
  }
  std::printf("%-32s %8d %8d %8d\n\n", "TOTAL", total.passed, total.failed, total.skipped);
  std::printf("%-32s %8s %8s %8s\n", "command", "passed", "failed", "n/a");
  for (const auto& [cmd, c] : by_command) std::printf("%-32s %8d %8d %8d\n", cmd.c_str(), c.passed, c.failed, c.skipped);

  if (!unsupported.empty()) std::printf("\nunsupported on GPU (counted as failures):\n");
  for (const auto& [why, count] : unsupported) std::printf("  %6d  %s\n", count, why.c_str());
  std::printf("\nGPU instruction ticks: %llu\n", static_cast<unsigned long long>(ticks));

  size_t shown = 0;
  for (const FileReport& r : reports) {
    for (const std::string& f : r.failures) {
      if (quiet && shown >= 50) break;
      if (shown++ == 0) std::printf("\nfailures:\n");
      std::printf("  %s\n", f.c_str());
    }
  }
  std::printf("\n%d passed, %d failed, %d n/a (text-format modules)\n", total.passed, total.failed, total.skipped);

  if (!expected_file.empty()) {
    std::ifstream in(expected_file);
    long expected = -1;
    if (!(in >> expected)) {
      std::cout << "cannot read expected pass count from " << expected_file << "\n";
      return 1;
    }
    if (total.passed < expected) {
      std::cout << "FAIL: " << total.passed << " commands passed, fewer than the recorded " << expected << "\n";
      return 1;
    }
    std::cout << "OK: " << total.passed << " >= recorded " << expected << "\n";
  }
  return 0;
}

// spec_gpu_main.cpp: the WebAssembly spec test suite on the GPU interpreter
// (translator + procs/vm/gpu_exec + shaders/vm/vm_run.comp), or with
// `--tier compiled` on the compiled tier (procs/jit: every module compiled to
// a pipeline of its own). The driver is tests/spec/spec_main.h; this adds the
// "unsupported on GPU" reasons (counted as failures), the instruction ticks
// and, compiled, what compiling cost. Pass floor:
// tests/spec/expected_passes_gpu.txt. Exits 77 (CTest skip) without a Vulkan
// device with shaderInt64 + shaderFloat64, the corpus, or wast2json.
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <vector>

#include "tests/spec/gpu_executor.h"
#include "tests/spec/spec_main.h"

int main(int argc, char** argv) {
  using namespace gpuos::spec;
  // --tier interp|compiled and --jit-register-slots N (frames larger than N
  // slots stay in memory) are ours; everything else goes to the suite driver.
  gpuos::vm::gpu::GpuLimits limits;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--tier") == 0 && i + 1 < argc) {
      const std::string tier = argv[++i];
      if (tier != "interp" && tier != "compiled") {
        std::cerr << "--tier: expected interp or compiled, got " << tier << "\n";
        return 2;
      }
      limits.tier = tier == "compiled" ? gpuos::vm::gpu::Tier::Compiled : gpuos::vm::gpu::Tier::Interpreter;
      continue;
    }
    if (std::strcmp(argv[i], "--slice-ticks") == 0 && i + 1 < argc) {
      limits.slice_ticks = static_cast<uint32_t>(std::stoul(argv[++i]));
      continue;
    }
    if (std::strcmp(argv[i], "--jit-register-slots") == 0 && i + 1 < argc) {
      limits.jit_register_slots = static_cast<uint32_t>(std::stoul(argv[++i]));
      continue;
    }
    args.push_back(argv[i]);
  }
  const bool compiled = limits.tier == gpuos::vm::gpu::Tier::Compiled;
  auto vm = gpuos::vm::gpu::GpuVm::create(limits);
  if (!vm) {
    std::cout << "SKIP: no GPU interpreter: " << vm.detail() << "\n";
    return 77;
  }
  std::cout << "device: " << vm.value()->device_name() << ", slice " << vm.value()->limits().slice_ticks
            << " ticks, tier " << (compiled ? "compiled" : "interp") << "\n";
  std::map<std::string, int> unsupported;
  uint64_t ticks = 0;

  SpecSuite suite;
  suite.work_subdir = "gpuos-vm-spec-gpu";
  suite.make_executor = [&] { return std::make_unique<GpuExecutor>(*vm.value()); };
  suite.after_file = [&](Executor& e) {
    auto& gpu = static_cast<GpuExecutor&>(e);
    for (const auto& [why, count] : gpu.unsupported()) unsupported[why] += count;
    ticks += gpu.ticks();
  };
  suite.report = [&] {
    if (!unsupported.empty()) std::printf("\nunsupported on GPU (counted as failures):\n");
    for (const auto& [why, count] : unsupported) std::printf("  %6d  %s\n", count, why.c_str());
    std::printf("\nGPU instruction ticks: %llu\n", static_cast<unsigned long long>(ticks));
    if (compiled) {
      const gpuos::vm::gpu::TierStats& t = vm.value()->tier_stats();
      std::printf("compiled tier: %u images compiled, %u cache hits, %u failed; emit %.0f ms, glslang %.0f ms, "
                  "pipelines %.0f ms\n",
                  t.compiles, t.cache_hits, t.failures, t.emit_ms, t.glslang_ms, t.pipeline_ms);
      if (t.failures) std::printf("last compile failure: %s\n", t.last_failure.c_str());
    }
  };
  return run_spec_suite(static_cast<int>(args.size()), args.data(), suite);
}

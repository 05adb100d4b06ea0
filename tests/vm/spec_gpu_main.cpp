// spec_gpu_main.cpp: the WebAssembly spec test suite on the GPU interpreter
// (translator + procs/vm/gpu_exec + shaders/vm/vm_run.comp). The driver is
// tests/spec/spec_main.h; this adds the "unsupported on GPU" reasons (counted
// as failures) and the instruction ticks. Pass floor:
// tests/spec/expected_passes_gpu.txt. Exits 77 (CTest skip) without a Vulkan
// device with shaderInt64 + shaderFloat64, the corpus, or wast2json.
#include <cstdio>
#include <iostream>
#include <map>

#include "tests/spec/gpu_executor.h"
#include "tests/spec/spec_main.h"

int main(int argc, char** argv) {
  using namespace gpuos::spec;
  auto vm = gpuos::vm::gpu::GpuVm::create();
  if (!vm) {
    std::cout << "SKIP: no GPU interpreter: " << vm.detail() << "\n";
    return 77;
  }
  std::cout << "device: " << vm.value()->device_name() << ", slice " << vm.value()->limits().slice_ticks << " ticks\n";
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
  };
  return run_spec_suite(argc, argv, suite);
}

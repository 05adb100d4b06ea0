// gpu_executor.h: spec-runner Executor that runs WebAssembly code on the GPU
// interpreter (procs/vm/gpu_exec.h).
//
// Loading, linking and instantiation (globals, segments) happen on the host
// in a ref::Store, exactly as RefExecutor does; every invocation, the start
// function included, runs on the GPU. spectest's print_* host functions run
// on the host when GPU code calls them (the lane suspends and resumes).
// Anything the GPU interpreter cannot do comes back as an Error result
// "unsupported on GPU: ...", which the runner counts as a failure with that
// reason, never as a trap or a value.
#pragma once

#include <map>

#include "procs/vm/gpu_exec.h"
#include "tests/spec/ref_executor.h"

namespace gpuos::spec {

class GpuExecutor : public StoreExecutor {
 public:
  explicit GpuExecutor(vm::gpu::GpuVm& vm) : vm_(vm) {}

  // "unsupported on GPU" reasons seen, with counts (for the report).
  const std::map<std::string, int>& unsupported() const { return unsupported_; }
  uint64_t ticks() const { return ticks_; }

 protected:
  // Runs store function `addr`: wasm on the GPU, host functions here.
  ActionResult call(uint32_t addr, const std::vector<Slot>& args) override;
  bool runs_start_itself() const override { return true; }  // the start function runs on the GPU too
  void on_instantiated(uint32_t instance) override;

 private:
  vm::gpu::GpuVm& vm_;
  std::vector<vm::gpu::SegmentState> segs_;
  std::map<std::string, int> unsupported_;
  uint64_t ticks_ = 0;
};

}  // namespace gpuos::spec

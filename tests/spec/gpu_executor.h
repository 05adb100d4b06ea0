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

class GpuExecutor : public Executor {
 public:
  explicit GpuExecutor(vm::gpu::GpuVm& vm);

  std::string check(std::span<const uint8_t> wasm) override;
  InstantiateStatus instantiate(std::span<const uint8_t> wasm, const std::string& name, std::string& message) override;
  bool register_as(const std::string& as, const std::string& name) override;
  ActionResult invoke(const std::string& module, const std::string& field, const std::vector<Slot>& args) override;
  ActionResult get(const std::string& module, const std::string& field) override;

  // "unsupported on GPU" reasons seen, with counts (for the report).
  const std::map<std::string, int>& unsupported() const { return unsupported_; }
  uint64_t ticks() const { return ticks_; }

 private:
  const vm::ref::Instance* find(const std::string& name) const;
  // Runs store function `addr` (wasm on the GPU, host functions here).
  ActionResult call(uint32_t addr, const std::vector<Slot>& args);

  vm::gpu::GpuVm& vm_;
  vm::ref::Store store_;
  std::vector<vm::gpu::SegmentState> segs_;
  std::map<std::string, ExportMap> registered_;
  std::map<std::string, uint32_t> named_;
  uint32_t current_ = vm::kNone;
  std::map<std::string, int> unsupported_;
  uint64_t ticks_ = 0;
};

}  // namespace gpuos::spec

// ref_executor.h: spec-runner Executor backed by the CPU reference
// executor (procs/vm/ref_exec.h): load_module -> translate -> instantiate.
#pragma once

#include <map>
#include <memory>

#include "procs/vm/ref_exec.h"
#include "tests/spec/spec_runner.h"

namespace gpuos::spec {

// Exports by name, as a registered module offers them for import.
using ExportMap = std::map<std::string, vm::ref::Extern>;

// Adds the spec suite's "spectest" host module (print_*, global_*, table,
// memory) to `store` and returns its exports.
ExportMap make_spectest_host(vm::ref::Store& store);

class RefExecutor : public Executor {
 public:
  explicit RefExecutor(vm::ref::ExecLimits limits = {});

  std::string check(std::span<const uint8_t> wasm) override;
  InstantiateStatus instantiate(std::span<const uint8_t> wasm, const std::string& name, std::string& message) override;
  bool register_as(const std::string& as, const std::string& name) override;
  ActionResult invoke(const std::string& module, const std::string& field, const std::vector<Slot>& args) override;
  ActionResult get(const std::string& module, const std::string& field) override;

 private:
  const vm::ref::Instance* find(const std::string& name) const;

  vm::ref::Store store_;
  std::map<std::string, ExportMap> registered_;
  std::map<std::string, uint32_t> named_;
  uint32_t current_ = vm::kNone;
};

}  // namespace gpuos::spec

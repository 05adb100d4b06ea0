// ref_executor.h: spec-runner Executors backed by a ref::Store
// (procs/vm/ref_exec.h): load_module -> translate -> verify -> instantiate,
// and the CPU reference executor itself.
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

// What every store-backed executor shares: modules are loaded, translated,
// verified, linked against registered modules and instantiated in a
// ref::Store on the host; exports are looked up there. Subclasses decide how
// a store function runs (call) and whether the start function runs inside
// Store::instantiate or afterwards through call (runs_start_itself).
class StoreExecutor : public Executor {
 public:
  explicit StoreExecutor(vm::ref::ExecLimits limits = {});

  std::string check(std::span<const uint8_t> wasm) override;
  InstantiateStatus instantiate(std::span<const uint8_t> wasm, const std::string& name, std::string& message) override;
  bool register_as(const std::string& as, const std::string& name) override;
  ActionResult invoke(const std::string& module, const std::string& field, const std::vector<Slot>& args) override;
  ActionResult get(const std::string& module, const std::string& field) override;

 protected:
  // Runs store function `addr` with `args`.
  virtual ActionResult call(uint32_t addr, const std::vector<Slot>& args) = 0;
  // True: the store instantiates without the start function, which then
  // goes through call() like any invocation.
  virtual bool runs_start_itself() const { return false; }
  // Called once a module is instantiated (before its start function runs).
  virtual void on_instantiated(uint32_t /*instance*/) {}

  vm::ref::Store store_;

 private:
  const vm::ref::Instance* find(const std::string& name) const;

  std::map<std::string, ExportMap> registered_;
  std::map<std::string, uint32_t> named_;
  uint32_t current_ = vm::kNone;
};

// The CPU reference executor: calls run in ref::Store::invoke.
class RefExecutor : public StoreExecutor {
 public:
  explicit RefExecutor(vm::ref::ExecLimits limits = {}) : StoreExecutor(limits) {}

 protected:
  ActionResult call(uint32_t addr, const std::vector<Slot>& args) override;
};

}  // namespace gpuos::spec

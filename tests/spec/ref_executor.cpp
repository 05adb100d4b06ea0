// ref_executor.cpp: RefExecutor and the spectest host module.
#include "tests/spec/ref_executor.h"

#include <bit>

#include "procs/vm/translator.h"
#include "procs/vm/verify.h"
#include "procs/wasm/decoder.h"

namespace gpuos::spec {

using vm::ref::Extern;
using vm::ref::Slot;
using wasm::ValType;

ExportMap make_spectest_host(vm::ref::Store& store) {
  ExportMap m;
  auto func = [&](const char* name, std::vector<ValType> params) {
    // The spec's print functions print; a test oracle has nothing to show.
    const uint32_t addr = store.add_host_func({std::move(params), {}}, [](auto, auto) { return vm::TrapKind::None; });
    m[name] = Extern{wasm::ExternKind::Func, addr};
  };
  func("print", {});
  func("print_i32", {ValType::I32});
  func("print_i64", {ValType::I64});
  func("print_f32", {ValType::F32});
  func("print_f64", {ValType::F64});
  func("print_i32_f32", {ValType::I32, ValType::F32});
  func("print_f64_f64", {ValType::F64, ValType::F64});
  auto global = [&](const char* name, ValType t, Slot v) {
    m[name] = Extern{wasm::ExternKind::Global, store.add_global(t, false, v)};
  };
  global("global_i32", ValType::I32, 666);
  global("global_i64", ValType::I64, 666);
  global("global_f32", ValType::F32, std::bit_cast<uint32_t>(666.6f));
  global("global_f64", ValType::F64, std::bit_cast<uint64_t>(666.6));
  m["table"] = Extern{wasm::ExternKind::Table, store.add_table(ValType::FuncRef, 10, 20)};
  m["memory"] = Extern{wasm::ExternKind::Memory, store.add_memory(1, 2)};
  return m;
}

StoreExecutor::StoreExecutor(vm::ref::ExecLimits limits) : store_(limits) {
  registered_["spectest"] = make_spectest_host(store_);
}

std::string StoreExecutor::check(std::span<const uint8_t> wasm) {
  auto m = wasm::load_module(wasm);
  if (!m) return m.detail().empty() ? "refused" : m.detail();
  return "";
}

InstantiateStatus StoreExecutor::instantiate(std::span<const uint8_t> bytes, const std::string& name,
                                             std::string& message) {
  auto m = wasm::load_module(bytes);
  if (!m) {
    message = m.detail();
    return InstantiateStatus::Refused;
  }
  auto img = vm::translate(*m);
  if (!img) {
    message = "translation failed: " + img.detail();
    return InstantiateStatus::Refused;
  }
  // Every translated module also goes through the loader's verifier, so the
  // whole spec corpus checks the translator's output structurally.
  if (auto v = vm::verify(*img); !v) {
    message = "verification failed: " + v.detail();
    return InstantiateStatus::Refused;
  }
  const uint32_t start = img->start;
  if (runs_start_itself()) img->start = vm::kNone;
  auto image = std::make_shared<const vm::ProgramImage>(std::move(img.value()));
  std::vector<Extern> imports;
  for (const vm::ImageImport& imp : image->imports) {
    auto mod = registered_.find(imp.module);
    if (mod == registered_.end()) {
      message = "unknown import \"" + imp.module + "\"";
      return InstantiateStatus::Unlinkable;
    }
    auto it = mod->second.find(imp.name);
    if (it == mod->second.end()) {
      message = "unknown import \"" + imp.module + "\" \"" + imp.name + "\"";
      return InstantiateStatus::Unlinkable;
    }
    imports.push_back(it->second);
  }
  auto id = store_.instantiate(image, imports);
  if (!id) {
    message = id.detail();
    return id.code() == vm::ref::InstantiateError::Unlinkable ? InstantiateStatus::Unlinkable
                                                              : InstantiateStatus::Trap;
  }
  on_instantiated(*id);
  if (runs_start_itself() && start != vm::kNone) {
    const ActionResult r = call(store_.instance(*id).funcs[start], {});
    if (r.status != ActionResult::Status::Ok) {
      message = "start function: " + r.message;
      return r.status == ActionResult::Status::Trap ? InstantiateStatus::Trap : InstantiateStatus::Refused;
    }
  }
  current_ = *id;
  if (!name.empty()) named_[name] = *id;
  return InstantiateStatus::Ok;
}

const vm::ref::Instance* StoreExecutor::find(const std::string& name) const {
  if (name.empty()) return current_ == vm::kNone ? nullptr : &store_.instance(current_);
  auto it = named_.find(name);
  return it == named_.end() ? nullptr : &store_.instance(it->second);
}

bool StoreExecutor::register_as(const std::string& as, const std::string& name) {
  const vm::ref::Instance* inst = find(name);
  if (!inst) return false;
  ExportMap exports;
  for (const vm::ImageExport& e : inst->image->exports) exports[e.name] = *inst->find_export(e.name);
  registered_[as] = std::move(exports);
  return true;
}

ActionResult StoreExecutor::invoke(const std::string& module, const std::string& field,
                                   const std::vector<Slot>& args) {
  ActionResult r;
  r.status = ActionResult::Status::Error;
  const vm::ref::Instance* inst = find(module);
  if (!inst) {
    r.message = "no module \"" + module + "\"";
    return r;
  }
  auto ext = inst->find_export(field);
  if (!ext || ext->kind != wasm::ExternKind::Func) {
    r.message = "no exported function \"" + field + "\"";
    return r;
  }
  if (store_.func(ext->addr).type.params.size() != args.size()) {
    r.message = "wrong number of arguments";
    return r;
  }
  return call(ext->addr, args);
}

ActionResult StoreExecutor::get(const std::string& module, const std::string& field) {
  ActionResult r;
  r.status = ActionResult::Status::Error;
  const vm::ref::Instance* inst = find(module);
  auto ext = inst ? inst->find_export(field) : std::nullopt;
  if (!ext || ext->kind != wasm::ExternKind::Global) {
    r.message = "no exported global \"" + field + "\"";
    return r;
  }
  r.status = ActionResult::Status::Ok;
  r.values.push_back(store_.global(ext->addr).value);
  return r;
}

ActionResult RefExecutor::call(uint32_t addr, const std::vector<Slot>& args) {
  ActionResult r;
  vm::ref::InvokeResult res = store_.invoke(addr, args);
  if (res.trap) {
    r.status = ActionResult::Status::Trap;
    r.message = vm::trap_message(res.trap.kind);
    r.exhaustion = res.trap.kind == vm::TrapKind::CallStackExhausted;
    return r;
  }
  r.status = ActionResult::Status::Ok;
  r.values = std::move(res.results);
  return r;
}

}  // namespace gpuos::spec

// gpu_executor.cpp: GpuExecutor (see gpu_executor.h).
#include "tests/spec/gpu_executor.h"

#include "procs/vm/translator.h"
#include "procs/vm/verify.h"
#include "procs/wasm/decoder.h"

namespace gpuos::spec {

using vm::ref::Extern;

GpuExecutor::GpuExecutor(vm::gpu::GpuVm& vm) : vm_(vm) { registered_["spectest"] = make_spectest_host(store_); }

std::string GpuExecutor::check(std::span<const uint8_t> wasm) {
  auto m = wasm::load_module(wasm);
  if (!m) return m.detail().empty() ? "refused" : m.detail();
  return "";
}

InstantiateStatus GpuExecutor::instantiate(std::span<const uint8_t> bytes, const std::string& name,
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
  if (auto v = vm::verify(*img); !v) {
    message = "verification failed: " + v.detail();
    return InstantiateStatus::Refused;
  }
  // The store instantiates without the start function, which then runs on the GPU.
  const uint32_t start = img->start;
  img->start = vm::kNone;
  auto image = std::make_shared<const vm::ProgramImage>(std::move(img.value()));
  std::vector<Extern> imports;
  for (const vm::ImageImport& imp : image->imports) {
    auto mod = registered_.find(imp.module);
    auto it = mod == registered_.end() ? ExportMap::iterator{} : mod->second.find(imp.name);
    if (mod == registered_.end() || it == mod->second.end()) {
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
  if (segs_.size() <= *id) segs_.resize(*id + 1);
  const vm::ref::Instance& inst = store_.instance(*id);
  segs_[*id].data_dropped.assign(inst.data_dropped.begin(), inst.data_dropped.end());
  segs_[*id].elem_dropped.assign(image->elems.size(), 0);
  if (start != vm::kNone) {
    const ActionResult r = call(inst.funcs[start], {});
    if (r.status != ActionResult::Status::Ok) {
      message = "start function: " + r.message;
      return r.status == ActionResult::Status::Trap ? InstantiateStatus::Trap : InstantiateStatus::Refused;
    }
  }
  current_ = *id;
  if (!name.empty()) named_[name] = *id;
  return InstantiateStatus::Ok;
}

const vm::ref::Instance* GpuExecutor::find(const std::string& name) const {
  if (name.empty()) return current_ == vm::kNone ? nullptr : &store_.instance(current_);
  auto it = named_.find(name);
  return it == named_.end() ? nullptr : &store_.instance(it->second);
}

bool GpuExecutor::register_as(const std::string& as, const std::string& name) {
  const vm::ref::Instance* inst = find(name);
  if (!inst) return false;
  ExportMap exports;
  for (const vm::ImageExport& e : inst->image->exports) exports[e.name] = *inst->find_export(e.name);
  registered_[as] = std::move(exports);
  return true;
}

ActionResult GpuExecutor::call(uint32_t addr, const std::vector<Slot>& args) {
  ActionResult r;
  vm::ref::FuncInst& fi = store_.func(addr);
  if (fi.instance == vm::kNone) {  // a host function invoked directly: nothing to run on the GPU
    r.values.resize(fi.type.results.size());
    const vm::TrapKind t = fi.host(args, r.values);
    if (t != vm::TrapKind::None) r.status = ActionResult::Status::Trap, r.message = vm::trap_message(t);
    return r;
  }
  const vm::gpu::Invocation inv{fi.index, args};
  const vm::gpu::Outcome o = vm_.run(store_, fi.instance, segs_, std::span(&inv, 1))[0];
  ticks_ += o.ticks;
  switch (o.kind) {
    case vm::gpu::Outcome::Kind::Ok:
      r.status = ActionResult::Status::Ok;
      r.values = o.results;
      break;
    case vm::gpu::Outcome::Kind::Trap:
      r.status = ActionResult::Status::Trap;
      r.message = vm::trap_message(o.trap);
      r.exhaustion = o.trap == vm::TrapKind::CallStackExhausted;
      break;
    case vm::gpu::Outcome::Kind::Unsupported:
      r.status = ActionResult::Status::Error;
      r.message = "unsupported on GPU: " + o.detail;
      unsupported_[o.detail]++;
      break;
  }
  return r;
}

ActionResult GpuExecutor::invoke(const std::string& module, const std::string& field, const std::vector<Slot>& args) {
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

ActionResult GpuExecutor::get(const std::string& module, const std::string& field) {
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

}  // namespace gpuos::spec

// gpu_executor.cpp: GpuExecutor (see gpu_executor.h).
#include "tests/spec/gpu_executor.h"

namespace gpuos::spec {

void GpuExecutor::on_instantiated(uint32_t id) {
  // Segment drops live here: the GPU's data.drop/elem.drop cannot write the
  // store's (const) instance.
  if (segs_.size() <= id) segs_.resize(id + 1);
  const vm::ref::Instance& inst = store_.instance(id);
  segs_[id].data_dropped.assign(inst.data_dropped.begin(), inst.data_dropped.end());
  segs_[id].elem_dropped.assign(inst.image->elems.size(), 0);
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

}  // namespace gpuos::spec

// fuel_gpu_main.cpp: metered code on the GPU interpreter (shaders/vm, with
// VM_FUEL) and on the compiled tier (procs/jit) charges exactly what the
// reference executor charges: the same fuel left, the same trap, the same
// results, for loops, if arms, bulk memory and running out. Exits 77 (CTest
// skip) without a Vulkan device with shaderInt64 + shaderFloat64.
#include <cstdio>
#include <memory>
#include <string>

#include "procs/vm/gpu_exec.h"
#include "procs/vm/translator.h"
#include "procs/wasm/decoder.h"
#include "tests/vm/fuel_modules.h"

namespace {

using namespace gpuos;
using gpuos::wasm::test::Bytes;

int failures = 0;
void check(bool ok, const std::string& what) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what.c_str());
  failures += ok ? 0 : 1;
}

struct Case {
  std::string name;
  Bytes module;
  uint32_t arg;
  uint64_t fuel;
};

}  // namespace

int main() {
  auto vm = vm::gpu::GpuVm::create();
  if (!vm) {
    std::printf("SKIP: no GPU interpreter: %s\n", vm.detail().c_str());
    return 77;
  }
  std::printf("device: %s\n", vm.value()->device_name().c_str());
  const Bytes loop = vm::test::fuel::counting_loop(), arms = vm::test::fuel::if_arms(), fill = vm::test::fuel::fill();
  const Case cases[] = {
      {"a loop of 1", loop, 1, 1000000},          {"a loop of 1000", loop, 1000, 1000000},
      {"a loop of 5 with 40 units", loop, 5, 40}, {"a loop of 5 with 41 units", loop, 5, 41},
      {"the then arm", arms, 1, 100},             {"the else arm", arms, 0, 100},
      {"a fill of 640 bytes", fill, 640, 1000},   {"a fill of 63 bytes", fill, 63, 1000},
      {"a fill of 64 KiB with 100 units", fill, 65536, 100},
  };
  for (const vm::gpu::Tier tier : {vm::gpu::Tier::Interpreter, vm::gpu::Tier::Compiled}) {
    vm.value()->set_tier(tier);
    const std::string tier_name = tier == vm::gpu::Tier::Compiled ? "compiled" : "interpreter";
    for (const Case& c : cases) {
      auto m = wasm::load_module(c.module);
      if (!m) return std::printf("FAIL %s: %s\n", c.name.c_str(), m.detail().c_str()), 1;
      auto img = vm::translate(*m, {.meter_fuel = true});
      if (!img) return std::printf("FAIL %s: %s\n", c.name.c_str(), img.detail().c_str()), 1;
      auto image = std::make_shared<const vm::ProgramImage>(std::move(img.value()));

      vm::ref::Store ref_store;
      const uint32_t ref_id = ref_store.instantiate(image, {}).value();
      ref_store.set_fuel(c.fuel);
      const vm::ref::Slot arg = c.arg;
      const vm::ref::InvokeResult want =
          ref_store.invoke(ref_store.instance(ref_id).find_export("f")->addr, std::span(&arg, 1));
      const uint64_t want_left = ref_store.fuel().value();

      vm::ref::Store gpu_store;
      const uint32_t gpu_id = gpu_store.instantiate(image, {}).value();
      std::vector<vm::gpu::SegmentState> segs;
      const vm::gpu::Invocation inv{.func = 0, .args = {arg}, .fuel = c.fuel};
      const vm::gpu::Outcome got = vm.value()->run(gpu_store, gpu_id, segs, std::span(&inv, 1)).at(0);

      const bool same_trap = want.trap ? got.kind == vm::gpu::Outcome::Kind::Trap && got.trap == want.trap.kind
                                       : got.kind == vm::gpu::Outcome::Kind::Ok && got.results == want.results;
      check(same_trap && got.fuel_left == want_left,
            c.name + ": " + (want.trap ? std::string(vm::trap_message(want.trap.kind)) : "ok") + ", " +
                std::to_string(c.fuel - want_left) + " units on the reference, " + std::to_string(c.fuel - got.fuel_left) +
                " on the GPU, " + tier_name + (got.detail.empty() ? "" : " (" + got.detail + ")"));
    }
  }
  std::printf("%d failed\n", failures);
  return failures == 0 ? 0 : 1;
}

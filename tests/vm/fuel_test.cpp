// fuel_test.cpp: fuel metering (TranslateOptions::meter_fuel) on the
// reference executor: what each region charges, up front, and running out.
// The rule is in translator.h and docs/contracts.md ("Fuel").
#include "tests/vm/fuel_modules.h"
#include "tests/vm/vm_test_util.h"

namespace gpuos::vm::test {
namespace {

// One instance of `bytes`, translated with fuel regions; export "f".
struct Metered {
  ref::Store store;
  uint32_t instance = kNone;

  explicit Metered(const Bytes& bytes) {
    auto m = wasm::load_module(bytes);
    EXPECT_TRUE(m.ok()) << (m ? "" : m.detail());
    auto img = translate(*m, {.meter_fuel = true});
    EXPECT_TRUE(img.ok()) << (img ? "" : img.detail());
    auto id = store.instantiate(std::make_shared<const ProgramImage>(std::move(img.value())), {});
    EXPECT_TRUE(id.ok());
    instance = *id;
  }
  // Runs f(arg) with `fuel`; returns what it used (all of it when it ran out).
  uint64_t fuel_used(uint64_t fuel, ref::Slot arg, ref::InvokeResult* out = nullptr) {
    store.set_fuel(fuel);
    const ref::InvokeResult r = store.invoke(store.instance(instance).find_export("f")->addr, std::span(&arg, 1));
    if (out) *out = r;
    return fuel - store.fuel().value();
  }
};

using fuel::counting_loop;

TEST(Fuel, EachLoopIterationPaysForItsInstructionsUpFront) {
  Metered m(counting_loop());
  for (uint32_t n : {1u, 2u, 10u, 1000u}) {
    ref::InvokeResult r;
    EXPECT_EQ(m.fuel_used(1'000'000, n, &r), 1u + 8u * n) << n;
    ASSERT_FALSE(r.trap) << r.trap.describe();
    EXPECT_EQ(r.results.at(0), n);
  }
}

TEST(Fuel, RunningOutTrapsAtTheRegionThatCannotPay) {
  Metered m(counting_loop());
  ref::InvokeResult r;
  // 1 + 8 * 5 = 41 for five iterations: with 40 the fifth cannot start.
  m.fuel_used(40, 5, &r);
  EXPECT_EQ(r.trap.kind, TrapKind::OutOfFuel);
  EXPECT_EQ(m.store.fuel().value(), 40u - 1u - 8u * 4u) << "what the four iterations left stays";
  EXPECT_EQ(m.fuel_used(41, 5, &r), 41u);
  EXPECT_FALSE(r.trap);
}

TEST(Fuel, EachArmOfAnIfPaysForItself) {
  Metered m(fuel::if_arms());
  EXPECT_EQ(m.fuel_used(100, 1), 2u + 3u);  // body: local.get, if; then: const, const, add
  EXPECT_EQ(m.fuel_used(100, 0), 2u + 1u);  // else: const
}

TEST(Fuel, BulkMemoryPaysPerSixtyFourBytes) {
  Metered m(fuel::fill());
  EXPECT_EQ(m.fuel_used(1000, 640), 5u + 10u);
  EXPECT_EQ(m.fuel_used(1000, 63), 5u);
  ref::InvokeResult r;
  m.fuel_used(100, 65536, &r);  // 1,024 units: more than is left
  EXPECT_EQ(r.trap.kind, TrapKind::OutOfFuel);
}

TEST(Fuel, UnmeteredCodeHasNoFuelInstructions) {
  auto m = wasm::load_module(counting_loop());
  ASSERT_TRUE(m.ok());
  for (bool meter : {false, true}) {
    auto img = translate(*m, {.meter_fuel = meter});
    ASSERT_TRUE(img.ok());
    expect_well_formed(*img);
    size_t fuel_ops = 0;
    for (uint32_t pc = 0; pc < img->code.size(); pc += 1 + op_info(opcode_of(img->code[pc]))->num_operands) {
      fuel_ops += op_info(opcode_of(img->code[pc]))->op == Op::Fuel;
    }
    EXPECT_EQ(fuel_ops, meter ? 2u : 0u);  // the body's and the loop's
  }
}

}  // namespace
}  // namespace gpuos::vm::test

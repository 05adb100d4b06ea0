// fuel_test.cpp: fuel metering (TranslateOptions::meter_fuel) on the
// reference executor: what each region charges, up front, and running out.
// The rule is in translator.h and docs/contracts.md ("Fuel").
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

// A counting loop: the body's region is the local.get after the loop (1);
// each iteration's region is its 8 instructions, charged on entry.
Bytes counting_loop() {
  ModuleBuilder b;
  const uint32_t t = b.add_type({I32}, {I32});
  b.add_func(t, {{1, I32}},
             cat({{0x03, 0x40, 0x20, 1}, i32_const(1),
                  {0x6a, 0x21, 1, 0x20, 1, 0x20, 0, 0x49, 0x0d, 0, 0x0b, 0x20, 1, 0x0b}}));
  b.add_export("f", ExternKind::Func, 0);
  return b.build();
}

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
  ModuleBuilder b;
  const uint32_t t = b.add_type({I32}, {I32});
  // local.get 0, if (result i32) then 1 + 2 else 7 end, end
  b.add_func(t, {}, cat({{0x20, 0, 0x04, 0x7f}, i32_const(1), i32_const(2), {0x6a, 0x05}, i32_const(7), {0x0b, 0x0b}}));
  b.add_export("f", ExternKind::Func, 0);
  Metered m(b.build());
  EXPECT_EQ(m.fuel_used(100, 1), 2u + 3u);  // body: local.get, if; then: const, const, add
  EXPECT_EQ(m.fuel_used(100, 0), 2u + 1u);  // else: const
}

TEST(Fuel, BulkMemoryPaysPerSixtyFourBytes) {
  ModuleBuilder b;
  const uint32_t t = b.add_type({I32}, {I32});
  // memory.fill(0, 0, len = arg), then i32.const 0: five instructions
  b.add_func(t, {}, cat({i32_const(0), i32_const(0), {0x20, 0, 0xfc, 0x0b, 0x00}, i32_const(0), {0x0b}}));
  b.add_memory(1);
  b.add_export("f", ExternKind::Func, 0);
  Metered m(b.build());
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

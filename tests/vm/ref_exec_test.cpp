// ref_exec_test.cpp: the reference executor's traps, limits and host calls.
#include "tests/vm/vm_test_util.h"

namespace gpuos::vm::test {
namespace {

TEST(RefExec, InfiniteRecursionExhaustsTheCallStack) {
  ModuleBuilder b;
  const uint32_t t = b.add_type({}, {});
  b.add_func(t, {}, {0x10, 0, 0x0b});  // call 0
  b.add_export("f", ExternKind::Func, 0);
  ref::ExecLimits limits;
  limits.max_call_depth = 100;
  Harness h(b.build(), {}, limits);
  EXPECT_EQ(h.call("f").trap.kind, TrapKind::CallStackExhausted);
}

TEST(RefExec, HostImportsAreCalledWithTheirArguments) {
  ModuleBuilder b;
  const uint32_t t = b.add_type({I32}, {I32});
  b.import_func("env", "twice", t);
  b.add_func(t, {}, cat({{0x20, 0, 0x10, 0}, i32_const(1), {0x6a, 0x0b}}));  // twice(x) + 1
  b.add_export("f", ExternKind::Func, 1);
  ref::Store store;
  const uint32_t host = store.add_host_func({{I32}, {I32}}, [](auto args, auto results) {
    results[0] = static_cast<uint32_t>(args[0] * 2);
    return TrapKind::None;
  });
  auto img = std::make_shared<const ProgramImage>(translate_bytes(b.build()));
  const std::vector<ref::Extern> imports{{ExternKind::Func, host}};
  auto id = store.instantiate(img, imports);
  ASSERT_TRUE(id.ok()) << id.detail();
  const ref::Slot arg = 20;
  auto r = store.invoke(store.instance(*id).find_export("f")->addr, std::span(&arg, 1));
  ASSERT_FALSE(r.trap) << r.trap.describe();
  EXPECT_EQ(r.results, std::vector<ref::Slot>{41});

  // A host function of the wrong type does not link.
  const uint32_t wrong = store.add_host_func({{I64}, {I32}}, [](auto, auto) { return TrapKind::None; });
  const std::vector<ref::Extern> bad{{ExternKind::Func, wrong}};
  auto id2 = store.instantiate(img, bad);
  ASSERT_FALSE(id2.ok());
  EXPECT_EQ(id2.code(), ref::InstantiateError::Unlinkable);
}

TEST(RefExec, MemoryAccessIsBoundsChecked) {
  ModuleBuilder b;
  const uint32_t t = b.add_type({I32}, {I32});
  b.add_memory(1);
  b.add_func(t, {}, {0x20, 0, 0x28, 2, 4, 0x0b});  // i32.load offset=4
  b.add_export("load", ExternKind::Func, 0);
  Harness h(b.build());
  EXPECT_FALSE(h.call("load", {65528}).trap);
  EXPECT_EQ(h.call("load", {65529}).trap.kind, TrapKind::MemoryOutOfBounds);
  EXPECT_EQ(h.call("load", {0xffffffff}).trap.kind, TrapKind::MemoryOutOfBounds);
}

TEST(RefExec, IntegerTrapsAndWrapping) {
  ModuleBuilder b;
  const uint32_t t = b.add_type({I32, I32}, {I32});
  b.add_func(t, {}, {0x20, 0, 0x20, 1, 0x6d, 0x0b});  // div_s
  b.add_func(t, {}, {0x20, 0, 0x20, 1, 0x6a, 0x0b});  // add
  b.add_export("div", ExternKind::Func, 0);
  b.add_export("add", ExternKind::Func, 1);
  Harness h(b.build());
  EXPECT_EQ(h.call("div", {0x80000000u, 0xffffffffu}).trap.kind, TrapKind::IntegerOverflow);
  EXPECT_EQ(h.call("div", {7, 0}).trap.kind, TrapKind::IntegerDivideByZero);
  EXPECT_EQ(h.call("add", {0xffffffffu, 2}).results, std::vector<ref::Slot>{1});
}

TEST(RefExec, MultiValueReturnsLandAtTheFrameBase) {
  ModuleBuilder b;
  const uint32_t t = b.add_type({I32, I32}, {I32, I32});
  b.add_func(t, {}, {0x20, 1, 0x20, 0, 0x0b});  // swap
  b.add_export("swap", ExternKind::Func, 0);
  Harness h(b.build());
  EXPECT_EQ(h.call("swap", {1, 2}).results, (std::vector<ref::Slot>{2, 1}));
}

}  // namespace
}  // namespace gpuos::vm::test

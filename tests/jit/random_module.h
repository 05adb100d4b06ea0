// random_module.h: a seeded generator of random, valid WebAssembly modules
// for differential testing of the executors (tests/jit/diff_main.cpp).
//
// Each module has one memory (1 page, max 2), 1-2 mutable i32/i64 globals
// and 2-5 functions, each exported as "f0", "f1", ... Function k calls only
// functions of larger index (no recursion), so every call terminates; loops
// count a reserved local down from a small constant, and an estimate of the
// work each function does (loop trip counts times the callee's estimate)
// keeps every invocation well inside the GPU budget.
//
// Bodies are typed stack code from a depth-limited expression generator:
// integer arithmetic (division may trap), comparisons, conversions,
// sign extension, select, loads and stores (masked into bounds mostly, raw
// now and then so that some trap), memory.size/grow, if/else with results,
// blocks left by br_if (also to outer labels), counted loops, calls, and a
// little f64 arithmetic on converted integers read back with trunc_sat or
// reinterpret (never NaN).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "tests/wasm/wasm_builder.h"

namespace gpuos::jit::test {

using gpuos::wasm::ExternKind;
using gpuos::wasm::ValType;
using gpuos::wasm::test::Bytes;

struct RandomFunc {
  std::vector<ValType> params;
  ValType result = ValType::I32;
};

struct RandomModule {
  Bytes bytes;
  std::vector<RandomFunc> funcs;    // function k is exported as "f<k>"
  std::vector<ValType> globals;     // all mutable
};

class ModuleGenerator {
 public:
  explicit ModuleGenerator(uint64_t seed) : rng_(static_cast<std::mt19937::result_type>(seed ^ (seed >> 32))) {}

  RandomModule generate() {
    using namespace gpuos::wasm::test;
    RandomModule out;
    const int nglobals = range(1, 2);
    for (int i = 0; i < nglobals; ++i) out.globals.push_back(coin(50) ? ValType::I32 : ValType::I64);
    const int nfuncs = range(2, 5);
    out.funcs.resize(nfuncs);
    for (RandomFunc& f : out.funcs) {
      const int np = range(0, 3);
      for (int i = 0; i < np; ++i) f.params.push_back(coin(50) ? ValType::I32 : ValType::I64);
      f.result = coin(50) ? ValType::I32 : ValType::I64;
    }
    globals_ = out.globals;
    funcs_ = out.funcs;
    cost_.assign(nfuncs, 0);

    // Bodies from the last function to the first: a callee's cost is known
    // before any caller is generated.
    std::vector<Bytes> bodies(nfuncs);
    std::vector<std::vector<std::pair<uint32_t, ValType>>> local_decls(nfuncs);
    for (int k = nfuncs - 1; k >= 0; --k) {
      self_ = k;
      locals_ = funcs_[k].params;
      const int nextra = range(0, 4);
      for (int i = 0; i < nextra; ++i) {
        const ValType t = coin(50) ? ValType::I32 : ValType::I64;
        locals_.push_back(t);
        local_decls[k].push_back({1, t});
      }
      num_plain_locals_ = static_cast<uint32_t>(locals_.size());
      for (int i = 0; i < kCounters; ++i) locals_.push_back(ValType::I32);
      local_decls[k].push_back({kCounters, ValType::I32});
      loop_nesting_ = 0;
      cost_acc_ = 0;
      labels_.clear();
      labels_.push_back({false, true, funcs_[k].result});  // the function body
      Bytes body;
      const int nstmts = range(0, 4);
      for (int i = 0; i < nstmts; ++i) stmt(body, 3, 1);
      expr(body, funcs_[k].result, 5, 1);
      body.push_back(0x0b);
      bodies[k] = std::move(body);
      cost_[k] = cost_acc_ + 1;
    }

    ModuleBuilder b;
    std::vector<uint32_t> types;
    for (const RandomFunc& f : funcs_) types.push_back(b.add_type(f.params, {f.result}));
    for (int k = 0; k < nfuncs; ++k) b.add_func(types[k], local_decls[k], bodies[k]);
    b.add_memory(1, 2);
    for (ValType t : out.globals) {
      const Bytes init = t == ValType::I32 ? cat({{0x41}, sleb(static_cast<int32_t>(const32())), {0x0b}})
                                           : cat({{0x42}, sleb(static_cast<int64_t>(const64())), {0x0b}});
      b.add_global(t, true, init);
    }
    for (int k = 0; k < nfuncs; ++k) b.add_export("f" + std::to_string(k), ExternKind::Func, k);
    b.add_export("mem", ExternKind::Memory, 0);
    out.bytes = b.build();
    return out;
  }

  // An argument value of type t (as a slot: i32 zero-extended).
  uint64_t arg(ValType t) { return t == ValType::I32 ? static_cast<uint64_t>(const32()) : const64(); }

 private:
  static constexpr int kCounters = 3;       // reserved loop counter locals
  static constexpr uint64_t kCostCap = 60000;  // estimated instructions per function

  struct Label {
    bool is_loop;
    bool has_result;
    ValType type;
  };

  int range(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool coin(int percent) { return range(0, 99) < percent; }

  uint32_t const32() {
    switch (range(0, 9)) {
      case 0: return 0;
      case 1: return 1;
      case 2: return 0xffffffffu;
      case 3: return 0x80000000u;
      case 4: return 0x7fffffffu;
      case 5: return static_cast<uint32_t>(range(0, 70));
      case 6: return static_cast<uint32_t>(-range(1, 70));
      case 7: return static_cast<uint32_t>(range(0, 0xffff));
      default: return static_cast<uint32_t>(rng_());
    }
  }
  uint64_t const64() {
    switch (range(0, 10)) {
      case 0: return 0;
      case 1: return 1;
      case 2: return ~0ull;
      case 3: return 0x8000000000000000ull;
      case 4: return 0x7fffffffffffffffull;
      case 5: return static_cast<uint64_t>(range(0, 130));
      case 6: return static_cast<uint64_t>(-static_cast<int64_t>(range(1, 130)));
      case 7: return 0xffffffffull + static_cast<uint64_t>(range(-3, 3));
      case 8: return static_cast<uint64_t>(rng_());
      default: return (static_cast<uint64_t>(rng_()) << 32) | rng_();
    }
  }

  void charge(uint64_t mult, uint64_t n = 1) { cost_acc_ += mult * n; }
  bool affordable(uint64_t extra) const { return cost_acc_ + extra <= kCostCap; }

  static void put(Bytes& out, std::initializer_list<uint8_t> b) { out.insert(out.end(), b); }
  static void put(Bytes& out, const Bytes& b) { out.insert(out.end(), b.begin(), b.end()); }
  static uint8_t block_type(ValType t) { return static_cast<uint8_t>(t); }

  int pick_local(ValType t) {
    std::vector<int> c;
    for (uint32_t i = 0; i < num_plain_locals_; ++i)
      if (locals_[i] == t) c.push_back(static_cast<int>(i));
    return c.empty() ? -1 : c[range(0, static_cast<int>(c.size()) - 1)];
  }
  int pick_global(ValType t) {
    std::vector<int> c;
    for (size_t i = 0; i < globals_.size(); ++i)
      if (globals_[i] == t) c.push_back(static_cast<int>(i));
    return c.empty() ? -1 : c[range(0, static_cast<int>(c.size()) - 1)];
  }
  // A label (relative depth) whose branch carries one value of type t, or
  // none for t == nullopt-like (void): returns -1 when there is none.
  int pick_label(bool want_value, ValType t) {
    std::vector<int> c;
    for (size_t d = 0; d < labels_.size(); ++d) {
      const Label& l = labels_[labels_.size() - 1 - d];
      if (l.is_loop) continue;
      if (want_value ? (l.has_result && l.type == t) : !l.has_result) c.push_back(static_cast<int>(d));
    }
    return c.empty() ? -1 : c[range(0, static_cast<int>(c.size()) - 1)];
  }

  void const_of(Bytes& out, ValType t) {
    using namespace gpuos::wasm::test;
    if (t == ValType::I32) put(out, cat({{0x41}, sleb(static_cast<int32_t>(const32()))}));
    else put(out, cat({{0x42}, sleb(static_cast<int64_t>(const64()))}));
  }

  // An i32 address: (e & 0xfff0) mostly, e itself now and then.
  void address(Bytes& out, int depth, uint64_t mult) {
    using namespace gpuos::wasm::test;
    if (coin(4)) {
      expr(out, ValType::I32, depth, mult);
      return;
    }
    expr(out, ValType::I32, depth, mult);
    put(out, cat({{0x41}, sleb(0xfff0), {0x71}}));
    charge(mult, 2);
  }
  void memarg(Bytes& out, uint32_t natural_align_log2) {
    using namespace gpuos::wasm::test;
    const uint32_t align = static_cast<uint32_t>(range(0, static_cast<int>(natural_align_log2)));
    const uint32_t offset = coin(70) ? 0 : static_cast<uint32_t>(range(1, 8));
    put(out, cat({uleb(align), uleb(offset)}));
  }

  void f64_expr(Bytes& out, int depth, uint64_t mult) {
    charge(mult);
    if (depth <= 0 || coin(45)) {
      if (coin(75)) {
        expr(out, ValType::I32, depth - 1, mult);
        put(out, {0xb7});  // f64.convert_i32_s
      } else {
        expr(out, ValType::I64, depth - 1, mult);
        put(out, {0xb9});  // f64.convert_i64_s
      }
      return;
    }
    f64_expr(out, depth - 1, mult);
    f64_expr(out, depth - 1, mult);
    static const uint8_t ops[] = {0xa0, 0xa1, 0xa2};  // add sub mul
    put(out, {ops[range(0, 2)]});
  }

  void call_args(Bytes& out, int callee, int depth, uint64_t mult) {
    for (ValType p : funcs_[callee].params) expr(out, p, depth, mult);
    put(out, {0x10});
    put(out, gpuos::wasm::test::uleb(static_cast<uint32_t>(callee)));
  }
  // A callee returning t (if want_type) affordable under mult, or -1.
  int pick_callee(bool want_type, ValType t, uint64_t mult) {
    std::vector<int> c;
    for (int j = self_ + 1; j < static_cast<int>(funcs_.size()); ++j)
      if ((!want_type || funcs_[j].result == t) && affordable(mult * cost_[j] + 8 * mult)) c.push_back(j);
    return c.empty() ? -1 : c[range(0, static_cast<int>(c.size()) - 1)];
  }

  // Pushes one value of type t.
  void expr(Bytes& out, ValType t, int depth, uint64_t mult) {
    using namespace gpuos::wasm::test;
    const bool i32 = t == ValType::I32;
    charge(mult);
    if (depth <= 0 || coin(12)) {  // leaves
      const int l = pick_local(t), g = pick_global(t);
      const int r = range(0, 9);
      if (r < 4 && l >= 0) return put(out, cat({{0x20}, uleb(l)}));
      if (r < 6 && g >= 0) return put(out, cat({{0x23}, uleb(g)}));
      if (r == 6 && i32) return put(out, {0x3f, 0x00});  // memory.size
      return const_of(out, t);
    }
    const int kind = range(0, 99);
    if (kind < 22) {  // binary
      expr(out, t, depth - 1, mult);
      static const uint8_t ops32[] = {0x6a, 0x6b, 0x6c, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78};
      static const uint8_t ops64[] = {0x7c, 0x7d, 0x7e, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a};
      expr(out, t, depth - 1, mult);
      const int i = range(0, 10);
      return put(out, {i32 ? ops32[i] : ops64[i]});
    }
    if (kind < 29) {  // division: may trap
      expr(out, t, depth - 1, mult);
      expr(out, t, depth - 1, mult);
      if (coin(55))  // divisor | 1: never zero
        put(out, {static_cast<uint8_t>(i32 ? 0x41 : 0x42), 0x01, static_cast<uint8_t>(i32 ? 0x72 : 0x84)});
      const int i = range(0, 3);
      return put(out, {static_cast<uint8_t>((i32 ? 0x6d : 0x7f) + i)});
    }
    if (kind < 34) {  // unary
      expr(out, t, depth - 1, mult);
      if (coin(60)) return put(out, {static_cast<uint8_t>((i32 ? 0x67 : 0x79) + range(0, 2))});  // clz ctz popcnt
      if (i32) return put(out, {static_cast<uint8_t>(0xc0 + range(0, 1))});                     // extend8/16_s
      return put(out, {static_cast<uint8_t>(0xc2 + range(0, 2))});                              // extend8/16/32_s
    }
    if (kind < 42 && i32) {  // comparisons
      const ValType ot = coin(50) ? ValType::I32 : ValType::I64;
      const bool o32 = ot == ValType::I32;
      expr(out, ot, depth - 1, mult);
      if (coin(20)) return put(out, {static_cast<uint8_t>(o32 ? 0x45 : 0x50)});  // eqz
      expr(out, ot, depth - 1, mult);
      return put(out, {static_cast<uint8_t>((o32 ? 0x46 : 0x51) + range(0, 9))});
    }
    if (kind < 47) {  // conversions
      if (i32) {
        expr(out, ValType::I64, depth - 1, mult);
        return put(out, {0xa7});  // i32.wrap_i64
      }
      expr(out, ValType::I32, depth - 1, mult);
      return put(out, {static_cast<uint8_t>(coin(50) ? 0xac : 0xad)});
    }
    if (kind < 51) {  // select
      expr(out, t, depth - 1, mult);
      expr(out, t, depth - 1, mult);
      expr(out, ValType::I32, depth - 1, mult);
      return put(out, {0x1b});
    }
    if (kind < 59) {  // load
      address(out, depth - 1, mult);
      if (i32) {
        static const uint8_t ops[] = {0x28, 0x2c, 0x2d, 0x2e, 0x2f};
        static const uint32_t al[] = {2, 0, 0, 1, 1};
        const int i = range(0, 4);
        put(out, {ops[i]});
        return memarg(out, al[i]);
      }
      static const uint8_t ops[] = {0x29, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35};
      static const uint32_t al[] = {3, 0, 0, 1, 1, 2, 2};
      const int i = range(0, 6);
      put(out, {ops[i]});
      return memarg(out, al[i]);
    }
    if (kind < 64) {  // local.tee / global set then get
      const int l = pick_local(t);
      if (l >= 0) {
        expr(out, t, depth - 1, mult);
        return put(out, cat({{0x22}, uleb(l)}));
      }
      return const_of(out, t);
    }
    if (kind < 70) {  // if/else with a result
      expr(out, ValType::I32, depth - 1, mult);
      put(out, {0x04, block_type(t)});
      labels_.push_back({false, true, t});
      if (coin(30)) stmt(out, depth - 1, mult);
      expr(out, t, depth - 1, mult);
      put(out, {0x05});
      if (coin(30)) stmt(out, depth - 1, mult);
      expr(out, t, depth - 1, mult);
      labels_.pop_back();
      return put(out, {0x0b});
    }
    if (kind < 75) {  // block with br_if
      put(out, {0x02, block_type(t)});
      labels_.push_back({false, true, t});
      if (coin(40)) stmt(out, depth - 1, mult);
      expr(out, t, depth - 1, mult);
      expr(out, ValType::I32, depth - 1, mult);
      put(out, {0x0d, 0x00, 0x1a});  // br_if 0; drop
      if (coin(30)) stmt(out, depth - 1, mult);
      expr(out, t, depth - 1, mult);
      labels_.pop_back();
      return put(out, {0x0b});
    }
    if (kind < 78) {  // br_if to an enclosing label of type t: leaves the value
      const int d = pick_label(true, t);
      if (d >= 0) {
        expr(out, t, depth - 1, mult);
        expr(out, ValType::I32, depth - 1, mult);
        return put(out, cat({{0x0d}, uleb(d)}));
      }
      return const_of(out, t);
    }
    if (kind < 83) {  // counted loop with a result
      const uint32_t n = static_cast<uint32_t>(range(1, 20));
      if (loop_nesting_ < kCounters && affordable(mult * n * 30)) {
        return counted_loop(out, depth, mult, n, &t);
      }
      return const_of(out, t);
    }
    if (kind < 90) {  // call
      const int callee = pick_callee(true, t, mult);
      if (callee >= 0) {
        charge(mult, cost_[callee]);
        return call_args(out, callee, depth - 1, mult);
      }
      if (const int any = pick_callee(false, t, mult); any >= 0 && coin(50)) {
        charge(mult, cost_[any]);
        call_args(out, any, depth - 1, mult);
        return put(out, {0x1a, static_cast<uint8_t>(i32 ? 0x41 : 0x42), 0x07});  // drop; const 7
      }
      return expr(out, t, depth - 1, mult);
    }
    if (kind < 95) {  // f64 on integers, back to t
      f64_expr(out, depth - 1, mult);
      if (i32) return put(out, {0xfc, 0x02});  // i32.trunc_sat_f64_s
      if (coin(60)) return put(out, {0xfc, 0x06});  // i64.trunc_sat_f64_s
      return put(out, {0xbd});  // i64.reinterpret_f64
    }
    if (kind < 97 && i32) {  // memory.grow by 0 or 1 (max 2 pages)
      expr(out, ValType::I32, depth - 1, mult);
      return put(out, {0x41, 0x01, 0x71, 0x40, 0x00});
    }
    const int g = pick_global(t);
    if (g >= 0) return put(out, cat({{0x23}, uleb(g)}));
    return const_of(out, t);
  }

  // counter = counter - 1; br_if 0 (back to the loop) while nonzero.
  static void loop_counter_step(Bytes& out, uint32_t c) {
    using namespace gpuos::wasm::test;
    put(out, cat({{0x20}, uleb(c), {0x41, 0x01, 0x6b, 0x22}, uleb(c), {0x0d, 0x00}}));
  }

  // Leaves the stack as it was.
  void stmt(Bytes& out, int depth, uint64_t mult) {
    using namespace gpuos::wasm::test;
    charge(mult);
    const ValType t = coin(50) ? ValType::I32 : ValType::I64;
    const int kind = range(0, 99);
    if (kind < 25) {  // local.set
      const int l = pick_local(t);
      if (l >= 0) {
        expr(out, t, depth, mult);
        return put(out, cat({{0x21}, uleb(l)}));
      }
    }
    if (kind < 37) {  // global.set
      const int g = pick_global(t);
      if (g >= 0) {
        expr(out, t, depth, mult);
        return put(out, cat({{0x24}, uleb(g)}));
      }
    }
    if (kind < 57) {  // store
      address(out, depth, mult);
      expr(out, t, depth, mult);
      if (t == ValType::I32) {
        static const uint8_t ops[] = {0x36, 0x3a, 0x3b};
        static const uint32_t al[] = {2, 0, 1};
        const int i = range(0, 2);
        put(out, {ops[i]});
        return memarg(out, al[i]);
      }
      static const uint8_t ops[] = {0x37, 0x3c, 0x3d, 0x3e};
      static const uint32_t al[] = {3, 0, 1, 2};
      const int i = range(0, 3);
      put(out, {ops[i]});
      return memarg(out, al[i]);
    }
    if (kind < 63) {  // drop
      expr(out, t, depth, mult);
      return put(out, {0x1a});
    }
    if (depth <= 0) return put(out, {0x01});  // nop
    if (kind < 73) {  // if without result
      expr(out, ValType::I32, depth - 1, mult);
      put(out, {0x04, 0x40});
      labels_.push_back({false, false, ValType::I32});
      stmt(out, depth - 1, mult);
      if (coin(50)) {
        put(out, {0x05});
        stmt(out, depth - 1, mult);
      }
      labels_.pop_back();
      return put(out, {0x0b});
    }
    if (kind < 82) {  // void block with br_if (possibly to an outer void label)
      put(out, {0x02, 0x40});
      labels_.push_back({false, false, ValType::I32});
      stmt(out, depth - 1, mult);
      expr(out, ValType::I32, depth - 1, mult);
      const int d = coin(25) ? pick_label(false, ValType::I32) : 0;
      put(out, cat({{0x0d}, uleb(d < 0 ? 0 : d)}));
      stmt(out, depth - 1, mult);
      labels_.pop_back();
      return put(out, {0x0b});
    }
    if (kind < 92) {  // counted loop
      const uint32_t n = static_cast<uint32_t>(range(1, 20));
      if (loop_nesting_ < kCounters && affordable(mult * n * 30)) {
        return counted_loop(out, depth, mult, n, nullptr);
      }
    }
    // call, result dropped
    const int callee = pick_callee(false, t, mult);
    if (callee >= 0) {
      charge(mult, cost_[callee]);
      call_args(out, callee, depth, mult);
      return put(out, {0x1a});
    }
    put(out, {0x01});  // nop
  }

  // A loop that counts its own local down from n, with 1-2 statements a
  // turn; with a result type, an expression of that type ends it.
  void counted_loop(Bytes& out, int depth, uint64_t mult, uint32_t n, const ValType* result) {
    using namespace gpuos::wasm::test;
    const uint32_t c = num_plain_locals_ + loop_nesting_;
    put(out, cat({{0x41}, sleb(n), {0x21}, uleb(c)}));
    put(out, {0x03, result ? block_type(*result) : uint8_t{0x40}});
    labels_.push_back({true, result != nullptr, result ? *result : ValType::I32});
    ++loop_nesting_;
    const int ns = range(1, 3);
    for (int i = 0; i < ns; ++i) stmt(out, depth - 1, mult * n);
    loop_counter_step(out, c);
    charge(mult * n, 5);
    --loop_nesting_;
    if (result) expr(out, *result, depth - 1, mult);
    labels_.pop_back();
    put(out, {0x0b});
  }

  std::mt19937 rng_;
  std::vector<ValType> globals_;
  std::vector<RandomFunc> funcs_;
  std::vector<uint64_t> cost_;
  std::vector<ValType> locals_;
  std::vector<Label> labels_;
  uint32_t num_plain_locals_ = 0;
  uint32_t loop_nesting_ = 0;
  uint64_t cost_acc_ = 0;
  int self_ = 0;
};

}  // namespace gpuos::jit::test

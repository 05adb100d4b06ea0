// diff_main.cpp: differential test of the three executors on random valid
// modules (tests/jit/random_module.h): the reference executor (ref::Store),
// the GPU interpreter and the compiled tier (GpuVm). Every export is
// invoked with the same arguments, in the same order, on three independent
// stores; results, traps, and at the end memory and globals must agree.
//   jit_diff [--modules N] [--seed S] [--first I] [--seconds T] [--verbose] [--write DIR]
// --write DIR keeps every generated module as DIR/mS_I.wasm; a module with
// a mismatch is written to /tmp/jit_diff_S_I.wasm in any case.
// Exits 77 (CTest skip) without a Vulkan device for GpuVm, 1 on any
// mismatch, any Unsupported outcome or when no call ran.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "procs/vm/gpu_exec.h"
#include "procs/vm/translator.h"
#include "procs/wasm/decoder.h"
#include "tests/jit/random_module.h"

namespace {

using namespace gpuos;
using gpuos::jit::test::ModuleGenerator;
using gpuos::jit::test::RandomModule;
using gpuos::wasm::ValType;

struct Out {  // one executor's outcome of one call, normalised
  bool unsupported = false;
  std::string unsupported_detail;
  vm::TrapKind trap = vm::TrapKind::None;
  std::vector<uint64_t> results;
  bool operator==(const Out& o) const {
    return unsupported == o.unsupported && trap == o.trap && (trap != vm::TrapKind::None || results == o.results);
  }
};

uint64_t mask(ValType t, uint64_t v) { return t == ValType::I32 ? (v & 0xffffffffu) : v; }

std::string hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string describe(const Out& o) {
  if (o.unsupported) return "unsupported(" + o.unsupported_detail + ")";
  if (o.trap != vm::TrapKind::None) return std::string("trap(") + vm::trap_message(o.trap) + ")";
  std::string s = "ok(";
  for (size_t i = 0; i < o.results.size(); ++i) s += (i ? "," : "") + hex(o.results[i]);
  return s + ")";
}

Out from_gpu(const vm::gpu::Outcome& g, ValType result) {
  Out o;
  switch (g.kind) {
    case vm::gpu::Outcome::Kind::Unsupported:
      o.unsupported = true;
      o.unsupported_detail = g.detail;
      break;
    case vm::gpu::Outcome::Kind::Trap:
      o.trap = g.trap;
      break;
    case vm::gpu::Outcome::Kind::Ok:
      for (uint64_t v : g.results) o.results.push_back(mask(result, v));
      break;
  }
  return o;
}

void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  if (FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
  }
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t modules = 60, seed = 1, first = 0;
  double seconds = 120;
  bool verbose = false;
  std::string write_dir;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--modules") modules = std::strtoull(next(), nullptr, 0);
    else if (a == "--seed") seed = std::strtoull(next(), nullptr, 0);
    else if (a == "--first") first = std::strtoull(next(), nullptr, 0);
    else if (a == "--seconds") seconds = std::strtod(next(), nullptr);
    else if (a == "--verbose") verbose = true;
    else if (a == "--write") write_dir = next();
    else {
      std::fprintf(stderr, "usage: jit_diff [--modules N] [--seed S] [--first I] [--seconds T] [--verbose] [--write DIR]\n");
      return 2;
    }
  }

  auto vm_or = vm::gpu::GpuVm::create();
  if (!vm_or) {
    std::printf("SKIP: no GPU interpreter: %s\n", vm_or.detail().c_str());
    return 77;
  }
  vm::gpu::GpuVm& gvm = *vm_or.value();
  std::printf("device: %s, seed %llu\n", gvm.device_name().c_str(), static_cast<unsigned long long>(seed));
  std::fflush(stdout);

  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };

  uint64_t modules_run = 0, calls = 0, traps = 0, mismatches = 0, unsupported = 0, failures = 0;
  for (uint64_t mi = first; mi < first + modules; ++mi) {
    if (elapsed() > seconds) {
      std::printf("stopping after %.1f s (--seconds %.0f)\n", elapsed(), seconds);
      break;
    }
    const uint64_t module_seed = seed * 1000003ull + mi;
    ModuleGenerator gen(module_seed);
    const RandomModule rm = gen.generate();
    const std::string where = "seed " + std::to_string(seed) + " module " + std::to_string(mi);
    const std::string dump_path = "/tmp/jit_diff_" + std::to_string(seed) + "_" + std::to_string(mi) + ".wasm";

    if (!write_dir.empty())
      write_file(write_dir + "/m" + std::to_string(seed) + "_" + std::to_string(mi) + ".wasm", rm.bytes);
    auto m = wasm::load_module(rm.bytes);
    if (!m) {
      write_file(dump_path, rm.bytes);
      std::printf("FAIL %s: generated module does not validate: %s (written to %s)\n", where.c_str(),
                  m.detail().c_str(), dump_path.c_str());
      ++failures;
      continue;
    }
    auto img = vm::translate(*m);
    if (!img) {
      write_file(dump_path, rm.bytes);
      std::printf("FAIL %s: translate failed: %s (written to %s)\n", where.c_str(), img.detail().c_str(),
                  dump_path.c_str());
      ++failures;
      continue;
    }
    auto image = std::make_shared<const vm::ProgramImage>(std::move(img.value()));

    vm::ref::Store ref_store, interp_store, comp_store;
    const uint32_t ref_id = ref_store.instantiate(image, {}).value();
    const uint32_t interp_id = interp_store.instantiate(image, {}).value();
    const uint32_t comp_id = comp_store.instantiate(image, {}).value();
    std::vector<vm::gpu::SegmentState> interp_segs, comp_segs;
    ++modules_run;
    bool module_bad = false;
    const double t0 = elapsed();
    uint64_t module_calls = 0, module_traps = 0;

    // Each export a few times, in a random order shared by all three stores.
    std::vector<uint32_t> order;
    for (uint32_t k = 0; k < rm.funcs.size(); ++k) order.insert(order.end(), {k, k});
    std::mt19937 order_rng(static_cast<std::mt19937::result_type>(module_seed * 7 + 1));
    std::shuffle(order.begin(), order.end(), order_rng);
    for (const uint32_t k : order) {
      const std::string name = "f" + std::to_string(k);
      std::vector<vm::ref::Slot> args;
      for (ValType p : rm.funcs[k].params) args.push_back(gen.arg(p));
      const ValType rt = rm.funcs[k].result;

      Out want;
      {
        const auto e = ref_store.instance(ref_id).find_export(name);
        const vm::ref::InvokeResult r = ref_store.invoke(e->addr, args);
        want.trap = r.trap.kind;
        for (uint64_t v : r.results) want.results.push_back(mask(rt, v));
      }
      const vm::gpu::Invocation inv{.func = k, .args = args};
      gvm.set_tier(vm::gpu::Tier::Interpreter);
      const Out interp = from_gpu(gvm.run(interp_store, interp_id, interp_segs, std::span(&inv, 1)).at(0), rt);
      gvm.set_tier(vm::gpu::Tier::Compiled);
      const Out comp = from_gpu(gvm.run(comp_store, comp_id, comp_segs, std::span(&inv, 1)).at(0), rt);

      ++calls;
      ++module_calls;
      if (want.trap != vm::TrapKind::None) ++traps, ++module_traps;
      if (interp.unsupported || comp.unsupported) ++unsupported;
      std::string arg_text;
      for (size_t i = 0; i < args.size(); ++i) arg_text += (i ? "," : "") + hex(args[i]);
      if (!(interp == want) || !(comp == want)) {
        ++mismatches;
        module_bad = true;
        std::printf("MISMATCH %s %s(%s): ref %s, interp %s, compiled %s\n", where.c_str(), name.c_str(),
                    arg_text.c_str(), describe(want).c_str(), describe(interp).c_str(), describe(comp).c_str());
      } else if (verbose) {
        std::printf("  %s %s(%s) = %s\n", where.c_str(), name.c_str(), arg_text.c_str(), describe(want).c_str());
      }
    }

    // Final state: memory bytes and globals.
    const vm::ref::Instance& ri = ref_store.instance(ref_id);
    const vm::ref::Instance& ii = interp_store.instance(interp_id);
    const vm::ref::Instance& ci = comp_store.instance(comp_id);
    const auto& rmem = ref_store.memory(ri.memories.at(0)).bytes;
    const auto& imem = interp_store.memory(ii.memories.at(0)).bytes;
    const auto& cmem = comp_store.memory(ci.memories.at(0)).bytes;
    auto compare_mem = [&](const char* who, const vm::ref::MemoryBytes& got) {
      if (got == rmem) return;
      ++mismatches;
      module_bad = true;
      size_t at = 0;
      while (at < got.size() && at < rmem.size() && got[at] == rmem[at]) ++at;
      std::printf("MISMATCH %s final memory: %s has %zu bytes, ref %zu; first difference at 0x%zx", where.c_str(),
                  who, got.size(), rmem.size(), at);
      if (at < got.size() && at < rmem.size()) std::printf(" (%s 0x%02x, ref 0x%02x)", who, got[at], rmem[at]);
      std::printf("\n");
    };
    compare_mem("interp", imem);
    compare_mem("compiled", cmem);
    for (size_t g = 0; g < rm.globals.size(); ++g) {
      const ValType t = rm.globals[g];
      const uint64_t rv = mask(t, ref_store.global(ri.globals.at(g)).value);
      const uint64_t iv = mask(t, interp_store.global(ii.globals.at(g)).value);
      const uint64_t cv = mask(t, comp_store.global(ci.globals.at(g)).value);
      if (iv != rv || cv != rv) {
        ++mismatches;
        module_bad = true;
        std::printf("MISMATCH %s final global %zu: ref %s, interp %s, compiled %s\n", where.c_str(), g,
                    hex(rv).c_str(), hex(iv).c_str(), hex(cv).c_str());
      }
    }
    if (module_bad) {
      write_file(dump_path, rm.bytes);
      std::printf("  module written to %s (%zu bytes, %zu functions)\n", dump_path.c_str(), rm.bytes.size(),
                  rm.funcs.size());
    }
    if (verbose)
      std::printf("module %llu: %zu bytes, %zu functions, %llu calls, %llu traps, %.2f s\n",
                  static_cast<unsigned long long>(mi), rm.bytes.size(), rm.funcs.size(),
                  static_cast<unsigned long long>(module_calls), static_cast<unsigned long long>(module_traps),
                  elapsed() - t0);
    std::fflush(stdout);
  }

  const vm::gpu::TierStats& ts = gvm.tier_stats();
  std::printf("compiled tier: %u compiles, %u cache hits, %u failures%s%s; emit %.0f ms, glslang %.0f ms, pipeline %.0f ms\n",
              ts.compiles, ts.cache_hits, ts.failures, ts.last_failure.empty() ? "" : ", last: ",
              ts.last_failure.c_str(), ts.emit_ms, ts.glslang_ms, ts.pipeline_ms);
  std::printf("%llu modules, %llu calls, %llu traps, %llu mismatches, %llu unsupported, %llu generator failures, %.1f s\n",
              static_cast<unsigned long long>(modules_run), static_cast<unsigned long long>(calls),
              static_cast<unsigned long long>(traps), static_cast<unsigned long long>(mismatches),
              static_cast<unsigned long long>(unsupported), static_cast<unsigned long long>(failures), elapsed());
  return (mismatches || unsupported || failures || calls == 0) ? 1 : 0;
}

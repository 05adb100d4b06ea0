// gpu_exec.cpp: GpuVm: copies an instance's state from the ref::Store to
// the interpreter's buffers, runs slices until every lane has finished,
// serves calls out of the image on the host, and writes the state back.
#include "procs/vm/gpu_exec.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <unordered_map>

#include <fmt/format.h>

#include "procs/jit/compiler.h"
#include "procs/vm/gpu_device.h"
#include "procs/vm/meta_layout.h"

namespace gpuos::vm::gpu {

struct GpuVm::Impl {
  std::unique_ptr<VmDevice> dev;
  uint64_t mem_dirty = 0;                    // memory buffer bytes that may be nonzero

  // Compiled pipelines by what the generated code depends on (the code
  // words and each function's entry and frame size), least recently used
  // dropped past kMaxCompiled. Not by image address: a later store may
  // reuse one.
  struct Compiled {
    std::vector<uint32_t> key;
    uint32_t pipeline = 0;
    uint64_t last_use = 0;
  };
  static constexpr size_t kMaxCompiled = 64;
  std::unordered_map<uint64_t, Compiled> compiled;
  // Code that did not compile, with why: later runs fail at once, counted once.
  std::unordered_map<uint64_t, std::pair<std::vector<uint32_t>, std::string>> refused;
  uint64_t use_clock = 0;

  Result<uint32_t, std::string> pipeline_for(const ProgramImage& img, const GpuLimits& lim, TierStats& stats);
};

namespace {

std::vector<uint32_t> compile_key(const ProgramImage& img) {
  std::vector<uint32_t> key(img.code);
  for (const ImageFunction& f : img.functions) {
    key.push_back(f.entry);
    key.push_back(f.frame_slots);
  }
  return key;
}

uint64_t fnv1a(const std::vector<uint32_t>& words) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint32_t w : words) h = (h ^ w) * 0x100000001b3ull;
  return h;
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

Result<uint32_t, std::string> GpuVm::Impl::pipeline_for(const ProgramImage& img, const GpuLimits& lim,
                                                        TierStats& stats) {
  std::vector<uint32_t> key = compile_key(img);
  key.push_back(lim.jit_register_slots);
  const uint64_t h = fnv1a(key);
  ++use_clock;
  if (auto it = compiled.find(h); it != compiled.end() && it->second.key == key) {
    it->second.last_use = use_clock;
    stats.cache_hits++;
    return it->second.pipeline;
  }
  if (auto it = refused.find(h); it != refused.end() && it->second.first == key) {
    return fail(std::string(), it->second.second);
  }
  jit::CompileOptions opts;
  opts.relaxed_atomics = dev->info().is_lavapipe();
  opts.emit.max_register_slots = lim.jit_register_slots;
  opts.max_glsl_bytes = lim.jit_max_glsl_bytes;
  auto image = jit::compile_image(img, opts);
  if (!image) {
    stats.failures++;
    stats.last_failure = image.detail();
    refused[h] = {std::move(key), image.detail()};
    return fail(std::string(), image.detail());
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto id = dev->add_pipeline(image->spirv);
  if (!id) {
    stats.failures++;
    stats.last_failure = "pipeline: " + id.detail();
    refused[h] = {std::move(key), stats.last_failure};
    return fail(std::string(), stats.last_failure);
  }
  stats.compiles++;
  stats.emit_ms += image->emit_ms;
  stats.glslang_ms += image->glslang_ms;
  stats.pipeline_ms += ms_since(t0);
  if (compiled.size() >= kMaxCompiled) {
    auto oldest = std::min_element(compiled.begin(), compiled.end(),
                                   [](const auto& a, const auto& b) { return a.second.last_use < b.second.last_use; });
    dev->remove_pipeline(oldest->second.pipeline);
    compiled.erase(oldest);
  }
  if (auto it = compiled.find(h); it != compiled.end()) {  // a hash collision: the newer code wins
    dev->remove_pipeline(it->second.pipeline);
    compiled.erase(it);
  }
  compiled[h] = Compiled{std::move(key), id.value(), use_clock};
  return id.value();
}

namespace {

constexpr uint64_t kPage = 65536;
constexpr uint32_t kImplMaxPages = 16384;     // as ref_instance.cpp: grow results agree with the oracle
constexpr uint64_t kImplMaxTable = 1u << 24;

uint32_t u32(size_t v) { return static_cast<uint32_t>(v); }

// Everything of `instance` the GPU reads, from the store into the buffers.
Result<void, std::string> upload(VmDevice& d, GpuVm::Impl& impl, const GpuLimits& lim, ref::Store& store,
                                 uint32_t id, const SegmentState& seg) {
  const ref::Instance& inst = store.instance(id);
  const ProgramImage& img = *inst.image;
  auto need = [&](uint32_t b, size_t bytes) -> bool {
    auto r = d.ensure(b, std::max<size_t>(bytes, 16));
    return r.ok();
  };
  // code: copied every run (an image address may be reused by a later
  // store, so it is no safe cache key; the copy is cheap next to a launch)
  {
    auto r = d.ensure(VM_B_CODE, (img.code.size() + VM_CODE_READ_AHEAD) * 4);
    if (!r) return fail(std::string(), r.detail());
    std::memcpy(d.map(VM_B_CODE), img.code.data(), img.code.size() * 4);
  }
  // functions
  if (!need(VM_B_FUNCS, img.functions.size() * VM_FUNC_WORDS * 4)) return fail(std::string(), "funcs buffer");
  uint32_t* F = d.as<uint32_t>(VM_B_FUNCS);
  for (size_t i = 0; i < img.functions.size(); ++i) {
    const ImageFunction& f = img.functions[i];
    uint32_t* e = F + i * VM_FUNC_WORDS;
    const ref::FuncInst& fi = store.func(inst.funcs[i]);
    e[VM_F_ENTRY] = f.entry;
    e[VM_F_PARAMS] = f.num_params;
    e[VM_F_RESULTS] = f.num_results;
    e[VM_F_LOCALS] = f.num_locals;
    e[VM_F_FRAME] = f.frame_slots;
    e[VM_F_SIG] = img.type_sig_ids[f.type_index];
    e[VM_F_KIND] = (fi.instance == id && f.entry != kNone) ? VM_FK_LOCAL : VM_FK_HOST;
    e[VM_F_STORE_ADDR] = inst.funcs[i];
  }
  // globals
  if (!need(VM_B_GLOBALS, inst.globals.size() * 8)) return fail(std::string(), "globals buffer");
  for (size_t i = 0; i < inst.globals.size(); ++i) d.as<uint64_t>(VM_B_GLOBALS)[i] = store.global(inst.globals[i]).value;

  // meta: header, table/data/elem descriptors, handle map, signature ids
  uint32_t addr_len = 0;
  for (uint32_t a : inst.funcs) addr_len = std::max(addr_len, a + 1);
  const MetaLayout L = meta_layout(u32(inst.tables.size()), u32(img.data.size()), u32(img.elems.size()), addr_len,
                                   u32(img.type_sig_ids.size()));
  if (!need(VM_B_META, L.words * 4)) return fail(std::string(), "meta buffer");
  uint32_t* M = d.as<uint32_t>(VM_B_META);
  std::memset(M, 0, L.words * 4);
  write_meta_header(M, L, u32(inst.tables.size()), addr_len, img.type_sig_ids);
  std::fill_n(M + L.addr_off, addr_len, VM_NOT_MAPPED);
  for (size_t i = 0; i < inst.funcs.size(); ++i) M[L.addr_off + inst.funcs[i]] = u32(i);

  // tables, then element segment items
  size_t tab_elems = 0;
  std::vector<uint32_t> caps;
  for (uint32_t ta : inst.tables) {
    const ref::TableInst& t = store.table(ta);
    const uint64_t max = std::min<uint64_t>(t.max == kNone ? 0xffffffffu : t.max, kImplMaxTable);
    const uint64_t cap = std::max<uint64_t>(t.elems.size(), std::min<uint64_t>(max, t.elems.size() + lim.table_headroom));
    caps.push_back(static_cast<uint32_t>(cap));
    tab_elems += cap;
  }
  for (const auto& items : inst.elems) tab_elems += items.size();
  if (!need(VM_B_TABLES, tab_elems * 8)) return fail(std::string(), "tables buffer");
  uint64_t* T = d.as<uint64_t>(VM_B_TABLES);
  size_t base = 0;
  for (size_t i = 0; i < inst.tables.size(); ++i) {
    const ref::TableInst& t = store.table(inst.tables[i]);
    uint32_t* td = M + L.tables_off + i * VM_DESC_WORDS;
    td[VM_TD_BASE] = u32(base);
    td[VM_TD_SIZE] = u32(t.elems.size());
    td[VM_TD_CAP] = caps[i];
    std::copy(t.elems.begin(), t.elems.end(), T + base);
    base += caps[i];
  }
  for (size_t i = 0; i < inst.elems.size(); ++i) {
    uint32_t* ed = M + L.elem_off + i * VM_DESC_WORDS;
    ed[VM_SD_BASE] = u32(base);
    ed[VM_SD_LEN] = u32(inst.elems[i].size());
    ed[VM_SD_DROPPED] = i < seg.elem_dropped.size() ? seg.elem_dropped[i] : 0;
    std::copy(inst.elems[i].begin(), inst.elems[i].end(), T + base);
    base += inst.elems[i].size();
  }
  // data segments
  size_t seg_bytes = 0;
  for (const ImageData& s : img.data) seg_bytes += (s.bytes.size() + 3) & ~size_t{3};
  if (!need(VM_B_SEGDATA, seg_bytes)) return fail(std::string(), "segment buffer");
  size_t off = 0;
  for (size_t i = 0; i < img.data.size(); ++i) {
    uint32_t* dd = M + L.data_off + i * VM_DESC_WORDS;
    dd[VM_SD_BASE] = u32(off);
    dd[VM_SD_LEN] = u32(img.data[i].bytes.size());
    dd[VM_SD_DROPPED] = i < seg.data_dropped.size() ? seg.data_dropped[i] : 0;
    std::memcpy(static_cast<uint8_t*>(d.map(VM_B_SEGDATA)) + off, img.data[i].bytes.data(), img.data[i].bytes.size());
    off += (img.data[i].bytes.size() + 3) & ~size_t{3};
  }
  // memory 0: current bytes, zero beyond (memory.grow relies on it)
  if (!inst.memories.empty()) {
    const ref::MemoryInst& m = store.memory(inst.memories[0]);
    const uint32_t max = std::min({m.max_pages == kNone ? ref::kMaxPages : m.max_pages, kImplMaxPages,
                                   std::max(lim.mem_cap_pages, m.pages())});
    auto replaced = d.ensure(VM_B_MEMORY, uint64_t{max} * kPage + 8);
    if (!replaced) return fail(std::string(), replaced.detail());
    if (*replaced) impl.mem_dirty = 0;
    auto* mem = static_cast<uint8_t*>(d.map(VM_B_MEMORY));
    std::memcpy(mem, m.bytes.data(), m.bytes.size());
    if (impl.mem_dirty > m.bytes.size()) std::memset(mem + m.bytes.size(), 0, impl.mem_dirty - m.bytes.size());
    impl.mem_dirty = m.bytes.size();
    M[VM_META_HAS_MEMORY] = 1;
    M[VM_META_MEM_PAGES] = m.pages();
    M[VM_META_MEM_CAP_PAGES] = max;
  }
  return {};
}

// What the GPU may have changed, back into the store.
void write_back(VmDevice& d, GpuVm::Impl& impl, ref::Store& store, uint32_t id, SegmentState& seg) {
  const ref::Instance& inst = store.instance(id);
  const ProgramImage& img = *inst.image;
  const uint32_t* M = d.as<uint32_t>(VM_B_META);
  for (size_t i = 0; i < inst.globals.size(); ++i) store.global(inst.globals[i]).value = d.as<uint64_t>(VM_B_GLOBALS)[i];
  if (!inst.memories.empty()) {
    ref::MemoryInst& m = store.memory(inst.memories[0]);
    const uint64_t bytes = uint64_t{M[VM_META_MEM_PAGES]} * kPage;
    m.bytes.resize(bytes);
    std::memcpy(m.bytes.data(), d.map(VM_B_MEMORY), bytes);
    impl.mem_dirty = std::max(impl.mem_dirty, bytes);
  }
  const uint64_t* T = d.as<uint64_t>(VM_B_TABLES);
  for (size_t i = 0; i < inst.tables.size(); ++i) {
    const uint32_t* td = M + M[VM_META_TABLES_OFF] + i * VM_DESC_WORDS;
    ref::TableInst& t = store.table(inst.tables[i]);
    t.elems.assign(T + td[VM_TD_BASE], T + td[VM_TD_BASE] + td[VM_TD_SIZE]);
  }
  seg.data_dropped.resize(img.data.size());
  seg.elem_dropped.resize(img.elems.size());
  for (size_t i = 0; i < img.data.size(); ++i) seg.data_dropped[i] = M[M[VM_META_DATA_OFF] + i * VM_DESC_WORDS + VM_SD_DROPPED];
  for (size_t i = 0; i < img.elems.size(); ++i) seg.elem_dropped[i] = M[M[VM_META_ELEM_OFF] + i * VM_DESC_WORDS + VM_SD_DROPPED];
}

}  // namespace

Result<std::unique_ptr<GpuVm>, std::string> GpuVm::create(GpuLimits limits) {
  auto dev = VmDevice::create();
  if (!dev) return fail(std::string(), dev.detail());
  std::unique_ptr<GpuVm> vm(new GpuVm());
  vm->impl_ = std::make_unique<Impl>();
  vm->impl_->dev = std::move(dev.value());
  if (limits.slice_ticks == 0) limits.slice_ticks = vm->impl_->dev->info().is_lavapipe() ? 32768u : (1u << 20);
  if (limits.jit_max_glsl_bytes == 0 && vm->impl_->dev->info().is_lavapipe()) limits.jit_max_glsl_bytes = 384u << 10;
  vm->limits_ = limits;
  return vm;
}

GpuVm::~GpuVm() = default;
std::string GpuVm::device_name() const { return impl_->dev->info().name; }
bool GpuVm::is_lavapipe() const { return impl_->dev->info().is_lavapipe(); }

std::vector<Outcome> GpuVm::run(ref::Store& store, uint32_t id, std::vector<SegmentState>& segs,
                                std::span<const Invocation> invs) {
  VmDevice& d = *impl_->dev;
  const GpuLimits& lim = limits_;
  if (segs.size() <= id) segs.resize(id + 1);
  std::vector<Outcome> out(invs.size());
  auto unsupported_all = [&](const std::string& why) {
    for (Outcome& o : out) o = Outcome{Outcome::Kind::Unsupported, TrapKind::None, kNone, {}, why, 0};
    return out;
  };
  if (auto r = upload(d, *impl_, lim, store, id, segs[id]); !r) return unsupported_all("upload: " + r.detail());
  uint32_t pipeline = VmDevice::kInterpreter;
  if (lim.tier == Tier::Compiled) {
    auto p = impl_->pipeline_for(*store.instance(id).image, lim, tier_stats_);
    if (!p) return unsupported_all("compiled tier: " + p.detail());
    pipeline = p.value();
  }
  const uint32_t n = u32(invs.size());
  const uint64_t lane_words = uint64_t{n} * VM_LANE_WORDS + uint64_t{n} * 2 * lim.max_depth;
  if (!d.ensure(VM_B_LANES, lane_words * 4) || !d.ensure(VM_B_SLOTS, uint64_t{n} * lim.slots_per_lane * 8)) {
    return unsupported_all("cannot allocate lane buffers");
  }
  const ProgramImage& img = *store.instance(id).image;
  uint32_t* L = d.as<uint32_t>(VM_B_LANES);
  std::vector<uint64_t> ticks(n, 0);
  std::vector<bool> finished(n, false);
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t* h = L + i * VM_LANE_WORDS;
    std::fill_n(h, VM_LANE_WORDS, 0u);
    h[VM_L_STATUS] = VM_ST_START;
    h[VM_L_AUX] = invs[i].func;
    h[VM_L_FUEL_LO] = static_cast<uint32_t>(invs[i].fuel);
    h[VM_L_FUEL_HI] = static_cast<uint32_t>(invs[i].fuel >> 32);
    uint64_t* S = d.as<uint64_t>(VM_B_SLOTS) + uint64_t{i} * lim.slots_per_lane;
    std::copy(invs[i].args.begin(), invs[i].args.end(), S);
  }
  VmPush push{n, lim.slice_ticks, lim.slots_per_lane, lim.max_depth, 0};
  // llvmpipe ends an invocation's loops after 65,535 iterations in all
  // (docs/platform.md 2b). Compiled code loops once per block, and a block
  // can be a single tick: call.wast's endless recursion (one-tick blocks and
  // the shared JIT_CALL block between them) hung at 32,768 ticks a launch
  // and returned instead of trapping at 8,192; it passes at 4,096 and 1,024.
  if (pipeline != VmDevice::kInterpreter && d.info().is_lavapipe()) push.slice_ticks = std::min(push.slice_ticks, 2048u);
  for (uint32_t left = n; left > 0;) {
    if (auto r = d.launch(push, pipeline); !r) return unsupported_all("launch: " + r.detail());
    L = d.as<uint32_t>(VM_B_LANES);
    for (uint32_t i = 0; i < n; ++i) {
      if (finished[i]) continue;
      uint32_t* h = L + i * VM_LANE_WORDS;
      uint64_t* S = d.as<uint64_t>(VM_B_SLOTS) + uint64_t{i} * lim.slots_per_lane;
      ticks[i] += h[VM_L_TICKS];
      h[VM_L_TICKS] = 0;
      Outcome& o = out[i];
      o.ticks = ticks[i];
      o.fuel_left = h[VM_L_FUEL_LO] | (uint64_t{h[VM_L_FUEL_HI]} << 32);
      auto finish = [&]() { finished[i] = true, --left, h[VM_L_STATUS] = VM_ST_IDLE; };
      switch (h[VM_L_STATUS]) {
        case VM_ST_DONE:
          o.kind = Outcome::Kind::Ok;
          o.results.assign(S, S + img.functions[invs[i].func].num_results);
          finish();
          break;
        case VM_ST_TRAPPED:
          if (h[VM_L_TRAP] >= VM_TRAP_UNSUPPORTED_OP) {
            o.kind = Outcome::Kind::Unsupported;
            o.detail = fmt::format("unsupported opcode 0x{:04x}", h[VM_L_AUX]);
          } else {
            o.kind = Outcome::Kind::Trap;
            o.trap = static_cast<TrapKind>(h[VM_L_TRAP]);
          }
          o.pc = h[VM_L_TRAP_PC];
          finish();
          break;
        case VM_ST_HOSTCALL: {
          const uint32_t f = h[VM_L_AUX], cfp = h[VM_L_CALLEE_FP];
          // AUX: an imported function; VM_NOT_MAPPED: call_indirect to a handle of another instance.
          const uint32_t addr = f == VM_NOT_MAPPED ? h[VM_L_HANDLE] : store.instance(id).funcs[f];
          ref::FuncInst& fi = store.func(addr);
          const size_t np = fi.type.params.size(), nr = fi.type.results.size();
          Outcome callee;
          if (uint64_t{cfp} + std::max(np, nr) > lim.slots_per_lane) {
            callee.kind = Outcome::Kind::Trap;
            callee.trap = TrapKind::CallStackExhausted;
            o = callee;
            finish();
            break;
          }
          std::vector<ref::Slot> args(S + cfp, S + cfp + np), results(nr);
          if (f == VM_NOT_MAPPED && !(fi.type == img.types[h[VM_L_TYPE]])) {
            callee.kind = Outcome::Kind::Trap;
            callee.trap = TrapKind::IndirectCallTypeMismatch;
          } else if (fi.instance == kNone) {
            callee.trap = fi.host(args, results);
            callee.kind = callee.trap == TrapKind::None ? Outcome::Kind::Ok : Outcome::Kind::Trap;
            callee.results = results;
          } else if (n != 1) {
            callee.kind = Outcome::Kind::Unsupported;
            callee.detail = "call into another instance from a multi-lane run";
          } else if (nesting_ >= lim.max_nesting) {
            callee.kind = Outcome::Kind::Trap;
            callee.trap = TrapKind::CallStackExhausted;
          } else {
            // Nested run of the other instance's function: our state goes to
            // the store first (memories and tables may be shared), comes
            // back after, and this lane's header, control stack and frames
            // below the callee are saved around it.
            write_back(d, *impl_, store, id, segs[id]);
            std::vector<uint32_t> lane_save(L, L + lane_words);
            std::vector<uint64_t> slot_save(S, S + cfp);
            ++nesting_;
            const Invocation inner{fi.index, args};
            callee = run(store, fi.instance, segs, std::span<const Invocation>(&inner, 1))[0];
            --nesting_;
            if (auto r = upload(d, *impl_, lim, store, id, segs[id]); !r) return unsupported_all("re-upload: " + r.detail());
            L = d.as<uint32_t>(VM_B_LANES);
            h = L + i * VM_LANE_WORDS;
            S = d.as<uint64_t>(VM_B_SLOTS);
            std::copy(lane_save.begin(), lane_save.end(), L);
            std::copy(slot_save.begin(), slot_save.end(), S);
            ticks[i] += callee.ticks;
          }
          if (callee.kind == Outcome::Kind::Ok) {
            std::copy(callee.results.begin(), callee.results.end(), S + cfp);
            h[VM_L_STATUS] = VM_ST_RUNNING;
          } else {
            o = callee;
            o.pc = kNone;
            finish();
          }
          break;
        }
        default:
          if (ticks[i] > lim.budget_ticks) {
            o.kind = Outcome::Kind::Trap;
            o.trap = TrapKind::BudgetExhausted;
            o.pc = h[VM_L_PC];
            finish();
          }
          break;
      }
    }
  }
  write_back(d, *impl_, store, id, segs[id]);
  return out;
}

}  // namespace gpuos::vm::gpu

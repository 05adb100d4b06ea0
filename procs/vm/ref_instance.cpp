// ref_instance.cpp: the reference executor's store, linking and
// instantiation (spec "modules.instantiate"): import checks, allocation of
// globals, tables and memories, element and data segment initialisation,
// and the start function.
#include <algorithm>
#include <cstring>

#include "procs/vm/ref_exec.h"

namespace gpuos::vm::ref {
namespace {

// Implementation limits on growth: the spec lets grow fail at any size, and
// a CPU oracle should not try to allocate 4 GiB for a test.
constexpr uint32_t kImplMaxPages = 16384;        // 1 GiB of linear memory
constexpr uint64_t kImplMaxTableSize = 1u << 24;  // table elements

bool limits_match(uint64_t size, uint32_t max, uint32_t want_min, uint32_t want_max) {
  if (size < want_min) return false;
  if (want_max == kNone) return true;
  return max != kNone && max <= want_max;
}

}  // namespace

std::string Trap::describe() const {
  std::string s = trap_message(kind);
  if (func != kNone) {
    s += " in function " + std::to_string(func);
    if (!function_name.empty()) s += " \"" + function_name + "\"";
    char buf[32];
    std::snprintf(buf, sizeof buf, " at 0x%x", wasm_offset);
    s += buf;
  }
  return s;
}

std::optional<Extern> Instance::find_export(std::string_view name) const {
  const ImageExport* e = image->find_export(name);
  if (!e) return std::nullopt;
  switch (e->kind) {
    case ExternKind::Func: return Extern{e->kind, funcs[e->index]};
    case ExternKind::Table: return Extern{e->kind, tables[e->index]};
    case ExternKind::Memory: return Extern{e->kind, memories[e->index]};
    case ExternKind::Global: return Extern{e->kind, globals[e->index]};
  }
  return std::nullopt;
}

uint32_t Store::add_host_func(wasm::FuncType type, HostFn fn) {
  funcs_.push_back({std::move(type), kNone, 0, std::move(fn)});
  return static_cast<uint32_t>(funcs_.size() - 1);
}

uint32_t Store::add_table(ValType elem_type, uint32_t min, uint32_t max, Slot init) {
  tables_.push_back({elem_type, std::vector<Slot>(min, init), max});
  return static_cast<uint32_t>(tables_.size() - 1);
}

uint32_t Store::add_memory(uint32_t min_pages, uint32_t max_pages) {
  memories_.push_back({MemoryBytes(static_cast<size_t>(min_pages) * kPageSize), max_pages});
  return static_cast<uint32_t>(memories_.size() - 1);
}

uint32_t Store::add_global(ValType type, bool is_mutable, Slot value) {
  globals_.push_back({type, is_mutable, value});
  return static_cast<uint32_t>(globals_.size() - 1);
}

int32_t Store::grow_memory(MemoryInst& mem, uint32_t delta) {
  const uint32_t old = mem.pages();
  const uint32_t max = std::min(mem.max_pages == kNone ? kMaxPages : mem.max_pages, kImplMaxPages);
  if (static_cast<uint64_t>(old) + delta > max) return -1;
  mem.bytes.resize(static_cast<size_t>(old + delta) * kPageSize);  // zeros: MemoryBytes
  return static_cast<int32_t>(old);
}

int32_t Store::grow_table(TableInst& t, uint32_t delta, Slot init) {
  const uint64_t old = t.elems.size();
  const uint64_t max = std::min<uint64_t>(t.max == kNone ? 0xffffffffu : t.max, kImplMaxTableSize);
  if (old + delta > max) return -1;
  t.elems.resize(old + delta, init);
  return static_cast<int32_t>(old);
}

Slot Store::eval(const Instance& inst, const InitExpr& e) const {
  switch (e.kind) {
    case InitExpr::Kind::Const: return e.bits;
    case InitExpr::Kind::GlobalGet: return globals_[inst.globals[e.index]].value;
    case InitExpr::Kind::RefFunc: return static_cast<Slot>(inst.funcs[e.index]) + 1;
    case InitExpr::Kind::RefNull: return 0;
  }
  return 0;
}

TrapKind Store::table_init(Instance& inst, uint32_t table, uint32_t elem, uint32_t d, uint32_t s, uint32_t n) {
  const std::vector<Slot>& seg = inst.elems[elem];
  TableInst& t = tables_[inst.tables[table]];
  if (static_cast<uint64_t>(s) + n > seg.size() || static_cast<uint64_t>(d) + n > t.elems.size()) {
    return TrapKind::TableOutOfBounds;
  }
  std::copy_n(seg.begin() + s, n, t.elems.begin() + d);
  return TrapKind::None;
}

TrapKind Store::memory_init(Instance& inst, uint32_t data, uint32_t d, uint32_t s, uint32_t n) {
  const ImageData& seg = inst.image->data[data];
  const uint64_t size = inst.data_dropped[data] ? 0 : seg.bytes.size();
  MemoryInst& mem = memories_[inst.memories[0]];
  if (static_cast<uint64_t>(s) + n > size || static_cast<uint64_t>(d) + n > mem.bytes.size()) {
    return TrapKind::MemoryOutOfBounds;
  }
  if (n) std::memcpy(mem.bytes.data() + d, seg.bytes.data() + s, n);
  return TrapKind::None;
}

Result<uint32_t, InstantiateError> Store::instantiate(std::shared_ptr<const ProgramImage> image,
                                                      std::span<const Extern> imports) {
  const ProgramImage& img = *image;
  if (imports.size() != img.imports.size()) {
    return fail(InstantiateError::Unlinkable, "wrong number of imports");
  }
  Instance inst;
  inst.image = image;
  for (size_t i = 0; i < imports.size(); ++i) {
    const ImageImport& want = img.imports[i];
    const Extern& got = imports[i];
    const std::string what = "incompatible import type for \"" + want.module + "\" \"" + want.name + "\"";
    if (got.kind != want.kind) return fail(InstantiateError::Unlinkable, what);
    switch (want.kind) {
      case ExternKind::Func:
        if (!(funcs_[got.addr].type == img.types[img.functions[want.index].type_index])) {
          return fail(InstantiateError::Unlinkable, what);
        }
        inst.funcs.push_back(got.addr);
        break;
      case ExternKind::Table: {
        const ImageTable& t = img.tables[want.index];
        const TableInst& have = tables_[got.addr];
        if (have.elem_type != t.elem_type || !limits_match(have.elems.size(), have.max, t.min, t.max)) {
          return fail(InstantiateError::Unlinkable, what);
        }
        inst.tables.push_back(got.addr);
        break;
      }
      case ExternKind::Memory: {
        const ImageMemory& m = img.memories[want.index];
        const MemoryInst& have = memories_[got.addr];
        if (!limits_match(have.pages(), have.max_pages, m.min, m.max)) return fail(InstantiateError::Unlinkable, what);
        inst.memories.push_back(got.addr);
        break;
      }
      case ExternKind::Global: {
        const ImageGlobal& g = img.globals[want.index];
        const GlobalInst& have = globals_[got.addr];
        if (have.type != g.type || have.is_mutable != g.is_mutable) return fail(InstantiateError::Unlinkable, what);
        inst.globals.push_back(got.addr);
        break;
      }
    }
  }
  const uint32_t id = static_cast<uint32_t>(instances_.size());
  for (uint32_t f = 0; f < img.functions.size(); ++f) {
    if (img.functions[f].import != kNone) continue;
    funcs_.push_back({img.types[img.functions[f].type_index], id, f, {}});
    inst.funcs.push_back(static_cast<uint32_t>(funcs_.size() - 1));
  }
  for (const ImageTable& t : img.tables) {
    if (t.import == kNone) inst.tables.push_back(add_table(t.elem_type, t.min, t.max));
  }
  for (const ImageMemory& m : img.memories) {
    if (m.import == kNone) inst.memories.push_back(add_memory(m.min, m.max));
  }
  for (const ImageGlobal& g : img.globals) {
    if (g.import == kNone) inst.globals.push_back(add_global(g.type, g.is_mutable, eval(inst, g.init)));
  }
  for (const ImageElem& e : img.elems) {
    std::vector<Slot> items;
    for (const InitExpr& item : e.items) items.push_back(eval(inst, item));
    inst.elems.push_back(std::move(items));
  }
  inst.data_dropped.assign(img.data.size(), false);
  instances_.push_back(std::move(inst));

  // Segments in order; a failure leaves earlier writes in place (spec 2.0).
  for (uint32_t i = 0; i < img.elems.size(); ++i) {
    const ImageElem& e = img.elems[i];
    if (e.mode == SegmentMode::Active) {
      const uint32_t offset = static_cast<uint32_t>(eval(instances_[id], e.offset));
      const TrapKind t = table_init(instances_[id], e.table, i, offset, 0, static_cast<uint32_t>(e.items.size()));
      if (t != TrapKind::None) return fail(InstantiateError::Trap, trap_message(t));
    }
    if (e.mode != SegmentMode::Passive) instances_[id].elems[i].clear();
  }
  for (uint32_t i = 0; i < img.data.size(); ++i) {
    const ImageData& d = img.data[i];
    if (d.mode != SegmentMode::Active) continue;
    const uint32_t offset = static_cast<uint32_t>(eval(instances_[id], d.offset));
    const TrapKind t = memory_init(instances_[id], i, offset, 0, static_cast<uint32_t>(d.bytes.size()));
    if (t != TrapKind::None) return fail(InstantiateError::Trap, trap_message(t));
    instances_[id].data_dropped[i] = true;
  }
  if (img.start != kNone) {
    const InvokeResult r = invoke(instances_[id].funcs[img.start], {});
    if (r.trap) return fail(InstantiateError::Trap, r.trap.describe());
  }
  return id;
}

}  // namespace gpuos::vm::ref

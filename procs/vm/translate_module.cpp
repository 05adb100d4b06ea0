// translate_module.cpp: builds a ProgramImage's declarations from a Module.
//
// Function bodies are translated by translate_function.cpp; this file
// copies everything else (types and their signature ids, index spaces,
// imports, exports, segments, start, names) into the image's plain structs,
// so no executor ever needs the wasm::Module or its bytes.
#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "procs/vm/translator.h"
#include "procs/wasm/opcodes.h"

namespace gpuos::vm {
namespace {

InitExpr init_expr(const wasm::ConstExpr& e) {
  InitExpr out;
  switch (e.op) {
    case wasm::Op::I32Const: out.bits = e.bits & 0xffffffffu; break;
    case wasm::Op::I64Const:
    case wasm::Op::F32Const:
    case wasm::Op::F64Const: out.bits = e.bits; break;
    case wasm::Op::GlobalGet: out.kind = InitExpr::Kind::GlobalGet, out.index = e.index; break;
    case wasm::Op::RefFunc: out.kind = InitExpr::Kind::RefFunc, out.index = e.index; break;
    case wasm::Op::RefNull: out.kind = InitExpr::Kind::RefNull; break;
    default: break;
  }
  return out;
}

// Import number of each imported entry, by kind and index: one pass, so a
// module of many imports costs linear time, not imports x entries.
struct ImportIndex {
  std::vector<uint32_t> by_kind[4];
  explicit ImportIndex(const wasm::Module& m) {
    for (uint32_t i = 0; i < m.imports.size(); ++i) {
      auto& v = by_kind[static_cast<uint32_t>(m.imports[i].kind) & 3];
      const uint32_t index = m.imports[i].index;
      if (index >= v.size()) v.resize(index + 1, kNone);
      v[index] = i;
    }
  }
  uint32_t operator()(ExternKind kind, uint32_t index) const {
    const auto& v = by_kind[static_cast<uint32_t>(kind) & 3];
    return index < v.size() ? v[index] : kNone;
  }
};

}  // namespace

Result<ProgramImage, TranslateError> translate(const wasm::Module& m, const TranslateOptions& options) {
  ProgramImage img;
  img.types = m.types;
  // A type's signature id is the first index of an equal type. A map, not
  // a scan of the earlier types: a module may declare up to a million
  // (DecodeLimits), and a quadratic scan of those takes hours.
  img.type_sig_ids.resize(m.types.size());
  std::map<std::pair<std::vector<ValType>, std::vector<ValType>>, uint32_t> first;
  for (uint32_t i = 0; i < m.types.size(); ++i) {
    img.type_sig_ids[i] = first.try_emplace({m.types[i].params, m.types[i].results}, i).first->second;
  }
  const ImportIndex import_of(m);

  img.functions.resize(m.num_funcs());
  for (uint32_t f = 0; f < m.num_funcs(); ++f) {
    ImageFunction& out = img.functions[f];
    const wasm::FuncType& t = m.func_type(f);
    out.type_index = m.func_type_indices[f];
    out.num_params = static_cast<uint32_t>(t.params.size());
    out.num_results = static_cast<uint32_t>(t.results.size());
    if (m.is_imported_func(f)) out.import = import_of(ExternKind::Func, f);
  }
  for (uint32_t i = 0; i < m.tables.size(); ++i) {
    const auto& t = m.tables[i];
    img.tables.push_back({t.elem_type, t.limits.min, t.limits.max.value_or(kNone),
                          i < m.num_imported_tables ? import_of(ExternKind::Table, i) : kNone});
  }
  for (uint32_t i = 0; i < m.memories.size(); ++i) {
    const auto& mem = m.memories[i];
    img.memories.push_back({mem.limits.min, mem.limits.max.value_or(kNone),
                            i < m.num_imported_memories ? import_of(ExternKind::Memory, i) : kNone});
  }
  for (uint32_t i = 0; i < m.globals.size(); ++i) {
    const auto& g = m.globals[i];
    ImageGlobal out{g.type.type, g.type.is_mutable, kNone, {}};
    if (g.imported) out.import = import_of(ExternKind::Global, i);
    else out.init = init_expr(g.init);
    img.globals.push_back(out);
  }
  for (const auto& imp : m.imports) img.imports.push_back({imp.module, imp.name, imp.kind, imp.index});
  for (const auto& e : m.exports) img.exports.push_back({e.name, e.kind, e.index});
  for (const auto& d : m.data) {
    ImageData out{d.mode, d.memory_index, {}, {}};
    if (d.mode == SegmentMode::Active) out.offset = init_expr(d.offset_expr);
    const auto payload = m.payload(d);
    out.bytes.assign(payload.begin(), payload.end());
    img.data.push_back(std::move(out));
  }
  for (const auto& e : m.elements) {
    ImageElem out{e.mode, e.table_index, {}, e.elem_type, {}};
    if (e.mode == SegmentMode::Active) out.offset = init_expr(e.offset_expr);
    if (e.uses_exprs) {
      for (const auto& x : e.exprs) out.items.push_back(init_expr(x));
    } else {
      for (uint32_t f : e.func_indices) out.items.push_back({InitExpr::Kind::RefFunc, 0, f});
    }
    img.elems.push_back(std::move(out));
  }
  if (m.start) img.start = *m.start;
  if (m.names.valid) {
    for (const auto& [f, name] : m.names.function_names) img.names.push_back({f, name});
    std::sort(img.names.begin(), img.names.end(), [](const FuncName& a, const FuncName& b) { return a.func < b.func; });
  }

  for (uint32_t f = m.num_imported_funcs; f < m.num_funcs(); ++f) {
    auto r = translate_function(m, f, img, options);
    if (!r) return Error<TranslateError>{r.code(), r.detail()};
    img.max_frame_slots = std::max(img.max_frame_slots, img.functions[f].frame_slots);
  }
  return img;
}

}  // namespace gpuos::vm

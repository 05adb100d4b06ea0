// translate_module.cpp: builds a ProgramImage's declarations from a Module.
//
// Function bodies are translated by translate_function.cpp; this file
// copies everything else (types and their signature ids, index spaces,
// imports, exports, segments, start, names) into the image's plain structs,
// so no executor ever needs the wasm::Module or its bytes.
#include <algorithm>

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

uint32_t import_of(const wasm::Module& m, ExternKind kind, uint32_t index) {
  for (uint32_t i = 0; i < m.imports.size(); ++i) {
    if (m.imports[i].kind == kind && m.imports[i].index == index) return i;
  }
  return kNone;
}

}  // namespace

Result<ProgramImage, TranslateError> translate(const wasm::Module& m) {
  ProgramImage img;
  img.types = m.types;
  img.type_sig_ids.resize(m.types.size());
  for (uint32_t i = 0; i < m.types.size(); ++i) {
    uint32_t j = 0;
    while (!(m.types[j] == m.types[i])) ++j;
    img.type_sig_ids[i] = j;
  }

  img.functions.resize(m.num_funcs());
  for (uint32_t f = 0; f < m.num_funcs(); ++f) {
    ImageFunction& out = img.functions[f];
    const wasm::FuncType& t = m.func_type(f);
    out.type_index = m.func_type_indices[f];
    out.num_params = static_cast<uint32_t>(t.params.size());
    out.num_results = static_cast<uint32_t>(t.results.size());
    if (m.is_imported_func(f)) out.import = import_of(m, ExternKind::Func, f);
  }
  for (uint32_t i = 0; i < m.tables.size(); ++i) {
    const auto& t = m.tables[i];
    img.tables.push_back({t.elem_type, t.limits.min, t.limits.max.value_or(kNone),
                          i < m.num_imported_tables ? import_of(m, ExternKind::Table, i) : kNone});
  }
  for (uint32_t i = 0; i < m.memories.size(); ++i) {
    const auto& mem = m.memories[i];
    img.memories.push_back({mem.limits.min, mem.limits.max.value_or(kNone),
                            i < m.num_imported_memories ? import_of(m, ExternKind::Memory, i) : kNone});
  }
  for (uint32_t i = 0; i < m.globals.size(); ++i) {
    const auto& g = m.globals[i];
    ImageGlobal out{g.type.type, g.type.is_mutable, kNone, {}};
    if (g.imported) out.import = import_of(m, ExternKind::Global, i);
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
    auto r = translate_function(m, f, img);
    if (!r) return Error<TranslateError>{r.code(), r.detail()};
    img.max_frame_slots = std::max(img.max_frame_slots, img.functions[f].frame_slots);
  }
  return img;
}

}  // namespace gpuos::vm

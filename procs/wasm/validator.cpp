// validator.cpp: module-level validation (imports, declarations, limits,
// constant expressions, segments, start, exports) and the driver that runs
// FunctionValidator over every function body. See validator.h for the order.
#include "procs/wasm/validator.h"

#include <string_view>
#include <unordered_set>

namespace gpuos::wasm {

namespace {

constexpr uint32_t kMaxMemoryPages = 65536;  // 4 GiB of 64 KiB pages

std::string num(uint32_t value) { return std::to_string(value); }

class ModuleValidator {
 public:
  explicit ModuleValidator(Module& module) : m_(module), ctx_(ValidationContext::build(module)) {}
  Result<void, WasmError> run();

 private:
  using Status = Result<void, WasmError>;

  Error<WasmError> error(uint32_t offset, std::string reason, std::string_view section,
                         std::string_view entry_kind = {}, std::optional<uint32_t> entry = {}) const {
    Location where{section, entry_kind, entry};
    return make_error({WasmError::Invalid, offset, std::move(reason)}, where);
  }
  // Limits against `range` (pages for memories, elements for tables).
  std::optional<std::string> check_limits(const Limits& limits, uint64_t range, const char* range_reason) const;
  // Checks a constant expression producing `expected`; returns the reason on failure.
  std::optional<Diagnostic> check_const_expr(const ConstExpr& expr, ValType expected) const;
  Status check_body(uint32_t defined_index);

  Module& m_;
  ValidationContext ctx_;
};

std::optional<std::string> ModuleValidator::check_limits(const Limits& limits, uint64_t range,
                                                         const char* range_reason) const {
  if (limits.min > range) return std::string(range_reason);
  if (limits.max) {
    if (*limits.max > range) return std::string(range_reason);
    if (limits.min > *limits.max) return std::string("size minimum must not be greater than maximum");
  }
  return std::nullopt;
}

std::optional<Diagnostic> ModuleValidator::check_const_expr(const ConstExpr& expr, ValType expected) const {
  // Constant expressions see only imported globals (WebAssembly 2.0).
  const uint32_t visible_globals = m_.num_imported_globals;
  auto diag = [](uint32_t offset, std::string reason) {
    return Diagnostic{WasmError::Invalid, offset, std::move(reason)};
  };
  // First pass, as the reference interpreter: every instruction constant.
  InstrReader reader(m_.bytes, expr.offset, expr.end);
  Instr in;
  for (uint32_t i = 0; i < expr.instr_count; ++i) {
    if (!reader.next(in)) return reader.diagnostic();
    switch (in.op) {
      case Op::I32Const: case Op::I64Const: case Op::F32Const: case Op::F64Const:
      case Op::RefNull: case Op::RefFunc:
        break;
      case Op::GlobalGet:
        if (in.index >= visible_globals) return diag(in.offset, "unknown global " + num(in.index));
        if (m_.globals[in.index].type.is_mutable) return diag(in.offset, "constant expression required");
        break;
      default:
        return diag(in.offset, "constant expression required");
    }
  }
  // Second pass: exactly one value of the expected type.
  InstrReader types(m_.bytes, expr.offset, expr.end);
  std::optional<ValType> produced;
  for (uint32_t i = 0; i < expr.instr_count; ++i) {
    types.next(in);
    ValType t = ValType::I32;
    switch (in.op) {
      case Op::I32Const: t = ValType::I32; break;
      case Op::I64Const: t = ValType::I64; break;
      case Op::F32Const: t = ValType::F32; break;
      case Op::F64Const: t = ValType::F64; break;
      case Op::RefNull: t = in.type; break;
      case Op::RefFunc:
        if (in.index >= m_.num_funcs()) return diag(in.offset, "unknown function " + num(in.index));
        t = ValType::FuncRef;
        break;
      default:  // global.get, checked above
        t = m_.globals[in.index].type.type;
        break;
    }
    if (produced) return diag(in.offset, "type mismatch: constant expression leaves more than one value");
    produced = t;
  }
  if (!produced) {
    return diag(expr.offset, std::string("type mismatch: constant expression is empty, expected ") +
                                 to_string(expected));
  }
  if (*produced != expected) {
    return diag(expr.offset, std::string("type mismatch: expected ") + to_string(expected) + " but got " +
                                 to_string(*produced));
  }
  return std::nullopt;
}

Result<void, WasmError> ModuleValidator::check_body(uint32_t defined_index) {
  Function& f = m_.functions[defined_index];
  const uint32_t func_index = m_.num_imported_funcs + defined_index;
  Location where{"code section"};
  where.func_index = func_index;
  where.func_name = m_.function_name(func_index);
  where.body_offset = f.body_offset;

  FunctionValidator validator(ctx_, func_index);
  InstrReader reader(m_.bytes, f.code_offset, f.body_end);
  Instr in;
  while (!validator.done()) {
    if (!reader.next(in)) return make_error(reader.diagnostic(), where);
    if (!validator.step(in)) return make_error(validator.diagnostic(), where);
  }
  if (!reader.at_end()) {
    return make_error({WasmError::Malformed, reader.pos(), "section size mismatch"}, where);
  }
  f.max_stack_height = validator.max_stack_height();
  f.max_control_depth = validator.max_control_depth();
  return {};
}

Result<void, WasmError> ModuleValidator::run() {
  // Imports.
  for (size_t i = 0; i < m_.imports.size(); ++i) {
    const Import& imp = m_.imports[i];
    const auto entry = static_cast<uint32_t>(i);
    switch (imp.kind) {
      case ExternKind::Func:
        if (imp.type_index >= m_.types.size()) {
          return error(imp.offset, "unknown type " + num(imp.type_index), "import section", "import", entry);
        }
        break;
      case ExternKind::Table:
        if (auto reason = check_limits(imp.table.limits, UINT32_MAX, "table size must be at most 2^32-1")) {
          return error(imp.table.limits.offset, *reason, "import section", "import", entry);
        }
        break;
      case ExternKind::Memory:
        if (auto reason = check_limits(imp.memory.limits, kMaxMemoryPages,
                                       "memory size must be at most 65536 pages (4GiB)")) {
          return error(imp.memory.limits.offset, *reason, "import section", "import", entry);
        }
        break;
      case ExternKind::Global:
        break;
    }
  }
  // Function declarations.
  for (size_t i = 0; i < m_.functions.size(); ++i) {
    const Function& f = m_.functions[i];
    if (f.type_index >= m_.types.size()) {
      return error(f.decl_offset, "unknown type " + num(f.type_index), "function section", "function",
                   m_.num_imported_funcs + static_cast<uint32_t>(i));
    }
  }
  // Globals.
  for (uint32_t i = m_.num_imported_globals; i < m_.globals.size(); ++i) {
    const Global& g = m_.globals[i];
    if (auto d = check_const_expr(g.init, g.type.type)) {
      return make_error(*d, {"global section", "global", i});
    }
  }
  // Tables and memories.
  for (uint32_t i = m_.num_imported_tables; i < m_.tables.size(); ++i) {
    const Limits& limits = m_.tables[i].limits;
    if (auto reason = check_limits(limits, UINT32_MAX, "table size must be at most 2^32-1")) {
      return error(limits.offset, *reason, "table section", "table", i);
    }
  }
  for (uint32_t i = m_.num_imported_memories; i < m_.memories.size(); ++i) {
    const Limits& limits = m_.memories[i].limits;
    if (auto reason = check_limits(limits, kMaxMemoryPages, "memory size must be at most 65536 pages (4GiB)")) {
      return error(limits.offset, *reason, "memory section", "memory", i);
    }
  }
  // Element segments: items, then table and offset.
  for (uint32_t i = 0; i < m_.elements.size(); ++i) {
    const ElemSegment& seg = m_.elements[i];
    const Location where{"element section", "element segment", i};
    if (seg.uses_exprs) {
      for (const ConstExpr& item : seg.exprs) {
        if (auto d = check_const_expr(item, seg.elem_type)) return make_error(*d, where);
      }
    } else {
      for (uint32_t func : seg.func_indices) {
        if (func >= m_.num_funcs()) {
          return error(seg.offset, "unknown function " + num(func), where.section, where.entry_kind, i);
        }
      }
    }
    if (seg.mode == SegmentMode::Active) {
      if (seg.table_index >= m_.tables.size()) {
        return error(seg.offset, "unknown table " + num(seg.table_index), where.section, where.entry_kind, i);
      }
      const ValType table_type = m_.tables[seg.table_index].elem_type;
      if (table_type != seg.elem_type) {
        return error(seg.offset,
                     std::string("type mismatch: ") + to_string(seg.elem_type) + " segment for a " +
                         to_string(table_type) + " table",
                     where.section, where.entry_kind, i);
      }
      if (auto d = check_const_expr(seg.offset_expr, ValType::I32)) return make_error(*d, where);
    }
  }
  // Data segments.
  for (uint32_t i = 0; i < m_.data.size(); ++i) {
    const DataSegment& seg = m_.data[i];
    if (seg.mode != SegmentMode::Active) continue;
    const Location where{"data section", "data segment", i};
    if (seg.memory_index >= m_.memories.size()) {
      return error(seg.offset, "unknown memory " + num(seg.memory_index), where.section, where.entry_kind, i);
    }
    if (auto d = check_const_expr(seg.offset_expr, ValType::I32)) return make_error(*d, where);
  }
  // Function bodies.
  for (uint32_t i = 0; i < m_.functions.size(); ++i) {
    if (Status s = check_body(i); !s) return s;
  }
  // Start function.
  if (m_.start) {
    const uint32_t start = *m_.start;
    if (start >= m_.num_funcs()) return error(m_.start_offset, "unknown function " + num(start), "start section");
    const FuncType& type = m_.func_type(start);
    if (!type.params.empty() || !type.results.empty()) {
      return error(m_.start_offset, "start function must have type [] -> []", "start section");
    }
  }
  // Exports.
  std::unordered_set<std::string_view> names;
  names.reserve(m_.exports.size());
  for (uint32_t i = 0; i < m_.exports.size(); ++i) {
    const Export& e = m_.exports[i];
    size_t space = 0;
    switch (e.kind) {
      case ExternKind::Func: space = m_.num_funcs(); break;
      case ExternKind::Table: space = m_.tables.size(); break;
      case ExternKind::Memory: space = m_.memories.size(); break;
      case ExternKind::Global: space = m_.globals.size(); break;
    }
    if (e.index >= space) {
      return error(e.offset, std::string("unknown ") + to_string(e.kind) + " " + num(e.index), "export section",
                   "export", i);
    }
    if (!names.insert(e.name).second) {
      return error(e.offset, "duplicate export name", "export section", "export", i);
    }
  }
  if (m_.memories.size() > 1) {
    return error(m_.memories[1].limits.offset, "multiple memories are not supported in WebAssembly 2.0",
                 m_.num_imported_memories > 1 ? "import section" : "memory section");
  }
  return {};
}

}  // namespace

ValidationContext ValidationContext::build(const Module& module) {
  ValidationContext ctx;
  ctx.module = &module;
  ctx.declared_refs.assign(module.num_funcs(), false);
  auto declare = [&](uint32_t func) {
    if (func < ctx.declared_refs.size()) ctx.declared_refs[func] = true;
  };
  auto declare_expr = [&](const ConstExpr& expr) {
    if (expr.op == Op::RefFunc) declare(expr.index);
  };
  for (const Export& e : module.exports) {
    if (e.kind == ExternKind::Func) declare(e.index);
  }
  for (const ElemSegment& seg : module.elements) {
    for (uint32_t func : seg.func_indices) declare(func);
    for (const ConstExpr& expr : seg.exprs) declare_expr(expr);
  }
  for (uint32_t i = module.num_imported_globals; i < module.globals.size(); ++i) {
    declare_expr(module.globals[i].init);
  }
  return ctx;
}

Result<void, WasmError> validate_module(Module& module) { return ModuleValidator(module).run(); }

}  // namespace gpuos::wasm

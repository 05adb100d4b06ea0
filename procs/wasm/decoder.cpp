// decoder.cpp: the WebAssembly binary format, section by section.
//
// Decoding follows the spec's binary grammar and the reference
// interpreter's error wording. Each section is read through a ByteReader
// bounded to the section, so an entry can never read past it; leftover
// bytes are "section size mismatch". Function bodies get a structural pass
// here (every instruction decoded, blocks balanced), so that a module with
// a bad encoding is reported Malformed even if it is also invalid; types
// and indices are left to the validator.
#include "procs/wasm/decoder.h"

#include <algorithm>

#include "procs/wasm/diagnostic.h"
#include "procs/wasm/instr_reader.h"
#include "procs/wasm/names.h"
#include "procs/wasm/reader.h"
#include "procs/wasm/validator.h"

namespace gpuos::wasm {

namespace {

enum SectionId : uint8_t {
  kCustom = 0, kType = 1, kImport = 2, kFunction = 3, kTable = 4, kMemory = 5, kGlobal = 6,
  kExport = 7, kStart = 8, kElement = 9, kCode = 10, kData = 11, kDataCount = 12,
};

const char* section_name(uint8_t id) {
  static const char* const names[] = {
      "custom section", "type section",   "import section",  "function section", "table section",
      "memory section", "global section", "export section",  "start section",    "element section",
      "code section",   "data section",   "data count section"};
  return id <= kDataCount ? names[id] : "module";
}

// Position of a non-custom section in the required order (data count sits
// between element and code).
int section_order(uint8_t id) {
  return id == kDataCount ? 10 : id == kCode ? 11 : id == kData ? 12 : id;
}

constexpr uint32_t kMagic = 0x6d736100;  // "\0asm"
constexpr uint32_t kVersion = 1;

class Decoder {
 public:
  Decoder(Module& module, const DecodeLimits& limits) : m_(module), bytes_(module.bytes), lim_(limits) {}
  Result<void, WasmError> run();

 private:

  // Error for a failed section reader, with the current entry as context.
  Error<WasmError> section_error(const Diagnostic& diag) const;
  void read_section(uint8_t id, ByteReader& r);

  void read_types(ByteReader& r);
  void read_imports(ByteReader& r);
  void read_functions(ByteReader& r);
  void read_tables(ByteReader& r);
  void read_memories(ByteReader& r);
  void read_globals(ByteReader& r);
  void read_exports(ByteReader& r);
  void read_elements(ByteReader& r);
  void read_code(ByteReader& r);
  void read_data(ByteReader& r);
  void read_custom(ByteReader& r);
  void read_body(ByteReader& r, Function& f);

  void read_limits(ByteReader& r, Limits& limits, bool memory);
  TableType read_table_type(ByteReader& r);
  MemoryType read_memory_type(ByteReader& r);
  GlobalType read_global_type(ByteReader& r);
  ConstExpr read_const_expr(ByteReader& r);
  // Vector count, and how many entries may be reserved for it.
  uint32_t read_count(ByteReader& r, uint32_t& reserve, uint32_t min_entry_size = 1);

  void begin_entry(const char* kind, uint32_t index) { entry_kind_ = kind, entry_ = index; }

  // Records LimitExceeded at `at` if n > limit: "too many WHAT: N, limit L (source)".
  void check_count(ByteReader& r, uint32_t at, uint64_t n, uint64_t limit, const char* what);
  // A table's or memory's declared initial size against its limit.
  void check_initial(ByteReader& r, const Limits& limits, bool memory);

  Module& m_;
  ByteSpan bytes_;
  const DecodeLimits& lim_;
  uint64_t elem_items_ = 0;  // over all element segments so far
  uint64_t data_bytes_ = 0;  // over all data segments so far
  uint8_t section_ = kCustom;
  const char* entry_kind_ = "";
  std::optional<uint32_t> entry_;
  std::optional<uint32_t> func_index_;  // code section: function being read
  std::optional<uint32_t> body_offset_;
  bool have_code_section_ = false;
  bool have_data_section_ = false;
  // First memory.init / data.drop: (function index, offset).
  std::optional<std::pair<uint32_t, uint32_t>> first_data_count_use_;
};

Error<WasmError> Decoder::section_error(const Diagnostic& diag) const {
  Location where;
  where.section = section_name(section_);
  where.entry_kind = entry_kind_;
  where.entry = entry_;
  where.func_index = func_index_;
  where.body_offset = body_offset_;
  return make_error(diag, where);
}

void Decoder::check_count(ByteReader& r, uint32_t at, uint64_t n, uint64_t limit, const char* what) {
  if (r.ok() && n > limit) {
    r.fail(WasmError::LimitExceeded, at,
           "too many " + std::string(what) + ": " + std::to_string(n) + ", limit " + std::to_string(limit) + " (" +
               lim_.source + ")");
  }
}

void Decoder::check_initial(ByteReader& r, const Limits& l, bool memory) {
  if (!r.ok()) return;
  // A minimum above the maximum, or memory above 65536 pages, is invalid
  // (validator.cpp); only a size the spec allows is refused as too large.
  if (l.max && l.min > *l.max) return;
  if (memory && l.min > 65536) return;
  const uint32_t limit = memory ? lim_.memory_pages : lim_.table_entries;
  if (l.min <= limit) return;
  const uint32_t index = static_cast<uint32_t>(memory ? m_.memories.size() : m_.tables.size());
  r.fail(WasmError::LimitExceeded, l.offset,
         std::string(memory ? "memory " : "table ") + std::to_string(index) + " declares " + std::to_string(l.min) +
             (memory ? " pages" : " entries") + "; at most " + std::to_string(limit) + " allowed (" +
             (memory ? lim_.memory_pages_source : lim_.source) + ")");
}

uint32_t Decoder::read_count(ByteReader& r, uint32_t& reserve, uint32_t min_entry_size) {
  const uint32_t count = r.length();
  reserve = std::min(count, r.remaining() / min_entry_size);
  return count;
}

Result<void, WasmError> Decoder::run() {
  const Location header{"module header"};
  const uint32_t size = static_cast<uint32_t>(bytes_.size());
  ByteReader top(bytes_, 0, size, kUnexpectedEnd);
  const uint32_t magic = top.fixed_u32();
  if (!top.ok()) return make_error(top.diagnostic(), header);
  if (magic != kMagic) return make_error({WasmError::Malformed, 0, "magic header not detected"}, header);
  const uint32_t version = top.fixed_u32();
  if (!top.ok()) return make_error(top.diagnostic(), header);
  if (version != kVersion) {
    return make_error({WasmError::Malformed, 4, "unknown binary version " + hex(version)}, header);
  }

  int last_order = 0;
  while (!top.at_end()) {
    const uint32_t id_at = top.pos();
    const uint8_t id = top.u8();
    section_ = id <= kDataCount ? id : uint8_t{kCustom};
    entry_kind_ = "", entry_.reset(), func_index_.reset(), body_offset_.reset();
    if (id > kDataCount) {
      return make_error({WasmError::Malformed, id_at, "malformed section id " + hex(id)}, {"module"});
    }
    if (id != kCustom) {
      if (section_order(id) <= last_order) {
        return make_error({WasmError::Malformed, id_at, "unexpected content after last section"},
                          {section_name(id)});
      }
      last_order = section_order(id);
    }
    const uint32_t section_size = top.length();
    const uint32_t begin = top.skip(section_size);
    if (!top.ok()) return section_error(top.diagnostic());
    ByteReader r(bytes_, begin, begin + section_size);
    const uint64_t elem_items_before = elem_items_, data_bytes_before = data_bytes_;
    read_section(id, r);
    if (!r.ok() && r.diagnostic().truncated && r.end() < size && id != kCustom) {
      // An entry runs past the section end. The reference interpreter
      // reads on into the following bytes and reports what it finds there,
      // or "section size mismatch"; re-read the section that way so the
      // messages agree. (The module is discarded, so the entries the first
      // attempt added do not matter.) A custom section's name must fit its
      // size, so there "unexpected end" stands.
      ByteReader extended(bytes_, begin, size);
      elem_items_ = elem_items_before, data_bytes_ = data_bytes_before;
      read_section(id, extended);
      if (!extended.ok()) return section_error(extended.diagnostic());
      entry_kind_ = "", entry_.reset(), func_index_.reset(), body_offset_.reset();
      return section_error({WasmError::Malformed, r.end(), "section size mismatch: an entry overruns the section"});
    }
    if (!r.ok()) return section_error(r.diagnostic());
    if (!r.at_end()) {
      entry_kind_ = "", entry_.reset(), func_index_.reset(), body_offset_.reset();
      return section_error({WasmError::Malformed, r.pos(), "section size mismatch"});
    }
  }

  section_ = kCustom;
  const Location end_of_module{"end of module"};
  const uint32_t num_defined = m_.num_funcs() - m_.num_imported_funcs;
  if (!have_code_section_ && num_defined != 0) {
    return make_error({WasmError::Malformed, size, "function and code section have inconsistent lengths"},
                      end_of_module);
  }
  if (!have_data_section_ && m_.data_count.value_or(0) != 0) {
    return make_error(
        {WasmError::Malformed, size, "data count and data section have inconsistent lengths"},
        end_of_module);
  }
  if (!m_.data_count && first_data_count_use_) {
    Location where{"code section"};
    where.func_index = first_data_count_use_->first;
    where.body_offset = m_.functions[where.func_index.value() - m_.num_imported_funcs].body_offset;
    return make_error({WasmError::Malformed, first_data_count_use_->second,
                       "data count section required: memory.init and data.drop need it"},
                      where);
  }
  return {};
}

void Decoder::read_section(uint8_t id, ByteReader& r) {
  switch (id) {
    case kCustom: read_custom(r); break;
    case kType: read_types(r); break;
    case kImport: read_imports(r); break;
    case kFunction: read_functions(r); break;
    case kTable: read_tables(r); break;
    case kMemory: read_memories(r); break;
    case kGlobal: read_globals(r); break;
    case kExport: read_exports(r); break;
    case kStart:
      m_.start_offset = r.pos();
      m_.start = r.u32();
      break;
    case kElement: read_elements(r); break;
    case kCode: read_code(r); break;
    case kData: read_data(r); break;
    case kDataCount: m_.data_count = r.u32(); break;
    default: break;
  }
}

void Decoder::read_custom(ByteReader& r) {
  CustomSection custom;
  custom.name = r.name();
  if (!r.ok()) return;
  custom.payload_offset = r.pos();
  custom.payload_size = r.remaining();
  r.skip(r.remaining());
  if (custom.name == "name") parse_name_section(m_, custom.payload_offset, r.end());
  m_.custom_sections.push_back(std::move(custom));
}

void Decoder::read_types(ByteReader& r) {
  uint32_t reserve;
  const uint32_t count_at = r.pos();
  const uint32_t count = read_count(r, reserve, 3);
  check_count(r, count_at, count, lim_.types, "types");
  m_.types.reserve(reserve);
  for (uint32_t i = 0; i < count && r.ok(); ++i) {
    begin_entry("type", i);
    const uint32_t at = r.pos();
    const int32_t form = r.s7();
    if (r.ok() && form != -0x20) r.fail_malformed(at, "malformed function type " + hex(bytes_[at]));
    FuncType type;
    for (auto* list : {&type.params, &type.results}) {
      const uint32_t limit = list == &type.params ? kMaxFunctionParams : kMaxFunctionResults;
      const uint32_t n_at = r.pos();
      uint32_t n_reserve;
      const uint32_t n = read_count(r, n_reserve);
      if (r.ok() && n > limit) {
        r.fail(WasmError::LimitExceeded, n_at,
               std::string("too many ") + (list == &type.params ? "parameters" : "results") + ": " +
                   std::to_string(n) + ", limit " + std::to_string(limit));
      }
      if (!r.ok()) break;
      list->reserve(n_reserve);
      for (uint32_t k = 0; k < n && r.ok(); ++k) list->push_back(read_value_type(r));
    }
    m_.types.push_back(std::move(type));
  }
}

void Decoder::read_limits(ByteReader& r, Limits& limits, bool memory) {
  const uint32_t at = r.pos();
  limits.offset = at;
  if (memory && !r.at_end() && r.peek() >= 0x02 && r.peek() <= 0x07) {
    // Valid flags in other proposals; the spec's own wording comes first.
    r.fail(WasmError::Unsupported, at,
           "integer too large: memory limits flags " + hex(r.peek()) +
               (r.peek() <= 0x03 ? " (shared memory, threads proposal)" : " (memory64 proposal)") +
               " are not supported");
    return;
  }
  const uint32_t has_max = r.u1();
  limits.min = r.u32();
  if (has_max) limits.max = r.u32();
}

TableType Decoder::read_table_type(ByteReader& r) {
  TableType t;
  t.elem_type = read_ref_type(r);
  read_limits(r, t.limits, false);
  return t;
}

MemoryType Decoder::read_memory_type(ByteReader& r) {
  MemoryType t;
  read_limits(r, t.limits, true);
  return t;
}

GlobalType Decoder::read_global_type(ByteReader& r) {
  GlobalType t;
  t.type = read_value_type(r);
  const uint32_t at = r.pos();
  const uint8_t mut = r.u8();
  if (r.ok() && mut > 1) r.fail_malformed(at, "malformed mutability " + hex(mut));
  t.is_mutable = mut == 1;
  return t;
}

void Decoder::read_imports(ByteReader& r) {
  uint32_t reserve;
  const uint32_t count_at = r.pos();
  const uint32_t count = read_count(r, reserve, 4);
  check_count(r, count_at, count, lim_.imports, "imports");
  m_.imports.reserve(reserve);
  for (uint32_t i = 0; i < count && r.ok(); ++i) {
    begin_entry("import", i);
    Import imp;
    imp.offset = r.pos();
    imp.module = r.name();
    imp.name = r.name();
    const uint32_t kind_at = r.pos();
    const uint8_t kind = r.u8();
    if (!r.ok()) break;
    switch (kind) {
      case 0:
        imp.kind = ExternKind::Func;
        imp.type_index = r.u32();
        imp.index = m_.num_imported_funcs++;
        m_.func_type_indices.push_back(imp.type_index);
        break;
      case 1:
        imp.kind = ExternKind::Table;
        imp.table = read_table_type(r);
        check_initial(r, imp.table.limits, false);
        check_count(r, imp.offset, m_.tables.size() + 1, lim_.tables, "tables");
        imp.index = m_.num_imported_tables++;
        m_.tables.push_back(imp.table);
        break;
      case 2:
        imp.kind = ExternKind::Memory;
        imp.memory = read_memory_type(r);
        check_initial(r, imp.memory.limits, true);
        imp.index = m_.num_imported_memories++;
        m_.memories.push_back(imp.memory);
        break;
      case 3:
        imp.kind = ExternKind::Global;
        imp.global = read_global_type(r);
        check_count(r, imp.offset, m_.globals.size() + 1, lim_.globals, "globals");
        imp.index = m_.num_imported_globals++;
        m_.globals.push_back(Global{imp.global, true, {}, imp.offset});
        break;
      default:
        r.fail_malformed(kind_at, "malformed import kind " + hex(kind));
        break;
    }
    m_.imports.push_back(std::move(imp));
  }
}

void Decoder::read_functions(ByteReader& r) {
  uint32_t reserve;
  const uint32_t count_at = r.pos();
  const uint32_t count = read_count(r, reserve);
  check_count(r, count_at, count, lim_.functions, "functions");
  m_.functions.reserve(reserve);
  m_.func_type_indices.reserve(m_.func_type_indices.size() + reserve);
  for (uint32_t i = 0; i < count && r.ok(); ++i) {
    begin_entry("function declaration", i);
    Function f;
    f.decl_offset = r.pos();
    f.type_index = r.u32();
    if (!r.ok()) break;
    m_.func_type_indices.push_back(f.type_index);
    m_.functions.push_back(std::move(f));
  }
}

void Decoder::read_tables(ByteReader& r) {
  uint32_t reserve;
  const uint32_t count_at = r.pos();
  const uint32_t count = read_count(r, reserve, 3);
  check_count(r, count_at, uint64_t{count} + m_.tables.size(), lim_.tables, "tables");
  m_.tables.reserve(m_.tables.size() + reserve);
  for (uint32_t i = 0; i < count && r.ok(); ++i) {
    begin_entry("table", i);
    TableType t = read_table_type(r);
    check_initial(r, t.limits, false);
    if (r.ok()) m_.tables.push_back(t);
  }
}

void Decoder::read_memories(ByteReader& r) {
  uint32_t reserve;
  const uint32_t count = read_count(r, reserve, 2);
  m_.memories.reserve(m_.memories.size() + reserve);
  for (uint32_t i = 0; i < count && r.ok(); ++i) {
    begin_entry("memory", i);
    MemoryType t = read_memory_type(r);
    check_initial(r, t.limits, true);
    if (r.ok()) m_.memories.push_back(t);
  }
}

ConstExpr Decoder::read_const_expr(ByteReader& r) {
  ConstExpr expr;
  if (!r.ok()) return expr;
  InstrReader ir(bytes_, r.pos(), r.end());
  ExprSummary summary;
  if (!read_expr(ir, summary)) {
    r.fail(ir.diagnostic());
    return expr;
  }
  expr.offset = r.pos();
  expr.end = summary.end;
  expr.op = summary.first.op;
  expr.bits = summary.first.bits;
  expr.index = summary.first.index;
  expr.ref_type = summary.first.type;
  expr.instr_count = summary.instr_count - 1;
  r.skip(summary.end - r.pos());
  return expr;
}

void Decoder::read_globals(ByteReader& r) {
  uint32_t reserve;
  const uint32_t count_at = r.pos();
  const uint32_t count = read_count(r, reserve, 4);
  check_count(r, count_at, uint64_t{count} + m_.globals.size(), lim_.globals, "globals");
  m_.globals.reserve(m_.globals.size() + reserve);
  for (uint32_t i = 0; i < count && r.ok(); ++i) {
    begin_entry("global", m_.num_imported_globals + i);
    Global g;
    g.offset = r.pos();
    g.type = read_global_type(r);
    g.init = read_const_expr(r);
    if (r.ok()) m_.globals.push_back(g);
  }
}

void Decoder::read_exports(ByteReader& r) {
  uint32_t reserve;
  const uint32_t count_at = r.pos();
  const uint32_t count = read_count(r, reserve, 3);
  check_count(r, count_at, count, lim_.exports, "exports");
  m_.exports.reserve(reserve);
  for (uint32_t i = 0; i < count && r.ok(); ++i) {
    begin_entry("export", i);
    Export e;
    e.offset = r.pos();
    e.name = r.name();
    const uint32_t kind_at = r.pos();
    const uint8_t kind = r.u8();
    if (r.ok() && kind > 3) r.fail_malformed(kind_at, "malformed export kind " + hex(kind));
    e.kind = static_cast<ExternKind>(kind);
    e.index = r.u32();
    if (r.ok()) m_.exports.push_back(std::move(e));
  }
}

void Decoder::read_elements(ByteReader& r) {
  uint32_t reserve;
  const uint32_t count_at = r.pos();
  const uint32_t count = read_count(r, reserve, 2);
  check_count(r, count_at, count, lim_.elem_segments, "element segments");
  m_.elements.reserve(reserve);
  for (uint32_t i = 0; i < count && r.ok(); ++i) {
    begin_entry("element segment", i);
    ElemSegment seg;
    seg.offset = r.pos();
    seg.flags = r.u32();
    if (!r.ok()) break;
    if (seg.flags > 7) {
      r.fail_malformed(seg.offset, "malformed elements segment kind " + std::to_string(seg.flags));
      break;
    }
    // Flag bits: 0 = passive/declarative (else active), 1 = explicit table
    // index (active) or declarative (not active), 2 = items are expressions.
    const bool not_active = seg.flags & 1;
    const bool bit1 = seg.flags & 2;
    seg.uses_exprs = seg.flags & 4;
    seg.mode = !not_active ? SegmentMode::Active : bit1 ? SegmentMode::Declarative : SegmentMode::Passive;
    if (!not_active) {
      if (bit1) seg.table_index = r.u32();
      seg.offset_expr = read_const_expr(r);
    }
    if (not_active || bit1) {
      // Element kind (0x00 = funcref) for index lists, reference type for expressions.
      if (seg.uses_exprs) {
        seg.elem_type = read_ref_type(r);
      } else {
        const uint32_t at = r.pos();
        const uint8_t kind = r.u8();
        if (r.ok() && kind != 0) r.fail_malformed(at, "malformed element kind " + hex(kind));
      }
    }
    uint32_t item_reserve;
    const uint32_t items_at = r.pos();
    const uint32_t items = read_count(r, item_reserve);
    elem_items_ += items;
    check_count(r, items_at, elem_items_, lim_.elem_items, "element items (over all segments)");
    if (seg.uses_exprs) {
      seg.exprs.reserve(item_reserve);
      for (uint32_t k = 0; k < items && r.ok(); ++k) seg.exprs.push_back(read_const_expr(r));
    } else {
      seg.func_indices.reserve(item_reserve);
      for (uint32_t k = 0; k < items && r.ok(); ++k) seg.func_indices.push_back(r.u32());
    }
    if (r.ok()) m_.elements.push_back(std::move(seg));
  }
}

void Decoder::read_code(ByteReader& r) {
  have_code_section_ = true;
  const uint32_t count_at = r.pos();
  uint32_t reserve;
  const uint32_t count = read_count(r, reserve);
  if (!r.ok()) return;
  if (count != m_.functions.size()) {
    r.fail_malformed(count_at, "function and code section have inconsistent lengths");
    return;
  }
  for (uint32_t i = 0; i < count && r.ok(); ++i) {
    begin_entry("", i);
    func_index_ = m_.num_imported_funcs + i;
    read_body(r, m_.functions[i]);
  }
}

void Decoder::read_body(ByteReader& r, Function& f) {
  const uint32_t size_at = r.pos();
  const uint32_t size = r.length();
  if (r.ok() && size > kMaxFunctionBodySize) {
    r.fail(WasmError::LimitExceeded, size_at,
           "function body too large: " + std::to_string(size) + " bytes, limit " +
               std::to_string(kMaxFunctionBodySize));
  }
  if (r.ok() && size > r.remaining()) r.fail_truncated();
  if (!r.ok()) return;
  f.body_offset = r.pos();
  body_offset_ = f.body_offset;
  const uint32_t body_end = f.body_offset + size;
  ByteReader body(bytes_, f.body_offset, body_end);
  r.skip(size);

  // Local declarations: run-length (count, type) pairs.
  uint32_t reserve;
  const uint32_t num_decls = read_count(body, reserve, 2);
  f.locals.reserve(reserve);
  uint64_t total = 0;
  for (uint32_t k = 0; k < num_decls && body.ok(); ++k) {
    LocalDecl decl;
    decl.count = body.u32();
    decl.type = read_value_type(body);
    total += decl.count;
    if (body.ok()) f.locals.push_back(decl);
  }
  if (body.ok() && total >= (uint64_t{1} << 32)) body.fail_malformed(f.body_offset, "too many locals");
  if (body.ok() && total > kMaxFunctionLocals) {
    body.fail(WasmError::LimitExceeded, f.body_offset,
              "too many locals: " + std::to_string(total) + ", limit " + std::to_string(kMaxFunctionLocals));
  }
  if (!body.ok()) {
    r.fail(body.diagnostic());
    return;
  }
  f.num_locals = static_cast<uint32_t>(total);
  f.code_offset = body.pos();

  InstrReader ir(bytes_, f.code_offset, body_end);
  ExprSummary summary;
  if (!read_expr(ir, summary)) {
    if (!summary.truncated) {
      r.fail(ir.diagnostic());
      return;
    }
    // The body ran out before its final `end`. The reference interpreter
    // reads on into the following bytes and reports what it finds there
    // (or "section size mismatch"); do the same so messages agree.
    InstrReader rest(bytes_, f.code_offset, static_cast<uint32_t>(bytes_.size()));
    ExprSummary ignored;
    if (read_expr(rest, ignored)) {
      r.fail_malformed(body_end, "section size mismatch: function body overruns its size");
    } else {
      r.fail(rest.diagnostic());
    }
    return;
  }
  if (summary.end != body_end) {
    r.fail_malformed(summary.end, "section size mismatch: bytes after the function's final end");
    return;
  }
  f.body_end = body_end;
  f.instr_count = summary.instr_count;
  f.uses_data_count = summary.uses_data_count;
  if (summary.uses_data_count && !first_data_count_use_) {
    first_data_count_use_.emplace(*func_index_, summary.data_count_use);
  }
}

void Decoder::read_data(ByteReader& r) {
  have_data_section_ = true;
  const uint32_t count_at = r.pos();
  uint32_t reserve;
  const uint32_t count = read_count(r, reserve, 2);
  check_count(r, count_at, count, lim_.data_segments, "data segments");
  if (r.ok() && m_.data_count && *m_.data_count != count) {
    r.fail_malformed(count_at, "data count and data section have inconsistent lengths");
  }
  m_.data.reserve(reserve);
  for (uint32_t i = 0; i < count && r.ok(); ++i) {
    begin_entry("data segment", i);
    DataSegment seg;
    seg.offset = r.pos();
    const uint32_t flags = r.u32();
    if (!r.ok()) break;
    if (flags > 2) {
      r.fail_malformed(seg.offset, "malformed data segment kind " + std::to_string(flags));
      break;
    }
    seg.mode = flags == 1 ? SegmentMode::Passive : SegmentMode::Active;
    if (flags == 2) seg.memory_index = r.u32();
    if (flags != 1) seg.offset_expr = read_const_expr(r);
    const uint32_t size_at = r.pos();
    seg.data_size = r.length();
    data_bytes_ += seg.data_size;
    if (r.ok() && data_bytes_ > lim_.data_bytes) {
      r.fail(WasmError::LimitExceeded, size_at,
             "data segments hold " + std::to_string(data_bytes_) + " bytes so far; at most " +
                 std::to_string(lim_.data_bytes) + " allowed (" + lim_.data_bytes_source + ")");
    }
    seg.data_offset = r.skip(seg.data_size);
    if (r.ok()) m_.data.push_back(std::move(seg));
  }
}

}  // namespace

Result<Module, WasmError> decode_module(ByteSpan bytes, const DecodeLimits& limits) {
  if (bytes.size() > kMaxModuleSize) {
    return fail(WasmError::LimitExceeded, "module too large: " + std::to_string(bytes.size()) +
                                              " bytes, limit " + std::to_string(kMaxModuleSize) + " (at 0x0, module)");
  }
  Module module;
  module.bytes.assign(bytes.begin(), bytes.end());
  Decoder decoder(module, limits);
  if (Result<void, WasmError> s = decoder.run(); !s) return s.error();
  return module;
}

Result<Module, WasmError> load_module(ByteSpan bytes, const DecodeLimits& limits) {
  Result<Module, WasmError> module = decode_module(bytes, limits);
  if (!module) return module;
  if (Result<void, WasmError> s = validate_module(*module); !s) return s.error();
  return module;
}

}  // namespace gpuos::wasm

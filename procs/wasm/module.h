// module.h: the in-memory form of a decoded WebAssembly module.
//
// The decoder (decoder.cpp) fills a Module from the binary format; the
// validator (validator.cpp, func_validator.cpp) checks it and records per
// function what a translator needs (operand-stack and control-stack maxima).
// A Module owns a copy of the module bytes, so function bodies, constant
// expressions and data segments are kept as byte ranges into it rather than
// as decoded instruction lists: the translator re-reads them with
// InstrReader (instr_reader.h), the same reader the validator uses.
//
// Naming scheme used throughout procs/wasm:
//   - types are PascalCase, functions and variables snake_case;
//   - private members of classes end in `_`; plain structs have no suffix;
//   - opcodes are PascalCase forms of the text-format mnemonic
//     (i32.trunc_sat_f32_s -> Op::I32TruncSatF32S), see opcodes.h;
//   - "offset" is always a byte offset from the start of the module binary,
//     "index" always an index into one of the module's index spaces (types,
//     functions, tables, memories, globals, elements, data) with imported
//     entries first, as in the spec.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/result.h"

namespace gpuos::wasm {

// Error classes. Malformed: the bytes are not a WebAssembly binary (spec
// "assert_malformed"). Invalid: well-formed but fails validation
// ("assert_invalid"). Unsupported: a feature outside WebAssembly 2.0 without
// SIMD (SIMD, threads, exceptions, memory64, ...). LimitExceeded: valid but
// larger than this implementation accepts (e.g. more than 50000 locals).
enum class WasmError { Malformed, Invalid, Unsupported, LimitExceeded };

const char* to_string(WasmError code);

using ByteSpan = std::span<const uint8_t>;

// Value types carry their binary encoding as the enumerator value.
enum class ValType : uint8_t {
  I32 = 0x7f,
  I64 = 0x7e,
  F32 = 0x7d,
  F64 = 0x7c,
  FuncRef = 0x70,
  ExternRef = 0x6f,
};

const char* to_string(ValType type);
inline bool is_ref(ValType t) { return t == ValType::FuncRef || t == ValType::ExternRef; }
inline bool is_num(ValType t) { return !is_ref(t); }

struct FuncType {
  std::vector<ValType> params;
  std::vector<ValType> results;
  bool operator==(const FuncType&) const = default;
};

struct Limits {
  uint32_t min = 0;
  std::optional<uint32_t> max;
  uint32_t offset = 0;  // where the limits are encoded (for error messages)
};

struct TableType {
  ValType elem_type = ValType::FuncRef;  // FuncRef or ExternRef
  Limits limits;
};

struct MemoryType {
  Limits limits;  // in 64 KiB pages
};

struct GlobalType {
  ValType type = ValType::I32;
  bool is_mutable = false;
};

enum class ExternKind : uint8_t { Func = 0, Table = 1, Memory = 2, Global = 3 };
const char* to_string(ExternKind kind);

// Opcode identifiers; the full table is in opcodes.h.
enum class Op : uint16_t;

// A constant expression (global initialiser, segment offset, element item).
// Valid 2.0 constant expressions are exactly one instruction then `end`;
// the first instruction is summarised here so that instantiation needs no
// re-decoding. [offset, end) covers all of it, including the final `end`.
struct ConstExpr {
  uint32_t offset = 0;
  uint32_t end = 0;
  Op op{};                            // first instruction's opcode
  uint64_t bits = 0;                  // i32/i64 value (sign-extended), f32/f64 raw bits
  uint32_t index = 0;                 // global.get / ref.func index
  ValType ref_type = ValType::FuncRef;  // ref.null type
  uint32_t instr_count = 0;           // instructions before the final `end`
};

struct Import {
  std::string module;
  std::string name;
  ExternKind kind = ExternKind::Func;
  uint32_t index = 0;       // index this import gets in its kind's index space
  uint32_t type_index = 0;  // Func: index into Module::types
  TableType table;          // Table
  MemoryType memory;        // Memory
  GlobalType global;        // Global
  uint32_t offset = 0;      // where the import entry starts
};

// Run-length local declaration, as encoded: `count` locals of `type`.
struct LocalDecl {
  uint32_t count = 0;
  ValType type = ValType::I32;
};

// A function defined in the module (not imported).
struct Function {
  uint32_t type_index = 0;
  uint32_t decl_offset = 0;       // its entry in the function section
  std::vector<LocalDecl> locals;  // declared locals, params excluded
  uint32_t num_locals = 0;        // sum of locals[i].count
  uint32_t body_offset = 0;       // first byte of the body (the local declarations)
  uint32_t code_offset = 0;       // first instruction, after the local declarations
  uint32_t body_end = 0;          // one past the final `end`
  uint32_t instr_count = 0;       // instructions in the body, final `end` included
  bool uses_data_count = false;   // has memory.init or data.drop
  // Filled in by validate_module(). Upper bounds over the whole body, dead
  // code included, so a translator can size frames from them.
  uint32_t max_stack_height = 0;   // most operand values live at once (params not counted)
  uint32_t max_control_depth = 0;  // most nested control frames, function frame included
};

struct Global {
  GlobalType type;
  bool imported = false;
  ConstExpr init;       // defined globals only
  uint32_t offset = 0;  // its global or import entry
};

struct Export {
  std::string name;
  ExternKind kind = ExternKind::Func;
  uint32_t index = 0;
  uint32_t offset = 0;
};

enum class SegmentMode : uint8_t { Active, Passive, Declarative };
const char* to_string(SegmentMode mode);

struct ElemSegment {
  uint32_t flags = 0;  // binary encoding 0..7; bit 2 set: items are expressions
  SegmentMode mode = SegmentMode::Active;
  uint32_t table_index = 0;  // Active only
  ConstExpr offset_expr;     // Active only
  ValType elem_type = ValType::FuncRef;
  bool uses_exprs = false;
  std::vector<uint32_t> func_indices;  // items when !uses_exprs
  std::vector<ConstExpr> exprs;        // items when uses_exprs
  uint32_t offset = 0;                 // where the segment entry starts

  size_t size() const { return uses_exprs ? exprs.size() : func_indices.size(); }
};

struct DataSegment {
  SegmentMode mode = SegmentMode::Active;  // Active or Passive
  uint32_t memory_index = 0;               // Active only
  ConstExpr offset_expr;                   // Active only
  uint32_t data_offset = 0;                // payload bytes [data_offset, data_offset + data_size)
  uint32_t data_size = 0;
  uint32_t offset = 0;                     // where the segment entry starts
};

struct CustomSection {
  std::string name;
  uint32_t payload_offset = 0;  // after the name
  uint32_t payload_size = 0;
};

// Contents of the "name" custom section that we keep. Parsed leniently: a
// malformed name section is dropped (valid == false), never an error.
struct NameSection {
  bool valid = false;
  std::string module_name;
  std::vector<std::pair<uint32_t, std::string>> function_names;  // sorted by index
};

struct Module {
  std::vector<uint8_t> bytes;  // the whole binary; every offset points into it

  std::vector<FuncType> types;
  std::vector<Import> imports;

  // Index spaces, imported entries first (counts given by num_imported_*).
  std::vector<uint32_t> func_type_indices;  // type index of every function
  std::vector<TableType> tables;
  std::vector<MemoryType> memories;
  std::vector<Global> globals;
  uint32_t num_imported_funcs = 0;
  uint32_t num_imported_tables = 0;
  uint32_t num_imported_memories = 0;
  uint32_t num_imported_globals = 0;

  std::vector<Function> functions;  // defined functions; functions[i] has index num_imported_funcs + i
  std::vector<Export> exports;
  std::optional<uint32_t> start;
  uint32_t start_offset = 0;
  std::vector<ElemSegment> elements;
  std::optional<uint32_t> data_count;  // from the data count section, if present
  std::vector<DataSegment> data;

  std::vector<CustomSection> custom_sections;
  NameSection names;

  uint32_t num_funcs() const { return static_cast<uint32_t>(func_type_indices.size()); }
  bool is_imported_func(uint32_t func_index) const { return func_index < num_imported_funcs; }
  // Precondition: func_index < num_funcs() and the module is valid.
  const FuncType& func_type(uint32_t func_index) const { return types[func_type_indices[func_index]]; }
  // Defined function with the given function-space index, or nullptr for imports.
  const Function* defined_func(uint32_t func_index) const {
    if (func_index < num_imported_funcs || func_index - num_imported_funcs >= functions.size()) return nullptr;
    return &functions[func_index - num_imported_funcs];
  }

  ByteSpan body(const Function& f) const { return ByteSpan(bytes).subspan(f.body_offset, f.body_end - f.body_offset); }
  ByteSpan payload(const DataSegment& d) const { return ByteSpan(bytes).subspan(d.data_offset, d.data_size); }

  // Name from the name section, or empty.
  std::string_view function_name(uint32_t func_index) const;
};

}  // namespace gpuos::wasm

// image.h: ProgramImage, everything an executor needs to run a module.
//
// The translator (translator.h) produces a ProgramImage from a validated
// wasm::Module; a future compiled tier can produce the same type. It holds
// no pointers into the Module: the GPU receives it as one flat byte blob
// (serialize(), layout in docs/vm.md), and the CPU reference executor
// (ref_exec.h) runs it directly. Index spaces (functions, tables, memories,
// globals) keep WebAssembly's numbering, imports first, so exports, element
// segments and the debug table can name functions as the module does.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "kernel/result.h"
#include "procs/wasm/module.h"

namespace gpuos::vm {

using wasm::ExternKind;
using wasm::SegmentMode;
using wasm::ValType;

inline constexpr uint32_t kNone = 0xffffffffu;  // "no value" for indices and offsets

// Constant expression (global initialiser, segment offset, element item).
struct InitExpr {
  enum class Kind : uint32_t { Const = 0, GlobalGet = 1, RefFunc = 2, RefNull = 3 };
  Kind kind = Kind::Const;
  uint64_t bits = 0;   // Const: the value as a slot (i32/f32 zero-extended)
  uint32_t index = 0;  // GlobalGet: global index; RefFunc: function index
  bool operator==(const InitExpr&) const = default;
};

struct ImageFunction {
  uint32_t type_index = 0;
  uint32_t entry = kNone;    // word offset of the first instruction; kNone: imported
  uint32_t import = kNone;   // imported: index into ProgramImage::imports
  uint32_t num_params = 0;
  uint32_t num_results = 0;
  uint32_t num_locals = 0;   // declared locals, zeroed on entry (slots num_params..)
  uint32_t frame_slots = 0;  // params + locals + operand stack: the slots one call needs
  uint32_t wasm_offset = 0;  // body offset in the module, for diagnostics
  bool operator==(const ImageFunction&) const = default;
};

struct ImageTable {
  ValType elem_type = ValType::FuncRef;
  uint32_t min = 0;
  uint32_t max = kNone;  // kNone: no maximum
  uint32_t import = kNone;
  bool operator==(const ImageTable&) const = default;
};

struct ImageMemory {
  uint32_t min = 0;      // 64 KiB pages
  uint32_t max = kNone;  // kNone: no maximum (65536 pages)
  uint32_t import = kNone;
  bool operator==(const ImageMemory&) const = default;
};

struct ImageGlobal {
  ValType type = ValType::I32;
  bool is_mutable = false;
  uint32_t import = kNone;
  InitExpr init;  // defined globals only
  bool operator==(const ImageGlobal&) const = default;
};

struct ImageData {
  SegmentMode mode = SegmentMode::Passive;
  uint32_t memory = 0;
  InitExpr offset;  // Active only
  std::vector<uint8_t> bytes;
  bool operator==(const ImageData&) const = default;
};

struct ImageElem {
  SegmentMode mode = SegmentMode::Passive;
  uint32_t table = 0;
  InitExpr offset;  // Active only
  ValType elem_type = ValType::FuncRef;
  std::vector<InitExpr> items;  // RefFunc, RefNull or GlobalGet
  bool operator==(const ImageElem&) const = default;
};

struct ImageImport {
  std::string module;
  std::string name;
  ExternKind kind = ExternKind::Func;
  uint32_t index = 0;  // index in its kind's space (functions[index], tables[index], ...)
  bool operator==(const ImageImport&) const = default;
};

struct ImageExport {
  std::string name;
  ExternKind kind = ExternKind::Func;
  uint32_t index = 0;
  bool operator==(const ImageExport&) const = default;
};

// Maps an instruction's word offset back to its source: the entry with the
// greatest `word` <= pc names the wasm instruction that pc belongs to.
struct DebugEntry {
  uint32_t word = 0;
  uint32_t func = 0;         // function index (imports included)
  uint32_t wasm_offset = 0;  // byte offset of the wasm instruction in the module
  bool operator==(const DebugEntry&) const = default;
};

struct FuncName {
  uint32_t func = 0;
  std::string name;
  bool operator==(const FuncName&) const = default;
};

struct ProgramImage {
  std::vector<uint32_t> code;
  std::vector<wasm::FuncType> types;
  // Signature id of every type index: equal ids <=> structurally equal
  // types. call_indirect compares the callee's id with its type operand's.
  std::vector<uint32_t> type_sig_ids;
  std::vector<ImageFunction> functions;
  std::vector<ImageTable> tables;
  std::vector<ImageMemory> memories;
  std::vector<ImageGlobal> globals;
  std::vector<ImageData> data;
  std::vector<ImageElem> elems;
  std::vector<ImageImport> imports;
  std::vector<ImageExport> exports;
  uint32_t start = kNone;  // start function index
  std::vector<DebugEntry> debug;  // sorted by word
  std::vector<FuncName> names;    // from the name section, sorted by func
  // Largest frame_slots over defined functions (sizing call stacks).
  uint32_t max_frame_slots = 0;

  bool operator==(const ProgramImage&) const = default;

  // Debug entry covering word offset `pc`, or nullptr.
  const DebugEntry* locate(uint32_t pc) const;
  // Name-section name of a function, or "".
  std::string_view function_name(uint32_t func) const;
  // Export of the given name and kind, or nullptr.
  const ImageExport* find_export(std::string_view name) const;
};

enum class ImageError { Malformed, VersionMismatch };

// Flat little-endian blob, every field a 32-bit word (layout: docs/vm.md).
std::vector<uint8_t> serialize(const ProgramImage& image);
Result<ProgramImage, ImageError> deserialize(std::span<const uint8_t> blob);

inline constexpr uint32_t kImageMagic = 0x4d565047;  // "GPVM" little-endian
inline constexpr uint32_t kImageVersion = 1;

}  // namespace gpuos::vm

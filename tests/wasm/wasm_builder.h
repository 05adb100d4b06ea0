// wasm_builder.h: tiny helpers to assemble WebAssembly binaries in tests.
//
// Used by the unit tests and the fuzz seeds so that test modules are written
// as readable structure instead of hex dumps:
//   ModuleBuilder b;
//   uint32_t t = b.add_type({I32, I32}, {I32});
//   b.add_func(t, {}, {0x20, 0, 0x20, 1, 0x6a, 0x0b});   // local.get 0/1, i32.add, end
//   Bytes wasm = b.build();
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <vector>

#include "procs/wasm/module.h"

namespace gpuos::wasm::test {

using Bytes = std::vector<uint8_t>;

inline Bytes uleb(uint64_t v) {
  Bytes out;
  do {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    if (v) byte |= 0x80;
    out.push_back(byte);
  } while (v);
  return out;
}

inline Bytes sleb(int64_t v) {
  Bytes out;
  while (true) {
    const uint8_t byte = v & 0x7f;
    v >>= 7;  // arithmetic shift
    const bool done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
    out.push_back(done ? byte : (byte | 0x80));
    if (done) return out;
  }
}

inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline Bytes str(std::string_view s) {
  Bytes out = uleb(s.size());
  out.insert(out.end(), s.begin(), s.end());
  return out;
}

inline Bytes vec(const std::vector<Bytes>& items) {
  Bytes out = uleb(items.size());
  for (const Bytes& item : items) out.insert(out.end(), item.begin(), item.end());
  return out;
}

inline Bytes section(uint8_t id, const Bytes& content) { return cat({{id}, uleb(content.size()), content}); }

inline Bytes header() { return {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}; }

inline Bytes module_of(std::initializer_list<Bytes> sections) {
  Bytes out = header();
  for (const Bytes& s : sections) out.insert(out.end(), s.begin(), s.end());
  return out;
}

inline uint8_t vt(ValType t) { return static_cast<uint8_t>(t); }

inline Bytes limits(uint32_t min, std::optional<uint32_t> max = {}) {
  return max ? cat({{0x01}, uleb(min), uleb(*max)}) : cat({{0x00}, uleb(min)});
}

inline Bytes i32_const(int32_t v) { return cat({{0x41}, sleb(v)}); }

// Collects entries per section and emits them in the required order.
class ModuleBuilder {
 public:
  uint32_t add_type(std::vector<ValType> params, std::vector<ValType> results) {
    Bytes t{0x60};
    append(t, uleb(params.size()));
    for (ValType p : params) t.push_back(vt(p));
    append(t, uleb(results.size()));
    for (ValType r : results) t.push_back(vt(r));
    types_.push_back(t);
    return static_cast<uint32_t>(types_.size() - 1);
  }
  void import_func(std::string_view module, std::string_view name, uint32_t type) {
    imports_.push_back(cat({str(module), str(name), {0x00}, uleb(type)}));
    ++imported_funcs_;
  }
  void import_raw(std::string_view module, std::string_view name, const Bytes& desc) {
    imports_.push_back(cat({str(module), str(name), desc}));
  }
  // locals: run-length (count, type) pairs; body: instructions incl. final end.
  uint32_t add_func(uint32_t type, std::vector<std::pair<uint32_t, ValType>> locals, const Bytes& body) {
    funcs_.push_back(uleb(type));
    Bytes code = uleb(locals.size());
    for (auto [count, t] : locals) append(code, cat({uleb(count), {vt(t)}}));
    append(code, body);
    codes_.push_back(cat({uleb(code.size()), code}));
    return imported_funcs_ + static_cast<uint32_t>(funcs_.size() - 1);
  }
  void add_table(ValType elem, uint32_t min, std::optional<uint32_t> max = {}) {
    tables_.push_back(cat({{vt(elem)}, limits(min, max)}));
  }
  void add_memory(uint32_t min, std::optional<uint32_t> max = {}) { memories_.push_back(limits(min, max)); }
  void add_global(ValType t, bool mut, const Bytes& init_with_end) {
    globals_.push_back(cat({{vt(t), static_cast<uint8_t>(mut ? 1 : 0)}, init_with_end}));
  }
  void add_export(std::string_view name, ExternKind kind, uint32_t index) {
    exports_.push_back(cat({str(name), {static_cast<uint8_t>(kind)}, uleb(index)}));
  }
  void set_start(uint32_t func) { start_ = func; }
  void add_elem_raw(const Bytes& segment) { elems_.push_back(segment); }
  void add_data_raw(const Bytes& segment) { datas_.push_back(segment); }
  void set_data_count(uint32_t n) { data_count_ = n; }
  void add_custom(std::string_view name, const Bytes& payload) { customs_.push_back(cat({str(name), payload})); }

  Bytes build() const {
    Bytes out = header();
    auto emit = [&](uint8_t id, const std::vector<Bytes>& entries) {
      if (!entries.empty()) append(out, section(id, vec(entries)));
    };
    emit(1, types_);
    emit(2, imports_);
    emit(3, funcs_);
    emit(4, tables_);
    emit(5, memories_);
    emit(6, globals_);
    emit(7, exports_);
    if (start_) append(out, section(8, uleb(*start_)));
    emit(9, elems_);
    if (data_count_) append(out, section(12, uleb(*data_count_)));
    emit(10, codes_);
    emit(11, datas_);
    for (const Bytes& c : customs_) append(out, section(0, c));
    return out;
  }

 private:
  static void append(Bytes& out, const Bytes& more) { out.insert(out.end(), more.begin(), more.end()); }

  std::vector<Bytes> types_, imports_, funcs_, tables_, memories_, globals_, exports_, elems_, datas_, codes_,
      customs_;
  std::optional<uint32_t> start_, data_count_;
  uint32_t imported_funcs_ = 0;
};

}  // namespace gpuos::wasm::test

// image.cpp: ProgramImage look-ups and its flat serialised form.
//
// The blob is an array of little-endian 32-bit words, so a GPU shader can
// index it directly (layout in docs/vm.md): a header with one word offset
// per section, then the sections in a fixed order, each starting with its
// entry count. Strings and byte payloads are a length word followed by the
// bytes, zero-padded to a word boundary.
#include "procs/vm/image.h"

#include <algorithm>
#include <cstring>

namespace gpuos::vm {

const DebugEntry* ProgramImage::locate(uint32_t pc) const {
  auto it = std::upper_bound(debug.begin(), debug.end(), pc,
                             [](uint32_t v, const DebugEntry& e) { return v < e.word; });
  if (it == debug.begin()) return nullptr;
  return &*(it - 1);
}

std::string_view ProgramImage::function_name(uint32_t func) const {
  auto it = std::lower_bound(names.begin(), names.end(), func,
                             [](const FuncName& n, uint32_t f) { return n.func < f; });
  return it != names.end() && it->func == func ? std::string_view(it->name) : std::string_view();
}

const ImageExport* ProgramImage::find_export(std::string_view name) const {
  for (const ImageExport& e : exports) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

namespace {

// Section order in the blob; the header holds one word offset per section.
enum Section : uint32_t {
  kCode, kTypes, kSigIds, kFunctions, kTables, kMemories, kGlobals, kData, kElems,
  kImports, kExports, kDebug, kNames, kNumSections
};
constexpr uint32_t kHeaderWords = 4 + kNumSections;  // magic, version, start, max_frame_slots, offsets

class Writer {
 public:
  std::vector<uint32_t> w;
  void u32(uint32_t v) { w.push_back(v); }
  void u64(uint64_t v) { u32(static_cast<uint32_t>(v)), u32(static_cast<uint32_t>(v >> 32)); }
  void bytes(const uint8_t* p, size_t n) {
    u32(static_cast<uint32_t>(n));
    const size_t at = w.size();
    w.resize(at + (n + 3) / 4, 0);
    if (n) std::memcpy(w.data() + at, p, n);
  }
  void str(const std::string& s) { bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }
  void expr(const InitExpr& e) { u32(static_cast<uint32_t>(e.kind)), u64(e.bits), u32(e.index); }
  void types(const std::vector<ValType>& t) {
    u32(static_cast<uint32_t>(t.size()));
    for (ValType v : t) u32(static_cast<uint32_t>(v));
  }
};

class Reader {
 public:
  explicit Reader(std::span<const uint32_t> w) : w_(w) {}
  bool ok = true;
  void seek(uint32_t pos) {
    if (pos > w_.size()) ok = false;
    else pos_ = pos;
  }
  uint32_t u32() {
    if (pos_ >= w_.size()) {
      ok = false;
      return 0;
    }
    return w_[pos_++];
  }
  uint64_t u64() {
    const uint64_t lo = u32();
    return lo | (static_cast<uint64_t>(u32()) << 32);
  }
  // A count of entries each at least `min_words` long: checked against what is left.
  uint32_t count(uint32_t min_words) {
    const uint32_t n = u32();
    if (static_cast<uint64_t>(n) * min_words > w_.size() - pos_) {
      ok = false;
      return 0;
    }
    return n;
  }
  std::vector<uint8_t> bytes() {
    const uint32_t n = u32();
    const size_t words = (static_cast<size_t>(n) + 3) / 4;
    if (!ok || words > w_.size() - pos_) {
      ok = false;
      return {};
    }
    std::vector<uint8_t> out(n);
    if (n) std::memcpy(out.data(), w_.data() + pos_, n);
    pos_ += static_cast<uint32_t>(words);
    return out;
  }
  std::string str() {
    auto b = bytes();
    return std::string(b.begin(), b.end());
  }
  InitExpr expr() {
    InitExpr e;
    e.kind = static_cast<InitExpr::Kind>(u32());
    e.bits = u64();
    e.index = u32();
    if (static_cast<uint32_t>(e.kind) > 3) ok = false;
    return e;
  }
  ValType type() { return static_cast<ValType>(u32()); }
  std::vector<ValType> types() {
    std::vector<ValType> t(count(1));
    for (ValType& v : t) v = type();
    return t;
  }

 private:
  std::span<const uint32_t> w_;
  uint32_t pos_ = 0;
};

}  // namespace

std::vector<uint8_t> serialize(const ProgramImage& m) {
  Writer o;
  o.w.resize(kHeaderWords, 0);
  o.w[0] = kImageMagic, o.w[1] = kImageVersion, o.w[2] = m.start, o.w[3] = m.max_frame_slots;
  auto section = [&](Section s) { o.w[4 + s] = static_cast<uint32_t>(o.w.size()); };

  section(kCode);
  o.u32(static_cast<uint32_t>(m.code.size()));
  o.w.insert(o.w.end(), m.code.begin(), m.code.end());
  section(kTypes);
  o.u32(static_cast<uint32_t>(m.types.size()));
  for (const auto& t : m.types) o.types(t.params), o.types(t.results);
  section(kSigIds);
  o.u32(static_cast<uint32_t>(m.type_sig_ids.size()));
  for (uint32_t id : m.type_sig_ids) o.u32(id);
  section(kFunctions);
  o.u32(static_cast<uint32_t>(m.functions.size()));
  for (const auto& f : m.functions) {
    o.u32(f.type_index), o.u32(f.entry), o.u32(f.import), o.u32(f.num_params);
    o.u32(f.num_results), o.u32(f.num_locals), o.u32(f.frame_slots), o.u32(f.wasm_offset);
  }
  section(kTables);
  o.u32(static_cast<uint32_t>(m.tables.size()));
  for (const auto& t : m.tables) o.u32(static_cast<uint32_t>(t.elem_type)), o.u32(t.min), o.u32(t.max), o.u32(t.import);
  section(kMemories);
  o.u32(static_cast<uint32_t>(m.memories.size()));
  for (const auto& mem : m.memories) o.u32(mem.min), o.u32(mem.max), o.u32(mem.import);
  section(kGlobals);
  o.u32(static_cast<uint32_t>(m.globals.size()));
  for (const auto& g : m.globals) o.u32(static_cast<uint32_t>(g.type)), o.u32(g.is_mutable), o.u32(g.import), o.expr(g.init);
  section(kData);
  o.u32(static_cast<uint32_t>(m.data.size()));
  for (const auto& d : m.data) {
    o.u32(static_cast<uint32_t>(d.mode)), o.u32(d.memory), o.expr(d.offset);
    o.bytes(d.bytes.data(), d.bytes.size());
  }
  section(kElems);
  o.u32(static_cast<uint32_t>(m.elems.size()));
  for (const auto& e : m.elems) {
    o.u32(static_cast<uint32_t>(e.mode)), o.u32(e.table), o.expr(e.offset), o.u32(static_cast<uint32_t>(e.elem_type));
    o.u32(static_cast<uint32_t>(e.items.size()));
    for (const auto& item : e.items) o.expr(item);
  }
  section(kImports);
  o.u32(static_cast<uint32_t>(m.imports.size()));
  for (const auto& i : m.imports) o.str(i.module), o.str(i.name), o.u32(static_cast<uint32_t>(i.kind)), o.u32(i.index);
  section(kExports);
  o.u32(static_cast<uint32_t>(m.exports.size()));
  for (const auto& e : m.exports) o.str(e.name), o.u32(static_cast<uint32_t>(e.kind)), o.u32(e.index);
  section(kDebug);
  o.u32(static_cast<uint32_t>(m.debug.size()));
  for (const auto& d : m.debug) o.u32(d.word), o.u32(d.func), o.u32(d.wasm_offset);
  section(kNames);
  o.u32(static_cast<uint32_t>(m.names.size()));
  for (const auto& n : m.names) o.u32(n.func), o.str(n.name);

  std::vector<uint8_t> blob(o.w.size() * 4);
  for (size_t i = 0; i < o.w.size(); ++i) {
    for (int b = 0; b < 4; ++b) blob[i * 4 + b] = static_cast<uint8_t>(o.w[i] >> (8 * b));
  }
  return blob;
}

Result<ProgramImage, ImageError> deserialize(std::span<const uint8_t> blob) {
  if (blob.size() % 4 != 0 || blob.size() < kHeaderWords * 4) {
    return fail(ImageError::Malformed, "image blob too short or not a whole number of words");
  }
  std::vector<uint32_t> words(blob.size() / 4);
  for (size_t i = 0; i < words.size(); ++i) {
    words[i] = blob[i * 4] | (blob[i * 4 + 1] << 8) | (blob[i * 4 + 2] << 16) | (static_cast<uint32_t>(blob[i * 4 + 3]) << 24);
  }
  if (words[0] != kImageMagic) return fail(ImageError::Malformed, "bad image magic");
  if (words[1] != kImageVersion) return fail(ImageError::VersionMismatch, "image version " + std::to_string(words[1]));
  ProgramImage m;
  m.start = words[2], m.max_frame_slots = words[3];
  Reader r(words);
  auto section = [&](Section s) { r.seek(words[4 + s]); };

  section(kCode);
  m.code.resize(r.count(1));
  for (auto& w : m.code) w = r.u32();
  section(kTypes);
  m.types.resize(r.count(2));
  for (auto& t : m.types) t.params = r.types(), t.results = r.types();
  section(kSigIds);
  m.type_sig_ids.resize(r.count(1));
  for (auto& id : m.type_sig_ids) id = r.u32();
  section(kFunctions);
  m.functions.resize(r.count(8));
  for (auto& f : m.functions) {
    f.type_index = r.u32(), f.entry = r.u32(), f.import = r.u32(), f.num_params = r.u32();
    f.num_results = r.u32(), f.num_locals = r.u32(), f.frame_slots = r.u32(), f.wasm_offset = r.u32();
  }
  section(kTables);
  m.tables.resize(r.count(4));
  for (auto& t : m.tables) t.elem_type = r.type(), t.min = r.u32(), t.max = r.u32(), t.import = r.u32();
  section(kMemories);
  m.memories.resize(r.count(3));
  for (auto& mem : m.memories) mem.min = r.u32(), mem.max = r.u32(), mem.import = r.u32();
  section(kGlobals);
  m.globals.resize(r.count(7));
  for (auto& g : m.globals) g.type = r.type(), g.is_mutable = r.u32() != 0, g.import = r.u32(), g.init = r.expr();
  section(kData);
  m.data.resize(r.count(7));
  for (auto& d : m.data) d.mode = static_cast<SegmentMode>(r.u32()), d.memory = r.u32(), d.offset = r.expr(), d.bytes = r.bytes();
  section(kElems);
  m.elems.resize(r.count(8));
  for (auto& e : m.elems) {
    e.mode = static_cast<SegmentMode>(r.u32()), e.table = r.u32(), e.offset = r.expr(), e.elem_type = r.type();
    e.items.resize(r.count(5));
    for (auto& item : e.items) item = r.expr();
  }
  section(kImports);
  m.imports.resize(r.count(4));
  for (auto& i : m.imports) i.module = r.str(), i.name = r.str(), i.kind = static_cast<ExternKind>(r.u32()), i.index = r.u32();
  section(kExports);
  m.exports.resize(r.count(3));
  for (auto& e : m.exports) e.name = r.str(), e.kind = static_cast<ExternKind>(r.u32()), e.index = r.u32();
  section(kDebug);
  m.debug.resize(r.count(3));
  for (auto& d : m.debug) d.word = r.u32(), d.func = r.u32(), d.wasm_offset = r.u32();
  section(kNames);
  m.names.resize(r.count(2));
  for (auto& n : m.names) n.func = r.u32(), n.name = r.str();
  if (!r.ok) return fail(ImageError::Malformed, "image blob truncated or inconsistent");
  return m;
}

}  // namespace gpuos::vm

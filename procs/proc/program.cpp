// program.cpp: prepare_program (program.h): module -> program-store words.
#include "procs/proc/program.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "kernel/text_escape.h"
#include "procs/vm/bytecode.h"
#include "procs/vm/meta_layout.h"
#include "procs/vm/ref_exec.h"
#include "procs/vm/translator.h"
#include "procs/wasm/decoder.h"
#include "shaders/vm/vm_abi.h"

namespace gpuos::procs {

using namespace gpuos::abi;
using namespace gpuos::vm::gpu;
using vm::ImageFunction;
using vm::InitExpr;
using vm::kNone;
using vm::ProgramImage;
using wasm::ValType;

namespace {

constexpr const char* kGpuos = "gpuos";
constexpr const char* kWasi = "wasi_snapshot_preview1";
constexpr uint32_t wasi(uint32_t f) { return GI_WASI_BASE + f; }

constexpr Intrinsic kIntrinsics[] = {
    {kGpuos, "exit", GI_EXIT, "i", ""},
    {kGpuos, "getpid", GI_GETPID, "", "i"},
    {kGpuos, "getppid", GI_GETPPID, "", "i"},
    {kGpuos, "arg", GI_ARG, "", "i"},
    {kGpuos, "spawn", GI_SPAWN, "ii", "i"},
    {kGpuos, "wait", GI_WAIT, "i", "i"},
    {kGpuos, "yield", GI_YIELD, "", ""},
    {kGpuos, "print", GI_PRINT, "ii", ""},
    {kGpuos, "malloc", GI_MALLOC, "i", "i"},
    {kGpuos, "free", GI_FREE, "i", ""},
    {kGpuos, "calloc", GI_CALLOC, "ii", "i"},
    {kGpuos, "realloc", GI_REALLOC, "ii", "i"},
    {kGpuos, "aligned_alloc", GI_ALIGNED_ALLOC, "ii", "i"},
    {kGpuos, "args_size", GI_ARGS_SIZE, "", "i"},
    {kGpuos, "args_get", GI_ARGS_GET, "ii", "i"},
    {kGpuos, "null_call", wasi(WASI_GPUOS_NULL), "", "i"},
    {kWasi, "args_get", wasi(WASI_ARGS_GET), "ii", "i"},
    {kWasi, "args_sizes_get", wasi(WASI_ARGS_SIZES_GET), "ii", "i"},
    {kWasi, "environ_get", wasi(WASI_ENVIRON_GET), "ii", "i"},
    {kWasi, "environ_sizes_get", wasi(WASI_ENVIRON_SIZES_GET), "ii", "i"},
    {kWasi, "clock_res_get", wasi(WASI_CLOCK_RES_GET), "ii", "i"},
    {kWasi, "clock_time_get", wasi(WASI_CLOCK_TIME_GET), "iIi", "i"},
    {kWasi, "fd_close", wasi(WASI_FD_CLOSE), "i", "i"},
    {kWasi, "fd_fdstat_get", wasi(WASI_FD_FDSTAT_GET), "ii", "i"},
    {kWasi, "fd_fdstat_set_flags", wasi(WASI_FD_FDSTAT_SET_FLAGS), "ii", "i"},
    {kWasi, "fd_filestat_get", wasi(WASI_FD_FILESTAT_GET), "ii", "i"},
    {kWasi, "fd_pread", wasi(WASI_FD_PREAD), "iiiIi", "i"},
    {kWasi, "fd_prestat_get", wasi(WASI_FD_PRESTAT_GET), "ii", "i"},
    {kWasi, "fd_prestat_dir_name", wasi(WASI_FD_PRESTAT_DIR_NAME), "iii", "i"},
    {kWasi, "fd_pwrite", wasi(WASI_FD_PWRITE), "iiiIi", "i"},
    {kWasi, "fd_read", wasi(WASI_FD_READ), "iiii", "i"},
    {kWasi, "fd_readdir", wasi(WASI_FD_READDIR), "iiiIi", "i"},
    {kWasi, "fd_seek", wasi(WASI_FD_SEEK), "iIii", "i"},
    {kWasi, "fd_tell", wasi(WASI_FD_TELL), "ii", "i"},
    {kWasi, "fd_write", wasi(WASI_FD_WRITE), "iiii", "i"},
    {kWasi, "path_create_directory", wasi(WASI_PATH_CREATE_DIRECTORY), "iii", "i"},
    {kWasi, "path_filestat_get", wasi(WASI_PATH_FILESTAT_GET), "iiiii", "i"},
    {kWasi, "path_open", wasi(WASI_PATH_OPEN), "iiiiiIIii", "i"},
    {kWasi, "path_remove_directory", wasi(WASI_PATH_REMOVE_DIRECTORY), "iii", "i"},
    {kWasi, "path_rename", wasi(WASI_PATH_RENAME), "iiiiii", "i"},
    {kWasi, "path_unlink_file", wasi(WASI_PATH_UNLINK_FILE), "iii", "i"},
    {kWasi, "poll_oneoff", wasi(WASI_POLL_ONEOFF), "iiii", "i"},
    {kWasi, "proc_exit", wasi(WASI_PROC_EXIT), "i", ""},
    {kWasi, "random_get", wasi(WASI_RANDOM_GET), "ii", "i"},
    {kWasi, "sched_yield", wasi(WASI_SCHED_YIELD), "", "i"},
    {kWasi, "fd_sync", wasi(WASI_FD_SYNC), "i", "i"},
    {kWasi, "fd_datasync", wasi(WASI_FD_DATASYNC), "i", "i"},
    {kWasi, "fd_filestat_set_size", wasi(WASI_FD_FILESTAT_SET_SIZE), "iI", "i"},
    {kWasi, "fd_advise", wasi(WASI_FD_ADVISE), "iIIi", "i"},
    {kWasi, "path_readlink", wasi(WASI_PATH_READLINK), "iiiiii", "i"},
};
static_assert(std::size(kIntrinsics) == GI_COUNT + 1 + WASI_UNSUPPORTED, "a row per GI_* and WASI_* id");

uint32_t u32(size_t v) { return static_cast<uint32_t>(v); }

// Each part of the program starts on a 32-word (128-byte) line, so no GPU
// cache line holds two parts (sys.glsl: the store is never rewritten).
uint32_t align_line(std::vector<uint32_t>& w) {
  while (w.size() % 32 != 0) w.push_back(0);
  return u32(w.size());
}

Error<ProgramError> unsupported(std::string why) { return fail(ProgramError::Unsupported, std::move(why)); }

std::string signature_of(const wasm::FuncType& t) {
  std::string s;
  for (ValType v : t.params) s += v == ValType::I32 ? 'i' : v == ValType::I64 ? 'I' : '?';
  s += ':';
  for (ValType v : t.results) s += v == ValType::I32 ? 'i' : v == ValType::I64 ? 'I' : '?';
  return s;
}

// The intrinsic an import becomes, or why the process cannot have it.
Result<uint32_t, ProgramError> resolve_import(const ProgramImage& img, const vm::ImageImport& imp) {
  // The names are the module's: shown escaped, as they reach a terminal.
  const std::string what = fmt::format("import {}.{}", escape_text(imp.module), escape_text(imp.name));
  const bool is_wasi = imp.module == kWasi;
  if (imp.kind != wasm::ExternKind::Func) {
    return unsupported(what + ": a process can import only functions (from \"gpuos\" or \"wasi_snapshot_preview1\")");
  }
  if (imp.module != kGpuos && !is_wasi) {
    return unsupported(what + ": unknown module (a process can import from \"gpuos\" and \"wasi_snapshot_preview1\")");
  }
  const std::string sig = signature_of(img.types[img.functions[imp.index].type_index]);
  for (const Intrinsic& k : kIntrinsics) {
    if (imp.module != k.module || imp.name != k.name) continue;
    const std::string want = std::string(k.params) + ":" + k.results;
    if (sig != want) {
      return unsupported(fmt::format("{}: wrong signature ({}, expected {}; i = i32, I = i64)", what, sig, want));
    }
    return k.id;
  }
  // A WASI function gpuos does not serve: ENOSYS when called, if it returns an errno.
  if (is_wasi && sig.size() >= 2 && sig.substr(sig.size() - 2) == ":i") return GI_WASI_BASE + WASI_UNSUPPORTED;
  if (is_wasi) return unsupported(what + ": not served (and it returns no errno to report that with)");
  return unsupported(what + ": no such gpuos function (docs/stdshim.md lists them)");
}

// A constant expression's value as a slot: constants and ref.func / ref.null
// only, as a process has no imported globals to read.
Result<uint64_t, ProgramError> const_value(const InitExpr& e, const char* what) {
  switch (e.kind) {
    case InitExpr::Kind::Const: return e.bits;
    case InitExpr::Kind::RefFunc: return uint64_t{e.index} + 1;  // handle = function index (+1: 0 is null)
    case InitExpr::Kind::RefNull: return uint64_t{0};
    case InitExpr::Kind::GlobalGet: break;
  }
  return unsupported(fmt::format("{} reads global {} (processes have no imported globals)", what, e.index));
}

void emit(std::vector<uint32_t>& code, vm::Op op, std::initializer_list<uint32_t> operands) {
  code.push_back(static_cast<uint32_t>(op));
  code.insert(code.end(), operands);
}

// The synthetic start function (program.h): appended to the image.
Result<uint32_t, ProgramError> add_start_function(ProgramImage& img) {
  uint32_t entry = kNone;
  bool returns_status = false;
  for (const char* name : {"_start", "main"}) {
    const vm::ImageExport* e = img.find_export(name);
    if (!e || e->kind != wasm::ExternKind::Func || entry != kNone) continue;
    const wasm::FuncType& t = img.types[img.functions[e->index].type_index];
    if (!t.params.empty() || t.results.size() > 1 || (t.results.size() == 1 && t.results[0] != ValType::I32)) {
      return unsupported(fmt::format("export \"{}\" must take no parameters and return nothing or an i32", name));
    }
    entry = e->index;
    returns_status = t.results.size() == 1;
  }
  if (entry == kNone) return unsupported("no entry point: export a function \"_start\" or \"main\"");

  std::vector<uint32_t>& c = img.code;
  const uint32_t at = u32(c.size());
  // slots 0..2: dst, src, len; 4..: callee frames
  for (uint32_t i = 0; i < img.data.size(); ++i) {
    const vm::ImageData& d = img.data[i];
    if (d.mode != wasm::SegmentMode::Active) continue;
    auto off = const_value(d.offset, "a data segment's offset");
    if (!off) return fail(off.code(), off.detail());
    emit(c, vm::Op::Const32, {0, uint32_t(*off)});
    emit(c, vm::Op::Const32, {1, 0});
    emit(c, vm::Op::Const32, {2, u32(d.bytes.size())});
    emit(c, vm::Op::MemoryInit, {i, 0, 1, 2});
    emit(c, vm::Op::DataDrop, {i});
  }
  for (uint32_t i = 0; i < img.elems.size(); ++i) {
    const vm::ImageElem& e = img.elems[i];
    if (e.mode == wasm::SegmentMode::Passive) continue;
    if (e.mode == wasm::SegmentMode::Active) {
      auto off = const_value(e.offset, "an element segment's offset");
      if (!off) return fail(off.code(), off.detail());
      emit(c, vm::Op::Const32, {0, uint32_t(*off)});
      emit(c, vm::Op::Const32, {1, 0});
      emit(c, vm::Op::Const32, {2, u32(e.items.size())});
      emit(c, vm::Op::TableInit, {e.table, i, 0, 1, 2});
    }
    emit(c, vm::Op::ElemDrop, {i});
  }
  if (img.start != kNone) emit(c, vm::Op::Call, {img.start, 4});
  emit(c, vm::Op::Call, {entry, 4});
  if (!returns_status) emit(c, vm::Op::Const32, {4, 0});
  emit(c, vm::Op::Return, {4, 1});

  ImageFunction f;
  f.entry = at;
  f.num_params = 0;
  f.num_results = 1;
  f.num_locals = 0;
  f.frame_slots = 8;
  f.type_index = kNone;
  img.functions.push_back(f);
  img.names.push_back({u32(img.functions.size() - 1), "<start>"});
  return u32(img.functions.size() - 1);
}

// What a module may declare to run in a session of these sizes: checked by
// the decoder as it reads each count, so nothing is sized from a declared
// count that cannot fit (a 46-byte module declaring a table of 10^9
// entries is refused before any table exists). Everything a process holds
// besides linear memory (meta: one word per function and type, descriptors
// of tables and segments; globals and table elements, two words each)
// lives in its block after the page table, or where that is too small in a
// run of arena pages of its own (parts_words), so that run bounds each count.
// The most words meta, globals and tables may take: the block's room past
// its page table, or a parts run of PARTS_MAX_PAGES (fewer where a process
// may hold fewer pages), whichever is more.
int64_t block_room(const ProcessLimits& lim) {
  return int64_t{lim.block_words} - BLK_PAGE_TABLE - pt_block_words(lim.max_pages);
}
int64_t parts_run_words(const ProcessLimits& lim) {
  return int64_t{std::min(PARTS_MAX_PAGES, lim.max_pages)} * PAGE_WORDS;
}
uint32_t parts_max_words(const ProcessLimits& lim) { return uint32_t(std::max(block_room(lim), parts_run_words(lim))); }
// What bounds them, for messages: the option a user would change.
std::string parts_bound(const ProcessLimits& lim) {
  if (block_room(lim) >= parts_run_words(lim)) {
    return fmt::format("a process block of {} KiB holds {} words besides its page table; --block-kib",
                       lim.block_words / 256, block_room(lim));
  }
  return fmt::format("a process's meta, globals and tables take at most {} words: 16 MiB, or its --max-pages if "
                     "fewer",
                     parts_run_words(lim));
}

wasm::DecodeLimits decode_limits(const ProcessLimits& lim) {
  wasm::DecodeLimits d;
  const uint32_t words = parts_max_words(lim);
  d.source = parts_bound(lim);
  d.types = std::min(d.types, words);
  d.functions = std::min(d.functions, words);
  d.imports = std::min(d.imports, words);
  d.tables = std::min(d.tables, words / VM_DESC_WORDS);
  d.table_entries = std::min(d.table_entries, words / 2);
  d.globals = std::min(d.globals, words / 2);
  d.elem_segments = std::min(d.elem_segments, words / VM_DESC_WORDS);
  d.elem_items = std::min(d.elem_items, words / 2);
  d.data_segments = std::min(d.data_segments, words / VM_DESC_WORDS);
  d.memory_pages = std::min(d.memory_pages, lim.max_pages);
  d.memory_pages_source = "pages per process; --max-pages";
  if (lim.store_words != 0) {
    d.data_bytes = std::min<uint64_t>(d.data_bytes, lim.store_words * 4);
    d.data_bytes_source = fmt::format("the program store of {} MiB; --store-mib", lim.store_words / 262144);
  }
  return d;
}

}  // namespace

const char* to_string(ProgramError e) {
  switch (e) {
    case ProgramError::Invalid: return "invalid module";
    case ProgramError::Unsupported: return "not runnable as a process";
    case ProgramError::TooLarge: return "too large";
  }
  return "?";
}

std::span<const Intrinsic> intrinsics() { return kIntrinsics; }

namespace {
// The frame slots a block must leave past the control stack: a few of the
// largest frame, and never fewer than 256.
uint32_t min_frame_slots(const vm::ProgramImage& img) { return std::max<uint32_t>(256, 4 * img.max_frame_slots); }
}  // namespace

Result<ProcessProgram, ProgramError> prepare_program(std::span<const uint8_t> wasm_bytes, std::string name,
                                                     const ProcessLimits& lim) {
  auto module = wasm::load_module(wasm_bytes, decode_limits(lim));
  if (!module) {
    return fail(module.code() == wasm::WasmError::LimitExceeded ? ProgramError::TooLarge : ProgramError::Invalid,
                module.detail());
  }
  auto translated = vm::translate(*module);
  if (!translated) return fail(ProgramError::Invalid, translated.detail());
  ProcessProgram prog;
  prog.name = std::move(name);
  ProgramImage& img = prog.image;
  img = std::move(*translated);

  // Imports: gpuos and WASI functions only, each with its exact signature.
  std::vector<uint32_t> intrinsic_of(img.functions.size(), kNone);
  for (const vm::ImageImport& imp : img.imports) {
    auto id = resolve_import(img, imp);
    if (!id) return fail(id.code(), id.detail());
    intrinsic_of[imp.index] = *id;
  }
  if (img.memories.size() > 1) return unsupported("more than one memory");
  auto start = add_start_function(img);
  if (!start) return fail(start.code(), start.detail());
  prog.start_func = *start;

  std::vector<uint32_t>& w = prog.words;
  ProgramDesc& d = prog.desc;
  // code
  d.code_off = align_line(w);
  w.insert(w.end(), img.code.begin(), img.code.end());
  w.insert(w.end(), VM_CODE_READ_AHEAD, 0u);  // the interpreter's fetch reads past the last instruction
  // function table; handles are function indices (ref.func f gives f + 1)
  d.funcs_off = align_line(w);
  for (size_t i = 0; i < img.functions.size(); ++i) {
    const ImageFunction& f = img.functions[i];
    uint32_t e[VM_FUNC_WORDS] = {};
    e[VM_F_ENTRY] = f.entry;
    e[VM_F_PARAMS] = f.num_params;
    e[VM_F_RESULTS] = f.num_results;
    e[VM_F_LOCALS] = f.num_locals;
    e[VM_F_FRAME] = f.frame_slots;
    e[VM_F_SIG] = f.type_index == kNone ? kNone : img.type_sig_ids[f.type_index];
    e[VM_F_KIND] = intrinsic_of.size() > i && intrinsic_of[i] != kNone ? (VM_FK_INTRINSIC | (intrinsic_of[i] << 8))
                                                                       : VM_FK_LOCAL;
    e[VM_F_STORE_ADDR] = u32(i);
    w.insert(w.end(), e, e + VM_FUNC_WORDS);
  }
  // meta: header, table/data/elem descriptors, handle map, signature ids
  const uint32_t n_funcs = u32(img.functions.size());
  const MetaLayout L = meta_layout(u32(img.tables.size()), u32(img.data.size()), u32(img.elems.size()), n_funcs,
                                   u32(img.type_sig_ids.size()));
  std::vector<uint32_t> meta(L.words, 0);
  write_meta_header(meta.data(), L, u32(img.tables.size()), n_funcs, img.type_sig_ids);
  for (uint32_t i = 0; i < n_funcs; ++i) meta[L.addr_off + i] = i;  // handles are function indices
  if (!img.memories.empty()) {
    const vm::ImageMemory& m = img.memories[0];
    if (m.min > lim.max_pages) {
      return fail(ProgramError::TooLarge, fmt::format("memory of {} pages; a process may hold {} (--max-pages)",
                                                      m.min, lim.max_pages));
    }
    meta[VM_META_HAS_MEMORY] = 1;
    meta[VM_META_MEM_PAGES] = m.min;
    meta[VM_META_MEM_CAP_PAGES] = std::min(m.max == kNone ? 65536u : m.max, lim.max_pages);
    d.mem_pages = m.min;
    d.has_memory = 1;
  }
  // tables (each with its growth room), then elem items: two block words
  // each, counted before anything is sized from them.
  uint64_t tab_elems = 0;
  for (const vm::ImageTable& t : img.tables) {
    const uint64_t max = t.max == kNone ? 0xffffffffull : t.max;
    tab_elems += std::max<uint64_t>(t.min, std::min<uint64_t>(max, uint64_t{t.min} + lim.table_headroom));
  }
  for (const vm::ImageElem& e : img.elems) tab_elems += e.items.size();
  if (2 * tab_elems + L.words > parts_max_words(lim)) {
    return fail(ProgramError::TooLarge,
                fmt::format("its tables need {} elements ({} words) with their growth room, and its meta {} ({})",
                            tab_elems, 2 * tab_elems, L.words, parts_bound(lim)));
  }
  std::vector<uint64_t> tabs;
  tabs.reserve(tab_elems);
  for (size_t i = 0; i < img.tables.size(); ++i) {
    const vm::ImageTable& t = img.tables[i];
    const uint64_t max = t.max == kNone ? 0xffffffffull : t.max;
    const uint32_t cap = u32(std::max<uint64_t>(t.min, std::min<uint64_t>(max, uint64_t{t.min} + lim.table_headroom)));
    uint32_t* td = &meta[L.tables_off + i * VM_DESC_WORDS];
    td[VM_TD_BASE] = u32(tabs.size());
    td[VM_TD_SIZE] = t.min;
    td[VM_TD_CAP] = cap;
    tabs.resize(tabs.size() + cap, 0);
  }
  for (size_t i = 0; i < img.elems.size(); ++i) {
    uint32_t* ed = &meta[L.elem_off + i * VM_DESC_WORDS];
    ed[VM_SD_BASE] = u32(tabs.size());
    ed[VM_SD_LEN] = u32(img.elems[i].items.size());
    for (const InitExpr& item : img.elems[i].items) {
      auto v = const_value(item, "an element item");
      if (!v) return fail(v.code(), v.detail());
      tabs.push_back(*v);
    }
  }
  // data segments, each on a word
  std::vector<uint32_t> seg;
  for (size_t i = 0; i < img.data.size(); ++i) {
    uint32_t* dd = &meta[L.data_off + i * VM_DESC_WORDS];
    dd[VM_SD_BASE] = u32(seg.size() * 4);
    dd[VM_SD_LEN] = u32(img.data[i].bytes.size());
    const size_t at = seg.size();
    seg.resize(at + (img.data[i].bytes.size() + 3) / 4, 0);
    if (!img.data[i].bytes.empty()) std::memcpy(seg.data() + at, img.data[i].bytes.data(), img.data[i].bytes.size());
  }
  d.meta_off = align_line(w);
  d.meta_words = u32(meta.size());
  w.insert(w.end(), meta.begin(), meta.end());
  d.globals_off = align_line(w);
  d.num_globals = u32(img.globals.size());
  for (const vm::ImageGlobal& g : img.globals) {
    auto v = const_value(g.init, "a global's initialiser");
    if (!v) return fail(v.code(), v.detail());
    w.push_back(uint32_t(*v));
    w.push_back(uint32_t(*v >> 32));
  }
  d.tabs_off = align_line(w);
  d.tab_elems = u32(tabs.size());
  for (uint64_t t : tabs) {
    w.push_back(uint32_t(t));
    w.push_back(uint32_t(t >> 32));
  }
  d.seg_off = align_line(w);
  w.insert(w.end(), seg.begin(), seg.end());
  align_line(w);
  d.entry_func = prog.start_func;

  // Block layout: registers, heap state and page table (BLK_*), then meta,
  // globals and tables (8-byte aligned), the control stack, the slots.
  // Parts that leave the block too little room for the stack's start go to
  // a run of arena pages of their own, in the same order from word 0.
  auto even = [](uint32_t x) { return (x + 1) & ~1u; };
  const uint32_t table_end = BLK_PAGE_TABLE + pt_block_words(lim.max_pages);
  auto place_parts = [&](uint32_t at) {
    d.blk_meta = at;
    d.blk_globals = even(d.blk_meta + d.meta_words);
    d.blk_tabs = even(d.blk_globals + 2 * d.num_globals);
    return d.blk_tabs + 2 * d.tab_elems;  // where the parts end
  };
  // The control stack takes 2 words per call level; the slots get the rest.
  const uint32_t min_slots = min_frame_slots(img);
  auto spare_after = [&](uint32_t ctl) { return int64_t{lim.block_words} - ctl - 2 * int64_t{min_slots} - 2; };
  d.blk_ctl = place_parts(table_end);
  d.parts_pages = 0;
  if (spare_after(d.blk_ctl) < 2 * 16) {
    const uint32_t parts_words = place_parts(0);
    d.parts_pages = parts_run_pages(parts_words);
    d.blk_ctl = table_end;
    if (uint64_t{d.mem_pages} + d.parts_pages > lim.max_pages) {
      return fail(ProgramError::TooLarge,
                  fmt::format("its memory ({} pages) and its meta, globals and tables ({} words, {} pages) are more "
                              "than a process may hold ({} pages; --max-pages)",
                              d.mem_pages, parts_words, d.parts_pages, lim.max_pages));
    }
  }
  const int64_t spare = spare_after(d.blk_ctl);
  if (spare < 2 * 16) {
    return fail(ProgramError::TooLarge,
                fmt::format("a process block of {} words (--block-kib) leaves {} past its page table; the call "
                            "stack needs at least {} (frames of {} slots, 16 calls)",
                            lim.block_words, int64_t{lim.block_words} - table_end, 2 * int64_t{min_slots} + 2 + 32,
                            min_slots));
  }
  // The stack starts in the block and moves to arena pages when a call
  // finds it full (shaders/proc/stack.glsl), up to depth_cap levels.
  d.depth_limit = std::min({lim.block_depth, lim.max_depth, uint32_t(spare / 2)});
  d.depth_cap = lim.max_depth;
  d.blk_slots = even(d.blk_ctl + 2 * d.depth_limit);
  d.slot_limit = (lim.block_words - d.blk_slots) / 2;
  d.state = 1;
  return prog;
}

void rebase(ProgramDesc& d, uint32_t base) {
  for (uint32_t* f : {&d.code_off, &d.funcs_off, &d.meta_off, &d.globals_off, &d.tabs_off, &d.seg_off}) *f += base;
}

std::string describe_trap(const ProcessProgram& program, uint32_t trap_kind, uint32_t trap_pc) {
  vm::ref::Trap t;
  t.kind = static_cast<vm::TrapKind>(trap_kind < 0x100 ? trap_kind : uint32_t(vm::TrapKind::HostError));
  if (const vm::DebugEntry* e = program.image.locate(trap_pc)) {
    t.func = e->func;
    t.wasm_offset = e->wasm_offset;
    t.function_name = std::string(program.image.function_name(e->func));
  }
  std::string s = t.describe();
  if (trap_kind >= 0x100) s = fmt::format("unsupported by the GPU interpreter (0x{:x})", trap_kind);
  return s;
}

Result<uint32_t, ProgramError> block_words_for(std::span<const uint8_t> wasm, std::string name,
                                              ProcessLimits limits) {
  // Prepared in a block too large to matter, the layout shows where the
  // control stack ends for the full depth; the frames need their slots past it.
  limits.block_words = 1u << 24;
  auto prog = prepare_program(wasm, std::move(name), limits);
  if (!prog) return fail(prog.code(), prog.detail());
  return prog->desc.blk_slots + 2 * min_frame_slots(prog->image);
}

}  // namespace gpuos::procs

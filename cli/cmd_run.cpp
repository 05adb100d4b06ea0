// `gpuos run --invoke NAME module.wasm [ARGS...]`: decode, validate and
// translate the module on the host, instantiate it, run the export on the
// GPU (the VM interpreter, procs/vm/gpu_exec.h) and print its results, one
// per line. A trap goes to stderr with its kind, function and offset, and
// the exit status is EXIT_TRAPPED; a module that cannot run gives
// EXIT_CANNOT_RUN (EXIT_NOT_FOUND when missing), a bad export name or
// argument EXIT_GPUOS, as `run` of a program does (exit_codes.h).
//
// Arguments are parsed by the export's parameter types: integers in decimal
// or 0x hex (negative values wrap, as WebAssembly integers have no sign),
// floats as C numbers ("nan", "inf" too). Results print i32/i64 as signed
// decimal and floats with full precision.
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/json_out.h"
#include "kernel/text_escape.h"
#include "procs/vm/gpu_exec.h"
#include "procs/vm/translator.h"
#include "procs/wasm/decoder.h"
#include "procs/wasm/module_file.h"

namespace gpuos::cli {

namespace {

using vm::ref::Slot;
using wasm::ValType;

// A table of the instance is a vector of 8-byte slots on the host and on
// the GPU: 2^20 entries (8 MiB) is far above what compilers emit.
constexpr uint32_t kInvokeMaxTableEntries = 1u << 20;

std::optional<Slot> parse_arg(ValType t, const std::string& text) {
  errno = 0;
  char* end = nullptr;
  switch (t) {
    case ValType::I32:
    case ValType::I64: {
      const bool neg = !text.empty() && text[0] == '-';
      const uint64_t mag = std::strtoull(text.c_str() + (neg ? 1 : 0), &end, 0);
      if (text.empty() || *end != '\0' || errno == ERANGE) return std::nullopt;
      if (t == ValType::I32 && mag > (neg ? 0x80000000ull : 0xFFFFFFFFull)) return std::nullopt;
      const uint64_t v = neg ? (~mag + 1) : mag;
      return t == ValType::I32 ? Slot(uint32_t(v)) : Slot(v);
    }
    case ValType::F32: {
      const float f = std::strtof(text.c_str(), &end);
      if (text.empty() || *end != '\0') return std::nullopt;
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      return Slot(bits);
    }
    case ValType::F64: {
      const double d = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0') return std::nullopt;
      uint64_t bits;
      std::memcpy(&bits, &d, 8);
      return Slot(bits);
    }
    default: return std::nullopt;  // references cannot be typed on a command line
  }
}

std::string format_result(ValType t, Slot s) {
  switch (t) {
    case ValType::I32: return std::to_string(int32_t(uint32_t(s)));
    case ValType::I64: return std::to_string(int64_t(s));
    case ValType::F32: {
      const uint32_t bits = uint32_t(s);
      float f;
      std::memcpy(&f, &bits, 4);
      return std::isnan(f) ? fmt::format("nan:0x{:08x}", bits) : fmt::format("{:.9g}", f);
    }
    case ValType::F64: {
      double d;
      std::memcpy(&d, &s, 8);
      return std::isnan(d) ? fmt::format("nan:0x{:016x}", s) : fmt::format("{:.17g}", d);
    }
    default: return s == 0 ? "null" : fmt::format("ref:{}", s);  // 0 is the null reference
  }
}

}  // namespace

int cmd_run(const RunArgs& a) {
  auto bytes = wasm::read_module_file(a.module);
  if (!bytes) {
    report_error("gpuos: run: %s\n", escape_text(bytes.detail()).c_str());
    return exit_for_module_file(bytes.code());
  }
  // What the store below allocates is sized from the module's declarations:
  // bounded here, before any of it exists (the GPU copy of memory is capped
  // at GpuLimits::mem_cap_pages anyway).
  vm::gpu::GpuLimits limits;
  limits.max_depth = a.max_call_depth;
  // --tier compiled: the export runs as compiled code (procs/jit); auto and
  // interp run it on the interpreter, since one call would wait for a compile.
  if (a.tier == Tier::Compiled) limits.tier = vm::gpu::Tier::Compiled;
  if (a.boot_max_pages) limits.mem_cap_pages = *a.boot_max_pages;
  wasm::DecodeLimits decode;
  decode.memory_pages = limits.mem_cap_pages;
  decode.memory_pages_source = "`run --invoke` memory pages; --max-pages";
  decode.table_entries = kInvokeMaxTableEntries;
  decode.source = "`run --invoke` implementation limit";
  auto module = wasm::load_module(*bytes, decode);
  if (!module) {
    report_error("gpuos: %s: %s\n", a.module.c_str(), escape_text(module.detail()).c_str());
    return EXIT_CANNOT_RUN;
  }
  auto image = vm::translate(module.value());
  if (!image) {
    report_error("gpuos: %s: cannot translate: %s\n", a.module.c_str(), image.detail().c_str());
    return EXIT_CANNOT_RUN;
  }
  auto shared = std::make_shared<const vm::ProgramImage>(std::move(image.value()));
  if (!shared->imports.empty()) {
    const auto& i = shared->imports.front();
    report_error("gpuos: %s imports %s.%s; `gpuos run --invoke` provides no imports yet\n",
                 a.module.c_str(), escape_text(i.module).c_str(), escape_text(i.name).c_str());
    return EXIT_CANNOT_RUN;
  }

  // The export and its type.
  const vm::ImageExport* exp = nullptr;
  for (const auto& e : shared->exports) {
    if (e.name == a.invoke && e.kind == vm::ExternKind::Func) exp = &e;
  }
  if (!exp) {
    std::string names;
    for (const auto& e : shared->exports) {
      if (e.kind == vm::ExternKind::Func) names += (names.empty() ? "" : ", ") + escape_text(e.name);
    }
    report_error("gpuos: %s exports no function '%s' (it exports: %s)\n", a.module.c_str(),
                 a.invoke.c_str(), names.empty() ? "none" : names.c_str());
    return EXIT_GPUOS;
  }
  const auto& fn = shared->functions[exp->index];
  const auto& type = shared->types[fn.type_index];
  if (a.args.size() != type.params.size()) {
    report_error("gpuos: '%s' takes %zu argument(s), %zu given\n", a.invoke.c_str(), type.params.size(),
                 a.args.size());
    return EXIT_GPUOS;
  }
  vm::gpu::Invocation inv;
  inv.func = exp->index;
  for (size_t i = 0; i < a.args.size(); ++i) {
    auto v = parse_arg(type.params[i], a.args[i]);
    if (!v) {
      report_error("gpuos: argument %zu ('%s') is not a valid %s\n", i + 1, a.args[i].c_str(),
                   wasm::to_string(type.params[i]));
      return EXIT_GPUOS;
    }
    inv.args.push_back(*v);
  }

  auto gpu = vm::gpu::GpuVm::create(limits);
  if (!gpu) {
    report_error("gpuos: %s\n", gpu.error().detail.c_str());
    return EXIT_GPUOS;
  }
  vm::ref::Store store;
  auto instance = store.instantiate(shared, {});
  if (!instance) {
    report_error("gpuos: %s: instantiation failed: %s\n", a.module.c_str(),
                 escape_text(instance.detail()).c_str());
    return instance.code() == vm::ref::InstantiateError::Trap ? EXIT_TRAPPED : EXIT_CANNOT_RUN;
  }
  std::vector<vm::gpu::SegmentState> segments;
  const auto outcomes = gpu.value()->run(store, instance.value(), segments, std::span(&inv, 1));
  const auto& out = outcomes.at(0);
  if (out.kind == vm::gpu::Outcome::Kind::Unsupported) {
    report_error("gpuos: the GPU interpreter cannot run this yet: %s\n", out.detail.c_str());
    return EXIT_CANNOT_RUN;
  }
  if (out.kind == vm::gpu::Outcome::Kind::Trap) {
    std::string where;
    if (const auto* d = shared->locate(out.pc)) {
      const std::string_view name = shared->function_name(d->func);
      where = fmt::format(" in function {}{} at wasm offset 0x{:x}", d->func,
                          name.empty() ? "" : fmt::format(" '{}'", escape_text(name)), d->wasm_offset);
    }
    report_error("gpuos: trap: %s%s\n", vm::trap_message(out.trap), where.c_str());
    // The error line, with the trap's kind on its own for scripts.
    return finish_json(EXIT_TRAPPED, {{"trap", vm::trap_message(out.trap)}});
  }
  nlohmann::json results = nlohmann::json::array();
  for (size_t i = 0; i < out.results.size() && i < type.results.size(); ++i) {
    const std::string r = format_result(type.results[i], out.results[i]);
    if (a.json) {
      results.push_back({{"type", wasm::to_string(type.results[i])}, {"value", r}});
    } else {
      std::printf("%s\n", r.c_str());
    }
  }
  if (a.json) {
    print_json({{"device", gpu.value()->device_name()}, {"instructions", out.ticks}, {"results", results}});
  }
  return EXIT_OK;
}

}  // namespace gpuos::cli

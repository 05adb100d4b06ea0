// vm_common.cpp: see vm_common.h.
#include "bench/vm/vm_common.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "procs/vm/translator.h"
#include "procs/wasm/decoder.h"

namespace gpuos::bench::vmb {

std::string si(double v) {
  if (v >= 1e9) return fmt::format("{:.2f} G", v / 1e9);
  if (v >= 1e6) return fmt::format("{:.2f} M", v / 1e6);
  if (v >= 1e3) return fmt::format("{:.2f} k", v / 1e3);
  return fmt::format("{:.2f} ", v);
}

std::optional<std::vector<uint8_t>> read_file(const std::string& path, std::string& why) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    why = fmt::format("cannot read {}: {}", path, std::strerror(errno));
    return std::nullopt;
  }
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), {});
}

std::optional<Module> load(std::span<const uint8_t> bytes, const std::string& label, std::string& why) {
  auto module = gpuos::wasm::load_module(bytes);
  if (!module) {
    why = fmt::format("{}: {}", label, module.detail());
    return std::nullopt;
  }
  auto image = vm::translate(module.value());
  if (!image) {
    why = fmt::format("{}: cannot translate: {}", label, image.detail());
    return std::nullopt;
  }
  Module m;
  m.image = std::make_shared<const vm::ProgramImage>(std::move(image.value()));
  int found = 0;
  for (const auto& e : m.image->exports) {
    if (e.name == "run" && e.kind == vm::ExternKind::Func) m.run_func = e.index, found |= 1;
    if (e.name == "idle" && e.kind == vm::ExternKind::Func) m.idle_func = e.index, found |= 2;
  }
  if (found != 3) {
    why = fmt::format("{} does not export both 'run' and 'idle'", label);
    return std::nullopt;
  }
  return m;
}

std::optional<Module> load(const std::string& path, std::string& why) {
  const auto bytes = read_file(path, why);
  if (!bytes) return std::nullopt;
  return load(*bytes, path, why);
}

RefResult reference(const Module& m, std::string_view name, std::span<const vm::ref::Slot> args) {
  RefResult r;
  vm::ref::Store store;
  auto id = store.instantiate(m.image, {});
  if (!id) {
    r.error = "instantiation failed: " + id.detail();
    return r;
  }
  const auto exp = store.instance(*id).find_export(name);
  if (!exp || exp->kind != vm::ExternKind::Func) {
    r.error = fmt::format("no function export '{}'", name);
    return r;
  }
  store.invoke(exp->addr, args);  // the first call also sets up the store's slot array
  const auto t0 = Clock::now();
  auto res = store.invoke(exp->addr, args);
  r.seconds = seconds_since(t0);
  if (res.trap) {
    r.error = "trap: " + res.trap.describe();
    return r;
  }
  if (res.results.empty()) {
    r.error = fmt::format("'{}' returned no result", name);
    return r;
  }
  r.ok = true;
  r.checksum = res.results[0];
  return r;
}

RefResult reference(const Module& m, uint32_t base, uint32_t iters) {
  const vm::ref::Slot args[2] = {base, iters};
  return reference(m, "run", args);
}

std::optional<std::string> which(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (!path) return std::nullopt;
  std::stringstream ss(path);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    const std::string p = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return std::nullopt;
}

std::string sh_quote(const std::string& s) {
  std::string o = "'";
  for (char c : s) o += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return o + "'";
}

std::optional<std::string> add_to_module(const std::string& wat, const std::string& funcs) {
  const size_t close = wat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  return wat.substr(0, close) + funcs + wat.substr(close);
}

std::optional<std::string> build_wat(const std::string& wat2wasm, const std::string& base, const std::string& text,
                                     std::string& why) {
  {
    std::ofstream o(base + ".wat");
    o << text;
    if (!o) {
      why = fmt::format("cannot write {}.wat", base);
      return std::nullopt;
    }
  }
  // Its messages go to stderr: stdout carries only the table or the JSON.
  const std::string c = fmt::format("{} {} -o {} >&2", sh_quote(wat2wasm), sh_quote(base + ".wat"), sh_quote(base + ".wasm"));
  if (std::system(c.c_str()) != 0) {
    why = fmt::format("wat2wasm failed on {}.wat", base);
    return std::nullopt;
  }
  return base + ".wasm";
}

}  // namespace gpuos::bench::vmb

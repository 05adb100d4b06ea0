#include "contracts/ref_host.h"

#include <cstring>
#include <memory>
#include <span>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "procs/vm/ref_exec.h"
#include "procs/vm/translator.h"
#include "procs/wasm/decoder.h"

namespace gpuos::contracts {
namespace {

using vm::TrapKind;
using vm::ref::Slot;
using wasm::ValType;

// The alkanes limits (../shared/alkanes/README.md): the host grows memory to
// 512 pages before __execute; memory may not pass 43,554,432 bytes.
constexpr uint32_t kExecutePages = 512;
constexpr uint32_t kMaxMemoryPages = 43'554'432 / vm::ref::kPageSize;

std::string u64_le(uint64_t v) {
  std::string out(8, '\0');
  for (size_t i = 0; i < 8; ++i, v >>= 8) out[i] = static_cast<char>(v & 0xff);
  return out;
}

void put_u128(std::string& out, u128 v) {
  for (int i = 0; i < 16; ++i, v >>= 8) out.push_back(static_cast<char>(v & 0xff));
}

// Reads the response __execute pointed at (its length at ptr - 4).
struct ResponseReader {
  std::string_view bytes;
  size_t at = 0;
  bool take(size_t n, std::string_view& out) {
    if (bytes.size() - at < n) return false;
    out = bytes.substr(at, n);
    at += n;
    return true;
  }
  // A little-endian unsigned number of sizeof(T) bytes.
  template <typename T>
  bool le(T& v) {
    std::string_view b;
    if (!take(sizeof(T), b)) return false;
    v = 0;
    for (size_t i = sizeof(T); i-- > 0;) v = v << 8 | static_cast<unsigned char>(b[i]);
    return true;
  }
};

std::optional<std::string> parse_response(std::string_view bytes, CallResponse& r) {
  ResponseReader rd{bytes};
  u128 n_transfers = 0;
  if (!rd.le(n_transfers)) return "the response is shorter than its transfer count";
  if (n_transfers > bytes.size() / 48) return "the response's transfer count is larger than the response";
  for (u128 i = 0; i < n_transfers; ++i) {
    Transfer t;
    if (!rd.le(t.id.block) || !rd.le(t.id.tx) || !rd.le(t.value)) return "a transfer is cut short";
    r.transfers.push_back(t);
  }
  uint32_t n_writes = 0;
  if (!rd.le(n_writes)) return "the response is shorter than its storage count";
  for (uint32_t i = 0; i < n_writes; ++i) {
    uint32_t kl = 0, vl = 0;
    std::string_view k, v;
    if (!rd.le(kl) || !rd.take(kl, k) || !rd.le(vl) || !rd.take(vl, v)) return "a storage write is cut short";
    r.storage.emplace_back(k, v);
  }
  r.data = bytes.substr(rd.at);
  return std::nullopt;
}

}  // namespace

const char* to_string(CallError e) {
  switch (e) {
    case CallError::BadModule: return "bad module";
    case CallError::Unsupported: return "unsupported";
  }
  return "?";
}

std::string encode_context(const CallInput& in) {
  std::string c;
  put_u128(c, in.myself.block);
  put_u128(c, in.myself.tx);
  put_u128(c, in.caller.block);
  put_u128(c, in.caller.tx);
  put_u128(c, in.vout);
  put_u128(c, in.incoming.size());
  for (const Transfer& t : in.incoming) {
    put_u128(c, t.id.block);
    put_u128(c, t.id.tx);
    put_u128(c, t.value);
  }
  for (u128 v : in.inputs) put_u128(c, v);
  return c;
}

Result<ContractImage, CallError> prepare_contract(std::string_view wasm_bytes) {
  auto module = wasm::load_module(
      std::span(reinterpret_cast<const uint8_t*>(wasm_bytes.data()), wasm_bytes.size()));
  if (!module) return fail(CallError::BadModule, module.detail());
  auto translated = vm::translate(*module, {.meter_fuel = true});
  if (!translated) return fail(CallError::BadModule, translated.detail());
  if (translated->memories.size() != 1) return fail(CallError::BadModule, "a contract has exactly one memory");
  return ContractImage(std::make_shared<const vm::ProgramImage>(std::move(translated.value())));
}

Result<CallResponse, CallError> run_call_ref(const ContractImage& image, const CallInput& in,
                                             const StorageReader& read) {
  vm::ref::Store store;
  store.set_fuel(in.fuel);
  uint32_t mem_addr = vm::kNone;  // set after instantiation; the imports reach memory through it
  CallResponse response;
  bool aborted = false;
  const std::string context = encode_context(in);

  // Guest memory helpers: every access is bounds-checked (a bad pointer traps).
  auto memory = [&]() -> vm::ref::MemoryBytes& { return store.memory(mem_addr).bytes; };
  auto read_buffer = [&](uint32_t ptr, std::string& out) -> bool {  // length at ptr - 4
    auto& m = memory();
    if (ptr < 4 || ptr > m.size()) return false;
    uint32_t len = 0;
    std::memcpy(&len, m.data() + ptr - 4, 4);
    if (len > m.size() - ptr) return false;
    out.assign(reinterpret_cast<const char*>(m.data() + ptr), len);
    return true;
  };
  // How alkanes' reference host hands a buffer to the guest: the length as
  // a 64-bit little-endian word at ptr - 4 (so its upper half lands on the
  // first 4 bytes of the buffer), then the data at ptr over it. The call
  // returns ptr. Done the same way here, so short buffers end alike.
  auto send_buffer = [&](uint32_t ptr, std::string_view data) -> bool {
    auto& m = memory();
    const uint64_t len = data.size();
    if (ptr < 4 || ptr > m.size() || m.size() - ptr < std::max<uint64_t>(len, 4)) return false;
    for (int i = 0; i < 8; ++i) m[ptr - 4 + static_cast<uint32_t>(i)] = static_cast<uint8_t>(len >> (8 * i));
    std::memcpy(m.data() + ptr, data.data(), data.size());
    return true;
  };
  // A host function's cost is checked, not taken, as alkanes' host does
  // (docs/contracts.md, "Fuel"): less fuel left than it costs fails the call.
  auto affordable = [&](uint64_t cost) { return store.fuel().value_or(0) >= cost; };
  // The key at key_ptr and its value; false when the key is out of bounds.
  auto storage_value = [&](uint32_t key_ptr, std::string& key, std::string& value) -> bool {
    if (!read_buffer(key_ptr, key)) return false;
    value = read(in.myself, key).value_or(std::string());
    return true;
  };

  using FT = wasm::FuncType;
  const ValType I32 = ValType::I32;
  std::vector<vm::ref::Extern> imports;
  for (const vm::ImageImport& imp : image->imports) {
    if (imp.kind != wasm::ExternKind::Func || imp.module != "env") {
      return fail(CallError::Unsupported,
                  fmt::format("it imports {}.{}, which is not a function of module env", imp.module, imp.name));
    }
    FT type;
    vm::ref::HostFn fn;
    const std::string& n = imp.name;
    if (n == "abort") {
      type = {{I32, I32, I32, I32}, {}};
      fn = [&](auto, auto) {
        aborted = true;  // not a trap: the contract goes on to return its response
        return TrapKind::None;
      };
    } else if (n == "__request_context") {
      type = {{}, {I32}};
      fn = [&](auto, std::span<Slot> res) {
        if (!affordable(context.size())) return TrapKind::OutOfFuel;
        res[0] = context.size();
        return TrapKind::None;
      };
    } else if (n == "__load_context") {
      type = {{I32}, {I32}};
      fn = [&](std::span<const Slot> a, std::span<Slot> res) {
        if (!affordable(2 * context.size())) return TrapKind::OutOfFuel;
        if (!send_buffer(static_cast<uint32_t>(a[0]), context)) return TrapKind::MemoryOutOfBounds;
        res[0] = static_cast<uint32_t>(a[0]);
        return TrapKind::None;
      };
    } else if (n == "__request_storage") {
      type = {{I32}, {I32}};
      fn = [&](std::span<const Slot> a, std::span<Slot> res) {
        std::string key, v;
        if (!storage_value(static_cast<uint32_t>(a[0]), key, v)) return TrapKind::MemoryOutOfBounds;
        if (!affordable(key.size() + v.size())) return TrapKind::OutOfFuel;
        res[0] = v.size();
        return TrapKind::None;
      };
    } else if (n == "__load_storage") {
      type = {{I32, I32}, {I32}};
      fn = [&](std::span<const Slot> a, std::span<Slot> res) {
        std::string key, v;
        if (!storage_value(static_cast<uint32_t>(a[0]), key, v)) return TrapKind::MemoryOutOfBounds;
        if (!affordable(2 * v.size())) return TrapKind::OutOfFuel;
        if (!send_buffer(static_cast<uint32_t>(a[1]), v)) return TrapKind::MemoryOutOfBounds;
        res[0] = static_cast<uint32_t>(a[1]);
        return TrapKind::None;
      };
    } else if (n == "__height") {
      type = {{I32}, {}};
      fn = [&](std::span<const Slot> a, auto) {
        if (!affordable(10)) return TrapKind::OutOfFuel;
        return send_buffer(static_cast<uint32_t>(a[0]), u64_le(in.height)) ? TrapKind::None
                                                                           : TrapKind::MemoryOutOfBounds;
      };
    } else if (n == "__fuel") {
      type = {{I32}, {}};
      fn = [&](std::span<const Slot> a, auto) {
        if (!affordable(5)) return TrapKind::OutOfFuel;
        return send_buffer(static_cast<uint32_t>(a[0]), u64_le(store.fuel().value_or(0))) ? TrapKind::None
                                                                                          : TrapKind::MemoryOutOfBounds;
      };
    } else if (n == "__log") {
      type = {{I32}, {}};
      fn = [&](std::span<const Slot> a, auto) {
        std::string text;
        if (!read_buffer(static_cast<uint32_t>(a[0]), text)) return TrapKind::MemoryOutOfBounds;
        spdlog::debug("contract {}: {}", to_string(in.myself), text);
        return TrapKind::None;
      };
    } else if (n == "__request_transaction") {
      type = {{}, {I32}};
      fn = [&](auto, std::span<Slot> res) {
        if (!affordable(50)) return TrapKind::OutOfFuel;
        res[0] = in.tx.size();
        return TrapKind::None;
      };
    } else if (n == "__load_transaction") {
      type = {{I32}, {}};
      fn = [&](std::span<const Slot> a, auto) {
        if (!affordable(500)) return TrapKind::OutOfFuel;
        return send_buffer(static_cast<uint32_t>(a[0]), in.tx) ? TrapKind::None : TrapKind::MemoryOutOfBounds;
      };
    } else {
      return fail(CallError::Unsupported, fmt::format("it imports env.{}, which gpuos does not provide yet", n));
    }
    imports.push_back({wasm::ExternKind::Func, store.add_host_func(type, std::move(fn))});
  }

  auto id = store.instantiate(image, imports);
  if (!id) return fail(CallError::BadModule, fmt::format("instantiation failed: {}", id.detail()));
  const vm::ref::Instance& inst = store.instance(*id);
  mem_addr = inst.memories.at(0);
  auto& mem = store.memory(mem_addr);
  mem.max_pages = std::min(mem.max_pages, kMaxMemoryPages);
  if (mem.pages() < kExecutePages) vm::ref::Store::grow_memory(mem, kExecutePages - mem.pages());
  auto exec = inst.find_export("__execute");
  if (!exec || exec->kind != wasm::ExternKind::Func) return fail(CallError::BadModule, "it exports no __execute");

  const vm::ref::InvokeResult r = store.invoke(exec->addr, {});
  // An out-of-fuel call used all of it: what was left could not pay for
  // the next region.
  response.fuel_used = r.trap.kind == TrapKind::OutOfFuel ? in.fuel : in.fuel - store.fuel().value_or(0);
  if (r.trap) {
    response.failure = r.trap.kind == TrapKind::OutOfFuel ? "out of fuel: " + r.trap.describe()
                                                          : "trap: " + r.trap.describe();
    return response;
  }
  std::string bytes;
  if (r.results.size() != 1 || !read_buffer(static_cast<uint32_t>(r.results[0]), bytes)) {
    response.failure = "__execute returned no readable response";
    return response;
  }
  if (auto bad = parse_response(bytes, response)) {
    response = CallResponse{};
    response.failure = *bad;
    return response;
  }
  if (aborted) {
    // Reverted: the data stays (it says why), the effects go.
    response.failure = "abort";
    response.transfers.clear();
    response.storage.clear();
    return response;
  }
  response.ok = true;
  return response;
}

}  // namespace gpuos::contracts

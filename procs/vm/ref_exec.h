// ref_exec.h: CPU reference executor of VM bytecode (the test oracle).
//
// It runs a ProgramImage exactly as the GPU interpreter will: the same
// 64-bit slot frames laid out back to back in one slot array, the same
// instruction words, the same trap kinds, with WebAssembly semantics
// (wrapping integers, IEEE f32/f64 with the spec's NaN rules, bounds-checked
// memory and tables). It is deliberately simple rather than fast.
//
// The object model follows the spec's store: a Store owns every function,
// table, memory, global and instance, all named by address (index into the
// store's vectors), so instances can share imports (spec tests link modules
// together). Host functions are callbacks; a host module such as the spec
// tests' "spectest" is a set of store objects exported by name
// (tests/spec/spectest_host.h).
//
// Reference values in slots and tables: 0 is null; a funcref is its store
// function address + 1; an externref is whatever the host put there
// (nonzero). ref.func in bytecode names a function of the running instance
// and is resolved through the instance's function addresses.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kernel/result.h"
#include "procs/vm/bytecode.h"
#include "procs/vm/image.h"

namespace gpuos::vm::ref {

using Slot = uint64_t;
inline constexpr uint32_t kPageSize = 65536;
inline constexpr uint32_t kMaxPages = 65536;

// Result of running code: a trap kind (None: success), with where it happened.
struct Trap {
  TrapKind kind = TrapKind::None;
  uint32_t func = kNone;         // function index in its module, when known
  uint32_t wasm_offset = 0;      // byte offset of the wasm instruction, when known
  std::string function_name;     // from the name section, when known
  explicit operator bool() const { return kind != TrapKind::None; }
  std::string describe() const;  // "integer overflow in function 3 "f" at 0x4a"
};

// A host function reads its arguments and writes its results (both slots);
// returning anything but TrapKind::None traps the caller.
using HostFn = std::function<TrapKind(std::span<const Slot> args, std::span<Slot> results)>;

struct FuncInst {
  wasm::FuncType type;
  uint32_t instance = kNone;  // defining instance, or kNone for host functions
  uint32_t index = 0;         // function index within that instance's image
  HostFn host;
};

struct TableInst {
  ValType elem_type = ValType::FuncRef;
  std::vector<Slot> elems;
  uint32_t max = kNone;
};

// A linear memory's bytes. Storage comes from calloc, which for large
// blocks hands out fresh pages the kernel zeroes on first touch, and
// growing default-initialises, writing nothing: the new bytes are calloc's
// zeros. That holds because a memory never shrinks, so no byte past size()
// was ever written. Zeroing 512 pages by hand cost a contract call ~15 ms
// (docs/contracts.md).
template <typename T>
struct ZeroedAllocator {
  using value_type = T;
  ZeroedAllocator() = default;
  template <typename U>
  ZeroedAllocator(const ZeroedAllocator<U>&) noexcept {}
  T* allocate(size_t n) {
    void* p = std::calloc(n, sizeof(T));
    if (p == nullptr) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t) noexcept { std::free(p); }
  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;  // default-initialised: calloc's zero stays
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
  template <typename U>
  bool operator==(const ZeroedAllocator<U>&) const noexcept {
    return true;
  }
};
using MemoryBytes = std::vector<uint8_t, ZeroedAllocator<uint8_t>>;

struct MemoryInst {
  MemoryBytes bytes;  // never shrinks
  uint32_t max_pages = kNone;
  uint32_t pages() const { return static_cast<uint32_t>(bytes.size() / kPageSize); }
};

struct GlobalInst {
  ValType type = ValType::I32;
  bool is_mutable = false;
  Slot value = 0;
};

struct Extern {
  ExternKind kind = ExternKind::Func;
  uint32_t addr = 0;  // store address of that kind
};

struct Instance {
  std::shared_ptr<const ProgramImage> image;
  std::vector<uint32_t> funcs, tables, memories, globals;  // store addresses by index
  std::vector<std::vector<Slot>> elems;                    // element segments (dropped: empty)
  std::vector<bool> data_dropped;
  std::optional<Extern> find_export(std::string_view name) const;
};

struct ExecLimits {
  uint32_t max_call_depth = 20000;  // nested wasm calls before CallStackExhausted
  uint32_t max_slots = 1u << 22;    // slot array size (32 MiB)
};

enum class InstantiateError { Unlinkable, Trap };

struct InvokeResult {
  Trap trap;
  std::vector<Slot> results;
};

class Store {
 public:
  explicit Store(ExecLimits limits = {}) : limits_(limits) {}

  uint32_t add_host_func(wasm::FuncType type, HostFn fn);
  uint32_t add_table(ValType elem_type, uint32_t min, uint32_t max, Slot init = 0);
  uint32_t add_memory(uint32_t min_pages, uint32_t max_pages);
  uint32_t add_global(ValType type, bool is_mutable, Slot value);

  // Links `imports` (one per image import, in order) and instantiates:
  // globals, tables, memories, element and data segments, start function.
  // Unlinkable: an import of the wrong kind or type ("incompatible import
  // type"). Trap: a segment out of bounds or a trapping start function; the
  // instance then still exists (its id is lost, as in the spec) and effects
  // on imported tables and memories remain.
  Result<uint32_t, InstantiateError> instantiate(std::shared_ptr<const ProgramImage> image,
                                                 std::span<const Extern> imports);

  // Calls store function `func_addr` with `args` (one slot per parameter).
  InvokeResult invoke(uint32_t func_addr, std::span<const Slot> args);

  // Fuel for metered code (TranslateOptions::meter_fuel): each Fuel
  // instruction takes its units, and memory.copy, memory.fill and
  // memory.init one unit per VM_FUEL_BYTES_PER_UNIT bytes (vm_abi.h, shared
  // with the GPU interpreter), before they run; a charge larger than what
  // is left traps OutOfFuel and takes nothing.
  // Unset (the default): nothing is charged.
  void set_fuel(std::optional<uint64_t> fuel) { fuel_ = fuel; }
  std::optional<uint64_t> fuel() const { return fuel_; }

  const Instance& instance(uint32_t id) const { return instances_[id]; }
  FuncInst& func(uint32_t addr) { return funcs_[addr]; }
  TableInst& table(uint32_t addr) { return tables_[addr]; }
  MemoryInst& memory(uint32_t addr) { return memories_[addr]; }
  GlobalInst& global(uint32_t addr) { return globals_[addr]; }
  ExecLimits& limits() { return limits_; }

  // Shared by the interpreter and instantiation (ref_instance.cpp).
  TrapKind table_init(Instance& inst, uint32_t table, uint32_t elem, uint32_t d, uint32_t s, uint32_t n);
  TrapKind memory_init(Instance& inst, uint32_t data, uint32_t d, uint32_t s, uint32_t n);
  static int32_t grow_memory(MemoryInst& mem, uint32_t delta);
  static int32_t grow_table(TableInst& table, uint32_t delta, Slot init);

 private:
  Slot eval(const Instance& inst, const InitExpr& e) const;
  InvokeResult run(uint32_t func_addr, std::span<const Slot> args);

  ExecLimits limits_;
  std::vector<FuncInst> funcs_;
  std::vector<TableInst> tables_;
  std::vector<MemoryInst> memories_;
  std::vector<GlobalInst> globals_;
  std::vector<Instance> instances_;
  // The call stack's frames, reused between invocations. Left uninitialised
  // (a call zeroes its locals; operand slots are written before they are
  // read): zeroing max_slots (32 MiB) cost every new Store about 15 ms of
  // page faults, half of a contract call (docs/contracts.md).
  std::unique_ptr<Slot[]> slots_;
  uint64_t slots_size_ = 0;
  std::optional<uint64_t> fuel_;
};


// WebAssembly numeric instructions (Form DA / DAB) on slots: writes the
// result to *dst, or returns the trap. Defined in ref_numeric.cpp.
TrapKind exec_numeric(Op op, Slot* dst, Slot a, Slot b);

}  // namespace gpuos::vm::ref

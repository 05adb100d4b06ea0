// translator.h: WebAssembly stack code -> gpuos VM slot bytecode.
//
// translate() turns a validated wasm::Module (load_module) into a
// ProgramImage: every defined function body becomes bytecode.h
// instructions over frame slots, with operand-stack positions resolved to
// slot indices and branch targets to absolute word offsets, and the
// module's declarations (types, imports, exports, globals, segments, ...)
// are copied into the image in executor-friendly form. The translation
// scheme is described in docs/vm.md ("Translation").
#pragma once

#include <cstdint>

#include "kernel/result.h"
#include "procs/vm/image.h"
#include "procs/wasm/module.h"

namespace gpuos::vm {

enum class TranslateError {
  Internal,       // the module was not valid after all (translate needs load_module's output)
  LimitExceeded,  // e.g. a frame larger than kMaxFrameSlots
};

// Largest frame one function may use (params + locals + operand stack).
inline constexpr uint32_t kMaxFrameSlots = 1u << 20;

struct TranslateOptions {
  // Fuel metering (contracts; docs/contracts.md, "Fuel"): a Fuel
  // instruction starts each region (the function body, each loop
  // iteration, each arm of an if) and charges, up front, one unit for every
  // instruction of the region outside its nested regions, structure
  // (block, loop, else, end) excepted. The same module always translates
  // to the same charges.
  bool meter_fuel = false;
};

// Precondition: `module` passed validate_module (load_module does both).
Result<ProgramImage, TranslateError> translate(const wasm::Module& module, const TranslateOptions& options = {});

// Appends the bytecode of defined function `func_index` to image.code and
// its debug entries to image.debug, and fills image.functions[func_index]
// (entry, frame_slots). Used by translate(); exposed for tests.
Result<void, TranslateError> translate_function(const wasm::Module& module, uint32_t func_index,
                                                ProgramImage& image, const TranslateOptions& options = {});

}  // namespace gpuos::vm

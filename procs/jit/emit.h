// emit.h: the compiled tier's code generator: GLSL for every defined
// function of a ProgramImage, to be compiled into the VM pipeline
// (shaders/vm/vm_run.comp with VM_JIT; docs/compiled-tier.md).
//
// The generated code is a prelude that every image shares, then a body per
// image whose names start with that image's prefix (EmitOptions::prefix):
// the standalone pipeline has one image (prefix "jit"), a kernel variant
// one body per compiled program (kernel_variant.h). Names:
//   r<i>           (prelude) register i: frame slot i of the running
//                  function, when that function keeps its frame in registers
//   jit_num_<op>   (prelude) numeric instruction op (numeric_source.h)
//   <p>_load_<f>   fills function f's registers from its frame in memory
//   <p>_spill_<f>  writes them back (before anything that reads the frame
//                  from memory: a call, a helper, a suspension)
//   zero           0 from the includer (JIT_RUNTIME_ZERO), opaque to the driver:
//                  constants and conversion results are XORed with it so
//                  that no IEEE-unsafe fold (x / 0.0, i64 -> f64 -> i64) applies
//   <p>_run        runs blocks until the lane leaves RUNNING, traps or uses
//                  its tick budget; blocks are `case <pc>:` of one switch
//   JIT_RETURN_TO | pc  (a case label) the return entry of the block at pc,
//                  which follows a call: reloads the registers live there
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "kernel/result.h"
#include "procs/vm/image.h"

namespace gpuos::jit {

enum class EmitError { BadCode, Numeric };

struct EmitOptions {
  // A function whose frame has more slots than this keeps it in memory
  // (every slot access a load or store, as in the interpreter, but with
  // no dispatch); the others keep it in registers.
  uint32_t max_register_slots = 64;
  // What the body's names start with: "jit" gives jit_run.
  std::string prefix = "jit";
};

struct EmittedModule {
  std::string glsl;  // prelude + body: a whole file for one image
  std::string body;  // the image's own code, its names prefixed
  std::set<uint16_t> numeric_ops;  // the numeric opcodes the body calls (jit_num_<op>)
  uint32_t functions = 0;         // defined functions compiled
  uint32_t register_functions = 0;  // of them, frames in registers
  uint32_t blocks = 0;
  uint32_t registers = 0;         // r0 .. r<registers-1>
};

Result<EmittedModule, EmitError> emit_module(const vm::ProgramImage& image, const EmitOptions& options = {});

// The shared part: registers r0 .. r<registers-1>, the numeric functions of
// `numeric_ops`, the JIT_* block numbers and the call registers.
Result<std::string, EmitError> emit_prelude(uint32_t registers, const std::set<uint16_t>& numeric_ops);

}  // namespace gpuos::jit

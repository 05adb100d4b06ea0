// emit.h: the compiled tier's code generator: GLSL for every defined
// function of a ProgramImage, to be compiled into the VM pipeline
// (shaders/vm/vm_run.comp with VM_JIT; docs/compiled-tier.md).
//
// Names in the generated code:
//   r<i>           register i: frame slot i of the running function, when
//                  that function keeps its frame in registers
//   jit_load_<f>   fills function f's registers from its frame in memory
//   jit_spill_<f>  writes them back (before anything that reads the frame
//                  from memory: a call, a helper, a suspension)
//   jit_num_<op>   numeric instruction op (numeric_source.h)
//   zero           0 from the includer (JIT_RUNTIME_ZERO), opaque to the driver:
//                  constants and conversion results are XORed with it so
//                  that no IEEE-unsafe fold (x / 0.0, i64 -> f64 -> i64) applies
//   jit_run        runs blocks until the lane leaves RUNNING, traps or uses
//                  its tick budget; blocks are `case <pc>:` of one switch
#pragma once

#include <cstdint>
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
};

struct EmittedModule {
  std::string glsl;
  uint32_t functions = 0;         // defined functions compiled
  uint32_t register_functions = 0;  // of them, frames in registers
  uint32_t blocks = 0;
  uint32_t registers = 0;         // r0 .. r<registers-1>
};

Result<EmittedModule, EmitError> emit_module(const vm::ProgramImage& image, const EmitOptions& options = {});

}  // namespace gpuos::jit

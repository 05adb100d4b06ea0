// numeric_source.h: the WebAssembly numeric instructions for compiled code,
// taken from the interpreter's own definitions (shaders/vm/numeric.glsl,
// embedded in the binary), so that each instruction is written once.
//
// numeric.glsl is one function, numeric(op, a, b, r), whose switch has a
// case per opcode. For an opcode, numeric_function() gives a GLSL function
// jit_num_XXXX(a, b, r) made of numeric()'s own prelude and that opcode's
// case, verbatim, inside a one-case switch on the constant opcode (so its
// `break` and `return` mean what they mean in numeric()). The drivers fold
// the switch away; the interpreter is untouched.
#pragma once

#include <cstdint>
#include <string>

#include "kernel/result.h"

namespace gpuos::jit {

enum class NumericError { NotFound, Malformed };

struct NumericFunction {
  std::string name;  // jit_num_036a
  std::string glsl;  // its definition
  bool may_trap = false;  // the case can return a trap kind (division, checked truncation)
};

// For opcode `op` (0x0345-0x03c4, 0x0400-0x0407).
Result<NumericFunction, NumericError> numeric_function(uint16_t op);

}  // namespace gpuos::jit

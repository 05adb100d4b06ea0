// verify.h: structural check of a ProgramImage's code before it runs.
//
// An image can come from a blob (deserialize) rather than from the
// translator, and the GPU interpreter does not bounds-check operands on
// every instruction, so the loader verifies once that every instruction
// is known, every slot operand lies inside its function's frame, every
// branch lands on an instruction start of the same function, and every
// index names an existing function, global, table, segment or type.
#pragma once

#include "kernel/result.h"
#include "procs/vm/image.h"

namespace gpuos::vm {

enum class VerifyError { BadCode };

Result<void, VerifyError> verify(const ProgramImage& image);

}  // namespace gpuos::vm

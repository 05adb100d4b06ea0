// names.h: parsing of the "name" custom section (internal to the decoder).
#pragma once

#include <cstdint>

#include "procs/wasm/module.h"

namespace gpuos::wasm {

// Parses the name section payload module.bytes[begin, end) into
// module.names. Never fails: a malformed name section is dropped, as the
// spec asks (custom sections must not affect validity).
void parse_name_section(Module& module, uint32_t begin, uint32_t end);

}  // namespace gpuos::wasm

// jit_dump_main.cpp: prints the compiled tier's GLSL for a .wasm file
// (procs/jit/emit.h), for reading and debugging generated code:
//   jit_dump MODULE.wasm
#include <cstdio>

#include "procs/jit/emit.h"
#include "procs/vm/translator.h"
#include "procs/wasm/decoder.h"
#include "procs/wasm/module_file.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: jit_dump MODULE.wasm\n");
    return 2;
  }
  auto bytes = gpuos::wasm::read_module_file(argv[1]);
  if (!bytes) {
    std::fprintf(stderr, "%s\n", bytes.detail().c_str());
    return 1;
  }
  auto module = gpuos::wasm::load_module(bytes.value());
  if (!module) {
    std::fprintf(stderr, "%s\n", module.detail().c_str());
    return 1;
  }
  auto image = gpuos::vm::translate(module.value());
  if (!image) {
    std::fprintf(stderr, "%s\n", image.detail().c_str());
    return 1;
  }
  auto emitted = gpuos::jit::emit_module(image.value());
  if (!emitted) {
    std::fprintf(stderr, "%s\n", emitted.detail().c_str());
    return 1;
  }
  std::fputs(emitted->glsl.c_str(), stdout);
  return 0;
}

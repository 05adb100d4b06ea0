// gen_seeds.cpp: writes the seed modules of seed_modules.h as .wasm files
// into a directory, to start a libFuzzer corpus.
// usage: wasm_fuzz_gen_seeds DIR
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/fuzz/seed_modules.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  const auto seeds = gpuos::wasm::test::seed_modules();
  for (size_t i = 0; i < seeds.size(); ++i) {
    std::ofstream out(dir / ("seed_" + std::to_string(i) + ".wasm"), std::ios::binary);
    out.write(reinterpret_cast<const char*>(seeds[i].data()), static_cast<std::streamsize>(seeds[i].size()));
    if (!out) return 1;
  }
  std::printf("wrote %zu seed modules to %s\n", seeds.size(), dir.c_str());
  return 0;
}

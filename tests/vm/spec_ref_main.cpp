// spec_ref_main.cpp: the WebAssembly spec test suite on the CPU reference
// executor (translator + procs/vm/ref_exec). tests/spec/spec_main.h has the
// driver: per-file and per-command tables, failures, and the pass floor in
// tests/spec/expected_passes.txt.
#include "tests/spec/ref_executor.h"
#include "tests/spec/spec_main.h"

int main(int argc, char** argv) {
  using namespace gpuos::spec;
  SpecSuite suite;
  suite.work_subdir = "gpuos-vm-spec";
  suite.make_executor = [] { return std::make_unique<RefExecutor>(); };
  return run_spec_suite(argc, argv, suite);
}

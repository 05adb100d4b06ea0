// run_spec_suite: the driver every spec-suite binary shares (the CPU
// reference executor, the GPU interpreter): arguments, the corpus and its
// wast2json conversion, the per-file and per-command tables, the failures,
// and the recorded pass floor. A binary only says which Executor to use.
//
// usage: BINARY --spec-dir DIR --wast2json PATH --work-dir DIR
//               [--expected FILE] [--only NAME] [--quiet]
// Exit: 0 ok; 1 fewer passes than --expected records; 2 bad arguments;
// 77 (CTest skip) no corpus or no wast2json.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "tests/spec/spec_runner.h"

namespace gpuos::spec {

struct SpecSuite {
  std::string work_subdir;  // under the temp dir when --work-dir is not given
  std::function<std::unique_ptr<Executor>()> make_executor;  // a fresh one per .wast file
  std::function<void(Executor&)> after_file;                  // optional: gather per-file stats
  std::function<void()> report;                               // optional: lines after the tables
};

int run_spec_suite(int argc, char** argv, const SpecSuite& suite);

}  // namespace gpuos::spec

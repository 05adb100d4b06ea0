// spec_runner.h: executes the WebAssembly spec test suite (wast2json
// output) against any executor.
//
// The runner owns the command semantics (what each assert_* expects, how
// results and NaNs are compared, what counts as pass, fail or n/a); an
// Executor only loads, links and runs modules. The CPU reference executor
// (ref_executor.h) is one; the GPU executor plugs in the same way.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace gpuos::spec {

// A value as the runner passes it to an executor: one 64-bit slot (i32/f32
// zero-extended, float bits raw). References: 0 is null, externref N is
// N + 1, a funcref is any other nonzero handle of the executor's choosing.
using Slot = uint64_t;

struct ActionResult {
  enum class Status { Ok, Trap, Error };  // Error: no such module/export, wrong arity, ...
  Status status = Status::Ok;
  std::vector<Slot> values;
  std::string message;      // trap message (spec wording) or error text
  bool exhaustion = false;  // the trap was call stack exhaustion
};

enum class InstantiateStatus { Ok, Refused, Unlinkable, Trap };

class Executor {
 public:
  virtual ~Executor() = default;
  // Decode + validate only: the refusal text, or "" if the module is accepted.
  virtual std::string check(std::span<const uint8_t> wasm) = 0;
  // Loads, links (imports by registered name) and instantiates; on Ok the
  // instance becomes the current one, and is also known as `name` if given.
  virtual InstantiateStatus instantiate(std::span<const uint8_t> wasm, const std::string& name,
                                        std::string& message) = 0;
  // Makes the exports of instance `name` ("" = current) importable as `as`.
  virtual bool register_as(const std::string& as, const std::string& name) = 0;
  virtual ActionResult invoke(const std::string& module, const std::string& field, const std::vector<Slot>& args) = 0;
  virtual ActionResult get(const std::string& module, const std::string& field) = 0;
};

struct Counts {
  int passed = 0, failed = 0, skipped = 0;
  void add(const Counts& o) { passed += o.passed, failed += o.failed, skipped += o.skipped; }
};

struct FileReport {
  std::string name;
  Counts total;
  std::map<std::string, Counts> by_command;  // "assert_return", "module", ...
  std::vector<std::string> failures;         // "file.wast:LINE command: reason"
};

// Runs the commands of one wast2json output file. Text-format
// assert_malformed/assert_invalid modules count as skipped (n/a for a
// binary runtime); so do commands naming an unsupported action type.
FileReport run_json(const std::filesystem::path& json_path, Executor& executor);

// Converts `wast` with wast2json into work_dir/<stem>/<stem>.json; returns
// the JSON path, or "" with `error` set.
std::filesystem::path convert_wast(const std::filesystem::path& wast, const std::string& wast2json,
                                   const std::filesystem::path& work_dir, std::string& error);

}  // namespace gpuos::spec

#include "tests/spec/spec_main.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <vector>

namespace gpuos::spec {

namespace fs = std::filesystem;

int run_spec_suite(int argc, char** argv, const SpecSuite& suite) {
  std::string spec_dir, wast2json, work_dir, expected_file, only;
  bool quiet = false;
  // --shard K/N: only the files whose index in name order is K mod N, so
  // that N processes run the suite side by side (compiling is per module);
  // the floor (--expected) is for the whole suite and is not checked.
  uint32_t shard = 0, shards = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (arg == "--spec-dir") spec_dir = value();
    else if (arg == "--wast2json") wast2json = value();
    else if (arg == "--work-dir") work_dir = value();
    else if (arg == "--expected") expected_file = value();
    else if (arg == "--only") only = value();
    else if (arg == "--quiet") quiet = true;
    else if (arg == "--shard") {
      const std::string v = value();
      if (std::sscanf(v.c_str(), "%u/%u", &shard, &shards) != 2 || shards == 0 || shard >= shards) {
        std::cerr << "--shard: expected K/N with K < N, got '" << v << "'\n";
        return 2;
      }
    } else {
      std::cerr << "unknown argument " << arg << "\n";
      return 2;
    }
  }
  std::vector<fs::path> wasts;
  std::error_code ec;
  if (!spec_dir.empty() && fs::is_directory(spec_dir, ec)) {
    for (const auto& e : fs::directory_iterator(spec_dir, ec)) {
      if (e.path().extension() == ".wast" && (only.empty() || e.path().stem() == only)) wasts.push_back(e.path());
    }
  }
  if (wasts.empty()) {
    std::cout << "SKIP: no .wast files in spec dir '" << spec_dir << "' (set GPUOS_WASM_SPEC_DIR)\n";
    return 77;
  }
  if (wast2json.empty() || wast2json.find("NOTFOUND") != std::string::npos || !fs::exists(wast2json, ec)) {
    std::cout << "SKIP: wast2json not found ('" << wast2json << "'); install wabt\n";
    return 77;
  }
  if (work_dir.empty()) work_dir = (fs::temp_directory_path() / suite.work_subdir).string();
  std::sort(wasts.begin(), wasts.end());
  if (shards > 1) {
    std::vector<fs::path> mine;
    for (size_t i = shard; i < wasts.size(); i += shards) mine.push_back(wasts[i]);
    wasts.swap(mine);
  }

  std::vector<FileReport> reports;
  for (const fs::path& wast : wasts) {
    std::string error;
    const fs::path json = convert_wast(wast, wast2json, work_dir, error);
    if (json.empty()) {
      FileReport r;
      r.name = wast.stem().string();
      r.total.failed = 1;
      r.failures.push_back(r.name + ": " + error);
      reports.push_back(r);
      continue;
    }
    std::unique_ptr<Executor> executor = suite.make_executor();
    reports.push_back(run_json(json, *executor));
    if (suite.after_file) suite.after_file(*executor);
  }

  Counts total;
  std::map<std::string, Counts> by_command;
  std::printf("%-32s %8s %8s %8s\n", "file", "passed", "failed", "n/a");
  for (const FileReport& r : reports) {
    std::printf("%-32s %8d %8d %8d\n", r.name.c_str(), r.total.passed, r.total.failed, r.total.skipped);
    total.add(r.total);
    for (const auto& [cmd, c] : r.by_command) by_command[cmd].add(c);
  }
  std::printf("%-32s %8d %8d %8d\n\n", "TOTAL", total.passed, total.failed, total.skipped);
  std::printf("%-32s %8s %8s %8s\n", "command", "passed", "failed", "n/a");
  for (const auto& [cmd, c] : by_command) std::printf("%-32s %8d %8d %8d\n", cmd.c_str(), c.passed, c.failed, c.skipped);

  size_t shown = 0;
  for (const FileReport& r : reports) {
    for (const std::string& f : r.failures) {
      if (quiet && shown >= 50) break;
      if (shown++ == 0) std::printf("\nfailures:\n");
      std::printf("  %s\n", f.c_str());
    }
  }
  if (suite.report) suite.report();
  std::printf("\n%d passed, %d failed, %d n/a (text-format modules)\n", total.passed, total.failed, total.skipped);

  if (shards > 1) {
    std::cout << "shard " << shard << "/" << shards << ": the floor is for the whole suite, not checked\n";
  } else if (!expected_file.empty()) {
    std::ifstream in(expected_file);
    long expected = -1;
    if (!(in >> expected)) {
      std::cout << "cannot read expected pass count from " << expected_file << "\n";
      return 1;
    }
    if (total.passed < expected) {
      std::cout << "FAIL: " << total.passed << " commands passed, fewer than the recorded " << expected << "\n";
      return 1;
    }
    std::cout << "OK: " << total.passed << " >= recorded " << expected << "\n";
  }
  return 0;
}

}  // namespace gpuos::spec

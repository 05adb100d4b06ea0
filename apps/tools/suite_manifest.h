// suite_manifest.h: the app-suite manifest (apps/suites/NAME/suite.json),
// read and checked once for every runner of it: gpuos_native_suite (the
// native builds) and `gpuos suite` (the WebAssembly builds on the GPU).
//
// The format is documented in apps/README.md. This is the reference reader:
// unknown keys, bad names and paths that leave the suite dir or the working
// dir are errors (SuiteError, whose message names the file and the case).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace gpuos::apps {

struct SuiteError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Case {
  std::string name, app;
  std::vector<std::string> args, files;  // files: suite-dir paths copied into the working dir
  std::optional<std::string> stdin_file;  // a suite-dir path
  int instances = 1;
  int exit_status = 0;
  std::string stdout_file;                // a suite-dir path
  std::optional<std::string> stderr_file;
  std::map<std::string, std::string> out_files;  // working-dir path -> suite-dir path
};

struct Suite {
  std::filesystem::path dir;  // as given to load_suite
  std::string name;
  std::string description;
  std::vector<Case> cases;
};

// A path inside a folder: relative, not empty, no "..".
bool safe_relative(const std::string& p);

// Reads and checks DIR/suite.json. The files the manifest names must exist,
// except the expected outputs when `regen` (they are about to be written).
// Throws SuiteError.
Suite load_suite(const std::filesystem::path& dir, bool regen = false);

// The suite folders under each path: the path itself if it holds a
// suite.json, else its subfolders that do (sorted). Throws SuiteError for a
// path with neither.
std::vector<std::filesystem::path> find_suites(const std::vector<std::filesystem::path>& paths);

// Copies the case's files from the suite dir into `work` (created), at the
// same relative paths; a folder is copied whole. Throws on I/O errors.
void copy_case_files(const Suite& s, const Case& c, const std::filesystem::path& work);

std::optional<std::string> read_file(const std::filesystem::path& p);
void write_file(const std::filesystem::path& p, const std::string& data);  // throws SuiteError

// "" when equal, else what differs: the first differing byte, its line and
// column, both sizes, and a short escaped excerpt of each side from the
// start of that line, e.g.
//   differs at byte 12, line 2 column 5 (got 30 bytes, expected 31):
//   expected "abc\n", got "abd\n"   (all on one line)
std::string compare(const std::string& got, const std::string& want);

}  // namespace gpuos::apps

// spec_corpus_test.cpp: runs the decoder + validator over the WebAssembly
// spec test suite (.wast files, converted with wabt's wast2json).
//
// Module-level expectations only (no execution):
//   module                               must load (decode + validate)
//   assert_invalid, assert_malformed     must be refused (binary modules;
//                                        text-format assert_malformed is n/a)
//   assert_unlinkable, assert_uninstantiable
//                                        must load (they fail later, at link
//                                        or instantiation time)
// Prints a per-file table, totals, and every failure with its reason; exits
// 1 if anything failed, 77 (CTest skip) if the corpus or wast2json is
// missing. Also reports, for information, refusals whose reason differs
// from the spec's expected message text or whose error class differs.
//
// usage: wasm_spec_corpus --spec-dir DIR --wast2json PATH --work-dir DIR [--verbose]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "procs/wasm/decoder.h"
#include "procs/wasm/diagnostic.h"

namespace fs = std::filesystem;
using gpuos::wasm::WasmError;

namespace {

constexpr int kSkip = 77;

struct FileStats {
  std::string name;
  int modules_ok = 0;       // module / unlinkable / uninstantiable accepted
  int modules = 0;
  int rejected_ok = 0;      // invalid / malformed refused
  int rejected = 0;
  int not_applicable = 0;
  int failures = 0;
};

struct Note {
  std::string where;
  std::string text;
};

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

bool read_file(const fs::path& path, std::vector<uint8_t>& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string spec_dir, wast2json, work_dir;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (arg == "--spec-dir") spec_dir = value();
    else if (arg == "--wast2json") wast2json = value();
    else if (arg == "--work-dir") work_dir = value();
    else if (arg == "--verbose") verbose = true;
    else {
      std::cerr << "unknown argument " << arg << "\n";
      return 2;
    }
  }

  std::vector<fs::path> wast_files;
  std::error_code ec;
  if (!spec_dir.empty() && fs::is_directory(spec_dir, ec)) {
    for (const auto& entry : fs::directory_iterator(spec_dir, ec)) {
      if (entry.path().extension() == ".wast") wast_files.push_back(entry.path());
    }
  }
  if (wast_files.empty()) {
    std::cout << "SKIP: no .wast files in spec dir '" << spec_dir
              << "' (set the CMake cache variable GPUOS_WASM_SPEC_DIR)\n";
    return kSkip;
  }
  if (wast2json.empty() || wast2json.find("NOTFOUND") != std::string::npos ||
      !fs::exists(wast2json, ec)) {
    std::cout << "SKIP: wast2json not found ('" << wast2json << "'); install wabt\n";
    return kSkip;
  }
  if (work_dir.empty()) work_dir = (fs::temp_directory_path() / "gpuos-wasm-spec").string();
  std::sort(wast_files.begin(), wast_files.end());

  std::vector<FileStats> files;
  std::vector<Note> failures, reason_notes, class_notes;
  const auto start = std::chrono::steady_clock::now();

  for (const fs::path& wast : wast_files) {
    FileStats st;
    st.name = wast.stem().string();
    const fs::path out_dir = fs::path(work_dir) / st.name;
    fs::remove_all(out_dir, ec);
    fs::create_directories(out_dir, ec);
    const fs::path json_path = out_dir / (st.name + ".json");
    const std::string cmd = quote(wast2json) + " " + quote(wast.string()) + " -o " + quote(json_path.string()) +
                            " > " + quote((out_dir / "wast2json.log").string()) + " 2>&1";
    if (std::system(cmd.c_str()) != 0) {
      failures.push_back({st.name, "wast2json failed; see " + (out_dir / "wast2json.log").string()});
      ++st.failures;
      files.push_back(st);
      continue;
    }
    nlohmann::json doc;
    try {
      std::ifstream in(json_path);
      doc = nlohmann::json::parse(in);
    } catch (const std::exception& e) {
      failures.push_back({st.name, std::string("cannot parse wast2json output: ") + e.what()});
      ++st.failures;
      files.push_back(st);
      continue;
    }

    for (const auto& command : doc.value("commands", nlohmann::json::array())) {
      const std::string type = command.value("type", "");
      const bool expect_ok =
          type == "module" || type == "assert_unlinkable" || type == "assert_uninstantiable";
      const bool expect_reject = type == "assert_invalid" || type == "assert_malformed";
      if (!expect_ok && !expect_reject) continue;
      const std::string filename = command.value("filename", "");
      const std::string where = st.name + ".wast:" + std::to_string(command.value("line", 0)) + " (" + type +
                                ", " + filename + ")";
      if (command.value("module_type", "binary") != "binary" || !filename.ends_with(".wasm")) {
        ++st.not_applicable;
        continue;
      }
      std::vector<uint8_t> bytes;
      if (!read_file(out_dir / filename, bytes)) {
        failures.push_back({where, "cannot read module file"});
        ++st.failures;
        continue;
      }
      const auto result = gpuos::wasm::load_module(bytes);
      if (expect_ok) {
        ++st.modules;
        if (result) {
          ++st.modules_ok;
        } else {
          ++st.failures;
          failures.push_back({where, "refused a valid module: [" + std::string(to_string(result.code())) + "] " +
                                         result.detail()});
        }
        continue;
      }
      ++st.rejected;
      const std::string expected = command.value("text", "");
      if (result) {
        ++st.failures;
        failures.push_back({where, "accepted, expected refusal: " + expected});
        continue;
      }
      ++st.rejected_ok;
      const std::string_view reason = gpuos::wasm::reason_of(result.detail());
      if (!reason.starts_with(expected)) {
        reason_notes.push_back({where, "expected \"" + expected + "\", got: " + result.detail()});
      }
      const WasmError want = type == "assert_invalid" ? WasmError::Invalid : WasmError::Malformed;
      if (result.code() != want) {
        class_notes.push_back({where, std::string("expected ") + to_string(want) + ", got " +
                                          to_string(result.code()) + ": " + result.detail()});
      }
    }
    files.push_back(st);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  FileStats total;
  std::printf("%-28s %13s %17s %5s %8s\n", "file", "modules ok", "refusals ok", "n/a", "failures");
  for (const FileStats& st : files) {
    std::printf("%-28s %6d / %-6d %8d / %-6d %5d %8d\n", st.name.c_str(), st.modules_ok, st.modules,
                st.rejected_ok, st.rejected, st.not_applicable, st.failures);
    total.modules_ok += st.modules_ok, total.modules += st.modules;
    total.rejected_ok += st.rejected_ok, total.rejected += st.rejected;
    total.not_applicable += st.not_applicable, total.failures += st.failures;
  }
  std::printf("%-28s %6d / %-6d %8d / %-6d %5d %8d\n", "TOTAL", total.modules_ok, total.modules,
              total.rejected_ok, total.rejected, total.not_applicable, total.failures);
  std::printf("\n%zu files in %.2f s. Refusals with the spec's reason: %d / %d; with the expected error "
              "class: %d / %d.\n",
              files.size(), seconds, total.rejected_ok - static_cast<int>(reason_notes.size()),
              total.rejected_ok, total.rejected_ok - static_cast<int>(class_notes.size()), total.rejected_ok);

  auto print_notes = [&](const char* title, const std::vector<Note>& notes, size_t limit) {
    if (notes.empty()) return;
    std::printf("\n%s (%zu):\n", title, notes.size());
    for (size_t i = 0; i < notes.size() && i < limit; ++i) {
      std::printf("  %s: %s\n", notes[i].where.c_str(), notes[i].text.c_str());
    }
    if (notes.size() > limit) std::printf("  ... %zu more (--verbose lists all)\n", notes.size() - limit);
  };
  const size_t note_limit = verbose ? SIZE_MAX : 20;
  print_notes("Informational: refusal reason differs from the spec's text", reason_notes, note_limit);
  print_notes("Informational: error class differs", class_notes, note_limit);
  print_notes("FAILURES", failures, SIZE_MAX);
  std::printf("\n%s\n", failures.empty() ? "PASS" : "FAIL");
  return failures.empty() ? 0 : 1;
}

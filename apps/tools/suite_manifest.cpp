// suite_manifest.cpp: the app-suite manifest reader (suite_manifest.h).
#include "apps/tools/suite_manifest.h"

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

namespace gpuos::apps {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

void check_keys(const json& obj, const std::set<std::string>& allowed, const std::string& where) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (!allowed.count(it.key())) throw SuiteError(where + ": unknown key \"" + it.key() + "\"");
  }
}

std::string get_string(const json& obj, const char* key, const std::string& where) {
  if (!obj.contains(key)) throw SuiteError(where + ": \"" + key + "\" is required");
  if (!obj[key].is_string()) throw SuiteError(where + ": \"" + key + "\" must be a string");
  return obj[key].get<std::string>();
}

std::vector<std::string> get_strings(const json& obj, const char* key, const std::string& where) {
  std::vector<std::string> out;
  if (!obj.contains(key)) return out;
  if (!obj[key].is_array()) throw SuiteError(where + ": \"" + key + "\" must be an array of strings");
  for (const auto& v : obj[key]) {
    if (!v.is_string()) throw SuiteError(where + ": \"" + key + "\" must be an array of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

// A suite-dir path named in the manifest: safe, and (unless regenerating
// outputs) present.
std::string suite_path(const Suite& s, const std::string& p, const std::string& where, bool must_exist) {
  if (!safe_relative(p)) throw SuiteError(where + ": path \"" + p + "\" must be relative and stay in the suite dir");
  if (must_exist && !fs::exists(s.dir / p)) throw SuiteError(where + ": " + (s.dir / p).string() + " does not exist");
  return p;
}

}  // namespace

bool safe_relative(const std::string& p) {
  if (p.empty() || p[0] == '/') return false;
  for (const auto& part : fs::path(p)) {
    if (part == "..") return false;
  }
  return true;
}

Suite load_suite(const fs::path& dir, bool regen) {
  Suite s;
  s.dir = dir;
  fs::path file = dir / "suite.json";
  std::ifstream in(file);
  if (!in) throw SuiteError(file.string() + ": cannot open");
  json j;
  try {
    j = json::parse(in);
  } catch (const json::exception& e) {
    throw SuiteError(file.string() + ": " + e.what());
  }
  std::string where = file.string();
  if (!j.is_object()) throw SuiteError(where + ": not a JSON object");
  check_keys(j, {"schema", "name", "description", "cases"}, where);
  if (!j.contains("schema") || !j["schema"].is_number_integer() || j["schema"].get<int>() != 1)
    throw SuiteError(where + ": \"schema\" must be 1");
  s.name = get_string(j, "name", where);
  // fs::path("apps/suites/basic/").filename() is empty: compare with the
  // folder's own name however the path was spelled.
  fs::path norm = fs::absolute(dir).lexically_normal();
  if (norm.filename().empty()) norm = norm.parent_path();
  const std::string folder_name = norm.filename().string();
  if (s.name != folder_name)
    throw SuiteError(where + ": \"name\" is \"" + s.name + "\", its folder is \"" + folder_name + "\"");
  if (j.contains("description")) {
    if (!j["description"].is_string()) throw SuiteError(where + ": \"description\" must be a string");
    s.description = j["description"].get<std::string>();
  }
  if (!j.contains("cases") || !j["cases"].is_array() || j["cases"].empty())
    throw SuiteError(where + ": \"cases\" must be a non-empty array");

  static const std::regex case_name_re("[A-Za-z0-9][A-Za-z0-9._-]*");
  static const std::regex app_re("[A-Za-z0-9_][A-Za-z0-9_.-]*");
  std::set<std::string> names;
  size_t index = 0;
  for (const auto& cj : j["cases"]) {
    std::string cw = where + ": cases[" + std::to_string(index++) + "]";
    if (!cj.is_object()) throw SuiteError(cw + ": not an object");
    check_keys(cj, {"name", "app", "args", "stdin", "files", "instances", "expect"}, cw);
    Case c;
    c.name = get_string(cj, "name", cw);
    cw = where + ": case \"" + c.name + "\"";
    if (!std::regex_match(c.name, case_name_re)) throw SuiteError(cw + ": bad name (letters, digits, . _ -)");
    if (!names.insert(c.name).second) throw SuiteError(cw + ": duplicate name");
    c.app = get_string(cj, "app", cw);
    if (!std::regex_match(c.app, app_re)) throw SuiteError(cw + ": bad app name");
    c.args = get_strings(cj, "args", cw);
    if (cj.contains("stdin")) c.stdin_file = suite_path(s, get_string(cj, "stdin", cw), cw, true);
    for (const auto& f : get_strings(cj, "files", cw)) c.files.push_back(suite_path(s, f, cw, true));
    if (cj.contains("instances")) {
      if (!cj["instances"].is_number_integer() || cj["instances"].get<int>() < 1)
        throw SuiteError(cw + ": \"instances\" must be an integer >= 1");
      c.instances = cj["instances"].get<int>();
    }
    if (!cj.contains("expect") || !cj["expect"].is_object()) throw SuiteError(cw + ": \"expect\" object is required");
    const json& e = cj["expect"];
    check_keys(e, {"exit", "stdout", "stderr", "files"}, cw + ": expect");
    if (!e.contains("exit") || !e["exit"].is_number_integer() || e["exit"].get<int>() < 0 || e["exit"].get<int>() > 255)
      throw SuiteError(cw + ": expect.exit must be an integer 0..255");
    c.exit_status = e["exit"].get<int>();
    c.stdout_file = suite_path(s, get_string(e, "stdout", cw + ": expect"), cw, !regen);
    if (e.contains("stderr")) c.stderr_file = suite_path(s, get_string(e, "stderr", cw + ": expect"), cw, !regen);
    if (e.contains("files")) {
      if (!e["files"].is_object()) throw SuiteError(cw + ": expect.files must be an object");
      for (auto it = e["files"].begin(); it != e["files"].end(); ++it) {
        if (!safe_relative(it.key()))
          throw SuiteError(cw + ": expect.files key \"" + it.key() + "\" must be relative and stay in the working dir");
        if (!it.value().is_string()) throw SuiteError(cw + ": expect.files values must be strings");
        c.out_files[it.key()] = suite_path(s, it.value().get<std::string>(), cw, !regen);
      }
    }
    s.cases.push_back(std::move(c));
  }
  return s;
}

std::vector<fs::path> find_suites(const std::vector<fs::path>& paths) {
  std::vector<fs::path> suite_dirs;
  for (const auto& p : paths) {
    if (fs::exists(p / "suite.json")) {
      suite_dirs.push_back(fs::absolute(p));
      continue;
    }
    std::vector<fs::path> found;
    if (fs::is_directory(p)) {
      for (const auto& e : fs::directory_iterator(p)) {
        if (e.is_directory() && fs::exists(e.path() / "suite.json")) found.push_back(fs::absolute(e.path()));
      }
    }
    if (found.empty()) throw SuiteError(p.string() + ": no suite.json in it or its subfolders");
    std::sort(found.begin(), found.end());
    suite_dirs.insert(suite_dirs.end(), found.begin(), found.end());
  }
  return suite_dirs;
}

void copy_case_files(const Suite& s, const Case& c, const fs::path& work) {
  fs::create_directories(work);
  for (const auto& f : c.files) {
    fs::path dst = work / f;
    fs::create_directories(dst.parent_path());
    fs::copy(s.dir / f, dst, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  }
}

std::optional<std::string> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const fs::path& p, const std::string& data) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << data;
  if (!out) throw SuiteError(p.string() + ": cannot write");
}

namespace {

// One byte as a C string literal would show it: printable ASCII as is, the
// rest escaped.
std::string escape(unsigned char ch) {
  static const char hex[] = "0123456789abcdef";
  switch (ch) {
    case '\n': return "\\n";
    case '\t': return "\\t";
    case '\r': return "\\r";
    case '\\': return "\\\\";
    case '"': return "\\\"";
  }
  if (ch >= 0x20 && ch < 0x7f) return std::string(1, static_cast<char>(ch));
  return std::string("\\x") + hex[ch >> 4] + hex[ch & 15];
}

// An excerpt of `s` around the first differing byte `at`, quoted: from
// `start` to the end of that line, at most kAfter escaped characters from
// `at` on.
std::string snippet(const std::string& s, size_t start, size_t at, size_t line_start) {
  constexpr size_t kAfter = 48;
  if (start >= s.size()) return "(end of data)";
  std::string body;
  for (size_t k = start; k < at; k++) body += escape(static_cast<unsigned char>(s[k]));
  size_t end = at, shown = 0;
  while (end < s.size() && shown < kAfter) {
    const std::string e = escape(static_cast<unsigned char>(s[end]));
    body += e;
    shown += e.size();
    if (s[end++] == '\n') break;
  }
  std::string out = start > line_start ? "..." : "";
  out += "\"" + body + "\"";
  if (end == s.size()) out += " (end)";
  else if (s[end - 1] != '\n') out += "...";
  return out;
}

// Where the excerpts start: the line's start, or as far back from `at` as
// kBefore escaped characters of `s` reach.
size_t excerpt_start(const std::string& s, size_t at, size_t line_start) {
  constexpr size_t kBefore = 24;
  size_t start = at, shown = 0;
  while (start > line_start) {
    const size_t e = escape(static_cast<unsigned char>(s[start - 1])).size();
    if (shown + e > kBefore) break;
    shown += e;
    start--;
  }
  return start;
}

}  // namespace

std::string compare(const std::string& got, const std::string& want) {
  if (got == want) return "";
  size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) i++;
  // Line and column of byte i (1-based), and where the snippets start: the
  // line's start, or some bytes before i on a long line.
  size_t line = 1, line_start = 0;
  for (size_t k = 0; k < i; k++) {
    if (got[k] == '\n') {
      line++;
      line_start = k + 1;
    }
  }
  const size_t start = excerpt_start(got, i, line_start);  // got and want agree before i
  return "differs at byte " + std::to_string(i) + ", line " + std::to_string(line) + " column " +
         std::to_string(i - line_start + 1) + " (got " + std::to_string(got.size()) + " bytes, expected " +
         std::to_string(want.size()) + "): expected " + snippet(want, start, i, line_start) + ", got " +
         snippet(got, start, i, line_start);
}

}  // namespace gpuos::apps

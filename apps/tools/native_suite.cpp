// native_suite: runs app suites (apps/suites/NAME/suite.json) against the
// native builds of the apps, and regenerates their expected outputs.
//
//   gpuos_native_suite --bin DIR [--regen] [--keep] [--timeout SEC] PATH...
//
// PATH is a suite folder (it holds suite.json) or a folder of suite folders
// (apps/suites). DIR holds the native apps (build/apps/native). For each case
// and each of its instances: a fresh working dir under a temporary folder,
// the case's files copied into it, the app run there with the case's args and
// stdin; then its exit status, stdout, stderr (when the manifest names a file)
// and the files it wrote are compared byte for byte with the expected ones.
// One line per case; exit status 1 if any case failed or a manifest is bad.
//
// --regen runs one instance of each case and writes what it produced to the
// expected files the manifest names (stdout, stderr if named, files); the
// exit status must still match the manifest, which is never rewritten.
// --keep leaves the working dirs behind (they are kept anyway on a failure).
//
// The manifest format is documented in apps/README.md. This is the reference
// reader for it: unknown keys, bad names and paths that leave the suite or the
// working dir are errors.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

struct Case {
  std::string name, app;
  std::vector<std::string> args, files;
  std::optional<std::string> stdin_file;
  int instances = 1;
  int exit_status = 0;
  std::string stdout_file;
  std::optional<std::string> stderr_file;
  std::map<std::string, std::string> out_files; // working-dir path -> suite path
};

struct Suite {
  fs::path dir;
  std::string name;
  std::vector<Case> cases;
};

struct Options {
  fs::path bin;
  bool regen = false, keep = false;
  int timeout_s = 60;
};

// A path inside a folder: relative, not empty, no "..".
bool safe_relative(const std::string &p) {
  if (p.empty() || p[0] == '/') return false;
  for (const auto &part : fs::path(p)) {
    if (part == "..") return false;
  }
  return true;
}

void check_keys(const json &obj, const std::set<std::string> &allowed, const std::string &where) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (!allowed.count(it.key())) throw std::runtime_error(where + ": unknown key \"" + it.key() + "\"");
  }
}

std::string get_string(const json &obj, const char *key, const std::string &where) {
  if (!obj.contains(key)) throw std::runtime_error(where + ": \"" + key + "\" is required");
  if (!obj[key].is_string()) throw std::runtime_error(where + ": \"" + key + "\" must be a string");
  return obj[key].get<std::string>();
}

std::vector<std::string> get_strings(const json &obj, const char *key, const std::string &where) {
  std::vector<std::string> out;
  if (!obj.contains(key)) return out;
  if (!obj[key].is_array()) throw std::runtime_error(where + ": \"" + key + "\" must be an array of strings");
  for (const auto &v : obj[key]) {
    if (!v.is_string()) throw std::runtime_error(where + ": \"" + key + "\" must be an array of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

// A suite-dir path named in the manifest: safe, and (unless regenerating
// outputs) present.
std::string suite_path(const Suite &s, const std::string &p, const std::string &where, bool must_exist) {
  if (!safe_relative(p)) throw std::runtime_error(where + ": path \"" + p + "\" must be relative and stay in the suite dir");
  if (must_exist && !fs::exists(s.dir / p)) throw std::runtime_error(where + ": " + (s.dir / p).string() + " does not exist");
  return p;
}

Suite load_suite(const fs::path &dir, bool regen) {
  Suite s;
  s.dir = dir;
  fs::path file = dir / "suite.json";
  std::ifstream in(file);
  if (!in) throw std::runtime_error(file.string() + ": cannot open");
  json j;
  try {
    j = json::parse(in);
  } catch (const json::exception &e) {
    throw std::runtime_error(file.string() + ": " + e.what());
  }
  std::string where = file.string();
  if (!j.is_object()) throw std::runtime_error(where + ": not a JSON object");
  check_keys(j, {"schema", "name", "description", "cases"}, where);
  if (!j.contains("schema") || !j["schema"].is_number_integer() || j["schema"].get<int>() != 1)
    throw std::runtime_error(where + ": \"schema\" must be 1");
  s.name = get_string(j, "name", where);
  if (s.name != dir.filename().string())
    throw std::runtime_error(where + ": \"name\" is \"" + s.name + "\", its folder is \"" + dir.filename().string() + "\"");
  if (j.contains("description") && !j["description"].is_string())
    throw std::runtime_error(where + ": \"description\" must be a string");
  if (!j.contains("cases") || !j["cases"].is_array() || j["cases"].empty())
    throw std::runtime_error(where + ": \"cases\" must be a non-empty array");

  static const std::regex case_name_re("[A-Za-z0-9][A-Za-z0-9._-]*");
  static const std::regex app_re("[A-Za-z0-9_][A-Za-z0-9_.-]*");
  std::set<std::string> names;
  size_t index = 0;
  for (const auto &cj : j["cases"]) {
    std::string cw = where + ": cases[" + std::to_string(index++) + "]";
    if (!cj.is_object()) throw std::runtime_error(cw + ": not an object");
    check_keys(cj, {"name", "app", "args", "stdin", "files", "instances", "expect"}, cw);
    Case c;
    c.name = get_string(cj, "name", cw);
    cw = where + ": case \"" + c.name + "\"";
    if (!std::regex_match(c.name, case_name_re)) throw std::runtime_error(cw + ": bad name (letters, digits, . _ -)");
    if (!names.insert(c.name).second) throw std::runtime_error(cw + ": duplicate name");
    c.app = get_string(cj, "app", cw);
    if (!std::regex_match(c.app, app_re)) throw std::runtime_error(cw + ": bad app name");
    c.args = get_strings(cj, "args", cw);
    if (cj.contains("stdin")) c.stdin_file = suite_path(s, get_string(cj, "stdin", cw), cw, true);
    for (const auto &f : get_strings(cj, "files", cw)) c.files.push_back(suite_path(s, f, cw, true));
    if (cj.contains("instances")) {
      if (!cj["instances"].is_number_integer() || cj["instances"].get<int>() < 1)
        throw std::runtime_error(cw + ": \"instances\" must be an integer >= 1");
      c.instances = cj["instances"].get<int>();
    }
    if (!cj.contains("expect") || !cj["expect"].is_object()) throw std::runtime_error(cw + ": \"expect\" object is required");
    const json &e = cj["expect"];
    check_keys(e, {"exit", "stdout", "stderr", "files"}, cw + ": expect");
    if (!e.contains("exit") || !e["exit"].is_number_integer() || e["exit"].get<int>() < 0 || e["exit"].get<int>() > 255)
      throw std::runtime_error(cw + ": expect.exit must be an integer 0..255");
    c.exit_status = e["exit"].get<int>();
    c.stdout_file = suite_path(s, get_string(e, "stdout", cw + ": expect"), cw, !regen);
    if (e.contains("stderr")) c.stderr_file = suite_path(s, get_string(e, "stderr", cw + ": expect"), cw, !regen);
    if (e.contains("files")) {
      if (!e["files"].is_object()) throw std::runtime_error(cw + ": expect.files must be an object");
      for (auto it = e["files"].begin(); it != e["files"].end(); ++it) {
        if (!safe_relative(it.key())) throw std::runtime_error(cw + ": expect.files key \"" + it.key() + "\" must be relative and stay in the working dir");
        if (!it.value().is_string()) throw std::runtime_error(cw + ": expect.files values must be strings");
        c.out_files[it.key()] = suite_path(s, it.value().get<std::string>(), cw, !regen);
      }
    }
    s.cases.push_back(std::move(c));
  }
  return s;
}

std::optional<std::string> read_file(const fs::path &p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const fs::path &p, const std::string &data) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << data;
  if (!out) throw std::runtime_error(p.string() + ": cannot write");
}

// "" when equal, else what differs.
std::string compare(const std::string &got, const std::string &want) {
  if (got == want) return "";
  size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) i++;
  return "differs at byte " + std::to_string(i) + " (got " + std::to_string(got.size()) + " bytes, expected " +
         std::to_string(want.size()) + ")";
}

struct Run {
  pid_t pid = -1;
  fs::path work, out, err;
  int status = 0;
  bool timed_out = false;
};

// Starts one instance: cwd = work, stdin from the suite file or /dev/null,
// stdout and stderr to files beside the working dir.
Run start(const Options &o, const Suite &s, const Case &c, const fs::path &base) {
  Run r;
  r.work = base / "work";
  r.out = base / "stdout";
  r.err = base / "stderr";
  fs::create_directories(r.work);
  for (const auto &f : c.files) {
    fs::path dst = r.work / f;
    fs::create_directories(dst.parent_path());
    fs::copy(s.dir / f, dst, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  }
  std::string exe = (o.bin / c.app).string();
  std::string in = c.stdin_file ? (s.dir / *c.stdin_file).string() : "/dev/null";
  std::vector<std::string> argv_s{c.app};
  argv_s.insert(argv_s.end(), c.args.begin(), c.args.end());
  std::vector<char *> argv;
  for (auto &a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::cout.flush();
  r.pid = fork();
  if (r.pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (r.pid == 0) {
    int fi = open(in.c_str(), O_RDONLY);
    int fo = open(r.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int fe = open(r.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fi < 0 || fo < 0 || fe < 0 || dup2(fi, 0) < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0 ||
        chdir(r.work.c_str()) != 0)
      _exit(126);
    execv(exe.c_str(), argv.data());
    dprintf(2, "native_suite: cannot run %s: %s\n", exe.c_str(), std::strerror(errno));
    _exit(127);
  }
  return r;
}

void wait_all(std::vector<Run> &runs, int timeout_s) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  size_t left = runs.size();
  while (left > 0) {
    for (auto &r : runs) {
      if (r.pid <= 0) continue;
      pid_t got = waitpid(r.pid, &r.status, WNOHANG);
      if (got == r.pid) {
        r.pid = 0;
        left--;
      }
    }
    if (left == 0) break;
    if (std::chrono::steady_clock::now() > deadline) {
      for (auto &r : runs) {
        if (r.pid > 0) {
          kill(r.pid, SIGKILL);
          waitpid(r.pid, &r.status, 0);
          r.pid = 0;
          r.timed_out = true;
        }
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

// Checks one finished instance; "" when it passed.
std::string check(const Suite &s, const Case &c, const Run &r) {
  if (r.timed_out) return "timed out";
  if (WIFSIGNALED(r.status)) return "killed by signal " + std::to_string(WTERMSIG(r.status));
  int code = WEXITSTATUS(r.status);
  std::string err = read_file(r.err).value_or("");
  if (code != c.exit_status) {
    std::string msg = "exit status " + std::to_string(code) + ", expected " + std::to_string(c.exit_status);
    if (!err.empty()) msg += "; stderr: " + err.substr(0, err.find('\n'));
    return msg;
  }
  std::string d = compare(read_file(r.out).value_or(""), read_file(s.dir / c.stdout_file).value_or(""));
  if (!d.empty()) return "stdout " + d;
  if (c.stderr_file) {
    d = compare(err, read_file(s.dir / *c.stderr_file).value_or(""));
    if (!d.empty()) return "stderr " + d;
  }
  for (const auto &[wpath, spath] : c.out_files) {
    auto got = read_file(r.work / wpath);
    if (!got) return "file " + wpath + " was not written";
    d = compare(*got, read_file(s.dir / spath).value_or(""));
    if (!d.empty()) return "file " + wpath + " " + d;
  }
  return "";
}

// Runs one case; returns whether it passed.
bool run_case(const Options &o, const Suite &s, const Case &c, const fs::path &tmp) {
  std::string label = s.name + "/" + c.name;
  if (!fs::exists(o.bin / c.app)) {
    std::cout << "FAIL " << label << ": no native app " << (o.bin / c.app).string() << "\n";
    return false;
  }
  int n = o.regen ? 1 : c.instances;
  std::vector<Run> runs;
  for (int i = 0; i < n; i++) runs.push_back(start(o, s, c, tmp / s.name / c.name / std::to_string(i)));
  wait_all(runs, o.timeout_s);

  std::string failure;
  if (o.regen) {
    const Run &r = runs[0];
    if (r.timed_out) failure = "timed out";
    else if (WIFSIGNALED(r.status)) failure = "killed by signal " + std::to_string(WTERMSIG(r.status));
    else if (WEXITSTATUS(r.status) != c.exit_status)
      failure = "exit status " + std::to_string(WEXITSTATUS(r.status)) + ", the manifest expects " +
                std::to_string(c.exit_status) + " (fix the app or the manifest)";
    else {
      write_file(s.dir / c.stdout_file, read_file(r.out).value_or(""));
      if (c.stderr_file) write_file(s.dir / *c.stderr_file, read_file(r.err).value_or(""));
      for (const auto &[wpath, spath] : c.out_files) {
        auto got = read_file(r.work / wpath);
        if (!got) {
          failure = "file " + wpath + " was not written";
          break;
        }
        write_file(s.dir / spath, *got);
      }
    }
  } else {
    for (int i = 0; i < n && failure.empty(); i++) {
      std::string f = check(s, c, runs[i]);
      if (!f.empty()) failure = (n > 1 ? "instance " + std::to_string(i) + ": " : "") + f;
    }
  }
  if (!failure.empty()) {
    std::cout << "FAIL " << label << ": " << failure << " (see " << (tmp / s.name / c.name).string() << ")\n";
    return false;
  }
  std::cout << (o.regen ? "REGEN " : "PASS ") << label;
  if (n > 1) std::cout << " x" << n;
  std::cout << "\n";
  return true;
}

int usage() {
  std::cerr << "usage: gpuos_native_suite --bin DIR [--regen] [--keep] [--timeout SEC] SUITE_OR_DIR...\n";
  return 2;
}

} // namespace

int main(int argc, char **argv) {
  Options o;
  std::vector<fs::path> paths;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--bin" && i + 1 < argc) o.bin = argv[++i];
    else if (a == "--regen") o.regen = true;
    else if (a == "--keep") o.keep = true;
    else if (a == "--timeout" && i + 1 < argc) o.timeout_s = std::atoi(argv[++i]);
    else if (!a.empty() && a[0] == '-') return usage();
    else paths.push_back(a);
  }
  if (o.bin.empty() || paths.empty() || o.timeout_s <= 0) return usage();
  o.bin = fs::absolute(o.bin);

  std::vector<fs::path> suite_dirs;
  for (const auto &p : paths) {
    if (fs::exists(p / "suite.json")) {
      suite_dirs.push_back(fs::absolute(p));
      continue;
    }
    std::vector<fs::path> found;
    if (fs::is_directory(p)) {
      for (const auto &e : fs::directory_iterator(p)) {
        if (e.is_directory() && fs::exists(e.path() / "suite.json")) found.push_back(fs::absolute(e.path()));
      }
    }
    if (found.empty()) {
      std::cerr << "native_suite: " << p.string() << ": no suite.json in it or its subfolders\n";
      return 2;
    }
    std::sort(found.begin(), found.end());
    suite_dirs.insert(suite_dirs.end(), found.begin(), found.end());
  }

  const char *tmpdir = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/gpuos-native-suite-XXXXXX";
  if (!mkdtemp(tmpl.data())) {
    std::cerr << "native_suite: mkdtemp " << tmpl << ": " << std::strerror(errno) << "\n";
    return 2;
  }
  fs::path tmp = tmpl;

  int passed = 0, failed = 0, bad_suites = 0;
  for (const auto &dir : suite_dirs) {
    Suite s;
    try {
      s = load_suite(dir, o.regen);
    } catch (const std::exception &e) {
      std::cout << "FAIL " << dir.filename().string() << ": bad manifest: " << e.what() << "\n";
      bad_suites++;
      continue;
    }
    for (const auto &c : s.cases) {
      bool ok;
      try {
        ok = run_case(o, s, c, tmp);
      } catch (const std::exception &e) {
        std::cout << "FAIL " << s.name << "/" << c.name << ": " << e.what() << "\n";
        ok = false;
      }
      (ok ? passed : failed)++;
    }
  }
  std::cout << (o.regen ? "regenerated " : "passed ") << passed << ", failed " << failed;
  if (bad_suites) std::cout << ", bad manifests " << bad_suites;
  std::cout << "\n";
  if (failed == 0 && !o.keep) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
  } else {
    std::cout << "working dirs kept in " << tmp.string() << "\n";
  }
  return failed == 0 && bad_suites == 0 ? 0 : 1;
}

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
// The manifest format is documented in apps/README.md; suite_manifest.h reads
// it (the same reader as `gpuos suite`).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "apps/tools/suite_manifest.h"

namespace fs = std::filesystem;

namespace {

using namespace gpuos::apps;

struct Options {
  fs::path bin;
  bool regen = false, keep = false;
  int timeout_s = 60;
};

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
  copy_case_files(s, c, r.work);
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
  try {
    suite_dirs = find_suites(paths);
  } catch (const SuiteError &e) {
    std::cerr << "native_suite: " << e.what() << "\n";
    return 2;
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

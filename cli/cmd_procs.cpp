// The process verbs: spawn, kill, wait, ps, stats. Each sends one request
// to the session (kernel/control/proc_verbs.cpp) and formats the reply;
// `ps` and `stats` format the one snapshot object the daemon sends
// (control::to_json(ProcSnapshot)), and --json prints it as it came.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/client.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "kernel/text_escape.h"
#include "procs/wasm/reader.h"

namespace gpuos::cli {

using nlohmann::json;

namespace {

// Memory in binary units: "0", "64 KiB", "1.5 MiB", "2.0 GiB".
std::string fmt_mem(uint64_t b) {
  if (b == 0) return "0";
  if (b >= (1ull << 30)) return fmt::format("{:.1f} GiB", static_cast<double>(b) / (1ull << 30));
  if (b >= (1ull << 20)) return fmt::format("{:.1f} MiB", static_cast<double>(b) / (1ull << 20));
  if (b >= (1ull << 10)) return fmt::format("{} KiB", b >> 10);
  return fmt::format("{} B", b);
}

// Milliseconds: "15 ms", "2.35 s", "4m05s", "3h07m".
std::string fmt_ms(uint64_t ms) {
  if (ms < 1000) return fmt::format("{} ms", ms);
  if (ms < 60000) return fmt::format("{:.2f} s", static_cast<double>(ms) / 1000.0);
  const uint64_t s = ms / 1000;
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, (s / 60) % 60);
}

// A text table: columns right-aligned unless named in `left`; widths fit the content.
void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                 const std::vector<bool>& left) {
  std::vector<size_t> w(header.size());
  for (size_t i = 0; i < header.size(); ++i) w[i] = header[i].size();
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], r[i].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < cells.size(); ++i) {
      const bool last = i + 1 == cells.size();
      if (i) out += "  ";
      if (left[i]) {
        out += last ? cells[i] : fmt::format("{:<{}}", cells[i], w[i]);
      } else {
        out += fmt::format("{:>{}}", cells[i], w[i]);
      }
    }
    std::printf("%s\n", out.c_str());
  };
  line(header);
  for (const auto& r : rows) line(r);
}

void print_heap(const json& snap) {
  std::vector<std::vector<std::string>> rows;
  for (const json& c : snap["heap"]) {
    const bool large = c.value("large", false);
    rows.push_back({large ? "large" : std::to_string(c["class"].get<unsigned>()),
                    large ? "pages" : std::to_string(c["block_size"].get<unsigned>()),
                    std::to_string(c["allocs"].get<uint64_t>()), std::to_string(c["frees"].get<uint64_t>()),
                    std::to_string(c["live"].get<uint64_t>()), std::to_string(c["slabs"].get<uint64_t>()),
                    std::to_string(c["bad_frees"].get<uint64_t>())});
  }
  print_table({"CLASS", "SIZE", "ALLOCS", "FREES", "LIVE", "SLABS", "BAD_FREES"}, rows,
              {false, false, false, false, false, false, false});
}

// The snapshot from a `ps` or `stats` reply, or an exit code.
std::variant<json, int> snapshot(const std::string& session, const char* verb) {
  auto r = one_call(session, {{"verb", verb}});
  if (auto* code = std::get_if<int>(&r)) return *code;
  return std::get<json>(r)["snapshot"];
}

}  // namespace

int cmd_spawn(const std::string& session, const SpawnArgs& a) {
  // The daemon reads the file, and its working directory is not ours. What
  // the file is (missing, a directory, a FIFO, too large) is the daemon's
  // to judge (wasm::read_module_file): a check here could only race it.
  std::error_code ec;
  if (a.program.empty()) {
    std::fprintf(stderr, "gpuos: spawn: the program path is empty\n");
    return EXIT_ERROR;
  }
  const std::filesystem::path path = std::filesystem::absolute(a.program, ec);
  if (ec) {  // a relative path from a working directory that was removed
    std::fprintf(stderr, "gpuos: spawn: %s: %s (give an absolute path)\n", escape_text(a.program).c_str(),
                 ec.message().c_str());
    return EXIT_ERROR;
  }
  json req = {{"verb", "spawn"},
              {"path", path.lexically_normal().string()},
              {"instances", a.instances},
              {"arg", a.first_arg},
              {"args", a.args}};
  // Files and directories: the daemon opens them, so they go as absolute paths.
  for (const auto& [key, p] : {std::pair{"stdout", &a.stdout_path}, {"stderr", &a.stderr_path}, {"stdin", &a.stdin_path}}) {
    if (p->empty()) continue;
    const std::filesystem::path abs = std::filesystem::absolute(*p, ec);
    if (ec) {
      std::fprintf(stderr, "gpuos: spawn: --%s %s: %s\n", key, escape_text(*p).c_str(), ec.message().c_str());
      return EXIT_ERROR;
    }
    req[key] = abs.lexically_normal().string();
  }
  if (!a.stdin_path.empty() && !std::filesystem::is_regular_file(a.stdin_path, ec)) {
    std::fprintf(stderr, "gpuos: spawn: --stdin %s: %s\n", escape_text(a.stdin_path).c_str(),
                 std::filesystem::exists(a.stdin_path, ec) ? "not a regular file" : "no such file");
    return EXIT_ERROR;
  }
  json dirs = json::array();
  for (const auto& [spec, ro] : a.dirs) {
    std::string why;
    auto d = parse_dir(spec, ro, why);
    if (!d) {
      std::fprintf(stderr, "gpuos: spawn: %s\n", why.c_str());
      return EXIT_ERROR;
    }
    dirs.push_back({{"host", d->host}, {"guest", d->guest}, {"read_only", d->read_only}});
  }
  if (!dirs.empty()) req["dirs"] = dirs;
  // The control protocol is JSON, whose strings are UTF-8: a path or an
  // argument that is not would make the request unencodable.
  std::vector<std::pair<std::string, const std::string*>> texts = {{"the program path", &a.program},
                                                                   {"--stdout", &a.stdout_path},
                                                                   {"--stderr", &a.stderr_path},
                                                                   {"--stdin", &a.stdin_path}};
  for (const std::string& arg : a.args) texts.emplace_back("an argument", &arg);
  for (const auto& d : a.dirs) texts.emplace_back(d.second ? "--dir-ro" : "--dir", &d.first);
  for (const auto& [what, text] : texts) {
    if (!wasm::is_valid_utf8(*text)) {
      std::fprintf(stderr, "gpuos: spawn: %s (%s) is not valid UTF-8, which the session's protocol needs\n",
                   what.c_str(), escape_text(*text).c_str());
      return EXIT_ERROR;
    }
  }
  auto r = one_call(session, req);
  if (auto* code = std::get_if<int>(&r)) return *code;
  const json& j = std::get<json>(r);
  if (a.json) {
    std::printf("%s\n", j.dump().c_str());
  } else {
    for (const json& pid : j["pids"]) std::printf("%u\n", pid.get<unsigned>());
  }
  const unsigned no_slot = j.value("failed_slots", 0u), no_pages = j.value("failed_pages", 0u);
  if (no_slot == 0 && no_pages == 0) return EXIT_OK;
  std::string why;
  if (no_slot) why += fmt::format("{} because the process table is full", no_slot);
  if (no_pages) why += fmt::format("{}{} for lack of free memory pages", why.empty() ? "" : ", ", no_pages);
  std::fprintf(stderr, "gpuos: spawn: %u of %u instances were refused: %s\n", no_slot + no_pages, a.instances,
               why.c_str());
  return EXIT_ERROR;
}

int cmd_kill(const std::string& session, uint32_t pid, bool tree, bool as_json) {
  json req = {{"verb", "kill"}, {"pid", pid}};
  if (tree) req["tree"] = true;
  auto r = one_call(session, req);
  if (auto* code = std::get_if<int>(&r)) return *code;
  const json& j = std::get<json>(r);
  if (as_json) {
    std::printf("%s\n", j.dump().c_str());
  } else if (tree) {
    const unsigned n = j.value("ended", 0u);
    if (j.value("whole_tree", true)) {
      std::printf("killed the tree of pid %u: %u process%s ended\n", pid, n, n == 1 ? "" : "es");
    } else {
      std::printf("killed pid %u and its descendants (in the tree of pid %u): %u process%s ended\n", pid,
                  j.value("root", 0u), n, n == 1 ? "" : "es");
    }
  } else {
    std::printf("killed pid %u\n", pid);
  }
  return EXIT_OK;
}

int cmd_wait(const std::string& session, uint32_t pid, std::optional<double> timeout_s, bool as_json) {
  json req = {{"verb", "wait"}, {"pid", pid}};
  if (timeout_s) req["timeout_ms"] = static_cast<uint64_t>(std::llround(*timeout_s * 1000.0));
  auto r = one_call(session, req);
  if (auto* code = std::get_if<int>(&r)) return *code;
  const json& j = std::get<json>(r);
  const json& e = j["exit"];
  const uint32_t status = e["status"].get<uint32_t>();
  const std::string how = e.value("how", "exited");
  if (as_json) {
    std::printf("%s\n", j.dump().c_str());
  } else if (how == "trapped") {
    std::printf("pid %u trapped: %s (pc %u); status %u\n", pid,
                escape_text(e.value("trap_where", std::string("?"))).c_str(),
                e["trap_pc"].get<unsigned>(), status);
  } else if (how == "killed") {
    std::printf("pid %u was killed (status %u)\n", pid, status);
  } else {
    std::printf("pid %u exited with status %u\n", pid, status);
  }
  // Our own exit status is the process's, where a shell can carry it.
  return status < 256 ? static_cast<int>(status) : EXIT_ERROR;
}

int cmd_ps(const std::string& session, bool as_json, bool heap, bool raw) {
  auto r = snapshot(session, "ps");
  if (auto* code = std::get_if<int>(&r)) return *code;
  const json& s = std::get<json>(r);
  if (as_json) {
    std::printf("%s\n", s.dump().c_str());
    return EXIT_OK;
  }
  std::vector<std::vector<std::string>> rows;
  for (const json& p : s["procs"]) {
    const std::string prog = p["prog"].get<std::string>();
    rows.push_back({std::to_string(p["pid"].get<unsigned>()), std::to_string(p["ppid"].get<unsigned>()),
                    p["state"].get<std::string>(), raw ? prog : escape_text(prog),
                    std::to_string(p["instructions"].get<uint64_t>()), fmt_mem(p["mem_bytes"].get<uint64_t>()),
                    fmt_ms(p["time_ms"].get<uint64_t>())});
  }
  print_table({"PID", "PPID", "STATE", "PROG", "INSTR", "MEM", "TIME"}, rows,
              {false, false, true, true, false, false, false});
  if (heap) {
    std::printf("\n");
    print_heap(s);
  }
  return EXIT_OK;
}

int cmd_stats(const std::string& session, bool as_json) {
  auto r = snapshot(session, "stats");
  if (auto* code = std::get_if<int>(&r)) return *code;
  json s = std::get<json>(r);
  if (as_json) {
    s.erase("procs");  // `ps --json` has them
    std::printf("%s\n", s.dump().c_str());
    return EXIT_OK;
  }
  const json& c = s["counters"];
  const json& cfg = s["config"];
  const uint64_t page = s["page_bytes"].get<uint64_t>();
  auto u = [](const json& j, const char* k) { return j[k].get<unsigned long long>(); };
  std::printf("processes  %llu live, %llu zombies; %llu spawned, %llu exited (%llu killed, %llu trapped)\n",
              u(c, "live"), u(c, "zombies"), u(c, "spawned"), u(c, "exited"), u(c, "killed"), u(c, "trapped"));
  std::printf("refused    %llu spawns (table full or no pages), %llu GPU spawns (tree limit or tree kill), %llu grows "
              "(no pages)\n",
              u(c, "spawn_failed"), c.value("tree_refused", 0ull), u(c, "grow_failed"));
  std::printf("table      %llu of %llu slots in use (highest used: %llu)\n", u(c, "slots_used"),
              u(cfg, "table_size"), u(c, "slot_high"));
  std::printf("pages      %llu of %llu in use (%s of %s); at most %llu per process\n", u(c, "pages_used"),
              u(cfg, "arena_pages"), fmt_mem(u(c, "pages_used") * page).c_str(),
              fmt_mem(u(cfg, "arena_pages") * page).c_str(), u(cfg, "max_pages"));
  std::printf("quantum    %llu ticks\n", u(cfg, "quantum"));
  std::printf("clock      %s\n", fmt_ms(u(s, "clock_ms")).c_str());
  std::printf("\nheap size classes (SIZE in bytes; LIVE = ALLOCS - FREES; the large row counts page runs):\n");
  print_heap(s);
  return EXIT_OK;
}

}  // namespace gpuos::cli

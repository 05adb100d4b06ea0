// The verbs that talk to a running session: status, ping, tail, emit,
// shutdown. Each sends one request and formats the reply; with --json the
// reply objects are printed as they come (one per line).
#include <cstdio>
#include <map>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/client.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/json_out.h"
#include "kernel/base64.h"
#include "kernel/text_escape.h"

namespace gpuos::cli {

using nlohmann::json;

namespace {

std::string fmt_bytes(uint64_t b) {
  if (b >= (1ull << 30)) return fmt::format("{:.1f} GiB", static_cast<double>(b) / (1ull << 30));
  if (b >= (1ull << 20)) return fmt::format("{:.1f} MiB", static_cast<double>(b) / (1ull << 20));
  if (b >= (1ull << 10)) return fmt::format("{:.1f} KiB", static_cast<double>(b) / (1ull << 10));
  return fmt::format("{} B", b);
}

void print_line(uint64_t seq, uint32_t pid, uint32_t lane, const std::string& body) {
  std::printf("%8llu  pid %-5u lane %-6u %s\n", static_cast<unsigned long long>(seq), pid, lane, body.c_str());
}

// One record, one line, except a process's stdout and stderr (Lines).
// Text a guest wrote is escaped (kernel/text_escape.h): newlines inside
// it too, so a record cannot pass for another; `raw` prints it as written.
void print_record_line(const json& r, bool raw) {
  const std::string kind = r.value("kind", "");
  std::string body;
  if (kind == "text") {
    body = r.value("text", "");
    if (!raw) body = escape_text(body);
  } else {
    body = kind + " [";
    const auto& words = r["words"];
    for (size_t i = 0; i < words.size() && i < 4; ++i) body += fmt::format("{}{:08x}", i ? " " : "", words[i].get<uint32_t>());
    body += words.size() > 4 ? " ...]" : "]";
  }
  print_line(r.value("seq", 0ull), r.value("pid", 0u), r.value("lane", 0u), body);
}

// A process's stdout and stderr as the program wrote them: a record holds
// at most OUT_TEXT_MAX bytes, so a line (and a UTF-8 character) may span
// several. Each stream's bytes are joined, and each line shown once whole,
// tagged with the record it began in; a line still unfinished is shown
// when its process exits, when it grows past 4 KiB, or at the end.
class Lines {
 public:
  explicit Lines(bool raw) : raw_(raw) {}
  // A stdout or stderr record.
  void add(const json& r) {
    const bool err = r.value("kind", "") == "stderr";
    const uint32_t pid = r.value("pid", 0u);
    std::string bytes = r.value("text", "");
    if (r.contains("data")) {  // not UTF-8 by itself: the exact bytes
      if (auto d = base64_decode(r["data"].get<std::string>())) bytes = std::move(*d);
    }
    Pending& p = pending_[{pid, err}];
    if (p.text.empty()) {
      p.seq = r.value("seq", 0ull);
      p.lane = r.value("lane", 0u);
    }
    p.text += bytes;
    for (size_t nl; (nl = p.text.find('\n')) != std::string::npos;) {
      show(pid, err, p, p.text.substr(0, nl));
      p.text.erase(0, nl + 1);
      p.seq = r.value("seq", 0ull);  // the rest began in this record
      p.lane = r.value("lane", 0u);
    }
    if (p.text.size() > 4096) {
      show(pid, err, p, p.text);
      p.text.clear();
    }
  }
  void flush(uint32_t pid) {
    for (bool err : {false, true}) {
      auto it = pending_.find({pid, err});
      if (it == pending_.end()) continue;
      if (!it->second.text.empty()) show(pid, err, it->second, it->second.text);
      pending_.erase(it);
    }
  }
  void flush_all() {
    while (!pending_.empty()) flush(pending_.begin()->first.first);
  }

 private:
  struct Pending {
    uint64_t seq = 0;
    uint32_t lane = 0;
    std::string text;
  };
  void show(uint32_t pid, bool err, const Pending& p, const std::string& text) {
    print_line(p.seq, pid, p.lane, std::string(err ? "stderr: " : "stdout: ") + (raw_ ? text : escape_text(text)));
  }
  bool raw_;
  std::map<std::pair<uint32_t, bool>, Pending> pending_;
};

}  // namespace

int cmd_status(const std::string& session, bool as_json) {
  auto r = one_call(session, {{"verb", "status"}});
  if (auto* code = std::get_if<int>(&r)) return *code;
  const json& st = std::get<json>(r)["status"];
  if (as_json) {
    print_json(st);
    return EXIT_OK;
  }
  const auto& k = st["kernel"];
  const auto& ring = st["ring"];
  std::printf("session   %s\n", session.c_str());
  std::printf("device    %u: %s (%s)\n", st["device"]["index"].get<unsigned>(),
              st["device"]["name"].get<std::string>().c_str(), st["device"]["type"].get<std::string>().c_str());
  std::printf("mode      %s (%s)\n", st["mode"].get<std::string>().c_str(), st["mode_reason"].get<std::string>().c_str());
  std::printf("kernel    %s, %u workgroups, %u lanes (%u in the loop), %llu launches, heartbeat %u%s\n",
              k["state"].get<std::string>().c_str(), k["workgroups"].get<unsigned>(), k["lanes"].get<unsigned>(),
              k["lanes_running"].get<unsigned>(), k["launches"].get<unsigned long long>(), k["heartbeat"].get<unsigned>(),
              k.value("loop_cuts", 0u) ? fmt::format("; {} lanes cut short by llvmpipe's loop budget (docs/platform.md 2h)",
                                                    k["loop_cuts"].get<unsigned>()).c_str()
                                       : "");
  std::printf("ring      %llu records received (%s), %llu dropped, capacity %u%s\n",
              ring["received"].get<unsigned long long>(), fmt_bytes(ring["bytes"].get<uint64_t>()).c_str(),
              ring["drops"].get<unsigned long long>(), ring["capacity"].get<unsigned>(),
              ring.value("lost_claims", 0ull) ? fmt::format(", {} lost claims skipped (docs/platform.md 2g)",
                                                           ring["lost_claims"].get<unsigned long long>()).c_str()
                                              : "");
  std::printf("memory    control %s; ring %s; replies %s\n", st["memory"]["control"].get<std::string>().c_str(),
              st["memory"]["ring"].get<std::string>().c_str(), st["memory"]["host"].get<std::string>().c_str());
  std::printf("host I/O  %s, %llu requests served; %u of %u request slots held\n",
              st["io"]["backend"].get<std::string>().c_str(), st["io"]["requests"].get<unsigned long long>(),
              st["io"].value("slots_held", 0u), st["io"].value("slots", 0u));
  std::printf("commands  %llu\n", st["commands"].get<unsigned long long>());
  std::printf("uptime    %.1f s\n", st["uptime_s"].get<double>());
  if (st["failed"].get<bool>()) std::printf("FAILED    %s\n", st["failure"].get<std::string>().c_str());
  return EXIT_OK;
}

int cmd_ping(const std::string& session, uint32_t count, bool as_json) {
  auto r = one_call(session, {{"verb", "ping"}, {"count", count}});
  if (auto* code = std::get_if<int>(&r)) return *code;
  const json& j = std::get<json>(r);
  if (as_json) {
    print_json(j);
    return EXIT_OK;
  }
  std::printf("%u pings (%s mode): p50 %.2f us  p99 %.2f us  min %.2f us  max %.2f us\n", count,
              j["mode"].get<std::string>().c_str(), j["p50_us"].get<double>(), j["p99_us"].get<double>(),
              j["min_us"].get<double>(), j["max_us"].get<double>());
  return EXIT_OK;
}

int cmd_emit(const std::string& session, uint32_t count, const std::string& kind, bool may_drop, bool as_json) {
  auto r = one_call(session, {{"verb", "emit"}, {"count", count}, {"kind", kind}, {"may_drop", may_drop}});
  if (auto* code = std::get_if<int>(&r)) return *code;
  const json& j = std::get<json>(r);
  if (as_json) {
    print_json(j);
  } else {
    std::printf("emitted %u records, dropped %u\n", j["emitted"].get<unsigned>(), j["dropped"].get<unsigned>());
  }
  return EXIT_OK;
}

int cmd_tail(const std::string& session, uint32_t n, bool follow, bool as_json, bool raw) {
  auto c = Client::connect(session);
  if (!c) {
    report_error("gpuos: %s\n", c.detail().c_str());
    return exit_code_for(c.code());
  }
  if (auto s = c->send({{"verb", "tail"}, {"n", n}, {"follow", follow}}); !s) {
    report_error("gpuos: %s\n", s.detail().c_str());
    return EXIT_ERROR;
  }
  Lines lines(raw);
  while (true) {
    auto line = c->read();
    if (!line) {
      lines.flush_all();
      report_error("gpuos: %s\n", line.detail().c_str());
      return follow ? EXIT_OK : EXIT_ERROR;  // a followed session that ends is a normal end
    }
    const json& j = line.value();
    if (!j.value("ok", false)) {
      report_error("gpuos: %s\n", j.value("error", std::string("tail failed")).c_str());
      return EXIT_ERROR;
    }
    if (j.contains("record")) {
      const json& rec = j["record"];
      const std::string kind = rec.value("kind", "");
      if (as_json) {
        json out = rec;
        out["schema"] = j.value("schema", 1);
        print_json(out);
      } else if (kind == "stdout" || kind == "stderr") {
        lines.add(rec);
      } else {
        if (kind == "exit") lines.flush(rec.value("pid", 0u));  // its last line, unfinished
        print_record_line(rec, raw);
      }
      std::fflush(stdout);
      continue;
    }
    if (j.contains("skipped")) {  // this reader fell behind; the daemon dropped records for it
      if (as_json) {
        print_json(j);
      } else {
        std::printf("-- %llu records skipped: this reader fell behind --\n", j.value("skipped", 0ull));
      }
      continue;
    }
    if (j.value("end", false)) {
      lines.flush_all();
      const auto drops = j.value("drops", 0ull);
      if (as_json) {
        print_json(j);
      } else if (drops > 0) {
        std::printf("-- %llu records dropped by producers when the ring was full --\n",
                    static_cast<unsigned long long>(drops));
      }
      if (j.value("failed", false)) {
        report_error("gpuos: %s\n", j.value("reason", std::string("session failed")).c_str());
        return EXIT_FAILED;
      }
      return EXIT_OK;
    }
  }
}

int cmd_shutdown(const std::string& session, bool as_json) {
  auto r = one_call(session, {{"verb", "shutdown"}});
  if (auto* code = std::get_if<int>(&r)) return *code;
  const json& j = std::get<json>(r);
  // The reply comes when the kernel has stopped; the daemon then closes its
  // socket and lock. Returning before that let a `boot` right after find
  // the session "already running" (seen on an H100).
  if (!wait_session_gone(session, std::chrono::seconds(10))) {
    report_error("gpuos: session '%s' stopped its kernel, but its daemon still holds the session after 10 s\n",
                 session.c_str());
    return EXIT_FAILED;
  }
  if (as_json) {
    print_json(j);
  } else {
    std::printf("session '%s' shut down (kernel stopped in %lld us)\n", session.c_str(),
                j["kernel_stop_us"].get<long long>());
  }
  return EXIT_OK;
}

}  // namespace gpuos::cli

namespace gpuos::cli {

int cmd_fault(const std::string& session, const std::string& what) {
  auto r = one_call(session, {{"verb", "fault"}, {"what", what}});
  if (auto* code = std::get_if<int>(&r)) return *code;
  std::printf("fault '%s' injected\n", what.c_str());
  return EXIT_OK;
}

}  // namespace gpuos::cli

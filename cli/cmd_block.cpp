// `gpuos block run|view|rollback`: blocks of contract calls against a state
// database (docs/contracts.md, docs/cli.md "gpuos block").
//
// Calls run on the CPU reference executor today (contracts/ref_host.h); the
// GPU executor of issue 16 is not built yet. Every line of output says
// which executor ran the block, so no figure is mistaken for the GPU's.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/json_out.h"
#include "contracts/block_runner.h"
#include "kernel/text_escape.h"

namespace gpuos::cli {
namespace {

using nlohmann::json;
using namespace contracts;

constexpr const char* kExecutor = "cpu-reference";

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

// Return data as a person reads it: the text when it is printable, else hex;
// a failed call's data (08 c3 79 a0, then the message) as "revert: ...".
std::string shown(std::string_view data) {
  if (data.empty()) return "(none)";
  auto printable = [](std::string_view s) {
    for (unsigned char c : s) {
      if (c < 0x20 || c >= 0x7f) return false;
    }
    return true;
  };
  constexpr std::string_view kRevert("\x08\xc3\x79\xa0", 4);
  if (data.starts_with(kRevert) && printable(data.substr(4))) return fmt::format("revert: \"{}\"", data.substr(4));
  return printable(data) ? fmt::format("\"{}\"", data) : "0x" + hex(data);
}

json call_json(const CallOutcome& c) {
  json transfers = json::array(), storage = json::array();
  for (const Transfer& t : c.response.transfers) transfers.push_back({to_string(t.id), to_string(t.value)});
  for (const auto& [k, v] : c.response.storage) storage.push_back({hex(k), hex(v)});
  json j = {{"call", c.index},          {"line", c.line}, {"target", to_string(c.target)},
            {"ok", c.response.ok},      {"data", hex(c.response.data)},
            {"transfers", transfers},   {"storage", storage},
            {"fuel_used", c.response.fuel_used}};
  if (!c.response.ok) j["error"] = c.response.failure;
  return j;
}

void print_call(const CallOutcome& c) {
  std::string line = fmt::format("call {} (line {}) {}: {}", c.index, c.line, to_string(c.target),
                                 c.response.ok ? "ok" : "FAILED: " + escape_text(c.response.failure));
  line += "  data " + escape_text(shown(c.response.data));
  line += fmt::format("  fuel {}", c.response.fuel_used);
  for (const Transfer& t : c.response.transfers) line += fmt::format("  send {} {}", to_string(t.value), to_string(t.id));
  for (const auto& [k, v] : c.response.storage) line += fmt::format("  set {}=0x{}", escape_text(k), hex(v));
  std::printf("%s\n", line.c_str());
}

std::unique_ptr<StateStore> open_db(const std::string& db) {
  auto s = StateStore::open(db);
  if (!s) {
    report_error("gpuos: block: %s\n", s.detail().c_str());
    return nullptr;
  }
  return std::move(s.value());
}

}  // namespace

int cmd_block_run(const BlockArgs& a) {
  auto block = read_block_file(a.block_file);
  if (!block) return report_error("gpuos: block run: %s\n", block.detail().c_str()), EXIT_ERROR;
  auto state = open_db(a.db);
  if (!state) return EXIT_ERROR;
  // A long block says how far it is on stderr: a counting line on a
  // terminal, else a line every GPUOS_PROGRESS_MS (default 10 s); nothing
  // for a block done within the first second (or that interval, if less).
  const bool tty = isatty(STDERR_FILENO) != 0;
  const auto t0 = std::chrono::steady_clock::now();
  auto last_shown = t0;
  bool shown = false;
  std::chrono::milliseconds step(tty ? 250 : 10000);
  if (const char* env = std::getenv("GPUOS_PROGRESS_MS"); env && !tty) {
    if (const long ms = std::strtol(env, nullptr, 10); ms > 0) step = std::chrono::milliseconds(ms);
  }
  const auto quiet = std::min<std::chrono::milliseconds>(std::chrono::seconds(1), step);
  auto progress = [&](size_t done, size_t total) {
    const auto now = std::chrono::steady_clock::now();
    if (now - t0 < quiet || now - last_shown < step) return;
    last_shown = now;
    shown = true;
    std::fprintf(stderr, tty ? "\r\033[Kblock run: %zu of %zu calls" : "block run: %zu of %zu calls\n", done, total);
  };
  auto out = run_block_ref(block.value(), *state, progress);
  if (shown && tty) std::fprintf(stderr, "\r\033[K");
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!out) return report_error("gpuos: block run: %s\n", out.detail().c_str()), EXIT_ERROR;
  for (const CallOutcome& c : out->calls) {
    if (a.json) {
      print_json(call_json(c));
    } else {
      print_call(c);
    }
  }
  const size_t n = out->calls.size();
  const double rate = s > 0 ? static_cast<double>(n) / s : 0.0;
  uint64_t fuel = 0;
  for (const CallOutcome& c : out->calls) fuel += c.response.fuel_used;
  if (a.json) {
    print_json({{"end", true}, {"height", out->height}, {"calls", n}, {"failed", out->failed}, {"fuel", fuel},
                {"seconds", s}, {"calls_per_s", rate}, {"executor", kExecutor}});
  } else {
    std::printf("block %llu committed: %zu calls, %zu failed, fuel %llu, %.3f s, %.0f calls/s (%s executor)\n",
                static_cast<unsigned long long>(out->height), n, out->failed, static_cast<unsigned long long>(fuel),
                s, rate, kExecutor);
  }
  return EXIT_OK;
}

int cmd_block_view(const BlockArgs& a) {
  auto target = parse_alkane_id(a.target);
  if (!target) return report_error("gpuos: block view: %s: not an id \"block:tx\"\n", a.target.c_str()), EXIT_ERROR;
  std::vector<u128> inputs;
  for (const std::string& s : a.inputs) {
    auto v = parse_u128(s);
    if (!v) return report_error("gpuos: block view: input %s: not a decimal u128\n", s.c_str()), EXIT_ERROR;
    inputs.push_back(*v);
  }
  if (inputs.empty()) return report_error("gpuos: block view: give the opcode (inputs[0])\n"), EXIT_ERROR;
  auto state = open_db(a.db);
  if (!state) return EXIT_ERROR;
  auto view = view_call_ref(*state, *target, std::move(inputs));
  if (!view) return report_error("gpuos: block view: %s\n", view.detail().c_str()), EXIT_ERROR;
  const CallResponse& r = view->response;
  // A view never commits: its writes are shown, not applied.
  const CallOutcome c{.index = 0, .line = 0, .target = *target, .response = r};
  if (a.json) {
    json j = call_json(c);
    j.erase("call");
    j.erase("line");
    j["height"] = view->height ? json(*view->height) : json(nullptr);
    j["executor"] = kExecutor;
    print_json(j);
  } else {
    std::printf("%s\n", escape_text(shown(r.data)).c_str());
    if (!r.ok) std::printf("(the call failed: %s)\n", escape_text(r.failure).c_str());
  }
  return r.ok ? EXIT_OK : EXIT_ERROR;
}

int cmd_block_rollback(const BlockArgs& a) {
  auto state = open_db(a.db);
  if (!state) return EXIT_ERROR;
  auto undone = state->rollback(a.to_height);
  if (!undone) return report_error("gpuos: block rollback: %s\n", undone.detail().c_str()), EXIT_ERROR;
  auto height = state->height();
  if (!height) return report_error("gpuos: block rollback: %s\n", height.detail().c_str()), EXIT_ERROR;
  if (a.json) {
    print_json({{"undone", *undone}, {"height", height->has_value() ? json(**height) : json(nullptr)}});
  } else if (height->has_value()) {
    std::printf("rolled back %llu block(s); the newest block is now %llu\n",
                static_cast<unsigned long long>(*undone), static_cast<unsigned long long>(**height));
  } else {
    std::printf("rolled back %llu block(s); no block is left\n", static_cast<unsigned long long>(*undone));
  }
  return EXIT_OK;
}

}  // namespace gpuos::cli

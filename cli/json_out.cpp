#include "cli/json_out.h"

#include <cstdarg>
#include <cstdio>
#include <string>
#include <string_view>

#include "kernel/control/json.h"

namespace gpuos::cli {
namespace {

bool g_json = false;
std::string g_error;  // the last report_error message, without "gpuos: " and the newline

}  // namespace

void set_json_output(bool on) { g_json = on; }

void print_json(nlohmann::json doc) {
  if (!doc.contains("schema")) doc["schema"] = control::JSON_SCHEMA;
  if (!doc.contains("ok")) doc["ok"] = true;
  const std::string line = doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);  // a stream's lines reach a pipe as they come
}

int report_error(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  va_list again;
  va_copy(again, args);
  const int n = std::vsnprintf(nullptr, 0, fmt, args);
  va_end(args);
  std::string text(n > 0 ? static_cast<size_t>(n) : 0u, '\0');
  if (n > 0) std::vsnprintf(text.data(), text.size() + 1, fmt, again);
  va_end(again);
  std::fputs(text.c_str(), stderr);
  std::string_view msg = text;
  if (msg.starts_with("gpuos: ")) msg.remove_prefix(7);
  while (!msg.empty() && msg.back() == '\n') msg.remove_suffix(1);
  g_error = msg;
  return 0;
}

int finish_json(int exit_code, const nlohmann::json& extra) {
  if (g_json && exit_code != 0 && (!g_error.empty() || extra.contains("error"))) {
    nlohmann::json line = extra;
    line["ok"] = false;
    if (!g_error.empty()) line["error"] = g_error;
    line["exit_code"] = exit_code;
    print_json(std::move(line));
    g_error.clear();
  }
  return exit_code;
}

}  // namespace gpuos::cli

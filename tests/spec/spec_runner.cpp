// spec_runner.cpp: command semantics of the spec test suite (see spec_runner.h).
#include "tests/spec/spec_runner.h"

#include <cstdlib>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

namespace gpuos::spec {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

bool read_bytes(const fs::path& path, std::vector<uint8_t>& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

// Argument or constant result value as a slot.
Slot to_slot(const json& v) {
  const std::string type = v.value("type", "");
  const std::string text = v.contains("value") && v["value"].is_string() ? v["value"].get<std::string>() : "";
  if (type == "externref" || type == "funcref") {
    if (text == "null") return 0;
    return std::strtoull(text.c_str(), nullptr, 10) + 1;
  }
  return std::strtoull(text.c_str(), nullptr, 10);
}

// Compares one result with its expectation; returns "" or a reason.
std::string compare(const json& want, Slot got) {
  const std::string type = want.value("type", "");
  const std::string text = want.contains("value") && want["value"].is_string() ? want["value"].get<std::string>() : "";
  auto show = [&]() { return type + " " + text + " (got " + std::to_string(got) + ")"; };
  if (type == "f32" || type == "f64") {
    const bool f32 = type == "f32";
    const uint64_t bits = f32 ? (got & 0xffffffffu) : got;
    const uint64_t exp_mask = f32 ? 0x7f800000u : 0x7ff0000000000000ull;
    const uint64_t quiet = f32 ? 0x00400000u : 0x0008000000000000ull;
    const uint64_t payload = f32 ? 0x007fffffu : 0x000fffffffffffffull;
    const bool is_nan = (bits & exp_mask) == exp_mask && (bits & payload) != 0;
    if (text == "nan:canonical") return is_nan && (bits & payload) == quiet ? "" : "expected " + show();
    if (text == "nan:arithmetic") return is_nan && (bits & quiet) ? "" : "expected " + show();
    return bits == std::strtoull(text.c_str(), nullptr, 10) ? "" : "expected " + show();
  }
  if (type == "i32") return (got & 0xffffffffu) == std::strtoull(text.c_str(), nullptr, 10) ? "" : "expected " + show();
  if (type == "i64") return got == std::strtoull(text.c_str(), nullptr, 10) ? "" : "expected " + show();
  if (type == "externref" || type == "funcref") {
    if (!want.contains("value")) return got != 0 ? "" : "expected non-null " + type;  // (ref.func) / (ref.extern)
    if (text == "null") return got == 0 ? "" : "expected null " + type + " (got " + std::to_string(got) + ")";
    if (type == "funcref") return got != 0 ? "" : "expected non-null funcref";
    return got == to_slot(want) ? "" : "expected " + show();
  }
  return "unsupported result type " + type;
}

ActionResult perform(const json& action, Executor& ex) {
  const std::string module = action.value("module", "");
  const std::string field = action.value("field", "");
  if (action.value("type", "") == "get") return ex.get(module, field);
  std::vector<Slot> args;
  for (const json& a : action.value("args", json::array())) args.push_back(to_slot(a));
  return ex.invoke(module, field, args);
}

}  // namespace

fs::path convert_wast(const fs::path& wast, const std::string& wast2json, const fs::path& work_dir,
                      std::string& error) {
  const std::string stem = wast.stem().string();
  const fs::path out_dir = work_dir / stem;
  std::error_code ec;
  fs::remove_all(out_dir, ec);
  fs::create_directories(out_dir, ec);
  const fs::path json_path = out_dir / (stem + ".json");
  const fs::path log = out_dir / "wast2json.log";
  const std::string cmd = quote(wast2json) + " " + quote(wast.string()) + " -o " + quote(json_path.string()) +
                          " > " + quote(log.string()) + " 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    error = "wast2json failed; see " + log.string();
    return {};
  }
  return json_path;
}

FileReport run_json(const fs::path& json_path, Executor& ex) {
  FileReport rep;
  rep.name = json_path.stem().string();
  json doc;
  try {
    std::ifstream in(json_path);
    doc = json::parse(in);
  } catch (const std::exception& e) {
    rep.total.failed++;
    rep.failures.push_back(rep.name + ": cannot parse " + json_path.string() + ": " + e.what());
    return rep;
  }
  const fs::path dir = json_path.parent_path();
  for (const json& cmd : doc.value("commands", json::array())) {
    const std::string type = cmd.value("type", "");
    const std::string where = rep.name + ".wast:" + std::to_string(cmd.value("line", 0)) + " " + type;
    Counts& counts = rep.by_command[type];
    auto pass = [&]() { counts.passed++, rep.total.passed++; };
    auto skip = [&]() { counts.skipped++, rep.total.skipped++; };
    auto failure = [&](const std::string& why) {
      counts.failed++, rep.total.failed++;
      rep.failures.push_back(where + ": " + why);
    };
    auto module_bytes = [&](std::vector<uint8_t>& bytes) {
      const std::string file = cmd.value("filename", "");
      if (!read_bytes(dir / file, bytes)) {
        failure("cannot read " + file);
        return false;
      }
      return true;
    };

    if (type == "module") {
      std::vector<uint8_t> bytes;
      if (!module_bytes(bytes)) continue;
      std::string msg;
      const InstantiateStatus st = ex.instantiate(bytes, cmd.value("name", ""), msg);
      if (st == InstantiateStatus::Ok) pass();
      else failure("module not instantiated: " + msg);
    } else if (type == "register") {
      if (ex.register_as(cmd.value("as", ""), cmd.value("name", ""))) pass();
      else failure("no module to register");
    } else if (type == "action" || type == "assert_return") {
      const ActionResult r = perform(cmd["action"], ex);
      if (r.status != ActionResult::Status::Ok) {
        failure((r.status == ActionResult::Status::Trap ? "trapped: " : "error: ") + r.message);
        continue;
      }
      if (type == "action") {
        pass();
        continue;
      }
      const json expected = cmd.value("expected", json::array());
      if (expected.size() != r.values.size()) {
        failure("expected " + std::to_string(expected.size()) + " results, got " + std::to_string(r.values.size()));
        continue;
      }
      std::string why;
      for (size_t i = 0; i < expected.size() && why.empty(); ++i) why = compare(expected[i], r.values[i]);
      if (why.empty()) pass();
      else failure(why);
    } else if (type == "assert_trap" || type == "assert_exhaustion") {
      const ActionResult r = perform(cmd["action"], ex);
      const std::string text = cmd.value("text", "");
      if (r.status != ActionResult::Status::Trap) {
        failure(r.status == ActionResult::Status::Ok ? "returned, expected trap \"" + text + "\"" : "error: " + r.message);
      } else if (type == "assert_exhaustion" ? !r.exhaustion : !(r.message.starts_with(text) || text.starts_with(r.message))) {
        failure("trapped with \"" + r.message + "\", expected \"" + text + "\"");
      } else {
        pass();
      }
    } else if (type == "assert_invalid" || type == "assert_malformed") {
      if (cmd.value("module_type", "binary") != "binary") {
        skip();
        continue;
      }
      std::vector<uint8_t> bytes;
      if (!module_bytes(bytes)) continue;
      if (!ex.check(bytes).empty()) pass();
      else failure("module accepted, expected \"" + cmd.value("text", "") + "\"");
    } else if (type == "assert_unlinkable" || type == "assert_uninstantiable") {
      std::vector<uint8_t> bytes;
      if (!module_bytes(bytes)) continue;
      std::string msg;
      const InstantiateStatus want =
          type == "assert_unlinkable" ? InstantiateStatus::Unlinkable : InstantiateStatus::Trap;
      const InstantiateStatus got = ex.instantiate(bytes, "", msg);
      if (got == want) pass();
      else failure("instantiation gave status " + std::to_string(static_cast<int>(got)) + " (" + msg +
                   "), expected \"" + cmd.value("text", "") + "\"");
    } else {
      skip();
    }
  }
  return rep;
}

}  // namespace gpuos::spec

#include "contracts/block_file.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace gpuos::contracts {
namespace {

using nlohmann::json;

// Thrown inside one line's parse only; parse_block turns it into a Result.
struct LineError {
  std::string what;
};

[[noreturn]] void bad(std::string what) { throw LineError{std::move(what)}; }

std::string shown(const json& j) {
  std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

AlkaneId id_of(const json& j, const char* field) {
  if (!j.is_string()) bad(fmt::format("{}: an id is a string \"block:tx\", not {}", field, shown(j)));
  auto id = parse_alkane_id(j.get<std::string>());
  if (!id) bad(fmt::format("{}: not an id \"block:tx\" of two decimal u128 numbers: {}", field, shown(j)));
  return *id;
}

// u128 values are decimal strings; a non-negative JSON integer is taken too.
u128 u128_of(const json& j, const std::string& field) {
  if (j.is_number_unsigned()) return j.get<uint64_t>();
  if (!j.is_string()) bad(fmt::format("{}: a u128 is a decimal string, not {}", field, shown(j)));
  auto v = parse_u128(j.get<std::string>());
  if (!v) bad(fmt::format("{}: not a decimal u128: {}", field, shown(j)));
  return *v;
}

uint64_t u64_of(const json& j, const std::string& field) {
  const u128 v = u128_of(j, field);
  if (v > UINT64_MAX) bad(fmt::format("{}: {} is more than 2^64 - 1", field, to_string(v)));
  return static_cast<uint64_t>(v);
}

std::string bytes_of_hex(const json& j, const char* field) {
  if (!j.is_string()) bad(fmt::format("{}: hex bytes are a string, not {}", field, shown(j)));
  const std::string& hex = j.get_ref<const std::string&>();
  if (hex.size() % 2 != 0) bad(fmt::format("{}: an odd number of hex digits ({})", field, hex.size()));
  auto nibble = [&](char c) -> unsigned {
    if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return static_cast<unsigned>(c - 'A' + 10);
    bad(fmt::format("{}: '{}' is not a hex digit", field, c));
  };
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<char>(nibble(hex[2 * i]) << 4 | nibble(hex[2 * i + 1]));
  return out;
}

void only_fields(const json& line, std::initializer_list<const char*> allowed, const char* kind) {
  for (const auto& [key, value] : line.items()) {
    bool known = false;
    for (const char* a : allowed) known = known || key == a;
    if (!known) bad(fmt::format("{}: unknown field \"{}\"", kind, key));
  }
}

Deploy deploy_of(const json& line, const std::filesystem::path& dir) {
  only_fields(line, {"deploy", "id"}, "deploy");
  const json& path = line["deploy"];
  if (!path.is_string() || path.get<std::string>().empty()) bad("deploy: the path of a .wasm file, as a string");
  if (!line.contains("id")) bad("deploy: no \"id\"");
  Deploy d;
  d.wasm = dir / path.get<std::string>();
  d.id = id_of(line["id"], "id");
  return d;
}

Call call_of(const json& line) {
  only_fields(line, {"call", "inputs", "caller", "incoming", "fuel", "tx"}, "call");
  Call c;
  c.target = id_of(line["call"], "call");
  if (!line.contains("inputs")) bad("call: no \"inputs\" (the opcode is inputs[0])");
  const json& inputs = line["inputs"];
  if (!inputs.is_array() || inputs.empty()) bad("call: \"inputs\" is a non-empty array (the opcode first)");
  for (size_t i = 0; i < inputs.size(); ++i) c.inputs.push_back(u128_of(inputs[i], fmt::format("inputs[{}]", i)));
  if (line.contains("caller")) c.caller = id_of(line["caller"], "caller");
  if (line.contains("incoming")) {
    const json& in = line["incoming"];
    if (!in.is_array()) bad("call: \"incoming\" is an array of [\"block:tx\", \"value\"] pairs");
    for (size_t i = 0; i < in.size(); ++i) {
      if (!in[i].is_array() || in[i].size() != 2) {
        bad(fmt::format("incoming[{}]: a pair [\"block:tx\", \"value\"], not {}", i, shown(in[i])));
      }
      c.incoming.push_back({id_of(in[i][0], "incoming id"), u128_of(in[i][1], fmt::format("incoming[{}] value", i))});
    }
  }
  if (line.contains("fuel")) c.fuel = u64_of(line["fuel"], "fuel");
  if (line.contains("tx")) c.tx = bytes_of_hex(line["tx"], "tx");
  return c;
}

}  // namespace

const char* to_string(BlockFileError e) {
  switch (e) {
    case BlockFileError::Unreadable: return "unreadable";
    case BlockFileError::Malformed: return "malformed";
  }
  return "?";
}

size_t Block::calls() const {
  size_t n = 0;
  for (const BlockEntry& e : entries) n += std::holds_alternative<Call>(e) ? 1 : 0;
  return n;
}

Result<Block, BlockFileError> parse_block(std::string_view text, const std::filesystem::path& dir,
                                          std::string_view name) {
  Block block;
  size_t line_no = 0;
  bool seen_entry = false;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view raw = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (raw.find_first_not_of(" \t\r") == std::string_view::npos) continue;  // blank lines are allowed
    try {
      const json line = json::parse(raw);
      if (!line.is_object()) bad("a line is one JSON object");
      if (line.contains("height")) {
        only_fields(line, {"height"}, "height");
        if (seen_entry || block.height) bad("\"height\" goes on the first line, once");
        block.height = u64_of(line["height"], "height");
      } else if (line.contains("deploy")) {
        block.entries.push_back(deploy_of(line, dir));
        std::get<Deploy>(block.entries.back()).line = line_no;
      } else if (line.contains("call")) {
        block.entries.push_back(call_of(line));
        std::get<Call>(block.entries.back()).line = line_no;
      } else {
        bad("a line is {\"height\": N}, {\"deploy\": ...} or {\"call\": ...}");
      }
      seen_entry = seen_entry || !line.contains("height");
    } catch (const LineError& e) {
      return fail(BlockFileError::Malformed, fmt::format("{}:{}: {}", name, line_no, e.what));
    } catch (const json::exception& e) {
      return fail(BlockFileError::Malformed, fmt::format("{}:{}: not JSON ({})", name, line_no, e.what()));
    }
  }
  return block;
}

Result<Block, BlockFileError> read_block_file(const std::filesystem::path& file) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) {
    return fail(BlockFileError::Unreadable, fmt::format("{}: is a directory, not a block file", file.string()));
  }
  // A FIFO or a device would block the read, or never end it.
  if (std::filesystem::exists(file, ec) && !std::filesystem::is_regular_file(file, ec)) {
    return fail(BlockFileError::Unreadable, fmt::format("{}: not a regular file", file.string()));
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(BlockFileError::Unreadable, fmt::format("{}: cannot be read", file.string()));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return fail(BlockFileError::Unreadable, fmt::format("{}: read error", file.string()));
  return parse_block(text.str(), file.parent_path(), file.filename().string());
}

}  // namespace gpuos::contracts

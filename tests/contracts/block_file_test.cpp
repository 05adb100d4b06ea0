// Block files (contracts/block_file.h): the format docs/contracts.md gives,
// and a clear, line-numbered refusal for everything else.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "contracts/block_file.h"

namespace gpuos::contracts {
namespace {

Block parse_ok(std::string_view text) {
  auto b = parse_block(text, "/blocks", "b.jsonl");
  EXPECT_TRUE(b.ok()) << b.detail();
  return b.ok() ? b.value() : Block{};
}

std::string parse_error(std::string_view text) {
  auto b = parse_block(text, "/blocks", "b.jsonl");
  EXPECT_FALSE(b.ok()) << "accepted: " << text;
  if (b.ok()) return "";
  EXPECT_EQ(b.code(), BlockFileError::Malformed);
  return b.detail();
}

TEST(BlockFile, TheIssuesExample) {
  const Block b = parse_ok(
      R"({"height": 900000}
{"deploy": "contracts/free_mint.wasm", "id": "2:7"}
{"call": "2:7", "inputs": ["99"], "caller": "0:0", "incoming": [["2:7", "100"]], "fuel": "100000000", "tx": "0aFF"}
)");
  ASSERT_EQ(b.height, 900000u);
  ASSERT_EQ(b.entries.size(), 2u);
  EXPECT_EQ(b.calls(), 1u);
  const auto& d = std::get<Deploy>(b.entries[0]);
  EXPECT_EQ(d.wasm, "/blocks/contracts/free_mint.wasm");
  EXPECT_EQ(d.id, (AlkaneId{2, 7}));
  EXPECT_EQ(d.line, 2u);
  const auto& c = std::get<Call>(b.entries[1]);
  EXPECT_EQ(c.target, (AlkaneId{2, 7}));
  ASSERT_EQ(c.inputs.size(), 1u);
  EXPECT_TRUE(c.inputs[0] == 99);
  EXPECT_EQ(c.caller, (AlkaneId{0, 0}));
  ASSERT_EQ(c.incoming.size(), 1u);
  EXPECT_EQ(c.incoming[0], (Transfer{{2, 7}, 100}));
  EXPECT_EQ(c.fuel, 100000000u);
  EXPECT_EQ(c.tx, std::string("\x0a\xff", 2));
  EXPECT_EQ(c.line, 3u);
}

TEST(BlockFile, OptionalFieldsHaveTheirDefaults) {
  const Block b = parse_ok("\n{\"call\": \"2:0\", \"inputs\": [\"77\", 5]}\n\n");
  EXPECT_FALSE(b.height);
  const auto& c = std::get<Call>(b.entries.at(0));
  EXPECT_EQ(c.caller, (AlkaneId{0, 0}));
  EXPECT_TRUE(c.incoming.empty());
  EXPECT_EQ(c.fuel, kDefaultCallFuel);
  EXPECT_TRUE(c.tx.empty());
  EXPECT_TRUE(c.inputs.at(1) == 5);  // a JSON integer is taken as a u128 too
  EXPECT_EQ(c.line, 2u);
}

TEST(BlockFile, U128sUpToTheirMaximum) {
  const std::string max = "340282366920938463463374607431768211455";
  EXPECT_TRUE(parse_u128(max));
  EXPECT_EQ(to_string(*parse_u128(max)), max);
  EXPECT_FALSE(parse_u128("340282366920938463463374607431768211456"));  // 2^128
  EXPECT_FALSE(parse_u128(""));
  EXPECT_FALSE(parse_u128("-1"));
  EXPECT_FALSE(parse_u128("+1"));
  EXPECT_FALSE(parse_u128("1 "));
  EXPECT_EQ(to_string(*parse_u128("007")), "7");
  EXPECT_EQ(to_string(AlkaneId{*parse_u128(max), 3}), max + ":3");
  EXPECT_FALSE(parse_alkane_id("2"));
  EXPECT_FALSE(parse_alkane_id("2:"));
  EXPECT_FALSE(parse_alkane_id(":2"));
  EXPECT_FALSE(parse_alkane_id("2:3:4"));
}

// Each bad line is refused with its file and line number and what is wrong.
TEST(BlockFile, BadLinesAreRefusedByLine) {
  struct Case {
    const char* text;
    const char* says;
  };
  const Case cases[] = {
      {"{\"call\": \"2:7\", \"inputs\": [\"1\"]}\nnot json\n", "b.jsonl:2: not JSON"},
      {"[1, 2]", "b.jsonl:1: a line is one JSON object"},
      {"{\"nothing\": 1}", "a line is {\"height\": N}"},
      {"{\"call\": \"2:7\"}", "no \"inputs\""},
      {"{\"call\": \"2:7\", \"inputs\": []}", "non-empty array"},
      {"{\"call\": \"2-7\", \"inputs\": [\"1\"]}", "call: not an id"},
      {"{\"call\": 27, \"inputs\": [\"1\"]}", "call: an id is a string"},
      {"{\"call\": \"2:7\", \"inputs\": [\"x\"]}", "inputs[0]: not a decimal u128"},
      {"{\"call\": \"2:7\", \"inputs\": [-1]}", "inputs[0]: a u128 is a decimal string"},
      {"{\"call\": \"2:7\", \"inputs\": [\"1\"], \"fuel\": \"18446744073709551616\"}", "more than 2^64 - 1"},
      {"{\"call\": \"2:7\", \"inputs\": [\"1\"], \"incoming\": [[\"2:7\"]]}", "incoming[0]: a pair"},
      {"{\"call\": \"2:7\", \"inputs\": [\"1\"], \"tx\": \"abc\"}", "odd number of hex digits"},
      {"{\"call\": \"2:7\", \"inputs\": [\"1\"], \"tx\": \"zz\"}", "'z' is not a hex digit"},
      {"{\"call\": \"2:7\", \"inputs\": [\"1\"], \"fuell\": \"5\"}", "unknown field \"fuell\""},
      {"{\"deploy\": \"x.wasm\"}", "deploy: no \"id\""},
      {"{\"deploy\": \"\", \"id\": \"2:1\"}", "the path of a .wasm file"},
      {"{\"call\": \"2:7\", \"inputs\": [\"1\"]}\n{\"height\": 5}", "b.jsonl:2: \"height\" goes on the first line"},
      {"{\"height\": 5}\n{\"height\": 6}", "b.jsonl:2: \"height\" goes on the first line"},
      {"{\"height\": \"x\"}", "height: not a decimal u128"},
  };
  for (const Case& c : cases) {
    const std::string why = parse_error(c.text);
    EXPECT_NE(why.find(c.says), std::string::npos) << "for " << c.text << "\n got: " << why;
    EXPECT_EQ(why.rfind("b.jsonl:", 0), 0u) << why;
  }
}

TEST(BlockFile, FilesThatCannotBeRead) {
  char tmpl[] = "/tmp/gpuos-blockfile-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::filesystem::path dir = tmpl;
  auto missing = read_block_file(dir / "missing.jsonl");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.code(), BlockFileError::Unreadable);
  auto folder = read_block_file(dir);
  ASSERT_FALSE(folder.ok());
  EXPECT_NE(folder.detail().find("is a directory"), std::string::npos) << folder.detail();
  ASSERT_EQ(mkfifo((dir / "fifo").c_str(), 0600), 0);
  auto fifo = read_block_file(dir / "fifo");  // must not block
  ASSERT_FALSE(fifo.ok());
  EXPECT_NE(fifo.detail().find("not a regular file"), std::string::npos) << fifo.detail();
  {
    std::ofstream(dir / "ok.jsonl") << "{\"deploy\": \"t.wasm\", \"id\": \"2:1\"}\n";
  }
  auto ok = read_block_file(dir / "ok.jsonl");
  ASSERT_TRUE(ok.ok()) << ok.detail();
  EXPECT_EQ(std::get<Deploy>(ok->entries.at(0)).wasm, dir / "t.wasm");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace gpuos::contracts

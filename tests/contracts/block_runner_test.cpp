// Blocks of contract calls, run in order on the CPU reference host
// (contracts/block_runner.h, contracts/ref_host.h), with the project's own
// token contract (contracts/guests/token.c): responses, storage and
// rollbacks byte for byte, and failed calls that change nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "contracts/block_runner.h"

namespace gpuos::contracts {
namespace {

std::string u128_le(u128 v) {
  std::string s;
  for (int i = 0; i < 16; ++i, v >>= 8) s.push_back(static_cast<char>(v & 0xff));
  return s;
}
const std::string kRevert("\x08\xc3\x79\xa0", 4);  // a failed call's data starts so

class BlockRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gpuos-blocks-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    for (const char* c : {"token.wasm", "fuel_burner.wasm"}) {
      std::filesystem::copy_file(std::string(GPUOS_CONTRACT_DIR) + "/" + c, dir_ / c);
    }
    auto s = StateStore::open(dir_ / "db");
    ASSERT_TRUE(s.ok()) << s.detail();
    state_ = std::move(s.value());
  }
  void TearDown() override {
    state_.reset();
    std::filesystem::remove_all(dir_);
  }
  // Parses `text` as a block file in dir_ and runs it.
  Result<BlockOutcome, BlockError> run(const std::string& text) {
    auto b = parse_block(text, dir_, "test.jsonl");
    EXPECT_TRUE(b.ok()) << b.detail();
    if (!b) return fail(BlockError::BadBlock, b.detail());
    return run_block_ref(b.value(), *state_);
  }
  std::optional<std::string> stored(AlkaneId id, std::string_view key) {
    auto v = state_->storage(id, key);
    EXPECT_TRUE(v.ok());
    return v.ok() && v->has_value() ? std::optional<std::string>((*v)->bytes) : std::nullopt;
  }
  void write(const char* name, const std::string& bytes) { std::ofstream(dir_ / name, std::ios::binary) << bytes; }

  std::filesystem::path dir_;
  std::unique_ptr<StateStore> state_;
};

const AlkaneId kToken{2, 1};

TEST_F(BlockRunnerTest, TheTokenInOrder) {
  auto r = run(R"({"height": 10}
{"deploy": "token.wasm", "id": "2:1"}
{"call": "2:1", "inputs": ["0", "1000"], "caller": "0:5"}
{"call": "2:1", "inputs": ["0", "5"]}
{"call": "2:1", "inputs": ["77", "50"]}
{"call": "2:1", "inputs": ["99"]}
{"call": "2:1", "inputs": ["100"]}
{"call": "2:1", "inputs": ["101"]}
{"call": "2:1", "inputs": ["88"], "incoming": [["2:1", "100"], ["2:2", "7"]]}
{"call": "2:1", "inputs": ["101"]}
{"call": "2:1", "inputs": ["42"]}
{"call": "2:9", "inputs": ["101"]}
)");
  ASSERT_TRUE(r.ok()) << r.detail();
  const auto& c = r->calls;
  ASSERT_EQ(c.size(), 10u);
  EXPECT_EQ(r->height, 10u);
  EXPECT_EQ(r->failed, 3u);

  // initialise: the supply goes to the caller, both keys are written.
  ASSERT_TRUE(c[0].response.ok) << c[0].response.failure;
  EXPECT_EQ(c[0].response.transfers, (std::vector<Transfer>{{kToken, 1000}}));
  EXPECT_EQ(c[0].response.storage, (std::vector<std::pair<std::string, std::string>>{
                                       {"/initialized", u128_le(1)}, {"/totalsupply", u128_le(1000)}}));
  // A second initialise sees the first's write (same block) and aborts.
  EXPECT_FALSE(c[1].response.ok);
  EXPECT_EQ(c[1].response.failure, "abort");
  EXPECT_EQ(c[1].response.data, kRevert + "already initialised");
  EXPECT_TRUE(c[1].response.storage.empty());
  // mint 50
  ASSERT_TRUE(c[2].response.ok);
  EXPECT_EQ(c[2].response.transfers, (std::vector<Transfer>{{kToken, 50}}));
  EXPECT_EQ(c[3].response.data, "gpuos test token");
  EXPECT_EQ(c[4].response.data, "GTT");
  EXPECT_EQ(c[5].response.data, u128_le(1050));
  // burn: only the transfers of the token itself count.
  ASSERT_TRUE(c[6].response.ok);
  EXPECT_EQ(c[7].response.data, u128_le(950));
  EXPECT_EQ(c[8].response.data, kRevert + "unknown opcode");
  EXPECT_FALSE(c[9].response.ok);
  EXPECT_EQ(c[9].response.failure, "no contract is deployed at 2:9");
  EXPECT_EQ(c[9].line, 12u);

  EXPECT_EQ(state_->height().value(), 10u);
  EXPECT_EQ(stored(kToken, "/totalsupply"), u128_le(950));
  EXPECT_EQ(stored(kToken, "/initialized"), u128_le(1));
  EXPECT_TRUE(state_->code(kToken).value().has_value());

  // The next block (height 11 by default) reads the committed state.
  auto next = run(R"({"call": "2:1", "inputs": ["77", "1"]})");
  ASSERT_TRUE(next.ok()) << next.detail();
  EXPECT_EQ(next->height, 11u);
  EXPECT_TRUE(next->calls.at(0).response.ok) << next->calls.at(0).response.failure;
  EXPECT_EQ(stored(kToken, "/totalsupply"), u128_le(951));

  // A reorg: back to 10, then to before both.
  ASSERT_TRUE(state_->rollback(10).ok());
  EXPECT_EQ(stored(kToken, "/totalsupply"), u128_le(950));
  ASSERT_TRUE(state_->rollback(0).ok());
  EXPECT_FALSE(stored(kToken, "/totalsupply"));
  EXPECT_FALSE(state_->code(kToken).value().has_value());
}

// Loads hand buffers over as alkanes' reference host does: the length word
// at pointer - 4, the pointer returned (contracts/guests/buffers.c checks
// from the inside, with the length words poisoned first).
TEST_F(BlockRunnerTest, LoadsWriteTheLengthWordAndReturnThePointer) {
  std::filesystem::copy_file(std::string(GPUOS_CONTRACT_DIR) + "/buffers.wasm", dir_ / "buffers.wasm");
  auto r = run(R"({"deploy": "buffers.wasm", "id": "2:5"}
{"call": "2:5", "inputs": ["1", "2", "3"]}
)");
  ASSERT_TRUE(r.ok()) << r.detail();
  const CallResponse& c = r->calls.at(0).response;
  EXPECT_TRUE(c.ok) << c.failure << ": " << c.data;
  EXPECT_EQ(c.data, "ok");
}

// A trap fails the call and discards its writes, like an abort.
TEST_F(BlockRunnerTest, ATrapFailsTheCallAlone) {
  // (func (export "__execute") (result i32) unreachable), one page of memory
  write("trap.wasm", std::string("\0asm\x01\0\0\0"
                                 "\x01\x05\x01\x60\x00\x01\x7f"
                                 "\x03\x02\x01\x00"
                                 "\x05\x03\x01\x00\x01"
                                 "\x07\x0d\x01\x09__execute\x00\x00"
                                 "\x0a\x05\x01\x03\x00\x00\x0b",
                                 8 + 7 + 4 + 5 + 15 + 7));
  auto r = run(R"({"deploy": "trap.wasm", "id": "2:3"}
{"deploy": "token.wasm", "id": "2:1"}
{"call": "2:3", "inputs": ["1"]}
{"call": "2:1", "inputs": ["0", "10"]}
)");
  ASSERT_TRUE(r.ok()) << r.detail();
  ASSERT_EQ(r->calls.size(), 2u);
  EXPECT_FALSE(r->calls[0].response.ok);
  EXPECT_NE(r->calls[0].response.failure.find("trap: unreachable"), std::string::npos) << r->calls[0].response.failure;
  EXPECT_TRUE(r->calls[1].response.ok);
  EXPECT_EQ(r->failed, 1u);
}

// A contract that imports what the host does not provide yet fails, naming it.
TEST_F(BlockRunnerTest, AnImportNotProvidedYetIsNamed) {
  // (import "env" "__sequence" (func (param i32))) (memory 1)
  write("sequence.wasm", std::string("\0asm\x01\0\0\0"
                                     "\x01\x05\x01\x60\x01\x7f\x00"
                                     "\x02\x12\x01\x03"
                                     "env\x0a__sequence\x00\x00"
                                     "\x05\x03\x01\x00\x01",
                                     8 + 7 + 20 + 5));
  auto r = run(R"({"deploy": "sequence.wasm", "id": "2:4"}
{"call": "2:4", "inputs": ["1"]}
)");
  ASSERT_TRUE(r.ok()) << r.detail();
  EXPECT_FALSE(r->calls.at(0).response.ok);
  EXPECT_NE(r->calls.at(0).response.failure.find("env.__sequence"), std::string::npos)
      << r->calls.at(0).response.failure;
}

// Fuel (docs/contracts.md, "Fuel"): every call is metered; the same call on
// the same state uses the same fuel; a loop's fuel grows by the same amount
// an iteration; running out fails the call, using all of it; __fuel says
// what is left.
TEST_F(BlockRunnerTest, FuelIsMeteredTheSameEveryTime) {
  auto r = run(R"({"height": 3}
{"deploy": "fuel_burner.wasm", "id": "2:9"}
{"call": "2:9", "inputs": ["1", "0"]}
{"call": "2:9", "inputs": ["1", "1000"]}
{"call": "2:9", "inputs": ["1", "1000"]}
{"call": "2:9", "inputs": ["1", "3000"]}
{"call": "2:9", "inputs": ["2"], "fuel": "250000"}
{"call": "2:9", "inputs": ["3"], "fuel": "5000000"}
{"call": "2:9", "inputs": ["1", "1000"], "fuel": "1000"}
{"call": "2:9", "inputs": ["7"]}
)");
  ASSERT_TRUE(r.ok()) << r.detail();
  const auto& c = r->calls;
  ASSERT_EQ(c.size(), 8u);
  for (size_t i : {0u, 1u, 2u, 3u, 5u}) ASSERT_TRUE(c[i].response.ok) << i << ": " << c[i].response.failure;
  const uint64_t f0 = c[0].response.fuel_used, f1000 = c[1].response.fuel_used, f3000 = c[3].response.fuel_used;
  EXPECT_GT(f0, 0u);
  EXPECT_EQ(c[2].response.fuel_used, f1000) << "the same call, the same fuel";
  ASSERT_GT(f1000, f0);
  EXPECT_EQ((f1000 - f0) % 1000, 0u) << "an iteration costs a whole number of units";
  EXPECT_EQ(f3000 - f0, 3 * (f1000 - f0)) << "and the same in every iteration";
  EXPECT_EQ(c[1].response.data, u128_le(1000));

  // The endless loop runs out: failed, all its fuel used, nothing written.
  EXPECT_FALSE(c[4].response.ok);
  EXPECT_NE(c[4].response.failure.find("out of fuel"), std::string::npos) << c[4].response.failure;
  EXPECT_EQ(c[4].response.fuel_used, 250000u);
  EXPECT_TRUE(c[4].response.storage.empty());

  // __fuel: what was left when the contract asked, which is less than it
  // was given and no less than what the whole call left.
  ASSERT_EQ(c[5].response.data.size(), 8u);
  uint64_t left = 0;
  for (int i = 7; i >= 0; --i) left = left << 8 | static_cast<uint8_t>(c[5].response.data[static_cast<size_t>(i)]);
  EXPECT_LT(left, 5000000u);
  EXPECT_GE(left, 5000000u - c[5].response.fuel_used);

  // Too little fuel for a loop that fits in more: failed, all of it used.
  EXPECT_FALSE(c[6].response.ok);
  EXPECT_EQ(c[6].response.fuel_used, 1000u);
  // An unknown opcode aborts: a failed call that still reports its fuel.
  EXPECT_FALSE(c[7].response.ok);
  EXPECT_GT(c[7].response.fuel_used, 0u);
  EXPECT_EQ(r->failed, 3u);
}

// Bad input changes nothing: a deploy that cannot be read or is no module
// refuses the whole block, and the state stays at the previous block.
TEST_F(BlockRunnerTest, ABadDeployRefusesTheBlock) {
  ASSERT_TRUE(run(R"({"height": 5}
{"deploy": "token.wasm", "id": "2:1"}
{"call": "2:1", "inputs": ["0", "7"]})").ok());
  write("junk.wasm", "not a module");
  for (const char* deploy : {"missing.wasm", "junk.wasm"}) {
    auto r = run(std::string("{\"call\": \"2:1\", \"inputs\": [\"77\", \"1\"]}\n{\"deploy\": \"") + deploy +
                 "\", \"id\": \"2:2\"}\n");
    ASSERT_FALSE(r.ok()) << deploy;
    EXPECT_EQ(r.code(), BlockError::BadBlock);
    EXPECT_NE(r.detail().find(deploy), std::string::npos) << r.detail();
    EXPECT_EQ(state_->height().value(), 5u);
    EXPECT_EQ(stored(kToken, "/totalsupply"), u128_le(7));
  }
  // A block that is not above the newest is refused too.
  auto old = run("{\"height\": 5}\n{\"call\": \"2:1\", \"inputs\": [\"101\"]}\n");
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.code(), BlockError::State);
}

}  // namespace
}  // namespace gpuos::contracts

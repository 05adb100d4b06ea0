// A block file: the contract calls of one block, as JSON lines
// (docs/contracts.md, "Block files", has the format and an example).
//
//   {"height": 900000}                                   optional, first
//   {"deploy": "contracts/free_mint.wasm", "id": "2:7"}
//   {"call": "2:7", "inputs": ["99"], "caller": "0:0",
//    "incoming": [["2:7", "100"]], "fuel": "100000000", "tx": "HEX"}
//
// Ids are "block:tx", u128 values decimal strings, paths relative to the
// block file. A call's fields after "inputs" are optional. Entries keep
// their order: a block runs them in order (issue 16), and the parallel
// executor (issue 17) must give the same result as that order.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "contracts/alkane_id.h"
#include "kernel/result.h"

namespace gpuos::contracts {

enum class BlockFileError {
  Unreadable,  // the file cannot be read
  Malformed,   // a line is not what the format allows; the detail names the line
};
const char* to_string(BlockFileError e);

// Fuel of a call whose line gives none.
inline constexpr uint64_t kDefaultCallFuel = 100'000'000;

struct Transfer {
  AlkaneId id;
  u128 value = 0;
  bool operator==(const Transfer&) const = default;
};

struct Deploy {
  std::filesystem::path wasm;  // resolved against the block file's folder
  AlkaneId id;
  size_t line = 0;  // 1-based, for messages
};

struct Call {
  AlkaneId target;
  std::vector<u128> inputs;  // inputs[0] is the opcode
  AlkaneId caller;           // default 0:0
  std::vector<Transfer> incoming;
  uint64_t fuel = kDefaultCallFuel;
  std::string tx;  // the raw transaction (__load_transaction), bytes; empty by default
  size_t line = 0;
};

using BlockEntry = std::variant<Deploy, Call>;

struct Block {
  std::optional<uint64_t> height;
  std::vector<BlockEntry> entries;  // in file order
  size_t calls() const;
};

// `text` is the file's contents; `dir` resolves deploy paths; `name`
// prefixes messages ("block.jsonl:3: ...").
Result<Block, BlockFileError> parse_block(std::string_view text, const std::filesystem::path& dir,
                                          std::string_view name);
Result<Block, BlockFileError> read_block_file(const std::filesystem::path& file);

}  // namespace gpuos::contracts

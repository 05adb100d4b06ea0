// Runs a block's entries in order against the committed state and commits
// the block's effects in one write (contracts/state_store.h).
//
// Today on the CPU reference executor (contracts/ref_host.h), the oracle;
// the GPU executor of issue 16 will run the same blocks through the same
// steps and must give the same outcomes.
//
// A block is refused whole, and nothing is committed, when a deploy's module
// cannot be read or is not a module. A call that fails (abort, trap, a bad
// response, no contract at its target, a contract gpuos cannot run yet)
// fails alone: its writes are discarded and the block goes on, as in alkanes.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "contracts/block_file.h"
#include "contracts/ref_host.h"
#include "contracts/state_store.h"
#include "kernel/result.h"

namespace gpuos::contracts {

enum class BlockError {
  BadBlock,  // a deploy cannot be read or is not a module; nothing ran
  State,     // the state store failed (the detail says how); nothing committed
};
const char* to_string(BlockError e);

struct CallOutcome {
  size_t index = 0;  // the call's number in the block, from 0
  size_t line = 0;   // its line in the block file
  AlkaneId target;
  CallResponse response;  // response.ok false: failed; response.failure says why
};

struct BlockOutcome {
  uint64_t height = 0;
  std::vector<CallOutcome> calls;  // in block order
  size_t failed = 0;
};

// Called after each call with the calls done and the block's total.
using BlockProgress = std::function<void(size_t done, size_t total)>;

// Runs `block` at its height (or the next one above the store's newest) and
// commits what its successful calls and its deploys wrote.
Result<BlockOutcome, BlockError> run_block_ref(const Block& block, StateStore& state,
                                               const BlockProgress& progress = {});

// One read-only call against the committed state, at its newest height;
// nothing is committed (the call's writes are only reported). BadBlock: no
// contract is deployed at `target`, or it cannot be run.
struct ViewOutcome {
  std::optional<uint64_t> height;  // the newest committed block, if any
  CallResponse response;
};
Result<ViewOutcome, BlockError> view_call_ref(const StateStore& state, const AlkaneId& target,
                                              std::vector<u128> inputs);

}  // namespace gpuos::contracts

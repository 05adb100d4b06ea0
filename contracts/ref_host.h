// The alkanes host interface on the CPU reference executor (procs/vm/ref):
// runs one contract call, the oracle that the GPU's implementation of the
// same imports will be checked against (issue 16, item 4).
//
// Provided today: abort, __request_context/__load_context,
// __request_storage/__load_storage, __height, __log, __fuel,
// __request_transaction/__load_transaction. A contract that imports
// anything else (__balance, __sequence, the nested calls,
// __returndatacopy, the block calls) is refused before it runs, naming the
// import: nested calls are not built yet (docs/contracts.md).
//
// Calls are metered: the contract is translated with fuel regions
// (vm::TranslateOptions::meter_fuel) and runs with the call's fuel; running
// out fails the call. docs/contracts.md ("Fuel") says what is charged.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "contracts/alkane_id.h"
#include "contracts/block_file.h"
#include "kernel/result.h"
#include "procs/vm/image.h"

namespace gpuos::contracts {

enum class CallError {
  BadModule,     // not a valid module, or not a contract (no __execute, no memory)
  Unsupported,   // it imports what the host does not provide yet
};
const char* to_string(CallError e);

// What a call reads of the state: the committed store under the block's
// own earlier writes. Absent keys read as empty, as in alkanes.
using StorageReader = std::function<std::optional<std::string>(const AlkaneId&, std::string_view key)>;

struct CallInput {
  AlkaneId myself;
  AlkaneId caller;
  u128 vout = 0;
  std::vector<Transfer> incoming;
  std::vector<u128> inputs;
  std::string tx;
  uint64_t height = 0;
  uint64_t fuel = kDefaultCallFuel;
};

struct CallResponse {
  bool ok = false;
  std::string failure;  // why it failed: "abort", the trap, or a bad response
  std::vector<Transfer> transfers;
  std::vector<std::pair<std::string, std::string>> storage;  // in the order the contract wrote them
  std::string data;                                          // the return data (a failure's too)
  uint64_t fuel_used = 0;  // all of it when the fuel ran out
};

// The context bytes __load_context copies: u128 LE myself, caller, vout,
// the transfer count, each transfer (block, tx, value), then the inputs.
std::string encode_context(const CallInput& in);

// A contract's module, decoded, validated and translated once: a block's
// calls to one contract share it.
using ContractImage = std::shared_ptr<const vm::ProgramImage>;
Result<ContractImage, CallError> prepare_contract(std::string_view wasm);

// Runs `__execute` of the contract for `in`. A trap, an abort or a response
// that does not parse is a failed call (ok false), not an error: an error
// means the contract could not be run at all.
Result<CallResponse, CallError> run_call_ref(const ContractImage& image, const CallInput& in,
                                             const StorageReader& read);

}  // namespace gpuos::contracts

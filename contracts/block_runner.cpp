#include "contracts/block_runner.h"

#include <map>

#include <fmt/format.h>

#include "procs/wasm/decoder.h"
#include "procs/wasm/module_file.h"

namespace gpuos::contracts {
namespace {

// A StorageReader over the committed state alone; the first store failure
// is kept in `failure` (a reader cannot return one), and the key then reads
// as absent.
StorageReader committed_reader(const StateStore& state, std::optional<std::string>& failure) {
  return [&state, &failure](const AlkaneId& id, std::string_view key) -> std::optional<std::string> {
    auto v = state.storage(id, key);
    if (!v) {
      if (!failure) failure = v.detail();
      return std::nullopt;
    }
    return v->has_value() ? std::optional<std::string>((*v)->bytes) : std::nullopt;
  };
}

}  // namespace

const char* to_string(BlockError e) {
  switch (e) {
    case BlockError::BadBlock: return "bad block";
    case BlockError::State: return "state";
  }
  return "?";
}

Result<BlockOutcome, BlockError> run_block_ref(const Block& block, StateStore& state,
                                               const BlockProgress& progress) {
  auto newest = state.height();
  if (!newest) return fail(BlockError::State, newest.detail());
  BlockOutcome out;
  out.height = block.height ? *block.height : (*newest ? **newest + 1 : 1);
  if (*newest && out.height <= **newest) {
    return fail(BlockError::State,
                fmt::format("block {} is not above the newest committed block, {}", out.height, **newest));
  }

  // Deploys first are checked whole: a block with a bad module runs nothing.
  std::vector<std::string> deployed_code(block.entries.size());
  for (size_t i = 0; i < block.entries.size(); ++i) {
    const auto* d = std::get_if<Deploy>(&block.entries[i]);
    if (!d) continue;
    // The path is the block file's to name: read as `run` reads a module
    // (no FIFO, device or directory; a size bound).
    auto bytes = wasm::read_module_file(d->wasm.string());
    if (!bytes) return fail(BlockError::BadBlock, fmt::format("line {}: deploy: {}", d->line, bytes.detail()));
    auto m = wasm::load_module(bytes.value());
    if (!m) {
      return fail(BlockError::BadBlock,
                  fmt::format("line {}: deploy: {} is not a valid module: {}", d->line, d->wasm.string(), m.detail()));
    }
    deployed_code[i].assign(bytes->begin(), bytes->end());
  }

  // The block's own writes, over the committed state: later calls see them.
  std::map<std::pair<AlkaneId, std::string>, std::string> written;
  std::map<AlkaneId, std::string> code;  // deployed in this block
  std::map<AlkaneId, Result<ContractImage, CallError>> images;  // translated, or why not
  BlockEffects effects{.height = out.height};
  std::optional<std::string> state_failure;
  const StorageReader committed = committed_reader(state, state_failure);
  const StorageReader read = [&](const AlkaneId& id, std::string_view key) -> std::optional<std::string> {
    if (auto it = written.find({id, std::string(key)}); it != written.end()) return it->second;
    return committed(id, key);
  };

  for (size_t i = 0; i < block.entries.size(); ++i) {
    if (const auto* d = std::get_if<Deploy>(&block.entries[i])) {
      code[d->id] = deployed_code[i];
      images.erase(d->id);
      effects.deployments.push_back({d->id, deployed_code[i]});
      continue;
    }
    const Call& call = std::get<Call>(block.entries[i]);
    CallOutcome oc{.index = out.calls.size(), .line = call.line, .target = call.target};
    // Each contract is translated once per block (a redeploy replaces it).
    auto image = images.find(call.target);
    if (image == images.end()) {
      std::optional<std::string> wasm;  // the contract's code, if one is deployed
      if (auto it = code.find(call.target); it != code.end()) {
        wasm = it->second;
      } else if (auto c = state.code(call.target); !c) {
        return fail(BlockError::State, c.detail());
      } else if (c->has_value()) {
        wasm = (*c)->bytes;
      }
      if (wasm) image = images.emplace(call.target, prepare_contract(*wasm)).first;
    }
    if (image == images.end()) {
      oc.response.failure = fmt::format("no contract is deployed at {}", to_string(call.target));
    } else if (!image->second) {
      oc.response.failure = fmt::format("{}: {}", to_string(image->second.code()), image->second.detail());
    } else {
      const CallInput input{.myself = call.target,
                            .caller = call.caller,
                            .incoming = call.incoming,
                            .inputs = call.inputs,
                            .tx = call.tx,
                            .height = out.height,
                            .fuel = call.fuel};
      auto r = run_call_ref(image->second.value(), input, read);
      if (state_failure) return fail(BlockError::State, *state_failure);
      if (!r) {
        oc.response.failure = fmt::format("{}: {}", to_string(r.code()), r.detail());
      } else {
        oc.response = std::move(r.value());
      }
    }
    if (oc.response.ok) {
      for (const auto& [key, value] : oc.response.storage) {
        written[{call.target, key}] = value;
        effects.writes.push_back({call.target, key, value});
      }
    } else {
      ++out.failed;
    }
    out.calls.push_back(std::move(oc));
    if (progress) progress(out.calls.size(), block.calls());
  }
  if (auto c = state.commit(effects); !c) return fail(BlockError::State, c.detail());
  return out;
}

Result<ViewOutcome, BlockError> view_call_ref(const StateStore& state, const AlkaneId& target,
                                              std::vector<u128> inputs) {
  auto height = state.height();
  if (!height) return fail(BlockError::State, height.detail());
  auto code = state.code(target);
  if (!code) return fail(BlockError::State, code.detail());
  if (!code->has_value()) return fail(BlockError::BadBlock, fmt::format("no contract is deployed at {}", to_string(target)));
  auto image = prepare_contract((*code)->bytes);
  if (!image) return fail(BlockError::BadBlock, fmt::format("{}: {}", to_string(image.code()), image.detail()));
  std::optional<std::string> state_failure;
  const CallInput input{.myself = target, .inputs = std::move(inputs), .height = height->value_or(0)};
  auto r = run_call_ref(image.value(), input, committed_reader(state, state_failure));
  if (state_failure) return fail(BlockError::State, *state_failure);
  if (!r) return fail(BlockError::BadBlock, fmt::format("{}: {}", to_string(r.code()), r.detail()));
  return ViewOutcome{*height, std::move(r.value())};
}

}  // namespace gpuos::contracts

#include "contracts/state_store.h"

#include <map>

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

namespace gpuos::contracts {
namespace {

constexpr uint64_t kNoBlock = ~uint64_t{0};  // "b" record: no block before this one

void put_be(std::string& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
std::string be64(uint64_t v) {
  std::string s;
  put_be(s, v, 8);
  return s;
}
void put_u128(std::string& out, u128 v) {
  put_be(out, static_cast<uint64_t>(v >> 64), 8);
  put_be(out, static_cast<uint64_t>(v), 8);
}
std::optional<uint64_t> read_be(std::string_view s, size_t at, int bytes) {
  if (s.size() < at + static_cast<size_t>(bytes)) return std::nullopt;
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = v << 8 | static_cast<unsigned char>(s[at + static_cast<size_t>(i)]);
  return v;
}

std::string id_key(char prefix, const AlkaneId& id) {
  std::string k(1, prefix);
  put_u128(k, id.block);
  put_u128(k, id.tx);
  return k;
}
std::string storage_key(const AlkaneId& id, std::string_view key) { return id_key('s', id).append(key); }
std::string block_key(uint64_t height) { return "b" + be64(height); }
std::string undo_prefix(uint64_t height) { return "u" + be64(height); }
const std::string kHeightKey = "H";

Error<StateError> io_error(const char* what, const rocksdb::Status& s) {
  return fail(StateError::Io, fmt::format("{}: {}", what, s.ToString()));
}

Result<std::optional<StoredValue>, StateError> stored(Result<std::optional<std::string>, StateError> raw,
                                                      const char* what) {
  if (!raw) return raw.error();
  if (!raw->has_value()) return std::optional<StoredValue>{};
  const std::string& v = **raw;
  auto h = read_be(v, 0, 8);
  if (!h) return fail(StateError::Corrupt, fmt::format("{}: a stored value of {} bytes, less than its height", what, v.size()));
  return std::optional<StoredValue>{StoredValue{*h, v.substr(8)}};
}

}  // namespace

const char* to_string(StateError e) {
  switch (e) {
    case StateError::Io: return "I/O";
    case StateError::Corrupt: return "corrupt";
    case StateError::BadHeight: return "bad height";
  }
  return "?";
}

Result<std::unique_ptr<StateStore>, StateError> StateStore::open(const std::filesystem::path& dir) {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* db = nullptr;
  const rocksdb::Status s = rocksdb::DB::Open(options, dir.string(), &db);
  if (!s.ok()) return fail(StateError::Io, fmt::format("cannot open the state database {}: {}", dir.string(), s.ToString()));
  return std::unique_ptr<StateStore>(new StateStore(db));
}

StateStore::~StateStore() { delete db_; }

Result<std::optional<std::string>, StateError> StateStore::get_raw(const std::string& key) const {
  std::string value;
  const rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), key, &value);
  if (s.IsNotFound()) return std::optional<std::string>{};
  if (!s.ok()) return io_error("read", s);
  return std::optional<std::string>{std::move(value)};
}

Result<std::optional<uint64_t>, StateError> StateStore::height() const {
  auto raw = get_raw(kHeightKey);
  if (!raw) return raw.error();
  if (!raw->has_value()) return std::optional<uint64_t>{};
  auto h = read_be(**raw, 0, 8);
  if (!h || (*raw)->size() != 8) return fail(StateError::Corrupt, "the height record is not 8 bytes");
  return std::optional<uint64_t>{*h};
}

Result<std::optional<StoredValue>, StateError> StateStore::storage(const AlkaneId& contract,
                                                                   std::string_view key) const {
  return stored(get_raw(storage_key(contract, key)), "storage");
}

Result<std::optional<StoredValue>, StateError> StateStore::code(const AlkaneId& contract) const {
  return stored(get_raw(id_key('c', contract)), "code");
}

Result<void, StateError> StateStore::commit(const BlockEffects& block) {
  auto newest = height();
  if (!newest) return newest.error();
  if (*newest && block.height <= **newest) {
    return fail(StateError::BadHeight,
                fmt::format("block {} is not above the newest committed block, {}", block.height, **newest));
  }
  if (block.height == kNoBlock) return fail(StateError::BadHeight, "block height 2^64 - 1 is reserved");
  // The block's final value of each key it touches (a later write wins), in
  // key order, so that the undo log is the same whatever the write order.
  const std::string h = be64(block.height);
  std::map<std::string, std::string> final_values;
  for (const auto& d : block.deployments) final_values[id_key('c', d.id)] = h + d.wasm;
  for (const auto& w : block.writes) final_values[storage_key(w.contract, w.key)] = h + w.value;

  rocksdb::WriteBatch batch;
  uint32_t seq = 0;
  for (const auto& [key, value] : final_values) {
    auto before = get_raw(key);
    if (!before) return before.error();
    std::string undo;
    put_be(undo, key.size(), 4);
    undo += key;
    if (before->has_value()) {
      undo.push_back(1);
      undo += **before;
    } else {
      undo.push_back(0);
    }
    std::string undo_key = undo_prefix(block.height);
    put_be(undo_key, seq++, 4);
    batch.Put(undo_key, undo);
    batch.Put(key, value);
  }
  batch.Put(block_key(block.height), be64(*newest ? **newest : kNoBlock));
  batch.Put(kHeightKey, h);
  rocksdb::WriteOptions sync;
  sync.sync = true;  // durable before commit returns: a crash after it keeps the block
  if (const auto s = db_->Write(sync, &batch); !s.ok()) return io_error("commit", s);
  return {};
}

Result<uint64_t, StateError> StateStore::rollback(uint64_t to_height) {
  auto newest = height();
  if (!newest) return newest.error();
  if (!*newest || to_height >= **newest) {
    return fail(StateError::BadHeight,
                *newest ? fmt::format("rollback to {}: the newest block is {}", to_height, **newest)
                        : fmt::format("rollback to {}: no block is committed", to_height));
  }
  rocksdb::WriteBatch batch;
  uint64_t undone = 0;
  std::optional<uint64_t> at = *newest;
  while (at && *at > to_height) {
    // This block's undo records, newest first (the keys are distinct, so the
    // order only matters for readability of a trace).
    std::vector<std::pair<std::string, std::string>> records;
    const std::string prefix = undo_prefix(*at);
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      records.emplace_back(it->key().ToString(), it->value().ToString());
    }
    if (!it->status().ok()) return io_error("reading the undo log", it->status());
    for (auto r = records.rbegin(); r != records.rend(); ++r) {
      const std::string& undo = r->second;
      auto len = read_be(undo, 0, 4);
      if (!len || undo.size() < 5 + *len) {
        return fail(StateError::Corrupt, fmt::format("an undo record of block {} is cut short", *at));
      }
      const std::string key = undo.substr(4, *len);
      const char present = undo[4 + *len];
      if (present == 1) {
        batch.Put(key, undo.substr(5 + *len));
      } else if (present == 0) {
        batch.Delete(key);
      } else {
        return fail(StateError::Corrupt, fmt::format("an undo record of block {} has flag {}", *at, int{present}));
      }
      batch.Delete(r->first);
    }
    auto before = get_raw(block_key(*at));
    if (!before) return before.error();
    if (!before->has_value()) return fail(StateError::Corrupt, fmt::format("block {} has no record", *at));
    auto prev = read_be(**before, 0, 8);
    if (!prev) return fail(StateError::Corrupt, fmt::format("block {}'s record is cut short", *at));
    batch.Delete(block_key(*at));
    at = *prev == kNoBlock ? std::nullopt : std::optional<uint64_t>(*prev);
    ++undone;
  }
  if (at) {
    batch.Put(kHeightKey, be64(*at));
  } else {
    batch.Delete(kHeightKey);
  }
  rocksdb::WriteOptions sync;
  sync.sync = true;
  if (const auto s = db_->Write(sync, &batch); !s.ok()) return io_error("rollback", s);
  return undone;
}

}  // namespace gpuos::contracts

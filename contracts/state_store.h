// StateStore: the contracts' committed state in RocksDB, a block at a time,
// with an undo log so that a reorg can roll blocks back.
//
// Glossary
//   block     the effects of one block's calls that succeeded: contracts
//             deployed and storage written. Committed in one RocksDB write
//             batch, synced, so a crash or a kill leaves the database at the
//             previous block or at this one, never in between.
//   height    a block's number; every committed block is higher than the
//             last. height() is the newest committed block's.
//   undo log  per block, the value each key it changed had before it (or
//             that the key was absent). rollback(H) replays the logs of the
//             blocks above H, newest first: the cost is the blocks' own
//             writes, never a scan of the database.
//
// Key layout (one RocksDB column family; ids are 16-byte big-endian block
// then tx, heights 8-byte big-endian, so keys sort by id, then height):
//
//   | key                        | value                                      |
//   | -------------------------- | ------------------------------------------ |
//   | "H"                        | height of the newest block                 |
//   | "s" id storage-key         | height of the write, then the value bytes  |
//   | "c" id                     | height of the deploy, then the wasm bytes  |
//   | "b" height                 | height of the block before it (none: all 1s)|
//   | "u" height seq(4)          | one undo record (below)                    |
//
// An undo record: u32 BE length of the key, the key ("s..." or "c..."),
// then 0 (the key was absent) or 1 and its previous stored value.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "contracts/alkane_id.h"
#include "kernel/result.h"

namespace rocksdb {
class DB;
}

namespace gpuos::contracts {

enum class StateError {
  Io,         // RocksDB could not open, read or write (the detail says what)
  Corrupt,    // a record is not what this layout writes
  BadHeight,  // a block not above the newest, or a rollback target not below it
};
const char* to_string(StateError e);

struct StoredValue {
  uint64_t height = 0;  // the block that wrote it
  std::string bytes;
};

// What one block changes, after its calls ran: only the calls that
// succeeded contribute (a failed call's writes were discarded).
struct BlockEffects {
  uint64_t height = 0;
  struct Deployment {
    AlkaneId id;
    std::string wasm;
  };
  struct Write {
    AlkaneId contract;
    std::string key;
    std::string value;
  };
  std::vector<Deployment> deployments;
  std::vector<Write> writes;  // in call order: a later write of a key wins
};

class StateStore {
 public:
  // Opens (creating it if missing) the database in `dir`.
  static Result<std::unique_ptr<StateStore>, StateError> open(const std::filesystem::path& dir);
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  // The newest committed block's height; nothing before the first block.
  Result<std::optional<uint64_t>, StateError> height() const;

  Result<std::optional<StoredValue>, StateError> storage(const AlkaneId& contract, std::string_view key) const;
  Result<std::optional<StoredValue>, StateError> code(const AlkaneId& contract) const;

  // Applies one block atomically (one synced write batch with its undo
  // log). Its height must be above height().
  Result<void, StateError> commit(const BlockEffects& block);

  // Undoes every block above `to_height`, newest first, in one synced write
  // batch; afterwards height() is the newest block at or below it (nothing
  // if none). Returns the number of blocks undone. `to_height` must be
  // below height().
  Result<uint64_t, StateError> rollback(uint64_t to_height);

 private:
  explicit StateStore(rocksdb::DB* db) : db_(db) {}
  Result<std::optional<std::string>, StateError> get_raw(const std::string& key) const;
  rocksdb::DB* db_;
};

}  // namespace gpuos::contracts

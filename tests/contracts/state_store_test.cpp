// The contracts' committed state (contracts/state_store.h): blocks commit
// whole, a rollback restores an earlier height exactly, and a kill in the
// middle of a commit leaves a whole block, never part of one.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <thread>

#include "contracts/state_store.h"

namespace gpuos::contracts {
namespace {

using namespace std::chrono_literals;

class StateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gpuos-state-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<StateStore> open() {
    auto s = StateStore::open(dir_ / "db");
    EXPECT_TRUE(s.ok()) << s.detail();
    return s.ok() ? std::move(s.value()) : nullptr;
  }
  static std::optional<std::string> value(const StateStore& s, AlkaneId id, std::string_view key) {
    auto v = s.storage(id, key);
    EXPECT_TRUE(v.ok()) << v.detail();
    if (!v.ok() || !v->has_value()) return std::nullopt;
    return (*v)->bytes;
  }
  static std::optional<uint64_t> height(const StateStore& s) {
    auto h = s.height();
    EXPECT_TRUE(h.ok()) << h.detail();
    return h.ok() ? h.value() : std::nullopt;
  }

  std::filesystem::path dir_;
};

const AlkaneId kToken{2, 7};
const AlkaneId kOther{2, 8};

TEST_F(StateStoreTest, ABlockCommitsAndPersists) {
  {
    auto s = open();
    ASSERT_TRUE(s);
    EXPECT_FALSE(height(*s));
    EXPECT_FALSE(value(*s, kToken, "/totalsupply"));
    BlockEffects b{.height = 10};
    b.deployments.push_back({kToken, std::string("\0asm", 4)});
    b.writes.push_back({kToken, "/totalsupply", "1000"});
    b.writes.push_back({kOther, "/totalsupply", "5"});  // the same key of another contract
    ASSERT_TRUE(s->commit(b).ok());
  }
  auto s = open();  // reopened: it was durable
  ASSERT_TRUE(s);
  EXPECT_EQ(height(*s), 10u);
  EXPECT_EQ(value(*s, kToken, "/totalsupply"), "1000");
  EXPECT_EQ(value(*s, kOther, "/totalsupply"), "5");
  auto v = s->storage(kToken, "/totalsupply");
  ASSERT_TRUE(v.ok() && v->has_value());
  EXPECT_EQ((*v)->height, 10u);  // the height of the write
  auto code = s->code(kToken);
  ASSERT_TRUE(code.ok() && code->has_value());
  EXPECT_EQ((*code)->bytes, std::string("\0asm", 4));
  EXPECT_FALSE(s->code(kOther)->has_value());
}

TEST_F(StateStoreTest, HeightsRise) {
  auto s = open();
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->commit({.height = 5}).ok());
  for (uint64_t h : {5u, 4u}) {
    auto r = s->commit({.height = h});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.code(), StateError::BadHeight) << r.detail();
  }
  EXPECT_TRUE(s->commit({.height = 9}).ok());  // gaps are fine
  EXPECT_EQ(height(*s), 9u);
}

TEST_F(StateStoreTest, ALaterWriteInABlockWinsAndItsUndoIsTheValueBefore) {
  auto s = open();
  ASSERT_TRUE(s);
  BlockEffects one{.height = 1};
  one.writes.push_back({kToken, "k", "a"});
  ASSERT_TRUE(s->commit(one).ok());
  BlockEffects two{.height = 2};
  two.writes.push_back({kToken, "k", "b"});
  two.writes.push_back({kToken, "k", "c"});
  ASSERT_TRUE(s->commit(two).ok());
  EXPECT_EQ(value(*s, kToken, "k"), "c");
  auto undone = s->rollback(1);
  ASSERT_TRUE(undone.ok()) << undone.detail();
  EXPECT_EQ(undone.value(), 1u);
  EXPECT_EQ(value(*s, kToken, "k"), "a");
}

// Three blocks over overlapping keys; rolling back to each earlier height
// gives exactly the state recorded after that block.
TEST_F(StateStoreTest, RollbackRestoresEachEarlierHeight) {
  const std::vector<std::string> keys = {"/a", "/b", "/c", "/d"};
  auto snapshot = [&](const StateStore& s) {
    std::map<std::string, std::optional<std::string>> m;
    for (const auto& k : keys) m[k] = value(s, kToken, k);
    m["code"] = s.code(kOther)->has_value() ? std::optional<std::string>((*s.code(kOther))->bytes) : std::nullopt;
    return m;
  };
  auto build = [&](StateStore& s, std::map<uint64_t, std::map<std::string, std::optional<std::string>>>& after) {
    BlockEffects b1{.height = 100};
    b1.writes = {{kToken, "/a", "1"}, {kToken, "/b", "1"}};
    BlockEffects b2{.height = 101};
    b2.writes = {{kToken, "/b", "2"}, {kToken, "/c", "2"}};
    b2.deployments = {{kOther, "wasm-v1"}};
    BlockEffects b3{.height = 105};
    b3.writes = {{kToken, "/a", "3"}, {kToken, "/c", "3"}, {kToken, "/d", "3"}};
    for (const BlockEffects* b : {&b1, &b2, &b3}) {
      ASSERT_TRUE(s.commit(*b).ok());
      after[b->height] = snapshot(s);
    }
  };
  for (uint64_t target : {104u, 101u, 100u, 99u}) {
    std::filesystem::remove_all(dir_ / "db");
    auto s = open();
    ASSERT_TRUE(s);
    std::map<uint64_t, std::map<std::string, std::optional<std::string>>> after;
    build(*s, after);
    auto r = s->rollback(target);
    ASSERT_TRUE(r.ok()) << r.detail();
    if (target >= 101) {
      EXPECT_EQ(height(*s), 101u);
      EXPECT_EQ(snapshot(*s), after[101]) << "to " << target;
      EXPECT_EQ(r.value(), 1u);
    } else if (target == 100) {
      EXPECT_EQ(height(*s), 100u);
      EXPECT_EQ(snapshot(*s), after[100]);
      EXPECT_EQ(r.value(), 2u);
    } else {
      EXPECT_FALSE(height(*s));  // below the first block: nothing is left
      for (const auto& [k, v] : snapshot(*s)) EXPECT_FALSE(v) << k;
      EXPECT_EQ(r.value(), 3u);
    }
    // The chain goes on from there, as after a reorg.
    BlockEffects next{.height = 102};
    next.writes = {{kToken, "/a", "new"}};
    if (target >= 101) {
      ASSERT_TRUE(s->commit(next).ok());
      EXPECT_EQ(value(*s, kToken, "/a"), "new");
    }
  }
}

TEST_F(StateStoreTest, RollbackTargetsMustBeBelowTheNewest) {
  auto s = open();
  ASSERT_TRUE(s);
  auto none = s->rollback(0);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.code(), StateError::BadHeight);
  ASSERT_TRUE(s->commit({.height = 3}).ok());
  for (uint64_t to : {3u, 4u}) {
    auto r = s->rollback(to);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.code(), StateError::BadHeight) << r.detail();
  }
  EXPECT_EQ(height(*s), 3u);
}

// A child commits blocks as fast as it can, each writing every key with its
// own height, and is killed (SIGKILL) at a moment that varies. Reopened,
// the database holds one whole block: every key has the height that
// height() names, never a mixture.
TEST_F(StateStoreTest, AKillMidBlockLeavesAWholeBlock) {
  constexpr int kKeys = 64;
  int rounds_with_blocks = 0;
  uint64_t newest = 0;
  for (int round = 0; round < 6; ++round) {
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      auto s = StateStore::open(dir_ / "db");
      if (!s.ok()) _exit(2);
      auto h = s.value()->height();
      uint64_t next = h.ok() && h->has_value() ? **h + 1 : 1;
      for (;; ++next) {
        BlockEffects b{.height = next};
        for (int k = 0; k < kKeys; ++k) b.writes.push_back({kToken, "key" + std::to_string(k), std::to_string(next)});
        if (!s.value()->commit(b).ok()) _exit(3);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(40 + 37 * round));
    ASSERT_EQ(kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the child ended by itself, status " << status;
    auto s = open();
    ASSERT_TRUE(s);
    const auto h = height(*s);
    if (!h) continue;  // killed before the first commit
    ++rounds_with_blocks;
    EXPECT_GE(*h, newest) << "a committed block was lost";
    newest = *h;
    for (int k = 0; k < kKeys; ++k) {
      EXPECT_EQ(value(*s, kToken, "key" + std::to_string(k)), std::to_string(*h)) << "round " << round << " key " << k;
    }
  }
  // The kills must have landed among commits, or the test showed nothing.
  EXPECT_GE(rounds_with_blocks, 4);
  std::printf("  killed 6 committers; the database ended at block %llu\n", static_cast<unsigned long long>(newest));
}

}  // namespace
}  // namespace gpuos::contracts

// subtree_of (kernel/proc_tree.h), the walk behind `kill --tree PID` below a
// tree's root (issue 20, item 8): which processes of a snapshot are PID or
// below it, through zombies and ghosts, and never through a torn chain.
#include <gtest/gtest.h>

#include <algorithm>

#include "kernel/proc_tree.h"

namespace gpuos {
namespace {

abi::ProcEntry entry(uint32_t pid, uint32_t ppid, uint32_t group, uint32_t state) {
  abi::ProcEntry e{};
  e.pid = pid;
  e.ppid = ppid;
  e.group = group;
  e.state = state;
  e.hold = 1;
  return e;
}

std::vector<uint32_t> pids(const Subtree& t) {
  std::vector<uint32_t> out;
  for (const auto& m : t.live) out.push_back(m.pid);
  std::sort(out.begin(), out.end());
  return out;
}

// Tree 1: 1 -> 2 -> (3, a ghost) -> 4 -> (5, a zombie) -> 6, and 1 -> 7 -> 8
// beside it; 9 is the root of another tree, 10 its child.
ProcSnapshot lineage() {
  ProcSnapshot s;
  s.procs = {entry(1, 0, 1, abi::PROC_BLOCKED), entry(2, 1, 1, abi::PROC_RUNNING), entry(4, 3, 1, abi::PROC_READY),
             entry(5, 4, 1, abi::PROC_ZOMBIE),  entry(6, 5, 1, abi::PROC_BLOCKED), entry(7, 1, 1, abi::PROC_READY),
             entry(8, 7, 1, abi::PROC_RUNNING), entry(9, 0, 9, abi::PROC_READY),   entry(10, 9, 9, abi::PROC_READY)};
  s.ghosts = {entry(3, 2, 1, abi::PROC_FREE)};
  return s;
}

TEST(ProcsSubtreeWalk, FindsDescendantsThroughGhostsAndZombies) {
  const Subtree t = subtree_of(lineage(), 2);
  EXPECT_TRUE(t.found);
  EXPECT_EQ(t.group, 1u);
  EXPECT_EQ(pids(t), (std::vector<uint32_t>{2, 4, 6}));  // not the zombie 5: it does not run
}

TEST(ProcsSubtreeWalk, AGhostOrZombieTopStillNamesItsDescendants) {
  EXPECT_EQ(pids(subtree_of(lineage(), 3)), (std::vector<uint32_t>{4, 6}));
  EXPECT_EQ(pids(subtree_of(lineage(), 5)), (std::vector<uint32_t>{6}));
}

TEST(ProcsSubtreeWalk, TheRootNamesItsWholeTreeAndNoOther) {
  EXPECT_EQ(pids(subtree_of(lineage(), 1)), (std::vector<uint32_t>{1, 2, 4, 6, 7, 8}));
  EXPECT_EQ(pids(subtree_of(lineage(), 9)), (std::vector<uint32_t>{9, 10}));
}

TEST(ProcsSubtreeWalk, ALeafIsItsOwnSubtree) { EXPECT_EQ(pids(subtree_of(lineage(), 8)), (std::vector<uint32_t>{8})); }

TEST(ProcsSubtreeWalk, UnknownPidsAreNotFound) {
  EXPECT_FALSE(subtree_of(lineage(), 0).found);
  EXPECT_FALSE(subtree_of(lineage(), 42).found);
  EXPECT_TRUE(subtree_of(lineage(), 42).live.empty());
}

TEST(ProcsSubtreeWalk, MarksTheProcessesAKillAlreadyNames) {
  ProcSnapshot s = lineage();
  s.procs[2].kill_pid = 4;  // pid 4: a kill is posted
  s.procs[4].kill_pid = 99; // pid 6: a kill of an older pid of its slot, not of 6
  const Subtree t = subtree_of(s, 2);
  for (const auto& m : t.live) EXPECT_EQ(m.kill_pending, m.pid == 4) << m.pid;
}

// A snapshot taken while slots were reused can show a chain that loops or
// breaks off; the walk ends and counts such a process as not below.
TEST(ProcsSubtreeWalk, TornChainsEndTheWalk) {
  ProcSnapshot s = lineage();
  s.procs.push_back(entry(11, 12, 1, abi::PROC_READY));
  s.procs.push_back(entry(12, 11, 1, abi::PROC_READY));
  s.procs.push_back(entry(13, 77, 1, abi::PROC_READY));  // its parent is not in the snapshot
  EXPECT_EQ(pids(subtree_of(s, 2)), (std::vector<uint32_t>{2, 4, 6}));
  EXPECT_EQ(pids(subtree_of(s, 11)), (std::vector<uint32_t>{11, 12}));  // each is below the other
}

}  // namespace
}  // namespace gpuos

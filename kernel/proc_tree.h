// A process and its descendants, found in one snapshot of the process
// table (Session::snapshot): the processes whose ppid chain reaches it.
//
// The kernel keeps every entry that a child still needs (a "ghost": state
// FREE, ProcEntry.hold != 0; shaders/proc/table.glsl), so a chain stays
// whole through ancestors that have exited and been reaped, and an orphan
// is still found below the process that started its line.
#pragma once

#include <cstdint>
#include <vector>

#include "kernel/session.h"

namespace gpuos {

struct SubtreeMember {
  uint32_t pid = 0;
  bool kill_pending = false;  // a kill of this pid is posted (ProcEntry.kill_pid)
};

struct Subtree {
  bool found = false;                // `top` is in the table: running, zombie or ghost
  uint32_t group = 0;                // its tree's root (found only)
  std::vector<SubtreeMember> live;   // `top` (if it runs) and every running descendant
};

// Walks each running process's chain once, remembering every entry it
// passes, so a snapshot of N processes costs O(N) however deep the chains.
Subtree subtree_of(const ProcSnapshot& snap, uint32_t top);

}  // namespace gpuos

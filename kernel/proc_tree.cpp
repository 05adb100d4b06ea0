#include "kernel/proc_tree.h"

#include <unordered_map>

namespace gpuos {

namespace {

bool runs(const abi::ProcEntry& e) {
  return e.state == abi::PROC_READY || e.state == abi::PROC_RUNNING || e.state == abi::PROC_BLOCKED;
}

}  // namespace

Subtree subtree_of(const ProcSnapshot& snap, uint32_t top) {
  std::unordered_map<uint32_t, const abi::ProcEntry*> by_pid;
  by_pid.reserve(snap.procs.size() + snap.ghosts.size());
  for (const auto& e : snap.procs) by_pid.emplace(e.pid, &e);
  for (const auto& e : snap.ghosts) by_pid.emplace(e.pid, &e);

  Subtree out;
  const auto t = by_pid.find(top);
  if (top == 0 || t == by_pid.end()) return out;
  out.found = true;
  out.group = t->second->group;

  // below[pid]: whether pid is `top` or under it. A chain is walked up to
  // the first entry already decided, then every entry passed gets that
  // answer (they all share it: `top` was not among them).
  std::unordered_map<uint32_t, bool> below;
  below.reserve(by_pid.size());
  below[top] = true;
  std::vector<uint32_t> path;
  for (const auto& e : snap.procs) {
    if (e.group != out.group || !runs(e)) continue;
    path.clear();
    uint32_t pid = e.pid;
    bool answer = false;
    // The chain cannot be longer than the table; a longer one would be a
    // torn snapshot's cycle, and counts as not below.
    for (size_t steps = 0; steps <= by_pid.size(); ++steps) {
      if (const auto b = below.find(pid); b != below.end()) {
        answer = b->second;
        break;
      }
      const auto it = by_pid.find(pid);
      if (it == by_pid.end() || it->second->ppid == 0) break;  // the tree's root, or a chain the snapshot tore
      path.push_back(pid);
      pid = it->second->ppid;
    }
    for (uint32_t p : path) below[p] = answer;
    if (answer) out.live.push_back({e.pid, e.kill_pid == e.pid});
  }
  return out;
}

}  // namespace gpuos

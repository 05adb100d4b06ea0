// proc_logs.cpp: ProcessLogs (proc_logs.h).
#include "io/proc_logs.h"

#include <algorithm>

namespace gpuos::io {

namespace {
// Consecutive writes to one stream share a chunk up to this size, so that
// dropping a log's oldest bytes erases from a short string.
constexpr size_t kChunkBytes = 4096;
}  // namespace

void ProcessLogs::drop_front(Log& l, size_t n) {
  n = std::min(n, l.kept);
  l.start += n;
  l.kept -= n;
  total_ -= n;
  while (n > 0) {
    Chunk& c = l.chunks.front();
    if (c.bytes.size() <= n) {
      n -= c.bytes.size();
      l.chunks.pop_front();
    } else {
      c.bytes.erase(0, n);
      n = 0;
    }
  }
}

void ProcessLogs::evict(uint32_t pid) {
  auto it = logs_.find(pid);
  if (it == logs_.end()) return;
  total_ -= it->second.kept;
  logs_.erase(it);
}

void ProcessLogs::write(uint32_t pid, bool is_stderr, std::string_view text) {
  if (text.empty()) return;
  std::lock_guard lock(mu_);
  Log& l = logs_[pid];
  if (l.exited) return;  // a record after the exit cannot happen; never reopen a log
  l.end += text.size();
  // Only the last per_process bytes can be kept: skip the rest of a long write.
  if (text.size() > lim_.per_process) {
    drop_front(l, l.kept);
    l.start = l.end - lim_.per_process;
    text = text.substr(text.size() - lim_.per_process);
  }
  if (!l.chunks.empty() && l.chunks.back().is_stderr == is_stderr && l.chunks.back().bytes.size() < kChunkBytes) {
    l.chunks.back().bytes.append(text);
  } else {
    l.chunks.push_back({is_stderr, std::string(text)});
  }
  l.kept += text.size();
  total_ += text.size();
  if (l.kept > lim_.per_process) drop_front(l, l.kept - lim_.per_process);
  while (total_ > lim_.total && !exited_.empty()) {
    evict(exited_.front());
    exited_.pop_front();
  }
  if (total_ > lim_.total) drop_front(l, total_ - lim_.total);
}

void ProcessLogs::exited(uint32_t pid) {
  std::lock_guard lock(mu_);
  auto it = logs_.find(pid);
  if (it == logs_.end() || it->second.exited) return;
  it->second.exited = true;
  exited_.push_back(pid);
  while (exited_.size() > lim_.exited_kept) {
    evict(exited_.front());
    exited_.pop_front();
  }
}

ProcessLogs::Read ProcessLogs::read(uint32_t pid, uint64_t from, size_t max_bytes) const {
  std::lock_guard lock(mu_);
  Read r;
  auto it = logs_.find(pid);
  if (it == logs_.end()) return r;
  const Log& l = it->second;
  r.known = true;
  r.start = l.start;
  r.end = l.end;
  uint64_t at = l.start;
  from = std::max(from, l.start);
  size_t taken = 0;
  for (const Chunk& c : l.chunks) {
    const uint64_t c_end = at + c.bytes.size();
    if (c_end > from && taken < max_bytes) {
      const size_t off = static_cast<size_t>(from > at ? from - at : 0);
      const size_t n = std::min(c.bytes.size() - off, max_bytes - taken);
      r.chunks.push_back({c.is_stderr, c.bytes.substr(off, n)});
      taken += n;
      from += n;
    }
    at = c_end;
  }
  r.next = from;
  return r;
}

size_t ProcessLogs::bytes() const {
  std::lock_guard lock(mu_);
  return total_;
}

size_t ProcessLogs::processes() const {
  std::lock_guard lock(mu_);
  return logs_.size();
}

}  // namespace gpuos::io

// proc_logs.h: what each process wrote to its stdout and stderr, kept by
// the session so that `gpuos logs PID` can show it, also after the process
// has exited, whatever --stdout said (the copy is kept either way).
//
// The session's drain thread adds the text of every RECORD_STDOUT and
// RECORD_STDERR record, in ring order, so a line that a program wrote in
// one call but that reached the host in several records (a record holds
// OUT_TEXT_MAX bytes) is whole again here, multi-byte UTF-8 included.
//
// Bounded (Limits): each process keeps the last `per_process` bytes; all
// processes together keep at most `total` bytes, and the logs of at most
// `exited_kept` exited processes. Over a bound, the logs of the processes
// that exited first go first; if that is not enough, the writing process
// loses its oldest bytes. A reader learns how many bytes were dropped
// (positions count every byte the process ever wrote).
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gpuos::io {

class ProcessLogs {
 public:
  struct Limits {
    size_t per_process = 64u << 10;
    size_t total = 32u << 20;
    size_t exited_kept = 4096;
  };
  struct Chunk {
    bool is_stderr = false;
    std::string bytes;
  };
  // What `read` found. Positions count the bytes of both streams together,
  // in the order written, from the process's first byte.
  struct Read {
    bool known = false;     // the process ever wrote (and its log is still kept)
    uint64_t start = 0;     // first position still kept (= bytes dropped)
    uint64_t end = 0;       // one past the last byte written so far
    uint64_t next = 0;      // where the next read should start
    std::vector<Chunk> chunks;
  };

  ProcessLogs() : ProcessLogs(Limits{}) {}
  explicit ProcessLogs(Limits lim) : lim_(lim) {}
  // Before the first write.
  void set_limits(Limits lim) { lim_ = lim; }

  void write(uint32_t pid, bool is_stderr, std::string_view text);
  void exited(uint32_t pid);
  // From position `from` (earlier ones dropped are skipped), at most
  // about `max_bytes`.
  Read read(uint32_t pid, uint64_t from, size_t max_bytes) const;

  size_t bytes() const;      // kept now, all processes
  size_t processes() const;  // with a log kept
  const Limits& limits() const { return lim_; }

 private:
  struct Log {
    std::deque<Chunk> chunks;
    uint64_t start = 0, end = 0;
    size_t kept = 0;
    bool exited = false;
  };
  void drop_front(Log& l, size_t n);  // the log's oldest n bytes
  void evict(uint32_t pid);

  Limits lim_;
  mutable std::mutex mu_;
  std::unordered_map<uint32_t, Log> logs_;
  std::deque<uint32_t> exited_;  // pids with a log, in exit order
  size_t total_ = 0;
};

}  // namespace gpuos::io

// io_host_harness.h: a WasiHost on a real temporary directory and one of
// the two IoBackends, for the io_ fault tests (no GPU): a request is built
// as the kernel would post it and its reply read back from the directives,
// in the manner of tests/unit/wasi_host_test.cpp.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "io/io_backend.h"
#include "io/wasi_abi.h"
#include "io/wasi_host.h"

namespace gpuos::io {

inline void PrintTo(IoBackendChoice c, std::ostream* os) {
  *os << (c == IoBackendChoice::Uring ? "io_uring" : c == IoBackendChoice::ThreadPool ? "thread-pool" : "auto");
}

namespace fault {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

inline std::string backend_name(const ::testing::TestParamInfo<IoBackendChoice>& i) {
  return i.param == IoBackendChoice::Uring ? "IoUring" : "ThreadPool";
}

inline std::vector<uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }

// The bytes a reply writes at guest address `addr` (its directives), if any.
inline std::optional<std::vector<uint8_t>> written_at(const Reply& r, uint32_t addr) {
  const std::vector<uint32_t>& w = r.words();
  for (size_t i = 0; i + 2 <= w.size();) {
    const uint32_t at = w[i], len = w[i + 1];
    if (at == addr) {
      std::vector<uint8_t> b(len);
      std::memcpy(b.data(), w.data() + i + 2, len);
      return b;
    }
    i += 2 + (len + 3) / 4;
  }
  return std::nullopt;
}

inline std::optional<uint32_t> u32_at(const Reply& r, uint32_t addr) {
  auto b = written_at(r, addr);
  if (!b || b->size() != 4) return std::nullopt;
  uint32_t v;
  std::memcpy(&v, b->data(), 4);
  return v;
}

inline std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

constexpr uint32_t kResult = 0x100;  // a call's small result (an fd, a count)
constexpr uint32_t kBuf = 0x1000;    // a read's buffer
constexpr uint32_t kPtr = 0x200;     // where a guest holds a path or iovecs (the host never reads it)
constexpr uint32_t kKey = 0x40;      // the spawn with the read-write directory at fd 3

class HostHarness : public ::testing::TestWithParam<IoBackendChoice> {
 protected:
  void SetUp() override {
    std::string why;
    auto b = make_io_backend(GetParam(), why);
    if (!b) GTEST_SKIP() << "io_uring is unavailable on this host: " << b.detail();
    backend_ = std::move(*b);
    host_ = std::make_unique<WasiHost>(*backend_);
    std::string tmpl = (fs::temp_directory_path() / "gpuos-io-fault-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr) << std::strerror(errno);
    root_ = tmpl;
  }

  void TearDown() override {
    backend_.reset();  // runs or cancels every callback still pending
    host_.reset();
    if (!root_.empty()) {
      std::error_code ec;
      fs::remove_all(root_, ec);
    }
  }

  // Registers `io` under `key` (a spawn's io key).
  void add_spawn(uint32_t key, std::shared_ptr<SpawnIo> io) { ASSERT_TRUE(host_->add_spawn(key, std::move(io))); }

  Request request(uint32_t op, std::initializer_list<uint64_t> args, std::vector<uint8_t> out = {}) const {
    Request r;
    r.pid = pid_;
    r.key = key_;
    r.opcode = op;
    size_t k = 0;
    for (uint64_t a : args) r.args[k++] = a;
    r.out = std::move(out);
    return r;
  }

  // Serves a request; its reply, once (a future that a test may wait on).
  std::future<Reply> serve(Request r, std::function<void()> woken = nullptr) {
    auto promise = std::make_shared<std::promise<Reply>>();
    auto calls = std::make_shared<std::atomic<int>>(0);
    std::future<Reply> f = promise->get_future();
    host_->serve(
        std::move(r),
        [promise, calls](Reply rep) {
          if (calls->fetch_add(1) == 0) {
            promise->set_value(std::move(rep));
          } else {
            ADD_FAILURE() << "done called more than once";
          }
        },
        std::move(woken));
    return f;
  }

  Reply call(uint32_t op, std::initializer_list<uint64_t> args, std::vector<uint8_t> out = {}) {
    auto f = serve(request(op, args, std::move(out)));
    if (f.wait_for(10s) != std::future_status::ready) {
      ADD_FAILURE() << "opcode " << op << ": no reply within 10 s";
      return Reply::error(0xffff);
    }
    return f.get();
  }

  // path_open under fd 3, read and write: the new fd, or nullopt.
  std::optional<uint32_t> open(std::string_view path, uint16_t oflags = 0) {
    const uint64_t rights = wasi::RIGHT_FD_READ | wasi::RIGHT_FD_WRITE | wasi::RIGHT_FD_SEEK | wasi::RIGHT_FD_TELL;
    const Reply r = call(abi::WASI_PATH_OPEN, {3, 0, kPtr, path.size(), oflags, rights, rights, 0, kResult},
                         bytes_of(path));
    if (r.result != wasi::ERR_SUCCESS) return std::nullopt;
    return u32_at(r, kResult);
  }

  // An iovec array of one (kBuf, len), as a read's out-data.
  static std::vector<uint8_t> one_iovec(uint32_t len) {
    std::vector<uint8_t> v(8);
    const uint32_t a = kBuf;
    std::memcpy(v.data(), &a, 4);
    std::memcpy(v.data() + 4, &len, 4);
    return v;
  }

  std::unique_ptr<IoBackend> backend_;
  std::unique_ptr<WasiHost> host_;
  fs::path root_;
  uint32_t pid_ = 7;
  uint32_t key_ = kKey;
};

}  // namespace fault
}  // namespace gpuos::io

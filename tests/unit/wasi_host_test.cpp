// io::WasiHost (io/wasi_host.h), the host half of WASI preview1, against a
// real temporary directory and both IoBackends: the thread pool always, and
// io_uring where a ring can be set up (the io_uring instance skips, with the
// reason, where it cannot). No GPU: a request is built as the kernel would
// post it, and the reply's directives are applied to a fake guest memory,
// as the kernel would apply them, so that a test reads back what the call
// wrote there.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <ostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "io/io_backend.h"
#include "io/wasi_abi.h"
#include "io/wasi_host.h"

namespace gpuos::io {

// The backend a case runs on, by name (in test names and ctest's list).
void PrintTo(IoBackendChoice c, std::ostream* os) {
  *os << (c == IoBackendChoice::Uring ? "io_uring" : c == IoBackendChoice::ThreadPool ? "thread-pool" : "auto");
}

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace gpuos::io::wasi;

// The WASI errno values the tests name, pinned to the preview1 numbers.
static_assert(ERR_BADF == 8 && ERR_EXIST == 20 && ERR_INVAL == 28 && ERR_ISDIR == 31 && ERR_LOOP == 32);
static_assert(ERR_NAMETOOLONG == 37 && ERR_NOENT == 44 && ERR_NOSYS == 52 && ERR_NOTDIR == 54);
static_assert(ERR_NOTEMPTY == 55 && ERR_NOTCAPABLE == 76);

// ---- a fake guest memory ----------------------------------------------------------

constexpr uint32_t kMemBytes = 64 * 1024;
// Guest addresses the tests use.
constexpr uint32_t kResult = 0x100;   // a call's small result (an fd, a count, a stat, an offset)
constexpr uint32_t kResult2 = 0x180;  // a second one (fd_readdir's bufused, poll_oneoff's nevents)
constexpr uint32_t kBuf = 0x1000;     // a buffer (reads, readdir, random bytes, events), up to 48 KiB
constexpr uint32_t kPathPtr = 0x200;  // where a guest would hold a path: the host never reads it
constexpr uint32_t kPoison = 0xdeadbeef;

struct GuestMemory {
  std::vector<uint8_t> bytes = std::vector<uint8_t>(kMemBytes, 0xa5);

  // Applies a reply's directives {addr, len, bytes padded to 4} as the
  // kernel does; fails on anything the kernel would not accept.
  ::testing::AssertionResult apply(const Reply& r) {
    const std::vector<uint32_t>& w = r.words();
    if (w.size() * 4 > abi::IO_DATA_BYTES) {
      return ::testing::AssertionFailure() << "reply of " << w.size() * 4 << " bytes exceeds a slot's data area ("
                                           << abi::IO_DATA_BYTES << ")";
    }
    size_t i = 0;
    while (i < w.size()) {
      if (i + abi::IOW_HEADER_WORDS > w.size()) return ::testing::AssertionFailure() << "truncated directive header";
      const uint32_t addr = w[i], len = w[i + 1];
      i += abi::IOW_HEADER_WORDS;
      if (len > abi::IOW_MAX_BYTES) return ::testing::AssertionFailure() << "directive of " << len << " bytes";
      const size_t words = (len + 3) / 4;
      if (i + words > w.size()) return ::testing::AssertionFailure() << "directive runs past the reply";
      if (uint64_t{addr} + len > bytes.size()) {
        return ::testing::AssertionFailure() << "directive at " << addr << "+" << len << " outside guest memory";
      }
      std::memcpy(bytes.data() + addr, w.data() + i, len);
      i += words;
    }
    return ::testing::AssertionSuccess();
  }

  template <typename T>
  T load(uint32_t addr) const {
    T v;
    std::memcpy(&v, bytes.data() + addr, sizeof v);
    return v;
  }
  template <typename T>
  void store(uint32_t addr, const T& v) {
    std::memcpy(bytes.data() + addr, &v, sizeof v);
  }
  std::string str(uint32_t addr, size_t n) const { return std::string(bytes.begin() + addr, bytes.begin() + addr + n); }
  void fill(uint32_t addr, size_t n, uint8_t b) { std::memset(bytes.data() + addr, b, n); }
};

std::vector<uint8_t> to_bytes(std::string_view s) { return std::vector<uint8_t>(s.begin(), s.end()); }

std::vector<uint8_t> iovec_array(const std::vector<std::pair<uint32_t, uint32_t>>& iov) {
  std::vector<uint8_t> out(iov.size() * 8);
  for (size_t i = 0; i < iov.size(); ++i) {
    std::memcpy(out.data() + 8 * i, &iov[i].first, 4);
    std::memcpy(out.data() + 8 * i + 4, &iov[i].second, 4);
  }
  return out;
}

struct Dirent {
  uint64_t next = 0, ino = 0;
  uint8_t type = 0;
  std::string name;
};

// The dirent stream of fd_readdir: a 24-byte header, then the name. An
// entry cut off by the end of the buffer is left out.
std::vector<Dirent> parse_dirents(const GuestMemory& m, uint32_t at, uint32_t used) {
  std::vector<Dirent> v;
  uint32_t off = 0;
  while (off + sizeof(DirentHeader) <= used) {
    const auto h = m.load<DirentHeader>(at + off);
    if (off + sizeof h + h.namlen > used) break;
    v.push_back({h.next, h.ino, h.type, m.str(at + off + sizeof h, h.namlen)});
    off += sizeof h + h.namlen;
  }
  return v;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

void spit(const fs::path& p, std::string_view text) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << text;
}

// Host descriptors this process has open: a call that "never opens
// anything" leaves the count as it was.
size_t open_fds() {
  size_t n = 0;
  for ([[maybe_unused]] auto& e : fs::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

// The same, once it reaches `want` (within 2 s): a backend lets go of an
// op's callback, and of the descriptor table the callback holds, just
// after the callback has replied.
size_t open_fds_soon(size_t want) {
  for (int i = 0; i < 200 && open_fds() != want; ++i) std::this_thread::sleep_for(10ms);
  return open_fds();
}

std::set<std::string> listing(const fs::path& dir) {
  std::set<std::string> s;
  for (auto& e : fs::recursive_directory_iterator(dir)) s.insert(fs::relative(e.path(), dir).string());
  return s;
}

// ---- the fixture --------------------------------------------------------------------

constexpr uint32_t kKey = 0x40;       // the spawn with the read-write sandbox at fd 3
constexpr uint32_t kKeyRo = 0x41;     // a read-only preopen at fd 3
constexpr uint32_t kKeyStdin = 0x42;  // a stdin file, no directories
constexpr uint32_t kKeyNone = 0x99;   // no SpawnIo registered
constexpr uint32_t kPid = 7;

constexpr uint64_t kFileRights = RIGHT_FD_READ | RIGHT_FD_WRITE | RIGHT_FD_SEEK | RIGHT_FD_TELL |
                                 RIGHT_FD_FILESTAT_GET | RIGHT_FD_FILESTAT_SET_SIZE | RIGHT_FD_READDIR |
                                 RIGHT_FD_FDSTAT_SET_FLAGS | RIGHT_FD_SYNC | RIGHT_FD_DATASYNC;

constexpr std::string_view kFileText = "hello sandbox";
constexpr std::string_view kSecret = "outside secret";
constexpr std::string_view kStdinText = "line one\nline two\n";

std::string backend_name(IoBackendChoice c) { return c == IoBackendChoice::Uring ? "IoUring" : "ThreadPool"; }

class WasiHostTest : public ::testing::TestWithParam<IoBackendChoice> {
 protected:
  void SetUp() override {
    std::string why;
    auto b = make_io_backend(GetParam(), why);
    if (!b) GTEST_SKIP() << "io_uring is unavailable on this host: " << b.detail();
    backend_ = std::move(*b);
    ASSERT_STREQ(backend_->name(), GetParam() == IoBackendChoice::Uring ? "io_uring" : "thread-pool");
    host_ = std::make_unique<WasiHost>(*backend_);

    std::string tmpl = (fs::temp_directory_path() / "gpuos-wasi-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr) << std::strerror(errno);
    root_ = tmpl;
    // root/
    //   sandbox/            preopened read-write as "." (fd 3 of kKey)
    //     file.txt  sub/inner.txt  and symlinks, in and out
    //   outside             a file beside the sandbox
    //   outdir/x.txt        a directory beside it
    //   ro/ro_file.txt      preopened read-only as "data" (fd 3 of kKeyRo)
    //   stdin.txt
    box_ = root_ / "sandbox";
    fs::create_directories(box_ / "sub");
    spit(box_ / "file.txt", kFileText);
    spit(box_ / "sub" / "inner.txt", "inner");
    spit(root_ / "outside", kSecret);
    fs::create_directories(root_ / "outdir");
    spit(root_ / "outdir" / "x.txt", "x");
    fs::create_directories(root_ / "ro");
    spit(root_ / "ro" / "ro_file.txt", "read only");
    spit(root_ / "stdin.txt", kStdinText);
    fs::create_symlink("file.txt", box_ / "link_in");                     // relative, inside
    fs::create_symlink("sub/../file.txt", box_ / "link_in_dotdot");       // relative through .., inside
    fs::create_symlink("sub", box_ / "link_sub");                         // a directory, inside
    fs::create_symlink(root_ / "outside", box_ / "link_abs_out");         // absolute, outside
    fs::create_symlink("../outside", box_ / "link_rel_out");              // relative, outside
    fs::create_symlink("../outdir", box_ / "link_dir_out");               // a directory outside
    fs::create_symlink("../created_outside", box_ / "link_dangling_out");  // to a name outside, not there
    fs::create_symlink(box_ / "file.txt", box_ / "link_abs_in");          // absolute, to a file inside

    auto rw = std::make_shared<SpawnIo>();
    rw->dirs.push_back({box_.string(), "."});
    ASSERT_TRUE(host_->add_spawn(kKey, rw));
    auto ro = std::make_shared<SpawnIo>();
    ro->dirs.push_back({(root_ / "ro").string(), "data", true});
    ASSERT_TRUE(host_->add_spawn(kKeyRo, ro));
    auto in = std::make_shared<SpawnIo>();
    in->stdin_path = (root_ / "stdin.txt").string();
    ASSERT_TRUE(host_->add_spawn(kKeyStdin, in));

    before_ = listing(root_);
  }

  void TearDown() override {
    // The backend first: it runs (or cancels) every callback still pending,
    // and none of them touches the host.
    backend_.reset();
    host_.reset();
    if (!root_.empty()) {
      std::error_code ec;
      fs::remove_all(root_, ec);
    }
  }

  // Serves one request and waits for its reply (never forever), then
  // applies the reply to guest memory.
  Reply call(uint32_t op, std::initializer_list<uint64_t> args, std::vector<uint8_t> out = {}) {
    Request r;
    r.pid = pid_;
    r.key = key_;
    r.opcode = op;
    size_t k = 0;
    for (uint64_t a : args) r.args[k++] = a;
    r.out = std::move(out);
    auto promise = std::make_shared<std::promise<Reply>>();
    auto calls = std::make_shared<std::atomic<int>>(0);
    std::future<Reply> reply = promise->get_future();
    host_->serve(std::move(r), [promise, calls](Reply rep) {
      if (calls->fetch_add(1) == 0) {
        promise->set_value(std::move(rep));
      } else {
        ADD_FAILURE() << "done called more than once";
      }
    });
    if (reply.wait_for(10s) != std::future_status::ready) {
      ADD_FAILURE() << "opcode " << op << ": no reply within 10 s";
      return Reply::error(0xffff);
    }
    Reply rep = reply.get();
    EXPECT_TRUE(mem_.apply(rep)) << "opcode " << op;
    return rep;
  }

  // path_open(fd, dirflags, path, path_len, oflags, rights_base, rights_inheriting, fdflags, fd_out):
  // the errno; the new fd in *fd. kResult is poisoned first, so a failure
  // that wrote an fd shows.
  uint32_t open(uint32_t dirfd, std::string_view path, uint16_t oflags = 0, uint32_t* fd = nullptr,
                uint64_t rights = kFileRights, uint16_t fdflags = 0, uint32_t lookup = LOOKUP_SYMLINK_FOLLOW) {
    mem_.store(kResult, kPoison);
    const Reply r = call(abi::WASI_PATH_OPEN,
                         {dirfd, lookup, kPathPtr, path.size(), oflags, rights, kFileRights, fdflags, kResult},
                         to_bytes(path));
    if (r.result != ERR_SUCCESS) {
      EXPECT_EQ(mem_.load<uint32_t>(kResult), kPoison) << "a failed path_open wrote an fd (" << path << ")";
    }
    if (fd) *fd = r.result == ERR_SUCCESS ? mem_.load<uint32_t>(kResult) : ~0u;
    return r.result;
  }

  // fd_write(fd, iovs, iovs_len, nwritten): the errno; the count in *n.
  uint32_t write(uint32_t fd, std::string_view text, uint32_t* n = nullptr) {
    mem_.store(kResult, kPoison);
    const Reply r = call(abi::WASI_FD_WRITE, {fd, kPathPtr, 1, kResult}, to_bytes(text));
    if (n) *n = mem_.load<uint32_t>(kResult);
    return r.result;
  }
  uint32_t pwrite(uint32_t fd, std::string_view text, uint64_t offset, uint32_t* n = nullptr) {
    mem_.store(kResult, kPoison);
    const Reply r = call(abi::WASI_FD_PWRITE, {fd, kPathPtr, 1, offset, kResult}, to_bytes(text));
    if (n) *n = mem_.load<uint32_t>(kResult);
    return r.result;
  }

  // fd_read(fd, iovs, iovs_len, nread) into one iovec at kBuf: the errno; the bytes in *text.
  uint32_t read(uint32_t fd, uint32_t len, std::string* text = nullptr) {
    mem_.store(kResult, kPoison);
    mem_.fill(kBuf, len, 0);
    const Reply r = call(abi::WASI_FD_READ, {fd, kPathPtr, 1, kResult}, iovec_array({{kBuf, len}}));
    if (text) *text = r.result == ERR_SUCCESS ? mem_.str(kBuf, mem_.load<uint32_t>(kResult)) : "";
    return r.result;
  }
  uint32_t pread(uint32_t fd, uint32_t len, uint64_t offset, std::string* text = nullptr) {
    mem_.store(kResult, kPoison);
    mem_.fill(kBuf, len, 0);
    const Reply r = call(abi::WASI_FD_PREAD, {fd, kPathPtr, 1, offset, kResult}, iovec_array({{kBuf, len}}));
    if (text) *text = r.result == ERR_SUCCESS ? mem_.str(kBuf, mem_.load<uint32_t>(kResult)) : "";
    return r.result;
  }

  // fd_seek(fd, offset, whence, newoffset) and fd_tell(fd, offset).
  uint32_t seek(uint32_t fd, int64_t offset, uint8_t whence, uint64_t* pos = nullptr) {
    const Reply r = call(abi::WASI_FD_SEEK, {fd, static_cast<uint64_t>(offset), whence, kResult});
    if (pos) *pos = mem_.load<uint64_t>(kResult);
    return r.result;
  }
  uint32_t tell(uint32_t fd, uint64_t* pos) {
    const Reply r = call(abi::WASI_FD_TELL, {fd, kResult});
    *pos = mem_.load<uint64_t>(kResult);
    return r.result;
  }
  uint32_t close(uint32_t fd) { return call(abi::WASI_FD_CLOSE, {fd}).result; }

  uint32_t filestat(uint32_t dirfd, std::string_view path, Filestat* st = nullptr, bool follow = true) {
    mem_.fill(kResult, sizeof(Filestat), 0);
    const Reply r = call(abi::WASI_PATH_FILESTAT_GET,
                         {dirfd, follow ? LOOKUP_SYMLINK_FOLLOW : 0u, kPathPtr, path.size(), kResult}, to_bytes(path));
    if (st) *st = mem_.load<Filestat>(kResult);
    return r.result;
  }
  uint32_t fd_filestat(uint32_t fd, Filestat* st) {
    const Reply r = call(abi::WASI_FD_FILESTAT_GET, {fd, kResult});
    *st = mem_.load<Filestat>(kResult);
    return r.result;
  }
  uint32_t fdstat(uint32_t fd, Fdstat* st) {
    mem_.fill(kResult, sizeof(Fdstat), 0);
    const Reply r = call(abi::WASI_FD_FDSTAT_GET, {fd, kResult});
    *st = mem_.load<Fdstat>(kResult);
    return r.result;
  }

  uint32_t mkdir(uint32_t dirfd, std::string_view path) {
    return call(abi::WASI_PATH_CREATE_DIRECTORY, {dirfd, kPathPtr, path.size()}, to_bytes(path)).result;
  }
  uint32_t rmdir(uint32_t dirfd, std::string_view path) {
    return call(abi::WASI_PATH_REMOVE_DIRECTORY, {dirfd, kPathPtr, path.size()}, to_bytes(path)).result;
  }
  uint32_t unlink(uint32_t dirfd, std::string_view path) {
    return call(abi::WASI_PATH_UNLINK_FILE, {dirfd, kPathPtr, path.size()}, to_bytes(path)).result;
  }
  // path_rename(fd, old_path, old_path_len, new_fd, new_path, new_path_len): the out-data is both paths.
  uint32_t rename(uint32_t fd, std::string_view from, uint32_t new_fd, std::string_view to) {
    std::string both = std::string(from) + std::string(to);
    return call(abi::WASI_PATH_RENAME, {fd, kPathPtr, from.size(), new_fd, kPathPtr + from.size(), to.size()},
                to_bytes(both))
        .result;
  }

  // fd_readdir(fd, buf, buf_len, cookie, bufused) at kBuf: the errno; the entries and bufused.
  uint32_t readdir(uint32_t fd, uint32_t buf_len, uint64_t cookie, std::vector<Dirent>* entries,
                   uint32_t* used = nullptr) {
    mem_.store(kResult2, kPoison);
    const Reply r = call(abi::WASI_FD_READDIR, {fd, kBuf, buf_len, cookie, kResult2});
    const uint32_t u = mem_.load<uint32_t>(kResult2);
    if (used) *used = u;
    if (r.result == ERR_SUCCESS) {
      EXPECT_LE(u, buf_len) << "bufused beyond the buffer";
      if (entries) *entries = parse_dirents(mem_, kBuf, u);
    }
    return r.result;
  }

  // Every entry of a directory, by cookie, `buf_len` bytes a call.
  std::vector<Dirent> readdir_all(uint32_t fd, uint32_t buf_len) {
    std::vector<Dirent> all;
    uint64_t cookie = 0;
    for (int calls = 0; calls < 1000; ++calls) {
      std::vector<Dirent> got;
      uint32_t used = 0;
      EXPECT_EQ(readdir(fd, buf_len, cookie, &got, &used), ERR_SUCCESS);
      for (auto& d : got) all.push_back(d);
      if (used < buf_len) return all;  // the end of the directory
      if (got.empty()) {
        ADD_FAILURE() << "a full buffer of " << buf_len << " bytes holds no whole entry";
        return all;
      }
      cookie = got.back().next;
    }
    ADD_FAILURE() << "readdir never ended";
    return all;
  }

  // The disk outside the sandbox is as it was.
  void expect_outside_untouched() {
    EXPECT_EQ(slurp(root_ / "outside"), kSecret);
    EXPECT_EQ(slurp(root_ / "outdir" / "x.txt"), "x");
    EXPECT_FALSE(fs::exists(root_ / "created_outside"));
    EXPECT_FALSE(fs::exists(root_ / "escaped"));
    std::set<std::string> now = listing(root_);
    for (const std::string& p : now) {
      if (p.rfind("sandbox", 0) != 0) {
        EXPECT_TRUE(before_.count(p)) << "appeared outside the sandbox: " << p;
      }
    }
    for (const std::string& p : before_) {
      if (p.rfind("sandbox", 0) != 0) {
        EXPECT_TRUE(now.count(p)) << "vanished outside the sandbox: " << p;
      }
    }
  }

  std::unique_ptr<IoBackend> backend_;
  std::unique_ptr<WasiHost> host_;
  GuestMemory mem_;
  fs::path root_, box_;
  std::set<std::string> before_;
  uint32_t pid_ = kPid;
  uint32_t key_ = kKey;
};

// ---- 1. the sandbox ---------------------------------------------------------------

TEST_P(WasiHostTest, PathOpenThatEscapesIsNotCapableAndOpensNothing) {
  const size_t fds = open_fds();
  const char* escapes[] = {
      "../outside",        "/etc/passwd",         "sub/../../outside", "../sandbox/../outside",
      "link_abs_out",      "link_rel_out",        "link_dir_out/x.txt", "sub/../link_rel_out",
      "link_sub/../../outside", "/",              "..",                "./../outside",
  };
  for (const char* p : escapes) {
    EXPECT_EQ(open(3, p), ERR_NOTCAPABLE) << p;
    EXPECT_EQ(open(3, p, OFLAG_DIRECTORY, nullptr, RIGHT_FD_READDIR), ERR_NOTCAPABLE) << p << " (directory)";
  }
  // Creating through an escape: nothing appears outside.
  const std::string abs_created = (root_ / "created_outside").string();  // an absolute host path, outside
  for (const std::string& p : {std::string("../created_outside"), std::string("link_dangling_out"),
                              std::string("link_dir_out/new.txt"), abs_created}) {
    EXPECT_EQ(open(3, p, OFLAG_CREAT), ERR_NOTCAPABLE) << p;
    EXPECT_EQ(open(3, p, OFLAG_CREAT | OFLAG_TRUNC), ERR_NOTCAPABLE) << p;
  }
  EXPECT_EQ(open(3, "../outside", OFLAG_TRUNC), ERR_NOTCAPABLE);
  EXPECT_EQ(open_fds(), fds) << "a refused path_open left a host descriptor open";
  // Nothing went into the table either: the next open is fd 4.
  uint32_t fd = 0;
  ASSERT_EQ(open(3, "file.txt", 0, &fd), ERR_SUCCESS);
  EXPECT_EQ(fd, 4u);
  expect_outside_untouched();
}

TEST_P(WasiHostTest, SymlinkOutNotFollowedIsStillNeverOpened) {
  // Without LOOKUP_SYMLINK_FOLLOW a final symlink is not followed: the open
  // fails (ELOOP, as O_NOFOLLOW does) and opens nothing outside.
  const size_t fds = open_fds();
  for (const char* p : {"link_abs_out", "link_rel_out", "link_dangling_out"}) {
    const uint32_t e = open(3, p, 0, nullptr, kFileRights, 0, /*lookup=*/0);
    EXPECT_NE(e, ERR_SUCCESS) << p;
    EXPECT_TRUE(e == ERR_LOOP || e == ERR_NOTCAPABLE) << p << ": errno " << e;
  }
  EXPECT_NE(open(3, "link_dangling_out", OFLAG_CREAT, nullptr, kFileRights, 0, 0), ERR_SUCCESS);
  // A symlink in the middle of a path is always followed, and still may not leave.
  EXPECT_EQ(open(3, "link_dir_out/x.txt", 0, nullptr, kFileRights, 0, 0), ERR_NOTCAPABLE);
  EXPECT_EQ(open_fds(), fds);
  expect_outside_untouched();
}

TEST_P(WasiHostTest, AbsoluteSymlinkIsRefusedEvenWhenItPointsInside) {
  // RESOLVE_BENEATH refuses every absolute symlink: a host path means
  // nothing to the guest, whatever it names.
  EXPECT_EQ(open(3, "link_abs_in"), ERR_NOTCAPABLE);
}

TEST_P(WasiHostTest, SymlinkInsideTheSandboxWorks) {
  for (const char* p : {"link_in", "link_in_dotdot", "sub/../file.txt", "./file.txt", "link_sub/../file.txt"}) {
    uint32_t fd = 0;
    ASSERT_EQ(open(3, p, 0, &fd), ERR_SUCCESS) << p;
    std::string text;
    EXPECT_EQ(read(fd, 100, &text), ERR_SUCCESS) << p;
    EXPECT_EQ(text, kFileText) << p;
    EXPECT_EQ(close(fd), ERR_SUCCESS);
  }
  uint32_t fd = 0;
  ASSERT_EQ(open(3, "link_sub/inner.txt", 0, &fd), ERR_SUCCESS);
  std::string text;
  EXPECT_EQ(read(fd, 100, &text), ERR_SUCCESS);
  EXPECT_EQ(text, "inner");
  Filestat st{};
  EXPECT_EQ(filestat(3, "link_in", &st), ERR_SUCCESS);
  EXPECT_EQ(st.filetype, FT_REGULAR_FILE);
  EXPECT_EQ(st.size, kFileText.size());
  EXPECT_EQ(filestat(3, "link_sub", &st), ERR_SUCCESS);
  EXPECT_EQ(st.filetype, FT_DIRECTORY);
}

TEST_P(WasiHostTest, PathCallsThatEscapeAreNotCapable) {
  const size_t fds = open_fds();
  // path_filestat_get
  for (const char* p : {"../outside", "/etc/passwd", "sub/../../outside", "link_dir_out/x.txt", "..", "/"}) {
    EXPECT_EQ(filestat(3, p), ERR_NOTCAPABLE) << p;
    EXPECT_EQ(filestat(3, p, nullptr, /*follow=*/false), ERR_NOTCAPABLE) << p << " (no follow)";
  }
  for (const char* p : {"link_abs_out", "link_rel_out"}) EXPECT_EQ(filestat(3, p), ERR_NOTCAPABLE) << p;
  // Not following, a link to outside is stat'ed as the link it is, inside.
  Filestat st{};
  EXPECT_EQ(filestat(3, "link_abs_out", &st, false), ERR_SUCCESS);
  EXPECT_EQ(st.filetype, FT_SYMBOLIC_LINK);

  // path_create_directory
  const std::string abs_escaped = (root_ / "escaped").string();
  for (const std::string& p : {std::string("../escaped"), abs_escaped, std::string("sub/../../escaped"),
                              std::string("link_dir_out/escaped"), std::string("..")}) {
    EXPECT_EQ(mkdir(3, p), ERR_NOTCAPABLE) << p;
  }
  // path_unlink_file
  const std::string abs_outside = (root_ / "outside").string();
  for (const std::string& p : {std::string("../outside"), abs_outside, std::string("sub/../../outside"),
                              std::string("link_dir_out/x.txt"), std::string("link_sub/../../outside")}) {
    EXPECT_EQ(unlink(3, p), ERR_NOTCAPABLE) << p;
  }
  // path_remove_directory
  const std::string abs_outdir = (root_ / "outdir").string();
  for (const std::string& p :
       {std::string("../outdir"), std::string("sub/../../outdir"), abs_outdir, std::string("..")}) {
    EXPECT_EQ(rmdir(3, p), ERR_NOTCAPABLE) << p;
  }
  // path_rename: out of the sandbox, into it, and through a link
  EXPECT_EQ(rename(3, "file.txt", 3, "../escaped"), ERR_NOTCAPABLE);
  EXPECT_EQ(rename(3, "file.txt", 3, "link_dir_out/escaped"), ERR_NOTCAPABLE);
  EXPECT_EQ(rename(3, "file.txt", 3, abs_escaped), ERR_NOTCAPABLE);
  EXPECT_EQ(rename(3, abs_outside, 3, "stolen"), ERR_NOTCAPABLE);
  EXPECT_EQ(rename(3, "../outside", 3, "stolen"), ERR_NOTCAPABLE);
  EXPECT_EQ(rename(3, "link_dir_out/x.txt", 3, "stolen"), ERR_NOTCAPABLE);
  EXPECT_EQ(rename(3, "sub/../../outside", 3, "stolen"), ERR_NOTCAPABLE);
  EXPECT_EQ(open_fds(), fds);
  EXPECT_TRUE(fs::exists(box_ / "file.txt"));
  EXPECT_FALSE(fs::exists(box_ / "stolen"));
  expect_outside_untouched();

  // Removing a link that points out removes the link, never its target.
  EXPECT_EQ(unlink(3, "link_abs_out"), ERR_SUCCESS);
  EXPECT_EQ(unlink(3, "link_rel_out"), ERR_SUCCESS);
  EXPECT_FALSE(fs::is_symlink(box_ / "link_abs_out"));
  // rmdir of a link to a directory outside fails (it is not a directory) and leaves both alone.
  EXPECT_NE(rmdir(3, "link_dir_out"), ERR_SUCCESS);
  EXPECT_TRUE(fs::is_symlink(box_ / "link_dir_out"));
  // Creating a directory at a dangling link's name does not follow it.
  EXPECT_EQ(mkdir(3, "link_dangling_out"), ERR_EXIST);
  // Renaming a link that points out moves the link alone.
  EXPECT_EQ(rename(3, "link_dir_out", 3, "sub/moved_link"), ERR_SUCCESS);
  EXPECT_TRUE(fs::is_symlink(box_ / "sub" / "moved_link"));
  expect_outside_untouched();
}

// ---- 2. a read-only preopen ----------------------------------------------------------

TEST_P(WasiHostTest, ReadOnlyPreopenGrantsNoWriting) {
  key_ = kKeyRo;
  const fs::path ro = root_ / "ro";
  const std::set<std::string> was = listing(ro);
  const size_t fds = open_fds();

  Fdstat ds{};
  ASSERT_EQ(fdstat(3, &ds), ERR_SUCCESS);
  EXPECT_EQ(ds.filetype, FT_DIRECTORY);
  EXPECT_EQ(ds.rights_base & RIGHTS_WRITING, 0u) << "a read-only preopen has writing rights";
  EXPECT_EQ(ds.rights_inheriting & RIGHTS_WRITING, 0u);

  EXPECT_EQ(open(3, "ro_file.txt", OFLAG_CREAT), ERR_NOTCAPABLE);
  EXPECT_EQ(open(3, "ro_file.txt", OFLAG_TRUNC), ERR_NOTCAPABLE);
  EXPECT_EQ(open(3, "new.txt", OFLAG_CREAT), ERR_NOTCAPABLE);
  EXPECT_EQ(open(3, "new.txt", OFLAG_CREAT | OFLAG_EXCL), ERR_NOTCAPABLE);
  EXPECT_EQ(open(3, "ro_file.txt", 0, nullptr, kFileRights, FDFLAG_APPEND), ERR_NOTCAPABLE);
  EXPECT_EQ(open_fds(), fds);

  // Reading works, even when the open asked for writing rights too.
  uint32_t fd = 0;
  ASSERT_EQ(open(3, "ro_file.txt", 0, &fd, kFileRights), ERR_SUCCESS);
  std::string text;
  EXPECT_EQ(read(fd, 100, &text), ERR_SUCCESS);
  EXPECT_EQ(text, "read only");
  ASSERT_EQ(fdstat(fd, &ds), ERR_SUCCESS);
  EXPECT_EQ(ds.filetype, FT_REGULAR_FILE);
  EXPECT_EQ(ds.rights_base & RIGHTS_WRITING, 0u);
  EXPECT_NE(ds.rights_base & RIGHT_FD_READ, 0u);
  uint32_t n = kPoison;
  EXPECT_NE(write(fd, "overwritten", &n), ERR_SUCCESS);
  EXPECT_NE(pwrite(fd, "overwritten", 0), ERR_SUCCESS);
  EXPECT_NE(call(abi::WASI_FD_FILESTAT_SET_SIZE, {fd, 0}).result, ERR_SUCCESS);
  EXPECT_EQ(close(fd), ERR_SUCCESS);

  EXPECT_EQ(mkdir(3, "newdir"), ERR_NOTCAPABLE);
  EXPECT_EQ(unlink(3, "ro_file.txt"), ERR_NOTCAPABLE);
  EXPECT_EQ(rename(3, "ro_file.txt", 3, "renamed.txt"), ERR_NOTCAPABLE);
  fs::create_directories(ro / "empty");
  EXPECT_EQ(rmdir(3, "empty"), ERR_NOTCAPABLE);
  fs::remove(ro / "empty");

  // A directory opened under it is read-only as well.
  fs::create_directories(ro / "d");
  ASSERT_EQ(open(3, "d", OFLAG_DIRECTORY, &fd, RIGHTS_ALL), ERR_SUCCESS);
  EXPECT_EQ(open(fd, "x", OFLAG_CREAT), ERR_NOTCAPABLE);
  EXPECT_EQ(mkdir(fd, "y"), ERR_NOTCAPABLE);
  fs::remove(ro / "d");

  EXPECT_EQ(slurp(ro / "ro_file.txt"), "read only");
  EXPECT_EQ(listing(ro), was);
  EXPECT_EQ(open_fds(), fds + 1) << "only the directory d is open";
}

// ---- 3. files and directories ---------------------------------------------------------

TEST_P(WasiHostTest, CreateWriteSeekReadRoundTrip) {
  uint32_t fd = 0;
  ASSERT_EQ(open(3, "new.txt", OFLAG_CREAT | OFLAG_EXCL, &fd), ERR_SUCCESS);
  EXPECT_EQ(fd, 4u);
  EXPECT_TRUE(fs::exists(box_ / "new.txt"));
  uint32_t n = 0;
  ASSERT_EQ(write(fd, "hello world", &n), ERR_SUCCESS);
  EXPECT_EQ(n, 11u);
  uint64_t pos = 0;
  ASSERT_EQ(tell(fd, &pos), ERR_SUCCESS);
  EXPECT_EQ(pos, 11u);
  ASSERT_EQ(seek(fd, 0, WHENCE_SET, &pos), ERR_SUCCESS);
  EXPECT_EQ(pos, 0u);
  std::string text;
  ASSERT_EQ(read(fd, 100, &text), ERR_SUCCESS);
  EXPECT_EQ(text, "hello world");
  ASSERT_EQ(read(fd, 100, &text), ERR_SUCCESS);
  EXPECT_EQ(text, "") << "at the end of the file a read gives 0 bytes";
  ASSERT_EQ(seek(fd, -5, WHENCE_END, &pos), ERR_SUCCESS);
  EXPECT_EQ(pos, 6u);
  ASSERT_EQ(read(fd, 3, &text), ERR_SUCCESS);
  EXPECT_EQ(text, "wor");
  ASSERT_EQ(seek(fd, -2, WHENCE_CUR, &pos), ERR_SUCCESS);
  EXPECT_EQ(pos, 7u);
  ASSERT_EQ(tell(fd, &pos), ERR_SUCCESS);
  EXPECT_EQ(pos, 7u);
  EXPECT_EQ(seek(fd, 0, 7), ERR_INVAL) << "a whence that is none of SET, CUR, END";
  EXPECT_EQ(seek(fd, -100, WHENCE_SET), ERR_INVAL);
  Filestat st{};
  ASSERT_EQ(fd_filestat(fd, &st), ERR_SUCCESS);
  EXPECT_EQ(st.filetype, FT_REGULAR_FILE);
  EXPECT_EQ(st.size, 11u);
  EXPECT_EQ(st.nlink, 1u);
  EXPECT_EQ(slurp(box_ / "new.txt"), "hello world");
  // CREAT|EXCL on a name that exists; TRUNC empties.
  EXPECT_EQ(open(3, "new.txt", OFLAG_CREAT | OFLAG_EXCL), ERR_EXIST);
  uint32_t fd2 = 0;
  ASSERT_EQ(open(3, "new.txt", OFLAG_TRUNC, &fd2), ERR_SUCCESS);
  EXPECT_EQ(fd2, 5u);
  EXPECT_EQ(fs::file_size(box_ / "new.txt"), 0u);
  EXPECT_EQ(close(fd2), ERR_SUCCESS);
  EXPECT_EQ(close(fd), ERR_SUCCESS);
}

TEST_P(WasiHostTest, ReadScattersIntoEveryIovec) {
  uint32_t fd = 0;
  ASSERT_EQ(open(3, "file.txt", 0, &fd), ERR_SUCCESS);
  mem_.fill(kBuf, 256, 0);
  // Three iovecs, one of them empty in the middle: "hel" | "" | "lo sandbox".
  const Reply r = call(abi::WASI_FD_READ, {fd, kPathPtr, 3, kResult},
                       iovec_array({{kBuf, 3}, {kBuf + 64, 0}, {kBuf + 128, 100}}));
  ASSERT_EQ(r.result, ERR_SUCCESS);
  EXPECT_EQ(mem_.load<uint32_t>(kResult), kFileText.size());
  EXPECT_EQ(mem_.str(kBuf, 3), "hel");
  EXPECT_EQ(mem_.str(kBuf + 128, kFileText.size() - 3), kFileText.substr(3));
  // An empty iovec first (as readv callers may pass).
  ASSERT_EQ(seek(fd, 0, WHENCE_SET), ERR_SUCCESS);
  mem_.fill(kBuf, 256, 0);
  const Reply r2 = call(abi::WASI_FD_READ, {fd, kPathPtr, 2, kResult}, iovec_array({{kBuf, 0}, {kBuf + 128, 100}}));
  ASSERT_EQ(r2.result, ERR_SUCCESS);
  EXPECT_EQ(mem_.load<uint32_t>(kResult), kFileText.size());
  EXPECT_EQ(mem_.str(kBuf + 128, kFileText.size()), kFileText);
  // No iovecs: nothing read, nothing moves.
  const Reply r3 = call(abi::WASI_FD_READ, {fd, kPathPtr, 0, kResult}, {});
  ASSERT_EQ(r3.result, ERR_SUCCESS);
  EXPECT_EQ(mem_.load<uint32_t>(kResult), 0u);
}

TEST_P(WasiHostTest, ManyTinyIovecsStillFitOneReply) {
  // The out-data can carry 2048 iovecs; each becomes a directive of its own
  // (8 bytes of header, 4 of padded data). The reply must still fit a slot:
  // a short read is fine, EIO from an overflowing reply is not.
  std::string big(8192, 'z');
  spit(box_ / "big.txt", big);
  uint32_t fd = 0;
  ASSERT_EQ(open(3, "big.txt", 0, &fd), ERR_SUCCESS);
  std::vector<std::pair<uint32_t, uint32_t>> iov;
  for (uint32_t i = 0; i < abi::IO_DATA_BYTES / 8; ++i) iov.emplace_back(kBuf + 4 * i, 1);
  mem_.fill(kBuf, 4 * iov.size(), 0);
  const Reply r = call(abi::WASI_FD_READ, {fd, kPathPtr, iov.size(), kResult}, iovec_array(iov));
  ASSERT_EQ(r.result, ERR_SUCCESS);
  const uint32_t n = mem_.load<uint32_t>(kResult);
  EXPECT_GT(n, 0u);
  EXPECT_LE(n, iov.size());
  for (uint32_t i = 0; i < n; ++i) ASSERT_EQ(mem_.bytes[kBuf + 4 * i], 'z') << "iovec " << i;
  // What was reported read is what was consumed: the next read goes on from there.
  uint64_t pos = 0;
  ASSERT_EQ(tell(fd, &pos), ERR_SUCCESS);
  EXPECT_EQ(pos, n);
}

TEST_P(WasiHostTest, LargeTransfersAreShortButExact) {
  std::string data(abi::IO_DATA_BYTES, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + i % 26);
  uint32_t fd = 0;
  ASSERT_EQ(open(3, "large.bin", OFLAG_CREAT, &fd), ERR_SUCCESS);
  uint32_t n = 0;
  ASSERT_EQ(write(fd, data, &n), ERR_SUCCESS);
  EXPECT_EQ(n, data.size());
  ASSERT_EQ(seek(fd, 0, WHENCE_SET), ERR_SUCCESS);
  std::string got, text;
  for (int i = 0; i < 10 && got.size() < data.size(); ++i) {
    ASSERT_EQ(read(fd, 20000, &text), ERR_SUCCESS);
    EXPECT_LE(text.size(), kReplyDataMax);
    if (text.empty()) break;
    got += text;
  }
  EXPECT_EQ(got, data);
}

TEST_P(WasiHostTest, PreadAndPwriteAtOffsets) {
  uint32_t fd = 0;
  ASSERT_EQ(open(3, "file.txt", 0, &fd), ERR_SUCCESS);  // "hello sandbox"
  std::string text;
  ASSERT_EQ(pread(fd, 7, 6, &text), ERR_SUCCESS);
  EXPECT_EQ(text, "sandbox");
  ASSERT_EQ(pread(fd, 100, 100, &text), ERR_SUCCESS);
  EXPECT_EQ(text, "") << "beyond the end";
  uint32_t n = 0;
  ASSERT_EQ(pwrite(fd, "XYZ", 2, &n), ERR_SUCCESS);
  EXPECT_EQ(n, 3u);
  uint64_t pos = 99;
  ASSERT_EQ(tell(fd, &pos), ERR_SUCCESS);
  EXPECT_EQ(pos, 0u) << "pread and pwrite leave the position alone";
  ASSERT_EQ(read(fd, 5, &text), ERR_SUCCESS);
  EXPECT_EQ(text, "heXYZ");
  ASSERT_EQ(pwrite(fd, "END", 20, &n), ERR_SUCCESS);
  Filestat st{};
  ASSERT_EQ(fd_filestat(fd, &st), ERR_SUCCESS);
  EXPECT_EQ(st.size, 23u);
  ASSERT_EQ(tell(fd, &pos), ERR_SUCCESS);
  EXPECT_EQ(pos, 5u);
  const std::string disk = slurp(box_ / "file.txt");
  EXPECT_EQ(disk.substr(0, 13), "heXYZ sandbox");
  EXPECT_EQ(disk.substr(20), "END");
  // Positioned calls on a descriptor without a position.
  EXPECT_EQ(pread(0, 10, 0), ERR_SPIPE);
  EXPECT_EQ(close(fd), ERR_SUCCESS);
}

TEST_P(WasiHostTest, AppendAndTruncate) {
  uint32_t fd = 0;
  ASSERT_EQ(open(3, "file.txt", 0, &fd, kFileRights, FDFLAG_APPEND), ERR_SUCCESS);
  Fdstat ds{};
  ASSERT_EQ(fdstat(fd, &ds), ERR_SUCCESS);
  EXPECT_EQ(ds.flags, FDFLAG_APPEND);
  ASSERT_EQ(write(fd, "!"), ERR_SUCCESS);
  EXPECT_EQ(slurp(box_ / "file.txt"), std::string(kFileText) + "!");
  EXPECT_EQ(call(abi::WASI_FD_FILESTAT_SET_SIZE, {fd, 5}).result, ERR_SUCCESS);
  EXPECT_EQ(slurp(box_ / "file.txt"), "hello");
  EXPECT_EQ(call(abi::WASI_FD_SYNC, {fd}).result, ERR_SUCCESS);
  EXPECT_EQ(call(abi::WASI_FD_DATASYNC, {fd}).result, ERR_SUCCESS);
  EXPECT_EQ(call(abi::WASI_FD_ADVISE, {fd, 0, 5, 0}).result, ERR_SUCCESS);
}

TEST_P(WasiHostTest, CloseThenEveryUseIsBadf) {
  const size_t fds = open_fds();
  uint32_t fd = 0;
  ASSERT_EQ(open(3, "file.txt", 0, &fd), ERR_SUCCESS);
  EXPECT_EQ(open_fds(), fds + 1);
  ASSERT_EQ(close(fd), ERR_SUCCESS);
  EXPECT_EQ(open_fds(), fds) << "fd_close closed the host descriptor";
  EXPECT_EQ(read(fd, 10), ERR_BADF);
  EXPECT_EQ(write(fd, "x"), ERR_BADF);
  EXPECT_EQ(pread(fd, 10, 0), ERR_BADF);
  EXPECT_EQ(pwrite(fd, "x", 0), ERR_BADF);
  EXPECT_EQ(seek(fd, 0, WHENCE_SET), ERR_BADF);
  uint64_t pos;
  EXPECT_EQ(tell(fd, &pos), ERR_BADF);
  Filestat st;
  EXPECT_EQ(fd_filestat(fd, &st), ERR_BADF);
  Fdstat ds;
  EXPECT_EQ(fdstat(fd, &ds), ERR_BADF);
  EXPECT_EQ(close(fd), ERR_BADF);
  // The number is free again: the next open takes it.
  uint32_t again = 0;
  ASSERT_EQ(open(3, "sub/inner.txt", 0, &again), ERR_SUCCESS);
  EXPECT_EQ(again, fd);
  // Closing a preopen takes it out of this process's table only.
  EXPECT_EQ(close(3), ERR_SUCCESS);
  EXPECT_EQ(open(3, "file.txt"), ERR_BADF);
  pid_ = kPid + 1;
  EXPECT_EQ(open(3, "file.txt"), ERR_SUCCESS) << "another process of the spawn keeps its preopen";
}

TEST_P(WasiHostTest, ReaddirListsTheEntries) {
  std::vector<Dirent> entries;
  uint32_t used = 0;
  ASSERT_EQ(readdir(3, 4096, 0, &entries, &used), ERR_SUCCESS);
  EXPECT_LT(used, 4096u) << "the whole directory fits: bufused < buf_len says it ended";
  std::map<std::string, uint8_t> types;
  std::set<uint64_t> cookies;
  for (const Dirent& d : entries) {
    types[d.name] = d.type;
    EXPECT_TRUE(cookies.insert(d.next).second) << "two entries with cookie " << d.next;
    EXPECT_NE(d.ino, 0u) << d.name;
  }
  const std::set<std::string> expected = {".", "..", "file.txt", "sub", "link_in", "link_in_dotdot", "link_sub",
                                          "link_abs_out", "link_rel_out", "link_dir_out", "link_dangling_out",
                                          "link_abs_in"};
  std::set<std::string> names;
  for (auto& [n, t] : types) names.insert(n);
  EXPECT_EQ(names, expected);
  EXPECT_EQ(types["file.txt"], FT_REGULAR_FILE);
  EXPECT_EQ(types["sub"], FT_DIRECTORY);
  EXPECT_EQ(types["."], FT_DIRECTORY);
  EXPECT_EQ(types["link_in"], FT_SYMBOLIC_LINK);
  EXPECT_EQ(types["link_dir_out"], FT_SYMBOLIC_LINK);

  // Resuming by cookie, a small buffer at a time, gives the same entries.
  for (uint32_t buf_len : {48u, 64u, 100u, 200u}) {  // each holds the longest entry (41 bytes)
    std::set<std::string> again;
    for (const Dirent& d : readdir_all(3, buf_len)) EXPECT_TRUE(again.insert(d.name).second) << "twice: " << d.name;
    EXPECT_EQ(again, expected) << "buf_len " << buf_len;
  }
  // A full buffer reports bufused == buf_len (more may follow).
  ASSERT_EQ(readdir(3, 30, 0, &entries, &used), ERR_SUCCESS);
  EXPECT_EQ(used, 30u);
  // A cookie past the end: nothing.
  ASSERT_EQ(readdir(3, 4096, 1000, &entries, &used), ERR_SUCCESS);
  EXPECT_EQ(used, 0u);
  EXPECT_TRUE(entries.empty());

  // A directory opened with path_open.
  uint32_t fd = 0;
  ASSERT_EQ(open(3, "sub", OFLAG_DIRECTORY, &fd, RIGHT_FD_READDIR | RIGHT_PATH_OPEN), ERR_SUCCESS);
  Fdstat ds{};
  ASSERT_EQ(fdstat(fd, &ds), ERR_SUCCESS);
  EXPECT_EQ(ds.filetype, FT_DIRECTORY);
  ASSERT_EQ(readdir(fd, 4096, 0, &entries), ERR_SUCCESS);
  names.clear();
  for (auto& d : entries) names.insert(d.name);
  EXPECT_EQ(names, (std::set<std::string>{".", "..", "inner.txt"}));
  // ... and a path under it.
  uint32_t inner = 0;
  ASSERT_EQ(open(fd, "inner.txt", 0, &inner), ERR_SUCCESS);
  std::string text;
  EXPECT_EQ(read(inner, 100, &text), ERR_SUCCESS);
  EXPECT_EQ(text, "inner");
  EXPECT_EQ(open(fd, "../file.txt"), ERR_NOTCAPABLE) << "a directory opened inside is a sandbox of its own";

  // Not a directory.
  uint32_t file = 0;
  ASSERT_EQ(open(3, "file.txt", 0, &file), ERR_SUCCESS);
  EXPECT_EQ(readdir(file, 4096, 0, &entries), ERR_NOTDIR);
  EXPECT_EQ(open(3, "file.txt", OFLAG_DIRECTORY, nullptr, RIGHT_FD_READDIR), ERR_NOTDIR);
  EXPECT_EQ(open(file, "x"), ERR_NOTDIR) << "a file as the directory of a path call";
  EXPECT_EQ(mkdir(file, "x"), ERR_NOTDIR);
  // Without the right to read it.
  uint32_t nodir = 0;
  ASSERT_EQ(open(3, "sub", OFLAG_DIRECTORY, &nodir, RIGHT_PATH_OPEN), ERR_SUCCESS);
  EXPECT_EQ(readdir(nodir, 4096, 0, &entries), ERR_NOTCAPABLE);
}

TEST_P(WasiHostTest, PathFilestatOfDirectoryAndFile) {
  Filestat st{};
  ASSERT_EQ(filestat(3, "sub", &st), ERR_SUCCESS);
  EXPECT_EQ(st.filetype, FT_DIRECTORY);
  struct stat host;
  ASSERT_EQ(::stat((box_ / "sub").c_str(), &host), 0);
  EXPECT_EQ(st.ino, host.st_ino);
  EXPECT_EQ(st.dev, host.st_dev);
  ASSERT_EQ(filestat(3, "file.txt", &st), ERR_SUCCESS);
  EXPECT_EQ(st.filetype, FT_REGULAR_FILE);
  EXPECT_EQ(st.size, kFileText.size());
  EXPECT_EQ(st.nlink, 1u);
  EXPECT_GT(st.mtim, 0u);
  ASSERT_EQ(filestat(3, "sub/inner.txt", &st), ERR_SUCCESS);
  EXPECT_EQ(st.size, 5u);
  ASSERT_EQ(filestat(3, ".", &st), ERR_SUCCESS);
  EXPECT_EQ(st.filetype, FT_DIRECTORY);
  ASSERT_EQ(filestat(3, "sub/", &st), ERR_SUCCESS);
  EXPECT_EQ(st.filetype, FT_DIRECTORY);
  EXPECT_EQ(filestat(3, "missing"), ERR_NOENT);
  EXPECT_EQ(filestat(3, "file.txt/x"), ERR_NOTDIR);
  // fd_filestat_get of the preopen itself.
  ASSERT_EQ(fd_filestat(3, &st), ERR_SUCCESS);
  EXPECT_EQ(st.filetype, FT_DIRECTORY);
  ASSERT_EQ(::stat(box_.c_str(), &host), 0);
  EXPECT_EQ(st.ino, host.st_ino);
}

TEST_P(WasiHostTest, MkdirRenameRemoveUnlink) {
  ASSERT_EQ(mkdir(3, "d"), ERR_SUCCESS);
  EXPECT_TRUE(fs::is_directory(box_ / "d"));
  EXPECT_EQ(mkdir(3, "d"), ERR_EXIST);
  ASSERT_EQ(mkdir(3, "d/e/"), ERR_SUCCESS) << "a trailing slash";
  EXPECT_TRUE(fs::is_directory(box_ / "d" / "e"));
  EXPECT_EQ(mkdir(3, "nope/e"), ERR_NOENT);
  EXPECT_EQ(mkdir(3, "."), ERR_INVAL);

  ASSERT_EQ(rename(3, "file.txt", 3, "d/moved.txt"), ERR_SUCCESS);
  EXPECT_FALSE(fs::exists(box_ / "file.txt"));
  EXPECT_EQ(slurp(box_ / "d" / "moved.txt"), kFileText);
  Filestat st{};
  EXPECT_EQ(filestat(3, "file.txt", &st), ERR_NOENT);
  EXPECT_EQ(rename(3, "file.txt", 3, "x"), ERR_NOENT);
  ASSERT_EQ(rename(3, "d/e", 3, "e2"), ERR_SUCCESS) << "a directory";
  EXPECT_TRUE(fs::is_directory(box_ / "e2"));

  EXPECT_EQ(rmdir(3, "d"), ERR_NOTEMPTY);
  EXPECT_EQ(rmdir(3, "d/moved.txt"), ERR_NOTDIR);
  EXPECT_EQ(unlink(3, "d"), ERR_ISDIR);
  ASSERT_EQ(unlink(3, "d/moved.txt"), ERR_SUCCESS);
  EXPECT_FALSE(fs::exists(box_ / "d" / "moved.txt"));
  EXPECT_EQ(unlink(3, "d/moved.txt"), ERR_NOENT);
  ASSERT_EQ(rmdir(3, "d"), ERR_SUCCESS);
  ASSERT_EQ(rmdir(3, "e2"), ERR_SUCCESS);
  EXPECT_FALSE(fs::exists(box_ / "d"));
  EXPECT_FALSE(fs::exists(box_ / "e2"));
  EXPECT_EQ(rmdir(3, "d"), ERR_NOENT);

  // A name with `..` inside that stays inside is resolved as such.
  ASSERT_EQ(unlink(3, "sub/../link_in"), ERR_SUCCESS);
  EXPECT_FALSE(fs::is_symlink(box_ / "link_in"));
  EXPECT_TRUE(fs::exists(box_ / "sub" / "inner.txt"));
  expect_outside_untouched();
}

TEST_P(WasiHostTest, Readlink) {
  mem_.fill(kBuf, 64, 0);
  Reply r = call(abi::WASI_PATH_READLINK, {3, kPathPtr, 7, kBuf, 64, kResult}, to_bytes("link_in"));
  ASSERT_EQ(r.result, ERR_SUCCESS);
  EXPECT_EQ(mem_.load<uint32_t>(kResult), 8u);
  EXPECT_EQ(mem_.str(kBuf, 8), "file.txt");
  r = call(abi::WASI_PATH_READLINK, {3, kPathPtr, 8, kBuf, 64, kResult}, to_bytes("file.txt"));
  EXPECT_EQ(r.result, ERR_INVAL) << "not a link";
  r = call(abi::WASI_PATH_READLINK, {3, kPathPtr, 13, kBuf, 64, kResult}, to_bytes("../outdir/x.x"));
  EXPECT_EQ(r.result, ERR_NOTCAPABLE);
}

// ---- 4. prestat and fdstat -----------------------------------------------------------------

TEST_P(WasiHostTest, PrestatNamesThePreopen) {
  mem_.fill(kResult, 8, 0xff);
  Reply r = call(abi::WASI_FD_PRESTAT_GET, {3, kResult});
  ASSERT_EQ(r.result, ERR_SUCCESS);
  auto ps = mem_.load<Prestat>(kResult);
  EXPECT_EQ(ps.tag, 0u) << "a directory";
  EXPECT_EQ(ps.name_len, 1u);
  mem_.fill(kBuf, 8, 0);
  r = call(abi::WASI_FD_PRESTAT_DIR_NAME, {3, kBuf, ps.name_len});
  ASSERT_EQ(r.result, ERR_SUCCESS);
  EXPECT_EQ(mem_.str(kBuf, 1), ".");

  key_ = kKeyRo;
  pid_ = kPid + 1;
  ASSERT_EQ(call(abi::WASI_FD_PRESTAT_GET, {3, kResult}).result, ERR_SUCCESS);
  ps = mem_.load<Prestat>(kResult);
  EXPECT_EQ(ps.name_len, 4u);
  mem_.fill(kBuf, 8, 0);
  ASSERT_EQ(call(abi::WASI_FD_PRESTAT_DIR_NAME, {3, kBuf, 4}).result, ERR_SUCCESS);
  EXPECT_EQ(mem_.str(kBuf, 5), std::string("data\0", 5)) << "the name alone, no NUL written";
  EXPECT_EQ(call(abi::WASI_FD_PRESTAT_DIR_NAME, {3, kBuf, 3}).result, ERR_NAMETOOLONG);

  // fd 4 is no preopen (wasi-libc stops its scan at the first EBADF), nor are 0-2.
  for (uint32_t fd : {4u, 5u, 100u, 0u, 1u, 2u}) {
    EXPECT_EQ(call(abi::WASI_FD_PRESTAT_GET, {fd, kResult}).result, ERR_BADF) << fd;
    EXPECT_EQ(call(abi::WASI_FD_PRESTAT_DIR_NAME, {fd, kBuf, 16}).result, ERR_BADF) << fd;
  }
  // A file opened under the preopen is no preopen either.
  pid_ = kPid;
  key_ = kKey;
  uint32_t fd = 0;
  ASSERT_EQ(open(3, "file.txt", 0, &fd), ERR_SUCCESS);
  EXPECT_EQ(call(abi::WASI_FD_PRESTAT_GET, {fd, kResult}).result, ERR_BADF);
}

TEST_P(WasiHostTest, FdstatOfTheStandardDescriptors) {
  Fdstat ds{};
  ASSERT_EQ(fdstat(1, &ds), ERR_SUCCESS);
  EXPECT_EQ(ds.filetype, FT_CHARACTER_DEVICE);
  EXPECT_NE(ds.rights_base & RIGHT_FD_WRITE, 0u);
  ASSERT_EQ(fdstat(2, &ds), ERR_SUCCESS);
  EXPECT_EQ(ds.filetype, FT_CHARACTER_DEVICE);
  ASSERT_EQ(fdstat(0, &ds), ERR_SUCCESS);
  EXPECT_EQ(ds.filetype, FT_CHARACTER_DEVICE) << "an empty stdin";
  EXPECT_NE(ds.rights_base & RIGHT_FD_READ, 0u);
  ASSERT_EQ(fdstat(3, &ds), ERR_SUCCESS);
  EXPECT_EQ(ds.filetype, FT_DIRECTORY);
  EXPECT_NE(ds.rights_base & RIGHT_PATH_OPEN, 0u);
  EXPECT_EQ(seek(1, 0, WHENCE_SET), ERR_SPIPE);
  EXPECT_EQ(seek(3, 0, WHENCE_SET), ERR_BADF);
  // fd_fdstat_set_flags records the flags.
  EXPECT_EQ(call(abi::WASI_FD_FDSTAT_SET_FLAGS, {1, FDFLAG_APPEND}).result, ERR_SUCCESS);
  ASSERT_EQ(fdstat(1, &ds), ERR_SUCCESS);
  EXPECT_EQ(ds.flags, FDFLAG_APPEND);
}

// ---- 5. stdin -------------------------------------------------------------------------------

TEST_P(WasiHostTest, StdinReadsTheSpawnsFile) {
  key_ = kKeyStdin;
  std::string text;
  ASSERT_EQ(read(0, 5, &text), ERR_SUCCESS);
  EXPECT_EQ(text, "line ");
  ASSERT_EQ(read(0, 100, &text), ERR_SUCCESS);
  EXPECT_EQ(text, kStdinText.substr(5));
  ASSERT_EQ(read(0, 100, &text), ERR_SUCCESS);
  EXPECT_EQ(text, "") << "then the end of the file";
  // Every process reads it from the start.
  pid_ = kPid + 1;
  ASSERT_EQ(read(0, 100, &text), ERR_SUCCESS);
  EXPECT_EQ(text, kStdinText);
  // No directories for this spawn.
  EXPECT_EQ(call(abi::WASI_FD_PRESTAT_GET, {3, kResult}).result, ERR_BADF);
  // stdin is read-only.
  EXPECT_NE(write(0, "x"), ERR_SUCCESS);
  EXPECT_EQ(slurp(root_ / "stdin.txt"), kStdinText);
}

TEST_P(WasiHostTest, NoStdinIsAnEmptyStdin) {
  std::string text = "junk";
  ASSERT_EQ(read(0, 100, &text), ERR_SUCCESS);  // read() poisons nread first
  EXPECT_EQ(text, "");
  EXPECT_EQ(mem_.load<uint32_t>(kResult), 0u) << "nread written as 0";
  key_ = kKeyNone;
  pid_ = kPid + 1;
  text = "junk";
  ASSERT_EQ(read(0, 100, &text), ERR_SUCCESS);
  EXPECT_EQ(text, "");
}

TEST_P(WasiHostTest, AddSpawnRefusesWhatItCannotOpen) {
  auto bad = std::make_shared<SpawnIo>();
  bad->dirs.push_back({(root_ / "no-such-dir").string(), "x"});
  auto r = host_->add_spawn(0x77, bad);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), WasiError::BadDirectory);
  auto file = std::make_shared<SpawnIo>();
  file->dirs.push_back({(box_ / "file.txt").string(), "x"});
  EXPECT_FALSE(host_->add_spawn(0x78, file)) << "a file is no directory";
  auto in = std::make_shared<SpawnIo>();
  in->stdin_path = (root_ / "no-such-file").string();
  auto r2 = host_->add_spawn(0x79, in);
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.code(), WasiError::BadStdin);
}

// ---- 6. errors never crash ---------------------------------------------------------------------

TEST_P(WasiHostTest, UnknownDescriptorIsBadf) {
  for (uint32_t fd : {5u, 99u, 1000000u, 0xffffffffu}) {
    EXPECT_EQ(read(fd, 10), ERR_BADF) << fd;
    EXPECT_EQ(write(fd, "x"), ERR_BADF) << fd;
    EXPECT_EQ(pread(fd, 10, 0), ERR_BADF) << fd;
    EXPECT_EQ(pwrite(fd, "x", 0), ERR_BADF) << fd;
    EXPECT_EQ(seek(fd, 0, WHENCE_SET), ERR_BADF) << fd;
    EXPECT_EQ(close(fd), ERR_BADF) << fd;
    Fdstat ds;
    EXPECT_EQ(fdstat(fd, &ds), ERR_BADF) << fd;
    Filestat st;
    EXPECT_EQ(fd_filestat(fd, &st), ERR_BADF) << fd;
    EXPECT_EQ(readdir(fd, 100, 0, nullptr), ERR_BADF) << fd;
    EXPECT_EQ(open(fd, "file.txt"), ERR_BADF) << fd;
    EXPECT_EQ(filestat(fd, "file.txt"), ERR_BADF) << fd;
    EXPECT_EQ(mkdir(fd, "d"), ERR_BADF) << fd;
    EXPECT_EQ(unlink(fd, "file.txt"), ERR_BADF) << fd;
    EXPECT_EQ(rmdir(fd, "sub"), ERR_BADF) << fd;
    EXPECT_EQ(rename(fd, "file.txt", 3, "x"), ERR_BADF) << fd;
    EXPECT_EQ(rename(3, "file.txt", fd, "x"), ERR_BADF) << fd;
  }
  // stdout and stderr are the GPU's: the host cannot write them.
  EXPECT_EQ(write(1, "x"), ERR_BADF);
  EXPECT_TRUE(fs::exists(box_ / "file.txt"));
}

TEST_P(WasiHostTest, UnknownOpcodeIsNosys) {
  for (uint32_t op : {abi::WASI_UNSUPPORTED, abi::WASI_COUNT, 50u, 62u, 64u, 1000u, 0xffffffffu}) {
    EXPECT_EQ(call(op, {}).result, ERR_NOSYS) << "opcode " << op;
    EXPECT_EQ(call(op, {3, 1, 2, 3}).result, ERR_NOSYS) << "opcode " << op;
    EXPECT_EQ(call(op, {12345, 1, 2, 3}).result, ERR_NOSYS) << "opcode " << op << ", arg 0 no descriptor";
  }
  // The calls the GPU answers itself are no business of the host.
  for (uint32_t op : {abi::WASI_ARGS_GET, abi::WASI_ENVIRON_SIZES_GET, abi::WASI_PROC_EXIT, abi::WASI_SCHED_YIELD}) {
    EXPECT_EQ(call(op, {0x4000, 0x4010}).result, ERR_NOSYS) << "opcode " << op;
  }
  EXPECT_EQ(call(abi::WASI_GPUOS_NULL, {}).result, ERR_SUCCESS);
}

TEST_P(WasiHostTest, NulInPathIsInval) {
  const std::string nul("file.txt\0x", 10);
  const std::string nul_dir("sub\0/inner.txt", 14);
  for (const std::string& p : {nul, nul_dir, std::string("\0", 1)}) {
    EXPECT_EQ(open(3, p), ERR_INVAL);
    EXPECT_EQ(open(3, p, OFLAG_CREAT), ERR_INVAL);
    EXPECT_EQ(filestat(3, p), ERR_INVAL);
    EXPECT_EQ(mkdir(3, p), ERR_INVAL);
    EXPECT_EQ(unlink(3, p), ERR_INVAL);
    EXPECT_EQ(rmdir(3, p), ERR_INVAL);
    EXPECT_EQ(rename(3, p, 3, "x"), ERR_INVAL);
    EXPECT_EQ(rename(3, "file.txt", 3, p), ERR_INVAL);
  }
  EXPECT_EQ(slurp(box_ / "file.txt"), kFileText);
  EXPECT_FALSE(fs::exists(box_ / "x"));
}

TEST_P(WasiHostTest, EmptyPathIsNoent) {
  EXPECT_EQ(open(3, ""), ERR_NOENT);
  EXPECT_EQ(open(3, "", OFLAG_CREAT), ERR_NOENT);
  EXPECT_EQ(filestat(3, ""), ERR_NOENT);
  EXPECT_EQ(mkdir(3, ""), ERR_NOENT);
  EXPECT_EQ(unlink(3, ""), ERR_NOENT);
  EXPECT_EQ(rmdir(3, ""), ERR_NOENT);
  EXPECT_EQ(rename(3, "", 3, "x"), ERR_NOENT);
  EXPECT_EQ(rename(3, "file.txt", 3, ""), ERR_NOENT);
  EXPECT_TRUE(fs::exists(box_ / "file.txt"));
}

TEST_P(WasiHostTest, PathLongerThanItsOutDataFails) {
  // path_len says more bytes than the kernel copied: a failure, never a read past the buffer.
  Reply r = call(abi::WASI_PATH_OPEN, {3, LOOKUP_SYMLINK_FOLLOW, kPathPtr, 100, 0, kFileRights, 0, 0, kResult},
                 to_bytes("file.txt"));
  EXPECT_NE(r.result, ERR_SUCCESS);
  r = call(abi::WASI_PATH_FILESTAT_GET, {3, 0, kPathPtr, 1u << 30, kResult}, to_bytes("file.txt"));
  EXPECT_NE(r.result, ERR_SUCCESS);
  r = call(abi::WASI_PATH_UNLINK_FILE, {3, kPathPtr, 0xffffffffu}, to_bytes("file.txt"));
  EXPECT_NE(r.result, ERR_SUCCESS);
  r = call(abi::WASI_PATH_RENAME, {3, kPathPtr, 8, 3, kPathPtr, 0xfffffff8u}, to_bytes("file.txtx"));
  EXPECT_NE(r.result, ERR_SUCCESS);
  EXPECT_TRUE(fs::exists(box_ / "file.txt"));
  // An iovec array of an odd size is read as far as it goes (here: no whole iovec).
  uint32_t fd = 0;
  ASSERT_EQ(open(3, "file.txt", 0, &fd), ERR_SUCCESS);
  mem_.store(kResult, kPoison);
  r = call(abi::WASI_FD_READ, {fd, kPathPtr, 1, kResult}, std::vector<uint8_t>{1, 2, 3});
  EXPECT_EQ(r.result, ERR_SUCCESS);
  EXPECT_EQ(mem_.load<uint32_t>(kResult), 0u);
}

TEST_P(WasiHostTest, ProcessWithoutSpawnHasNoPreopens) {
  key_ = kKeyNone;
  EXPECT_EQ(call(abi::WASI_FD_PRESTAT_GET, {3, kResult}).result, ERR_BADF);
  EXPECT_EQ(open(3, "file.txt"), ERR_BADF);
  EXPECT_EQ(filestat(3, "file.txt"), ERR_BADF);
  EXPECT_EQ(mkdir(3, "d"), ERR_BADF);
  Fdstat ds{};
  EXPECT_EQ(fdstat(1, &ds), ERR_SUCCESS);
  EXPECT_EQ(ds.filetype, FT_CHARACTER_DEVICE);
  EXPECT_FALSE(fs::exists(box_ / "d"));
  // A process's table is made once, at its first request: a spawn
  // registered under its key later does not reach it.
  auto late = std::make_shared<SpawnIo>();
  late->dirs.push_back({box_.string(), "."});
  ASSERT_TRUE(host_->add_spawn(kKeyNone, late));
  EXPECT_EQ(open(3, "file.txt"), ERR_BADF);
  pid_ = kPid + 1;
  EXPECT_EQ(open(3, "file.txt"), ERR_SUCCESS) << "a new process of that key has it";
  // A removed spawn: processes already running keep their preopens.
  host_->remove_spawn(kKeyNone);
  EXPECT_EQ(open(3, "file.txt"), ERR_SUCCESS);
  pid_ = kPid + 2;
  EXPECT_EQ(open(3, "file.txt"), ERR_BADF);
}

TEST_P(WasiHostTest, BadArgumentsOfTheOtherCalls) {
  EXPECT_EQ(call(abi::WASI_CLOCK_TIME_GET, {99, 0, kResult}).result, ERR_INVAL);
  EXPECT_EQ(call(abi::WASI_CLOCK_RES_GET, {99, kResult}).result, ERR_INVAL);
  EXPECT_EQ(call(abi::WASI_RANDOM_GET, {kBuf, kReplyDataMax + 1}).result, ERR_INVAL);
  EXPECT_EQ(call(abi::WASI_POLL_ONEOFF, {kPathPtr, kBuf, 0, kResult}).result, ERR_INVAL) << "no subscriptions";
  EXPECT_EQ(call(abi::WASI_POLL_ONEOFF, {kPathPtr, kBuf, 2, kResult}, std::vector<uint8_t>(48)).result, ERR_FAULT)
      << "fewer subscriptions than it says";
}

// ---- 7. clocks, random, poll --------------------------------------------------------------------

TEST_P(WasiHostTest, ClockTimeGetIsPlausible) {
  mem_.store<uint64_t>(kResult, 0);
  ASSERT_EQ(call(abi::WASI_CLOCK_TIME_GET, {CLOCKID_REALTIME, 1000, kResult}).result, ERR_SUCCESS);
  const uint64_t t = mem_.load<uint64_t>(kResult);
  const auto host = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  EXPECT_LT(std::llabs(static_cast<long long>(t) - static_cast<long long>(host)), 60'000'000'000LL)
      << "realtime within a minute of the host's";
  ASSERT_EQ(call(abi::WASI_CLOCK_TIME_GET, {CLOCKID_MONOTONIC, 0, kResult}).result, ERR_SUCCESS);
  const uint64_t m1 = mem_.load<uint64_t>(kResult);
  ASSERT_EQ(call(abi::WASI_CLOCK_TIME_GET, {CLOCKID_MONOTONIC, 0, kResult}).result, ERR_SUCCESS);
  EXPECT_GE(mem_.load<uint64_t>(kResult), m1);
  EXPECT_GT(m1, 0u);
  for (uint32_t id : {CLOCKID_REALTIME, CLOCKID_MONOTONIC, CLOCKID_PROCESS_CPUTIME, CLOCKID_THREAD_CPUTIME}) {
    mem_.store<uint64_t>(kResult, 0);
    ASSERT_EQ(call(abi::WASI_CLOCK_RES_GET, {id, kResult}).result, ERR_SUCCESS) << id;
    const uint64_t res = mem_.load<uint64_t>(kResult);
    EXPECT_GT(res, 0u) << id;
    EXPECT_LE(res, 1'000'000'000u) << id;
  }
}

TEST_P(WasiHostTest, RandomGetWritesExactlyTheBytesAskedFor) {
  mem_.fill(kBuf - 16, 64 + 32, 0);
  const Reply r = call(abi::WASI_RANDOM_GET, {kBuf, 64});
  ASSERT_EQ(r.result, ERR_SUCCESS);
  // The directives cover [kBuf, kBuf + 64) and nothing else.
  uint32_t covered = 0;
  const auto& w = r.words();
  for (size_t i = 0; i < w.size(); i += 2 + (w[i + 1] + 3) / 4) {
    EXPECT_GE(w[i], kBuf);
    EXPECT_LE(w[i] + w[i + 1], kBuf + 64);
    covered += w[i + 1];
  }
  EXPECT_EQ(covered, 64u);
  const std::string bytes = mem_.str(kBuf, 64);
  EXPECT_NE(bytes, std::string(64, '\0')) << "64 random bytes all zero";
  EXPECT_EQ(mem_.str(kBuf - 16, 16), std::string(16, '\0'));
  EXPECT_EQ(mem_.str(kBuf + 64, 16), std::string(16, '\0'));
  // Two draws differ.
  ASSERT_EQ(call(abi::WASI_RANDOM_GET, {kBuf, 64}).result, ERR_SUCCESS);
  EXPECT_NE(mem_.str(kBuf, 64), bytes);
  // Zero bytes: success, no writes; the largest allowed: all of it.
  EXPECT_TRUE(call(abi::WASI_RANDOM_GET, {kBuf, 0}).words().empty());
  const Reply big = call(abi::WASI_RANDOM_GET, {kBuf, kReplyDataMax});
  EXPECT_EQ(big.result, ERR_SUCCESS);
}

Subscription clock_sub(uint64_t userdata, uint32_t clock, uint64_t timeout_ns, uint16_t flags = 0) {
  Subscription s{};
  s.userdata = userdata;
  s.tag = EVENTTYPE_CLOCK;
  s.clock_id = clock;
  s.timeout = timeout_ns;
  s.flags = flags;
  return s;
}

std::vector<uint8_t> subs_bytes(const std::vector<Subscription>& subs) {
  std::vector<uint8_t> out(subs.size() * sizeof(Subscription));
  std::memcpy(out.data(), subs.data(), out.size());
  return out;
}

TEST_P(WasiHostTest, PollOneoffSleepsOnAClock) {
  mem_.fill(kBuf, 2 * sizeof(Event), 0xee);
  mem_.store(kResult, kPoison);
  const auto t0 = std::chrono::steady_clock::now();
  const Reply r = call(abi::WASI_POLL_ONEOFF, {kPathPtr, kBuf, 1, kResult},
                       subs_bytes({clock_sub(0x1234abcd5678ull, CLOCKID_MONOTONIC, 20'000'000)}));
  const auto slept = std::chrono::steady_clock::now() - t0;
  ASSERT_EQ(r.result, ERR_SUCCESS);
  EXPECT_GE(slept, 15ms);
  EXPECT_LT(slept, 5s);
  ASSERT_EQ(mem_.load<uint32_t>(kResult), 1u);
  const auto ev = mem_.load<Event>(kBuf);
  EXPECT_EQ(ev.userdata, 0x1234abcd5678ull);
  EXPECT_EQ(ev.error, ERR_SUCCESS);
  EXPECT_EQ(ev.type, EVENTTYPE_CLOCK);
  EXPECT_EQ(mem_.load<uint8_t>(kBuf + sizeof(Event)), 0xee) << "only one event written";
}

TEST_P(WasiHostTest, PollOneoffTakesTheSoonestClockAndReadyDescriptors) {
  // Two clocks: the 10 ms one fires, alone.
  auto t0 = std::chrono::steady_clock::now();
  Reply r = call(abi::WASI_POLL_ONEOFF, {kPathPtr, kBuf, 2, kResult},
                 subs_bytes({clock_sub(1, CLOCKID_MONOTONIC, 5'000'000'000), clock_sub(2, CLOCKID_REALTIME, 10'000'000)}));
  ASSERT_EQ(r.result, ERR_SUCCESS);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  ASSERT_EQ(mem_.load<uint32_t>(kResult), 1u);
  EXPECT_EQ(mem_.load<Event>(kBuf).userdata, 2u);
  // An absolute time already past: at once.
  ASSERT_EQ(call(abi::WASI_CLOCK_TIME_GET, {CLOCKID_MONOTONIC, 0, kResult2}).result, ERR_SUCCESS);
  const uint64_t now = mem_.load<uint64_t>(kResult2);
  t0 = std::chrono::steady_clock::now();
  r = call(abi::WASI_POLL_ONEOFF, {kPathPtr, kBuf, 1, kResult},
           subs_bytes({clock_sub(3, CLOCKID_MONOTONIC, now - 1000, SUBCLOCK_ABSTIME)}));
  ASSERT_EQ(r.result, ERR_SUCCESS);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  ASSERT_EQ(mem_.load<uint32_t>(kResult), 1u);
  EXPECT_EQ(mem_.load<Event>(kBuf).userdata, 3u);
  // A descriptor subscription is ready at once; the clock beside it does not sleep.
  Subscription fd_sub{};
  fd_sub.userdata = 4;
  fd_sub.tag = EVENTTYPE_FD_READ;
  fd_sub.clock_id = 0;  // the fd, in the same place
  t0 = std::chrono::steady_clock::now();
  r = call(abi::WASI_POLL_ONEOFF, {kPathPtr, kBuf, 2, kResult},
           subs_bytes({clock_sub(5, CLOCKID_MONOTONIC, 5'000'000'000), fd_sub}));
  ASSERT_EQ(r.result, ERR_SUCCESS);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  ASSERT_EQ(mem_.load<uint32_t>(kResult), 1u);
  EXPECT_EQ(mem_.load<Event>(kBuf).userdata, 4u);
  EXPECT_EQ(mem_.load<Event>(kBuf).type, EVENTTYPE_FD_READ);
  // A clock that does not exist is an event with an error, not a sleep.
  r = call(abi::WASI_POLL_ONEOFF, {kPathPtr, kBuf, 1, kResult}, subs_bytes({clock_sub(6, 99, 5'000'000'000)}));
  ASSERT_EQ(r.result, ERR_SUCCESS);
  ASSERT_EQ(mem_.load<uint32_t>(kResult), 1u);
  EXPECT_EQ(mem_.load<Event>(kBuf).userdata, 6u);
  EXPECT_EQ(mem_.load<Event>(kBuf).error, ERR_INVAL);
}

// ---- 8. exited ------------------------------------------------------------------------------------

TEST_P(WasiHostTest, ExitedDropsTheDescriptorTable) {
  const size_t fds = open_fds();
  EXPECT_EQ(host_->processes(), 0u);
  pid_ = 100;
  uint32_t fd = 0;
  ASSERT_EQ(open(3, "file.txt", 0, &fd), ERR_SUCCESS);
  pid_ = 101;
  ASSERT_EQ(open(3, "sub/inner.txt", 0, &fd), ERR_SUCCESS);
  key_ = kKeyNone;
  pid_ = 102;
  Fdstat ds;
  ASSERT_EQ(fdstat(1, &ds), ERR_SUCCESS);
  EXPECT_EQ(host_->processes(), 3u);
  EXPECT_EQ(open_fds(), fds + 2);
  // Clocks and random bytes need no table.
  pid_ = 103;
  call(abi::WASI_RANDOM_GET, {kBuf, 8});
  EXPECT_EQ(host_->processes(), 3u);

  host_->exited(100);
  EXPECT_EQ(host_->processes(), 2u);
  EXPECT_EQ(open_fds_soon(fds + 1), fds + 1) << "the exited process's files are closed";
  host_->exited(100);  // twice: nothing
  host_->exited(555);  // never seen: nothing
  EXPECT_EQ(host_->processes(), 2u);
  host_->exited(101);
  host_->exited(102);
  EXPECT_EQ(host_->processes(), 0u);
  EXPECT_EQ(open_fds_soon(fds), fds);

  // A pid that comes again starts with a fresh table.
  pid_ = 100;
  key_ = kKey;
  EXPECT_EQ(read(4, 10), ERR_BADF);
  EXPECT_EQ(host_->processes(), 1u);
}

TEST_P(WasiHostTest, ExitedWhileAnOpIsInFlight) {
  // A sleep is in flight when its process exits: the reply still comes, once.
  pid_ = 200;
  uint32_t fd = 0;
  ASSERT_EQ(open(3, "file.txt", 0, &fd), ERR_SUCCESS);
  Request r;
  r.pid = 200;
  r.key = kKey;
  r.opcode = abi::WASI_POLL_ONEOFF;
  r.args[0] = kPathPtr;
  r.args[1] = kBuf;
  r.args[2] = 1;
  r.args[3] = kResult;
  r.out = subs_bytes({clock_sub(9, CLOCKID_MONOTONIC, 30'000'000)});
  auto promise = std::make_shared<std::promise<Reply>>();
  auto f = promise->get_future();
  host_->serve(std::move(r), [promise](Reply rep) { promise->set_value(std::move(rep)); });
  host_->exited(200);
  EXPECT_EQ(host_->processes(), 0u);
  ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(f.get().result, ERR_SUCCESS);
}

TEST_P(WasiHostTest, ExitedWhileAnOpenIsInFlight) {
  // An open that blocks (a FIFO with no writer yet) is in flight when its
  // process exits: the reply still comes, and the descriptor it opened is
  // closed with the table that the op kept alive.
  ASSERT_EQ(::mkfifo((box_ / "fifo").c_str(), 0600), 0) << std::strerror(errno);
  const size_t fds = open_fds();
  Request r;
  r.pid = 300;
  r.key = kKey;
  r.opcode = abi::WASI_PATH_OPEN;
  const uint64_t args[] = {3, 0, kPathPtr, 4, 0, RIGHT_FD_READ, 0, 0, kResult};
  std::copy(std::begin(args), std::end(args), r.args);
  r.out = to_bytes("fifo");
  auto promise = std::make_shared<std::promise<Reply>>();
  auto f = promise->get_future();
  host_->serve(std::move(r), [promise](Reply rep) { promise->set_value(std::move(rep)); });
  // The thread pool's open(2) waits for a writer. io_uring's first,
  // non-blocking attempt opens a FIFO at once (the kernel clears the
  // O_NONBLOCK it added afterwards), so there the op may be done already.
  const bool in_flight = f.wait_for(50ms) == std::future_status::timeout;
  if (GetParam() == IoBackendChoice::ThreadPool) {
    EXPECT_TRUE(in_flight) << "the open should wait for a writer";
  }
  host_->exited(300);
  EXPECT_EQ(host_->processes(), 0u);
  // O_RDWR never blocks on a FIFO, and counts as the writer the open waits for.
  const int writer = ::open((box_ / "fifo").c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(writer, 0) << std::strerror(errno);
  ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
  Reply rep = f.get();
  EXPECT_EQ(rep.result, ERR_SUCCESS);
  EXPECT_EQ(open_fds_soon(fds + 1), fds + 1) << "the exited process's FIFO descriptor is closed (only the writer is left)";
  EXPECT_EQ(host_->processes(), 0u) << "a late completion does not bring the table back";
  ::close(writer);
}

// ---- many processes at once ---------------------------------------------------------------------

TEST_P(WasiHostTest, ManyProcessesConcurrently) {
  // Requests from 32 processes in flight together, as the request service
  // posts them: every reply comes once, to the right process.
  constexpr int kProcs = 32;
  struct Pending {
    std::promise<Reply> p;
    std::future<Reply> f = p.get_future();
  };
  std::vector<std::shared_ptr<Pending>> pend;
  for (int i = 0; i < kProcs; ++i) {
    const std::string name = "p" + std::to_string(i) + ".txt";
    Request r;
    r.pid = 1000 + i;
    r.key = kKey;
    r.opcode = abi::WASI_PATH_OPEN;
    const uint64_t args[] = {3, 0, kPathPtr, name.size(), OFLAG_CREAT, kFileRights, 0, 0, kResult};
    std::copy(std::begin(args), std::end(args), r.args);
    r.out = to_bytes(name);
    auto p = std::make_shared<Pending>();
    pend.push_back(p);
    host_->serve(std::move(r), [p](Reply rep) { p->p.set_value(std::move(rep)); });
  }
  for (int i = 0; i < kProcs; ++i) {
    ASSERT_EQ(pend[i]->f.wait_for(10s), std::future_status::ready) << i;
    Reply rep = pend[i]->f.get();
    EXPECT_EQ(rep.result, ERR_SUCCESS) << i;
    GuestMemory m;
    ASSERT_TRUE(m.apply(rep));
    EXPECT_EQ(m.load<uint32_t>(kResult), 4u) << "each process's first file is its fd 4";
  }
  EXPECT_EQ(host_->processes(), size_t{kProcs});
  for (int i = 0; i < kProcs; ++i) {
    pid_ = 1000 + i;
    uint32_t n = 0;
    ASSERT_EQ(write(4, "process " + std::to_string(i), &n), ERR_SUCCESS);
  }
  for (int i = 0; i < kProcs; ++i) {
    EXPECT_EQ(slurp(box_ / ("p" + std::to_string(i) + ".txt")), "process " + std::to_string(i));
    host_->exited(1000 + i);
  }
  EXPECT_EQ(host_->processes(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Backends, WasiHostTest, ::testing::Values(IoBackendChoice::ThreadPool, IoBackendChoice::Uring),
                         [](const ::testing::TestParamInfo<IoBackendChoice>& i) { return backend_name(i.param); });

}  // namespace
}  // namespace gpuos::io

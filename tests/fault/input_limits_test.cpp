// Issue 20 items 2, 3 and 7: limits before allocation, module files read
// safely, guest text escaped for the terminal.
//
// ModuleLimits: a 46-byte module declaring a table of 10^9 (or 2^32 - 1)
// entries used to be valid to the decoder; the session then allocated two
// 8-byte words per entry (20.8 GB over 49 s, or std::bad_alloc). Now every
// declared size and count is checked against a limit as it is read, and the
// refusal names the limit and the option that sets it. The peak RSS check
// proves nothing was sized from the declaration.
//
// ModuleFile: directories, FIFOs, devices, procfs files, empty and huge
// files are refused by wasm::read_module_file at once (a FIFO without a
// writer would block a plain open forever; /dev/zero never ends).
//
// TextEscape: kernel/text_escape.h, what `tail` and `ps` print.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernel/text_escape.h"
#include "procs/proc/program.h"
#include "procs/vm/translator.h"
#include "procs/wasm/decoder.h"
#include "procs/wasm/module_file.h"

namespace {

using namespace gpuos;
using Bytes = std::vector<uint8_t>;

Bytes leb(uint64_t n) {
  Bytes out;
  do {
    uint8_t b = n & 0x7f;
    n >>= 7;
    out.push_back(n ? b | 0x80 : b);
  } while (n);
  return out;
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes section(uint8_t id, const Bytes& body) { return cat({{id}, leb(body.size()), body}); }

const Bytes kHeader = {0, 'a', 's', 'm', 1, 0, 0, 0};
// type () -> (), one function of it exported as _start, body `end`.
const Bytes kTypes = section(1, {1, 0x60, 0, 0});
const Bytes kFuncs = section(3, {1, 0});
const Bytes kExport = section(7, {1, 6, '_', 's', 't', 'a', 'r', 't', 0, 0});
const Bytes kCode = section(10, {1, 2, 0, 0x0b});

// The module: (table N funcref) and an empty _start.
Bytes table_module(uint32_t entries) {
  return cat({kHeader, kTypes, kFuncs, section(4, cat({{1, 0x70, 0}, leb(entries)})), kExport, kCode});
}

Bytes memory_module(uint32_t pages) {
  return cat({kHeader, kTypes, kFuncs, section(5, cat({{1, 0}, leb(pages)})), kExport, kCode});
}

long peak_rss_kib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

// Less than this growth of the peak RSS means nothing was sized from a
// declared count of 10^9 (that would be gigabytes).
constexpr long kSmallGrowthKib = 64 * 1024;

TEST(ModuleLimits, TableOfBillionEntriesRefusedByDecoder) {
  const Bytes m = table_module(1000000000u);
  const long before = peak_rss_kib();
  auto r = wasm::load_module(m);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), wasm::WasmError::LimitExceeded);
  EXPECT_NE(r.detail().find("table 0 declares 1000000000 entries; at most 10000000 allowed"), std::string::npos)
      << r.detail();
  EXPECT_LT(peak_rss_kib() - before, kSmallGrowthKib);
}

TEST(ModuleLimits, TableOfMaxEntriesRefusedBySession) {
  // 4,294,967,295 entries: "internal error: std::bad_alloc" from spawn before.
  const Bytes m = table_module(4294967295u);
  const long before = peak_rss_kib();
  auto p = procs::prepare_program(m, "t", procs::ProcessLimits{});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.code(), procs::ProgramError::TooLarge);
  EXPECT_NE(p.detail().find("table 0 declares 4294967295 entries"), std::string::npos) << p.detail();
  EXPECT_NE(p.detail().find("meta, globals and tables take at most 4194304 words"), std::string::npos) << p.detail();
  EXPECT_NE(p.detail().find("--max-pages"), std::string::npos) << p.detail();
  EXPECT_LT(peak_rss_kib() - before, kSmallGrowthKib);
}

// Two tables of n entries each: (table n funcref) (table n funcref).
Bytes two_tables_module(uint32_t n) {
  const Bytes tables = section(4, cat({{2, 0x70, 0}, leb(n), {0x70, 0}, leb(n)}));
  return cat({kHeader, kTypes, kFuncs, tables, kExport, kCode});
}

TEST(ModuleLimits, TablesThatDoNotFitTheBlockGoToARunOfPages) {
  // 2,928 elements with their growth room: more than a 16 KiB block holds
  // besides its page table, so meta and tables go to a run of one page.
  auto p = procs::prepare_program(two_tables_module(1400), "t", procs::ProcessLimits{});
  ASSERT_TRUE(p.ok()) << p.detail();
  EXPECT_EQ(p->desc.parts_pages, 1u);
  EXPECT_EQ(p->desc.blk_meta, 0u);
  EXPECT_EQ(p->desc.blk_ctl, gpuos::abi::BLK_PAGE_TABLE + gpuos::abi::pt_block_words(procs::ProcessLimits{}.max_pages));
  EXPECT_LE(p->desc.blk_tabs + 2 * p->desc.tab_elems, gpuos::abi::PAGE_WORDS);
  // A block that holds them keeps them.
  procs::ProcessLimits big;
  big.block_words = 64 * 256;
  auto in_block = procs::prepare_program(two_tables_module(1400), "t", big);
  ASSERT_TRUE(in_block.ok()) << in_block.detail();
  EXPECT_EQ(in_block->desc.parts_pages, 0u);
}

TEST(ModuleLimits, TablesThatDoNotFitARunAreRefusedBeforeSizing) {
  // Within the decoder's bound per table (2,097,152), but two together with
  // their growth room exceed the run's 4M words: the exact check says so.
  const long before = peak_rss_kib();
  auto p = procs::prepare_program(two_tables_module(1100000), "t", procs::ProcessLimits{});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.code(), procs::ProgramError::TooLarge);
  EXPECT_NE(p.detail().find("its tables need 2200128 elements"), std::string::npos) << p.detail();
  EXPECT_NE(p.detail().find("--max-pages"), std::string::npos) << p.detail();
  EXPECT_LT(peak_rss_kib() - before, kSmallGrowthKib);
}

TEST(ModuleLimits, MemoryPagesNameMaxPages) {
  auto p = procs::prepare_program(memory_module(2000), "t", procs::ProcessLimits{});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.code(), procs::ProgramError::TooLarge);
  EXPECT_NE(p.detail().find("memory 0 declares 2000 pages; at most 1024 allowed"), std::string::npos) << p.detail();
  EXPECT_NE(p.detail().find("--max-pages"), std::string::npos) << p.detail();
  procs::ProcessLimits more;
  more.max_pages = 2048;
  more.block_words = 16 * 1024;
  EXPECT_TRUE(procs::prepare_program(memory_module(2000), "t", more).ok());
}

TEST(ModuleLimits, DataBeyondTheStoreNamesStoreMib) {
  const Bytes payload(8192, 0xab);
  const Bytes data = section(11, cat({{1, 0, 0x41, 0, 0x0b}, leb(payload.size()), payload}));
  const Bytes m = cat({kHeader, kTypes, kFuncs, section(5, {1, 0, 1}), kExport, kCode, data});
  procs::ProcessLimits lim;
  lim.store_words = 1024;  // 4 KiB
  auto p = procs::prepare_program(m, "t", lim);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.code(), procs::ProgramError::TooLarge);
  EXPECT_NE(p.detail().find("data segments hold 8192 bytes"), std::string::npos) << p.detail();
  EXPECT_NE(p.detail().find("--store-mib"), std::string::npos) << p.detail();
}

TEST(ModuleLimits, CountsAreCheckedAsRead) {
  // Three types where two are allowed: refused at the count, by name.
  const Bytes m = cat({kHeader, section(1, {3, 0x60, 0, 0, 0x60, 0, 0, 0x60, 0, 0})});
  wasm::DecodeLimits lim;
  lim.types = 2;
  auto r = wasm::decode_module(m, lim);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), wasm::WasmError::LimitExceeded);
  EXPECT_NE(r.detail().find("too many types: 3, limit 2"), std::string::npos) << r.detail();
  EXPECT_TRUE(wasm::decode_module(m).ok());
  // A function count of 2^32 - 1 in a tiny module: the default limit says so
  // before the count's bytes are looked for.
  const Bytes funcs = cat({kHeader, kTypes, section(3, cat({leb(4294967295u), {0}}))});
  auto f = wasm::decode_module(funcs);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.detail().find("length out of bounds"), std::string::npos) << f.detail();
}

TEST(ModuleLimits, SpecInvalidSizesStayInvalid) {
  // The spec's own limits come first: these are "invalid", not "too large".
  const Bytes min_over_max = cat({kHeader, section(4, cat({{1, 0x70, 1}, leb(4294967295u), {0}}))});
  auto a = wasm::load_module(min_over_max);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.code(), wasm::WasmError::Invalid) << a.detail();
  auto b = wasm::load_module(cat({kHeader, section(5, cat({{1, 0}, leb(65537)}))}));
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.code(), wasm::WasmError::Invalid) << b.detail();
  // 65536 pages is valid to the spec and within the decoder's default.
  EXPECT_TRUE(wasm::load_module(cat({kHeader, section(5, cat({{1, 0}, leb(65536)}))})).ok());
}

TEST(ModuleLimits, EqualTypesShareASignatureId) {
  // translate() now finds a type's first equal type through a map (a scan
  // was quadratic in the type count); the ids must not change.
  const Bytes types = section(1, {3, 0x60, 0, 0, 0x60, 1, 0x7f, 0, 0x60, 0, 0});
  auto m = wasm::load_module(cat({kHeader, types}));
  ASSERT_TRUE(m.ok()) << m.detail();
  auto img = vm::translate(*m);
  ASSERT_TRUE(img.ok()) << img.detail();
  EXPECT_EQ(img->type_sig_ids, (std::vector<uint32_t>{0, 1, 0}));
}

// ---- module files -------------------------------------------------------------

class ModuleFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gpuos-input-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::permissions(dir_, std::filesystem::perms::owner_all, ec);
    std::filesystem::remove_all(dir_, ec);
  }
  std::string write(const std::string& name, const Bytes& b) {
    const std::string p = dir_ + "/" + name;
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), b.size());
    return p;
  }
  std::string dir_;
};

TEST_F(ModuleFile, RegularFileAndSymlinkAreRead) {
  const Bytes m = table_module(1);
  const std::string p = write("m.wasm", m);
  auto r = wasm::read_module_file(p);
  ASSERT_TRUE(r.ok()) << r.detail();
  EXPECT_EQ(*r, m);
  ASSERT_EQ(::symlink(p.c_str(), (dir_ + "/link.wasm").c_str()), 0);
  auto l = wasm::read_module_file(dir_ + "/link.wasm");
  ASSERT_TRUE(l.ok()) << l.detail();
  EXPECT_EQ(*l, m);
}

TEST_F(ModuleFile, SpecialFilesAreRefusedWithoutBlocking) {
  auto d = wasm::read_module_file(dir_);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.code(), wasm::ModuleFileError::NotRegular);
  EXPECT_NE(d.detail().find("is a directory"), std::string::npos) << d.detail();

  // No writer: a plain open(O_RDONLY) would wait for one forever.
  const std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto f = wasm::read_module_file(fifo);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.code(), wasm::ModuleFileError::NotRegular);
  EXPECT_NE(f.detail().find("is a FIFO"), std::string::npos) << f.detail();

  auto z = wasm::read_module_file("/dev/zero");  // never ends
  ASSERT_FALSE(z.ok());
  EXPECT_EQ(z.code(), wasm::ModuleFileError::NotRegular);
  EXPECT_NE(z.detail().find("is a character device"), std::string::npos) << z.detail();

  // Regular to stat, size 0, and every read fails.
  auto mem = wasm::read_module_file("/proc/self/mem");
  ASSERT_FALSE(mem.ok());
  EXPECT_EQ(mem.code(), wasm::ModuleFileError::ReadFailed) << mem.detail();
}

TEST_F(ModuleFile, MissingEmptyAndOversizedFilesAreRefused) {
  auto n = wasm::read_module_file(dir_ + "/nope.wasm");
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.code(), wasm::ModuleFileError::NotFound);
  EXPECT_NE(n.detail().find("nope.wasm"), std::string::npos);

  auto e = wasm::read_module_file(write("empty.wasm", {}));
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.code(), wasm::ModuleFileError::Empty);

  // A sparse file of 1 GiB: refused from its size, before any read.
  const std::string big = dir_ + "/big.wasm";
  {
    const int fd = ::open(big.c_str(), O_CREAT | O_WRONLY, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::ftruncate(fd, off_t{1} << 30), 0);
    ::close(fd);
  }
  const long before = peak_rss_kib();
  auto b = wasm::read_module_file(big);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.code(), wasm::ModuleFileError::TooLarge);
  EXPECT_NE(b.detail().find("is 1073741824 bytes"), std::string::npos) << b.detail();
  EXPECT_LT(peak_rss_kib() - before, kSmallGrowthKib);
}

TEST_F(ModuleFile, SizeIsNotTrustedWhileReading) {
  // procfs says 0 bytes and has more: read to the end, but never past the cap.
  auto s = wasm::read_module_file("/proc/self/status");
  ASSERT_TRUE(s.ok()) << s.detail();
  EXPECT_GT(s->size(), 10u);
  auto capped = wasm::read_module_file("/proc/self/status", 10);
  ASSERT_FALSE(capped.ok());
  EXPECT_EQ(capped.code(), wasm::ModuleFileError::TooLarge) << capped.detail();
}

TEST_F(ModuleFile, UnreadableFileIsRefused) {
  const std::string p = write("secret.wasm", table_module(1));
  ASSERT_EQ(::chmod(p.c_str(), 0), 0);
  if (::geteuid() != 0) {
    auto r = wasm::read_module_file(p);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.code(), wasm::ModuleFileError::Denied) << r.detail();
    return;
  }
  // Root reads a mode-000 file: read it as nobody instead, in a child (the
  // test dir is 0700 root, so nobody is denied on the way to the file).
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(2);
    auto r = wasm::read_module_file(p);
    ::_exit(!r.ok() && r.code() == wasm::ModuleFileError::Denied &&
                    r.detail().find("permission denied") != std::string::npos
                ? 0
                : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 2) GTEST_SKIP() << "cannot drop to uid 65534 here";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "read as nobody was not refused as permission denied";
}

// ---- terminal escaping ----------------------------------------------------------

TEST(TextEscape, ControlsAndSequencesBecomeVisible) {
  using gpuos::escape_text;
  EXPECT_EQ(escape_text("\x1b]0;pwned\x07"), "\\x1b]0;pwned\\x07");
  EXPECT_EQ(escape_text("\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
  EXPECT_EQ(escape_text("a\bb\rc\x7f"), "a\\x08b\\rc\\x7f");
  EXPECT_EQ(escape_text("a\nb"), "a\\nb");
  EXPECT_EQ(escape_text("a\nb", true), "a\nb");
  EXPECT_EQ(escape_text("tab\tkept"), "tab\tkept");
  EXPECT_EQ(escape_text("c1:\xc2\x9b"), "c1:\\u009b");          // 8-bit CSI as UTF-8
  EXPECT_EQ(escape_text("bidi:\xe2\x80\xae"), "bidi:\\u202e");  // right-to-left override
  EXPECT_EQ(escape_text("raw c1:\x9b"), "raw c1:\\x9b");         // not UTF-8: the byte
  EXPECT_EQ(escape_text("bad:\xff\xc3"), "bad:\\xff\\xc3");
  EXPECT_EQ(escape_text("overlong:\xc0\xaf"), "overlong:\\xc0\\xaf");
}

TEST(TextEscape, ValidUtf8AndPlainTextStayIntact) {
  using gpuos::escape_text;
  EXPECT_EQ(escape_text("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"), "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_EQ(escape_text("plain text, with \\ backslash"), "plain text, with \\ backslash");
  EXPECT_EQ(escape_text(""), "");
}

}  // namespace

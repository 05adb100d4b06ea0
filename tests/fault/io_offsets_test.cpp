// Issue 20, item 6: fd_pwrite and fd_pread at offsets of 2^63 and above
// return EINVAL, as POSIX pread/pwrite do for a negative off_t, on both
// I/O backends alike. Before the fix the offset went on as a negative
// int64: the thread pool took it for "no offset" and wrote at the file
// position (the file changed), and io_uring passed it to the kernel.
#include "tests/fault/io_host_harness.h"

namespace gpuos::io::fault {
namespace {

class IoOffsets : public HostHarness {
 protected:
  void SetUp() override {
    HostHarness::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    std::ofstream(root_ / "f.txt") << "0123456789";
    auto io = std::make_shared<SpawnIo>();
    io->dirs.push_back({root_.string(), "."});
    add_spawn(kKey, io);
  }
};

TEST_P(IoOffsets, PwriteAndPreadPastTwoToThe63AreEinval) {
  const auto fd = open("f.txt");
  ASSERT_TRUE(fd.has_value());
  for (const uint64_t off : {uint64_t{1} << 63, (uint64_t{1} << 63) + 5, ~uint64_t{0}}) {
    SCOPED_TRACE(off);
    const Reply w = call(abi::WASI_FD_PWRITE, {*fd, kPtr, 1, off, kResult}, bytes_of("XY"));
    EXPECT_EQ(w.result, wasi::ERR_INVAL);
    EXPECT_FALSE(u32_at(w, kResult).has_value()) << "a failed pwrite reported a count";
    const Reply r = call(abi::WASI_FD_PREAD, {*fd, kPtr, 1, off, kResult}, HostHarness::one_iovec(4));
    EXPECT_EQ(r.result, wasi::ERR_INVAL);
    EXPECT_FALSE(written_at(r, kBuf).has_value()) << "a failed pread wrote data";
  }
  EXPECT_EQ(slurp(root_ / "f.txt"), "0123456789") << "a refused pwrite changed the file";
  // And an ordinary one reads what is there.
  const Reply r2 = call(abi::WASI_FD_PREAD, {*fd, kPtr, 1, 2, kResult}, HostHarness::one_iovec(3));
  ASSERT_EQ(r2.result, wasi::ERR_SUCCESS);
  const auto got = written_at(r2, kBuf);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(std::string(got->begin(), got->end()), "234");
}

INSTANTIATE_TEST_SUITE_P(Backends, IoOffsets, ::testing::Values(IoBackendChoice::ThreadPool, IoBackendChoice::Uring),
                         backend_name);

}  // namespace
}  // namespace gpuos::io::fault

// Issue 20, item 4: requests cannot be held hostage. A kill cancels the
// process's host operations in flight (IoBackend::cancel: io_uring's
// ASYNC_CANCEL, the thread pool's dropped queue entries and kicked poll),
// so a read that would never return, or a long sleep, gives its request
// slot back at once; and a sleep is a timer, not a held request (serve()'s
// `woken`: the reply goes back at once, marked park, and the wake follows).
// Before the fix nothing could cancel an op: a read on an idle pipe held
// its slot until data came, a 60 s sleep for 60 s.
#include <poll.h>

#include "tests/fault/io_host_harness.h"

namespace gpuos::io::fault {
namespace {

using Clock = std::chrono::steady_clock;

// A pipe nobody writes to, closed at the end.
struct Pipe {
  int fd[2] = {-1, -1};
  Pipe() { EXPECT_EQ(::pipe2(fd, O_CLOEXEC), 0); }
  ~Pipe() {
    for (int f : fd) {
      if (f >= 0) ::close(f);
    }
  }
};

class IoCancel : public HostHarness {};

// An op's completion, as a future with its result.
struct Done {
  std::shared_ptr<std::promise<int64_t>> p = std::make_shared<std::promise<int64_t>>();
  std::future<int64_t> f = p->get_future();
  IoDone fn() {
    return [p = p](int64_t r) { p->set_value(r); };
  }
};

TEST_P(IoCancel, ABlockingReadAndALongSleepEndAtOnceWhenTheirOwnerIsCancelled) {
  Pipe a, b;
  char buf_a[16], buf_b[16];
  Done read_a, read_b, sleep_a;
  IoOp ra;
  ra.kind = IoOp::Kind::Read;
  ra.fd = a.fd[0];
  ra.buf = buf_a;
  ra.len = sizeof buf_a;
  ra.owner = 42;
  backend_->submit(ra, read_a.fn());
  IoOp rb = ra;
  rb.fd = b.fd[0];
  rb.buf = buf_b;
  rb.owner = 43;  // someone else's: untouched by the cancel
  backend_->submit(rb, read_b.fn());
  IoOp s;
  s.kind = IoOp::Kind::Sleep;
  s.sleep_ns = 60'000'000'000ull;
  s.owner = 42;
  backend_->submit(s, sleep_a.fn());
  std::this_thread::sleep_for(50ms);  // under way (a worker in poll, an armed timeout)
  EXPECT_EQ(read_a.f.wait_for(0s), std::future_status::timeout) << "a read of an empty pipe completed";
  const auto t0 = Clock::now();
  backend_->cancel(42);
  ASSERT_EQ(read_a.f.wait_for(5s), std::future_status::ready) << "the cancelled read still blocks";
  EXPECT_EQ(read_a.f.get(), -ECANCELED);
  ASSERT_EQ(sleep_a.f.wait_for(5s), std::future_status::ready) << "the cancelled 60 s sleep still runs";
  EXPECT_EQ(sleep_a.f.get(), -ECANCELED);
  EXPECT_LT(Clock::now() - t0, 2s);
  // The other owner's read is still waiting, and completes normally.
  EXPECT_EQ(read_b.f.wait_for(100ms), std::future_status::timeout) << "another owner's read was cancelled";
  ASSERT_EQ(::write(b.fd[1], "hi", 2), 2);
  ASSERT_EQ(read_b.f.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(read_b.f.get(), 2);
  // A cancel that found nothing leaves the next op alone (the thread pool's
  // kick is spent with the op it was for).
  Done after;
  IoOp rc = ra;
  rc.fd = b.fd[0];
  backend_->submit(rc, after.fn());
  ASSERT_EQ(::write(b.fd[1], "xyz", 3), 3);
  ASSERT_EQ(after.f.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(after.f.get(), 3);
}

// Through WasiHost: a process blocked reading its stdin (a pipe) is killed
// (Session::kill cancels its pid) or exits: the read's reply comes at once.
TEST_P(IoCancel, AKilledProcessesStdinReadIsRepliedAtOnce) {
  Pipe in;
  auto io = std::make_shared<SpawnIo>();
  io->stdin_path = "/proc/self/fd/" + std::to_string(in.fd[0]);  // the pipe's read end, opened anew
  add_spawn(kKey, io);
  for (const bool by_exit : {false, true}) {
    SCOPED_TRACE(by_exit ? "exited" : "cancelled");
    pid_ = by_exit ? 8 : 9;
    auto f = serve(request(abi::WASI_FD_READ, {0, kPtr, 1, kResult}, HostHarness::one_iovec(64)));
    EXPECT_EQ(f.wait_for(200ms), std::future_status::timeout) << "a read of an empty stdin pipe completed";
    const auto t0 = Clock::now();
    if (by_exit) {
      host_->exited(pid_);
    } else {
      host_->cancel(pid_);
    }
    ASSERT_EQ(f.wait_for(5s), std::future_status::ready) << "the read still holds its request";
    EXPECT_LT(Clock::now() - t0, 2s);
    EXPECT_EQ(f.get().result, wasi::ERR_CANCELED);
  }
}

wasi::Subscription clock_sub(uint64_t userdata, uint64_t ns) {
  wasi::Subscription s{};
  s.userdata = userdata;
  s.tag = wasi::EVENTTYPE_CLOCK;
  s.clock_id = wasi::CLOCKID_MONOTONIC;
  s.timeout = ns;
  return s;
}

std::vector<uint8_t> subs_bytes(const wasi::Subscription& s) {
  std::vector<uint8_t> out(sizeof s);
  std::memcpy(out.data(), &s, sizeof s);
  return out;
}

// A sleep is a timer, not a held request: with `woken`, the reply (the
// clock's event, marked park) comes at once, and the wake when the time is
// up; a cancel (a kill) brings the wake at once.
TEST_P(IoCancel, ASleepRepliesAtOnceAndWakesLater) {
  auto io = std::make_shared<SpawnIo>();
  add_spawn(kKey, io);
  auto woke = std::make_shared<std::promise<void>>();
  auto wf = woke->get_future();
  const auto t0 = Clock::now();
  auto f = serve(request(abi::WASI_POLL_ONEOFF, {kPtr, kBuf, 1, kResult}, subs_bytes(clock_sub(0x77, 300'000'000))),
                 [woke] { woke->set_value(); });
  ASSERT_EQ(f.wait_for(2s), std::future_status::ready);
  EXPECT_LT(Clock::now() - t0, 250ms) << "the park waited for the sleep";
  const Reply r = f.get();
  EXPECT_TRUE(r.park);
  EXPECT_EQ(r.result, wasi::ERR_SUCCESS);
  EXPECT_EQ(u32_at(r, kResult), 1u) << "one event";
  EXPECT_EQ(wf.wait_for(100ms), std::future_status::timeout) << "woken before the time was up";
  ASSERT_EQ(wf.wait_for(5s), std::future_status::ready) << "never woken";
  EXPECT_GE(Clock::now() - t0, 250ms);

  // A 60 s sleep, cancelled: the wake comes at once.
  pid_ = 11;
  auto woke2 = std::make_shared<std::promise<void>>();
  auto wf2 = woke2->get_future();
  auto f2 = serve(request(abi::WASI_POLL_ONEOFF, {kPtr, kBuf, 1, kResult}, subs_bytes(clock_sub(1, 60'000'000'000ull))),
                  [woke2] { woke2->set_value(); });
  ASSERT_EQ(f2.wait_for(2s), std::future_status::ready);
  EXPECT_TRUE(f2.get().park);
  const auto t1 = Clock::now();
  host_->cancel(pid_);
  ASSERT_EQ(wf2.wait_for(5s), std::future_status::ready) << "the cancelled sleep never woke";
  EXPECT_LT(Clock::now() - t1, 2s);
}

INSTANTIATE_TEST_SUITE_P(Backends, IoCancel, ::testing::Values(IoBackendChoice::ThreadPool, IoBackendChoice::Uring),
                         backend_name);

}  // namespace
}  // namespace gpuos::io::fault

// io_backend.cpp: the io_uring and thread-pool IoBackends (io_backend.h).
#include "io/io_backend.h"

#include <liburing.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

namespace gpuos::io {

namespace {

// ---- io_uring ----------------------------------------------------------------

class UringBackend final : public IoBackend {
 public:
  static std::unique_ptr<UringBackend> create(std::string& why) {
    std::unique_ptr<UringBackend> b(new UringBackend());
    const int e = io_uring_queue_init(kEntries, &b->ring_, 0);
    if (e < 0) {
      why = fmt::format("io_uring_queue_init failed: {}", std::strerror(-e));
      return nullptr;
    }
    b->ready_ = true;
    b->reaper_ = std::thread([p = b.get()] { p->reap(); });
    return b;
  }

  ~UringBackend() override {
    if (!ready_) return;
    {
      std::lock_guard lock(sq_mu_);
      stopping_ = true;
      io_uring_sqe* sqe = next_sqe();
      io_uring_prep_nop(sqe);
      io_uring_sqe_set_data(sqe, nullptr);  // the reaper's signal to stop
      io_uring_submit(&ring_);
    }
    reaper_.join();
    io_uring_queue_exit(&ring_);
    for (auto& [p, _] : pending_) finish(p, -ECANCELED);
  }

  const char* name() const override { return "io_uring"; }

  void submit(IoOp op, IoDone done) override {
    auto* p = new Pending{std::move(op), std::move(done), {}};
    std::unique_lock lock(sq_mu_);
    if (stopping_) {
      lock.unlock();  // `done` may submit again
      finish(p, -ECANCELED);
      return;
    }
    io_uring_sqe* sqe = next_sqe();
    IoOp& o = p->op;
    switch (o.kind) {
      case IoOp::Kind::Read:
        io_uring_prep_read(sqe, o.fd, o.buf, o.len, static_cast<uint64_t>(o.offset));
        break;
      case IoOp::Kind::Write:
        io_uring_prep_write(sqe, o.fd, o.buf, o.len, static_cast<uint64_t>(o.offset));
        break;
      case IoOp::Kind::OpenAt2: io_uring_prep_openat2(sqe, o.fd, o.path.c_str(), &o.how); break;
      case IoOp::Kind::Close: io_uring_prep_close(sqe, o.fd); break;
      case IoOp::Kind::Sleep:
        p->ts.tv_sec = static_cast<int64_t>(o.sleep_ns / 1000000000u);
        p->ts.tv_nsec = static_cast<int64_t>(o.sleep_ns % 1000000000u);
        io_uring_prep_timeout(sqe, &p->ts, 0, 0);
        break;
    }
    io_uring_sqe_set_data(sqe, p);
    pending_[p] = true;
    if (o.owner != 0) ++owned_[o.owner];
    io_uring_submit(&ring_);
  }

  void cancel(uint32_t owner) override {
    if (owner == 0) return;
    std::lock_guard lock(sq_mu_);
    // Every exit cancels: one with nothing in flight (nearly all) costs a
    // lookup, not a walk over every pending op.
    if (stopping_ || owned_.find(owner) == owned_.end()) return;
    bool any = false;
    for (auto& [p, _] : pending_) {
      if (p->op.owner != owner) continue;
      // Matched by user_data: the op's Pending, still in pending_ (so not
      // yet freed) while sq_mu_ is held. Its own completion then comes
      // with -ECANCELED (or its result, if it won the race), and the
      // cancel's completion is dropped by the reaper (kCancelTag).
      io_uring_sqe* sqe = next_sqe();
      io_uring_prep_cancel(sqe, p, 0);
      io_uring_sqe_set_data(sqe, &kCancelTag);
      any = true;
    }
    if (any) io_uring_submit(&ring_);
  }

 private:
  static constexpr unsigned kEntries = 1024;
  // user_data of a cancel request: its own completion carries nothing.
  static inline char kCancelTag = 0;
  struct Pending {
    IoOp op;
    IoDone done;
    __kernel_timespec ts;
  };

  UringBackend() = default;

  // Under sq_mu_. A full submission queue is flushed first; the kernel
  // takes the entries at once, so the wait is short.
  io_uring_sqe* next_sqe() {
    io_uring_sqe* sqe;
    while ((sqe = io_uring_get_sqe(&ring_)) == nullptr) io_uring_submit(&ring_);
    return sqe;
  }

  void finish(Pending* p, int64_t res) {
    p->done(res);
    delete p;
  }

  void reap() {
    for (;;) {
      io_uring_cqe* cqe = nullptr;
      const int e = io_uring_wait_cqe(&ring_, &cqe);
      if (e == -EINTR) continue;
      if (e < 0) return;
      void* tag = io_uring_cqe_get_data(cqe);
      if (tag == &kCancelTag) {
        io_uring_cqe_seen(&ring_, cqe);
        continue;
      }
      auto* p = static_cast<Pending*>(tag);
      // A timeout "fails" with -ETIME when it expires: that is its success.
      const int64_t res = (p && p->op.kind == IoOp::Kind::Sleep && cqe->res == -ETIME) ? 0 : cqe->res;
      io_uring_cqe_seen(&ring_, cqe);
      if (!p) return;  // the destructor's nop
      {
        std::lock_guard lock(sq_mu_);
        pending_.erase(p);
        disown(p->op.owner);
      }
      finish(p, res);
    }
  }

  void disown(uint32_t owner) {  // under sq_mu_
    if (owner == 0) return;
    auto it = owned_.find(owner);
    if (it != owned_.end() && --it->second == 0) owned_.erase(it);
  }

  io_uring ring_{};
  bool ready_ = false;
  std::mutex sq_mu_;  // the submission queue, pending_, owned_, stopping_
  bool stopping_ = false;
  std::map<Pending*, bool> pending_;
  std::unordered_map<uint32_t, uint32_t> owned_;  // ops in flight per owner
  std::thread reaper_;
};

// ---- thread pool -----------------------------------------------------------------

class ThreadPoolBackend final : public IoBackend {
 public:
  explicit ThreadPoolBackend(unsigned workers) : running_(workers) {
    for (unsigned i = 0; i < workers; ++i) {
      running_[i].wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
      workers_.emplace_back([this, i] { work(i); });
    }
    timer_ = std::thread([this] { time(); });
  }

  ~ThreadPoolBackend() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      for (Running& r : running_) kick(r);  // a worker waiting on a pipe
    }
    cv_.notify_all();
    timer_cv_.notify_all();
    for (auto& t : workers_) t.join();
    timer_.join();
    for (Running& r : running_) ::close(r.wake);
    for (auto& q : queue_) q.done(-ECANCELED);
    for (auto& [at, t] : sleepers_) t.done(-ECANCELED);
  }

  const char* name() const override { return "thread-pool"; }

  void submit(IoOp op, IoDone done) override {
    std::unique_lock lock(mu_);
    if (stopping_) {
      lock.unlock();
      done(-ECANCELED);
      return;
    }
    if (op.owner != 0) ++owned_[op.owner];
    if (op.kind == IoOp::Kind::Sleep) {  // a timer, not a worker: sleepers must not starve I/O
      sleepers_.emplace(Clock::now() + std::chrono::nanoseconds(op.sleep_ns), Timer{op.owner, std::move(done)});
      timer_cv_.notify_one();
      return;
    }
    queue_.push_back(Queued{std::move(op), std::move(done)});
    cv_.notify_one();
  }

  void cancel(uint32_t owner) override {
    if (owner == 0) return;
    std::vector<IoDone> dropped;
    {
      std::lock_guard lock(mu_);
      if (owned_.find(owner) == owned_.end()) return;  // nothing in flight: the common exit
      for (auto it = queue_.begin(); it != queue_.end();) {
        if (it->op.owner == owner) {
          dropped.push_back(std::move(it->done));
          disown(owner);
          it = queue_.erase(it);
        } else {
          ++it;
        }
      }
      for (auto it = sleepers_.begin(); it != sleepers_.end();) {
        if (it->second.owner == owner) {
          dropped.push_back(std::move(it->second.done));
          disown(owner);
          it = sleepers_.erase(it);
        } else {
          ++it;
        }
      }
      for (Running& r : running_) {
        if (r.owner == owner) kick(r);
      }
    }
    for (IoDone& d : dropped) d(-ECANCELED);  // outside the lock: `done` may submit again
  }

 private:
  using Clock = std::chrono::steady_clock;
  struct Queued {
    IoOp op;
    IoDone done;
  };
  struct Timer {
    uint32_t owner;
    IoDone done;
  };
  // What worker i runs now (under mu_), and its cancel eventfd: a read or
  // write waits in poll() on its descriptor and on this, so a cancel (or
  // the destructor) can end a wait on a pipe or a terminal.
  struct Running {
    uint32_t owner = 0;
    bool busy = false;
    int wake = -1;
  };

  void disown(uint32_t owner) {  // under mu_
    if (owner == 0) return;
    auto it = owned_.find(owner);
    if (it != owned_.end() && --it->second == 0) owned_.erase(it);
  }

  static void kick(Running& r) {  // under mu_
    if (!r.busy) return;
    const uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(r.wake, &one, sizeof one);
  }

  // Waits until `fd` is ready for the op, or the worker is kicked
  // (-ECANCELED). A regular file is always ready: one poll() that returns
  // at once.
  static int64_t wait_ready(int fd, short events, int wake) {
    pollfd p[2] = {{fd, events, 0}, {wake, POLLIN, 0}};
    for (;;) {
      const int n = ::poll(p, 2, -1);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return -errno;
      if (p[1].revents) return -ECANCELED;
      return 0;  // ready, or an error/hang-up the op itself reports
    }
  }

  static int64_t run(const IoOp& o, int wake) {
    long r = -1;
    switch (o.kind) {
      case IoOp::Kind::Read:
        if (const int64_t w = wait_ready(o.fd, POLLIN, wake); w < 0) return w;
        r = o.offset < 0 ? ::read(o.fd, o.buf, o.len) : ::pread(o.fd, o.buf, o.len, o.offset);
        break;
      case IoOp::Kind::Write:
        if (const int64_t w = wait_ready(o.fd, POLLOUT, wake); w < 0) return w;
        r = o.offset < 0 ? ::write(o.fd, o.buf, o.len) : ::pwrite(o.fd, o.buf, o.len, o.offset);
        break;
      case IoOp::Kind::OpenAt2: r = ::syscall(SYS_openat2, o.fd, o.path.c_str(), &o.how, sizeof o.how); break;
      case IoOp::Kind::Close: r = ::close(o.fd); break;
      case IoOp::Kind::Sleep: r = 0; break;
    }
    return r < 0 ? -errno : r;
  }

  void work(unsigned i) {
    for (;;) {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      Queued q = std::move(queue_.front());
      queue_.pop_front();
      running_[i].owner = q.op.owner;
      running_[i].busy = true;
      const int wake = running_[i].wake;
      lock.unlock();
      const int64_t res = run(q.op, wake);
      lock.lock();
      // Under mu_, where every kick happens: a kick that came too late to
      // matter must not cancel this worker's next op.
      disown(running_[i].owner);
      running_[i].owner = 0;
      running_[i].busy = false;
      uint64_t drained;
      while (::read(wake, &drained, sizeof drained) > 0) {
      }
      lock.unlock();
      q.done(res);
    }
  }

  void time() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      if (sleepers_.empty()) {
        timer_cv_.wait(lock);
        continue;
      }
      auto first = sleepers_.begin();
      if (Clock::now() < first->first) {
        timer_cv_.wait_until(lock, first->first);
        continue;
      }
      IoDone done = std::move(first->second.done);
      disown(first->second.owner);
      sleepers_.erase(first);
      lock.unlock();
      done(0);
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_, timer_cv_;
  bool stopping_ = false;
  std::deque<Queued> queue_;
  std::multimap<Clock::time_point, Timer> sleepers_;
  std::unordered_map<uint32_t, uint32_t> owned_;  // ops queued, running or timed, per owner
  std::vector<Running> running_;
  std::vector<std::thread> workers_;
  std::thread timer_;
};

}  // namespace

IoBackendChoice backend_choice_from_env() {
  const char* v = std::getenv("GPUOS_IO_BACKEND");
  if (!v) return IoBackendChoice::Auto;
  if (std::string_view(v) == "io_uring") return IoBackendChoice::Uring;
  if (std::string_view(v) == "thread-pool") return IoBackendChoice::ThreadPool;
  return IoBackendChoice::Auto;
}

Result<std::unique_ptr<IoBackend>, IoError> make_io_backend(IoBackendChoice choice, std::string& why) {
  why.clear();
  if (choice != IoBackendChoice::ThreadPool) {
    if (auto u = UringBackend::create(why)) return std::unique_ptr<IoBackend>(std::move(u));
    if (choice == IoBackendChoice::Uring) return fail(IoError::Unavailable, why);
  } else {
    why = "GPUOS_IO_BACKEND=thread-pool";
  }
  const unsigned n = std::clamp(std::thread::hardware_concurrency(), 2u, 8u);
  return std::unique_ptr<IoBackend>(std::make_unique<ThreadPoolBackend>(n));
}

}  // namespace gpuos::io

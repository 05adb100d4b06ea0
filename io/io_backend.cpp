// io_backend.cpp: the io_uring and thread-pool IoBackends (io_backend.h).
#include "io/io_backend.h"

#include <liburing.h>
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
    io_uring_submit(&ring_);
  }

 private:
  static constexpr unsigned kEntries = 1024;
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
      auto* p = static_cast<Pending*>(io_uring_cqe_get_data(cqe));
      // A timeout "fails" with -ETIME when it expires: that is its success.
      const int64_t res = (p && p->op.kind == IoOp::Kind::Sleep && cqe->res == -ETIME) ? 0 : cqe->res;
      io_uring_cqe_seen(&ring_, cqe);
      if (!p) return;  // the destructor's nop
      {
        std::lock_guard lock(sq_mu_);
        pending_.erase(p);
      }
      finish(p, res);
    }
  }

  io_uring ring_{};
  bool ready_ = false;
  std::mutex sq_mu_;  // the submission queue, pending_, stopping_
  bool stopping_ = false;
  std::map<Pending*, bool> pending_;
  std::thread reaper_;
};

// ---- thread pool -----------------------------------------------------------------

class ThreadPoolBackend final : public IoBackend {
 public:
  explicit ThreadPoolBackend(unsigned workers) {
    for (unsigned i = 0; i < workers; ++i) workers_.emplace_back([this] { work(); });
    timer_ = std::thread([this] { time(); });
  }

  ~ThreadPoolBackend() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    timer_cv_.notify_all();
    for (auto& t : workers_) t.join();
    timer_.join();
    for (auto& [op, done] : queue_) done(-ECANCELED);
    for (auto& [at, done] : sleepers_) done(-ECANCELED);
  }

  const char* name() const override { return "thread-pool"; }

  void submit(IoOp op, IoDone done) override {
    std::unique_lock lock(mu_);
    if (stopping_) {
      lock.unlock();
      done(-ECANCELED);
      return;
    }
    if (op.kind == IoOp::Kind::Sleep) {  // a timer, not a worker: sleepers must not starve I/O
      sleepers_.emplace(Clock::now() + std::chrono::nanoseconds(op.sleep_ns), std::move(done));
      timer_cv_.notify_one();
      return;
    }
    queue_.emplace_back(std::move(op), std::move(done));
    cv_.notify_one();
  }

 private:
  using Clock = std::chrono::steady_clock;

  static int64_t run(const IoOp& o) {
    long r = -1;
    switch (o.kind) {
      case IoOp::Kind::Read: r = o.offset < 0 ? ::read(o.fd, o.buf, o.len) : ::pread(o.fd, o.buf, o.len, o.offset); break;
      case IoOp::Kind::Write:
        r = o.offset < 0 ? ::write(o.fd, o.buf, o.len) : ::pwrite(o.fd, o.buf, o.len, o.offset);
        break;
      case IoOp::Kind::OpenAt2: r = ::syscall(SYS_openat2, o.fd, o.path.c_str(), &o.how, sizeof o.how); break;
      case IoOp::Kind::Close: r = ::close(o.fd); break;
      case IoOp::Kind::Sleep: r = 0; break;
    }
    return r < 0 ? -errno : r;
  }

  void work() {
    for (;;) {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      auto [op, done] = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      done(run(op));
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
      IoDone done = std::move(first->second);
      sleepers_.erase(first);
      lock.unlock();
      done(0);
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_, timer_cv_;
  bool stopping_ = false;
  std::deque<std::pair<IoOp, IoDone>> queue_;
  std::multimap<Clock::time_point, IoDone> sleepers_;
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

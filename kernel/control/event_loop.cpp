#include "kernel/control/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "kernel/control/json.h"
#include "kernel/control/server_detail.h"

namespace gpuos::control {

using nlohmann::json;
using detail::error_reply;

namespace {

constexpr size_t kMaxRequestBytes = 64 * 1024;
constexpr size_t kMaxRequestFds = 3;  // spawn: stdout, stderr, stdin
constexpr uint64_t kListenId = 0;
constexpr uint64_t kWakeId = 1;
// Tail streams and parked waits are looked at this often (a wait's reply
// comes at most this late after the exit record).
constexpr auto kTick = std::chrono::milliseconds(10);
// On stop, how long the last lines (end lines, the shutdown reply) may take
// to leave before the connections are closed.
constexpr auto kFinalFlush = std::chrono::milliseconds(250);
// Accepting pauses this long when the process is out of descriptors.
constexpr auto kAcceptPause = std::chrono::milliseconds(100);

std::string record_line(const io::DebugRecord& r) {
  return json{{"ok", true}, {"schema", JSON_SCHEMA}, {"record", to_json(r)}}.dump() + "\n";
}

std::string skipped_line(uint64_t n) {
  return json{{"ok", true},
              {"schema", JSON_SCHEMA},
              {"skipped", n},
              {"reason", fmt::format("this client read too slowly: the session dropped {} records instead of queueing "
                                     "them",
                                     n)}}
             .dump() +
         "\n";
}

// Best effort, to a connection about to be closed.
void send_now(int fd, const std::string& line) {
  (void)!::send(fd, line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

}  // namespace

Result<std::unique_ptr<ControlServer::Loop>, ServerError> ControlServer::Loop::create(ControlServer& srv,
                                                                                      const ServerLimits& limits) {
  std::unique_ptr<Loop> l(new Loop(srv, limits));
  l->ep_ = ::epoll_create1(EPOLL_CLOEXEC);
  l->wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (l->ep_ < 0 || l->wake_fd_ < 0) {
    return fail(ServerError::Socket, fmt::format("epoll/eventfd: {}", std::strerror(errno)));
  }
  epoll_event e{};
  e.events = EPOLLIN;
  e.data.u64 = kListenId;
  if (::epoll_ctl(l->ep_, EPOLL_CTL_ADD, srv.listen_fd_, &e) != 0) {
    return fail(ServerError::Socket, fmt::format("epoll_ctl: {}", std::strerror(errno)));
  }
  e.data.u64 = kWakeId;
  if (::epoll_ctl(l->ep_, EPOLL_CTL_ADD, l->wake_fd_, &e) != 0) {
    return fail(ServerError::Socket, fmt::format("epoll_ctl: {}", std::strerror(errno)));
  }
  Loop* p = l.get();
  const size_t workers = std::max<size_t>(1, limits.workers);
  l->workers_alive_ = workers;
  for (size_t i = 0; i < workers; ++i) l->workers_.emplace_back([p] { p->worker(); });
  l->thread_ = std::thread([p] { p->run(); });
  return l;
}

ControlServer::Loop::~Loop() {
  stop(std::chrono::milliseconds(3000));
  if (clean_) {
    if (ep_ >= 0) ::close(ep_);
    if (wake_fd_ >= 0) ::close(wake_fd_);
  }
}

bool ControlServer::Loop::stop(std::chrono::milliseconds grace) {
  if (stopped_) return clean_;
  stopped_ = true;
  quit_ = true;
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
  std::unique_lock lock(mu_);
  pool_stop_ = true;
  jobs_.clear();
  cv_.notify_all();
  // A worker inside a verb that does not return (it should not happen: every
  // session call has a timeout and opens do not block, but nothing a client
  // asks for may keep the daemon alive) is left behind, and the caller exits.
  clean_ = idle_cv_.wait_for(lock, grace, [&] { return workers_alive_ == 0; });
  lock.unlock();
  for (std::thread& t : workers_) {
    if (clean_) {
      t.join();
    } else {
      t.detach();
    }
  }
  workers_.clear();
  if (!clean_) spdlog::error("control server: a request was still running {} ms after stop", grace.count());
  return clean_;
}

void ControlServer::Loop::worker() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return pool_stop_ || !jobs_.empty(); });
    if (pool_stop_) break;
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    Done d{job.conn, {}, {}};
    try {
      d.reply = srv_.handle(job.line, d.park, &job.fds);
    } catch (const std::exception& e) {  // nothing escapes a worker
      d.reply = error_reply(fmt::format("internal error: {}", e.what()));
      d.park = {};
    }
    lock.lock();
    done_.push_back(std::move(d));
    const uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof(one));
  }
  --workers_alive_;
  idle_cv_.notify_all();
}

ControlServer::Loop::Conn* ControlServer::Loop::find(uint64_t id) {
  auto it = conns_.find(id);
  return it == conns_.end() || it->second->dead ? nullptr : it->second.get();
}

void ControlServer::Loop::run() {
  epoll_event evs[256];
  bool accept_paused = false;
  while (!quit_) {
    const bool ticking = tails_ > 0 || waits_ > 0 || accept_paused;
    const int n = ::epoll_wait(ep_, evs, 256, ticking ? static_cast<int>(kTick.count()) : 100);
    for (int i = 0; i < n; ++i) {
      const uint64_t id = evs[i].data.u64;
      if (id == kListenId) {
        accept_all();
        if (Clock::now() < accept_resume_ && !accept_paused) {
          epoll_event e{};
          e.data.u64 = kListenId;
          ::epoll_ctl(ep_, EPOLL_CTL_MOD, srv_.listen_fd_, &e);  // no events until resumed
          accept_paused = true;
        }
      } else if (id == kWakeId) {
        uint64_t v;
        (void)!::read(wake_fd_, &v, sizeof(v));
      } else if (Conn* c = find(id)) {
        on_event(*c, evs[i].events);
      }
    }
    for (Done& d : take_done()) {
      if (Conn* c = find(d.conn)) {
        c->busy = false;
        apply(*c, d.reply, d.park);
        if (!c->dead) process(*c);
      }
      if (d.park.shutdown) srv_.shutdown_replied_ = true;  // even if its client has gone
    }
    const auto now = Clock::now();
    if (now - last_tick_ >= kTick) {
      last_tick_ = now;
      pump_tails(false);
      check_waits();
    }
    if (listening_ && srv_.shutdown_requested_) {
      // No connection after `shutdown` (the socket file is already gone).
      ::epoll_ctl(ep_, EPOLL_CTL_DEL, srv_.listen_fd_, nullptr);
      ::shutdown(srv_.listen_fd_, SHUT_RDWR);
      listening_ = false;
    }
    if (accept_paused && listening_ && now >= accept_resume_) {
      epoll_event e{};
      e.events = EPOLLIN;
      e.data.u64 = kListenId;
      ::epoll_ctl(ep_, EPOLL_CTL_MOD, srv_.listen_fd_, &e);
      accept_paused = false;
    }
    std::erase_if(conns_, [](const auto& kv) { return kv.second->dead; });
  }
  final_round();
}

void ControlServer::Loop::accept_all() {
  for (int i = 0; i < 256; ++i) {
    const int fd = ::accept4(srv_.listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        spdlog::warn("control server: cannot accept a connection: {}; pausing", std::strerror(errno));
        accept_resume_ = Clock::now() + kAcceptPause;
      }
      return;
    }
    // Only our own user and root: a client's request names files that the
    // daemon opens with its rights (docs/cli.md, "Who may connect").
    ucred cred{};
    socklen_t len = sizeof(cred);
    const uid_t me = ::geteuid();
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || (cred.uid != me && cred.uid != 0)) {
      send_now(fd, error_reply(fmt::format("refused: this session serves only uid {} and root; this connection "
                                           "comes from uid {}",
                                           me, cred.uid)) +
                       "\n");
      ::close(fd);
      if (refused_++ < 16) spdlog::warn("control server: refused a connection from uid {} (pid {})", cred.uid, cred.pid);
      continue;
    }
    if (conns_.size() >= lim_.max_clients) {
      send_now(fd, error_reply(fmt::format("too many clients: the session serves at most {} connections at once; "
                                           "try again when some have closed",
                                           lim_.max_clients)) +
                       "\n");
      ::close(fd);
      if (refused_++ < 16) spdlog::warn("control server: refused a connection: {} clients connected", conns_.size());
      continue;
    }
    auto c = std::make_unique<Conn>();
    c->id = next_id_++;
    c->fd = fd;
    epoll_event e{};
    e.events = EPOLLIN | EPOLLRDHUP;
    e.data.u64 = c->id;
    if (::epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &e) != 0) {
      ::close(fd);
      continue;
    }
    c->events = e.events;
    conns_.emplace(c->id, std::move(c));
  }
}

void ControlServer::Loop::on_event(Conn& c, uint32_t ev) {
  if (ev & EPOLLERR) return close_conn(c);
  if (ev & EPOLLOUT) {
    c.writable = true;
    flush(c);
    if (c.dead) return;
  }
  if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) read_in(c);
  if (c.dead) return;
  if (ev & EPOLLHUP) {
    // Both directions are gone: nothing sent will arrive. Requests already
    // read still run (as they did with a thread per client); the
    // connection leaves epoll so that the hang-up is not reported again.
    c.eof = true;
    ::epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
    c.events = 0;
    c.registered = false;
    if (c.tail != TailState::None || c.wait) return close_conn(c);
  }
  process(c);
}

void ControlServer::Loop::read_in(Conn& c) {
  char buf[16384];
  // Room for the descriptors one request may bring (spawn: stdout, stderr,
  // stdin); a message with more has the rest cut off (MSG_CTRUNC), and
  // the kernel closes those.
  alignas(cmsghdr) char ctl[CMSG_SPACE(sizeof(int) * kMaxRequestFds)];
  // Reading stops past one request's worth: process() refuses a longer
  // line, and a client that pipelines waits for its earlier replies.
  while (!c.eof && c.in.size() <= kMaxRequestBytes) {
    iovec iov{buf, sizeof(buf)};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ctl;
    msg.msg_controllen = sizeof(ctl);
    const ssize_t n = ::recvmsg(c.fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n >= 0) {
      for (cmsghdr* h = CMSG_FIRSTHDR(&msg); h; h = CMSG_NXTHDR(&msg, h)) {
        if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS) continue;
        const size_t k = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < k; ++i) {
          int fd;
          std::memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof fd);
          c.fds_in.fds.push_back(fd);  // owned by the connection from here
        }
      }
      // Descriptors no request claims would pile up: a client may hold a
      // few between its lines, never more.
      if (c.fds_in.fds.size() > 2 * kMaxRequestFds || (msg.msg_flags & MSG_CTRUNC)) {
        spdlog::warn("control server: disconnected a client that sent more descriptors than its requests use");
        return close_conn(c);
      }
    }
    if (n > 0) {
      c.in.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) {
      c.eof = true;
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    return close_conn(c);
  }
  // A follower or a waiter whose client went away has nobody to answer.
  if (c.eof && ((c.tail == TailState::Live) || c.wait)) return close_conn(c);
  update_events(c);
}

void ControlServer::Loop::process(Conn& c) {
  while (!c.dead && !c.busy && c.tail == TailState::None && !c.wait && !c.close_after_flush) {
    const size_t nl = c.in.find('\n');
    if (nl == std::string::npos) {
      if (c.in.size() > kMaxRequestBytes) {
        append(c, error_reply("request line too long") + "\n");
        c.close_after_flush = true;
        flush(c);
      } else if (c.eof) {
        c.close_after_flush = true;  // nothing more will come
        flush(c);
      }
      break;
    }
    if (c.pending() > lim_.max_backlog) {
      // It keeps asking without reading the answers: its backlog would grow
      // without bound.
      spdlog::warn("control server: disconnected a client with {} bytes of replies unread", c.pending());
      return close_conn(c);
    }
    std::string line = c.in.substr(0, nl);
    c.in.erase(0, nl + 1);
    bool inline_verb = true;  // a bad request is answered at once
    size_t nfds = 0;          // descriptors it says it brought ("fds": N)
    try {
      const json req = json::parse(line);
      if (req.is_object() && req.contains("verb") && req["verb"].is_string()) {
        inline_verb = ControlServer::runs_inline(req["verb"].get<std::string>());
      }
      if (req.is_object() && req.contains("fds") && req["fds"].is_number_unsigned()) {
        nfds = std::min<size_t>(req["fds"].get<size_t>(), kMaxRequestFds);
      }
    } catch (const std::exception&) {
    }
    // Its descriptors: the first `nfds` of those received (they come with
    // the line's first bytes, so they are here by now).
    RequestFds fds;
    const size_t k = std::min(nfds, c.fds_in.fds.size());
    fds.fds.assign(c.fds_in.fds.begin(), c.fds_in.fds.begin() + static_cast<std::ptrdiff_t>(k));
    c.fds_in.fds.erase(c.fds_in.fds.begin(), c.fds_in.fds.begin() + static_cast<std::ptrdiff_t>(k));
    if (inline_verb) {
      Parked park;
      std::string reply;
      try {
        reply = srv_.handle(line, park, &fds);
      } catch (const std::exception& e) {  // nothing escapes the loop
        reply = error_reply(fmt::format("internal error: {}", e.what()));
        park = {};
      }
      apply(c, reply, park);
    } else {
      c.busy = true;
      std::lock_guard lock(mu_);
      jobs_.push_back({c.id, std::move(line), std::move(fds)});
      cv_.notify_one();
    }
  }
  if (!c.dead) update_events(c);
}

void ControlServer::Loop::apply(Conn& c, const std::string& reply, const Parked& park) {
  if (!reply.empty()) append(c, reply + "\n");
  if (park.kind == Parked::Kind::Tail) {
    const io::DebugLog& log = srv_.session_.log();
    c.follow = park.follow;
    c.cursor = c.history_end = log.next_seq();
    if (park.n > 0) {
      const auto recs = log.last(park.n);
      if (!recs.empty()) {
        c.cursor = recs.front().seq;
        c.history_end = recs.back().seq + 1;
      }
    }
    c.tail = TailState::History;
    c.skipped = 0;
    ++tails_;
    fill_history(c);
  } else if (park.kind == Parked::Kind::Wait) {
    if (c.eof) return close_conn(c);
    c.wait = park;
    ++waits_;
  }
  if (!c.dead) flush(c);
}

void ControlServer::Loop::fill_history(Conn& c) {
  if (c.cursor < c.history_end && c.pending() < lim_.max_backlog) {
    bool full = false;
    for (const io::DebugRecord& r : srv_.session_.log().wait_from(c.cursor, std::chrono::milliseconds(0))) {
      if (r.seq >= c.history_end) break;
      if (c.pending() >= lim_.max_backlog) {  // flow control: the rest when it has read this
        full = true;
        break;
      }
      append(c, record_line(r));
      c.cursor = r.seq + 1;
    }
    if (!full) c.cursor = c.history_end;  // what is left was older than the log keeps
  }
  if (c.cursor < c.history_end) return;
  if (!c.follow) return end_tail(c);
  if (c.eof) return close_conn(c);
  c.tail = TailState::Live;
}

// Every connection may hold kFloor unsent bytes whatever the others hold, so
// that followers which never read, holding the shared budget, cannot starve
// one that does (nor keep it from hearing how many records it missed). The
// floor is small because every connection has one: 1,024 of them hold 16 MiB.
bool ControlServer::Loop::room(const Conn& c) const {
  constexpr size_t kFloor = 16u << 10;
  return c.pending() < kFloor || (c.pending() < lim_.max_backlog && total_out_ < lim_.max_total_backlog);
}

void ControlServer::Loop::end_tail(Conn& c) {
  if (c.skipped > 0) append(c, skipped_line(c.skipped));
  const SessionStatus st = srv_.session_.status();
  append(c, json{{"ok", true},
                 {"schema", JSON_SCHEMA},
                 {"end", true},
                 {"received", st.ring_received},
                 {"drops", st.ring_drops},
                 {"failed", st.failed},
                 {"reason", st.failed ? "session failed: " + st.failure : (c.follow ? "session ended" : "done")}}
                    .dump() +
                "\n");
  c.tail = TailState::None;
  c.skipped = 0;
  --tails_;
  flush(c);
  // Requests sent after the tail are served by the caller's process() loop
  // (or, from the loop's own rounds, by the process() call there), never
  // from here, so that pipelined tails cannot nest without bound.
}

void ControlServer::Loop::pump_tails(bool final_round) {
  if (tails_ == 0) return;
  const io::DebugLog& log = srv_.session_.log();
  uint64_t from = UINT64_MAX;
  for (auto& [id, cp] : conns_) {
    Conn& c = *cp;
    if (c.dead) continue;
    if (c.tail == TailState::History && !final_round && c.pending() < lim_.max_backlog / 2) {
      fill_history(c);
      if (!c.dead && c.tail == TailState::None) process(c);  // requests sent after the tail
    }
    if (!c.dead && c.tail == TailState::Live) from = std::min(from, c.cursor);
  }
  // Live followers share one copy of the new records, each line formatted
  // once; a follower without room skips them and is told how many.
  if (from != UINT64_MAX && log.next_seq() > from) {
    const auto batch = log.wait_from(from, std::chrono::milliseconds(0));
    std::vector<std::string> lines(batch.size());
    for (auto& [id, cp] : conns_) {
      Conn& c = *cp;
      if (c.dead || c.tail != TailState::Live || batch.empty()) continue;
      auto it = std::lower_bound(batch.begin(), batch.end(), c.cursor,
                                 [](const io::DebugRecord& r, uint64_t s) { return r.seq < s; });
      for (; it != batch.end(); ++it) {
        if (!room(c)) {
          ++c.skipped;
          continue;
        }
        if (c.skipped > 0) {
          append(c, skipped_line(c.skipped));
          c.skipped = 0;
        }
        std::string& line = lines[static_cast<size_t>(it - batch.begin())];
        if (line.empty()) line = record_line(*it);
        append(c, line);
      }
      c.cursor = std::max(c.cursor, batch.back().seq + 1);
      flush(c);
    }
  }
  for (auto& [id, cp] : conns_) {  // a follower that has caught up hears of its drops now
    Conn& c = *cp;
    if (!c.dead && c.tail == TailState::Live && c.skipped > 0 && room(c)) {
      append(c, skipped_line(c.skipped));
      c.skipped = 0;
      flush(c);
    }
  }
  const bool ended = final_round || srv_.stopping_ || srv_.session_.failed() ||
                     (srv_.shutdown_requested_ && srv_.session_.status().kernel_state == "stopped");
  if (!ended) return;
  for (auto& [id, cp] : conns_) {
    Conn& c = *cp;
    if (!c.dead && c.tail != TailState::None) {
      end_tail(c);
      if (!final_round && !c.dead) process(c);
    }
  }
}

void ControlServer::Loop::check_waits() {
  if (waits_ == 0) return;
  for (auto& [id, cp] : conns_) {
    Conn& c = *cp;
    if (c.dead || !c.wait) continue;
    std::optional<std::string> reply;
    try {
      reply = srv_.poll_wait(*c.wait);
    } catch (const std::exception& e) {
      reply = error_reply(fmt::format("internal error: {}", e.what()));
    }
    if (!reply) continue;
    c.wait.reset();
    --waits_;
    if (!reply->empty()) append(c, *reply + "\n");
    flush(c);
    if (!c.dead) process(c);
  }
}

std::deque<ControlServer::Loop::Done> ControlServer::Loop::take_done() {
  std::deque<Done> done;
  std::lock_guard lock(mu_);
  done.swap(done_);
  return done;
}

void ControlServer::Loop::final_round() {
  // Workers that finished in time still get their replies out.
  for (Done& d : take_done()) {
    if (Conn* c = find(d.conn)) {
      c->busy = false;
      apply(*c, d.reply, d.park);
    }
  }
  pump_tails(true);  // every stream gets its end line
  check_waits();     // every wait its answer (the session has ended)
  const auto until = Clock::now() + kFinalFlush;
  epoll_event evs[256];
  while (Clock::now() < until) {
    bool pending = false;
    for (auto& [id, cp] : conns_) pending |= !cp->dead && cp->pending() > 0;
    if (!pending) break;
    const int n = ::epoll_wait(ep_, evs, 256, 20);
    for (int i = 0; i < n; ++i) {
      Conn* c = evs[i].data.u64 > kWakeId ? find(evs[i].data.u64) : nullptr;
      if (c && (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        c->writable = true;
        flush(*c);
      }
    }
  }
  for (auto& [id, cp] : conns_) close_conn(*cp);
  conns_.clear();
}

void ControlServer::Loop::append(Conn& c, std::string_view s) {
  c.out.append(s);
  total_out_ += s.size();
}

void ControlServer::Loop::flush(Conn& c) {
  while (c.pending() > 0 && c.writable) {
    const ssize_t n = ::send(c.fd, c.out.data() + c.out_off, c.pending(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      c.out_off += static_cast<size_t>(n);
      total_out_ -= static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      c.writable = false;
      break;
    }
    return close_conn(c);  // the client is gone
  }
  if (c.out_off == c.out.size()) {
    c.out_off = 0;
    if (c.out.capacity() > (64u << 10)) {
      std::string().swap(c.out);  // an idle connection keeps no large buffer
    } else {
      c.out.clear();
    }
  } else if (c.out_off > (64u << 10) && c.out_off * 2 > c.out.size()) {
    c.out.erase(0, c.out_off);
    c.out_off = 0;
  }
  if (c.pending() == 0 && c.close_after_flush) return close_conn(c);
  update_events(c);
}

void ControlServer::Loop::update_events(Conn& c) {
  if (c.dead || !c.registered) return;
  uint32_t ev = 0;
  if (!c.eof && c.in.size() <= kMaxRequestBytes) ev |= EPOLLIN | EPOLLRDHUP;
  if (!c.writable && c.pending() > 0) ev |= EPOLLOUT;
  if (ev == c.events) return;
  epoll_event e{};
  e.events = ev;
  e.data.u64 = c.id;
  ::epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &e);
  c.events = ev;
}

void ControlServer::Loop::close_conn(Conn& c) {
  if (c.dead) return;
  if (c.registered) ::epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
  ::close(c.fd);
  c.fds_in = RequestFds{};  // closes what no request claimed
  total_out_ -= c.pending();
  if (c.tail != TailState::None) --tails_;
  if (c.wait) --waits_;
  c.tail = TailState::None;
  c.wait.reset();
  c.out.clear();
  c.out_off = 0;
  c.dead = true;
}

}  // namespace gpuos::control

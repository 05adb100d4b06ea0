// wasi_host.cpp: WasiHost (wasi_host.h): descriptor tables and the
// descriptor, clock, random and poll calls. Path operations are in
// wasi_paths.cpp.
#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

#include "io/wasi_process.h"

namespace gpuos::io {

using namespace gpuos::io::wasi;
using namespace gpuos::io::wasi_detail;

// ---- errno ---------------------------------------------------------------------

Errno wasi::errno_from_linux(int e) {
  switch (e) {
    case E2BIG: return ERR_2BIG;
    case EACCES: return ERR_ACCES;
    case EAGAIN: return ERR_AGAIN;
    case EBADF: return ERR_BADF;
    case EBUSY: return ERR_BUSY;
    case ECANCELED: return ERR_CANCELED;
    case EEXIST: return ERR_EXIST;
    case EFAULT: return ERR_FAULT;
    case EFBIG: return ERR_FBIG;
    case EINTR: return ERR_INTR;
    case EINVAL: return ERR_INVAL;
    case EIO: return ERR_IO;
    case EISDIR: return ERR_ISDIR;
    case ELOOP: return ERR_LOOP;
    case EMFILE: return ERR_MFILE;
    case ENAMETOOLONG: return ERR_NAMETOOLONG;
    case ENFILE: return ERR_NFILE;
    case ENOENT: return ERR_NOENT;
    case ENOMEM: return ERR_NOMEM;
    case ENOSPC: return ERR_NOSPC;
    case ENOSYS: return ERR_NOSYS;
    case ENOTDIR: return ERR_NOTDIR;
    case ENOTEMPTY: return ERR_NOTEMPTY;
    case EOPNOTSUPP: return ERR_NOTSUP;
    case ENOTTY: return ERR_NOTTY;
    case EPERM: return ERR_PERM;
    case EPIPE: return ERR_PIPE;
    case EROFS: return ERR_ROFS;
    case ESPIPE: return ERR_SPIPE;
    case EXDEV: return ERR_XDEV;
    default: return ERR_IO;
  }
}

// ---- Reply ----------------------------------------------------------------------

void Reply::write(uint32_t addr, const void* bytes, size_t n) {
  const auto* b = static_cast<const uint8_t*>(bytes);
  do {
    const uint32_t len = static_cast<uint32_t>(std::min<size_t>(n, abi::IOW_MAX_BYTES));
    words_.push_back(addr);
    words_.push_back(len);
    const size_t at = words_.size();
    words_.resize(at + (len + 3) / 4, 0);
    if (len) std::memcpy(words_.data() + at, b, len);
    addr += len;
    b += len;
    n -= len;
  } while (n > 0);
}

// ---- spawns and processes -------------------------------------------------------

OwnedFd::~OwnedFd() {
  if (fd >= 0) ::close(fd);
}

WasiHost::Spawn::~Spawn() {
  for (int fd : dir_fds) ::close(fd);
}

WasiHost::Process::~Process() {
  for (auto& e : fds) {
    if (e && e->owned && e->host >= 0) ::close(e->host);
  }
}

uint32_t WasiHost::Process::add(FdEntry e) {
  for (uint32_t i = 0; i < fds.size(); ++i) {
    if (!fds[i]) {
      fds[i] = std::move(e);
      return i;
    }
  }
  fds.push_back(std::move(e));
  return static_cast<uint32_t>(fds.size() - 1);
}

WasiHost::~WasiHost() = default;

Result<void, WasiError> WasiHost::add_spawn(uint32_t key, std::shared_ptr<const SpawnIo> io) {
  auto s = std::make_shared<Spawn>();
  for (const SpawnIo::Dir& d : io->dirs) {
    const int fd = ::open(d.host.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      return fail(WasiError::BadDirectory,
                  fmt::format("{} {}: {}", d.read_only ? "--dir-ro" : "--dir", d.host, std::strerror(errno)));
    }
    s->dir_fds.push_back(fd);
  }
  if (!io->stdin_path.empty() && ::access(io->stdin_path.c_str(), R_OK) != 0) {
    return fail(WasiError::BadStdin, fmt::format("--stdin {}: {}", io->stdin_path, std::strerror(errno)));
  }
  s->io = std::move(io);
  std::lock_guard lock(mu_);
  spawns_[key] = std::move(s);
  return {};
}

void WasiHost::remove_spawn(uint32_t key) {
  std::lock_guard lock(mu_);
  spawns_.erase(key);
}

size_t WasiHost::processes() const {
  std::lock_guard lock(mu_);
  return procs_.size();
}

void WasiHost::exited(uint32_t pid) {
  {
    std::lock_guard lock(mu_);
    procs_.erase(pid);  // an op still in flight keeps its Process until it completes
  }
  cancel(pid);
}

void WasiHost::cancel(uint32_t pid) { backend_.cancel(pid); }

int WasiHost::output(uint32_t pid, uint32_t key, bool is_stderr, std::string_view text) {
  std::shared_ptr<Spawn> s;
  {
    std::lock_guard lock(mu_);
    auto it = spawns_.find(key);
    if (it != spawns_.end()) s = it->second;
  }
  return s && s->io->output ? s->io->output(pid, is_stderr, text) : 0;
}

// The descriptor table a process starts with: stdin, stdout, stderr, then
// the preopened directories.
std::shared_ptr<WasiHost::Process> WasiHost::process(uint32_t pid, uint32_t key) {
  std::lock_guard lock(mu_);
  if (auto it = procs_.find(pid); it != procs_.end()) return it->second;
  auto p = std::make_shared<Process>();
  p->pid = pid;
  if (auto it = spawns_.find(key); it != spawns_.end()) p->spawn = it->second;
  FdEntry in{FdEntry::Kind::Stdin};
  in.type = FT_CHARACTER_DEVICE;
  in.rights = RIGHT_FD_READ | RIGHT_POLL_FD_READWRITE | RIGHT_FD_FILESTAT_GET;
  if (p->spawn && p->spawn->io->stdin_file) {
    // Never an open that can block (this is the request thread): a regular
    // file is opened anew through /proc (its own offset, from the start),
    // anything else is shared (dup).
    const int src = p->spawn->io->stdin_file->fd;
    struct stat st {};
    const bool regular = ::fstat(src, &st) == 0 && S_ISREG(st.st_mode);
    in.host = regular ? ::open(fmt::format("/proc/self/fd/{}", src).c_str(), O_RDONLY | O_CLOEXEC)
                      : ::fcntl(src, F_DUPFD_CLOEXEC, 0);
    in.owned = in.host >= 0;
    in.type = regular ? FT_REGULAR_FILE : filetype_of(st.st_mode);
    if (regular) in.rights |= RIGHT_FD_SEEK | RIGHT_FD_TELL;
  } else if (p->spawn && !p->spawn->io->stdin_path.empty()) {
    in.host = ::open(p->spawn->io->stdin_path.c_str(), O_RDONLY | O_CLOEXEC);  // each process reads it from the start
    in.owned = in.host >= 0;
    in.type = FT_REGULAR_FILE;
    in.rights |= RIGHT_FD_SEEK | RIGHT_FD_TELL;
  }
  p->add(in);
  FdEntry out{FdEntry::Kind::Stdout};
  out.type = FT_CHARACTER_DEVICE;
  out.rights = RIGHT_FD_WRITE | RIGHT_POLL_FD_READWRITE | RIGHT_FD_FILESTAT_GET;
  p->add(out);
  out.kind = FdEntry::Kind::Stderr;
  p->add(out);
  if (p->spawn) {
    const auto& dirs = p->spawn->io->dirs;
    for (size_t i = 0; i < dirs.size(); ++i) {
      FdEntry d{FdEntry::Kind::Directory};
      d.host = p->spawn->dir_fds[i];
      d.type = FT_DIRECTORY;
      d.read_only = dirs[i].read_only;
      d.rights = d.read_only ? RIGHTS_ALL & ~RIGHTS_WRITING : RIGHTS_ALL;
      d.inheriting = d.rights;
      d.preopen = dirs[i].guest;
      p->add(d);
    }
  }
  procs_[pid] = p;
  return p;
}

// ---- the calls ---------------------------------------------------------------------

namespace {

uint64_t now_ns(clockid_t c) {
  timespec t{};
  ::clock_gettime(c, &t);
  return uint64_t(t.tv_sec) * 1000000000u + uint64_t(t.tv_nsec);
}

bool clock_of(uint32_t id, clockid_t& c) {
  switch (id) {
    case CLOCKID_REALTIME: c = CLOCK_REALTIME; return true;
    case CLOCKID_MONOTONIC: c = CLOCK_MONOTONIC; return true;
    // A process's CPU time is GPU time the host does not track per process:
    // the session's monotonic clock stands in (documented in docs/io.md).
    case CLOCKID_PROCESS_CPUTIME:
    case CLOCKID_THREAD_CPUTIME: c = CLOCK_MONOTONIC; return true;
    default: return false;
  }
}

// The iovec array a read carries as its out-data: (address, length) pairs.
std::vector<std::pair<uint32_t, uint32_t>> iovecs(const Request& r) {
  std::vector<std::pair<uint32_t, uint32_t>> v;
  for (size_t i = 0; i + 8 <= r.out.size(); i += 8) {
    uint32_t a, n;
    std::memcpy(&a, r.out.data() + i, 4);
    std::memcpy(&n, r.out.data() + i + 4, 4);
    v.emplace_back(a, n);
  }
  return v;
}

Reply fdstat(const FdEntry& e, uint32_t at) {
  Fdstat s{};
  s.filetype = e.type;
  s.flags = e.fdflags;
  s.rights_base = e.rights;
  s.rights_inheriting = e.inheriting;
  Reply r;
  r.write_value(at, s);
  return r;
}

// fd_readdir(fd, buf, buf_len, cookie, bufused): entries from index
// `cookie` on, each a DirentHeader then its name; the last may be cut off
// when the buffer is full (WASI allows that; the caller asks again with a
// bigger buffer).
Reply readdir(const FdEntry& e, const Request& r) {
  const int fd = ::openat(e.host, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Reply::error(errno_of(errno));
  DIR* d = ::fdopendir(fd);
  if (!d) {
    ::close(fd);
    return Reply::error(errno_of(errno));
  }
  const uint32_t cap = std::min<uint32_t>(r.arg32(2), kReplyDataMax);
  std::vector<uint8_t> buf;
  uint64_t index = 0;
  while (buf.size() < cap) {
    errno = 0;
    dirent* de = ::readdir(d);
    if (!de) break;
    if (index++ < r.args[3]) continue;
    DirentHeader h{};
    h.next = index;
    h.ino = de->d_ino;
    h.namlen = static_cast<uint32_t>(std::strlen(de->d_name));
    h.type = de->d_type == DT_DIR ? FT_DIRECTORY : de->d_type == DT_REG ? FT_REGULAR_FILE
             : de->d_type == DT_LNK ? FT_SYMBOLIC_LINK : FT_UNKNOWN;
    const auto* hb = reinterpret_cast<const uint8_t*>(&h);
    buf.insert(buf.end(), hb, hb + sizeof h);
    buf.insert(buf.end(), de->d_name, de->d_name + h.namlen);
  }
  ::closedir(d);
  buf.resize(std::min<size_t>(buf.size(), cap));
  Reply reply;
  if (!buf.empty()) reply.write(r.arg32(1), buf.data(), buf.size());
  reply.write_value(r.arg32(4), static_cast<uint32_t>(buf.size()));
  return reply;
}

// The calls on a descriptor (their first argument) that serve() answers.
bool fd_call(uint32_t op) {
  switch (op) {
    case abi::WASI_FD_CLOSE:
    case abi::WASI_FD_FDSTAT_GET:
    case abi::WASI_FD_FDSTAT_SET_FLAGS:
    case abi::WASI_FD_FILESTAT_GET:
    case abi::WASI_FD_PREAD:
    case abi::WASI_FD_PRESTAT_GET:
    case abi::WASI_FD_PRESTAT_DIR_NAME:
    case abi::WASI_FD_PWRITE:
    case abi::WASI_FD_READ:
    case abi::WASI_FD_READDIR:
    case abi::WASI_FD_SEEK:
    case abi::WASI_FD_TELL:
    case abi::WASI_FD_WRITE:
    case abi::WASI_FD_SYNC:
    case abi::WASI_FD_DATASYNC:
    case abi::WASI_FD_FILESTAT_SET_SIZE:
    case abi::WASI_FD_ADVISE: return true;
    default: return false;
  }
}

}  // namespace

void WasiHost::serve(Request r, std::function<void(Reply)> done, std::function<void()> woken) {
  const uint32_t op = r.opcode;
  if (op == abi::WASI_GPUOS_NULL) return done(Reply{});
  if (op == abi::WASI_CLOCK_TIME_GET || op == abi::WASI_CLOCK_RES_GET) {
    clockid_t c;
    if (!clock_of(r.arg32(0), c)) return done(Reply::error(ERR_INVAL));
    Reply reply;
    if (op == abi::WASI_CLOCK_RES_GET) {
      timespec t{};
      ::clock_getres(c, &t);
      reply.write_value(r.arg32(1), uint64_t(t.tv_sec) * 1000000000u + uint64_t(t.tv_nsec));
    } else {
      reply.write_value(r.arg32(2), now_ns(c));
    }
    return done(std::move(reply));
  }
  if (op == abi::WASI_RANDOM_GET) {
    const uint32_t n = r.arg32(1);
    if (n > kReplyDataMax) return done(Reply::error(ERR_INVAL));  // docs/io.md: at most 12 KiB a call
    std::vector<uint8_t> bytes(n);
    for (size_t got = 0; got < n;) {
      const ssize_t k = ::getrandom(bytes.data() + got, n - got, 0);
      if (k < 0 && errno != EINTR) return done(Reply::error(errno_of(errno)));
      if (k > 0) got += static_cast<size_t>(k);
    }
    Reply reply;
    if (n) reply.write(r.arg32(0), bytes.data(), n);
    return done(std::move(reply));
  }
  if (op == abi::WASI_POLL_ONEOFF) return poll_oneoff(std::move(r), std::move(done), std::move(woken));

  std::shared_ptr<Process> p = process(r.pid, r.key);
  switch (op) {
    case abi::WASI_PATH_FILESTAT_GET: return done(path_filestat_get(*p, r));
    case abi::WASI_PATH_CREATE_DIRECTORY: return done(path_create_directory(*p, r));
    case abi::WASI_PATH_REMOVE_DIRECTORY: return done(path_remove_directory(*p, r));
    case abi::WASI_PATH_UNLINK_FILE: return done(path_unlink_file(*p, r));
    case abi::WASI_PATH_RENAME: return done(path_rename(*p, r));
    case abi::WASI_PATH_READLINK: return done(path_readlink(*p, r));
    case abi::WASI_PATH_OPEN: return path_open(std::move(p), std::move(r), std::move(done));
    default: break;
  }
  if (!fd_call(op)) return done(Reply::error(ERR_NOSYS));  // whatever its arguments
  FdEntry* e = p->fd(r.arg32(0));
  if (!e) return done(Reply::error(ERR_BADF));
  switch (op) {
    case abi::WASI_FD_READ:
    case abi::WASI_FD_PREAD:
    case abi::WASI_FD_WRITE:
    case abi::WASI_FD_PWRITE: return transfer(std::move(p), std::move(r), std::move(done));
    case abi::WASI_FD_CLOSE: {
      FdEntry closed = *e;
      p->fds[r.arg32(0)].reset();
      if (!closed.owned || closed.host < 0) return done(Reply{});
      IoOp c;
      c.kind = IoOp::Kind::Close;
      c.fd = closed.host;
      return backend_.submit(std::move(c), [done](int64_t res) {
        done(res < 0 ? Reply::error(errno_of(static_cast<int>(res))) : Reply{});
      });
    }
    case abi::WASI_FD_FDSTAT_GET: return done(fdstat(*e, r.arg32(1)));
    case abi::WASI_FD_FDSTAT_SET_FLAGS: {
      const uint16_t flags = r.arg32(1) & 0xffff;
      if (e->host >= 0 && e->owned) {
        const int fl = ::fcntl(e->host, F_GETFL);
        if (fl < 0 || ::fcntl(e->host, F_SETFL, (flags & FDFLAG_APPEND) ? (fl | O_APPEND) : (fl & ~O_APPEND)) != 0) {
          return done(Reply::error(errno_of(errno)));
        }
      }
      e->fdflags = flags;
      return done(Reply{});
    }
    case abi::WASI_FD_FILESTAT_GET: {
      Filestat f{};
      f.filetype = e->type;
      if (e->host >= 0) {
        struct stat st;
        if (::fstat(e->host, &st) != 0) return done(Reply::error(errno_of(errno)));
        f = filestat_of(st);
      }
      Reply reply;
      reply.write_value(r.arg32(1), f);
      return done(std::move(reply));
    }
    case abi::WASI_FD_PRESTAT_GET: {
      if (e->preopen.empty()) return done(Reply::error(ERR_BADF));
      Prestat ps{};
      ps.name_len = static_cast<uint32_t>(e->preopen.size());
      Reply reply;
      reply.write_value(r.arg32(1), ps);
      return done(std::move(reply));
    }
    case abi::WASI_FD_PRESTAT_DIR_NAME: {
      if (e->preopen.empty()) return done(Reply::error(ERR_BADF));
      if (r.arg32(2) < e->preopen.size()) return done(Reply::error(ERR_NAMETOOLONG));
      Reply reply;
      reply.write(r.arg32(1), e->preopen.data(), e->preopen.size());
      return done(std::move(reply));
    }
    case abi::WASI_FD_READDIR:
      if (e->kind != FdEntry::Kind::Directory) return done(Reply::error(ERR_NOTDIR));
      if (!(e->rights & RIGHT_FD_READDIR)) return done(Reply::error(ERR_NOTCAPABLE));
      return done(readdir(*e, r));
    case abi::WASI_FD_SEEK:
    case abi::WASI_FD_TELL: {
      if (e->kind != FdEntry::Kind::File && !(e->kind == FdEntry::Kind::Stdin && e->host >= 0)) {
        return done(Reply::error(e->kind == FdEntry::Kind::Directory ? ERR_BADF : ERR_SPIPE));
      }
      const bool tell = op == abi::WASI_FD_TELL;
      const uint8_t whence = tell ? WHENCE_CUR : static_cast<uint8_t>(r.arg32(2));
      if (whence > WHENCE_END) return done(Reply::error(ERR_INVAL));
      const off_t off = ::lseek(e->host, tell ? 0 : static_cast<off_t>(r.args[1]),
                                whence == WHENCE_SET ? SEEK_SET : whence == WHENCE_CUR ? SEEK_CUR : SEEK_END);
      if (off < 0) return done(Reply::error(errno_of(errno)));
      Reply reply;
      reply.write_value(tell ? r.arg32(1) : r.arg32(3), static_cast<uint64_t>(off));
      return done(std::move(reply));
    }
    case abi::WASI_FD_SYNC:
    case abi::WASI_FD_DATASYNC:
      if (e->host >= 0 && e->owned && ::fsync(e->host) != 0) return done(Reply::error(errno_of(errno)));
      return done(Reply{});
    case abi::WASI_FD_FILESTAT_SET_SIZE:
      if (e->kind != FdEntry::Kind::File || !(e->rights & RIGHT_FD_FILESTAT_SET_SIZE)) {
        return done(Reply::error(e->kind == FdEntry::Kind::File ? ERR_NOTCAPABLE : ERR_INVAL));
      }
      if (::ftruncate(e->host, static_cast<off_t>(r.args[1])) != 0) return done(Reply::error(errno_of(errno)));
      return done(Reply{});
    case abi::WASI_FD_ADVISE: return done(Reply{});  // advice only
    default: return done(Reply::error(ERR_NOSYS));
  }
}

// fd_read, fd_pread, fd_write, fd_pwrite through the backend. Reads land in
// a host buffer and go back as writes into the iovecs; a write's bytes are
// the request's out-data. At most kReplyDataMax (reads) or IO_DATA_BYTES
// (writes) move per call: a short count, which WASI allows and wasi-libc
// loops on.
void WasiHost::transfer(std::shared_ptr<Process> p, Request r, std::function<void(Reply)> done) {
  const uint32_t op = r.opcode;
  FdEntry& e = *p->fd(r.arg32(0));
  const bool write = op == abi::WASI_FD_WRITE || op == abi::WASI_FD_PWRITE;
  const bool positioned = op == abi::WASI_FD_PREAD || op == abi::WASI_FD_PWRITE;
  const uint32_t result_at = positioned ? r.arg32(4) : r.arg32(3);
  if (!(e.rights & (write ? RIGHT_FD_WRITE : RIGHT_FD_READ))) {
    return done(Reply::error(e.kind == FdEntry::Kind::Directory ? ERR_ISDIR : ERR_BADF));
  }
  if (positioned && !(e.rights & RIGHT_FD_SEEK)) return done(Reply::error(ERR_SPIPE));
  // An offset of 2^63 or more is negative as an off_t: POSIX pread/pwrite
  // say EINVAL. Passed on, the thread pool took it for "no offset" (the
  // file position) and io_uring for whatever the kernel makes of it.
  if (positioned && r.args[3] > uint64_t{INT64_MAX}) return done(Reply::error(ERR_INVAL));
  if (e.host < 0 && write) return done(Reply::error(ERR_BADF));
  if (e.host < 0) {  // an empty stdin: end of file
    Reply reply;
    reply.write_value(result_at, uint32_t{0});
    return done(std::move(reply));
  }
  auto buf = std::make_shared<std::vector<uint8_t>>();
  IoOp io;
  io.kind = write ? IoOp::Kind::Write : IoOp::Kind::Read;
  io.fd = e.host;
  io.offset = positioned ? static_cast<int64_t>(r.args[3]) : -1;
  io.owner = r.pid;
  std::vector<std::pair<uint32_t, uint32_t>> iov;
  if (write) {
    *buf = std::move(r.out);
  } else {
    // As many iovecs as the reply can fill: each takes a directive of its
    // own (a header, its bytes padded to 4), and the reply must fit a
    // slot's data area beside the count's directive.
    iov = iovecs(r);
    uint64_t want = 0;
    size_t reply_bytes = 4 * (abi::IOW_HEADER_WORDS + 1), keep = 0;
    for (; keep < iov.size() && want < kReplyDataMax; ++keep) {
      uint32_t& n = iov[keep].second;
      n = static_cast<uint32_t>(std::min<uint64_t>(n, kReplyDataMax - want));
      const size_t directives = (n + abi::IOW_MAX_BYTES - 1) / abi::IOW_MAX_BYTES;
      const size_t cost = 4 * abi::IOW_HEADER_WORDS * directives + (n + 3) / 4 * 4;
      if (reply_bytes + cost > abi::IO_DATA_BYTES) break;
      reply_bytes += cost;
      want += n;
    }
    iov.resize(keep);
    buf->resize(static_cast<size_t>(want));
  }
  io.buf = buf->data();
  io.len = static_cast<uint32_t>(buf->size());
  if (io.len == 0) {
    Reply reply;
    reply.write_value(result_at, uint32_t{0});
    return done(std::move(reply));
  }
  backend_.submit(std::move(io), [p, buf, iov = std::move(iov), result_at, done](int64_t res) {
    if (res < 0) return done(Reply::error(errno_of(static_cast<int>(res))));
    Reply reply;
    size_t at = 0;
    for (auto& [addr, n] : iov) {  // a read: scatter what came into the iovecs
      if (at >= static_cast<size_t>(res)) break;
      const size_t k = std::min<size_t>(n, static_cast<size_t>(res) - at);
      if (k == 0) continue;  // an empty iovec: the data goes on in the next one
      reply.write(addr, buf->data() + at, k);
      at += k;
    }
    reply.write_value(result_at, static_cast<uint32_t>(res));
    done(std::move(reply));
  });
}

void WasiHost::path_open(std::shared_ptr<Process> p, Request r, std::function<void(Reply)> done) {
  int dirfd = -1;
  IoOp io;
  FdEntry entry;
  if (auto e = path_open_prepare(*p, r, dirfd, io.path, io.how, entry)) return done(Reply::error(e));
  io.kind = IoOp::Kind::OpenAt2;
  io.fd = dirfd;
  io.owner = r.pid;
  const uint32_t fd_out = r.arg32(8);
  backend_.submit(std::move(io), [p, entry, fd_out, done](int64_t res) mutable {
    if (res < 0) return done(Reply::error(errno_of(static_cast<int>(res))));
    entry.host = static_cast<int>(res);
    struct stat st;
    if (::fstat(entry.host, &st) == 0) entry.type = filetype_of(st.st_mode);
    entry.kind = entry.type == FT_DIRECTORY ? FdEntry::Kind::Directory : FdEntry::Kind::File;
    // Only one request of a process is ever in flight, so its table is ours.
    const uint32_t fd = p->add(entry);
    Reply reply;
    reply.write_value(fd_out, fd);
    done(std::move(reply));
  });
}

// poll_oneoff(in, out, nsubscriptions, nevents): clock subscriptions sleep
// until the earliest is due; descriptor subscriptions are ready at once
// (files always are), and then nothing sleeps.
//
// A sleep's reply is known before it starts (the soonest clock's event).
// With `woken`, it goes back at once, marked park, and the process sleeps
// without its request slot until `woken` (docs/io.md, "Sleeping"): a sleep
// is a timer, not a held slot.
void WasiHost::poll_oneoff(Request r, std::function<void(Reply)> done, std::function<void()> woken) {
  const uint32_t n = r.arg32(2);
  if (n == 0) return done(Reply::error(ERR_INVAL));
  if (r.out.size() < size_t{n} * sizeof(Subscription)) return done(Reply::error(ERR_FAULT));
  std::vector<Subscription> subs(n);
  std::memcpy(subs.data(), r.out.data(), subs.size() * sizeof(Subscription));
  std::vector<Event> ready;
  uint64_t sleep = UINT64_MAX;
  size_t soonest = 0;
  for (size_t i = 0; i < n; ++i) {
    const Subscription& s = subs[i];
    if (s.tag == EVENTTYPE_CLOCK) {
      clockid_t c;
      uint64_t rel = 0;
      if (!clock_of(s.clock_id, c)) {
        ready.push_back(Event{s.userdata, ERR_INVAL, EVENTTYPE_CLOCK});
        continue;
      }
      if (s.flags & SUBCLOCK_ABSTIME) {
        const uint64_t now = now_ns(c);
        rel = s.timeout > now ? s.timeout - now : 0;
      } else {
        rel = s.timeout;
      }
      if (rel < sleep) sleep = rel, soonest = i;
    } else if (s.tag == EVENTTYPE_FD_READ || s.tag == EVENTTYPE_FD_WRITE) {
      ready.push_back(Event{s.userdata, ERR_SUCCESS, s.tag});
    } else {
      ready.push_back(Event{s.userdata, ERR_INVAL, s.tag});
    }
  }
  const uint32_t out = r.arg32(1), nevents = r.arg32(3);
  auto finish = [out, nevents, done](std::vector<Event> evs) {
    Reply reply;
    if (!evs.empty()) reply.write(out, evs.data(), evs.size() * sizeof(Event));
    reply.write_value(nevents, static_cast<uint32_t>(evs.size()));
    done(std::move(reply));
  };
  if (!ready.empty() || sleep == UINT64_MAX) return finish(std::move(ready));
  IoOp io;
  io.kind = IoOp::Kind::Sleep;
  io.sleep_ns = sleep;
  io.owner = r.pid;
  const Subscription due = subs[soonest];
  if (woken && sleep > 0) {
    // The event says the clock fired; a sleep cut short by a kill is never
    // seen by the process, which ends.
    Reply reply;
    const Event ev{due.userdata, ERR_SUCCESS, EVENTTYPE_CLOCK};
    reply.write(out, &ev, sizeof ev);
    reply.write_value(nevents, uint32_t{1});
    reply.park = true;
    done(std::move(reply));
    return backend_.submit(std::move(io), [woken](int64_t) { woken(); });
  }
  backend_.submit(std::move(io), [finish, due](int64_t res) {
    finish({Event{due.userdata, static_cast<uint16_t>(res < 0 ? errno_of(static_cast<int>(res)) : uint16_t{ERR_SUCCESS}),
                  EVENTTYPE_CLOCK}});
  });
}

}  // namespace gpuos::io

// wasi_paths.cpp: WASI's path operations, each resolved beneath a
// preopened directory (wasi_host.h, "Sandbox").
//
// The kernel enforces the sandbox: openat2 with RESOLVE_BENEATH fails with
// EXDEV for an absolute path, a `..` that climbs out, or a symlink that
// points out, and that becomes ERR_NOTCAPABLE. Operations on a name (mkdir,
// unlink, rename, readlink) open its parent that way and then act on the
// last component alone, which is never `.` or `..`, and which they never
// follow.
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "io/wasi_process.h"

namespace gpuos::io::wasi_detail {

using namespace gpuos::io::wasi;

Parent::~Parent() {
  if (fd >= 0) ::close(fd);
}

uint16_t errno_of(int e) {
  if (e < 0) e = -e;
  if (e == EXDEV) return ERR_NOTCAPABLE;  // RESOLVE_BENEATH: the path tried to leave its directory
  return errno_from_linux(e);
}

int open_beneath(int dirfd, const std::string& path, uint64_t flags, uint64_t mode) {
  open_how how{};
  how.flags = flags | O_CLOEXEC;
  how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  const long r = ::syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how);
  return r < 0 ? -errno : static_cast<int>(r);
}

Filetype filetype_of(mode_t m) {
  switch (m & S_IFMT) {
    case S_IFREG: return FT_REGULAR_FILE;
    case S_IFDIR: return FT_DIRECTORY;
    case S_IFLNK: return FT_SYMBOLIC_LINK;
    case S_IFCHR: return FT_CHARACTER_DEVICE;
    case S_IFBLK: return FT_BLOCK_DEVICE;
    case S_IFSOCK: return FT_SOCKET_STREAM;
    default: return FT_UNKNOWN;
  }
}

Filestat filestat_of(const struct stat& st) {
  Filestat f{};
  f.dev = st.st_dev;
  f.ino = st.st_ino;
  f.filetype = filetype_of(st.st_mode);
  f.nlink = st.st_nlink;
  f.size = static_cast<uint64_t>(st.st_size);
  auto ns = [](const timespec& t) { return uint64_t(t.tv_sec) * 1000000000u + uint64_t(t.tv_nsec); };
  f.atim = ns(st.st_atim);
  f.mtim = ns(st.st_mtim);
  f.ctim = ns(st.st_ctim);
  return f;
}

namespace {

// The directory entry a path operation starts from, with the right it needs.
uint16_t directory(WasiHost::Process& p, uint32_t fd, uint64_t right, bool writes, FdEntry*& out) {
  out = p.fd(fd);
  if (!out) return ERR_BADF;
  if (out->kind != FdEntry::Kind::Directory) return ERR_NOTDIR;
  if ((out->rights & right) == 0 || (writes && out->read_only)) return ERR_NOTCAPABLE;
  return ERR_SUCCESS;
}

std::string path_at(const Request& r, size_t from, size_t len) {
  if (from + len > r.out.size()) return {};
  return std::string(reinterpret_cast<const char*>(r.out.data()) + from, len);
}

// A path's bytes may not hold a NUL (WASI: ERR_INVAL, as a C string could not name it).
bool has_nul(const std::string& s) { return s.find('\0') != std::string::npos; }

}  // namespace

uint16_t resolve_parent(const FdEntry& dir, const std::string& path, Parent& out) {
  if (path.empty()) return ERR_NOENT;
  if (has_nul(path)) return ERR_INVAL;
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  const size_t slash = p.rfind('/');
  const std::string parent = slash == std::string::npos ? "." : p.substr(0, slash);
  out.name = slash == std::string::npos ? p : p.substr(slash + 1);
  if (parent.empty() || p[0] == '/') return ERR_NOTCAPABLE;  // absolute
  if (out.name == "..") return ERR_NOTCAPABLE;
  if (out.name == "." || out.name.empty()) return ERR_INVAL;
  const int fd = open_beneath(dir.host, parent, O_PATH | O_DIRECTORY, 0);
  if (fd < 0) return errno_of(fd);
  out.fd = fd;
  return ERR_SUCCESS;
}

Reply path_filestat_get(WasiHost::Process& p, const Request& r) {
  FdEntry* dir;
  if (auto e = directory(p, r.arg32(0), RIGHT_PATH_FILESTAT_GET, false, dir)) return Reply::error(e);
  const std::string path = path_at(r, 0, r.arg32(3));
  if (path.empty()) return Reply::error(ERR_NOENT);
  if (has_nul(path)) return Reply::error(ERR_INVAL);
  const bool follow = (r.arg32(1) & LOOKUP_SYMLINK_FOLLOW) != 0;
  const int fd = open_beneath(dir->host, path, O_PATH | (follow ? 0 : O_NOFOLLOW), 0);
  if (fd < 0) return Reply::error(errno_of(fd));
  struct stat st;
  const int rc = ::fstat(fd, &st);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return Reply::error(errno_of(err));
  Reply reply;
  reply.write_value(r.arg32(4), filestat_of(st));
  return reply;
}

namespace {

// mkdir, rmdir, unlink: fd, path, path_len.
template <typename Op>
Reply on_name(WasiHost::Process& p, const Request& r, uint64_t right, Op op) {
  FdEntry* dir;
  if (auto e = directory(p, r.arg32(0), right, true, dir)) return Reply::error(e);
  Parent parent;
  if (auto e = resolve_parent(*dir, path_at(r, 0, r.arg32(2)), parent)) return Reply::error(e);
  if (op(parent.fd, parent.name.c_str()) != 0) return Reply::error(errno_of(errno));
  return Reply{};
}

}  // namespace

Reply path_create_directory(WasiHost::Process& p, const Request& r) {
  return on_name(p, r, RIGHT_PATH_CREATE_DIRECTORY, [](int fd, const char* n) { return ::mkdirat(fd, n, 0777); });
}

Reply path_remove_directory(WasiHost::Process& p, const Request& r) {
  return on_name(p, r, RIGHT_PATH_REMOVE_DIRECTORY,
                 [](int fd, const char* n) { return ::unlinkat(fd, n, AT_REMOVEDIR); });
}

Reply path_unlink_file(WasiHost::Process& p, const Request& r) {
  return on_name(p, r, RIGHT_PATH_UNLINK_FILE, [](int fd, const char* n) { return ::unlinkat(fd, n, 0); });
}

Reply path_rename(WasiHost::Process& p, const Request& r) {
  FdEntry *from, *to;
  if (auto e = directory(p, r.arg32(0), RIGHT_PATH_RENAME_SOURCE, true, from)) return Reply::error(e);
  if (auto e = directory(p, r.arg32(3), RIGHT_PATH_RENAME_TARGET, true, to)) return Reply::error(e);
  const uint32_t old_len = r.arg32(2);
  Parent a, b;
  if (auto e = resolve_parent(*from, path_at(r, 0, old_len), a)) return Reply::error(e);
  if (auto e = resolve_parent(*to, path_at(r, old_len, r.arg32(5)), b)) return Reply::error(e);
  if (::renameat(a.fd, a.name.c_str(), b.fd, b.name.c_str()) != 0) return Reply::error(errno_of(errno));
  return Reply{};
}

Reply path_readlink(WasiHost::Process& p, const Request& r) {
  FdEntry* dir;
  if (auto e = directory(p, r.arg32(0), RIGHT_PATH_READLINK, false, dir)) return Reply::error(e);
  Parent parent;
  if (auto e = resolve_parent(*dir, path_at(r, 0, r.arg32(2)), parent)) return Reply::error(e);
  std::vector<char> buf(kReplyDataMax);
  const ssize_t n = ::readlinkat(parent.fd, parent.name.c_str(), buf.data(), buf.size());
  if (n < 0) return Reply::error(errno_of(errno));
  const uint32_t len = std::min<uint32_t>(static_cast<uint32_t>(n), r.arg32(4));
  Reply reply;
  reply.write(r.arg32(3), buf.data(), len);
  reply.write_value(r.arg32(5), len);
  return reply;
}

uint16_t path_open_prepare(WasiHost::Process& p, const Request& r, int& dirfd, std::string& path, open_how& how,
                           FdEntry& entry) {
  // path_open(fd, dirflags, path, path_len, oflags, rights_base, rights_inheriting, fdflags, fd_out)
  FdEntry* dir;
  if (auto e = directory(p, r.arg32(0), RIGHT_PATH_OPEN, false, dir)) return e;
  path = path_at(r, 0, r.arg32(3));
  if (path.empty()) return ERR_NOENT;
  if (has_nul(path)) return ERR_INVAL;
  const uint32_t oflags = r.arg32(4) & 0xffff, fdflags = r.arg32(7) & 0xffff;
  const uint64_t rights = r.args[5] & dir->inheriting, inheriting = r.args[6] & dir->inheriting;
  const bool creates = (oflags & (OFLAG_CREAT | OFLAG_TRUNC)) != 0;
  if (dir->read_only && (creates || (fdflags & FDFLAG_APPEND))) return ERR_NOTCAPABLE;
  if ((oflags & OFLAG_CREAT) && !(dir->rights & RIGHT_PATH_CREATE_FILE)) return ERR_NOTCAPABLE;
  const bool reads = (rights & (RIGHT_FD_READ | RIGHT_FD_READDIR)) != 0;
  const bool writes = (rights & RIGHT_FD_WRITE) != 0 && !dir->read_only;
  uint64_t flags = writes ? (reads ? O_RDWR : O_WRONLY) : O_RDONLY;
  if (oflags & OFLAG_DIRECTORY) flags = O_RDONLY | O_DIRECTORY;
  if (oflags & OFLAG_CREAT) flags |= O_CREAT;
  if (oflags & OFLAG_EXCL) flags |= O_EXCL;
  if (oflags & OFLAG_TRUNC) flags |= O_TRUNC;
  if (fdflags & FDFLAG_APPEND) flags |= O_APPEND;
  if (!(r.arg32(1) & LOOKUP_SYMLINK_FOLLOW)) flags |= O_NOFOLLOW;
  how = open_how{};
  how.flags = flags | O_CLOEXEC;
  how.mode = (flags & O_CREAT) ? 0666 : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  dirfd = dir->host;
  entry = FdEntry{};
  entry.owned = true;
  entry.fdflags = static_cast<uint16_t>(fdflags);
  entry.rights = dir->read_only ? rights & ~RIGHTS_WRITING : rights;
  entry.inheriting = dir->read_only ? inheriting & ~RIGHTS_WRITING : inheriting;
  entry.read_only = dir->read_only;
  return ERR_SUCCESS;
}

}  // namespace gpuos::io::wasi_detail

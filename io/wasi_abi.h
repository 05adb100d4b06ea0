// wasi_abi.h: the WASI preview1 values the host side needs (errno, file
// types, flags, rights, struct layouts in guest memory), from the
// witx definitions of wasi_snapshot_preview1. Guest-facing only; the
// request protocol with the kernel is shaders/abi_io.h.
#pragma once

#include <cstdint>

namespace gpuos::io::wasi {

// errno, as ERR_<name> (only the ones gpuos returns; errno_from_linux maps the rest)
enum Errno : uint16_t {
  ERR_SUCCESS = 0,
  ERR_2BIG = 1,
  ERR_ACCES = 2,
  ERR_AGAIN = 6,
  ERR_BADF = 8,
  ERR_BUSY = 10,
  ERR_CANCELED = 11,  // a kill cancelled the operation (the process never sees it: it ends)
  ERR_EXIST = 20,
  ERR_FAULT = 21,
  ERR_FBIG = 22,
  ERR_INTR = 27,
  ERR_INVAL = 28,
  ERR_IO = 29,
  ERR_ISDIR = 31,
  ERR_LOOP = 32,
  ERR_MFILE = 33,
  ERR_NAMETOOLONG = 37,
  ERR_NFILE = 41,
  ERR_NOENT = 44,
  ERR_NOMEM = 48,
  ERR_NOSPC = 51,
  ERR_NOSYS = 52,
  ERR_NOTDIR = 54,
  ERR_NOTEMPTY = 55,
  ERR_NOTSUP = 58,
  ERR_NOTTY = 59,
  ERR_PERM = 63,
  ERR_PIPE = 64,
  ERR_ROFS = 69,
  ERR_SPIPE = 70,
  ERR_XDEV = 75,
  ERR_NOTCAPABLE = 76,
};
Errno errno_from_linux(int e);  // e > 0

enum Filetype : uint8_t {
  FT_UNKNOWN = 0,
  FT_BLOCK_DEVICE = 1,
  FT_CHARACTER_DEVICE = 2,
  FT_DIRECTORY = 3,
  FT_REGULAR_FILE = 4,
  FT_SOCKET_DGRAM = 5,
  FT_SOCKET_STREAM = 6,
  FT_SYMBOLIC_LINK = 7,
};

// oflags
constexpr uint16_t OFLAG_CREAT = 1, OFLAG_DIRECTORY = 2, OFLAG_EXCL = 4, OFLAG_TRUNC = 8;
// fdflags
constexpr uint16_t FDFLAG_APPEND = 1, FDFLAG_DSYNC = 2, FDFLAG_NONBLOCK = 4, FDFLAG_RSYNC = 8, FDFLAG_SYNC = 16;
// lookupflags
constexpr uint32_t LOOKUP_SYMLINK_FOLLOW = 1;
// whence
constexpr uint8_t WHENCE_SET = 0, WHENCE_CUR = 1, WHENCE_END = 2;
// clockid
constexpr uint32_t CLOCKID_REALTIME = 0, CLOCKID_MONOTONIC = 1, CLOCKID_PROCESS_CPUTIME = 2, CLOCKID_THREAD_CPUTIME = 3;
// eventtype (poll_oneoff)
constexpr uint8_t EVENTTYPE_CLOCK = 0, EVENTTYPE_FD_READ = 1, EVENTTYPE_FD_WRITE = 2;
constexpr uint16_t SUBCLOCK_ABSTIME = 1;

// rights
constexpr uint64_t RIGHT_FD_DATASYNC = 1ull << 0, RIGHT_FD_READ = 1ull << 1, RIGHT_FD_SEEK = 1ull << 2,
                   RIGHT_FD_FDSTAT_SET_FLAGS = 1ull << 3, RIGHT_FD_SYNC = 1ull << 4, RIGHT_FD_TELL = 1ull << 5,
                   RIGHT_FD_WRITE = 1ull << 6, RIGHT_FD_ADVISE = 1ull << 7, RIGHT_FD_ALLOCATE = 1ull << 8,
                   RIGHT_PATH_CREATE_DIRECTORY = 1ull << 9, RIGHT_PATH_CREATE_FILE = 1ull << 10,
                   RIGHT_PATH_LINK_SOURCE = 1ull << 11, RIGHT_PATH_LINK_TARGET = 1ull << 12,
                   RIGHT_PATH_OPEN = 1ull << 13, RIGHT_FD_READDIR = 1ull << 14, RIGHT_PATH_READLINK = 1ull << 15,
                   RIGHT_PATH_RENAME_SOURCE = 1ull << 16, RIGHT_PATH_RENAME_TARGET = 1ull << 17,
                   RIGHT_PATH_FILESTAT_GET = 1ull << 18, RIGHT_PATH_FILESTAT_SET_SIZE = 1ull << 19,
                   RIGHT_PATH_FILESTAT_SET_TIMES = 1ull << 20, RIGHT_FD_FILESTAT_GET = 1ull << 21,
                   RIGHT_FD_FILESTAT_SET_SIZE = 1ull << 22, RIGHT_FD_FILESTAT_SET_TIMES = 1ull << 23,
                   RIGHT_PATH_SYMLINK = 1ull << 24, RIGHT_PATH_REMOVE_DIRECTORY = 1ull << 25,
                   RIGHT_PATH_UNLINK_FILE = 1ull << 26, RIGHT_POLL_FD_READWRITE = 1ull << 27,
                   RIGHT_SOCK_SHUTDOWN = 1ull << 28;
constexpr uint64_t RIGHTS_ALL = (1ull << 29) - 1;
// What a read-only preopen (and everything opened under it) may do.
constexpr uint64_t RIGHTS_WRITING = RIGHT_FD_DATASYNC | RIGHT_FD_WRITE | RIGHT_FD_ALLOCATE |
                                    RIGHT_PATH_CREATE_DIRECTORY | RIGHT_PATH_CREATE_FILE | RIGHT_PATH_LINK_TARGET |
                                    RIGHT_PATH_RENAME_SOURCE | RIGHT_PATH_RENAME_TARGET |
                                    RIGHT_PATH_FILESTAT_SET_SIZE | RIGHT_PATH_FILESTAT_SET_TIMES |
                                    RIGHT_FD_FILESTAT_SET_SIZE | RIGHT_FD_FILESTAT_SET_TIMES | RIGHT_PATH_SYMLINK |
                                    RIGHT_PATH_REMOVE_DIRECTORY | RIGHT_PATH_UNLINK_FILE | RIGHT_FD_SYNC;

// Guest-memory layouts (little-endian, natural alignment).
struct Fdstat {  // 24 bytes
  uint8_t filetype;
  uint8_t _pad0;
  uint16_t flags;
  uint32_t _pad1;
  uint64_t rights_base;
  uint64_t rights_inheriting;
};
static_assert(sizeof(Fdstat) == 24);

struct Filestat {  // 64 bytes
  uint64_t dev, ino;
  uint8_t filetype;
  uint8_t _pad[7];
  uint64_t nlink, size, atim, mtim, ctim;
};
static_assert(sizeof(Filestat) == 64);

struct Prestat {  // 8 bytes: tag 0 (dir), then the name's length
  uint8_t tag;
  uint8_t _pad[3];
  uint32_t name_len;
};
static_assert(sizeof(Prestat) == 8);

struct DirentHeader {  // 24 bytes, then the name (not NUL-terminated)
  uint64_t next;
  uint64_t ino;
  uint32_t namlen;
  uint8_t type;
  uint8_t _pad[3];
};
static_assert(sizeof(DirentHeader) == 24);

struct Subscription {  // 48 bytes
  uint64_t userdata;
  uint8_t tag;  // eventtype
  uint8_t _pad[7];
  // clock: id u32, pad, timeout u64, precision u64, flags u16; fd: fd u32
  uint32_t clock_id;
  uint32_t _pad1;
  uint64_t timeout;
  uint64_t precision;
  uint16_t flags;
  uint8_t _pad2[6];
};
static_assert(sizeof(Subscription) == 48);

struct Event {  // 32 bytes
  uint64_t userdata;
  uint16_t error;
  uint8_t type;
  uint8_t _pad[5];
  uint64_t nbytes;
  uint16_t rw_flags;
  uint8_t _pad2[6];
};
static_assert(sizeof(Event) == 32);

}  // namespace gpuos::io::wasi

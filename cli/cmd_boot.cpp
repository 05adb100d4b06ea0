// `gpuos boot`: the session daemon. It takes the session's lock (so a second
// boot of the same name is refused), removes a stale socket, boots the
// Session, serves the control socket, and runs until `gpuos shutdown`, a
// signal, or a session failure (then it exits non-zero).
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/json_out.h"
#include "kernel/control/paths.h"
#include "kernel/control/server.h"

namespace gpuos::cli {

namespace {

std::atomic<int> g_signal{0};
void on_signal(int sig) { g_signal = sig; }

// Reports readiness from a detached child to the waiting parent.
struct ReadyPipe {
  int fd = -1;
  void send(const std::string& msg) {
    if (fd < 0) return;
    (void)!::write(fd, msg.data(), msg.size());
    ::close(fd);
    fd = -1;
  }
};

int boot_error(ReadyPipe& ready, const std::string& lock_path, int code, const std::string& msg) {
  ::unlink(lock_path.c_str());  // still held by us: nobody else can be using it
  report_error("gpuos: %s\n", msg.c_str());
  ready.send(fmt::format("{}:{}", code, msg));
  return code;
}

int exit_for_session_error(SessionError e) {
  switch (e) {
    case SessionError::Device: return EXIT_NO_DEVICE;
    case SessionError::BadArgument: return EXIT_ERROR;
    default: return EXIT_FAILED;
  }
}

}  // namespace

int cmd_boot(const BootArgs& a) {
  auto paths = control::session_paths(a.session);
  if (!paths) {
    report_error("gpuos: %s\n", paths.detail().c_str());
    return EXIT_ERROR;
  }
  // Never through a symlink, and only a regular file of ours: the pid is
  // written into it (cmd_boot truncates it), so a planted link must not
  // lead anywhere else (paths.h).
  auto lock = control::open_session_file(paths->dir, a.session + ".lock", O_RDWR | O_CREAT);
  if (!lock) {
    report_error("gpuos: %s\n", lock.detail().c_str());
    return EXIT_ERROR;
  }
  const int lock_fd = lock.value();
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    char pid[32] = {};
    (void)!::pread(lock_fd, pid, sizeof(pid) - 1, 0);
    report_error("gpuos: session '%s' is already running (pid %s, socket %s)\n", a.session.c_str(),
                 pid[0] ? pid : "?", paths->socket.c_str());
    return EXIT_ERROR;
  }
  // We hold the lock, so a socket file left here belongs to a dead daemon.
  if (::unlink(paths->socket.c_str()) == 0) {
    std::fprintf(stderr, "gpuos: removed the stale socket of an earlier session '%s'\n", a.session.c_str());
  }

  ReadyPipe ready;
  if (a.detach) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      report_error("gpuos: pipe: %s\n", std::strerror(errno));
      return EXIT_ERROR;
    }
    const pid_t child = ::fork();
    if (child < 0) {
      report_error("gpuos: fork: %s\n", std::strerror(errno));
      return EXIT_ERROR;
    }
    if (child > 0) {  // parent: report what the daemon says, then leave
      ::close(fds[1]);
      char msg[1024] = {};
      const ssize_t n = ::read(fds[0], msg, sizeof(msg) - 1);
      if (n <= 0) {
        report_error("gpuos: the session daemon died while booting (see %s)\n", paths->log.c_str());
        return EXIT_FAILED;
      }
      const std::string m(msg, static_cast<size_t>(n));
      const size_t colon = m.find(':');
      const int code = std::atoi(m.substr(0, colon).c_str());
      if (code == EXIT_OK) {
        std::printf("%s\n", m.substr(colon + 1).c_str());
      } else {
        report_error("gpuos: %s\n", m.substr(colon + 1).c_str());
      }
      return code;
    }
    ::close(fds[0]);
    ready.fd = fds[1];
    ::setsid();
    // A log made afresh (the old one, or whatever was planted at its name,
    // is removed, not followed or truncated).
    auto log = control::open_session_file(paths->dir, a.session + ".log", O_WRONLY, /*fresh=*/true);
    if (!log) return boot_error(ready, paths->lock, EXIT_ERROR, log.detail());
    const int log_fd = log.value();
    const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
  }
  const std::string pid_text = std::to_string(::getpid());
  (void)!::ftruncate(lock_fd, 0);
  (void)!::pwrite(lock_fd, pid_text.data(), pid_text.size(), 0);

  auto session = Session::boot(a.options);
  if (!session) return boot_error(ready, paths->lock, exit_for_session_error(session.code()), session.detail());
  Session& s = *session.value();
  auto server = control::ControlServer::start(s, a.session, paths->socket);
  if (!server) return boot_error(ready, paths->lock, EXIT_ERROR, server.detail());

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const auto st = s.status();
  const std::string up = fmt::format("session '{}' up: device {} ({}), {} mode, socket {}", a.session,
                                     st.device_index, st.device_name, to_string(st.mode), paths->socket);
  std::printf("gpuos: %s\n", up.c_str());
  std::fflush(stdout);
  ready.send(fmt::format("0:{}", up));

  while (!server.value()->shutdown_requested() && !s.failed() && g_signal == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  int code = EXIT_OK;
  if (s.failed()) {
    report_error("gpuos: session '%s' failed: %s\n", a.session.c_str(), s.failure().c_str());
    code = EXIT_FAILED;
  } else if (g_signal != 0) {
    std::printf("gpuos: signal %d: shutting down session '%s'\n", g_signal.load(), a.session.c_str());
  }
  const auto stopped = s.shutdown();
  // A request still running after the grace period (the server says so)
  // must not keep the daemon, and with it the session's lock, alive.
  const bool server_clean = server.value()->stop(std::chrono::milliseconds(3000));
  ::unlink(paths->lock.c_str());
  if (code != EXIT_OK || !server_clean) {
    if (!server_clean) {
      std::fprintf(stderr, "gpuos: session '%s': a client request was still running; exiting without it\n",
                   a.session.c_str());
    }
    // A hung dispatch may still hold driver threads (or a worker a
    // request); don't let exit-time destructors wait for them.
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(code);
  }
  if (code == EXIT_OK) {
    std::printf("gpuos: session '%s' stopped (kernel stopped in %lld us)\n", a.session.c_str(),
                static_cast<long long>(stopped.count()));
  }
  std::fflush(stdout);
  return code;
}

}  // namespace gpuos::cli

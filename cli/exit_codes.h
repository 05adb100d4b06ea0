// Exit codes of the `gpuos` command (docs/cli.md, "Exit codes", lists them too).
//
// Two families. The verbs that run no program (boot, info, status, ping,
// tail, emit, shutdown, spawn, kill, ps, stats) keep 1..4, which scripts
// already test for. The verbs whose status is a program's (run, wait,
// suite) pass that status through unchanged, so their own failures take
// docker's codes, which a program rarely uses and a shell user can tell
// apart: 125 gpuos failed, 126 the module cannot run, 127 no such module,
// and 128 + N for what a shell shows as a signal (a trap as SIGABRT).
#pragma once

namespace gpuos::cli {

// The verbs that run no program.
inline constexpr int EXIT_OK = 0;
inline constexpr int EXIT_ERROR = 1;       // bad arguments, or the session refused the request
inline constexpr int EXIT_NO_SESSION = 2;  // no such session, or it is not answering
inline constexpr int EXIT_FAILED = 3;      // the session failed: kernel hang, device lost
inline constexpr int EXIT_NO_DEVICE = 4;   // no Vulkan loader, driver or usable device

// run, wait, suite: anything else is the program's own status.
inline constexpr int EXIT_GPUOS = 125;       // gpuos's own failure: bad arguments, no session, no device,
                                             // the session failed (the message says which)
inline constexpr int EXIT_CANNOT_RUN = 126;  // the module cannot be run: unreadable, not a module, invalid, refused
inline constexpr int EXIT_NOT_FOUND = 127;   // the module file does not exist
inline constexpr int EXIT_INTERRUPTED = 130; // `suite`: Ctrl-C (128 + SIGINT)
inline constexpr int EXIT_TRAPPED = 134;     // the WebAssembly code trapped (128 + SIGABRT, as a shell shows a crash)
inline constexpr int EXIT_KILLED = 137;      // `wait`: the process was killed (128 + SIGKILL)
inline constexpr int EXIT_SIGPIPE = 141;     // `run`: the reader of its output went away (128 + SIGPIPE)

// A program's exit status as a shell sees it: the low 8 bits, as exit(2)
// passes them natively (a WASI status is 32 bits).
inline int program_status(unsigned status) { return static_cast<int>(status & 0xffu); }

}  // namespace gpuos::cli

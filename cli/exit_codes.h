// Exit codes of the `gpuos` command (docs/cli.md lists them too).
#pragma once

namespace gpuos::cli {

inline constexpr int EXIT_OK = 0;
inline constexpr int EXIT_ERROR = 1;       // bad arguments, or the session refused the request
inline constexpr int EXIT_NO_SESSION = 2;  // no such session, or it is not answering
inline constexpr int EXIT_FAILED = 3;      // the session failed: kernel hang, device lost
inline constexpr int EXIT_NO_DEVICE = 4;   // no Vulkan loader, driver or usable device
inline constexpr int EXIT_TRAP = 5;        // `gpuos run`: the WebAssembly code trapped
inline constexpr int EXIT_SIGPIPE = 141;   // `gpuos run`: the reader of its output went away (128 + SIGPIPE)

}  // namespace gpuos::cli

// Helpers shared by the control server's source files (server.cpp,
// event_loop.cpp and proc_verbs.cpp); not part of the server's interface.
#pragma once

#include <string>

#include "kernel/session.h"

namespace gpuos::control::detail {

// {"ok":false,"schema":1,"error":msg}
std::string error_reply(const std::string& msg);
// An error that comes from the session itself: says whether it has failed
// (hang, device lost), so the CLI can exit with "session failed".
std::string session_error_reply(const std::string& verb, Session& s, const std::string& detail);

}  // namespace gpuos::control::detail

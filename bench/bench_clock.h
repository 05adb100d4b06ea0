// What every benchmark stamps on its results: the UTC time of the run, in
// ISO 8601 ("2026-11-21T20:36:17Z"), as bench/RESULTS.md records it.
#pragma once

#include <ctime>
#include <string>

namespace gpuos::bench {

inline std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace gpuos::bench

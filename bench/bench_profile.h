// The lane-time profile, shared by the benchmarks that take --profile
// (gpuos_bench_procs, gpuos_bench_io): with the GPUOS_PROFILE kernel, the
// share of all lane time each part of the main loop took between two
// process-table snapshots (SysHeader.prof; shaders/lib/profile.glsl).
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "kernel/session.h"
#include "shaders/abi.h"

namespace gpuos::bench {

inline uint64_t prof(const ProcSnapshot& s, uint32_t k) {
  return uint64_t{s.header.prof[2 * k]} | (uint64_t{s.header.prof[2 * k + 1]} << 32);
}

// Where lane time went between two snapshots: each part's share of all lane
// time in the main loop, the mean time of one main-loop iteration, and the
// mean time per quantum of the parts a quantum runs (for a process that
// makes one host call per quantum, such as the null-call benchmark's, the
// GPU's share of each call).
inline nlohmann::json profile_between(const ProcSnapshot& a, const ProcSnapshot& b) {
  using namespace gpuos::abi;
  static const std::pair<uint32_t, const char*> kTimes[] = {
      {PROF_HOUSE, "house"}, {PROF_SCAN_HIT, "scan_hit"}, {PROF_SCAN_MISS, "scan_miss"}, {PROF_BOOT, "boot"},
      {PROF_RUN, "run"},     {PROF_SPAWN, "run.spawn"},   {PROF_HEAP, "run.heap"},       {PROF_EXIT, "exit"},
      {PROF_NOTIFY, "notify"}, {PROF_SCHED, "sched"}, {PROF_REQUEST, "run.request"}, {PROF_TAKE, "house.take"}};
  const double loop = double(prof(b, PROF_LOOP) - prof(a, PROF_LOOP));
  const uint64_t quanta = prof(b, PROF_QUANTA) - prof(a, PROF_QUANTA);
  nlohmann::json shares = nlohmann::json::object(), per_quantum = nlohmann::json::object();
  double accounted = 0;
  for (const auto& [k, name] : kTimes) {
    const double v = double(prof(b, k) - prof(a, k));
    shares[name] = loop > 0 ? v / loop : 0.0;
    if (k != PROF_SPAWN && k != PROF_HEAP && k != PROF_REQUEST && k != PROF_TAKE) accounted += v;  // parts of others
    if (k == PROF_RUN || k == PROF_SCHED || k == PROF_BOOT || k == PROF_EXIT || k == PROF_NOTIFY ||
        k == PROF_REQUEST || k == PROF_TAKE) {
      per_quantum[name] = quanta ? v / double(quanta) / 1e3 : 0.0;
    }
  }
  shares["other"] = loop > 0 ? (loop - accounted) / loop : 0.0;  // loop overhead: checks, beats, accounting
  const uint64_t iterations = prof(b, PROF_ITERATIONS) - prof(a, PROF_ITERATIONS);
  return {{"lane_seconds", loop / 1e9},
          {"shares", shares},
          {"iterations", iterations},
          {"mean_iteration_us", iterations ? loop / double(iterations) / 1e3 : 0.0},
          {"per_quantum_us", per_quantum},
          {"quanta", quanta},
          {"empty_scans", prof(b, PROF_MISSES) - prof(a, PROF_MISSES)}};
}

// Runs `measure`, which returns a JSON object. With `on`, adds to it
// "profile": where lane time went between snapshots taken around it.
template <class Measure>
nlohmann::json profiled(Session& s, bool on, Measure&& measure) {
  std::optional<ProcSnapshot> before;
  if (on) {
    if (auto snap = s.snapshot(); snap.ok()) before = std::move(snap.value());
  }
  nlohmann::json r = measure();
  if (before && r.is_object()) {
    if (auto after = s.snapshot(); after.ok()) r["profile"] = profile_between(*before, *after);
  }
  return r;
}

inline void print_profile(const char* what, const nlohmann::json& p) {
  std::string line;
  for (const auto& [name, v] : p["shares"].items()) line += fmt::format(" {} {:.1f}%", name, 100.0 * v.get<double>());
  line += ";\n        per quantum (us):";
  for (const auto& [name, v] : p["per_quantum_us"].items()) line += fmt::format(" {} {:.2f}", name, v.get<double>());
  std::printf("profile %-10s %.2f lane-s, %llu iterations (mean %.2f us), %llu quanta, %llu empty scans:%s\n", what,
              p["lane_seconds"].get<double>(), p["iterations"].get<unsigned long long>(),
              p["mean_iteration_us"].get<double>(), p["quanta"].get<unsigned long long>(),
              p["empty_scans"].get<unsigned long long>(), line.c_str());
}

}  // namespace gpuos::bench

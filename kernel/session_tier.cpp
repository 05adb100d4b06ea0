// session_tier.cpp: the compiled tier inside the persistent kernel
// (Session::load_program's `tier`; docs/compiled-tier.md, "Inside the
// kernel").
//
// A program asked to be compiled waits as LoadedProgram::jit == Queued. The
// tier thread builds one kernel variant with the code of every program that
// is queued or already in the kernel (procs/jit/kernel_variant.h), creates
// its pipeline, and leaves it in pending_variant_. The service thread
// installs it before its next launch (install_pending_variant): a live
// kernel is parked first, as for a loader's relaunch, so every process is
// between quanta and none is disturbed. Then the programs' ProgramDesc.jit
// is set, and their processes that start from then on run compiled.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "kernel/session.h"
#include "procs/jit/kernel_variant.h"

namespace gpuos {
namespace {

using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

}  // namespace

const char* to_string(Tier t) {
  switch (t) {
    case Tier::Interp: return "interp";
    case Tier::Compiled: return "compiled";
    case Tier::Auto: return "auto";
  }
  return "?";
}

std::optional<Tier> parse_tier(std::string_view s) {
  if (s == "interp") return Tier::Interp;
  if (s == "compiled") return Tier::Compiled;
  if (s == "auto") return Tier::Auto;
  return std::nullopt;
}

const char* to_string(JitState s) {
  switch (s) {
    case JitState::None: return "interp";
    case JitState::Queued: return "compiling";
    case JitState::InKernel: return "compiled";
    case JitState::Failed: return "interp (compile failed)";
  }
  return "?";
}

void Session::request_compile(uint32_t id) {
  {
    std::lock_guard lock(programs_mu_);
    LoadedProgram& p = programs_[id];
    if (p.interp_only || p.jit != JitState::None) return;  // asked for already (or done)
    p.jit = JitState::Queued;
  }
  std::lock_guard lock(tier_mu_);
  if (!tier_thread_.joinable() && !tier_stop_) tier_thread_ = std::thread([this] { tier_loop(); });
  if (first_queued_at_ == Clock::time_point{}) first_queued_at_ = Clock::now();
  tier_work_ = true;
  tier_cv_.notify_all();
}

JitState Session::program_jit(uint32_t id, std::string* failure) const {
  std::lock_guard lock(programs_mu_);
  if (id >= programs_.size() || !programs_[id].prog) return JitState::None;
  if (failure) *failure = programs_[id].jit_failure;
  return programs_[id].jit;
}

TierStats Session::tier_stats() const {
  std::lock_guard lock(tier_mu_);
  return tier_stats_;
}

Result<void, SessionError> Session::wait_compiled(uint32_t id) {
  // The driver's compile of a variant takes about as long as the kernel's
  // own (a minute or more on lavapipe with a cold cache: docs/platform.md 2e).
  const auto until = Clock::now() + std::chrono::minutes(15);
  std::unique_lock lock(tier_mu_);
  for (;;) {
    std::string why;
    const JitState st = program_jit(id, &why);
    if (st == JitState::InKernel) return {};
    if (st == JitState::Failed) return fail(SessionError::BadArgument, "the compiled tier cannot run it: " + why);
    if (st != JitState::Queued) return fail(SessionError::BadArgument, "no compile was asked for");
    if (failed_.load()) return fail(SessionError::Failed, failure());
    if (Clock::now() >= until) return fail(SessionError::Timeout, "its compile did not finish within 15 minutes");
    tier_cv_.wait_for(lock, 200ms);
  }
}

void Session::tier_loop() {
  jit::KernelVariantOptions vopts;
  vopts.defines = kernel_defines_;
  const uint32_t max_kib = opts_.jit_max_glsl_kib != 0                  ? opts_.jit_max_glsl_kib
                           : ctx_->info().is_lavapipe()                 ? BootOptions::kJitLavapipeMaxKib
                                                                        : 0u;
  vopts.max_glsl_bytes = uint64_t{max_kib} * 1024u;
  for (;;) {
    {
      std::unique_lock lock(tier_mu_);
      tier_cv_.wait(lock, [&] { return tier_stop_ || tier_work_; });
      // Programs loaded together (a suite's apps, a test's guests) come a
      // few ms apart: gather them into one variant, not one variant each.
      do {
        tier_work_ = false;
        tier_cv_.wait_for(lock, 100ms, [&] { return tier_stop_ || tier_work_; });
      } while (tier_work_ && !tier_stop_);
      if (tier_stop_) return;
    }
    // The variant's programs: every queued one and every one in the kernel.
    std::vector<std::pair<uint32_t, std::shared_ptr<const procs::ProcessProgram>>> set;
    std::vector<uint32_t> queued;
    {
      std::lock_guard lock(programs_mu_);
      for (uint32_t i = 0; i < programs_.size(); ++i) {
        const LoadedProgram& p = programs_[i];
        if (!p.prog || (p.jit != JitState::Queued && p.jit != JitState::InKernel)) continue;
        if (p.jit == JitState::Queued) queued.push_back(i);
        set.emplace_back(i, p.prog);
      }
    }
    if (queued.empty()) continue;
    const auto is_queued = [&](uint32_t id) { return std::find(queued.begin(), queued.end(), id) != queued.end(); };
    auto fail_program = [&](uint32_t id, const std::shared_ptr<const procs::ProcessProgram>& prog,
                            const std::string& why) {
      {
        std::lock_guard lock(programs_mu_);
        LoadedProgram& p = programs_[id];
        if (p.prog != prog) return;
        p.jit = JitState::Failed;
        p.jit_failure = why;
      }
      spdlog::warn("compiled tier: {} stays on the interpreter: {}", prog->name, why);
      std::lock_guard lock(tier_mu_);
      tier_stats_.failures++;
      tier_stats_.last_failure = prog->name + ": " + why;
      tier_cv_.notify_all();
    };
    // A program the translator refuses, or too large for the limit alone,
    // fails alone; the rest go on.
    for (auto it = set.begin(); it != set.end();) {
      if (is_queued(it->first)) {
        std::string why;
        if (auto m = jit::emit_module(it->second->image); !m) {
          why = m.detail();
        } else if (vopts.max_glsl_bytes != 0 && m->glsl.size() > vopts.max_glsl_bytes) {
          why = fmt::format("its generated code of {} KiB exceeds this device's limit of {} KiB{}",
                            m->glsl.size() / 1024, max_kib,
                            opts_.jit_max_glsl_kib == 0 ? " (lavapipe's: llvmpipe compiles large code very slowly)" : "");
        }
        if (!why.empty()) {
          fail_program(it->first, it->second, why);
          it = set.erase(it);
          continue;
        }
      }
      ++it;
    }
    if (std::none_of(set.begin(), set.end(), [&](const auto& e) { return is_queued(e.first); })) continue;

    std::vector<jit::VariantProgram> programs;
    for (const auto& [id, prog] : set) programs.push_back({id, &prog->image});
    auto compiled = jit::compile_kernel_variant(programs, vopts);
    auto fail_queued = [&](const std::string& why) {
      for (const auto& [id, prog] : set) {
        if (is_queued(id)) fail_program(id, prog, why);
      }
    };
    if (!compiled) {
      fail_queued(compiled.detail());
      continue;
    }
    const auto t0 = Clock::now();
    auto pipeline = KernelPipeline::create(*ctx_, bindings_, kernel_workgroups_, compiled->spirv);
    const double pipeline_ms = ms_between(t0, Clock::now());
    if (!pipeline) {
      fail_queued(fmt::format("the driver refused the kernel variant: {}", pipeline.detail()));
      continue;
    }
    spdlog::info("compiled tier: a kernel variant of {} programs ({} blocks, {} KiB of GLSL): emit {:.0f} ms, "
                 "glslang {:.0f} ms, pipeline {:.0f} ms",
                 set.size(), compiled->blocks, compiled->glsl.size() / 1024, compiled->emit_ms, compiled->glslang_ms,
                 pipeline_ms);
    auto variant = std::make_unique<KernelVariant>();
    variant->pipeline = std::move(pipeline.value());
    variant->programs = std::move(set);
    {
      std::lock_guard lock(tier_mu_);
      variant->queued_at = first_queued_at_;
      first_queued_at_ = Clock::time_point{};
      tier_stats_.emit_ms += compiled->emit_ms;
      tier_stats_.glslang_ms += compiled->glslang_ms;
      tier_stats_.pipeline_ms += pipeline_ms;
      pending_variant_ = std::move(variant);  // a newer one holds everything an older one did
    }
    relaunch_wanted_ = true;
    post_work();
  }
}

Result<void, SessionError> Session::install_pending_variant() {
  std::unique_ptr<KernelVariant> v;
  {
    std::lock_guard lock(tier_mu_);
    v = std::move(pending_variant_);
  }
  if (!v) return {};
  const auto t0 = Clock::now();
  pipeline_ = std::move(v->pipeline);  // the old one is not running: its launch has ended
  // llvmpipe compiles at the first dispatch: pay it in a launch whose lanes
  // leave at once, as at boot (GPUs compiled at the pipeline's creation).
  if (auto r = warm_up(); !r) return r;
  std::vector<std::string> names;
  {
    std::lock_guard lock(programs_mu_);
    for (const auto& [id, prog] : v->programs) {
      LoadedProgram& p = programs_[id];
      if (p.prog != prog) continue;  // unloaded meanwhile
      procs_->set_program_jit(id, true);
      if (p.jit == JitState::Queued) names.push_back(prog->name);
      p.jit = JitState::InKernel;
    }
  }
  const auto now = Clock::now();
  std::lock_guard lock(tier_mu_);
  tier_stats_.variants++;
  tier_stats_.programs_compiled += static_cast<uint32_t>(names.size());
  tier_stats_.install_ms += ms_between(t0, now);
  tier_stats_.last_variant_ms = ms_between(v->queued_at, now);
  for (const std::string& n : names) spdlog::info("compiled tier: {} runs compiled from now on", n);
  tier_cv_.notify_all();
  return {};
}

void Session::stop_tier() {
  {
    std::lock_guard lock(tier_mu_);
    tier_stop_ = true;
    tier_cv_.notify_all();
  }
  if (tier_thread_.joinable()) tier_thread_.join();
  std::lock_guard lock(tier_mu_);
  pending_variant_.reset();
}

}  // namespace gpuos

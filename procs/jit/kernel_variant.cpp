// kernel_variant.cpp: see kernel_variant.h.
#include "procs/jit/kernel_variant.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <set>


namespace gpuos::jit {
namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

Result<KernelVariant, CompileError> compile_kernel_variant(std::span<const VariantProgram> programs,
                                                           const KernelVariantOptions& options) {
  KernelVariant out;
  const auto t0 = std::chrono::steady_clock::now();
  std::string bodies, dispatch;
  std::set<uint16_t> numeric_ops;
  uint32_t registers = 0;
  for (const VariantProgram& p : programs) {
    EmitOptions eo;
    eo.max_register_slots = options.max_register_slots;
    eo.prefix = fmt::format("p{}", p.id);
    auto m = emit_module(*p.image, eo);
    if (!m) return fail(CompileError::Emit, fmt::format("program {}: {}", p.id, m.detail()));
    bodies += m->body;
    numeric_ops.insert(m->numeric_ops.begin(), m->numeric_ops.end());
    registers = std::max(registers, m->registers);
    out.blocks += m->blocks;
    dispatch += fmt::format("    case {0}u: p{0}_run(budget); break;\n", p.id);
  }
  auto prelude = emit_prelude(registers, numeric_ops);
  if (!prelude) return fail(CompileError::Emit, prelude.detail());
  out.glsl = fmt::format(
      "{}\n{}\n"
      "// Runs the bound process's program (kernel_variant.h).\n"
      "void jit_run_program(uint prog, uint budget) {{\n"
      "  switch (prog) {{\n{}"
      "    default: trap_ = VM_TRAP_BAD_STATE; break;  // no code for it in this variant\n"
      "  }}\n}}\n",
      *prelude, bodies, dispatch);
  out.emit_ms = ms_since(t0);
  if (auto r = check_generated_size(out.glsl.size(), options.max_glsl_bytes); !r) return fail(r.code(), r.detail());
  std::vector<std::string> defines = options.defines;
  defines.push_back("PROC_JIT");
  auto spirv = compile_with_generated("kernel.comp", std::move(defines), out.glsl, out.glslang_ms);
  if (!spirv) return fail(spirv.code(), spirv.detail());
  out.spirv = std::move(spirv.value());
  return out;
}

}  // namespace gpuos::jit

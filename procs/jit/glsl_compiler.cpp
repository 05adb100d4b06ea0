// glsl_compiler.cpp: see glsl_compiler.h.
#include "procs/jit/glsl_compiler.h"

#include <glslang/Public/ResourceLimits.h>
#include <glslang/Public/ShaderLang.h>
#include <glslang/SPIRV/GlslangToSpv.h>

#include <algorithm>
#include <mutex>

#include "shaders/embedded.h"

namespace gpuos::jit {
namespace {

// glslang keeps process-wide tables; InitializeProcess must run once before
// any shader, and its compiler objects are not meant to be used from two
// threads at once, so compiles are serialised.
std::mutex& glslang_mutex() {
  static std::mutex m;
  static const bool initialised = glslang::InitializeProcess();
  (void)initialised;
  return m;
}

std::string_view find_embedded(std::string_view path) {
  for (const shaders::SourceFile& f : shaders::glsl_sources) {
    if (f.path == path) return f.text;
  }
  return {};
}

// Resolves "vm/interp.glsl"-style names, relative to shaders/ as -I gives
// them at build time, generated files first.
class Includer : public glslang::TShader::Includer {
 public:
  explicit Includer(const GlslInput& in) : in_(in) {}

  IncludeResult* includeLocal(const char* name, const char*, size_t) override { return find(name); }
  IncludeResult* includeSystem(const char* name, const char*, size_t) override { return find(name); }
  void releaseInclude(IncludeResult* r) override { delete r; }

 private:
  IncludeResult* find(const std::string& name) {
    for (const auto& [path, text] : in_.generated) {
      if (path == name) return new IncludeResult(name, text.data(), text.size(), nullptr);
    }
    const std::string_view text = find_embedded(name);
    if (text.data() == nullptr) return nullptr;  // glslang reports the missing include
    return new IncludeResult(name, text.data(), text.size(), nullptr);
  }
  const GlslInput& in_;
};

}  // namespace

Result<std::vector<uint32_t>, GlslError> compile_glsl(const GlslInput& in) {
  std::string source;
  if (auto g = std::find_if(in.generated.begin(), in.generated.end(), [&](const auto& f) { return f.first == in.main_path; });
      g != in.generated.end()) {
    source = g->second;
  } else {
    const std::string_view text = find_embedded(in.main_path);
    if (text.data() == nullptr) return fail(GlslError::MissingSource, "no shader source " + in.main_path);
    source = text;
  }
  std::string preamble;
  for (const std::string& d : in.defines) {
    const size_t sp = d.find(' ');
    preamble += "#define " + (sp == std::string::npos ? d + " 1" : d) + "\n";
  }

  std::lock_guard<std::mutex> lock(glslang_mutex());
  glslang::TShader shader(EShLangCompute);
  const char* text = source.c_str();
  const char* name = in.main_path.c_str();
  shader.setStringsWithLengthsAndNames(&text, nullptr, &name, 1);
  shader.setPreamble(preamble.c_str());
  shader.setEnvInput(glslang::EShSourceGlsl, EShLangCompute, glslang::EShClientVulkan, 100);
  shader.setEnvClient(glslang::EShClientVulkan, glslang::EShTargetVulkan_1_2);
  shader.setEnvTarget(glslang::EShTargetSpv, glslang::EShTargetSpv_1_5);
  Includer includer(in);
  const auto messages = static_cast<EShMessages>(EShMsgSpvRules | EShMsgVulkanRules);
  if (!shader.parse(GetDefaultResources(), 460, false, messages, includer)) {
    return fail(GlslError::Parse, in.main_path + ": " + shader.getInfoLog());
  }
  glslang::TProgram program;
  program.addShader(&shader);
  if (!program.link(messages)) return fail(GlslError::Link, in.main_path + ": " + program.getInfoLog());
  std::vector<uint32_t> spirv;
  glslang::SpvOptions options;
  options.generateDebugInfo = false;
  options.disableOptimizer = true;  // as the build's glslangValidator -V: the driver optimises
  glslang::GlslangToSpv(*program.getIntermediate(EShLangCompute), spirv, &options);
  return spirv;
}

}  // namespace gpuos::jit

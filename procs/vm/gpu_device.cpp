// gpu_device.cpp: Vulkan bring-up and launches for the VM interpreter: a
// vk::ComputePipeline with nine bindings and push constants, re-recorded per
// launch (the push constants change).
#include "procs/vm/gpu_device.h"

#include <fmt/format.h>

#include "shaders/embedded.h"

namespace gpuos::vm::gpu {
namespace {

// Where interpreter buffers live: device-local and mapped where the device
// has it (the GPU reads code and slots at every instruction), else host memory.
constexpr VkMemoryPropertyFlags kDL = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
constexpr VkMemoryPropertyFlags kHV = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;

}  // namespace

Result<std::unique_ptr<VmDevice>, std::string> VmDevice::create() {
  auto inst = vk::Instance::create();
  if (!inst) return fail(std::string(), "no Vulkan: " + inst.detail());
  auto sel = vk::select_device(inst.value()->devices(), std::nullopt);
  if (!sel) return fail(std::string(), "no Vulkan device: " + sel.detail());
  const vk::DeviceInfo& d = inst.value()->devices()[sel->chosen];
  if (!d.features.shader_int64 || !d.features.shader_float64) {
    return fail(std::string(), d.name + " lacks shaderInt64/shaderFloat64");
  }
  auto ctx = vk::Context::create(std::move(inst.value()), sel->chosen);
  if (!ctx) return fail(std::string(), ctx.detail());
  std::unique_ptr<VmDevice> p(new VmDevice());
  p->ctx_ = std::move(ctx.value());
  const auto spirv = p->info().is_lavapipe() ? shaders::vm_run_relaxed : shaders::vm_run;
  auto pipeline = vk::ComputePipeline::create(*p->ctx_, spirv, VM_NUM_BINDINGS, sizeof(VmPush));
  if (!pipeline) return fail(std::string(), pipeline.detail());
  p->pipelines_[kInterpreter] = std::move(pipeline.value());
  // Every binding needs a buffer before the first descriptor update.
  for (uint32_t b = 0; b < VM_NUM_BINDINGS; ++b) {
    if (auto e = p->ensure(b, 256); !e) return fail(std::string(), e.detail());
  }
  return p;
}

VmDevice::~VmDevice() {
  if (!ctx_) return;
  ctx_->vk().DeviceWaitIdle(ctx_->device());
  pipelines_.clear();
  for (vk::Buffer& b : bufs_) {
    if (b.buffer) ctx_->destroy_buffer(b);
  }
}

Result<bool, std::string> VmDevice::ensure(uint32_t b, VkDeviceSize bytes) {
  bytes = (bytes + 255) & ~VkDeviceSize{255};
  if (bufs_[b].buffer && bufs_[b].size >= bytes) return false;
  if (bufs_[b].buffer) ctx_->destroy_buffer(bufs_[b]);
  auto buf = ctx_->create_buffer(bytes, {kDL | kHV, kHV});
  if (!buf) return fail(std::string(), fmt::format("binding {}: {}", b, buf.detail()));
  bufs_[b] = buf.value();
  for (auto& [id, p] : pipelines_) p->bind(b, bufs_[b]);
  return true;
}

Result<uint32_t, std::string> VmDevice::add_pipeline(std::span<const uint32_t> spirv) {
  auto pipeline = vk::ComputePipeline::create(*ctx_, spirv, VM_NUM_BINDINGS, sizeof(VmPush));
  if (!pipeline) return fail(std::string(), pipeline.detail());
  for (uint32_t b = 0; b < VM_NUM_BINDINGS; ++b) pipeline.value()->bind(b, bufs_[b]);
  const uint32_t id = next_id_++;
  pipelines_[id] = std::move(pipeline.value());
  return id;
}

void VmDevice::remove_pipeline(uint32_t id) {
  if (id == kInterpreter) return;
  pipelines_.erase(id);
  launched_.erase(id);
}

Result<void, std::string> VmDevice::launch(const VmPush& push, uint32_t id) {
  auto it = pipelines_.find(id);
  if (it == pipelines_.end()) return fail(std::string(), "no pipeline " + std::to_string(id));
  vk::ComputePipeline* pipeline = it->second.get();
  // Push constants change per launch, so the dispatch is recorded each time.
  if (auto r = pipeline->record((push.num_lanes + 63) / 64, std::as_bytes(std::span(&push, 1))); !r) {
    return fail(std::string(), r.detail());
  }
  if (auto r = pipeline->submit(); !r) return fail(std::string(), r.detail());
  // Host-coherent memory: after the fence the host sees the GPU's writes.
  // A pipeline's first launch may wait longer: llvmpipe compiles a shader at
  // its first dispatch, and a large compiled image (names.wast's, 258 KiB of
  // GLSL) took over 60 s there on a loaded 2-core machine.
  const bool first = !launched_[id];
  launched_[id] = true;
  const auto limit = std::chrono::seconds(first ? 600 : 60);
  auto done = pipeline->wait(limit);
  if (!done) return fail(std::string(), done.detail());
  if (!done.value()) return fail(std::string(), fmt::format("a VM launch did not finish within {} s", limit.count()));
  return {};
}

}  // namespace gpuos::vm::gpu

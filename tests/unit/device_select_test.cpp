// vk::select_device on synthetic surveys: no Vulkan needed.
#include <gtest/gtest.h>

#include "tests/unit/scoped_env.h"

#include <cstdlib>
#include <optional>
#include <set>
#include <string>

#include "kernel/vk/device.h"

namespace gpuos::vk {
namespace {

using gpuos::testing_env::ScopedEnv;

DeviceInfo dev(uint32_t index, VkPhysicalDeviceType type, std::string name, bool vm_ready = true,
               std::string unusable = "") {
  DeviceInfo d;
  d.index = index;
  d.type = type;
  d.name = std::move(name);
  d.compute_queue_family = 0;
  d.features.shader_int64 = vm_ready;
  d.features.shader_float64 = vm_ready;
  d.features.buffer_device_address = vm_ready;
  d.features.vulkan_memory_model = vm_ready;
  d.unusable_reason = std::move(unusable);
  return d;
}

constexpr auto DISCRETE = VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU;
constexpr auto INTEGRATED = VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU;
constexpr auto VIRTUAL = VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU;
constexpr auto CPU = VK_PHYSICAL_DEVICE_TYPE_CPU;

// Every test runs without a GPUOS_DEVICE from the caller's shell.
class SelectDevice : public ::testing::Test {
 protected:
  ScopedEnv no_env_{"GPUOS_DEVICE", nullptr};

  static void expect_every_other_device_has_a_reason(const std::vector<DeviceInfo>& devs, const Selection& s) {
    ASSERT_EQ(s.passed_over.size(), devs.size() - 1);
    std::set<uint32_t> seen;
    for (const auto& [index, reason] : s.passed_over) {
      EXPECT_NE(index, s.chosen);
      EXPECT_FALSE(reason.empty()) << "device " << index << " passed over without a reason";
      seen.insert(index);
    }
    EXPECT_EQ(seen.size(), devs.size() - 1) << "a device is listed twice or not at all";
  }
};

TEST_F(SelectDevice, DiscreteBeatsIntegratedBeatsCpu) {
  const std::vector<DeviceInfo> devs = {dev(0, CPU, "llvmpipe"), dev(1, INTEGRATED, "iGPU"),
                                        dev(2, DISCRETE, "dGPU"), dev(3, VIRTUAL, "vGPU")};
  auto s = select_device(devs, std::nullopt);
  ASSERT_TRUE(s.ok()) << s.detail();
  EXPECT_EQ(s->chosen, 2u);
  EXPECT_NE(s->why_chosen.find("discrete"), std::string::npos) << s->why_chosen;
  expect_every_other_device_has_a_reason(devs, *s);

  const std::vector<DeviceInfo> no_discrete = {dev(0, CPU, "llvmpipe"), dev(1, VIRTUAL, "vGPU"),
                                               dev(2, INTEGRATED, "iGPU")};
  auto s2 = select_device(no_discrete, std::nullopt);
  ASSERT_TRUE(s2.ok()) << s2.detail();
  EXPECT_EQ(s2->chosen, 2u);
  expect_every_other_device_has_a_reason(no_discrete, *s2);

  const std::vector<DeviceInfo> cpu_last = {dev(0, CPU, "llvmpipe"), dev(1, VIRTUAL, "vGPU")};
  auto s3 = select_device(cpu_last, std::nullopt);
  ASSERT_TRUE(s3.ok()) << s3.detail();
  EXPECT_EQ(s3->chosen, 1u) << "a virtual GPU comes before a CPU implementation";
}

TEST_F(SelectDevice, CpuOnlyMachineGetsLavapipe) {
  const std::vector<DeviceInfo> devs = {dev(0, CPU, "llvmpipe")};
  auto s = select_device(devs, std::nullopt);
  ASSERT_TRUE(s.ok()) << s.detail();
  EXPECT_EQ(s->chosen, 0u);
  EXPECT_TRUE(s->passed_over.empty());
  EXPECT_FALSE(s->why_chosen.empty());
}

TEST_F(SelectDevice, UnusableDevicesAreSkippedWithTheirReason) {
  const std::vector<DeviceInfo> devs = {dev(0, DISCRETE, "old dGPU", true, "Vulkan 1.1 (1.2 is required)"),
                                        dev(1, INTEGRATED, "iGPU"), dev(2, DISCRETE, "no-compute", true, "no compute queue")};
  auto s = select_device(devs, std::nullopt);
  ASSERT_TRUE(s.ok()) << s.detail();
  EXPECT_EQ(s->chosen, 1u);
  expect_every_other_device_has_a_reason(devs, *s);
  for (const auto& [index, reason] : s->passed_over) {
    EXPECT_EQ(reason, devs[index].unusable_reason) << "an unusable device must carry its own reason";
  }
}

TEST_F(SelectDevice, VmReadyBreaksTiesWithinAType) {
  const std::vector<DeviceInfo> devs = {dev(0, DISCRETE, "no fp64", false), dev(1, DISCRETE, "full")};
  auto s = select_device(devs, std::nullopt);
  ASSERT_TRUE(s.ok()) << s.detail();
  EXPECT_EQ(s->chosen, 1u);
  expect_every_other_device_has_a_reason(devs, *s);
  EXPECT_NE(s->passed_over[0].second.find("feature"), std::string::npos) << s->passed_over[0].second;
}

TEST_F(SelectDevice, EnumerationOrderBreaksFullTies) {
  const std::vector<DeviceInfo> devs = {dev(0, DISCRETE, "gpu0"), dev(1, DISCRETE, "gpu1")};
  auto s = select_device(devs, std::nullopt);
  ASSERT_TRUE(s.ok()) << s.detail();
  EXPECT_EQ(s->chosen, 0u);
  expect_every_other_device_has_a_reason(devs, *s);
}

TEST_F(SelectDevice, RequestedDeviceWins) {
  const std::vector<DeviceInfo> devs = {dev(0, DISCRETE, "dGPU"), dev(1, CPU, "llvmpipe")};
  auto s = select_device(devs, 1u);
  ASSERT_TRUE(s.ok()) << s.detail();
  EXPECT_EQ(s->chosen, 1u);
  expect_every_other_device_has_a_reason(devs, *s);
}

TEST_F(SelectDevice, RequestedOutOfRangeIsRejected) {
  const std::vector<DeviceInfo> devs = {dev(0, DISCRETE, "dGPU"), dev(1, CPU, "llvmpipe")};
  auto s = select_device(devs, 5u);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), VkError::DeviceRejected);
  EXPECT_NE(s.detail().find("device 5"), std::string::npos) << s.detail();
  EXPECT_NE(s.detail().find("2"), std::string::npos) << "the message should say how many devices exist: "
                                                     << s.detail();
  auto edge = select_device(devs, 2u);
  ASSERT_FALSE(edge.ok()) << "index == count is out of range";
  EXPECT_EQ(edge.code(), VkError::DeviceRejected);
}

TEST_F(SelectDevice, RequestedUnusableDeviceIsRejected) {
  const std::vector<DeviceInfo> devs = {dev(0, DISCRETE, "dGPU"), dev(1, DISCRETE, "old", true, "Vulkan 1.0 (1.2 is required)")};
  auto s = select_device(devs, 1u);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), VkError::DeviceRejected);
  EXPECT_NE(s.detail().find("device 1"), std::string::npos) << s.detail();
  EXPECT_NE(s.detail().find("1.2 is required"), std::string::npos) << "the reason must be in the message: " << s.detail();
}

TEST_F(SelectDevice, GpuosDeviceEnvIsHonoured) {
  const std::vector<DeviceInfo> devs = {dev(0, DISCRETE, "dGPU"), dev(1, CPU, "llvmpipe")};
  ScopedEnv env("GPUOS_DEVICE", "1");
  auto s = select_device(devs, std::nullopt);
  ASSERT_TRUE(s.ok()) << s.detail();
  EXPECT_EQ(s->chosen, 1u);
  expect_every_other_device_has_a_reason(devs, *s);
}

TEST_F(SelectDevice, ExplicitRequestOverridesEnv) {
  const std::vector<DeviceInfo> devs = {dev(0, DISCRETE, "dGPU"), dev(1, CPU, "llvmpipe")};
  ScopedEnv env("GPUOS_DEVICE", "not-a-number");
  auto s = select_device(devs, 0u);
  ASSERT_TRUE(s.ok()) << "--device must win over GPUOS_DEVICE: " << s.detail();
  EXPECT_EQ(s->chosen, 0u);
}

TEST_F(SelectDevice, EmptyEnvIsIgnored) {
  const std::vector<DeviceInfo> devs = {dev(0, CPU, "llvmpipe"), dev(1, DISCRETE, "dGPU")};
  ScopedEnv env("GPUOS_DEVICE", "");
  auto s = select_device(devs, std::nullopt);
  ASSERT_TRUE(s.ok()) << s.detail();
  EXPECT_EQ(s->chosen, 1u);
}

TEST_F(SelectDevice, NonNumericEnvIsRejected) {
  const std::vector<DeviceInfo> devs = {dev(0, DISCRETE, "dGPU")};
  for (const char* bad : {"abc", "1x", "0.5", "1 "}) {
    ScopedEnv env("GPUOS_DEVICE", bad);
    auto s = select_device(devs, std::nullopt);
    ASSERT_FALSE(s.ok()) << "GPUOS_DEVICE='" << bad << "' was accepted";
    EXPECT_EQ(s.code(), VkError::DeviceRejected);
    EXPECT_NE(s.detail().find("GPUOS_DEVICE"), std::string::npos) << s.detail();
    EXPECT_NE(s.detail().find(bad), std::string::npos) << s.detail();
  }
}

TEST_F(SelectDevice, EnvOutOfRangeIsRejected) {
  const std::vector<DeviceInfo> devs = {dev(0, DISCRETE, "dGPU"), dev(1, CPU, "llvmpipe")};
  ScopedEnv env("GPUOS_DEVICE", "7");
  auto s = select_device(devs, std::nullopt);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), VkError::DeviceRejected);
  EXPECT_NE(s.detail().find("device 7"), std::string::npos) << s.detail();
}

// A number too large for 32 bits must not wrap around to a valid index:
// GPUOS_DEVICE=4294967296 is not device 0, and -1 is not an index at all.
TEST_F(SelectDevice, EnvTooLargeOrNegativeIsRejected) {
  const std::vector<DeviceInfo> devs = {dev(0, DISCRETE, "dGPU"), dev(1, CPU, "llvmpipe")};
  for (const char* bad : {"4294967296", "4294967297", "-1", "18446744073709551616"}) {
    ScopedEnv env("GPUOS_DEVICE", bad);
    auto s = select_device(devs, std::nullopt);
    EXPECT_FALSE(s.ok()) << "GPUOS_DEVICE='" << bad << "' selected device " << (s.ok() ? s->chosen : 0u);
    if (!s.ok()) {
      EXPECT_EQ(s.code(), VkError::DeviceRejected) << bad;
    }
  }
}

TEST_F(SelectDevice, NoUsableDeviceListsEveryReason) {
  const std::vector<DeviceInfo> devs = {dev(0, DISCRETE, "old dGPU", true, "Vulkan 1.1 (1.2 is required)"),
                                        dev(1, CPU, "weird", true, "no compute queue")};
  auto s = select_device(devs, std::nullopt);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), VkError::NoDevice);
  for (const auto& d : devs) {
    EXPECT_NE(s.detail().find(d.name), std::string::npos) << s.detail();
    EXPECT_NE(s.detail().find(d.unusable_reason), std::string::npos) << s.detail();
  }
}

TEST_F(SelectDevice, EmptySurveyIsNoDevice) {
  auto s = select_device({}, std::nullopt);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), VkError::NoDevice);
  auto r = select_device({}, 0u);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), VkError::DeviceRejected);
}

TEST(DeviceInfo, HostVisibleDeviceLocalNeedsAllThreeFlags) {
  DeviceInfo d;
  d.memory_types.push_back({0, 0, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, 1 << 30});
  d.memory_types.push_back({1, 1, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, 1 << 30});
  EXPECT_FALSE(d.has_device_local_host_visible());
  d.memory_types.push_back({2, 0,
                            VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT | VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                            256 << 20});
  EXPECT_TRUE(d.has_device_local_host_visible());
}

TEST(DeviceInfo, Names) {
  EXPECT_STREQ(device_type_name(VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU), "discrete GPU");
  EXPECT_STREQ(device_type_name(VK_PHYSICAL_DEVICE_TYPE_CPU), "CPU");
  EXPECT_EQ(memory_flags_string(0), "0");
  EXPECT_EQ(memory_flags_string(VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT | VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                VK_MEMORY_PROPERTY_HOST_COHERENT_BIT),
            "DEVICE_LOCAL|HOST_VISIBLE|HOST_COHERENT");
  EXPECT_STREQ(to_string(VkError::DeviceRejected), "device rejected");
}

}  // namespace
}  // namespace gpuos::vk

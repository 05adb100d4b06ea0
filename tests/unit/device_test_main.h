// device_test_main.h: the main() of a test binary that needs a Vulkan
// device (gpuos_session_tests, gpuos_process_tests). It probes for one
// first: no loader, driver or device means "skipped" (exit 77, which CTest
// shows as skipped), never a silent pass; then it names the device and
// runs every test.
#pragma once

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <optional>

#include "kernel/vk/device.h"

namespace gpuos::device_tests {

// `what`: what the binary tests, for the messages ("session tests").
inline int device_test_main(int argc, char** argv, const char* what) {
  ::testing::InitGoogleTest(&argc, argv);
  spdlog::set_level(spdlog::level::warn);
  auto inst = vk::Instance::create();
  if (!inst) {
    std::printf("SKIP: no Vulkan device for the %s (%s): %s\n", what, vk::to_string(inst.code()),
                inst.detail().c_str());
    return 77;
  }
  auto sel = vk::select_device(inst.value()->devices(), std::nullopt);
  if (!sel) {
    if (sel.code() == vk::VkError::NoDevice) {
      std::printf("SKIP: %s\n", sel.detail().c_str());
      return 77;
    }
    std::printf("device selection failed: %s\n", sel.detail().c_str());
    return 1;
  }
  const auto& d = inst.value()->devices()[sel->chosen];
  std::printf("%s on device %u: %s (%s, driver %s)\n", what, d.index, d.name.c_str(), vk::device_type_name(d.type),
              d.driver_name.c_str());
  inst.value().reset();
  return RUN_ALL_TESTS();
}

}  // namespace gpuos::device_tests

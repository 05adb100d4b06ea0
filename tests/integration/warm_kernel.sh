#!/bin/bash
# Fixture for every test that boots a session: has the driver compile the
# persistent kernel once (gpuos info boots a session briefly), so that Mesa's
# shader cache holds it before the tests run side by side with their own,
# shorter time limits. On lavapipe a cold compile of the kernel takes about a
# minute of CPU (docs/platform.md 2e).
# Setup, not a test: with no device there is nothing to warm, and it says so.
GPUOS=$1
start=$(date +%s)
out=$(timeout 900 "$GPUOS" info 2>&1)
rc=$?
if [ $rc -eq 4 ]; then
  echo "no Vulkan device: nothing to warm (the device tests will skip)"
  exit 0
fi
echo "$out" | tail -3
echo "kernel compiled and cached in $(( $(date +%s) - start )) s (exit $rc)"
exit $rc

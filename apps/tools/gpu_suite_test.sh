#!/usr/bin/env bash
# apps.suite (CTest): runs every app suite (SUITES_DIR/*/suite.json) on the
# GPU with `gpuos suite` and fails if any case fails. Without a usable
# Vulkan device (`gpuos info --no-probe` exits 4, EXIT_NO_DEVICE; `suite`
# itself says 125 for any failure of its own) it exits 77, which CTest
# reports as skipped, and says why.
#
# usage: gpu_suite_test.sh GPUOS APPS_DIR SUITES_DIR [SHADER_CACHE_DIR]
#   SHADER_CACHE_DIR: Mesa's shader cache when MESA_SHADER_CACHE_DIR is not
#   set already (as `make test` sets it): on lavapipe the first boot
#   compiles the kernel for a minute or more, later boots reuse the cache.
set -u
gpuos=${1:?usage: gpu_suite_test.sh GPUOS APPS_DIR SUITES_DIR [SHADER_CACHE_DIR]}
apps=${2:?}
suites=${3:?}
if [ -z "${MESA_SHADER_CACHE_DIR:-}" ] && [ -n "${4:-}" ]; then
  export MESA_SHADER_CACHE_DIR=$4
fi
# Every process of a suite must be done in this time (the boot is not
# counted); CTest's TIMEOUT (apps/CMakeLists.txt) leaves room for a cold boot.
timeout_s=${GPUOS_SUITE_TIMEOUT:-300}

if ! why=$("$gpuos" info --no-probe 2>&1 >/dev/null); then
  echo "SKIP: no usable Vulkan device (gpuos info: $why)"
  exit 77
fi
rc=0
ran=0
for dir in "$suites"/*/; do
  [ -f "$dir/suite.json" ] || continue
  ran=$((ran + 1))
  # Every instance at once (GPUOS_SUITE_JOBS=N: at most N at a time). Until
  # 2026-11-22 this ran one at a time, because lavapipe cut I/O copies short
  # with many processes at once (docs/platform.md 2g).
  "$gpuos" suite "$dir" --apps-dir "$apps" --timeout "$timeout_s" --jobs "${GPUOS_SUITE_JOBS:-0}"
  r=$?
  case $r in
    0) ;;
    *)
      echo "apps.suite: $dir: gpuos suite exited $r"
      [ "$rc" -eq 0 ] && rc=$r
      ;;
  esac
done
if [ "$ran" -eq 0 ]; then
  echo "apps.suite: no suite.json under $suites"
  exit 1
fi
exit "$rc"

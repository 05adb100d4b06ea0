#!/usr/bin/env bash
# regen.sh: rewrites every suite's expected outputs (the files that the
# manifests name under "expect") from the native builds of the apps, then
# shows what changed. Review the diff by eye before committing it.
#
#   apps/suites/regen.sh [BUILD_DIR]      (default: build/ at the repo root)
#
# The same as `cmake --build BUILD_DIR --target apps_regen`. Exit statuses are
# never rewritten: a case whose app exits otherwise than "expect.exit" says
# fails here and writes nothing.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
if [[ ! -f $build/CMakeCache.txt ]]; then
  echo "regen.sh: $build is not a configured build dir (cmake -S $root -B $build -G Ninja)" >&2
  exit 2
fi
cmake --build "$build" --target apps_regen
git -C "$root" status --short -- apps/suites

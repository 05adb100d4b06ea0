#!/usr/bin/env bash
# `make run`: the product in one short run on the best device present (a GPU
# when there is one, else lavapipe, the CPU's Vulkan driver):
#   1. boot a session (the kernel stays resident on the device);
#   2. start programs as GPU processes: the seed's charcount, wc, sha256sum,
#      hello x4 and a mandelbrot that runs long enough to be seen;
#   3. `gpuos ps` while they run;
#   4. each program's output, as it would print natively;
#   5. the mailbox round trip (`ping`), the process and heap counters
#      (`stats`) and the session's ring and I/O figures (`status`);
#   6. shut down.
# Usage: demo.sh [GPUOS [APPS_DIR]]; APPS_DIR defaults to the apps/ folder
# next to the binary's cli/ folder (build/apps). Exits non-zero if a step fails.
set -euo pipefail
gpuos=${1:-build/cli/gpuos}
apps=${2:-$(cd "$(dirname "$gpuos")/.." && pwd)/apps}
here=$(cd "$(dirname "$0")/.." && pwd)
session=demo-$$
work=$(mktemp -d)
cleanup() {
  "$gpuos" shutdown --session "$session" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }

for app in charcount wc sha256sum hello mandelbrot; do
  [ -f "$apps/$app.wasm" ] || { echo "demo: $apps/$app.wasm is missing (build the default target)" >&2; exit 1; }
done
# The programs' inputs (small: the VM is an interpreter, and on lavapipe its
# lanes are the CPU's), in a folder they see as their own ".".
cp "$here/apps/suites/basic/input/unicode.txt" "$work/input.txt"
cp "$here/apps/suites/basic/input/words.txt" "$work/words.txt"

step "the device"
info=$("$gpuos" info --no-probe)
echo "$info" | head -n 12
# mandelbrot runs long enough to be seen in `ps`: a small image on a CPU
# device (lavapipe, a few seconds), a larger one on a GPU.
if grep -q "^\* device.*(CPU)" <<<"$info"; then mandel=(32 16 m.ppm 64); else mandel=(128 64 m.ppm 500); fi

step "boot a session (a first boot compiles the kernel: a minute or more on lavapipe; cached afterwards)"
t0=$(date +%s%N)
"$gpuos" boot --session "$session" --detach
echo "booted in $(( ($(date +%s%N) - t0) / 1000000 )) ms"

step "start programs as GPU processes (gpuos spawn prints their pids)"
spawn() {  # spawn NAME OUTFILE [spawn options] -- ARGS
  local name=$1 out=$2; shift 2
  "$gpuos" spawn --session "$session" --stdout "$work/$out" --stderr "$work/$out" --dir "$work:." \
    "$apps/$name.wasm" "$@"
}
pids=()
for p in $(spawn mandelbrot mandelbrot.out -- "${mandel[@]}"); do pids+=("$p"); echo "mandelbrot  pid $p"; done
for p in $(spawn charcount charcount.out -- input.txt); do pids+=("$p"); echo "charcount   pid $p"; done
for p in $(spawn wc wc.out -- -l -w words.txt input.txt); do pids+=("$p"); echo "wc          pid $p"; done
for p in $(spawn sha256sum sha256sum.out -- input.txt); do pids+=("$p"); echo "sha256sum   pid $p"; done
for p in $(spawn hello hello.out -n 4 -- GPU); do pids+=("$p"); echo "hello       pid $p"; done

step "gpuos ps, while they run"
"$gpuos" ps --session "$session"

step "wait for each (gpuos wait exits with the program's status, as a shell would see it)"
failed=0
for p in "${pids[@]}"; do
  "$gpuos" wait --session "$session" --timeout 120 "$p" || failed=$((failed + 1))
done

step "their output"
for f in charcount wc sha256sum hello mandelbrot; do
  echo "-- $f"
  cat "$work/$f.out"
done
[ -s "$work/m.ppm" ] && echo "-- mandelbrot wrote m.ppm: $(head -c 2 "$work/m.ppm") image, $(wc -c <"$work/m.ppm") bytes"

step "the mailbox: host -> kernel -> host round trips"
"$gpuos" ping --session "$session" -n 200
step "process and heap counters (gpuos stats)"
"$gpuos" stats --session "$session" | head -n 6
step "the session: device, kernel, debug ring, I/O (gpuos status)"
"$gpuos" status --session "$session"

"$gpuos" shutdown --session "$session"
trap 'rm -rf "$work"' EXIT
if [ "$failed" -ne 0 ]; then
  echo "demo: $failed of ${#pids[@]} programs did not exit 0" >&2
  exit 1
fi

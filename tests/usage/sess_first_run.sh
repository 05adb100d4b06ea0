#!/usr/bin/env bash
# Issue 19 item 11: a first run says what it does. A cold start compiles the
# kernel for a minute or more on lavapipe; it used to do so in silence, and
# `gpuos -v run` showed no diagnostics (run reset the log level to warn).
#   1. on a terminal (script(1) gives the run a pty), a cold start shows one
#      line that counts the seconds ("compiling the kernel for DEVICE (first
#      run; cached afterwards) ... N s", redrawn with \r), then "compiled the
#      kernel for DEVICE in N s", and the program runs;
#   2. elsewhere (a file), a cold start prints a start line on stderr and no
#      \r; stopped once the line is there (the done line is the same code as
#      in 1, less the \r);
#   3. a warm start with the cache of 1 prints nothing about compiling;
#   4. `gpuos run -v PROG` and `gpuos -v run PROG` log the device and the
#      kernel's mode; `gpuos run PROG` does not.
# Cold means an empty MESA_SHADER_CACHE_DIR of the test's own (gpuos keeps no
# cache of its own). Step 1 pays a full compile of the kernel, ~115 s of CPU:
# about 2-3 minutes for the whole test on an idle 2-core machine; 164-406 s
# for the compile alone when measured (2026-12-07) on one that three others
# were building on.
source "$(dirname "$0")/../fault/lib.sh" "$@"
need_device
need_guest wasi_sess_busy
PROG="$GUESTS/wasi_sess_busy.wasm"
unset MESA_SHADER_CACHE_DISABLE
mkdir -p "$WORK/cache" "$WORK/cache-file"

# Steps 1 and 2 are about lavapipe, whose compile of the kernel takes minutes
# and which MESA_SHADER_CACHE_DIR makes cold. A GPU driver compiles it in
# about a second, under the 3 s after which gpuos says anything, and keeps a
# cache of its own: there they are skipped, visibly.
if "$GPUOS" info --no-probe 2>/dev/null | grep -q '^\* device.*(CPU)'; then
  # 1. Cold, on a terminal: the whole run.
  if ! command -v script >/dev/null; then
    echo "FAIL: script(1) (util-linux) is needed to give the run a terminal"
    exit 1
  fi
  t0=$(date +%s)
  LAST_OUT=$(MESA_SHADER_CACHE_DIR="$WORK/cache" timeout 590 script -qfec \
    "'$GPUOS' run --no-cwd '$PROG' 1" /dev/null 2>&1)
  rc=$?
  echo "  (cold run: $(( $(date +%s) - t0 )) s; $(grep -o $'compiled the kernel[^\r]*' <<<"$LAST_OUT" | head -1))"
  [ "$rc" -eq 42 ]; check "cold tty: the program runs (exit 42, got $rc)" $?
  contains "cold tty: the compile is announced" "gpuos: compiling the kernel for "
  contains "cold tty: ... as a first-run cost" "(first run; cached afterwards) ..."
  # Redrawn in place: a carriage return before later counts ("... 7 s").
  grep -qE $'\r''gpuos: compiling the kernel for .* \.\.\. [0-9]+ s' <<<"$LAST_OUT"
  check "cold tty: the line counts the seconds in place" $?
  contains "cold tty: its end, with the time" "gpuos: compiled the kernel for "
  contains "cold tty: the program's output" "hash "

  # 2. Cold, not a terminal: the start line, then stopped.
  MESA_SHADER_CACHE_DIR="$WORK/cache-file" "$GPUOS" run --no-cwd "$PROG" 1 >"$WORK/file.out" 2>"$WORK/file.err" &
  pid=$!
  poll 300 grep -q "compiling the kernel" "$WORK/file.err"
  check "cold file: the compile is announced" $?
  kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  LAST_OUT=$(cat "$WORK/file.err")
  contains "cold file: as one line, a first-run cost" "(first run; cached afterwards; minutes on a CPU device) ..."
  lacks "cold file: no carriage returns off a terminal" $'\r'
  lacks "cold file: no log lines without -v" "\[info\]"
else
  echo "SKIP steps 1-2 (the cold compile's announcement): not a CPU device; $("$GPUOS" info --no-probe 2>/dev/null | grep -m1 '^\* device')"
fi

# 3. Warm: the same cache.
t0=$(date +%s)
expect_rc 42 "warm: the program runs" -- env MESA_SHADER_CACHE_DIR="$WORK/cache" timeout "$T" "$GPUOS" run --no-cwd "$PROG" 1
echo "  (warm run: $(( $(date +%s) - t0 )) s)"
lacks "warm: nothing about compiling" "compiling the kernel|compiled the kernel"

# 4. -v, after the verb and before it.
for form in "run -v" "-v run"; do
  # shellcheck disable=SC2086
  expect_rc 42 "$form: the program runs" -- env MESA_SHADER_CACHE_DIR="$WORK/cache" timeout "$T" "$GPUOS" $form --no-cwd "$PROG" 1
  contains "$form: logs the device" "[info] device 0: "
  contains "$form: logs the kernel's mode" "[info] kernel: "
  contains "$form: the program's output" "hash "
done
finish

#!/usr/bin/env bash
# Issue 19 item 11: a first run says what it does. A cold start compiles the
# kernel for a minute or more on lavapipe; it used to do so in silence, and
# `gpuos -v run` showed no diagnostics (run reset the log level to warn).
#   1. on a terminal, a cold start shows one line that counts the seconds
#      ("compiling the kernel for DEVICE (first run; cached afterwards) ... N s",
#      redrawn with \r); stopped after 8 s, before the compile ends;
#   2. elsewhere (a pipe), a cold start prints a start line and a done line on
#      stderr, no \r, and the program then runs;
#   3. a warm start with the same cache prints nothing about compiling;
#   4. `gpuos run -v PROG` and `gpuos -v run PROG` log the device and the
#      kernel's mode; `gpuos run PROG` does not.
# Cold means an empty MESA_SHADER_CACHE_DIR of the test's own (gpuos keeps no
# cache of its own): step 2 pays a full compile of the kernel, about 70 s on
# an idle 2-core machine and up to four minutes with others building.
source "$(dirname "$0")/../fault/lib.sh" "$@"
need_device
need_guest wasi_sess_busy
PROG="$GUESTS/wasi_sess_busy.wasm"
unset MESA_SHADER_CACHE_DISABLE
mkdir -p "$WORK/cache-tty" "$WORK/cache"

# 1. A terminal (script(1) gives the run a pty).
if command -v script >/dev/null; then
  LAST_OUT=$(MESA_SHADER_CACHE_DIR="$WORK/cache-tty" script -qfec \
    "timeout -s KILL 8 '$GPUOS' run --no-cwd '$PROG' 1" /dev/null 2>&1)
  contains "tty: the compile is announced" "compiling the kernel for "
  contains "tty: it says it is cached afterwards" "(first run; cached afterwards) ..."
  # Redrawn in place: a carriage return before later counts ("... 3 s").
  grep -qE $'\r''gpuos: compiling the kernel for .* \.\.\. [3-9] s' <<<"$LAST_OUT"
  check "tty: the line counts the seconds in place" $?
else
  echo "  (no script(1): the terminal form is not checked)"
fi

# 2. Cold, not a terminal: the whole run.
t0=$(date +%s)
expect_rc 42 "cold: the program runs (exit 42)" -- \
  env MESA_SHADER_CACHE_DIR="$WORK/cache" timeout 590 "$GPUOS" run --no-cwd "$PROG" 1
echo "  (cold run: $(( $(date +%s) - t0 )) s; $(grep -o 'compiled the kernel.*' <<<"$LAST_OUT"))"
contains "cold: the compile is announced" "gpuos: compiling the kernel for "
contains "cold: ... as a first-run cost" "(first run; cached afterwards"
contains "cold: and its end, with the time" "gpuos: compiled the kernel for "
contains "cold: the program's output" "hash "
lacks "cold: no carriage returns off a terminal" $'\r'
lacks "cold: no log lines without -v" "\[info\]"

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

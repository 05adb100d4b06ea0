#!/usr/bin/env bash
# Issue 20, item 6 (and issue 19): no silent loss of output. A program's
# stdout is written by the host (`gpuos run`: its own fd 1; `spawn
# --stdout FILE`: the file). Before the fix a failed write there was
# dropped: the program never knew, `run` exited 0, and `gpuos run yes.wasm
# | head -2` never ended. Now the host's errno reaches the program as its
# next write's error, and `run` exits non-zero (docs/cli.md).
# Asserted:
#   - stdout on /dev/full: the program sees ENOSPC (exit 7 with the message);
#     a program that wrote one line and exited 0 still makes `run` exit 1
#   - stdout closed (>&-): the program sees EBADF
#   - a writer into `head -2`: ends by itself (a 60 s guard), the program sees EPIPE, and
#     `run` exits 141; a writer that ignores every error ends too (killed
#     after the grace, 141); one that stops writing on EPIPE is not killed
#     (it lives on 4 s and says so)
# (io_full_disk.sh: the same on a full file system.)
source "$(dirname "$0")/lib.sh" "$@"
need_device
need_guest wasi_io_writer
W=$GUESTS/wasi_io_writer.wasm

LAST_OUT=$(timeout 60 "$GPUOS" run "$W" -- out 0 2>&1 >/dev/full); LAST_RC=$?
[ "$LAST_RC" -eq 7 ]; check "stdout on /dev/full: the program's write fails (exit $LAST_RC)" $?
contains "... with ENOSPC" "No space left on device"

LAST_OUT=$(timeout 60 "$GPUOS" run "$W" -- out 1 2>&1 >/dev/full); LAST_RC=$?
[ "$LAST_RC" -eq 1 ]; check "one line lost on /dev/full: run exits 1 (exit $LAST_RC)" $?
contains "... and says why" "stdout could not be written: No space left on device"

LAST_OUT=$(timeout 60 "$GPUOS" run "$W" -- out 0 2>&1 >&-); LAST_RC=$?
[ "$LAST_RC" -eq 7 ]; check "stdout closed: the program's write fails (exit $LAST_RC)" $?
contains "... with EBADF" "Bad file descriptor"

# yes | head -2: ends, the program saw EPIPE, run says 141.
start=$(date +%s)
LAST_OUT=$(timeout 60 bash -c '"$1" run "$2" -- out 0 2>"$3"; echo "rc=$?" >>"$3"' _ "$GPUOS" "$W" "$WORK/err" | head -2)
took=$(( $(date +%s) - start ))
# It ended by itself when bash got to its echo; the 60 s guard would have
# killed bash first. (How long it took is shown, not judged: under load a
# lavapipe boot alone can take half a minute.)
grep -q "^rc=" "$WORK/err"; check "a writer into head -2 ends by itself (${took}s)" $?
[ "$LAST_OUT" = $'line 1\nline 2' ]; check "head got its two lines" $?
LAST_OUT=$(cat "$WORK/err")
contains "... the program saw EPIPE" "Broken pipe"
contains "... run exits 141" "rc=141"

start=$(date +%s)
timeout 60 bash -c '"$1" run "$2" -- ignore 2>/dev/null; echo "rc=$?" >"$3"' _ "$GPUOS" "$W" "$WORK/rc" | head -2 >/dev/null
took=$(( $(date +%s) - start ))
grep -q "^rc=" "$WORK/rc"; check "a writer that ignores EPIPE ends too (${took}s)" $?
LAST_OUT=$(cat "$WORK/rc")
contains "... with 141" "rc=141"

timeout 60 bash -c '"$1" run "$2" -- linger 2>"$3"; echo "rc=$?" >>"$3"' _ "$GPUOS" "$W" "$WORK/linger" | head -2 >/dev/null
LAST_OUT=$(cat "$WORK/linger")
contains "a writer that stops on EPIPE sees it" "Broken pipe"
contains "... and is not killed for it" "writer: lived on"
contains "... run exits 141" "rc=141"

finish

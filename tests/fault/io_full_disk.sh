#!/usr/bin/env bash
# Issue 20, item 6: no silent loss on a full disk. A 64 KiB tmpfs (this runs
# as root in CI; elsewhere the test says so and skips): a file written
# through a preopened directory fails with ENOSPC (that path always
# reported it); stdout redirected onto the full disk reaches the program as
# ENOSPC with `run` (before the fix: lost, the program ran on and `run`
# exited 0); and with `spawn --stdout FILE` on it, the daemon's failed
# write reaches the process too (before: "a full disk loses output").
# Asserted: exit 7 and the message "No space left on device" from the
# program each time.
source "$(dirname "$0")/lib.sh" "$@"
need_device
need_guest wasi_io_writer
W=$GUESTS/wasi_io_writer.wasm

# A full disk: a small tmpfs (root only; said so when it cannot be had).
FULL=$WORK/full
mkdir -p "$FULL"
if mount -t tmpfs -o size=64k tmpfs "$FULL" 2>/dev/null; then
  # The daemon may still hold its --stdout file a moment after shutdown.
  unmount_full() {
    for _ in $(seq 50); do umount "$FULL" 2>/dev/null && return; sleep 0.1; done
    umount -l "$FULL" 2>/dev/null
  }
  trap 'unmount_full; fault_cleanup' EXIT
  expect_rc 7 "a file on a full disk: the write fails" -- g run --dir "$FULL:out" "$W" file out/big 0
  contains "... with ENOSPC" "No space left on device"
  rm -f "$FULL"/*
  head -c 65536 /dev/zero >"$FULL/filler" 2>/dev/null
  LAST_OUT=$(timeout 60 "$GPUOS" run "$W" -- out 0 2>&1 >"$FULL/out"); LAST_RC=$?
  [ "$LAST_RC" -eq 7 ]; check "stdout on a full disk: the program's write fails (exit $LAST_RC)" $?
  contains "... with ENOSPC" "No space left on device"
  expect_rc 0 "boot a session" -- g boot --detach
  expect_rc 0 "spawn with --stdout on the full disk" -- g spawn --stdout "$FULL/spawned" "$W" out 0
  PID=$(grep -E '^[0-9]+$' <<<"$LAST_OUT" | head -1)
  expect_rc 7 "... the process sees the failed write (exit 7)" -- g wait "$PID" --timeout 30
  expect_rc 0 "shutdown" -- g shutdown
else
  echo "SKIP: cannot mount a tmpfs here (not root?)"
  exit 77
fi
finish

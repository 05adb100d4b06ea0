#!/usr/bin/env bash
# Issue 20, item 4: no one program can take every request slot. SLOTS + 2
# processes of one program read a FIFO whose writer stays
# open and silent, so each would hold a request slot for good. Before the
# fix they held all SLOTS slots, and any other program's first host request
# (a wasi-libc program asks for its preopens at start-up) waited for ever.
# Now one program holds at most SLOTS - SLOTS/8 (io.md, "Fairness"), and a
# second program runs to completion beside them. Asserted: the readers hold
# at most 7/8 of the slots, the other program ends with status 0 within
# 20 s, and after the readers are killed no slot is held. Runs where the
# session has at most 512 slots (lavapipe: 128), since each reader opens
# the FIFO on the host.
source "$(dirname "$0")/lib.sh" "$@"
need_device
need_guest wasi_io_reader
need_guest wasi_io_writer

FIFO=$WORK/stdin.fifo
mkfifo "$FIFO"
exec 3<>"$FIFO"  # a writer that never writes
held_now() { g status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["io"]["slots_held"])'; }
expect_rc 0 "boot a session" -- g boot --detach
SLOTS=$(g status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["io"]["slots"])')
if [ "$SLOTS" -gt 512 ]; then
  echo "SKIP: $SLOTS request slots: too many FIFO readers for one host process"
  g shutdown >/dev/null 2>&1
  exit 77
fi
N=$((SLOTS + 2))
CAP=$((SLOTS - SLOTS / 8))
expect_rc 0 "spawn $N readers of a silent FIFO" -- g spawn -n $N --dir "$WORK:w" "$GUESTS/wasi_io_reader.wasm" w/stdin.fifo
READERS=$(grep -E '^[0-9]+$' <<<"$LAST_OUT")
# While the readers beyond the cap start, the count dips by one whenever a
# reader between its open and its read gives a slot back (another takes it).
# So: the count reaches the cap, and no sample over 3 s more exceeds it.
at_cap() { [ "$(held_now)" -ge "$CAP" ]; }
poll 120 at_cap; rc=$?
check "the readers reach the cap ($(held_now) of $CAP)" $rc
most=0
for _ in $(seq 15); do h=$(held_now); [ "$h" -gt "$most" ] && most=$h; sleep 0.2; done
echo "  readers hold at most $most of $SLOTS slots (cap $CAP)"
[ "$most" -le "$CAP" ]; check "one program holds no more than its cap ($most, cap $CAP of $SLOTS)" $?
expect_rc 0 "spawn another program" -- g spawn "$GUESTS/wasi_io_writer.wasm" -- out 1
OTHER=$(grep -E '^[0-9]+$' <<<"$LAST_OUT" | head -1)
expect_rc 0 "it runs to completion beside them within 60 s" -- g wait "$OTHER" --timeout 60
for p in $READERS; do g kill "$p" >/dev/null 2>&1; done
zero_held() { [ "$(held_now)" -eq 0 ]; }
poll 20 zero_held; rc=$?; check "no slot held after the kills (now $(held_now))" $rc
expect_rc 0 "shutdown" -- g shutdown
exec 3>&-
finish

#!/usr/bin/env bash
# Issue 20, item 4: requests cannot be held hostage. N processes sleep 60 s
# each, two more than the session has request slots (128 on lavapipe, so
# 130; 4,096 on a GPU). Before the fix every
# sleeper held its slot for its whole sleep, so a `hello` spawned next found
# none free and waited the sleeps out (`hello` here is a wasi-libc program,
# whose start-up asks the host for its preopens); killing the sleepers freed nothing
# until their timers ended. Now a sleep is a timer, not a held slot (the
# host answers it at once with a park and wakes the process later), and a
# kill cancels the process's host operations. Asserted: the sleepers are
# all BLOCKED and hold no slot, `hello` completes within 20 s,
# every sleeper is killed (137), and io_slots_held is 0 within 5 s of the
# kills.
source "$(dirname "$0")/lib.sh" "$@"
need_device
need_guest wasi_io_sleep
need_guest wasi_io_writer

expect_rc 0 "boot a session" -- g boot --detach
held_now() { g status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["io"]["slots_held"])'; }
SLOTS=$(g status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["io"]["slots"])')
N=$((SLOTS + 2))
expect_rc 0 "spawn $N sleepers of 60 s ($SLOTS request slots)" -- g spawn -n $N "$GUESTS/wasi_io_sleep.wasm" 60
SLEEPERS=$(grep -E '^[0-9]+$' <<<"$LAST_OUT")
[ "$(wc -w <<<"$SLEEPERS")" -eq $N ]; check "$N pids" $?

# blocked_count: sleepers BLOCKED, as ps --json tells.
blocked_count() {
  g ps --json | python3 -c '
import json, sys
print(sum(1 for p in json.load(sys.stdin)["procs"] if p["prog"] == "wasi_io_sleep" and p["state"] == "BLOCKED"))'
}
all_blocked() { [ "$(blocked_count)" -eq $N ]; }
poll 40 all_blocked; rc=$?; check "all $N sleepers are asleep (BLOCKED)" $rc
asleep_without_slots() { all_blocked && [ "$(held_now)" -eq 0 ]; }
poll 10 asleep_without_slots; rc=$?; check "asleep, they hold no request slot (held $(held_now) of $SLOTS)" $rc

start=$(date +%s.%N)
expect_rc 0 "spawn a wasi hello beside them" -- g spawn "$GUESTS/wasi_io_writer.wasm" -- out 1
HELLO=$(grep -E '^[0-9]+$' <<<"$LAST_OUT" | head -1)
expect_rc 0 "the hello completes within 45 s (the sleepers sleep 60 s)" -- g wait "$HELLO" --timeout 45
took=$(python3 -c "import time; print(round(time.time() - $start, 1))")
echo "  hello took ${took}s"

for p in $SLEEPERS; do timeout 10 "$GPUOS" kill "$p" >/dev/null 2>&1; done
killed=0
for p in $SLEEPERS; do
  timeout 20 "$GPUOS" wait "$p" --timeout 15 >/dev/null 2>&1
  [ $? -eq 137 ] && killed=$((killed + 1))
done
[ "$killed" -eq $N ]; check "every sleeper was killed (137): $killed of $N" $?
zero_held() { [ "$(held_now)" -eq 0 ]; }
poll 30 zero_held; rc=$?; check "io_slots_held drops to 0 within 30 s of the kills (the sleeps had 60 s left) (now $(held_now))" $rc
expect_rc 0 "shutdown" -- g shutdown
finish

#!/usr/bin/env bash
# Issue 19 item 2: a busy machine is not a hung kernel. Under CPU load on
# lavapipe a session declared "kernel hang: no heartbeat for 4550 ms" in the
# middle of a healthy program and ended it (exit 3): the watchdog counted wall
# time, and on lavapipe the "GPU" is CPU threads of the session's own process,
# so a starved machine stalls kernel and host alike.
#   1. every CPU busy (2 x nproc busy loops at normal priority) while a
#      healthy program computes: it completes, with its own status (42);
#   2. the extreme of a starved process, deterministic: the session's process
#      is stopped (SIGSTOP) for 5 s, past the 3 s hang timeout, while the
#      program computes, then continued: the program completes;
#   3. a real hang (the kernel's lanes stop beating: `gpuos fault hang`) under
#      the same load is still reported, as "kernel hang", exit 3.
source "$(dirname "$0")/../fault/lib.sh" "$@"
need_device
need_guest wasi_sess_busy
BUSY="$GUESTS/wasi_sess_busy.wasm"
ROUNDS=${SESS_BUSY_ROUNDS:-60}   # a few seconds of VM work on lavapipe (2 cores), ~20 s under the load

busy_pids=()
load_on() {
  local n=$(( $(nproc) * 2 ))
  for _ in $(seq "$n"); do (while :; do :; done) & busy_pids+=($!); done
}
load_off() {
  for p in "${busy_pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${busy_pids[@]}"; do wait "$p" 2>/dev/null; done
  busy_pids=()
}

# run_bg OUT ARGS...: `gpuos run` in the background, its pid in RUN_PID (not
# through `timeout`, so that signals reach gpuos itself).
run_bg() {
  local out=$1; shift
  "$GPUOS" run --no-cwd "$@" >"$out" 2>&1 &
  RUN_PID=$!
}
# wait_bounded PID SECONDS: its exit status, or 124 after killing it.
wait_bounded() {
  local pid=$1 until=$(( $(date +%s) + $2 ))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$(date +%s)" -ge "$until" ]; then kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; return 124; fi
    sleep 0.2
  done
  wait "$pid"
}

# 1. Healthy program, every CPU busy.
load_on
t0=$(date +%s)
run_bg "$WORK/load.out" "$BUSY" "$ROUNDS"
wait_bounded "$RUN_PID" 150; rc=$?
load_off
LAST_OUT=$(cat "$WORK/load.out")
echo "  (under load: exit $rc after $(( $(date +%s) - t0 )) s)"
[ "$rc" -eq 42 ]; check "under load: the program ends with its own status 42 (got $rc)" $?
contains "under load: the program's last line" "hash "
lacks "under load: no false hang" "kernel hang|session failed"

# 2. The session's process stopped for 5 s mid-program.
run_bg "$WORK/stop.out" "$BUSY" "$ROUNDS"
poll 60 grep -q "^round " "$WORK/stop.out"; check "the program is computing before the stop" $?
kill -STOP "$RUN_PID"
sleep 5
kill -CONT "$RUN_PID"
wait_bounded "$RUN_PID" 120; rc=$?
LAST_OUT=$(cat "$WORK/stop.out")
[ "$rc" -eq 42 ]; check "stopped 5 s: the program ends with its own status 42 (got $rc)" $?
contains "stopped 5 s: the program's last line" "hash "
lacks "stopped 5 s: no false hang" "kernel hang|session failed"

# 3. A real hang under the same load is still caught.
load_on
"$GPUOS" boot -s sess-hang --hang-timeout-ms 1000 >"$WORK/hang.out" 2>&1 &
boot_pid=$!
poll 90 test -S "$XDG_RUNTIME_DIR/gpuos/sess-hang.sock"; check "hang: the session booted under load" $?
expect_rc 0 "hang: inject a hang" -- g fault -s sess-hang hang
wait_bounded "$boot_pid" 60; rc=$?
load_off
LAST_OUT=$(cat "$WORK/hang.out")
[ "$rc" -eq 3 ]; check "hang: the session ends with exit 3 (got $rc)" $?
contains "hang: the hang is reported" "kernel hang"
finish

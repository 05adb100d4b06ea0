#!/usr/bin/env bash
# End-to-end tests of the `gpuos` command on whatever Vulkan device is present
# (lavapipe in CI): boot, ping, emit, tail, shutdown in live and epoch modes,
# and the failure paths (dead or stale sessions, duplicate boots, hangs, no
# loader, no driver, bad device). Exits 77 (CTest: skipped) without a device.
#
# usage: cli_test.sh /path/to/gpuos
set -u
GPUOS=${1:?usage: cli_test.sh /path/to/gpuos}
T=30  # safety bound (seconds) on every command: a hang fails the test, never blocks it
WORK=$(mktemp -d)
export XDG_RUNTIME_DIR=$WORK/run
mkdir -p "$XDG_RUNTIME_DIR"
unset GPUOS_SESSION GPUOS_DEVICE
pass=0
failed=0
failures=()

cleanup() {
  for sock in "$XDG_RUNTIME_DIR"/gpuos/*.sock; do
    [ -e "$sock" ] || continue
    timeout 10 "$GPUOS" -s "$(basename "$sock" .sock)" shutdown >/dev/null 2>&1
  done
  pkill -P $$ 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

g() { timeout "$T" "$GPUOS" "$@"; }

check() {  # check NAME CONDITION-EXIT-CODE
  if [ "$2" -eq 0 ]; then
    pass=$((pass + 1)); echo "ok   $1"
  else
    failed=$((failed + 1)); failures+=("$1"); echo "FAIL $1"
  fi
}

expect_rc() {  # expect_rc WANT NAME -- command...
  local want=$1 name=$2; shift 3
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -ne "$want" ]; then echo "  (exit $rc, wanted $want) $out" | head -5; fi
  [ "$rc" -eq "$want" ]; check "$name" $?
  LAST_OUT=$out
}

contains() {  # contains NAME NEEDLE  (in LAST_OUT)
  if ! grep -qF -- "$2" <<<"$LAST_OUT"; then echo "  output lacks '$2': $(head -c 400 <<<"$LAST_OUT")"; false; fi
  check "$1" $?
}

# --- no device: skip, visibly ------------------------------------------------
if ! timeout 60 "$GPUOS" info --no-probe >/dev/null 2>&1; then
  echo "SKIP: no usable Vulkan device ($("$GPUOS" info --no-probe 2>&1 | tail -1))"
  exit 77
fi

# --- help documents every verb ------------------------------------------------
expect_rc 0 "help exits 0" -- g --help
for verb in boot info status ping tail emit shutdown; do
  contains "help lists $verb" "$verb"
done
for verb in boot info status ping tail emit shutdown; do
  expect_rc 0 "$verb --help" -- g "$verb" --help
done

# --- a session in each mode ----------------------------------------------------
for mode in live epoch; do
  s=m-$mode
  flag=""; [ "$mode" = epoch ] && flag=--epoch
  expect_rc 0 "$mode: boot --detach" -- g boot -s $s --detach $flag
  contains "$mode: boot says the mode" "$mode mode"
  expect_rc 0 "$mode: status" -- g status -s $s
  contains "$mode: status shows the mode" "mode      $mode"
  expect_rc 0 "$mode: status --json" -- g status -s $s --json
  contains "$mode: status json has a schema" '"schema":1'
  expect_rc 0 "$mode: ping" -- g ping -s $s -n 50
  contains "$mode: ping prints p50" "p50"
  contains "$mode: ping prints p99" "p99"
  expect_rc 0 "$mode: ping --json" -- g ping -s $s -n 20 --json
  contains "$mode: ping json count" '"count":20'
  expect_rc 0 "$mode: emit 25 text records" -- g emit -s $s 25
  contains "$mode: emit reports the count" "emitted 25 records, dropped 0"
  # Lanes write in parallel, so ring order need not follow the emit index.
  expect_rc 0 "$mode: tail -n 3" -- g tail -s $s -n 3
  lines=$(grep -c "emit" <<<"$LAST_OUT")
  [ "$lines" -eq 3 ]; check "$mode: tail -n 3 prints 3 records" $?
  expect_rc 0 "$mode: tail -n 25" -- g tail -s $s -n 25
  contains "$mode: tail shows the first record" "emit 0"
  contains "$mode: tail shows the last record" "emit 24"
  expect_rc 0 "$mode: tail --json" -- g tail -s $s -n 25 --json
  n=$(grep -c '"kind":"text"' <<<"$LAST_OUT")
  [ "$n" -eq 25 ]; check "$mode: tail --json prints all 25 records" $?
  contains "$mode: tail --json ends with an end object" '"end":true'
  expect_rc 0 "$mode: emit 3000 pattern records (ring wraps)" -- g emit -s $s 3000 --kind pattern
  expect_rc 0 "$mode: status after the wrap" -- g status -s $s --json
  contains "$mode: every record received" '"received":3025'
  contains "$mode: no drops" '"drops":0'

  # tail -f follows new records and ends when the session does
  g tail -s $s -f -n 0 >"$WORK/follow-$mode" 2>&1 &
  tail_pid=$!
  sleep 1
  expect_rc 0 "$mode: emit while following" -- g emit -s $s 7
  sleep 1
  expect_rc 0 "$mode: shutdown" -- g shutdown -s $s
  contains "$mode: shutdown reports the stop time" "kernel stopped in"
  wait $tail_pid; rc=$?
  [ $rc -eq 0 ]; check "$mode: tail -f exits 0 when the session ends" $?
  LAST_OUT=$(cat "$WORK/follow-$mode")
  contains "$mode: tail -f saw the new records" "emit 6"
  expect_rc 2 "$mode: status after shutdown is 'no session'" -- g status -s $s
  contains "$mode: the message names the session" "no session '$s'"
done

# --- control plane failure paths ----------------------------------------------
expect_rc 2 "status of a session never started" -- g status -s never
contains "never started: clear message" "no session 'never' is running"

expect_rc 0 "boot one" -- g boot -s one -d
expect_rc 0 "boot two beside it" -- g boot -s two -d
expect_rc 1 "second boot of 'one' is refused" -- g boot -s one -d
contains "refusal says already running" "already running"
expect_rc 0 "ping one" -- g ping -s one -n 10
expect_rc 0 "ping two" -- g ping -s two -n 10
pid_one=$(cat "$XDG_RUNTIME_DIR/gpuos/one.lock")
kill -9 "$pid_one"; sleep 0.5
[ -e "$XDG_RUNTIME_DIR/gpuos/one.sock" ]; check "a killed daemon leaves its socket" $?
expect_rc 2 "client of a killed session" -- g status -s one
contains "stale socket reported" "stale socket"
[ ! -e "$XDG_RUNTIME_DIR/gpuos/one.sock" ]; check "stale socket removed" $?
expect_rc 0 "two still answers" -- g ping -s two -n 10
expect_rc 0 "boot one again after the crash" -- g boot -s one -d
# a long-lived daemon must not keep a descriptor per finished client
pid_one=$(cat "$XDG_RUNTIME_DIR/gpuos/one.lock")
fds_before=$(ls /proc/$pid_one/fd | wc -l)
for _ in $(seq 40); do g status -s one >/dev/null 2>&1; done
sleep 0.3
fds_after=$(ls /proc/$pid_one/fd | wc -l)
[ "$fds_after" -le $((fds_before + 2)) ]; check "no descriptor leak over 40 clients ($fds_before -> $fds_after)" $?
expect_rc 0 "shutdown one" -- g shutdown -s one
expect_rc 0 "shutdown two" -- g shutdown -s two
expect_rc 1 "a bad session name is refused" -- g status -s "../x"
expect_rc 1 "a ring size that is not a power of two is refused" -- g boot -s badring --ring 100
contains "bad ring size: message" "power of two"

# --- foreground boot ends cleanly on SIGINT --------------------------------------
timeout $T "$GPUOS" boot -s fg >"$WORK/fg.out" 2>&1 &
fg_pid=$!
for _ in $(seq 50); do [ -S "$XDG_RUNTIME_DIR/gpuos/fg.sock" ] && break; sleep 0.2; done
expect_rc 0 "foreground session answers" -- g ping -s fg -n 5
kill -INT $fg_pid; wait $fg_pid; rc=$?
[ $rc -eq 0 ]; check "foreground boot exits 0 on SIGINT" $?
LAST_OUT=$(cat "$WORK/fg.out")
contains "foreground boot reports the stop" "stopped"

# --- a hung kernel is reported and the session exits non-zero --------------------
for mode in live epoch; do
  flag=""; [ "$mode" = epoch ] && flag=--epoch
  timeout $T "$GPUOS" boot -s hang-$mode --hang-timeout-ms 500 $flag >"$WORK/hang-$mode.out" 2>&1 &
  hang_pid=$!
  for _ in $(seq 50); do [ -S "$XDG_RUNTIME_DIR/gpuos/hang-$mode.sock" ] && break; sleep 0.2; done
  expect_rc 0 "$mode: inject a hang" -- g fault -s hang-$mode hang
  # An epoch kernel only runs when there is work; the ping may meet the
  # failed session (exit 3) or find it already gone (exit 2).
  g ping -s hang-$mode -n 3 >/dev/null 2>&1; rc=$?
  [ $rc -eq 3 ] || [ $rc -eq 2 ]; check "$mode: a client of the hung session fails (got $rc)" $?
  wait $hang_pid; rc=$?
  [ $rc -eq 3 ]; check "$mode: hung session exits 3 (got $rc)" $?
  LAST_OUT=$(cat "$WORK/hang-$mode.out")
  contains "$mode: the hang is reported" "kernel hang"
  [ ! -e "$XDG_RUNTIME_DIR/gpuos/hang-$mode.sock" ]; check "$mode: hung session removed its socket" $?
done

# --- device bring-up failures: clear message, exit 4, never a crash ---------------
expect_rc 4 "no Vulkan loader: boot" -- env GPUOS_VULKAN_LIBRARY=/nonexistent/libvulkan.so.1 "$GPUOS" boot -s nl
contains "no loader: message" "cannot open the Vulkan loader"
expect_rc 4 "no Vulkan loader: info" -- env GPUOS_VULKAN_LIBRARY=/nonexistent/libvulkan.so.1 "$GPUOS" info
expect_rc 4 "no Vulkan driver: info" -- env VK_DRIVER_FILES=/nonexistent/icd.json "$GPUOS" info
contains "no driver: message" "no driver"
expect_rc 4 "no Vulkan driver: boot" -- env VK_DRIVER_FILES=/nonexistent/icd.json "$GPUOS" boot -s nd
expect_rc 4 "--device out of range" -- g boot -s bad --device 99
contains "bad device: message" "device 99 does not exist"
expect_rc 4 "GPUOS_DEVICE out of range" -- env GPUOS_DEVICE=42 "$GPUOS" boot -s bad2
expect_rc 0 "info --json" -- g info --json
contains "info json names the chosen device" '"chosen"'
contains "info json reports the kernel mode" '"mode"'
[ -z "$(ls "$XDG_RUNTIME_DIR"/gpuos/*.sock 2>/dev/null)" ]; check "no socket left behind" $?

# --- gpuos run: a WebAssembly export on the GPU ------------------------------------
if command -v wat2wasm >/dev/null 2>&1; then
  cat >"$WORK/m.wat" <<'WAT'
(module
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
  (func $fac (export "fac") (param i64) (result i64)
    local.get 0 i64.eqz
    (if (result i64) (then i64.const 1)
      (else local.get 0 local.get 0 i64.const 1 i64.sub call $fac i64.mul)))
  (func (export "two") (result i32 f64) i32.const -7 f64.const 0.25))
WAT
  wat2wasm "$WORK/m.wat" -o "$WORK/m.wasm"
  expect_rc 0 "run: add" -- g run "$WORK/m.wasm" --invoke add 2 40
  [ "$LAST_OUT" = "42" ]; check "run: add prints 42" $?
  expect_rc 0 "run: negative arguments" -- g run "$WORK/m.wasm" --invoke add -- -5 3
  [ "$LAST_OUT" = "-2" ]; check "run: -5 + 3 = -2" $?
  expect_rc 0 "run: recursion" -- g run "$WORK/m.wasm" --invoke fac 20
  [ "$LAST_OUT" = "2432902008176640000" ]; check "run: fac 20" $?
  expect_rc 0 "run: two results" -- g run "$WORK/m.wasm" --invoke two
  [ "$LAST_OUT" = "$(printf -- '-7\n0.25')" ]; check "run: prints each result" $?
  expect_rc 5 "run: a trap exits 5" -- g run "$WORK/m.wasm" --invoke div 7 0
  contains "run: the trap is named" "integer divide by zero"
  contains "run: the trap says where" "wasm offset"
  expect_rc 0 "run: recursion within --max-call-depth" -- g run "$WORK/m.wasm" --invoke fac 20 --max-call-depth 64
  expect_rc 5 "run: recursion past --max-call-depth traps" -- g run "$WORK/m.wasm" --invoke fac 20 --max-call-depth 8
  contains "run: the exhaustion is named" "call stack exhausted"
  expect_rc 1 "run: unknown export" -- g run "$WORK/m.wasm" --invoke nope
  contains "run: lists the exports" "add, div, fac, two"
  expect_rc 1 "run: wrong argument count" -- g run "$WORK/m.wasm" --invoke add 1
  expect_rc 1 "run: bad argument" -- g run "$WORK/m.wasm" --invoke add x 1
  echo "not wasm" >"$WORK/bad.wasm"
  expect_rc 1 "run: malformed module" -- g run "$WORK/bad.wasm" --invoke add
  contains "run: says why, with the offset" "magic header not detected (at 0x0"
else
  echo "SKIP: gpuos run cases (wat2wasm not installed)"
fi

echo "$pass passed, $failed failed"
[ $failed -eq 0 ] || { printf 'failed: %s\n' "${failures[@]}"; exit 1; }

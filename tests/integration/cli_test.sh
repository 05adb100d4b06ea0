#!/usr/bin/env bash
# End-to-end tests of the `gpuos` command on whatever Vulkan device is present
# (lavapipe in CI): boot, ping, emit, tail, shutdown in live and epoch modes,
# the process verbs (spawn, wait, kill, ps, stats) with the guests of
# tests/guests, and the failure paths (dead or stale sessions, duplicate
# boots, hangs, no loader, no driver, bad device, refused spawns). Exits 77
# (CTest: skipped) without a device.
#
# usage: cli_test.sh /path/to/gpuos [GUEST_DIR]
#   GUEST_DIR: where the guests were built (hello.wasm, ...); without it the
#   process cases are skipped, visibly.
# The helpers (g, check, expect_rc, contains, lacks, pycheck, poll, finish),
# the work dir, XDG_RUNTIME_DIR and the cleanup of sessions are the fault
# tests' (tests/fault/lib.sh), shared so the two suites judge alike.
T=30  # safety bound (seconds) on every command: a hang fails the test, never blocks it
source "$(dirname "$0")/../fault/lib.sh" "$@"

# --- no device: skip, visibly ------------------------------------------------
need_device

# --- help documents every verb ------------------------------------------------
expect_rc 0 "help exits 0" -- g --help
for verb in boot info status ping tail emit shutdown spawn kill wait ps stats; do
  contains "help lists $verb" "$verb"
done
for verb in boot info status ping tail emit shutdown spawn kill wait ps stats; do
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
# Up to the boot's own bound: on two loaded cores a lavapipe boot can take
# more than ten seconds.
for _ in $(seq $((T * 5))); do [ -S "$XDG_RUNTIME_DIR/gpuos/fg.sock" ] && break; sleep 0.2; done
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

# --- processes: spawn, wait, kill, ps, stats ------------------------------------------
# The guests come from tests/guests (built to build/guests). Every wait has a
# --timeout, so a process that never ends fails a check instead of the test.
if [ -n "$GUESTS" ] && [ -f "$GUESTS/hello.wasm" ] && command -v python3 >/dev/null 2>&1; then
  s=procs
  expect_rc 0 "procs: boot" -- g boot -s $s -d

  # hello: one pid, exit status 0, its text in the debug ring under its pid
  expect_rc 0 "procs: spawn hello" -- g spawn -s $s "$GUESTS/hello.wasm"
  hello=$LAST_OUT
  [[ "$hello" =~ ^[0-9]+$ ]]; check "procs: spawn prints one pid (got '$hello')" $?
  expect_rc 0 "procs: wait hello exits 0" -- g wait -s $s "$hello" --timeout 20
  contains "procs: wait says how hello ended" "pid $hello exited with status 0"
  expect_rc 0 "procs: tail after hello" -- g tail -s $s -n 50
  contains "procs: hello printed, tagged with its pid" "pid $hello"
  contains "procs: hello's text" "hello from pid $hello"
  expect_rc 0 "procs: a second wait on hello answers from the exit log" -- g wait -s $s "$hello" --json
  pycheck "procs: wait --json shape" '
e = d["exit"]
assert d["ok"] is True and d["schema"] == 1
assert e["pid"] == int(sys.argv[1]) and e["status"] == 0 and e["how"] == "exited" and e["prog"] == "hello", e
assert e["instructions"] > 0 and e["trap"] == 0, e' "$hello"
  # a relative path is resolved by the client, not by the daemon
  expect_rc 0 "procs: spawn with a relative path" -- bash -c "cd '$GUESTS' && timeout $T '$GPUOS' spawn -s $s hello.wasm"
  expect_rc 0 "procs: ... and it runs" -- g wait -s $s "$LAST_OUT" --timeout 20

  # exit_code: instance i exits 40 + FIRST + i, and wait's own exit status is it
  expect_rc 0 "procs: spawn exit_code --instances 3 --arg 5" -- g spawn -s $s --instances 3 --arg 5 "$GUESTS/exit_code.wasm"
  mapfile -t codes <<<"$LAST_OUT"
  [ ${#codes[@]} -eq 3 ]; check "procs: three pids, one per line" $?
  for i in 0 1 2; do
    want=$((45 + i))
    expect_rc $want "procs: exit_code instance $i: wait exits $want" -- g wait -s $s "${codes[$i]:-0}" --timeout 20
    contains "procs: exit_code instance $i: status $want" "exited with status $want"
  done
  expect_rc 0 "procs: spawn --json" -- g spawn -s $s -n 2 --json "$GUESTS/exit_code.wasm" -- a b
  pycheck "procs: spawn --json shape" '
assert d["schema"] == 1 and len(d["pids"]) == 2, d
assert d["failed_slots"] == 0 and d["failed_pages"] == 0, d'
  for pid in $(python3 -c 'import json,sys; print(*json.load(sys.stdin)["pids"])' <<<"$LAST_OUT"); do
    g wait -s $s "$pid" --timeout 20 >/dev/null 2>&1
  done

  # oob: a trap is reported with its kind and place, exit status 134
  expect_rc 0 "procs: spawn oob" -- g spawn -s $s "$GUESTS/oob.wasm"
  oob=$LAST_OUT
  expect_rc 134 "procs: wait on a trapping process exits 134" -- g wait -s $s "$oob" --timeout 20
  contains "procs: the trap is named" "pid $oob trapped: out of bounds memory access"

  # spin: runs until killed; ps shows it; kill stops it; wait says killed (137)
  expect_rc 0 "procs: spawn spin" -- g spawn -s $s "$GUESTS/spin.wasm"
  spin=$LAST_OUT
  expect_rc 0 "procs: ps" -- g ps -s $s
  grep -qE '^ *PID +PPID +STATE +PROG +TIER +INSTR +MEM +TIME$' <<<"$LAST_OUT"; check "procs: ps header" $?
  grep -qE "^ *$spin +0 +(RUNNING|READY) +spin +(interp|compiled) +[0-9]+ +64 KiB +[0-9]" <<<"$LAST_OUT"
  check "procs: ps lists spin, running or ready, one page" $?
  lacks "procs: ps does not list exited (reaped) processes" "^ *$hello "
  expect_rc 0 "procs: ps --json" -- g ps -s $s --json
  pycheck "procs: ps --json has the snapshot" '
assert d["schema"] == 1
for k in ("live", "zombies", "spawned", "exited", "killed", "trapped", "pages_used", "spawn_failed", "grow_failed"):
    assert k in d["counters"], k
assert d["counters"]["live"] >= 1 and d["counters"]["trapped"] >= 1, d["counters"]
p = [p for p in d["procs"] if p["pid"] == int(sys.argv[1])]
assert len(p) == 1, d["procs"]
p = p[0]
for k in ("pid", "ppid", "state", "prog", "instructions", "mem_bytes", "time_ms", "pages"):
    assert k in p, k
assert p["state"] in ("RUNNING", "READY") and p["prog"] == "spin" and p["mem_bytes"] == 65536, p
assert len(d["heap"]) == 23, len(d["heap"])' "$spin"
  spin_runs() {
    timeout 10 "$GPUOS" ps -s $s --json | python3 -c 'import json,sys
d = json.load(sys.stdin)
sys.exit(0 if any(p["pid"] == int(sys.argv[1]) and p["instructions"] > 0 for p in d["procs"]) else 1)' "$spin"
  }
  poll 20 spin_runs; check "procs: spin retires instructions" $?
  expect_rc 125 "procs: wait --timeout on a running process gives up" -- g wait -s $s "$spin" --timeout 0.5
  contains "procs: ... and says so" "did not exit within"
  # a waiter blocks only its own connection: the session keeps answering
  g wait -s $s "$spin" --timeout 25 >"$WORK/wait-spin" 2>&1 &
  waiter=$!
  sleep 0.5
  expect_rc 0 "procs: ping while a wait is pending" -- g ping -s $s -n 5
  expect_rc 0 "procs: kill spin" -- g kill -s $s "$spin"
  contains "procs: kill says so" "killed pid $spin"
  wait $waiter; rc=$?
  [ $rc -eq 137 ]; check "procs: the pending wait returns 137 (got $rc)" $?
  LAST_OUT=$(cat "$WORK/wait-spin")
  contains "procs: the pending wait says killed" "pid $spin was killed"
  expect_rc 137 "procs: wait on the killed spin exits 137" -- g wait -s $s "$spin" --timeout 20
  expect_rc 1 "procs: kill of an ended process" -- g kill -s $s "$spin"
  contains "procs: ... no such process" "no such process"
  expect_rc 0 "procs: ps after the kill" -- g ps -s $s
  lacks "procs: the killed process is gone from ps" "^ *$spin "

  # errors: bogus pids, files that are not runnable modules
  expect_rc 1 "procs: kill of a bogus pid" -- g kill -s $s 999999
  contains "procs: kill bogus: no such process" "no such process"
  expect_rc 1 "procs: kill of pid 0 is refused" -- g kill -s $s 0
  expect_rc 1 "procs: kill of a non-number is refused" -- g kill -s $s abc
  expect_rc 125 "procs: wait on a bogus pid" -- g wait -s $s 999999 --timeout 5
  contains "procs: wait bogus: no such process" "no such process"
  echo "not wasm" >"$WORK/bad.wasm"
  expect_rc 1 "procs: spawn of a non-wasm file" -- g spawn -s $s "$WORK/bad.wasm"
  contains "procs: ... says why" "invalid module: magic header not detected"
  contains "procs: ... names the file" "$WORK/bad.wasm"
  [ -z "$(grep -E '^[0-9]+$' <<<"$LAST_OUT")" ]; check "procs: ... and prints no pid" $?
  expect_rc 1 "procs: spawn of a missing file" -- g spawn -s $s "$WORK/missing.wasm"
  contains "procs: ... says so" "no such file"
  # host I/O (docs/io.md): a WASI program's stdout into a file the daemon opens
  if [ -f "$GUESTS/wasi_malloc.wasm" ]; then
    expect_rc 0 "io: spawn --stdout --stderr" -- g spawn -s $s --stdout "$WORK/w.out" --stderr "$WORK/w.err" "$GUESTS/wasi_malloc.wasm"
    wpid=$LAST_OUT
    expect_rc 0 "io: ... the process exits 0" -- g wait -s $s "$wpid" --timeout 20
    [ "$(cat "$WORK/w.out" 2>/dev/null)" = "wasi_malloc: 2 + 3 = 5" ]; check "io: ... its stdout is in the file" $?
    [ -f "$WORK/w.err" ] && [ ! -s "$WORK/w.err" ]; check "io: ... and its stderr file is empty" $?
    expect_rc 0 "io: tail shows it" -- g tail -s $s -n 400
    contains "io: ... as stdout, under its pid" "pid $wpid"
    contains "io: ... with the text" "stdout: wasi_malloc: 2 + 3 = 5"
    expect_rc 1 "io: spawn --dir of a missing directory" -- g spawn -s $s --dir "$WORK/nope" "$GUESTS/wasi_malloc.wasm"
    contains "io: ... says so" "not a directory"
    # gpuos run PROG: a session of its own, output here, exit status the program's
    expect_rc 0 "io: run a WASI program" -- bash -c "timeout 300 '$GPUOS' run '$GUESTS/wasi_malloc.wasm' </dev/null"
    contains "io: ... prints its stdout" "wasi_malloc: 2 + 3 = 5"
  fi
  if [ -f "$GUESTS/read_file.wasm" ]; then
    mkdir -p "$WORK/box/in" && printf 'hello file\n' >"$WORK/box/in/f.txt" && echo secret >"$WORK/secret.txt"
    out=$(cd "$WORK/box" && timeout 300 "$GPUOS" run "$GUESTS/read_file.wasm" in/f.txt </dev/null 2>&1); rc=$?
    LAST_OUT=$out
    [ "$rc" -lt 128 ]; check "io: run reads a file under the current directory (exit $rc)" $?
    contains "io: ... all 11 bytes" "read_file in/f.txt 11 "
    out=$(cd "$WORK/box" && timeout 300 "$GPUOS" run "$GUESTS/read_file.wasm" ../secret.txt </dev/null 2>&1); rc=$?
    LAST_OUT=$out
    [ "$rc" -eq 129 ]; check "io: .. cannot leave the preopened directory (exit $rc, wanted 129: open failed)" $?
    lacks "io: ... and read nothing" "read_file \.\./secret"
    out=$(cd "$WORK/box" && timeout 300 "$GPUOS" run --no-cwd "$GUESTS/read_file.wasm" in/f.txt </dev/null 2>&1); rc=$?
    [ "$rc" -eq 129 ]; check "io: with --no-cwd there is no directory to open it in (exit $rc)" $?
  fi

  # (module (import "env" "f" (func))): an import no process can have
  printf '\0asm\1\0\0\0\1\4\1\x60\0\0\2\t\1\3env\1f\0\0' >"$WORK/env.wasm"
  expect_rc 1 "procs: spawn of a module with an env import" -- g spawn -s $s "$WORK/env.wasm"
  contains "procs: ... names the import" "import env.f: unknown module"

  # heap statistics: malloc_bench allocates; stats and ps --heap show the classes
  expect_rc 0 "procs: spawn malloc_bench" -- g spawn -s $s "$GUESTS/malloc_bench.wasm"
  bench=$LAST_OUT
  heap_used() {
    timeout 10 "$GPUOS" stats -s $s --json | python3 -c 'import json,sys
d = json.load(sys.stdin)
sys.exit(0 if d["heap"][2]["allocs"] > 0 else 1)'
  }
  poll 20 heap_used; check "procs: the 32-byte class counts malloc_bench's allocations" $?
  expect_rc 0 "procs: stats --json" -- g stats -s $s --json
  pycheck "procs: stats --json has counters and heap classes" '
assert d["schema"] == 1 and "procs" not in d
c = d["counters"]
assert c["spawned"] >= 10 and c["exited"] >= 8 and c["killed"] >= 1 and c["trapped"] >= 1, c
assert d["config"]["table_size"] > 0 and d["config"]["arena_pages"] > 0, d["config"]
h = d["heap"]
assert len(h) == 23 and h[0]["large"] and h[1]["block_size"] == 16 and h[22]["block_size"] == 32768, h
for x in h:
    assert x["live"] == (x["allocs"] - x["frees"]) % 2**32, x
    for k in ("class", "allocs", "frees", "live", "slabs", "bad_frees"):
        assert k in x, k
assert h[2]["slabs"] >= 1, h[2]'
  expect_rc 0 "procs: stats" -- g stats -s $s
  contains "procs: stats counts processes" "processes "
  contains "procs: stats counts pages" "pages "
  grep -qE '^ *CLASS +SIZE +ALLOCS +FREES +LIVE +SLABS +BAD_FREES$' <<<"$LAST_OUT"; check "procs: stats prints the class table" $?
  grep -qE '^ *2 +32 +[1-9][0-9]* ' <<<"$LAST_OUT"; check "procs: stats shows the 32-byte class in use" $?
  expect_rc 0 "procs: ps --heap" -- g ps -s $s --heap
  grep -qE '^ *large +pages ' <<<"$LAST_OUT"; check "procs: ps --heap prints the class table" $?
  grep -qE "^ *$bench +0 +[A-Z]+ +malloc_bench " <<<"$LAST_OUT"; check "procs: ps --heap still lists the processes" $?
  g kill -s $s "$bench" >/dev/null 2>&1
  expect_rc 0 "procs: shutdown" -- g shutdown -s $s

  # a full table and a full arena: the pids that were made, and a clear error
  sleep 0.5
  expect_rc 0 "procs: boot a small table" -- g boot -s small -d --proc-slots 32 --arena-mib 4
  expect_rc 1 "procs: more instances than slots are refused" -- g spawn -s small -n 40 "$GUESTS/spin.wasm"
  contains "procs: ... with the table size" "the process table has 32 slots"
  expect_rc 0 "procs: fill 20 of 32 slots" -- g spawn -s small -n 20 "$GUESTS/spin.wasm"
  g spawn -s small -n 20 "$GUESTS/spin.wasm" >"$WORK/full.out" 2>"$WORK/full.err"; rc=$?
  [ $rc -eq 1 ]; check "procs: a spawn that fills the table exits 1 (got $rc)" $?
  [ "$(grep -cE '^[0-9]+$' "$WORK/full.out")" -eq 12 ]; check "procs: ... and prints the 12 pids it made" $?
  LAST_OUT=$(cat "$WORK/full.err")
  contains "procs: ... and says why" "8 of 20 instances were refused: 8 because the process table is full"
  expect_rc 0 "procs: stats of the full table" -- g stats -s small --json
  pycheck "procs: the refusals are counted" '
c = d["counters"]
assert c["spawn_failed"] == 8 and c["live"] == 32 and c["slots_used"] == 32, c'
  expect_rc 0 "procs: shutdown the small table" -- g shutdown -s small
  sleep 0.5
  expect_rc 0 "procs: boot a small arena" -- g boot -s tiny -d --proc-slots 64 --arena-mib 2
  expect_rc 1 "procs: a spawn that runs out of pages exits 1" -- g spawn -s tiny -n 40 --json "$GUESTS/spin.wasm"
  contains "procs: ... and says why" "8 of 40 instances were refused: 8 for lack of free memory pages"
  LAST_OUT=$(grep '^{' <<<"$LAST_OUT")
  pycheck "procs: ... its --json is the error line and counts them" '
assert len(d["pids"]) == 32 and d["failed_pages"] == 8, d
assert d["ok"] is False and d["exit_code"] == 1 and "8 of 40 instances were refused" in d["error"], d'
  expect_rc 0 "procs: shutdown the small arena" -- g shutdown -s tiny
  expect_rc 2 "procs: spawn without a session" -- g spawn -s tiny "$GUESTS/hello.wasm"
  sleep 0.5
else
  echo "SKIP: process cases (no guest dir given, no hello.wasm in '$GUESTS', or no python3)"
fi

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
  expect_rc 0 "run: add" -- g run --invoke add "$WORK/m.wasm" 2 40
  [ "$LAST_OUT" = "42" ]; check "run: add prints 42" $?
  expect_rc 0 "run: negative arguments" -- g run --invoke add "$WORK/m.wasm" -5 3
  [ "$LAST_OUT" = "-2" ]; check "run: -5 + 3 = -2" $?
  expect_rc 0 "run: recursion" -- g run --invoke fac "$WORK/m.wasm" 20
  [ "$LAST_OUT" = "2432902008176640000" ]; check "run: fac 20" $?
  expect_rc 0 "run: two results" -- g run --invoke two "$WORK/m.wasm"
  [ "$LAST_OUT" = "$(printf -- '-7\n0.25')" ]; check "run: prints each result" $?
  expect_rc 134 "run: a trap exits 134" -- g run --invoke div "$WORK/m.wasm" 7 0
  contains "run: the trap is named" "integer divide by zero"
  contains "run: the trap says where" "wasm offset"
  expect_rc 0 "run: recursion within --max-call-depth" -- g run --invoke fac --max-call-depth 64 "$WORK/m.wasm" 20
  expect_rc 134 "run: recursion past --max-call-depth traps" -- g run --invoke fac --max-call-depth 8 "$WORK/m.wasm" 20
  contains "run: the exhaustion is named" "call stack exhausted"
  expect_rc 125 "run: unknown export" -- g run --invoke nope "$WORK/m.wasm"
  contains "run: lists the exports" "add, div, fac, two"
  expect_rc 125 "run: wrong argument count" -- g run --invoke add "$WORK/m.wasm" 1
  expect_rc 125 "run: bad argument" -- g run --invoke add "$WORK/m.wasm" x 1
  echo "not wasm" >"$WORK/bad.wasm"
  expect_rc 126 "run: malformed module" -- g run --invoke add "$WORK/bad.wasm"
  contains "run: says why, with the offset" "magic header not detected (at 0x0"
else
  echo "SKIP: gpuos run cases (wat2wasm not installed)"
fi

finish

# Issue 19 item 5, second half: Ctrl-C (SIGINT) of `gpuos suite` while it
# runs prints the partial result (the cases that finished, the ones cut
# short) and removes its temporary folders, exit 130 (128 + SIGINT).
# Before the fix SIGINT was not handled: the table was never printed and
# /tmp/gpuos-suite-XXXXXX stayed behind (and in a script's background, where
# SIGINT is ignored, the suite ran on to its end).
source "$(dirname "$0")/../fault/lib.sh" "$@"
APPS=$(dirname "$GUESTS")/apps
need_guest wasi_io_sleep
[ -f "$APPS/hello.wasm" ] || { echo "FAIL: $APPS/hello.wasm is missing (build the default target)"; exit 1; }
need_device
cd "$WORK" || exit 1

# A suite of two cases: hello ends at once, sleep runs 120 s.
mkdir -p apps sigint/expected tmp
cp "$APPS/hello.wasm" apps/hello.wasm
cp "$GUESTS/wasi_io_sleep.wasm" apps/sleep.wasm
printf 'Hello, world!\n' >sigint/expected/hello.stdout
printf 'slept\n' >sigint/expected/sleep.stdout
cat >sigint/suite.json <<'J'
{"schema": 1, "name": "sigint", "cases": [
  {"name": "quick", "app": "hello", "expect": {"exit": 0, "stdout": "expected/hello.stdout"}},
  {"name": "slow", "app": "sleep", "args": ["120"], "instances": 2,
   "expect": {"exit": 0, "stdout": "expected/sleep.stdout"}}]}
J

# running ERRFILE PID: until ERRFILE shows the quick case done and the slow
# one's two processes running (0), or the suite ended or 150 s passed (1).
running() {
  local until=$(( $(date +%s) + 150 ))
  while [ "$(date +%s)" -lt "$until" ] && kill -0 "$2" 2>/dev/null; do
    grep -q "1/2 cases done, 2 processes running" "$1" && return 0
    sleep 0.2
  done
  echo "  the suite did not get there: $(tail -3 "$1")"
  return 1
}

# The suite runs in the background (bash starts it with SIGINT ignored, as
# a background job of a script; gpuos must handle it all the same).
TMPDIR=$WORK/tmp timeout 200 "$GPUOS" suite sigint --apps-dir apps --timeout 150 >out.txt 2>err.txt &
spid=$!
# Wait until the quick case has finished and the slow one is running.
running err.txt $spid
check "the suite is running with the quick case done" $?
ls -d tmp/gpuos-suite-* >/dev/null 2>&1; check "... and its working dirs exist" $?
t0=$(date +%s)
kill -INT $spid
wait $spid; rc=$?
took=$(( $(date +%s) - t0 ))
[ "$rc" -eq 130 ]; check "Ctrl-C ends it with 130 (exit $rc)" $?
[ "$took" -le 20 ]; check "... within 20 s of the signal (${took}s)" $?
LAST_OUT=$(cat out.txt)
contains "the partial table is printed" "APP/CASE"
grep -qE '^hello/quick +1 +PASS' out.txt; check "... the finished case as PASS" $?
grep -qE '^sleep/slow +2 +INTR' out.txt; check "... the interrupted case as INTR" $?
contains "... a summary that says it was interrupted" "INTERRUPTED: 1 of 2 cases done"
LAST_OUT=$(cat err.txt)
contains "stderr says so" "gpuos: suite: interrupted"
left=$(ls -A tmp | tr '\n' ' ')
[ -z "$left" ]; check "the temporary folders are removed (left in tmp: '$left')" $?

# --json: the same, as one object.
TMPDIR=$WORK/tmp timeout 200 "$GPUOS" suite sigint --apps-dir apps --timeout 150 --json >out.json 2>err2.txt &
spid=$!
running err2.txt $spid
check "the --json suite is running" $?
kill -INT $spid
wait $spid; rc=$?
[ "$rc" -eq 130 ]; check "Ctrl-C of --json: 130 (exit $rc)" $?
LAST_OUT=$(cat out.json)
pycheck "... prints the partial report" '
assert d["interrupted"] is True, d
r = {c["name"]: c["result"] for c in d["cases"]}
assert r == {"quick": "PASS", "slow": "INTERRUPTED"}, r
assert d["workdirs"] is None, d["workdirs"]'
left=$(ls -A tmp | tr '\n' ' ')
[ -z "$left" ]; check "... and removes its folders (left in tmp: '$left')" $?
finish

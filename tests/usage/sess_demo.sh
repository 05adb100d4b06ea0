#!/usr/bin/env bash
# Issue 19 item 11: `make run` shows the product. It used to ping the mailbox
# and emit debug records; now scripts/demo.sh (what `make run` calls) runs
# programs as GPU processes, the seed's charcount among them, shows `ps`
# while they run, their output, then the mailbox and ring figures. This runs
# the script as `make run` does and checks each part, and that it ends its
# session.
source "$(dirname "$0")/../fault/lib.sh" "$@"
need_device
DEMO=${SESS_DEMO:-$(cd "$(dirname "$0")/../.." && pwd)/scripts/demo.sh}
APPS=$(cd "$(dirname "$GPUOS")/.." && pwd)/apps
for app in charcount wc sha256sum hello mandelbrot; do
  [ -f "$APPS/$app.wasm" ] || { echo "FAIL: $APPS/$app.wasm is missing (build the default target)"; exit 1; }
done

t0=$(date +%s)
expect_rc 0 "the demo runs to its end" -- timeout 170 bash "$DEMO" "$GPUOS" "$APPS"
echo "  (demo: $(( $(date +%s) - t0 )) s)"
echo "$LAST_OUT" | sed 's/^/  | /' | head -n 80
contains "it boots a session" "session 'demo-"
# ps: the header, then at least one program of the demo still alive in it.
contains "ps: the process table" "PID  PPID  STATE"
grep -qE '^ *[0-9]+ +0 +(READY|RUNNING|BLOCKED) +(mandelbrot|charcount|wc|sha256sum|hello) ' <<<"$LAST_OUT"
check "ps: a program of the demo, alive" $?
contains "charcount: the seed's output" "Found "
contains "charcount: ... of the text it read" "unique chars"
contains "wc: its total line" " total"
grep -qE '^[0-9a-f]{64}  input.txt$' <<<"$LAST_OUT"; check "sha256sum: a digest" $?
contains "hello: its greeting" "Hello, GPU!"
contains "mandelbrot: its summary" "mandelbrot "
contains "wait: each exit status" "exited with status 0"
contains "the mailbox figures (ping)" "200 pings"
contains "the counters (stats)" "processes  0 live"
contains "the ring figures (status)" "records received"
contains "it shuts down" "shut down"
lacks "no program failed" "did not exit 0|pid [0-9]+ trapped|exited with status [1-9]|session failed"
[ -z "$(ls -A "$XDG_RUNTIME_DIR/gpuos" 2>/dev/null | grep '\.sock$')" ]; check "no session left running" $?
finish

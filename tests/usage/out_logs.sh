#!/usr/bin/env bash
# Issue 19, item 7: output where the user asked for it.
#  - `gpuos logs PID` shows one process's stdout and stderr as written:
#    whole lines (one the ring cut into several records), UTF-8 intact, no
#    ring records mixed in; after the process has exited too. Before the
#    fix there was no such verb.
#  - a process that wrote more than the session keeps (64 KiB; 1 KiB here,
#    GPUOS_OUTPUT_KEEP_BYTES) shows the last bytes, and `logs` says how
#    much was dropped.
#  - `logs -f` follows a running process until it exits; `--json` gives one
#    object per line, then an end object.
#  - `tail` shows that same line whole (before: cut into 108-byte records,
#    one line each), and a character the program wrote in two calls whole
#    (before: every byte >= 0x80 of a record that was not UTF-8 by itself
#    was shown as '?').
source "$(dirname "$0")/../fault/lib.sh" "$@"
need_device
need_guest wasi_out_writer
W=$GUESTS/wasi_out_writer.wasm
BIG=$(python3 -c 'print("utf8:" + "żółw ✓ 日本 " * 15 + "end")')

GPUOS_OUTPUT_KEEP_BYTES=1024 expect_rc 0 "boot" -- g boot -s lg --detach
expect_rc 0 "spawn a writer" -- g -s lg spawn "$W" -- lines
pid=$LAST_OUT
expect_rc 0 "it exits" -- g -s lg wait "$pid"

LAST_OUT=$(g -s lg logs "$pid" 2>"$WORK/err"); LAST_RC=$?
[ $LAST_RC -eq 0 ]; check "logs PID after the exit (exit $LAST_RC)" $?
printf 'first line\n%s\ncafé split\nlast line\n' "$BIG" >"$WORK/want"
printf '%s\n' "$LAST_OUT" | cmp -s - "$WORK/want"; check "stdout exactly as written: whole lines, UTF-8 intact" $?
[ "$(cat "$WORK/err")" = $'an error line\nsecond error' ]; check "stderr as written, on stderr" $?
lacks "no ring records mixed in" 'pid [0-9]+ +lane|stdout: |exit \['

expect_rc 0 "logs --json" -- g -s lg logs "$pid" --json
python3 - "$LAST_OUT" "$BIG" <<'PY'
import json, sys
objs = [json.loads(l) for l in sys.argv[1].splitlines()]
lines = [(o["stream"], o["text"]) for o in objs if "stream" in o]
assert lines == [("stdout", "first line"), ("stderr", "an error line"), ("stdout", sys.argv[2]),
                 ("stderr", "second error"), ("stdout", "café split"), ("stdout", "last line")], lines
end = objs[-1]
assert end["end"] and end["exited"] and end["status"] == 0 and end["dropped"] == 0 and all(o["schema"] for o in objs), end
PY
check "--json: one object per whole line, in order, then the end" $?

# tail: the long line whole, its UTF-8 as written.
expect_rc 0 "tail" -- g -s lg tail -n 1000
contains "tail shows the line the ring cut into records whole, UTF-8 intact" "stdout: $BIG"
contains "... and a character the program wrote in two calls whole" "stdout: café split"
lacks "... and no bytes shown as ? or \\xNN" 'std(out|err): .*(\?|\\x[89a-f])'
# More than is kept (the daemon was booted to keep 1,024 bytes a process;
# the default is 64 KiB, which takes minutes to fill on lavapipe): the
# last 1,024 bytes, and a note of what was dropped.
expect_rc 0 "spawn a writer of 4,096 bytes" -- g -s lg spawn "$W" -- flood 1
fpid=$LAST_OUT
expect_rc 0 "it exits" -- g -s lg wait "$fpid"
LAST_OUT=$(g -s lg logs "$fpid" 2>"$WORK/err")
[ "$(printf '%s\n' "$LAST_OUT" | wc -c)" -eq 1024 ]; check "the last 1,024 bytes are kept" $?
[ "$(printf '%s\n' "$LAST_OUT" | head -1 | cut -c1-11)" = "line 000048" ]; check "... from a line's start" $?
[ "$(printf '%s\n' "$LAST_OUT" | tail -1 | cut -c1-11)" = "line 000063" ]; check "... up to the last line" $?
LAST_OUT=$(cat "$WORK/err")
contains "... and logs says how much was dropped" "the first 3072 bytes pid $fpid wrote were dropped"

# -f: started while the process runs, ends when it exits, with every line.
expect_rc 0 "spawn a slow writer (4 lines, 1 s apart)" -- g -s lg spawn "$W" -- slow 4 1
spid=$LAST_OUT
start=$(date +%s)
expect_rc 0 "logs -f follows it until it exits" -- g -s lg logs -f "$spid"
[ "$LAST_OUT" = $'tick 0\ntick 1\ntick 2\ntick 3' ]; check "... with every line ($(( $(date +%s) - start )) s)" $?

expect_rc 1 "logs of a pid that never was" -- g -s lg logs 999999
contains "... says so" "no such process"

expect_rc 0 "shutdown" -- g -s lg shutdown
finish

#!/usr/bin/env bash
# Issue 19, item 7: `spawn --stdout/--stderr/--stdin` use the client's
# files. Before the fix the daemon opened the paths itself, so
# `--stdout /dev/stdout` wrote into the daemon's own log (and truncated it),
# a FIFO without a reader was refused, and --stdin took regular files only.
# Now the client opens each file (its working directory, its permissions)
# and passes the descriptor over the control socket (SCM_RIGHTS).
# Asserted:
#   - --stdout /dev/stdout: the output reaches the client's stdout; the
#     daemon's log keeps its boot lines and gets none of it;
#   - --stdout to a FIFO without a reader: the client waits for one (it
#     says so), the daemon answers others meanwhile, and once a reader comes
#     the reader gets the output;
#   - --stdout /dev/null and --stderr to a relative path (the client's cwd);
#   - --stdin from a FIFO and from /dev/null (cat);
#   - a request that names descriptors it did not bring is refused, and the
#     daemon keeps no descriptor a client sent (its count comes back).
source "$(dirname "$0")/../fault/lib.sh" "$@"
need_device
need_guest hello
need_guest wasi_out_writer
CAT=$(dirname "$GUESTS")/apps/cat.wasm
[ -f "$CAT" ] || { echo "FAIL: $CAT is missing (build the default target)"; exit 1; }
W=$GUESTS/wasi_out_writer.wasm
D=$XDG_RUNTIME_DIR/gpuos

expect_rc 0 "boot" -- g boot -s fd --detach
dpid=$(cat "$D/fd.lock")
fds() { ls "/proc/$dpid/fd" | wc -l; }
fd0=$(fds)
log_head=$(head -c 100 "$D/fd.log")

# /dev/stdout is the client's: here a file the test appends to.
: >"$WORK/client.out"
g -s fd spawn --stdout /dev/stdout "$GUESTS/hello.wasm" >>"$WORK/client.out"
p=$(grep -E "^[0-9]+$" "$WORK/client.out" | head -1)  # its pid; hello may come before or after it
expect_rc 0 "spawn --stdout /dev/stdout; its process exits" -- g -s fd wait "$p"
LAST_OUT=$(cat "$WORK/client.out")
contains "the output reached the client's stdout" "hello"
LAST_OUT=$(cat "$D/fd.log")
lacks "the daemon's log got none of it" "hello"
[ -n "$log_head" ] && [ "$(head -c 100 "$D/fd.log")" = "$log_head" ]; check "the daemon's log was not truncated (it starts as it did)" $?

# A FIFO without a reader: the client waits, not the daemon.
mkfifo "$WORK/fifo"
( timeout 30 "$GPUOS" -s fd spawn --stdout "$WORK/fifo" "$GUESTS/hello.wasm" >"$WORK/fifo.pid" 2>"$WORK/fifo.err"; echo $? >"$WORK/fifo.rc" ) &
sleep 1
[ ! -e "$WORK/fifo.rc" ]; check "spawn --stdout FIFO without a reader waits (as a shell's > would)" $?
LAST_OUT=$(cat "$WORK/fifo.err")
contains "... and says why" "is a FIFO with no reader: waiting for one"
expect_rc 0 "the daemon answers meanwhile" -- timeout 20 "$GPUOS" -s fd ping -n 2
timeout 30 cat "$WORK/fifo" >"$WORK/fifo.out" &
reader=$!
poll 20 test -s "$WORK/fifo.rc"; check "once a reader opens it, the spawn goes on" $?
[ "$(cat "$WORK/fifo.rc" 2>/dev/null)" = 0 ]; check "... and succeeds" $?
expect_rc 0 "... its process exits" -- g -s fd wait "$(head -1 "$WORK/fifo.pid")"
poll 20 grep -q hello "$WORK/fifo.out"; check "the reader got the output" $?
kill "$reader" 2>/dev/null; wait "$reader" 2>/dev/null

# /dev/null, and a relative path, resolved in the client's directory.
mkdir -p "$WORK/here"
expect_rc 0 "spawn --stdout /dev/null --stderr rel.err (relative)" -- bash -c 'cd "$1" && timeout 30 "$2" -s fd spawn --stdout /dev/null --stderr rel.err "$3" lines' _ "$WORK/here" "$GPUOS" "$W"
expect_rc 0 "... its process exits" -- g -s fd wait "$LAST_OUT"
LAST_OUT=$(cat "$WORK/here/rel.err" 2>&1)
[ "$LAST_OUT" = $'an error line\nsecond error' ]; check "stderr went to the file in the client's directory" $?

# --stdin from a FIFO (a writer feeds it) and from /dev/null.
mkfifo "$WORK/in"
( sleep 0.5; printf 'piped in\n' >"$WORK/in" ) &
expect_rc 0 "spawn cat --stdin FIFO" -- g -s fd spawn --stdin "$WORK/in" --stdout "$WORK/cat.out" "$CAT"
expect_rc 0 "... it exits" -- g -s fd wait "$LAST_OUT"
[ "$(cat "$WORK/cat.out")" = "piped in" ]; check "cat read the FIFO" $?
expect_rc 0 "spawn cat --stdin /dev/null" -- g -s fd spawn --stdin /dev/null --stdout "$WORK/null.out" "$CAT"
expect_rc 0 "... it exits (status 0, end of file at once)" -- g -s fd wait "$LAST_OUT"
[ ! -s "$WORK/null.out" ]; check "... having read nothing" $?

# A request naming descriptors it did not bring; a client that sends more
# descriptors than its requests claim.
python3 - "$D/fd.sock" "$GUESTS/hello.wasm" <<'PY' >"$WORK/raw.out" 2>&1
import json, os, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(json.dumps({"verb": "spawn", "path": sys.argv[2], "stdout_fd": 0}).encode() + b"\n")
print(s.makefile().readline().strip())
s2 = socket.socket(socket.AF_UNIX); s2.connect(sys.argv[1])
r, w = os.pipe()
socket.send_fds(s2, [json.dumps({"verb": "hello"}).encode() + b"\n"], [r, w, r, w])
socket.send_fds(s2, [b"\n"], [r, w, r, w])
print("closed" if not s2.recv(65536) or not s2.recv(65536) else "open")
PY
LAST_OUT=$(cat "$WORK/raw.out")
contains "a spawn naming a descriptor it did not pass is refused" "stdout_fd must name one of the 0 descriptors"
contains "a client that piles up descriptors is disconnected" "closed"
poll 10 bash -c "[ \$(ls /proc/$dpid/fd | wc -l) -le $((fd0 + 2)) ]"; rc=$?
now=$(fds)
check "the daemon keeps none of the descriptors clients sent (boot $fd0, now $now)" $rc
expect_rc 0 "shutdown" -- g -s fd shutdown
finish

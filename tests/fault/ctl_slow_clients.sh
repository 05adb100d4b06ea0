#!/bin/bash
# Issue 20, item 7 (first half): slow and hostile clients. 3,000 `tail -f`
# clients that never read took the daemon to 5 GB and 3,012 threads (a thread
# per client, and a backlog without bound). Here 1,000 followers never read
# while the session emits; ctl_slow_clients.py checks threads, memory, that
# ping and status answer, the connection limit, and the drop counts.
source "$(dirname "$0")/lib.sh" "$@"
need_device
HERE=$(cd "$(dirname "$0")" && pwd)
D=$XDG_RUNTIME_DIR/gpuos
expect_rc 0 "boot" -- g boot -s slow --detach
pid=$(cat "$D/slow.lock")
timeout 300 python3 "$HERE/ctl_slow_clients.py" "$D/slow.sock" "$pid" 1000 20000 | sed 's/^/  /'
check "ctl_slow_clients.py: every check passed" "${PIPESTATUS[0]}"
kill -0 "$pid" 2>/dev/null; check "the daemon is still alive" $?
expect_rc 0 "shutdown" -- g -s slow shutdown
finish

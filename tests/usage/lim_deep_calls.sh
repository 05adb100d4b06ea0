# lim_deep_calls (issue 19 item 1): no fixed size cuts recursion short. A
# process's call stack starts in its block and moves to a larger run of
# arena pages whenever a call finds it full (shaders/proc/stack.glsl), so
# recursion goes as deep as --max-call-depth and the process's pages allow.
# Before, anything deeper than about 245 frames trapped "call stack
# exhausted". The guest (guests/wasi_deep_calls.c) prints f(N) for a
# recursion N deep; this script computes f(N) itself.
source "$(dirname "$0")/../fault/lib.sh" "$@"
need_device
need_guest wasi_deep_calls
G=$GUESTS/wasi_deep_calls.wasm
cd "$WORK" || exit 1

f() {  # f N: f(0) = 0, f(n) = (f(n-1) * 31 + n) mod 2^32, as the guest computes it
  python3 -c "import sys
r = 0
for n in range(1, int(sys.argv[1]) + 1): r = (r * 31 + n) % 2**32
print(r)" "$1"
}

# 100,000 calls deep takes about 30 s on an idle lavapipe; T bounds a hang.
T=400 expect_rc 0 "recursion 100,000 deep by direct calls runs" -- g run "$G" direct 100000
contains "... and returns f(100000)" "depth 100000 result $(f 100000)"
T=300 expect_rc 0 "recursion 20,000 deep through call_indirect runs" -- g run "$G" indirect 20000
contains "... and returns f(20000)" "depth 20000 result $(f 20000)"

# --max-call-depth bounds it, on the stack's moves as in the block.
expect_rc 0 "2,900 deep under --max-call-depth 3000 runs" -- g run --max-call-depth 3000 "$G" direct 2900
contains "... and returns f(2900)" "depth 2900 result $(f 2900)"
expect_rc 134 "5,000 deep under --max-call-depth 3000 traps" -- g run --max-call-depth 3000 "$G" direct 5000
contains "... with 'call stack exhausted'" "call stack exhausted"
expect_rc 134 "100 deep under --max-call-depth 50 traps in the block" -- g run --max-call-depth 50 "$G" direct 100
contains "... with 'call stack exhausted'" "call stack exhausted"

# Recursion without end stops at the process's pages: 64 pages (4 MiB)
# hold a stack of 2 MiB at most, so it traps after a few moves.
T=300 expect_rc 134 "endless recursion traps when the stack outgrows --max-pages" -- \
  g run --max-pages 64 "$G" forever
contains "... with 'call stack exhausted' in forever" 'call stack exhausted in function'

# In a session: stacks moved, several processes at once, and every page of
# every stack given back when they exit.
expect_rc 0 "boot" -- g boot --detach
LAST_OUT=$(g stats --json)
pages_before=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["pages_used"])' <<<"$LAST_OUT")
pids=()
for i in 1 2 3 4; do
  expect_rc 0 "spawn deep process $i" -- g spawn --stdout "$WORK/deep$i.out" "$G" indirect $((3000 * i))
  pids+=("$(head -1 <<<"$LAST_OUT")")
done
for i in 1 2 3 4; do
  T=300 expect_rc 0 "deep process $i exits 0" -- g wait "${pids[$((i - 1))]}" --timeout 280
  grep -qF "depth $((3000 * i)) result $(f $((3000 * i)))" "$WORK/deep$i.out"
  check "deep process $i returns f($((3000 * i)))" $?
done
LAST_OUT=$(g stats --json)
pycheck "stats counts the stacks' moves (at least one a process)" \
  'assert d["counters"]["stack_moves"] >= 4, d["counters"]["stack_moves"]'
pycheck "every stack page is back after the exits (pages_used as before: $pages_before)" \
  'assert d["counters"]["pages_used"] == int(sys.argv[1]), d["counters"]["pages_used"]' "$pages_before"
expect_rc 0 "stats (text) shows the moves" -- g stats
contains "stats has a stacks line" "stacks "
expect_rc 0 "shutdown" -- g shutdown
finish

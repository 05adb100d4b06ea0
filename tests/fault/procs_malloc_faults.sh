# procs_malloc_faults (issue 20, item 9): impossible sizes, double frees
# and foreign frees against stdshim's malloc (the GPU slab heap). The guest
# checks the heap's answers and exits 0 only if all hold; this script checks
# that `gpuos stats --json` counted exactly the bad frees the guest made.
source "$(dirname "$0")/lib.sh" "$@"
need_device
need_guest procs_malloc_faults

expect_rc 0 "boot" -- g boot --detach
expect_rc 0 "spawn procs_malloc_faults" -- g spawn --stdout "$WORK/out" "$GUESTS/procs_malloc_faults.wasm"
PID=$(head -1 <<<"$LAST_OUT")
# The guest runs about 20 s on an idle lavapipe and three times that beside
# other tests on CI's two cores: wait's bound (and g's) is a hang guard.
T=330 expect_rc 0 "the guest's checks all hold (exit 0)" -- g wait "$PID" --timeout 300
cat "$WORK/out" 2>/dev/null | sed 's/^/  guest: /'
made=$(sed -n 's/^bad frees: \([0-9]*\)$/\1/p' "$WORK/out")
[ -n "$made" ] && [ "$made" -ge 10 ]; check "the guest made its bad frees (${made:-none})" $?
LAST_OUT=$(g stats --json)
counted=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["bad_frees"])' <<<"$LAST_OUT")
echo "  stats counters.bad_frees: $counted"
[ -n "$counted" ] && [ "$counted" = "$made" ]; check "stats --json counts every bad free, and nothing else" $?
expect_rc 0 "stats (text) shows a BAD_FREES column" -- g stats
contains "stats names BAD_FREES" "BAD_FREES"
expect_rc 0 "shutdown" -- g shutdown
finish

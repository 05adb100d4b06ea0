# procs_subtree_kill (issue 20, item 8): `gpuos kill --tree PID` for a PID
# below its tree's root ends PID and all its descendants, including those
# whose parent in between has exited and been reaped, and including the
# children of spawns that race the kill; the rest of the tree runs on.
# The guest (guests/procs_lineage.c) builds root -> bystander -> child and
# root -> top -> (ghost) -> p102 -> (ghost) -> leaf -> sleepers + churn.
# Before the fix, the kill of a non-root pid was refused.
source "$(dirname "$0")/lib.sh" "$@"
need_device
need_guest procs_lineage

expect_rc 0 "boot" -- g boot --detach
stat_of() { g stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"][sys.argv[1]])' "$1"; }
# "ARG:STATE" of each process of tree $1 in the table, one per line.
tree_roles() {
  g ps --json | python3 -c 'import json,sys
for p in json.load(sys.stdin)["procs"]:
    if p["group"] == int(sys.argv[1]): print(str(p["arg"]) + ":" + p["state"])' "$1"
}

expect_rc 0 "spawn the lineage" -- g spawn --stdout "$WORK/out" "$GUESTS/procs_lineage.wasm"
ROOT=$(head -1 <<<"$LAST_OUT")
poll 60 grep -q "top" "$WORK/out"; check "the root names its children" $?
TOP=$(sed -n 's/.*top \([0-9]*\).*/\1/p' "$WORK/out")
echo "  root $ROOT, top $TOP"

# Built: 100, 102, 104 and four 105s run, and 101 and 103 are ghosts
# (reaped, kept for their children): slots held exceed processes listed.
built() {
  local roles; roles=$(tree_roles "$ROOT")
  [ "$(grep -c '^105:' <<<"$roles")" -eq 4 ] && grep -q '^102:' <<<"$roles" && ! grep -qE '^10[13]:' <<<"$roles" &&
    [ "$(stat_of slots_used)" -ge $(( $(stat_of live) + $(stat_of zombies) + 2 )) ]
}
poll 90 built; check "the line of descent runs, through two reaped ancestors kept as ghosts" $?
echo "  before: $(tree_roles "$ROOT" | sort | tr '\n' ' ')"

expect_rc 0 "kill --tree of a pid below the root" -- g kill --tree "$TOP"
contains "it says what it ended" "killed pid $TOP and its descendants (in the tree of pid $ROOT)"
ended=$(sed -n 's/.*: \([0-9]*\) process.*/\1/p' <<<"$LAST_OUT")
[ -n "$ended" ] && [ "$ended" -ge 7 ]; check "it ended the top, 102, the leaf and its children ($ended >= 7)" $?
left=$(tree_roles "$ROOT" | grep -v ':ZOMBIE$' | cut -d: -f1 | sort | tr '\n' ' ')
echo "  left running: $left"
[ "$left" = "0 200 201 " ]; check "only the root, the bystander and its child run on" $?
# The top is the root's child: a zombie until the root waits. Every other
# slot of the line, ghosts included, is given back.
settled() { [ "$(stat_of live)" -eq 3 ] && [ "$(stat_of zombies)" -eq 1 ] && [ "$(stat_of slots_used)" -eq 4 ]; }
poll 20 settled; rc=$?
check "stats: 3 live, 1 zombie, 4 slots held (now $(stat_of live), $(stat_of zombies), $(stat_of slots_used))" $rc

expect_rc 0 "kill --tree of the same pid again (a zombie with nothing below)" -- g kill --tree "$TOP"
contains "nothing ended" ": 0 processes ended"
expect_rc 1 "kill --tree of no process" -- g kill --tree 999999
contains "no such process" "no such process"

expect_rc 0 "kill --tree of the root" -- g kill --tree "$ROOT"
contains "the whole tree" "killed the tree of pid $ROOT"
empty() { [ "$(stat_of live)" -eq 0 ] && [ "$(stat_of slots_used)" -eq 0 ] && [ "$(stat_of zombies)" -eq 0 ]; }
poll 20 empty; check "stats: nothing of the tree is left" $?
# A chain of 40 ghosts under one running process: its end frees them all,
# 32 in a row and the rest through the sweep (PROC_RELEASING).
expect_rc 0 "spawn a chain of 40 processes that exit as soon as they spawn" -- g spawn --arg 300 "$GUESTS/procs_lineage.wasm"
CHAIN=$(head -1 <<<"$LAST_OUT")
chained() { [ "$(stat_of live)" -eq 1 ] && [ "$(stat_of slots_used)" -eq 41 ]; }
poll 60 chained; rc=$?
check "one runs, 40 ghosts hold its line (now $(stat_of live) live, $(stat_of slots_used) slots)" $rc
expect_rc 0 "kill --tree of the chain's root, a ghost" -- g kill --tree "$CHAIN"
contains "one process ended" ": 1 process ended"
poll 20 empty; rc=$?
check "every ghost of the chain is given back (now $(stat_of slots_used) slots)" $rc
expect_rc 0 "shutdown" -- g shutdown
finish

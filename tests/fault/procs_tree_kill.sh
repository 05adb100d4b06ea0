# procs_tree_kill (issue 20, item 8): a guest fork bomb is held to the
# per-tree limit, the guest sees the refusal (-4), and `gpuos kill --tree`
# of its root ends every process of the tree, sleepers included.
source "$(dirname "$0")/lib.sh" "$@"
need_device
need_guest procs_forkbomb
need_guest hello
LIMIT=40

expect_rc 0 "boot with --max-procs-per-tree $LIMIT" -- g boot --detach --max-procs-per-tree $LIMIT

# Processes of tree $1 in the table (zombies too: they hold slots), and the
# most of them seen so far ($WORK/max).
tree_count() {
  g ps --json | python3 -c 'import json,sys
s=json.load(sys.stdin); print(sum(1 for p in s["procs"] if p["group"]==int(sys.argv[1])))' "$1"
}
echo 0 >"$WORK/max"
sample() {
  local n; n=$(tree_count "$1") || return 1
  [ "$n" -gt "$(cat "$WORK/max")" ] && echo "$n" >"$WORK/max"
  echo "$n"
}
stat_of() { g stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"][sys.argv[1]])' "$1"; }

expect_rc 0 "spawn the fork bomb" -- g spawn --stdout "$WORK/out" "$GUESTS/procs_forkbomb.wasm"
ROOT=$(head -1 <<<"$LAST_OUT")
echo "  root pid $ROOT"

# The bomb fills its tree up to the limit, then every spawn is refused.
full() { [ "$(sample "$ROOT")" -ge $LIMIT ] && [ "$(stat_of tree_refused)" -gt 0 ]; }
poll 60 full; check "the tree fills up to its limit and spawns are refused" $?
for i in 1 2 3 4 5; do sample "$ROOT" >/dev/null; sleep 0.3; done
max=$(cat "$WORK/max")
echo "  most processes of the tree seen at once: $max (limit $LIMIT)"
[ "$max" -le $LIMIT ]; check "the tree never holds more than $LIMIT slots" $?
[ "$(stat_of live)" -le $LIMIT ]; check "stats: no more than $LIMIT live" $?
[ "$(g stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["config"]["max_procs_per_tree"])')" = $LIMIT ]
check "stats --json config.max_procs_per_tree is $LIMIT" $?
poll 20 grep -q "refused: -4" "$WORK/out"; check "a guest saw the tree limit (-4) from gpuos_spawn" $?

expect_rc 1 "kill --tree of no process" -- g kill --tree 999999
contains "no such process" "no such process"

# The tree kill: one command, and nothing of the tree is left.
expect_rc 0 "kill --tree ROOT" -- g kill --tree "$ROOT"
contains "kill --tree says what it ended" "killed the tree of pid $ROOT"
ended=$(sed -n 's/.*: \([0-9]*\) process.*/\1/p' <<<"$LAST_OUT")
[ -n "$ended" ] && [ "$ended" -gt 1 ] && [ "$ended" -le $LIMIT ]; check "it ended 2..$LIMIT processes ($ended)" $?
[ "$(tree_count "$ROOT")" -eq 0 ]; check "no process of the tree is left (ps)" $?
empty() { [ "$(stat_of live)" -eq 0 ] && [ "$(stat_of slots_used)" -eq 0 ] && [ "$(stat_of zombies)" -eq 0 ]; }
poll 20 empty; check "stats: no live process, zombie or held slot is left" $?
[ "$(stat_of killed)" -ge "$ended" ]; check "stats counts the kills" $?

# A kill while the tree still grows: its spawns race the kill, and none
# of their children may escape it.
expect_rc 0 "spawn a second fork bomb" -- g spawn "$GUESTS/procs_forkbomb.wasm"
ROOT2=$(head -1 <<<"$LAST_OUT")
grows() { [ "$(tree_count "$ROOT2")" -ge 3 ]; }
poll 30 grows; check "the second tree grows" $?
expect_rc 0 "kill --tree while it grows" -- g kill --tree "$ROOT2"
[ "$(tree_count "$ROOT2")" -eq 0 ]; check "no process of the second tree is left" $?
poll 20 empty; check "stats: nothing of the second tree is left" $?

# The session still works.
expect_rc 0 "a spawn after the tree kill" -- g spawn "$GUESTS/hello.wasm"
expect_rc 0 "and it runs to its end" -- g wait "$(head -1 <<<"$LAST_OUT")" --timeout 30

expect_rc 0 "shutdown" -- g shutdown
finish

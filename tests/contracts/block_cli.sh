#!/usr/bin/env bash
# `gpuos block run|view|rollback` end to end with the project's token
# contract (issue 16, item 3): responses, commits, a view that writes
# nothing, a rollback, --json lines, and bad input that changes nothing.
# usage: block_cli.sh GPUOS CONTRACT_DIR
source "$(dirname "$0")/../fault/lib.sh" "$1" ""
CONTRACTS=${2:?usage: block_cli.sh GPUOS CONTRACT_DIR}
cp "$CONTRACTS/token.wasm" "$WORK/token.wasm"
DB=$WORK/db
cat >"$WORK/b10.jsonl" <<'B'
{"height": 10}
{"deploy": "token.wasm", "id": "2:1"}
{"call": "2:1", "inputs": ["0", "1000"], "caller": "0:5"}
{"call": "2:1", "inputs": ["0", "5"]}
{"call": "2:1", "inputs": ["99"]}
{"call": "2:1", "inputs": ["88"], "incoming": [["2:1", "100"]]}
B
printf '{"call": "2:1", "inputs": ["77", "5"]}\n' >"$WORK/b11.jsonl"
supply() { python3 -c 'import json,sys; d=json.loads(sys.stdin.read().splitlines()[-1]); print(int.from_bytes(bytes.fromhex(d["data"]), "little"))'; }

expect_rc 0 "run a block" -- g block run "$WORK/b10.jsonl" --db "$DB"
contains "the failed initialise says why" 'call 1 (line 4) 2:1: FAILED: abort  data revert: "already initialised"'
contains "the name" 'data "gpuos test token"'
contains "the summary" "block 10 committed: 4 calls, 1 failed"
contains "the executor is named" "cpu-reference executor"

expect_rc 0 "view the supply" -- g block view --db "$DB" 2:1 101 --json
[ "$(supply <<<"$LAST_OUT")" = 900 ]; check "1000 initialised, 100 burnt: 900" $?
expect_rc 0 "a view of a mint succeeds" -- g block view --db "$DB" 2:1 77 50
expect_rc 0 "view again" -- g block view --db "$DB" 2:1 101 --json
[ "$(supply <<<"$LAST_OUT")" = 900 ]; check "a view commits nothing" $?

expect_rc 0 "the next block, --json" -- g block run --json "$WORK/b11.jsonl" --db "$DB"
python3 - "$LAST_OUT" <<'PY'; check "its call line and end line" $?
import json, sys
lines = [json.loads(l) for l in sys.argv[1].splitlines()]
assert len(lines) == 2, lines
c, end = lines
assert c["schema"] == 1 and c["ok"] is True and c["call"] == 0 and c["target"] == "2:1", c
assert c["transfers"] == [["2:1", "5"]], c
assert c["storage"] == [["2f746f74616c737570706c79", (905).to_bytes(16, "little").hex()]], c
assert end["end"] is True and end["height"] == 11 and end["calls"] == 1 and end["failed"] == 0, end
assert end["executor"] == "cpu-reference", end
PY

expect_rc 0 "rollback to 10" -- g block rollback --db "$DB" --to 10 --json
pycheck "one block undone, at 10" 'assert d["undone"] == 1 and d["height"] == 10, d'
expect_rc 0 "view after the rollback" -- g block view --db "$DB" 2:1 101 --json
[ "$(supply <<<"$LAST_OUT")" = 900 ]; check "the supply is 10's again" $?

# Bad input: one line, exit 1, and the state unchanged.
one_error() {  # one_error NAME NEEDLE -- command...
  local name=$1 needle=$2; shift 3
  expect_rc 1 "$name: exit 1" -- "$@"
  contains "$name: says why" "$needle"
  [ "$(wc -l <<<"$LAST_OUT")" -eq 1 ]; check "$name: one line" $?
}
printf '{"height": 12}\n{"call": "2:1", "inputs": ["x"]}\n' >"$WORK/bad.jsonl"
one_error "a malformed block" 'bad.jsonl:2: inputs[0]: not a decimal u128' -- g block run "$WORK/bad.jsonl" --db "$DB"
one_error "a missing block file" "cannot be read" -- g block run "$WORK/none.jsonl" --db "$DB"
one_error "a directory as the block" "is a directory" -- g block run "$WORK" --db "$DB"
printf '{"height": 12}\n{"deploy": "junk.wasm", "id": "2:2"}\n' >"$WORK/junk.jsonl"
echo junk >"$WORK/junk.wasm"
one_error "a deploy that is no module" "junk.wasm is not a valid module" -- g block run "$WORK/junk.jsonl" --db "$DB"
one_error "an old block" "is not above the newest committed block, 10" -- g block run "$WORK/b10.jsonl" --db "$DB"
one_error "a view of no contract" "no contract is deployed at 2:9" -- g block view --db "$DB" 2:9 101
one_error "a view with a bad id" "not an id" -- g block view --db "$DB" 2-1 101
one_error "a rollback that is not back" "the newest block is 10" -- g block rollback --db "$DB" --to 10
touch "$WORK/notadir"
one_error "a database that is a file" "cannot open the state database" -- g block run "$WORK/b11.jsonl" --db "$WORK/notadir"
expect_rc 0 "after all that" -- g block view --db "$DB" 2:1 101 --json
[ "$(supply <<<"$LAST_OUT")" = 900 ]; check "the state is unchanged" $?
expect_rc 1 "a view of an unknown opcode fails" -- g block view --db "$DB" 2:1 42
contains "... and shows the revert" 'revert: "unknown opcode"'

# A long block says how far it is (stderr is no terminal here: a line every
# GPUOS_PROGRESS_MS, 10 s by default; 1 ms here, against 2,000 calls that
# take a second or more on the reference host).
for _ in $(seq 2000); do printf '{"call": "2:1", "inputs": ["101"]}\n'; done >"$WORK/long.jsonl"
GPUOS_PROGRESS_MS=1 g block run "$WORK/long.jsonl" --db "$DB" >"$WORK/long.out" 2>"$WORK/long.err"; rc=$?
[ $rc -eq 0 ]; check "a block of 2,000 calls (exit $rc)" $?
LAST_OUT=$(cat "$WORK/long.err")
contains "it shows progress on stderr" "block run: "
contains "... counting the calls" " of 2000 calls"
LAST_OUT=$(tail -1 "$WORK/long.out")
contains "... and commits them all" "2000 calls, 0 failed"
finish

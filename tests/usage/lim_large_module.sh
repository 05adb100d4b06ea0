# lim_large_module (issue 19 item 1): a module with thousands of functions,
# globals and table entries loads and runs under `gpuos run`, which sizes
# its session's process block to the program (--block-kib is a floor), and
# under `spawn` into a session booted with the default block, where its
# meta, globals and tables go to a run of arena pages of their own
# (ProgramDesc.parts_pages): one page for N=1000, 32 for N=4000.
# The module is generated here: N functions f_i returning i, N mutable
# globals g_i = i, and a table of the N functions. main adds every global
# and every f_i called through the table, 2 * (0 + 1 + ... + N-1) =
# N * (N - 1), and returns that mod 199, plus 1, as its exit status.
source "$(dirname "$0")/../fault/lib.sh" "$@"
need_device
WAT2WASM=$(command -v wat2wasm) || { echo "FAIL: wat2wasm (wabt) is not installed"; exit 1; }
module_of() {  # module_of N: $WORK/large_N.wasm
python3 - "$1" >"$WORK/large_$1.wat" <<'EOF'
import sys
n = int(sys.argv[1])
print('(module')
print('  (type $t (func (result i32)))')
for i in range(n):
    print(f'  (func $f{i} (type $t) (i32.const {i}))')
for i in range(n):
    print(f'  (global $g{i} (mut i32) (i32.const {i}))')
print(f'  (table {n} funcref)')
print('  (elem (i32.const 0) ' + ' '.join(f'$f{i}' for i in range(n)) + ')')
print('  (func (export "main") (result i32) (local $acc i32) (local $i i32)')
for i in range(n):
    print(f'    (local.set $acc (i32.add (local.get $acc) (global.get $g{i})))')
print('    (block $done (loop $next')
print(f'      (br_if $done (i32.ge_u (local.get $i) (i32.const {n})))')
print('      (local.set $acc (i32.add (local.get $acc) (call_indirect (type $t) (local.get $i))))')
print('      (local.set $i (i32.add (local.get $i) (i32.const 1)))')
print('      (br $next)))')
print('    (i32.add (i32.rem_u (local.get $acc) (i32.const 199)) (i32.const 1))))')
EOF
"$WAT2WASM" "$WORK/large_$1.wat" -o "$WORK/large_$1.wasm"; check "wat2wasm builds the $1-function module" $?
}
want_of() { echo $(( $1 * ($1 - 1) % 199 + 1 )); }
module_of 4000
module_of 1000
want=$(want_of 4000)
expect_rc "$want" "a module of 4000 functions, globals and table entries runs (exit $want)" -- g run "$WORK/large_4000.wasm"
expect_rc "$want" "... under --block-kib 4 too: the floor is raised (to 64 KiB; the rest goes to pages)" -- \
  g run --block-kib 4 "$WORK/large_4000.wasm"

# spawn into a session of the default block (16 KiB): the parts move out.
expect_rc 0 "boot with the default block" -- g boot --detach
LAST_OUT=$(g stats --json)
pycheck "... of 16 KiB" 'assert d["config"]["block_words"] == 4096, d["config"]'
pages_before=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["pages_used"])' <<<"$LAST_OUT")
pids=()
for n in 1000 4000 1000 4000; do
  expect_rc 0 "spawn the $n-function module" -- g spawn "$WORK/large_$n.wasm"
  pids+=("$(head -1 <<<"$LAST_OUT") $n")
done
for p in "${pids[@]}"; do
  set -- $p
  T=200 expect_rc "$(want_of "$2")" "... pid $1 ($2 functions) exits $(want_of "$2")" -- g wait "$1" --timeout 180
done
LAST_OUT=$(g stats --json)
pycheck "every parts run is back after the exits (pages_used as before: $pages_before)" \
  'assert d["counters"]["pages_used"] == int(sys.argv[1]), d["counters"]["pages_used"]' "$pages_before"
expect_rc 0 "shutdown" -- g shutdown

# The parts' pages count against what a process may hold.
expect_rc 0 "boot --max-pages 16" -- g boot --detach --max-pages 16
expect_rc 1 "spawn of the 4000-function module (32 pages of parts) is refused" -- g spawn "$WORK/large_4000.wasm"
contains "... saying why" "are more than a process may hold (16 pages; --max-pages)"
expect_rc 0 "... the 1000-function module (one page) runs" -- g spawn "$WORK/large_1000.wasm"
T=200 expect_rc "$(want_of 1000)" "... and exits $(want_of 1000)" -- g wait "$(head -1 <<<"$LAST_OUT")" --timeout 180
expect_rc 0 "shutdown" -- g shutdown
finish

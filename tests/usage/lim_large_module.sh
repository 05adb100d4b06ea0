# lim_large_module (issue 19 item 1): a module with thousands of functions,
# globals and table entries loads and runs under `gpuos run`, which sizes
# its session's process block to the program (--block-kib is a floor).
# The module is generated here: N functions f_i returning i, N mutable
# globals g_i = i, and a table of the N functions. main adds every global
# and every f_i called through the table, 2 * (0 + 1 + ... + N-1) =
# N * (N - 1), and returns that mod 199, plus 1, as its exit status.
source "$(dirname "$0")/../fault/lib.sh" "$@"
need_device
WAT2WASM=$(command -v wat2wasm) || { echo "FAIL: wat2wasm (wabt) is not installed"; exit 1; }
N=4000
python3 - "$N" >"$WORK/large.wat" <<'EOF'
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
"$WAT2WASM" "$WORK/large.wat" -o "$WORK/large.wasm"; check "wat2wasm builds the $N-function module" $?
want=$(( N * (N - 1) % 199 + 1 ))
expect_rc "$want" "a module of $N functions, globals and table entries runs (exit $want)" -- g run "$WORK/large.wasm"
expect_rc "$want" "... under --block-kib 4 too: the floor is raised to fit it" -- g run --block-kib 4 "$WORK/large.wasm"
finish

# lim_max_memory (issue 19 item 8): limits a user can set. `--max-memory
# SIZE` (64K..4G) on boot and run sets what each process of the session may
# hold, its linear memory, heap and call stack together (--max-pages in
# bytes); on spawn it lowers that for the processes it starts (and theirs).
# The guest (guests/wasi_mem_hog.c) takes memory 1 MiB at a time until
# malloc says no and prints "got N MiB": N is the limit less what its code,
# data and stack hold, so a limit of L MiB gives L-1 or a little less.
source "$(dirname "$0")/../fault/lib.sh" "$@"
need_device
need_guest wasi_mem_hog
G=$GUESTS/wasi_mem_hog.wasm
WAT2WASM=$(command -v wat2wasm) || { echo "FAIL: wat2wasm (wabt) is not installed"; exit 1; }
cd "$WORK" || exit 1

got() {  # got LO HI NAME: LAST_OUT says "got N MiB" with LO <= N <= HI
  local n
  n=$(sed -n 's/^got \([0-9]*\) MiB$/\1/p' <<<"$LAST_OUT")
  [ -n "$n" ] && [ "$n" -ge "$1" ] && [ "$n" -le "$2" ]
  check "$3 (got ${n:-nothing} MiB, wanted $1..$2)" $?
}

# The default is sized from the device: half the arena (lavapipe's 128 MiB,
# a quarter of a GPU's memory up to 8 GiB), at most 4 GiB.
expect_rc 0 "boot with the defaults" -- g boot --session defaults --detach
LAST_OUT=$(g -s defaults stats --json)
pycheck "the default limit is half the arena, at most 4 GiB (65536 pages)" \
  'c = d["config"]; assert c["max_pages"] == min(c["arena_pages"] // 2, 65536), c'
default_mib=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["config"]["max_pages"] // 16)' <<<"$LAST_OUT")
expect_rc 0 "shutdown of that session" -- g -s defaults shutdown

# run: the session's limit. The hog stops at 1000 MiB where the limit is more.
want=$((default_mib < 1000 ? default_mib : 1000))
T=300 expect_rc 0 "run: the default limit ($default_mib MiB)" -- g run "$G" 1000
got $((want - 4)) $((want < 1000 ? want - 1 : 1000)) "... holds a process to $default_mib MiB"
expect_rc 0 "run --max-memory 8M" -- g run --max-memory 8M "$G" 1000
got 5 7 "... holds it to 8 MiB"
# More than lavapipe's default arena (128 MiB): the arena grows to fit.
T=300 expect_rc 0 "run --max-memory 256M, more than a default arena may hold" -- g run --max-memory 256M "$G" 1000
got 250 255 "... gives it 256 MiB"

# Sizes that are not sizes, or out of range, are refused in one line.
expect_rc 125 "run --max-memory 5G is refused" -- g run --max-memory 5G "$G" 1
contains "... saying the range" "from 64K to 4G"
expect_rc 125 "run --max-memory 12X is refused" -- g run --max-memory 12X "$G" 1
contains "... naming the option" "--max-memory"
expect_rc 125 "--max-memory with --max-pages is refused" -- g run --max-memory 1M --max-pages 16 "$G" 1
contains "... saying they exclude each other" "excludes"

# boot: an arena given smaller than one process's limit is taken (a limit
# is a cap, not a reservation), with a warning in the session's log.
expect_rc 0 "boot --max-memory 512M --arena-mib 128 boots" -- \
  g boot --session small --detach --max-memory 512M --arena-mib 128
LAST_OUT=$(cat "$XDG_RUNTIME_DIR/gpuos/small.log" 2>&1)
contains "... warning that the arena cannot hold one such process" \
  "a process may hold 512 MiB (--max-memory), more than the arena holds (128 MiB; --arena-mib)"
expect_rc 1 "spawn --max-memory 256M there is refused: the arena cannot hold it" -- \
  g -s small spawn --max-memory 256M "$G" 1
contains "... saying so" "--max-memory 256 MiB: more than the session's arena holds (128 MiB; boot --arena-mib)"
expect_rc 0 "shutdown of that session" -- g -s small shutdown

# The page table's second level: past 64 MiB (1,024 pages) its entries live
# in extension pages, one per GiB (shaders/proc/page_table.glsl). A module
# whose initial memory needs one reads back what it stored past 64 MiB; a
# memory.grow to 1 GiB + 64 MiB needs a second. The pages they hold count
# against the limit, and every one is back after the exit.
echo '(module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory 1100)
  (func (export "_start")
    (i32.store (i32.const 72000000) (i32.const 42))
    (call $exit (i32.load (i32.const 72000000)))))' >"$WORK/big_initial.wat"
# grow(n) from 1 page; exit 0 when the grow fails, else the word stored in
# the new last page (the second extension page's first entry), read back
# with words at 64 MiB and 1 GiB (the first's).
echo '(module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory 1)
  (func (export "_start") (local $last i32)
    (if (i32.eq (memory.grow (i32.const 17408)) (i32.const -1)) (then (call $exit (i32.const 0))))
    (local.set $last (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 4)))
    (i32.store (local.get $last) (i32.const 42))
    (i32.store (i32.const 67108864) (i32.const 7))
    (i32.store (i32.const 1073741824) (i32.const 9))
    (call $exit (i32.add (i32.load (local.get $last))
      (i32.add (i32.load (i32.const 67108864)) (i32.load (i32.const 1073741824)))))))' >"$WORK/grow_two_ext.wat"
"$WAT2WASM" "$WORK/big_initial.wat" -o "$WORK/big_initial.wasm"; check "wat2wasm builds a module of 1,100 pages" $?
"$WAT2WASM" "$WORK/grow_two_ext.wat" -o "$WORK/grow_two_ext.wasm"; check "wat2wasm builds the grower" $?
expect_rc 0 "boot a session of 1100 MiB processes" -- g boot --session big --detach --max-memory 1100M
LAST_OUT=$(g -s big stats --json)
pages_before=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["pages_used"])' <<<"$LAST_OUT")
expect_rc 0 "spawn a module of 1,100 initial pages" -- g -s big spawn "$WORK/big_initial.wasm"
pid=$(head -1 <<<"$LAST_OUT")
T=200 expect_rc 42 "... it reads back the word it stored past 64 MiB" -- g -s big wait "$pid" --timeout 180
expect_rc 0 "spawn a grow to 17,409 pages (1088 MiB and one page)" -- g -s big spawn "$WORK/grow_two_ext.wasm"
pid=$(head -1 <<<"$LAST_OUT")
T=300 expect_rc 58 "... it reads back words in the block's table and both extension pages (42 + 7 + 9)" -- \
  g -s big wait "$pid" --timeout 280
expect_rc 0 "spawn it with --max-memory of 17,409 pages exactly" -- \
  g -s big spawn --max-memory 1114176K "$WORK/grow_two_ext.wasm"
pid=$(head -1 <<<"$LAST_OUT")
T=200 expect_rc 0 "... its grow fails: the table's two extension pages count against the limit" -- \
  g -s big wait "$pid" --timeout 180
LAST_OUT=$(g -s big stats --json)
pycheck "every page, extension pages too, is back after the exits (pages_used as before: $pages_before)" \
  'assert d["counters"]["pages_used"] == int(sys.argv[1]), d["counters"]["pages_used"]' "$pages_before"
expect_rc 0 "shutdown of that session" -- g -s big shutdown

# spawn: lower than the session's, per spawn; never higher.
expect_rc 0 "boot (a 64 MiB session)" -- g boot --detach --max-memory 64M
expect_rc 0 "spawn --max-memory 4M" -- g spawn --stdout "$WORK/small.out" --max-memory 4M "$G" 1000
small=$(head -1 <<<"$LAST_OUT")
expect_rc 0 "spawn without it" -- g spawn --stdout "$WORK/full.out" "$G" 1000
full=$(head -1 <<<"$LAST_OUT")
T=200 expect_rc 0 "the 4M process exits 0" -- g wait "$small" --timeout 180
T=200 expect_rc 0 "the other exits 0" -- g wait "$full" --timeout 180
LAST_OUT=$(cat "$WORK/small.out"); got 1 3 "spawn --max-memory 4M holds its process to 4 MiB"
LAST_OUT=$(cat "$WORK/full.out"); got 60 63 "... and the session's 64 MiB holds the other"
expect_rc 1 "spawn --max-memory 1G in a 64 MiB session is refused" -- g spawn --max-memory 1G "$G" 1
contains "... naming the session's limit and its option" "this session gives a process at most 64 MiB (boot --max-memory)"
echo '(module (memory 4) (func (export "_start")))' >"$WORK/four.wat"
"$WAT2WASM" "$WORK/four.wat" -o "$WORK/four.wasm"; check "wat2wasm builds a module of 4 pages" $?
expect_rc 1 "spawn --max-memory 128K of a module that starts with 256 KiB is refused" -- \
  g spawn --max-memory 128K "$WORK/four.wasm"
contains "... saying so" "starts with 256 KiB of memory, more than --max-memory 128 KiB"
expect_rc 0 "shutdown" -- g shutdown
finish

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
cd "$WORK" || exit 1

got() {  # got LO HI NAME: LAST_OUT says "got N MiB" with LO <= N <= HI
  local n
  n=$(sed -n 's/^got \([0-9]*\) MiB$/\1/p' <<<"$LAST_OUT")
  [ -n "$n" ] && [ "$n" -ge "$1" ] && [ "$n" -le "$2" ]
  check "$3 (got ${n:-nothing} MiB, wanted $1..$2)" $?
}

# run: the session's limit.
expect_rc 0 "run: the default limit (64 MiB)" -- g run "$G" 1000
got 60 63 "... holds a process to 64 MiB"
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

# spawn: lower than the session's, per spawn; never higher.
expect_rc 0 "boot (a 64 MiB session)" -- g boot --detach
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
WAT2WASM=$(command -v wat2wasm) || { echo "FAIL: wat2wasm (wabt) is not installed"; exit 1; }
echo '(module (memory 4) (func (export "_start")))' >"$WORK/four.wat"
"$WAT2WASM" "$WORK/four.wat" -o "$WORK/four.wasm"; check "wat2wasm builds a module of 4 pages" $?
expect_rc 1 "spawn --max-memory 128K of a module that starts with 256 KiB is refused" -- \
  g spawn --max-memory 128K "$WORK/four.wasm"
contains "... saying so" "starts with 256 KiB of memory, more than --max-memory 128 KiB"
expect_rc 0 "shutdown" -- g shutdown
finish

# Issue 20 item 10: messages name options that exist, conflicting options
# are refused, and preopens are numbered in the order given. Before the fix
# errors pointed at --block-kib, --max-pages and --store-mib, which no verb
# had; a bad --dir-ro said --dir; --no-cwd --cwd-rw was accepted silently;
# and every --dir came before every --dir-ro, whatever the order given.
source "$(dirname "$0")/lib.sh" "$@"
need_guest hello
need_guest wasi_input_preopens
cd "$WORK" || exit 1
T=30

# The options the session's messages name exist on the verbs that boot one.
expect_rc 0 "boot --help" -- g boot --help
for o in --max-pages --block-kib --store-mib --proc-slots --arena-mib --profile; do
  contains "... lists $o" "$o"
done
expect_rc 0 "run --help" -- g run --help
for o in --max-pages --block-kib --store-mib --proc-slots; do
  contains "... lists $o" "$o"
done
# ... and they are taken: each bad value is refused by name.
expect_rc 125 "run --max-pages 0 is refused" -- g run --max-pages 0 "$GUESTS/hello.wasm"
contains "... naming it" "--max-pages"

# A module over each limit is refused (before any boot) with the option named.
HDR='\000asm\001\000\000\000\001\004\001\140\000\000\003\002\001\000'
TAIL='\007\012\001\006_start\000\000\012\004\001\002\000\013'
printf "$HDR"'\005\004\001\000\320\017'"$TAIL" >mem2000.wasm               # (memory 2000)
printf "$HDR"'\004\006\001\160\000\300\204\075'"$TAIL" >table1m.wasm       # (table 1000000 funcref)
printf "$HDR"'\004\007\001\160\000\300\215\267\001'"$TAIL" >table3m.wasm   # (table 3000000 funcref)
{ printf "$HDR"'\005\003\001\000\001'"$TAIL"'\013\211\200\200\001\001\000\101\000\013\200\200\200\001'
  head -c 2097152 /dev/zero; } >data2m.wasm                                   # 2 MiB of data
expect_rc 126 "a memory over --max-pages" -- g run --max-pages 1024 mem2000.wasm
contains "... names --max-pages" "(pages per process; --max-pages)"
# A table of 10^6 entries (8 MiB) runs: its meta and tables go to a run of
# pages of its own, at most 16 MiB (or the pages a process may hold).
expect_rc 0 "a table of 10^6 entries runs" -- g run table1m.wasm
expect_rc 126 "a table of 3 x 10^6 entries is refused" -- g run table3m.wasm
contains "... says why" "(a process's meta, globals and tables take at most 4194304 words: 16 MiB, or its --max-pages if fewer)"
expect_rc 0 "boot a session" -- g boot --session opts --detach
expect_rc 1 "spawn of it into a session is refused too" -- g -s opts spawn table3m.wasm
contains "... says why" "at most 4194304 words: 16 MiB, or its --max-pages if fewer)"
expect_rc 0 "shutdown of that session" -- g -s opts shutdown
expect_rc 126 "data over the program store" -- g run --store-mib 1 data2m.wasm
contains "... names --store-mib" "(the program store of 1 MiB; --store-mib)"

# Conflicting options.
expect_rc 125 "run --no-cwd --cwd-rw is refused" -- g run --no-cwd --cwd-rw "$GUESTS/hello.wasm"
contains "... saying they exclude each other" "excludes"
# Options of one form of `run` given to the other were silently ignored.
expect_rc 125 "run --invoke with --dir is refused" -- g run --invoke _start --dir "$WORK" mem2000.wasm
contains "... saying why" "--dir goes without --invoke"
expect_rc 125 "run --invoke with --device is refused" -- g run --invoke _start --device 0 mem2000.wasm
contains "... saying why" "--device goes without --invoke"
# --max-call-depth goes with both forms (a process's stack grows up to it);
# --invoke's own stack holds at most 1,000,000 levels.
expect_rc 0 "run (a program) takes --max-call-depth" -- g run --max-call-depth 100 "$GUESTS/hello.wasm"
contains "... and runs the program" "hello from pid 1"
expect_rc 125 "run --invoke with --max-call-depth past 1,000,000 is refused" -- \
  g run --invoke _start --max-call-depth 2000000 mem2000.wasm
contains "... saying why" "--invoke nests calls at most 1000000 deep"
# A bad --dir-ro says --dir-ro (and a bad --dir, --dir).
expect_rc 125 "run --dir-ro of a missing directory" -- g run --dir-ro "$WORK/nope" "$GUESTS/hello.wasm"
contains "... names --dir-ro" "--dir-ro $WORK/nope: not a directory"
expect_rc 125 "run --dir of a missing directory" -- g run --dir "$WORK/nope" "$GUESTS/hello.wasm"
contains "... names --dir" "--dir $WORK/nope: not a directory"
expect_rc 1 "spawn --dir-ro of a missing directory" -- g spawn --dir-ro "$WORK/nope" "$GUESTS/hello.wasm"
contains "... names --dir-ro" "--dir-ro $WORK/nope: not a directory"

# Preopens in command-line order, --dir and --dir-ro mixed. These boot.
need_device
mkdir A B C
expect_rc 0 "run with --dir-ro A, --dir B, --dir-ro C" -- \
  g run --no-cwd --dir-ro A:a --dir B:b --dir-ro C:c "$GUESTS/wasi_input_preopens.wasm"
contains "... A is fd 3" "preopen 3 a"
contains "... B is fd 4" "preopen 4 b"
contains "... C is fd 5" "preopen 5 c"
expect_rc 0 "run with the cwd, --dir B, --dir-ro A" -- g run --dir B:b --dir-ro A:a "$GUESTS/wasi_input_preopens.wasm"
contains "... the cwd is fd 3" "preopen 3 ."
contains "... B is fd 4" "preopen 4 b"
contains "... A is fd 5" "preopen 5 a"
# The size options work, not just parse: the 2000-page module runs with room.
expect_rc 0 "run --max-pages 2048 --block-kib 32 takes the 2000-page module" -- \
  g run --max-pages 2048 --block-kib 32 mem2000.wasm
finish

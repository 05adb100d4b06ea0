# Issue 19 item 3: `gpuos run` and `gpuos spawn` parse their arguments as
# wasmtime does. gpuos options come before the module; the module and every
# word after it are the program's, `--` or not, even words that look like
# gpuos options; a `--` right after the module is dropped; --dir and
# --dir-ro take one value each. Unknown verbs say so; `gpuos help VERB`
# works; `run --help` says how arguments reach the program.
# Before the fix: `run --dir . wc.wasm words.txt` failed with "--dir
# wc.wasm: not a directory", `run hello.wasm -n 2 world` ran two instances,
# `run wc.wasm -l f` was refused, and `spawn --stdout o.log --dir . x.wasm
# -- 0` said "0: no such file".
source "$(dirname "$0")/../fault/lib.sh" "$@"
APPS=$(dirname "$GUESTS")/apps
PROBE=$GUESTS/wasi_cli_probe.wasm
need_guest wasi_cli_probe
for app in wc hello; do
  [ -f "$APPS/$app.wasm" ] || { echo "FAIL: $APPS/$app.wasm is missing (build the default target)"; exit 1; }
done

# --- no device needed: verbs, help ------------------------------------------------
expect_rc 1 "an unknown verb is refused" -- g foo
contains "... as an unknown command" "gpuos: unknown command 'foo'"
contains "... with the list of commands" "spawn"
lacks "... not CLI11's message" "A subcommand is required|not expected"
expect_rc 0 "gpuos help run" -- g help run
contains "... is run's help" "--dir-ro"
contains "... saying how arguments reach the program" "MODULE and every word after it belong to the program"
expect_rc 0 "gpuos help spawn" -- g help spawn
contains "... is spawn's help" "--stdout"
expect_rc 1 "gpuos help of an unknown verb" -- g help nope
contains "... says so" "unknown command 'nope'"
expect_rc 0 "gpuos run --help" -- g run --help
contains "... says how arguments reach the program" "MODULE and every word after it belong to the program"
expect_rc 125 "run without a module" -- g run --no-cwd
contains "... says the module is missing" "no module given"
expect_rc 125 "an unknown option before the module is refused" -- g run --bogus "$PROBE"
contains "... naming it" "unknown option '--bogus'"

need_device
cd "$WORK" || exit 1
printf 'one two\nthree\n' >f
printf 'a b c\n' >words.txt

# --- run: everything after the module is the program's ----------------------------
expect_rc 0 "run --dir . wc.wasm words.txt (--dir takes one value)" -- g run --dir . "$APPS/wc.wasm" words.txt
contains "... counts the file" "words.txt"
contains "... 1 line, 3 words, 6 bytes" "      1       3       6 words.txt"

expect_rc 0 "run wc.wasm -l f: -l is wc's option" -- g run "$APPS/wc.wasm" -l f
contains "... lines only" "      2 f"
lacks "... no word count" "      2       3"

expect_rc 0 "run PROBE -n 2 world: one instance, three arguments" -- g run "$PROBE" -n 2 world
contains "... argv[0] is the module's file name" "argv[0]=wasi_cli_probe.wasm"
contains "... argv[1] is -n" "argv[1]=-n"
contains "... argv[2] is 2" "argv[2]=2"
contains "... argv[3] is world" "argv[3]=world"
[ "$(grep -c '^argc=' <<<"$LAST_OUT")" = 1 ]; check "... one instance ran, not two" $?

expect_rc 0 "run hello.wasm -n 2 world (the issue's case)" -- g run "$APPS/hello.wasm" -n 2 world
[ "$(grep -c 'Hello, world!' <<<"$LAST_OUT")" = 2 ] && grep -qF 'Hello, -n!' <<<"$LAST_OUT"
check "... one instance greets -n, 2 and world" $?

expect_rc 0 "run PROBE -- --dir x -v: a -- right after the module is dropped" -- g run "$PROBE" -- --dir x -v
contains "... argv[1] is --dir" "argv[1]=--dir"
contains "... argv[3] is -v" "argv[3]=-v"
contains "... argc 4" "argc=4"

expect_rc 0 "run PROBE a -- b: a later -- reaches the program" -- g run "$PROBE" a -- b
contains "... argv[2] is --" "argv[2]=--"
contains "... argc 4" "argc=4"

expect_rc 0 "run -n 2 PROBE x: options before the module still work" -- g run -n 2 "$PROBE" x
[ "$(grep -c '^argv\[1\]=x' <<<"$LAST_OUT")" = 2 ]; check "... two instances, each with argv[1]=x" $?

expect_rc 0 "run --no-cwd --dir-ro . --dir . PROBE q: one value each" -- g run --no-cwd --dir-ro . --dir . "$PROBE" q
contains "... and the program runs" "argv[1]=q"

# --- spawn: the same rule -----------------------------------------------------------
expect_rc 0 "boot a session" -- g boot -d
expect_rc 0 "spawn --stdout o.log --dir . PROBE -- 0 (the issue's case)" -- g spawn --stdout "$WORK/o.log" --dir . "$PROBE" -- 0
pid=$(tail -1 <<<"$LAST_OUT")
expect_rc 0 "wait for it" -- g wait "$pid"
LAST_OUT=$(cat "$WORK/o.log")
contains "... argv[1] is 0" "argv[1]=0"
contains "... argc 2 (the -- was dropped)" "argc=2"
contains "... argv[0] is the program's name" "argv[0]=wasi_cli_probe"

expect_rc 0 "spawn -n 2 --stdout o2.log PROBE -n 5 --json" -- g spawn -n 2 --stdout "$WORK/o2.log" "$PROBE" -n 5 --json
[ "$(wc -l <<<"$LAST_OUT")" = 2 ]; check "... two pids, printed as text (--json was the program's)" $?
for p in $LAST_OUT; do g wait "$p" >/dev/null 2>&1; done
LAST_OUT=$(cat "$WORK/o2.log")
[ "$(grep -c '^argv\[3\]=--json' <<<"$LAST_OUT")" = 2 ]; check "... both instances got -n 5 --json" $?

expect_rc 1 "spawn with an unknown option before the module" -- g spawn --nope "$PROBE"
contains "... naming it" "unknown option '--nope'"
expect_rc 0 "shutdown" -- g shutdown
finish

# Issue 19 item 6: the environment and exit codes of a program.
# - `--env KEY=VALUE` (repeatable), `--env KEY` and `--env-inherit` on run
#   and spawn reach the program's WASI environ; without them it is empty,
#   and `spawn` never hands out the daemon's own environment.
# - run and wait pass the program's exit status through unchanged; gpuos's
#   own failures are 125 (bad arguments, no session, no device), 126 (the
#   module cannot run), 127 (no such module), 134 a trap, the same in run
#   and wait.
# Before the fix: the environment was always empty and --env unknown; a trap
# was 5 under run and 134 under wait; a missing module, a bad option, no
# session and a bad module were all 1 or 2, which a program may return too.
source "$(dirname "$0")/../fault/lib.sh" "$@"
PROBE=$GUESTS/wasi_cli_probe.wasm
need_guest wasi_cli_probe
cd "$WORK" || exit 1
head -c 200 /dev/urandom >junk.wasm

# --- exit codes that need no device ------------------------------------------------
expect_rc 127 "run of a missing module: 127" -- g run nope.wasm
expect_rc 126 "run of a junk module: 126" -- g run junk.wasm
expect_rc 127 "run --invoke of a missing module: 127" -- g run --invoke f nope.wasm
expect_rc 125 "run with a bad option value: 125" -- g run -n 0 "$PROBE"
expect_rc 125 "run with an unknown option: 125" -- g run --nope "$PROBE"
expect_rc 125 "run --env with an empty KEY: 125" -- g run --env =x "$PROBE"
contains "... saying why" "non-empty KEY"
expect_rc 125 "wait without a session: 125" -- g wait 1
contains "... saying why" "gpuos:"
expect_rc 125 "wait with a bad pid: 125" -- g wait abc
expect_rc 2 "ps without a session keeps its 2" -- g ps

need_device
# --- the environment under run ------------------------------------------------------
expect_rc 0 "run without --env: an empty environment" -- env FROM_SHELL=1 timeout "$T" "$GPUOS" run "$PROBE"
contains "... envc=0" "envc=0"
expect_rc 0 "run --env A=1 --env 'B=two words' --env C=" -- g run --env A=1 --env "B=two words" --env C= "$PROBE" x
contains "... A=1 first" "env[0]=A=1"
contains "... B keeps its space" "env[1]=B=two words"
contains "... C empty" "env[2]=C="
contains "... three variables" "envc=3"
contains "... and argv is untouched" "argv[1]=x"
expect_rc 0 "run --env FROM_SHELL takes this command's value" -- env FROM_SHELL=shell-value timeout "$T" "$GPUOS" run --env FROM_SHELL "$PROBE"
contains "... FROM_SHELL=shell-value" "env[0]=FROM_SHELL=shell-value"
expect_rc 0 "run --env-inherit --env FROM_SHELL=over" -- env FROM_SHELL=shell-value OTHER=kept timeout "$T" "$GPUOS" run --env-inherit --env FROM_SHELL=over "$PROBE"
contains "... inherits OTHER" "=OTHER=kept"
contains "... --env overrides FROM_SHELL" "=FROM_SHELL=over"
lacks "... in place of the inherited value" "FROM_SHELL=shell-value"

# --- exit codes under run -------------------------------------------------------------
expect_rc 7 "run: the program's exit 7 passes through" -- g run "$PROBE" exit=7
expect_rc 1 "run: the program's exit 1 passes through" -- g run "$PROBE" exit=1
expect_rc 44 "run: exit 300 is 44, as a shell sees exit(300)" -- g run "$PROBE" exit=300
expect_rc 134 "run: a trap is 134" -- g run "$PROBE" trap
contains "... and says so" "trapped: unreachable"
expect_rc 125 "run --device 99: no such device is 125" -- g run --device 99 "$PROBE"
contains "... saying why" "gpuos:"

# --- spawn and wait: the client's environment, the same codes -------------------------
expect_rc 0 "boot a daemon whose environment holds DAEMON_ONLY" -- env DAEMON_ONLY=secret timeout "$T" "$GPUOS" boot -d
expect_rc 0 "spawn --env A=1" -- g spawn --stdout "$WORK/a.out" --env A=1 "$PROBE"
pid=$(tail -1 <<<"$LAST_OUT")
expect_rc 0 "... exits 0" -- g wait "$pid" --timeout 30
LAST_OUT=$(cat "$WORK/a.out")
contains "... its environment is A=1" "env[0]=A=1"
contains "... alone" "envc=1"
lacks "... never the daemon's" "DAEMON_ONLY"
expect_rc 0 "spawn --env-inherit" -- env CLIENT_VAR=from-client timeout "$T" "$GPUOS" spawn --stdout "$WORK/b.out" --env-inherit "$PROBE"
pid=$(tail -1 <<<"$LAST_OUT")
expect_rc 0 "... exits 0" -- g wait "$pid" --timeout 30
LAST_OUT=$(cat "$WORK/b.out")
contains "... has the client's CLIENT_VAR" "=CLIENT_VAR=from-client"
lacks "... and not the daemon's DAEMON_ONLY" "DAEMON_ONLY"
expect_rc 0 "spawn without --env" -- g spawn --stdout "$WORK/c.out" "$PROBE"
pid=$(tail -1 <<<"$LAST_OUT")
g wait "$pid" --timeout 30 >/dev/null 2>&1
LAST_OUT=$(cat "$WORK/c.out")
contains "... an empty environment" "envc=0"

expect_rc 0 "spawn a program that exits 7" -- g spawn "$PROBE" exit=7
pid=$(tail -1 <<<"$LAST_OUT")
expect_rc 7 "wait passes its 7 through" -- g wait "$pid" --timeout 30
expect_rc 0 "spawn a program that traps" -- g spawn "$PROBE" trap
pid=$(tail -1 <<<"$LAST_OUT")
expect_rc 134 "wait: a trap is 134, as under run" -- g wait "$pid" --timeout 30
expect_rc 125 "wait for a pid that never was: 125" -- g wait 99999 --timeout 5
expect_rc 1 "spawn keeps 1 for a refused module" -- g spawn junk.wasm
expect_rc 0 "shutdown" -- g shutdown
finish

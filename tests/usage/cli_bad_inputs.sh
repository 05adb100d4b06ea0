# Issue 19 item 4: no CLI path aborts. Every verb that takes a file is fed a
# nonexistent, empty, unreadable, directory, junk and truncated input, and
# bad option values; each must end with its documented exit code and one
# line on stderr, never an uncaught exception (exit 134) or a crash (139).
# Before the fix, CLI11's refusals of bad option values took two lines
# ("--instances: Value 0 not in range ...", "Run with --help ..."), and an
# exception out of a verb (any std::exception) ended in std::terminate.
source "$(dirname "$0")/../fault/lib.sh" "$@"
APPS=$(dirname "$GUESTS")/apps
SRC=$(cd "$(dirname "$0")/../.." && pwd)
[ -f "$APPS/hello.wasm" ] || { echo "FAIL: $APPS/hello.wasm is missing (build the default target)"; exit 1; }

# one_line NAME WANT -- command...: exits WANT (never 134 or 139) and prints
# exactly one line, "gpuos: ...".
one_line() {
  local name=$1 want=$2; shift 3
  LAST_OUT=$("$@" 2>&1); LAST_RC=$?
  local lines bad=0
  lines=$(printf '%s' "$LAST_OUT" | grep -c '')
  { [ "$LAST_RC" -eq 134 ] || [ "$LAST_RC" -eq 139 ]; } && bad=1
  [ "$LAST_RC" -eq "$want" ] || bad=1
  [ "$lines" -eq 1 ] || bad=1
  [[ "$LAST_OUT" == gpuos:* ]] || bad=1
  [ $bad -eq 0 ] || echo "  (exit $LAST_RC, wanted $want; $lines lines) $(head -c 600 <<<"$LAST_OUT")"
  check "$name" $bad
}

cd "$WORK" || exit 1
# The inputs.
: >empty.wasm
mkdir adir
head -c 3000 /dev/urandom >junk.wasm
head -c 100 "$APPS/hello.wasm" >trunc.wasm
cp "$APPS/hello.wasm" locked.wasm && chmod 000 locked.wasm
printf 'text\n' >afile
ROOT=0
if cat locked.wasm >/dev/null 2>&1; then
  ROOT=1
  echo "SKIP (visible): running as uid $(id -u), which reads mode-000 files: the unreadable-file cases run as nobody below where setpriv can (spawn's and suite's are not run: the daemon and the manifest reader are root here)"
fi
# name WANT_RUN: the module inputs and what `run` exits with for each.
MODULES=("nope.wasm 127" "empty.wasm 126" "adir 126" "junk.wasm 126" "trunc.wasm 126")
[ $ROOT = 0 ] && MODULES+=("locked.wasm 126")

# --- run MODULE, run --invoke f MODULE ----------------------------------------------
for m in "${MODULES[@]}"; do
  set -- $m
  one_line "run $1: exit $2, one line" "$2" -- g run "$1"
  one_line "run --invoke f $1: exit $2, one line" "$2" -- g run --invoke f "$1"
done
# --- run: files in its options --------------------------------------------------------
one_line "run --stdin of a missing file" 125 -- g run --stdin nope.txt "$APPS/hello.wasm"
one_line "run --stdin of a directory" 125 -- g run --stdin adir "$APPS/hello.wasm"
[ $ROOT = 0 ] && one_line "run --stdin of an unreadable file" 125 -- g run --stdin locked.wasm "$APPS/hello.wasm"
# As root, the unreadable cases of `run` run as nobody where setpriv can
# drop to it, on a copy in a folder nobody can reach (WORK is root's 0700).
if [ $ROOT = 1 ] && command -v setpriv >/dev/null; then
  PUB=$(mktemp -d) && chmod 755 "$PUB" && cp "$APPS/hello.wasm" "$PUB/locked.wasm" && chmod 000 "$PUB/locked.wasm"
  nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups timeout "$T" "$GPUOS" "$@"; }
  one_line "run of an unreadable module (as nobody): 126" 126 -- nobody run "$PUB/locked.wasm"
  one_line "run --invoke f of an unreadable module (as nobody): 126" 126 -- nobody run --invoke f "$PUB/locked.wasm"
  one_line "run --stdin of an unreadable file (as nobody): 125" 125 -- nobody run --stdin "$PUB/locked.wasm" "$APPS/hello.wasm"
  rm -rf "$PUB"
elif [ $ROOT = 1 ]; then
  echo "SKIP (visible): no setpriv to drop to nobody: the unreadable-file cases of run are not run"
fi
one_line "run --dir of a missing directory" 125 -- g run --dir nope "$APPS/hello.wasm"
one_line "run --dir of a file" 125 -- g run --dir afile "$APPS/hello.wasm"
one_line "run --dir-ro with an empty GUEST" 125 -- g run --dir-ro adir: "$APPS/hello.wasm"
# --- run: bad option values -------------------------------------------------------------
one_line "run -n 0" 125 -- g run -n 0 "$APPS/hello.wasm"
one_line "run -n abc" 125 -- g run -n abc "$APPS/hello.wasm"
one_line "run --max-pages 70000" 125 -- g run --max-pages 70000 "$APPS/hello.wasm"
one_line "run --block-kib x" 125 -- g run --block-kib x "$APPS/hello.wasm"
one_line "run --dir without a value" 125 -- g run --dir
one_line "run --invoke without a name" 125 -- g run --invoke
one_line "run --env without KEY" 125 -- g run --env =v "$APPS/hello.wasm"
one_line "run --no-cwd --cwd-rw" 125 -- g run --no-cwd --cwd-rw "$APPS/hello.wasm"

# --- suite DIR --------------------------------------------------------------------------
mkdir -p s/none s/empty s/junk s/trunc s/isdir/suite.json s/locked
: >s/empty/suite.json
head -c 500 /dev/urandom >s/junk/suite.json
head -c 60 "$SRC/apps/suites/basic/suite.json" >s/trunc/suite.json
printf '{"schema":1,"name":"x","cases":[]}\n' >s/locked/suite.json && chmod 000 s/locked/suite.json
one_line "suite of a missing folder" 125 -- g suite nope
one_line "suite of a file" 125 -- g suite afile
one_line "suite of a folder without suite.json" 125 -- g suite s/none
one_line "suite: an empty suite.json" 125 -- g suite s/empty
one_line "suite: a junk suite.json" 125 -- g suite s/junk
one_line "suite: a truncated suite.json" 125 -- g suite s/trunc
one_line "suite: suite.json is a directory" 125 -- g suite s/isdir
[ $ROOT = 0 ] && one_line "suite: an unreadable suite.json" 125 -- g suite s/locked
one_line "suite --apps-dir of a missing folder" 125 -- g suite --apps-dir nope "$SRC/apps/suites/basic"
one_line "suite --apps-dir without the apps: 127" 127 -- g suite --apps-dir adir "$SRC/apps/suites/basic"
one_line "suite --timeout 0" 125 -- g suite --timeout 0 s/none
one_line "suite -j abc" 125 -- g suite -j abc s/none
one_line "suite without a folder" 125 -- g suite

# --- client verbs without a session: bad values first ---------------------------------
one_line "kill abc" 1 -- g kill abc
one_line "kill 0" 1 -- g kill 0
one_line "wait abc" 125 -- g wait abc
one_line "wait 0" 125 -- g wait 0
one_line "wait --timeout -1 1" 125 -- g wait --timeout -1 1
one_line "tail -n abc" 1 -- g tail -n abc
one_line "ping -n 0" 1 -- g ping -n 0
one_line "emit abc" 1 -- g emit abc
one_line "emit --kind nope 1" 1 -- g emit --kind nope 1
one_line "a bad session name" 1 -- g -s ../x ps
one_line "info --device abc" 1 -- g info --device abc
one_line "boot --ring abc" 1 -- g boot --ring abc
one_line "ps without a session: 2" 2 -- g ps
one_line "wait without a session: 125" 125 -- g wait 1

# --- spawn: the daemon reads the files --------------------------------------------------
need_device
expect_rc 0 "boot a session" -- g boot -d
for m in "${MODULES[@]}"; do
  set -- $m
  one_line "spawn $1: exit 1, one line" 1 -- g spawn "$1"
done
one_line "spawn --stdin of a missing file" 1 -- g spawn --stdin nope.txt "$APPS/hello.wasm"
one_line "spawn --stdin of a directory" 1 -- g spawn --stdin adir "$APPS/hello.wasm"
one_line "spawn --stdout to a directory" 1 -- g spawn --stdout adir "$APPS/hello.wasm"
one_line "spawn --stderr in a missing folder" 1 -- g spawn --stderr nope/err "$APPS/hello.wasm"
one_line "spawn --dir of a file" 1 -- g spawn --dir afile "$APPS/hello.wasm"
one_line "spawn -n 0" 1 -- g spawn -n 0 "$APPS/hello.wasm"
one_line "spawn --arg -1" 1 -- g spawn --arg -1 "$APPS/hello.wasm"
one_line "spawn --env without KEY" 1 -- g spawn --env =v "$APPS/hello.wasm"
one_line "wait for a pid that never was" 125 -- g wait 999
one_line "kill a pid that never was" 1 -- g kill 999
expect_rc 0 "the session still serves" -- g spawn "$APPS/hello.wasm"
expect_rc 0 "shutdown" -- g shutdown
chmod 700 locked.wasm s/locked/suite.json 2>/dev/null
finish

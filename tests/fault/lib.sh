# Helpers for the fault tests and tests/integration/cli_test.sh (sourced,
# not run). A test script:
#   source "$(dirname "$0")/lib.sh" "$@"   # GPUOS, GUESTS, WORK, g, checks
#   need_device                            # exit 77 (skipped) without one
#   ... expect_rc / contains / lacks / check ...
#   finish                                 # "N passed, N failed"; exit 1 on a failure
# Every command goes through `g` (a timeout), so a hang fails the test and
# never blocks it. Each script gets its own XDG_RUNTIME_DIR and work folder,
# removed (with any session still up in it) on exit.
set -u
GPUOS=${1:?usage: TEST.sh /path/to/gpuos GUEST_DIR}
GUESTS=${2:-}
T=${T:-60}
WORK=$(mktemp -d)
export XDG_RUNTIME_DIR=$WORK/run
mkdir -p "$XDG_RUNTIME_DIR"
chmod 0700 "$XDG_RUNTIME_DIR"
unset GPUOS_SESSION GPUOS_DEVICE
pass=0
failed=0
failures=()
LAST_OUT=
LAST_RC=0

fault_cleanup() {
  for sock in "$XDG_RUNTIME_DIR"/gpuos/*.sock; do
    [ -e "$sock" ] || continue
    timeout 10 "$GPUOS" -s "$(basename "$sock" .sock)" shutdown >/dev/null 2>&1
  done
  pkill -P $$ 2>/dev/null
  rm -rf "$WORK"
}
trap fault_cleanup EXIT

g() { timeout "$T" "$GPUOS" "$@"; }

check() {  # check NAME STATUS: STATUS 0 passes
  if [ "$2" -eq 0 ]; then
    pass=$((pass + 1)); echo "ok   $1"
  else
    failed=$((failed + 1)); failures+=("$1"); echo "FAIL $1"
  fi
}

expect_rc() {  # expect_rc WANT NAME -- command...   (output in LAST_OUT, status in LAST_RC)
  local want=$1 name=$2; shift 3
  LAST_OUT=$("$@" 2>&1); LAST_RC=$?
  if [ "$LAST_RC" -ne "$want" ]; then echo "  (exit $LAST_RC, wanted $want) $(head -c 600 <<<"$LAST_OUT")"; fi
  [ "$LAST_RC" -eq "$want" ]; check "$name" $?
}

contains() {  # contains NAME NEEDLE  (a fixed string in LAST_OUT)
  if ! grep -qF -- "$2" <<<"$LAST_OUT"; then echo "  output lacks '$2': $(head -c 400 <<<"$LAST_OUT")"; false; fi
  check "$1" $?
}

lacks() {  # lacks NAME REGEX  (no line of LAST_OUT matches)
  if grep -qE -- "$2" <<<"$LAST_OUT"; then echo "  output has '$2': $(head -c 400 <<<"$LAST_OUT")"; false; fi
  check "$1" $?
}

pycheck() {  # pycheck NAME PYTHON [ARGS...]: the code reads LAST_OUT as JSON (d) and asserts
  local name=$1 code=$2; shift 2
  local out
  out=$(python3 -c "import json, sys
d = json.loads(sys.stdin.read())
$code" "$@" <<<"$LAST_OUT" 2>&1)
  local rc=$?
  if [ $rc -ne 0 ]; then echo "  $(tail -2 <<<"$out") in: $(head -c 300 <<<"$LAST_OUT")"; fi
  check "$name" $rc
}

need_device() {
  if ! timeout 60 "$GPUOS" info --no-probe >/dev/null 2>&1; then
    echo "SKIP: no usable Vulkan device ($("$GPUOS" info --no-probe 2>&1 | tail -1))"
    exit 77
  fi
}

need_guest() {  # need_guest NAME: GUESTS/NAME.wasm must exist (the build makes it)
  if [ ! -f "$GUESTS/$1.wasm" ]; then
    echo "FAIL: guest $GUESTS/$1.wasm is missing (build the default target)"
    exit 1
  fi
}

poll() {  # poll SECONDS command...: every 0.2 s until it exits 0 (then 0) or time runs out (1)
  local until=$(( $(date +%s) + $1 )); shift
  while true; do
    "$@" >/dev/null 2>&1 && return 0
    [ "$(date +%s)" -ge "$until" ] && return 1
    sleep 0.2
  done
}

finish() {
  echo "$pass passed, $failed failed"
  for f in "${failures[@]}"; do echo "  failed: $f"; done
  [ "$failed" -eq 0 ]
  exit $?
}

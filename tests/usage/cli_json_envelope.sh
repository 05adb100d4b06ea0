#!/usr/bin/env bash
# Issue 19, item 12: every `--json` reply has the same envelope
# (docs/cli.md, "The envelope"; cli/json_out.h):
#   - every stdout line is one JSON object with "schema":1 and "ok" (before:
#     `status`, `ps`, `stats`, `tail` and `logs` lines had no "ok", and
#     `info` and `suite` printed over several lines);
#   - a failure under --json ends stdout with
#     {"schema":1,"ok":false,"error":...,"exit_code":N}, N the exit status,
#     and the same message on stderr (before: nothing on stdout);
#   - a program's own status (`wait`) is no failure: "ok":true.
# It also pins the documented shapes of `status --json` and `info --json`.
source "$(dirname "$0")/../fault/lib.sh" "$@"
need_device
need_guest wasi_cli_probe
need_guest spin
PROBE=$GUESTS/wasi_cli_probe.wasm

# envelope NAME WANT_RC KIND -- command...: runs it with stdout and stderr
# apart, checks the status, then every stdout line against the envelope.
# KIND: ok (every line "ok":true), error (the last line is the error line
# with exit_code WANT_RC, and stderr says the same).
envelope() {
  local name=$1 want=$2 kind=$3; shift 4
  "$@" >"$WORK/out" 2>"$WORK/err"; LAST_RC=$?
  LAST_OUT=$(cat "$WORK/out")
  [ "$LAST_RC" -eq "$want" ] || echo "  (exit $LAST_RC, wanted $want) $(head -c 300 "$WORK/err")"
  [ "$LAST_RC" -eq "$want" ]; check "$name: exit $want" $?
  local why
  why=$(python3 - "$WORK/out" "$WORK/err" "$kind" "$want" <<'PY' 2>&1
import json, sys
out, err, kind, want = open(sys.argv[1], encoding="utf-8").read(), open(sys.argv[2]).read(), sys.argv[3], int(sys.argv[4])
lines = out.split("\n")
assert lines[-1] == "", "stdout does not end with a newline"
lines = lines[:-1]
assert lines, "nothing on stdout"
docs = []
for l in lines:
    d = json.loads(l)  # one document per line: a pretty-printed one fails here
    assert isinstance(d, dict), "not an object: %r" % l[:80]
    assert d.get("schema") == 1, "no schema 1: %r" % l[:120]
    assert isinstance(d.get("ok"), bool), "no ok: %r" % l[:120]
    docs.append(d)
if kind == "ok":
    bad = [d for d in docs if not d["ok"]]
    assert not bad, "ok:false in %r" % bad[:1]
else:
    last = docs[-1]
    assert last["ok"] is False, "the last line is not the error line: %r" % last
    assert isinstance(last.get("error"), str) and last["error"], "no error text: %r" % last
    assert last.get("exit_code") == want, "exit_code %r, the status is %d" % (last.get("exit_code"), want)
    assert "gpuos: " + last["error"] in err, "stderr lacks the same message: %r vs %r" % (last["error"], err[:200])
    assert all(d["ok"] for d in docs[:-1]), "an ok:false line before the last"
PY
)
  local rc=$?
  [ $rc -eq 0 ] || echo "  $why | stdout: $(head -c 300 "$WORK/out")"
  check "$name: the envelope ($kind)" $rc
}

# --- no session needed ---------------------------------------------------------------
envelope "info --no-probe" 0 ok -- g info --json --no-probe
pycheck "info: the documented keys" '
assert set(d) == {"schema", "ok", "devices", "chosen", "io_backend"}, sorted(d)
assert set(d["chosen"]) == {"index", "why", "passed_over"}, sorted(d["chosen"])
assert set(d["io_backend"]) == {"name", "why"}, sorted(d["io_backend"])'
envelope "info with the probe" 0 ok -- g info --json
pycheck "info: the mode object" '
assert set(d["mode"]) == {"mode", "reason", "workgroups", "lanes", "control_memory", "ring_memory", "host_memory"}, sorted(d["mode"])'
envelope "info --device 99" 4 error -- g info --json --no-probe --device 99
envelope "status of no session" 2 error -- g status --json -s nosuch
envelope "ping -n 0 (a refused argument)" 1 error -- g ping --json -n 0
envelope "wait: no session" 125 error -- g wait --json -s nosuch 5
envelope "spawn: no session" 2 error -- g spawn --json -s nosuch "$PROBE"
envelope "suite: no such folder" 125 error -- g suite --json "$WORK/nosuite"
if command -v wat2wasm >/dev/null 2>&1; then
  printf '(module (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s))' >"$WORK/m.wat"
  wat2wasm "$WORK/m.wat" -o "$WORK/m.wasm"
  envelope "run --invoke" 0 ok -- g run --invoke div --json "$WORK/m.wasm" 7 2
  envelope "run --invoke: a trap" 134 error -- g run --invoke div --json "$WORK/m.wasm" 7 0
  pycheck "run --invoke: the trap's kind on the error line" 'assert "divide by zero" in d["trap"], d'
  envelope "run --invoke: no such export" 125 error -- g run --invoke nope --json "$WORK/m.wasm"
else
  echo "SKIP: run --invoke checks (no wat2wasm)"
fi

# --- a session -------------------------------------------------------------------------
expect_rc 0 "boot" -- g boot -s js --detach
envelope "status" 0 ok -- g status --json -s js
pycheck "status: the documented keys" '
assert set(d) == {"schema", "ok", "device", "mode", "mode_reason", "kernel", "commands", "ring", "memory", "io",
                  "uptime_s", "failed", "failure"}, sorted(d)
assert set(d["device"]) == {"index", "name", "type"}, sorted(d["device"])
assert set(d["kernel"]) == {"state", "workgroups", "lanes", "lanes_running", "launches", "heartbeat", "loop_cuts"}, sorted(d["kernel"])
assert set(d["ring"]) == {"capacity", "received", "bytes", "drops", "lost_claims", "position"}, sorted(d["ring"])
assert set(d["memory"]) == {"control", "ring", "host"}, sorted(d["memory"])
assert set(d["io"]) == {"backend", "requests", "slots", "slots_held"}, sorted(d["io"])'
envelope "ping" 0 ok -- g ping --json -s js -n 3
envelope "emit" 0 ok -- g emit --json -s js 3
envelope "spawn" 0 ok -- g spawn --json -s js "$PROBE" hello exit=3
pid=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["pids"][0])' <"$WORK/out")
envelope "wait: the program's status 3 is no failure" 3 ok -- g wait --json -s js "$pid"
envelope "logs" 0 ok -- g logs --json -s js "$pid"
envelope "tail" 0 ok -- g tail --json -s js -n 20
python3 - "$WORK/out" <<'PY'; check "tail: every record line has its kind, and one end line" $?
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1])]
assert docs[-1].get("end") is True, docs[-1]
assert all("kind" in d for d in docs[:-1]), docs[:3]
PY
envelope "ps" 0 ok -- g ps --json -s js
envelope "stats" 0 ok -- g stats --json -s js
envelope "kill: no such pid" 1 error -- g kill --json -s js 99999
envelope "logs: no such pid" 1 error -- g logs --json -s js 99999
envelope "wait: no such pid" 125 error -- g wait --json -s js 99999
envelope "spawn: no such module" 1 error -- g spawn --json -s js "$WORK/missing.wasm"
envelope "spawn --stdin of a missing file" 1 error -- g spawn --json -s js --stdin "$WORK/none" "$PROBE"
envelope "spawn a spinner" 0 ok -- g spawn --json -s js "$GUESTS/spin.wasm"
spin=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["pids"][0])' <"$WORK/out")
envelope "kill" 0 ok -- g kill --json -s js "$spin"
envelope "shutdown" 0 ok -- g shutdown --json -s js
finish

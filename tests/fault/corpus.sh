#!/usr/bin/env bash
# The bad-input corpus (issue 20, item 11): every module the WebAssembly spec
# suite says is malformed or invalid (assert_malformed / assert_invalid, in
# binary form: 2,211 modules in the suite beside this repo), and every
# truncation of a real guest, fed to `gpuos run` (a session of its own) and to
# `gpuos spawn` (a booted daemon that reads the file itself).
#
# Each one must be refused: exit 126 from run (the module cannot run; issue 19
# item 6), 1 from spawn, one line on stderr that starts "gpuos: ",
# never a crash (134, 139), an "internal error", or a hang (10 s each). The
# daemon must still answer afterwards, with no process started.
#
# `run` refuses a bad module before it boots a device, so the 2,211 runs take
# seconds, not a kernel boot each. The corpus comes from ../shared/wasm-spec
# (GPUOS_SPEC_DIR) through wabt's wast2json; without them the test skips.
source "$(dirname "$0")/lib.sh" "$@"
SPEC=${GPUOS_SPEC_DIR:-}
if [ -z "$SPEC" ] || [ ! -d "$SPEC" ] || ! command -v wast2json >/dev/null; then
  echo "SKIP: no spec suite (GPUOS_SPEC_DIR=$SPEC) or no wast2json"
  exit 77
fi
need_device
need_guest hello

# --- the corpus: the spec's refused modules, then truncations ------------------
mkdir -p "$WORK/spec" "$WORK/bad"
for f in "$SPEC"/*.wast; do
  wast2json "$f" -o "$WORK/spec/$(basename "$f" .wast).json" >/dev/null 2>&1
done
python3 - "$WORK/spec" "$WORK/bad" "$GUESTS/hello.wasm" <<'PY'
import json, glob, os, shutil, sys
spec, bad, hello = sys.argv[1:4]
n = 0
for j in sorted(glob.glob(os.path.join(spec, '*.json'))):
    for c in json.load(open(j))['commands']:
        if c['type'] in ('assert_invalid', 'assert_malformed') and c.get('module_type') == 'binary':
            shutil.copy(os.path.join(spec, c['filename']), os.path.join(bad, 'spec-%04d.wasm' % n))
            n += 1
data = open(hello, 'rb').read()
# Every prefix up to 64 bytes, then every 7th: headers, section sizes and
# bodies are all cut somewhere.
cuts = sorted(set(list(range(0, min(64, len(data)))) + list(range(64, len(data), 7))))
for k in cuts:
    open(os.path.join(bad, 'cut-%05d.wasm' % k), 'wb').write(data[:k])
print('%d spec modules, %d truncations of hello.wasm (%d bytes)' % (n, len(cuts), len(data)))
PY
total=$(ls "$WORK/bad" | wc -l)
[ "$total" -gt 2000 ]; check "the corpus holds the spec's refused modules ($total files)" $?

# judge MODE FILE...: runs each; prints one line per failure; the count last.
judge() {
  local mode=$1; shift
  python3 - "$mode" "$GPUOS" "$@" <<'PY'
import subprocess, sys
mode, gpuos, files = sys.argv[1], sys.argv[2], sys.argv[3:]
bad = 0
for f in files:
    cmd = [gpuos, 'run', f] if mode == 'run' else [gpuos, 'spawn', f]
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
    except subprocess.TimeoutExpired:
        print('  %s %s: no answer in 10 s' % (mode, f)); bad += 1; continue
    err = p.stderr.decode('utf-8', 'replace').strip()
    lines = err.splitlines()
    why = None
    want = 126 if mode == 'run' else 1  # run: the module cannot run (docs/cli.md); spawn: refused
    if p.returncode != want: why = 'exit %d, wanted %d' % (p.returncode, want)
    elif len(lines) != 1: why = '%d lines on stderr' % len(lines)
    elif not lines[0].startswith('gpuos: '): why = 'message does not start with "gpuos: "'
    elif 'internal error' in err or 'terminate' in err: why = 'internal error'
    elif p.stdout: why = 'printed on stdout'
    if why:
        bad += 1
        if bad <= 20: print('  %s %s: %s: %s' % (mode, f, why, err[:200]))
print(bad)
PY
}

# --- gpuos run: refused before any device work ---------------------------------
out=$(judge run "$WORK"/bad/*.wasm)
echo "$out" | sed '$d'
[ "$(echo "$out" | tail -1)" = 0 ]; check "run refuses all $total bad modules: exit 126, one line, no crash" $?

# --- gpuos spawn: the daemon refuses each and stays up --------------------------
expect_rc 0 "boot a session for spawn" -- g boot --detach
out=$(judge spawn "$WORK"/bad/*.wasm)
echo "$out" | sed '$d'
[ "$(echo "$out" | tail -1)" = 0 ]; check "spawn refuses all $total bad modules: exit 1, one line, no crash" $?
expect_rc 0 "the daemon still answers" -- g ping -n 5
expect_rc 0 "ps after the corpus" -- g ps --json
python3 -c "import json,sys; d=json.loads(sys.stdin.read()); sys.exit(1 if d.get('procs') else 0)" <<<"$LAST_OUT"
check "no process was started by a refused module" $?
expect_rc 0 "a good module still spawns" -- g spawn "$GUESTS/hello.wasm"
expect_rc 0 "shutdown" -- g shutdown
finish

# Issue 20 item 7 (second half): guest text reaches the terminal only as
# visible escapes. input_escapes writes an OSC title sequence, a CSI colour,
# backspace, CR, DEL, an 8-bit CSI (U+009B), a bidi override and an embedded
# newline; `tail` must show each as an escape (no raw ESC byte reaches the
# terminal) and keep valid UTF-8, a newline must start a line of its own
# with the pid's prefix (issue 19 item 7: lines as written, never a bare
# line a program could pass off as another's), and `tail --raw`
# must print the bytes as written. A program whose file name holds an ESC
# sequence must show escaped in `ps` (and raw with `ps --raw`). Before the
# fix, tail and ps printed every byte as it came.
source "$(dirname "$0")/lib.sh" "$@"
need_device
need_guest input_escapes
need_guest spin
cd "$WORK" || exit 1
S=input_escape
ESC=$(printf '\033')
expect_rc 0 "boot a session" -- g boot -s $S --detach

expect_rc 0 "spawn the guest" -- g spawn -s $S "$GUESTS/input_escapes.wasm"
pid=$LAST_OUT
expect_rc 0 "... it exits 0" -- g wait -s $S "$pid" --timeout 30
expect_rc 0 "tail" -- g tail -s $S -n 50
contains "... shows the OSC sequence escaped" 'osc:\x1b]0;pwned\x07 '
contains "... and the CSI colour" 'csi:\x1b[31mred\x1b[0m '
contains "... and backspace, CR, DEL" 'bs:\x08 cr:\r del:\x7f '
contains "... and the 8-bit CSI" 'c1:\u009b '
contains "... and the bidi override" 'bidi:\u202e '
contains "... and the newline ends that line" 'nl:a'
contains "... keeps valid UTF-8" "utf8:h$(printf '\303\251')llo$(printf '\342\202\254') "
lacks "... and no raw ESC byte reaches the terminal" "$ESC"
[ "$(grep -c 'esc-test' <<<"$LAST_OUT")" -eq 1 ] && grep -qE "pid $pid +lane [0-9]+ +stdout: b end\$" <<<"$LAST_OUT" &&
  ! grep -q '^b end' <<<"$LAST_OUT"
check "... the text after it is a line of its own, with the pid's prefix" $?
expect_rc 0 "tail --raw" -- g tail -s $S -n 50 --raw
contains "... prints the ESC bytes as written" "osc:${ESC}]0;pwned"
contains "... and the newline" "nl:a"
expect_rc 0 "tail --json" -- g tail -s $S -n 50 --json
contains "... is exact (JSON escapes)" 'osc:\u001b]0;pwned\u0007'

# A program name with an ESC sequence (clear screen) in it.
name="evil${ESC}[2Jname"
cp "$GUESTS/spin.wasm" "$name.wasm"
expect_rc 0 "spawn a program named with an ESC sequence" -- g spawn -s $S "$WORK/$name.wasm"
spid=$LAST_OUT
expect_rc 0 "ps" -- g ps -s $S
contains "... shows the name escaped" 'evil\x1b[2Jname'
lacks "... and no raw ESC byte" "$ESC"
expect_rc 0 "ps --raw" -- g ps -s $S --raw
contains "... shows it as given" "$name"
expect_rc 0 "kill it" -- g kill -s $S "$spid"
expect_rc 0 "shutdown" -- g shutdown -s $S
finish

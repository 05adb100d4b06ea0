# Issue 20 items 2 and 3 (and issue 19): `gpuos run` and `gpuos suite` on bad
# input. Every case must end at once (lib.sh's timeout is set to 10 s here,
# so a FIFO that blocks fails the test instead of hanging it) with its exit
# code (docs/cli.md: 125 bad arguments, 126 cannot run, 127 no such module)
# and one line that says what is wrong; before the fix a directory,
# /proc/self/mem, /dev/zero (after 92 s) and a removed working directory
# aborted `run` (exit 134), a FIFO blocked it forever, and a 46-byte module
# declaring a table of 10^9 entries made it allocate gigabytes.
# No case here boots a session, so no device is needed.
source "$(dirname "$0")/lib.sh" "$@"
T=10
need_guest hello
cd "$WORK" || exit 1

# Module bytes: header, type () -> (), one function, [table|memory], export
# "_start", body `end`. LEB128 of 10^9 is 80 94 eb dc 03.
HDR='\000asm\001\000\000\000\001\004\001\140\000\000\003\002\001\000'
TAIL='\007\012\001\006_start\000\000\012\004\001\002\000\013'
printf "$HDR"'\004\010\001\160\000\200\224\353\334\003'"$TAIL" >table1g.wasm
printf "$HDR"'\004\010\001\160\000\377\377\377\377\017'"$TAIL" >table4g.wasm
printf "$HDR"'\005\004\001\000\320\017'"$TAIL" >mem2000.wasm    # (memory 2000)

one_line() {  # one_line NAME: LAST_OUT is a single line
  [ "$(printf '%s\n' "$LAST_OUT" | wc -l)" -eq 1 ]; check "$1" $?
}

# ---- item 2: sizes a module declares, refused before anything is sized from them
expect_rc 126 "run: table of 10^9 entries refused" -- g run table1g.wasm
contains "... names the declaration" "table 0 declares 1000000000 entries"
contains "... and the option that sets the limit" "--max-pages"
one_line "... in one line"
expect_rc 126 "run: table of 2^32-1 entries refused (was std::bad_alloc)" -- g run table4g.wasm
contains "... names the declaration" "table 0 declares 4294967295 entries"
expect_rc 126 "run --invoke: table of 10^9 entries refused" -- g run --invoke _start table1g.wasm
contains "... names the declaration and limit" "table 0 declares 1000000000 entries; at most 1048576 allowed"
expect_rc 126 "run: memory over --max-pages refused" -- g run --max-pages 1024 mem2000.wasm
contains "... names --max-pages" "memory 0 declares 2000 pages; at most 1024 allowed (pages per process; --max-pages)"
expect_rc 126 "run --invoke: memory over its --max-pages refused" -- g run --invoke _start --max-pages 1000 mem2000.wasm
contains "... names --max-pages" "--max-pages"

# Names from the module reach the terminal escaped (item 7): an import whose
# module name is an OSC title sequence.
printf '\000asm\001\000\000\000\001\004\001\140\000\000\002\016\001\010\033]0;pwn\007\001f\000\000' >escimport.wasm
expect_rc 126 "run: a module importing from an ESC-sequence name" -- g run escimport.wasm
contains "... shows the name escaped" 'import \x1b]0;pwn\x07.f: unknown module'
lacks "... and no raw ESC byte" "$(printf '\033')"

# ---- item 3: files that are not modules
mkdir adir
mkfifo fifo
: >empty.wasm
printf 'this is not a module\n' >junk.wasm
head -c 20 table1g.wasm >trunc.wasm
truncate -s 1G huge.wasm
expect_rc 126 "run: a directory" -- g run adir
contains "... says so" "adir: is a directory, not a module file"
one_line "... in one line"
expect_rc 126 "run: /proc/self/mem" -- g run /proc/self/mem
contains "... says so" "/proc/self/mem: cannot read it"
one_line "... in one line"
expect_rc 126 "run: /dev/zero, at once" -- g run /dev/zero
contains "... says so" "/dev/zero: is a character device, not a module file"
expect_rc 126 "run: a FIFO with no writer, without blocking" -- g run fifo
contains "... says so" "fifo: is a FIFO, not a module file"
expect_rc 127 "run: a missing file" -- g run nope.wasm
contains "... says so" "nope.wasm: no such file"
expect_rc 126 "run: an empty file" -- g run empty.wasm
contains "... says so" "empty.wasm: is empty"
expect_rc 126 "run: a junk file" -- g run junk.wasm
contains "... says so" "magic header not detected"
one_line "... in one line"
expect_rc 126 "run: a truncated module" -- g run trunc.wasm
contains "... says so" "invalid module"
expect_rc 126 "run --invoke: a truncated module" -- g run --invoke _start trunc.wasm
expect_rc 126 "run: a sparse 1 GiB file, refused by its size" -- g run huge.wasm
contains "... says so" "huge.wasm: is 1073741824 bytes; a module file may have at most 268435456"
expect_rc 126 "run --invoke: a directory" -- g run --invoke f adir
contains "... says so" "is a directory"

# Unreadable: root reads a mode-000 file, so run it as nobody where possible
# (WORK is 0700 root: nobody cannot reach anything in it).
if [ "$(id -u)" -ne 0 ]; then
  mkdir locked && cp "$GUESTS/hello.wasm" locked/ && chmod 000 locked
  expect_rc 126 "run: a file under a mode-000 directory" -- g run locked/hello.wasm
  contains "... says so" "permission denied"
  chmod 700 locked
elif command -v setpriv >/dev/null; then
  expect_rc 126 "run: a file nobody may read (as nobody)" -- setpriv --reuid=65534 --regid=65534 --clear-groups \
    timeout "$T" "$GPUOS" run "$WORK/table1g.wasm"
  contains "... says so" "permission denied"
else
  echo "skip: run: an unreadable file (root, and no setpriv to drop to nobody)"
fi

# A working directory that was removed: relative paths fail plainly, and the
# current directory (preopened by default) is not there to preopen.
cp "$GUESTS/hello.wasm" hello.wasm
mkdir gone
expect_rc 125 "run: from a removed working directory, a relative path" -- \
  bash -c "cd gone && rmdir ../gone && exec timeout $T '$GPUOS' run ../hello.wasm"
contains "... says so" "cannot preopen the current directory"
one_line "... in one line"
mkdir gone
expect_rc 125 "run: from a removed working directory, the cwd preopen" -- \
  bash -c "cd gone && rmdir ../gone && exec timeout $T '$GPUOS' run '$WORK/hello.wasm'"
contains "... says so" "cannot preopen the current directory"
contains "... and what to do" "--no-cwd"
one_line "... in one line"

# --stdin that cannot be one: refused before any boot.
expect_rc 125 "run --stdin of a missing file" -- g run --stdin nope.txt "$GUESTS/hello.wasm"
contains "... says so" "--stdin nope.txt: No such file or directory"
expect_rc 125 "run --stdin of a directory" -- g run --stdin adir "$GUESTS/hello.wasm"
contains "... says so" "--stdin adir: is a directory"

# ---- suite: a folder that is not a suite
expect_rc 125 "suite: a missing folder" -- g suite nope
contains "... says so" "no such directory"
expect_rc 125 "suite: a file, not a folder" -- g suite junk.wasm
mkdir s1 && mkfifo s1/suite.json
expect_rc 125 "suite: suite.json a FIFO, without blocking" -- g suite s1
contains "... says so" "suite.json is not a regular file"
mkdir s2 && printf '{"name": 1, [' >s2/suite.json
expect_rc 125 "suite: a junk suite.json" -- g suite s2
contains "... says so" "bad manifest"
finish

# Issue 20 items 2 and 3 through the daemon: `gpuos spawn` of files that are
# not modules, and of modules that declare more than the session allows. The
# daemon reads the file (the client only makes the path absolute), so it
# must refuse each at once (a FIFO must not block it, /dev/zero must not
# fill its memory) and stay up for everyone else: `ping` afterwards.
source "$(dirname "$0")/lib.sh" "$@"
need_device
cd "$WORK" || exit 1
S=input_spawn
expect_rc 0 "boot a session" -- g boot -s $S --detach --max-pages 1024  # the limit below, on every device
T=10

HDR='\000asm\001\000\000\000\001\004\001\140\000\000\003\002\001\000'
TAIL='\007\012\001\006_start\000\000\012\004\001\002\000\013'
printf "$HDR"'\004\010\001\160\000\200\224\353\334\003'"$TAIL" >table1g.wasm
printf "$HDR"'\004\010\001\160\000\377\377\377\377\017'"$TAIL" >table4g.wasm
printf "$HDR"'\005\004\001\000\320\017'"$TAIL" >mem2000.wasm
mkdir adir
mkfifo fifo
: >empty.wasm
printf 'this is not a module\n' >junk.wasm
head -c 20 table1g.wasm >trunc.wasm
truncate -s 1G huge.wasm

refused() {  # refused NAME FILE NEEDLE: spawn exits 1 with NEEDLE, prints no pid
  expect_rc 1 "spawn: $1" -- g spawn -s $S "$2"
  contains "... says so" "$3"
  [ -z "$(grep -E '^[0-9]+$' <<<"$LAST_OUT")" ]; check "... and starts nothing" $?
}
refused "table of 10^9 entries (was 20.8 GB allocated)" table1g.wasm "table 0 declares 1000000000 entries"
contains "... naming the option" "--max-pages"
refused "table of 2^32-1 entries (was std::bad_alloc)" table4g.wasm "table 0 declares 4294967295 entries"
refused "memory over the session's pages" mem2000.wasm "memory 0 declares 2000 pages; at most 1024 allowed (pages per process; --max-pages)"
refused "a directory" adir "adir: is a directory, not a module file"
refused "/proc/self/mem" /proc/self/mem "/proc/self/mem: cannot read it"
refused "/dev/zero" /dev/zero "/dev/zero: is a character device, not a module file"
refused "a FIFO with no writer" fifo "fifo: is a FIFO, not a module file"
refused "a missing file" nope.wasm "nope.wasm: no such file"
refused "an empty file" empty.wasm "empty.wasm: is empty"
refused "a junk file" junk.wasm "magic header not detected"
refused "a truncated module" trunc.wasm "invalid module"
refused "a sparse 1 GiB file" huge.wasm "is 1073741824 bytes; a module file may have at most 268435456"
# A relative path from a removed working directory cannot be made absolute.
mkdir gone
expect_rc 1 "spawn: a relative path from a removed working directory" -- \
  bash -c "cd gone && rmdir ../gone && exec timeout $T '$GPUOS' spawn -s $S x.wasm"
contains "... says so" "give an absolute path"
# Not UTF-8: the JSON request could not be encoded (the client aborted).
expect_rc 1 "spawn: a path that is not UTF-8" -- g spawn -s $S "$(printf 'bad\377.wasm')"
contains "... says so" "is not valid UTF-8"

# --stdin that cannot be one (the client opens it: issue 19, item 7).
if [ -f "$GUESTS/hello.wasm" ]; then
  expect_rc 1 "spawn --stdin of a directory" -- g spawn -s $S --stdin adir "$GUESTS/hello.wasm"
  contains "... says so" "--stdin adir: is a directory"
  expect_rc 1 "spawn --stdin of a missing file" -- g spawn -s $S --stdin nope.txt "$GUESTS/hello.wasm"
  contains "... says so" "--stdin nope.txt: No such file or directory"
fi
# An output FIFO with no reader: the daemon's open(2) blocked on it. Now
# the client opens it and waits for a reader, as a shell would; the
# session is not involved.
if [ -f "$GUESTS/hello.wasm" ]; then
  expect_rc 124 "spawn --stdout a FIFO with no reader waits in the client" -- timeout 3 "$GPUOS" spawn -s $S --stdout "$WORK/fifo" "$GUESTS/hello.wasm"
  contains "... says so" "is a FIFO with no reader: waiting for one"
fi

expect_rc 0 "the session is still up" -- g ping -s $S -n 3
if [ -f "$GUESTS/hello.wasm" ]; then
  expect_rc 0 "and still spawns a good module" -- g spawn -s $S "$GUESTS/hello.wasm"
  expect_rc 0 "... which exits 0" -- g wait -s $S "$LAST_OUT" --timeout 20
fi
expect_rc 0 "shutdown" -- g shutdown -s $S
finish

#!/usr/bin/env bash
# Issue 20, item 4: a kill cancels the process's pending host request. Four
# processes read a FIFO whose writer stays open and silent, so
# each blocks in fd_read on the host, holding a request slot. They are
# killed. Before the fix a killed process's slot stayed ORPHAN until the
# host's read returned, here never: io_slots_held stayed 4. Now the kill
# cancels the read (io_uring ASYNC_CANCEL, or the thread pool's kicked
# poll), the reply comes at once, and the kernel frees the slots. Asserted
# on both backends (GPUOS_IO_BACKEND): the readers hold 4 slots while
# blocked, all four exit 137, and io_slots_held is 0 within 5 s.
source "$(dirname "$0")/lib.sh" "$@"
need_device
need_guest wasi_io_reader

FIFO=$WORK/stdin.fifo
mkfifo "$FIFO"
exec 3<>"$FIFO"  # a writer that never writes (and never blocks the readers' open)
held_now() { g status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["io"]["slots_held"])'; }
for backend in io_uring thread-pool; do
  export GPUOS_IO_BACKEND=$backend
  # A session of its own: the last one's daemon may still be exiting.
  export GPUOS_SESSION=io_$backend
  expect_rc 0 "$backend: boot a session" -- g boot --detach
  if ! g status 2>&1 | grep -q "$backend"; then
    echo "  (the session did not take $backend: $(g status 2>&1 | grep -i 'i/o'))"
  fi
  expect_rc 0 "$backend: spawn 4 readers of a silent FIFO" -- g spawn -n 4 --dir "$WORK:w" "$GUESTS/wasi_io_reader.wasm" w/stdin.fifo
  READERS=$(grep -E '^[0-9]+$' <<<"$LAST_OUT")
  four_held() { [ "$(held_now)" -eq 4 ]; }
  poll 30 four_held; rc=$?; check "$backend: the blocked readers hold 4 request slots (now $(held_now))" $rc
  for p in $READERS; do g kill "$p" >/dev/null 2>&1; done
  killed=0
  for p in $READERS; do
    g wait "$p" --timeout 15 >/dev/null 2>&1
    [ $? -eq 137 ] && killed=$((killed + 1))
  done
  [ "$killed" -eq 4 ]; check "$backend: all four were killed (137): $killed" $?
  zero_held() { [ "$(held_now)" -eq 0 ]; }
  poll 30 zero_held; rc=$?; check "$backend: io_slots_held drops to 0 within 30 s of the kills (now $(held_now))" $rc
  expect_rc 0 "$backend: shutdown" -- g shutdown
done
exec 3>&-
finish

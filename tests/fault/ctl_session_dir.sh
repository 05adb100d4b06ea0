#!/bin/bash
# Issue 20, item 1: the session directory. Another user who can write where
# the session lives could plant a symlink at NAME.log (the daemon truncated
# whatever it pointed to) or a socket of their own (a client sent it its
# request), and a directory that was a symlink, writable by others or owned
# by someone else was accepted. Every case here must be refused, saying why.
source "$(dirname "$0")/lib.sh" "$@"
need_device
HERE=$(cd "$(dirname "$0")" && pwd)
D=$XDG_RUNTIME_DIR/gpuos
is_root=0; [ "$(id -u)" = 0 ] && is_root=1

# 1. The session directory is a symlink (to a directory we own, even).
mkdir -m 700 "$WORK/elsewhere"
ln -s "$WORK/elsewhere" "$D"
expect_rc 1 "a symlinked session directory is refused" -- g status
contains "it says so" "is a symbolic link"
expect_rc 1 "boot refuses it too" -- g boot -s x --detach
rm "$D"

# 2. Writable by others, or by the group.
mkdir "$D"
chmod 0777 "$D"
expect_rc 1 "a world-writable session directory is refused" -- g status
contains "it says why" "writable by group or others (mode 0777)"
contains "and what to do" "chmod 700 $D"
chmod 0770 "$D"
expect_rc 1 "a group-writable session directory is refused" -- g ping
contains "it says why (group)" "(mode 0770)"
chmod 0700 "$D"

# 3. Owned by another user.
if [ "$is_root" = 1 ]; then
  chown nobody "$D"
  expect_rc 1 "a session directory of another user is refused" -- g status
  contains "it names the owner" "belongs to uid $(id -u nobody)"
  chown root "$D"
else
  echo "note: not root; the other-owner and other-uid cases are left out"
fi

# 4. Planted symlinks at NAME.log and NAME.lock must be neither followed nor truncated.
echo precious-log > "$WORK/victim_log"
echo precious-lock > "$WORK/victim_lock"
ln -s "$WORK/victim_log" "$D/s1.log"
expect_rc 0 "boot --detach with a symlink planted at its log" -- g boot -s s1 --detach
[ "$(cat "$WORK/victim_log")" = precious-log ]; check "the symlink's target is untouched" $?
[ -f "$D/s1.log" ] && [ ! -L "$D/s1.log" ]; check "the log is a fresh regular file" $?
grep -q "session 's1' up" "$D/s1.log"; check "and the daemon writes to it" $?
ln -s "$WORK/victim_lock" "$D/s2.lock"
expect_rc 1 "boot refuses a symlink planted at its lock" -- g boot -s s2 --detach
contains "it says why (lock)" "s2.lock is a symbolic link"
[ "$(cat "$WORK/victim_lock")" = precious-lock ]; check "the lock symlink's target is untouched" $?

if [ "$is_root" = 1 ]; then
  # 5. A socket served by another user, in a directory the checks accept:
  #    the client must refuse it before sending a byte.
  python3 "$HERE/ctl_fake_server.py" "$D/fake.sock" 15 > "$WORK/fake.out" 2>&1 &
  fake=$!
  poll 10 grep -q listening "$WORK/fake.out"
  expect_rc 1 "the client refuses a daemon of another uid" -- g -s fake spawn "$GUESTS/hello.wasm"
  contains "it names the uid" "served by uid $(id -u nobody)"
  wait "$fake"
  grep -q "captured 0 bytes" "$WORK/fake.out"; check "the fake daemon received nothing" $?
  [ $? -eq 0 ] || cat "$WORK/fake.out"

  # 6. The daemon refuses a client of another uid (the socket is made
  #    reachable by a hard link in a public directory).
  PUB=$(mktemp -d /tmp/ctl_pub.XXXXXX)
  chmod 755 "$PUB"
  ln "$D/s1.sock" "$PUB/s.sock" && chmod 777 "$PUB/s.sock"
  LAST_OUT=$(timeout 20 python3 "$HERE/ctl_peer_client.py" "$PUB/s.sock" 2>&1)
  rm -rf "$PUB"
  contains "the daemon refuses uid $(id -u nobody)" "comes from uid $(id -u nobody)"
  lacks "and tells it nothing else" '"ok":true'
fi
expect_rc 0 "the session still answers its own user" -- g -s s1 ping -n 2
expect_rc 0 "shutdown" -- g -s s1 shutdown
finish

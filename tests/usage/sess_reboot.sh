# sess_reboot: `gpuos shutdown` returns only once the session is gone, so a
# `boot` of the same name right after it starts a new one. On an H100
# (2026-12-07) shutdown returned with the reply, before the daemon let go
# of its lock, and the next boot said "session 'default' is already
# running".
source "$(dirname "$0")/../fault/lib.sh" "$@"
need_device
cd "$WORK" || exit 1
for i in 1 2 3 4 5; do
  expect_rc 0 "boot $i" -- g boot --detach
  expect_rc 0 "ping $i" -- g ping
  expect_rc 0 "shutdown $i" -- g shutdown
  contains "... says the session shut down" "session 'default' shut down"
done
expect_rc 2 "after the last shutdown there is no session" -- g ping
finish

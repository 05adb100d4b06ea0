"""A listener that poses as a gpuos daemon of another user (tests/fault/ctl_session_dir.sh).

Binds PATH as root, then drops to uid/gid 65534 (nobody) before listen(), so
that SO_PEERCRED reports the other user, as for a socket another user had
planted. Prints how many bytes the first client sent, then exits.
usage: ctl_fake_server.py PATH SECONDS
"""
import os
import socket
import sys

path, secs = sys.argv[1], float(sys.argv[2])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
os.chmod(path, 0o777)
os.setgroups([])
os.setgid(65534)
os.setuid(65534)
s.listen(4)
print("listening", flush=True)
s.settimeout(secs)
got = b""
try:
    c, _ = s.accept()
    c.settimeout(2.0)
    try:
        while True:
            chunk = c.recv(4096)
            if not chunk:
                break
            got += chunk
            if b"\n" in got:
                c.sendall(b'{"ok":true,"schema":1,"pids":[1],"count":1,"p50_us":1,"p99_us":1,"min_us":1,"max_us":1,"mode":"live"}\n')
                break
    except socket.timeout:
        pass
except socket.timeout:
    pass
print(f"captured {len(got)} bytes: {got[:200]!r}", flush=True)

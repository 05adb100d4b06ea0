"""Connects to a gpuos socket as uid 65534 (nobody) and prints the reply to hello.

(tests/fault/ctl_session_dir.sh: the daemon must refuse another user.)
usage: ctl_peer_client.py SOCKET_PATH
"""
import os
import socket
import sys

os.setgroups([])
os.setgid(65534)
os.setuid(65534)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
try:
    s.sendall(b'{"verb":"hello"}\n')
except OSError as e:
    print(f"send failed: {e}")
buf = b""
try:
    while b"\n" not in buf:
        chunk = s.recv(4096)
        if not chunk:
            break
        buf += chunk
except OSError as e:
    print(f"recv failed: {e}")
print("reply:", buf.decode(errors="replace").strip())

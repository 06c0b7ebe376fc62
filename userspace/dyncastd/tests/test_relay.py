#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""dyncastd --exabgp, the relay between ExaBGP and dyncastd, against
stand-ins for both.

ExaBGP writes to its API process with blocking writes and reads from it
only between them; here the stand-in writes 2 MB of JSON lines and reads
nothing meanwhile, while the stand-in dyncastd writes 2 MB of commands
and reads nothing either: the relay must take both (no deadlock), and
deliver every line whole.  Then dyncastd goes away: after the grace time
the relay withdraws each route it saw announced, long commands included.
Exits 0 when all holds, 1 otherwise (TAP on stdout)."""
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

RELAY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "dyncastd")
LINES = 20000
ROUTES = 1000


def command(i):
    pid = i % ROUTES
    return (f"announce route 203.0.113.{pid % 250}/32 next-hop 198.19.{pid // 250}.{pid % 250} "
            f"path-information 0.0.{pid // 256}.{pid % 256} large-community "
            f"[ 64512:1:393296 64512:2:{i} 64512:5:{i % 1000} ]\n")


# a command longer than 512 bytes: IPv6, a 4-byte ASN, every community
LONG = ("announce route 2001:db8::1/128 next-hop 2001:db8:3::31 path-information "
        "255.255.255.254 large-community [ " +
        " ".join(f"4200000000:{k}:4294967295" for k in range(1, 20)) + " ]\n")


def read_lines(fd, n, timeout=10):
    """Up to @n lines from the non-blocking @fd, for at most @timeout s."""
    out = b""
    deadline = time.time() + timeout
    while out.count(b"\n") < n and time.time() < deadline:
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            time.sleep(0.05)
            continue
        if not chunk:
            break
        out += chunk
    return out


def main():
    results = []

    def check(ok, what):
        results.append(ok)
        print(f"{'ok' if ok else 'not ok'} {len(results)} - {what}")

    print("TAP version 13\n1..4")
    tmp = tempfile.mkdtemp(prefix="relay-")
    path = os.path.join(tmp, "bgp.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    relay = subprocess.Popen([RELAY, "--exabgp", path, "--grace", "1s"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    srv.settimeout(10)
    conn, _ = srv.accept()
    conn.settimeout(30)

    # both sides write everything first, reading nothing
    def exabgp_writes():
        for i in range(LINES):
            relay.stdin.write(b'{ "type": "keepalive", "counter": %d, '
                              b'"padding": "%s" }\n' % (i, b"x" * 60))
        relay.stdin.flush()

    def dyncastd_writes():
        data = "".join(command(i) for i in range(LINES)) + LONG
        conn.sendall(data.encode())

    writers = [threading.Thread(target=exabgp_writes, daemon=True),
               threading.Thread(target=dyncastd_writes, daemon=True)]
    for w in writers:
        w.start()
    for w in writers:
        w.join(20)
    check(not any(w.is_alive() for w in writers),
          "ExaBGP and dyncastd both write 2 MB, reading nothing: no deadlock")

    # what each side gets: every line, whole
    got = b""
    conn.settimeout(2)
    try:
        while got.count(b"\n") < LINES:
            chunk = conn.recv(1 << 16)
            if not chunk:
                break
            got += chunk
    except socket.timeout:
        pass
    lines = got.split(b"\n")[:-1]
    check(len(lines) == LINES and all(l.startswith(b'{ "type": "keepalive"') and
                                      l.endswith(b'" }') for l in lines),
          f"dyncastd gets ExaBGP's {LINES} lines whole ({len(lines)})")

    os.set_blocking(relay.stdout.fileno(), False)
    out = read_lines(relay.stdout.fileno(), LINES + 1)
    want = ("".join(command(i) for i in range(LINES)) + LONG).encode()
    check(out == want, f"ExaBGP gets dyncastd's {LINES + 1} commands whole, in order")

    # dyncastd goes: after the grace time, every route seen is withdrawn
    conn.close()
    srv.close()
    out = read_lines(relay.stdout.fileno(), ROUTES + 1)
    wd = out.decode().splitlines()
    long_wd = ("withdraw route 2001:db8::1/128 next-hop 2001:db8:3::31 "
               "path-information 255.255.255.254")
    check(len(wd) == ROUTES + 1 and all(l.startswith("withdraw route ") for l in wd) and
          long_wd in wd,
          f"dyncastd gone: its {ROUTES + 1} routes withdrawn, the long one too ({len(wd)})")

    relay.stdin.close()
    try:
        relay.wait(5)
    except subprocess.TimeoutExpired:
        relay.kill()
    os.unlink(path)
    os.rmdir(tmp)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())

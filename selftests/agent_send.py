#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Send hand-made dyncastd protocol messages (Documentation/dyncast-protocol.rst)
for the selftests: valid ones, and forged, replayed and malformed ones.

    agent_send.py --key BASE64 --to ADDR [--port PORT] ACTION...

ACTION is one of
    valid:BID:SEQ      an announcement of instance BID of 203.0.113.1 tcp/80,
                       origin 0.0.0.99 sequence SEQ, correctly signed
    to:BID:SEQ:ID      the same, naming its receiver: agent ID (a dotted
                       quad), as one sent to that agent and played to this
    replay             the last valid message again, byte for byte
    forged:BID         an announcement signed with another key
    tampered:BID       a valid announcement with one byte changed afterwards
    truncated          the first 30 bytes of the last valid message
    cut                the last valid message without its last 10 bytes
    oversized          a correctly signed message of 1500 bytes
    malformed:BID      correctly signed, a record TLV of the wrong length
    version            correctly signed, protocol version 2
    unknown-type       correctly signed, message type 9
    sleep:SECONDS
"""
import argparse
import base64
import hashlib
import hmac
import os
import socket
import struct
import sys
import time

SENDER = 99
SID = socket.inet_aton("203.0.113.1")


def tlv(t, v):
    return struct.pack("!HH", t, len(v)) + v


def record(bid, bad=False):
    body = tlv(1, SID) + tlv(3, bytes([6])) + tlv(4, struct.pack("!H", 80))
    body += tlv(5, socket.inet_aton(bid)) + tlv(8, bytes([0]))
    body += tlv(10, struct.pack("!I", 1)) + tlv(15, struct.pack("!I", 10))
    if bad:
        body += tlv(11, struct.pack("!I", 5))  # cpu is 2 bytes
    return tlv(8, body)


def origin(seq, recs):
    head = tlv(1, struct.pack("!I", SENDER)) + tlv(2, struct.pack("!Q", seq))
    head += tlv(3, struct.pack("!I", 60000))
    return tlv(1, head + b"".join(recs))


class Sender:
    def __init__(self, key, to, port):
        self.key = key
        self.dst = (to, port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        # header sequence numbers: from the clock, as dyncastd's
        self.seq = int(time.time() * 1e6)
        self.last = None

    def msg(self, body, mtype=1, version=1, key=None, pad_to=0):
        self.seq += 1
        length = 16 + len(body) + 32
        if pad_to:
            body += tlv(0x7fff, bytes(pad_to - length - 4))
            length = pad_to
        hdr = struct.pack("!BBHIQ", version, mtype, length, SENDER, self.seq)
        mac = hmac.new(key or self.key, hdr + body, hashlib.sha256).digest()
        return hdr + body + mac

    def send(self, data):
        self.sock.sendto(data, self.dst)

    def action(self, act):
        kind, _, arg = act.partition(":")
        if kind == "valid":
            bid, seq = arg.split(":")
            self.last = self.msg(origin(int(seq), [record(bid)]))
            self.send(self.last)
        elif kind == "to":
            bid, seq, rcv = arg.split(":")
            self.send(self.msg(tlv(4, socket.inet_aton(rcv)) +
                               origin(int(seq), [record(bid)])))
        elif kind == "replay":
            self.send(self.last)
        elif kind == "forged":
            self.send(self.msg(origin(10**12, [record(arg)]), key=os.urandom(32)))
        elif kind == "tampered":
            m = bytearray(self.msg(origin(10**12, [record(arg)])))
            m[40] ^= 1
            self.send(bytes(m))
        elif kind == "truncated":
            self.send(self.last[:30])
        elif kind == "cut":
            self.send(self.last[:-10])
        elif kind == "oversized":
            self.send(self.msg(origin(10**12, []), pad_to=1500))
        elif kind == "malformed":
            self.send(self.msg(origin(10**12, [record(arg, bad=True)])))
        elif kind == "version":
            self.send(self.msg(origin(10**12, []), version=2))
        elif kind == "unknown-type":
            self.send(self.msg(b"", mtype=9))
        elif kind == "sleep":
            time.sleep(float(arg))
        else:
            sys.exit("agent_send.py: unknown action " + act)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--key", required=True)
    ap.add_argument("--to", required=True)
    ap.add_argument("--port", type=int, default=4960)
    ap.add_argument("actions", nargs="+")
    args = ap.parse_args()
    s = Sender(base64.b64decode(args.key), args.to, args.port)
    for a in args.actions:
        s.action(a)
        time.sleep(0.05)


if __name__ == "__main__":
    main()

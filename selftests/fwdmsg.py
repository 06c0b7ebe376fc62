#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
Build and send a D-Forwarder / D-Router message (Binding Info, notice or
miss), as Documentation/dyncast-protocol.rst describes them, for the
selftests: with the right key and sender it is a message the receiver must
take (a positive control), otherwise a forgery it must refuse.

  fwdmsg.py bind   --to ADDR --key HEX --sid ADDR --proto tcp|udp
                   [--port P] --src ADDR [--sport P --dport P] --bid ADDR
                   [--affinity 5tuple|3tuple|2tuple] [--prefix N]
                   [--timeout S] [--remaining MS]
  fwdmsg.py notice --to ADDR --key HEX --sid ADDR --proto P [--port P]
                   --bid ADDR [--reason N]
  fwdmsg.py miss   --to ADDR --key HEX { --packet HEX |
                   --sid ADDR --port P --src ADDR --sport P
                   [ --payload-len N ] }
                   (the latter: a UDP datagram from SRC:SPORT to SID:PORT,
                   DF set, with N zero bytes of payload)

--key is the D-Router's key: the forwarder's key is derived from it for
the forwarder's address (the sender's for a miss, --to's otherwise);
--fwd-key HEX gives the forwarder's key instead, --key-id N the key id
(default 0), --direction up|down the direction's key to tag with
(default: the message's own).

Common options: --from ADDR (source address; default: the route's),
--udp-port (default 17475), --seq N (default: the wall clock in ns),
--repeat N (send the same bytes N times; --pps R: R a second), --count N
(N messages, each numbered one more, with the next source port and D-BID:
N flows bound to N instances), --mangle truncate|version|length (a
malformed variant), --trailer N (N zero bytes after the body, tagged:
for a miss, after the client's packet), --ip-options HEX (IPv4 options
on the message).
Prints one line per datagram sent.
"""

import argparse
import hashlib
import hmac
import ipaddress
import socket
import struct
import sys
import time

VERSION = 3
TYPES = {'miss': 1, 'bind': 2, 'notice': 3}
PROTOS = {'tcp': 6, 'udp': 17}
AFFINITY = {'5tuple': 0, '3tuple': 1, '2tuple': 2}
HDR = struct.Struct('!BBHB3xQ16s')


def hkdf_expand(prk, info):
    """HKDF-Expand of one block, as Documentation/dyncast-protocol.rst."""
    return hmac.new(prk, info + b'\x01', hashlib.sha256).digest()


def forwarder_key(master, addr):
    a = ipaddress.ip_address(addr)
    return hkdf_expand(master, b'dyncast forwarder' +
                       bytes([a.version]) + a.packed)


def direction_key(fkey, up):
    return hkdf_expand(fkey, b'dyncast up' if up else b'dyncast down')


def addr16(a):
    ip = ipaddress.ip_address(a)
    return ip.packed.ljust(16, b'\0')


def fam(a):
    return 4 if ipaddress.ip_address(a).version == 4 else 6


def svc_part(args):
    return struct.pack('!BBH16s', fam(args.sid), PROTOS[args.proto],
                       args.port, addr16(args.sid))


def csum(data):
    if len(data) % 2:
        data += b'\0'
    t = sum(struct.unpack(f'!{len(data) // 2}H', data))
    while t >> 16:
        t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff


def udp_packet(args):
    payload = b'hello\n'
    if args.payload_len:
        payload = bytes(args.payload_len)
    src = ipaddress.ip_address(args.src)
    dst = ipaddress.ip_address(args.sid)
    ulen = 8 + len(payload)
    if src.version == 4:
        pseudo = src.packed + dst.packed + struct.pack('!BBH', 0, 17, ulen)
    else:
        pseudo = src.packed + dst.packed + struct.pack('!I3xB', ulen, 17)
    udp = struct.pack('!HHHH', args.sport, args.port, ulen, 0) + payload
    udp = udp[:6] + struct.pack('!H', csum(pseudo + udp) or 0xffff) + udp[8:]
    if src.version == 4:
        ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + ulen, 0, 0x4000, 64,
                         17, 0, src.packed, dst.packed)
        ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    else:
        ip = struct.pack('!IHBB16s16s', 6 << 28, ulen, 17, 64, src.packed,
                         dst.packed)
    return ip + udp


def body(args):
    if args.type == 'bind':
        return svc_part(args) + struct.pack(
            '!BBHHHII16s16s', AFFINITY[args.affinity], args.prefix,
            args.sport, args.dport, 0, args.timeout, args.remaining,
            addr16(args.src), addr16(args.bid))
    if args.type == 'notice':
        return svc_part(args) + struct.pack('!B3x16s', args.reason,
                                             addr16(args.bid))
    if args.packet:
        return bytes.fromhex(args.packet)
    return udp_packet(args)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('type', choices=TYPES)
    p.add_argument('--to', required=True)
    p.add_argument('--from', dest='src_addr')
    p.add_argument('--udp-port', dest='udp_port', type=int, default=17475)
    p.add_argument('--key')
    p.add_argument('--fwd-key', dest='fwd_key')
    p.add_argument('--key-id', dest='key_id', type=int, default=0)
    p.add_argument('--direction', choices=['up', 'down'])
    p.add_argument('--seq', type=int)
    p.add_argument('--repeat', type=int, default=1)
    p.add_argument('--pps', type=float, default=0)
    p.add_argument('--count', type=int, default=1)
    p.add_argument('--mangle', choices=['truncate', 'version', 'length'])
    p.add_argument('--trailer', type=int, default=0)
    p.add_argument('--sid')
    p.add_argument('--proto', choices=PROTOS, default='tcp')
    p.add_argument('--port', type=int, default=0)
    p.add_argument('--src')
    p.add_argument('--sport', type=int, default=0)
    p.add_argument('--dport', type=int, default=0)
    p.add_argument('--bid')
    p.add_argument('--affinity', choices=AFFINITY, default='5tuple')
    p.add_argument('--prefix', type=int, default=0)
    p.add_argument('--timeout', type=int, default=300)
    p.add_argument('--remaining', type=int, default=300000)
    p.add_argument('--reason', type=int, default=1)
    p.add_argument('--packet', default='')
    p.add_argument('--payload-len', dest='payload_len', type=int, default=0)
    p.add_argument('--ip-options', dest='ip_options', default='')
    args = p.parse_args()

    if bool(args.key) == bool(args.fwd_key):
        p.error('give --key or --fwd-key')
    family = socket.AF_INET if fam(args.to) == 4 else socket.AF_INET6
    s = socket.socket(family, socket.SOCK_DGRAM)
    if args.ip_options:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS,
                     bytes.fromhex(args.ip_options))
    if args.src_addr:
        s.bind((args.src_addr, 0))
    s.connect((args.to, args.udp_port))
    local = s.getsockname()[0]
    up = args.type == 'miss'
    if args.fwd_key:
        fkey = bytes.fromhex(args.fwd_key)
    else:
        fkey = forwarder_key(bytes.fromhex(args.key), local if up else args.to)
    if args.direction:
        up = args.direction == 'up'
    key = direction_key(fkey, up)

    seq = args.seq if args.seq is not None else time.time_ns()
    alen = 4 if family == socket.AF_INET else 16
    pseudo = (ipaddress.ip_address(local).packed[:alen] +
              ipaddress.ip_address(args.to).packed[:alen])
    first_bid, first_sport = args.bid, args.sport
    for i in range(args.count):
        if i:
            # the next message of a run: another flow, another instance
            seq += 1
            args.sport = (first_sport + i) % 65536
            if first_bid:
                args.bid = str(ipaddress.ip_address(first_bid) + i)
            time.sleep(0.001)
        b = body(args) + bytes(args.trailer)
        hdr = HDR.pack(VERSION, TYPES[args.type], len(b), args.key_id, seq,
                       bytes(16))
        tag = hmac.new(key, pseudo + hdr + b, hashlib.sha256).digest()[:16]
        msg = bytearray(HDR.pack(VERSION, TYPES[args.type], len(b),
                                 args.key_id, seq, tag) + b)
        if args.mangle == 'truncate':
            msg = msg[:len(msg) - 5]
        elif args.mangle == 'version':
            msg[0] = 9
        elif args.mangle == 'length':
            msg[2:4] = struct.pack('!H', len(b) + 1)
        start = time.monotonic()
        for j in range(args.repeat):
            if args.pps:
                delay = start + j / args.pps - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            s.send(msg)
            if args.count == 1:
                print(f'sent {args.type} seq {seq} from {local} to '
                      f'{args.to} ({len(msg)} bytes)')
    if args.count > 1:
        print(f'sent {args.count} {args.type} messages from {local} to '
              f'{args.to}')
    return 0


if __name__ == '__main__':
    sys.exit(main())

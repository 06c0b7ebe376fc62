#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
Malformed packets towards a service address, for router_junk.sh: written
whole on a packet socket, so that nothing on the sender's side checks or
mends them.

  pktjunk.py [--frag] IFACE DSTMAC SRC4 SID4 SRC6 SID6 [ROUNDS]

Sends every case of CASES, ROUNDS times (default 3), with fresh random
bytes each time; prints the name of each case and how many bytes it had.
With --frag, only the first fragments never finished (router_sidfilter.sh:
a fragment to an address that is no service's).
"""

import os
import random
import socket
import struct
import sys

ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86dd


def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack(f'!{len(data) // 2}H', data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ip4(src, dst, proto, payload, ihl=5, opts=b'', tot=None, frag=0,
        ttl=64, ident=None):
    tot = 4 * ihl + len(payload) if tot is None else tot
    ident = random.getrandbits(16) if ident is None else ident
    h = struct.pack('!BBHHHBBH4s4s', 0x40 | (ihl & 0xf), 0, tot & 0xffff,
                    ident, frag, ttl, proto, 0, socket.inet_aton(src),
                    socket.inet_aton(dst)) + opts
    h = h[:10] + struct.pack('!H', csum(h[:20] + opts)) + h[12:]
    return h + payload


def ip6(src, dst, nexthdr, payload, plen=None):
    plen = len(payload) if plen is None else plen
    return struct.pack('!IHBB16s16s', 6 << 28, plen & 0xffff, nexthdr, 64,
                       socket.inet_pton(socket.AF_INET6, src),
                       socket.inet_pton(socket.AF_INET6, dst)) + payload


def tcp_syn(sport, dport):
    return struct.pack('!HHIIBBHHH', sport, dport, random.getrandbits(32),
                       0, 5 << 4, 0x02, 65535, 0, 0)


def udp(sport, dport, data, ulen=None):
    ulen = 8 + len(data) if ulen is None else ulen
    return struct.pack('!HHHH', sport, dport, ulen & 0xffff, 0) + data


def ext(nexthdr, body):
    """An IPv6 extension header (hop-by-hop, routing, destination)."""
    body = body + bytes((-(len(body) + 2)) % 8)
    return struct.pack('!BB', nexthdr, (len(body) + 2) // 8 - 1) + body


def junk(n):
    return os.urandom(n)


def cases(s4, d4, s6, d6):
    sp = random.randint(1024, 65535)
    c = {}
    # IPv4 headers cut or lying
    c['ip4: TCP, no TCP header'] = ip4(s4, d4, 6, b'')
    c['ip4: TCP, 10 bytes of TCP header'] = ip4(s4, d4, 6, tcp_syn(sp, 7)[:10])
    c['ip4: UDP, 4 bytes of UDP header'] = ip4(s4, d4, 17, b'\0\x35\0\x35')
    c['ip4: 40 bytes of garbage options, then a SYN'] = ip4(
        s4, d4, 6, tcp_syn(sp, 7), ihl=15, opts=junk(40))
    c['ip4: options running past the end'] = ip4(
        s4, d4, 6, b'', ihl=15, opts=b'\x44\x28' + junk(6))
    c['ip4: header length 4'] = ip4(s4, d4, 6, tcp_syn(sp, 7), ihl=4)
    c['ip4: total length past the packet'] = ip4(
        s4, d4, 6, tcp_syn(sp, 7), tot=1400)
    c['ip4: total length inside the header'] = ip4(
        s4, d4, 17, udp(sp, 53, b'x'), tot=12)
    c['ip4: UDP length past the datagram'] = ip4(
        s4, d4, 17, udp(sp, 53, b'hello', ulen=900))
    c['ip4: UDP length 3'] = ip4(s4, d4, 17, udp(sp, 53, b'hello', ulen=3))
    # fragments: a first one never finished, a lone later one, overlaps
    ident = random.getrandbits(16)
    c['ip4: first fragment, never finished'] = ip4(
        s4, d4, 17, udp(sp, 53, junk(64), ulen=2000), frag=0x2000, ident=ident)
    c['ip4: a lone later fragment'] = ip4(
        s4, d4, 17, junk(64), frag=0x2000 | 100)
    c['ip4: overlapping fragments (1)'] = ip4(
        s4, d4, 6, tcp_syn(sp, 7) + junk(12), frag=0x2000, ident=ident ^ 1)
    c['ip4: overlapping fragments (2)'] = ip4(
        s4, d4, 6, junk(40), frag=1, ident=ident ^ 1)
    # ICMP errors quoting garbage
    for name, quoted in (
            ('8 random bytes', junk(8)),
            ('a cut IPv4 header', ip4(d4, s4, 6, b'')[:12]),
            ('a header of length 15 and nothing after',
             ip4(d4, s4, 6, b'', ihl=15, opts=junk(40))[:24]),
            ('a TCP packet cut at 2 bytes of ports', ip4(d4, s4, 6, b'\0\x07')),
            ('an ICMP error in turn',
             ip4(d4, s4, 1, b'\x03\x03\0\0\0\0\0\0' + junk(28))),
            ('a UDP reply of the service', ip4(d4, s4, 17, udp(53, sp, b'x')))):
        icmp = b'\x03\x03\0\0\0\0\0\0' + quoted
        icmp = icmp[:2] + struct.pack('!H', csum(icmp)) + icmp[4:]
        c[f'ip4: ICMP error quoting {name}'] = ip4(s4, d4, 1, icmp)
    c['ip4: ICMP error of 4 bytes'] = ip4(s4, d4, 1, b'\x03\x03\0\0')

    # IPv6 extension header chains
    syn = tcp_syn(sp, 7)
    c['ip6: hop-by-hop, routing, destination, then a SYN'] = ip6(
        s6, d6, 0, ext(43, junk(4)) + ext(60, b'\0\0' + junk(12)) +
        ext(6, junk(4)) + syn)
    chain = syn
    for _ in range(24):
        chain = ext(60 if chain is not syn else 6, junk(6)) + chain
    c['ip6: 24 destination option headers, then a SYN'] = ip6(s6, d6, 60, chain)
    c['ip6: a chain cut in the middle'] = ip6(
        s6, d6, 0, ext(60, junk(4)) + b'\x06\x05')
    c['ip6: a header claiming 2 KiB'] = ip6(s6, d6, 60, b'\x06\xff' + junk(6))
    c['ip6: no next header (59)'] = ip6(s6, d6, 59, junk(16))
    c['ip6: payload length past the packet'] = ip6(s6, d6, 6, syn, plen=1200)
    c['ip6: TCP, 10 bytes of TCP header'] = ip6(s6, d6, 6, syn[:10])
    c['ip6: first fragment, never finished'] = ip6(
        s6, d6, 44, struct.pack('!BBHI', 17, 0, 1, random.getrandbits(32)) +
        udp(sp, 53, junk(64), ulen=3000))
    c['ip6: atomic fragment with a SYN'] = ip6(
        s6, d6, 44, struct.pack('!BBHI', 6, 0, 0, random.getrandbits(32)) + syn)
    c['ip6: a lone later fragment'] = ip6(
        s6, d6, 44, struct.pack('!BBHI', 6, 0, 800, random.getrandbits(32)) +
        junk(64))
    for name, quoted in (
            ('8 random bytes', junk(8)),
            ('a cut IPv6 header', ip6(d6, s6, 6, b'')[:30]),
            ('a chain cut after one header',
             ip6(d6, s6, 60, b'\x06\x01' + junk(4))),
            ('a UDP reply of the service', ip6(d6, s6, 17, udp(53, sp, b'x')))):
        icmp = b'\x01\x04\0\0\0\0\0\0' + quoted
        c[f'ip6: ICMPv6 error quoting {name}'] = ip6(s6, d6, 58, icmp)
    c['ip6: ICMPv6 error of 4 bytes'] = ip6(s6, d6, 58, b'\x01\x04\0\0')
    return c


def main():
    args = sys.argv[1:]
    only_frag = args[:1] == ['--frag']
    if only_frag:
        args = args[1:]
    if len(args) < 6:
        print(__doc__, file=sys.stderr)
        return 2
    iface, mac, s4, d4, s6, d6 = args[:6]
    rounds = int(args[6]) if len(args) > 6 else 3
    dst = bytes.fromhex(mac.replace(':', ''))
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((iface, 0))
    src = sock.getsockname()[4][:6]
    n = 0
    for _ in range(rounds):
        for name, pkt in cases(s4, d4, s6, d6).items():
            if only_frag and 'first fragment' not in name:
                continue
            proto = ETH_P_IPV6 if name.startswith('ip6') else ETH_P_IP
            sock.send(dst + src + struct.pack('!H', proto) + pkt)
            n += 1
            if _ == 0:
                print(f'{name}: {len(pkt)} bytes')
    print(f'sent {n} packets')
    return 0


if __name__ == '__main__':
    sys.exit(main())

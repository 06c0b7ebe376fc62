#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# D-Router, tunnel mode, IPv4 and IPv6 (topology: topo.sh).  The router
# carries each packet unchanged in IPIP or IPv6-in-IPv6 to the instance,
# which holds the service address on its loopback, decapsulates with the
# stock tunl0 / ip6tnl0 devices and answers the client itself: the router
# keeps no conntrack state.  Packets that no longer fit the path once
# encapsulated are answered with ICMP "fragmentation needed" / "packet too
# big", after which the client's transfers go through.  A datagram that
# the client fragmented and the router reassembled is judged by its
# largest fragment: it goes on, in fragments, with no "too big".  The
# router reassembles the fragments addressed to its services, and no
# others: routed fragments pass as they came.
#
# timeout=600

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

require_root
require_vm
require_cmd ip socat jq conntrack nstat

ktap_print_header
ktap_set_plan 26

dc_load || ktap_skip_all "cannot load the module"
topo_setup 3 || ktap_skip_all "cannot build the topology"
tunnel_instances || ktap_skip_all "no ipip or ip6_tunnel module"
serve_all tcp 7 || ktap_skip_all "cannot start the servers"
for i in 1 2 3; do
	serve_udp "${INST[i]}" "i$i" 53 "$SID4" &&
	serve_udp "${INST[i]}" "i$i" 54 "$SID6" &&
	for l in TCP4-LISTEN:8,bind=$SID4 TCP6-LISTEN:8,bind=[$SID6]; do
		ip netns exec "${INST[i]}" socat -t 5 "$l",reuseaddr,fork \
			SYSTEM:"echo i$i" >/dev/null 2>&1 &
		defer "kill $!"
	done
	# a sink answering with the number of bytes it got
	ip netns exec "${INST[i]}" socat TCP6-LISTEN:9,ipv6only=0,reuseaddr,fork \
		SYSTEM:"wc -c" >/dev/null 2>&1 &
	defer "kill $!"
done || ktap_skip_all "cannot start the servers"

# Servers listening on the service address alone answer: the instances
# accept the connections on it themselves.
on_sid()
{
	local sid=$1 src=$2 names=() i

	for i in 1 2 3; do
		names+=("$(ask_tcp "$src" "$sid" 8)")
	done
	echo "# port 8, bound to $sid: ${names[*]}"
	[ "$(count i1 "${names[@]}")" = 1 ] &&
		[ "$(count i2 "${names[@]}")" = 1 ] &&
		[ "$(count i3 "${names[@]}")" = 1 ]
}

# path_mtu SID EXPECTED: the client learnt the path MTU towards the service.
path_mtu()
{
	ip -n "$C" route get "$1" | tee /dev/stderr | grep -q "mtu $2"
}

too_big()
{
	dc -s -j service show "$1" proto "$2" port "$3" | jq '.[0].stats["too-big"]'
}

# upload SID SRC: 200000 bytes over TCP; the sink's count comes back.
upload()
{
	local got

	got=$(head -c 200000 /dev/zero | ip netns exec "$C" socat -t 20 -T 20 - \
		"TCP:$(hostport "$1" 9),bind=$(hostport "$2" 0)" 2>/dev/null)
	echo "# uploaded through a 1400-byte path: ${got:-nothing} bytes"
	[ "$got" = 200000 ]
}

# udp_big SID SRC PORT: a datagram too big for the encapsulated path, DF set.
udp_big()
{
	head -c 1450 /dev/zero | ip netns exec "$C" socat -u - \
		"UDP:$(hostport "$1" "$3"),bind=$(hostport "$2" 6000)" 2>/dev/null
	sleep 0.5
}

for fam in 4 6; do
	if [ $fam = 4 ]; then
		sid=$SID4; src=10.0.0.2; bidf=bid4; uport=53; mtu=1380
	else
		sid=$SID6; src=fd00::2; bidf=bid6; uport=54; mtu=1360
	fi
	for p in "tcp 7" "tcp 8" "tcp 9" "udp $uport"; do
		set -- $p
		dc service add "$sid" proto "$1" port "$2" mode tunnel
		for i in 1 2 3; do
			dc instance add "$sid" proto "$1" port "$2" bid "$($bidf $i)"
		done
	done

	ktap_test_result "IPv$fam: six connections, two on each instance" \
		spread "$sid" "$src"
	ktap_test_result "IPv$fam: the instances accept the connections on $sid" \
		on_sid "$sid" "$src"
	ktap_test_result "IPv$fam: no conntrack state on the router" \
		test "$(ip netns exec "$R" conntrack -C 2>/dev/null || echo 0)" = 0
	ktap_test_result "IPv$fam: UDP datagrams of one flow reach one instance" \
		udp_flow "$sid" "$src" "$uport"

	# Paths to the instances shrink to 1400 bytes.
	for i in 1 2 3; do
		ip -n "$R" link set "r$i" mtu 1400
		ip -n "${INST[i]}" link set e0 mtu 1400
	done
	before=$(too_big "$sid" udp "$uport")
	udp_big "$sid" "$src" "$uport"
	ktap_test_result "IPv$fam: an oversized datagram is answered 'too big'" \
		test "$(too_big "$sid" udp "$uport")" -gt "$before"
	ktap_test_result "IPv$fam: the client learnt the path MTU ($mtu)" \
		path_mtu "$sid" "$mtu"
	ktap_test_result "IPv$fam: a TCP upload goes through the narrower path" \
		upload "$sid" "$src"
	for i in 1 2 3; do
		ip -n "$R" link set "r$i" mtu 1500
		ip -n "${INST[i]}" link set e0 mtu 1500
	done

	# this family's services only: the namespace's total holds the
	# other family's packets too
	n=$(dc -s -j service show | jq "[.[] | select(.sid == \"$sid\") | .stats.packets] | add")
	ktap_test_result "IPv$fam: the services' counters count the steered packets ($n)" \
		test "${n:-0}" -gt 12
done

ip -n "$C" link set c0 mtu 1280
ip -n "$R" link set r0 mtu 1280
for fam in 4 6; do
	if [ $fam = 4 ]; then
		sid=$SID4; src=10.0.0.2; uport=53
	else
		sid=$SID6; src=fd00::2; uport=54
	fi
	before=$(too_big "$sid" udp "$uport")
	got=$(frag_udp "$sid" "$src" "$uport")
	after=$(too_big "$sid" udp "$uport")
	echo "# IPv$fam: a fragmented 3000-byte datagram: answer '$got', too-big $before -> $after"
	ktap_test_result "IPv$fam: a reassembled datagram whose fragments fit goes on, not 'too big'" \
		sh -c "[ '$after' = '$before' ] && [ -n '$got' ]"
done

# The fragments the router took for reassembly (IPv4: netfilter's IPv6
# reassembly counts in no MIB): none of those routed to instance 1's own
# address, which it reassembles itself, and those to the service.
before=$(mib_counter "$R" IpReasmReqds)
inst_before=$(mib_counter "${INST[1]}" IpReasmOKs)
frag_udp "$(bid4 1)" 10.0.0.2 53 >/dev/null
routed=$(mib_counter "$R" IpReasmReqds)
inst_after=$(mib_counter "${INST[1]}" IpReasmOKs)
frag_udp "$SID4" 10.0.0.2 53 >/dev/null
after=$(mib_counter "$R" IpReasmReqds)
echo "# IPv4 fragments taken for reassembly: $before, routed to $(bid4 1) $routed (reassembled there: $inst_before -> $inst_after), to $SID4 $after"
ktap_test_result "IPv4: fragments routed to an address that is no service are not reassembled" \
	sh -c "[ '$routed' = '$before' ] && [ '$inst_after' -gt '$inst_before' ]"
ktap_test_result "IPv4: fragments addressed to a service are" \
	test "$after" -gt "$routed"

# The same datagram in fragments that carry DF (a sender may set it on
# them, and Linux's reassembly then sets it on the whole): its fragments
# fit, so it goes on with an outer header that lets it be fragmented, as
# ip_forward() fragments such a packet; the outer DF made the router's
# own output drop it, and send itself "fragmentation needed".
df_frag_udp()
{
	ip netns exec "$C" python3 -c '
import socket, struct, sys
src, dst, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
r.bind((src, 6002))
r.settimeout(float(sys.argv[4]))
data = bytes(3000)
udp = struct.pack("!HHHH", 6002, port, 8 + len(data), 0) + data
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
off, step = 0, 1256
while off < len(udp):
    chunk = udp[off:off + step]
    frag = 0x4000 | (0x2000 if off + step < len(udp) else 0) | off // 8
    raw.sendto(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(chunk), 4242,
                           frag, 64, 17, 0, socket.inet_aton(src),
                           socket.inet_aton(dst)) + chunk, (dst, 0))
    off += step
try:
    print(r.recv(100).decode().split()[0])
except socket.timeout:
    pass' "$1" "$2" "$3" "$(( 3 * TIME_FACTOR ))"
}
before=$(too_big "$SID4" udp 53)
got=$(df_frag_udp 10.0.0.2 "$SID4" 53)
after=$(too_big "$SID4" udp 53)
echo "# IPv4: a 3000-byte datagram in fragments with DF: answer '$got', too-big $before -> $after"
ktap_test_result "IPv4: a datagram reassembled from fragments with DF goes on" \
	sh -c "[ '$after' = '$before' ] && [ -n '$got' ]"

# A datagram of 65 500 bytes of payload, reassembled at the router, fits
# no IPv4 packet with the tunnel's header, no IPv6 payload length: dropped
# and counted too big (it fits its path in fragments: no one to tell),
# not sent longer than IP allows.
for fam in 4 6; do
	if [ $fam = 4 ]; then
		sid=$SID4; uport=53; af=AF_INET
	else
		sid=$SID6; uport=54; af=AF_INET6
	fi
	before=$(too_big "$sid" udp "$uport")
	ip netns exec "$C" python3 -c '
import socket, sys
s = socket.socket(getattr(socket, sys.argv[1]), socket.SOCK_DGRAM)
s.sendto(bytes(65500), (sys.argv[2], int(sys.argv[3])))' "$af" "$sid" "$uport"
	busywait 5000 sh -c "[ \$($DYNCAST -n $R -s -j service show $sid proto udp port $uport | jq '.[0].stats[\"too-big\"]') -gt $before ]" >/dev/null
	after=$(too_big "$sid" udp "$uport")
	echo "# IPv$fam: a 65 500-byte datagram: too-big $before -> $after"
	ktap_test_result "IPv$fam: a reassembled datagram no tunnel packet holds is dropped, counted too big" \
		test "$after" = $((before + 1))
done

# Sources that IPv4 routing refuses start no demand: tunnel mode takes
# its packets before routing, which checks them.  Martian sources
# always; with rp_filter on, a source with no route back (strict: by the
# interface it came in on), counted in IPReversePathFilter as routing
# counts it.  Each datagram has the source given, written whole on a raw
# socket (which would put its own address for 0.0.0.0: that one is not
# sent); R's IpInReceives shows they arrived, the bindings which started
# a demand.
raw_udp()	# raw_udp SRC DST PORT
{
	ip netns exec "$C" python3 -c '
import socket, struct, sys
src, dst, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
udp = struct.pack("!HHHH", 6003, port, 13, 0) + b"hello"
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
raw.sendto(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64,
                       17, 0, socket.inet_aton(src), socket.inet_aton(dst)) +
           udp, (dst, 0))' "$1" "$2" "$3"
}
# bound SRC...: the sources given, from port 6003, that have a binding
bound()
{
	dc -j binding show "$SID4" proto udp port 53 |
		jq -r --arg s "$*" '[.[] | select(.sport == 6003) | .src] as $b |
			[$s | split(" ")[] | select(. as $x | $b | index($x))] | join(" ")'
}
# rp_filter MODE: on r0, the client's side, alone (the replies come in on
# the instances' links, from the service address)
rp_filter()
{
	ip netns exec "$R" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 net.ipv4.conf.r0.rp_filter="$1"
}
rpf()
{
	mib_counter "$R" TcpExtIPReversePathFilter
}
rp_filter 0
in0=$(mib_counter "$R" IpInReceives)
for s in 127.0.0.1 224.0.0.5 255.255.255.255 10.66.0.1; do
	raw_udp "$s" "$SID4" 53
done
busywait $(( 3000 * TIME_FACTOR )) eval '[ -n "$(bound 10.66.0.1)" ]'
in1=$(mib_counter "$R" IpInReceives)
b=$(bound 127.0.0.1 224.0.0.5 255.255.255.255 10.66.0.1)
echo "# IPv4: from loopback, multicast and broadcast sources, then 10.66.0.1: R received $(( in1 - in0 )), bound: '$b'"
ktap_test_result "IPv4: martian sources start no demand; another does, rp_filter off" \
	test "$b" = 10.66.0.1 -a "$in1" -ge $((in0 + 4))

# strict: no route back, and a route back by another interface (instance
# 1's link): both refused; the client's own address taken (the control)
r0=$(rpf)
rp_filter 1
raw_udp 10.66.0.2 "$SID4" 53
raw_udp 10.0.1.77 "$SID4" 53
raw_udp 10.0.0.2 "$SID4" 53
busywait $(( 3000 * TIME_FACTOR )) eval '[ -n "$(bound 10.0.0.2)" ]'
b1=$(bound 10.66.0.2 10.0.1.77 10.0.0.2)
r1=$(rpf)
# loose: a route back by any interface will do
rp_filter 2
raw_udp 10.66.0.3 "$SID4" 53
raw_udp 10.0.1.78 "$SID4" 53
busywait $(( 3000 * TIME_FACTOR )) eval '[ -n "$(bound 10.0.1.78)" ]'
b2=$(bound 10.66.0.3 10.0.1.78)
r2=$(rpf)
rp_filter 0
echo "# IPv4: rp_filter strict: bound '$b1', IPReversePathFilter +$(( r1 - r0 )); loose: bound '$b2', +$(( r2 - r1 ))"
ktap_test_result "IPv4: rp_filter strict: a source with no route back by its interface starts no demand, counted" \
	test "$b1" = 10.0.0.2 -a "$r1" = $((r0 + 2))
ktap_test_result "IPv4: rp_filter loose: one with a route back by another interface does" \
	test "$b2" = 10.0.1.78 -a "$r2" = $((r1 + 1))

ktap_finished

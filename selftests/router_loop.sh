#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# D-Router, tunnel mode, the TTL of what it tunnels (topology: topo.sh).
# As a router, dyncast decrements the TTL (hop limit) of the packets it
# tunnels and answers "time exceeded" when none is left:
#  - IPv4: an instance whose D-BID is the router's own address gets the
#    tunnelled packet back, the router decapsulates it and steers it again;
#    the loop ends after as many rounds as the packet had hops, the client
#    is told, and the router goes on working;
#  - IPv6 (whose tunnel driver refuses packets from a local source, so that
#    no such loop forms): a datagram with hop limit 1 is answered "time
#    exceeded" and not tunnelled.
#
# timeout=300

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

require_root
require_vm
require_cmd ip socat jq tcpdump python3

ktap_print_header
ktap_set_plan 5

dc_load || ktap_skip_all "cannot load the module"
topo_setup 1 || ktap_skip_all "cannot build the topology"
tunnel_instances || ktap_skip_all "no ipip or ip6_tunnel module"
# the router takes IPIP too: its own address is an instance
ip -n "$R" link set tunl0 up ||
	ktap_skip_all "no tunnel devices on the router"
ip netns exec "$R" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
	net.ipv4.conf.tunl0.rp_filter=0 >/dev/null

dc service add "$SID4" proto udp port 9 mode tunnel &&
	dc instance add "$SID4" proto udp port 9 bid 10.0.1.1 &&
	dc service add "$SID6" proto udp port 9 mode tunnel &&
	dc instance add "$SID6" proto udp port 9 bid "$(bid6 1)" ||
	ktap_fail_all "cannot add the services"

packets() { dc -s -j service show "$1" proto udp port 9 | jq '.[0].stats.packets'; }

# loop SID SRC: one datagram (TTL 64) into the loop; prints the rounds
loop()
{
	local p0

	p0=$(packets "$1")
	echo x | ip netns exec "$C" socat -u - "UDP:$(hostport "$1" 9),bind=$(hostport "$2" 7000)"
	sleep 2
	echo $(( $(packets "$1") - p0 ))
}

# capture FILE FILTER: the first packet matching FILTER at the client
capture()
{
	timeout $(( 15 * TIME_FACTOR )) ip netns exec "$C" tcpdump -n -i c0 -c 1 "$2" \
		> "$1" 2>/dev/null &
}
tmp=$(mktemp -d)
defer "rm -rf $tmp"

capture "$tmp/v4" 'icmp[icmptype] == 11'
dump4=$!
sleep 1
r4=$(loop "$SID4" 10.0.0.2)
echo "# IPv4: the datagram went round $r4 times"
ktap_test_result "IPv4: a packet steered to the router itself dies after its hops" \
	test "$r4" -ge 2 -a "$r4" -le 64
wait $dump4
echo "# the client saw: $(cat "$tmp/v4")"
ktap_test_result "IPv4: the client was told: time exceeded" \
	grep -q 'time exceeded' "$tmp/v4"
sleep 2
ktap_test_result "IPv4: the loop has stopped" \
	sh -c "p=\$($DYNCAST -n $R -s -j service show $SID4 proto udp port 9 | jq '.[0].stats.packets'); sleep 1;
	       [ \$($DYNCAST -n $R -s -j service show $SID4 proto udp port 9 | jq '.[0].stats.packets') = \$p ]"
ktap_test_result "IPv4: the router still forwards" \
	ip netns exec "$C" ping -c 1 -W 2 10.0.1.2

capture "$tmp/v6" 'icmp6 and ip6[40] == 3'
dump6=$!
sleep 1
ip netns exec "$C" python3 -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 1)
s.bind(("fd00::2", 7001))
s.sendto(b"x", ("'"$SID6"'", 9))'
wait $dump6
echo "# the client saw: $(cat "$tmp/v6")"
ktap_test_result "IPv6: hop limit 1: the client is told, time exceeded" \
	grep -q 'time exceeded' "$tmp/v6"

ktap_finished

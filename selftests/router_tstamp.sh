#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# D-Router, tunnel mode with receive time stamps and an fq qdisc
# (topology: topo.sh).  Once any socket asks for receive time stamps
# (SO_TIMESTAMP), every received packet carries its arrival time in
# skb->tstamp; a packet that keeps it when tunnelled reaches fq with a
# wall-clock time that fq reads as a departure time decades ahead, and fq
# drops it ("horizon_drops").  dyncast clears the stamp when it tunnels,
# as the kernel's own forwarding and IPVS do: datagrams go through, IPv4
# and IPv6, and fq drops nothing.  (UDP: a local TCP sender's packets
# carry its own departure time, which no receive stamp replaces.)
#
# timeout=300

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

require_root
require_vm
require_cmd ip tc socat python3

ktap_print_header
ktap_set_plan 3

dc_load || ktap_skip_all "cannot load the module"
require_module sch_fq
topo_setup 2 || ktap_skip_all "cannot build the topology"
tunnel_instances || ktap_skip_all "no ipip or ip6_tunnel module"
for i in 1 2; do
	serve_udp "${INST[i]}" "i$i" 53 "$SID4" &&
		serve_udp "${INST[i]}" "i$i" 54 "$SID6"
done || ktap_skip_all "cannot start the servers"

for i in 1 2; do
	ip netns exec "$R" tc qdisc replace dev "r$i" root fq ||
		ktap_skip_all "cannot set up fq"
done

# A socket that wants receive time stamps turns them on for every packet.
python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 29, 1)  # SO_TIMESTAMP
time.sleep(3600)' &
tspid=$!
defer "kill $tspid"
sleep 0.5
kill -0 $tspid || ktap_skip_all "cannot turn receive time stamps on"

dc service add "$SID4" proto udp port 53 mode tunnel
dc instance add "$SID4" proto udp port 53 bid "$(bid4 1)" bid "$(bid4 2)"
dc service add "$SID6" proto udp port 54 mode tunnel
dc instance add "$SID6" proto udp port 54 bid "$(bid6 1)" bid "$(bid6 2)"

# datagrams SID SRC PORT: four new flows, two on each instance
datagrams()
{
	local sid=$1 src=$2 port=$3 names=() i

	for i in 1 2 3 4; do
		names+=("$(ask_udp "$src" $((5000 + i)) "$sid" "$port")")
	done
	echo "# $sid: ${names[*]}"
	[ "$(count i1 "${names[@]}")" = 2 ] && [ "$(count i2 "${names[@]}")" = 2 ]
}

horizon_drops()
{
	local n=0 i d

	for i in 1 2; do
		d=$(ip netns exec "$R" tc -s qdisc show dev "r$i" |
			sed -n 's/.*horizon_drops \([0-9]*\).*/\1/p')
		n=$((n + ${d:-0}))
	done
	echo $n
}

ktap_test_result "IPv4: tunnelled datagrams go through fq" \
	datagrams "$SID4" 10.0.0.2 53
ktap_test_result "IPv6: tunnelled datagrams go through fq" \
	datagrams "$SID6" fd00::2 54
drops=$(horizon_drops)
echo "# fq horizon drops: $drops"
ktap_test_result "fq dropped no tunnelled packet as beyond its horizon" \
	test "$drops" = 0

ktap_finished

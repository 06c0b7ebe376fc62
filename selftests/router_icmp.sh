#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ICMP errors about a flow reach the flow's instance (topology: topo.sh),
# in both modes and both families.  Each instance answers a UDP datagram
# twice, a second apart; the client reads the first answer and closes its
# socket, so the second one makes the client's kernel send "port
# unreachable" to the service address.  The router carries it to the
# instance that served the flow (rewrite: conntrack relates and translates
# it; tunnel: dyncast looks the quoted flow up), and to no other.
#
# timeout=600

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

require_root
require_vm
require_cmd ip socat nstat

ktap_print_header
ktap_set_plan 4

dc_load || ktap_skip_all "cannot load the module"
topo_setup 3 || ktap_skip_all "cannot build the topology"
tunnel_instances || ktap_skip_all "no ipip or ip6_tunnel module"

for i in 1 2 3; do
	for l in UDP4-RECVFROM:55,bind=$SID4 UDP6-RECVFROM:55,bind=[$SID6] \
		 UDP4-RECVFROM:56 UDP6-RECVFROM:56,ipv6only=1; do
		ip netns exec "${INST[i]}" socat -t 5 "$l",fork \
			SYSTEM:"echo i$i; sleep 1; echo i$i" >/dev/null 2>&1 &
		defer "kill $!"
	done
done
for i in 1 2 3; do
	wait_listen "${INST[i]}" udp 55 && wait_listen "${INST[i]}" udp 56 ||
		ktap_skip_all "cannot start the servers"
done

unreachs()
{
	local counter=IcmpInDestUnreachs

	[ "$2" = 6 ] && counter=Icmp6InDestUnreachs
	mib_counter "$1" "$counter"
}

# icmp_to_instance FAMILY SID SRC PORT
icmp_to_instance()
{
	local fam=$1 sid=$2 src=$3 port=$4 before=() after=() i name

	for i in 1 2 3; do
		before[i]=$(unreachs "${INST[i]}" "$fam")
	done
	name=$(ask_udp "$src" 7000 "$sid" "$port")
	sleep 2
	for i in 1 2 3; do
		after[i]=$(unreachs "${INST[i]}" "$fam")
	done
	echo "# flow on $name; port unreachable received: i1 $((after[1] - before[1])), i2 $((after[2] - before[2])), i3 $((after[3] - before[3]))"
	[ -n "$name" ] || return 1
	for i in 1 2 3; do
		if [ "i$i" = "$name" ]; then
			[ $((after[i] - before[i])) -ge 1 ] || return 1
		else
			[ $((after[i] - before[i])) = 0 ] || return 1
		fi
	done
}

for sid in "$SID4" "$SID6"; do
	dc service add "$sid" proto udp port 55 mode tunnel
	dc service add "$sid" proto udp port 56 mode rewrite
	for i in 1 2 3; do
		if [ "$sid" = "$SID4" ]; then bid=$(bid4 $i); else bid=$(bid6 $i); fi
		dc instance add "$sid" proto udp port 55 bid "$bid"
		dc instance add "$sid" proto udp port 56 bid "$bid"
	done
done

ktap_test_result "IPv4 rewrite: the client's ICMP error reaches the flow's instance" \
	icmp_to_instance 4 "$SID4" 10.0.0.2 56
ktap_test_result "IPv4 tunnel: the client's ICMP error reaches the flow's instance" \
	icmp_to_instance 4 "$SID4" 10.0.0.2 55
ktap_test_result "IPv6 rewrite: the client's ICMPv6 error reaches the flow's instance" \
	icmp_to_instance 6 "$SID6" fd00::2 56
ktap_test_result "IPv6 tunnel: the client's ICMPv6 error reaches the flow's instance" \
	icmp_to_instance 6 "$SID6" fd00::2 55

ktap_finished

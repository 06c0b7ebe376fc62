#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fuzzes the dyncast netlink family (selftests/nl_fuzz.c) in the D-Router's
# namespace of topo.sh while traffic flows through it: generated and
# mutated requests interleaved with valid ones that keep changing the
# services the traffic is for.  Every request must be answered, the kernel
# must not complain, and the configuration must hold together afterwards.
# FUZZ_COUNT sets the number of requests (default 3000, 4 times more on a
# debug kernel); FUZZ_SEED repeats a run.
#
# timeout=900

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

require_root
require_vm
require_cmd ip socat

count=${FUZZ_COUNT:-$(( 3000 * TIME_FACTOR ))}

dc_load || ktap_skip_all "cannot load the module"
topo_setup 2 || ktap_skip_all "cannot build the topology"
tunnel_instances || ktap_skip_all "no ipip or ip6_tunnel module"
serve_all tcp 7 && serve_all udp 53 || ktap_skip_all "cannot start the servers"

# The services the fuzzer's valid requests also name, with their instances.
for sid in "$SID4" "$SID6"; do
	b1=$(bid4 1) b2=$(bid4 2)
	[ "$sid" = "$SID6" ] && b1=$(bid6 1) b2=$(bid6 2)
	dc service add "$sid" proto tcp port 7 mode rewrite
	dc service add "$sid" proto udp port 53 mode tunnel
	dc instance add "$sid" proto tcp port 7 bid "$b1" bid "$b2"
	dc instance add "$sid" proto udp port 53 bid "$b1" bid "$b2"
done
# the flood's: no server listens on port 9 (each datagram would fork one)
dc service add "$SID4" proto udp port 9 mode tunnel
dc instance add "$SID4" proto udp port 9 bid "$(bid4 1)" bid "$(bid4 2)"

# Traffic for as long as the fuzzer runs: new TCP connections and UDP
# flows, and a flood of new UDP flows at a modest rate.
traffic()
{
	local i=0

	while :; do
		i=$((i + 1))
		ask_tcp 10.0.0.2 "$SID4" 7 >/dev/null
		ask_udp fd00::2 $((20000 + i % 1000)) "$SID6" 53 >/dev/null
	done
}
traffic &
defer "kill $!"
ip netns exec "$C" "$DYNCAST_BIN/udpflood" -q -n 1000000 -r 200 \
	-s 10.0.0.0/24 "$SID4" 9 &
defer "kill $!"

run_ctest -n "$R" nl_fuzz -n "$count" ${FUZZ_SEED:+-s "$FUZZ_SEED"}

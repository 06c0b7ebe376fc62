#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Malformed packets towards the service addresses (topology: topo.sh),
# both modes, IPv4 and IPv6, written whole on a packet socket by
# pktjunk.py: cut and lying IPv4 and IPv6 headers, garbage IPv4 options,
# long and broken IPv6 extension header chains, fragments never completed,
# alone or overlapping, cut UDP and TCP headers, ICMP and ICMPv6 errors
# quoting garbage.  dyncast steers what it can read and leaves the rest to
# the stack; the router must go on as before, its counters must agree with
# its table, and (on a debug kernel, with KASAN) nothing may be read out of
# bounds.
#
# timeout=600

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

require_root
require_vm
require_cmd ip socat jq python3

ktap_print_header
ktap_set_plan 7

dc_load || ktap_skip_all "cannot load the module"
topo_setup 2 || ktap_skip_all "cannot build the topology"
tunnel_instances || ktap_skip_all "no ipip or ip6_tunnel module"
serve_all tcp 7 || ktap_skip_all "cannot start the servers"
for i in 1 2; do
	serve_udp "${INST[i]}" "i$i" 53 "$SID4" &&
		serve_udp "${INST[i]}" "i$i" 54 "$SID6" ||
		ktap_skip_all "cannot start the servers"
done

for sid in "$SID4" "$SID6"; do
	b1=$(bid4 1) b2=$(bid4 2) u=53
	[ "$sid" = "$SID6" ] && b1=$(bid6 1) b2=$(bid6 2) u=54
	dc service add "$sid" proto tcp port 7 mode rewrite
	dc service add "$sid" proto udp port "$u" mode tunnel
	dc instance add "$sid" proto tcp port 7 bid "$b1" bid "$b2"
	dc instance add "$sid" proto udp port "$u" bid "$b1" bid "$b2"
done

works()
{
	local a b c d

	a=$(ask_tcp 10.0.0.2 "$SID4" 7)
	b=$(ask_tcp fd00::2 "$SID6" 7)
	c=$(ask_udp 10.0.0.2 4000 "$SID4" 53)
	d=$(ask_udp fd00::2 4000 "$SID6" 54)
	echo "# answers: tcp4 ${a:-none}, tcp6 ${b:-none}, udp4 ${c:-none}, udp6 ${d:-none}"
	[ -n "$a" ] && [ -n "$b" ] && [ -n "$c" ] && [ -n "$d" ]
}

# The table and its counters agree: as many bindings dumped as counted.
agree()
{
	local dumped counted

	dumped=$(dc -j binding show | jq length)
	counted=$(dc -j stats | jq .bindings)
	echo "# bindings: $dumped dumped, $counted counted"
	[ "$dumped" = "$counted" ]
}

ktap_test_result "before: the services answer" works
mac=$(ip -n "$R" -j link show r0 | jq -r '.[0].address')
out=$(ip netns exec "$C" python3 "$DYNCAST_TOP/selftests/pktjunk.py" c0 "$mac" \
	10.0.0.2 "$SID4" fd00::2 "$SID6" 5)
rc=$?
echo "$out" | sed 's/^/# /'
ktap_test_result "the junk was sent" test $rc = 0
sleep 1
ktap_test_result "after: the services answer" works
ktap_test_result "after: the table and its counters agree" agree
ktap_test_result "after: the counters are read" \
	sh -c "$DYNCAST -n $R -j stats | jq -e '.packets > 0' >/dev/null"
ktap_test_result "the services can be deleted" \
	sh -c "$DYNCAST -n $R service del $SID4 proto tcp port 7 &&
	       $DYNCAST -n $R service del $SID6 proto udp port 54"
dc_unload
ktap_test_result "the module unloads" eval '! dc_is_loaded'

ktap_finished

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# D-Router, rewrite mode, IPv4 and IPv6, TCP and UDP (topology: topo.sh).
# New demands spread over the instances; every packet of a flow reaches
# the same instance for the flow's whole life, even when the weights change
# under it; replies reach the client from the service address; bindings
# and counters tell what happened.  With the table full, a UDP flow
# steered by hash keeps its conntrack entry: one demand, one table-full,
# whatever its datagrams (before, each was tracked anew, the entry made
# again, a demand and a table-full counted).
#
# timeout=600

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

require_root
require_vm
require_cmd ip socat jq conntrack

ktap_print_header
ktap_set_plan 16

dc_load || ktap_skip_all "cannot load the module"
topo_setup 3 || ktap_skip_all "cannot build the topology"
serve_all tcp 7 && serve_all udp 53 || ktap_skip_all "cannot start the servers"

# One TCP connection exchanging lines; after the third, the weight of the
# instance serving it drops to 0.  Every answer must come from it.
long_flow()
{
	local sid=$1 bidf=$2 out first n

	out=$(ip netns exec "$C" bash -c '
		exec 3<>/dev/tcp/'"$sid"'/7 || exit 1
		for i in $(seq 10); do
			echo "line $i" >&3
			read -r name rest <&3 || exit 1
			echo "$name"
			[ $i = 3 ] && { echo "$name" > /tmp/dc-first; sleep 0.5; }
		done' 2>/dev/null &
		sleep 0.5
		for i in $(seq 30); do
			[ -s /tmp/dc-first ] && break
			sleep 0.1
		done
		first=$(cat /tmp/dc-first 2>/dev/null)
		dc instance set "$sid" proto tcp port 7 bid "$("$bidf" "${first#i}")" weight 0
		wait)
	rm -f /tmp/dc-first
	first=$(echo "$out" | head -n 1)
	n=$(echo "$out" | grep -c "^$first\$")
	echo "# answers: $(echo $out)"
	[ -n "$first" ] && [ "$n" = 10 ]
}

# full_flow SID SRC: with the UDP service's table full (max-bindings 1,
# udp_flow's binding), five datagrams of a new flow: one instance answers
# them all, and the flow is one demand and one table-full
full_flow()
{
	local sid=$1 src=$2 f0 f1 d0 d1 names=() i

	udp_stat()
	{
		dc -s -j service show "$sid" proto udp port 53 | jq ".[0].stats[\"$1\"]"
	}
	dc service set "$sid" proto udp port 53 max-bindings 1 || return 1
	f0=$(udp_stat table-full) d0=$(udp_stat demands)
	for i in 1 2 3 4 5; do
		names+=("$(ask_udp "$src" 5001 "$sid" 53)")
	done
	f1=$(udp_stat table-full) d1=$(udp_stat demands)
	echo "# table full: ${names[*]}; table-full +$(( f1 - f0 )), demands +$(( d1 - d0 ))"
	[ -n "${names[0]}" ] && [ "$(count "${names[0]}" "${names[@]}")" = 5 ] &&
		[ $(( f1 - f0 )) = 1 ] && [ $(( d1 - d0 )) = 1 ]
}

for fam in 4 6; do
	if [ $fam = 4 ]; then
		sid=$SID4; src=10.0.0.2; bidf=bid4
	else
		sid=$SID6; src=fd00::2; bidf=bid6
	fi
	dc service add "$sid" proto tcp port 7 mode rewrite
	dc service add "$sid" proto udp port 53 mode rewrite
	for i in 1 2 3; do
		dc instance add "$sid" proto tcp port 7 bid "$($bidf $i)"
		dc instance add "$sid" proto udp port 53 bid "$($bidf $i)"
	done

	ktap_test_result "IPv$fam: six connections, two on each instance" \
		spread "$sid" "$src"
	ktap_test_result "IPv$fam: six bindings, each to an instance" \
		test "$(dc -j binding show "$sid" proto tcp port 7 |
			jq '[.[] | select(.bid | test("^(10\\.0\\.[123]\\.2|fd0[123]::2)$"))] | length')" = 6
	ktap_test_result "IPv$fam: counters show six demands" \
		test "$(dc -s -j service show "$sid" proto tcp port 7 |
			jq '.[0].stats.demands')" = 6
	ktap_test_result "IPv$fam: conntrack translates to the instance" \
		sh -c "ip netns exec $R conntrack -L -p tcp -f ipv$fam --orig-dst $sid 2>/dev/null | grep -q 'src=10.0.[123].2\|src=fd0[123]::2'"
	ktap_test_result "IPv$fam: a connection stays on its instance while weights change" \
		long_flow "$sid" "$bidf"
	ktap_test_result "IPv$fam: UDP datagrams of one flow reach one instance" \
		udp_flow "$sid" "$src" 53
	ktap_test_result "IPv$fam: table full: a UDP flow keeps its entry, one demand" \
		full_flow "$sid" "$src"
	ktap_test_result "IPv$fam: service deleted with its bindings" \
		sh -c "$DYNCAST -n $R service del $sid proto tcp port 7 &&
		       $DYNCAST -n $R service del $sid proto udp port 53 &&
		       test \"\$($DYNCAST -n $R -j binding show | jq length)\" = 0"
done

ktap_finished

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# D-Router, instance states (topology: topo.sh, IPv4 TCP):
#  - drain: the instance takes no new demand, its connections go on;
#  - down: its bindings go at once (and, in rewrite mode, its translated
#    connections), new demands avoid it;
#  - no instance left: the client is refused at once (ICMP port
#    unreachable) and the demand counted;
#  - a TCP segment that is not a SYN and has no binding: in tunnel mode it
#    is dropped and counted; in rewrite mode conntrack keeps carrying an
#    established connection whose binding is gone.
#
# timeout=600

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

require_root
require_vm
require_cmd ip socat jq

ktap_print_header
ktap_set_plan 10

dc_load || ktap_skip_all "cannot load the module"
topo_setup 3 || ktap_skip_all "cannot build the topology"
tunnel_instances || ktap_skip_all "no ipip module"
serve_all tcp 7 || ktap_skip_all "cannot start the servers"

SVC=("$SID4" proto tcp port 7)

others()
{
	local names=() i

	for i in $(seq 6); do
		names+=("$(ask_tcp 10.0.0.2 "$SID4" 7)")
	done
	echo "# new connections: ${names[*]}"
	[ "$(count "$1" "${names[@]}")" = 0 ] &&
		[ "$(count "" "${names[@]}")" = 0 ]
}

stat_of()
{
	dc -s -j service show "${SVC[@]}" | jq ".[0].stats[\"$1\"]"
}

dc service add "${SVC[@]}" mode rewrite
for i in 1 2 3; do
	dc instance add "${SVC[@]}" bid "$(bid4 $i)"
done

open_flow
x=$(talk)
xi=${x#i}
echo "# the open connection is on $x"
dc instance set "${SVC[@]}" bid "$(bid4 "$xi")" state drain
ktap_test_result "drain: new connections avoid $x" others "$x"
ktap_test_result "drain: the open connection goes on with $x" \
	test -n "$x" -a "$(talk)" = "$x"
ktap_test_result "drain: its binding stays" \
	test "$(dc -j binding show | jq "[.[] | select(.bid == \"$(bid4 "$xi")\")] | length")" -ge 1

dc instance set "${SVC[@]}" bid "$(bid4 "$xi")" state down
ktap_test_result "down: its bindings are gone at once" \
	test "$(dc -j binding show | jq "[.[] | select(.bid == \"$(bid4 "$xi")\")] | length")" = 0
ktap_test_result "down: its translated connection is gone too" \
	sh -c "! ip netns exec $R conntrack -L -p tcp --reply-src $(bid4 "$xi") 2>/dev/null | grep -q ."
ktap_test_result "down: new connections avoid $x" others "$x"
close_flow

for i in 1 2 3; do
	dc instance set "${SVC[@]}" bid "$(bid4 $i)" state down
done
before=$(stat_of no-instance)
out=$(echo hi | ip netns exec "$C" socat -T 5 - TCP:$SID4:7 2>&1)
echo "# with every instance down: $out"
ktap_test_result "no instance: the client is refused, the demand counted" \
	sh -c "echo '$out' | grep -q 'Connection refused' &&
	       [ \$($DYNCAST -n $R -s -j service show ${SVC[*]} | jq '.[0].stats[\"no-instance\"]') -gt $before ]"
for i in 1 2 3; do
	dc instance set "${SVC[@]}" bid "$(bid4 $i)" state up
done

# rewrite: an established connection outlives its binding
open_flow
x=$(talk)
dc binding flush
ktap_test_result "rewrite: without its binding, conntrack carries the connection on" \
	test -n "$x" -a "$(talk)" = "$x"
close_flow

# tunnel: a segment of an unknown connection is dropped and counted
dc service set "${SVC[@]}" mode tunnel
open_flow
x=$(talk)
ktap_test_result "tunnel: the connection works ($x)" test -n "$x"
dc binding flush
before=$(stat_of not-start)
talk >/dev/null
after=$(stat_of not-start)
echo "# not-start: $before -> $after"
ktap_test_result "tunnel: a segment without binding or SYN is dropped and counted" \
	test "$after" -gt "$before"
close_flow

ktap_finished

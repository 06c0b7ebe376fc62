#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# D-Router, removing bindings while new flows keep coming (topology:
# topo.sh, tunnel mode).  A flush removes the bindings there were when it
# began, in passes until none is left; the flows that arrive meanwhile are
# new demands made under the settings the flush follows, and are left
# alone.  So under a flood of new flows:
#  - "binding flush" returns while the flood still runs, and the bindings
#    made before it are gone;
#  - so does a change of affinity, which removes the service's bindings;
#  - the flood's own bindings are all there once it stops (nothing lost).
#
# timeout=300

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

require_root
require_vm
require_cmd ip socat jq python3 ss

ktap_print_header
ktap_set_plan 6

dc_load || ktap_skip_all "cannot load the module"
topo_setup 2 || ktap_skip_all "cannot build the topology"
tunnel_instances || ktap_skip_all "no ipip module"
flood=$DYNCAST_BIN/udpflood
[ -x "$flood" ] || ktap_skip_all "$flood not built (make selftests)"

# Nobody listens on udp 9: the instances answer the flood with ICMP only.
SVC=("$SID4" proto udp port 9)
dc service add "${SVC[@]}" mode tunnel timeout 300 unconfirmed-timeout 0 &&
	dc instance add "${SVC[@]}" bid "$(bid4 1)" bid "$(bid4 2)" ||
	ktap_fail_all "cannot add the service"

# one datagram of a flow from 10.0.0.2, port $1
send_one()
{
	echo x | ip netns exec "$C" socat -u - "UDP:$SID4:9,bind=10.0.0.2:$1"
}

flow_bound()
{
	[ "$(dc -j binding show "${SVC[@]}" |
		jq "[.[] | select(.src == \"10.0.0.2\" and .sport == $1)] | length")" = 1 ]
}

bindings() { dc -j service show "${SVC[@]}" | jq '.[0].bindings'; }

# flood_start FIRST: 100 000 new flows at 5000 a second, from flow FIRST
flood_start()
{
	ip netns exec "$C" "$flood" -q -n 100000 -r 5000 -o "$1" \
		-s 10.77.0.0/16 "$SID4" 9 &
	FLOOD_PID=$!
	defer "kill $FLOOD_PID"
	busywait 5000 sh -c "[ \$($DYNCAST -n $R -j service show ${SVC[*]} | jq '.[0].bindings') -gt 1000 ]" >/dev/null
}

send_one 5009
bound=no
busywait $(( 5000 * TIME_FACTOR )) flow_bound 5009 >/dev/null && bound=yes
flood_start 0
b0=$(bindings)
t0=$SECONDS
dc binding flush
running=no
kill -0 $FLOOD_PID 2>/dev/null && running=yes
echo "# flush under the flood: $b0 bindings before, $(( SECONDS - t0 )) s, flood still running: $running"
ktap_test_result "a flush returns while new flows keep coming" test $running = yes
# (the dump's own failure is not an empty table: its status counts)
not_bound()
{
	local b

	b=$(dc -j binding show "${SVC[@]}") || return 1
	! echo "$b" | jq -e ".[] | select(.src == \"10.0.0.2\" and .sport == $1)" >/dev/null
}
ktap_test_result "the flush removed the bindings made before it" \
	eval "[ $bound = yes ] && not_bound 5009"

# a flood of its own: the dumps above may have outlasted the first one
kill "$FLOOD_PID" 2>/dev/null
wait "$FLOOD_PID" 2>/dev/null
send_one 5010
bound=no
busywait $(( 5000 * TIME_FACTOR )) flow_bound 5010 >/dev/null && bound=yes
flood_start 100000
t0=$SECONDS
dc service set "${SVC[@]}" affinity 3tuple
running=no
kill -0 $FLOOD_PID 2>/dev/null && running=yes
echo "# affinity change under the flood: $(( SECONDS - t0 )) s, flood still running: $running"
ktap_test_result "an affinity change returns while new flows keep coming" \
	test $running = yes
ktap_test_result "the affinity change removed the 5tuple bindings made before it" \
	eval "[ $bound = yes ] && not_bound 5010"
wait $FLOOD_PID

# A change that fails is seen by no packet: a first key needs the UDP
# port of forwarder messages, held here by another socket, so that
# "key ... affinity 3tuple" fails; the flows that arrive meanwhile are
# bound under 5tuple still, never under 3tuple (source port 0).
dc service set "${SVC[@]}" affinity 5tuple
dc binding flush
ip netns exec "$R" python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 17475))
time.sleep(600)' &
HOLD_PID=$!
defer "kill $HOLD_PID"
held=yes
busywait $(( 5000 * TIME_FACTOR )) sh -c "ip netns exec $R ss -uanH 'sport = :17475' | grep -q ." >/dev/null ||
	held=no
ip netns exec "$C" "$flood" -q -n 200000 -r 20000 -o 300000 -s 10.77.0.0/16 "$SID4" 9 &
FLOOD_PID=$!
defer "kill $FLOOD_PID"
fails=0 msg=
for _ in $(seq 40); do
	if ! out=$(dc service set "${SVC[@]}" affinity 3tuple key "$(printf '%064x' 1)" 2>&1); then
		fails=$((fails + 1))
		msg=$out
	fi
done
kill "$FLOOD_PID" 2>/dev/null
wait "$FLOOD_PID" 2>/dev/null
kill "$HOLD_PID" 2>/dev/null
wait "$HOLD_PID" 2>/dev/null
svc=$(dc -j service show "${SVC[@]}" | jq -c '.[0] | [.affinity, (.keyed // false), .bindings]')
wrong=$(dc -j binding show "${SVC[@]}" | jq '[.[] | select(.sport == 0)] | length')
echo "# 40 changes refused under a flood: $fails; \"$msg\"; service [affinity, keyed, bindings] $svc; bindings under 3tuple: $wrong"
if [ $held = no ]; then
	ktap_test_skip "a change whose socket cannot be had: the port could not be held"
else
	ktap_test_result "a change whose socket cannot be had fails, and leaves no binding made under it" \
		test "$fails" = 40 -a "$wrong" = 0 -a \
		"$(echo "$svc" | jq -c '.[0:2]')" = '["5tuple",false]' -a \
		"$(echo "$msg" | grep -c 'cannot open the UDP port')" = 1
fi

# Every flow of a flood with nothing removing bindings is bound.
dc service set "${SVC[@]}" affinity 5tuple
dc binding flush
ip netns exec "$C" "$flood" -q -n 5000 -o 200000 -s 10.77.0.0/16 "$SID4" 9
ktap_test_result "5000 new flows, 5000 bindings" \
	busywait 5000 sh -c "[ \$($DYNCAST -n $R -j service show ${SVC[*]} | jq '.[0].bindings') = 5000 ]"

ktap_finished

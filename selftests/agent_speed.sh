#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The plan takes an instance's speed from the router's own demands there
# (dyncastd(8), "slower than its service time"), end to end: D-Router 1
# steers a stream of new UDP demands to three instances of one service at
# edge site 2, all announcing the service's 20 ms and one slot, whose D-MA
# (the dyncastd of D-Router 2) reports their CPU load; the test plays the
# sites, each reporting the load D-Router 1's demands make there at its
# true speed (topology: agent_topo.sh).
#  - bid25 serves in 10 ms: it is planned faster, its kernel instance's
#    service-time set below 20 ms by 1.3 times or more, and not below a
#    quarter; the others as they say;
#  - bid24 then serves in 40 ms: it is planned slower, its service-time
#    above 26 ms;
#  - the demands stop: both back to the service's service time (0 in the
#    kernel).
#
# timeout=420

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/agent_topo.sh"

require_root
require_vm
require_cmd ip jq socat

ktap_print_header
ktap_set_plan 5

flood=$DYNCAST_BIN/udpflood
[ -x "$flood" ] || ktap_skip_all "$flood not built (make selftests)"
[ -x "$DYNCASTD" ] || ktap_skip_all "dyncastd not built: $DYNCASTD"
dc_load || ktap_skip_all "cannot load the module"
atopo_setup || ktap_skip_all "cannot build the topology"

SID3=203.0.113.3
PORT3=5300
BIDS=(198.19.2.23 198.19.2.24 198.19.2.25)
for b in "${BIDS[@]}"; do
	ip -n "$E2" addr add "$b/24" dev eth0 || ktap_skip_all "cannot add $b"
done

{
	atopo_agent_section dr1 0.0.0.1
	cat <<-EOF

		[peer dr2]
		endpoint = 198.18.12.1

		[router]

		[service sid3]
		sid = $SID3
		proto = udp
		port = $PORT3
		policy = least-cost
		affinity = 5tuple
		timeout = 10
		service-time = 20000
	EOF
} > "$AT/dr1.conf"
{
	atopo_agent_section dr2 0.0.0.2
	printf 'site = 2\n\n[peer dr1]\nendpoint = 198.18.11.1\n'
	for b in "${BIDS[@]}"; do
		cat <<-EOF

			[instance bid${b##*.}]
			sid = $SID3
			proto = udp
			port = $PORT3
			bid = $b
			site = 2
			capacity = 1
			health = off
		EOF
	done
} > "$AT/dr2.conf"
{ agent_start dr1 && agent_start dr2; } ||
	{ agent_logs; ktap_fail_all "cannot start the agents"; }

# inst BID FIELD: a field of instance BID in D-Router 1's kernel, 0 none
# (kinst of agent_topo.sh is for its TCP services)
inst()
{
	"$DYNCAST" -n "$DR1" -j -d instance show $SID3 proto udp port $PORT3 \
		bid "$1" 2>/dev/null | jq -r ".[0][\"$2\"] // 0"
}

# svc_time BID: its service-time, microseconds (0: the service's)
svc_time()
{
	inst "$1" service-time
}

# The sites: each reports the load D-Router 1's demands make there, its
# own rate of new demands (as its plan smooths it) times the service time
# $AT/speeds gives it ("LAST-OCTET MS" lines), every second
echo "23 20
24 20
25 10" > "$AT/speeds"
sites()
{
	local bid rate ms

	while :; do
		agent_show dr1 learned 2>/dev/null |
			jq -r '.[] | "\(.bid) \(.plan["own-rate"] // 0)"' |
			while read -r bid rate; do
				ms=$(awk -v o="${bid##*.}" '$1 == o { print $2 }' "$AT/speeds")
				agent_report dr2 "bid${bid##*.} cpu $(awk -v r="$rate" \
					-v ms="${ms:-20}" 'BEGIN {
						c = r * ms / 10
						printf "%.1f", (c > 100 ? 100 : c) }')"
			done
		sleep 1
	done
}

all_three_up()
{
	local b

	for b in "${BIDS[@]}"; do
		[ "$(inst "$b" state)" = up ] || return 1
	done
}

# the kernel's service-times, and what D-Router 1's plan has of each
show_times()
{
	echo "# service-time bid23 $(svc_time 198.19.2.23)" \
	     "bid24 $(svc_time 198.19.2.24) bid25 $(svc_time 198.19.2.25)"
	agent_show dr1 learned | jq -r '.[] | "# \(.bid) cpu \(.cpu) plan \(.plan)"'
}

slowwait 60 all_three_up || { agent_logs; ktap_fail_all "instances not up"; }
sites &
defer "kill $! 2>/dev/null"

# 120 new demands a second, each one datagram from a port of its own:
# some 40 a second at each instance at first, 200 in the plan's 5 s (it
# asks for 100), loads of 80 % (bid25: 40 %) for a capacity of 200 a
# second; 60000, a port each, last longer than the test
ip netns exec "$CL" "$flood" -q -n 60000 -r 120 -s 198.18.1.2 \
	$SID3 $PORT3 &
FLOOD_PID=$!
defer "kill $FLOOD_PID 2>/dev/null"

# bid25: twice as fast; 10 s in the plan first, then a tenth a plan
# (0.5 s) at most
fast()
{
	local t

	t=$(svc_time 198.19.2.25)
	[ "$t" -gt 0 ] && [ "$t" -le 15384 ]
}
slowwait 60 fast || { agent_show dr1 learned | sed "s/^/# /"; agent_logs; }
# its service time on its way down, the others' as they were: settled
sleep $(( 5 * TIME_FACTOR ))
show_times
t=$(svc_time 198.19.2.25)
ktap_test_result "bid25, twice as fast as it says, is planned faster" \
	test "$t" -gt 0 -a "$t" -le 15384
ktap_test_result "not faster than a quarter; the others as they say" \
	test "$t" -ge 5000 -a "$(svc_time 198.19.2.23)" = 0 \
	     -a "$(svc_time 198.19.2.24)" = 0

# bid24 twice as slow as it says
echo "23 20
24 40
25 10" > "$AT/speeds"
slow()
{
	[ "$(svc_time 198.19.2.24)" -ge 26000 ]
}
slowwait 60 slow || agent_show dr1 learned | sed "s/^/# /"
show_times
ktap_test_result "bid24, twice as slow as it says, is planned slower" slow

# no more demands: no estimate (a slowness needs 50 % busy, a speed 25 %,
# and the router's own demands)
kill $FLOOD_PID
back()
{
	[ "$(svc_time 198.19.2.24)" = 0 ] && [ "$(svc_time 198.19.2.25)" = 0 ]
}
slowwait 30 back || agent_show dr1 learned | sed "s/^/# /"
show_times
ktap_test_result "no more demands: both back to the service's service time" back
ktap_finished

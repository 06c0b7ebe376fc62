#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A service that plans (topology: agent_topo.sh; D-Router 1 plans D-SID 1,
# least-cost, by default; every instance has capacity 100, the service
# 10 ms):
#  - bid21 and bid31 reported 60 % busy, 6000 demands a second each, of
#    which D-Router 1's are a few: it pushes the split as weights (adding
#    up to 10 000, within the 5 % each moves before it is pushed again),
#    each moved past the split by half the gap between it and the half of
#    the demands each instance shows (the gain of dyncastd's plan.h),
#    each instance's load its share of the demand (about 120 slots:
#    "agent show plan" says how much), or the reported 60 % (smoothed)
#    where that is 20 or more above it (D-Router 1 sees few of the
#    demands, the others' are in inflight-adjust): with 100 slots there is
#    no wait below some 85 %, so the nearer instance, by however little
#    (the probes' noise decides which), takes more than half, up to the
#    98 % the plan allows, the other what is left or the reported 60; the
#    other
#    routers' demands as inflight-adjust,
#    and a slack of 4, since it sees less than a fifth of the demands;
#    "dyncast agent show plan" says so;
#  - 100 ms of delay to edge 3: the plan moves the split to bid21, up to
#    where its wait costs as much (over 78 %), within 2 s of the cost
#    reaching the kernel;
#  - "plan = no" and a reload: the announced weights, the kernel's own
#    loads, no adjustment, no slack;
#  - planned again, the service deleted behind the agent's back: made
#    again with the plan's slack.
#
# timeout=600

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/agent_topo.sh"

require_root
require_vm
require_cmd ip jq curl nginx socat tc
require_module sch_netem

ktap_print_header
ktap_set_plan 7

[ -x "$DYNCASTD" ] || ktap_skip_all "dyncastd not built: $DYNCASTD"
dc_load || ktap_skip_all "cannot load the module"
atopo_setup || ktap_skip_all "cannot build the topology"
atopo_serve_all || ktap_skip_all "cannot start the servers"
atopo_configs
{ agent_start dr1 && agent_start dr2 && agent_start e3; } ||
	{ agent_logs; ktap_fail_all "cannot start the agents"; }
atopo_quiet
for b in 198.19.2.21 198.19.3.31; do
	slowwait 60 kinst_is "$DR1" $SID1 80 $b state up
done

agent_report dr2 "bid21 cpu 60"
agent_report e3 "bid31 cpu 60"
slowwait 30 kinst_is "$DR1" $SID1 80 198.19.2.21 cpu 60
slowwait 30 kinst_is "$DR1" $SID1 80 198.19.3.31 cpu 60

# svc_field FIELD: a field of D-SID 1 in the kernel of D-Router 1
svc_field()
{
	"$DYNCAST" -n "$DR1" -j service show $SID1 proto tcp port 80 |
		jq -r ".[0][\"$1\"]"
}

# planned: the kernel of D-Router 1 has a plan for both instances, judged
# on one dump: with 100 slots and no wait below some 85 %, a cost
# difference within the probes' noise turns the split around, and fields
# read one by one may come from two plans
planned()
{
	local j rate

	j=$("$DYNCAST" -n "$DR1" -j instance show $SID1 proto tcp port 80) ||
		return 1
	# demands a second of every router, as the plan took them
	rate=$(agent_show dr1 plan | jq '.[] | select(.name == "sid1") | .["total-rate"]')
	[ -n "$rate" ] || return 1
	# the reports' 60 % smoothed into the plan: 12 000 a second
	jq -en "$rate > 11000" >/dev/null || return 1
	jq -r '[.[] | select(.bid == "198.19.2.21" or .bid == "198.19.3.31")] |
	       "# weights \(map(.weight)), loads \(map(.load)), inflight-adjust \(map(.["inflight-adjust"]))"' <<< "$j"
	echo "# slack $(svc_field slack)"
	# a load in per cent: the split's share s of the demands times the
	# service time (10 ms) over the slots (100), s from the weight
	# w = s + 0.5 (s - 1/2), both instances showing half the demands;
	# or the reported 60 where 20 or more above it; within 6, as the
	# kernel's may be a plan 5 % older (4 at 80 %), either near the border
	jq -e --argjson rate "$rate" \
	      'def within6(a; b): (a - b) > -6 and (a - b) < 6;
	       [.[] | select(.bid == "198.19.2.21" or .bid == "198.19.3.31")] |
	       length == 2 and
	       (map(.weight) | add) >= 9500 and (map(.weight) | add) <= 10500 and
	       all(.weight >= 1) and
	       all(.load >= 15 and .load < 99) and
	       all(.load as $l |
		   ((.weight / 10000 + 0.25) / 1.5 * $rate / 100) as $s |
		   within6($l; $s) or (60 - $s >= 14 and within6($l; 60))) and
	       all(.["inflight-adjust"] > 10)' <<< "$j" >/dev/null
}
# the reported loads are smoothed over some 5 s: 60 % within 15 s
slowwait 30 planned >/dev/null
ktap_test_result "the plan: weights of the split, its loads, the others' demands" planned
ktap_test_result "a router with less than a fifth of the demands: slack 4" \
	test "$(svc_field slack)" = 4
plan=$(agent_show dr1 plan)
echo "# $plan"
ktap_test_result "agent show plan: 12000 demands a second, a small part ours" \
	jq -e '.[0]["total-rate"] > 11000 and .[0]["total-rate"] < 13000 and
	       .[0]["own-share"] < 0.2 and .[0].slack == 4' <<< "$plan"

# 100 ms of delay to edge 3 (more on a slower kernel), its cost at
# D-Router 1, then the plan within 2 s
ip netns exec "$INF" tc qdisc add dev eth3 root netem delay $(( 100 * TIME_FACTOR ))ms
cost_above()
{
	local c

	c=$(kinst "$DR1" $SID1 80 198.19.3.31 cost)
	[ "${c:-0}" -gt 60000 ]
}
w0=$(kinst "$DR1" $SID1 80 198.19.2.21 weight)
slowwait 60 cost_above
bid21_most()
{
	local w

	w=$(kinst "$DR1" $SID1 80 198.19.2.21 weight)
	[ "$w" -gt 7800 ] && [ "$w" -gt "$w0" ]
}
slowwait 2 bid21_most
echo "# bid31 cost $(kinst "$DR1" $SID1 80 198.19.3.31 cost) us: bid21's weight $w0, then $(kinst "$DR1" $SID1 80 198.19.2.21 weight) (bid31 $(kinst "$DR1" $SID1 80 198.19.3.31 weight))"
ktap_test_result "bid31 100 ms further: the plan moves the split to bid21 within 2 s" \
	bid21_most

slack_is()
{
	[ "$(svc_field slack)" = "$1" ]
}

# no plan any more: the announced weights, no load, no adjustment, no
# slack
sed -i '/^\[service sid1\]$/a plan = no' "$AT/dr1.conf"
kill -HUP "${AGENT_PID[dr1]}"
unplanned()
{
	local b

	for b in 198.19.2.21 198.19.3.31; do
		kinst_is "$DR1" $SID1 80 $b weight 1 &&
			jq -en "$(kinst "$DR1" $SID1 80 $b load) == 0 and
				$(kinst "$DR1" $SID1 80 $b inflight-adjust) == 0" \
				>/dev/null || return 1
	done
}
slowwait 10 unplanned
"$DYNCAST" -n "$DR1" instance show $SID1 proto tcp port 80 | sed 's/^/# /'
ktap_test_result "plan = no: the announced weights, the kernel's loads, no adjustment" \
	unplanned
ktap_test_result "plan = no: no slack" slack_is 0

# planned again; the service deleted behind the agent's back: made again
# at the next update, with the plan's slack
sed -i '/^plan = no$/d' "$AT/dr1.conf"
kill -HUP "${AGENT_PID[dr1]}"
slowwait 10 slack_is 4
"$DYNCAST" -n "$DR1" service del $SID1 proto tcp port 80
agent_report dr2 "bid21 cpu 61"
agent_report e3 "bid31 cpu 61"
remade()
{
	slack_is 4 && [ -n "$(kinst "$DR1" $SID1 80 198.19.2.21 weight)" ]
}
slowwait 20 remade
ktap_test_result "the service deleted and made again: the plan's slack again" remade

ktap_finished

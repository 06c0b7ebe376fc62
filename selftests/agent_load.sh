#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Metrics steer new demands (topology: agent_topo.sh, least-cost, every
# instance of capacity 100):
#  - without a plan (D-SID 1, "plan = no"), an instance whose service
#    reports a growing queue takes no new demand once D-Router 1 learns
#    it, while a connection already bound to it stays there;
#  - planned (D-SID 2, least-cost's default), a reported CPU load does the
#    same: the kernel's curve takes it, smoothed over some 5 s, when it is
#    above the plan's.
#
# timeout=600

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/agent_topo.sh"

require_root
require_vm
require_cmd ip jq curl nginx socat

ktap_print_header
ktap_set_plan 6

[ -x "$DYNCASTD" ] || ktap_skip_all "dyncastd not built: $DYNCASTD"
dc_load || ktap_skip_all "cannot load the module"
atopo_setup || ktap_skip_all "cannot build the topology"
atopo_serve_all || ktap_skip_all "cannot start the servers"
atopo_configs
sed -i '/^\[service sid1\]$/a plan = no' "$AT/dr1.conf"
{ agent_start dr1 && agent_start dr2 && agent_start e3; } ||
	{ agent_logs; ktap_fail_all "cannot start the agents"; }
atopo_quiet
for b in 198.19.2.21 198.19.3.31; do
	slowwait 60 kinst_is "$DR1" $SID1 80 $b state up
done

# bid21 is saturated: a first connection goes to bid31
# Queues of 1000 (100 ms of wait at 10 ms a demand and 100 slots), more
# on a slow kernel, where the measured round-trip times stray further.
Q=$(( 1000 * TIME_FACTOR ))
agent_report dr2 "bid21 queue $Q"
slowwait 30 kinst_is "$DR1" $SID1 80 198.19.2.21 queue $Q
first=$(asks 4 $SID1 80)
echo "# bid21 queue $Q: $first"
# shellcheck disable=SC2086 # one word per demand
ktap_test_result "a saturated bid21 takes no new demand" only bid31 $first

# a connection kept open on bid31 (HTTP keep-alive)
coproc FLOW { ip netns exec "$CL" socat -T 120 - TCP:$SID1:80 2>/dev/null; }
defer "kill $FLOW_PID"
# request: one GET on the kept connection; prints the instance that answered
request()
{
	local line

	printf 'GET / HTTP/1.1\r\nHost: sid1\r\n\r\n' >&"${FLOW[1]}"
	while read -r -t 10 line <&"${FLOW[0]}"; do
		case $line in bid*) echo "$line"; return 0 ;; esac
	done
	echo none
}
kept=$(request)
echo "# the kept connection is served by $kept"

# the queue of bid31 grows; bid21's is gone
for q in 100 300 600 1000; do
	agent_report e3 "bid31 queue $(( q * TIME_FACTOR ))"
	sleep 0.5
done
agent_report dr2 "bid21 queue 0"
slowwait 30 kinst_is "$DR1" $SID1 80 198.19.3.31 queue $Q
slowwait 30 kinst_is "$DR1" $SID1 80 198.19.2.21 queue 0
# ... and bid21 is nearer by more than 50 ms, all told: its network cost
# against bid31's and bid31's wait (Q * 0.1 ms)
bid21_ahead()
{
	[ "$(cost_gap "$DR1" $SID1 80 198.19.2.21 198.19.3.31)" -le $(( Q * 100 - 50000 )) ]
}
slowwait 30 bid21_ahead
"$DYNCAST" -n "$DR1" instance show $SID1 proto tcp port 80
then=$(asks 6 $SID1 80)
echo "# bid31 queue $Q, bid21 0: $then"
# shellcheck disable=SC2086
ktap_test_result "bid31's growing queue sends new demands to bid21" only bid21 $then
again=$(request)
echo "# the kept connection: $kept, then $again"
ktap_test_result "the connection already on bid31 stays there" \
	test "$kept" = bid31 -a "$again" = bid31

# a CPU load reported by the service moves demands of D-SID 2
agent_report e3 "bid32 cpu 99.5"
slowwait 30 kinst_is "$DR1" $SID2 8080 198.19.3.32 cpu 99.5
# load_cmp BID OP PERCENT: the load of D-SID 2's BID in D-Router 1's kernel
load_cmp()
{
	local l

	l=$(kinst "$DR1" $SID2 8080 "$1" load)
	jq -en "${l:-0} $2 $3" >/dev/null
}
# 98 or more: at 90 the wait at 100 slots is below a millisecond
slowwait 30 load_cmp 198.19.3.32 '>' 98
# load_from BID: where D-Router 1's plan took D-SID 2's BID's load from
load_from()
{
	agent_show dr1 learned |
		jq -r --arg sid "$SID2" --arg bid "$1" \
		   '.[] | select(.sid == $sid and .bid == $bid) |
		    (.plan // error("no plan")) | .["load-from"] // "split"'
}
from32=$(load_from 198.19.3.32)
from22=$(load_from 198.19.2.22)
echo "# the plan's loads from: bid32 $from32, bid22 $from22"
ktap_test_result "agent show learned: bid32's load is its report, bid22's the split's" \
	test "$from32" = report -a "$from22" = split
two=$(asks 4 $SID2 8080)
echo "# bid32 at 99.5% cpu (load $(kinst "$DR1" $SID2 8080 198.19.3.32 load)): $two"
# shellcheck disable=SC2086
ktap_test_result "a reported CPU load of bid32 sends new demands to bid22" only bid22 $two
agent_report e3 "bid32 cpu 0"
agent_report dr2 "bid22 cpu 99.5"
slowwait 30 kinst_is "$DR1" $SID2 8080 198.19.2.22 cpu 99.5
slowwait 30 kinst_is "$DR1" $SID2 8080 198.19.3.32 cpu 0.0
slowwait 30 load_cmp 198.19.2.22 '>' 98
# bid32's curve back to the split's (some 80 %, the nearer one), no
# longer the 99.5 it took
slowwait 30 load_cmp 198.19.3.32 '<' 95
two=$(asks 4 $SID2 8080)
echo "# bid22 at 99.5% cpu (load $(kinst "$DR1" $SID2 8080 198.19.2.22 load)): $two"
# shellcheck disable=SC2086
ktap_test_result "and back to bid32 when bid22 is the loaded one" only bid32 $two

[ $KTAP_CNT_FAIL -eq 0 ] || agent_logs
ktap_finished

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dyncastd in the deployment of Figure 2 (topology: agent_topo.sh):
#  - both D-Routers learn the four instances of the two services, with
#    their metrics (capacity, site, CPU, a GPU figure from a command,
#    sessions counted from conntrack on D-Router 2 and from sockets on
#    edge 3) and a network cost;
#  - D-Router 1 learns edge 3 through D-Router 2's relay, and the agents
#    show their peers, sites and RTTs;
#  - a reload adds an instance, then withdraws it, without losing state;
#  - what is deleted by hand behind D-Router 1's agent comes back at its
#    next audit (30 s): an instance; a service deleted and made again
#    empty gets its instances again, though none of them changed;
#  - SIGTERM removes what an agent put into the kernel, and leaves what
#    its configuration says to keep.
#
# timeout=600

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/agent_topo.sh"

require_root
require_vm
require_cmd ip jq curl nginx socat

ktap_print_header
ktap_set_plan 15

[ -x "$DYNCASTD" ] || ktap_skip_all "dyncastd not built: $DYNCASTD"
dc_load || ktap_skip_all "cannot load the module"
atopo_setup || ktap_skip_all "cannot build the topology"
atopo_start || { agent_logs; ktap_fail_all "cannot start the servers and agents"; }

ok=1
for r in "$DR1" "$DR2"; do
	slowwait 60 all_up "$r" || ok=0
done
"$DYNCAST" -n "$DR1" instance show
ktap_test_result "both D-Routers learn the four instances, up" test $ok = 1

sites_ok()
{
	local r

	for r in "$DR1" "$DR2"; do
		kinst_is "$r" $SID1 80 198.19.2.21 site 2 &&
			kinst_is "$r" $SID2 8080 198.19.3.32 site 3 || return 1
	done
}
ktap_test_result "sites: site 2 on D-Router 2's instances, site 3 on edge 3's" sites_ok

cpu_collected()
{
	agent_show e3 instance | jq -e 'length == 2 and all(.[]; has("cpu"))' &&
		agent_show dr2 instance | jq -e 'length == 2 and all(.[]; has("cpu"))'
}
ktap_test_result "the D-MAs collect the CPU load of their instances' host" \
	cpu_collected

slowwait 20 kinst_is "$DR1" $SID2 8080 198.19.3.32 gpu 42.5
ktap_test_result "a figure printed by an instance's command (gpu 42.5) reaches D-Router 1" \
	kinst_is "$DR1" $SID2 8080 198.19.3.32 gpu 42.5

# a network cost: the RTT to the announcing agent, none for our own
cost31=$(kinst "$DR1" $SID1 80 198.19.3.31 cost)
cost21_dr2=$(kinst "$DR2" $SID1 80 198.19.2.21 cost)
echo "# cost of bid31 at D-Router 1: $cost31 us; of bid21 at D-Router 2 (its own): $cost21_dr2 us"
ktap_test_result "remote instances carry a measured cost, local ones none" \
	test "${cost31:-0}" -gt 0 -a "${cost21_dr2:-1}" = 0

# sessions: two open connections to bid21 (through D-Router 2, counted
# by conntrack) and two to bid31 (counted by sock_diag on edge 3); a
# health check of the agent in progress adds one, for a moment (longer
# on a slow kernel)
for _ in 1 2; do
	ip netns exec "$CL" socat -T 60 TCP:198.19.2.21:80 SYSTEM:"sleep 60" &
	defer "kill $!"
	ip netns exec "$CL" socat -T 60 TCP:198.19.3.31:80 SYSTEM:"sleep 60" &
	defer "kill $!"
done
sessions_are()
{
	local b n

	for b in 198.19.2.21 198.19.3.31; do
		n=$(kinst "$1" $SID1 80 $b sessions)
		[ "${n:-0}" -ge "$2" ] && [ "$n" -le $(( $2 + 1 )) ] || return 1
	done
}
slowwait 30 sessions_are "$DR1" 2
echo "# sessions at D-Router 1: bid21 $(kinst "$DR1" $SID1 80 198.19.2.21 sessions), bid31 $(kinst "$DR1" $SID1 80 198.19.3.31 sessions)"
ktap_test_result "sessions counted by conntrack (edge 2) and sock_diag (edge 3) reach D-Router 1" \
	sessions_are "$DR1" 2

# D-Router 1 heard of edge 3 through D-Router 2
site3=$(agent_show dr1 site | jq -c '.[] | select(.id == "0.0.0.3")')
echo "# D-Router 1, site 0.0.0.3: $site3"
ktap_test_result "D-Router 1 learns edge 3 through D-Router 2's relay, with an RTT" \
	sh -c "echo '$site3' | jq -e '.via == \"0.0.0.2\" and .state == \"up\" and .rtt > 0 and .instances == 2' >/dev/null"

ip netns exec "$DR2" "$DYNCAST" agent show socket @dyncastd
peer=$(agent_show dr2 peer | jq -c '.[0]')
ktap_test_result "D-Router 2 shows its peer D-Router 1, its id and RTT" \
	sh -c "echo '$peer' | jq -e '.name == \"dr1\" and .id == \"0.0.0.1\" and .rtt > 0 and .\"last-rx\" >= 0' >/dev/null"
# no_drops: no agent dropped anything, and the announcements flowed
no_drops()
{
	local n

	for n in dr1 dr2 e3; do
		agent_show $n agent | jq -e '.[0].counters |
			.truncated + .oversized + ."bad-version" + ."bad-length" +
			.unauthenticated + .replayed + .malformed +
			."unknown-type" == 0 and .tx > 0 and .rx > 0' >/dev/null ||
			return 1
	done
}
ktap_test_result "the agents dropped no message" no_drops

# reload: a new instance on edge 3, then gone again
rx_before=$(agent_counter e3 rx)
cat >> "$AT/e3.conf" <<EOF

[instance bid33]
sid = $SID1
proto = tcp
port = 80
bid = 198.19.3.33
site = 3
capacity = 10
EOF
kill -HUP "${AGENT_PID[e3]}"
slowwait 30 kinst_is "$DR1" $SID1 80 198.19.3.33 state up
ktap_test_result "SIGHUP: a new instance reaches D-Router 1" \
	kinst_is "$DR1" $SID1 80 198.19.3.33 state up
rx_after=$(agent_counter e3 rx)
echo "# edge 3 agent: rx $rx_before before the reload, $rx_after after"
ktap_test_result "SIGHUP: the agent keeps its state (counters, instances up)" \
	sh -c "[ $rx_after -ge $rx_before ] && [ $rx_before -gt 0 ] &&
	       [ \"\$($DYNCAST -n $DR1 -j instance show $SID1 proto tcp port 80 bid 198.19.3.31 | jq -r '.[0].state')\" = up ]"
sed -i '/^\[instance bid33\]/,$d' "$AT/e3.conf"
kill -HUP "${AGENT_PID[e3]}"
gone33()
{
	[ -z "$(kinst "$DR1" $SID1 80 198.19.3.33 state)" ] &&
		[ -z "$(kinst "$DR2" $SID1 80 198.19.3.33 state)" ]
}
slowwait 30 gone33
ktap_test_result "SIGHUP: a removed instance is withdrawn from both D-Routers" gone33

# the audit: deleted by hand, back within 30 s (and the pass after it)
repaired0=$(agent_counter dr1 kernel-repaired)
"$DYNCAST" -n "$DR1" instance del $SID1 proto tcp port 80 bid 198.19.3.31
slowwait 45 kinst_is "$DR1" $SID1 80 198.19.3.31 state up
repaired1=$(agent_counter dr1 kernel-repaired)
echo "# D-Router 1's agent: kernel-repaired $repaired0, then $repaired1"
repaired()
{
	kinst_is "$DR1" $SID1 80 198.19.3.31 state up &&
		[ "${repaired1:-0}" -gt "${repaired0:-0}" ]
}
ktap_test_result "an instance deleted by hand at D-Router 1 is added again by its agent" \
	repaired
"$DYNCAST" -n "$DR1" service del $SID2 proto tcp port 8080
"$DYNCAST" -n "$DR1" service add $SID2 proto tcp port 8080
both32()
{
	kinst_is "$DR1" $SID2 8080 198.19.2.22 state up &&
		kinst_is "$DR1" $SID2 8080 198.19.3.32 state up
}
slowwait 45 both32
ktap_test_result "a service deleted and made again by hand gets its instances again" both32

# exit: D-Router 1 created both services; D-Router 2 keeps sid2
agent_stop dr1
"$DYNCAST" -n "$DR1" service show
sed -i '/^\[service sid2\]/a keep = yes' "$AT/dr2.conf"
kill -HUP "${AGENT_PID[dr2]}"
sleep 2
agent_stop dr2
"$DYNCAST" -n "$DR2" service show
"$DYNCAST" -n "$DR2" instance show
ktap_test_result "SIGTERM: what the agents created is gone, what the configuration keeps stays" \
	sh -c "[ \"\$($DYNCAST -n $DR1 -j service show | jq length)\" = 0 ] &&
	       [ \"\$($DYNCAST -n $DR2 -j service show | jq -r '.[].sid')\" = $SID2 ] &&
	       [ \"\$($DYNCAST -n $DR2 -j instance show | jq length)\" = 2 ]"

[ $KTAP_CNT_FAIL -eq 0 ] || agent_logs
ktap_finished

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Liveness (topology: agent_topo.sh, hold time 4 s, health checks every
# 500 ms, both times TIME_FACTOR; down after 3 failures, up after
# 2 successes):
#  - the D-MA of edge 3 killed: after the hold time both D-Routers take
#    its instances down, and new demands go to edge 2; restarted: its
#    instances are up again;
#  - with a forget-time of 6 s, killed again: down after the hold time,
#    then deleted from both kernels and its site forgotten; restarted:
#    learnt anew;
#  - bid21's server stopped: its health check fails and it goes down on
#    both D-Routers, the other instances staying up; its server back: up.
#
# timeout=600

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/agent_topo.sh"

require_root
require_vm
require_cmd ip jq curl nginx socat

ktap_print_header
ktap_set_plan 8

[ -x "$DYNCASTD" ] || ktap_skip_all "dyncastd not built: $DYNCASTD"
dc_load || ktap_skip_all "cannot load the module"
atopo_setup || ktap_skip_all "cannot build the topology"
atopo_start || { agent_logs; ktap_fail_all "cannot start the servers and agents"; }
atopo_quiet

# edge3_is NS STATE: both instances of edge 3 in that state in NS
edge3_is()
{
	kinst_is "$1" $SID1 80 198.19.3.31 state "$2" &&
		kinst_is "$1" $SID2 8080 198.19.3.32 state "$2"
}
# both CHECK ARGS...: CHECK NS ARGS... holds on both D-Routers
both()
{
	local check=$1

	shift
	"$check" "$DR1" "$@" && "$check" "$DR2" "$@"
}
slowwait 60 both edge3_is up
slowwait 30 kinst_is "$DR1" $SID1 80 198.19.2.21 state up

agent_kill e3
killed=$(now_ms)
slowwait 30 both edge3_is down
took=$(( $(now_ms) - killed ))
echo "# edge 3's instances down $took ms after its agent was killed"
ktap_test_result "a killed D-MA: both D-Routers take its instances down" both edge3_is down
grep -h 'silent for' "$AT/dr1.log" "$AT/dr2.log" | sed 's/^/# /'
got=$(asks 4 $SID1 80)
echo "# demands for D-SID 1: $got"
# shellcheck disable=SC2086 # one word per demand
ktap_test_result "new demands go to edge 2" only bid21 $got

agent_start e3
slowwait 60 both edge3_is up
ktap_test_result "the D-MA restarted: its instances are up again" both edge3_is up

# forget-time: down for 6 s after the hold time, then gone
for n in dr1 dr2; do
	sed -i "/^\[router\]\$/a forget-time = $(( 6 * TIME_FACTOR ))s" "$AT/$n.conf"
	kill -HUP "${AGENT_PID[$n]}"
done
# edge3_gone NS: neither instance of edge 3 in NS's kernel, its agent
# (0.0.0.3) no longer among NS's agent's sites
edge3_gone()
{
	local a

	a=$([ "$1" = "$DR1" ] && echo dr1 || echo dr2)
	[ -z "$(kinst "$1" $SID1 80 198.19.3.31 state)" ] &&
		[ -z "$(kinst "$1" $SID2 8080 198.19.3.32 state)" ] &&
		agent_show $a site | jq -e 'all(.id != "0.0.0.3")' >/dev/null
}
sleep 1
agent_kill e3
killed=$(now_ms)
slowwait 30 both edge3_is down
down=$(( $(now_ms) - killed ))
slowwait 30 both edge3_gone
gone=$(( $(now_ms) - killed ))
echo "# edge 3 killed again: down after $down ms, gone after $gone ms (hold 4 s, forget-time 6 s)"
grep -h 'forgotten' "$AT/dr1.log" "$AT/dr2.log" | sed 's/^/# /'
ok=0
both edge3_gone && [ $(( gone - down )) -ge 4000 ] && ok=1
ktap_test_result "forget-time 6 s: a silent D-MA's instances down, then deleted, its site forgotten" \
	test $ok = 1
agent_start e3
slowwait 60 both edge3_is up
ktap_test_result "the D-MA restarted: learnt anew, up" both edge3_is up

# health: bid21's server stops
atopo_unserve bid21
bid21_is()
{
	kinst_is "$1" $SID1 80 198.19.2.21 state "$2"
}
slowwait 30 both bid21_is down
ktap_test_result "a failing health check takes bid21 down on both D-Routers" both bid21_is down
ktap_test_result "the other instances stay up" \
	sh -c "[ \"\$($DYNCAST -n $DR1 -j instance show | jq -r '[.[] | select(.state == \"up\")] | length')\" = 3 ]"
atopo_serve bid21
slowwait 30 both bid21_is up
ktap_test_result "its server back, bid21 is up again" both bid21_is up

[ $KTAP_CNT_FAIL -eq 0 ] || agent_logs
ktap_finished

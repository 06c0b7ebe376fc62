#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dyncastd drops what it must not believe (topology: agent_topo.sh; the
# messages come from agent_send.py on the client's side of D-Router 1):
#  - a correctly signed announcement is applied (the control: the sender
#    speaks the protocol);
#  - forged (another key, a byte changed), replayed, truncated, cut
#    short, oversized, malformed, wrong-version and unknown-type messages are
#    dropped, each counted under its reason, and none reaches the kernel;
#  - a message naming another receiver is a replay;
#  - their log lines are rate-limited, and the agent goes on working.
#
# timeout=600

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/agent_topo.sh"

require_root
require_vm
require_cmd ip jq curl nginx socat python3

ktap_print_header
ktap_set_plan 8

[ -x "$DYNCASTD" ] || ktap_skip_all "dyncastd not built: $DYNCASTD"
dc_load || ktap_skip_all "cannot load the module"
atopo_setup || ktap_skip_all "cannot build the topology"
atopo_start || { agent_logs; ktap_fail_all "cannot start the servers and agents"; }
atopo_quiet
slowwait 60 kinst_is "$DR1" $SID1 80 198.19.3.31 state up

SEND=(ip netns exec "$CL" python3 "$(dirname "$0")/agent_send.py" --key "$KEY"
      --to 198.18.1.1)

"${SEND[@]}" valid:198.19.9.1:100
slowwait 20 kinst_is "$DR1" $SID1 80 198.19.9.1 state up
ktap_test_result "a correctly signed announcement is applied" \
	kinst_is "$DR1" $SID1 80 198.19.9.1 state up

declare -A before
for c in unauthenticated replayed truncated bad-length oversized malformed \
	 bad-version unknown-type duplicates; do
	before[$c]=$(agent_counter dr1 "$c")
done

# The same announcement again, in a new message: a duplicate record (not
# a dropped message); then the same message again: a replay.
"${SEND[@]}" valid:198.19.9.1:100 forged:198.19.9.2 tampered:198.19.9.3 \
	replay truncated cut oversized malformed:198.19.9.4 version unknown-type
sleep 2

# grew COUNTER N: the counter grew by N
grew()
{
	local now

	now=$(agent_counter dr1 "$1")
	echo "# $1: ${before[$1]} -> $now"
	[ "$now" = $(( ${before[$1]} + $2 )) ]
}
ktap_test_result "forged messages (another key, a byte changed) are counted unauthenticated" \
	grew unauthenticated 2
grew_each()
{
	grew replayed 1 && grew truncated 1 && grew bad-length 1 &&
		grew oversized 1 && grew malformed 1 && grew bad-version 1 &&
		grew unknown-type 1
}
ktap_test_result "replayed, truncated, cut short, oversized, malformed, bad-version, unknown-type: one each" \
	grew_each
ktap_test_result "the same announcement in a new message is a duplicate, not applied again" \
	grew duplicates 1

none_in_kernel()
{
	local b

	for b in 198.19.9.2 198.19.9.3 198.19.9.4; do
		[ -z "$(kinst "$DR1" $SID1 80 $b state)" ] || return 1
	done
	[ "$(knum "$DR1")" = 5 ] &&
		agent_show dr1 site | jq -e '.[] | select(.id == "0.0.0.99") |
			.instances == 1' >/dev/null
}
"$DYNCAST" -n "$DR1" instance show
ktap_test_result "the kernel and the agent hold the four instances and the valid one only" \
	none_in_kernel

# A message that names another receiver (sent to it, played to D-Router
# 1) is a replay; one that names D-Router 1 is taken (the control).
id=$(agent_show dr1 agent | jq -r '.[0].id')
r0=$(agent_counter dr1 replayed)
"${SEND[@]}" to:198.19.9.6:200:0.0.0.123 to:198.19.9.7:201:"$id"
slowwait 20 kinst_is "$DR1" $SID1 80 198.19.9.7 state up
echo "# D-Router 1 is $id; replayed $r0 -> $(agent_counter dr1 replayed)"
elsewhere_dropped()
{
	[ "$(agent_counter dr1 replayed)" = $((r0 + 1)) ] &&
		[ -z "$(kinst "$DR1" $SID1 80 198.19.9.6 state)" ] &&
		kinst_is "$DR1" $SID1 80 198.19.9.7 state up
}
ktap_test_result "a message naming another agent is dropped as replayed; one naming D-Router 1 is taken" \
	elsewhere_dropped

# a flood of forged messages: counted, logged a few times only.  The
# limit is DD_RL_BURST (5) lines per 10 s window of each reason, and a
# window opened by the forged messages above may end during the flood:
# allow 5 lines for every window the flood can touch.
log_before=$(grep -c 'dropped a message.*: unauthenticated$' "$AT/dr1.log")
flood=()
for _ in $(seq 100); do
	flood+=(forged:198.19.9.5)
done
t0=$(date +%s%N)
"${SEND[@]}" "${flood[@]}"
t1=$(date +%s%N)
sleep 1
logged=$(( $(grep -c 'dropped a message.*: unauthenticated$' "$AT/dr1.log") - log_before ))
limit=$(( 5 * ((t1 - t0) / 10000000000 + 2) ))
echo "# 100 forged messages in $(( (t1 - t0) / 1000000 )) ms, $logged more log lines (at most $limit)"
ktap_test_result "drops are logged at a limited rate" \
	sh -c "[ $logged -le $limit ] && [ \$(( $(agent_counter dr1 unauthenticated) - ${before[unauthenticated]} )) = 102 ]"

# and the agents go on: a new figure still flows
agent_report e3 "bid31 queue 7"
slowwait 30 kinst_is "$DR1" $SID1 80 198.19.3.31 queue 7
ktap_test_result "the agents still work: a reported queue reaches D-Router 1" \
	kinst_is "$DR1" $SID1 80 198.19.3.31 queue 7

[ $KTAP_CNT_FAIL -eq 0 ] || agent_logs
ktap_finished

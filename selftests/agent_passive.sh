#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The passive RTT (topology: agent_topo.sh): D-Router 1 times the
# handshakes of its demands in rewrite mode (the SYN as it leaves for the
# D-BID, the SYN-ACK as it comes back, stamped by the kernel on a packet
# socket) as samples of the instance's site's RTT, beside its probes.
# Its probes here go every hour (one at the start), so that only the
# demands can follow a delay step: with bid22 busy (queue 100), new
# demands for D-SID 2 go to bid32 on edge 3, each handshake a sample;
# 100 ms of netem delay on the path to edge 3 (times TIME_FACTOR) raises
# bid32's cost at D-Router 1 within 2 s of the delay, no probe answered
# meanwhile, and new demands go to bid22.  With passive-rtt = no, D-Router
# 1 takes no sample.  (Which services' handshakes are timed is
# test_router's passive_instances.)
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
ktap_set_plan 5

[ -x "$DYNCASTD" ] || ktap_skip_all "dyncastd not built: $DYNCASTD"
dc_load || ktap_skip_all "cannot load the module"
atopo_setup || ktap_skip_all "cannot build the topology"
atopo_serve_all || ktap_skip_all "cannot start the servers"
atopo_configs
# D-Router 1 probes every hour; D-SID 2 without a plan (which would not
# count bid22's queue)
sed -i 's/^probe-interval = 500ms$/probe-interval = 60m/' "$AT/dr1.conf"
for a in dr1 dr2; do
	sed -i '/^\[service sid2\]$/a plan = no' "$AT/$a.conf"
done
grep -q '^probe-interval = 60m$' "$AT/dr1.conf" ||
	ktap_fail_all "D-Router 1's configuration not as meant"
{ agent_start dr1 && agent_start dr2 && agent_start e3; } ||
	{ agent_logs; ktap_fail_all "cannot start the agents"; }
atopo_quiet
for b in 198.19.2.22 198.19.3.32; do
	slowwait 60 kinst_is "$DR1" $SID2 8080 $b state up
done
agent_report dr2 "bid22 queue 100"
slowwait 30 kinst_is "$DR1" $SID2 8080 198.19.2.22 queue 100

s0=$(agent_counter dr1 passive-rtt-samples)
near=$(asks 4 $SID2 8080)
s1=$(agent_counter dr1 passive-rtt-samples)
echo "# D-SID 2 (rewrite): $near; passive RTT samples $s0 -> $s1"
# shellcheck disable=SC2086 # one word per demand
ktap_test_result "new demands to bid32, each handshake a sample" \
	test "$(only bid32 $near && echo y)" = y -a "$((s1 - s0))" -ge 4

p0=$(agent_counter dr1 probe-replies)
before=$(cost_now "$DR1" $SID2 8080 198.19.3.32)
# demands, two streams of one after the other in the background: those
# that reach bid32 are the measure (a longer path is taken after three
# samples above the estimate)
streams=()
for _ in 1 2; do
	( while :; do ask $SID2 8080 >/dev/null; done ) &
	streams+=($!)
	defer "kill $! 2>/dev/null"
done
ip netns exec "$INF" tc qdisc add dev eth3 root netem delay $(( 100 * TIME_FACTOR ))ms
defer "ip netns exec $INF tc qdisc del dev eth3 root 2>/dev/null"
t0=${EPOCHREALTIME/./}
until [ "$(cost_now "$DR1" $SID2 8080 198.19.3.32)" -gt 60000 ] 2>/dev/null; do
	[ "$(ms_since "$t0")" -lt $(( 10000 * TIME_FACTOR )) ] || break
done
cost_ms=$(ms_since "$t0")
kill "${streams[@]}" 2>/dev/null
wait "${streams[@]}" 2>/dev/null
c=$(cost_now "$DR1" $SID2 8080 198.19.3.32)
p1=$(agent_counter dr1 probe-replies)
far=$(asks 4 $SID2 8080)
echo "# bid32's cost $before us before, $c us after $cost_ms ms; probe replies meanwhile: $((p1 - p0)); new demands: $far"
ktap_test_result "a delay step reaches the cost through the demands' handshakes within 2 s" \
	test "$cost_ms" -le $(( 2000 * TIME_FACTOR )) -a "$p1" = "$p0"
# shellcheck disable=SC2086 # one word per demand
ktap_test_result "and new demands go to bid22" only bid22 $far

# with passive-rtt = no: no sample
sed -i '/^\[router\]$/a passive-rtt = no' "$AT/dr1.conf"
kill -HUP "${AGENT_PID[dr1]}"
slowwait 10 grep -q "configuration reloaded" "$AT/dr1.log"
s3=$(agent_counter dr1 passive-rtt-samples)
out=$(asks 4 $SID2 8080)
s4=$(agent_counter dr1 passive-rtt-samples)
echo "# passive-rtt = no: $out; samples $s3 -> $s4"
ktap_test_result "passive-rtt = no: no sample" \
	test "$s4" = "$s3" -a "${out/none/}" = "$out"
ktap_test_result "D-Router 1's agent logged no warning" \
	eval "! grep -q 'passive RTT off' '$AT/dr1.log'"

[ $KTAP_CNT_FAIL -eq 0 ] || agent_logs
ktap_finished

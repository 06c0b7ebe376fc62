#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# D-Router, rewrite mode with an nftables flowtable (topology: topo.sh).
# Once a flow is offloaded ("flow add @ft" in the forward chain), its
# packets go through the flowtable at ingress and pass none of dyncast's
# hooks; the binding of the flow must still live as long as the flow does,
# and expire once it stops.  A UDP flow of one datagram a second for 12 s,
# the service's timeout 4 s:
#  - conntrack shows the flow offloaded, and every datagram is answered by
#    one instance;
#  - its binding is still there, and its demand in flight, at the end,
#    8 s past the timeout;
#  - once the flow stops, the binding goes (after the flowtable lets the
#    flow go, 30 s idle, and the timeout).
#
# timeout=300

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

require_root
require_vm
require_cmd ip socat nft conntrack jq
require_module nft_flow_offload

ktap_print_header
ktap_set_plan 4

dc_load || ktap_skip_all "cannot load the module"
topo_setup 2 || ktap_skip_all "cannot build the topology"
serve_all udp 53 || ktap_skip_all "cannot start the servers"

ip netns exec "$R" nft -f - <<EOF || ktap_skip_all "cannot set up the flowtable"
table inet t {
	flowtable ft {
		hook ingress priority 0
		devices = { r0, r1, r2 }
	}
	chain forward {
		type filter hook forward priority filter;
		meta l4proto udp flow add @ft
	}
}
EOF

dc service add "$SID4" proto udp port 53 timeout 4
dc instance add "$SID4" proto udp port 53 bid "$(bid4 1)" bid "$(bid4 2)"

binding() { dc -j binding show | jq -c '.[] | select(.sport == 5000)'; }
inflight() { dc -j instance show | jq '[.[].inflight] | add'; }

# one datagram a second for 12 s, from port 5000; the answers in $out
out=$(mktemp)
defer "rm -f $out"
for i in $(seq 12); do
	echo "$i"
	sleep 1
done | ip netns exec "$C" socat -T 20 - \
	"UDP:$SID4:53,bind=10.0.0.2:5000,reuseaddr" > "$out" 2>/dev/null &
flow=$!
sleep 11
offloaded=$(ip netns exec "$R" conntrack -L -p udp --dport 53 2>/dev/null |
	grep -c "sport=5000.*OFFLOAD")
b=$(binding)
n=$(inflight)
wait $flow
names=$(sort "$out" | uniq -c | tr -s ' \n' ' ')
ktap_print_msg "answers: $names; offloaded entries: $offloaded"
ktap_test_result "the flow was offloaded, one instance answered every datagram" \
	test "$offloaded" = 1 -a "$(sort -u "$out" | wc -l)" = 1 -a \
	"$(wc -l < "$out")" -ge 10
ktap_print_msg "at 11 s: binding $b, inflight $n"
ktap_test_result "the binding lives on, 7 s past its timeout, as the flow does" \
	test -n "$b"
ktap_test_result "so does the flow's demand in flight" test "$n" = 1

# the flowtable lets the flow go after 30 s idle, the binding 4 s later
ktap_test_result "once the flow stops, its binding goes" \
	busywait 60000 sh -c "[ -z \"\$($DYNCAST -n $R -j binding show | jq -c '.[]')\" ]"

ktap_finished

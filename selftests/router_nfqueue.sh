#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# D-Router behind a queue (topology: topo.sh).  An NFQUEUE rule ahead of
# dyncast's hooks (prerouting, priority -300: an IPS in NFQUEUE mode, say)
# hands every packet to the services to a process, nfqaccept, which gives
# it back with NF_ACCEPT; the rest of the chain, dyncast's hooks among
# them, then runs in that process (nf_reinject()), not in softirq.  The
# hooks take softirqs off themselves there, as their per-CPU counters and
# credits need.  Steering, affinity and counters are what they are
# without the queue, in rewrite mode (TCP, IPv4 and IPv6) and in tunnel
# mode (UDP): every packet the queue gives back counted once.
#
# A queue after dyncast's NAT (an IPS in the forward hook) that holds a
# connection's SYNs while its instance dies and is set down: the walk of
# conntrack that drops the instance's connections cannot see an entry not
# yet confirmed, so once given back the SYNs go to the dead instance; the
# client's next SYN, unanswered, with no binding or one to another
# instance, is steered anew.
#
# On Debian's kernel the hooks' per-CPU writes from a preemptible task
# lose a count only when the task moves to another CPU in the middle of
# one: these checks pass without the fix too.  A kernel with
# CONFIG_DEBUG_PREEMPT (make check-debug) reports each such write on the
# console, which fails the run.
#
# timeout=300

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

require_root
require_vm
require_cmd ip socat jq nft
require_module nfnetlink_queue nft_queue

ktap_print_header
ktap_set_plan 9

dc_load || ktap_skip_all "cannot load the module"
topo_setup 3 || ktap_skip_all "cannot build the topology"
tunnel_instances || ktap_skip_all "no ipip or ip6_tunnel module"
serve_all tcp 7 || ktap_skip_all "cannot start the servers"
for i in 1 2 3; do
	serve_udp "${INST[i]}" "i$i" 53 "$SID4" ||
		ktap_skip_all "cannot start the servers"
done

tmp=$(mktemp -d)
defer "rm -rf $tmp"
ip netns exec "$R" "$DYNCAST_BIN/nfqaccept" 3 > "$tmp/nfq" &
nfq=$!
defer '[ -z "$nfq" ] || kill $nfq'
busywait $(( 5000 * TIME_FACTOR )) grep -q ready "$tmp/nfq" ||
	ktap_skip_all "cannot bind the queue"
ip netns exec "$R" nft -f - <<EOF || ktap_skip_all "cannot set up the queue"
table inet dcq {
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		ip daddr $SID4 counter queue num 3
		ip6 daddr $SID6 counter queue num 3
	}
}
EOF
defer "ip netns exec $R nft delete table inet dcq"

# queued [FAMILY TABLE]: the packets the queue rules of the table (inet
# dcq) took so far
queued()
{
	ip netns exec "$R" nft -j list table "${1:-inet}" "${2:-dcq}" |
		jq '[.nftables[] | .rule? | select(.) | .expr[] |
		     .counter? | select(.) | .packets] | add'
}
# stat SID PROTO PORT NAME: a counter of the service
stat()
{
	dc -s -j service show "$1" proto "$2" port "$3" | jq ".[0].stats[\"$4\"]"
}

# steer SID: six connections through the queue, two on each instance,
# and every packet the queue gave back counted once
steer()
{
	local sid=$1 fam=$2 q0 q1 p

	dc service add "$sid" proto tcp port 7 mode rewrite
	for i in 1 2 3; do
		dc instance add "$sid" proto tcp port 7 bid "$("bid$fam" $i)"
	done
	q0=$(queued)
	ktap_test_result "IPv$fam rewrite: six connections through the queue, two on each instance" \
		spread "$sid" "$([ "$fam" = 4 ] && echo 10.0.0.2 || echo fd00::2)"
	# the last ACKs may come after the answers, and nft counts a packet
	# when it is queued, dyncast once it is given back
	sleep 1
	q1=$(queued)
	busywait $(( 3000 * TIME_FACTOR )) eval \
		'[ "$(stat "$sid" tcp 7 packets)" = $(( q1 - q0 )) ]'
	p=$(stat "$sid" tcp 7 packets)
	echo "# IPv$fam: packets given back by the queue: $(( q1 - q0 )); counted by the service: $p; demands: $(stat "$sid" tcp 7 demands)"
	ktap_test_result "IPv$fam rewrite: every packet given back counted once, six demands" \
		test "$(( q1 - q0 ))" -gt 30 -a "$p" = "$(( q1 - q0 ))" \
			-a "$(stat "$sid" tcp 7 demands)" = 6
	dc service del "$sid" proto tcp port 7
}
steer "$SID4" 4
steer "$SID6" 6

dc service add "$SID4" proto udp port 53 mode tunnel
for i in 1 2 3; do
	dc instance add "$SID4" proto udp port 53 bid "$(bid4 $i)"
done
q0=$(queued)
ktap_test_result "tunnel: the datagrams of one flow through the queue reach one instance" \
	udp_flow "$SID4" 10.0.0.2 53
q1=$(queued)
busywait $(( 3000 * TIME_FACTOR )) eval \
	'[ "$(stat "$SID4" udp 53 packets)" = $(( q1 - q0 )) ]'
p=$(stat "$SID4" udp 53 packets)
echo "# tunnel: packets given back by the queue: $(( q1 - q0 )); counted by the service: $p"
ktap_test_result "tunnel: every packet given back counted once, one demand" \
	test "$(( q1 - q0 ))" = 3 -a "$p" = 3 -a "$(stat "$SID4" udp 53 demands)" = 1
dc service del "$SID4" proto udp port 53

# (The queue of prerouting gives them back at once.)  A queue in the
# forward hook holds the SYNs to the service's instances, the first to
# instance 1, which dies (its namespace drops them) and is set down,
# instance 2 up, before they are given back: the first SYN reaches the
# dead instance, its conntrack entry made, since the walk did not see
# it; the one sent again while they were held (held before the change:
# its binding to instance 1 went with it) goes there too or clashes.
# The SYN the client sends after finds that entry, and no binding: it is
# tracked anew and steered to instance 2.
ip netns exec "$R" nft -f - <<EOF
table ip dch {
	chain hold {
		type filter hook forward priority 0; policy accept;
		tcp dport 7 tcp flags & (syn | ack) == syn counter queue num 4
	}
}
EOF
ip netns exec "${INST[1]}" nft -f - <<EOF
table ip dead {
	chain in {
		type filter hook input priority 0; policy accept;
		tcp dport 7 counter drop
	}
}
EOF
# held_syn: the case above
held_syn()
{
	local nfqh held dead

	# bindings unanswered keep for the whole wait (not 10 s)
	dc service add "$SID4" proto tcp port 7 mode rewrite \
		unconfirmed-timeout 120
	dc instance add "$SID4" proto tcp port 7 bid "$(bid4 1)"
	dc instance add "$SID4" proto tcp port 7 bid "$(bid4 2)" state down
	ip netns exec "$R" nft reset counters table ip dch >/dev/null
	ip netns exec "${INST[1]}" nft reset counters table ip dead >/dev/null
	ip netns exec "$R" "$DYNCAST_BIN/nfqaccept" -H 4 > "$tmp/hold" &
	nfqh=$!
	busywait $(( 5000 * TIME_FACTOR )) grep -q ready "$tmp/hold"
	# socat's connect waits as long as the kernel sends SYNs (2 minutes)
	( echo hello | ip netns exec "$C" timeout $(( 40 * TIME_FACTOR )) \
		socat -t 30 -T 30 - "TCP:$SID4:7" 2>/dev/null |
		awk '{ print $1; exit }' > "$tmp/answer" ) &
	client=$!
	busywait $(( 5000 * TIME_FACTOR )) eval '[ "$(queued ip dch)" -ge 2 ]'
	dc instance set "$SID4" proto tcp port 7 bid "$(bid4 2)" state up
	dc instance set "$SID4" proto tcp port 7 bid "$(bid4 1)" state down
	held=$(queued ip dch)
	kill -USR1 $nfqh
	wait $client
	dead=$(ip netns exec "${INST[1]}" nft -j list table ip dead |
		jq '[.nftables[] | .rule? | select(.) | .expr[] |
		     .counter? | select(.) | .packets] | add')
	echo "# SYNs held $held, answered by: '$(cat "$tmp/answer")'; SYNs queued: $(queued ip dch); dropped by the dead instance: $dead"
	kill $nfqh
	wait $nfqh
	dc service del "$SID4" proto tcp port 7
	[ "$(cat "$tmp/answer")" = i2 ] && [ "$held" -ge 2 ] && [ "${dead:-0}" -ge 1 ]
}
ktap_test_result "a connection whose SYNs a queue held while its instance went down reaches the instance that took over" \
	held_syn
ip netns exec "$R" nft delete table ip dch
ip netns exec "${INST[1]}" nft delete table ip dead

total=$(queued)
kill $nfq
wait $nfq
nfq=
given=$(tail -n 1 "$tmp/nfq")
echo "# the queue rules took $total packets; nfqaccept gave back $given"
ktap_test_result "nfqaccept gave back every packet the queue took" \
	test "$given" = "$total" -a "$total" -gt 0

# with no one on the queue, nothing reaches the service: the rule holds
dc service add "$SID4" proto tcp port 7 mode rewrite
dc instance add "$SID4" proto tcp port 7 bid "$(bid4 1)"
reached=
ip netns exec "$C" timeout $(( 3 * TIME_FACTOR )) \
	bash -c "exec 3<>/dev/tcp/$SID4/7" 2>/dev/null && reached=yes
ktap_test_result "with no one on the queue, the service sees nothing" \
	test -z "$reached" -a "$(stat "$SID4" tcp 7 packets)" = 0
dc service del "$SID4" proto tcp port 7

ktap_finished

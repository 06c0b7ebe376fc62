#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# D-Router, rewrite mode, IPv4 and IPv6, TCP and UDP (topology: topo.sh).
# New demands spread over the instances; every packet of a flow reaches
# the same instance for the flow's whole life, even when the weights change
# under it; replies reach the client from the service address; bindings
# and counters tell what happened.  With the table full, a UDP flow
# steered by hash keeps its conntrack entry: one demand, one table-full,
# whatever its datagrams (before, each was tracked anew, the entry made
# again, a demand and a table-full counted).  With 3tuple affinity, a
# connection whose binding went while a newer one of its client is bound
# to another instance does not count there, nor end its demand.  An
# every-port service's instance taken down, or the service deleted,
# leaves alone the connections of a service of the same address on its
# own port (at a shared instance address), not its own connections there.
# A change of affinity leaves established connections going.  One request
# taking 31 instances down, or deleting them, walks the conntrack table
# once (before, once each), dropping the connections of those instances
# only; and with new flows arriving all the time, none is left translated
# to an instance right after it went down.  (The grace period before that
# walk closes a window, a packet between its NAT and its confirmation
# while the walk passes, that the VM does not reach: this check holds
# without it too.)
#
# timeout=600

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

require_root
require_vm
require_cmd ip socat jq conntrack pkill

ktap_print_header
ktap_set_plan 23

dc_load || ktap_skip_all "cannot load the module"
topo_setup 3 || ktap_skip_all "cannot build the topology"
serve_all tcp 7 && serve_all udp 53 || ktap_skip_all "cannot start the servers"

# One TCP connection exchanging lines; after the third, the weight of the
# instance serving it drops to 0.  Every answer must come from it.
long_flow()
{
	local sid=$1 bidf=$2 out first n

	out=$(ip netns exec "$C" bash -c '
		exec 3<>/dev/tcp/'"$sid"'/7 || exit 1
		for i in $(seq 10); do
			echo "line $i" >&3
			read -r name rest <&3 || exit 1
			echo "$name"
			[ $i = 3 ] && { echo "$name" > /tmp/dc-first; sleep 0.5; }
		done' 2>/dev/null &
		sleep 0.5
		for i in $(seq 30); do
			[ -s /tmp/dc-first ] && break
			sleep 0.1
		done
		first=$(cat /tmp/dc-first 2>/dev/null)
		dc instance set "$sid" proto tcp port 7 bid "$("$bidf" "${first#i}")" weight 0
		wait)
	rm -f /tmp/dc-first
	first=$(echo "$out" | head -n 1)
	n=$(echo "$out" | grep -c "^$first\$")
	echo "# answers: $(echo $out)"
	[ -n "$first" ] && [ "$n" = 10 ]
}

# full_flow SID SRC: with the UDP service's table full (max-bindings 1,
# udp_flow's binding), five datagrams of a new flow: one instance answers
# them all, and the flow is one demand and one table-full
full_flow()
{
	local sid=$1 src=$2 f0 f1 d0 d1 names=() i

	udp_stat()
	{
		dc -s -j service show "$sid" proto udp port 53 | jq ".[0].stats[\"$1\"]"
	}
	dc service set "$sid" proto udp port 53 max-bindings 1 || return 1
	f0=$(udp_stat table-full) d0=$(udp_stat demands)
	for i in 1 2 3 4 5; do
		names+=("$(ask_udp "$src" 5001 "$sid" 53)")
	done
	f1=$(udp_stat table-full) d1=$(udp_stat demands)
	echo "# table full: ${names[*]}; table-full +$(( f1 - f0 )), demands +$(( d1 - d0 ))"
	[ -n "${names[0]}" ] && [ "$(count "${names[0]}" "${names[@]}")" = 5 ] &&
		[ $(( f1 - f0 )) = 1 ] && [ $(( d1 - d0 )) = 1 ]
}

for fam in 4 6; do
	if [ $fam = 4 ]; then
		sid=$SID4; src=10.0.0.2; bidf=bid4
	else
		sid=$SID6; src=fd00::2; bidf=bid6
	fi
	dc service add "$sid" proto tcp port 7 mode rewrite
	dc service add "$sid" proto udp port 53 mode rewrite
	for i in 1 2 3; do
		dc instance add "$sid" proto tcp port 7 bid "$($bidf $i)"
		dc instance add "$sid" proto udp port 53 bid "$($bidf $i)"
	done

	ktap_test_result "IPv$fam: six connections, two on each instance" \
		spread "$sid" "$src"
	ktap_test_result "IPv$fam: six bindings, each to an instance" \
		test "$(dc -j binding show "$sid" proto tcp port 7 |
			jq '[.[] | select(.bid | test("^(10\\.0\\.[123]\\.2|fd0[123]::2)$"))] | length')" = 6
	ktap_test_result "IPv$fam: counters show six demands" \
		test "$(dc -s -j service show "$sid" proto tcp port 7 |
			jq '.[0].stats.demands')" = 6
	ktap_test_result "IPv$fam: conntrack translates to the instance" \
		sh -c "ip netns exec $R conntrack -L -p tcp -f ipv$fam --orig-dst $sid 2>/dev/null | grep -q 'src=10.0.[123].2\|src=fd0[123]::2'"
	ktap_test_result "IPv$fam: a connection stays on its instance while weights change" \
		long_flow "$sid" "$bidf"
	ktap_test_result "IPv$fam: UDP datagrams of one flow reach one instance" \
		udp_flow "$sid" "$src" 53
	ktap_test_result "IPv$fam: table full: a UDP flow keeps its entry, one demand" \
		full_flow "$sid" "$src"
	ktap_test_result "IPv$fam: service deleted with its bindings" \
		sh -c "$DYNCAST -n $R service del $sid proto tcp port 7 &&
		       $DYNCAST -n $R service del $sid proto udp port 53 &&
		       test \"\$($DYNCAST -n $R -j binding show | jq length)\" = 0"
done

# conn_start NAME: a TCP connection from the client to the service's
# port 7 that says a line every 0.3 s for 30 s, its answers in
# $tmp/NAME; conn_stop NAME closes it (the client's FIN).
tmp=$(mktemp -d)
defer "rm -rf $tmp"
declare -A conn_pid
conn_start()
{
	ip netns exec "$C" bash -c '
		exec 3<>/dev/tcp/'"$SID4"'/7 || exit 1
		for i in $(seq 100); do
			echo ping >&3
			read -r name _ <&3 || exit 1
			echo "$name"
			sleep 0.3
		done' > "$tmp/$1" 2>/dev/null &
	conn_pid[$1]=$!
	defer "[ -z \"\${conn_pid[$1]}\" ] || kill \"\${conn_pid[$1]}\""
	busywait $(( 5000 * TIME_FACTOR )) test -s "$tmp/$1"
}
conn_stop()
{
	# its sleep first: it holds the socket too
	pkill -P "${conn_pid[$1]}" 2>/dev/null
	kill "${conn_pid[$1]}" 2>/dev/null
	wait "${conn_pid[$1]}" 2>/dev/null
	conn_pid[$1]=
}
inflight_of()
{
	dc -j instance show "$SID4" proto tcp port 7 |
		jq ".[] | select(.bid == \"$1\") | .inflight"
}

dc service add "$SID4" proto tcp port 7 mode rewrite affinity 3tuple
for i in 1 2; do
	dc instance add "$SID4" proto tcp port 7 bid "$(bid4 $i)"
done
conn_start c1
first=$(head -n 1 "$tmp/c1")
dc binding flush "$SID4" proto tcp port 7
dc instance set "$SID4" proto tcp port 7 bid "$(bid4 "${first#i}")" weight 0
conn_start c2
second=$(head -n 1 "$tmp/c2")
other=$(bid4 "${second#i}")
in0=$(inflight_of "$other")
conn_stop c1
sleep 1
in1=$(inflight_of "$other")
echo "# 3tuple: connection 1 on $first, its binding flushed; connection 2 bound to $second," \
	"its inflight $in0; connection 1 closed: $in1"
ktap_test_result "3tuple: the end of a connection conntrack sends elsewhere ends no demand of the binding" \
	test -n "$first" -a "$second" != "$first" -a "$in0" = 1 -a "$in1" = 1
conn_stop c2
dc service del "$SID4" proto tcp port 7

dc service add "$SID4" proto tcp port 7 mode rewrite
for i in 1 2; do
	dc instance add "$SID4" proto tcp port 7 bid "$(bid4 $i)"
done
conn_start c3
dc service set "$SID4" proto tcp port 7 affinity 3tuple
n0=$(wc -l < "$tmp/c3")
busywait $(( 5000 * TIME_FACTOR )) eval '[ "$(wc -l < "$tmp/c3")" -ge $(( n0 + 3 )) ]'
n1=$(wc -l < "$tmp/c3")
echo "# a connection's answers before the change of affinity: $n0, then: $n1 ($(sort "$tmp/c3" | uniq -c | tr -s ' \n' ' '))"
ktap_test_result "a change of affinity leaves established connections going" \
	test "$n1" -ge $(( n0 + 3 )) -a "$(sort -u "$tmp/c3" | wc -l)" = 1
conn_stop c3
dc service del "$SID4" proto tcp port 7

# every-port (0) and port 7 services of one address, one instance each,
# at the same address: an established connection to port 7, idle
# ct7 [BID]: the established connections to port 7 (translated to BID)
ct7()
{
	ip netns exec "$R" conntrack -L -p tcp --orig-dst "$SID4" --dport 7 \
		${1:+--reply-src "$1"} 2>/dev/null | grep -c ESTABLISHED
}
# hold_start: one more established connection to port 7, idle until
# holds_stop
holds=()
hold_start()
{
	ip netns exec "$C" bash -c '
		exec 3<>/dev/tcp/'"$SID4"'/7 || exit 1
		echo ping >&3
		read -r _ <&3
		sleep 3600' 2>/dev/null &
	holds+=($!)
}
holds_stop()
{
	local p

	for p in "${holds[@]}"; do
		pkill -P "$p" 2>/dev/null
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	holds=()
}
defer 'holds_stop'
dc service add "$SID4" proto tcp port 7 mode rewrite
dc instance add "$SID4" proto tcp port 7 bid "$(bid4 1)"
dc service add "$SID4" proto tcp mode rewrite
dc instance add "$SID4" proto tcp bid "$(bid4 1)"
hold_start
busywait $(( 5000 * TIME_FACTOR )) eval '[ "$(ct7 "$(bid4 1)")" = 1 ]'
n0=$(ct7 "$(bid4 1)")
dc instance set "$SID4" proto tcp bid "$(bid4 1)" state down
n1=$(ct7 "$(bid4 1)")
dc service del "$SID4" proto tcp
n2=$(ct7 "$(bid4 1)")
holds_stop
echo "# port 7's established connections in conntrack: $n0; the every-port service's instance down: $n1; that service deleted: $n2"
ktap_test_result "an every-port service's teardown leaves another service's connections on its port" \
	test "$n0" = 1 -a "$n1" = 1 -a "$n2" = 1
dc service del "$SID4" proto tcp port 7

# the every-port service's own connection to port 7, made before a port 7
# service came whose instance is elsewhere: its instance down, it goes
dc service add "$SID4" proto tcp mode rewrite
dc instance add "$SID4" proto tcp bid "$(bid4 2)"
hold_start
busywait $(( 5000 * TIME_FACTOR )) eval '[ "$(ct7 "$(bid4 2)")" = 1 ]'
n0=$(ct7 "$(bid4 2)")
dc service add "$SID4" proto tcp port 7 mode rewrite
dc instance add "$SID4" proto tcp port 7 bid "$(bid4 1)"
dc instance set "$SID4" proto tcp bid "$(bid4 2)" state down
n1=$(ct7 "$(bid4 2)")
holds_stop
echo "# the every-port service's connection to port 7 in conntrack: $n0; once a port 7 service elsewhere came and its instance went down: $n1"
ktap_test_result "an every-port service's instance down drops its own connections on a port another service took since" \
	test "$n0" = 1 -a "$n1" = 0
dc service del "$SID4" proto tcp
dc service del "$SID4" proto tcp port 7

# ct_walks CMD...: run CMD, and say how many times it walked the conntrack
# table (a kprobe; nothing when tracefs has no kprobe events: then the
# tests check the connections alone)
ct_walks()
{
	local t=/sys/kernel/tracing n

	echo 'p:dc_ctwalk nf_ct_iterate_cleanup_net' >> $t/kprobe_events 2>/dev/null ||
		{ "$@"; return; }
	# the CLI's own, not a namespace's teardown meanwhile
	echo 'comm == "dyncast"' > $t/events/kprobes/dc_ctwalk/filter
	echo > $t/trace
	echo 1 > $t/events/kprobes/dc_ctwalk/enable
	"$@"
	echo 0 > $t/events/kprobes/dc_ctwalk/enable
	n=$(grep -c ' dc_ctwalk:' $t/trace)
	echo '-:dc_ctwalk' >> $t/kprobe_events
	echo "$n"
}
# 32 instances: the three real ones and 29 that no demand goes to
# (weight 0); one connection on instance 3, then one on 1 and one on 2
fake=()
for i in $(seq 29); do
	fake+=(bid "10.98.0.$i" weight 0)
done
dc service add "$SID4" proto tcp port 7 mode rewrite
dc instance add "$SID4" proto tcp port 7 bid "$(bid4 1)" weight 0 \
	bid "$(bid4 2)" weight 0 bid "$(bid4 3)" "${fake[@]}"
hold_start
busywait $(( 5000 * TIME_FACTOR )) eval '[ "$(ct7 "$(bid4 3)")" = 1 ]'
dc instance set "$SID4" proto tcp port 7 bid "$(bid4 1)" weight 1 \
	bid "$(bid4 2)" weight 1 bid "$(bid4 3)" weight 0
hold_start
hold_start
busywait $(( 5000 * TIME_FACTOR )) eval '[ "$(ct7)" = 3 ]'
c1=$(ct7 "$(bid4 1)") c2=$(ct7 "$(bid4 2)") c3=$(ct7 "$(bid4 3)")
down=()
for i in 1 2; do
	down+=(bid "$(bid4 $i)" state down)
done
for i in $(seq 29); do
	down+=(bid "10.98.0.$i" state down)
done
walks=$(ct_walks dc instance set "$SID4" proto tcp port 7 "${down[@]}")
a1=$(ct7 "$(bid4 1)") a2=$(ct7 "$(bid4 2)") a3=$(ct7 "$(bid4 3)")
echo "# connections on instances 1, 2, 3: $c1 $c2 $c3; after 1, 2 and 29 others went down in one request: $a1 $a2 $a3; conntrack walks: ${walks:-not counted}"
ktap_test_result "31 instances down in one request: one walk of conntrack, their connections only" \
	test "${walks:-1}" = 1 -a "$c3" = 1 -a $(( c1 + c2 )) = 2 -a "$a1" = 0 -a "$a2" = 0 -a "$a3" = 1
del=()
for i in 1 2; do
	del+=(bid "$(bid4 $i)")
done
for i in $(seq 29); do
	del+=(bid "10.98.0.$i")
done
dc instance set "$SID4" proto tcp port 7 bid "$(bid4 1)" state up weight 1
hold_start
busywait $(( 5000 * TIME_FACTOR )) eval '[ "$(ct7 "$(bid4 1)")" = 1 ]'
b1=$(ct7 "$(bid4 1)")
walks=$(ct_walks dc instance del "$SID4" proto tcp port 7 "${del[@]}")
a1=$(ct7 "$(bid4 1)") a3=$(ct7 "$(bid4 3)")
n=$(dc -j instance show "$SID4" proto tcp port 7 | jq length)
holds_stop
echo "# a connection on instance 1: $b1; 1, 2 and 29 others deleted in one request: $a1 left there, $a3 on instance 3, $n instance left; conntrack walks: ${walks:-not counted}"
ktap_test_result "31 instances deleted in one request: one walk of conntrack, their connections only" \
	test "${walks:-1}" = 1 -a "$b1" = 1 -a "$a1" = 0 -a "$a3" = 1 -a "$n" = 1
dc service del "$SID4" proto tcp port 7

# new UDP flows arrive all the time while instance 1 goes down and comes
# back 40 times: right after each down, no flow is translated to it.
# Short timeouts keep the tables small; on a port no server listens on,
# so that no server forks a process a datagram (the instances answer with
# port unreachable, which their ICMP rate limit holds back).
ip netns exec "$R" sysctl -qw net.netfilter.nf_conntrack_udp_timeout=3
dc service add "$SID4" proto udp port 5353 mode rewrite timeout 3
dc instance add "$SID4" proto udp port 5353 bid "$(bid4 1)" bid "$(bid4 2)"
ip netns exec "$C" "$DYNCAST_BIN/udpflood" -q -n 1000000 \
	-r $(( 1000 / TIME_FACTOR )) -s 10.0.0.0/24 -p 20000-59999 "$SID4" 5353 &
flood=$!
defer 'kill $flood 2>/dev/null'
left=0 made=0
for i in $(seq 40); do
	sleep 0.2
	made=$(( made + $(ip netns exec "$R" conntrack -L -p udp --orig-dst "$SID4" \
		--reply-src "$(bid4 1)" 2>/dev/null | grep -c .) ))
	dc instance set "$SID4" proto udp port 5353 bid "$(bid4 1)" state down
	n=$(ip netns exec "$R" conntrack -L -p udp --orig-dst "$SID4" \
		--reply-src "$(bid4 1)" 2>/dev/null | grep -c .)
	left=$(( left + n ))
	dc instance set "$SID4" proto udp port 5353 bid "$(bid4 1)" state up
done
kill $flood 2>/dev/null
wait $flood 2>/dev/null
echo "# flows translated to instance 1 before it went down, over 40 rounds: $made; left there right after: $left"
ktap_test_result "no flow is left translated to an instance right after it goes down" \
	test "$made" -gt 40 -a "$left" = 0
dc service del "$SID4" proto udp port 5353

ktap_finished

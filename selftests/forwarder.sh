#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# D-Forwarder (Figure 4 of the draft), IPv4 and IPv6.  The forwarder F sends
# the first packet of each flow to D-Router 1 as a miss; R1 steers it and
# answers with a Binding Info; F then tunnels the flow's packets straight to
# the instance, and R1 keeps no state for it.  An instance taken down on R1
# reaches F as a notice, and the flow is steered anew.  Forged, replayed and
# malformed messages change nothing.
#
#  clients C --- F (D-Forwarder) --- R1 (D-Router 1) --- R2 (D-Router 2) --- I1, I2
#    10.0.0.2    10.0.0.1 10.1.0.2    10.1.0.1  10.2.0.1    10.2.0.2        (edge 2)
#    fd00::2     fd00::1  fd10::2     fd10::1   fd20::1     fd20::2
#                   |                    |   \
#                   X 10.9.0.2           |    I3 10.0.3.2 (edge 3)
#                     (another host)     C2 10.7.0.2 (a client of R1's own)
#
# Instance N is 10.0.N.2 / fd0N::2 and answers with its name "iN"; it takes
# IPIP and IPv6-in-IPv6 with the stock tunl0 / ip6tnl0 devices.  R1 routes
# IPv4 and IPv6 alike; R2 is a plain router here (its D-MA is dyncastd's).
#
# timeout=900

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

require_root
require_vm
require_cmd ip socat jq tcpdump python3 nft

ktap_print_header
ktap_set_plan 95

KEY=00112233445566778899aabbccddeeff0123456789abcdef0123456789abcdef
BADKEY=ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100
FWDMSG="python3 $DYNCAST_TOP/selftests/fwdmsg.py"

# fkey ADDR [KEY]: the key of the forwarder at ADDR, from R1's (KEY)
fkey()
{
	echo "${2:-$KEY}" | "$DYNCAST" derivekey "$1"
}
PCAP=/tmp/dc-fwd.pcap

fwd_topo()
{
	local i ns

	setup_ns C F R X C2 R2 || return 1
	veth_pair "$C" c0 "$F" f0 && veth_pair "$F" f1 "$R" r0 &&
		veth_pair "$F" f2 "$X" x0 && veth_pair "$R" r9 "$C2" c0 &&
		veth_pair "$R" r8 "$R2" s0 || return 1

	ip -n "$C" addr add 10.0.0.2/24 dev c0
	ip -n "$C" addr add fd00::2/64 dev c0 nodad
	ip -n "$C" route add default via 10.0.0.1
	ip -n "$C" -6 route add default via fd00::1

	ip -n "$F" addr add 10.0.0.1/24 dev f0
	ip -n "$F" addr add fd00::1/64 dev f0 nodad
	ip -n "$F" addr add 10.1.0.2/24 dev f1
	ip -n "$F" addr add fd10::2/64 dev f1 nodad
	ip -n "$F" addr add 10.9.0.1/24 dev f2
	ip -n "$F" addr add fd09::1/64 dev f2 nodad
	ip -n "$F" route add default via 10.1.0.1
	ip -n "$F" -6 route add default via fd10::1

	ip -n "$X" addr add 10.9.0.2/24 dev x0
	ip -n "$X" addr add fd09::2/64 dev x0 nodad
	ip -n "$X" route add default via 10.9.0.1
	ip -n "$X" -6 route add default via fd09::1

	ip -n "$R" addr add 10.1.0.1/24 dev r0
	ip -n "$R" addr add fd10::1/64 dev r0 nodad
	ip -n "$R" addr add 10.7.0.1/24 dev r9
	ip -n "$R" addr add fd07::1/64 dev r9 nodad
	ip -n "$R" addr add 10.2.0.1/24 dev r8
	ip -n "$R" addr add fd20::1/64 dev r8 nodad
	for ns in 10.0.0.0/24 10.9.0.0/24; do
		ip -n "$R" route add "$ns" via 10.1.0.2
	done
	for ns in fd00::/64 fd09::/64; do
		ip -n "$R" -6 route add "$ns" via fd10::2
	done

	ip -n "$C2" addr add 10.7.0.2/24 dev c0
	ip -n "$C2" addr add fd07::2/64 dev c0 nodad
	ip -n "$C2" route add default via 10.7.0.1
	ip -n "$C2" -6 route add default via fd07::1

	ip -n "$R2" addr add 10.2.0.2/24 dev s0
	ip -n "$R2" addr add fd20::2/64 dev s0 nodad
	ip -n "$R2" route add default via 10.2.0.1
	ip -n "$R2" -6 route add default via fd20::1

	for ns in "$F" "$R" "$R2"; do
		ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 \
			net.ipv6.conf.all.forwarding=1 >/dev/null || return 1
	done

	# I1 and I2 behind R2 (edge 2), I3 on R1 (edge 3)
	INST=()
	for i in 1 2 3; do
		setup_ns ns || return 1
		INST[i]=$ns
		if [ "$i" = 3 ]; then
			veth_pair "$R" "r$i" "$ns" e0 || return 1
			ip -n "$R" addr add "10.0.$i.1/24" dev "r$i"
			ip -n "$R" addr add "fd0$i::1/64" dev "r$i" nodad
		else
			veth_pair "$R2" "s$i" "$ns" e0 || return 1
			ip -n "$R2" addr add "10.0.$i.1/24" dev "s$i"
			ip -n "$R2" addr add "fd0$i::1/64" dev "s$i" nodad
			ip -n "$R" route add "10.0.$i.0/24" via 10.2.0.2
			ip -n "$R" -6 route add "fd0$i::/64" via fd20::2
		fi
		ip -n "$ns" addr add "10.0.$i.2/24" dev e0
		ip -n "$ns" addr add "fd0$i::2/64" dev e0 nodad
		ip -n "$ns" route add default via "10.0.$i.1"
		ip -n "$ns" -6 route add default via "fd0$i::1"
	done
}

# The CLI on the forwarder; dc (topo.sh) is the CLI on R1.
dcf()
{
	ip netns exec "$F" "$DYNCAST" "$@"
}

# counter NODE KEY: a namespace-wide counter of "dyncast stats" on F or R1
counter()
{
	if [ "$1" = F ]; then
		dcf -j stats | jq -r ".[\"$2\"]"
	else
		dc -j stats | jq -r ".[\"$2\"]"
	fi
}

# bindings_of NODE SID PROTO PORT: the bindings of a service, as JSON
bindings_of()
{
	local cli=dc

	[ "$1" = F ] && cli=dcf
	$cli -j binding show "$2" proto "$3" port "$4"
}

# open_flow, talk and close_flow (topo.sh): answers through F take longer
# shellcheck disable=SC2034 # read by talk (topo.sh)
TALK_WAIT=5

# Capture on R1's link to F; say so when tcpdump does not start.
capture_start()
{
	rm -f "$PCAP" "$PCAP.log"
	ip netns exec "$R" tcpdump -Z root -U -i r0 -w "$PCAP" \
		'udp port 17475 or ip proto 4 or ip6 proto 41' >"$PCAP.log" 2>&1 &
	CAPTURE=$!
	defer "kill $CAPTURE"
	busywait 30000 grep -q "listening on" "$PCAP.log" ||
		echo "# tcpdump did not start: $(cat "$PCAP.log")"
}

# Stop once tcpdump, which may lag under emulation, has written what it saw:
# when the file has not grown for a second (15 s at most).
capture_stop()
{
	local size=-1 prev i

	for (( i = 0; i < 15; i++ )); do
		prev=$size
		sleep 1
		size=$(wc -c < "$PCAP")
		[ "$size" = "$prev" ] && break
	done
	kill -INT "$CAPTURE" 2>/dev/null
	wait "$CAPTURE" 2>/dev/null
}

# capture_count FILTER: packets of the last capture that match FILTER
capture_count()
{
	tcpdump -nn -r "$PCAP" "$1" 2>/dev/null | wc -l
}

dc_load || ktap_skip_all "cannot load the module"
fwd_topo || ktap_skip_all "cannot build the topology"
tunnel_instances || ktap_skip_all "no ipip or ip6_tunnel module"
serve_all tcp 7 || ktap_skip_all "cannot start the servers"
for i in 1 2 3; do
	serve_udp "${INST[i]}" "i$i" 53 "$SID4" &&
		serve_udp "${INST[i]}" "i$i" 54 "$SID6" ||
		ktap_skip_all "cannot start the servers"
done

for fam in 4 6; do
	if [ $fam = 4 ]; then
		sid=$SID4; src=10.0.0.2; rtr=10.1.0.1; fwd=10.1.0.2; bidf=bid4
		udp=53; x=10.9.0.1; c2=10.7.0.2; ipip='ip proto 4'
	else
		sid=$SID6; src=fd00::2; rtr=fd10::1; fwd=fd10::2; bidf=bid6
		udp=54; x=fd09::1; c2=fd07::2; ipip='ip6 proto 41'
	fi
	for p in "tcp 7" "udp $udp"; do
		# shellcheck disable=SC2086 # "proto port" on purpose
		set -- $p
		dc service add "$sid" proto "$1" port "$2" mode tunnel key "$KEY"
		for i in 1 2 3; do
			dc instance add "$sid" proto "$1" port "$2" bid "$($bidf $i)"
		done
		dcf service add "$sid" proto "$1" port "$2" mode forward router "$rtr" \
			key "$(fkey "$fwd")" counters on
	done

	# 1. A connection: its first packet through R1 as a miss, the rest
	#    straight from F to the instance.
	capture_start
	open_flow 60 "$sid"
	names=()
	for i in $(seq 10); do
		names+=("$(talk)")
	done
	close_flow
	capture_stop
	first=${names[0]}
	misses=$(capture_count "udp dst port 17475 and src host $fwd")
	direct=$(capture_count "$ipip and src host $fwd")
	echo "# answers: ${names[*]}; through R1: $misses misses, $direct tunnelled packets from F"
	ktap_test_result "IPv$fam: a connection through the forwarder stays on one instance" \
		test -n "$first" -a "$(count "$first" "${names[@]}")" = 10
	ktap_test_result "IPv$fam: its first packet reached R1 as a miss (capture: $misses)" \
		test "$misses" -ge 1 -a "$misses" -le 3
	ktap_test_result "IPv$fam: later packets went from F straight to the instance (capture: $direct)" \
		test "$direct" -ge 10
	b=$(bindings_of F "$sid" tcp 7)
	ktap_test_result "IPv$fam: F learnt the binding, to $first" \
		test "$(echo "$b" | jq -r '.[0].bid')" = "$($bidf "${first#i}")"
	ktap_test_result "IPv$fam: F tunnelled the flow's packets itself" \
		test "$(echo "$b" | jq -r '.[0].packets')" -ge 10
	ktap_test_result "IPv$fam: R1 saw only the misses (steered $(dc -s -j service show "$sid" proto tcp port 7 | jq '.[0].stats.packets'))" \
		test "$(dc -s -j service show "$sid" proto tcp port 7 | jq '.[0].stats.packets')" -le 3
	ktap_test_result "IPv$fam: counters: misses sent and taken, Binding Info sent and learnt" \
		sh -c "[ $(counter F misses-sent) -ge 1 ] && [ $(counter R misses) -ge 1 ] &&
		       [ $(counter R bindinfo-sent) -ge 1 ] && [ $(counter F bindinfo-recv) -ge 1 ]"
	ktap_test_result "IPv$fam: R1 serves one forwarder" test "$(counter R forwarders)" -ge 1

	# 2. R1 keeps no state for forwarded flows: its hold binding goes
	#    within seconds; the flow goes on through F alone.
	a=$(ask_udp "$src" 5000 "$sid" "$udp")
	held=$(bindings_of R "$sid" udp "$udp" | jq '[.[] | select(.hold)] | length')
	sleep 4
	m0=$(counter R misses)
	bb=$(ask_udp "$src" 5000 "$sid" "$udp")
	c=$(ask_udp "$src" 5000 "$sid" "$udp")
	echo "# udp from port 5000: $a $bb $c; R1 held $held binding(s) at first"
	ktap_test_result "IPv$fam: R1 held the flow's binding only briefly, flagged hold" \
		test "$held" = 1 -a "$(bindings_of R "$sid" udp "$udp" | jq length)" = 0
	ktap_test_result "IPv$fam: the flow goes on to $a through F alone" \
		test -n "$a" -a "$a" = "$bb" -a "$bb" = "$c" -a "$(counter R misses)" = "$m0"

	# 3. New demands through F spread as R1's weights say.
	names=()
	for i in $(seq 6); do
		names+=("$(ask_tcp "$src" "$sid" 7)")
	done
	echo "# six connections: ${names[*]}"
	ktap_test_result "IPv$fam: six connections through F, two on each instance" \
		test "$(count i1 "${names[@]}")" = 2 -a "$(count i2 "${names[@]}")" = 2 \
		-a "$(count i3 "${names[@]}")" = 2

	# 4. F's table holds only its own clients' flows.
	nf=$(counter F bindings)
	for i in $(seq 4); do
		echo hi | ip netns exec "$C2" socat -t 5 -T 5 - "TCP:$(hostport "$sid" 7)" \
			>/dev/null 2>&1
	done
	ktap_test_result "IPv$fam: four connections of R1's own client: bindings on R1, none on F ($nf -> $(counter F bindings))" \
		test "$(counter F bindings)" = "$nf" -a \
		"$(bindings_of R "$sid" tcp 7 | jq "[.[] | select(.src == \"$c2\")] | length")" = 4

	# 5. The Binding Info lost: every packet goes through R1 as a miss,
	#    to the same instance (R1's hold binding answers them alike).
	ip netns exec "$F" nft add table inet dcblock
	ip netns exec "$F" nft add chain inet dcblock in '{ type filter hook input priority 0; }'
	ip netns exec "$F" nft add rule inet dcblock in udp dport 17475 drop
	m0=$(counter R misses)
	open_flow 60 "$sid"
	names=()
	for i in $(seq 5); do
		names+=("$(talk)")
	done
	close_flow
	ip netns exec "$F" nft delete table inet dcblock
	echo "# answers: ${names[*]}; misses $m0 -> $(counter R misses)"
	ktap_test_result "IPv$fam: without Binding Info the flow stays on one instance through R1" \
		test -n "${names[0]}" -a "$(count "${names[0]}" "${names[@]}")" = 5 \
		-a "$(counter R misses)" -ge $((m0 + 5))

	# 6. An instance down on R1: F gets a notice, drops its bindings to
	#    it, and the flow's next datagram is steered anew.
	a=$(ask_udp "$src" 6000 "$sid" "$udp")
	n0=$(counter F notices-recv)
	dc instance set "$sid" proto udp port "$udp" bid "$($bidf "${a#i}")" state down
	busywait $(( 5000 * TIME_FACTOR )) sh -c "[ \$($DYNCAST -n $F -j stats | jq '.[\"notices-recv\"]') -gt $n0 ]" >/dev/null
	bb=$(ask_udp "$src" 6000 "$sid" "$udp")
	echo "# udp from port 6000: $a, then $a down: $bb"
	ktap_test_result "IPv$fam: R1 sent a notice, F took it" \
		test "$(counter R notices-sent)" -ge 1 -a "$(counter F notices-recv)" -gt "$n0"
	ktap_test_result "IPv$fam: F holds no binding to $a any more" \
		test "$(bindings_of F "$sid" udp "$udp" | jq "[.[] | select(.bid == \"$($bidf "${a#i}")\")] | length")" = 0
	ktap_test_result "IPv$fam: F shows $a learnt, and down" \
		test "$(dcf -j instance show "$sid" proto udp port "$udp" |
			jq -r ".[] | select(.bid == \"$($bidf "${a#i}")\") | \"\(.learned) \(.state)\"")" = "true down"
	ktap_test_result "IPv$fam: the flow's next datagram went elsewhere ($bb)" \
		test -n "$bb" -a "$bb" != "$a"
	dc instance set "$sid" proto udp port "$udp" bid "$($bidf "${a#i}")" state up
	# One more datagram of the flow, once F is bound again, confirms its
	# binding: unconfirmed, it would expire during 7. on a slow kernel.
	busywait $(( 5000 * TIME_FACTOR )) sh -c "$DYNCAST -n $F -j binding show $sid proto udp port $udp |
		jq -e '.[] | select(.sport == 6000)'" >/dev/null
	ask_udp "$src" 6000 "$sid" "$udp" >/dev/null
	busywait $(( 5000 * TIME_FACTOR )) sh -c "$DYNCAST -n $F -j binding show $sid proto udp port $udp |
		jq -e '.[] | select(.sport == 6000 and .confirmed)'" >/dev/null

	# 7. Forged, replayed and malformed messages change nothing.
	before=$(bindings_of F "$sid" udp "$udp" | jq -c '[.[] | [.src, .sport, .bid]] | sort')
	ibefore=$(dcf -j instance show "$sid" proto udp port "$udp" | jq -c '[.[] | [.bid, .state]] | sort')
	bad0=$(counter F bad-auth)
	ip netns exec "$X" $FWDMSG bind --to "$x" --key "$KEY" --sid "$sid" --proto udp \
		--port "$udp" --src "$src" --sport 6000 --dport "$udp" --bid "$($bidf 1)" >/dev/null
	ip netns exec "$R" $FWDMSG bind --to "$fwd" --key "$BADKEY" --sid "$sid" --proto udp \
		--port "$udp" --src "$src" --sport 6000 --dport "$udp" --bid "$($bidf 1)" >/dev/null
	sleep 0.5
	ktap_test_result "IPv$fam: Binding Info from another host, and with a wrong key, refused and counted" \
		test "$(counter F bad-auth)" = $((bad0 + 2))
	seq=$(date +%s%N)
	rp0=$(counter F replayed)
	l0=$(counter F bindinfo-recv)
	ip netns exec "$R" $FWDMSG bind --to "$fwd" --key "$KEY" --sid "$sid" --proto udp \
		--port "$udp" --src "$src" --sport 7777 --dport "$udp" --bid "$($bidf 2)" \
		--seq "$seq" --repeat 3 >/dev/null
	ip netns exec "$R" $FWDMSG bind --to "$fwd" --key "$KEY" --sid "$sid" --proto udp \
		--port "$udp" --src "$src" --sport 7778 --dport "$udp" --bid "$($bidf 2)" \
		--seq $((seq - 120000000000)) >/dev/null
	busywait $(( 5000 * TIME_FACTOR )) sh -c "[ \$($DYNCAST -n $F -j stats | jq '.[\"bindinfo-recv\"]') -gt $l0 ]" >/dev/null
	ktap_test_result "IPv$fam: a genuine Binding Info is learnt (the control)" \
		test "$(bindings_of F "$sid" udp "$udp" | jq '[.[] | select(.sport == 7777)] | length')" = 1
	ktap_test_result "IPv$fam: its replays, and an old one, refused and counted" \
		test "$(counter F replayed)" = $((rp0 + 3)) -a \
		"$(bindings_of F "$sid" udp "$udp" | jq '[.[] | select(.sport == 7778)] | length')" = 0
	# That Binding Info came as if from another D-Router on R1's address
	# (an anycast address whose route moved, and back), numbered from its
	# clock: R1's numbers, a second behind its clock at most, are taken.
	rp0=$(counter F replayed)
	# R1's counter, below that number, goes on from its clock once it
	# lags it by a second
	sleep 1.1
	a=$(ask_udp "$src" 7790 "$sid" "$udp")
	busywait $(( 5000 * TIME_FACTOR )) sh -c "$DYNCAST -n $F -j binding show $sid proto udp port $udp |
		jq -e '.[] | select(.sport == 7790)'" >/dev/null
	echo "# a new flow after it: answered by '$a', replayed +$(( $(counter F replayed) - rp0 ))"
	ktap_test_result "IPv$fam: after another sender's numbers on R1's address, F learns R1's next Binding Info" \
		test -n "$a" -a "$(counter F replayed)" = "$rp0" -a \
		"$(bindings_of F "$sid" udp "$udp" | jq '[.[] | select(.sport == 7790)] | length')" = 1
	for p in 7777 7790; do
		dcf binding del "$sid" proto udp port "$udp" src "$src" sport $p dport "$udp"
	done
	ml0=$(counter F malformed)
	for m in truncate version length; do
		ip netns exec "$R" $FWDMSG bind --to "$fwd" --key "$KEY" --sid "$sid" \
			--proto udp --port "$udp" --src "$src" --sport 7779 --dport "$udp" \
			--bid "$($bidf 2)" --mangle $m >/dev/null
	done
	# from R1, with the key: a reason this version does not know, naming
	# an instance F learnt (up); "down" naming no instance
	ip netns exec "$R" $FWDMSG notice --to "$fwd" --key "$KEY" --sid "$sid" \
		--proto udp --port "$udp" --bid "$($bidf 2)" --reason 9 >/dev/null
	ip netns exec "$R" $FWDMSG notice --to "$fwd" --key "$KEY" --sid "$sid" \
		--proto udp --port "$udp" --bid "$([ $fam = 4 ] && echo 0.0.0.0 || echo ::)" >/dev/null
	ip netns exec "$X" $FWDMSG notice --to "$x" --key "$KEY" --sid "$sid" \
		--proto udp --port "$udp" --bid "$($bidf 1)" >/dev/null
	# from R1, with the key: "service deleted" naming an instance
	nr0=$(counter F notices-recv)
	ip netns exec "$R" $FWDMSG notice --to "$fwd" --key "$KEY" --sid "$sid" \
		--proto udp --port "$udp" --bid "$($bidf 1)" --reason 4 >/dev/null
	busywait $(( 5000 * TIME_FACTOR )) sh -c "[ \$($DYNCAST -n $F -j stats | jq '.[\"notices-recv\"]') -gt $nr0 ]" >/dev/null
	sleep 0.5
	ktap_test_result "IPv$fam: malformed messages, and notices of an unknown reason or of no instance, refused and counted" \
		test "$(counter F malformed)" = $((ml0 + 5))
	after=$(bindings_of F "$sid" udp "$udp" | jq -c '[.[] | [.src, .sport, .bid]] | sort')
	iafter=$(dcf -j instance show "$sid" proto udp port "$udp" | jq -c '[.[] | [.bid, .state]] | sort')
	echo "# F's bindings before: $before"
	echo "# F's bindings after:  $after"
	echo "# F's instances before: $ibefore; after: $iafter"
	ktap_test_result "IPv$fam: F's bindings are as they were" test "$after" = "$before"
	ktap_test_result "IPv$fam: a notice of the service deleted that names an instance was taken, and changed nothing" \
		test "$(counter F notices-recv)" -gt "$nr0" -a "$iafter" = "$ibefore"

	# Reordering within the window is taken, each number once; a number
	# below the window is not; nor is any clock compared (a sender two
	# hours ahead).  Last in this service: F's window is far ahead after.
	bind_seq()
	{
		ip netns exec "$R" $FWDMSG bind --to "$fwd" --key "$KEY" --sid "$sid" \
			--proto udp --port "$udp" --src "$src" --sport "$1" \
			--dport "$udp" --bid "$($bidf 2)" --seq "$2" >/dev/null
	}
	base=$(( $(date +%s%N) + 1000000000 ))
	rp0=$(counter F replayed)
	l0=$(counter F bindinfo-recv)
	bind_seq 7781 $(( base + 1500 ))
	bind_seq 7782 $(( base + 1 ))
	bind_seq 7783 $(( base + 1 ))
	bind_seq 7784 $(( base + 1500 - 2100 ))
	bind_seq 7785 $(( base + 2 * 3600 * 1000000000 ))
	busywait $(( 5000 * TIME_FACTOR )) sh -c "[ \$($DYNCAST -n $F -j stats | jq '.[\"bindinfo-recv\"]') -ge $((l0 + 3)) ]" >/dev/null
	sleep 0.5
	learnt=$(bindings_of F "$sid" udp "$udp" |
		jq -c '[.[] | select(.sport >= 7781 and .sport <= 7785) | .sport] | sort')
	echo "# reordered, repeated, too old, far ahead: learnt $learnt, replayed +$(( $(counter F replayed) - rp0 ))"
	ktap_test_result "IPv$fam: a Binding Info 1499 numbers late is taken" \
		test "$learnt" = "[7781,7782,7785]"
	ktap_test_result "IPv$fam: its repeat and one below the window are refused and counted" \
		test "$(counter F replayed)" = $((rp0 + 2))
	ktap_test_result "IPv$fam: one numbered two hours of nanoseconds ahead is taken" \
		sh -c "echo '$learnt' | grep -q 7785"
	for p in 7781 7782 7785; do
		dcf binding del "$sid" proto udp port "$udp" src "$src" sport $p dport "$udp"
	done

	# A miss from a host with a wrong key is refused; with the key, any
	# host may be a forwarder (the control).
	rb0=$(counter R bad-auth)
	rm0=$(counter R misses)
	ip netns exec "$X" $FWDMSG miss --to "$rtr" --key "$BADKEY" --sid "$sid" \
		--port "$udp" --src "$src" --sport 8000 >/dev/null
	sleep 0.5
	ktap_test_result "IPv$fam: R1 refused a miss with a wrong key, and counted it" \
		test "$(counter R bad-auth)" = $((rb0 + 1)) -a "$(counter R misses)" = "$rm0"
	ip netns exec "$X" $FWDMSG miss --to "$rtr" --key "$KEY" --sid "$sid" \
		--port "$udp" --src "$src" --sport 8000 >/dev/null
	busywait $(( 5000 * TIME_FACTOR )) sh -c "[ \$($DYNCAST -n $R -j stats | jq .misses) -gt $rm0 ]" >/dev/null
	ktap_test_result "IPv$fam: ... and steered the same miss with the key" \
		test "$(counter R misses)" = $((rm0 + 1))
	# bytes after the client's packet, tagged: the parse would read them
	rml0=$(counter R malformed)
	rm0=$(counter R misses)
	ip netns exec "$X" $FWDMSG miss --to "$rtr" --key "$KEY" --sid "$sid" \
		--port "$udp" --src "$src" --sport 8001 --trailer 8 >/dev/null
	busywait $(( 5000 * TIME_FACTOR )) sh -c "[ \$($DYNCAST -n $R -j stats | jq .malformed) -gt $rml0 ]" >/dev/null
	ktap_test_result "IPv$fam: R1 refused a miss with bytes after its packet, and counted it" \
		test "$(counter R malformed)" = $((rml0 + 1)) -a "$(counter R misses)" = "$rm0"

	# R1 deletes the TCP service: F is told once for all its instances
	# (three copies of one notice, not three per instance), and takes
	# every instance it learnt down.
	ns0=$(counter R notices-sent)
	nr0=$(counter F notices-recv)
	learnt=$(dcf -j instance show "$sid" proto tcp port 7 | jq length)
	dc service del "$sid" proto tcp port 7
	busywait $(( 5000 * TIME_FACTOR )) sh -c "[ \$($DYNCAST -n $F -j stats | jq '.[\"notices-recv\"]') -ge $((nr0 + 3)) ]" >/dev/null
	sleep 0.5
	sent=$(( $(counter R notices-sent) - ns0 ))
	states=$(dcf -j instance show "$sid" proto tcp port 7 | jq -c '[.[].state] | unique')
	echo "# R1's TCP service deleted: notices sent $sent, F took $(( $(counter F notices-recv) - nr0 )); F's $learnt instances: $states"
	ktap_test_result "IPv$fam: R1 deleted the service: one notice to F (three copies) for its $learnt instances" \
		test "$learnt" -ge 2 -a "$sent" = 3
	ktap_test_result "IPv$fam: F set every instance it learnt down" \
		test "$states" = '["down"]'
	dcf service del "$sid" proto tcp port 7
	dcf service del "$sid" proto udp port "$udp"
	dc service del "$sid" proto udp port "$udp"
done

# 8. IPv4 only: expiry, an unreachable instance, a flood.
FKEY=$(fkey 10.1.0.2)
for p in 55 57; do
	serve_udp "${INST[3]}" i3 $p "$SID4" || ktap_skip_all "cannot start the servers"
done
for i in 1 2; do
	serve_udp "${INST[i]}" "i$i" 56 "$SID4" || ktap_skip_all "cannot start the servers"
done
dc service add "$SID4" proto udp port 55 mode tunnel key "$KEY" timeout 3
dc service add "$SID4" proto udp port 57 mode tunnel key "$KEY"
# the flood's flows are single datagrams: they keep the affinity timeout,
# which the test's timing relies on (router_spoof.sh tests the other)
dc service add "$SID4" proto udp port 56 mode tunnel key "$KEY" \
	unconfirmed-timeout 0
for p in 55 57; do
	dc instance add "$SID4" proto udp port $p bid "$(bid4 3)"
done
dc instance add "$SID4" proto udp port 56 bid "$(bid4 1)" bid "$(bid4 2)"
for p in 55 57 56; do
	dcf service add "$SID4" proto udp port $p mode forward router 10.1.0.1 key "$FKEY"
done
dcf service set "$SID4" proto udp port 56 max-bindings 50

# The forwarder's binding expires with the D-Router's affinity timeout.
a=$(ask_udp 10.0.0.2 5500 "$SID4" 55)
e=$(bindings_of F "$SID4" udp 55 | jq '.[0].expires')
sleep 5
echo "# udp 55: $a, binding expiring in $e ms, then $(bindings_of F "$SID4" udp 55 | jq length) binding(s)"
ktap_test_result "F's binding expires with R1's timeout (3 s)" \
	test -n "$a" -a "$e" -le 3000 -a "$(bindings_of F "$SID4" udp 55 | jq length)" = 0

# An instance R1 cannot reach any more: the next miss for it brings F a
# notice, and F drops the bindings it had to it.
a=$(ask_udp 10.0.0.2 5700 "$SID4" 57)
nb=$(bindings_of F "$SID4" udp 57 | jq length)
n0=$(counter F notices-recv)
ip -n "$R" addr del 10.0.3.1/24 dev r3
b=$(ask_udp 10.0.0.2 5701 "$SID4" 57)
busywait $(( 5000 * TIME_FACTOR )) sh -c "[ \$($DYNCAST -n $F -j stats | jq '.[\"notices-recv\"]') -gt $n0 ]" >/dev/null
echo "# udp 57: $a ($nb binding), then i3 unreachable from R1: '${b}'; F's bindings: $(bindings_of F "$SID4" udp 57 | jq -c '[.[].sport]')"
ktap_test_result "an unreachable instance: R1 sends a notice, F drops its binding to it" \
	test "$a" = i3 -a "$nb" = 1 -a -z "$b" -a "$(counter F notices-recv)" -gt "$n0" -a \
	"$(bindings_of F "$SID4" udp 57 | jq length)" = 0
ip -n "$R" addr add 10.0.3.1/24 dev r3

# A flood of new flows through F: its table holds max-bindings, the rest
# is counted; a flow bound before keeps its instance; R1 keeps nothing.
a=$(ask_udp 10.0.0.2 5600 "$SID4" 56)
bid_of_5600()
{
	bindings_of F "$SID4" udp 56 | jq -r '.[] | select(.sport == 5600) | .bid'
}
bid0=$(bid_of_5600)
d0=$(counter F learn-drops)
# at 100 flows a second, so that R1's hold bindings (2 s) can be seen
ip netns exec "$C" "$DYNCAST_BIN/udpflood" -q -n 400 -r 100 -s 10.0.0.0/24 \
	-p 20000-29999 -o 0 "$SID4" 56 &
flood=$!
held=0
while kill -0 $flood 2>/dev/null; do
	n=$(bindings_of R "$SID4" udp 56 | jq '[.[] | select(.hold)] | length')
	[ "$n" -gt "$held" ] && held=$n
	sleep 0.5
done
wait $flood
sleep 2
nf=$(bindings_of F "$SID4" udp 56 | jq length)
echo "# flood of 400 flows: F holds $nf bindings, learn-drops $d0 -> $(counter F learn-drops), R1 holds $(bindings_of R "$SID4" udp 56 | jq length)"
ktap_test_result "a flood through F: F holds at most its max-bindings (50), the rest counted" \
	test "$nf" -le 50 -a "$nf" -ge 40 -a "$(counter F learn-drops)" -gt "$d0"
# F's binding, not an answer: the instances' servers fork for each of the
# flood's datagrams, and on a slow kernel the answer to the next one waits
# behind them for longer than a client does.
bid1=$(bid_of_5600)
ktap_test_result "a flood through F: the flow bound before it kept its instance ($a: ${bid0:-none}, then ${bid1:-none})" \
	test -n "$a" -a -n "$bid0" -a "$bid0" = "$bid1"
sleep 3
ktap_test_result "a flood through F: R1 held up to $held hold bindings, none once it stops" \
	test "$held" -gt 0 -a "$(bindings_of R "$SID4" udp 56 | jq length)" = 0

# A flow through F that lasts longer than the service's timeout: F's
# keepalives keep R1 counting it among the forwarders to tell, so setting
# the flow's instance down on R1 still moves the flow.
for i in 1 2; do
	serve_udp "${INST[i]}" "i$i" 58 "$SID4" || ktap_skip_all "cannot start the servers"
done
dc service add "$SID4" proto udp port 58 mode tunnel key "$KEY" timeout 4
dc instance add "$SID4" proto udp port 58 bid "$(bid4 1)" bid "$(bid4 2)"
dcf service add "$SID4" proto udp port 58 mode forward router 10.1.0.1 key "$FKEY"
coproc LONG { ip netns exec "$C" socat -T 60 - UDP:$SID4:58,bind=10.0.0.2:5800 2>/dev/null; }
long_ask()
{
	local name=''

	echo x 1>&"${LONG[1]}" 2>/dev/null &&
		read -r -t $(( 3 * TIME_FACTOR )) name _ <&"${LONG[0]}"
	echo "$name"
}
# read before the flow starts: on a slow kernel each read takes seconds,
# and a flow idle for its timeout has ended (F's binding and R1's record
# of F expire alike, and the flow moves by a new miss)
n0=$(counter F notices-recv)
s0="R1 notices-sent $(counter R notices-sent), F bad-auth $(counter F bad-auth) replayed $(counter F replayed) ratelimited $(counter F ratelimited)"
first=$(long_ask)
k0=$(counter R keepalives-recv)
names=()
for i in $(seq 10); do
	sleep 1
	names+=("$(long_ask)")
done
echo "# a flow through F for 10 s, timeout 4 s: $first ${names[*]}; R1 took $(( $(counter R keepalives-recv) - k0 )) keepalives"
ktap_test_result "a long flow through F keeps its instance" \
	test -n "$first" -a "$(count "$first" "${names[@]}")" = 10
ktap_test_result "F's keepalives reach R1 while the flow lasts" \
	test "$(counter R keepalives-recv)" -gt "$k0" -a "$(counter F keepalives-sent)" -gt 0
# the flow active again just before its instance goes down
last=$(long_ask)
dc instance set "$SID4" proto udp port 58 bid "$(bid4 "${last#i}")" state down
busywait $(( 5000 * TIME_FACTOR )) sh -c "[ \$($DYNCAST -n $F -j stats | jq '.[\"notices-recv\"]') -gt $n0 ]" >/dev/null
next=$(long_ask)
echo "# its instance set down on R1 after 10 s ('$last' just before): notices-recv $n0 -> $(counter F notices-recv), next answer from '$next'"
echo "# before: $s0; after: R1 notices-sent $(counter R notices-sent), F bad-auth $(counter F bad-auth) replayed $(counter F replayed) ratelimited $(counter F ratelimited)"
ktap_test_result "set down after more than a timeout, the long flow is told and moves" \
	test "$(counter F notices-recv)" -gt "$n0" -a -n "$last" -a -n "$next" -a "$next" != "$last"
fd=${LONG[1]}
exec {fd}>&-

# A miss whose outer header carries IP options (a record route) and whose
# client packet is too big for the path to I3 once encapsulated: R1 tells
# the client, and the ICMP error does not echo the outer header's options.
# (Read at the outer offsets in the client's packet, the option's length
# would be the high byte of the service port: 10240 makes it 40 bytes.)
dc service add "$SID4" proto udp port 10240 mode tunnel key "$KEY"
dc instance add "$SID4" proto udp port 10240 bid "$(bid4 3)"
ip -n "$R" link set r3 mtu 1400
ip -n "${INST[3]}" link set e0 mtu 1400
timeout $(( 10 * TIME_FACTOR )) ip netns exec "$C" tcpdump -v -n -i c0 -c 1 \
	'icmp[icmptype] == 3 and icmp[icmpcode] == 4' > /tmp/dc-fwd-opt.$$ 2>/dev/null &
dump=$!
defer "rm -f /tmp/dc-fwd-opt.$$"
sleep 1
ip netns exec "$X" $FWDMSG miss --to 10.1.0.1 --key "$KEY" --sid "$SID4" \
	--port 10240 --src 10.0.0.2 --sport 5702 --payload-len 1450 \
	--ip-options 0107070400000000 >/dev/null
wait $dump
echo "# the client got: $(tr '\n' ' ' < /tmp/dc-fwd-opt.$$)"
ktap_test_result "a miss with IP options, too big: the client is told, no option echoed" \
	sh -c "grep -q 'need to frag' /tmp/dc-fwd-opt.$$ && ! grep -q 'options' /tmp/dc-fwd-opt.$$"
ip -n "$R" link set r3 mtu 1500
ip -n "${INST[3]}" link set e0 mtu 1500

# A forwarder meets more instances in its life than a service may hold:
# learnt instances that no binding uses make room for new ones.  1024
# Binding Info, each for a new instance, with a timeout of 1 s; once their
# bindings are gone, one more instance is learnt, not dropped.
dcf service add "$SID4" proto udp port 59 mode forward router 10.1.0.1 key "$FKEY"
ip netns exec "$R" $FWDMSG bind --to 10.1.0.2 --key "$KEY" --sid "$SID4" --proto udp \
	--port 59 --src 10.0.0.2 --sport 1000 --dport 59 --bid 10.50.0.1 \
	--timeout 1 --remaining 1000 --count 1024 >/dev/null
busywait $(( 20000 * TIME_FACTOR )) sh -c "[ \$($DYNCAST -n $F -j service show $SID4 proto udp port 59 | jq '.[0].instances') = 1024 ]" >/dev/null
n1=$(dcf -j service show "$SID4" proto udp port 59 | jq '.[0].instances')
slowwait 10 sh -c "[ \$($DYNCAST -n $F -j service show $SID4 proto udp port 59 | jq '.[0].bindings') = 0 ]"
d0=$(counter F learn-drops)
ip netns exec "$R" $FWDMSG bind --to 10.1.0.2 --key "$KEY" --sid "$SID4" --proto udp \
	--port 59 --src 10.0.0.2 --sport 3000 --dport 59 --bid 10.60.0.1 \
	--timeout 1 --remaining 1000 >/dev/null
busywait $(( 5000 * TIME_FACTOR )) sh -c "$DYNCAST -n $F -j instance show $SID4 proto udp port 59 | jq -e '.[] | select(.bid == \"10.60.0.1\")'" >/dev/null
echo "# 1024 instances learnt ($n1), their bindings gone; then one more: learn-drops $d0 -> $(counter F learn-drops)," \
	"instances $(dcf -j service show "$SID4" proto udp port 59 | jq '.[0].instances')"
ktap_test_result "a learnt instance no binding uses makes room for a new one" \
	sh -c "[ $n1 = 1024 ] && [ \$($DYNCAST -n $F -j stats | jq '.[\"learn-drops\"]') = $d0 ] &&
	       $DYNCAST -n $F -j instance show $SID4 proto udp port 59 | jq -e '.[] | select(.bid == \"10.60.0.1\")' >/dev/null"

# A Binding Info and a notice about one instance taken in the other order
# than R1 numbered them: the older of the two is not applied (stale), a
# stale Binding Info's settings neither, nor an older one's that is
# learnt; a notice ahead of the Binding Info that would make the instance
# keeps it from being made, a newer one makes it.
dcf service add "$SID4" proto udp port 63 mode forward router 10.1.0.1 key "$FKEY"
msg63()
{
	ip netns exec "$R" $FWDMSG "$1" --to 10.1.0.2 --key "$KEY" --sid "$SID4" \
		--proto udp --port 63 --bid "$(bid4 1)" "${@:2}" >/dev/null
}
bind63()
{
	msg63 bind --src 10.0.0.2 --sport "$1" --dport 63 --seq "$2" "${@:3}"
}
# state63 SPORT [N]: the state at F of instance N (1), and whether F
# binds SPORT
state63()
{
	echo "$(dcf -j instance show "$SID4" proto udp port 63 |
		jq -r ".[] | select(.bid == \"$(bid4 "${2:-1}")\") | .state")" \
		"$(bindings_of F "$SID4" udp 63 | jq "[.[] | select(.sport == $1)] | length")"
}
timeout63()
{
	dcf -j service show "$SID4" proto udp port 63 | jq '.[0].timeout'
}
seq0=$(date +%s%N)
bind63 5800 "$seq0"
busywait $(( 5000 * TIME_FACTOR )) eval '[ "$(state63 5800)" = "up 1" ]'
msg63 notice --seq $(( seq0 + 10 ))
busywait $(( 5000 * TIME_FACTOR )) eval '[ "$(state63 5800)" = "down 0" ]'
st0=$(counter F stale)
to0=$(timeout63)
bind63 5801 $(( seq0 + 5 )) --timeout 9
busywait $(( 5000 * TIME_FACTOR )) eval '[ "$(counter F stale)" -gt "$st0" ]'
st=$(state63 5801)
to1=$(timeout63)
echo "# a Binding Info numbered below the notice it arrived after: instance, binding: $st, stale +$(( $(counter F stale) - st0 ))," \
	"the service's timeout $to0 -> $to1 (the Binding Info's 9)"
ktap_test_result "a Binding Info older than the notice taken before it brings its instance back no more" \
	test "$st" = "down 0" -a "$(counter F stale)" = $(( st0 + 1 )) -a "$to1" = "$to0"
bind63 5802 $(( seq0 + 20 ))
busywait $(( 5000 * TIME_FACTOR )) eval '[ "$(state63 5802)" = "up 1" ]'
msg63 notice --seq $(( seq0 + 15 ))
busywait $(( 5000 * TIME_FACTOR )) eval '[ "$(counter F stale)" -gt $(( st0 + 1 )) ]'
st=$(state63 5802)
echo "# a notice numbered below the Binding Info it arrived after: instance, binding: $st, stale +$(( $(counter F stale) - st0 ))"
ktap_test_result "a notice older than the Binding Info taken before it takes its instance down no more" \
	test "$st" = "up 1" -a "$(counter F stale)" = $(( st0 + 2 ))
bind63 5804 $(( seq0 + 12 )) --timeout 7
busywait $(( 5000 * TIME_FACTOR )) eval '[ "$(state63 5804)" = "up 1" ]'
to2=$(timeout63)
echo "# a Binding Info numbered below the newest, learnt: the service's timeout $to0 -> $to2 (the Binding Info's 7)"
ktap_test_result "an older Binding Info, learnt, does not set the service's settings back" \
	test "$(state63 5804)" = "up 1" -a "$to2" = "$to0"
nr0=$(counter F notices-recv)
msg63 notice --bid "$(bid4 2)" --seq $(( seq0 + 30 ))
busywait $(( 5000 * TIME_FACTOR )) eval "[ \"\$(counter F notices-recv)\" -gt $nr0 ]"
bind63 5803 $(( seq0 + 25 )) --bid "$(bid4 2)"
busywait $(( 5000 * TIME_FACTOR )) eval '[ "$(counter F stale)" -gt $(( st0 + 2 )) ]'
st=$(state63 5803 2)
bind63 5805 $(( seq0 + 35 )) --bid "$(bid4 2)"
busywait $(( 5000 * TIME_FACTOR )) eval '[ "$(state63 5805 2)" = "up 1" ]'
st2=$(state63 5805 2)
echo "# a notice about an instance F does not know, then the Binding Info numbered before it: instance, binding: '$st'," \
	"stale +$(( $(counter F stale) - st0 )); then one numbered after it: '$st2'"
ktap_test_result "a notice that overtook the Binding Info making its instance keeps it unmade" \
	test "$st" = " 0" -a "$(counter F stale)" = $(( st0 + 3 )) -a "$st2" = "up 1"
dcf service del "$SID4" proto udp port 63

# 9. Keys and rates (IPv4).  F holds only its own key, derived from R1's:
#    another forwarder's key, or F's key of the other direction, forges
#    no Binding Info to F.
KEY2=$(dc genkey)
for i in 1 2; do
	serve_udp "${INST[i]}" "i$i" 60 "$SID4" || ktap_skip_all "cannot start the servers"
done
dc service add "$SID4" proto udp port 60 mode tunnel key "$KEY"
dc instance add "$SID4" proto udp port 60 bid "$(bid4 1)" bid "$(bid4 2)"
dcf service add "$SID4" proto udp port 60 mode forward router 10.1.0.1 key "$FKEY"
bind60()
{
	ip netns exec "$R" $FWDMSG bind --to 10.1.0.2 --sid "$SID4" --proto udp \
		--port 60 --src 10.0.0.2 --dport 60 --bid "$(bid4 1)" "$@" >/dev/null
}
b0=$(counter F bad-auth)
l0=$(counter F bindinfo-recv)
bind60 --sport 6001 --fwd-key "$(fkey 10.9.0.2)"
bind60 --sport 6002 --fwd-key "$FKEY" --direction up
bind60 --sport 6003 --key "$KEY"
busywait $(( 5000 * TIME_FACTOR )) sh -c "[ \$($DYNCAST -n $F -j stats | jq '.[\"bindinfo-recv\"]') -gt $l0 ]" >/dev/null
learnt=$(bindings_of F "$SID4" udp 60 | jq -c '[.[] | .sport] | sort')
echo "# Binding Info tagged with X's key, with F's up key, with F's down key: F learnt $learnt, bad-auth +$(( $(counter F bad-auth) - b0 ))"
ktap_test_result "another forwarder's key, or the other direction's, forges no Binding Info" \
	test "$learnt" = "[6003]" -a "$(counter F bad-auth)" = $((b0 + 2))
dcf binding del "$SID4" proto udp port 60 src 10.0.0.2 sport 6003 dport 60

# A flood of junk misses from a sender R1 does not know: beyond
# fwd_new_rate a second R1 drops them unchecked, and F, which R1 knows,
# is still served meanwhile.  Then F's own rate, at F.
a=$(ask_udp 10.0.0.2 6020 "$SID4" 60)
ip -n "$X" addr add 10.9.0.3/24 dev x0
echo 20 > /sys/module/dyncast/parameters/fwd_new_rate
defer "echo 1000 > /sys/module/dyncast/parameters/fwd_new_rate"
r0=$(counter R ratelimited)
b0=$(counter R bad-auth)
t0=$(now_ms)
ip netns exec "$X" $FWDMSG miss --to 10.1.0.1 --from 10.9.0.3 --key "$BADKEY" \
	--sid "$SID4" --port 60 --src 10.0.0.2 --sport 1 --count 1000 >/dev/null &
flood=$!
sleep 0.5
b=$(ask_udp 10.0.0.2 6021 "$SID4" 60)
wait $flood
t=$(( ($(now_ms) - t0) / 1000 + 1 ))
sleep 0.5
dr=$(( $(counter R ratelimited) - r0 ))
db=$(( $(counter R bad-auth) - b0 ))
echo "# 1000 junk misses in ${t} s at fwd_new_rate 20: $dr dropped unchecked, $db checked; a flow of F during the flood: '$b' (before: '$a')"
ktap_test_result "junk from an unknown sender is checked at most fwd_new_rate a second" \
	test $((dr + db)) = 1000 -a "$db" -le $((20 + 20 * t))
ktap_test_result "... while a known forwarder is served" test -n "$a" -a -n "$b"
echo 1000 > /sys/module/dyncast/parameters/fwd_new_rate

# Junk under the address of a sender the receiver knows is checked within
# that sender's share (fwd_rate 20 here) and then the namespace's
# (fwd_check_rate, 20000), and never uses up the sender's fwd_rate of
# verified messages: at R1, X (known by a miss of its own) has its misses
# steered during 500 junk misses a second under its address; at F, R1's
# Binding Info is learnt during as much junk under R1's address.
echo 20 > /sys/module/dyncast/parameters/fwd_rate
defer "echo 20000 > /sys/module/dyncast/parameters/fwd_rate"
xmiss()
{
	ip netns exec "$X" $FWDMSG miss --to 10.1.0.1 --from 10.9.0.2 --sid "$SID4" \
		--port 60 --src 10.0.0.2 "$@" >/dev/null
}
xmiss --key "$KEY" --sport 6040
sleep 0.2
m0=$(counter R misses)
r0=$(counter R ratelimited)
b0=$(counter R bad-auth)
xmiss --key "$BADKEY" --sport 1 --repeat 1500 --pps 500 &
flood=$!
sleep 1
xmiss --key "$KEY" --sport 6041 --count 5
kill -0 $flood 2>/dev/null && during=yes || during=no
wait $flood
sleep 0.2
dm=$(( $(counter R misses) - m0 ))
dr=$(( $(counter R ratelimited) - r0 ))
db=$(( $(counter R bad-auth) - b0 ))
echo "# 1500 junk misses under X's address at 500/s, fwd_rate 20: $db checked, $dr dropped unchecked;" \
	"X's 5 misses sent during the flood ($during): $dm taken"
ktap_test_result "at R1, junk under a known forwarder's address leaves it its rate" \
	test "$during" = yes -a "$dm" = 5 -a "$db" = 1500 -a "$dr" = 0
# (at F on a service of its own: a Binding Info numbered by the wall
# clock would put R1's own messages of port 60 below F's window, for a
# second)
dcf service add "$SID4" proto udp port 64 mode forward router 10.1.0.1 key "$FKEY"
bind64()
{
	ip netns exec "$R" $FWDMSG bind --to 10.1.0.2 --sid "$SID4" --proto udp \
		--port 64 --src 10.0.0.2 --dport 64 --bid "$(bid4 1)" "$@" >/dev/null
}
r0=$(counter F ratelimited)
b0=$(counter F bad-auth)
l0=$(counter F bindinfo-recv) p0=$(counter F replayed) d0=$(counter F learn-drops)
bind64 --sport 1 --key "$BADKEY" --repeat 1500 --pps 500 &
flood=$!
sleep 1
bind64 --sport 5700 --key "$KEY"
kill -0 $flood 2>/dev/null && during=yes || during=no
wait $flood
learnt5700()
{
	[ "$(bindings_of F "$SID4" udp 64 | jq '[.[] | select(.sport == 5700)] | length')" = 1 ]
}
busywait $(( 5000 * TIME_FACTOR )) learnt5700 && learnt=yes || learnt=no
[ $learnt = yes ] || echo "# F's service of port 64: $(dcf -j service show "$SID4" proto udp port 64 | jq -c .)," \
	"its instances $(dcf -j instance show "$SID4" proto udp port 64 | jq -c 'map([.bid, .state])')," \
	"its bindings $(bindings_of F "$SID4" udp 64 | jq -c 'map([.sport, .bid])')"
dr=$(( $(counter F ratelimited) - r0 ))
db=$(( $(counter F bad-auth) - b0 ))
echo "# 1500 junk Binding Info under R1's address at 500/s: $db checked, $dr dropped unchecked;" \
	"R1's Binding Info sent during the flood ($during) learnt: $learnt (bindinfo-recv +$(( $(counter F bindinfo-recv) - l0 ))," \
	"replayed +$(( $(counter F replayed) - p0 )), learn-drops +$(( $(counter F learn-drops) - d0 )))"
ktap_test_result "at F, junk under its D-Router's address leaves the D-Router its rate" \
	test "$during" = yes -a "$learnt" = yes -a "$db" = 1500 -a "$dr" = 0
dcf service del "$SID4" proto udp port 64

# With fwd_check_rate 10, junk under a known sender's address is checked
# at most fwd_rate + fwd_check_rate a second; and a known forwarder's own
# misses beyond fwd_rate are dropped, verified.
echo 10 > /sys/module/dyncast/parameters/fwd_check_rate
defer "echo 20000 > /sys/module/dyncast/parameters/fwd_check_rate"
sleep 1
# junk_checks NODE CMD...: CMD sends junk to NODE (R or F); sets t, its
# seconds rounded up, dr, the junk NODE dropped unchecked, db, checked
junk_checks()
{
	local node=$1 r0 b0 t0

	shift
	r0=$(counter "$node" ratelimited)
	b0=$(counter "$node" bad-auth)
	t0=$(now_ms)
	"$@"
	t=$(( ($(now_ms) - t0) / 1000 + 1 ))
	sleep 0.5
	dr=$(( $(counter "$node" ratelimited) - r0 ))
	db=$(( $(counter "$node" bad-auth) - b0 ))
}
junk_checks F bind60 --sport 1 --key "$BADKEY" --count 200
echo "# 200 junk Binding Info under R1's address in ${t} s at fwd_rate 20, fwd_check_rate 10: $dr dropped unchecked, $db checked"
ktap_test_result "at F, the D-Router's messages are checked at most fwd_rate + fwd_check_rate a second" \
	test $((dr + db)) = 200 -a "$db" -le $((30 + 30 * t))
junk_checks R xmiss --key "$BADKEY" --sport 1 --count 200
echo "# 200 junk misses under X's address in ${t} s, fwd_rate 20, fwd_check_rate 10: $dr dropped unchecked, $db checked"
ktap_test_result "at R1, junk under a known forwarder's address is checked at most fwd_rate + fwd_check_rate a second" \
	test $((dr + db)) = 200 -a "$db" -le $((30 + 30 * t))
echo 20000 > /sys/module/dyncast/parameters/fwd_check_rate
sleep 1
m0=$(counter R misses)
r0=$(counter R ratelimited)
t0=$(now_ms)
xmiss --key "$KEY" --sport 7000 --count 100
t=$(( ($(now_ms) - t0) / 1000 + 1 ))
sleep 0.5
dm=$(( $(counter R misses) - m0 ))
dr=$(( $(counter R ratelimited) - r0 ))
echo 20000 > /sys/module/dyncast/parameters/fwd_rate
echo "# 100 misses of X in ${t} s at fwd_rate 20: $dm taken, $dr dropped"
ktap_test_result "a known forwarder's own misses beyond fwd_rate are dropped" \
	test $((dm + dr)) = 100 -a "$dm" -le $((20 + 20 * t)) -a "$dm" -ge 20

# Key rotation: R1 takes key 1 with an overlap; F, on key 0 still, is
# served and answered with key 0; then F takes key 1; once the overlap is
# over, key 0 is refused.
dc service set "$SID4" proto udp port 60 key "$KEY2" key-id 1 key-overlap $(( 20 * TIME_FACTOR ))
old=$(dc -j service show "$SID4" proto udp port 60 | jq -c '.[0] | [."key-id", ."old-key-id"]')
l0=$(counter F bindinfo-recv)
a=$(ask_udp 10.0.0.2 6030 "$SID4" 60)
busywait $(( 5000 * TIME_FACTOR )) sh -c "[ \$($DYNCAST -n $F -j stats | jq '.[\"bindinfo-recv\"]') -gt $l0 ]" >/dev/null
n0=$(bindings_of F "$SID4" udp 60 | jq '[.[] | select(.sport == 6030)] | length')
dcf service set "$SID4" proto udp port 60 key "$(fkey 10.1.0.2 "$KEY2")" key-id 1
l0=$(counter F bindinfo-recv)
b=$(ask_udp 10.0.0.2 6031 "$SID4" 60)
busywait $(( 5000 * TIME_FACTOR )) sh -c "[ \$($DYNCAST -n $F -j stats | jq '.[\"bindinfo-recv\"]') -gt $l0 ]" >/dev/null
n1=$(bindings_of F "$SID4" udp 60 | jq '[.[] | select(.sport == 6031)] | length')
echo "# R1's keys [id, old id]: $old; F on key 0: '$a', learnt $n0; F on key 1: '$b', learnt $n1"
ktap_test_result "during the overlap, a forwarder on either key is served" \
	test "$old" = "[1,0]" -a -n "$a" -a "$n0" = 1 -a -n "$b" -a "$n1" = 1
slowwait 30 sh -c "$DYNCAST -n $R -j service show $SID4 proto udp port 60 | jq -e '.[0] | has(\"old-key-id\") | not'" >/dev/null
rb0=$(counter R bad-auth)
rm0=$(counter R misses)
ip netns exec "$X" $FWDMSG miss --to 10.1.0.1 --key "$KEY" --sid "$SID4" \
	--port 60 --src 10.0.0.2 --sport 6032 >/dev/null
ip netns exec "$X" $FWDMSG miss --to 10.1.0.1 --key "$KEY2" --key-id 1 --sid "$SID4" \
	--port 60 --src 10.0.0.2 --sport 6033 >/dev/null
busywait $(( 5000 * TIME_FACTOR )) sh -c "[ \$($DYNCAST -n $R -j stats | jq .misses) -gt $rm0 ]" >/dev/null
echo "# after the overlap: bad-auth +$(( $(counter R bad-auth) - rb0 )), misses +$(( $(counter R misses) - rm0 ))"
ktap_test_result "after the overlap, the old key is refused and the new one taken" \
	test "$(counter R bad-auth)" = $((rb0 + 1)) -a "$(counter R misses)" = $((rm0 + 1))

# A key given with key-overlap 0 leaves no other key accepted, not even
# one still in the overlap of an earlier change.
KEY3=$(dc genkey)
KEY4=$(dc genkey)
dc service set "$SID4" proto udp port 60 key "$KEY3" key-id 2 key-overlap 600
dc service set "$SID4" proto udp port 60 key "$KEY4" key-id 3 key-overlap 0
rb0=$(counter R bad-auth)
for k in "$KEY2 1" "$KEY3 2"; do
	# shellcheck disable=SC2086 # "key id" on purpose
	set -- $k
	ip netns exec "$X" $FWDMSG miss --to 10.1.0.1 --key "$1" --key-id "$2" --sid "$SID4" \
		--port 60 --src 10.0.0.2 --sport $((6040 + $2)) >/dev/null
done
sleep 0.5
keys=$(dc -j service show "$SID4" proto udp port 60 | jq -c '.[0] | [."key-id", ."old-key-id"]')
echo "# keys 1, 2 (overlap 600), then 3 (overlap 0): [id, old id] $keys, misses with keys 1 and 2: bad-auth +$(( $(counter R bad-auth) - rb0 ))"
ktap_test_result "key-overlap 0 leaves only the new key accepted" \
	test "$keys" = "[3,null]" -a "$(counter R bad-auth)" = $((rb0 + 2))

# 10. Misses for a service with no instance: R1 counts them and tells the
#     client (port unreachable, from R1's own address).  The reject must
#     not take the route the miss datagram came in by, a local one: the
#     ICMP error would then be sent from the D-SID, no address of R1's,
#     and go nowhere.
dc service add "$SID4" proto udp port 62 mode tunnel key "$KEY"
ip netns exec "$R" sysctl -qw net.ipv4.icmp_ratelimit=0
n0=$(counter R no-instance)
u0=$(mib_counter "$R" IcmpOutDestUnreachs)
for (( i = 1; i <= 5; i++ )); do
	ip netns exec "$X" $FWDMSG miss --to 10.1.0.1 --key "$KEY" --sid "$SID4" \
		--port 62 --src 10.0.0.2 --sport $((6200 + i)) >/dev/null
done
busywait $(( 5000 * TIME_FACTOR )) sh -c "[ \$($DYNCAST -n $R -j stats | jq '.[\"no-instance\"]') -ge $((n0 + 5)) ]" >/dev/null
sleep 0.5
dn=$(( $(counter R no-instance) - n0 ))
du=$(( $(mib_counter "$R" IcmpOutDestUnreachs) - u0 ))
echo "# 5 misses, no instance: no-instance +$dn, port unreachables sent +$du"
ktap_test_result "misses for a service with no instance: counted" test "$dn" = 5
ktap_test_result "... and the client told" test "$du" -ge 5

# A datagram of 3000 bytes leaves the client (a link of 1280) in
# fragments; F reassembles it and sends it as one miss, which says how
# large its largest fragment was: R1 judges it by that, as F did, and
# tunnels it on in fragments.  (IPv6: before, R1 answered "too big" with
# the MTU of its own path, larger than the client's, and dropped every
# such datagram.)
ip -n "$C" link set c0 mtu 1280
for fam in 4 6; do
	if [ $fam = 4 ]; then
		sid=$SID4; src=10.0.0.2; rtr=10.1.0.1; fwd=10.1.0.2; udp=53; bidf=bid4
	else
		sid=$SID6; src=fd00::2; rtr=fd10::1; fwd=fd10::2; udp=54; bidf=bid6
	fi
	dc service add "$sid" proto udp port $udp mode tunnel key "$KEY"
	dc instance add "$sid" proto udp port $udp bid "$($bidf 1)"
	dcf service add "$sid" proto udp port $udp mode forward router "$rtr" \
		key "$(fkey "$fwd")"
	t0=$(counter R too-big)
	m0=$(counter R misses)
	got=$(frag_udp "$sid" "$src" $udp)
	echo "# IPv$fam: a 3000-byte datagram in fragments through F: answer '$got'," \
		"R1 misses +$(( $(counter R misses) - m0 )), too-big +$(( $(counter R too-big) - t0 ))"
	ktap_test_result "IPv$fam: a datagram F reassembled goes on from R1 in fragments, not 'too big'" \
		test "$got" = i1 -a "$(counter R too-big)" = "$t0"
	dcf service del "$sid" proto udp port $udp
	dc service del "$sid" proto udp port $udp
done

# A client datagram of 65 500 bytes of payload, fragmented and
# reassembled at F, fits no miss (65 588 bytes with its headers, in IPv4
# the packet's length, in IPv6 its payload's): F drops and counts it
# rather than send an outer packet longer than IP allows.  (The client's
# fragments fit the path of a miss: IPv6's are judged by them first.)
for fam in 4 6; do
	if [ $fam = 4 ]; then
		sid=$SID4; port=60; af=AF_INET
	else
		sid=$SID6; port=54; af=AF_INET6
		dcf service add "$SID6" proto udp port 54 mode forward \
			router fd10::1 key "$(fkey fd10::2)"
	fi
	m0=$(counter F misses-sent)
	t0=$(counter F too-big)
	ip netns exec "$C" python3 -c '
import socket, sys
s = socket.socket(getattr(socket, sys.argv[1]), socket.SOCK_DGRAM)
s.sendto(bytes(65500), (sys.argv[2], int(sys.argv[3])))' "$af" "$sid" "$port"
	busywait $(( 5000 * TIME_FACTOR )) sh -c "[ \$($DYNCAST -n $F -j stats | jq '.[\"too-big\"]') -gt $t0 ]" >/dev/null
	dm=$(( $(counter F misses-sent) - m0 ))
	dt=$(( $(counter F too-big) - t0 ))
	echo "# IPv$fam: a 65 500-byte datagram through F: misses sent +$dm, too-big +$dt"
	ktap_test_result "IPv$fam: a datagram no miss holds: F counts it too big, sends nothing" \
		test "$dm" = 0 -a "$dt" = 1
done

ktap_finished

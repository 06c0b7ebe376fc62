#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Churn while traffic flows (topology: topo.sh, plus a D-Forwarder F with a
# client C2 of its own in front of the router): for CHURN_SECONDS (default
# 60, times the debug kernel's factor), services and instances come and
# go, metrics are pushed in batches as fast as the CLI can, states flip
# (down ones bring the forwarder notices), settings and keys change,
# bindings are dumped and flushed, the forwarder's service is removed and
# added again.  Traffic must keep flowing, the table must agree with its
# counters, and everything must go away with the module.
#
#   C2 10.5.0.2 --- F 10.5.0.1 | 10.6.0.2 --- R 10.6.0.1 (topo.sh's router)
#
# timeout=1200

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

require_root
require_vm
require_cmd ip socat jq

ktap_print_header
ktap_set_plan 8

KEY1=$(printf '%064x' 1)
KEY2=$(printf '%064x' 2)
# the forwarder's keys, derived from R's for its address
FKEY1=$(echo "$KEY1" | "$DYNCAST" derivekey 10.6.0.2)
FKEY2=$(echo "$KEY2" | "$DYNCAST" derivekey 10.6.0.2)
seconds=${CHURN_SECONDS:-$(( 60 * TIME_FACTOR ))}
BATCH=/tmp/dc-churn.batch

slab_objects()
{
	awk '$1 == "dc_binding" { print $2; found = 1 } END { if (!found) print 0 }' \
		/proc/slabinfo
}

dcf()
{
	ip netns exec "$F" "$DYNCAST" "$@"
}

setup()
{
	topo_setup 3 && tunnel_instances || return 1
	setup_ns F C2 || return 1
	veth_pair "$C2" c0 "$F" f0 && veth_pair "$F" f1 "$R" r9 || return 1
	ip -n "$C2" addr add 10.5.0.2/24 dev c0
	ip -n "$C2" route add default via 10.5.0.1
	ip -n "$F" addr add 10.5.0.1/24 dev f0
	ip -n "$F" addr add 10.6.0.2/24 dev f1
	ip -n "$F" route add default via 10.6.0.1
	ip -n "$R" addr add 10.6.0.1/24 dev r9
	ip -n "$R" route add 10.5.0.0/24 via 10.6.0.2
	ip netns exec "$F" sysctl -qw net.ipv4.ip_forward=1 >/dev/null || return 1

	serve_all tcp 7 && serve_all udp 53 "$SID4" || return 1
	dc service add "$SID4" proto tcp port 7 mode rewrite &&
	dc service add "$SID4" proto udp port 53 mode tunnel key "$KEY1" &&
	dc service add "$SID6" proto tcp port 7 mode rewrite &&
	dc service add "$SID4" proto udp port 9 mode tunnel || return 1
	for i in 1 2 3; do
		dc instance add "$SID4" proto tcp port 7 bid "$(bid4 $i)" &&
		dc instance add "$SID4" proto udp port 53 bid "$(bid4 $i)" &&
		dc instance add "$SID6" proto tcp port 7 bid "$(bid6 $i)" &&
		dc instance add "$SID4" proto udp port 9 bid "$(bid4 $i)" || return 1
	done
	dcf service add "$SID4" proto udp port 53 mode forward router 10.6.0.1 key "$FKEY1"
}

# New flows all along: TCP connections counted as answered or not, UDP
# datagrams through the forwarder, and a modest flood of new UDP flows to
# a port no server listens on (each datagram would fork a socat there).
TRAFFIC=()
traffic()
{
	ip netns exec "$C" bash -c "ok=0 all=0
		trap 'echo \$ok \$all > /tmp/dc-churn.tcp; exit' TERM
		while :; do
			all=\$((all + 1))
			echo hi | timeout 5 socat -t 3 -T 3 - TCP:$SID4:7 2>/dev/null |
				grep -q . && ok=\$((ok + 1))
		done" &
	TRAFFIC+=($!)
	ip netns exec "$C2" bash -c "while :; do
			echo x > /dev/udp/$SID4/53; sleep 0.5
		done" >/dev/null 2>&1 &
	TRAFFIC+=($!)
	ip netns exec "$C" "$DYNCAST_BIN/udpflood" -q -n 1000000 -r 100 \
		-s 10.0.0.0/24 "$SID4" 9 &
	TRAFFIC+=($!)
	defer "kill ${TRAFFIC[*]}"
}

stop_traffic()
{
	kill "${TRAFFIC[@]}" 2>/dev/null
	wait "${TRAFFIC[@]}" 2>/dev/null
	TRAFFIC=()
}

# A batch of metric updates: 50 requests, three instances each.
metrics_batch()
{
	local i

	: > "$BATCH"
	for i in $(seq 50); do
		echo "instance set $SID4 proto tcp port 7" \
			"bid $(bid4 1) cpu $((RANDOM % 100)) queue $((RANDOM % 50))" \
			"bid $(bid4 2) cpu $((RANDOM % 100)) sessions $RANDOM" \
			"bid $(bid4 3) cpu $((RANDOM % 100)) cost $((RANDOM * 10))" >> "$BATCH"
	done
	dc -batch "$BATCH"
}

OPS=0 FAILED=0 UPDATES=0 UPDATE_MS=0
op()
{
	OPS=$((OPS + 1))
	"$@" >/dev/null 2>&1 || FAILED=$((FAILED + 1))
}

churn_once()
{
	local b=$((1 + RANDOM % 3)) t0

	case $((RANDOM % 9)) in
	0)	# a service of its own comes and goes, in either mode
		if dc service show 10.99.0.9 proto tcp port 80 >/dev/null 2>&1; then
			op dc service del 10.99.0.9 proto tcp port 80
		else
			op dc service add 10.99.0.9 proto tcp port 80 \
				mode "$( ((RANDOM % 2)) && echo rewrite || echo tunnel)"
			op dc instance add 10.99.0.9 proto tcp port 80 \
				bid "$(bid4 1)" bid "$(bid4 2)"
		fi ;;
	1)	# an instance of the IPv6 service goes and comes back
		op dc instance del "$SID6" proto tcp port 7 bid "$(bid6 $b)"
		op dc instance add "$SID6" proto tcp port 7 bid "$(bid6 $b)" ;;
	2)	t0=$(now_ms)
		metrics_batch >/dev/null 2>&1 && UPDATES=$((UPDATES + 150))
		UPDATE_MS=$((UPDATE_MS + $(now_ms) - t0))
		OPS=$((OPS + 1)) ;;
	3)	# a state flip; down brings the forwarder a notice
		op dc instance set "$SID4" proto udp port 53 bid "$(bid4 $b)" \
			state "$( ((RANDOM % 2)) && echo down || echo drain)"
		op dc instance set "$SID4" proto udp port 53 bid "$(bid4 $b)" state up ;;
	4)	op sh -c "$DYNCAST -n $R -j binding show | jq length"
		op dc binding flush "$SID4" proto tcp port 7 ;;
	5)	op dc service set "$SID4" proto tcp port 7 \
			timeout $((5 + RANDOM % 300)) \
			policy "$(echo weighted least-cost hash | cut -d' ' -f$b)"
		op dc service set "$SID6" proto tcp port 7 \
			affinity "$(echo 5tuple 3tuple 2tuple | cut -d' ' -f$b)" ;;
	6)	# a new key, on both ends
		if ((RANDOM % 2)); then
			op dc service set "$SID4" proto udp port 53 key "$KEY2"
			op dcf service set "$SID4" proto udp port 53 key "$FKEY2"
		else
			op dc service set "$SID4" proto udp port 53 key "$KEY1"
			op dcf service set "$SID4" proto udp port 53 key "$FKEY1"
		fi ;;
	7)	# the forwarder's service goes and comes back, with the key R has
		op dcf service del "$SID4" proto udp port 53
		op dcf service add "$SID4" proto udp port 53 mode forward \
			router 10.6.0.1 key "$FKEY1"
		op dc service set "$SID4" proto udp port 53 key "$KEY1" ;;
	*)	op dcf binding flush
		op dc stats ;;
	esac
}

# The bindings counted per service add up to the namespace's count (the
# collector may remove some between the two reads: try again then, for
# longer on a slow kernel), and with none left, none is counted anywhere.
counts_agree()
{
	local ns total sum _

	for ns in "$R" "$F"; do
		for _ in $(seq $(( 3 * TIME_FACTOR ))); do
			total=$(ip netns exec "$ns" "$DYNCAST" -j stats | jq .bindings)
			sum=$(ip netns exec "$ns" "$DYNCAST" -j service show |
				jq '[.[].bindings] | add // 0')
			[ "$total" = "$sum" ] && break
			sleep 1
		done
		echo "# $ns: $total bindings counted, $sum by its services"
		[ "$total" = "$sum" ] || return 1
	done
}

none_counted()
{
	local ns

	for ns in "$R" "$F"; do
		ip netns exec "$ns" "$DYNCAST" -j stats | jq -e '.bindings == 0' >/dev/null &&
			ip netns exec "$ns" "$DYNCAST" -j service show |
			jq -e 'all(.[]; .bindings == 0)' >/dev/null || return 1
	done
}

dc_load || ktap_skip_all "cannot load the module"
setup || ktap_skip_all "cannot build the topology"
traffic

end=$(( ${EPOCHREALTIME%.*} + seconds ))
while [ "${EPOCHREALTIME%.*}" -lt $end ]; do
	churn_once
done
stop_traffic
read -r tcp_ok tcp_all < /tmp/dc-churn.tcp 2>/dev/null
echo "# $seconds s of churn: $OPS operations ($FAILED refused), $UPDATES metric updates in $UPDATE_MS ms" \
	"($(( UPDATE_MS ? UPDATES * 1000 / UPDATE_MS : 0 )) a second in batches)"
echo "# TCP connections during the churn: ${tcp_ok:-0} of ${tcp_all:-0} answered"
echo "# forwarder: $(dcf -j stats | jq -c '{"misses-sent", "bindinfo-recv", "notices-recv", "bad-auth", replayed}')"

# every operation is one the kernel must take (a del only of what is
# there, an add only of what is not): none refused
ktap_test_result "churn: $OPS operations in $seconds s, none refused ($FAILED)" \
	test "$OPS" -gt 0 -a "$FAILED" = 0
ktap_test_result "churn: metric updates pushed in batches ($UPDATES)" test "$UPDATES" -gt 0
ktap_test_result "churn: most new connections were served throughout" \
	test "${tcp_all:-0}" -gt 0 -a "$(( ${tcp_ok:-0} * 100 / ${tcp_all:-1} ))" -ge 80
ktap_test_result "churn: the bindings of the services add up to the namespace's" \
	counts_agree
dc binding flush
dcf binding flush
ktap_test_result "churn: flushed, no binding is counted anywhere" none_counted
ktap_test_result "churn: the services still answer" \
	test -n "$(ask_tcp 10.0.0.2 "$SID4" 7)"
dc_unload
ktap_test_result "churn: the module unloads" eval '! dc_is_loaded'
ktap_test_result "churn: no binding left in the slab" test "$(slab_objects)" = 0

ktap_finished

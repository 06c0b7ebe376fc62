#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every netlink operation while the kernel's allocations fail at random
# (topology: topo.sh).  failslab and fail_page_alloc fail the allocations
# of one process only (task-filter, make-it-fail), and only within its
# netlink requests (failnl.so): a dyncast -batch that runs a random mix of
# every command on services of their own (keys, key
# ids, seeds, forwarders, instances with metrics, bindings, dumps) while
# a service outside the mix carries traffic.  Rounds at 5, 20 and 50 per
# cent.  Each request either fails with an error or succeeds; afterwards:
#  - the namespace's counters and the dumps agree (services, instances);
#  - every service still works: added again from scratch, the mix's
#    services steer traffic, and the traffic service never stopped;
#  - with no keyed service left, the forwarder socket is closed;
#  - the runner then unloads the module and scans kmemleak; the VM's
#    console is checked for any kernel complaint.
# Needs CONFIG_FAILSLAB and CONFIG_FAIL_PAGE_ALLOC (make check-debug);
# skipped on other kernels.  FAULT_OPS sets the commands per round (300).
#
# timeout=1200

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

FS=/sys/kernel/debug/failslab
FP=/sys/kernel/debug/fail_page_alloc
OPS=${FAULT_OPS:-300}

require_root
require_vm
require_cmd ip socat jq ss env
[ -f "$DYNCAST_BIN/failnl.so" ] || ktap_skip_all "$DYNCAST_BIN/failnl.so not built (make selftests)"

ktap_print_header
[ -d $FS ] && [ -d $FP ] ||
	ktap_skip_all "no $FS or $FP: the kernel lacks CONFIG_FAILSLAB or CONFIG_FAIL_PAGE_ALLOC (make check-debug)"
ktap_set_plan 14

dc_load || ktap_skip_all "cannot load the module"
topo_setup 3 || ktap_skip_all "cannot build the topology"
tunnel_instances || ktap_skip_all "no ipip or ip6_tunnel module"
serve_all tcp 7 && serve_all udp 53 || ktap_skip_all "cannot start the servers"
# the instances take tunnelled packets for the mix's services too
for ns in "${INST[@]}"; do
	for sid in 10.99.0.2 10.99.0.3; do
		ip -n "$ns" addr add "$sid/32" dev lo
	done
	ip -n "$ns" addr add fd99::2/128 dev lo nodad
done

# arm PERCENT: fail that share of the allocations of make-it-fail tasks,
# sleeping ones included
arm()
{
	local d

	for d in $FS $FP; do
		echo Y > "$d"/task-filter &&
			echo "$1" > "$d"/probability &&
			echo 1 > "$d"/interval &&
			echo -1 > "$d"/times &&
			echo 0 > "$d"/space &&
			echo 0 > "$d"/verbose &&
			echo N > "$d"/ignore-gfp-wait || return 1
	done
	echo N > $FP/ignore-gfp-highmem && echo 0 > $FP/min-order
}

disarm()
{
	echo 0 > $FS/probability
	echo 0 > $FP/probability
}
defer disarm

# The traffic service, outside the mix.
dc service add "$SID4" proto tcp port 7 mode tunnel
dc instance add "$SID4" proto tcp port 7 bid "$(bid4 1)" bid "$(bid4 2)" bid "$(bid4 3)"

SIDS=(10.99.0.2 10.99.0.3 fd99::2)
pick() { local a=("$@"); echo "${a[RANDOM % ${#a[@]}]}"; }
hex() { local i s=''; for ((i = 0; i < $1; i++)); do s+=$(printf %02x $((RANDOM % 256))); done; echo "$s"; }

# one random command of the mix
op()
{
	local sid proto port b k fam=4 bids

	sid=$(pick "${SIDS[@]}")
	[ "$sid" = fd99::2 ] && fam=6
	proto=$(pick tcp udp)
	port=$(pick 7 53)
	k="$sid proto $proto port $port"
	if [ $fam = 4 ]; then
		bids=("$(bid4 1)" "$(bid4 2)" "$(bid4 3)" 10.0.9.$((RANDOM % 200 + 1)))
	else
		bids=("$(bid6 1)" "$(bid6 2)" "$(bid6 3)" fd09::$((RANDOM % 200 + 1)))
	fi
	b=$(pick "${bids[@]}")
	case $((RANDOM % 16)) in
	0|1) echo "service add $k mode $(pick rewrite tunnel) policy $(pick weighted least-cost hash) key $(hex 32) key-id $((RANDOM % 4)) hash-seed $(hex 16)" ;;
	2) echo "service add $k mode forward router $([ $fam = 4 ] && echo 10.0.0.9 || echo fd00::9) key $(hex 32)" ;;
	3) echo "service set $k timeout $((RANDOM % 600 + 1)) affinity $(pick 5tuple 3tuple) policy $(pick weighted least-cost hash)" ;;
	4) echo "service set $k key $(hex 32) key-id $((RANDOM % 4)) key-overlap $((RANDOM % 100))" ;;
	5) echo "service set $k mode $(pick rewrite tunnel) hash-seed $(hex 16)" ;;
	6) echo "service del $k" ;;
	7|8) echo "instance add $k bid $b bid $(pick "${bids[@]}") weight $((RANDOM % 10))" ;;
	9|10) echo "instance set $k bid $b cpu $((RANDOM % 100)) sessions $RANDOM queue $((RANDOM % 50)) cost $RANDOM state $(pick up drain down up)" ;;
	11) echo "instance del $k bid $b" ;;
	12) echo "binding flush $k" ;;
	13) echo "binding del $k src 10.0.0.2" ;;
	14) echo "$(pick service instance binding) show" ;;
	15) echo "stats" ;;
	esac
}

# traffic to the traffic service all along, counted
traffic()
{
	local ok=0 bad=0

	while [ ! -e "$TMPD/stop" ]; do
		if [ -n "$(ask_tcp 10.0.0.2 "$SID4" 7)" ]; then
			ok=$((ok + 1))
		else
			bad=$((bad + 1))
		fi
	done
	echo "$ok $bad" > "$TMPD/traffic"
}

TMPD=$(mktemp -d)
defer "rm -rf $TMPD"
traffic &
tpid=$!
defer "touch $TMPD/stop; wait $tpid 2>/dev/null"

# round PERCENT: OPS commands from a dyncast -batch whose netlink requests
# fail that share of their allocations (failnl.so sets make-it-fail for
# the time of each netlink sendto and recvmsg only: the process's own page
# faults and files, on 9p here, are not part of the test)
round()
{
	local batch=$TMPD/batch-$1 out=$TMPD/round-$1 i

	for i in $(seq "$OPS"); do
		op
	done > "$batch"
	arm "$1" || return 1
	timeout $((300 * TIME_FACTOR)) ip netns exec "$R" \
		env LD_PRELOAD="$DYNCAST_BIN/failnl.so" "$DYNCAST" -force -batch "$batch" \
		> "$out" 2>&1
	disarm
	echo "# $1%: $(grep -c . "$out") lines of errors, $(grep -ci 'memory\|No buffer' "$out") about memory; e.g.: $(grep -i 'memory' "$out" | sort | uniq -c | sort -rn | head -n 3 | tr '\n' ';')"
	grep -qi 'memory\|No buffer' "$out"
}

# consistent: the counters and the dumps agree
consistent()
{
	local n s ni bad=0 sid proto port

	n=$(dc -j stats | jq .services)
	s=$(dc -j service show | jq length)
	[ "$n" = "$s" ] || { echo "# stats say $n services, the dump shows $s"; return 1; }
	while IFS=' ' read -r sid proto port ni; do
		n=$(dc -j instance show "$sid" proto "$proto" port "$port" | jq length)
		[ "$n" = "$ni" ] || { echo "# $sid $proto $port: says $ni instances, shows $n"; bad=1; }
	done < <(dc -j service show | jq -r '.[] | "\(.sid) \(.proto) \(.port) \(.instances)"')
	return $bad
}

for pct in 5 20 50; do
	ktap_test_result "$pct%: the mix ran, and allocations failed" round $pct
	ktap_test_result "$pct%: counters and dumps agree" consistent
	ktap_test_result "$pct%: the traffic service answers" \
		test -n "$(ask_tcp 10.0.0.2 "$SID4" 7)"
done

# Each service of the mix, added again from scratch, steers traffic.
fresh()
{
	local sid=$1 b bids=()

	dc service del "$sid" proto tcp port 7 2>/dev/null
	dc service add "$sid" proto tcp port 7 mode tunnel key "$(hex 32)" || return 1
	for b in 1 2 3; do
		if [ "$sid" = fd99::2 ]; then bids+=(bid "$(bid6 $b)"); else bids+=(bid "$(bid4 $b)"); fi
	done
	dc instance add "$sid" proto tcp port 7 "${bids[@]}" || return 1
	test -n "$(ask_tcp "$([ "$sid" = fd99::2 ] && echo fd00::2 || echo 10.0.0.2)" "$sid" 7)"
}
for sid in "${SIDS[@]}"; do
	ktap_test_result "$sid tcp 7, added again, steers traffic" fresh "$sid"
done

touch "$TMPD/stop"
wait $tpid
read -r tok tbad < "$TMPD/traffic"
echo "# the traffic service during the rounds: $tok answers, $tbad without"
ktap_test_result "the traffic service answered all along" test "$tok" -gt 0 -a "$tbad" = 0

# Nothing keyed left: the forwarder socket is closed (the counts of keyed
# services survived the failures).
for s in $(dc -j service show | jq -r '.[] | "\(.sid),\(.proto),\(.port)"'); do
	IFS=, read -r sid proto port <<< "$s"
	dc service del "$sid" proto "$proto" port "$port"
done
socks=$(ip netns exec "$R" ss -uanH "sport = :17475" | grep -c .)
echo "# every service deleted: $(dc -j stats | jq .services) services, $socks forwarder sockets"
ktap_test_result "every service deleted, no forwarder socket is left open" test "$socks" = 0

ktap_finished

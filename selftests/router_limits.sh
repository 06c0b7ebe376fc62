#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Limits of the binding table under a flood of new flows (topology:
# topo.sh; tunnel mode, which keeps no conntrack state; the flood comes
# from udpflood.c, each datagram a new flow from a spoofed source).
#
#  1. A service with max-bindings 100 takes 5000 new flows: it never holds
#     more than 100 bindings, the table-full counter grows by the excess,
#     the flows bound before keep their instance, the slab of bindings
#     does not grow past the limit, and once the flood stops the bindings
#     expire and the count goes back down.  Briefly the same over IPv6.
#  2. The same with the namespace-wide limit, the module parameter
#     max_bindings: a TCP connection made before keeps working on its
#     instance, and new demands are still served, steered by hash; a
#     connection made while the table is full goes on once it has room.
#  3. A dump of 100 000 bindings is complete and consistent: as many
#     bindings as the counters say, each once, no "dump interrupted".
#  4. A flush of one service among 180 000 bindings removes all of its
#     bindings and none of the others'; a flush of all leaves none.
#
#  client ($C)            router ($R)                   instances
#  10.0.0.2: real flows   SID 10.99.0.1, fd99::1        i1 i2 i3: udp 53
#  10.77.0.0/16,          udp (every port): tunnel      and tcp 7 servers;
#  fd77::/64: flood   ->  udp 9 (3., 4.): tunnel        nobody on udp 9
#                         tcp 7: tunnel                 and 19
#
# timeout=600

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

require_root
require_vm
require_cmd ip socat jq

ktap_print_header
ktap_set_plan 26

FLOOD=5000
SVC_MAX=100
NET_MAX=150
DUMP_FLOWS=100000
# the affinity timeout: longer than a flood takes, on a slower kernel too
TIMEOUT=$(( 10 * TIME_FACTOR ))
PARAM=/sys/module/dyncast/parameters/max_bindings
SLAB=/sys/kernel/slab/dc_binding

dc_load || ktap_skip_all "cannot load the module"
ktap_print_msg "[${SECONDS}s] module loaded"
[ -w "$PARAM" ] || ktap_skip_all "no writable $PARAM"
topo_setup 3 || ktap_skip_all "cannot build the topology"
ktap_print_msg "[${SECONDS}s] topology built"
tunnel_instances || ktap_skip_all "cannot set up the tunnel devices"
serve_all udp 53 "$SID4" && serve_all tcp 7 ||
	ktap_skip_all "cannot start the servers"
ktap_print_msg "[${SECONDS}s] servers started"
flood=$DYNCAST_BIN/udpflood
[ -x "$flood" ] || ktap_skip_all "$flood not built (make selftests)"

UDP=("$SID4" proto udp)
TCP=("$SID4" proto tcp port 7)
# The flood's flows are single datagrams, unconfirmed: they keep the
# affinity timeout here, which the test's timing relies on
# (router_spoof.sh tests the unconfirmed timeout).
dc service add "${UDP[@]}" mode tunnel max-bindings $SVC_MAX timeout $TIMEOUT \
	unconfirmed-timeout 0 &&
	dc service add "${TCP[@]}" mode tunnel timeout 60 ||
	ktap_fail_all "cannot add the services (dyncast service add)"
for i in 1 2 3; do
	dc instance add "${UDP[@]}" bid "$(bid4 "$i")" &&
		dc instance add "${TCP[@]}" bid "$(bid4 "$i")" ||
		ktap_fail_all "cannot add the instances"
done

tmp=$(mktemp -d)
defer "rm -rf $tmp"

# --- measuring --------------------------------------------------------------

# Objects in the slab of bindings.  SLUB may merge it with another cache
# of the same size (/sys/kernel/slab/dc_binding is then a link to the
# merged one): the counts are compared with a baseline, and the margin
# allows for the other users.  The count includes the free objects of the
# slab each CPU allocates from: shrinking the cache first hands those back,
# but a CPU still steering the flood takes a slab again at once, so the
# margin is a slab per CPU (a debug kernel, 2 CPUs: 150 bindings were
# once counted as 192 objects).
slab_objects()
{
	if [ -r "$SLAB/objects" ]; then
		echo 1 > "$SLAB/shrink" 2>/dev/null
		awk '{ print $1 }' "$SLAB/objects"
	else
		awk '$1 == "dc_binding" { print $2 }' /proc/slabinfo
	fi
}
per_slab=$(cat "$SLAB/objs_per_slab" 2>/dev/null || echo 64)
MARGIN=$(( per_slab * $(nproc) ))
ktap_print_msg "slab of bindings: $(readlink -f "$SLAB" 2>/dev/null || echo /proc/slabinfo)," \
	"object size $(cat "$SLAB/object_size" 2>/dev/null) B, slab size" \
	"$(cat "$SLAB/slab_size" 2>/dev/null) B, $per_slab per slab, merged with:" \
	"$(find /sys/kernel/slab/ -maxdepth 1 -lname "*$(readlink "$SLAB")" ! -name dc_binding \
	   -printf '%f ' 2>/dev/null); margin $MARGIN objects"

svc_stat()	# svc_stat JQ-PATH: of the UDP service
{
	dc -s -j service show "${UDP[@]}" | jq -r ".[0]$1"
}
net_stat()	# net_stat KEY: a namespace-wide counter
{
	dc -j stats | jq -r ".[\"$1\"]"
}
svc_bindings_are()
{
	[ "$(svc_stat .bindings)" = "$1" ]
}
net_bindings_are()
{
	[ "$(net_stat bindings)" = "$1" ]
}

# slab_within N: the slab holds at most N objects
slab_within()
{
	[ "$(slab_objects)" -le "$1" ]
}

# sample_start CMD: every 0.2 s in the background, note the bindings CMD
# prints and the slab objects; sample_stop prints the largest of each.
sample_start()
{
	sample_cmd=$1
	: > "$tmp/samples"
	touch "$tmp/sampling"
	(while [ -e "$tmp/sampling" ]; do
		echo "$(eval "$sample_cmd") $(slab_objects)" >> "$tmp/samples"
		sleep 0.2
	done) 2>/dev/null &
	sampler=$!
}
sample_stop()
{
	rm -f "$tmp/sampling"
	wait "$sampler"
	echo "$(eval "$sample_cmd") $(slab_objects)" >> "$tmp/samples"
	awk '$1 > b { b = $1 } $2 > s { s = $2 } END { print b + 0, s + 0 }' "$tmp/samples"
}

# --- real flows ---------------------------------------------------------------

# Three UDP flows from 10.0.0.2:5001..5003 (flow k asks as "k"), and one TCP
# connection exchanging a line every second; every answer names an
# instance, logged in $tmp/udp and $tmp/tcp.
udp_flows_start()
{
	touch "$tmp/udp-run"
	(while [ -e "$tmp/udp-run" ]; do
		for k in 1 2 3; do
			echo "$k $(ask_udp 10.0.0.2 500$k "$SID4" 53)"
		done
		sleep 0.5
	done >> "$tmp/udp") &
	udp_pid=$!
	defer "rm -f $tmp/udp-run"
}
udp_flows_stop()
{
	rm -f "$tmp/udp-run"
	wait "$udp_pid"
}

# udp_flows_kept FROM: since line FROM of the log, each flow answered at
# least twice, always from the instance it first had.
udp_flows_kept()
{
	local k names ok=0

	for k in 1 2 3; do
		names=$(tail -n +"$1" "$tmp/udp" | awk -v k=$k '$1 == k { print $2 }' |
			sort | uniq -c | tr -s ' ' | tr '\n' ',')
		ktap_print_msg "flow $k, first on ${first[k]}: answers (count name) $names"
		[ "$(tail -n +"$1" "$tmp/udp" | awk -v k=$k '$1 == k' | wc -l)" -ge 2 ] &&
			[ "$(tail -n +"$1" "$tmp/udp" | awk -v k=$k '$1 == k { print $2 }' |
			     grep -cvx "${first[k]}")" = 0 ] || ok=1
	done
	return $ok
}

tcp_flow_start()
{
	ip netns exec "$C" bash -c '
		exec 3<>/dev/tcp/'"$SID4"'/7 || exit 1
		while :; do
			echo ping >&3
			read -r name _ <&3 || exit 1
			echo "$name"
			sleep 1
		done' > "$tmp/tcp" 2>/dev/null &
	tcp_pid=$!
	defer '[ -z "$tcp_pid" ] || kill "$tcp_pid"'
}

# tcp_flow_stop: close the connection (its sleep holds the socket for up
# to a second more).  The client's last ACK, unbound, is bound by hash
# while the service's hashed window is open.
tcp_flow_stop()
{
	kill "$tcp_pid" 2>/dev/null
	wait "$tcp_pid" 2>/dev/null
	tcp_pid=
	sleep 2
}

# tcp_flow_kept FROM: the connection answered at least twice since line
# FROM, always from its first instance, and still runs.
tcp_flow_kept()
{
	local tcp_first

	tcp_first=$(head -n 1 "$tmp/tcp")
	ktap_print_msg "TCP connection on ${tcp_first:-nothing}: answers since line $1:" \
		"$(tail -n +"$1" "$tmp/tcp" | sort | uniq -c | tr -s ' ' | tr '\n' ',')"
	kill -0 "$tcp_pid" 2>/dev/null && [ -n "$tcp_first" ] &&
		[ "$(tail -n +"$1" "$tmp/tcp" | wc -l)" -ge 2 ] &&
		[ "$(tail -n +"$1" "$tmp/tcp" | grep -cvx "$tcp_first")" = 0 ]
}

# near VALUE EXPECTED: VALUE within 2% (and 5) of EXPECTED
near()
{
	local d=$(( $1 - $2 ))

	[ ${d#-} -le $(( $2 / 50 + 5 )) ]
}

# flood N FIRST PORT: N new UDP flows to PORT of the service address, from
# 10.77.0.0/16, starting at flow FIRST; prints the milliseconds it took.
flood()
{
	local t0 t1

	t0=$(date +%s%N)
	ip netns exec "$C" "$flood" -q -n "$1" -o "$2" -s 10.77.0.0/16 "$SID4" "$3" ||
		return 1
	t1=$(date +%s%N)
	echo "$(( (t1 - t0) / 1000000 ))"
}

# --- 1. the limit of a service ------------------------------------------------

ktap_print_msg "[${SECONDS}s] 1. the limit of a service"

declare -a first
for k in 1 2 3; do
	first[k]=$(ask_udp 10.0.0.2 500$k "$SID4" 53)
done
udp_flows_start
tcp_flow_start
established()
{
	[ -n "${first[1]}" ] && [ -n "${first[2]}" ] && [ -n "${first[3]}" ] &&
		[ -s "$tmp/tcp" ] && svc_bindings_are 3
}
ktap_test_result "three UDP flows and a TCP connection established (${first[*]})" \
	busywait 5000 established

b0=$(svc_stat .bindings)
full0=$(svc_stat .stats[\"table-full\"])
slab0=$(slab_objects)
udp_from=$(( $(wc -l < "$tmp/udp") + 1 ))
tcp_from=$(( $(wc -l < "$tmp/tcp") + 1 ))
ktap_print_msg "before: $b0 bindings, table-full $full0, $slab0 slab objects"

sample_start "dc -j service show ${UDP[*]} | jq '.[0].bindings'"
ms=$(flood $FLOOD 0 9)
rc=$?
read -r peak slab_peak < <(sample_stop)
b1=$(svc_stat .bindings)
full1=$(svc_stat .stats[\"table-full\"])
excess=$(( FLOOD - (SVC_MAX - b0) ))
ktap_print_msg "flood of $FLOOD flows: ${ms:-failed} ms; bindings now $b1, at most $peak" \
	"seen; table-full +$(( full1 - full0 )) (excess $excess)"

ktap_test_result "service: the flood was sent" test $rc = 0
ktap_test_result "service: bindings stayed within max-bindings $SVC_MAX (now $b1, peak $peak)" \
	sh -c "[ $b1 = $SVC_MAX ] && [ ${peak:-0} -le $SVC_MAX ]"
ktap_test_result "service: table-full grew by about the excess" \
	near $(( full1 - full0 )) $excess
ktap_test_result "service: the slab of bindings stayed bounded ($slab0 -> $slab_peak objects)" \
	test $(( slab_peak - slab0 )) -le $(( SVC_MAX - b0 + MARGIN ))
sleep 2
ktap_test_result "service: the three UDP flows kept their instance" \
	udp_flows_kept "$udp_from"
udp_flows_stop
ktap_test_result "service: the TCP connection kept its instance" \
	tcp_flow_kept "$tcp_from"

expired0=$(net_stat expired)
ktap_print_msg "[${SECONDS}s] waiting for the bindings to expire"
ktap_test_result "service: the bindings expire once the flood stops" \
	slowwait $(( TIMEOUT + 10 )) svc_bindings_are 0
ktap_print_msg "bindings now $(svc_stat .bindings), expired +$(( $(net_stat expired) - expired0 )), slab objects $(slab_objects)"
ktap_test_result "service: the slab gives the objects back" \
	slowwait 5 slab_within $(( slab0 + MARGIN ))

ktap_print_msg "[${SECONDS}s] 1b. the limit of an IPv6 service"
UDP6=("$SID6" proto udp)
dc service add "${UDP6[@]}" mode tunnel max-bindings $(( SVC_MAX / 2 )) timeout $TIMEOUT \
	unconfirmed-timeout 0
for i in 1 2 3; do
	dc instance add "${UDP6[@]}" bid "$(bid6 "$i")"
done
full0=$(dc -s -j service show "${UDP6[@]}" | jq '.[0].stats["table-full"]')
ip netns exec "$C" "$flood" -q -n $(( FLOOD / 10 )) -s fd77::/64 "$SID6" 9
rc=$?
b1=$(dc -j service show "${UDP6[@]}" | jq '.[0].bindings')
full1=$(dc -s -j service show "${UDP6[@]}" | jq '.[0].stats["table-full"]')
ktap_print_msg "IPv6 flood of $(( FLOOD / 10 )) flows: bindings $b1, table-full +$(( full1 - full0 ))"
v6_limited()
{
	[ "$rc" = 0 ] && [ "$b1" = $(( SVC_MAX / 2 )) ] &&
		near $(( full1 - full0 )) $(( FLOOD / 10 - SVC_MAX / 2 ))
}
ktap_test_result "IPv6 service: bindings stayed within max-bindings $(( SVC_MAX / 2 )), table-full grew by the excess" \
	v6_limited
dc service del "${UDP6[@]}"

# --- 2. the limit of the namespace --------------------------------------------

ktap_print_msg "[${SECONDS}s] 2. the limit of the namespace"

# a longer timeout: the table must still be full when the flood is over
dc service set "${UDP[@]}" max-bindings 0 timeout $(( 2 * TIMEOUT ))
echo $NET_MAX > "$PARAM"
defer "echo 262144 > $PARAM"
for k in 1 2 3; do
	first[k]=$(ask_udp 10.0.0.2 500$k "$SID4" 53)
done
udp_flows_start
# the three UDP flows and the TCP connection
busywait 5000 net_bindings_are 4
b0=$(net_stat bindings)
full0=$(net_stat table-full)
notstart0=$(net_stat not-start)
slab0=$(slab_objects)
udp_from=$(( $(wc -l < "$tmp/udp") + 1 ))
tcp_from=$(( $(wc -l < "$tmp/tcp") + 1 ))
ktap_print_msg "before: $b0 bindings (max_bindings $(cat $PARAM)), table-full $full0, $slab0 slab objects"

sample_start "dc -j stats | jq '.bindings'"
ms=$(flood $FLOOD $FLOOD 9)
rc=$?
read -r peak slab1 < <(sample_stop)
b1=$(net_stat bindings)
full1=$(net_stat table-full)

# new demands while the table is full
new_tcp=$(ask_tcp 10.0.0.3 "$SID4" 7)
new_udp=$(ask_udp 10.0.0.3 6001 "$SID4" 53)
b2=$(net_stat bindings)
notstart1=$(net_stat not-start)
excess=$(( FLOOD - (NET_MAX - b0) ))
ktap_print_msg "flood of $FLOOD flows: ${ms:-failed} ms; bindings now $b1, at most $peak" \
	"seen; table-full +$(( full1 - full0 )) (excess $excess)"

ktap_test_result "namespace: the flood was sent" test $rc = 0
ktap_test_result "namespace: bindings stayed within max_bindings $NET_MAX (now $b1, peak $peak)" \
	sh -c "[ $b1 = $NET_MAX ] && [ ${peak:-0} -le $NET_MAX ]"
ktap_test_result "namespace: table-full grew by about the excess" \
	near $(( full1 - full0 )) $excess
ktap_test_result "namespace: the slab of bindings stayed bounded ($slab0 -> $slab1 objects)" \
	test $(( slab1 - slab0 )) -le $(( NET_MAX - b0 + MARGIN ))
# Tunnel mode drops a TCP segment that is neither a SYN nor bound
# ("not-start"); when the SYN could not be bound for want of room, that
# is every later segment of the connection.
ktap_print_msg "new TCP connection: answer ${new_tcp:-none}, not-start +$(( notstart1 - notstart0 ))," \
	"bindings $b1 before, $b2 after"
still_full()
{
	[ "$b1" = $NET_MAX ] && [ "$b2" = $NET_MAX ]
}
still_full && [ -z "$new_tcp" ] &&
	ktap_print_msg "known cause: kmod/hooks.c dc_hook() drops an unbound TCP segment that is" \
		"not a SYN before the stateless fallback of dc_binding_get_or_create()"
ktap_test_result "namespace: a new TCP connection is served while the table is full (${new_tcp:-no answer})" \
	eval 'still_full && [ -n "$new_tcp" ]'
ktap_test_result "namespace: a new UDP flow is served while the table is full (${new_udp:-no answer})" \
	eval 'still_full && [ -n "$new_udp" ]'
sleep 2
ktap_test_result "namespace: the three UDP flows kept their instance" \
	udp_flows_kept "$udp_from"
udp_flows_stop
ktap_test_result "namespace: the TCP connection kept its instance" \
	tcp_flow_kept "$tcp_from"

# A connection whose SYN found the table full, steered by hash, goes on
# for longer than its service's timeout (a service of its own, IPv6, 2 s,
# so that no earlier demand holds its window open; each segment steered
# so opens it again), and once the table has room: its next segment is
# bound to the instance the hash gives (it was dropped as "not-start").
# The table is made full by a limit of what it holds now.
TCP6=("$SID6" proto tcp port 7)
dc service add "${TCP6[@]}" mode tunnel timeout 2
for i in 1 2 3; do
	dc instance add "${TCP6[@]}" bid "$(bid6 "$i")"
done
echo "$(net_stat bindings)" > "$PARAM"
full0=$(net_stat table-full)
open_flow 60 "$SID6"
h1=$(talk)
full1=$(net_stat table-full)
sleep 1.5
h2=$(talk)
sleep 1.5
h3=$(talk)
echo 262144 > "$PARAM"
h4=$(talk)
h5=$(talk)
close_flow
dc service del "${TCP6[@]}"
ktap_print_msg "a connection made with the table full (table-full +$(( full1 - full0 ))):" \
	"answers ${h1:-none} ${h2:-none} ${h3:-none} over 3 s, then with room ${h4:-none} ${h5:-none}"
ktap_test_result "namespace: a connection made while the table was full goes on past the timeout and once it has room" \
	eval '[ $(( full1 - full0 )) -ge 1 ] && [ -n "$h1" ] && [ "$(count "$h1" "$h2" "$h3" "$h4" "$h5")" = 4 ]'
echo $NET_MAX > "$PARAM"
ktap_print_msg "[${SECONDS}s] waiting for the bindings to expire"
ktap_test_result "namespace: the bindings expire once the flood stops" \
	slowwait $(( 2 * TIMEOUT + 10 )) svc_bindings_are 0
ktap_print_msg "bindings now $(net_stat bindings), slab objects $(slab_objects)"

# --- 3. a dump of many bindings --------------------------------------------------

ktap_print_msg "[${SECONDS}s] 3. a dump of many bindings"

echo $(( 2 * DUMP_FLOWS )) > "$PARAM"
dc service set "${UDP[@]}" timeout 600
UDP9=("$SID4" proto udp port 9)
dc service add "${UDP9[@]}" mode tunnel timeout 600 unconfirmed-timeout 0
for i in 1 2 3; do
	dc instance add "${UDP9[@]}" bid "$(bid4 "$i")"
done
b0=$(net_stat bindings)
slab0=$(slab_objects)
mem0=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)
ms=$(flood $DUMP_FLOWS $(( 2 * FLOOD )) 9)
rc=$?
b1=$(net_stat bindings)
slab1=$(slab_objects)
mem1=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)
ktap_print_msg "flood of $DUMP_FLOWS flows: ${ms:-failed} ms; bindings $b0 -> $b1;" \
	"slab objects $slab0 -> $slab1; MemAvailable -$(( mem0 - mem1 )) kB," \
	"$(( (mem0 - mem1) * 1024 / DUMP_FLOWS )) B per binding in all"
ktap_test_result "dump: $DUMP_FLOWS new flows, as many new bindings" \
	test "$rc" = 0 -a "$b1" = $(( b0 + DUMP_FLOWS ))

t0=$(date +%s%N)
dc -j binding show > "$tmp/dump" 2> "$tmp/dump.err"
rc=$?
t1=$(date +%s%N)
n=$(jq length "$tmp/dump")
t2=$(date +%s%N)
# each flow once (by the text: jq takes long under emulation)
uniq=$(grep -o '"src":"[^"]*","sport":[0-9]*,"dport":[0-9]*' "$tmp/dump" | sort -u | wc -l)
b2=$(net_stat bindings)
ktap_print_msg "binding dump: exit $rc, $n bindings, $(stat -c %s "$tmp/dump") bytes of JSON," \
	"$(( (t1 - t0) / 1000000 )) ms (jq: $(( (t2 - t1) / 1000000 )) ms); counters: $b2 bindings"
[ -s "$tmp/dump.err" ] && ktap_print_msg "stderr: $(head -c 300 "$tmp/dump.err")"
ktap_test_result "dump: every binding, exactly as many as the counters say" \
	test "$rc" = 0 -a "$n" = "$b2" -a "$n" = "$b1"
ktap_test_result "dump: not interrupted" \
	sh -c "! grep -qi interrupted $tmp/dump.err"
ktap_test_result "dump: each binding once ($uniq different flows)" \
	test "$uniq" = "$n"

# --- 4. flushes -------------------------------------------------------------------

# The flush of one service among many bindings of another: the table
# keeps its size, so that a walk that loses its place is not saved by a
# resize starting it over.
ktap_print_msg "[${SECONDS}s] 4. flushing one service among others"
OTHER=$(( DUMP_FLOWS * 4 / 5 ))
ms=$(flood $OTHER $(( 2 * FLOOD + DUMP_FLOWS )) 19)
ktap_print_msg "flood of $OTHER flows to port 19: ${ms:-failed} ms; bindings now $(net_stat bindings)"
dc binding flush "${UDP9[@]}"
left=$(dc -j binding show "${UDP9[@]}" | jq length)
counted=$(dc -j service show "${UDP9[@]}" | jq '.[0].bindings')
ktap_print_msg "left of service ${UDP9[*]}: $counted counted, $left dumped:" \
	"$(dc -j binding show "${UDP9[@]}" | jq -c '.[:3] | map([.src, .sport, .dport, .bid])')"
other_kept()
{
	[ "$left" = 0 ] && [ "$counted" = 0 ] && [ "$(svc_stat .bindings)" = $OTHER ]
}
ktap_test_result "flush of one service: none of its bindings left, the others' kept" \
	other_kept

# The TCP connection of part 1 is closed first: its segments after the
# flush would be bound again while the service's hashed window (part 2)
# is open.
tcp_flow_stop
dc binding flush
flushed()
{
	[ "$(net_stat bindings)" = 0 ] && slab_within $(( slab0 + MARGIN ))
}
ktap_test_result "flush of all: no binding left, the slab gives the objects back" \
	slowwait 10 flushed
ktap_print_msg "bindings $(net_stat bindings), slab objects $(slab_objects)"
net_bindings_are 0 ||
	ktap_print_msg "left: $(dc -j binding show | jq -c '.[:3] | map([.src, .sport, .dport, .bid])')"
ktap_print_msg "the test took $SECONDS s"

ktap_finished

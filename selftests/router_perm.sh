#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Who may configure the D-Router, and who sees what (topology: topo.sh).
#
#  (a) A process without CAP_NET_ADMIN over the router's namespace, be it
#      "nobody" or root of a user namespace of its own, cannot add, change
#      or delete services and instances, nor delete, flush or even dump
#      bindings (they show clients): EPERM, and the CLI exits non-zero with
#      an error.  It can dump services and instances, and read the counters.
#  (b) A user namespace that owns a network namespace configures dyncast
#      there (GENL_UNS_ADMIN_PERM), and the service steers real traffic:
#
#      client ($C)                      a network namespace owned by
#                                       a new user namespace
#      c9 10.8.0.2/24 ----------------- r9 10.8.0.1/24
#                                       lo 10.8.1.2 (instance u1)
#
#  (c) Namespaces see nothing of each other: services, bindings, counters,
#      events.
#  (d) What configuring a namespace allocates is charged to the memory
#      cgroup of the process that configures it, per-CPU counters too.
#  (e) The bindings a service's traffic makes are charged to the memory
#      cgroup of the process that made the service, whose memory.max
#      bounds them: past it, new demands are steered by hash (table-full)
#      and the cgroup stays within its limit; a UDP flow of a rewrite-mode
#      service steered so keeps its conntrack entry (one demand, not one
#      per datagram).  Deleting the service gives the memory back.
#
# timeout=400

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

require_root
require_vm
require_cmd ip socat jq unshare setpriv nsenter
flood=$DYNCAST_BIN/udpflood

ktap_print_header
ktap_set_plan 50

dc_load || ktap_skip_all "cannot load the module"
topo_setup 3 || ktap_skip_all "cannot build the topology"
serve_all tcp 7 || ktap_skip_all "cannot start the servers"

dc service add "$SID4" proto tcp port 7 mode rewrite &&
	for i in 1 2 3; do
		dc instance add "$SID4" proto tcp port 7 bid "$(bid4 "$i")" || exit 1
	done || ktap_fail_all "cannot configure the service (dyncast service add)"
first=$(ask_tcp 10.0.0.2 "$SID4" 7)
ktap_print_msg "a connection from 10.0.0.2 went to $first"

# What the router holds, as JSON, to compare before and after.
snapshot()
{
	dc -j service show | jq -c 'map(del(.stats))'
	dc -j instance show | jq -c 'map(del(.stats, .["metrics-age"]))'
	dc -j binding show | jq -c 'map({src, sport, dport, bid})'
}
before=$(snapshot)

# --- (a) unprivileged -------------------------------------------------------

# userns_spawn NETNS [-n]: start a process in a new user namespace made by
# root (and, with -n, in a new network namespace that namespace owns), in
# network namespace NETNS ("" for this one); its pid in UNS_PID.  A process
# whose root is not the root of its mount namespace may not create a user
# namespace, and the test VM runs the tests chrooted: there the namespace
# is made from PID 1's root with its static busybox.
userns_spawn()
{
	local netns=() ours

	[ -n "$1" ] && netns=(nsenter --net="/run/netns/$1" --)
	shift
	if unshare -U -r true 2>/dev/null; then
		"${netns[@]}" unshare -U -r "$@" sleep 600 &
	elif [ -x /proc/1/root/bin/busybox ]; then
		"${netns[@]}" chroot /proc/1/root /bin/busybox unshare -r "$@" \
			/bin/busybox sleep 600 &
	else
		return 1
	fi
	UNS_PID=$!
	defer "kill $UNS_PID"
	ours=$(readlink /proc/self/ns/user)
	slowwait 5 sh -c "[ \"\$(readlink /proc/$UNS_PID/ns/user)\" != '$ours' ] &&
		grep -q . /proc/$UNS_PID/uid_map"
}

# as_nobody CMD...: run CMD in the router's namespace as uid/gid 65534,
# without any capability.
as_nobody()
{
	ip netns exec "$R" setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all --bounding-set=-all "$@"
}

# as_userns CMD...: run CMD in the router's namespace as root of a user
# namespace of its own, which owns nothing there.
as_userns()
{
	nsenter -t "$UNS_A" -U -n -- "$@"
}

userns_spawn "$R" || ktap_skip_all "cannot create a user namespace"
UNS_A=$UNS_PID
errf=$(mktemp)
defer "rm -f $errf"

# refused WHO ARGS...: "dyncast ARGS" run by WHO fails with EPERM, says so
# on stderr, and prints nothing on stdout.
refused()
{
	local who=$1 out err rc

	shift
	out=$("$who" "$DYNCAST" "$@" 2>"$errf")
	rc=$?
	err=$(cat "$errf")
	ktap_print_msg "$who: dyncast $*: exit $rc: $err"
	[ $rc -ne 0 ] && [ -z "$out" ] &&
		echo "$err" | grep -q "Error: .*Operation not permitted"
}

# allowed WHO JQ ARGS...: "dyncast -j ARGS" run by WHO succeeds and its
# output satisfies the jq expression JQ.
allowed()
{
	local who=$1 test=$2 out rc

	shift 2
	out=$("$who" "$DYNCAST" -j "$@")
	rc=$?
	ktap_print_msg "$who: dyncast -j $*: exit $rc: ${out:0:160}"
	[ $rc -eq 0 ] && echo "$out" | jq -e "$test" >/dev/null
}

for who in as_nobody as_userns; do
	ktap_test_result "$who: service add refused (EPERM)" \
		refused $who service add "$SID4" proto udp port 99
	ktap_test_result "$who: service set refused" \
		refused $who service set "$SID4" proto tcp port 7 timeout 10
	ktap_test_result "$who: service del refused" \
		refused $who service del "$SID4" proto tcp port 7
	ktap_test_result "$who: instance add refused" \
		refused $who instance add "$SID4" proto tcp port 7 bid 10.0.4.2
	ktap_test_result "$who: instance set refused" \
		refused $who instance set "$SID4" proto tcp port 7 bid "$(bid4 1)" weight 7
	ktap_test_result "$who: instance del refused" \
		refused $who instance del "$SID4" proto tcp port 7 bid "$(bid4 1)"
	ktap_test_result "$who: binding dump refused" \
		refused $who binding show
	ktap_test_result "$who: binding flush refused" \
		refused $who binding flush
	ktap_test_result "$who: binding del refused" \
		refused $who binding del "$SID4" proto tcp port 7 src 10.0.0.2 sport 1 dport 7
	ktap_test_result "$who: service dump allowed, shows the service" \
		allowed $who "length == 1 and .[0].sid == \"$SID4\"" service show
	ktap_test_result "$who: instance dump allowed, shows the 3 instances" \
		allowed $who "length == 3" instance show
	ktap_test_result "$who: counters allowed" \
		allowed $who ".services == 1 and .bindings >= 1" stats
done

after=$(snapshot)
ktap_test_result "(a) nothing changed: services, instances and bindings" \
	test "$before" = "$after"
again=$(ask_tcp 10.0.0.2 "$SID4" 7)
ktap_test_result "(a) the service still works (answer: ${again:-none})" \
	test -n "$again"

# --- (b) a user namespace owning a network namespace -------------------------

SID_U=10.98.0.1
# in_u CMD...: run CMD as root of that user namespace, in the network
# namespace it owns
in_u()
{
	nsenter -t "$UNS_B" -U -n -- "$@"
}

userns_setup()
{
	userns_spawn "" -n || return 1
	UNS_B=$UNS_PID
	# a name for it, for the plumbing done as real root
	U=u-$UNS_B
	ip netns attach "$U" "$UNS_B" || return 1
	defer "ip netns delete $U"
	ip link add c9 netns "$C" type veth peer name r9 netns "$UNS_B" || return 1
	ip -n "$C" addr add 10.8.0.2/24 dev c9
	ip -n "$C" link set c9 up
	ip -n "$C" route add "$SID_U/32" via 10.8.0.1
	ip -n "$U" link set lo up &&
		ip -n "$U" link set r9 up &&
		ip -n "$U" addr add 10.8.0.1/24 dev r9 &&
		ip -n "$U" addr add 10.8.1.2/32 dev lo || return 1
	serve_tcp "$U" u1 7
}

# dc_u ARGS...: the CLI as root of that user namespace.
dc_u()
{
	in_u "$DYNCAST" "$@"
}

# json_ok JQ CMD...: CMD succeeds and its JSON output satisfies JQ.
json_ok()
{
	local test=$1 out

	shift
	out=$("$@") || return 1
	echo "$out" | jq -e "$test" >/dev/null
}

flush_u()
{
	dc_u binding flush && json_ok '.bindings == 0' dc_u -j stats
}

if ! userns_setup; then
	for t in "user namespace set up" "service add" "instance add" \
		 "traffic steered" "binding dump" "binding flush" "service del"; do
		ktap_test_fail "(b) $t"
	done
else
	ktap_test_pass "(b) a user namespace owning a network namespace set up"
	ktap_test_result "(b) root of the user namespace adds a service there" \
		dc_u service add "$SID_U" proto tcp port 7 mode rewrite timeout 60
	ktap_test_result "(b) ... and an instance" \
		dc_u instance add "$SID_U" proto tcp port 7 bid 10.8.1.2
	ans=$(ask_tcp 10.8.0.2 "$SID_U" 7)
	ktap_test_result "(b) a connection to $SID_U reaches the instance (answer: ${ans:-none})" \
		test "$ans" = u1
	ktap_test_result "(b) ... which dumps the binding" \
		json_ok 'length == 1 and .[0].src == "10.8.0.2" and .[0].bid == "10.8.1.2"' \
		dc_u -j binding show
	ktap_test_result "(b) ... flushes the bindings" flush_u
	ktap_test_result "(b) ... and deletes the service" \
		dc_u service del "$SID_U" proto tcp port 7
	dc_u service add "$SID_U" proto tcp port 7 mode rewrite timeout 60
	dc_u instance add "$SID_U" proto tcp port 7 bid 10.8.1.2
fi

# --- (c) isolation ----------------------------------------------------------

setup_ns X || ktap_skip_all "cannot create a network namespace"
dx()
{
	ip netns exec "$X" "$DYNCAST" "$@"
}

ktap_test_result "(c) another namespace dumps no service" \
	json_ok 'length == 0' dx -j service show
x_empty()
{
	json_ok 'length == 0' dx -j binding show &&
		json_ok '.services == 0 and .bindings == 0' dx -j stats
}
ktap_test_result "(c) ... no binding, and counts none" x_empty

monf=$(mktemp)
defer "rm -f $monf"
dx -j monitor > "$monf" 2>&1 &
mon=$!
defer "kill $mon"
sleep 0.5
ktap_test_result "(c) the same service key can be added there" \
	dx service add "$SID4" proto tcp port 7 mode tunnel timeout 77
dc service add "$SID4" proto udp port 53 && dc service del "$SID4" proto udp port 53
dc instance set "$SID4" proto tcp port 7 bid "$(bid4 2)" cpu 10
sleep 1
kill $mon 2>/dev/null
wait $mon 2>/dev/null
ktap_print_msg "monitor in X: $(tr '\n' ' ' < "$monf")"
ktap_test_result "(c) a monitor there sees its own event, none of the router's" \
	test "$(grep -c . "$monf")" = 1 -a "$(grep -c '"timeout":77' "$monf")" = 1

ktap_test_result "(c) each namespace dumps only its own service" \
	json_ok 'length == 1 and .[0].timeout == 77 and .[0].mode == "tunnel"' dx -j service show
ktap_test_result "(c) ... the router too" \
	json_ok 'length == 1 and .[0].timeout == 300 and .[0].mode == "rewrite"' dc -j service show
if [ -n "${UNS_B:-}" ]; then
	ktap_test_result "(c) the user namespace's service is seen only there" \
		json_ok "length == 1 and .[0].sid == \"$SID_U\"" dc_u -j service show
else
	ktap_test_fail "(c) the user namespace's service is seen only there"
fi
nb=$(nr_bindings)
x_flush()
{
	dx binding flush && [ "$nb" -ge 1 ] && [ "$(nr_bindings)" = "$nb" ]
}
ktap_test_result "(c) a flush in the other namespace leaves the router's $nb bindings" \
	x_flush
ktap_test_result "(c) deleting it there leaves the router's service" \
	dx service del "$SID4" proto tcp port 7
again=$(ask_tcp 10.0.0.3 "$SID4" 7)
still_works()
{
	json_ok 'length == 1' dc -j service show && [ -n "$again" ]
}
ktap_test_result "(c) ... which still works (answer: ${again:-none})" still_works

# (d) 200 services with keys, made by a process in a memory cgroup of its
#     own: the cgroup pays for their per-CPU counters and their slab
#     objects (services, instance sets, keys).
CG=/sys/fs/cgroup
memcg_setup()
{
	grep -q "^[^ ]* $CG cgroup2 " /proc/mounts ||
		mount -t cgroup2 none "$CG" || return 1
	grep -qw memory "$CG/cgroup.controllers" &&
		echo +memory > "$CG/cgroup.subtree_control" &&
		mkdir -p "$CG/dc-perm"
}
memstat()
{
	awk -v k="$1" '$1 == k { print $2 }' "$CG/dc-perm/memory.stat"
}
if memcg_setup; then
	defer "rmdir $CG/dc-perm"
	batch=$(mktemp)
	defer "rm -f $batch"
	for i in $(seq 200); do
		echo "service add 10.77.$((i / 250)).$((i % 250 + 1)) proto udp port 53 mode tunnel key $(printf '%064x' "$i")"
	done > "$batch"
	p0=$(memstat percpu) s0=$(memstat slab)
	# (ip netns exec mounts a sysfs of its own: join the cgroup before)
	sh -c "echo \$\$ > $CG/dc-perm/cgroup.procs && exec ip netns exec $X $DYNCAST -batch $batch" ||
		ktap_print_msg "the batch failed"
	ktap_print_msg "X has $(dx -j service show | jq length) services; $(cat $CG/dc-perm/memory.current) bytes charged"
	# memory.stat is flushed every 2 s
	sleep 3
	p1=$(memstat percpu) s1=$(memstat slab)
	ktap_print_msg "200 services: the cgroup's percpu $p0 -> $p1, slab $s0 -> $s1 bytes"
	ktap_test_result "(d) 200 services: their per-CPU counters are charged to the cgroup that made them" \
		test "$((p1 - p0))" -ge $((200 * 128))
	ktap_test_result "(d) ... and their services and keys" \
		test "$((s1 - s0))" -ge $((200 * 1024))
else
	ktap_test_skip "(d) 200 services: their per-CPU counters are charged to the cgroup that made them (no cgroup2 memory controller)"
	ktap_test_skip "(d) ... and their services and keys (no cgroup2 memory controller)"
fi

# (e) A tunnel-mode service made by a process in the cgroup dc-bind;
#     flows from spoofed sources, a datagram each, make its bindings
#     (kept for the whole timeout: the test takes longer than the
#     unconfirmed timeout).
BSVC=(10.66.0.1 proto udp port 53)
RSVC=(10.66.0.2 proto udp port 53)
bmemstat()
{
	awk -v k="$1" '$1 == k { print $2 }' "$CG/dc-bind/memory.stat"
}
bsvc()		# bsvc JQ-PATH: of the service BSVC
{
	dc -s -j service show "${BSVC[@]}" | jq -r ".[0]$1"
}
if [ -d "$CG/dc-perm" ] && [ -x "$flood" ] && mkdir -p "$CG/dc-bind"; then
	defer "rmdir $CG/dc-bind"
	sh -c "echo \$\$ > $CG/dc-bind/cgroup.procs && exec ip netns exec $R $DYNCAST service add ${BSVC[*]} mode tunnel unconfirmed-timeout 0" ||
		ktap_print_msg "the service could not be added"
	dc instance add "${BSVC[@]}" bid "$(bid4 1)"
	sh -c "echo \$\$ > $CG/dc-bind/cgroup.procs && exec ip netns exec $R $DYNCAST service add ${RSVC[*]} mode rewrite" ||
		ktap_print_msg "the rewrite-mode service could not be added"
	dc instance add "${RSVC[@]}" bid "$(bid4 1)"
	sleep 3
	s0=$(bmemstat slab)
	# one CPU sends, and steers in the softirq of its sends: one CPU's
	# charge stock (below)
	ip netns exec "$C" taskset -c 0 "$flood" -q -n 4000 -s 10.78.0.0/16 10.66.0.1 53
	sleep 3
	s1=$(bmemstat slab)
	ktap_print_msg "4000 bindings ($(bsvc .bindings) held): the cgroup's slab $s0 -> $s1 bytes"
	ktap_test_result "(e) bindings are charged to the cgroup of the process that made their service" \
		test "$((s1 - s0))" -ge $((4000 * 48))

	# 256 KiB more than it holds.  Each CPU keeps up to 256 KiB charged
	# ahead (its stock, already in memory.current): bindings of 72 bytes
	# (the object and its cgroup's record) fill at most 256 KiB and two
	# stocks, 10 922, and 40 000 flows more leave at least 29 000 unbound.
	limit=$(( $(cat "$CG/dc-bind/memory.current") + 262144 ))
	echo "$limit" > "$CG/dc-bind/memory.max"
	full0=$(bsvc .stats[\"table-full\"])
	ip netns exec "$C" taskset -c 0 "$flood" -q -n 40000 -o 4000 -s 10.78.0.0/16 10.66.0.1 53
	nb=$(bsvc .bindings)
	full1=$(bsvc .stats[\"table-full\"])
	cur=$(cat "$CG/dc-bind/memory.current")
	ktap_print_msg "40000 flows more under memory.max $limit: $nb bindings held, table-full $full0 -> $full1, memory.current $cur, $(grep oom_kill "$CG/dc-bind/memory.events")"
	ktap_test_result "(e) past the cgroup's memory.max new demands are steered by hash, counted table-full" \
		test "$nb" -lt 20000 -a "$((full1 - full0))" -ge 20000 -a "$cur" -le "$limit"
	# five datagrams of one flow to the rewrite-mode service, from the
	# CPU whose charge stock the flood used up
	rstat()
	{
		dc -s -j service show "${RSVC[@]}" | jq -r ".[0].stats[\"$1\"]"
	}
	rd0=$(rstat demands) rf0=$(rstat table-full)
	ip netns exec "$C" taskset -c 0 python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.0.0.2", 5353))
for _ in range(5):
    s.sendto(b"x", ("10.66.0.2", 53))
    time.sleep(0.2)'
	rd1=$(rstat demands) rf1=$(rstat table-full)
	ktap_print_msg "a UDP flow of 5 datagrams to a rewrite-mode service past memory.max: demands +$((rd1 - rd0)), table-full +$((rf1 - rf0)), bindings $(dc -j service show "${RSVC[@]}" | jq '.[0].bindings')"
	ktap_test_result "(e) ... a rewrite-mode UDP flow steered so keeps its conntrack entry: one demand" \
		test "$((rd1 - rd0))" = 1 -a "$((rf1 - rf0))" = 1
	echo max > "$CG/dc-bind/memory.max"
	ip netns exec "$C" "$flood" -q -n 10 -o 50000 -s 10.78.0.0/16 10.66.0.1 53
	sleep 1
	nb2=$(bsvc .bindings)
	ktap_print_msg "without the limit, 10 flows more: $nb -> $nb2 bindings"
	ktap_test_result "(e) without the limit, the service binds new demands again" \
		test "$nb2" -ge $((nb + 10))
	dc service del "${BSVC[@]}"
	dc service del "${RSVC[@]}"
	sleep 3
	s2=$(bmemstat slab)
	ktap_print_msg "the service deleted: the cgroup's slab $s2 bytes (before its bindings: $s0)"
	ktap_test_result "(e) deleting the service gives the cgroup its memory back" \
		test "$s2" -le "$((s0 + 65536))"
else
	for t in "bindings are charged to the cgroup of the process that made their service" \
		 "past the cgroup's memory.max new demands are steered by hash, counted table-full" \
		 "... a rewrite-mode UDP flow steered so keeps its conntrack entry: one demand" \
		 "without the limit, the service binds new demands again" \
		 "deleting the service gives the cgroup its memory back"; do
		ktap_test_skip "(e) $t (no cgroup2 memory controller)"
	done
fi

ktap_finished

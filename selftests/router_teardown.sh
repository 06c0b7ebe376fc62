#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# D-Router teardown with traffic flowing (topology: topo.sh): deleting
# instances and services, deleting the router's namespace, and unloading
# the module, each while iperf3 streams and new UDP flows keep coming,
# leave nothing behind: no binding in the slab once the module is gone (a
# leak would also make kmem_cache_destroy() complain on the console, which
# fails the run).  TEARDOWN_ROUNDS times (default 2, 3 on a debug kernel).
#
# timeout=900

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

require_root
require_vm
require_cmd ip socat jq iperf3

rounds=${TEARDOWN_ROUNDS:-$(( TIME_FACTOR > 1 ? 3 : 2 ))}

ktap_print_header
ktap_set_plan $(( 8 * rounds ))

slab_objects()
{
	awk '$1 == "dc_binding" { print $2; found = 1 } END { if (!found) print 0 }' \
		/proc/slabinfo
}

# traffic: iperf3 TCP over IPv4 and IPv6 (rate-limited, so that the
# emulated CPUs keep time for the rest), and a stream of new UDP flows, all
# towards the services, in the background until stop_traffic.
TRAFFIC=()

traffic()
{
	ip netns exec "$C" iperf3 -c "$SID4" -p 5201 -b 20M -t 60 >/dev/null 2>&1 &
	TRAFFIC+=($!)
	ip netns exec "$C" iperf3 -c "$SID6" -p 5202 -b 20M -t 60 >/dev/null 2>&1 &
	TRAFFIC+=($!)
	ip netns exec "$C" bash -c "while :; do
			echo x > /dev/udp/$SID4/53; echo x > /dev/udp/$SID6/53
			sleep 0.01
		done" >/dev/null 2>&1 &
	TRAFFIC+=($!)
	defer "kill ${TRAFFIC[*]}"
}

stop_traffic()
{
	kill "${TRAFFIC[@]}" 2>/dev/null
	wait "${TRAFFIC[@]}" 2>/dev/null
	TRAFFIC=()
}

setup()
{
	local mode=$1 i

	topo_setup 3 || return 1
	tunnel_instances || return 1
	for i in 1 2 3; do
		ip netns exec "${INST[i]}" iperf3 -s -p 5201 -D || return 1
		ip netns exec "${INST[i]}" iperf3 -s -p 5202 -D || return 1
		defer "ip netns exec ${INST[i]} pkill iperf3"
	done
	serve_all udp 53 || return 1
	for sid in "$SID4" "$SID6"; do
		for svc in "tcp port 5201" "tcp port 5202" "udp port 53"; do
			dc service add "$sid" proto $svc mode "$mode" || return 1
		done
	done
	for i in 1 2 3; do
		for svc in "tcp port 5201" "tcp port 5202" "udp port 53"; do
			dc instance add "$SID4" proto $svc bid "$(bid4 $i)" 2>/dev/null
			dc instance add "$SID6" proto $svc bid "$(bid6 $i)" 2>/dev/null
		done
	done
	busywait 5000 iperf_ready
}

iperf_ready()
{
	local i

	for i in 1 2 3; do
		ip netns exec "${INST[i]}" ss -Hltn 'sport = :5201' | grep -q . || return 1
	done
}

r_gone()
{
	! ip -n "$C" link show c0 >/dev/null 2>&1 &&
		! ip -n "${INST[1]}" link show e0 >/dev/null 2>&1
}

has_bindings()
{
	[ "$(nr_bindings)" -gt 0 ]
}

for round in $(seq "$rounds"); do
for mode in rewrite tunnel; do
	echo "# round $round, $mode mode"
	dc_load || ktap_skip_all "cannot load the module"
	setup "$mode" || ktap_skip_all "cannot build the topology"
	traffic
	busywait 10000 has_bindings
	echo "# $mode: $(nr_bindings) bindings, $(slab_objects) in the slab"

	dc instance del "$SID4" proto udp port 53 bid "$(bid4 1)"
	dc instance del "$SID6" proto tcp port 5202 bid "$(bid6 2)"
	dc service del "$SID4" proto tcp port 5201
	sleep 2
	ktap_test_result "$mode: instances and services deleted under traffic" \
		test "$(dc -j service show | jq length)" = 5
	dc service add "$SID4" proto tcp port 5201 mode "$mode"
	dc instance add "$SID4" proto tcp port 5201 bid "$(bid4 3)"
	sleep 2

	# the router's namespace goes with all its state: once dismantled
	# (no reference left), its ends of the veth pairs go, and their peers
	# in the client's and the instances' namespaces with them
	cleanup_ns "$R"
	ktap_test_result "$mode: router namespace deleted under traffic" \
		busywait $(( 10000 * TIME_FACTOR )) r_gone

	# a new router, and the module unloaded under its traffic
	stop_traffic
	cleanup_all_ns
	setup "$mode" || ktap_skip_all "cannot build the topology"
	traffic
	busywait 10000 has_bindings
	echo "# $mode: $(nr_bindings) bindings before rmmod"
	ktap_test_result "$mode: module unloaded under traffic" dc_unload
	ktap_test_result "$mode: no binding left in the slab" \
		test "$(slab_objects)" = 0
	stop_traffic
	cleanup_all_ns
done
done

ktap_finished

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# D-Router, the size of a binding and its counters (topology: topo.sh).
# A binding takes 64 bytes for IPv4 and 80 for IPv6 in slab caches of its
# own (the VM boots with slub_nomerge), 16 more when its service asks for
# per-binding counters ("counters on").  Without them "binding show" has
# no packets or bytes; with them, the exact counts of the flow's packets
# (IP length, as the router received them).  Bindings made before the
# setting changed keep what they had.  IPv6 bindings keep the whole client
# address, IPv4 ones only four bytes of it.
#
# timeout=300

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

require_root
require_vm
require_cmd ip socat jq

ktap_print_header
ktap_set_plan 5

dc_load || ktap_skip_all "cannot load the module"
topo_setup 2 || ktap_skip_all "cannot build the topology"
serve_all udp 53 || ktap_skip_all "cannot start the servers"

object_size()
{
	cat "/sys/kernel/slab/$1/object_size" 2>/dev/null || echo none
}

sizes="$(object_size dc_binding) $(object_size dc_binding6)"
sizes+=" $(object_size dc_binding_ctr) $(object_size dc_binding6_ctr)"
ktap_print_msg "object sizes: dc_binding, dc_binding6, with counters: $sizes"
ktap_test_result "a binding takes 64 bytes (IPv4), 80 (IPv6), 16 more with counters" \
	test "$sizes" = "64 80 80 96"

dc service add "$SID4" proto udp port 53
dc instance add "$SID4" proto udp port 53 bid "$(bid4 1)" bid "$(bid4 2)"
dc service add "$SID6" proto udp port 53
dc instance add "$SID6" proto udp port 53 bid "$(bid6 1)" bid "$(bid6 2)"

# flow SID SRC SPORT: three datagrams of one flow, answered
flow()
{
	local _ a

	for _ in 1 2 3; do
		a=$(ask_udp "$2" "$3" "$1" 53)
		[ -n "$a" ] || return 1
	done
}

# binding SRC SPORT: the binding of the flow from SRC:SPORT, JSON
binding()
{
	dc -j binding show | jq -c ".[] | select(.src == \"$1\" and .sport == $2)"
}

flow "$SID4" 10.0.0.2 5001 && flow "$SID6" fd00::2 5001 ||
	ktap_print_msg "a flow was not answered"
b4=$(binding 10.0.0.2 5001)
b6=$(binding fd00::2 5001)
ktap_print_msg "without counters: $b4 $b6"
ktap_test_result "without counters, bindings show no packets or bytes" \
	test -n "$b4" -a -n "$b6" -a \
	"$(jq -s '[.[] | has("packets") or has("bytes")] | any' <<<"$b4$b6")" = false

dc service set "$SID4" proto udp port 53 counters on
dc service set "$SID6" proto udp port 53 counters on
flow "$SID4" 10.0.0.2 5002 && flow "$SID6" fd00::2 5002 ||
	ktap_print_msg "a flow was not answered"
# one more datagram on each old flow: they still count nothing
flow "$SID4" 10.0.0.2 5001 && flow "$SID6" fd00::2 5001 ||
	ktap_print_msg "a flow was not answered"
c4=$(binding 10.0.0.2 5002)
c6=$(binding fd00::2 5002)
b4=$(binding 10.0.0.2 5001)
b6=$(binding fd00::2 5001)
ktap_print_msg "with counters: $c4 $c6; made before: $b4 $b6"
# "hello\n": 6 bytes, UDP 8, IPv4 20, IPv6 40
ktap_test_result "with counters, the exact packets and bytes of each flow" \
	test "$(jq -r '"\(.packets) \(.bytes)"' <<<"$c4")" = "3 102" -a \
	"$(jq -r '"\(.packets) \(.bytes)"' <<<"$c6")" = "3 162"
ktap_test_result "bindings made before keep no counters" \
	test -n "$b4" -a -n "$b6" -a \
	"$(jq -s '[.[] | has("packets")] | any' <<<"$b4$b6")" = false

# Two clients whose IPv6 addresses differ only past the first four bytes
# of the key, and IPv4 ones: each keeps a binding of its own.
flow "$SID6" fd00::3 5003 && flow "$SID4" 10.0.0.3 5003 ||
	ktap_print_msg "a flow was not answered"
srcs=$(dc -j binding show | jq -r '[.[].src] | sort | unique | join(" ")')
ktap_print_msg "clients bound: $srcs"
ktap_test_result "bindings keep the whole client address, each family its own" \
	test "$srcs" = "10.0.0.2 10.0.0.3 fd00::2 fd00::3" -a \
	"$(dc -j -d service show | jq -r '[.[].counters] | join(" ")')" = "on on"

ktap_finished

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# D-Router, tunnel mode: the route to each instance is cached per CPU, and
# the outer packets are not tracked (topology: topo.sh).
#  - A route change takes effect on the next packet: a flow bound to
#    instance 1 whose D-BID is routed elsewhere (to instance 2's link,
#    where it dies) is no longer answered, and is again once the route is
#    gone; IPv4 and IPv6.
#  - With conntrack on in the router (a "ct state" rule), the outer
#    packets leave no conntrack entry.
#
# timeout=300

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

require_root
require_vm
require_cmd ip socat nft conntrack

ktap_print_header
ktap_set_plan 4

dc_load || ktap_skip_all "cannot load the module"
topo_setup 2 || ktap_skip_all "cannot build the topology"
tunnel_instances || ktap_skip_all "no ipip or ip6_tunnel module"
for i in 1 2; do
	serve_udp "${INST[i]}" "i$i" 53 "$SID4" &&
		serve_udp "${INST[i]}" "i$i" 54 "$SID6"
done || ktap_skip_all "cannot start the servers"

# conntrack on in the router, for the last check
ip netns exec "$R" nft -f - <<-EOF || ktap_skip_all "cannot load the nft rule"
	table inet t {
		chain out {
			type filter hook output priority filter;
			ct state invalid counter
		}
	}
EOF

dc service add "$SID4" proto udp port 53 mode tunnel
dc instance add "$SID4" proto udp port 53 bid "$(bid4 1)"
dc service add "$SID6" proto udp port 54 mode tunnel
dc instance add "$SID6" proto udp port 54 bid "$(bid6 1)"

# answer SRC SID PORT: the instance answering a datagram of the flow from
# SRC port 5000
answer()
{
	ask_udp "$1" 5000 "$2" "$3"
}

check_route()
{
	local fam=$1 src=$2 sid=$3 port=$4 bid=$5 via=$6 a b c

	a=$(answer "$src" "$sid" "$port")
	ip -n "$R" "-$fam" route add "$bid" via "$via"
	b=$(answer "$src" "$sid" "$port")
	ip -n "$R" "-$fam" route del "$bid" via "$via"
	c=$(answer "$src" "$sid" "$port")
	ktap_print_msg "IPv$fam: '$a', routed to instance 2's link: '$b', route gone: '$c'"
	[ "$a" = i1 ] && [ -z "$b" ] && [ "$c" = i1 ]
}

ktap_test_result "IPv4: a route change takes effect on the next packet" \
	check_route 4 10.0.0.2 "$SID4" 53 "$(bid4 1)/32" "$(bid4 2)"
ktap_test_result "IPv6: a route change takes effect on the next packet" \
	check_route 6 fd00::2 "$SID6" 54 "$(bid6 1)/128" "$(bid6 2)"

outer=$(ip netns exec "$R" conntrack -L 2>/dev/null |
	grep -c -e "src=10.0.1.1 dst=10.0.1.2" -e "src=fd01::1 dst=fd01::2")
inner=$(ip netns exec "$R" conntrack -L 2>/dev/null | grep -c "src=10.99.0.1 dst=10.0.0.2")
ktap_print_msg "conntrack entries: outer packets $outer, replies forwarded $inner"
ktap_test_result "outer packets leave no conntrack entry" test "$outer" = 0
ktap_test_result "conntrack is on (the replies forwarded are tracked)" \
	test "$inner" -ge 1

ktap_finished

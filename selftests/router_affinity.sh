#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# D-Router, instance affinity per service (topology: topo.sh): the flow
# identifier is the 5-tuple, the 3-tuple (every flow of a client to one
# instance) or a source prefix (a whole subnet to one instance); a binding
# idle for longer than the service's timeout expires, and the flow's next
# packet is a new demand.
#
# timeout=600

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

require_root
require_vm
require_cmd ip socat jq

ktap_print_header
ktap_set_plan 12

dc_load || ktap_skip_all "cannot load the module"
topo_setup 3 || ktap_skip_all "cannot build the topology"
serve_all tcp 7 && serve_all udp 53 || ktap_skip_all "cannot start the servers"

# same SID SRC N: N connections from SRC; prints the instance if all agree
same()
{
	local sid=$1 src=$2 n=$3 first="" name i

	for i in $(seq "$n"); do
		name=$(ask_tcp "$src" "$sid" 7)
		[ -n "$name" ] || return 1
		[ -z "$first" ] && first=$name
		[ "$name" = "$first" ] || { echo "mixed"; return 1; }
	done
	echo "$first"
}

# pinned SID SRC1 SRC2 SAME: all flows of each source stay on one instance;
# the two sources share it if SAME is "same", else they differ.
pinned()
{
	local a b

	a=$(same "$1" "$2" 4) || { echo "# $2 not pinned"; return 1; }
	b=$(same "$1" "$3" 4) || { echo "# $3 not pinned"; return 1; }
	echo "# $2 -> $a, $3 -> $b"
	if [ "$4" = same ]; then
		[ "$a" = "$b" ]
	else
		[ "$a" != "$b" ]
	fi
}

# expiry SID: a UDP flow keeps its instance within the timeout (4 s; one
# ask takes 2 s) and, idle for longer, is a new demand; with round robin it
# lands elsewhere.
expiry()
{
	local sid=$1 src=$2 a b c

	a=$(ask_udp "$src" 5000 "$sid" 53)
	b=$(ask_udp "$src" 5000 "$sid" 53)
	sleep 5
	c=$(ask_udp "$src" 5000 "$sid" 53)
	echo "# $a, then $b, after 5 s idle $c"
	[ -n "$a" ] && [ "$a" = "$b" ] && [ -n "$c" ] && [ "$c" != "$b" ]
}

expires_field()
{
	local e

	e=$(dc -j binding show "$1" proto udp port 53 | jq '.[0].expires')
	echo "# expires in $e ms"
	[ "$e" -gt 0 ] && [ "$e" -le 4000 ]
}

for fam in 4 6; do
	if [ $fam = 4 ]; then
		sid=$SID4; bidf=bid4; a=10.0.0.2; b=10.0.0.3; other=10.0.7.2
		plen=24
	else
		sid=$SID6; bidf=bid6; a=fd00::2; b=fd00::3; other=fd07::2
		plen=64
	fi
	dc service add "$sid" proto tcp port 7 affinity 3tuple
	dc service add "$sid" proto udp port 53 affinity 5tuple timeout 4
	for i in 1 2 3; do
		dc instance add "$sid" proto tcp port 7 bid "$($bidf $i)"
		dc instance add "$sid" proto udp port 53 bid "$($bidf $i)"
	done

	ktap_test_result "IPv$fam 3tuple: all flows of a client on one instance, two clients apart" \
		pinned "$sid" "$a" "$b" differ
	ktap_test_result "IPv$fam 3tuple: one binding per client" \
		test "$(dc -j binding show "$sid" proto tcp port 7 | jq length)" = 2

	dc service set "$sid" proto tcp port 7 affinity 3tuple src-prefix $plen
	ktap_test_result "IPv$fam src-prefix $plen: a whole subnet on one instance" \
		pinned "$sid" "$a" "$b" same
	ktap_test_result "IPv$fam src-prefix $plen: another subnet elsewhere" \
		pinned "$sid" "$a" "$other" differ

	ask_udp "$a" 4000 "$sid" 53 >/dev/null
	ktap_test_result "IPv$fam timeout: the binding shows when it expires" \
		expires_field "$sid"
	ktap_test_result "IPv$fam timeout: an idle flow is a new demand after 4 s" \
		expiry "$sid" "$a"
done

ktap_finished

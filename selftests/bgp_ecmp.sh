#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A BGP router without dyncast splits a service's traffic by the
# capacities dyncastd announces.  A D-MA at a site announces two instances
# of one D-SID through its ExaBGP: bid21, capacity 300; bid31, 200.  An
# unmodified FRR (bgpd and zebra, "maximum-paths ibgp") in the load
# balancer's namespace receives both paths (ADD-PATH, TCP-MD5) with their
# Link Bandwidth communities:
#  - its kernel route to the D-SID has both D-BIDs as next hops, weighted
#    3 to 2;
#  - the same for an IPv6 D-SID with two IPv6 D-BIDs, over the same IPv4
#    session;
#  - a capacity reported at the site moves the weights: bid31 now 600,
#    1 to 2;
#  - bid31 reported down: the route has bid21 alone.
#
# timeout=300

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/bgp_lib.sh"

ZEBRA=${ZEBRA:-/usr/lib/frr/zebra}
DYNCASTD=${DYNCASTD:-$DYNCAST_TOP/userspace/dyncastd/dyncastd}

require_root
require_vm
require_cmd ip jq socat vtysh

ktap_print_header
ktap_set_plan 4

{ bgp_have && [ -x "$ZEBRA" ]; } || ktap_skip_all "ExaBGP or FRR is not installed"
[ -x "$DYNCASTD" ] || ktap_skip_all "dyncastd not built: $DYNCASTD"

ASN=64512
PW=dyncast-ecmp-test
SID=203.0.113.1
SID6=2001:db8:ff::1
D=$(mktemp -d /tmp/bgp_ecmp.XXXXXX)
defer "rm -rf $D"

setup_ns SITE LB || ktap_skip_all "cannot make the namespaces"
veth_pair "$SITE" s0 "$LB" l0 || ktap_skip_all "cannot make the veth pair"
for a in 198.18.0.2/24 198.19.2.21/24 198.19.3.31/24; do
	ip -n "$SITE" addr add $a dev s0
done
for a in 198.18.0.1/24 198.19.2.1/24 198.19.3.1/24; do
	ip -n "$LB" addr add $a dev l0
done
for a in 2001:db8:2::21/64 2001:db8:3::31/64; do
	ip -n "$SITE" addr add $a dev s0 nodad
done
for a in 2001:db8:2::1/64 2001:db8:3::1/64; do
	ip -n "$LB" addr add $a dev l0 nodad
done

# --- the site: dyncastd's D-MA and its ExaBGP -------------------------------

cat > "$D/dma.conf" <<-EOC
	[agent]
	id = 0.0.0.3
	key = $("$DYNCASTD" --genkey)
	control = @dyncastd
	report = $D/report.sock
	interval = 1s
	min-interval = 200ms
	collect-interval = 500ms
	report-ttl = 10m

	[bgp]
	socket = $D/bgp.sock
	asn = $ASN

	[instance bid21]
	sid = $SID
	proto = tcp
	port = 80
	bid = 198.19.2.21
	capacity = 300

	[instance bid31]
	sid = $SID
	proto = tcp
	port = 80
	bid = 198.19.3.31
	capacity = 200

	[instance bid6a]
	sid = $SID6
	proto = tcp
	port = 80
	bid = 2001:db8:2::21
	capacity = 300

	[instance bid6b]
	sid = $SID6
	proto = tcp
	port = 80
	bid = 2001:db8:3::31
	capacity = 200
EOC
ip netns exec "$SITE" "$DYNCASTD" -f -d -c "$D/dma.conf" >> "$D/dma.log" 2>&1 &
dma=$!
defer "kill $dma; wait $dma"
bgp_exabgp_conf 198.18.0.2 198.18.0.1 $ASN "$PW" 9 "$D/bgp.sock" 4s \
	> "$D/exabgp.conf"
bgp_speaker_start site "$SITE" "$D/exabgp.conf" "$D/exabgp.log"

# --- the load balancer: FRR, bgpd and zebra ---------------------------------

cat > "$D/bgpd.conf" <<-EOC
	frr defaults traditional
	hostname lb
	log file $D/bgpd.log informational
	!
	router bgp $ASN
	 bgp router-id 198.18.0.1
	 no bgp default ipv4-unicast
	 neighbor 198.18.0.2 remote-as internal
	 neighbor 198.18.0.2 password $PW
	 neighbor 198.18.0.2 timers 3 9
	 address-family ipv4 unicast
	  neighbor 198.18.0.2 activate
	  maximum-paths ibgp 4
	 exit-address-family
	 address-family ipv6 unicast
	  neighbor 198.18.0.2 activate
	  maximum-paths ibgp 4
	 exit-address-family
	!
EOC
: > "$D/zebra.conf"
# zebra runs as FRR's user (it has no -S): its files in $D
chown frr:frr "$D" 2>/dev/null
ip netns exec "$LB" "$ZEBRA" -d -f "$D/zebra.conf" \
	-i "$D/zebra.pid" --vty_socket "$D" -z "$D/zserv.api" -P 0 \
	>> "$D/frr.out" 2>&1 ||
	{ sed 's/^/# /' "$D/frr.out"; ktap_skip_all "cannot start FRR's zebra"; }
defer "bgp_stop_pidfile $D/zebra.pid"
busywait 10000 test -S "$D/zserv.api"
ip netns exec "$LB" "$BGPD" -d -S -f "$D/bgpd.conf" \
	-i "$D/bgpd.pid" --vty_socket "$D" -z "$D/zserv.api" -P 0 \
	>> "$D/frr.out" 2>&1 ||
	{ sed 's/^/# /' "$D/frr.out"; ktap_skip_all "cannot start FRR's bgpd"; }
defer "bgp_stop_pidfile $D/bgpd.pid"

# nexthops [PREFIX]: "VIA WEIGHT " for each next hop of the LB's kernel
# route to PREFIX (the D-SID), in order; zebra installs a nexthop group
# (nhid) where the kernel has them
nexthops()
{
	local r nh id w p=${1:-$SID/32} f=-4

	[[ $p != *:* ]] || f=-6
	r=$(ip -n "$LB" -j $f route show "$p")
	nh=$(jq -r '.[0].nhid // empty' <<< "$r")
	if [ -z "$nh" ]; then
		jq -r '.[0] | if .multipath then .multipath[] else . end |
		       "\(.gateway) \(.weight // 1)"' <<< "$r" | sort | tr '\n' ' '
		return
	fi
	ip -n "$LB" -j nexthop show id "$nh" |
		jq -r '.[0] | if .group then .group[] | "\(.id) \(.weight // 1)"
			      else "\(.id) 1" end' |
		while read -r id w; do
			echo "$(ip -n "$LB" -j nexthop show id "$id" |
				jq -r '.[0].gateway') $w"
		done | sort | tr '\n' ' '
}

# weights_are W21 W31 [PREFIX A B]: bid21 and bid31 (or next hops A and
# B of PREFIX) weighted in that ratio (FRR scales them to 1..100), or
# bid31 absent for W31 = 0
weights_are()
{
	local n a=${4:-198.19.2.21} b=${5:-198.19.3.31}

	n=$(nexthops "${3:-}")
	if [ "$2" = 0 ]; then
		[ "$n" = "$a 1 " ]
		return
	fi
	# shellcheck disable=SC2086 # one word per field
	set -- "$1" "$2" $n
	[ $# = 6 ] && [ "$3" = "$a" ] && [ "$5" = "$b" ] &&
		[ $(( $4 * $2 )) -ge $(( $6 * $1 * 95 / 100 )) ] &&
		[ $(( $4 * $2 )) -le $(( $6 * $1 * 105 / 100 )) ]
}

logs()
{
	echo "# --- dyncastd"; tail -n 10 "$D/dma.log" | sed 's/^/#   /'
	echo "# --- ExaBGP"; grep -v '^$' "$D/exabgp.log" | tail -n 10 | sed 's/^/#   /'
	echo "# --- FRR"
	vtysh --vty_socket "$D" -c "show bgp ipv4 unicast $SID/32" | sed 's/^/#   /'
	vtysh --vty_socket "$D" -c "show bgp ipv6 unicast $SID6/128" | sed 's/^/#   /'
	tail -n 10 "$D/bgpd.log" | sed 's/^/#   /'
}

slowwait 60 weights_are 3 2
echo "# capacities 300 and 200: $(nexthops)"
weights_are 3 2 || logs
ktap_test_result "FRR's route to the D-SID: both D-BIDs, weighted 3 to 2 by their capacities" \
	weights_are 3 2

V6=("$SID6/128" 2001:db8:2::21 2001:db8:3::31)
slowwait 20 weights_are 3 2 "${V6[@]}"
echo "# IPv6, capacities 300 and 200: $(nexthops "$SID6/128")"
weights_are 3 2 "${V6[@]}" || logs
ktap_test_result "IPv6: FRR's route to the D-SID, both D-BIDs weighted 3 to 2" \
	weights_are 3 2 "${V6[@]}"

echo "bid31 capacity 600" | socat - "UNIX-SENDTO:$D/report.sock"
slowwait 20 weights_are 1 2
echo "# bid31 reported at 600: $(nexthops)"
weights_are 1 2 || logs
ktap_test_result "a capacity reported at the site moves FRR's weights: 1 to 2" \
	weights_are 1 2

echo "bid31 state down" | socat - "UNIX-SENDTO:$D/report.sock"
slowwait 20 weights_are 1 0
echo "# bid31 reported down: $(nexthops)"
weights_are 1 0 || logs
ktap_test_result "bid31 down: FRR's route has bid21 alone" weights_are 1 0

ktap_finished

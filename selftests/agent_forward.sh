#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Forwarder services configured in dyncastd.  A D-Forwarder F in front of
# the D-Router R (topo.sh's R, instance i1 in tunnel mode):
#
#   CF 10.5.0.2 --- F 10.5.0.1 | 10.1.0.2 --- 10.1.0.1 R --- i1 10.0.1.2
#
#  - R's dyncastd makes the service with its key and key id, and its local
#    instance; F's makes the forwarder service: mode forward, router R,
#    the key derived for F (dyncast derivekey); the kernels show them so;
#  - a connection from CF reaches i1: F sent the miss, R steered it, F
#    learnt the binding;
#  - -T shows neither key; F's service goes when its dyncastd stops.
#
# timeout=300

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

require_root
require_vm
require_cmd ip jq socat

DYNCASTD=${DYNCASTD:-$DYNCAST_TOP/userspace/dyncastd/dyncastd}
PORT=7
RKEY=00112233445566778899aabbccddeeff0123456789abcdef0123456789abcdef

ktap_print_header
ktap_set_plan 5

[ -x "$DYNCASTD" ] || ktap_skip_all "dyncastd not built: $DYNCASTD"
dc_load || ktap_skip_all "cannot load the module"
topo_setup 1 || ktap_skip_all "cannot build the topology"
tunnel_instances || ktap_skip_all "no ipip module"
F=''
CF=''
setup_ns F CF || ktap_skip_all "cannot create a netns"
veth_pair "$F" f1 "$R" r9 && veth_pair "$CF" c0 "$F" f0 ||
	ktap_skip_all "cannot create a veth pair"
ip -n "$F" addr add 10.1.0.2/24 dev f1
ip -n "$F" addr add 10.5.0.1/24 dev f0
ip -n "$F" route add default via 10.1.0.1
ip -n "$R" addr add 10.1.0.1/24 dev r9
ip -n "$R" route add 10.5.0.0/24 via 10.1.0.2
ip -n "$CF" addr add 10.5.0.2/24 dev c0
ip -n "$CF" route add default via 10.5.0.1
ip netns exec "$F" sysctl -qw net.ipv4.ip_forward=1
serve_tcp "${INST[1]}" i1 $PORT || ktap_skip_all "cannot start the server"

D=$(mktemp -d /tmp/dyncast-forward.XXXXXX) || ktap_skip_all "no temporary directory"
defer "rm -rf $D"
AKEY=$("$DYNCASTD" --genkey)
FKEY=$(echo "$RKEY" | "$DYNCAST" derivekey 10.1.0.2)
echo "$RKEY" > "$D/r.key"
chmod 0600 "$D/r.key"

cat > "$D/r.conf" <<-EOF
	[agent]
	key = $AKEY
	listen = 127.0.0.1:4976
	control = $D/r.ctl
	[router]
	[service web]
	sid = $SID4
	proto = tcp
	port = $PORT
	mode = tunnel
	policy = weighted
	key-file = $D/r.key
	key-id = 3
	[instance i1]
	sid = $SID4
	proto = tcp
	port = $PORT
	bid = $(bid4 1)
EOF
cat > "$D/f.conf" <<-EOF
	[agent]
	key = $AKEY
	listen = 127.0.0.1:4977
	control = $D/f.ctl
	[router]
	[service web]
	sid = $SID4
	proto = tcp
	port = $PORT
	mode = forward
	router = 10.1.0.1
	key = $FKEY
	key-id = 3
EOF

ip netns exec "$R" "$DYNCASTD" -f -c "$D/r.conf" > "$D/r.log" 2>&1 &
defer "kill $! 2>/dev/null"
ip netns exec "$F" "$DYNCASTD" -f -c "$D/f.conf" > "$D/f.log" 2>&1 &
FPID=$!
defer "kill $FPID 2>/dev/null"

svc()
{
	ip netns exec "$1" "$DYNCAST" -j service show $SID4 proto tcp port $PORT 2>/dev/null
}
made()
{
	svc "$R" | jq -e '.[0].mode == "tunnel" and .[0].keyed == true and .[0]["key-id"] == 3' >/dev/null &&
	svc "$F" | jq -e '.[0].mode == "forward" and .[0].router == "10.1.0.1" and .[0].keyed == true and .[0]["key-id"] == 3' >/dev/null &&
	[ "$(dc -j instance show $SID4 proto tcp port $PORT | jq -r '.[0].bid')" = "$(bid4 1)" ]
}
slowwait 20 made
echo "# R: $(svc "$R" | jq -c '.[0] | {mode, keyed, "key-id"}')"
echo "# F: $(svc "$F" | jq -c '.[0] | {mode, router, keyed, "key-id"}')"
ktap_test_result "R's service with its key and instance, F's forwarder service, as configured" made

ask()
{
	echo hello | ip netns exec "$CF" socat -t "$(( 5 * TIME_FACTOR ))" \
		-T "$(( 5 * TIME_FACTOR ))" - "TCP:$SID4:$PORT" 2>/dev/null |
		awk '{ print $1; exit }'
}
got=$(ask)
misses=$(dc -j stats | jq -r '.misses')
learnt=$(ip netns exec "$F" "$DYNCAST" -j binding show $SID4 proto tcp port $PORT | jq length)
echo "# answer: ${got:-none}; misses steered by R: $misses; bindings on F: $learnt"
ktap_test_result "a connection through F reaches i1: a miss steered by R, a binding learnt by F" \
	eval "[ '$got' = i1 ] && [ '$misses' -ge 1 ] && [ '$learnt' -ge 1 ]"

ip netns exec "$F" "$DYNCASTD" -T -c "$D/f.conf" > "$D/f.T" 2>&1
sed -n '/^\[service web\]/,$p' "$D/f.T" | sed 's/^/# /'
ktap_test_result "-T shows neither key" \
	eval "grep -q '^# key: given, not shown' $D/f.T && ! grep -q '$FKEY' $D/f.T &&
	      ip netns exec $R $DYNCASTD -T -c $D/r.conf | grep -q '^key-file = $D/r.key' &&
	      ! ip netns exec $R $DYNCASTD -T -c $D/r.conf | grep -q '$RKEY'"

# announcements of the service do not go into a forwarder service
ktap_test_result "F's dyncastd pushes no instance into its forwarder service" \
	eval "[ \"\$(ip netns exec $F $DYNCAST -j instance show $SID4 proto tcp port $PORT | jq '[.[] | select(.learned != true)] | length')\" = 0 ]"

kill "$FPID"
gone()
{
	ip netns exec "$F" "$DYNCAST" service show $SID4 proto tcp port $PORT >/dev/null 2>&1
	[ $? = 3 ]	# not found
}
ktap_test_result "F's service goes when its dyncastd stops" slowwait 10 gone
sed 's/^/# F: /' "$D/f.log" | tail -n 5

ktap_finished

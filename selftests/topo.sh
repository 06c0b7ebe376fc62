# SPDX-License-Identifier: GPL-2.0
#
# The topology of the D-Router selftests, sourced after lib.sh.
#
#     client ($C)              router ($R)                 instances ($I1..)
#  +----------------+     +--------------------+     +---------------------+
#  | c0 10.0.0.2/24 |-----| r0 10.0.0.1/24     |     |                     |
#  |    10.0.0.3/24 |     |    10.0.7.1/24     |     |                     |
#  |    10.0.7.2/24 |     |    fd00::1/64      |     |                     |
#  |    fd00::2/64  |     | r1 10.0.1.1/24  ---|-----| e0 10.0.1.2  (I1)   |
#  |    fd00::3/64  |     |    fd01::1/64      |     |    fd01::2          |
#  |    fd07::2/64  |     | r2 10.0.2.1/24  ---|-----| e0 10.0.2.2  (I2)   |
#  +----------------+     | r3 ...             |     | ...                 |
#                         +--------------------+     +---------------------+
#
# The services' addresses (D-SID) are 10.99.0.1 and fd99::1, routed by the
# client to the router.  Instance N answers with its name, "iN", so the
# client sees where each demand went.

SID4=10.99.0.1
SID6=fd99::1
INST=()

# topo_setup [N]: the client, the router and N instances (3 by default).
topo_setup()
{
	local n=${1:-3} i ns

	setup_ns C R || return 1
	veth_pair "$C" c0 "$R" r0 || return 1
	ip -n "$C" addr add 10.0.0.2/24 dev c0
	ip -n "$C" addr add 10.0.0.3/24 dev c0
	ip -n "$C" addr add 10.0.7.2/24 dev c0
	ip -n "$C" addr add fd00::2/64 dev c0 nodad
	ip -n "$C" addr add fd00::3/64 dev c0 nodad
	ip -n "$C" addr add fd07::2/64 dev c0 nodad
	ip -n "$C" route add default via 10.0.0.1
	ip -n "$C" -6 route add default via fd00::1
	ip -n "$R" addr add 10.0.0.1/24 dev r0
	ip -n "$R" addr add 10.0.7.1/24 dev r0
	ip -n "$R" addr add fd00::1/64 dev r0 nodad
	ip -n "$R" addr add fd07::1/64 dev r0 nodad
	ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1 >/dev/null || return 1

	INST=()
	for i in $(seq "$n"); do
		setup_ns ns || return 1
		INST[i]=$ns
		veth_pair "$R" "r$i" "$ns" e0 || return 1
		ip -n "$R" addr add "10.0.$i.1/24" dev "r$i"
		ip -n "$R" addr add "fd0$i::1/64" dev "r$i" nodad
		ip -n "$ns" addr add "10.0.$i.2/24" dev e0
		ip -n "$ns" addr add "fd0$i::2/64" dev e0 nodad
		ip -n "$ns" route add default via "10.0.$i.1"
		ip -n "$ns" -6 route add default via "fd0$i::1"
	done
}

# The addresses of instance N.
bid4() { echo "10.0.$1.2"; }
bid6() { echo "fd0$1::2"; }

# Run the CLI in the router's namespace.
dc()
{
	ip netns exec "$R" "$DYNCAST" "$@"
}

# tunnel_instances: let every instance take IPIP and IPv6-in-IPv6 packets
# for the service addresses, with stock tunnel devices.
tunnel_instances()
{
	local ns

	modprobe -q ipip && modprobe -q ip6_tunnel || return 1
	for ns in "${INST[@]}"; do
		ip -n "$ns" addr add "$SID4/32" dev lo
		ip -n "$ns" addr add "$SID6/128" dev lo nodad
		ip -n "$ns" link set tunl0 up || return 1
		ip -n "$ns" link set ip6tnl0 up || return 1
		ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
			net.ipv4.conf.tunl0.rp_filter=0 >/dev/null
	done
}

# Wait until something listens on PORT (tcp or udp) in NS.
wait_listen()
{
	local ns=$1 proto=$2 port=$3 flag=-t

	[ "$proto" = udp ] && flag=-u
	busywait 5000 sh -c "ip netns exec $ns ss -Hln $flag 'sport = :$port' | grep -q ." >/dev/null
}

# serve_tcp NS NAME PORT: a server answering each line with "NAME line".
# Servers and clients wait 5 s for the other side (socat's -t): forking a
# shell under emulation can take longer than socat's default half second.
serve_tcp()
{
	# socat's address syntax wants the space escaped, twice
	ip netns exec "$1" socat -t 5 TCP6-LISTEN:"$3",ipv6only=0,reuseaddr,fork \
		SYSTEM:"sed -u s/^/$2\\\\\\ /" >/dev/null 2>&1 &
	defer "kill $!"
	wait_listen "$1" tcp "$3"
}

# serve_udp NS NAME PORT [ADDR]: answers each datagram with "NAME";
# bound to ADDR when given (tunnel mode: the reply must come from the
# service address).
serve_udp()
{
	local listen=UDP6-RECVFROM:$3,ipv6only=0,fork

	if [ -n "${4:-}" ]; then
		case $4 in
		*:*) listen=UDP6-RECVFROM:$3,bind=[$4],fork ;;
		*) listen=UDP4-RECVFROM:$3,bind=$4,fork ;;
		esac
	fi
	ip netns exec "$1" socat -t 5 "$listen" SYSTEM:"echo $2" >/dev/null 2>&1 &
	defer "kill $!"
	wait_listen "$1" udp "$3"
}

# serve_all PROTO PORT [ADDR]: a server on every instance.
serve_all()
{
	local i

	for i in "${!INST[@]}"; do
		if [ "$1" = tcp ]; then
			serve_tcp "${INST[i]}" "i$i" "$2" || return 1
		else
			serve_udp "${INST[i]}" "i$i" "$2" "${3:-}" || return 1
		fi
	done
}

# socat's way of writing ADDR:PORT
hostport()
{
	case $1 in
	*:*) echo "[$1]:$2" ;;
	*) echo "$1:$2" ;;
	esac
}

# ask_tcp SRC DST PORT: one connection from SRC; prints the instance name.
ask_tcp()
{
	local t=$(( 5 * TIME_FACTOR ))

	echo hello | ip netns exec "$C" socat -t "$t" -T "$t" - \
		"TCP:$(hostport "$2" "$3"),bind=$(hostport "$1" 0)" 2>/dev/null |
		awk '{ print $1; exit }'
}

# ask_udp SRC SPORT DST PORT: one datagram from SRC:SPORT; prints the name.
# UDP has no end, so socat would wait its whole -t: read the first answer
# and stop socat then (ip netns exec execs it: $! is socat itself).
ask_udp()
{
	local fd pid name='' t=$(( 3 * TIME_FACTOR ))

	exec {fd}< <(exec ip netns exec "$C" socat -t "$t" -T "$t" - \
		"UDP:$(hostport "$3" "$4"),bind=$(hostport "$1" "$2"),reuseaddr" \
		<<<hello 2>/dev/null)
	pid=$!
	read -r -t "$t" name _ <&"$fd"
	kill "$pid" 2>/dev/null
	exec {fd}<&-
	echo "$name"
}

# frag_udp SID SRC PORT: a 3000-byte datagram from the client, whose link
# takes 1280 bytes (the caller sets it): it leaves the client in
# fragments; prints the answer's first two bytes.
frag_udp()
{
	local t=$(( 3 * TIME_FACTOR ))

	head -c 3000 /dev/zero | ip netns exec "$C" socat -t "$t" -T "$t" - \
		"UDP:$(hostport "$1" "$3"),bind=$(hostport "$2" 6001)" 2>/dev/null |
		head -c 2
}

# spread SID SRC: six new TCP connections from SRC, two on each instance
spread()
{
	local sid=$1 src=$2 names=() i

	for i in $(seq 6); do
		names+=("$(ask_tcp "$src" "$sid" 7)")
	done
	echo "# $sid: ${names[*]}"
	[ "$(count i1 "${names[@]}")" = 2 ] &&
		[ "$(count i2 "${names[@]}")" = 2 ] &&
		[ "$(count i3 "${names[@]}")" = 2 ]
}

# udp_flow SID SRC PORT: three datagrams of one flow reach one instance
udp_flow()
{
	local sid=$1 src=$2 port=$3 a b c

	a=$(ask_udp "$src" 5000 "$sid" "$port")
	b=$(ask_udp "$src" 5000 "$sid" "$port")
	c=$(ask_udp "$src" 5000 "$sid" "$port")
	echo "# $sid udp from port 5000: $a $b $c"
	[ -n "$a" ] && [ "$a" = "$b" ] && [ "$b" = "$c" ]
}

# open_flow [SECONDS [DST]]: a TCP connection from the client to port 7 of
# DST (SID4), kept open by a coprocess (FLOW) until SECONDS (60) pass in
# silence; talk sends a line on it and prints the answering instance,
# waiting TALK_WAIT seconds (3) for it; close_flow ends it.
open_flow()
{
	coproc FLOW { ip netns exec "$C" socat -T "${1:-60}" - \
		"TCP:$(hostport "${2:-$SID4}" 7)" 2>/dev/null; }
}

talk()
{
	local name

	echo "line" 1>&"${FLOW[1]}" 2>/dev/null || return 1
	read -r -t "${TALK_WAIT:-3}" name _ <&"${FLOW[0]}" || return 1
	echo "$name"
}

close_flow()
{
	local fd=${FLOW[1]}

	exec {fd}>&-
	wait "$FLOW_PID" 2>/dev/null
}

# count NAME WORDS...: how many of WORDS are NAME.
count()
{
	local name=$1 n=0 w

	shift
	for w in "$@"; do
		[ "$w" = "$name" ] && n=$((n + 1))
	done
	echo $n
}

# The number of bindings the router holds, from "dyncast stats -j".
nr_bindings()
{
	dc -j stats | jq -r '.bindings'
}

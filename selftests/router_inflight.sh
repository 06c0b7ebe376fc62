#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# D-Router, the demands in flight at each instance ("inflight") and the
# least-cost policy that reads them (topology: topo.sh):
#  - each TCP connection counts from its SYN until the client's FIN or
#    RST, in rewrite mode (IPv4) and tunnel mode (IPv6), and a burst of
#    connections opened and closed at once leaves exactly 0;
#  - a FIN or RST seen again, forged or retransmitted, counts once;
#  - a UDP flow counts until it has been idle demand-idle, and again when
#    it sends; with demand-idle 0, until its binding expires;
#  - a binding flush, an instance set down and a service deleted take
#    their demands out, in both modes, and the held connections' ends
#    take nothing more; in rewrite mode UDP flows count until idle or
#    until their binding expires;
#  - least-cost: of two instances of equal cost, the one holding open
#    connections gets no new demands, and the instance model (load,
#    service-time, inflight-adjust) moves them as documented.
#
# timeout=600

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

require_root
require_vm
require_cmd ip socat jq python3

ktap_print_header
ktap_set_plan 22

dc_load || ktap_skip_all "cannot load the module"
topo_setup 2 || ktap_skip_all "cannot build the topology"
tunnel_instances || ktap_skip_all "no tunnel devices"
serve_all tcp 7 && serve_all udp 53 "$SID4" && serve_all udp 54 ||
	ktap_skip_all "cannot start the servers"

RW=("$SID4" proto tcp port 7)
TUN=("$SID6" proto tcp port 7)
UDP=("$SID4" proto udp port 53)
UDPRW=("$SID4" proto udp port 54)

# inflight_of SVC... BID
inflight_of()
{
	dc -j instance show "${@:1:$#-1}" bid "${!#}" | jq '.[0].inflight'
}

inflight_is()
{
	[ "$(inflight_of "${@:2}")" = "$1" ]
}

HELD=()

# hold N DST: N TCP connections to port 7 of DST, kept open (each sent a
# line and got its answer) until release
hold()
{
	local _

	for _ in $(seq "$1"); do
		ip netns exec "$C" socat -T 120 - "TCP:$(hostport "$2" 7)" \
			< <(echo hi; sleep 120) >/dev/null 2>&1 &
		HELD+=($!)
		defer "kill $! 2>/dev/null"
	done
}

# release: close them all (socat exits, the socket sends its FIN)
release()
{
	kill "${HELD[@]}" 2>/dev/null
	wait "${HELD[@]}" 2>/dev/null
	HELD=()
}

# tcpflags SRC SPORT DST DPORT FLAGS N: N bare TCP segments with FLAGS (F,
# R) from SRC:SPORT, as a forger or a retransmission would send them
tcpflags()
{
	ip netns exec "$C" python3 - "$@" <<'EOF'
import socket, struct, sys
src, sport, dst, dport, flags, n = sys.argv[1:7]
bits = {'F': 0x01, 'R': 0x04, 'A': 0x10}
f = 0
for c in flags:
    f |= bits[c]
def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
h = struct.pack('!HHIIBBHHH', int(sport), int(dport), 1, 1, 5 << 4, f, 512, 0, 0)
ph = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, 6, len(h))
h = h[:16] + struct.pack('!H', csum(ph + h)) + h[18:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
s.bind((src, 0))
for _ in range(int(n)):
    s.sendto(h, (dst, 0))
EOF
}

# --- rewrite mode, IPv4 -----------------------------------------------------
dc service add "${RW[@]}" mode rewrite policy least-cost demand-idle 600000
dc instance add "${RW[@]}" bid "$(bid4 1)"
hold 3 "$SID4"
ktap_test_result "rewrite: three open connections, inflight 3" \
	slowwait 20 inflight_is 3 "${RW[@]}" "$(bid4 1)"
release
ktap_test_result "rewrite: their FINs bring it back to 0" \
	slowwait 10 inflight_is 0 "${RW[@]}" "$(bid4 1)"

# a connection ended by RST (linger 0), in the client's namespace
ip netns exec "$C" python3 -c "
import socket, struct, time
s = socket.create_connection(('$SID4', 7))
s.sendall(b'x\n'); s.recv(64)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
s.close()"
ktap_test_result "rewrite: a connection reset by the client ends its demand" \
	slowwait 10 inflight_is 0 "${RW[@]}" "$(bid4 1)"

# a burst: 40 connections at once, each one exchange
pids=()
for _ in $(seq 40); do
	ask_tcp 10.0.0.2 "$SID4" 7 >/dev/null &
	pids+=($!)
done
wait "${pids[@]}"
ktap_test_result "rewrite: 40 connections at once, opened and closed: inflight 0" \
	slowwait 10 inflight_is 0 "${RW[@]}" "$(bid4 1)"

# 3tuple: one binding for the client's connections, one after the other;
# the SYN of the second starts the binding's demand again
dc service set "${RW[@]}" affinity 3tuple
ask_tcp 10.0.0.2 "$SID4" 7 >/dev/null
slowwait 10 inflight_is 0 "${RW[@]}" "$(bid4 1)"
hold 1 "$SID4"
ktap_test_result "rewrite 3tuple: a connection after one that ended counts again" \
	slowwait 20 inflight_is 1 "${RW[@]}" "$(bid4 1)"
release
ktap_test_result "rewrite 3tuple: and its FIN ends it" \
	slowwait 10 inflight_is 0 "${RW[@]}" "$(bid4 1)"
dc service set "${RW[@]}" affinity 5tuple

# --- tunnel mode, IPv6 ------------------------------------------------------
dc service add "${TUN[@]}" mode tunnel policy least-cost demand-idle 600000
dc instance add "${TUN[@]}" bid "$(bid6 1)"
hold 2 "$SID6"
ktap_test_result "tunnel: two open connections over IPv6, inflight 2" \
	slowwait 20 inflight_is 2 "${TUN[@]}" "$(bid6 1)"
release
ktap_test_result "tunnel: their FINs bring it back to 0" \
	slowwait 10 inflight_is 0 "${TUN[@]}" "$(bid6 1)"

# a forged or repeated FIN and RST count once: one open connection, then
# bare FIN and RST segments on its tuple, many times
dc service set "${RW[@]}" mode tunnel
dc binding flush
ip netns exec "$C" socat -T 120 - "TCP:$SID4:7,bind=10.0.0.3:6000" \
	< <(echo hi; sleep 120) >/dev/null 2>&1 &
pid=$!
defer "kill $pid 2>/dev/null"
hold 2 "$SID4"
slowwait 20 inflight_is 3 "${RW[@]}" "$(bid4 1)"
tcpflags 10.0.0.3 6000 "$SID4" 7 FA 20
tcpflags 10.0.0.3 6000 "$SID4" 7 R 20
n=$(inflight_of "${RW[@]}" "$(bid4 1)")
echo "# after 20 FINs and 20 RSTs on one of 3 connections: inflight $n"
ktap_test_result "twenty FINs and RSTs on one connection count once" test "$n" = 2
kill $pid 2>/dev/null
release
ktap_test_result "... and the others' FINs bring it to 0, not below" \
	slowwait 10 inflight_is 0 "${RW[@]}" "$(bid4 1)"

# --- UDP: idleness ----------------------------------------------------------
dc service add "${UDP[@]}" mode tunnel policy least-cost demand-idle 1000
dc instance add "${UDP[@]}" bid "$(bid4 1)"
ask_udp 10.0.0.2 5300 "$SID4" 53 >/dev/null
n=$(inflight_of "${UDP[@]}" "$(bid4 1)")
slowwait 10 inflight_is 0 "${UDP[@]}" "$(bid4 1)"
rc=$?
ktap_test_result "udp: a flow counts once it sent ($n), and stops after demand-idle" \
	test "$n" = 1 -a "$rc" = 0
ask_udp 10.0.0.2 5300 "$SID4" 53 >/dev/null
ktap_test_result "udp: the same flow sending again counts again" \
	inflight_is 1 "${UDP[@]}" "$(bid4 1)"

# demand-idle 0 and a 2 s affinity: the flow counts until its binding goes
dc binding flush
dc service set "${UDP[@]}" demand-idle 0 timeout 2 unconfirmed-timeout 0
ask_udp 10.0.0.2 5301 "$SID4" 53 >/dev/null
n=$(inflight_of "${UDP[@]}" "$(bid4 1)")
slowwait 15 inflight_is 0 "${UDP[@]}" "$(bid4 1)"
rc=$?
ktap_test_result "udp, demand-idle 0: counted ($n) until the binding expires" \
	test "$n" = 1 -a "$rc" = 0

# --- flush, down, delete ----------------------------------------------------
dc service set "${TUN[@]}" demand-idle 600000
dc instance add "${TUN[@]}" bid "$(bid6 2)" state drain
hold 2 "$SID6"
slowwait 20 inflight_is 2 "${TUN[@]}" "$(bid6 1)"
dc binding flush "${TUN[@]}"
f=$(inflight_of "${TUN[@]}" "$(bid6 1)")
release
hold 2 "$SID6"
slowwait 20 inflight_is 2 "${TUN[@]}" "$(bid6 1)"
dc instance set "${TUN[@]}" bid "$(bid6 2)" state up bid "$(bid6 1)" state down
d=$(inflight_of "${TUN[@]}" "$(bid6 1)")
release
echo "# two in flight: after a flush $f, after state down $d"
ktap_test_result "a binding flush and an instance set down take their demands out" \
	test "$f" = 0 -a "$d" = 0
hold 2 "$SID6"
slowwait 20 inflight_is 2 "${TUN[@]}" "$(bid6 2)"
dc service del "${TUN[@]}"
dc service add "${TUN[@]}" mode tunnel policy least-cost
dc instance add "${TUN[@]}" bid "$(bid6 2)"
release
ktap_test_result "a service deleted with demands in flight comes back with none" \
	inflight_is 0 "${TUN[@]}" "$(bid6 2)"

# --- flush, down, delete, expiry in rewrite mode (IPv4) -----------------------
# each count read at once, and again after the held connections' FINs
# passed while one new connection is held: their ends must take nothing
# from a count they are no longer in (the count shows 0 at the least, so
# a wrong decrement shows only against a count above it)

# release_old: close the connections held before the last hold_new
release_old()
{
	kill "${OLD[@]}" 2>/dev/null
	wait "${OLD[@]}" 2>/dev/null
	sleep "$TIME_FACTOR"
}

# hold_new DST: what is held becomes OLD; one new connection is held
hold_new()
{
	OLD=("${HELD[@]}")
	HELD=()
	hold 1 "$1"
}

dc service del "${RW[@]}"
dc service add "${RW[@]}" mode rewrite policy least-cost demand-idle 600000
dc instance add "${RW[@]}" bid "$(bid4 1)"
dc instance add "${RW[@]}" bid "$(bid4 2)" state drain
hold 2 "$SID4"
slowwait 20 inflight_is 2 "${RW[@]}" "$(bid4 1)"
dc binding flush "${RW[@]}"
f=$(inflight_of "${RW[@]}" "$(bid4 1)")
hold_new "$SID4"
slowwait 20 inflight_is 1 "${RW[@]}" "$(bid4 1)"
release_old
fa=$(inflight_of "${RW[@]}" "$(bid4 1)")
release
slowwait 10 inflight_is 0 "${RW[@]}" "$(bid4 1)"
hold 2 "$SID4"
slowwait 20 inflight_is 2 "${RW[@]}" "$(bid4 1)"
dc instance set "${RW[@]}" bid "$(bid4 2)" state up bid "$(bid4 1)" state down
d=$(inflight_of "${RW[@]}" "$(bid4 1)")
dc instance set "${RW[@]}" bid "$(bid4 2)" state drain bid "$(bid4 1)" state up
hold_new "$SID4"
slowwait 20 inflight_is 1 "${RW[@]}" "$(bid4 1)"
release_old
da=$(inflight_of "${RW[@]}" "$(bid4 1)")
d2=$(inflight_of "${RW[@]}" "$(bid4 2)")
release
echo "# rewrite, two in flight: after a flush $f (one new held, the old ones' ends: $fa), after state down $d (up again, one new held, the old ones' ends: $da, other instance $d2)"
ktap_test_result "rewrite: a binding flush and an instance set down take their demands out, their ends nothing" \
	test "$f/$fa/$d/$da/$d2" = 0/1/0/1/0
slowwait 10 inflight_is 0 "${RW[@]}" "$(bid4 1)"
hold 2 "$SID4"
slowwait 20 inflight_is 2 "${RW[@]}" "$(bid4 1)"
dc service del "${RW[@]}"
dc service add "${RW[@]}" mode rewrite policy least-cost demand-idle 600000
dc instance add "${RW[@]}" bid "$(bid4 1)"
n=$(inflight_of "${RW[@]}" "$(bid4 1)")
hold_new "$SID4"
slowwait 20 inflight_is 1 "${RW[@]}" "$(bid4 1)"
release_old
nd=$(inflight_of "${RW[@]}" "$(bid4 1)")
release
echo "# rewrite, two in flight, the service deleted and made again: $n; one new held, the old ones' ends: $nd"
ktap_test_result "rewrite: a service deleted with demands in flight comes back with none, their ends take nothing" \
	test "$n/$nd" = 0/1

# UDP through conntrack NAT: idleness, then the binding's expiry
dc service add "${UDPRW[@]}" mode rewrite policy least-cost demand-idle 1000
dc instance add "${UDPRW[@]}" bid "$(bid4 1)"
a=$(ask_udp 10.0.0.2 5302 "$SID4" 54)
n=$(inflight_of "${UDPRW[@]}" "$(bid4 1)")
slowwait 10 inflight_is 0 "${UDPRW[@]}" "$(bid4 1)"
rc=$?
ktap_test_result "rewrite udp: a flow answered by $a counts once it sent ($n), and stops after demand-idle" \
	test "$a" = i1 -a "$n" = 1 -a "$rc" = 0
dc binding flush "${UDPRW[@]}"
dc service set "${UDPRW[@]}" demand-idle 0 timeout 4 unconfirmed-timeout 0
ask_udp 10.0.0.2 5303 "$SID4" 54 >/dev/null
n=$(inflight_of "${UDPRW[@]}" "$(bid4 1)")
sleep 1.5
m=$(inflight_of "${UDPRW[@]}" "$(bid4 1)")
slowwait 15 inflight_is 0 "${UDPRW[@]}" "$(bid4 1)"
rc=$?
ktap_test_result "rewrite udp, demand-idle 0: counted ($n, past the old demand-idle $m) until the binding expires" \
	test "$n" = 1 -a "$m" = 1 -a "$rc" = 0

# --- least-cost on inflight -------------------------------------------------
dc service del "${RW[@]}"
dc service add "${RW[@]}" mode rewrite policy least-cost demand-idle 600000
dc instance add "${RW[@]}" bid "$(bid4 1)"
hold 4 "$SID4"
slowwait 20 inflight_is 4 "${RW[@]}" "$(bid4 1)"
dc instance add "${RW[@]}" bid "$(bid4 2)"
names=()
for _ in $(seq 6); do
	names+=("$(ask_tcp 10.0.0.2 "$SID4" 7)")
done
echo "# i1 holds 4 connections; 6 new ones: ${names[*]}"
ktap_test_result "least-cost: equal instances, the one holding 4 connections gets none of 6 new" \
	test "$(count i2 "${names[@]}")" = 6

# the model: i1 planned at 90 % load with 4 in flight, i2 at 20 % with 4
# adjusted in (other routers' demands): D is (n + 1) S / (1 - load) for
# an unknown capacity, 5 S / 0.1 against 5 S / 0.8: i2 still wins; with
# i2 told to take 100 ms a demand against i1's 1 ms, i1 wins
dc instance set "${RW[@]}" bid "$(bid4 1)" load 90 bid "$(bid4 2)" load 20 inflight-adjust 4
a=$(ask_tcp 10.0.0.2 "$SID4" 7)
dc instance set "${RW[@]}" bid "$(bid4 2)" service-time 100000
b=$(ask_tcp 10.0.0.2 "$SID4" 7)
echo "# load 90/20, adjust +4 on i2: $a; i2 at 100 ms a demand: $b"
ktap_test_result "least-cost: load, inflight-adjust and service-time move demands as documented" \
	test "$a" = i2 -a "$b" = i1
ktap_test_result "instance show reports the model as set" \
	test "$(dc -j instance show "${RW[@]}" bid "$(bid4 2)" |
		jq -c '.[0] | [.["service-time"], .load, .["inflight-adjust"]]')" = "[100000,20,4]"
release

ktap_finished

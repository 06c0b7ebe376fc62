#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# D-Router, flows from forged sources (topology: topo.sh, tunnel mode).
# A binding whose flow sent only its first packet (a SYN, one datagram) is
# unconfirmed and expires after the service's short unconfirmed timeout;
# the client's next packet (the handshake's ACK, a second datagram)
# confirms it, and it then keeps the affinity timeout:
#  - a flood of one-datagram UDP flows and of SYNs from forged sources
#    leaves unconfirmed bindings that are gone after the unconfirmed
#    timeout, although the affinity timeout is 300 s;
#  - a real UDP flow and a real TCP connection are confirmed, keep their
#    bindings and their instances through the same time;
#  - least-cost: forged demands stop counting in the instance's inflight
#    after demand-idle, before their bindings expire, so they do not turn
#    real ones away from it;
#  - unconfirmed-timeout 0 gives unconfirmed bindings the affinity timeout;
#  - the setting is shown, and bad values are refused naming the argument.
#
# timeout=300

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

require_root
require_vm
require_cmd ip socat jq python3

ktap_print_header
ktap_set_plan 14

dc_load || ktap_skip_all "cannot load the module"
topo_setup 2 || ktap_skip_all "cannot build the topology"
tunnel_instances || ktap_skip_all "no ipip module"
serve_all udp 53 "$SID4" && serve_all udp 55 "$SID4" && serve_all tcp 7 ||
	ktap_skip_all "cannot start the servers"
flood=$DYNCAST_BIN/udpflood
[ -x "$flood" ] || ktap_skip_all "$flood not built (make selftests)"

UNCONF=$(( 5 * TIME_FACTOR ))
FLOOD=2000
SYNS=200
UDP=("$SID4" proto udp port 53)
TCP=("$SID4" proto tcp port 7)
for s in UDP TCP; do
	declare -n svc=$s
	dc service add "${svc[@]}" mode tunnel timeout 300 \
		unconfirmed-timeout $UNCONF &&
		dc instance add "${svc[@]}" bid "$(bid4 1)" bid "$(bid4 2)" ||
		ktap_fail_all "cannot add the services"
done

# syns N: N TCP SYNs to the service from forged sources in 10.78.0.0/16
syns()
{
	ip netns exec "$C" python3 - "$1" "$SID4" <<'EOF'
import socket, struct, sys

def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

n, dst = int(sys.argv[1]), socket.inet_aton(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
for i in range(n):
    src = socket.inet_aton('10.78.%d.%d' % (i // 250, 1 + i % 250))
    tcp = struct.pack('!HHIIBBHHH', 40000 + i, 7, i, 0, 5 << 4, 0x02,
                      64240, 0, 0)
    c = csum(src + dst + struct.pack('!BBH', 0, 6, len(tcp)) + tcp)
    tcp = tcp[:16] + struct.pack('!H', c) + tcp[18:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), i, 0, 64, 6,
                     0, src, dst)
    s.sendto(ip + tcp, (sys.argv[2], 0))
EOF
}

bindings_of() { dc -j service show "$@" | jq '.[0].bindings'; }
confirmed_of() { dc -j binding show "$@" | jq '[.[] | select(.confirmed)] | length'; }
bindings_are() { [ "$(bindings_of "${@:2}")" = "$1" ]; }

# a real UDP flow: two datagrams from one port
u1=$(ask_udp 10.0.0.2 5001 "$SID4" 53)
u2=$(ask_udp 10.0.0.2 5001 "$SID4" 53)
# a real TCP connection, kept open
open_flow 120
t1=$(talk)
bid_of_5001()
{
	dc -j binding show "${UDP[@]}" | jq -r '.[] | select(.sport == 5001) | .bid'
}
bid0=$(bid_of_5001)
ktap_test_result "a real UDP flow ($u1 $u2) and TCP connection ($t1) are confirmed" \
	sh -c "[ -n '$u1' ] && [ '$u1' = '$u2' ] && [ -n '$t1' ] &&
	       [ \$($DYNCAST -n $R -j binding show ${UDP[*]} | jq '[.[] | select(.confirmed)] | length') = 1 ] &&
	       [ \$($DYNCAST -n $R -j binding show ${TCP[*]} | jq '[.[] | select(.confirmed)] | length') = 1 ]"

t0=$SECONDS
ip netns exec "$C" "$flood" -q -n $FLOOD -s 10.77.0.0/16 "$SID4" 53
rc=$?
b_udp=$(bindings_of "${UDP[@]}")
syns $SYNS
b_tcp=$(bindings_of "${TCP[@]}")
echo "# after $FLOOD forged datagrams and $SYNS forged SYNs ($(( SECONDS - t0 )) s): bindings udp $b_udp, tcp $b_tcp"
ktap_test_result "the forged flows were bound, unconfirmed" \
	sh -c "[ $rc = 0 ] && [ $b_udp -gt $(( FLOOD * 9 / 10 )) ] &&
	       [ $b_tcp -gt $(( SYNS * 9 / 10 )) ] &&
	       [ $(confirmed_of "${UDP[@]}") = 1 ] && [ $(confirmed_of "${TCP[@]}") = 1 ]"
start=$SECONDS
ktap_test_result "forged UDP flows' bindings expire after the unconfirmed timeout" \
	slowwait $(( UNCONF + 10 )) bindings_are 1 "${UDP[@]}"
ktap_test_result "forged SYNs' bindings expire after the unconfirmed timeout" \
	slowwait $(( UNCONF + 10 )) bindings_are 1 "${TCP[@]}"
echo "# gone after $(( SECONDS - start )) s (unconfirmed timeout $UNCONF s, affinity 300 s)"

# its binding, not an answer: the instances' servers fork for each forged
# datagram, and on a slow kernel an answer waits behind them
bid1=$(bid_of_5001)
ktap_test_result "the real UDP flow kept its binding and instance ($bid0 -> $bid1)" \
	test -n "$bid0" -a "$bid1" = "$bid0"
ktap_test_result "the real TCP connection kept its instance ($t1)" \
	test "$(talk)" = "$t1"
close_flow

# least-cost, two instances: 300 forged datagrams while i2 is a second
# away all go to i1 and count in its inflight; they stop counting after
# the service's demand-idle (2 s, times the time factor: on a debug
# kernel the flood itself takes some 4 s, and with 1 s its first demands
# were idle before it ended), well before their bindings expire (4 x the
# unconfirmed timeout), and with i2 as near as i1 again, 20 real flows
# split between the two (they would all go to i2 while i1 counted 300
# demands)
LC=("$SID4" proto udp port 55)
inflight_of() { dc -j instance show "${LC[@]}" bid "$1" | jq '.[0].inflight'; }
inflight_is() { [ "$(inflight_of "$2")" = "$1" ]; }
dc service add "${LC[@]}" mode tunnel policy least-cost \
	unconfirmed-timeout $(( 4 * UNCONF )) demand-idle $(( 2000 * TIME_FACTOR ))
dc instance add "${LC[@]}" bid "$(bid4 1)" bid "$(bid4 2)"
dc instance set "${LC[@]}" bid "$(bid4 2)" cost 1000000
ip netns exec "$C" "$flood" -q -n 300 -s 10.76.0.0/16 "$SID4" 55
n=$(inflight_of "$(bid4 1)")
slowwait $(( UNCONF + 5 )) inflight_is 0 "$(bid4 1)"
rc=$?
b=$(bindings_of "${LC[@]}")
echo "# 300 forged demands to i1: inflight $n, then 0 (rc $rc) while $b bindings remain"
ktap_test_result "least-cost: forged demands count in inflight only until demand-idle" \
	test "$n" -ge 250 -a "$rc" = 0 -a "$b" -ge 250
dc instance set "${LC[@]}" bid "$(bid4 2)" cost 0
names=()
for i in $(seq 20); do
	names+=("$(ask_udp 10.0.0.2 $((5500 + i)) "$SID4" 55)")
done
echo "# least-cost after 300 forged demands to i1 ended: i1 $(count i1 "${names[@]}"), i2 $(count i2 "${names[@]}")"
ktap_test_result "least-cost: ended forged demands do not turn real ones away" \
	test "$(count i1 "${names[@]}")" -ge 5 -a "$(count i2 "${names[@]}")" -ge 5

# unconfirmed-timeout 0: unconfirmed bindings keep the affinity timeout
dc service set "${UDP[@]}" unconfirmed-timeout 0
ktap_test_result "service show reports unconfirmed-timeout 0" \
	test "$(dc -j service show "${UDP[@]}" | jq '.[0]["unconfirmed-timeout"]')" = 0
ip netns exec "$C" "$flood" -q -n 100 -o $FLOOD -s 10.77.0.0/16 "$SID4" 53
sleep $(( UNCONF + 3 ))
b=$(bindings_of "${UDP[@]}")
ktap_test_result "with unconfirmed-timeout 0 one-datagram flows stay bound ($b)" \
	test "$b" -ge 100

dc service set "${UDP[@]}" unconfirmed-timeout $UNCONF
ktap_test_result "a new setting applies to the bindings there are" \
	slowwait $(( UNCONF + 10 )) bindings_are 1 "${UDP[@]}"

ktap_test_result "the default is 10 s" \
	sh -c "$DYNCAST -n $R service add $SID4 proto udp port 54 &&
	       [ \$($DYNCAST -n $R -j service show $SID4 proto udp port 54 | jq '.[0][\"unconfirmed-timeout\"]') = 10 ]"
out=$(dc service set "${UDP[@]}" unconfirmed-timeout 86401 2>&1)
echo "# $out"
ktap_test_result "86401 is refused, naming the argument" \
	sh -c "echo '$out' | grep -q unconfirmed-timeout"
out=$(dc service set "${UDP[@]}" unconfirmed-timeout soon 2>&1)
echo "# $out"
ktap_test_result "a word is refused, naming the argument" \
	sh -c "echo '$out' | grep -q unconfirmed-timeout"

ktap_finished

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# D-Router, the filter of service addresses (topology: topo.sh).  The
# PREROUTING hooks first test a bit per hash of the destination address
# and leave alone, unparsed, packets whose bit no service set.  Two
# services whose addresses share a bit: after one is deleted, the other is
# still steered (the filter is rebuilt from the services left), and the
# deleted one is not; a service added again is steered from its first
# packet.  A fragment routed to an address that shares the bit of a
# tunnel-mode service passes as it came: the hook reassembles only what
# is addressed to a service (without conntrack, which would reassemble
# every fragment itself).  IPv4 and IPv6.
#
# timeout=300

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

require_root
require_vm
require_cmd ip socat python3 jq nstat

ktap_print_header
ktap_set_plan 6

dc_load || ktap_skip_all "cannot load the module"
topo_setup 2 || ktap_skip_all "cannot build the topology"
serve_all udp 53 || ktap_skip_all "cannot start the servers"

# twin ADDR: another address of the same /16 (IPv4) or /64 (IPv6) with
# the same filter bit as ADDR (hash_32 of the address, or of the XOR of
# its four words, read as the CPU does, 12 bits)
twin()
{
	python3 - "$1" <<-'EOF'
		import ipaddress, sys
		def h(a):
		    p = ipaddress.ip_address(a).packed
		    x = 0
		    for i in range(0, len(p), 4):
		        x ^= int.from_bytes(p[i:i + 4], sys.byteorder)
		    return ((x * 0x61C88647) & 0xffffffff) >> 20
		a = ipaddress.ip_address(sys.argv[1])
		for i in range(2, 65536):
		    b = a + i
		    if h(str(b)) == h(str(a)):
		        print(b)
		        break
	EOF
}

A4=$SID4
B4=$(twin "$A4")
A6=$SID6
B6=$(twin "$A6")
ktap_print_msg "sharing a bit: $A4 and $B4, $A6 and $B6"
[ -n "$B4" ] && [ -n "$B6" ] || ktap_skip_all "no address shares the bit"

for s in "$A4 $(bid4 1) $(bid4 2)" "$B4 $(bid4 1) $(bid4 2)" \
	 "$A6 $(bid6 1) $(bid6 2)" "$B6 $(bid6 1) $(bid6 2)"; do
	read -r sid b1 b2 <<<"$s"
	dc service add "$sid" proto udp port 53
	dc instance add "$sid" proto udp port 53 bid "$b1" bid "$b2"
done

# answered SRC SID SPORT: a datagram is steered to an instance and answered
answered()
{
	local name

	name=$(ask_udp "$1" "$3" "$2" 53)
	ktap_print_msg "$2 from port $3: ${name:-no answer}"
	[ -n "$name" ]
}

ktap_test_result "both services of a shared bit are steered" \
	eval 'answered 10.0.0.2 "$A4" 5001 && answered 10.0.0.2 "$B4" 5001 &&
	      answered fd00::2 "$A6" 5001 && answered fd00::2 "$B6" 5001'

dc service del "$A4" proto udp port 53
dc service del "$A6" proto udp port 53
ktap_test_result "after one is deleted, the other is still steered" \
	eval 'answered 10.0.0.2 "$B4" 5002 && answered fd00::2 "$B6" 5002'
ktap_test_result "the deleted one is not" \
	eval '! answered 10.0.0.2 "$A4" 5003 && ! answered fd00::2 "$A6" 5003'

dc service add "$A4" proto udp port 53
dc instance add "$A4" proto udp port 53 bid "$(bid4 1)"
dc service add "$A6" proto udp port 53
dc instance add "$A6" proto udp port 53 bid "$(bid6 1)"
ktap_test_result "a service added again is steered from its first packet" \
	eval 'answered 10.0.0.2 "$A4" 5004 && answered fd00::2 "$A6" 5004'

# A first fragment, never finished, routed to instance 1's own address
# while a tunnel-mode service has an address of the same bit: the
# instance gets it.  Held by the router for reassembly, it would not.
for s in "$A4 proto udp port 53" "$B4 proto udp port 53" \
	 "$A6 proto udp port 53" "$B6 proto udp port 53"; do
	dc service del $s
done
T4=$(bid4 1)
T6=$(bid6 1)
S4=$(twin "$T4")
S6=$(twin "$T6")
ktap_print_msg "sharing a bit: $T4 (routed) and $S4 (service), $T6 and $S6"
dc service add "$S4" proto udp port 53 mode tunnel
dc instance add "$S4" proto udp port 53 bid "$(bid4 2)"
dc service add "$S6" proto udp port 53 mode tunnel
dc instance add "$S6" proto udp port 53 bid "$(bid6 2)"
r_before=$(mib_counter "$R" IpReasmReqds)
i4_before=$(mib_counter "${INST[1]}" IpReasmReqds)
i6_before=$(mib_counter "${INST[1]}" Ip6ReasmReqds)
mac=$(ip -n "$R" -j link show r0 | jq -r '.[0].address')
ip netns exec "$C" python3 "$DYNCAST_TOP/selftests/pktjunk.py" --frag c0 \
	"$mac" 10.0.0.2 "$T4" fd00::2 "$T6" 1 | sed 's/^/# /'
sleep 1
r_after=$(mib_counter "$R" IpReasmReqds)
i4_after=$(mib_counter "${INST[1]}" IpReasmReqds)
i6_after=$(mib_counter "${INST[1]}" Ip6ReasmReqds)
ktap_print_msg "fragments: taken by the router $r_before -> $r_after, at the instance IPv4 $i4_before -> $i4_after, IPv6 $i6_before -> $i6_after"
ktap_test_result "IPv4: a fragment to an address sharing a service's bit passes the router" \
	test "$i4_after" -gt "$i4_before" -a "$r_after" = "$r_before"
ktap_test_result "IPv6: a fragment to an address sharing a service's bit passes the router" \
	test "$i6_after" -gt "$i6_before"

ktap_finished

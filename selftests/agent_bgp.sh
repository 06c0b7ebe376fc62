#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dyncastd's announcements carried by BGP (topology: agent_topo.sh): each
# agent has an ExaBGP that runs "dyncastd --exabgp" as its API process,
# and an unmodified FRR bgpd in the infrastructure ($INF) reflects their
# routes (ADD-PATH, TCP-MD5).  No agent has a [peer]:
#  - the sessions come up; both D-Routers learn the four instances with
#    their metrics, and D-Router 1 measures edge 3's RTT itself;
#  - the reflector reads the capacity as Link Bandwidth;
#  - a queue reported at edge 3 moves D-Router 1's new demands;
#  - a route with a malformed community is ignored and counted; a speaker
#    with a wrong password gets nothing in;
#  - edge 3's speaker killed: its instances are withdrawn within the BGP
#    hold time and new demands avoid them; restarted, they come back;
#  - edge 3's speaker hung (SIGSTOP), its TCP session open: withdrawn
#    when the reflector's hold time runs out; resumed, back;
#  - edge 3's dyncastd stopped: withdrawn at once; killed: withdrawn by
#    its relay after the grace time; restarted: announced again;
#  - 300 agents' routes (of a service D-Router 1 does not steer) with
#    room for 290 instances: each learnt one a site, the rest counted
#    table-full; two instances withdrawn, two more learnt although BGP
#    repeats nothing; their speaker gone, their sites forgotten.
#
# timeout=900

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/agent_topo.sh"
. "$(dirname "$0")/bgp_lib.sh"

require_root
require_vm
require_cmd ip jq curl nginx socat vtysh

ktap_print_header
ktap_set_plan 18

bgp_have || ktap_skip_all "ExaBGP or FRR is not installed"
[ -x "$DYNCASTD" ] || ktap_skip_all "dyncastd not built: $DYNCASTD"
dc_load || ktap_skip_all "cannot load the module"
atopo_setup || ktap_skip_all "cannot build the topology"
atopo_serve_all || ktap_skip_all "cannot start the servers"

ASN=64512
PW=dyncast-bgp-test
HOLD=9			# the reflector's hold time, seconds
GRACE=$(( 4 * TIME_FACTOR ))

# a speaker at edge 3 with a wrong password, one with a malformed route
ip -n "$E3" addr add 198.18.13.3/24 dev eth0
ip -n "$E3" addr add 198.18.13.4/24 dev eth0
ip -n "$E3" addr add 198.18.13.5/24 dev eth0

# --- the route reflector and the speakers ----------------------------------

bgp_rr_start "$AT/rr" "$INF" $ASN $PW $HOLD 198.18.11.1 198.18.12.1 \
	198.18.13.1 198.18.13.3 198.18.13.4 198.18.13.5 ||
	ktap_skip_all "cannot start FRR's bgpd"

rr()
{
	bgp_rr "$AT/rr" "$1"
}

rr_state()
{
	bgp_rr_state "$AT/rr" "$1"
}

speaker_start()
{
	bgp_speaker_start "$1" "$2" "$AT/$1-exabgp.conf" "$AT/$1-exabgp.log"
}

speaker_kill()
{
	bgp_speaker_kill "$1"
}

# --- the agents: no peers, a [bgp] section ---------------------------------

atopo_configs
for n in dr1:198.18.11.1 dr2:198.18.12.1 e3:198.18.13.1; do
	name=${n%%:*}
	addr=${n#*:}
	sed -i '/^\[peer /,/^endpoint = /d' "$AT/$name.conf"
	bgp_agent_section "$AT/$name-bgp.sock" $ASN "$addr" >> "$AT/$name.conf"
	bgp_exabgp_conf "$addr" "${addr%.*}.2" $ASN "$PW" $HOLD \
		"$AT/$name-bgp.sock" "${GRACE}s" > "$AT/$name-exabgp.conf"
done
sed -i '/^\[service sid1\]$/a plan = no' "$AT/dr1.conf"
MAX=290			# D-Router 1's max-instances
sed -i "/^\[router\]\$/a max-instances = $MAX" "$AT/dr1.conf"
bgp_exabgp_conf 198.18.13.3 198.18.13.2 $ASN wrong-password $HOLD "" "" \
	"203.0.113.1/32 next-hop 198.19.8.8 path-information 8 large-community [ $ASN:1:393296 $ASN:2:88 ]" \
	> "$AT/rogue-exabgp.conf"
bgp_exabgp_conf 198.18.13.4 198.18.13.2 $ASN "$PW" $HOLD "" "" \
	"203.0.113.1/32 next-hop 198.19.9.9 path-information 9 large-community [ $ASN:1:393296 $ASN:2:99 $ASN:5:5000 ]" \
	> "$AT/bad-exabgp.conf"
# 300 agents, one instance each, of tcp port 9 (6 << 16 | 9)
MANY=300
many=()
for i in $(seq 0 $(( MANY - 1 ))); do
	many+=("203.0.113.9/32 next-hop 198.19.$(( 10 + i / 250 )).$(( 1 + i % 250 )) path-information $(( 100 + i )) large-community [ $ASN:1:393225 $ASN:2:$(( 1000 + i )) ]")
done
bgp_exabgp_conf 198.18.13.5 198.18.13.2 $ASN "$PW" $HOLD "" "" "${many[@]}" \
	> "$AT/many-exabgp.conf"

{ agent_start dr1 && agent_start dr2 && agent_start e3; } ||
	{ agent_logs; ktap_fail_all "cannot start the agents"; }
atopo_quiet
speaker_start dr1 "$DR1"
speaker_start dr2 "$DR2"
speaker_start e3 "$E3"
speaker_start rogue "$E3"
speaker_start bad "$E3"

# bgp_logs: what the speakers and the reflector said, when a check failed
bgp_logs()
{
	local n

	agent_logs
	for n in dr1 e3 bad; do
		echo "# --- $n's ExaBGP"
		grep -v '^$' "$AT/$n-exabgp.log" 2>/dev/null | tail -n 10 | sed 's/^/#   /'
	done
	echo "# --- the reflector"
	tail -n 15 "$AT/rr/bgpd.log" 2>/dev/null | sed 's/^/#   /'
}

# --- 1. sessions ------------------------------------------------------------

sessions_up()
{
	local a

	for a in 198.18.11.1 198.18.12.1 198.18.13.1 198.18.13.4; do
		[ "$(rr_state $a)" = Established ] || return 1
	done
}
slowwait 60 sessions_up
ok=1
sessions_up || ok=0
agent_show dr1 bgp | jq -e '.[0].speaker == "connected"' >/dev/null || ok=0
agent_show dr1 neighbor |
	jq -e 'length == 1 and .[0].address == "198.18.11.2" and .[0].state == "up"' \
	>/dev/null || ok=0
[ $ok = 1 ] || bgp_logs
ktap_test_result "the reflector's sessions with the speakers are established (TCP-MD5), dyncastd's speaker is connected" \
	test $ok = 1

# --- 2. the four instances --------------------------------------------------

ok=1
for r in "$DR1" "$DR2"; do
	slowwait 60 all_up "$r" || ok=0
done
"$DYNCAST" -n "$DR1" instance show
[ $ok = 1 ] || bgp_logs
ktap_test_result "both D-Routers learn the four instances through BGP, up, capacity 100" \
	test $ok = 1

# --- 3. metrics and cost ----------------------------------------------------

slowwait 20 kinst_is "$DR1" $SID2 8080 198.19.3.32 gpu 42.5
metrics_ok()
{
	kinst_is "$DR1" $SID2 8080 198.19.3.32 gpu 42.5 &&
		kinst_is "$DR1" $SID1 80 198.19.3.31 site 3 &&
		kinst_is "$DR1" $SID1 80 198.19.2.21 site 2
}
ktap_test_result "metrics ride the large communities: site, a command's GPU figure" \
	metrics_ok

cost_known()
{
	[ "$(kinst "$DR1" $SID1 80 198.19.3.31 cost)" -gt 0 ] 2>/dev/null
}
slowwait 30 cost_known
site3=$(agent_show dr1 site | jq -c '.[] | select(.id == "0.0.0.3")')
cost31=$(kinst "$DR1" $SID1 80 198.19.3.31 cost)
echo "# D-Router 1, site 0.0.0.3: $site3; cost of bid31: $cost31 us"
ktap_test_result "D-Router 1 probes the site it learnt through BGP: an RTT, a cost" \
	sh -c "echo '$site3' | jq -e '.state == \"up\" and .rtt > 0 and .instances == 2' >/dev/null && [ ${cost31:-0} -gt 0 ]"

# --- 4. Link Bandwidth at the reflector --------------------------------------

lb=$(rr "show bgp ipv4 unicast $SID1/32 json" |
	jq -r '[.paths[].extendedCommunity.string] | join(",")')
echo "# the reflector's extended communities of $SID1: $lb"
ktap_test_result "the reflector reads each instance's capacity as Link Bandwidth (100 slots, 100 Mbit/s)" \
	test "$(echo "$lb" | grep -o "LB:$ASN:12500000" | wc -l)" = 2

# --- 5. a load change moves new demands -------------------------------------

Q=$(( 1000 * TIME_FACTOR ))
agent_report e3 "bid31 queue $Q"
slowwait 30 kinst_is "$DR1" $SID1 80 198.19.3.31 queue $Q
then=$(asks 4 $SID1 80)
echo "# bid31 queue $Q: $then"
# shellcheck disable=SC2086 # one word per demand
ktap_test_result "a queue reported at edge 3 reaches D-Router 1 through BGP and moves its new demands" \
	only bid21 $then
agent_report e3 "bid31 queue 0"

# --- 6, 7, 8. hostile routes and messages --------------------------------

malformed_seen()
{
	[ "$(agent_counter dr1 bgp-malformed)" -ge 1 ]
}
slowwait 30 malformed_seen
ok=0
malformed_seen && [ -z "$(kinst "$DR1" $SID1 80 198.19.9.9 state)" ] && ok=1
echo "# D-Router 1: bgp-malformed $(agent_counter dr1 bgp-malformed)"
ktap_test_result "a route with a malformed community (cpu 5000) is ignored and counted" \
	test $ok = 1

rogue=$(rr_state 198.18.13.3)
echo "# the reflector's session with the wrong password: ${rogue:-none}"
ok=0
[ "$rogue" != Established ] &&
	[ -z "$(kinst "$DR1" $SID1 80 198.19.8.8 state)" ] &&
	[ -z "$(kinst "$DR2" $SID1 80 198.19.8.8 state)" ] && ok=1
ktap_test_result "a speaker with a wrong MD5 password gets nothing in" \
	test $ok = 1

# the agents' own protocol, correctly signed: not while BGP carries them
ip netns exec "$CL" python3 "$(dirname "$0")/agent_send.py" --key "$KEY" \
	--to 198.18.11.1 valid:198.19.7.7:1
wrong_seen()
{
	[ "$(agent_counter dr1 wrong-transport)" -ge 1 ]
}
slowwait 10 wrong_seen
ok=0
wrong_seen && [ -z "$(kinst "$DR1" $SID1 80 198.19.7.7 state)" ] && ok=1
ktap_test_result "an agent protocol announcement is refused while BGP carries them" \
	test $ok = 1

# --- 9, 10. edge 3's speaker dies and comes back ---------------------------

e3_gone()
{
	[ -z "$(kinst "$1" $SID1 80 198.19.3.31 state)" ] &&
		[ -z "$(kinst "$1" $SID2 8080 198.19.3.32 state)" ]
}
t0=$(now_ms)
speaker_kill e3
slowwait $(( 2 * HOLD )) e3_gone "$DR1"
t1=$(now_ms)
after=$(asks 4 $SID2 8080)
echo "# edge 3's speaker killed: gone from D-Router 1 after $(( t1 - t0 )) ms; SID2: $after"
ok=0
# shellcheck disable=SC2086 # one word per demand
e3_gone "$DR1" && [ $(( t1 - t0 )) -le $(( HOLD * 1000 * TIME_FACTOR )) ] &&
	only bid22 $after && ok=1
[ $ok = 1 ] || bgp_logs
ktap_test_result "edge 3's speaker killed: its instances withdrawn within the hold time (${HOLD} s), new demands avoid them" \
	test $ok = 1

speaker_start e3 "$E3"
slowwait 60 all_up "$DR1"
ktap_test_result "edge 3's speaker restarted: its instances come back" all_up "$DR1"

# the reflector hears nothing from it, not even a FIN: its hold time
# decides, 2/3 to all of it after the last keepalive (every HOLD / 3 s)
pid=${BGP_SPEAKER_PID[e3]}
t0=$(now_ms)
kill -STOP "$pid"
slowwait $(( 2 * HOLD )) e3_gone "$DR1"
t1=$(now_ms)
ok=0
e3_gone "$DR1" && [ $(( t1 - t0 )) -ge $(( HOLD * 1000 * 2 / 3 - 500 )) ] &&
	[ $(( t1 - t0 )) -le $(( (HOLD + 2) * 1000 * TIME_FACTOR )) ] && ok=1
echo "# edge 3's speaker hung: gone from D-Router 1 after $(( t1 - t0 )) ms ($(rr_state 198.18.13.1))"
kill -CONT "$pid"
slowwait 60 all_up "$DR1"
all_up "$DR1" || ok=0
[ $ok = 1 ] || bgp_logs
ktap_test_result "edge 3's speaker hung: withdrawn when the reflector's hold time (${HOLD} s) runs out; resumed, back" \
	test $ok = 1

# --- 11, 12. edge 3's dyncastd ----------------------------------------------

agent_stop e3
slowwait 5 e3_gone "$DR1"
ktap_test_result "edge 3's dyncastd stopped: its instances are withdrawn at once" \
	e3_gone "$DR1"
agent_start e3
slowwait 60 all_up "$DR1"

t0=$(now_ms)
agent_kill e3
slowwait $(( 3 * GRACE + 10 )) e3_gone "$DR1"
t1=$(now_ms)
echo "# edge 3's dyncastd killed: gone from D-Router 1 after $(( t1 - t0 )) ms (grace ${GRACE} s)"
ok=0
e3_gone "$DR1" && [ $(( t1 - t0 )) -ge $(( GRACE * 1000 - 500 )) ] && ok=1
agent_start e3
slowwait 60 all_up "$DR1"
all_up "$DR1" || ok=0
[ $ok = 1 ] || bgp_logs
ktap_test_result "edge 3's dyncastd killed: withdrawn by its relay after the grace time; restarted, announced again" \
	test $ok = 1

# --- 13. the agents' view ----------------------------------------------------

ip netns exec "$DR1" "$DYNCAST" agent show bgp socket @dyncastd
ip netns exec "$DR1" "$DYNCAST" agent show neighbor socket @dyncastd
ok=1
agent_show dr1 bgp | jq -e ".[0].speaker == \"connected\" and .[0].asn == $ASN and .[0].paths == 4" \
	>/dev/null || ok=0
agent_show dr1 neighbor |
	jq -e '.[0].address == "198.18.11.2" and .[0].state == "up" and .[0].updates > 0' \
	>/dev/null || ok=0
ktap_test_result "agent show: the speaker, the neighbour up, the paths held" \
	test $ok = 1

# --- 15. a second speaker on the socket --------------------------------------

# a second relay, as a second ExaBGP would run: it gets nothing in, and
# the first goes on (two relays used to replace each other every second)
ip netns exec "$DR1" sh -c "sleep 6 | $DYNCASTD --exabgp $AT/dr1-bgp.sock > $AT/second.out" &
second=$!
sleep 4
wait $second
ok=1
[ "$(agent_counter dr1 bgp-second-speaker)" -ge 1 ] || ok=0
[ ! -s "$AT/second.out" ] || ok=0
agent_show dr1 bgp | jq -e '.[0].speaker == "connected" and .[0].connected > 5000 and .[0].paths == 4' \
	>/dev/null || ok=0
agent_show dr1 bgp
ktap_test_result "a second speaker on the socket is refused; the first stays connected" \
	test $ok = 1

# --- 17, 18. many agents, then none ------------------------------------------

# sites_are N M: D-Router 1 has N sites and M learnt instances of port 9
sites_are()
{
	[ "$(agent_show dr1 site | jq length)" = "$1" ] &&
		[ "$(agent_show dr1 learned |
		     jq '[.[] | select(.port == 9)] | length')" = "$2" ]
}
# room for MAX instances: the four, and MAX - 4 of the many
full0=$(agent_counter dr1 table-full)
speaker_start many "$E3"
slowwait 60 sites_are $(( MAX - 2 )) $(( MAX - 4 ))
ok=1
sites_are $(( MAX - 2 )) $(( MAX - 4 )) || ok=0
# each path without room counted once, however often tried again
sleep 3
full=$(( $(agent_counter dr1 table-full) - full0 ))
echo "# $MANY agents announced, room for $MAX instances: D-Router 1 has $(agent_show dr1 site | jq length) sites, table-full $full"
[ "$full" = $(( MANY - MAX + 4 )) ] || ok=0
# two instances withdrawn: two of those without room learnt, although
# BGP says nothing again; edge 3's site goes, two come
agent_stop e3
slowwait 10 sites_are $(( MAX - 1 )) $(( MAX - 2 ))
echo "# edge 3 stopped: $(agent_show dr1 site | jq length) sites, $(agent_show dr1 learned | jq '[.[] | select(.port == 9)] | length') of port 9"
sites_are $(( MAX - 1 )) $(( MAX - 2 )) || ok=0
[ $ok = 1 ] || bgp_logs
ktap_test_result "$MANY agents' routes, room for $MAX instances: each learnt one a site, the rest counted; room made, more learnt" \
	test $ok = 1

speaker_kill many
slowwait $(( 2 * HOLD )) sites_are 1 0
echo "# their speaker gone: $(agent_show dr1 site | jq length) sites"
ok=1
sites_are 1 0 || ok=0
agent_start e3
slowwait 60 all_up "$DR1"
all_up "$DR1" && sites_are 2 0 || ok=0
ktap_test_result "their speaker gone, their sites are forgotten; edge 3 back, its site too" \
	test $ok = 1

ktap_finished

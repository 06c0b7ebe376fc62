#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A rolling change of the agents' key (topology: agent_topo.sh), as
# dyncastd(8) describes it, each agent reloaded in turn at each step:
# (1) the new key as next-key, (2) the new key as key and the old one as
# next-key, (3) next-key removed.
#  - every reload is taken, and no instance goes down in either D-Router's
#    kernel, at any moment of the change;
#  - no message is dropped as unauthenticated on the way, and the messages
#    taken with next-key are counted;
#  - at the end, a message signed with the old key is dropped, one with the
#    new key applied.
#
# timeout=600

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/agent_topo.sh"

require_root
require_vm
require_cmd ip jq curl nginx socat python3

ktap_print_header
ktap_set_plan 5

[ -x "$DYNCASTD" ] || ktap_skip_all "dyncastd not built: $DYNCASTD"
dc_load || ktap_skip_all "cannot load the module"
atopo_setup || ktap_skip_all "cannot build the topology"
atopo_start || { agent_logs; ktap_fail_all "cannot start the servers and agents"; }
atopo_quiet
slowwait 60 kinst_is "$DR1" $SID1 80 198.19.3.31 state up
slowwait 30 kinst_is "$DR1" $SID1 80 198.19.2.21 state up

OLD=$KEY
NEW=$("$DYNCASTD" --genkey)
AGENTS=(e3 dr2 dr1)

# Every 200 ms, the state of each instance of SID1 in both D-Routers'
# kernels; what is not up goes to $AT/watch.
watch()
{
	local ns b st

	while [ ! -e "$AT/watch.stop" ]; do
		for ns in "$DR1" "$DR2"; do
			for b in 198.19.2.21 198.19.3.31; do
				st=$(kinst "$ns" $SID1 80 $b state)
				[ "$st" = up ] || echo "$(now_ms) $ns $b ${st:-absent}" >> "$AT/watch"
			done
		done
		sleep 0.2
	done
}
: > "$AT/watch"
watch &
WATCH=$!
defer "touch $AT/watch.stop; wait $WATCH"

declare -A unauth0 reloads0
for a in "${AGENTS[@]}"; do
	unauth0[$a]=$(agent_counter "$a" unauthenticated)
	reloads0[$a]=$(grep -c 'configuration reloaded' "$AT/$a.log")
done

# step SED: the configuration of each agent changed by SED, then a
# reload; the next agent a little later, as an operator would
step()
{
	local a

	for a in "${AGENTS[@]}"; do
		sed -i "$1" "$AT/$a.conf"
		kill -HUP "${AGENT_PID[$a]}"
		sleep 1.5
	done
}

step "s|^key = .*|key = $OLD\\nnext-key = $NEW|"
step "s|^key = .*|key = $NEW|; s|^next-key = .*|next-key = $OLD|"
next_key=$(agent_counter dr1 next-key)
step "/^next-key = /d"
# a hold time and more: what the change broke would show by now
sleep $(( 5 * TIME_FACTOR ))
touch "$AT/watch.stop"
wait "$WATCH"

reloaded()
{
	local a n

	for a in "${AGENTS[@]}"; do
		n=$(grep -c 'configuration reloaded' "$AT/$a.log")
		echo "# $a: $(( n - ${reloads0[$a]} )) reloads"
		[ $(( n - ${reloads0[$a]} )) = 3 ] || return 1
	done
}
ktap_test_result "each agent took its three reloads" reloaded

sed 's/^/# not up: /' "$AT/watch" | head -n 20
ktap_test_result "no instance went down in either D-Router's kernel" \
	test ! -s "$AT/watch"

unauth_same()
{
	local a n

	for a in "${AGENTS[@]}"; do
		n=$(agent_counter "$a" unauthenticated)
		echo "# $a: unauthenticated ${unauth0[$a]} -> $n"
		[ "$n" = "${unauth0[$a]}" ] || return 1
	done
}
echo "# D-Router 1 took $next_key messages with next-key while the others changed"
ktap_test_result "nothing dropped as unauthenticated; next-key counted" \
	eval "unauth_same && [ \"${next_key:-0}\" -gt 0 ]"

SEND=(ip netns exec "$CL" python3 "$(dirname "$0")/agent_send.py" --to 198.18.1.1)
u0=$(agent_counter dr1 unauthenticated)
"${SEND[@]}" --key "$OLD" valid:198.19.9.1:100
sleep 2
u1=$(agent_counter dr1 unauthenticated)
ktap_test_result "afterwards, the old key is refused" \
	eval "[ $u1 = $(( u0 + 1 )) ] && [ -z \"\$(kinst $DR1 $SID1 80 198.19.9.1 state)\" ]"
"${SEND[@]}" --key "$NEW" valid:198.19.9.2:100
ktap_test_result "and the new key taken" \
	slowwait 20 kinst_is "$DR1" $SID1 80 198.19.9.2 state up

ktap_finished

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The service time a D-MA measures (measure-service-time), from real TCP
# connections: a socat server in the agent's netns answers each one after
# a delay it reads from a file, and closes; conntrack follows the
# connections (a ct rule turns it on in the netns) and the agent
# announces the busy time of the instance's slots over the connections
# that ended.  The agent checks the instance's port four times a second
# (TCP health checks: connections of about 0 ms).
#  1. with no client, the checks alone give no figure (taken for demands,
#     they would: four a second are enough), the configured one stays;
#  2. clients five times a second, answers after 300 ms: it announces
#     about that (plus what the server's fork and shell add, under
#     emulation 100-200 ms; the checks taken for demands would pull it
#     below 300 ms);
#  3. with answers after 900 ms, 600 ms more than in 2;
#  4. a reload (SIGHUP, the same configuration) keeps the measure: no
#     reading over the next 2 s falls back to the configured time or
#     moves by more than 30 % (measures started anew would give none for
#     the second the first new connections take);
#  5. an instance of the same address and port that does not measure
#     keeps its configured time;
#  6. no event lost, no connection left unfollowed, no error.
#
# timeout=300

. "$(dirname "$0")/lib.sh"

require_root
require_vm
require_cmd ip jq nft socat
require_module nf_conntrack_netlink

DYNCASTD=${DYNCASTD:-$DYNCAST_TOP/userspace/dyncastd/dyncastd}

ktap_print_header
ktap_set_plan 6

[ -x "$DYNCASTD" ] || ktap_skip_all "dyncastd not built: $DYNCASTD"
NS=
setup_ns NS || ktap_skip_all "cannot create a netns"
D=$(mktemp -d /tmp/dyncast-svctime.XXXXXX) || ktap_skip_all "no temporary directory"
defer "rm -rf $D"

ip -n "$NS" link set lo up
ip -n "$NS" addr add 192.0.2.10/32 dev lo
ip netns exec "$NS" nft -f - <<-EOF || ktap_skip_all "cannot turn conntrack on"
	table inet t {
		chain in {
			type filter hook input priority filter;
			ct state invalid drop
		}
	}
EOF

echo 0.3 > "$D/delay"
# shellcheck disable=SC2016 # expanded by the server's shell
ip netns exec "$NS" socat TCP-LISTEN:80,bind=192.0.2.10,reuseaddr,fork \
	SYSTEM:'read d < '"$D"'/delay; sleep $d; echo x' 2>/dev/null &
defer "kill $!"

cat > "$D/a.conf" <<-EOF
	[agent]
	key = $("$DYNCASTD" --genkey)
	listen = 127.0.0.1:4975
	control = $D/ctl
	collect-interval = 500ms
	[instance web]
	sid = 203.0.113.1
	proto = tcp
	port = 80
	bid = 192.0.2.10
	capacity = 100
	service-time = 50000
	measure-service-time = yes
	health = tcp
	health-interval = 250ms
	health-timeout = 200ms
	[instance other]
	sid = 203.0.113.2
	proto = tcp
	port = 80
	bid = 192.0.2.10
	service-time = 50000
	EOF
ip netns exec "$NS" "$DYNCASTD" -f -c "$D/a.conf" > "$D/log" 2>&1 &
DPID=$!
defer "kill $DPID"

show()
{
	ip netns exec "$NS" "$DYNCAST" -j agent show "$@" socket "$D/ctl" 2>/dev/null
}
svc()
{
	show instance | jq -r ".[] | select(.name == \"$1\") | .[\"service-time\"] // empty"
}
counter()
{
	show agent | jq -r ".[0].counters[\"$1\"] // 0"
}

# settled: two readings a second apart within 10 % of each other, in 20 s
SETTLED=
settled_in()
{
	local lo=$1 hi=$2 a b i

	for (( i = 0; i < 20 * TIME_FACTOR; i++ )); do
		a=$(svc web)
		sleep 1
		b=$(svc web)
		if [ -n "$a" ] && [ -n "$b" ] && [ "$b" -ge "$lo" ] &&
		   [ "$b" -le "$hi" ] &&
		   [ $(( (a > b ? a - b : b - a) * 10 )) -le "$b" ]; then
			SETTLED=$b
			return 0
		fi
	done
	SETTLED=${b:-none}
	return 1
}

# 1. the checks alone, for 5 s: 20 of them, 8 in the time constant
slowwait 20 eval '[ "$(svc web)" = 50000 ]'
sleep 5
alone=$(svc web)
echo "# health checks alone, 5 s: the agent announces $alone us"
ktap_test_result "its health checks are no demands" [ "$alone" = 50000 ]

# clients: five connections a second, each reads the answer
ip netns exec "$NS" bash -c "
	while :; do
		socat -u TCP:192.0.2.10:80,connect-timeout=5 - >/dev/null 2>&1 &
		sleep 0.2
	done" &
defer "kill $!"

settled_in 300000 $(( 300000 + 250000 * TIME_FACTOR ))
ok1=$?
first=$SETTLED
echo "# answers after 300 ms: the agent announces $first us"
ktap_test_result "answers after 300 ms: about 300 ms announced" [ $ok1 = 0 ]

echo 0.9 > "$D/delay"
sleep 3
settled_in $(( first + 450000 )) $(( first + 750000 ))
ok2=$?
echo "# answers after 900 ms: the agent announces $SETTLED us (was $first)"
ktap_test_result "answers after 900 ms: about 600 ms more" [ $ok2 = 0 ]

kill -HUP "$DPID"
slowwait 10 grep -q 'configuration reloaded' "$D/log"
kept=0 seen=
[[ $SETTLED =~ ^[0-9]+$ ]] || { kept=1; SETTLED=0; }
for (( i = 0; i < 10; i++ )); do
	v=$(svc web)
	seen+=" ${v:-none}"
	if ! [[ $v =~ ^[0-9]+$ ]] ||
	   [ $(( (v > SETTLED ? v - SETTLED : SETTLED - v) * 10 )) -gt $(( SETTLED * 3 )) ]; then
		kept=1
	fi
	sleep 0.2
done
echo "# after a reload:$seen"
ktap_test_result "a reload keeps the measure" [ $kept = 0 ]

ktap_test_result "an instance that does not measure keeps its own" \
	[ "$(svc other)" = 50000 ]

events=$(counter service-time-events)
lost=$(counter service-time-lost)
untracked=$(counter service-time-untracked)
echo "# conntrack events read $events, lost $lost times, connections not followed $untracked"
sed 's/^/# /' "$D/log" | tail -n 5
ktap_test_result "no event lost, nothing unfollowed, no error" \
	eval "[ $events -gt 0 ] && [ $lost = 0 ] && [ $untracked = 0 ] && ! grep -q 'cannot follow' $D/log"

ktap_finished

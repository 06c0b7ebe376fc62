#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The service time a D-MA measures (measure-service-time), from real TCP
# connections: a server in the agent's netns answers each one after a
# delay it reads from a file, and closes, and the agent announces the
# busy time of the instance's slots over the connections that ended.
# Twice: from conntrack's events (sessions = conntrack; a ct rule turns
# conntrack on in the netns), and from the sockets (sessions = sockets,
# conntrack off: established sockets counted at random times, ended ones
# seen as the kernel destroys them).  The agent checks the instance's
# port four times a second (TCP health checks: connections of about 0 ms,
# which the server ends only after its delay, when the next checks have
# begun); so does a second instance of the same address and port, whose
# checks are no demands of the first either.  Each time:
#  1. with no client, the checks alone give no figure (taken for demands,
#     they would: four a second are enough), the configured one stays;
#  2. 100 connections to another port (a second server), and 200 UDP
#     flows to the instance's port, add no event to those the agent reads
#     (the kernel filters them by port and protocol: read, they would add
#     300 or more from conntrack, 200 from sockets; fewer than 100 is
#     counted as none, the checks' own varying);
#  3. clients five times a second, answers after 300 ms: it announces
#     about that (plus what the server adds, under emulation up to
#     200 ms; the checks taken for demands would pull it below 300 ms);
#  4. with answers after 900 ms, 600 ms more than in 3;
#  5. a reload (SIGHUP, the same configuration) keeps the measure: no
#     reading over the next 2 s falls back to the configured time or
#     moves by more than 30 % (measures started anew would give none for
#     the second the first new connections take);
#  6. an instance of the same address and port that does not measure
#     keeps its configured time;
#  7. no event lost, no connection left unfollowed, no error.
#
# timeout=600

. "$(dirname "$0")/lib.sh"

require_root
require_vm
require_cmd ip jq nft socat python3
require_module nf_conntrack_netlink

DYNCASTD=${DYNCASTD:-$DYNCAST_TOP/userspace/dyncastd/dyncastd}

ktap_print_header
ktap_set_plan 14

[ -x "$DYNCASTD" ] || ktap_skip_all "dyncastd not built: $DYNCASTD"

# Runs the deferred commands from the @1st on, and forgets them
undefer_from()
{
	local i

	for (( i = ${#DC_CLEANUP[@]} - 1; i >= $1; i-- )); do
		eval "${DC_CLEANUP[i]}" >/dev/null 2>&1
		unset "DC_CLEANUP[i]"
	done
}

measure()
{
	local SRC=$1 mark=${#DC_CLEANUP[@]}

	echo "# from $SRC"
	NS=
	setup_ns NS || ktap_skip_all "cannot create a netns"
	D=$(mktemp -d /tmp/dyncast-svctime.XXXXXX) || ktap_skip_all "no temporary directory"
	defer "rm -rf $D"

	ip -n "$NS" link set lo up
	ip -n "$NS" addr add 192.0.2.10/32 dev lo
	if [ "$SRC" = conntrack ]; then
		ip netns exec "$NS" nft -f - <<-EOF || ktap_skip_all "cannot turn conntrack on"
			table inet t {
				chain in {
					type filter hook input priority filter;
					ct state invalid drop
				}
			}
		EOF
	fi

	echo 0.3 > "$D/delay"
	# a thread a connection: forks under emulation would slow the VM
	ip netns exec "$NS" python3 -c '
import socket, sys, threading, time

def serve(c):
    with c:
        try:
            with open(sys.argv[1]) as f:
                time.sleep(float(f.read()))
            c.sendall(b"x\n")
        except OSError:
            pass

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.0.2.10", 80))
s.listen(1024)
while True:
    threading.Thread(target=serve, args=(s.accept()[0],), daemon=True).start()
' "$D/delay" &
	defer "kill $!"
	slowwait 10 eval "ip netns exec $NS ss -Htln 'sport = :80' | grep -q ."

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
		sessions = $SRC
		health = tcp
		health-interval = 250ms
		health-timeout = 200ms
		[instance other]
		sid = 203.0.113.2
		proto = tcp
		port = 80
		bid = 192.0.2.10
		service-time = 50000
		health = tcp
		health-interval = 250ms
		health-timeout = 200ms
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
	ktap_test_result "$SRC: its health checks are no demands" [ "$alone" = 50000 ]

	# 2. other ports, other protocols: the checks' events, no more
	ip netns exec "$NS" socat -u \
		TCP-LISTEN:81,bind=192.0.2.10,reuseaddr,fork OPEN:/dev/null \
		2>/dev/null &
	defer "kill $!"
	slowwait 10 eval "ip netns exec $NS ss -Htln 'sport = :81' | grep -q ."
	e0=$(counter service-time-events) t0=$(date +%s%N)
	sleep 3
	e1=$(counter service-time-events) t1=$(date +%s%N)
	# shellcheck disable=SC2016 # expanded by that shell
	ip netns exec "$NS" bash -c 'for (( i = 0; i < 100; i++ )); do
		exec 3<>/dev/tcp/192.0.2.10/81 && exec 3>&-; done
		for (( i = 0; i < 200; i++ )); do
		exec 3>/dev/udp/192.0.2.10/80 && echo x >&3; exec 3>&-; done'
	sleep 1
	e2=$(counter service-time-events) t2=$(date +%s%N)
	# beyond the checks' own, at their rate of the quiet window
	extra=$(( e2 - e1 - (e1 - e0) * (t2 - t1) / (t1 - t0) ))
	echo "# events read: $(( e1 - e0 )) in 3 s of checks alone, $(( e2 - e1 )) in the $(( (t2 - t1) / 1000000 )) ms of 100 connections to port 81 and 200 UDP flows to port 80: $extra beyond the checks' rate"
	# The checks' rate, taken over 3 s and stretched over the ~14 s the
	# clients take under emulation, is off by up to a fifth (over 100
	# events); the clients' own events, were they read, would be 600 at
	# least (a TCP connection's start and changes of state, four or more
	# within the window; a UDP flow's start).
	ktap_test_result "$SRC: the events of other ports are not read" \
		[ "$extra" -lt 300 ]

	# clients: five connections a second, each reads the answer; one
	# process keeps the pace (a client forked each time lags under
	# emulation, and the completions with it)
	ip netns exec "$NS" python3 -c '
import socket, threading, time

def one():
    try:
        with socket.create_connection(("192.0.2.10", 80), timeout=5) as s:
            while s.recv(4096):
                pass
    except OSError:
        pass

t = time.monotonic()
while True:
    threading.Thread(target=one, daemon=True).start()
    t += 0.2
    time.sleep(max(0, t - time.monotonic()))
' &
	defer "kill $!"

	settled_in 300000 $(( 300000 + 250000 * TIME_FACTOR ))
	ok1=$?
	first=$SETTLED
	echo "# answers after 300 ms: the agent announces $first us"
	ktap_test_result "$SRC: answers after 300 ms: about 300 ms announced" [ $ok1 = 0 ]

	echo 0.9 > "$D/delay"
	sleep 3
	settled_in $(( first + 450000 )) $(( first + 750000 ))
	ok2=$?
	echo "# answers after 900 ms: the agent announces $SETTLED us (was $first)"
	ktap_test_result "$SRC: answers after 900 ms: about 600 ms more" [ $ok2 = 0 ]

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
	ktap_test_result "$SRC: a reload keeps the measure" [ $kept = 0 ]

	ktap_test_result "$SRC: an instance that does not measure keeps its own" \
		[ "$(svc other)" = 50000 ]

	events=$(counter service-time-events)
	lost=$(counter service-time-lost)
	untracked=$(counter service-time-untracked)
	echo "# $SRC: events read $events, lost $lost times, connections not followed $untracked"
	sed 's/^/# /' "$D/log" | tail -n 5
	ktap_test_result "$SRC: no event lost, nothing unfollowed, no error" \
		eval "[ $events -gt 0 ] && [ $lost = 0 ] && [ $untracked = 0 ] && ! grep -q 'cannot' $D/log"
	undefer_from "$mark"
}

measure conntrack
measure sockets

ktap_finished

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Sessions counted from conntrack (a D-MA alone, in a netns of its own; no
# dyncast module): two instances on one address, ports 80 and 8080, and a
# conntrack table that holds their entries among 100 others:
#  - each counts its established entries only (not a SYN_SENT one, not
#    the other port's, not the other addresses');
#  - the agent reads only their entries: the kernel filters the dump
#    (CTA_FILTER), so "conntrack-read" grows by far less per collection
#    than the table holds.
# Then from the sockets (sessions = sockets), a server on port 80 of the
# agent's netns with 3 connections held open, and 100 to a server on port
# 81 beside it:
#  - the instance counts its 3 (not the clients' ends, not port 81's);
#  - the agent reads only its port's sockets: the kernel filters the dump
#    (inet_diag bytecode), so "sockets-read" grows by about 3 per
#    collection, not the 200 and more the namespace holds.
#
# timeout=300

. "$(dirname "$0")/lib.sh"

require_root
require_vm
require_cmd ip jq conntrack python3
require_module nf_conntrack_netlink

DYNCASTD=${DYNCASTD:-$DYNCAST_TOP/userspace/dyncastd/dyncastd}
OTHERS=100

ktap_print_header
ktap_set_plan 6

[ -x "$DYNCASTD" ] || ktap_skip_all "dyncastd not built: $DYNCASTD"
NS=
setup_ns NS || ktap_skip_all "cannot create a netns"
D=$(mktemp -d /tmp/dyncast-sessions.XXXXXX) || ktap_skip_all "no temporary directory"
defer "rm -rf $D"

# ct SRC SPORT DST DPORT STATE: one TCP entry in NS's table
ct()
{
	ip netns exec "$NS" conntrack -I -p tcp -s "$1" --sport "$2" -d "$3" \
		--dport "$4" --state "$5" -t 600 -u SEEN_REPLY >/dev/null 2>&1
}

for i in 1 2 3; do
	ct 10.0.0.$i 4000 192.0.2.10 80 ESTABLISHED
done
ct 10.0.0.9 4000 192.0.2.10 80 SYN_SENT
for i in 1 2; do
	ct 10.0.0.$i 5000 192.0.2.10 8080 ESTABLISHED
done
for (( i = 0; i < OTHERS; i++ )); do
	ct 10.1.$(( i / 250 )).$(( i % 250 + 1 )) 6000 198.51.100.$(( i % 200 + 1 )) 80 ESTABLISHED
done
total=$(ip netns exec "$NS" conntrack -C 2>/dev/null)
echo "# conntrack entries in the namespace: $total"
[ "${total:-0}" -ge $(( OTHERS + 6 )) ] || ktap_skip_all "cannot fill the conntrack table ($total entries)"

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
	sessions = conntrack
	[instance api]
	sid = 203.0.113.2
	proto = tcp
	port = 8080
	bid = 192.0.2.10
	sessions = conntrack
	EOF
ip netns exec "$NS" "$DYNCASTD" -f -c "$D/a.conf" > "$D/log" 2>&1 &
defer "kill $!"

show()
{
	ip netns exec "$NS" "$DYNCAST" -j agent show "$@" socket "$D/ctl" 2>/dev/null
}
sessions()
{
	show instance | jq -r ".[] | select(.name == \"$1\") | .sessions // empty"
}
counted()
{
	[ "$(sessions web)" = 3 ] && [ "$(sessions api)" = 2 ]
}
slowwait 20 counted
echo "# sessions: web $(sessions web), api $(sessions api)"
ktap_test_result "each instance counts its own established entries" counted

# reads SHOW COUNTER: how much the agent's COUNTER (SHOW: its "agent
# show") grows over 3 s (the window grows with TIME_FACTOR, and so does
# the count) of collections every 500 ms; sets READ, and NCOLL, about how
# many collections took place
reads()
{
	local r0 r1 t0 t1

	r0=$("$1" agent | jq -r ".[0].counters[\"$2\"]")
	t0=$(now_ms)
	sleep $(( 3 * TIME_FACTOR ))
	r1=$("$1" agent | jq -r ".[0].counters[\"$2\"]")
	t1=$(now_ms)
	READ=$(( r1 - r0 ))
	NCOLL=$(( (t1 - t0) / 500 ))
	[ "$NCOLL" -gt 0 ] || NCOLL=1
	echo "# $2: $r0 -> $r1 in $(( t1 - t0 )) ms, some $NCOLL collections (every 500 ms)"
}

# the table each collection unless the kernel filters; a quarter of it at
# most a collection, on average, leaves room for collections late on a
# slow kernel
reads show conntrack-read
echo "# the table: $total"
ktap_test_result "the agent reads only their entries, not the table" \
	eval "[ $READ -gt 0 ] && [ $(( READ * 4 )) -lt $(( NCOLL * total )) ]"

sed 's/^/# /' "$D/log" | tail -n 5
ktap_test_result "no error counting sessions" eval "! grep -q 'cannot count sessions' $D/log"

# --- sockets ------------------------------------------------------------------

S=
setup_ns S || ktap_skip_all "cannot create a netns"
ip -n "$S" link set lo up
ip -n "$S" addr add 192.0.2.10/32 dev lo
# servers on ports 80 and 81 that keep what they accept; clients that
# hold 3 connections to 80 and 100 to 81 open
ip netns exec "$S" python3 -c '
import socket, time

def server(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("192.0.2.10", port))
    s.listen(256)
    return s

held = []
for port, n in ((80, 3), (81, 100)):
    s = server(port)
    for _ in range(n):
        held.append(socket.create_connection(("192.0.2.10", port)))
        held.append(s.accept()[0])
    held.append(s)
print("ready", flush=True)
time.sleep(3600)
' > "$D/clients" 2>&1 &
defer "kill $!"
slowwait 20 grep -q ready "$D/clients"
est=$(ip netns exec "$S" ss -Htn state established | wc -l)
echo "# established sockets in the namespace: $est"

cat > "$D/s.conf" <<-EOF
	[agent]
	key = $("$DYNCASTD" --genkey)
	listen = 127.0.0.1:4975
	control = $D/sctl
	collect-interval = 500ms
	[instance web]
	sid = 203.0.113.1
	proto = tcp
	port = 80
	bid = 192.0.2.10
	sessions = sockets
	EOF
ip netns exec "$S" "$DYNCASTD" -f -c "$D/s.conf" > "$D/slog" 2>&1 &
defer "kill $!"

sshow()
{
	ip netns exec "$S" "$DYNCAST" -j agent show "$@" socket "$D/sctl" 2>/dev/null
}
slowwait 20 eval '[ "$(sshow instance | jq -r ".[0].sessions // empty")" = 3 ]'
n=$(sshow instance | jq -r '.[0].sessions // empty')
echo "# sessions from the sockets: $n"
ktap_test_result "sockets: the instance counts its 3 established sockets" [ "$n" = 3 ]

# the port's 3 a collection, with room for late ones; unfiltered, 206
reads sshow sockets-read
echo "# established sockets: $est"
ktap_test_result "sockets: the agent reads only its port's sockets" \
	eval "[ $READ -gt 0 ] && [ $(( READ * 10 )) -lt $(( NCOLL * est )) ]"
sed 's/^/# /' "$D/slog" | tail -n 5
ktap_test_result "sockets: no error counting sessions" eval "! grep -q 'cannot count sessions' $D/slog"

ktap_finished

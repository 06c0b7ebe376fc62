#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dyncastd as a daemon (a D-MA alone, in a netns of its own; no module):
#  - in the background it exits 0 once started, and 1 with the reason on
#    stderr when it cannot start (its agent port taken);
#  - its control socket answers "show" with every object, "show KIND"
#    with those of KIND only, anything else with an error;
#  - a second dyncastd does not take over the first one's control or
#    report socket: it exits 1 saying so, and the first keeps both;
#    a socket file left by a killed one is taken, a file that is not a
#    socket is not;
#  - started with a relative -c, it reads the same file again on SIGHUP
#    from the background (where it works in /); a reload to another agent
#    port moves its socket;
#  - "#" and ";" after a value start a comment;
#  - an instance's command runs every command-interval; one that leaves a
#    process holding its output is killed with it at command-timeout;
#  - the report socket has report-mode and report-group; on an abstract
#    one, which has no file mode, a report from another user is refused
#    and counted, unless that user's group is report-group (a speaker on
#    an abstract BGP socket likewise); descriptors
#    passed with reports (SCM_RIGHTS) are closed, not kept;
#  - under systemd (NOTIFY_SOCKET, WATCHDOG_USEC): READY=1 with a STATUS
#    line, WATCHDOG=1 at half the watchdog period, RELOADING=1 with
#    MONOTONIC_USEC on SIGHUP, STOPPING=1 at the end.
#
# timeout=300

. "$(dirname "$0")/lib.sh"

require_root
require_vm
require_cmd ip jq socat setpriv stat ss

DYNCASTD=${DYNCASTD:-$DYNCAST_TOP/userspace/dyncastd/dyncastd}

ktap_print_header
ktap_set_plan 20

[ -x "$DYNCASTD" ] || ktap_skip_all "dyncastd not built: $DYNCASTD"
getent group nogroup >/dev/null || ktap_skip_all "no group nogroup"
setup_ns NS || ktap_skip_all "cannot create a netns"
D=$(mktemp -d /tmp/dyncast-daemon.XXXXXX) || ktap_skip_all "no temporary directory"
defer "rm -rf $D"
KEY=$("$DYNCASTD" --genkey)

# conf FILE PORT CONTROL REPORT [LINE...]: a D-MA's configuration
conf()
{
	local f=$1 port=$2 ctl=$3 rep=$4

	shift 4
	{
		echo "[agent]"
		echo "key = $KEY   # the shared key"
		echo "listen = 127.0.0.1:$port ; a comment"
		echo "control = $ctl"
		echo "report = $rep"
		printf '%s\n' "$@"
		echo "[instance web]"
		echo "sid = 192.0.2.1"
		echo "proto = tcp"
		echo "port = 80"
		echo "bid = 192.0.2.10"
		echo "weight = 3 # as many as its servers"
	} > "$f"
}

# daemon ARGS...: dyncastd in the background in NS; its stderr in $D/err
daemon()
{
	ip netns exec "$NS" "$DYNCASTD" "$@" 2> "$D/err"
}

show()
{
	ip netns exec "$NS" "$DYNCAST" -j agent show "$1" socket "$2"
}

# pid_of CONFIG: the dyncastd started with that configuration
pid_of()
{
	pgrep -f "$DYNCASTD -c $1\$"
}

stop()
{
	local p

	p=$(pid_of "$1") || return 0
	kill "$p"
	busywait 5000 eval "! kill -0 $p 2>/dev/null"
}

# --- in the background ------------------------------------------------------
conf "$D/a.conf" 4961 "$D/ctl" "$D/rep"
daemon -c "$D/a.conf"
rc=$?
defer "stop $D/a.conf"
ktap_test_result "in the background: exit 0 once started, and it answers" \
	eval "[ $rc = 0 ] && show agent $D/ctl | jq -e '.[0].counters' >/dev/null"

# the control socket's requests, as a client other than the CLI sends them
ask()
{
	printf '%s\n' "$1" | ip netns exec "$NS" socat -t 5 - "UNIX-CONNECT:$D/ctl"
}
kinds()
{
	ask "$1" | jq -c '[.[].object] | unique'
}
k_all=$(kinds show) k_agent=$(kinds "show agent") k_inst=$(kinds "show instance")
k_bad=$(ask "show colour" | jq -r .error)
echo "# show: $k_all; show agent: $k_agent; show instance: $k_inst; show colour: $k_bad"
ktap_test_result "control socket: \"show KIND\" answers with that kind only" \
	eval "[ '$k_all' = '[\"agent\",\"instance\"]' ] &&
	      [ '$k_agent' = '[\"agent\"]' ] && [ '$k_inst' = '[\"instance\"]' ] &&
	      [ '$k_bad' = 'unknown request' ]"

# its agent port taken by another socket: exit 1, and why, on stderr
conf "$D/busy.conf" 4961 "$D/ctl2" "$D/rep2"
daemon -c "$D/busy.conf"
rc=$?
sed 's/^/# /' "$D/err"
ktap_test_result "cannot start (its port taken): exit 1, the reason on stderr" \
	eval "[ $rc = 1 ] && grep -q 'error' $D/err && ! pid_of $D/busy.conf"

# --- sockets in use -----------------------------------------------------------
conf "$D/b.conf" 4962 "$D/ctl" "$D/rep2"
daemon -c "$D/b.conf"
rc=$?
sed 's/^/# /' "$D/err"
ktap_test_result "a second dyncastd on the same control socket: exit 1, in use" \
	eval "[ $rc = 1 ] && grep -q 'control socket $D/ctl: in use' $D/err"
conf "$D/c.conf" 4963 "$D/ctl3" "$D/rep"
daemon -c "$D/c.conf"
rc=$?
sed 's/^/# /' "$D/err"
ktap_test_result "a second dyncastd on the same report socket: exit 1, in use" \
	eval "[ $rc = 1 ] && grep -q 'report socket $D/rep: in use' $D/err"
echo "web cpu 12.5" | ip netns exec "$NS" socat - "UNIX-SENDTO:$D/rep"
ktap_test_result "the first keeps both: it answers, and takes reports" \
	busywait 3000 eval "show agent $D/ctl | jq -e '.[0].counters.reports == 1' >/dev/null"

# a socket left by a killed dyncastd is taken; a file is not
kill -9 "$(pid_of "$D/a.conf")"
busywait 5000 eval "! pid_of $D/a.conf >/dev/null"
daemon -c "$D/a.conf"
rc=$?
ktap_test_result "the sockets of a killed dyncastd are taken over" \
	eval "[ $rc = 0 ] && show agent $D/ctl >/dev/null"
stop "$D/a.conf"
echo "not a socket" > "$D/rep"
daemon -c "$D/a.conf"
rc=$?
sed 's/^/# /' "$D/err"
ktap_test_result "a file that is not a socket is left alone: exit 1" \
	eval "[ $rc = 1 ] && [ \"\$(cat $D/rep)\" = 'not a socket' ]"
rm -f "$D/rep"

# --- relative -c, and a reload from / ----------------------------------------------
( cd "$D" && ip netns exec "$NS" "$DYNCASTD" -c a.conf ) 2> "$D/err"
rc=$?
weight()
{
	[ "$(show instance "$D/ctl" | jq -r '.[0].weight')" = "$1" ]
}
# shellcheck disable=SC2016 # for eval
ok=$(busywait 3000 weight 3 && echo yes)
sed -i 's/^weight = 3 .*/weight = 7/' "$D/a.conf"
p=$(pgrep -f "$DYNCASTD -c a.conf\$")
kill -HUP "$p"
ktap_test_result "comments after values; a relative -c is read again on SIGHUP" \
	eval "[ $rc = 0 ] && [ '$ok' = yes ] && busywait 5000 weight 7"
# a reload to another agent port: the socket moves, the daemon goes on
# (its probe timer, armed, was set up again over itself: a loop in the
# timer list, the daemon spinning for good)
sed -i 's/^listen = 127.0.0.1:4961 /listen = 127.0.0.1:4971 /' "$D/a.conf"
kill -HUP "$p"
sed -i 's/^weight = 7/weight = 5/' "$D/a.conf"
sleep 0.5
kill -HUP "$p"
ktap_test_result "a reload to another agent port moves the socket, and the daemon goes on" \
	eval "busywait $(( 5000 * TIME_FACTOR )) weight 5 &&
	      ip netns exec $NS ss -uanH 'sport = :4971' | grep -q . &&
	      ! ip netns exec $NS ss -uanH 'sport = :4961' | grep -q ."
kill "$p"
busywait 5000 eval "! kill -0 $p 2>/dev/null"

# --- an instance's command --------------------------------------------------------
# every command-interval (2 s), not every command-timeout (1 s); one that
# leaves a process holding its output is killed with it at the timeout,
# and the next runs come
conf "$D/c.conf" 4968 "$D/ctl" "$D/rep-c"
cat >> "$D/c.conf" <<EOF
command = echo run >> $D/runs1; echo cpu 10
command-interval = 2s
command-timeout = 1s
[instance web2]
sid = 192.0.2.1
proto = tcp
port = 80
bid = 192.0.2.11
command = echo run >> $D/runs2; sleep 31.5 & echo cpu 20
command-interval = 2s
command-timeout = 1s
EOF
daemon -c "$D/c.conf"
defer "stop $D/c.conf"
sleep $(( 7 * TIME_FACTOR ))
stop "$D/c.conf"
runs1=$(wc -l < "$D/runs1" 2>/dev/null)
runs2=$(wc -l < "$D/runs2" 2>/dev/null)
left=$(pgrep -fc 'sleep 31.5')
want=$(( 7 * TIME_FACTOR / 2 + 1 ))
echo "# in $(( 7 * TIME_FACTOR )) s: ${runs1:-0} runs, ${runs2:-0} of the one leaving a process ($want due), $left of those processes left"
ktap_test_result "a command runs every command-interval" \
	test "${runs1:-0}" -ge $(( want - 1 )) -a "${runs1:-0}" -le "$want"
ktap_test_result "one that leaves a process holding its output is killed with it, and runs again" \
	test "${runs2:-0}" -ge $(( want - 1 )) -a "${runs2:-0}" -le "$want" -a "$left" = 0

# --- a new instance's first health check -------------------------------------------
# up at its first check that passes, not after health-rise of them (its
# first announcement, made before, said it down)
ip -n "$NS" addr add 192.0.2.10/32 dev lo
ip netns exec "$NS" socat TCP-LISTEN:8089,bind=192.0.2.10,fork,reuseaddr \
	SYSTEM:true 2>/dev/null &
defer "kill $!"
busywait $(( 3000 * TIME_FACTOR )) sh -c "ip netns exec $NS ss -Htln 'sport = :8089' | grep -q ."
conf "$D/h.conf" 4969 "$D/ctl" "$D/rep-h"
cat >> "$D/h.conf" <<EOF
health = tcp
health-port = 8089
health-interval = 2s
health-rise = 5
EOF
t0=$(date +%s%N)
daemon -c "$D/h.conf"
defer "stop $D/h.conf"
health_up()
{
	[ "$(show instance "$D/ctl" | jq -r '.[0].health')" = up ]
}
busywait $(( 4000 * TIME_FACTOR )) health_up
up=$(health_up && echo yes || echo no)
echo "# health up: $up, $(( ($(date +%s%N) - t0) / 1000000 )) ms after start (5 checks 2 s apart: 8 s)"
ktap_test_result "a new instance is up at its first health check that passes" \
	test "$up" = yes
stop "$D/h.conf"

# --- who may report ---------------------------------------------------------------
# a file of report-mode and report-group
conf "$D/m.conf" 4964 "$D/ctl" "$D/rep" "report-mode = 0620" "report-group = nogroup"
daemon -c "$D/m.conf"
defer "stop $D/m.conf"
perm=$(stat -c '%a %G' "$D/rep")
echo "# report socket: $perm"
ktap_test_result "the report socket's file: report-mode and report-group" \
	test "$perm" = "620 nogroup"
stop "$D/m.conf"

# abstract: root's report taken, nobody's refused, then taken with its group
conf "$D/s.conf" 4965 "$D/ctl" "@dyncast-daemon-test"
daemon -c "$D/s.conf"
defer "stop $D/s.conf"
send()
{
	echo "web cpu $1" | ip netns exec "$NS" setpriv ${2:+--reuid=nobody \
		--regid=nogroup --clear-groups} socat - \
		ABSTRACT-SENDTO:dyncast-daemon-test
}
counts()
{
	show agent "$D/ctl" | jq -r '.[0].counters | "\(.reports) \(.["refused-reports"])"'
}
send 10
send 20 nobody
busywait 3000 eval '[ "$(counts)" = "1 1" ]'
c1=$(counts)
stop "$D/s.conf"
conf "$D/s.conf" 4965 "$D/ctl" "@dyncast-daemon-test" "report-group = nogroup"
daemon -c "$D/s.conf"
send 20 nobody
busywait 3000 eval '[ "$(counts)" = "1 0" ]'
c2=$(counts)
echo "# reports, refused: $c1, then with report-group nogroup $c2"
ktap_test_result "abstract report socket: another user's report refused and counted" \
	test "$c1" = "1 1"
ktap_test_result "abstract report socket: taken from report-group" \
	test "$c2" = "1 0"
stop "$D/s.conf"

# an abstract BGP socket: a speaker of another user is refused, root's is
# taken (a speaker could otherwise push any instance to the router)
conf "$D/b.conf" 4967 "$D/ctl" "$D/rep-b" "[bgp]" "asn = 64512" \
	"socket = @dyncast-bgp-test"
daemon -c "$D/b.conf"
defer "stop $D/b.conf"
# speak SECONDS [nobody]: a speaker connected for that long, as root or
# nobody
speak()
{
	ip netns exec "$NS" timeout "$1" setpriv \
		${2:+--reuid=nobody --regid=nogroup --clear-groups} \
		socat -u ABSTRACT-CONNECT:dyncast-bgp-test - >/dev/null 2>&1
}
refused()
{
	show agent "$D/ctl" | jq -r '.[0].counters | "\(.["bgp-refused-speakers"]) \(.["bgp-second-speaker"])"'
}
speak 1 nobody
busywait $(( 3000 * TIME_FACTOR )) eval '[ "$(refused)" = "1 0" ]'
r1=$(refused)
# root's is taken: while it is connected, another is a second speaker
# (once the daemon says the first is there: starting one takes a while
# on a busy emulated machine)
speaker()
{
	show bgp "$D/ctl" | jq -r '.[0].speaker'
}
speak $(( 60 * TIME_FACTOR )) &
held=$!
busywait $(( 20000 * TIME_FACTOR )) eval '[ "$(speaker)" = connected ]'
speak $(( 5 * TIME_FACTOR ))
busywait $(( 3000 * TIME_FACTOR )) eval '[ "$(refused)" = "1 1" ]'
r2=$(refused)
pkill -f "socat -u ABSTRACT-CONNECT:dyncast-bgp-test" 2>/dev/null
wait "$held"
echo "# bgp-refused-speakers, bgp-second-speaker: after nobody's $r1; after root's, then another: $r2"
ktap_test_result "abstract BGP socket: another user's speaker refused and counted, root's taken" \
	test "$r1" = "1 0" -a "$r2" = "1 1"

# --- systemd's notifications ---------------------------------------------------
conf "$D/n.conf" 4966 "$D/ctl-n" "$D/rep-n"
ip netns exec "$NS" socat -u ABSTRACT-RECV:dyncast-notify-test \
	"OPEN:$D/notify,creat,append" &
defer "kill $!"
sleep 0.5
ip netns exec "$NS" env NOTIFY_SOCKET=@dyncast-notify-test WATCHDOG_USEC=400000 \
	"$DYNCASTD" -f -c "$D/n.conf" 2> "$D/n.err" &
p=$!
defer "kill $p 2>/dev/null"
busywait 5000 grep -q 'READY=1' "$D/notify"
# a watchdog period of 400 ms: pings every 200 ms
sleep 1
pings=$(grep -o 'WATCHDOG=1' "$D/notify" | wc -l)
echo "# $(tr '\n' ' ' < "$D/notify" | cut -c1-200), $pings pings in about 1 s"
sed 's/^/# /' "$D/n.err"
ktap_test_result "systemd: READY=1, a STATUS line, the watchdog pinged at half its period" \
	eval "grep -q 'READY=1' $D/notify && grep -q 'STATUS=D-MA: 1 local instances, 0 learnt, 0 peers' $D/notify && [ $pings -ge 3 ]"
# reports carrying descriptors (SCM_RIGHTS): closed, not kept
fds0=$(find "/proc/$p/fd" -mindepth 1 | wc -l)
python3 - "$D/rep-n" <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.connect(sys.argv[1])
fd = os.open("/dev/null", os.O_RDONLY)
for i in range(50):
    socket.send_fds(s, [b"web cpu 1"], [fd, fd, fd])
PY
got=$(busywait 3000 eval '[ "$(show agent "$D/ctl-n" | jq ".[0].counters.reports")" -ge 50 ]' && echo yes)
fds1=$(find "/proc/$p/fd" -mindepth 1 | wc -l)
echo "# descriptors of dyncastd: $fds0, then $fds1 after 50 reports with 3 each (all taken: ${got:-no})"
ktap_test_result "descriptors passed with reports are closed" \
	eval "[ '$got' = yes ] && [ $fds1 -le $(( fds0 + 2 )) ]"
kill -HUP "$p"
busywait 5000 grep -q 'MONOTONIC_USEC=' "$D/notify"
kill "$p"
busywait 5000 grep -q 'STOPPING=1' "$D/notify"
ktap_test_result "systemd: RELOADING=1 with MONOTONIC_USEC on SIGHUP, STOPPING=1 at the end" \
	eval "grep -q 'RELOADING=1' $D/notify && grep -q 'MONOTONIC_USEC=[0-9]' $D/notify && grep -q 'STOPPING=1' $D/notify"

ktap_finished

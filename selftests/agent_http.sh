#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The metrics endpoint under clients that misbehave (a D-MA alone, in a
# netns of its own, 64 peers: an answer of some 80 KB, send buffers of
# 4 KB; no module):
#  - eight scrapers that ask and never read, their receive buffers tiny:
#    "agent show" on the control socket still answers at once (an answer
#    is sent as the client reads it, never blocking the agent);
#  - once their deadline has passed, they are closed, and a scrape gets
#    the whole answer, as long as its Content-Length says;
#  - a request whose headers do not fit gets 431 and the whole answer,
#    not a reset; "GET /metrics HTTP/2.0" and HTTP/0.9 get 400;
#  - a reload to a port in use keeps the endpoint where it was; a later
#    reload to a free port moves it.
#
# timeout=300

. "$(dirname "$0")/lib.sh"

require_root
require_vm
require_cmd ip jq python3 curl

DYNCASTD=${DYNCASTD:-$DYNCAST_TOP/userspace/dyncastd/dyncastd}

ktap_print_header
ktap_set_plan 4

[ -x "$DYNCASTD" ] || ktap_skip_all "dyncastd not built: $DYNCASTD"
NS=''
setup_ns NS || ktap_skip_all "cannot create a netns"
D=$(mktemp -d /tmp/dyncast-http.XXXXXX) || ktap_skip_all "no temporary directory"
defer "rm -rf $D"

# conf PORT: the configuration, its metrics endpoint on PORT
conf()
{
	{
		echo "[agent]"
		echo "key = $KEY"
		echo "listen = 127.0.0.1:4978"
		echo "control = $D/ctl"
		echo "metrics-listen = 127.0.0.1:$1"
		for (( i = 1; i <= 64; i++ )); do
			printf '[peer p%u]\nendpoint = 127.0.1.%u:4978\n' "$i" "$i"
		done
		printf '[instance web]\nsid = 192.0.2.1\nproto = tcp\nport = 80\nbid = 192.0.2.10\n'
	} > "$D/a.conf"
}
KEY=$("$DYNCASTD" --genkey)
conf 9478
# send buffers of 4 KB, as a busy host's would be for an answer of many
# instances (on loopback they would otherwise take the whole answer)
ip netns exec "$NS" sysctl -qw net.ipv4.tcp_wmem="4096 4096 4096" ||
	ktap_skip_all "cannot set tcp_wmem in a netns"
ip netns exec "$NS" "$DYNCASTD" -f -c "$D/a.conf" > "$D/log" 2>&1 &
PID=$!
defer "kill $PID"
URL=http://127.0.0.1:9478/metrics
scrape()
{
	ip netns exec "$NS" curl -sf --max-time $(( 5 * TIME_FACTOR )) "$@"
}
slowwait 20 scrape -o /dev/null "$URL" || ktap_fail_all "no metrics endpoint"
size=$(scrape "$URL" | wc -c)
echo "# the answer: $size bytes"

# eight clients that ask and never read, for 20 s
ip netns exec "$NS" python3 - 9478 20 > "$D/stuck.log" 2>&1 <<-'EOF' &
	import socket, sys, time
	port, hold = int(sys.argv[1]), float(sys.argv[2])
	socks = []
	for _ in range(8):
	    s = socket.socket()
	    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
	    s.connect(("127.0.0.1", port))
	    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
	    socks.append(s)
	print("stuck", flush=True)
	time.sleep(hold)
EOF
stuck=$!
defer "kill $stuck 2>/dev/null"
busywait 10000 grep -q stuck "$D/stuck.log"
sleep 1
t0=$(now_ms)
ip netns exec "$NS" timeout $(( 5 * TIME_FACTOR )) "$DYNCAST" -j agent show agent socket "$D/ctl" >/dev/null
rc=$?
t1=$(now_ms)
echo "# agent show with 8 stuck scrapers: exit $rc in $(( t1 - t0 )) ms"
ktap_test_result "eight scrapers that never read: agent show still answers" test $rc = 0

whole()
{
	local got len

	got=$(scrape -D "$D/hdr" "$URL" | wc -c) || return 1
	len=$(tr -d '\r' < "$D/hdr" | sed -n 's/^Content-Length: //Ip')
	echo "# a scrape: $got bytes, Content-Length $len"
	[ "$got" = "$len" ] && [ "$got" -gt 20000 ]
}
# their deadline (5 s from the request) passes, they are closed
ktap_test_result "then a scrape gets the whole answer" slowwait 15 whole
kill "$stuck" 2>/dev/null

big=$(ip netns exec "$NS" python3 - 9478 <<-'EOF'
	import socket, sys
	def ask(req):
	    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
	    s.sendall(req)
	    out = b""
	    try:
	        while True:
	            b = s.recv(65536)
	            if not b:
	                break
	            out += b
	    except ConnectionResetError:
	        out += b" RESET"
	    return out
	r = ask(b"GET /metrics HTTP/1.1\r\nCookie: " + b"a" * 3000 + b"\r\n\r\n")
	head, _, body = r.partition(b"\r\n\r\n")
	n = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
	print(head.split(b"\r\n")[0].decode(), "whole" if n and int(n[0].split(b":")[1]) == len(body) else "cut")
	for req in (b"GET /metrics HTTP/2.0\r\n\r\n", b"GET /metrics\r\n\r\n"):
	    print(ask(req).split(b"\r\n")[0].decode())
EOF
)
echo "$big" | sed 's/^/# /'
ktap_test_result "431 for headers that do not fit, whole; 400 for HTTP/2.0 and 0.9" \
	eval "[ \"\$(echo '$big' | sed -n 1p)\" = 'HTTP/1.1 431 Request Header Fields Too Large whole' ] &&
	      [ \"\$(echo '$big' | sed -n 2p)\" = 'HTTP/1.1 400 Bad Request' ] &&
	      [ \"\$(echo '$big' | sed -n 3p)\" = 'HTTP/1.1 400 Bad Request' ]"

# a reload to a port in use keeps the endpoint; then to a free one moves it
ip netns exec "$NS" python3 -c 'import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 9479)); s.listen(); time.sleep(60)' &
busy=$!
defer "kill $busy 2>/dev/null"
busywait 5000 sh -c "ip netns exec $NS ss -Hlnt 'sport = :9479' | grep -q ."
conf 9479
kill -HUP "$PID"
sleep 2
kept=$(scrape -o /dev/null -w '%{http_code}' "$URL")
kill "$busy"
conf 9480
kill -HUP "$PID"
moved()
{
	[ "$(scrape -o /dev/null -w '%{http_code}' http://127.0.0.1:9480/metrics)" = 200 ] &&
		! scrape -o /dev/null "$URL"
}
slowwait 10 moved
m=$?
grep 'metrics' "$D/log" | sed 's/^/# /' | tail -n 4
ktap_test_result "a reload to a port in use keeps the endpoint; one to a free port moves it" \
	eval "[ '$kept' = 200 ] && [ $m = 0 ]"

ktap_finished

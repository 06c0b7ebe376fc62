# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The topology of Figure 2 of draft-li-dyncast-architecture-00 for the
# dyncastd selftests, sourced after lib.sh.
#
#                                          edge site 2 ($E2)
#  +------+   +-------+   +-----------------+   +--------------------+
#  | $CL  |---| $DR1  |   | $DR2            |---| bid21 .2.21 :80    |
#  | .1.2 |   | D-R 1 |   | D-R 2 + D-MA    |   | bid22 .2.22 :8080  |
#  +------+   +---+---+   +--------+--------+   +--------------------+
#                 |   +-------+    |
#                 +---| $INF  |----+            edge site 3 ($E3)
#                     | infra |---------------- +--------------------+
#                     +-------+                 | D-MA (.13.1)       |
#                                               | bid31 .3.31 :80    |
#                                               | bid32 .3.32 :8080  |
#                                               +--------------------+
#
#  D-SID 1 = 203.0.113.1 tcp/80   (bid21, bid31)
#  D-SID 2 = 203.0.113.2 tcp/8080 (bid22, bid32)
#
# Agents: dyncastd on $DR1 (router, id 0.0.0.1), on $DR2 (router and
# D-MA of edge site 2, id 0.0.0.2), on $E3 (D-MA of edge site 3, id
# 0.0.0.3).  The D-MA of site 3 knows only D-Router 2, which relays its
# instances to D-Router 1.  Each instance is an nginx of its own that
# answers with its name, so a client sees where each demand went.  Both
# services use least-cost with a service time of 10 ms; every instance has
# a capacity of 100: the sessions and queue it reports count as demands
# there (dyncastd sets them as its inflight-adjust), each beyond the 100
# slots adding S / (c - A), about 0.1 ms, to its marginal delay: a queue
# of 1000, some 90 ms.

SID1=203.0.113.1
SID2=203.0.113.2
DYNCASTD=${DYNCASTD:-$DYNCAST_TOP/userspace/dyncastd/dyncastd}
AT=
declare -A AGENT_PID=()

atopo_link()
{
	veth_pair "$1" "$2" "$4" "$5" &&
		ip -n "$1" addr add "$3" dev "$2" &&
		ip -n "$4" addr add "$6" dev "$5"
}

# atopo_setup: the namespaces, links and routes; nothing of dyncast yet.
atopo_setup()
{
	local n

	setup_ns CL DR1 INF DR2 E2 E3 || return 1
	atopo_link "$CL" eth0 198.18.1.2/24 "$DR1" eth0 198.18.1.1/24 &&
	atopo_link "$DR1" eth1 198.18.11.1/24 "$INF" eth1 198.18.11.2/24 &&
	atopo_link "$DR2" eth1 198.18.12.1/24 "$INF" eth2 198.18.12.2/24 &&
	atopo_link "$DR2" eth2 198.19.2.1/24 "$E2" eth0 198.19.2.21/24 &&
	atopo_link "$INF" eth3 198.18.13.2/24 "$E3" eth0 198.18.13.1/24 ||
		return 1
	ip -n "$E2" addr add 198.19.2.22/24 dev eth0
	ip -n "$E3" link add inst type dummy
	ip -n "$E3" link set inst up
	ip -n "$E3" addr add 198.19.3.31/24 dev inst
	ip -n "$E3" addr add 198.19.3.32/24 dev inst

	ip -n "$CL" route add default via 198.18.1.1
	ip -n "$DR1" route add default via 198.18.11.2
	ip -n "$DR2" route add default via 198.18.12.2
	ip -n "$E2" route add default via 198.19.2.1
	ip -n "$E3" route add default via 198.18.13.2
	ip -n "$INF" route add 198.18.1.0/24 via 198.18.11.1
	ip -n "$INF" route add 198.19.2.0/24 via 198.18.12.1
	ip -n "$INF" route add 198.19.3.0/24 via 198.18.13.1
	for n in "$DR1" "$DR2" "$INF" "$E3"; do
		ip netns exec "$n" sysctl -qw net.ipv4.ip_forward=1 >/dev/null ||
			return 1
	done
	AT=$(mktemp -d /tmp/dyncast-agent.XXXXXX) || return 1
	defer "rm -rf $AT"
	KEY=$("$DYNCASTD" --genkey) || return 1
}

# atopo_serve NAME: the nginx of instance NAME (bid21 ... bid32)
atopo_serve()
{
	local name=$1 ns addr port dir=$AT/$1

	case $name in
	bid21) ns=$E2 addr=198.19.2.21 port=80 ;;
	bid22) ns=$E2 addr=198.19.2.22 port=8080 ;;
	bid31) ns=$E3 addr=198.19.3.31 port=80 ;;
	bid32) ns=$E3 addr=198.19.3.32 port=8080 ;;
	esac
	mkdir -p "$dir"
	cat > "$dir/nginx.conf" <<-EOF
		worker_processes 1;
		pid $dir/nginx.pid;
		error_log $dir/error.log;
		events { worker_connections 64; }
		http {
		    access_log off;
		    keepalive_timeout 120s;
		    default_type text/plain;
		    server {
		        listen $addr:$port;
		        return 200 "$name\n";
		    }
		}
	EOF
	ip netns exec "$ns" nginx -p "$dir" -c "$dir/nginx.conf" || return 1
	defer "atopo_unserve $name"
	wait_listen "$ns" tcp "$port"
}

atopo_unserve()
{
	[ -f "$AT/$1/nginx.pid" ] && kill "$(cat "$AT/$1/nginx.pid")" 2>/dev/null
	rm -f "$AT/$1/nginx.pid"
}

atopo_serve_all()
{
	local i

	for i in bid21 bid22 bid31 bid32; do
		atopo_serve $i || return 1
	done
}

# The [agent] section of agent NAME.  The agents' timers are short for
# the tests, and longer on a slower kernel (TIME_FACTOR): an agent starved
# of its CPU for a few seconds must not count as gone.
atopo_agent_section()
{
	cat <<-EOF
		[agent]
		id = $2
		key = $KEY
		control = @dyncastd
		report = $AT/$1-report.sock
		interval = 1s
		min-interval = 200ms
		hold-time = $(( 4 * TIME_FACTOR ))s
		collect-interval = 500ms
		probe-interval = 500ms
		report-ttl = 10m
	EOF
}

atopo_services()
{
	cat <<-EOF
		[router]

		[service sid1]
		sid = $SID1
		proto = tcp
		port = 80
		policy = least-cost
		affinity = 5tuple
		timeout = 120
		service-time = 10000

		[service sid2]
		sid = $SID2
		proto = tcp
		port = 8080
		policy = least-cost
		affinity = 5tuple
		timeout = 120
		service-time = 10000
	EOF
}

# atopo_instance NAME SID PORT BID SITE: a local instance, checked by HTTP
atopo_instance()
{
	cat <<-EOF

		[instance $1]
		sid = $2
		proto = tcp
		port = $3
		bid = $4
		site = $5
		capacity = 100
		health = http
		health-interval = $(( 500 * TIME_FACTOR ))ms
		health-timeout = $(( 400 * TIME_FACTOR ))ms
		health-rise = 2
		health-fall = 3
	EOF
}

# The configuration of each agent, in $AT/NAME.conf.
atopo_configs()
{
	{
		atopo_agent_section dr1 0.0.0.1
		printf '\n[peer dr2]\nendpoint = 198.18.12.1\n\n'
		atopo_services
	} > "$AT/dr1.conf"
	{
		atopo_agent_section dr2 0.0.0.2
		printf 'site = 2\n\n[peer dr1]\nendpoint = 198.18.11.1\n\n'
		atopo_services
		atopo_instance bid21 $SID1 80 198.19.2.21 2
		atopo_instance bid22 $SID2 8080 198.19.2.22 2
	} > "$AT/dr2.conf"
	{
		atopo_agent_section e3 0.0.0.3
		printf 'site = 3\n\n[peer dr2]\nendpoint = 198.18.12.1\n'
		atopo_instance bid31 $SID1 80 198.19.3.31 3
		atopo_instance bid32 $SID2 8080 198.19.3.32 3
		# a figure from a command, as a GPU's would be
		printf 'command = echo gpu 42.5\ncommand-interval = 1s\n'
	} > "$AT/e3.conf"
}

# atopo_ns NAME: the namespace of agent NAME
atopo_ns()
{
	case $1 in
	dr1) echo "$DR1" ;;
	dr2) echo "$DR2" ;;
	e3) echo "$E3" ;;
	esac
}

# agent_start NAME: dyncastd in the foreground, its log in $AT/NAME.log
agent_start()
{
	local ns

	ns=$(atopo_ns "$1")
	ip netns exec "$ns" "$DYNCASTD" -f -d -c "$AT/$1.conf" \
		>> "$AT/$1.log" 2>&1 &
	AGENT_PID[$1]=$!
	defer "agent_stop $1"
	busywait 10000 agent_show "$1" agent >/dev/null
}

agent_stop()
{
	local pid=${AGENT_PID[$1]:-}

	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	AGENT_PID[$1]=
}

# agent_kill NAME: SIGKILL, as a crash would
agent_kill()
{
	local pid=${AGENT_PID[$1]:-}

	[ -n "$pid" ] || return 0
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	AGENT_PID[$1]=
}

# agent_show NAME [KIND]: "dyncast -j agent show" of agent NAME
agent_show()
{
	ip netns exec "$(atopo_ns "$1")" "$DYNCAST" -j agent show ${2:+"$2"} \
		socket @dyncastd
}

# agent_counter NAME COUNTER: one of the agent's counters
agent_counter()
{
	agent_show "$1" agent | jq -r ".[0].counters[\"$2\"]"
}

# agent_report NAME LINE: a report to agent NAME's report socket
agent_report()
{
	echo "$2" | socat - "UNIX-SENDTO:$AT/$1-report.sock"
}

# atopo_start: module, servers, configurations and the three agents
atopo_start()
{
	atopo_serve_all || return 1
	atopo_configs
	agent_start dr1 && agent_start dr2 && agent_start e3
}

# atopo_quiet: every instance reports 0 % CPU, so that the load of the
# test VM (every instance's host) does not weigh on the choices
atopo_quiet()
{
	agent_report dr2 "bid21 cpu 0" && agent_report dr2 "bid22 cpu 0" &&
		agent_report e3 "bid31 cpu 0" && agent_report e3 "bid32 cpu 0"
}

# kinst NS SID PORT BID FIELD: a field of an instance in the kernel of NS
kinst()
{
	"$DYNCAST" -n "$1" -j instance show "$2" proto tcp port "$3" bid "$4" \
		2>/dev/null | jq -r ".[0][\"$5\"] // empty"
}

# kinst_is NS SID PORT BID FIELD VALUE
kinst_is()
{
	[ "$(kinst "$1" "$2" "$3" "$4" "$5")" = "$6" ]
}

# the four instances of the topology, "SID PORT BID" each
ATOPO_INST=("$SID1 80 198.19.2.21" "$SID1 80 198.19.3.31"
	    "$SID2 8080 198.19.2.22" "$SID2 8080 198.19.3.32")

# all_up NS: the four instances are in NS's kernel, up, capacity 100
all_up()
{
	local i

	for i in "${ATOPO_INST[@]}"; do
		# shellcheck disable=SC2086 # the words of $i are arguments
		kinst_is "$1" $i state up && kinst_is "$1" $i capacity 100 || return 1
	done
}

# cost_gap NS SID PORT BID1 BID2: BID1's network cost minus BID2's, in
# the kernel of NS, microseconds
cost_gap()
{
	local c1 c2

	c1=$(kinst "$1" "$2" "$3" "$4" cost)
	c2=$(kinst "$1" "$2" "$3" "$5" cost)
	echo $(( ${c1:-0} - ${c2:-0} ))
}

# knum NS: the instances in the kernel of NS
knum()
{
	"$DYNCAST" -n "$1" -j instance show 2>/dev/null | jq length
}

# ms_since T: milliseconds since T (microseconds, from EPOCHREALTIME)
ms_since()
{
	echo $(( (${EPOCHREALTIME/./} - $1) / 1000 ))
}

# cost_now NS SID PORT BID: the instance's cost in NS's kernel, with one
# command (no jq): read as often as it can be, it times a change to a few
# hundred ms
cost_now()
{
	local o

	o=$("$DYNCAST" -n "$1" instance show "$2" proto tcp port "$3" \
		bid "$4" 2>/dev/null)
	[[ $o =~ \ cost\ ([0-9]+) ]] && echo "${BASH_REMATCH[1]}"
}

# ask SID PORT: one HTTP request from the client; prints the instance
ask()
{
	ip netns exec "$CL" curl -s --max-time $(( 5 * TIME_FACTOR )) "http://$1:$2/" || echo none
}

# asks N SID PORT: N requests, each a new demand; their instances
asks()
{
	local i out=()

	for i in $(seq "$1"); do
		out+=("$(ask "$2" "$3")")
	done
	echo "${out[*]}"
}

# only WORD WORDS...: every word of WORDS is WORD
only()
{
	local want=$1 w

	shift
	[ $# -gt 0 ] || return 1
	for w in "$@"; do
		[ "$w" = "$want" ] || return 1
	done
}

# Dump what the agents said, for the test's log, when a check failed.
agent_logs()
{
	local n

	for n in dr1 dr2 e3; do
		echo "# --- $n"
		tail -n 25 "$AT/$n.log" 2>/dev/null | sed 's/^/#   /'
	done
}

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The dyncast demo: the deployment of Figure 2 of
# draft-li-dyncast-architecture-00, in network namespaces of the test VM.
# Run it with "make demo"; it needs the VM (it loads the module).
#
# --- topology ---------------------------------------------------------------
#
#  Two services, each with one instance on edge site 2 and one on site 3:
#    D-SID 1 = 203.0.113.1 tcp/80     instances D-BID 21, D-BID 31
#    D-SID 2 = 203.0.113.2 tcp/8080   instances D-BID 22, D-BID 32
#
#                                              edge site 2 (edge2)
#    +---------+   +------------+   +-----------------+   +------------------+
#    | client  |---| D-Router 1 |   | D-Router 2      |---| D-BID 21 .2.21   |
#    | cl1     |   | dr1        |   | dr2 (+ D-MA)    |   |   (D-SID 1, :80) |
#    | .1.2    |   |            |   |                 |   | D-BID 22 .2.22   |
#    +---------+   +-----+------+   +--+----------+---+   |   (D-SID 2,:8080)|
#                        |             |          |       +------------------+
#                        |  +----------+---+  +---+-----+
#                        +--| infra        |  | clients |
#                           | (the network)|  | cl2 .2.2|
#                           +------+-------+  +---------+
#                                  |                  edge site 3 (edge3)
#                           +------+-------+      +------------------+
#                           | edge3 gateway|------| D-BID 31 .3.31   |
#                           | (+ D-MA)     |      |   (D-SID 1, :80) |
#                           +--------------+      | D-BID 32 .3.32   |
#                                                 |   (D-SID 2,:8080)|
#                                                 +------------------+
#
#  Clients are in 198.18.1.0/24 (cl1) and 198.18.2.0/24 (cl2); instances
#  are 198.19.2.x (site 2) and 198.19.3.x (site 3).  Each instance is an
#  nginx that answers with its own name, so a client sees who served it.
#  Site 3 is further away: its link to the network has 10 ms of delay.
#
#  Last, Figure 4: a D-Forwarder (fw) in front of D-Router 1, for a third
#  client network (cl3, 198.18.3.0/24), and a third service, D-SID 3 =
#  203.0.113.3 tcp/80, reached by tunnelling: D-BID 23 on site 2 and
#  D-BID 33 on site 3 hold the D-SID themselves.
#
#    +---------+   +-------------+   +------------+
#    | cl3     |---| D-Forwarder |---| D-Router 1 |--- ...
#    | .3.2    |   | fw          |   | dr1        |
#    +---------+   +-------------+   +------------+
# --- end --------------------------------------------------------------------

. "$(dirname "$0")/../selftests/lib.sh"
. "$(dirname "$0")/../selftests/bgp_lib.sh"

DEMO=/tmp/dyncast-demo
SID1=203.0.113.1
SID2=203.0.113.2
SID3=203.0.113.3

# --- narration --------------------------------------------------------------

step()
{
	echo
	echo "=== $* ==="
}

say()
{
	echo "$*" | fold -s -w 76 | sed 's/^/  /'
}

# show NS CMD...: print the command as typed on that node, then its output
show()
{
	local ns=$1

	shift
	echo "  [$ns]# $*"
	ip netns exec "$ns" "$@" 2>&1 | sed 's/^/      /'
	return "${PIPESTATUS[0]}"
}

draw_topology()
{
	sed -n '/^# --- topology/,/^# --- end/p' "$0" | sed '1d;$d;s/^# \{0,1\}//'
}

# --- the network ------------------------------------------------------------

node()
{
	ip netns add "$1" && NS_LIST+=("$1") && ip -n "$1" link set lo up
}

# link NS1 IF1 ADDR1 NS2 IF2 ADDR2: a cable between two nodes
link()
{
	veth_pair "$1" "$2" "$4" "$5" &&
		ip -n "$1" addr add "$3" dev "$2" &&
		ip -n "$4" addr add "$6" dev "$5"
}

route()
{
	ip -n "$1" route add "$2" via "$3"
}

build_network()
{
	local n

	for n in cl1 dr1 infra dr2 cl2 edge2 edge3 cl3 fw; do
		node $n || return 1
	done
	link cl1 eth0 198.18.1.2/24    dr1 eth0 198.18.1.1/24 &&
	link dr1 eth1 198.18.11.1/24   infra eth1 198.18.11.2/24 &&
	link dr2 eth1 198.18.12.1/24   infra eth2 198.18.12.2/24 &&
	link cl2 eth0 198.18.2.2/24    dr2 eth0 198.18.2.1/24 &&
	link dr2 eth2 198.19.2.1/24    edge2 eth0 198.19.2.21/24 &&
	link infra eth3 198.18.13.2/24 edge3 eth0 198.18.13.1/24 &&
	link cl3 eth0 198.18.3.2/24    fw eth0 198.18.3.1/24 &&
	link fw eth1 198.18.21.2/24    dr1 eth2 198.18.21.1/24 || return 1

	# the instances of site 2 sit on its LAN; those of site 3 behind its
	# gateway
	ip -n edge2 addr add 198.19.2.22/24 dev eth0
	ip -n edge2 addr add 198.19.2.23/24 dev eth0
	ip -n edge3 link add inst type dummy
	ip -n edge3 link set inst up
	ip -n edge3 addr add 198.19.3.31/24 dev inst
	ip -n edge3 addr add 198.19.3.32/24 dev inst
	ip -n edge3 addr add 198.19.3.33/24 dev inst

	route cl1 default 198.18.1.1
	route cl2 default 198.18.2.1
	route dr1 default 198.18.11.2
	route dr2 default 198.18.12.2
	route edge2 default 198.19.2.1
	route edge3 default 198.18.13.2
	route infra 198.18.1.0/24 198.18.11.1
	route infra 198.18.2.0/24 198.18.12.1
	route infra 198.19.2.0/24 198.18.12.1
	route infra 198.19.3.0/24 198.18.13.1
	route cl3 default 198.18.3.1
	route fw default 198.18.21.1
	route dr1 198.18.3.0/24 198.18.21.2
	route infra 198.18.3.0/24 198.18.11.1
	for n in dr1 dr2 infra edge3 fw; do
		ip netns exec $n sysctl -qw net.ipv4.ip_forward=1
	done
	if modprobe -q sch_netem 2>/dev/null; then
		ip netns exec infra tc qdisc add dev eth3 root netem delay 10ms
		ip netns exec edge3 tc qdisc add dev eth0 root netem delay 10ms
	fi
}

# --- the service instances --------------------------------------------------

# serve SITE: one nginx per edge site, a server block per instance
serve()
{
	local site=$1 a b c dir=$DEMO/$1

	mkdir -p "$dir"
	case $site in
	edge2) a=21 b=22 c=23 ;;
	edge3) a=31 b=32 c=33 ;;
	esac
	cat > "$dir/nginx.conf" <<-EOF
		worker_processes 1;
		pid $dir/nginx.pid;
		error_log $dir/error.log;
		events { worker_connections 64; }
		http {
		    access_log off;
		    default_type text/plain;
		    server {
		        listen 198.19.${site#edge}.$a:80;
		        return 200 "D-BID $a (edge site ${site#edge}), instance of D-SID 1\n";
		    }
		    server {
		        listen 198.19.${site#edge}.$b:8080;
		        return 200 "D-BID $b (edge site ${site#edge}), instance of D-SID 2\n";
		    }
		    server {
		        listen $SID3:80;
		        return 200 "D-BID $c (edge site ${site#edge}), instance of D-SID 3\n";
		    }
		}
	EOF
	# D-SID 3 comes tunnelled: the site holds the D-SID and decapsulates
	ip -n "$site" addr add "$SID3/32" dev lo &&
		modprobe -q ipip && ip -n "$site" link set tunl0 up &&
		ip netns exec "$site" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
			net.ipv4.conf.tunl0.rp_filter=0 || return 1
	ip netns exec "$site" nginx -p "$dir" -c "$dir/nginx.conf" &&
		defer "kill \$(cat $dir/nginx.pid)"
}

ask()
{
	ip netns exec "$1" curl -s --max-time 5 "http://$2/" || echo "(no answer)"
}

# --- the D-Routers ----------------------------------------------------------

# dc ROUTER ARGS...: run the dyncast CLI on a D-Router, showing it
dc()
{
	local ns=$1

	shift
	echo "  [$ns]# dyncast $*"
	ip netns exec "$ns" "$DYNCAST" "$@" 2>&1 | sed 's/^/      /'
	return "${PIPESTATUS[0]}"
}

# Both D-Routers learn both services and the four instances.  Until the CLI
# can do this, the demo says so and goes on without it.
configure_dyncast()
{
	local r

	if ! [ -x "$DYNCAST" ] ||
	   ! ip netns exec dr1 "$DYNCAST" service show >/dev/null 2>&1; then
		say "(skipped: the dyncast CLI at $DYNCAST cannot show services yet," \
		    "so the D-Routers stay plain routers for now.)"
		return 1
	fi

	for r in dr1 dr2; do
		say "On $r: D-SID 1, web on tcp/80, rewritten to the chosen instance;" \
		    "a client's connection (its 5-tuple) keeps its instance."
		dc $r service add $SID1 proto tcp port 80 mode rewrite \
			affinity 5tuple timeout 60 policy weighted || return 1
		dc $r instance add $SID1 proto tcp port 80 bid 198.19.2.21 weight 1 || return 1
		dc $r instance add $SID1 proto tcp port 80 bid 198.19.3.31 weight 1 || return 1

		say "On $r: D-SID 2, tcp/8080; a client (its address) keeps its" \
		    "instance; the lowest expected delay wins.  The network cost" \
		    "(microseconds) is what a D-MA would report: site 3 is 10 ms" \
		    "further away."
		dc $r service add $SID2 proto tcp port 8080 mode rewrite \
			affinity 2tuple timeout 60 policy least-cost || return 1
		dc $r instance add $SID2 proto tcp port 8080 bid 198.19.2.22 \
			cost 1000 site 2 || return 1
		dc $r instance add $SID2 proto tcp port 8080 bid 198.19.3.32 \
			cost 11000 site 3 || return 1
	done
	dc dr1 service show
}

# dcf: the CLI on the D-Forwarder
dcf()
{
	dc fw "$@"
}

# Figure 4: a D-Forwarder in front of D-Router 1.
forwarder_scene()
{
	local key=$DEMO/sid3.key i

	say "A D-Forwarder sits close to a few clients.  It keeps only a" \
	    "binding table: it selects nothing, and has no metrics.  D-Router 1" \
	    "holds a key for D-SID 3; the forwarder gets a key of its own," \
	    "derived from it for the forwarder's address, which" \
	    "authenticates what they tell each other."
	echo "  [dr1]# dyncast genkey > sid3.key"
	echo "  [dr1]# dyncast derivekey 198.18.21.2 < sid3.key > fwd.key    (copied to the forwarder)"
	ip netns exec dr1 "$DYNCAST" genkey > "$key"
	"$DYNCAST" derivekey 198.18.21.2 < "$key" > "$DEMO/fwd.key" || return 1
	dc dr1 service add $SID3 proto tcp port 80 mode tunnel key-file "$key" || return 1
	dc dr1 instance add $SID3 proto tcp port 80 bid 198.19.2.23 bid 198.19.3.33 || return 1
	dcf service add $SID3 proto tcp port 80 mode forward router 198.18.21.1 \
		key-file "$DEMO/fwd.key" || return 1

	say "Client 3, behind the forwarder, asks for D-SID 3 twice.  Each" \
	    "connection's first packet finds no binding at the forwarder: it" \
	    "goes to D-Router 1 marked 'miss'; D-Router 1 chooses the" \
	    "instance, sends the packet there, and tells the forwarder (a" \
	    "Binding Info).  The rest of the connection goes from the" \
	    "forwarder straight to the instance."
	for i in 1 2; do
		echo "      $(ask cl3 $SID3)"
	done
	dcf binding show
	dcf instance show
	dc dr1 stats
	say "D-Router 1 kept the flows only until the forwarder had learnt them;" \
	    "a few seconds later it holds none of them:"
	sleep 3
	dc dr1 binding show $SID3 proto tcp port 80
	say "(nothing: the per-flow state of client 3 lives at its forwarder)"

	say "D-BID 23 fails; D-Router 1 takes it down, and tells the" \
	    "forwarders that may hold bindings to it (an unreachable-egress" \
	    "notice).  The forwarder drops those bindings; new demands of" \
	    "client 3 go to D-BID 33."
	dc dr1 instance set $SID3 proto tcp port 80 bid 198.19.2.23 state down || return 1
	sleep 1
	dcf instance show
	for i in 1 2; do
		echo "      $(ask cl3 $SID3)"
	done
}

# --- the metric agents ------------------------------------------------------

DYNCASTD=${DYNCASTD:-$DYNCAST_TOP/userspace/dyncastd/dyncastd}
declare -A AGENT_PIDS=()

# agent_conf NAME ID SITE: the [agent] section of one agent
agent_conf()
{
	cat <<-EOF
		[agent]
		id = $2
		key = $KEY
		control = @dyncastd
		report = $DEMO/$1-report.sock
		site = $3
		interval = 1s
		min-interval = 200ms
		hold-time = 4s
		collect-interval = 500ms
		probe-interval = 500ms
		report-ttl = 10m
	EOF
}

# the routers' services: those configured above, now least-cost
agent_services()
{
	cat <<-EOF

		[router]

		[service sid1]
		sid = $SID1
		proto = tcp
		port = 80
		policy = least-cost
		service-time = 10000

		[service sid2]
		sid = $SID2
		proto = tcp
		port = 8080
		policy = least-cost
		service-time = 10000
	EOF
}

# agent_instance NAME SID PORT BID: a local instance, checked over HTTP
agent_instance()
{
	cat <<-EOF

		[instance $1]
		sid = $2
		proto = tcp
		port = $3
		bid = $4
		capacity = 10
		health = http
		health-interval = 1s
	EOF
}

start_agents()
{
	local n

	KEY=$("$DYNCASTD" --genkey) || return 1
	{
		agent_conf dr1 10.0.0.1 0
		printf '\n[peer dr2]\nendpoint = 198.18.12.1\n'
		agent_services
	} > "$DEMO/dr1.conf"
	{
		agent_conf dr2 10.0.0.2 2
		printf '\n[peer dr1]\nendpoint = 198.18.11.1\n'
		agent_services
		agent_instance bid21 $SID1 80 198.19.2.21
		agent_instance bid22 $SID2 8080 198.19.2.22
	} > "$DEMO/dr2.conf"
	{
		agent_conf edge3 10.0.0.3 3
		printf '\n[peer dr2]\nendpoint = 198.18.12.1\n'
		agent_instance bid31 $SID1 80 198.19.3.31
		agent_instance bid32 $SID2 8080 198.19.3.32
	} > "$DEMO/edge3.conf"
	for n in dr1 dr2 edge3; do
		ip netns exec $n "$DYNCASTD" -f -c "$DEMO/$n.conf" \
			> "$DEMO/$n-agent.log" 2>&1 &
		AGENT_PIDS[$n]=$!
		defer "kill $!"
	done
}

# learnt ROUTER N: the router's agent holds N instances
learnt()
{
	[ "$(ip netns exec "$1" "$DYNCAST" -j agent show agent socket @dyncastd 2>/dev/null |
	     jq -r '.[0].learned')" = "$2" ]
}

# report NODE LINE: what a service tells its agent
report()
{
	echo "      $1 <- \"$2\""
	echo "$2" | ip netns exec "$1" socat - "UNIX-SENDTO:$DEMO/$1-report.sock"
}

# queue_at ROUTER N: D-Router sees bid21's queue at N
queue_at()
{
	[ "$(ip netns exec "$1" "$DYNCAST" -j instance show $SID1 proto tcp port 80 \
	     bid 198.19.2.21 2>/dev/null | jq -r '.[0].queue')" = "$2" ]
}

# field_at ROUTER BID FIELD: a field of an instance of D-SID 1 at a D-Router
field_at()
{
	ip netns exec "$1" "$DYNCAST" -j instance show $SID1 proto tcp port 80 \
		bid "$2" 2>/dev/null | jq -r ".[0][\"$3\"]"
}

# inflight_is ROUTER N: N demands of D-SID 1 in flight at the D-Router
inflight_is()
{
	[ $(( $(field_at "$1" 198.19.2.21 inflight) +
	      $(field_at "$1" 198.19.3.31 inflight) )) = "$2" ]
}

HELD=()

# hold N: client 1 opens N connections to D-SID 1 and keeps them open
hold()
{
	local i

	for (( i = 0; i < $1; i++ )); do
		ip netns exec cl1 socat -u TCP:$SID1:80 /dev/null 2>/dev/null &
		HELD+=($!)
		defer "kill $! 2>/dev/null"
	done
}

release()
{
	kill "${HELD[@]}" 2>/dev/null
	wait "${HELD[@]}" 2>/dev/null
	HELD=()
}

capacity_scene()
{
	step "A site loses capacity"
	say "Client 1 opens six connections to D-SID 1 and keeps them open:" \
	    "six demands in flight, which D-Router 1 counts itself (inflight)." \
	    "With 10 slots at each site, the nearer D-BID 21 takes them all:"
	hold 6
	slowwait 20 inflight_is dr1 6 || say "(not all six are counted yet)"
	dc dr1 instance show $SID1 proto tcp port 80
	say "Now the web service behind D-BID 21 loses servers: it tells its" \
	    "D-MA that it serves 2 demands at once (\"capacity 2\" on the" \
	    "report socket).  The D-MA announces it at once, and D-Router 1" \
	    "puts it into the kernel:"
	report dr2 "bid21 capacity 2"
	slowwait 20 eval '[ "$(field_at dr1 198.19.2.21 capacity)" = 2 ]' ||
		say "(D-Router 1 has not heard yet)"
	say "Four more connections: at D-BID 21 each would now wait behind" \
	    "the six there on two slots, more than the 20 ms further away of" \
	    "edge site 3, so they go there:"
	hold 4
	slowwait 20 inflight_is dr1 10 || say "(not all ten are counted yet)"
	dc dr1 instance show $SID1 proto tcp port 80
	say "The connections close; the counts fall back to zero, and D-BID 21" \
	    "gets its servers back:"
	release
	slowwait 20 inflight_is dr1 0 || say "(some are still counted)"
	report dr2 "bid21 capacity 10"
	echo "      inflight at D-Router 1: D-BID 21 $(field_at dr1 198.19.2.21 inflight), D-BID 31 $(field_at dr1 198.19.3.31 inflight)"
}

agents_story()
{
	local q i

	step "The metric agents"
	if ! [ -x "$DYNCASTD" ]; then
		say "(skipped: dyncastd is not built at $DYNCASTD.)"
		return 0
	fi
	say "So far an operator typed every metric.  Now dyncastd runs on" \
	    "D-Router 1 (router role), on D-Router 2 (router role, and the" \
	    "D-MA of edge site 2) and on the gateway of edge site 3 (D-MA)." \
	    "The D-MA of site 3 knows only D-Router 2, which relays what it" \
	    "learns to D-Router 1.  They take over the services configured" \
	    "above (now all least-cost) and their instances: from now on the" \
	    "D-MAs say what each instance is (D-BID 21, drained by hand above," \
	    "is announced up by its D-MA)."
	start_agents || { say "the agents did not start"; return 1; }
	slowwait 60 learnt dr1 4 && slowwait 30 learnt dr2 4 ||
		say "(the agents are slow to learn everything)"
	sleep 3
	say "What D-Router 1's agent knows: its peer, the sites it learnt" \
	    "from (site 3 via D-Router 2), their round-trip times (site 3's" \
	    "includes the 20 ms of its link), and the four instances:"
	show dr1 "$DYNCAST" agent show socket @dyncastd
	say "And what it put into the kernel: each instance's metrics as" \
	    "its D-MA measured them (CPU, sessions, capacity 10), and the" \
	    "cost of reaching it, measured (microseconds); inflight is the" \
	    "kernel's own count of the demands it sent there that have not" \
	    "ended:"
	dc dr1 instance show $SID1 proto tcp port 80

	step "An instance's load rises"
	say "The web service behind D-BID 21 reports a growing queue to its" \
	    "D-MA (a line on the agent's report socket).  The D-MA announces" \
	    "each step at once (the change is beyond its threshold); new" \
	    "demands from client 1 follow least cost: network cost plus what" \
	    "one more demand adds to the delay of all at the instance, its" \
	    "demands in flight and the queue it reports beyond them counted."
	for q in 0 50 100 200; do
		report dr2 "bid21 queue $q"
		slowwait 20 queue_at dr1 $q
		echo "      D-Router 1 sees bid21 with queue $q; three new demands:"
		for i in 1 2 3; do
			echo "        $(ask cl1 $SID1)"
		done
	done
	say "With 200 requests queued, one more demand at D-BID 21 adds some" \
	    "190 ms to the delay of all: each of the 190 beyond its 10 slots" \
	    "waits 1 ms more (a 10 ms service time over 10 slots).  Edge site" \
	    "3, 20 ms away, is now the better place."
	dc dr1 instance show $SID1 proto tcp port 80
	report dr2 "bid21 queue 0"
	slowwait 20 queue_at dr1 0

	capacity_scene

	step "A site goes silent"
	say "The D-MA of edge site 3 stops (killed, as in a crash).  After its" \
	    "hold time (4 s here) both D-Routers take its instances down:"
	{ kill -9 "${AGENT_PIDS[edge3]}" && wait "${AGENT_PIDS[edge3]}"; } 2>/dev/null
	sleep 6
	dc dr1 instance show $SID2 proto tcp port 8080
	dc dr2 instance show $SID2 proto tcp port 8080
}

# --- BGP ------------------------------------------------------------------

bgp_story()
{
	local n addr

	step "The same agents over BGP"
	if ! bgp_have; then
		say "(skipped: ExaBGP or FRR is not installed.)"
		return 0
	fi
	say "Operators with many sites already run BGP with route reflectors." \
	    "Now the agents' announcements ride BGP instead: each agent gets" \
	    "an ExaBGP, which runs \"dyncastd --exabgp\" as its API process," \
	    "and an unmodified FRR bgpd in the network reflects their routes" \
	    "(TCP-MD5, ADD-PATH: one path per instance).  An instance is its" \
	    "D-SID as a host route, its D-BID as next hop, its metrics in" \
	    "large communities, its capacity also as Link Bandwidth.  The" \
	    "agents restart with a [bgp] section and no peers:"
	for n in dr1 dr2 edge3; do
		kill "${AGENT_PIDS[$n]}" 2>/dev/null
		wait "${AGENT_PIDS[$n]}" 2>/dev/null
	done
	bgp_rr_start "$DEMO/rr" infra 64512 demo-bgp-key 9 198.18.11.1 \
		198.18.12.1 198.18.13.1 || { say "FRR's bgpd did not start"; return 1; }
	for n in dr1:198.18.11.1 dr2:198.18.12.1 edge3:198.18.13.1; do
		addr=${n#*:}
		n=${n%%:*}
		sed -i '/^\[peer /,/^endpoint = /d' "$DEMO/$n.conf"
		bgp_agent_section "$DEMO/$n-bgp.sock" 64512 "$addr" >> "$DEMO/$n.conf"
		bgp_exabgp_conf "$addr" "${addr%.*}.2" 64512 demo-bgp-key 9 \
			"$DEMO/$n-bgp.sock" 4s > "$DEMO/$n-exabgp.conf"
		ip netns exec $n "$DYNCASTD" -f -c "$DEMO/$n.conf" \
			>> "$DEMO/$n-agent.log" 2>&1 &
		AGENT_PIDS[$n]=$!
		defer "kill $!"
		bgp_speaker_start $n $n "$DEMO/$n-exabgp.conf" "$DEMO/$n-exabgp.log"
	done
	sed -n '/^\[bgp\]/,$p' "$DEMO/edge3.conf" | sed 's/^/      /'
	slowwait 90 learnt dr1 4 ||
		say "(D-Router 1 is slow to learn everything)"
	say "The reflector holds both instances of D-SID 1, with their large" \
	    "communities (64512:KIND:VALUE: 1 the service, 2 the agent, 9" \
	    "the capacity...) and the capacity as Link Bandwidth (LB):"
	show infra vtysh --vty_socket "$DEMO/rr" -c "show bgp ipv4 unicast $SID1/32"
	say "D-Router 1's agent: its speaker, its neighbour (the reflector)," \
	    "and what it put into the kernel:"
	dc dr1 agent show bgp socket @dyncastd
	dc dr1 agent show neighbor socket @dyncastd
	dc dr1 instance show $SID1 proto tcp port 80
	say "Edge site 3's speaker dies: the reflector withdraws its paths at" \
	    "once (the TCP session closed; else after the hold time, 9 s)," \
	    "and D-Router 1 takes its instances down (they were configured" \
	    "by hand before the agents came, so they stay, down); new" \
	    "demands go to site 2:"
	bgp_speaker_kill edge3
	slowwait 20 learnt dr1 2 || say "(not withdrawn yet)"
	dc dr1 instance show $SID1 proto tcp port 80
	for n in 1 2; do
		echo "      $(ask cl1 $SID1)"
	done
	say "It comes back, and so do they:"
	bgp_speaker_start edge3 edge3 "$DEMO/edge3-exabgp.conf" "$DEMO/edge3-exabgp.log"
	slowwait 90 learnt dr1 4 || say "(not back yet)"
	dc dr1 instance show $SID1 proto tcp port 80
}

# --- the story --------------------------------------------------------------

main()
{
	local i

	step "The deployment"
	draw_topology

	step "Building the network"
	say "Nine network namespaces stand for the nodes of the figures: three" \
	    "client networks, D-Router 1, D-Router 2, the infrastructure between" \
	    "them, the edge sites 2 and 3, and a D-Forwarder."
	build_network || { say "could not build the network"; return 1; }
	mkdir -p "$DEMO"
	defer "rm -rf $DEMO"

	step "Starting the service instances"
	say "Each edge site runs one instance of each service.  An instance is" \
	    "reached at its own unicast address, its D-BID."
	serve edge2 && serve edge3 || { say "nginx did not start"; return 1; }
	for i in 198.19.2.21 198.19.3.31; do
		show cl1 curl -s --max-time 5 "http://$i/"
	done
	for i in 198.19.2.22:8080 198.19.3.32:8080; do
		show cl2 curl -s --max-time 5 "http://$i/"
	done

	step "Loading dyncast"
	if [ ! -f "$DYNCAST_KO" ]; then
		say "The module is not built ($DYNCAST_KO); the demo ends here."
		return 0
	fi
	dc_load || { say "the module did not load"; return 1; }
	say "The module registers the generic netlink family \"dyncast\"" \
	    "in every network namespace; this is what D-Router 1 sees:"
	show dr1 genl ctrl get name dyncast

	step "Before dyncast: the service addresses lead nowhere"
	say "A client asks for D-SID 1 ($SID1).  No host has that address; only" \
	    "a D-Router can turn it into an instance."
	show cl1 curl -s --max-time 3 "http://$SID1/" || say "(no answer, as expected)"

	step "Configuring the D-Routers"
	configure_dyncast || return 0

	step "Service demands"
	say "Client 1, behind D-Router 1, asks for D-SID 1 four times; each" \
	    "connection is a new demand, spread over both instances:"
	for i in 1 2 3 4; do
		echo "      $(ask cl1 $SID1)"
	done
	say "Client 2, behind D-Router 2, asks for D-SID 2 four times; the" \
	    "nearer instance wins, and being one client it stays there:"
	for i in 1 2 3 4; do
		echo "      $(ask cl2 $SID2:8080)"
	done

	step "What the D-Routers remember"
	say "Each D-Router keeps a binding per demand: the flow identifier," \
	    "the instance, and how long until the binding expires."
	dc dr1 binding show
	dc dr2 binding show
	dc dr1 stats

	step "A metric update: D-BID 22 is overloaded"
	say "The D-MA of edge site 2 reports D-BID 22 at 95% CPU with 40" \
	    "requests queued (the metric agent sends this to both D-Routers;" \
	    "here the CLI pushes it the same way, over the same netlink" \
	    "family)."
	for r in dr1 dr2; do
		dc $r instance set $SID2 proto tcp port 8080 bid 198.19.2.22 \
			cpu 95 queue 40 || return 1
	done
	dc dr2 instance show $SID2 proto tcp port 8080
	say "Client 2 keeps its instance: its demand is bound, and instance" \
	    "affinity holds until the binding expires:"
	echo "      $(ask cl2 $SID2:8080)"
	say "A new demand, client 1 through D-Router 1, now goes to edge site" \
	    "3: its 10 ms more of network cost weigh less than what one more" \
	    "demand adds at site 2, at 95 % load with 40 queued:"
	echo "      $(ask cl1 $SID2:8080)"

	step "Maintenance: D-BID 21 drains"
	say "D-BID 21 is set to drain on D-Router 1: it takes no new demand," \
	    "while demands already bound to it go on until they expire."
	dc dr1 instance set $SID1 proto tcp port 80 bid 198.19.2.21 state drain || return 1
	for i in 1 2 3; do
		echo "      $(ask cl1 $SID1)"
	done
	dc dr1 instance show $SID1 proto tcp port 80
	dc dr1 service show

	step "A D-Forwarder in front of D-Router 1 (Figure 4)"
	forwarder_scene || return 1

	agents_story || return 1
	bgp_story || return 1

	say "That is dyncast: one address per service, and the network picks" \
	    "the instance, by both compute and network state."
}

main
rc=$?
echo
echo "=== demo finished ==="
exit $rc

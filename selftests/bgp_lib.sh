# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# BGP for dyncastd's selftests and the demo, sourced after lib.sh: an
# unmodified FRR bgpd as route reflector, and ExaBGP speakers that run
# "dyncastd --exabgp" as their API process.  Nothing here is dyncast's
# own: the configurations are what an operator would write.

EXABGP=${EXABGP:-$(command -v exabgp || command -v python3-exabgp)}
BGPD=${BGPD:-/usr/lib/frr/bgpd}
declare -A BGP_SPEAKER_PID=()

# bgp_have: ExaBGP, FRR's bgpd and vtysh are installed
bgp_have()
{
	[ -n "$EXABGP" ] && [ -x "$BGPD" ] && command -v vtysh >/dev/null
}

# bgp_rr_start DIR NS ASN PASSWORD HOLD CLIENT...: FRR's bgpd in NS as
# the route reflector of CLIENT... (iBGP, ADD-PATH to all, TCP-MD5, the
# given hold time), without zebra: it installs nothing, and takes every
# next hop as reachable.  Its files and vty socket in DIR.
bgp_rr_start()
{
	local dir=$1 ns=$2 asn=$3 pw=$4 hold=$5 c

	shift 5
	mkdir -p "$dir"
	{
		cat <<-EOF
			frr defaults traditional
			hostname rr
			log file $dir/bgpd.log informational
			!
			router bgp $asn
			 bgp router-id 198.18.0.254
			 bgp cluster-id 198.18.0.254
			 no bgp default ipv4-unicast
			 bgp log-neighbor-changes
			 neighbor RRC peer-group
			 neighbor RRC remote-as internal
			 neighbor RRC password $pw
			 neighbor RRC timers $(( hold / 3 )) $hold
		EOF
		for c in "$@"; do
			echo " neighbor $c peer-group RRC"
		done
		cat <<-EOF
			 address-family ipv4 unicast
			  neighbor RRC activate
			  neighbor RRC route-reflector-client
			  neighbor RRC addpath-tx-all-paths
			 exit-address-family
			!
		EOF
	} > "$dir/bgpd.conf"
	ip netns exec "$ns" "$BGPD" -d -Z -f "$dir/bgpd.conf" \
		-i "$dir/bgpd.pid" --vty_socket "$dir" -z "$dir/zserv.api" \
		-P 0 -S >> "$dir/out.log" 2>&1 || { cat "$dir/out.log"; return 1; }
	defer "bgp_stop_pidfile $dir/bgpd.pid"
}

# bgp_stop_pidfile FILE: SIGTERM to the daemon whose pid FILE holds, and
# up to 5 s for it to go (FRR's daemons are not our children)
bgp_stop_pidfile()
{
	local pid i

	pid=$(cat "$1" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null || return 0
	for (( i = 0; i < 50; i++ )); do
		[ -d "/proc/$pid" ] || return 0
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
}

# bgp_rr DIR COMMAND: a vtysh command of the reflector of DIR
bgp_rr()
{
	vtysh --vty_socket "$1" -c "$2"
}

# bgp_rr_state DIR ADDR: the reflector's session with ADDR
bgp_rr_state()
{
	bgp_rr "$1" "show bgp neighbors $2 json" 2>/dev/null |
		jq -r ".[\"$2\"].bgpState // empty"
}

# bgp_exabgp_conf LOCAL PEER ASN PASSWORD HOLD [SOCKET GRACE] [ROUTE...]:
# ExaBGP's configuration of one speaker; with SOCKET, its API process is
# dyncastd's relay to it; ROUTEs, static routes of its own
bgp_exabgp_conf()
{
	[ -z "${6:-}" ] || cat <<-EOF
		process dyncast {
			run $DYNCASTD --exabgp $6 --grace $7;
			encoder json;
		}
	EOF
	cat <<-EOF
		neighbor $2 {
			router-id $1;
			local-address $1;
			local-as $3;
			peer-as $3;
			md5-password "$4";
			md5-base64 false;
			hold-time $5;
			capability {
				add-path send/receive;
				route-refresh;
			}
			family {
				ipv4 unicast;
				ipv6 unicast;
			}
	EOF
	[ -z "${6:-}" ] || cat <<-EOF
			api {
				processes [ dyncast ];
				neighbor-changes;
				receive {
					parsed;
					update;
				}
			}
	EOF
	if [ $# -gt 7 ]; then
		shift 7
		printf '\tstatic {\n'
		printf '\t\troute %s;\n' "$@"
		printf '\t}\n'
	fi
	echo "}"
}

# bgp_speaker_start NAME NS CONF LOG: ExaBGP in NS, in the foreground
bgp_speaker_start()
{
	ip netns exec "$2" env exabgp.daemon.user=root exabgp.api.cli=false \
		exabgp.log.destination=stdout exabgp.daemon.daemonize=false \
		"$EXABGP" "$3" >> "$4" 2>&1 &
	BGP_SPEAKER_PID[$1]=$!
	defer "bgp_speaker_kill $1"
}

# bgp_speaker_kill NAME: SIGKILL, and its API process
bgp_speaker_kill()
{
	local pid=${BGP_SPEAKER_PID[$1]:-}

	[ -n "$pid" ] || return 0
	pkill -9 -P "$pid" 2>/dev/null
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	BGP_SPEAKER_PID[$1]=
}

# bgp_agent_section SOCKET ASN PROBE: dyncastd's [bgp] section
bgp_agent_section()
{
	printf '\n[bgp]\nsocket = %s\nasn = %s\nprobe-address = %s\n' "$1" "$2" "$3"
}

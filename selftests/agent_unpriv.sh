#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dyncastd as its systemd unit runs it: an unprivileged user (nobody here,
# dyncast there) whose only capabilities are an ambient CAP_NET_ADMIN and
# CAP_NET_RAW, its key file root-owned and readable by its group, its
# control socket in /run/dyncast (the unit's RuntimeDirectory=, made here
# as systemd would):
#  - it starts, answers on the default control socket, and creates the
#    services of its configuration in the kernel, and its local instance;
#  - its process holds CAP_NET_ADMIN and CAP_NET_RAW and nothing else;
#  - it reads its key file again on SIGHUP, and keeps working;
#  - without CAP_NET_ADMIN it does not start: exit 1, and why;
#  - run as root with /run/dyncast missing, it makes the directory.
#
# timeout=300

. "$(dirname "$0")/lib.sh"

require_root
require_vm
require_cmd ip jq setpriv getent

DYNCASTD=${DYNCASTD:-$DYNCAST_TOP/userspace/dyncastd/dyncastd}
RUN=/run/dyncast
SID=203.0.113.80

ktap_print_header
ktap_set_plan 6

[ -x "$DYNCASTD" ] || ktap_skip_all "dyncastd not built: $DYNCASTD"
getent passwd nobody >/dev/null && getent group nogroup >/dev/null ||
	ktap_skip_all "no user nobody or group nogroup"
[ ! -e "$RUN" ] || ktap_skip_all "$RUN exists: another dyncastd?"
dc_load || ktap_skip_all "cannot load the module"
setup_ns NS || ktap_skip_all "cannot create a netns"
D=$(mktemp -d /tmp/dyncast-unpriv.XXXXXX) || ktap_skip_all "no temporary directory"
chmod 0755 "$D"
defer "rm -rf $D $RUN"

(umask 077; "$DYNCAST" genkey > "$D/agent.key")
chgrp nogroup "$D/agent.key"
chmod 0640 "$D/agent.key"

# conf FILE PORT [LINE...]: a D-Router with a local instance of its service
conf()
{
	local f=$1 port=$2

	shift 2
	{
		echo "[agent]"
		echo "key-file = $D/agent.key"
		echo "listen = 127.0.0.1:$port"
		printf '%s\n' "$@"
		echo "[router]"
		echo "[service web]"
		echo "sid = $SID"
		echo "proto = tcp"
		echo "port = 80"
		echo "[instance web1]"
		echo "sid = $SID"
		echo "proto = tcp"
		echo "port = 80"
		echo "bid = 198.19.0.1"
	} > "$f"
}

# as_dyncast [CAPS] ARGS...: dyncastd in NS as nobody:nogroup, with
# CAP_NET_ADMIN and CAP_NET_RAW ambient (as the unit's
# AmbientCapabilities=) or, with "none", no capability at all; stderr in
# $D/err
as_dyncast()
{
	local caps=+net_admin,+net_raw

	if [ "$1" = none ]; then
		caps=
		shift
	fi
	ip netns exec "$NS" setpriv --reuid=nobody --regid=nogroup --clear-groups \
		--inh-caps="-all${caps:+,$caps}" --ambient-caps="-all${caps:+,$caps}" \
		--bounding-set="-all${caps:+,$caps}" \
		"$DYNCASTD" "$@" 2> "$D/err"
}

installed()
{
	"$DYNCAST" -n "$NS" -j instance show "$SID" proto tcp port 80 2>/dev/null |
		jq -e 'length == 1 and .[0].bid == "198.19.0.1"' >/dev/null
}

install -d -o nobody -g nogroup -m 0755 "$RUN"
conf "$D/a.conf" 4970
as_dyncast -c "$D/a.conf"
rc=$?
sed 's/^/# /' "$D/err"
pid=$(pgrep -f "$DYNCASTD -c $D/a.conf\$")
[ -z "$pid" ] || defer "kill $pid"
ktap_test_result "as nobody with CAP_NET_ADMIN: starts, answers on $RUN/dyncastd.sock" \
	eval "[ $rc = 0 ] && [ -S $RUN/dyncastd.sock ] &&
	      [ \$(stat -c %U $RUN/dyncastd.sock) = nobody ] &&
	      ip netns exec $NS $DYNCAST -j agent show agent | jq -e '.[0].counters' >/dev/null"

ktap_test_result "its service and its local instance are in the kernel" \
	slowwait 20 installed

caps()
{
	sed -n 's/^CapEff:[[:space:]]*//p' "/proc/$pid/status"
}
echo "# uid $(sed -n 's/^Uid:[[:space:]]*//p' /proc/"$pid"/status), CapEff $(caps)"
# CAP_NET_ADMIN is bit 12, CAP_NET_RAW 13
ktap_test_result "its only capabilities are CAP_NET_ADMIN and CAP_NET_RAW" \
	eval "[ \"\$(caps)\" = 0000000000003000 ] &&
	      [ \"\$(stat -c %u /proc/$pid)\" = \"\$(id -u nobody)\" ]"

# a reload that takes the file: the instance comes back, with the weight
# the file now gives (the kernel audit, every 30 s, would put it back too,
# with the old weight)
weight()
{
	"$DYNCAST" -n "$NS" -j instance show "$SID" proto tcp port 80 2>/dev/null |
		jq -e ".[0].weight == $1" >/dev/null
}
"$DYNCAST" -n "$NS" instance del "$SID" proto tcp port 80 bid 198.19.0.1
echo "weight = 7" >> "$D/a.conf"
kill -HUP "$pid"
ktap_test_result "SIGHUP: reads its key file again, puts back its instance" \
	eval "slowwait 20 installed && slowwait 20 weight 7 && kill -0 $pid"

kill "$pid"
busywait 5000 eval "! kill -0 $pid 2>/dev/null"

conf "$D/b.conf" 4970 "control = $D/b.sock"
as_dyncast none -c "$D/b.conf"
rc=$?
sed 's/^/# /' "$D/err"
ktap_test_result "without CAP_NET_ADMIN: exit 1, and why" \
	eval "[ $rc = 1 ] && grep -qi 'permi' $D/err &&
	      ! pgrep -f '$DYNCASTD -c $D/b.conf\$' >/dev/null"

rm -rf "$RUN"
conf "$D/c.conf" 4971
ip netns exec "$NS" "$DYNCASTD" -c "$D/c.conf" 2> "$D/err"
rc=$?
sed 's/^/# /' "$D/err"
pid=$(pgrep -f "$DYNCASTD -c $D/c.conf\$")
[ -z "$pid" ] || defer "kill $pid"
ktap_test_result "as root with $RUN missing: made, mode 0755" \
	eval "[ $rc = 0 ] && [ -S $RUN/dyncastd.sock ] &&
	      [ \$(stat -c %a $RUN) = 755 ]"

ktap_finished

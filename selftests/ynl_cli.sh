#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernel's own YNL CLI (tools/net/ynl/cli.py of Linux 6.12, extracted
# by scripts/ynl.sh into build/ynl) drives the module from nothing but the
# spec, Documentation/netlink/specs/dyncast.yaml, validated against the
# genetlink-legacy schema on the way:
#  - service-new with enums given by name, instance-new with two instance
#    nests (multi-attr), then an instance-get dump: what YNL decodes is
#    what the dyncast tool shows;
#  - a second service-new: the kernel's error and extack reach YNL;
#  - a listener on the events group decodes the notifications of changes
#    made by the dyncast tool.
#
# timeout=300

. "$(dirname "$0")/lib.sh"

require_root
require_vm
require_cmd ip jq python3

YNL=${DYNCAST_YNL:-$DYNCAST_TOP/build/ynl}
SPEC=$DYNCAST_TOP/Documentation/netlink/specs/dyncast.yaml
SCHEMA=$YNL/Documentation/netlink/genetlink-legacy.yaml

ktap_print_header
ktap_set_plan 4

[ -f "$YNL/tools/net/ynl/cli.py" ] ||
	ktap_skip_all "no YNL CLI in $YNL (make check extracts it: scripts/ynl.sh)"
python3 -c 'import jsonschema' 2>/dev/null ||
	ktap_skip_all "python3-jsonschema is not installed"
dc_load || ktap_skip_all "cannot load the module"
NS=
setup_ns NS || ktap_skip_all "cannot create a netns"

ynl()
{
	ip netns exec "$NS" python3 "$YNL/tools/net/ynl/cli.py" \
		--spec "$SPEC" --schema "$SCHEMA" "$@"
}

# 203.0.113.1, 198.19.2.21 and 198.19.3.31 as YNL takes a big-endian u32
# (the value, not the bytes)
SID=$(( (203 << 24) | (0 << 16) | (113 << 8) | 1 ))
B1=$(( (198 << 24) | (19 << 16) | (2 << 8) | 21 ))
B2=$(( (198 << 24) | (19 << 16) | (3 << 8) | 31 ))
SVC="\"service\": {\"addr4\": $SID, \"proto\": 6, \"port\": 80}"

# 1: create, fill, dump
ok=1
ynl --do service-new --json "{\"service\": {\"addr4\": $SID, \"proto\": 6, \"port\": 80,
	\"mode\": \"rewrite\", \"policy\": \"least-cost\", \"timeout\": 30}}" || ok=0
ynl --do instance-new --json "{$SVC, \"instance\": [{\"addr4\": $B1, \"weight\": 2},
	{\"addr4\": $B2, \"weight\": 3}]}" || ok=0
dump=$(ynl --dump instance-get --json "{$SVC}" --output-json) || ok=0
echo "# ynl: $dump"
# the spec's display-hint: YNL prints the addresses as such
got=$(echo "$dump" | jq -c '[.[] | .instance[0] // .instance | {addr4, weight}] | sort_by(.addr4)')
want='[{"addr4":"198.19.2.21","weight":2},{"addr4":"198.19.3.31","weight":3}]'
echo "# decoded: $got"
if [ $ok = 1 ] && [ "$got" = "$want" ]; then
	ktap_test_pass "service-new, instance-new (two nests), instance-get dump"
else
	ktap_test_fail "service-new, instance-new (two nests), instance-get dump (want $want)"
fi

# 2: the dyncast tool sees what YNL made
show=$("$DYNCAST" -n "$NS" -j service show 203.0.113.1 proto tcp port 80)
echo "# dyncast: $show"
ktap_test_result "the dyncast tool shows the service as YNL made it" \
	eval "echo '$show' | jq -e '.[0].mode == \"rewrite\" and .[0].policy == \"least-cost\" and .[0].timeout == 30 and .[0].instances == 2' >/dev/null"

# 3: an error, with the kernel's message
err=$(ynl --do service-new --json "{$SVC}" 2>&1)
rc=$?
echo "$err" | sed 's/^/# /' | tail -n 5
ktap_test_result "a second service-new fails, with the kernel's extack" \
	eval "[ $rc != 0 ] && echo \"\$err\" | grep -q 'exists'"

# 4: notifications of the dyncast tool's changes, decoded by YNL.  The
# listener subscribes once Python and the spec are loaded, which takes a
# while under emulation: the changes go on for 10 s, the last ones reach it.
ynl --subscribe events --sleep $(( 14 * TIME_FACTOR )) --output-json \
	> "/tmp/ynl-ntf.$$" 2>&1 &
listener=$!
for w in $(seq 11 20); do
	"$DYNCAST" -n "$NS" instance set 203.0.113.1 proto tcp port 80 \
		bid 198.19.2.21 weight "$w"
	sleep "$TIME_FACTOR"
done
"$DYNCAST" -n "$NS" instance del 203.0.113.1 proto tcp port 80 bid 198.19.3.31
wait $listener
jq -c '.[] | {name, instance: .msg.instance}' "/tmp/ynl-ntf.$$" 2>/dev/null |
	sed 's/^/# /' | tail -n 4
ktap_test_result "YNL decodes the notifications of instance-set and instance-del" \
	eval "jq -e '[.[] | select(.name == \"instance-set-ntf\") | .msg.instance[0].weight] | max == 20' /tmp/ynl-ntf.$$ >/dev/null &&
	      jq -e '[.[] | select(.name == \"instance-del-ntf\") | .msg.instance[0].addr4] == [\"198.19.3.31\"]' /tmp/ynl-ntf.$$ >/dev/null"
rm -f "/tmp/ynl-ntf.$$"

ktap_finished

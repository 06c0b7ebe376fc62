#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The "events" multicast group announces service and instance changes and
# instances going down, each to the listeners of its own namespace only;
# metric-only updates are not announced.
#
# timeout=300

. "$(dirname "$0")/lib.sh"

require_root
require_vm
require_cmd ip jq

ktap_print_header
ktap_set_plan 7

dc_load || ktap_skip_all "cannot load the module"
setup_ns R OTHER || ktap_skip_all "cannot create the namespaces"

LOG=$(mktemp)
OLOG=$(mktemp)
defer "rm -f $LOG $OLOG"
"$DYNCAST" -n "$R" -j monitor > "$LOG" 2>&1 &
defer "kill $!"
"$DYNCAST" -n "$OTHER" -j monitor > "$OLOG" 2>&1 &
defer "kill $!"
sleep 1

d() { "$DYNCAST" -n "$R" "$@"; }

d service add 10.99.0.1 proto tcp port 80 policy least-cost
d instance add 10.99.0.1 proto tcp port 80 bid 10.0.1.2
d instance add 10.99.0.1 proto tcp port 80 bid 10.0.2.2
d instance set 10.99.0.1 proto tcp port 80 bid 10.0.1.2 cpu 50 sessions 10
d instance set 10.99.0.1 proto tcp port 80 bid 10.0.1.2 state down
d service set 10.99.0.1 proto tcp port 80 timeout 30
d instance del 10.99.0.1 proto tcp port 80 bid 10.0.2.2
d service del 10.99.0.1 proto tcp port 80
sleep 1

events()
{
	jq -r 'select(.object) | "\(.object) \(.event)" + (if .state then " \(.state)" else "" end)' "$LOG" |
		tr '\n' ','
}

got=$(events)
echo "# events: $got"
# has OBJECT EVENT [FILTER]: some event matches; jq -e alone would judge
# by the last line only.
has()
{
	jq -se "map(select(.object == \"$1\" and .event == \"$2\")$3) | length > 0" \
		"$LOG" >/dev/null
}

ktap_test_result "service add announced" has service add ' | select(.policy == "least-cost")'
ktap_test_result "instance adds announced" \
	test "$(jq -c 'select(.object == "instance" and .event == "add")' "$LOG" | wc -l)" = 2
ktap_test_result "an instance going down announced" \
	has instance set ' | select(.bid == "10.0.1.2" and .state == "down")'
ktap_test_result "a metric-only update not announced" \
	test "$(jq -c 'select(.object == "instance" and .event == "set")' "$LOG" | wc -l)" = 1
ktap_test_result "service change announced" has service set ' | select(.timeout == 30)'
ktap_test_result "instance and service deletions announced" \
	sh -c "$(declare -f has); LOG=$LOG; has instance del ' | select(.bid == \"10.0.2.2\")' &&
	       has service del ''"
ktap_test_result "another namespace hears nothing" test ! -s "$OLOG"

ktap_finished

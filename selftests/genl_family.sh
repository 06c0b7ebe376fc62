#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The generic netlink family "dyncast" is visible in the initial network
# namespace and in every other one: those that existed before the module
# was loaded and those created after.  It is gone once the module is
# unloaded.

. "$(dirname "$0")/lib.sh"

require_root
require_vm
require_cmd ip genl

family_visible()
{
	local out

	out=$(ip netns exec "$1" genl ctrl get name dyncast 2>&1) &&
		grep -q 'Name: dyncast' <<< "$out"
}

family_visible_init()
{
	genl ctrl get name dyncast 2>/dev/null | grep -q 'Name: dyncast'
}

ktap_print_header
ktap_set_plan 10

setup_ns OLD1 OLD2 || ktap_skip_all "cannot create network namespaces"
dc_load || { ktap_test_fail "module loads"; ktap_finished; }
setup_ns NEW1 NEW2 NEW3 || ktap_skip_all "cannot create network namespaces"
veth_pair "$OLD1" veth0 "$NEW1" veth1

ktap_test_result "family in the initial netns" family_visible_init
ktap_test_result "family listed by 'genl ctrl list'" \
	bash -c "genl ctrl list | grep -q 'Name: dyncast'"
for ns in "$OLD1" "$OLD2"; do
	ktap_test_result "family in netns created before the load ($ns)" family_visible "$ns"
done
for ns in "$NEW1" "$NEW2" "$NEW3"; do
	ktap_test_result "family in netns created after the load ($ns)" family_visible "$ns"
done
ktap_test_result "family has the events group" \
	bash -c "genl ctrl get name dyncast | grep -q 'name: events'"

dc_unload
ktap_test_result "module unloads" bash -c "! grep -q '^dyncast ' /proc/modules"
ktap_test_result "family gone after unload" bash -c "! genl ctrl get name dyncast >/dev/null 2>&1"

ktap_finished

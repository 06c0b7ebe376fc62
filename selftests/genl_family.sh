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
		[[ $out == *"Name: dyncast"* ]]
}

family_visible_init()
{
	local out

	out=$(genl ctrl get name dyncast 2>&1) && [[ $out == *"Name: dyncast"* ]]
}

family_listed()
{
	[[ $(genl ctrl list 2>&1) == *"Name: dyncast"* ]]
}

family_has_events()
{
	[[ $(genl ctrl get name dyncast 2>&1) == *"name: events"* ]]
}

ktap_print_header
ktap_set_plan 10

setup_ns OLD1 OLD2 || ktap_skip_all "cannot create network namespaces"
dc_load || { ktap_test_fail "module loads"; ktap_finished; }
setup_ns NEW1 NEW2 NEW3 || ktap_skip_all "cannot create network namespaces"
veth_pair "$OLD1" veth0 "$NEW1" veth1

ktap_test_result "family in the initial netns" family_visible_init
ktap_test_result "family listed by 'genl ctrl list'" family_listed
for ns in "$OLD1" "$OLD2"; do
	ktap_test_result "family in netns created before the load ($ns)" family_visible "$ns"
done
for ns in "$NEW1" "$NEW2" "$NEW3"; do
	ktap_test_result "family in netns created after the load ($ns)" family_visible "$ns"
done
ktap_test_result "family has the events group" family_has_events

dc_unload
ktap_test_result "module unloads" eval '! dc_is_loaded'
ktap_test_result "family gone after unload" eval '! family_visible_init'

ktap_finished

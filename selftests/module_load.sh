#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Load and unload the module 20 times.  Network namespaces, some with a veth
# pair, come and go around each cycle: created before the load and deleted
# while loaded, created while loaded and left to the unload, created while
# loaded and deleted after the unload.  Each time the module must appear in
# and vanish from /proc/modules.
#
# timeout=600

. "$(dirname "$0")/lib.sh"

ROUNDS=20

require_root
require_vm
require_cmd ip insmod rmmod

why=

# One cycle; ROUND picks which namespaces to make.  Sets "why" on failure.
cycle()
{
	local round=$1 before="" during="" survivor=""

	if (( round % 2 )); then
		setup_ns before || { why="cannot create a netns"; return 1; }
	fi

	dc_load || { why="insmod failed"; return 1; }
	dc_is_loaded || { why="not in /proc/modules after insmod"; return 1; }
	[ -d /sys/module/dyncast ] || { why="no /sys/module/dyncast"; return 1; }

	setup_ns during survivor || { why="cannot create a netns"; return 1; }
	if (( round % 3 == 0 )); then
		veth_pair "$during" veth0 "$survivor" veth1 ||
			{ why="cannot create a veth pair"; return 1; }
	fi
	if (( round % 4 == 0 )); then
		veth_pair "$survivor" veth2 "${before:-$during}" veth3 ||
			{ why="cannot create a veth pair"; return 1; }
	fi
	[ -z "$before" ] || cleanup_ns "$before"
	cleanup_ns "$during"
	# every other round, the unload meets a namespace still alive
	(( round % 2 )) || cleanup_ns "$survivor"

	dc_unload || { why="rmmod failed"; return 1; }
	! dc_is_loaded || { why="still in /proc/modules after rmmod"; return 1; }
	[ ! -d /sys/module/dyncast ] || { why="/sys/module/dyncast remains"; return 1; }
	cleanup_all_ns
	return 0
}

ktap_print_header
ktap_set_plan $ROUNDS
for (( round = 1; round <= ROUNDS; round++ )); do
	if cycle "$round"; then
		ktap_test_pass "load and unload, round $round"
	else
		ktap_print_msg "$why"
		ktap_test_fail "load and unload, round $round"
		# start the next round from a clean state
		cleanup_all_ns
		dc_unload
	fi
done
ktap_finished

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# D-Router, a change of instances that cannot get memory changes nothing
# (topology: topo.sh, IPv4 TCP, tunnel mode).  The new instance set of a
# change is built before anything else is touched; the kernel's
# fail_function makes that allocation (dc_inst_set_alloc) fail:
#  - instance del fails with an error, the instance stays and keeps taking
#    new demands (no set left pointing to a freed instance);
#  - instance set to down or to another weight fails, the instance keeps
#    its state and weight;
#  - instance add fails and adds nothing;
#  - once allocations succeed again, every change works.
# Needs a kernel with CONFIG_FAIL_FUNCTION (make check-debug); skipped on
# others.
#
# timeout=600

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

FF=/sys/kernel/debug/fail_function

require_root
require_vm
require_cmd ip socat jq

ktap_print_header
[ -d $FF ] || ktap_skip_all "no $FF: the kernel lacks CONFIG_FAIL_FUNCTION (make check-debug)"
ktap_set_plan 9

dc_load || ktap_skip_all "cannot load the module"
topo_setup 3 || ktap_skip_all "cannot build the topology"
tunnel_instances || ktap_skip_all "no ipip module"
serve_all tcp 7 || ktap_skip_all "cannot start the servers"

SVC=("$SID4" proto tcp port 7)

inject_on()
{
	echo dc_inst_set_alloc > $FF/inject &&
		printf 0 > $FF/dc_inst_set_alloc/retval &&
		echo 100 > $FF/probability &&
		echo 1 > $FF/interval &&
		echo -1 > $FF/times &&
		echo 0 > $FF/verbose
}

inject_off()
{
	echo > $FF/inject
}
defer inject_off

# inst_field BID FIELD: a field of the instance, or "none"
inst_field()
{
	dc -j instance show "${SVC[@]}" |
		jq -r "[.[] | select(.bid == \"$1\")][0].$2 // \"none\""
}

# new_demands: twelve new connections; prints their instances
new_demands()
{
	local names=()

	for _ in $(seq 12); do
		names+=("$(ask_tcp 10.0.0.2 "$SID4" 7)")
	done
	echo "${names[*]}"
}

dc service add "${SVC[@]}" mode tunnel policy weighted
dc instance add "${SVC[@]}" bid "$(bid4 1)" bid "$(bid4 2)"

inject_on || ktap_skip_all "cannot arm fail_function on dc_inst_set_alloc"

out=$(dc instance del "${SVC[@]}" bid "$(bid4 2)" 2>&1)
rc=$?
echo "# instance del: rc=$rc: $out"
ktap_test_result "del fails with a message when the set cannot be built" \
	sh -c "[ $rc -ne 0 ] && echo '$out' | grep -q 'nothing changed'"
ktap_test_result "del failed: the instance is still there and up" \
	test "$(inst_field "$(bid4 2)" state)" = up

out=$(dc instance set "${SVC[@]}" bid "$(bid4 2)" state down 2>&1)
rc=$?
echo "# instance set state down: rc=$rc: $out"
ktap_test_result "set down failed: the instance keeps its state" \
	sh -c "[ $rc -ne 0 ] && [ $(inst_field "$(bid4 2)" state) = up ]"

out=$(dc instance set "${SVC[@]}" bid "$(bid4 2)" weight 5 2>&1)
rc=$?
echo "# instance set weight 5: rc=$rc: $out"
ktap_test_result "set weight failed: the instance keeps its weight" \
	sh -c "[ $rc -ne 0 ] && [ $(inst_field "$(bid4 2)" weight) = 1 ]"

out=$(dc instance add "${SVC[@]}" bid "$(bid4 3)" 2>&1)
rc=$?
echo "# instance add: rc=$rc: $out"
ktap_test_result "add failed: no instance added" \
	sh -c "[ $rc -ne 0 ] && [ $(inst_field "$(bid4 3)" state) = none ]"

got=$(new_demands)
echo "# new demands after the failures: $got"
# shellcheck disable=SC2086 # one word per demand
ktap_test_result "new demands still reach both instances, and only them" \
	sh -c "[ $(count i1 $got) = 6 ] && [ $(count i2 $got) = 6 ]"

inject_off
dc instance set "${SVC[@]}" bid "$(bid4 2)" weight 2 &&
	dc instance add "${SVC[@]}" bid "$(bid4 3)" weight 0
ktap_test_result "with memory again, set and add work" \
	sh -c "[ $(inst_field "$(bid4 2)" weight) = 2 ] && [ $(inst_field "$(bid4 3)" weight) = 0 ]"

dc instance del "${SVC[@]}" bid "$(bid4 2)"
ktap_test_result "with memory again, del works" \
	test "$(inst_field "$(bid4 2)" state)" = none
got=$(new_demands)
echo "# new demands after the deletion: $got"
# shellcheck disable=SC2086 # one word per demand
ktap_test_result "new demands reach the remaining instance only" \
	test "$(count i1 $got)" = 12

ktap_finished

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make check" once everything is built: the userspace unit tests on the
# host, then the selftests in one VM boot, then one summary line.
#
#   T=NAME      run only selftests/NAME.sh (and no unit tests); T="A B"
#               runs several, in that order
# Other settings (KVER, KERNEL, KMODULES, TIMEOUT, VM_*) go to vm.sh.

set -u

TOP=$(cd "$(dirname "$0")/.." && pwd)
T=${T:-}
UNIT_TIMEOUT=${UNIT_TIMEOUT:-120}
log=$TOP/build/unit
passed=0 failed=0 skipped=0
recap=()

count()
{
	case $1 in
	pass) passed=$((passed + 1)) ;;
	skip) skipped=$((skipped + 1)) ;;
	*)    failed=$((failed + 1)); recap+=("FAIL $2${3:+: $3}") ;;
	esac
}

# Each executable userspace/tests/test_* or userspace/*/tests/test_* is one
# unit test, run in its directory.
run_unit_tests()
{
	local t name rc

	mkdir -p "$log"
	for t in "$TOP"/userspace/tests/test_* "$TOP"/userspace/*/tests/test_*; do
		[ -f "$t" ] && [ -x "$t" ] || continue
		case $t in *.[chod]) continue ;; esac
		name=unit:$(basename "$t")
		(cd "$(dirname "$t")" && timeout "$UNIT_TIMEOUT" "$t") \
			> "$log/$(basename "$t").log" 2>&1
		rc=$?
		if [ $rc -eq 0 ]; then
			echo "ok $name"
			count pass "$name"
		else
			echo "not ok $name # exit=$rc"
			sed 's/^/#   /' "$log/$(basename "$t").log" | tail -n 40
			count fail "$name" "exit=$rc"
		fi
	done
}

selftests=()
if [ -n "$T" ]; then
	for name in $T; do
		[ -x "$TOP/selftests/$name.sh" ] ||
			{ echo "check: no selftest selftests/$name.sh (or not executable)" >&2; exit 2; }
		selftests+=("$name")
	done
else
	run_unit_tests
	# a selftest is an executable selftests/*.sh; sourced helpers are not
	for f in "$TOP"/selftests/*.sh; do
		[ -x "$f" ] && selftests+=("$(basename "$f" .sh)")
	done
fi

VM_OUT=${VM_OUT:-$TOP/build/vm}
export VM_OUT
rm -f "$VM_OUT/results.txt"
"$TOP/selftests/vm/vm.sh" check "${selftests[@]}"
vmrc=$?

if [ $vmrc -eq 2 ] || [ ! -f "$VM_OUT/results.txt" ]; then
	for name in "${selftests[@]}"; do
		count fail "selftest:$name" "the VM did not run"
	done
else
	while read -r r name _ detail; do
		count "$r" "selftest:$name" "$detail"
	done < "$VM_OUT/results.txt"
fi

if [ ${#recap[@]} -gt 0 ]; then
	echo "# failures:"
	printf '#   %s\n' "${recap[@]}"
fi
summary="$passed passed, $failed failed"
[ $skipped -eq 0 ] || summary+=", $skipped skipped"
echo "$summary"
[ $failed -eq 0 ]

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make check" once everything is built: the userspace unit tests on the
# host, then the selftests in one VM boot, then one summary line.  The
# host tests (selftests/host: they change this machine) run only when
# named.
#
#   T=NAME      run only selftests/NAME.sh or selftests/host/NAME.sh (and
#               no unit tests); T="A B" runs several, in that order
#               ("make check-deb" is T=deb)
#   CHECK_RESUME=DIR
#               keep each selftest's result in DIR, per tree and kernel,
#               and skip the selftests that passed there before with the
#               same tree (every file of the work tree that git does not
#               ignore, but the prose and the benchmark's results, which
#               no test reads) and the same kernel: a long run that
#               stopped resumes where it stopped, across commits that
#               change only those (make check-debug sets it)
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

# Host tests, selftests/host/NAME.sh: they change the host (install
# packages) and boot a VM of their own, after the selftests' VM.  Exit
# status 0 pass, 4 skip, else fail.
run_host_tests()
{
	local name rc

	mkdir -p "$TOP/build/host"
	for name in "$@"; do
		"$TOP/selftests/host/$name.sh" > "$TOP/build/host/$name.log" 2>&1
		rc=$?
		case $rc in
		0) echo "ok host:$name"; count pass "host:$name" ;;
		4) echo "ok host:$name # SKIP $(sed -n 's/.*# SKIP //p' "$TOP/build/host/$name.log")"
		   count skip "host:$name" ;;
		*) echo "not ok host:$name # exit=$rc"
		   sed 's/^/#   /' "$TOP/build/host/$name.log" | tail -n 40
		   count fail "host:$name" "exit=$rc" ;;
		esac
	done
}

selftests=()
hosttests=()
if [ -n "$T" ]; then
	for name in $T; do
		if [ -x "$TOP/selftests/host/$name.sh" ]; then
			hosttests+=("$name")
		elif [ -x "$TOP/selftests/$name.sh" ]; then
			selftests+=("$name")
		else
			echo "check: no selftest selftests/$name.sh or selftests/host/$name.sh (or not executable)" >&2
			exit 2
		fi
	done
else
	run_unit_tests
	# a selftest is an executable selftests/*.sh; sourced helpers are not
	for f in "$TOP"/selftests/*.sh; do
		[ -x "$f" ] && selftests+=("$(basename "$f" .sh)")
	done
fi

# The work tree as git would commit it, untracked files included, and the
# kernel: a hash of both.
tree_key()
{
	local idx

	# a new index of its own (a worktree's .git is a file, not a directory)
	idx=$(mktemp -u)
	{
		GIT_INDEX_FILE=$idx git -C "$TOP" add -A -- . \
			':!Documentation/*.rst' ':!README.md' ':!bench/data' \
			':!bench/plots' ':!bench/results.md' >/dev/null 2>&1 &&
			GIT_INDEX_FILE=$idx git -C "$TOP" write-tree
		echo "${KERNEL:-}"
		[ -z "${KERNEL:-}" ] || sha256sum < "$KERNEL"
	} | sha256sum | cut -c1-16
	rm -f "$idx"
}

state=
if [ -n "${CHECK_RESUME:-}" ]; then
	state=$CHECK_RESUME/$(tree_key)
	mkdir -p "$state" || exit 2
	echo "# results kept in $state"
	todo=()
	for name in "${selftests[@]}"; do
		r=
		[ -f "$state/$name" ] && read -r r secs _ < "$state/$name"
		if [ "$r" = pass ]; then
			echo "ok selftest:$name # passed before on this tree and kernel, in $secs s"
			count pass "selftest:$name"
		else
			todo+=("$name")
		fi
	done
	selftests=("${todo[@]}")
fi

VM_OUT=${VM_OUT:-$TOP/build/vm}
export VM_OUT
rm -f "$VM_OUT/results.txt"
if [ ${#selftests[@]} -eq 0 ]; then
	vmrc=0
	: > "$VM_OUT/results.txt"
else
	"$TOP/selftests/vm/vm.sh" check "${selftests[@]}"
	vmrc=$?
fi

if [ $vmrc -eq 2 ] || [ ! -f "$VM_OUT/results.txt" ]; then
	for name in "${selftests[@]}"; do
		count fail "selftest:$name" "the VM did not run"
	done
else
	while read -r r name secs detail; do
		count "$r" "selftest:$name" "$detail"
		[ -z "$state" ] || echo "$r $secs $detail" > "$state/$name"
	done < "$VM_OUT/results.txt"
fi

[ ${#hosttests[@]} -eq 0 ] || run_host_tests "${hosttests[@]}"

if [ ${#recap[@]} -gt 0 ]; then
	echo "# failures:"
	printf '#   %s\n' "${recap[@]}"
fi
summary="$passed passed, $failed failed"
[ $skipped -eq 0 ] || summary+=", $skipped skipped"
echo "$summary"
[ $failed -eq 0 ]

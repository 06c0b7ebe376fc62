#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make lint:  lint.sh KDIR
#
#   module     built with sparse on every file (C=2) and W=1; any warning or
#              error in kmod/ or uapi/ is a finding
#   checkpatch kmod/*.[ch] and uapi/, --strict (scripts/checkpatch.sh)
#   cppcheck   userspace/ and bench/
#   shell      shellcheck on the scripts: warnings and errors
# Exits non-zero when any of them finds something.

set -u

TOP=$(cd "$(dirname "$0")/.." && pwd)
KDIR=${1:-}
cd "$TOP" || exit 2
failed=()
out=$(mktemp)
trap 'rm -f "$out"' EXIT

step()
{
	echo "== lint: $1"
}

if [ -f Kbuild ]; then
	step "module (sparse C=2, W=1)"
	if ! make -C "$KDIR" M="$TOP" C=2 W=1 modules > "$out" 2>&1; then
		cat "$out"
		failed+=(module-build)
	elif grep -E '(kmod|uapi)/[^:]*:[0-9]+(:[0-9]+)?: (warning|error)' "$out"; then
		failed+=(sparse/W=1)
	fi
fi

files=()
for f in kmod/*.c kmod/*.h uapi/linux/*.h; do
	# kbuild generates *.mod.c
	[ -f "$f" ] && [[ $f != *.mod.c ]] && files+=("$f")
done
if [ ${#files[@]} -gt 0 ]; then
	step "checkpatch --strict"
	scripts/checkpatch.sh "${files[@]}" || failed+=(checkpatch)
fi

if [ -n "$(find userspace -name '*.c' 2>/dev/null | head -n 1)" ]; then
	step "cppcheck userspace"
	incs=()
	for d in uapi userspace userspace/lib userspace/include; do
		[ -d "$d" ] && incs+=(-I "$d")
	done
	cppcheck --quiet --error-exitcode=1 --std=c11 -j 2 \
		--enable=warning,performance,portability --inline-suppr \
		--suppress=missingIncludeSystem "${incs[@]}" userspace ||
		failed+=(cppcheck)
fi

if [ -n "$(find bench -name '*.c' 2>/dev/null | head -n 1)" ]; then
	step "cppcheck bench"
	cppcheck --quiet --error-exitcode=1 --std=c11 -j 2 \
		--enable=warning,performance,portability --inline-suppr \
		--suppress=missingIncludeSystem -I uapi -I kmod -I userspace/tests \
		bench/*.c || failed+=(cppcheck)
fi

step "man pages (groff -ww)"
for m in userspace/*/*.[1-8]; do
	out=$(LC_ALL=C groff -man -ww -z "$m" 2>&1)
	if [ -n "$out" ]; then
		echo "$out"
		failed+=(man)
	fi
done

step "shellcheck"
mapfile -t scripts < <(ls selftests/*.sh selftests/host/*.sh selftests/vm/*.sh scripts/*.sh demo/*.sh \
	userspace/tests/*.sh userspace/*/tests/*.sh userspace/dyncast/dyncast.bash-completion \
	bench/*.sh bench/vm/*.sh .ci/run 2>/dev/null)
shellcheck -S warning -s bash -x "${scripts[@]}" || failed+=(shellcheck)
shellcheck -S warning -s sh selftests/vm/init selftests/vm/modprobe-chroot || failed+=(shellcheck)

if [ ${#failed[@]} -gt 0 ]; then
	echo "lint: findings from: ${failed[*]}"
	exit 1
fi
echo "lint: clean"

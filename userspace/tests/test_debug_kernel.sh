#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/debug-kernel.sh builds the target kernel's series (6.1) even when
# a newer linux-source is installed beside it, as "make check" does for
# ynl.sh (linux-source-6.12); another series only when asked.

set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
failed=0

expect()
{
	local want=$1 got

	shift
	got=$(env "$@" "$TOP/scripts/debug-kernel.sh" --source 2>&1)
	if [ "$got" = "$want" ]; then
		echo "ok: $* -> $(basename "$want")"
	else
		echo "not ok: $*: got '$got', want '$want'"
		failed=1
	fi
}

: > "$d/linux-source-6.1.tar.xz"
: > "$d/linux-source-6.12.tar.xz"
expect "$d/linux-source-6.1.tar.xz" DEBUG_KERNEL_SRCDIR="$d"
expect "$d/linux-source-6.12.tar.xz" DEBUG_KERNEL_SRCDIR="$d" DEBUG_KERNEL_SERIES=6.12

exit $failed

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make install" and "make uninstall" into a DESTDIR with PREFIX=/usr: every
# file where it belongs (the module too when it was built), the systemd
# unit pointing at the installed dyncastd; then nothing left.  The build
# takes CPPFLAGS, and stops on warnings only with DEVELOPER=1.

set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
failed=0

fail()
{
	echo "not ok: $*"
	failed=1
}

files=(
	usr/sbin/dyncast
	usr/sbin/dyncastd
	usr/share/man/man8/dyncast.8
	usr/share/man/man8/dyncastd.8
	usr/share/bash-completion/completions/dyncast
	usr/include/linux/dyncast.h
	usr/share/dyncast/dyncast.yaml
	usr/share/doc/dyncast/dyncastd.conf.example
	usr/share/doc/dyncast/exabgp.conf.example
	usr/lib/systemd/system/dyncastd.service
	usr/lib/sysusers.d/dyncast.conf
)
[ -f "$TOP/kmod/dyncast.ko" ] && files+=(lib/modules/test-kver/updates/dyncast.ko)

if ! make -s -C "$TOP" install DESTDIR="$d/root" PREFIX=/usr KVER=test-kver \
	> "$d/install.log" 2>&1; then
	cat "$d/install.log"
	fail "make install"
fi
for f in "${files[@]}"; do
	[ -f "$d/root/$f" ] || fail "not installed: /$f"
done
[ -x "$d/root/usr/sbin/dyncastd" ] || fail "dyncastd not executable"
grep -q '^ExecStart=/usr/sbin/dyncastd' "$d/root/usr/lib/systemd/system/dyncastd.service" ||
	fail "the unit does not start /usr/sbin/dyncastd"
"$d/root/usr/sbin/dyncast" -V | grep -q '^dyncast utility, version' ||
	fail "the installed dyncast does not run"
extra=$(cd "$d/root" && find . -type f | sed 's|^\./||' | sort |
	comm -23 - <(printf '%s\n' "${files[@]}" | sort))
[ -z "$extra" ] || fail "installed but not expected: $extra"

if ! make -s -C "$TOP" uninstall DESTDIR="$d/root" PREFIX=/usr KVER=test-kver \
	> "$d/uninstall.log" 2>&1; then
	cat "$d/uninstall.log"
	fail "make uninstall"
fi
left=$(cd "$d/root" && find . -type f)
[ -z "$left" ] || fail "left after uninstall: $left"

# CPPFLAGS reach the compiler; -Werror only in development builds
make -s -n -B -C "$TOP/userspace" dyncast/main.o CPPFLAGS=-DDC_CPPFLAGS_SEEN |
	grep -q -- -DDC_CPPFLAGS_SEEN || fail "CPPFLAGS not passed to the compiler"
make -s -n -B -C "$TOP/userspace" dyncast/main.o DEVELOPER= |
	grep -q -- -Werror && fail "-Werror without DEVELOPER"
make -s -n -B -C "$TOP/userspace" dyncast/main.o DEVELOPER=1 |
	grep -q -- -Werror || fail "no -Werror with DEVELOPER=1"

[ $failed -eq 0 ] && echo "ok: install, uninstall, CPPFLAGS, -Werror"
exit $failed

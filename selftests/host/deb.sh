#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages, on the host: build dyncast and dyncast-dkms
# (scripts/deb.sh: dpkg-buildpackage, lintian without errors), install
# them, use what they installed, boot the VM with the module DKMS built
# (selftests/pkg_module.sh), then purge them and find nothing left.
#
# Runs as root only, and only when neither package is installed already:
# it installs into the host's own /usr, /etc and /lib/modules, and removes
# everything again when it ends, but for the system user dyncast, which
# Debian leaves after a purge.  "make check" runs it after the VM's
# selftests; "make check T=deb" alone.
#
# Exit status: 0 passed, 1 failed, 4 skipped.

set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$TOP/build/deb
KVER=${KVER:?KVER: the guest kernel}
n=0 failed=0

ok()
{
	n=$((n + 1))
	echo "ok $n $*"
}

not_ok()
{
	n=$((n + 1))
	failed=1
	echo "not ok $n $*"
}

skip()
{
	echo "1..0 # SKIP $*"
	exit 4
}

check()
{
	local what=$1

	shift
	if "$@" > "$OUT/step.log" 2>&1; then
		ok "$what"
	else
		not_ok "$what"
		sed 's/^/#   /' "$OUT/step.log" | tail -n 30
	fi
}

installed()
{
	dpkg-query -W -f='${db:Status-Status}\n' "$@" 2>/dev/null | grep -qx installed
}

[ "$(id -u)" = 0 ] || skip "installs packages: run as root"
[ -z "${KERNEL:-}" ] || skip "KERNEL is set: the packages are tested with Debian's kernel"
for p in dyncast dyncast-dkms; do
	! installed "$p" || skip "$p is installed on this host; it is left alone"
done
for c in dpkg-buildpackage lintian dkms systemd-analyze; do
	command -v "$c" > /dev/null || skip "$c is missing (scripts/deps.sh deb)"
done

echo "TAP version 13"
if ! "$TOP/scripts/deb.sh" "$OUT"; then
	not_ok "the packages build, and lintian finds no error"
	exit 1
fi
ok "the packages build, and lintian finds no error"
upstream=$(dpkg-parsechangelog -l "$TOP/debian/changelog" -S Version)
upstream=${upstream%%-*}

cleanup()
{
	rm -f /etc/dyncast/agent.key
	dpkg --purge dyncast dyncast-dkms > "$OUT/purge.log" 2>&1
}
trap cleanup EXIT

dkms_has()
{
	dkms status -m dyncast -v "$upstream" -k "$KVER" | grep -q ': installed'
}

# Installing dyncast-dkms builds the module for the running kernel and the
# newest one (for every kernel when the running one is not installed, as in
# a container); KVER may be neither, and is then built as an administrator
# would.
check "dpkg -i dyncast dyncast-dkms" \
	dpkg -i "$OUT/dyncast_${upstream}"_*.deb "$OUT/dyncast-dkms_${upstream}_all.deb"
dkms_has || dkms install -m dyncast -v "$upstream" -k "$KVER" > "$OUT/dkms.log" 2>&1
check "dkms built and installed the module for $KVER" dkms_has
check "modinfo finds it in updates/dkms" \
	sh -c "modinfo -k $KVER -n dyncast | grep -q '^/lib/modules/$KVER/updates/dkms/dyncast.ko'"

check "dyncast --version is $upstream" \
	sh -c "[ \"\$(/usr/sbin/dyncast --version)\" = 'dyncast utility, version $upstream' ]"
check "dyncastd -V is $upstream" \
	sh -c "[ \"\$(/usr/sbin/dyncastd -V)\" = 'dyncastd, version $upstream' ]"
check "the example names a key file and holds no key" \
	sh -c "grep -q '^key-file = /etc/dyncast/agent.key' /etc/dyncast/dyncastd.conf.example &&
	       ! grep -q '^key *=' /etc/dyncast/dyncastd.conf.example"
check "the user dyncast exists (sysusers.d)" getent passwd dyncast
# the key made as the example says, checked as the unit's user would
check "dyncast genkey as the example says; dyncastd -t as user dyncast accepts the example" \
	sh -c "(umask 027; /usr/sbin/dyncast genkey > /etc/dyncast/agent.key) &&
	       chgrp dyncast /etc/dyncast/agent.key &&
	       setpriv --reuid=dyncast --regid=dyncast --init-groups \
		/usr/sbin/dyncastd -t -c /etc/dyncast/dyncastd.conf.example"
check "the unit starts /usr/sbin/dyncastd" \
	grep -q '^ExecStart=/usr/sbin/dyncastd ' /lib/systemd/system/dyncastd.service
check "the man pages are installed" \
	test -f /usr/share/man/man8/dyncast.8.gz -a -f /usr/share/man/man8/dyncastd.8.gz

exposure()
{
	local x

	systemd-analyze verify /lib/systemd/system/dyncastd.service || return 1
	x=$(systemd-analyze security --offline=true /lib/systemd/system/dyncastd.service |
		sed -n 's/.*Overall exposure level for dyncastd.service: \([0-9.]*\).*/\1/p')
	echo "exposure: ${x:-none}"
	[ -n "$x" ] && awk -v x="$x" 'BEGIN { exit !(x <= 2.5) }'
}
check "systemd-analyze: the unit verifies, exposure at most 2.5" exposure
sed -n 's/^exposure: /# exposure: /p' "$OUT/step.log"

if VM_OUT=$TOP/build/vm-deb "$TOP/selftests/vm/vm.sh" check pkg_module \
	> "$OUT/vm.log" 2>&1 &&
   grep -q '^pass pkg_module' "$TOP/build/vm-deb/results.txt"; then
	ok "in the VM, the DKMS module loads on demand and the installed tool drives it"
else
	not_ok "in the VM, the DKMS module loads on demand and the installed tool drives it"
	sed 's/^/#   /' "$OUT/vm.log" | tail -n 40
fi

trap - EXIT
cleanup
purged()
{
	! installed dyncast dyncast-dkms
}
check "dpkg --purge" purged
left=$(ls -d /usr/sbin/dyncast /usr/sbin/dyncastd /etc/dyncast \
	/lib/systemd/system/dyncastd.service /usr/src/dyncast-* \
	/lib/modules/*/updates/dkms/dyncast.ko /var/lib/dkms/dyncast 2>/dev/null)
if [ -z "$left" ]; then
	ok "nothing left after the purge"
else
	not_ok "nothing left after the purge: $left"
fi

echo "1..$n"
exit $failed

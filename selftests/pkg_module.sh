#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The packaged module and tools, as installed by the Debian packages: not
# run by itself (the file is not executable), but by selftests/host/deb.sh,
# which installs dyncast and dyncast-dkms on the host, then boots the VM
# with this test.
#
# The module DKMS built and installed for the guest's kernel is the one that
# loads, on demand, when the installed dyncast first asks for the family;
# the installed tool then configures it in a namespace; modprobe -r
# unloads it.
#
# timeout=300

. "$(dirname "$0")/lib.sh"

DC=/usr/sbin/dyncast

require_root
require_vm
require_cmd ip modinfo modprobe jq

ktap_print_header
ktap_set_plan 4

path=$(modinfo -n dyncast 2>/dev/null)
case $path in
*/updates/dkms/dyncast.ko*) ;;
*) ktap_skip_all "no module installed by DKMS (modinfo: ${path:-none})" ;;
esac
[ -x "$DC" ] || ktap_skip_all "no $DC: the package dyncast is not installed"
! dc_is_loaded || rmmod dyncast

ns=
setup_ns ns || ktap_skip_all "cannot create a netns"
defer "modprobe -r dyncast"

# 1: the first request for the family loads the installed module
out=$(ip netns exec "$ns" "$DC" service show 2>&1)
rc=$?
if [ $rc -eq 0 ] && dc_is_loaded &&
   [ "$(cat /sys/module/dyncast/srcversion)" = "$(modinfo -F srcversion dyncast)" ]; then
	ktap_test_pass "the family's first use loads $path"
else
	ktap_print_msg "dyncast service show: exit $rc: $out"
	ktap_test_fail "the family's first use loads $path"
fi

# 2: the installed tool configures the installed module
if ip netns exec "$ns" "$DC" service add 203.0.113.1 proto tcp port 80 policy least-cost &&
   ip netns exec "$ns" "$DC" instance add 203.0.113.1 proto tcp port 80 bid 198.19.2.21 &&
   ip netns exec "$ns" "$DC" instance add 203.0.113.1 proto tcp port 80 bid 198.19.3.31; then
	ktap_test_pass "service and instances added"
else
	ktap_test_fail "service and instances added"
fi

# 3: and reads it back
n=$(ip netns exec "$ns" "$DC" -j instance show 2>/dev/null |
	jq length 2>/dev/null)
if [ "$n" = 2 ]; then
	ktap_test_pass "instance show lists both"
else
	ktap_test_fail "instance show lists both (got '$n')"
fi

# 4: and it unloads once its namespace is gone
cleanup_ns "$ns"
for (( i = 0; i < 20; i++ )); do
	modprobe -r dyncast 2>/dev/null && break
	sleep 0.25
done
if ! dc_is_loaded; then
	ktap_test_pass "modprobe -r dyncast"
else
	ktap_test_fail "modprobe -r dyncast"
fi

ktap_finished

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The CLI's exit status against the real module (dyncast(8), EXIT STATUS):
# 1 for a wrong command line, 2 for a refusal by the kernel, a
# namespace that cannot be entered, a file that cannot be read or output
# that cannot be written, 3 for not found; with -batch, the first failed
# line's.
#
# timeout=120

. "$(dirname "$0")/lib.sh"

require_root
require_vm
require_cmd ip

ktap_print_header
ktap_set_plan 11

dc_load || ktap_skip_all "cannot load the module"
setup_ns NS || ktap_skip_all "cannot create a netns"

# status WANT ARGS...: dyncast ARGS... in NS exits with WANT
status()
{
	local want=$1 rc

	shift
	ip netns exec "$NS" "$DYNCAST" "$@" >/dev/null 2>&1
	rc=$?
	echo "# dyncast $*: $rc"
	[ "$rc" = "$want" ]
}

S=(192.0.2.1 proto tcp port 80)
ktap_test_result "a wrong argument: 1" status 1 service add "${S[@]}" timeout 0
ktap_test_result "an unknown object: 1" status 1 frobnicate
ktap_test_result "a service added: 0" status 0 service add "${S[@]}"
ktap_test_result "added again, refused by the kernel: 2" \
	status 2 service add "${S[@]}"
ktap_test_result "an instance that is not there: 3" \
	status 3 instance del "${S[@]}" bid 10.0.0.9
ktap_test_result "a service that is not there: 3" \
	status 3 service del 192.0.2.2 proto tcp port 80
printf 'service del 192.0.2.3 proto udp\nservice add 192.0.2.1 proto sctp\n' \
	> "/tmp/cli_status.$$"
defer "rm -f /tmp/cli_status.$$"
ktap_test_result "-batch -force: the first failed line's status (3, then 1)" \
	status 3 -force -batch "/tmp/cli_status.$$"
# (the module is loaded on demand: its absence cannot be shown here)
ktap_test_result "a network namespace that is not there: 2" \
	status 2 -n "no-such-netns-$$" service show
ktap_test_result "a name that cannot be a network namespace's: 1" \
	status 1 -n "../$$" service show
ktap_test_result "a key file that cannot be read: 2" \
	status 2 service add 192.0.2.4 proto tcp key-file "/tmp/no-such-key.$$"
ktap_test_result "a key that cannot be written out: 2" \
	sh -c "$DYNCAST genkey >/dev/full 2>/dev/null; rc=\$?; echo \"# dyncast genkey >/dev/full: \$rc\"; [ \$rc = 2 ]"

ktap_finished

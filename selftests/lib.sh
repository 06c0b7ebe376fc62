# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers for the dyncast selftests, after tools/testing/selftests/net/lib.sh.
# Source it from a test: . "$(dirname "$0")/lib.sh"
#
# A selftest is an executable selftests/NAME.sh ("make check T=NAME"); files
# that tests source, like this one, are not executable.  "# timeout=N" in a
# test sets its time limit in seconds (default 300).
#
# The runner of the test VM sets:
#   DYNCAST_IN_VM  1 inside the test VM; the module is never loaded elsewhere
#   DYNCAST_TOP    the source tree
#   DYNCAST_KO     the freshly built module (kmod/dyncast.ko)
#   DYNCAST        the CLI (userspace/dyncast/dyncast)
#   DYNCAST_BIN    where the C selftests are built (build/selftests)
#
# A test prints KTAP and exits with a kselftest code: 0 pass, 1 fail, 4 skip.
# Everything it creates through these helpers is removed when it exits.

# shellcheck disable=SC2034 # for the tests that source this file
ksft_pass=0 ksft_fail=1 ksft_xfail=2 ksft_skip=4

DYNCAST_TOP=${DYNCAST_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
DYNCAST_KO=${DYNCAST_KO:-$DYNCAST_TOP/kmod/dyncast.ko}
DYNCAST=${DYNCAST:-$DYNCAST_TOP/userspace/dyncast/dyncast}
DYNCAST_BIN=${DYNCAST_BIN:-$DYNCAST_TOP/build/selftests}
# Timeouts, and what must outlast them, grow by this factor on a slower
# kernel (the runner sets DYNCAST_TIMEOUT_FACTOR: 4 on the debug kernel).
TIME_FACTOR=${DYNCAST_TIMEOUT_FACTOR:-1}

# --- KTAP -------------------------------------------------------------------

KTAP_CNT_PASS=0
KTAP_CNT_FAIL=0
KTAP_CNT_SKIP=0
KTAP_TESTNO=0

ktap_print_header()
{
	echo "TAP version 13"
}

ktap_set_plan()
{
	echo "1..$1"
}

# The whole test does not apply here: say why and exit with "skip".  Once
# results were given, what stops the test is a failure, not a reason to
# skip it: the results given (a failure among them) would be lost.
ktap_skip_all()
{
	[ "$KTAP_TESTNO" -gt 0 ] && ktap_fail_all "$*"
	echo "1..0 # SKIP $*"
	exit $ksft_skip
}

# What the test needs could not be had from the code under test (a
# service it could not add, a daemon that did not start): a failure.
ktap_fail_all()
{
	ktap_test_fail "cannot go on: $*"
	ktap_finished
}

ktap_print_msg()
{
	echo "# $*"
}

ktap_test_pass()
{
	KTAP_TESTNO=$((KTAP_TESTNO + 1))
	KTAP_CNT_PASS=$((KTAP_CNT_PASS + 1))
	echo "ok $KTAP_TESTNO $*"
}

ktap_test_fail()
{
	KTAP_TESTNO=$((KTAP_TESTNO + 1))
	KTAP_CNT_FAIL=$((KTAP_CNT_FAIL + 1))
	echo "not ok $KTAP_TESTNO $*"
}

ktap_test_skip()
{
	local desc=$1

	shift
	KTAP_TESTNO=$((KTAP_TESTNO + 1))
	KTAP_CNT_SKIP=$((KTAP_CNT_SKIP + 1))
	echo "ok $KTAP_TESTNO $desc # SKIP${*:+ $*}"
}

# ktap_test_result DESC CMD...: run CMD, report pass or fail by its status.
ktap_test_result()
{
	local desc=$1

	shift
	if "$@"; then
		ktap_test_pass "$desc"
	else
		ktap_test_fail "$desc"
	fi
}

ktap_print_totals()
{
	echo "# Totals: pass:$KTAP_CNT_PASS fail:$KTAP_CNT_FAIL xfail:0 xpass:0 skip:$KTAP_CNT_SKIP error:0"
}

# Print the totals and exit: fail if anything failed, skip if nothing passed
# but something was skipped, else pass.
ktap_finished()
{
	ktap_print_totals
	if [ $KTAP_CNT_FAIL -gt 0 ]; then
		exit $ksft_fail
	elif [ $KTAP_CNT_PASS -eq 0 ] && [ $KTAP_CNT_SKIP -gt 0 ]; then
		exit $ksft_skip
	fi
	exit $ksft_pass
}

# --- requirements -----------------------------------------------------------

require_cmd()
{
	local cmd

	for cmd in "$@"; do
		command -v "$cmd" >/dev/null 2>&1 ||
			ktap_skip_all "$cmd is not installed"
	done
}

require_root()
{
	[ "$(id -u)" = 0 ] || ktap_skip_all "must be run as root"
}

require_module()
{
	local m

	for m in "$@"; do
		modprobe -q "$m" 2>/dev/null || ktap_skip_all "kernel module $m is not available"
	done
}

# Tests that load the module run only in the test VM ("make check").
require_vm()
{
	[ "${DYNCAST_IN_VM:-0}" = 1 ] ||
		ktap_skip_all "runs only in the test VM: make check T=$(basename "$0" .sh)"
}

# --- cleanup ----------------------------------------------------------------

DC_CLEANUP=()

# Run "CMD..." when the test exits, in the reverse order of registration.
# Each command is a single string, evaluated then.
defer()
{
	DC_CLEANUP+=("$*")
}

dc_exit_cleanup()
{
	local rc=$? i

	set +e
	for (( i = ${#DC_CLEANUP[@]} - 1; i >= 0; i-- )); do
		eval "${DC_CLEANUP[i]}" >/dev/null 2>&1
	done
	DC_CLEANUP=()
	cleanup_all_ns
	[ "${DC_LOADED:-0}" = 1 ] && dc_unload >/dev/null 2>&1
	exit $rc
}
trap dc_exit_cleanup EXIT
trap 'exit $ksft_fail' INT TERM

# --- network namespaces -----------------------------------------------------

NS_LIST=()

# setup_ns VAR...: create a netns with a unique name for each VAR, store the
# name in VAR, bring up its loopback; all are deleted when the test exits.
setup_ns()
{
	local var name

	for var in "$@"; do
		# no mktemp: every fork counts under emulation
		name="${var,,}-$RANDOM$RANDOM"
		while [ -e "/run/netns/$name" ]; do
			name="${var,,}-$RANDOM$RANDOM"
		done
		ip netns add "$name" || return 1
		NS_LIST+=("$name")
		ip -n "$name" link set lo up || return 1
		printf -v "$var" '%s' "$name"
	done
}

cleanup_ns()
{
	local ns i

	for ns in "$@"; do
		ip netns delete "$ns" 2>/dev/null
		for i in "${!NS_LIST[@]}"; do
			[ "${NS_LIST[i]}" = "$ns" ] && unset 'NS_LIST[i]'
		done
	done
	NS_LIST=("${NS_LIST[@]}")
}

cleanup_all_ns()
{
	[ ${#NS_LIST[@]} -eq 0 ] || cleanup_ns "${NS_LIST[@]}"
}

# veth_pair NS1 IF1 NS2 IF2: a veth pair between two namespaces, both ends up.
veth_pair()
{
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" &&
		ip -n "$1" link set "$2" up &&
		ip -n "$3" link set "$4" up
}

# --- waiting ----------------------------------------------------------------

# Milliseconds since the epoch, without a fork.
now_ms()
{
	local t=${EPOCHREALTIME/./}

	echo $(( t / 1000 ))
}

# busywait TIMEOUT_MS CMD...: run CMD until it succeeds or TIMEOUT_MS pass.
# Returns CMD's last status; its output is shown only from the last try.
busywait()
{
	local timeout_ms=$1 start now out rc

	shift
	start=$(now_ms)
	while :; do
		out=$("$@" 2>&1)
		rc=$?
		now=$(now_ms)
		if [ $rc -eq 0 ] || [ $((now - start)) -ge "$timeout_ms" ]; then
			[ -z "$out" ] || echo "$out"
			return $rc
		fi
		sleep 0.1
	done
}

# slowwait TIMEOUT_S CMD...: the same, in seconds (times TIME_FACTOR),
# trying once a second.
slowwait()
{
	local deadline=$(( ${EPOCHREALTIME%.*} + $1 * TIME_FACTOR ))

	shift
	until "$@" >/dev/null 2>&1; do
		[ "${EPOCHREALTIME%.*}" -lt $deadline ] || return 1
		sleep 1
	done
}

# --- the module -------------------------------------------------------------

dc_is_loaded()
{
	local name _

	while read -r name _; do
		[ "$name" = dyncast ] && return 0
	done < /proc/modules
	return 1
}

DC_DEPS=

# Load what the module needs; each dependency is checked once per test.
dc_load_deps()
{
	local dep

	[ -z "$DC_DEPS" ] || return 0
	DC_DEPS=$(modinfo -F depends "$DYNCAST_KO") || return 1
	for dep in ${DC_DEPS//,/ }; do
		modprobe "$dep" || return 1
	done
	DC_DEPS=${DC_DEPS:-none}
}

# mib_counter NS NAME: a counter of a namespace's SNMP MIBs, by nstat's
# name (IpReasmOKs, Icmp6InDestUnreachs, ...), 0 when zero.
mib_counter()
{
	ip netns exec "$1" nstat -asz "$2" | awk -v c="$2" '$1 == c { print $2 }'
}

# dc_load [PARAM=VALUE...]: load the freshly built module, and the modules it
# depends on; it is unloaded when the test exits.  Skips the whole test when
# the module is not built or when not in the test VM.
dc_load()
{
	require_vm
	[ -f "$DYNCAST_KO" ] || ktap_skip_all "module not built: $DYNCAST_KO"
	dc_load_deps || return 1
	insmod "$DYNCAST_KO" "$@" || return 1
	DC_LOADED=1
}

# Unload the module; namespaces being torn down may delay it briefly.
dc_unload()
{
	local i

	DC_LOADED=0
	for (( i = 0; i < 20; i++ )); do
		dc_is_loaded || return 0
		rmmod dyncast 2>/dev/null && return 0
		sleep 0.25
	done
	rmmod dyncast
}

# run_ctest [-n NETNS] NAME [ARG...]: run the C selftest NAME
# (selftests/NAME.c, built into DYNCAST_BIN), in NETNS if given; its KTAP
# output and exit status become the test's own.
run_ctest()
{
	local netns=() bin

	if [ "$1" = -n ]; then
		netns=(ip netns exec "$2")
		shift 2
	fi
	bin=$DYNCAST_BIN/$1
	shift
	[ -x "$bin" ] || ktap_skip_all "$bin not built (make selftests)"
	"${netns[@]}" "$bin" "$@"
}

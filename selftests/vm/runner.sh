#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In-guest runner: runs the selftests (or the demo, or the benchmarks)
# inside the test VM,
# chrooted into the host's root.  Writes KTAP to stdout (the VM's second
# serial port) and, for the host, to /run/dyncast-vm (the results share):
#   booted           the VM is up
#   current          "NAME TIMEOUT" of the test now running
#   status           one line per finished test: NAME RESULT SECONDS DETAIL
#   log/NAME.log     the test's output
#   done             every test has run
# Each test is bracketed in the kernel log by "dyncast-selftest: begin NAME"
# and "end NAME", so that the host can tell which test a splat belongs to.

set -u

R=/run/dyncast-vm
# shellcheck source=/dev/null
. "$R/config"

export DYNCAST_TOP=$TOP
export DYNCAST_KO=$TOP/kmod/dyncast.ko
export DYNCAST=$TOP/userspace/dyncast/dyncast
export DYNCAST_BIN=$TOP/build/selftests
export DYNCAST_IN_VM=1
# a debug kernel is slower: tests that run for a while may scale by it
export DYNCAST_TIMEOUT_FACTOR=${TIMEOUT_FACTOR:-1}

# taint flags that mean the kernel misbehaved: B (bad page), D (oops),
# W (warning), L (soft lockup)
TAINT_BAD=$(( (1 << 5) | (1 << 7) | (1 << 9) | (1 << 14) ))
KMEMLEAK=/sys/kernel/debug/kmemleak

kmsg()
{
	echo "dyncast-selftest: $*" > /dev/kmsg
}

# Kill whatever a test left running: every process but init and this shell.
# Kernel threads and zombies have no exe link.
reap_strays()
{
	local p pid n=0

	for p in /proc/[0-9]*; do
		pid=${p#/proc/}
		[ "$pid" = 1 ] || [ "$pid" = $$ ] && continue
		[ -e "$p/exe" ] || continue
		kill -9 "$pid" 2>/dev/null && n=$((n + 1))
	done
	[ $n -eq 0 ] || { echo "# runner: killed $n leftover processes"; sleep 0.5; }
}

# Leave the VM as the next test expects it: no module, no named netns.
reset_state()
{
	reap_strays
	ip -all netns delete 2>/dev/null
	if grep -q '^dyncast ' /proc/modules; then
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			rmmod dyncast 2>/dev/null && break
			sleep 0.5
		done
		if grep -q '^dyncast ' /proc/modules; then
			echo "# runner: module dyncast could not be unloaded"
			return 1
		fi
		echo "# runner: test left the module loaded; unloaded it"
	fi
	return 0
}

kmemleak_scan()
{
	[ -w "$KMEMLEAK" ] && echo scan > "$KMEMLEAK"
}

test_timeout()
{
	local t

	t=$(sed -n 's/^#[[:space:]]*timeout=\([0-9][0-9]*\).*/\1/p' "$1" | head -n 1)
	echo $(( ${t:-$TIMEOUT} * ${TIMEOUT_FACTOR:-1} ))
}

run_one()
{
	local num=$1 name=$2 script=$TOP/selftests/$2.sh
	local t rc result detail="" taint0 taint1 start unloaded=1

	t=$(test_timeout "$script")
	echo "$name $t" > "$R/current"
	echo "# selftests: dyncast: $name"
	taint0=$(cat /proc/sys/kernel/tainted)
	start=$(date +%s)
	kmsg "begin $name"

	(cd "$TOP/selftests" && exec timeout -k 10 "$t" bash "./$name.sh") 2>&1 |
		tee "$R/log/$name.log" | sed -u 's/^/# /'
	rc=${PIPESTATUS[0]}

	reset_state || unloaded=0
	kmemleak_scan
	kmsg "end $name"
	taint1=$(cat /proc/sys/kernel/tainted)

	case $rc in
	0)   result=pass ;;
	4)   result=skip ;;
	124|137) result=fail detail="TIMEOUT $t seconds" ;;
	*)   result=fail detail="exit=$rc" ;;
	esac
	if [ $unloaded = 0 ]; then
		result=fail
		detail="${detail:+$detail; }module dyncast could not be unloaded"
	fi
	if (( (taint1 & ~taint0) & TAINT_BAD )); then
		result=fail
		detail="${detail:+$detail; }kernel tainted ($taint0 -> $taint1)"
	fi

	case $result in
	pass) echo "ok $num selftests: dyncast: $name" ;;
	skip) echo "ok $num selftests: dyncast: $name # SKIP" ;;
	fail) echo "not ok $num selftests: dyncast: $name # $detail" ;;
	esac
	echo "$name $result $(( $(date +%s) - start )) $detail" >> "$R/status"
}

run_check()
{
	local tests=() n=0 name

	read -r -a tests <<< "$TESTS"

	echo "TAP version 13"
	echo "1..${#tests[@]}"
	for name in "${tests[@]}"; do
		n=$((n + 1))
		run_one "$n" "$name"
	done

	if [ -e "$KMEMLEAK" ]; then
		# kmemleak only reports objects older than 5 seconds
		kmsg "begin (final kmemleak scan)"
		sleep 6
		kmemleak_scan
		kmsg "end (final kmemleak scan)"
	fi
}

run_demo()
{
	local rc

	echo "demo $TIMEOUT" > "$R/current"
	kmsg "begin demo"
	(cd "$TOP" && exec timeout -k 10 "$TIMEOUT" bash demo/demo.sh) 2>&1 |
		tee "$R/log/demo.log"
	rc=${PIPESTATUS[0]}
	reset_state
	kmsg "end demo"
	case $rc in
	0) echo "demo pass 0" >> "$R/status" ;;
	*) echo "demo fail 0 exit=$rc" >> "$R/status" ;;
	esac
}

# The benchmarks report figures; they pass unless they could not run at all.
run_bench()
{
	local rc

	echo "bench $TIMEOUT" > "$R/current"
	mkdir -p "$R/bench"
	kmsg "begin bench"
	# shellcheck disable=SC2086 # TESTS holds the parts, one word each
	(cd "$TOP" && exec timeout -k 10 "$TIMEOUT" bash bench/vm/bench.sh \
		"$R/bench" $TESTS) 2>&1 | tee "$R/log/bench.log"
	rc=${PIPESTATUS[0]}
	reset_state
	kmsg "end bench"
	case $rc in
	0) echo "bench pass 0" >> "$R/status" ;;
	*) echo "bench fail 0 exit=$rc" >> "$R/status" ;;
	esac
}

mkdir -p "$R/log"
echo "$(uname -r) $(cut -d' ' -f1 /proc/uptime)" > "$R/booted"
# a slower kernel (TIMEOUT_FACTOR) takes longer for everything
if [ "${TIMEOUT_FACTOR:-1}" -gt 1 ] && [ -w /proc/sys/kernel/hung_task_timeout_secs ]; then
	echo 600 > /proc/sys/kernel/hung_task_timeout_secs
fi

case $MODE in
demo) run_demo ;;
bench) run_bench ;;
*)    run_check ;;
esac

rm -f "$R/current"
echo finished > "$R/done"

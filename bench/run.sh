#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make bench": the benchmarks in the VM, then the report.
#
#   bench/run.sh [PART...]     (parts: see bench/vm/bench.sh; default all)
#
# Boots the test VM (2 vCPUs, 3 GiB) with vm.sh bench, and for part instr
# a second one (1 vCPU, QEMU's instruction counter), samples the host's
# load meanwhile, copies the VM's data to bench/data (replacing the
# files of the parts run, keeping the others) and writes bench/results.md
# and bench/plots with bench/report.py.  VM_SMP, VM_MEM, TIMEOUT and the
# BENCH_* settings of bench/vm/bench.sh pass through.  Exits 0 when each
# VM ran its parts, whatever it measured.

set -u

TOP=$(cd "$(dirname "$0")/.." && pwd)
DATA=$TOP/bench/data
export VM_OUT=${VM_OUT:-$TOP/build/bench-vm}
export VM_SMP=${VM_SMP:-2} VM_MEM=${VM_MEM:-3072}
export TIMEOUT=${TIMEOUT:-5400} VM_TIMEOUT=${VM_TIMEOUT:-5700}

mkdir -p "$DATA" "$VM_OUT"
host=$VM_OUT/host.tsv

# Other VMs on this host: qemu processes that are not ours.
other_vms()
{
	local p n=0

	for p in $(pgrep -f qemu-system); do
		grep -qF "$VM_OUT/" "/proc/$p/cmdline" 2>/dev/null || n=$((n + 1))
	done
	echo $n
}

sample_host()
{
	local l1 l5 _

	printf 'time\tload1\tload5\tother_vms\tcpus\n' > "$host"
	while :; do
		read -r l1 l5 _ < /proc/loadavg
		printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%H:%M:%S)" "$l1" "$l5" \
			"$(other_vms)" "$(nproc)" >> "$host"
		sleep 30
	done
}

echo "# host: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $(other_vms) other VMs"
sample_host &
sampler=$!
trap 'kill $sampler 2>/dev/null' EXIT

# boot [PART...]: one VM run of these parts (every part of bench.sh
# but instr when none); its data into bench/data.  Returns 1 when the VM
# did not run them.
boot()
{
	local res=$VM_OUT/results/bench rc commit date part f _

	rm -f "$res/env.tsv" "$res/instr-env.tsv"
	"$TOP/selftests/vm/vm.sh" bench "$@"
	rc=$?
	if [ ! -f "$res/env.tsv" ] && [ ! -f "$res/instr-env.tsv" ]; then
		echo "bench: the VM did not run the benchmarks (vm.sh exit $rc); see $VM_OUT" >&2
		return 1
	fi
	commit=$(git -C "$TOP" describe --always --dirty 2>/dev/null || echo unknown)
	date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	# The parts measured (durations.tsv: one row each) replace their data
	# and their rows in durations.tsv and parts.tsv (when, and from which
	# source); the other parts' stay.
	touch "$DATA/durations.tsv" "$DATA/parts.tsv"
	while read -r part _; do
		sed -i "/^$part\t/d" "$DATA/durations.tsv" "$DATA/parts.tsv"
		printf '%s\t%s\t%s\n' "$part" "$date" "$commit" >> "$DATA/parts.tsv"
	done < "$res/durations.tsv"
	cat "$res/durations.tsv" >> "$DATA/durations.tsv"
	for f in "$res"/*.tsv; do
		[ "${f##*/}" = durations.tsv ] || cp "$f" "$DATA/"
	done
	[ -s "$res/errors.log" ] &&
		cp "$res/errors.log" "$DATA/vm-errors${VM_ICOUNT:+-instr}.log"
	cp "$VM_OUT/results/log/bench.log" "$DATA/vm-bench${VM_ICOUNT:+-instr}.log" 2>/dev/null
	return 0
}

# Part instr needs a VM of its own: one vCPU, QEMU's instruction counter
# (2^BENCH_ICOUNT ns an instruction; 2 makes a 250 MIPS CPU, about what
# this emulation runs).
parts=() instr=
[ $# -gt 0 ] || instr=1
for part in "$@"; do
	if [ "$part" = instr ]; then
		instr=1
	else
		parts+=("$part")
	fi
done
ran='' failed=''
if [ $# -eq 0 ] || [ ${#parts[@]} -gt 0 ]; then
	if VM_ICOUNT='' boot "${parts[@]}"; then ran=1; else failed=1; fi
fi
if [ -n "$instr" ]; then
	export BENCH_ICOUNT=${BENCH_ICOUNT:-2}
	# its own VM_OUT: the first VM's console and logs stay
	if VM_SMP=1 VM_ICOUNT=$BENCH_ICOUNT VM_OUT=$VM_OUT/instr boot instr; then
		ran=1
	else
		failed=1
	fi
fi
kill $sampler 2>/dev/null
wait $sampler 2>/dev/null
[ -n "$ran" ] || exit 1
commit=$(git -C "$TOP" describe --always --dirty 2>/dev/null || echo unknown)
# the host's load: all runs' samples
if [ $# -gt 0 ] && [ -s "$DATA/host.tsv" ]; then
	tail -n +2 "$host" >> "$DATA/host.tsv"
else
	cp "$host" "$DATA/host.tsv"
fi
{
	printf 'cpu\t%s\n' "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
	printf 'cpus\t%s\n' "$(nproc)"
	printf 'commit\t%s\n' "$commit"
} > "$DATA/host-env.tsv"
python3 "$TOP/bench/report.py"
# a VM that did not run its parts fails the run, once the other's data
# is in
[ -z "$failed" ]

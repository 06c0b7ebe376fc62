#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the test VM once and run selftests, the demo or the benchmarks in it.
#
#   vm.sh check NAME...    run these selftests (selftests/NAME.sh)
#   vm.sh demo             run demo/demo.sh
#   vm.sh bench [PART...]  run bench/vm/bench.sh (all parts, or these); its
#                          data lands in VM_OUT/results/bench
#
# Environment:
#   KVER         kernel release of the guest (default: read from KERNEL)
#   KERNEL       bzImage to boot (default /boot/vmlinuz-$KVER)
#   KMODULES     its modules directory (default /lib/modules/$KVER)
#   TIMEOUT      seconds per test unless the test says "# timeout=N" (300)
#   TIMEOUT_FACTOR  every test's timeout multiplied by it (1; a debug kernel
#                is slower)
#   VM_TIMEOUT   seconds for the whole VM run (3000)
#   VM_MEM, VM_SMP, VM_ACCEL (auto, kvm or tcg), VM_OUT (build/vm)
#   VM_ICOUNT    N: emulate (tcg) with QEMU's instruction counter, guest
#                time advancing 2^N ns per instruction and skipping what
#                an idle CPU would wait (-icount shift=N,sleep=off)
#
# The guest sees the host's / read-only over virtio-9p, and this tree at the
# same path (also when the path is hidden in the guest, as /tmp is), and
# writes its results to VM_OUT/results, also shared over 9p.  The kernel console goes to
# VM_OUT/console.log, the runner's output to VM_OUT/output.log and here.
# VM_OUT/results.txt gets one line per test: RESULT NAME SECONDS DETAIL.
# Exit status: 0 all passed or skipped, 1 some failed, 2 the VM did not run.

set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
mode=${1:?usage: vm.sh check NAME... | vm.sh demo | vm.sh bench [PART...]}
shift
tests=("$@")

TIMEOUT=${TIMEOUT:-300}
VM_TIMEOUT=${VM_TIMEOUT:-3000}
VM_MEM=${VM_MEM:-1024}
VM_SMP=${VM_SMP:-2}
VM_ICOUNT=${VM_ICOUNT:-}
VM_ACCEL=${VM_ACCEL:-auto}
VM_OUT=${VM_OUT:-$TOP/build/vm}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-300}
# Beyond its own timeout a test gets this long before the guest counts as hung.
HANG_GRACE=${HANG_GRACE:-60}
QEMU=${QEMU:-qemu-system-x86_64}

# Kernel log lines that fail the run.
SPLAT='BUG:|WARNING:|Oops|general protection|KASAN|UBSAN|Kernel panic'
SPLAT+='|hung_task|blocked for more than|self-detected stall|detected stalls'
SPLAT+='|RCU stall|kmemleak: [0-9]+ new suspected'

die()
{
	echo "vm.sh: $*" >&2
	exit 2
}

# The release string of an x86 bzImage (boot protocol: a pointer at 0x20e).
bzimage_version()
{
	local off

	off=$(od -An -tu2 -j $((0x20e)) -N 2 "$1" | tr -d ' ') || return 1
	dd if="$1" bs=1 skip=$((off + 0x200)) count=256 2>/dev/null |
		tr '\0' '\n' | head -n 1 | cut -d' ' -f1
}

# KVM may be present yet unable to run a guest (nested virtualisation): boot
# the kernel without a root and see whether it gets as far as panicking.
# The answer is kept for the rest of this host boot.
kvm_works()
{
	local cache=$TOP/build/kvm-probe log pid i

	[ -w /dev/kvm ] || return 1
	if [ -f "$cache" ] && [ "$(head -n 1 "$cache")" = "$(cat /proc/sys/kernel/random/boot_id)" ]; then
		[ "$(tail -n 1 "$cache")" = yes ]
		return
	fi
	log=$(mktemp)
	timeout 15 "$QEMU" -accel kvm -cpu host -m 256 -nodefaults \
		-display none -no-reboot -kernel "$KERNEL" -serial "file:$log" \
		-append "console=ttyS0 panic=-1 root=/dev/nonexistent" \
		</dev/null >/dev/null 2>&1 &
	pid=$!
	# QEMU may abort; bash need not say so
	disown $pid
	for i in $(seq 30); do
		sleep 0.5
		kill -0 $pid 2>/dev/null || break
		# nothing printed after 5 s: the guest is not running
		[ "$i" -lt 10 ] || [ -s "$log" ] || break
	done
	kill $pid 2>/dev/null
	local ok=no
	grep -q 'Kernel panic' "$log" && ok=yes
	rm -f "$log"
	printf '%s\n%s\n' "$(cat /proc/sys/kernel/random/boot_id)" $ok > "$cache"
	[ $ok = yes ]
}

# Print "TEST<TAB>LINE" for each kernel log line matching SPLAT; TEST is the
# test whose begin/end markers enclose it, or "outside any test".
scan_console()
{
	awk -v pat="$SPLAT" '
		{ sub(/\r$/, "") }
		/dyncast-selftest: begin / {
			cur = $0
			sub(/.*dyncast-selftest: begin /, "", cur)
			next
		}
		/dyncast-selftest: end / { cur = ""; next }
		$0 ~ pat { print (cur == "" ? "outside any test" : cur) "\t" $0 }
	' "$1"
}

[ -n "${KVER:-}" ] || [ -n "${KERNEL:-}" ] || die "set KVER or KERNEL"
if [ -n "${KERNEL:-}" ]; then
	[ -r "$KERNEL" ] || die "cannot read KERNEL=$KERNEL"
	KVER=$(bzimage_version "$KERNEL") || die "cannot read the release of $KERNEL"
fi
KERNEL=${KERNEL:-/boot/vmlinuz-$KVER}
KMODULES=${KMODULES:-/lib/modules/$KVER}
[ -r "$KERNEL" ] || die "no kernel image $KERNEL (apt-get install linux-image-$KVER)"
[ -d "$KMODULES" ] || die "no modules directory $KMODULES (set KMODULES)"
command -v "$QEMU" >/dev/null || die "$QEMU not found (apt-get install qemu-system-x86)"
KMODULES=$(cd "$KMODULES" && pwd -P)

mkdir -p "$VM_OUT"
res=$VM_OUT/results
rm -rf "$res" "$VM_OUT/results.txt"
mkdir -p "$res"
: > "$VM_OUT/console.log"
: > "$VM_OUT/output.log"

initrd=$VM_OUT/initramfs-$KVER.cpio.gz
"$TOP/selftests/vm/mkinitramfs.sh" "$KVER" "$KMODULES" "$initrd" || die "initramfs build failed"

guest_kmodules=
[ "$KMODULES" = "$(cd "/lib/modules/$KVER" 2>/dev/null && pwd -P)" ] ||
	guest_kmodules=$KMODULES
{
	printf 'TOP=%q\n' "$TOP"
	printf 'MODE=%q\n' "$mode"
	printf 'TESTS=%q\n' "${tests[*]}"
	printf 'TIMEOUT=%q\n' "$TIMEOUT"
	printf 'TIMEOUT_FACTOR=%q\n' "${TIMEOUT_FACTOR:-1}"
	printf 'KMODULES=%q\n' "$guest_kmodules"
	# the benchmarks' settings, BENCH_*, and the fuzzers', FUZZ_* FAULT_*
	for v in $(compgen -e BENCH_; compgen -e FUZZ_; compgen -e FAULT_); do
		printf 'export %s=%q\n' "$v" "${!v}"
	done
} > "$res/config"

[ -z "$VM_ICOUNT" ] || VM_ACCEL=tcg
case $VM_ACCEL in
auto) if kvm_works; then accel=kvm; else accel=tcg; fi ;;
kvm|tcg) accel=$VM_ACCEL ;;
*) die "VM_ACCEL must be auto, kvm or tcg" ;;
esac
if [ $accel = kvm ]; then
	accel_args=(-accel kvm -cpu host)
else
	accel_args=(-accel tcg -cpu "${VM_CPU:-max}")
	[ -z "$VM_ICOUNT" ] || accel_args+=(-icount "shift=$VM_ICOUNT,sleep=off")
fi

echo "# booting $KERNEL ($KVER) with $accel${VM_ICOUNT:+ (icount shift=$VM_ICOUNT)}, ${VM_SMP} CPUs, ${VM_MEM} MiB"
start=$(date +%s%N)
# norandmaps: under TCG, code translated for one process serves the next
# only when the libraries sit at the same addresses; exec gets ~2x faster.
# slub_nomerge: every slab cache stands alone, so that a test can count the
# module's objects and kmem_cache_destroy() reports any it leaked.
"$QEMU" "${accel_args[@]}" -m "$VM_MEM" -smp "$VM_SMP" \
	-nodefaults -display none -no-reboot \
	-kernel "$KERNEL" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 mitigations=off norandmaps slub_nomerge ${VM_APPEND:-}" \
	-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap \
	-device virtio-9p-pci,fsdev=root,mount_tag=root \
	-fsdev "local,id=top,path=$TOP,security_model=none,readonly=on,multidevs=remap" \
	-device virtio-9p-pci,fsdev=top,mount_tag=top \
	-fsdev "local,id=results,path=$res,security_model=none" \
	-device virtio-9p-pci,fsdev=results,mount_tag=results \
	-serial "file:$VM_OUT/console.log" -serial "file:$VM_OUT/output.log" \
	</dev/null > "$VM_OUT/qemu.log" 2>&1 &
qpid=$!

tail -n +1 -F --pid=$qpid "$VM_OUT/output.log" 2>/dev/null &
tpid=$!

stop_vm()
{
	echo "# $*: stopping the VM" >&2
	killed=$*
	kill $qpid 2>/dev/null
	sleep 2
	kill -9 $qpid 2>/dev/null
}
trap 'kill $qpid 2>/dev/null' EXIT
trap 'stop_vm interrupted; exit 130' INT TERM

killed=
booted_at=
while kill -0 $qpid 2>/dev/null; do
	sleep 1
	now=$(date +%s)
	elapsed=$(( now - start / 1000000000 ))
	if [ -z "$booted_at" ] && [ -f "$res/booted" ]; then
		booted_at=$(date +%s%N)
	fi
	if [ -z "$booted_at" ] && [ $elapsed -gt "$BOOT_TIMEOUT" ]; then
		stop_vm "no boot within $BOOT_TIMEOUT seconds"
	elif [ $elapsed -gt "$VM_TIMEOUT" ]; then
		stop_vm "VM_TIMEOUT of $VM_TIMEOUT seconds reached"
	elif [ -f "$res/current" ]; then
		# the runner may remove it meanwhile
		read -r cur cur_t < "$res/current" 2>/dev/null || continue
		mtime=$(stat -c %Y "$res/current" 2>/dev/null) || continue
		since=$(( now - mtime ))
		if [ "$since" -gt $(( ${cur_t:-$TIMEOUT} + HANG_GRACE )) ]; then
			stop_vm "test $cur is still running after $since seconds"
		fi
	fi
done
wait $qpid 2>/dev/null
wait $tpid 2>/dev/null
trap - EXIT INT TERM
end=$(date +%s%N)

if [ ! -f "$res/booted" ]; then
	echo "# the VM did not start the runner; last console lines:"
	tail -n 30 "$VM_OUT/console.log" | sed 's/^/#   /'
	sed 's/^/#   qemu: /' "$VM_OUT/qemu.log"
	exit 2
fi
booted_at=${booted_at:-$end}
# uptime when the runner started, as the guest saw it
read -r _ guest_boot < "$res/booted"
echo "# VM: runner started ${guest_boot} s after the kernel, $(( (booted_at - start) / 1000000000 )) s after launch; VM ran $(( (end - start) / 1000000000 )) s"

# Collect results: what the runner wrote, then what it never got to.
declare -A result detail secs
[ -f "$res/status" ] && while read -r name r s d; do
	result[$name]=$r secs[$name]=$s detail[$name]=$d
done < "$res/status"
[ $mode = demo ] && tests=(demo)
[ $mode = bench ] && tests=(bench)
for name in "${tests[@]}"; do
	[ -n "${result[$name]:-}" ] && continue
	result[$name]=fail secs[$name]=0
	if [ -f "$res/current" ] && [ "$(cut -d' ' -f1 "$res/current")" = "$name" ]; then
		detail[$name]="VM died or hung during this test${killed:+ ($killed)}"
	else
		detail[$name]="not run: the VM stopped before it"
	fi
done

splats=$(scan_console "$VM_OUT/console.log")
extra=()
if [ -n "$splats" ]; then
	echo "# kernel log problems (full log: $VM_OUT/console.log):"
	printf '%s\n' "$splats" | awk -F'\t' '{ printf "#   [%s] %s\n", $1, $2 }' | head -n 40
	declare -A blamed
	while IFS=$'\t' read -r name line; do
		# the first splat of a test says enough
		[ -z "${blamed[$name]:-}" ] || continue
		blamed[$name]=1
		[ -n "${result[$name]:-}" ] || extra+=("$name")
		result[$name]=fail secs[$name]=${secs[$name]:-0}
		detail[$name]="${detail[$name]:+${detail[$name]}; }kernel: $line"
	done <<< "$splats"
fi

fails=0
for name in "${tests[@]}" "${extra[@]}"; do
	printf '%s %s %s %s\n' "${result[$name]}" "${name// /_}" "${secs[$name]}" "${detail[$name]}" >> "$VM_OUT/results.txt"
	[ "${result[$name]}" = fail ] && fails=$((fails + 1))
done
[ $fails -eq 0 ]

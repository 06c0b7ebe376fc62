# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# shellcheck disable=SC2034 # M_* and the like are for bench.sh
#
# Helpers of the benchmarks in the VM, sourced by bench.sh after
# selftests/lib.sh.
#
# The data-plane topology (bench_topo):
#
#   generator ($G)            router ($R)                   sink ($S)
#  +---------------+     +------------------------+     +------------------+
#  | udpgen's feed |     | r0 10.1.0.1            |     | tc ingress: drop |
#  | g0 10.1.0.2 --|-----|-> RPS: CPU 1           |     | every IP packet  |
#  |               |     | SID 10.99.0.1 udp 9    |     |                  |
#  |               |     | r1 10.2.0.1          --|-----|-> s0 10.2.0.2    |
#  |               |     | 10.3.0.0/16 via .2.0.2 |     |   RPS: CPU 0     |
#  +---------------+     +------------------------+     +------------------+
#        CPU 0                   CPU 1                        CPU 0
#
# The router's receive processing runs on CPU 1 alone (RPS on r0); the
# generator (udpgen and its feed, feed_topo), the sink's processing and
# every process of the benchmark run on CPU 0.
# Instances are 10.3.0.1, 10.3.0.2, ... routed through the sink's address,
# whose link-layer address is set by hand: no ARP, and the sink drops
# everything it receives before IP sees it.

ROUTER_CPU=1
GEN_CPU=0
# the sink's processing and the benchmark's processes: a third CPU if any
if [ "$(getconf _NPROCESSORS_ONLN)" -ge 3 ]; then
	SINK_CPU=2
else
	SINK_CPU=$GEN_CPU
fi
# the CPUs of the router's receive processing (RPS on r0), as a mask
ROUTER_RPS=$(( 1 << ROUTER_CPU ))
SINK_RPS=$(( 1 << SINK_CPU ))
# One CPU (part instr): everything on it, no RPS.
if [ "$(getconf _NPROCESSORS_ONLN)" -eq 1 ]; then
	ROUTER_CPU=0 SINK_CPU=0 ROUTER_RPS=0 SINK_RPS=0
fi
SID=10.99.0.1
SPORT=9
SINK=10.2.0.2
CLK_TCK=$(getconf CLK_TCK)

# instance N (from 1) of the data-plane benchmarks
inst_addr()
{
	echo "10.3.$(( ($1 >> 8) & 255 )).$(( $1 & 255 ))"
}

# --- timing -------------------------------------------------------------------

log()
{
	printf '# [%5ds] %s\n' "$SECONDS" "$*"
}

# --- reading counters without a fork --------------------------------------------
#
# Each sets REPLY.  Reading in the shell itself keeps the measured window
# free of process creation, which is slow under emulation.

# cpu_kernel CPU: jiffies (USER_HZ) CPU spent in hard and soft interrupts,
# where the router's packets are processed; the idle jiffies in IDLE_J.
cpu_kernel()
{
	local name idle iow irq sirq

	while read -r name _ _ _ idle iow irq sirq _; do
		if [ "$name" = "cpu$1" ]; then
			REPLY=$(( irq + sirq ))
			IDLE_J=$(( idle + iow ))
			return 0
		fi
	done < /proc/stat
	REPLY=0
	return 1
}

# egress_drops: datagrams tc dropped at r1's egress (part instr: where
# the router's forwarding ends); sets REPLY.  Forks: not in a window.
egress_drops()
{
	local re='Sent [0-9]+ bytes ([0-9]+) pkt'

	REPLY=0
	[[ $(tc -n "$R" -s filter show dev r1 egress) =~ $re ]] &&
		REPLY=${BASH_REMATCH[1]}
}

# idle_ns: ns CPU 0 spent idle, from /proc/timer_list's tick_sched (idle
# and iowait sleep time, kept to the ns where the tick stops; updated at
# idle exit, so a reader, which is not idle, reads it whole); sets REPLY.
# The file is taken in one pass: read's lines would seek back, and each
# seek of a seq_file prints its records again, with newer figures.
idle_ns()
{
	local t re='\.idle_sleeptime[[:space:]]*:[[:space:]]*([0-9]+)'

	REPLY=0
	read -r -d '' -N 1048576 t < /proc/timer_list
	[[ $t =~ $re ]] || return 1
	REPLY=${BASH_REMATCH[1]}
	re='\.iowait_sleeptime[[:space:]]*:[[:space:]]*([0-9]+)'
	[[ $t =~ $re ]] && REPLY=$(( REPLY + BASH_REMATCH[1] ))
	return 0
}

# cpu_busy CPU: jiffies (USER_HZ) CPU spent on anything but idle and iowait.
cpu_busy()
{
	local name user nice sys irq sirq steal

	# idle and iowait are the 5th and 6th fields
	while read -r name user nice sys _ _ irq sirq steal _; do
		if [ "$name" = "cpu$1" ]; then
			REPLY=$(( user + nice + sys + irq + sirq + steal ))
			return 0
		fi
	done < /proc/stat
	REPLY=0
	return 1
}

# dev_stat PID DEV FIELD: a counter of DEV in the netns of process PID;
# FIELD 1..8 receive (bytes packets errs drop ...), 9..16 transmit.
dev_stat()
{
	local line name rest fields

	while read -r line; do
		line=${line/:/ }
		read -r name rest <<< "$line"
		if [ "$name" = "$2" ]; then
			read -r -a fields <<< "$rest"
			REPLY=${fields[$(( $3 - 1 ))]}
			return 0
		fi
	done < "/proc/$1/net/dev"
	REPLY=0
	return 1
}

# softnet_drops CPU: packets the CPU's backlog dropped (softnet_stat col. 2);
# the packets it processed (col. 1) in PROCESSED
softnet_drops()
{
	local i=0 processed dropped

	while read -r processed dropped _; do
		if [ $i = "$1" ]; then
			REPLY=$(( 16#$dropped ))
			PROCESSED=$(( 16#$processed ))
			return 0
		fi
		i=$(( i + 1 ))
	done < /proc/net/softnet_stat
	REPLY=0
	PROCESSED=0
}

# --- the topology -------------------------------------------------------------

# Link-layer addresses, fixed so that nothing needs looking up.
MAC_G0=02:00:0a:01:00:02
MAC_R0=02:00:0a:01:00:01
MAC_R1=02:00:0a:02:00:01
MAC_S0=02:00:0a:02:00:02

# Processes that hold the router's and the generator's namespace, so that
# /proc/PID/net shows them.
RPID=
GPID=

# A fresh topology.  Process creation is slow under emulation: every
# namespace is configured by one "ip -batch".
bench_topo()
{
	local n

	G=bench-g-$RANDOM R=bench-r-$RANDOM S=bench-s-$RANDOM
	NS_LIST+=("$G" "$R" "$S")
	ip -batch - <<-EOF || return 1
		netns add $G
		netns add $R
		netns add $S
		link add g0 netns $G address $MAC_G0 type veth peer name r0 netns $R address $MAC_R0
		link add r1 netns $R address $MAC_R1 type veth peer name s0 netns $S address $MAC_S0
	EOF
	ip -n "$G" -batch - <<-EOF || return 1
		link set lo up
		link set g0 up
		addr add 10.1.0.2/24 dev g0
		neigh replace 10.1.0.1 lladdr $MAC_R0 dev g0 nud permanent
		route add default via 10.1.0.1
	EOF
	ip -n "$S" -batch - <<-EOF || return 1
		link set lo up
		link set s0 up
		addr add $SINK/24 dev s0
		route add default via 10.2.0.1
	EOF
	ip -n "$R" -batch - <<-EOF || return 1
		link set lo up
		link set r0 up
		link set r1 up
		addr add 10.1.0.1/24 dev r0
		addr add 10.2.0.1/24 dev r1
		neigh replace $SINK lladdr $MAC_S0 dev r1 nud permanent
		route add 10.3.0.0/16 via $SINK
		route add 10.128.0.0/9 via 10.1.0.2
	EOF
	tc -n "$S" -batch - <<-EOF || return 1
		qdisc add dev s0 clsact
		filter add dev s0 ingress protocol ip matchall action drop
	EOF
	ip netns exec "$S" sh -c "
		echo $SINK_RPS > /sys/class/net/s0/queues/rx-0/rps_cpus" ||
		return 1
	ip netns exec "$R" sh -c "
		echo 1 > /proc/sys/net/ipv4/ip_forward &&
		for f in all default r0 r1; do
			echo 0 > /proc/sys/net/ipv4/conf/\$f/rp_filter || exit 1
		done &&
		echo $ROUTER_RPS > /sys/class/net/r0/queues/rx-0/rps_cpus &&
		exec sleep infinity" &
	RPID=$!
	feed_topo || return 1
	if [ "${FWD_MODE:-cpu}" = instr ]; then
		# the router's part ends at its egress: the sink's receive is no
		# part of any variant's figure
		tc -n "$R" -batch - <<-EOF || return 1
			qdisc add dev r1 clsact
			filter add dev r1 egress matchall action drop
		EOF
	fi
	ip netns exec "$G" sleep infinity &
	GPID=$!
	# until both are set up and in their namespace
	for (( n = 0; n < 200; n++ )); do
		if proc_is "$RPID" sleep && proc_is "$GPID" sleep; then
			dev_stat "$RPID" r1 1 && dev_stat "$GPID" g0 1 && return 0
		fi
		kill -0 "$RPID" 2>/dev/null && kill -0 "$GPID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# The feed of udpgen: its namespace ($F) sends each datagram
# in IPIP to the generator's, which decapsulates it and routes it to the
# router: it arrives there with the headroom of a network card's buffer.
#
#   feed ($F)                generator ($G)
#   udpgen                   tun0 (ipip)
#   f0 10.0.9.2 ------------ gf 10.0.9.1      g0 10.1.0.2 --> router
F=
feed_topo()
{
	F=bench-f-$RANDOM
	NS_LIST+=("$F")
	ip -batch - <<-EOF || return 1
		netns add $F
		link add f0 netns $F type veth peer name gf netns $G
	EOF
	ip -n "$F" -batch - <<-EOF || return 1
		link set lo up
		link set f0 up
		addr add 10.0.9.2/24 dev f0
	EOF
	ip -n "$G" -batch - <<-EOF || return 1
		link set gf up
		addr add 10.0.9.1/24 dev gf
		link add tun0 type ipip local 10.0.9.1 remote 10.0.9.2
		link set tun0 up
	EOF
	ip netns exec "$G" sh -c '
		echo 1 > /proc/sys/net/ipv4/ip_forward &&
		for f in all default gf tun0 g0; do
			echo 0 > /proc/sys/net/ipv4/conf/$f/rp_filter || exit 1
		done' || return 1
	[ "${FWD_MODE:-cpu}" != instr ] || return 0
	gen_napi
}

# gen_napi: the generator's datagrams reach the router in bursts, as a
# network card's interrupt hands a batch to NAPI.  Each datagram sent is
# otherwise forwarded to the router in the softirq of its own send, and
# the router's vCPU, idle between two, is woken for each by an IPI, which
# under emulation costs several times the forwarding (and moves more):
# that, not the router's work, would be the figure.  Here gf takes its
# datagrams through NAPI (GRO on; f0 without TSO, which veth requires for
# it) in a thread of its own (threaded NAPI) on the generator's CPU, of
# policy SCHED_BATCH, which wakes without preempting udpgen: udpgen
# yields after each batch (-y), the thread then takes the batch 64 at a
# time, and the router's CPU gets one IPI per 64.
gen_napi()
{
	local pid

	ip netns exec "$F" ethtool -K f0 tso off >/dev/null &&
		ip netns exec "$G" ethtool -K gf gro on >/dev/null &&
		ip netns exec "$G" sh -c 'echo 1 > /sys/class/net/gf/threaded' ||
		return 1
	pid=$(pgrep -n '^napi/gf-') || return 1
	taskset -pc $GEN_CPU "$pid" >/dev/null && chrt -b -p 0 "$pid"
}

# proc_is PID NAME: the process runs NAME (no fork)
proc_is()
{
	local comm

	read -r comm < "/proc/$1/comm" 2>/dev/null && [ "$comm" = "$2" ]
}

# bench_topo_up: bench_topo, its errors to $ERR; what it built is
# dismantled if it fails, so that the next one's names do not hide it
bench_topo_up()
{
	bench_topo 2>>"$ERR" && return 0
	bench_topo_down
	return 1
}

bench_topo_down()
{
	pg_stop
	kill "$RPID" "$GPID" 2>/dev/null
	wait "$RPID" "$GPID" 2>/dev/null
	ip -batch - <<-EOF 2>/dev/null
		netns del $G
		netns del $R
		netns del $S
		${F:+netns del $F}
	EOF
	NS_LIST=() F=
	RPID='' GPID=
}

# quiesce: wait (at most 20 s) until the router CPU is idle, the work of
# what came before (namespaces being dismantled, timers) done.
quiesce()
{
	local b0 i

	for (( i = 0; i < 40; i++ )); do
		cpu_busy $ROUTER_CPU; b0=$REPLY
		sleep 0.5
		cpu_busy $ROUTER_CPU
		[ $(( REPLY - b0 )) -le $(( CLK_TCK / 50 )) ] && return 0
	done
	log "the router CPU did not become idle"
}

# Run a command in the router's namespace.
in_r()
{
	ip netns exec "$R" "$@"
}

dcr()
{
	ip netns exec "$R" "$DYNCAST" "$@"
}

# --- the generator --------------------------------------------------------------

PG_PID=
# udpgen's rate: UG_RATE datagrams a second, 0 as fast as it can; its
# arguments (pg_flows) in UG_ARGS
UG_RATE=0
UG_ARGS=()

# ug_cmd ARG...: the command of udpgen in the feed's namespace into
# UG_CMD, each datagram in IPIP to the generator's, from 10.1.0.3 unless
# the arguments say otherwise (the generator's own address would be a
# martian source there); DF, as a Linux socket's datagrams, unless
# BENCH_DF=0
UG_CMD=()
ug_cmd()
{
	UG_CMD=(ip netns exec "$F" "$DYNCAST_TOP/build/bench/udpgen" -p "$SPORT"
		-s 10.1.0.3 -e "10.0.9.2,10.0.9.1")
	[ "${BENCH_DF:-1}" != 0 ] || UG_CMD+=(-F)
	UG_CMD+=("$@")
}

# pg_flows KIND [DST]: 64-byte UDP datagrams to DST (default the service):
#   established  1000 flows, source ports 1000..1999, round robin
#   new          a random source address of 10.128.0.0/9 and port each:
#                every datagram is practically a flow of its own
pg_flows()
{
	UG_ARGS=(-d "${2:-$SID}" -r "$UG_RATE")
	[ "$1" = established ] || UG_ARGS+=(-n)
	# in bursts (gen_napi), but in part instr
	[ "${FWD_MODE:-cpu}" = instr ] || UG_ARGS+=(-y)
}

pg_start()
{
	ug_cmd "${UG_ARGS[@]}"
	# the command itself, not a subshell: pg_stop kills this process
	"${UG_CMD[@]}" &
	PG_PID=$!
}

pg_stop()
{
	[ -n "$PG_PID" ] || return 0
	kill "$PG_PID" 2>/dev/null
	wait "$PG_PID" 2>/dev/null
	PG_PID=
}

# pg_send N SRC RATE DST: N datagrams from SRC, SRC+1, ... (port 1024), at
# most RATE per second, and wait until they are sent.
pg_send()
{
	ug_cmd -d "$4" -r "$3" -c "$1" -s "$2" -a "$1" -P 1024 -f 1
	"${UG_CMD[@]}"
}

# pg_lookup FIRST N DST: established traffic at random over the N flows
# that pg_send made from FIRST (pg_start sends it).
pg_lookup()
{
	UG_ARGS=(-d "$3" -r "$UG_RATE" -y -s "$1" -a "$2" -P 1024 -f 1 -x)
}

ip2int()
{
	local a b c d

	IFS=. read -r a b c d <<< "$1"
	echo $(( (a << 24) | (b << 16) | (c << 8) | d ))
}

int2ip()
{
	echo "$(( ($1 >> 24) & 255 )).$(( ($1 >> 16) & 255 )).$(( ($1 >> 8) & 255 )).$(( $1 & 255 ))"
}

# --- one measurement ----------------------------------------------------------

# The router's CPU never idles while measured: a busy loop of the lowest
# priority (SCHED_IDLE) takes whatever the router's interrupts leave.
# Every packet is then processed the same way, whatever the offered load:
# no halt and wake-up of the CPU per packet, which under emulation costs
# more than forwarding and would make the figure depend on the load.  The
# router's own time is its interrupt time (irq + softirq); the loop's is
# user time.  It is stopped (SIGSTOP) outside the windows.
SPIN_PID=

spin_start()
{
	taskset -c $ROUTER_CPU chrt -i 0 sh -c 'kill -STOP $$; while :; do :; done' &
	SPIN_PID=$!
}

spin_stop()
{
	[ -n "$SPIN_PID" ] || return 0
	kill -KILL "$SPIN_PID" 2>/dev/null
	wait "$SPIN_PID" 2>/dev/null
	SPIN_PID=
}

# The CPUs where the router's receive processing runs (RPS on r0), whose
# interrupt time measure() counts: the router CPU, or both (part spread).
M_CPUS=("$ROUTER_CPU")

# cpus_kernel: cpu_kernel summed over M_CPUS, the router CPU's own in
# RJIF; softnet_drops alike into REPLY and PROCESSED, the router CPU's
# own processed packets in RPROC
cpus_kernel()
{
	local c b=0 i=0

	for c in "${M_CPUS[@]}"; do
		cpu_kernel "$c"
		b=$(( b + REPLY )) i=$(( i + IDLE_J ))
		[ "$c" != $ROUTER_CPU ] || RJIF=$REPLY
	done
	REPLY=$b IDLE_J=$i
}

cpus_softnet()
{
	local c d=0 p=0

	for c in "${M_CPUS[@]}"; do
		softnet_drops "$c"
		d=$(( d + REPLY )) p=$(( p + PROCESSED ))
		[ "$c" != $ROUTER_CPU ] || RPROC=$PROCESSED
	done
	REPLY=$d PROCESSED=$p
}

# measure SECONDS: the router's forwarding over a window; sets
#   M_WALL (s), M_FWD (packets out of r1), M_OFFERED (packets out of g0
#   into the router's backlog), M_BUSY (interrupt jiffies of the M_CPUS),
#   M_IDLE (their idle jiffies: 0 unless the busy loop did not run),
#   M_DROPS (packets their full backlogs dropped: offered beyond those),
#   M_NS (ns of their interrupt time per forwarded packet), M_PPS
#   (forwarded per s), M_RPROC (packets the router CPU's backlog
#   processed: with M_CPUS both, its part of the forwarded ones) and
#   M_RJIF (its interrupt jiffies)
# Under emulation /proc/stat counts only the ticks the virtual CPU ran:
# time the host took from it counts as nothing.
measure()
{
	local t0 t1 b0 f0 o0 d0 i0 p0 r0

	[ -z "$SPIN_PID" ] || { kill -CONT "$SPIN_PID"; sleep 0.2; }
	t0=${EPOCHREALTIME/./}
	cpus_kernel; b0=$REPLY; i0=$IDLE_J; r0=$RJIF
	dev_stat "$RPID" r1 10; f0=$REPLY
	dev_stat "$GPID" g0 10; o0=$REPLY
	cpus_softnet; d0=$REPLY; p0=$RPROC
	sleep "$1"
	t1=${EPOCHREALTIME/./}
	cpus_kernel; M_BUSY=$(( REPLY - b0 )); M_IDLE=$(( IDLE_J - i0 ))
	M_RJIF=$(( RJIF - r0 ))
	dev_stat "$RPID" r1 10; M_FWD=$(( REPLY - f0 ))
	dev_stat "$GPID" g0 10; M_OFFERED=$(( REPLY - o0 ))
	cpus_softnet; M_DROPS=$(( REPLY - d0 )); M_RPROC=$(( RPROC - p0 ))
	[ -z "$SPIN_PID" ] || kill -STOP "$SPIN_PID"
	M_WALL=$(awk -v d=$(( t1 - t0 )) 'BEGIN { printf "%.3f", d / 1e6 }')
	M_PPS=$(awk -v n=$M_FWD -v d=$(( t1 - t0 )) 'BEGIN { printf "%.0f", n * 1e6 / d }')
	if [ "$M_FWD" -gt 0 ]; then
		M_NS=$(awk -v b=$M_BUSY -v n=$M_FWD -v hz="$CLK_TCK" \
			'BEGIN { printf "%.0f", b * 1e9 / hz / n }')
	else
		M_NS=NA
	fi
}

# measure_instr SECONDS: the one CPU's busy time per datagram sent over a
# window of the guest's time, which under QEMU's instruction counter
# (VM_ICOUNT) is the instructions it executes, 2^shift ns each; an idle
# CPU's wait takes no instruction and is not counted (idle_ns).  udpgen
# sends UG_RATE a second, few enough that each datagram is processed to
# its end (dropped by tc at the router's ingress or egress), in the
# softirq its send runs, before the next, and that it sleeps between its
# batches.  Sets M_WALL (s), M_SENT (packets out of g0), M_FWD (dropped
# at r1's egress: forwarded; read by tc around the window, so over a
# little longer),
# M_DROPS (the backlog's drops: datagrams not processed to their end),
# M_IDLE (idle ms) and M_NS (busy guest ns per datagram sent).
measure_instr()
{
	local t0 t1 i0 s0 f0 d0 ok=1

	egress_drops; f0=$REPLY
	t0=${EPOCHREALTIME/./}
	idle_ns || ok=
	i0=$REPLY
	dev_stat "$GPID" g0 10; s0=$REPLY
	softnet_drops 0; d0=$REPLY
	sleep "$1"
	t1=${EPOCHREALTIME/./}
	idle_ns || ok=
	i0=$(( REPLY - i0 ))
	dev_stat "$GPID" g0 10; M_SENT=$(( REPLY - s0 ))
	softnet_drops 0; M_DROPS=$(( REPLY - d0 ))
	egress_drops; M_FWD=$(( REPLY - f0 ))
	M_WALL=$(awk -v d=$(( t1 - t0 )) 'BEGIN { printf "%.3f", d / 1e6 }')
	M_IDLE=$(( i0 / 1000000 ))
	[ -n "$ok" ] || log "no idle time in /proc/timer_list: no figure"
	if [ -n "$ok" ] && [ "$M_SENT" -gt 0 ]; then
		M_NS=$(awk -v s=$M_SENT -v d=$(( t1 - t0 )) -v i=$i0 \
			'BEGIN { printf "%.1f", (d * 1e3 - i) / s }')
	else
		M_NS=NA
	fi
}

# idle_busy SECONDS: jiffies all CPUs spent busy over a window without
# traffic, as a share of one CPU (per cent); sets REPLY.
idle_busy()
{
	local b0 b1 c0 c1 t0 t1

	t0=${EPOCHREALTIME/./}
	cpu_busy 0; b0=$REPLY
	cpu_busy 1; c0=$REPLY
	sleep "$1"
	t1=${EPOCHREALTIME/./}
	cpu_busy 0; b1=$REPLY
	cpu_busy 1; c1=$REPLY
	REPLY=$(awk -v b=$(( b1 - b0 + c1 - c0 )) -v d=$(( t1 - t0 )) -v hz="$CLK_TCK" \
		'BEGIN { printf "%.1f", 100 * b / hz / (d / 1e6) }')
}

# --- results --------------------------------------------------------------------

# json_num KEY JSON: the number of "KEY" in JSON (flat objects; no jq, one
# process fewer)
json_num()
{
	local re="\"$1\":[[:space:]]*([0-9]+)"

	[[ $2 =~ $re ]] && echo "${BASH_REMATCH[1]}"
}

# tsv_header FILE COLUMNS...: start FILE with a header line
tsv_header()
{
	local f=$1

	shift
	(IFS=$'\t'; echo "$*") > "$f"
}

# tsv_row FILE VALUES...
tsv_row()
{
	local f=$1

	shift
	(IFS=$'\t'; echo "$*") >> "$f"
}

# --- memory -------------------------------------------------------------------

# Hand back what the slab caches and the page cache hold but do not use,
# so that two snapshots compare objects in use.
mem_settle()
{
	local c

	sync
	echo 3 > /proc/sys/vm/drop_caches
	for c in /sys/kernel/slab/*/shrink; do
		echo 1 > "$c" 2>/dev/null
	done
}

# mem_kernel: kB of slab and vmalloc in use; sets REPLY
mem_kernel()
{
	local key val _ slab=0 vm=0

	while read -r key val _; do
		case $key in
		Slab:) slab=$val ;;
		VmallocUsed:) vm=$val ;;
		esac
	done < /proc/meminfo
	REPLY=$(( slab + vm ))
}

# slab_bytes CACHE: bytes of the slabs of CACHE (objects, padding and the
# free room of partial slabs); sets REPLY, 0 if there is no such cache
slab_bytes()
{
	local d=/sys/kernel/slab/$1 slabs order _

	if [ ! -r "$d/slabs" ]; then
		REPLY=0
		return 1
	fi
	read -r slabs _ < "$d/slabs"
	read -r order < "$d/order"
	REPLY=$(( slabs * 4096 << order ))
}

# slab_objects CACHE: objects of CACHE in use; sets REPLY
slab_objects()
{
	local d=/sys/kernel/slab/$1 n _

	REPLY=0
	[ -r "$d/objects" ] || return 1
	read -r n _ < "$d/objects"
	REPLY=$n
}

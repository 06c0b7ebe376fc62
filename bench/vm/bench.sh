#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmarks of the D-Router in the test VM ("make bench"): figures,
# never verdicts.  Every variant runs in this one boot, on the same
# topology and traffic; the variants are interleaved and each is measured
# BENCH_REPS times.
#
#   bench.sh OUTDIR [PART...]
#
# Parts, in this order by default:
#   dataplane  router CPU time per packet and packets per second, 1000
#              established UDP flows: plain routing, routing with conntrack,
#              dyncast rewrite and tunnel, IPVS NAT and tunnel, nftables
#              dnat, and plain routing beside 100 dyncast services
#   newflow    the same with every packet a new flow
#   spread     one client's 1000 established flows spread by RPS over both
#              CPUs: dyncast tunnel and rewrite with 5tuple and 2tuple
#              affinity (one binding shared by every flow), plain routing
#   instr      instructions per datagram of the dataplane and newflow
#              variants, and of plain routing and nftables dnat with an
#              empty hook more, on one CPU under QEMU's instruction counter
#              (a VM of its own: bench/run.sh boots one for it, with
#              VM_SMP=1 VM_ICOUNT=BENCH_ICOUNT; not in the default list)
#   tables     memory per entry and per-packet lookup cost as the tables of
#              dyncast, IPVS and conntrack grow to 1 000 000 entries, and
#              the CPU each spends holding them
#   select     cost of a new flow with 2, 16, 128 and 1024 instances, per
#              dyncast policy
#   updates    metric updates per second over netlink, and their effect on
#              forwarding
#   steer      service latency of nearest-only, IPVS lc and wlc, dyncast
#              weighted and dyncast least-cost (metrics relayed every
#              interval, or announced by dyncastd with its defaults, which
#              plans or not), with netem delays and instances of limited
#              concurrency (bench/scenario.sh)
#   steerev    the same per window around an event: the nearest site
#              loses half its slots, a site's server is killed and
#              restarted
#   bgp        announcements of BENCH_BGP_SIZES ("25 50") sites through
#              BGP (BENCH_BGP_SPEAKERS ExaBGPs, 10, and an FRR reflector)
#              and through the agent protocol, quiet, and at the largest
#              size with every instance's queue moving every second
#              (churn): time to learn everything, announcements per
#              second at the router, the VM's CPU meanwhile, time to see
#              a failure, memory
#   bgprib     memory per BGP path: BENCH_BGP_RIB ("10000 20000") static
#              paths from one ExaBGP through the reflector to the router
#
# Each part writes OUTDIR/PART.tsv (tables: tables-memory.tsv and
# tables-lookup.tsv), one row per measurement, with a header; a variant
# that cannot run is a row with status "missing" and the reason.  The
# method is in bench/README.md.  Exits 0 once it has started measuring.
#
# Settings (environment): BENCH_REPS (3; BENCH_DP_REPS for the data plane,
# two more; BENCH_SEL_REPS for selection and updates, one fewer),
# BENCH_WINDOW (seconds measured, 4), BENCH_WARMUP (seconds before, 1),
# BENCH_INSTR_WINDOW and BENCH_INSTR_RATE (part instr: seconds of guest
# time measured, 8, and datagrams per second, 4000), BENCH_INSTR_VARIANTS
# (part instr's variants: ingress-drop, every forwarding variant,
# plain-hook and nft-dnat-hook)
# and BENCH_INSTR_TRAFFIC ("established new"), BENCH_DF (1: every
# part's datagrams carry DF, as a Linux socket's; 0: they do not),
# BENCH_SIZES (table sizes, "1000 10000 100000 1000000"), BENCH_FILL_RATE
# (new flows per second while filling tables, 20000), BENCH_STEER_SECS
# (seconds per steering run, 35, of which the first 10 are not counted),
# BENCH_STEER_LOADS ("0.5 0.8"), BENCH_STEER_POLICIES ("nearest ipvs-lc
# ipvs-wlc weighted least-cost least-cost-agent least-cost-noplan"),
# BENCH_STEER_EVENTS ("halve kill"), BENCH_STEER_EVENT_POLICIES
# ("ipvs-lc ipvs-wlc weighted least-cost-agent least-cost-noplan").

. "$(dirname "$0")/../../selftests/lib.sh"
. "$(dirname "$0")/../../selftests/topo.sh"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../scenario.sh"

OUT=${1:?usage: bench.sh OUTDIR [PART...]}
shift
PARTS=("$@")
[ ${#PARTS[@]} -gt 0 ] || PARTS=(dataplane offload newflow spread tables select updates steer steerev)

REPS=${BENCH_REPS:-3}
# the data plane's differences are the smallest, selection and updates
# the slowest to set up: more or fewer repetitions than the others
DP_REPS=${BENCH_DP_REPS:-$(( REPS + 2 ))}
SEL_REPS=${BENCH_SEL_REPS:-$(( REPS > 2 ? REPS - 1 : REPS ))}
WINDOW=${BENCH_WINDOW:-4}
# part instr: seconds of guest time measured, datagrams per second
INSTR_WINDOW=${BENCH_INSTR_WINDOW:-8}
INSTR_RATE=${BENCH_INSTR_RATE:-4000}
WARMUP=${BENCH_WARMUP:-1}
read -r -a SIZES <<< "${BENCH_SIZES:-1000 10000 100000 1000000}"
FILL_RATE=${BENCH_FILL_RATE:-20000}
STEER_SECS=${BENCH_STEER_SECS:-35}
read -r -a STEER_LOADS <<< "${BENCH_STEER_LOADS:-0.5 0.8}"
BIN=$DYNCAST_TOP/build/bench
DYNCASTD=$DYNCAST_TOP/userspace/dyncastd/dyncastd
ERR=$OUT/errors.log

mkdir -p "$OUT"
: > "$ERR"

# The benchmark's own processes stay off the router's CPU.
taskset -p $(( 1 << SINK_CPU )) $$ >/dev/null

# --- set-up -------------------------------------------------------------------

prepare()
{
	local m cpus envf

	cpus=$(getconf _NPROCESSORS_ONLN)
	# part instr runs on one CPU, every other on two
	if [ "${PARTS[*]}" = instr ]; then
		[ "$cpus" -eq 1 ] || { echo "bench: part instr needs 1 CPU, has $cpus"; return 1; }
	else
		[ "$cpus" -ge 2 ] || { echo "bench: needs 2 CPUs, has $cpus"; return 1; }
	fi
	for m in ip_vs ip_vs_rr ip_vs_lc ip_vs_wlc nf_conntrack nf_nat nft_numgen \
		 sch_netem cls_matchall act_gact sch_ingress ipip; do
		modprobe "$m" 2>>"$ERR" || log "module $m is missing"
	done
	[ -x "$BIN/udpgen" ] || { echo "bench: no $BIN/udpgen"; return 1; }
	# the generator's NAPI thread (gen_napi)
	for m in ethtool chrt taskset pgrep; do
		command -v "$m" >/dev/null || { echo "bench: no $m"; return 1; }
	done
	# tables of a machine with more than 4 GiB, and room for the largest test
	echo 262144 > /sys/module/nf_conntrack/parameters/hashsize
	sysctl -qw net.netfilter.nf_conntrack_max=4194304
	dc_load max_bindings=4194304 || { echo "bench: cannot load dyncast"; return 1; }
	# part instr's VM is another boot: its own description
	envf=$OUT/env.tsv
	[ "${PARTS[*]}" != instr ] || envf=$OUT/instr-env.tsv
	{
		printf 'kernel\t%s\n' "$(uname -r)"
		printf 'date\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
		printf 'cpus\t%s\n' "$cpus"
		printf 'cpu_model\t%s\n' "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
		printf 'mem_kb\t%s\n' "$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
		printf 'hz\t%s\n' "$CLK_TCK"
		printf 'conntrack_buckets\t%s\n' "$(cat /sys/module/nf_conntrack/parameters/hashsize)"
		printf 'ipvs_conn_tab_bits\t%s\n' "$(cat /sys/module/ip_vs/parameters/conn_tab_bits 2>/dev/null)"
		printf 'reps\t%s\ndp_reps\t%s\nsel_reps\t%s\n' "$REPS" "$DP_REPS" "$SEL_REPS"
		printf 'window_s\t%s\nwarmup_s\t%s\n' "$WINDOW" "$WARMUP"
		printf 'icount_shift\t%s\n' "${BENCH_ICOUNT:-}"
		printf 'instr_window_s\t%s\ninstr_rate\t%s\ndf\t%s\n' "$INSTR_WINDOW" \
			"$INSTR_RATE" "${BENCH_DF:-1}"
	} > "$envf"
}

# --- forwarding variants ------------------------------------------------------

VARIANTS=(plain conntrack dyncast-rewrite dyncast-tunnel ipvs-nat ipvs-tunnel nft-dnat
	  dyncast-other)

# empty_hook PRIORITY: a PREROUTING hook in the router that does nothing,
# an nftables base chain without rules
empty_hook()
{
	in_r nft -f - <<-EOF
		table ip bench_hook {
			chain pre {
				type filter hook prerouting priority $1;
			}
		}
	EOF
}

# variant_setup NAME: configure the router; prints where the generator
# sends to.
variant_setup()
{
	local i1 i2

	i1=$(inst_addr 1)
	i2=$(inst_addr 2)
	case $1 in
	plain)
		echo "$i1"
		;;
	ingress-drop)
		# every datagram dropped as the router receives it
		tc -n "$R" -batch - <<-EOF || return 1
			qdisc add dev r0 clsact
			filter add dev r0 ingress protocol ip matchall action drop
		EOF
		echo "$i1"
		;;
	conntrack)
		in_r nft -f - <<-EOF || return 1
			table ip bench {
				chain pre {
					type filter hook prerouting priority filter;
					ct state invalid drop
				}
			}
		EOF
		echo "$i1"
		;;
	dyncast-rewrite|dyncast-tunnel|dyncast-rewrite-2tuple|dyncast-tunnel-2tuple)
		local mode=${1#dyncast-} aff=5tuple

		if [ "${mode%-2tuple}" != "$mode" ]; then
			mode=${mode%-2tuple}
			aff=2tuple
		fi
		dcr service add $SID proto udp port $SPORT mode "$mode" \
			affinity $aff timeout 600 &&
			dcr instance add $SID proto udp port $SPORT bid "$i1" bid "$i2" ||
			return 1
		echo $SID
		;;
	ipvs-nat|ipvs-tunnel)
		local fwd=-m

		[ "$1" = ipvs-tunnel ] && fwd=-i
		in_r ip addr add $SID/32 dev lo &&
			in_r ipvsadm -A -u $SID:$SPORT -s rr &&
			in_r ipvsadm -a -u $SID:$SPORT -r "$i1:$SPORT" $fwd &&
			in_r ipvsadm -a -u $SID:$SPORT -r "$i2:$SPORT" $fwd || return 1
		echo $SID
		;;
	dyncast-other)
		# routed traffic to an address no service has, beside 100
		# tunnel-mode services (hooks on, no conntrack)
		for i in $(seq 0 99); do
			echo "service add 10.98.$((i / 100)).$((i % 100 + 1)) proto udp port $SPORT mode tunnel"
		done | dcr -batch - || return 1
		echo "$i1"
		;;
	nft-dnat|nft-dnat-hook)
		in_r nft -f - <<-EOF || return 1
			table ip bench {
				chain pre {
					type nat hook prerouting priority dstnat;
					ip daddr $SID udp dport $SPORT dnat to numgen inc mod 2 map { 0 : $i1, 1 : $i2 }
				}
			}
		EOF
		# a hook that does nothing where dyncast's rewrite hook sits
		[ "$1" = nft-dnat ] || empty_hook -199 || return 1
		echo $SID
		;;
	plain-hook)
		# ... and where its PREROUTING hook sits
		empty_hook -290 || return 1
		echo "$i1"
		;;
	conntrack-ft|nft-dnat-ft|dyncast-rewrite-ft)
		# the variant, its flows offloaded to an nftables flowtable
		# once conntrack has seen their replies (variant_warm)
		variant_setup "${1%-ft}" || return 1
		in_r nft -f - <<-EOF || return 1
			table inet bench_ft {
				flowtable ft {
					hook ingress priority 0
					devices = { r0, r1 }
				}
				chain forward {
					type filter hook forward priority filter;
					meta l4proto udp flow add @ft
				}
			}
		EOF
		# the instances' addresses, for the sink to answer from
		ip -n "$S" addr add "$i1/32" dev lo &&
			ip -n "$S" addr add "$i2/32" dev lo
		;;
	*)
		return 1
		;;
	esac
}

# variant_warm NAME: what a variant needs once its traffic flows.  An
# offloaded one: the sink answers each of the 1000 established flows
# (pg_flows) once from each instance's address, so that conntrack has
# seen the reply of every flow, whichever instance it went to, and the
# flow's next datagram offloads it (the other instance's answers make
# entries of their own, which the generator's traffic never uses).
variant_warm()
{
	case $1 in
	*-ft)
		sleep 0.5
		ip netns exec "$S" python3 - "$SPORT" "$(inst_addr 1)" \
			"$(inst_addr 2)" <<-'EOF'
			import socket, sys
			port = int(sys.argv[1])
			for a in sys.argv[2:]:
			    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
			    s.bind((a, port))
			    for p in range(1000, 2000):
			        s.sendto(b'reply', ('10.1.0.3', p))
			    s.close()
		EOF
		;;
	esac
}

# The entries the variant's tables hold now (bindings, IPVS connections or
# conntrack entries).
variant_entries()
{
	case $1 in
	*-ft)
		# the entries offloaded
		in_r conntrack -L 2>/dev/null | grep -c OFFLOAD
		;;
	dyncast-*)
		json_num bindings "$(dcr -j stats)"
		;;
	ipvs-*)
		# listing them takes long: count the objects of their cache
		echo 1 > /sys/kernel/slab/ip_vs_conn/shrink
		slab_objects ip_vs_conn
		echo "$REPLY"
		;;
	conntrack|nft-dnat)
		in_r cat /proc/sys/net/netfilter/nf_conntrack_count
		;;
	*)
		echo 0
		;;
	esac
}

# What a forwarding measurement is: the router CPU's time (cpu, the
# default) or the instructions of the one CPU (instr, part instr).
FWD_MODE=cpu
FWD_COLS=(wall_s fwd_pkts pps sent_pkts router_irq_jiffies router_idle_jiffies
	  ns_per_pkt backlog_drops)
INSTR_COLS=(wall_s sent_pkts fwd_pkts backlog_drops idle_ms ns_per_pkt
	    instr_per_pkt)

fwd_cols()
{
	if [ $FWD_MODE = instr ]; then
		echo "${INSTR_COLS[*]}"
	else
		echo "${FWD_COLS[*]}"
	fi
}

# fwd_measure: one window of the mode; fwd_values: its figures, in the
# order of fwd_cols; fwd_log: a line for the log
fwd_measure()
{
	if [ $FWD_MODE = instr ]; then
		measure_instr "$INSTR_WINDOW"
	else
		measure "$WINDOW"
	fi
}

fwd_values()
{
	if [ $FWD_MODE = instr ]; then
		echo "$M_WALL $M_SENT $M_FWD $M_DROPS $M_IDLE $M_NS" \
			"$(awk -v ns="$M_NS" -v s="$BENCH_ICOUNT" \
				'BEGIN { if (ns == "NA") print "NA"; else printf "%.0f", ns / 2 ^ s }')"
	else
		echo "$M_WALL $M_FWD $M_PPS $M_OFFERED $M_BUSY $M_IDLE $M_NS $M_DROPS"
	fi
}

fwd_log()
{
	if [ $FWD_MODE = instr ]; then
		echo "sent $M_SENT, forwarded $M_FWD, dropped $M_DROPS, $M_NS busy guest ns/pkt, idle $M_IDLE ms"
	else
		echo "$M_PPS pps, $M_NS ns/pkt ($M_BUSY jiffies); sent $M_OFFERED, dropped $M_DROPS"
	fi
}

# fwd_missing FILE TRAFFIC VARIANT REP REASON: a row for a variant that
# could not run
fwd_missing()
{
	local na=() c

	for c in $(fwd_cols); do
		na+=(NA)
	done
	tsv_row "$1" "$2" "$3" "$4" "${na[@]}" missing "$5"
}

# variant_teardown NAME: back to plain routing, the tables emptied
variant_teardown()
{
	case $1 in
	*-ft)
		variant_teardown "${1%-ft}"
		in_r nft flush ruleset
		in_r conntrack -F >/dev/null 2>&1
		ip -n "$S" addr del "$(inst_addr 1)/32" dev lo
		ip -n "$S" addr del "$(inst_addr 2)/32" dev lo
		;;
	ingress-drop)
		tc -n "$R" qdisc del dev r0 clsact
		;;
	conntrack|nft-dnat|nft-dnat-hook|plain-hook)
		in_r nft flush ruleset
		in_r conntrack -F >/dev/null 2>&1
		;;
	dyncast-other)
		dcr service flush
		;;
	dyncast-*)
		dcr service del $SID proto udp port $SPORT
		in_r conntrack -F >/dev/null 2>&1
		;;
	ipvs-*)
		in_r ipvsadm -C
		in_r ip addr del $SID/32 dev lo
		;;
	esac
}

# run_variant FILE TRAFFIC VARIANT REP: one measurement.  The variants
# share one topology ($TOPO_UP), emptied between them, but for IPVS with
# new flows: IPVS has no way to empty its connections, which would expire
# during the next measurements, so each of those measurements gets a
# topology of its own, built and dismantled around it.
run_variant()
{
	local f=$1 traffic=$2 v=$3 rep=$4 dst err entries note own=

	if [ -z "$TOPO_UP" ] || { [ "$traffic" = new ] && [ "${v%-*}" = ipvs ]; }; then
		own=1
		[ -z "$TOPO_UP" ] || bench_topo_down
		TOPO_UP=
	fi
	if [ -n "$own" ] && ! bench_topo_up; then
		fwd_missing "$f" "$traffic" "$v" "$rep" "cannot build the topology"
		return
	fi
	quiesce
	if ! dst=$(variant_setup "$v" 2>"$OUT/.err"); then
		err=$(tr '\n\t' '  ' < "$OUT/.err" | cut -c1-200)
		cat "$OUT/.err" >> "$ERR"
		variant_teardown "$v" 2>/dev/null
		[ -z "$own" ] || bench_topo_down
		fwd_missing "$f" "$traffic" "$v" "$rep" "set-up failed: ${err:-no message}"
		log "$v: set-up failed: $err"
		return
	fi
	pg_flows "$traffic" "$dst" && pg_start
	variant_warm "$v" 2>>"$ERR"
	sleep "$WARMUP"
	fwd_measure
	pg_stop
	entries=$(variant_entries "$v" 2>/dev/null)
	note="entries=${entries:-NA}"
	[ $FWD_MODE = instr ] ||
		note+=" router_cpu_pkts=$M_RPROC router_cpu_jiffies=$M_RJIF"
	# shellcheck disable=SC2046 # one word per value
	tsv_row "$f" "$traffic" "$v" "$rep" $(fwd_values) ok "$note"
	log "$traffic $v rep $rep: $(fwd_log); $entries entries"
	if [ -z "$own" ]; then
		variant_teardown "$v" 2>>"$ERR"
	else
		bench_topo_down
		# the next variant gets a topology of its own too, or a shared one
		bench_topo_up && TOPO_UP=1
	fi
}

# fwd_part FILE TRAFFIC REPS [VARIANT...]: every variant (VARIANTS), REPS
# times, in a rotating order; FILE gets a header unless it exists
fwd_part()
{
	local f=$1 traffic=$2 reps=$3 rep i n variants

	shift 3
	variants=("$@")
	[ ${#variants[@]} -gt 0 ] || variants=("${VARIANTS[@]}")
	n=${#variants[@]}
	# shellcheck disable=SC2046 # one word per column
	[ -e "$f" ] || tsv_header "$f" traffic variant rep $(fwd_cols) status note
	TOPO_UP=
	bench_topo_up && TOPO_UP=1
	for (( rep = 1; rep <= reps; rep++ )); do
		for (( i = 0; i < n; i++ )); do
			run_variant "$f" "$traffic" "${variants[(i + rep - 1) % n]}" "$rep"
		done
	done
	if [ -n "$TOPO_UP" ]; then
		bench_topo_down
		TOPO_UP=
	fi
}

part_dataplane()
{
	rm -f "$OUT/dataplane.tsv"
	fwd_part "$OUT/dataplane.tsv" established "$DP_REPS"
}

# Established flows offloaded to an nftables flowtable (flow add @ft),
# beside the same forwarding without it: what a connection offloaded
# costs once its first packets set it up (dyncast rewrite's bindings stay
# alive through it, router_offload).
OFFLOAD_VARIANTS=(plain conntrack conntrack-ft nft-dnat nft-dnat-ft
		  dyncast-rewrite dyncast-rewrite-ft)

part_offload()
{
	rm -f "$OUT/offload.tsv"
	fwd_part "$OUT/offload.tsv" established "$DP_REPS" "${OFFLOAD_VARIANTS[@]}"
}

part_newflow()
{
	rm -f "$OUT/newflow.tsv"
	fwd_part "$OUT/newflow.tsv" new "$REPS"
}

# One client's established flows (1000 source ports) spread by RPS over
# both CPUs (SPREAD_RPS): with 2tuple affinity one binding serves them
# all on both CPUs at once, with 5tuple each flow has its own.  The
# interrupt time of both CPUs counts: the sink's processing (on CPU 0)
# is in every variant's figure alike, plain routing's too.
SPREAD_VARIANTS=(plain dyncast-tunnel dyncast-tunnel-2tuple dyncast-rewrite
		 dyncast-rewrite-2tuple)

# shellcheck disable=SC2034 # M_CPUS and ROUTER_RPS are read in lib.sh
part_spread()
{
	M_CPUS=("$GEN_CPU" "$ROUTER_CPU")
	ROUTER_RPS=$(( (1 << GEN_CPU) | (1 << ROUTER_CPU) ))
	rm -f "$OUT/spread.tsv"
	fwd_part "$OUT/spread.tsv" established "$DP_REPS" "${SPREAD_VARIANTS[@]}"
	M_CPUS=("$ROUTER_CPU")
	ROUTER_RPS=$(( 1 << ROUTER_CPU ))
}

# --- instructions per packet ----------------------------------------------------

# The data plane's variants on one CPU under QEMU's instruction counter
# (bench/run.sh boots it with VM_SMP=1, VM_ICOUNT=BENCH_ICOUNT): the
# guest's time is the instructions it executes, 2^BENCH_ICOUNT ns each,
# so a window's busy time over the datagrams sent is the instructions per
# datagram of the generator, the router and the sink together, the same
# to a few instructions in every run of the same code, whatever the host
# does.  The generator is udpgen, whose datagrams are the stack's own
# (pktgen keeps a reference to each while the router processes it, which
# makes ip_rcv() copy it).  Every variant's datagrams end at the router's
# egress, where tc drops them (bench_topo); ingress-drop (tc drops each
# datagram as the router receives it) is the generator's and the
# receive's part, and a variant's figure beyond it is the router's own,
# from its ingress to its egress queue.  Instructions, not
# time: a cache miss, an atomic operation or a contended lock counts as
# one instruction, and the one CPU shares nothing.
if [ -n "${BENCH_INSTR_VARIANTS:-}" ]; then
	read -r -a INSTR_VARIANTS <<< "$BENCH_INSTR_VARIANTS"
else
	# and one empty hook more than plain routing and nftables dnat: the
	# scale of a hook's cost
	INSTR_VARIANTS=(ingress-drop "${VARIANTS[@]}" plain-hook nft-dnat-hook)
fi

# shellcheck disable=SC2034 # UG_RATE is read in lib.sh
part_instr()
{
	local f=$OUT/instr.tsv t

	FWD_MODE=instr
	if [ "$(getconf _NPROCESSORS_ONLN)" -ne 1 ] || [ -z "${BENCH_ICOUNT:-}" ]; then
		# shellcheck disable=SC2046 # one word per column
		tsv_header "$f" traffic variant rep $(fwd_cols) status note
		fwd_missing "$f" established all 1 \
			"needs one CPU and QEMU's instruction counter (bench/run.sh instr)"
		FWD_MODE=cpu
		return
	fi
	rm -f "$f"
	UG_RATE=$INSTR_RATE
	for t in ${BENCH_INSTR_TRAFFIC:-established new}; do
		fwd_part "$f" "$t" "$REPS" "${INSTR_VARIANTS[@]}"
	done
	UG_RATE=0
	FWD_MODE=cpu
}

# --- tables -------------------------------------------------------------------

# system_setup SYSTEM: a table that takes one entry per new flow, and no
# other state: dyncast in tunnel mode (bindings only), IPVS in tunnel mode
# (connections only), routing with conntrack (entries only).  Prints the
# destination, then the slab cache of its entries.
system_setup()
{
	case $1 in
	dyncast)
		# the generator's flows are one packet each: bindings that stay
		dcr service add $SID proto udp port $SPORT mode tunnel timeout 3600 \
			unconfirmed-timeout 0 &&
			dcr instance add $SID proto udp port $SPORT \
				bid "$(inst_addr 1)" bid "$(inst_addr 2)" || return 1
		echo "$SID dc_binding"
		;;
	ipvs)
		in_r ip addr add $SID/32 dev lo &&
			in_r ipvsadm --set 3600 3600 3600 &&
			in_r ipvsadm -A -u $SID:$SPORT -s rr &&
			in_r ipvsadm -a -u $SID:$SPORT -r "$(inst_addr 1):$SPORT" -i &&
			in_r ipvsadm -a -u $SID:$SPORT -r "$(inst_addr 2):$SPORT" -i ||
			return 1
		echo "$SID ip_vs_conn"
		;;
	conntrack)
		variant_setup conntrack >/dev/null &&
			in_r sysctl -qw net.netfilter.nf_conntrack_udp_timeout=3600 ||
			return 1
		echo "$(inst_addr 1) nf_conntrack"
		;;
	esac
}

system_entries()
{
	case $1 in
	dyncast)
		json_num bindings "$(dcr -j stats)"
		;;
	ipvs)
		mem_settle
		slab_objects ip_vs_conn
		echo "$REPLY"
		;;
	conntrack)
		in_r cat /proc/sys/net/netfilter/nf_conntrack_count
		;;
	esac
}

# table_system SYSTEM: fill its table size by size; at each size the memory,
# the CPU spent holding the table, and the lookup cost.
table_system()
{
	local sys=$1 dst cache first=10.128.0.0 sent=0 n entries k0 k1 sb t0 t1
	local rep want rate rounds idle

	if ! bench_topo 2>>"$ERR" || ! read -r dst cache < <(system_setup "$sys" 2>>"$ERR"); then
		bench_topo_down
		for n in "${SIZES[@]}"; do
			tsv_row "$OUT/tables-memory.tsv" "$sys" "$n" NA NA NA NA NA NA NA \
				missing "set-up failed, see errors.log"
		done
		return
	fi
	mem_settle
	mem_kernel; k0=$REPLY
	idle_busy "$WINDOW"
	tsv_row "$OUT/tables-memory.tsv" "$sys" 0 0 "$cache" 0 0 0 0 "$REPLY" ok \
		"the empty table"
	for n in "${SIZES[@]}"; do
		t0=$SECONDS
		# Send the new flows; when the router could not take them all,
		# send the same ones again, slower: those it has are hits, the
		# others new.  In the end every flow sent has its entry, and
		# the lookups below find what they look for.
		want=$(( n - sent ))
		rate=$FILL_RATE
		pg_send "$want" "$(int2ip $(( $(ip2int $first) + sent )))" \
			"$rate" "$dst" 2>>"$ERR"
		for (( rounds = 0; rounds < 4; rounds++ )); do
			sleep 1
			entries=$(system_entries "$sys")
			[ $(( n - ${entries:-0} )) -gt $(( n / 200 )) ] || break
			rate=$(( rate / 2 ))
			pg_send "$want" "$(int2ip $(( $(ip2int $first) + sent )))" \
				"$rate" "$dst" 2>>"$ERR"
		done
		sent=$n
		t1=$SECONDS
		entries=$(system_entries "$sys")
		mem_settle
		mem_kernel; k1=$REPLY
		slab_bytes "$cache"; sb=$REPLY
		idle_busy "$WINDOW"; idle=$REPLY
		tsv_row "$OUT/tables-memory.tsv" "$sys" "$n" "$entries" "$cache" "$sb" \
			$(( k1 - k0 )) "$sent" $(( t1 - t0 )) "$idle" ok ""
		log "$sys: $entries entries (of $n, $sent flows sent in $(( t1 - t0 )) s):" \
			"slab $sb B, kernel +$(( k1 - k0 )) kB, idle CPU $idle%"

		pg_lookup "$first" "$sent" "$dst" && pg_start
		sleep "$WARMUP"
		for (( rep = 1; rep <= REPS; rep++ )); do
			measure "$WINDOW"
			# shellcheck disable=SC2046 # one word per value
			tsv_row "$OUT/tables-lookup.tsv" "$sys" "$n" "$entries" "$rep" \
				$(fwd_values) ok ""
			log "$sys lookup at $entries: $M_PPS pps, $M_NS ns/pkt"
		done
		pg_stop
	done
	bench_topo_down
}

part_tables()
{
	local sys

	tsv_header "$OUT/tables-memory.tsv" system target entries slab_cache \
		slab_bytes kernel_kb_delta flows_sent fill_s idle_cpu_pct status note
	tsv_header "$OUT/tables-lookup.tsv" system target entries rep \
		"${FWD_COLS[@]}" status note
	for sys in dyncast ipvs conntrack; do
		table_system "$sys"
	done
}

# --- selection ----------------------------------------------------------------

# add_instances N: N instances, in one run of the CLI (32 per command)
add_instances()
{
	local i line=

	for (( i = 1; i <= $1; i++ )); do
		line+=" bid $(inst_addr "$i")"
		if [ $(( i % 32 )) = 0 ] || [ "$i" = "$1" ]; then
			echo "instance add $SID proto udp port $SPORT$line"
			line=
		fi
	done > "$OUT/.batch"
	dcr -batch "$OUT/.batch"
}

part_select()
{
	local f=$OUT/select.tsv rep n p demands

	tsv_header "$f" policy instances rep "${FWD_COLS[@]}" demands status note
	if ! bench_topo 2>>"$ERR" || ! pg_flows new; then
		bench_topo_down
		tsv_row "$f" all NA NA NA NA NA NA NA NA NA NA NA missing "cannot build the topology"
		return
	fi
	for n in 2 16 128 1024; do
		if ! dcr service add $SID proto udp port $SPORT mode tunnel \
			timeout 600 2>>"$ERR" || ! add_instances "$n" 2>>"$ERR"; then
			dcr service del $SID proto udp port $SPORT 2>/dev/null
			tsv_row "$f" all "$n" NA NA NA NA NA NA NA NA NA NA \
				missing "set-up failed, see errors.log"
			continue
		fi
		for (( rep = 1; rep <= SEL_REPS; rep++ )); do
			for p in weighted least-cost hash; do
				printf '%s\n' \
					"service set $SID proto udp port $SPORT policy $p" \
					"binding flush $SID proto udp port $SPORT" > "$OUT/.batch"
				dcr -batch "$OUT/.batch" 2>>"$ERR"
				quiesce
				pg_start
				sleep "$WARMUP"
				measure "$WINDOW"
				pg_stop
				demands=$(json_num demands "$(dcr -j stats)")
				# shellcheck disable=SC2046 # one word per value
				tsv_row "$f" "$p" "$n" "$rep" $(fwd_values) "$demands" ok ""
				log "select $p with $n instances: $M_PPS pps, $M_NS ns/pkt"
			done
		done
		dcr service del $SID proto udp port $SPORT
	done
	bench_topo_down
}

# --- metric updates -------------------------------------------------------------

part_updates()
{
	local f=$OUT/updates.tsv rep k traffic flood flood_pid out ups

	tsv_header "$f" case traffic flood_cpu k rep updates_per_s msgs_per_s \
		"${FWD_COLS[@]}" status note
	if ! bench_topo 2>>"$ERR" ||
	   ! dcr service add $SID proto udp port $SPORT mode tunnel \
		policy least-cost timeout 600 2>>"$ERR" ||
	   ! add_instances 16 2>>"$ERR"; then
		bench_topo_down
		tsv_row "$f" all NA NA NA NA NA NA NA NA NA NA NA NA NA NA missing \
			"set-up failed, see errors.log"
		return
	fi
	for (( rep = 1; rep <= SEL_REPS; rep++ )); do
		# the rate alone, one instance or all 16 per message
		for k in 1 16; do
			out=$(in_r "$BIN/nlmetrics" flood -t "$WINDOW" -k $k \
				$SID $SPORT "$(inst_addr 1)" 16 2>>"$ERR")
			ups=$(awk '{ print $12 }' <<< "$out")
			tsv_row "$f" alone none NA $k "$rep" "${ups:-NA}" \
				"$(awk '{ print $10 }' <<< "$out")" NA NA NA NA NA NA NA NA \
				"$([ -n "$ups" ] && echo ok || echo missing)" ""
			log "updates alone, $k per message: $ups per second"
		done
		# forwarding without updates, with updates from the generator's
		# CPU, with updates from the router's CPU
		for traffic in established new; do
			for flood in none $GEN_CPU $ROUTER_CPU; do
				pg_flows "$traffic" && pg_start
				sleep "$WARMUP"
				if [ "$flood" = none ]; then
					measure "$WINDOW"
					ups=NA
					out=
				else
					ip netns exec "$R" taskset -c "$flood" "$BIN/nlmetrics" flood \
						-t $(( WINDOW + 1 )) -k 1 $SID $SPORT \
						"$(inst_addr 1)" 16 > "$OUT/.flood" 2>>"$ERR" &
					flood_pid=$!
					sleep 0.5
					measure "$WINDOW"
					wait $flood_pid
					out=$(cat "$OUT/.flood")
					ups=$(awk '{ print $12 }' <<< "$out")
				fi
				pg_stop
				# shellcheck disable=SC2046 # one word per value
				tsv_row "$f" forwarding "$traffic" "$flood" 1 "$rep" "${ups:-NA}" \
					"$(awk '{ print $10 }' <<< "$out")" $(fwd_values) ok ""
				log "updates from CPU $flood with $traffic traffic: ${ups:-no} updates/s;" \
					"$M_PPS pps, $M_NS ns/pkt"
			done
		done
	done
	bench_topo_down
}

# --- steering -----------------------------------------------------------------
#
#  client ($C)          router ($R)              sites ($E1 $E2 $E3)
#  c0 10.10.0.2 ---- r0 10.10.0.1      e1 -----  s0 10.11.0.2, slotserver
#                    SID 10.99.0.1:8000  e2 -----  s0 10.12.0.2, ...
#                    relay on :9999      e3 -----  s0 10.13.0.2, ...
#  each site link delays both ways by half the site's round-trip time

SPORT_TCP=8000
RELAY_PORT=9999
SITE_NS=()
SITE_PIDS=()
RELAY_PID=

steer_topo()
{
	local i rtt slots half ns=''

	setup_ns C R || return 1
	veth_pair "$C" c0 "$R" r0 || return 1
	ip -n "$C" addr add 10.10.0.2/24 dev c0 &&
		ip -n "$C" route add default via 10.10.0.1 &&
		ip -n "$R" addr add 10.10.0.1/24 dev r0 || return 1
	in_r sysctl -qw net.ipv4.ip_forward=1 || return 1
	SITE_NS=()
	for i in "${!STEER_SITES[@]}"; do
		IFS=: read -r rtt slots <<< "${STEER_SITES[i]}"
		half=$(awk -v r="$rtt" 'BEGIN { printf "%gms", r / 2 }')
		setup_ns ns || return 1
		SITE_NS[i]=$ns
		veth_pair "$R" "e$(( i + 1 ))" "$ns" s0 || return 1
		ip -n "$R" addr add "10.1$(( i + 1 )).0.1/24" dev "e$(( i + 1 ))" &&
			ip -n "$ns" addr add "10.1$(( i + 1 )).0.2/24" dev s0 &&
			ip -n "$ns" route add default via "10.1$(( i + 1 )).0.1" &&
			tc -n "$R" qdisc add dev "e$(( i + 1 ))" root netem delay "$half" limit 100000 &&
			tc -n "$ns" qdisc add dev s0 root netem delay "$half" limit 100000 ||
			return 1
	done
}

# steer_site_start I POLICY: the slotserver of site I, reporting its
# metrics to nlmetrics relay on the router, or to the agent of its site;
# what it prints at the end goes to $OUT/.siteI (appended)
steer_site_start()
{
	local i=$1 rtt slots report

	IFS=: read -r rtt slots <<< "${STEER_SITES[i]}"
	report=(-m "10.1$(( i + 1 )).0.1:$RELAY_PORT" -b "10.1$(( i + 1 )).0.2")
	case $2 in
	least-cost-agent|least-cost-noplan) report=(-u @dyncastd-report) ;;
	esac
	ip netns exec "${SITE_NS[i]}" "$BIN/slotserver" -s "$slots" \
		-t "$STEER_SVC_MS" -n "site$(( i + 1 ))" "${report[@]}" \
		-i "$STEER_INTERVAL_MS" $SPORT_TCP >> "$OUT/.site$i" 2>>"$ERR" &
	SITE_PIDS[i]=$!
	wait_listen "${SITE_NS[i]}" tcp $SPORT_TCP
}

# steer_servers_start POLICY: every site's slotserver
steer_servers_start()
{
	local i

	SITE_PIDS=()
	for i in "${!STEER_SITES[@]}"; do
		: > "$OUT/.site$i"
		steer_site_start "$i" "$1" || return 1
	done
}

# Stop the servers; prints how many each served.
steer_servers_stop()
{
	local i

	for i in "${!SITE_PIDS[@]}"; do
		kill "${SITE_PIDS[i]}" 2>/dev/null
		wait "${SITE_PIDS[i]}" 2>/dev/null
		awk '{ printf "%s ", $0 }' "$OUT/.site$i"
		rm -f "$OUT/.site$i"
	done
	SITE_PIDS=()
}

# steer_policy_setup POLICY
steer_policy_setup()
{
	local i rtt slots bids=() key=(10.99.0.1 proto tcp port "$SPORT_TCP")

	case $1 in
	nearest|weighted|least-cost)
		local pol=weighted

		[ "$1" = least-cost ] && pol=least-cost
		dcr service add "${key[@]}" mode rewrite policy $pol timeout 60 \
			service-time $(( STEER_SVC_MS * 1000 )) || return 1
		for i in "${!STEER_SITES[@]}"; do
			IFS=: read -r rtt slots <<< "${STEER_SITES[i]}"
			[ "$1" = nearest ] && [ "$i" != 0 ] && continue
			bids=(bid "10.1$(( i + 1 )).0.2")
			case $1 in
			weighted) bids+=(weight "$slots") ;;
			least-cost) bids+=(capacity "$slots" cost $(( rtt * 1000 ))) ;;
			esac
			dcr instance add "${key[@]}" "${bids[@]}" || return 1
		done
		if [ "$1" = least-cost ]; then
			# not in_r: $! must be the relay itself
			ip netns exec "$R" "$BIN/nlmetrics" relay $RELAY_PORT 10.99.0.1 \
				tcp $SPORT_TCP > "$OUT/.relay" 2>>"$ERR" &
			RELAY_PID=$!
		fi
		;;
	least-cost-agent|least-cost-noplan)
		steer_agents_start "$1" || return 1
		;;
	ipvs-lc|ipvs-wlc)
		in_r ip addr add 10.99.0.1/32 dev lo &&
			in_r ipvsadm -A -t 10.99.0.1:$SPORT_TCP -s "${1#ipvs-}" ||
			return 1
		for i in "${!STEER_SITES[@]}"; do
			IFS=: read -r rtt slots <<< "${STEER_SITES[i]}"
			in_r ipvsadm -a -t 10.99.0.1:$SPORT_TCP \
				-r "10.1$(( i + 1 )).0.2:$SPORT_TCP" -m -w "$slots" ||
				return 1
		done
		;;
	*)
		return 1
		;;
	esac
}

# dyncastd: a D-MA on each site, for its slotserver, announcing to a
# D-Router role on the router, which creates the service, learns the
# instances with their metrics, measures the round trip to each site and
# pushes it as the cost.  Every setting of the update policy is
# dyncastd's default (announcements every 5 s, at once on a move beyond
# the thresholds, damped from 1 s; the cost probed every 500 ms); the D-MA
# checks its instance over TCP, as a deployment would.
AGENT_PIDS=()

steer_agent_conf()
{
	cat <<-EOF
		[agent]
		id = $1
		key = $AGENT_KEY
		control = @dyncastd
		report = @dyncastd-report
	EOF
}

# steer_agent_up: the router's kernel has every site's instance, with
# metrics and a measured cost
steer_agent_up()
{
	[ "$(dcr -j instance show 10.99.0.1 proto tcp port $SPORT_TCP |
	     jq '[.[] | select(.state == "up" and .capacity > 0 and .cost > 0)] | length')" \
		= ${#STEER_SITES[@]} ]
}

# steer_agents_start POLICY: least-cost-agent plans the service (the
# default), least-cost-noplan not
steer_agents_start()
{
	local i rtt slots dir=$OUT/.agents plan=

	[ "$1" = least-cost-noplan ] && plan="plan = no"
	mkdir -p "$dir"
	AGENT_KEY=$("$DYNCASTD" --genkey) || return 1
	{
		steer_agent_conf 10.10.0.1
		cat <<-EOF

			[router]
			relay = no

			[service steer]
			sid = 10.99.0.1
			proto = tcp
			port = $SPORT_TCP
			mode = rewrite
			policy = least-cost
			timeout = 60
			service-time = $(( STEER_SVC_MS * 1000 ))
			$plan
		EOF
	} > "$dir/router.conf"
	ip netns exec "$R" "$DYNCASTD" -f -c "$dir/router.conf" \
		>> "$dir/router.log" 2>&1 &
	AGENT_PIDS=($!)
	for i in "${!STEER_SITES[@]}"; do
		IFS=: read -r rtt slots <<< "${STEER_SITES[i]}"
		{
			steer_agent_conf "10.1$(( i + 1 )).0.2"
			cat <<-EOF
				site = $(( i + 1 ))

				[peer router]
				endpoint = 10.1$(( i + 1 )).0.1

				[instance site$(( i + 1 ))]
				sid = 10.99.0.1
				proto = tcp
				port = $SPORT_TCP
				bid = 10.1$(( i + 1 )).0.2
				capacity = $slots
				sessions = off
				health = tcp
			EOF
		} > "$dir/site$i.conf"
		ip netns exec "${SITE_NS[i]}" "$DYNCASTD" -f -c "$dir/site$i.conf" \
			>> "$dir/site$i.log" 2>&1 &
		AGENT_PIDS+=($!)
	done
	busywait 30000 steer_agent_up || {
		echo "steer: the agents did not set up the service" >&2
		dcr -d instance show >&2
		return 1
	}
}

steer_agents_stop()
{
	local pid

	for pid in "${AGENT_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	AGENT_PIDS=()
}

steer_policy_teardown()
{
	steer_agents_stop
	if [ -n "$RELAY_PID" ]; then
		kill "$RELAY_PID" 2>/dev/null
		wait "$RELAY_PID" 2>/dev/null
		RELAY_PID=
	fi
	dcr service del 10.99.0.1 proto tcp port $SPORT_TCP 2>/dev/null
	in_r ipvsadm -C 2>/dev/null
	in_r ip addr del 10.99.0.1/32 dev lo 2>/dev/null
	in_r conntrack -F >/dev/null 2>&1
}

# steer_capacity: demands a second all sites serve at most
steer_capacity()
{
	local s rtt slots cap=0

	for s in "${STEER_SITES[@]}"; do
		IFS=: read -r rtt slots <<< "$s"
		cap=$(( cap + slots * 1000 / STEER_SVC_MS ))
	done
	echo $cap
}

part_steer()
{
	local f=$OUT/steer.tsv load p rate cap out served relayed
	local policies i n seed=0

	read -r -a policies <<< "${BENCH_STEER_POLICIES:-nearest ipvs-lc ipvs-wlc weighted least-cost least-cost-agent least-cost-noplan}"

	tsv_header "$f" policy load rate started ok failed resp_mean_ms \
		resp_p50_ms resp_p99_ms req_mean_ms req_p99_ms answered served \
		relayed status note
	cap=$(steer_capacity)
	if ! steer_topo 2>>"$ERR"; then
		cleanup_all_ns
		tsv_row "$f" all NA NA NA NA NA NA NA NA NA NA NA NA NA missing \
			"cannot build the topology"
		return
	fi
	n=${#policies[@]}
	for load in "${STEER_LOADS[@]}"; do
		rate=$(awk -v l="$load" -v c=$cap 'BEGIN { printf "%g", l * c }')
		# every policy gets the same arrivals (the seed of the load)
		seed=$(( seed + 1 ))
		for (( i = 0; i < n; i++ )); do
			p=${policies[i]}
			if ! steer_servers_start "$p" ||
			   ! steer_policy_setup "$p" 2>>"$ERR"; then
				steer_policy_teardown
				steer_servers_stop >/dev/null
				tsv_row "$f" "$p" "$load" "$rate" NA NA NA NA NA NA NA NA NA NA \
					NA missing "set-up failed, see errors.log"
				continue
			fi
			out=$(ip netns exec "$C" "$BIN/reqgen" -r "$rate" -d "$STEER_SECS" \
				-w 10 -T 10 -s "$seed" 10.99.0.1 $SPORT_TCP 2>>"$ERR")
			relayed=NA
			# the metrics least-cost saw at the end of the run
			if [ -n "$RELAY_PID" ] || [ ${#AGENT_PIDS[@]} -gt 0 ]; then
				dcr -d instance show >> "$OUT/steer-instances.txt"
			fi
			if [ -n "$RELAY_PID" ]; then
				kill "$RELAY_PID"
				wait "$RELAY_PID"
				RELAY_PID=
				relayed=$(awk '{ print $2 }' "$OUT/.relay")
				cat "$OUT/.relay"
				rm -f "$OUT/.relay"
			fi
			steer_policy_teardown
			served=$(steer_servers_stop)
			# shellcheck disable=SC2046 # one word per value
			tsv_row "$f" "$p" "$load" "$rate" \
				$(awk 'NR == 1 { print $2, $4, $6, $10, $12, $14, $16, $18 }' <<< "$out") \
				"$(awk '$1 == "answered" { printf "%s=%s,", $2, $3 }' <<< "$out")" \
				"$(tr -s ' ' <<< "$served" | tr ' ' ',')" "${relayed:-NA}" ok ""
			log "steer $p at load $load ($rate/s): $(head -n 1 <<< "$out")"
		done
	done
	cleanup_all_ns
}

# The event runs (part steerev): STEER_EVENT_SECS (50), the event
# STEER_EVENT_AT (20) seconds in, figures per window of request start
# (reqgen -e): "halve", at 80 % load, the nearest site (2 slots) keeps one
# (90 % of what is left); "kill", at 50 % load, the middle site's server
# is killed (71 % of what is left; at 80 % no two sites could carry the
# load) and started again 10 s later.
STEER_EVENT_SECS=${BENCH_STEER_EVENT_SECS:-50}
STEER_EVENT_AT=20

# steer_event EVENT: at the event's time (the caller started reqgen)
steer_event()
{
	sleep "$STEER_EVENT_AT"
	case $1 in
	halve)
		kill -USR1 "${SITE_PIDS[0]}"
		;;
	kill)
		kill -KILL "${SITE_PIDS[1]}"
		wait "${SITE_PIDS[1]}" 2>/dev/null
		sleep 10
		steer_site_start 1 "$2" || echo "steer: site 2 did not restart" >&2
		;;
	esac
}

part_steerev()
{
	local f=$OUT/steer-events.tsv ev p i=0 rate cap out w gen
	local events policies load

	read -r -a events <<< "${BENCH_STEER_EVENTS:-halve kill}"
	read -r -a policies <<< "${BENCH_STEER_EVENT_POLICIES:-ipvs-lc ipvs-wlc weighted least-cost-agent least-cost-noplan}"
	tsv_header "$f" policy event load rate window started ok failed \
		resp_mean_ms resp_p99_ms status note
	cap=$(steer_capacity)
	if ! steer_topo 2>>"$ERR"; then
		cleanup_all_ns
		tsv_row "$f" all NA NA NA NA NA NA NA NA NA missing \
			"cannot build the topology"
		return
	fi
	for ev in "${events[@]}"; do
		load=0.8
		[ "$ev" = kill ] && load=0.5
		rate=$(awk -v l=$load -v c=$cap 'BEGIN { printf "%g", l * c }')
		# every policy gets the same arrivals (the seed of the event):
		# in a window of 3 s, one seed's 11 % more than another's
		# would weigh more than most policies' differences
		i=$(( i + 1 ))
		for p in "${policies[@]}"; do
			if ! steer_servers_start "$p" ||
			   ! steer_policy_setup "$p" 2>>"$ERR"; then
				steer_policy_teardown
				steer_servers_stop >/dev/null
				tsv_row "$f" "$p" "$ev" "$load" "$rate" NA NA NA NA NA NA \
					missing "set-up failed, see errors.log"
				continue
			fi
			ip netns exec "$C" "$BIN/reqgen" -r "$rate" \
				-d "$STEER_EVENT_SECS" -w 10 -T 10 -s $(( 100 + i )) \
				-e "$STEER_EVENT_AT" 10.99.0.1 $SPORT_TCP \
				> "$OUT/.reqgen" 2>>"$ERR" &
			gen=$!
			steer_event "$ev" "$p" 2>>"$ERR"
			wait $gen
			out=$(cat "$OUT/.reqgen")
			if [ ${#AGENT_PIDS[@]} -gt 0 ] || [ -n "$RELAY_PID" ]; then
				echo "# $p, $ev" >> "$OUT/steer-instances.txt"
				dcr -d instance show >> "$OUT/steer-instances.txt"
			fi
			steer_policy_teardown
			steer_servers_stop >/dev/null
			while read -r w; do
				# shellcheck disable=SC2046 # one word per value
				tsv_row "$f" "$p" "$ev" "$load" "$rate" \
					$(awk '{ print $2, $4, $6, $8, $10, $12 }' <<< "$w") ok ""
			done < <(grep '^window ' <<< "$out")
			log "steer event $ev, $p: $(grep '^window ' <<< "$out" | tr '\n' ';')"
		done
	done
	rm -f "$OUT/.reqgen"
	cleanup_all_ns
}

# --- announcements at scale: BGP through a reflector, and the agent protocol ---
#
#  sites ($BGS): N D-MAs (dyncastd, two instances each), and for BGP S ExaBGP
#  speakers, each the API process host of N/S of them
#      s0 10.77.1.1..S  ------  r1 10.77.1.254   reflector ($BGR): FRR bgpd
#                               r0 10.77.0.254
#  router ($BGD): dyncastd (router) and for BGP an ExaBGP
#      d0 10.77.0.1  -----------'
#
# Per transport and workload: the time until the router holds every
# instance, the announcements it receives per second over a window (BGP
# paths, agent protocol records and datagrams), the time until a failed
# speaker's (or agent's) instances leave the router, and the processes'
# memory.

BGP_SIZES=${BENCH_BGP_SIZES:-25 50}
# the largest size: churn's
BGP_SITES=$(tr ' ' '\n' <<< "$BGP_SIZES" | sort -n | tail -n 1)
BGP_SPEAKERS=${BENCH_BGP_SPEAKERS:-10}
BGP_WINDOW=${BENCH_BGP_WINDOW:-60}
BGP_ASN=64512
BGP_PW=bench-bgp-key
BGD=bgd-$$ BGR=bgr-$$ BGS=bgs-$$
BGP_PIDS=()

. "$(dirname "$0")/../../selftests/bgp_lib.sh"

bgp_id()
{
	echo "0.0.$(( ($1 >> 8) + 1 )).$(( $1 & 255 ))"
}

bgp_bid()
{
	echo "10.$(( 100 + $2 )).$(( $1 >> 8 )).$(( $1 & 255 ))"
}

# bgp_site_conf I TRANSPORT: the configuration of site I's agent
bgp_site_conf()
{
	local i=$1 k

	cat <<-EOF
		[agent]
		id = $(bgp_id "$i")
		key = $BGP_KEY
		listen = 0.0.0.0:$(( 5000 + i ))
		control = @bgs$i
		report = $BGP_DIR/s$i-report.sock
		site = $i
	EOF
	if [ "$2" = bgp ]; then
		bgp_agent_section "$BGP_DIR/s$i.sock" $BGP_ASN "10.77.1.1:$(( 5000 + i ))"
	else
		printf '\n[peer router]\nendpoint = 10.77.0.1:4960\n'
	fi
	for k in 1 2; do
		cat <<-EOF

			[instance i$k]
			sid = 203.0.113.$k
			proto = tcp
			port = 80
			bid = $(bgp_bid "$i" $k)
			capacity = 10
			sessions = off
		EOF
	done
}

bgp_router_conf()
{
	cat <<-EOF
		[agent]
		id = 0.0.0.1
		key = $BGP_KEY
		listen = 10.77.0.1:4960
		control = @bgd

		[router]
		max-instances = 65536

		[service s1]
		sid = 203.0.113.1
		proto = tcp
		port = 80
		policy = least-cost
		service-time = 10000

		[service s2]
		sid = 203.0.113.2
		proto = tcp
		port = 80
		policy = least-cost
		service-time = 10000
	EOF
	[ "$1" != bgp ] ||
		bgp_agent_section "$BGP_DIR/router.sock" $BGP_ASN 10.77.0.1
}

# bgp_speaker_conf J: speaker J of the sites, the API host of its agents
bgp_speaker_conf()
{
	local j=$1 i procs=

	for (( i = j; i <= BGP_SITES; i += BGP_SPEAKERS )); do
		printf 'process s%s {\n\trun %s --exabgp %s --grace 15s;\n\tencoder json;\n}\n' \
			"$i" "$DYNCASTD" "$BGP_DIR/s$i.sock"
		procs+=" s$i"
	done
	cat <<-EOF
		neighbor 10.77.1.254 {
			router-id 10.77.1.$j;
			local-address 10.77.1.$j;
			local-as $BGP_ASN;
			peer-as $BGP_ASN;
			md5-password "$BGP_PW";
			md5-base64 false;
			hold-time 9;
			capability {
				add-path send/receive;
			}
			family {
				ipv4 unicast;
			}
			api {
				processes [$procs ];
			}
		}
	EOF
}

bgp_router_show()
{
	ip netns exec "$BGD" "$DYNCASTD_CLI" -j agent show "${1:-agent}" \
		socket @bgd 2>/dev/null
}

bgp_learned()
{
	bgp_router_show | jq -r '.[0].learned // 0'
}

bgp_counter()
{
	bgp_router_show | jq -r ".[0].counters[\"$1\"] // 0"
}

# bgp_site_commands: commands the sites' dyncastds gave their speakers
# (UPDATEs asked for), all sites together
bgp_site_commands()
{
	local i

	for (( i = 1; i <= BGP_SITES; i++ )); do
		ip netns exec "$BGS" "$DYNCASTD_CLI" -j agent show agent \
			socket "@bgs$i" 2>/dev/null
	done | jq -s 'map(.[0].counters["bgp-commands"] // 0) | add // 0'
}

# bgp_cpu: per CPU of the VM, "busy total" jiffies so far, one per line
bgp_cpu()
{
	local c u n s i w q sq st _

	while read -r c u n s i w q sq st _; do
		case $c in
		cpu[0-9]*) echo "$(( u + n + s + q + sq + st )) $(( u + n + s + i + w + q + sq + st ))" ;;
		esac
	done < /proc/stat
}

# bgp_busy BEFORE AFTER: "MEAN MAX" per cent busy over the CPUs
bgp_busy()
{
	paste -d ' ' <(echo "$1") <(echo "$2") |
		awk '{ b = $3 - $1; t = $4 - $2; p = t ? 100 * b / t : 0
		       sb += b; st += t; if (p > m) m = p }
		     END { printf "%.1f %.1f", st ? 100 * sb / st : 0, m }'
}

# bgp_rss PATTERN: kB of resident memory of the processes matching PATTERN
bgp_rss()
{
	local p sum=0 kb

	for p in $(pgrep -f -- "$1"); do
		kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
		sum=$(( sum + ${kb:-0} ))
	done
	echo $sum
}

# bgp_cpu_s PATTERN: CPU seconds (user and system) the processes matching
# PATTERN have used
bgp_cpu_s()
{
	local p t=0 st

	for p in $(pgrep -f -- "$1"); do
		read -r -a st 2>/dev/null < "/proc/$p/stat" || continue
		# utime and stime, fields 14 and 15 (the name has no space here)
		t=$(( t + st[13] + st[14] ))
	done
	awk -v t="$t" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t / hz }'
}

bgp_topo()
{
	local j

	setup_ns BGD_NS BGR_NS BGS_NS || return 1
	BGD=$BGD_NS BGR=$BGR_NS BGS=$BGS_NS
	veth_pair "$BGD" d0 "$BGR" r0 && veth_pair "$BGS" s0 "$BGR" r1 || return 1
	ip -n "$BGD" addr add 10.77.0.1/24 dev d0
	ip -n "$BGR" addr add 10.77.0.254/24 dev r0
	ip -n "$BGR" addr add 10.77.1.254/24 dev r1
	for (( j = 1; j <= BGP_SPEAKERS; j++ )); do
		ip -n "$BGS" addr add "10.77.1.$j/24" dev s0
	done
	ip -n "$BGD" route add 10.77.1.0/24 via 10.77.0.254
	ip -n "$BGS" route add 10.77.0.0/24 via 10.77.1.254
	ip netns exec "$BGR" sysctl -qw net.ipv4.ip_forward=1
}

# bgp_router_start TRANSPORT HOLD: the router's dyncastd, and for BGP its
# ExaBGP (hold time HOLD), once its session with the reflector is up and
# 5 s more have passed
bgp_router_start()
{
	local i

	bgp_router_conf "$1" > "$BGP_DIR/router.conf"
	ip netns exec "$BGD" "$DYNCASTD" -f -c "$BGP_DIR/router.conf" \
		>> "$BGP_DIR/router.log" 2>&1 &
	BGP_PIDS+=($!)
	[ "$1" = bgp ] || return 0
	bgp_exabgp_conf 10.77.0.1 10.77.0.254 $BGP_ASN $BGP_PW "$2" \
		"$BGP_DIR/router.sock" 15s > "$BGP_DIR/router-exabgp.conf"
	bgp_speaker_start router "$BGD" "$BGP_DIR/router-exabgp.conf" \
		"$BGP_DIR/router-exabgp.log"
	for (( i = 0; i < 120; i++ )); do
		[ "$(bgp_rr_state "$BGP_DIR/rr" 10.77.0.1)" = Established ] && break
		sleep 1
	done
	sleep 5
}

bgp_stop_all()
{
	local p

	for p in "${BGP_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${!BGP_SPEAKER_PID[@]}"; do
		bgp_speaker_kill "$p"
	done
	sleep 1
	for p in "${BGP_PIDS[@]}"; do
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	BGP_PIDS=()
	bgp_stop_pidfile "$BGP_DIR/rr/bgpd.pid"
	cleanup_all_ns
}

# bgp_run TRANSPORT WORKLOAD: one measurement, one row
bgp_run()
{
	local f=$1 tr=$2 wl=$3 i j t0 t_conv n want=$(( 2 * BGP_SITES ))
	local c0 c1 r0 r1 x0 x1 t_fail rss_rr rss_dx rss_sx rss_dd rss_sites gone
	local base_rr=NA base_dx=NA base_dd u0 u1 churn='' status note
	local s0 s1 k0 k1 sent=NA

	BGP_DIR=$(mktemp -d /tmp/bench-bgp.XXXXXX)
	BGP_KEY=$("$DYNCASTD" --genkey)
	if ! bgp_topo 2>>"$ERR"; then
		tsv_row "$f" "$tr" "$wl" "$BGP_SITES" NA NA NA NA NA NA NA NA NA NA NA NA NA NA NA NA NA missing "topology"
		return
	fi
	t0=$(now_ms)
	if [ "$tr" = bgp ]; then
		local clients=(10.77.0.1)

		for (( j = 1; j <= BGP_SPEAKERS; j++ )); do
			clients+=("10.77.1.$j")
		done
		bgp_rr_start "$BGP_DIR/rr" "$BGR" $BGP_ASN $BGP_PW 9 "${clients[@]}" 2>>"$ERR"
	fi
	# the baselines: the router's session up, no site yet
	bgp_router_start "$tr" 9
	if [ "$tr" = bgp ]; then
		base_rr=$(bgp_rss "bgpd -d -Z -f $BGP_DIR/rr")
		base_dx=$(bgp_rss "exabgp $BGP_DIR/router-exabgp.conf")
	fi
	sleep 2
	base_dd=$(bgp_rss "dyncastd -f -c $BGP_DIR/router.conf")
	t0=$(now_ms)
	for (( i = 1; i <= BGP_SITES; i++ )); do
		bgp_site_conf "$i" "$tr" > "$BGP_DIR/s$i.conf"
		ip netns exec "$BGS" "$DYNCASTD" -f -c "$BGP_DIR/s$i.conf" \
			>> "$BGP_DIR/s$i.log" 2>&1 &
		BGP_PIDS+=($!)
	done
	if [ "$tr" = bgp ]; then
		for (( j = 1; j <= BGP_SPEAKERS; j++ )); do
			bgp_speaker_conf "$j" > "$BGP_DIR/sp$j.conf"
			bgp_speaker_start "sp$j" "$BGS" "$BGP_DIR/sp$j.conf" \
				"$BGP_DIR/sp$j.log"
		done
	fi
	# everything learnt
	t_conv=NA
	for (( i = 0; i < 600; i++ )); do
		n=$(bgp_learned)
		if [ "${n:-0}" -ge "$want" ]; then
			t_conv=$(( $(now_ms) - t0 ))
			break
		fi
		sleep 1
	done
	log "bgp $tr $wl: $n of $want instances learnt after $(( $(now_ms) - t0 )) ms"
	if [ "$wl" = churn ]; then
		ip netns exec "$BGS" python3 "$(dirname "$0")/churn.py" \
			"$BGP_DIR" "$BGP_SITES" 2>>"$ERR" &
		churn=$!
		BGP_PIDS+=("$churn")
		# the damping's hold-downs grow to the interval first
		sleep 20
	fi
	sleep 10
	# what the router receives per second, and the VM's CPU meanwhile;
	# for BGP, what the sites asked their speakers to send (each site
	# read at the same offset in both sweeps: its window is s1 - s0)
	if [ "$tr" = bgp ]; then
		s0=$(now_ms)
		k0=$(bgp_site_commands)
	fi
	c0=$(bgp_counter bgp-paths) r0=$(bgp_counter records) x0=$(bgp_counter rx)
	u0=$(bgp_cpu)
	sleep "$BGP_WINDOW"
	u1=$(bgp_cpu)
	c1=$(bgp_counter bgp-paths) r1=$(bgp_counter records) x1=$(bgp_counter rx)
	if [ "$tr" = bgp ]; then
		s1=$(now_ms)
		k1=$(bgp_site_commands)
		sent=$(awk -v a="$k0" -v b="$k1" -v t=$(( s1 - s0 )) \
			'BEGIN { printf "%.2f", (t > 0 ? 1000 * (b - a) / t : 0) }')
	fi
	status=ok note=
	if [ -n "$churn" ]; then
		# it exits when its reports do not get through
		kill -0 "$churn" 2>/dev/null ||
			status=missing note="the churn driver stopped, see errors.log"
		kill "$churn" 2>/dev/null
		wait "$churn" 2>/dev/null
	fi
	[ "$t_conv" != NA ] || status=missing
	[ "$tr" != bgp ] || note="$BGP_SPEAKERS speakers${note:+; $note}"
	rss_dd=$(bgp_rss "dyncastd -f -c $BGP_DIR/router.conf")
	rss_sites=$(bgp_rss "dyncastd -f -c $BGP_DIR/s")
	rss_rr=NA rss_dx=NA rss_sx=NA
	if [ "$tr" = bgp ]; then
		rss_rr=$(bgp_rss "bgpd -d -Z -f $BGP_DIR/rr")
		rss_dx=$(bgp_rss "exabgp $BGP_DIR/router-exabgp.conf")
		rss_sx=$(bgp_rss "exabgp $BGP_DIR/sp")
	fi
	# a failure: one speaker (its N/S agents) or as many agents
	t_fail=NA
	gone=$(( 2 * ( (BGP_SITES + BGP_SPEAKERS - 1) / BGP_SPEAKERS ) ))
	t0=$(now_ms)
	if [ "$tr" = bgp ]; then
		bgp_speaker_kill sp1
	else
		for (( i = 1; i <= BGP_SITES; i += BGP_SPEAKERS )); do
			kill -9 "${BGP_PIDS[$i]}" 2>/dev/null
		done
	fi
	for (( i = 0; i < 120; i++ )); do
		n=$(bgp_router_show learned | jq '[.[] | select(.state == "up")] | length')
		if [ "${n:-0}" -le $(( want - gone )) ]; then
			t_fail=$(( $(now_ms) - t0 ))
			break
		fi
		sleep 0.5
	done
	# shellcheck disable=SC2046 # the CPUs' mean and busiest: two fields
	tsv_row "$f" "$tr" "$wl" "$BGP_SITES" "$(( 2 * BGP_SITES ))" "$t_conv" \
		"$(awk -v a="$c0" -v b="$c1" -v t="$BGP_WINDOW" 'BEGIN { printf "%.2f", (b - a) / t }')" \
		"$(awk -v a="$r0" -v b="$r1" -v t="$BGP_WINDOW" 'BEGIN { printf "%.2f", (b - a) / t }')" \
		"$(awk -v a="$x0" -v b="$x1" -v t="$BGP_WINDOW" 'BEGIN { printf "%.2f", (b - a) / t }')" \
		"$t_fail" "$base_rr" "$rss_rr" "$base_dx" "$rss_dx" "$rss_sx" \
		"$base_dd" "$rss_dd" "$rss_sites" \
		$(bgp_busy "$u0" "$u1") "$sent" "$status" "$note"
	log "bgp $tr $wl: paths/s $(( (c1 - c0) / BGP_WINDOW )), records/s $(( (r1 - r0) / BGP_WINDOW )), failure seen after $t_fail ms"
	bgp_stop_all
	rm -rf "$BGP_DIR"
}

part_bgp()
{
	local f=$OUT/bgp.tsv tr

	tsv_header "$f" transport workload sites instances converge_ms \
		paths_per_s records_per_s datagrams_per_s failure_ms rss_rr_base_kb \
		rss_rr_kb rss_router_speaker_base_kb rss_router_speaker_kb \
		rss_site_speakers_kb rss_router_agent_base_kb rss_router_agent_kb \
		rss_site_agents_kb vm_busy_pct vm_busiest_cpu_pct \
		site_commands_per_s status note
	if ! bgp_have; then
		tsv_row "$f" all all NA NA NA NA NA NA NA NA NA NA NA NA NA NA NA NA NA NA missing \
			"ExaBGP or FRR is not installed"
		return
	fi
	DYNCASTD_CLI=$DYNCAST_TOP/userspace/dyncast/dyncast
	# quiet: the instances' only moving figure is the CPU of the VM they
	# share; each size, for memory's slope.  churn: the largest size.
	local largest=$BGP_SITES

	for BGP_SITES in $BGP_SIZES; do
		for tr in bgp agent; do
			bgp_run "$f" "$tr" quiet
		done
	done
	BGP_SITES=$largest
	for tr in bgp agent; do
		bgp_run "$f" "$tr" churn
	done
}

# --- the RIB: memory per path, by static routes ----------------------------------
#
# The bgp part's sizes are too small for memory: a hundred paths move a
# resident set by less than the allocators' steps.  Here one ExaBGP
# speaker in $BGS announces BENCH_BGP_RIB ("10000 20000") static paths as
# D-MAs would (200 per agent id, over 100 services of no interest to the
# router's kernel, so that only the announcements are held), through the
# reflector to the router of the bgp part.  Per size: the time until the
# router's dyncastd holds every path, and the resident sets of the
# reflector, the router's ExaBGP and dyncastd, before and after.

read -r -a RIB_SIZES <<< "${BENCH_BGP_RIB:-10000 20000}"
RIB_WAIT=${BENCH_BGP_RIB_WAIT:-1800}
# with the bgp part's 9 s, the announcing ExaBGP, busy sending thousands
# of UPDATEs under emulation, misses its keepalives: the session resets
# and starts again, for ever.  Failures are not measured here.
RIB_HOLD=90
RIB_PER_AGENT=200
RIB_SERVICES=100

# bgprib_conf N: the static speaker's configuration, N paths
bgprib_conf()
{
	local n=$1 i

	cat <<-EOF
		neighbor 10.77.1.254 {
			router-id 10.77.1.1;
			local-address 10.77.1.1;
			local-as $BGP_ASN;
			peer-as $BGP_ASN;
			md5-password "$BGP_PW";
			md5-base64 false;
			hold-time $RIB_HOLD;
			capability {
				add-path send/receive;
			}
			family {
				ipv4 unicast;
			}
			static {
	EOF
	# tcp port 9: 6 << 16 | 9; D-BIDs 10.100.0.1 on, 250 per /24
	for (( i = 0; i < n; i++ )); do
		printf '\t\troute 198.51.100.%d/32 next-hop 10.%d.%d.%d path-information %d large-community [ %s:1:393225 %s:2:%d ];\n' \
			$(( 1 + i % RIB_SERVICES )) $(( 100 + i / 62500 )) \
			$(( i / 250 % 250 )) $(( 1 + i % 250 )) $(( i + 1 )) \
			$BGP_ASN $BGP_ASN $(( 1000 + i / RIB_PER_AGENT ))
	done
	printf '\t}\n}\n'
}

# bgprib_cpu: CPU seconds so far of the reflector, the router's ExaBGP,
# its relay, the router's dyncastd and the announcing ExaBGP
bgprib_cpu()
{
	local p

	for p in "bgpd -d -Z -f $BGP_DIR/rr" "exabgp $BGP_DIR/router-exabgp.conf" \
		 "dyncastd --exabgp $BGP_DIR/router.sock" \
		 "dyncastd -f -c $BGP_DIR/router.conf" "exabgp $BGP_DIR/static.conf"; do
		bgp_cpu_s "$p"
		echo
	done
}

# bgprib_progress N LEARNT: the sessions and the processes' CPU, logged
bgprib_progress()
{
	local c

	mapfile -t c < <(bgprib_cpu)
	log "bgprib $1: $2 learnt; reflector: $(bgp_rr "$BGP_DIR/rr" "show bgp summary json" 2>/dev/null |
		jq -c '[.ipv4Unicast.peers | to_entries[] | {(.key): [.value.state, .value.pfxRcd, .value.pfxSnt, .value.peerUptime]}] | add')" \
		"CPU s: static ${c[4]}, reflector ${c[0]}, router's ExaBGP ${c[1]}," \
		"relay ${c[2]}, dyncastd ${c[3]}"
}

# bgprib_run FILE N: one size, one row
bgprib_run()
{
	local f=$1 n=$2 i t0 next t_learn=NA got=0 status=ok note=
	local base_rr base_dx base_dd rss_rr rss_dx rss_dd rss_sx cpu

	# one speaker's address in bgp_topo
	local BGP_SPEAKERS=1

	BGP_DIR=$(mktemp -d /tmp/bench-bgp.XXXXXX)
	BGP_KEY=$("$DYNCASTD" --genkey)
	if ! bgp_topo 2>>"$ERR"; then
		tsv_row "$f" "$n" NA NA NA NA NA NA NA NA NA NA NA NA NA NA NA NA NA missing "topology"
		return
	fi
	bgp_rr_start "$BGP_DIR/rr" "$BGR" $BGP_ASN $BGP_PW $RIB_HOLD 10.77.0.1 \
		10.77.1.1 2>>"$ERR"
	bgprib_conf "$n" > "$BGP_DIR/static.conf"
	bgp_router_start bgp $RIB_HOLD
	base_rr=$(bgp_rss "bgpd -d -Z -f $BGP_DIR/rr")
	base_dx=$(bgp_rss "exabgp $BGP_DIR/router-exabgp.conf")
	base_dd=$(bgp_rss "dyncastd -f -c $BGP_DIR/router.conf")
	t0=$(now_ms)
	bgp_speaker_start static "$BGS" "$BGP_DIR/static.conf" "$BGP_DIR/static.log"
	next=$(( t0 + 30000 ))
	while [ "$(now_ms)" -lt $(( t0 + RIB_WAIT * 1000 )) ]; do
		got=$(bgp_learned)
		if [ "${got:-0}" -ge "$n" ]; then
			t_learn=$(( $(now_ms) - t0 ))
			break
		fi
		# where the time goes, every 30 s, in the log
		if [ "$(now_ms)" -ge "$next" ]; then
			bgprib_progress "$n" "$got"
			next=$(( next + 30000 ))
		fi
		sleep 1
	done
	log "bgprib $n: $got of $n paths learnt after $(( $(now_ms) - t0 )) ms"
	if [ "$t_learn" = NA ]; then
		status=missing note="$got of $n paths learnt in $RIB_WAIT s"
		bgprib_progress "$n" "$got"
		tail -n 20 "$BGP_DIR/router-exabgp.log" "$BGP_DIR/static.log" \
			"$BGP_DIR/rr/bgpd.log" >> "$ERR" 2>&1
	fi
	# the speakers' and the reflector's work done, their heaps settled
	sleep 10
	rss_rr=$(bgp_rss "bgpd -d -Z -f $BGP_DIR/rr")
	rss_dx=$(bgp_rss "exabgp $BGP_DIR/router-exabgp.conf")
	rss_dd=$(bgp_rss "dyncastd -f -c $BGP_DIR/router.conf")
	rss_sx=$(bgp_rss "exabgp $BGP_DIR/static.conf")
	mapfile -t cpu < <(bgprib_cpu)
	tsv_row "$f" "$n" "$got" "$t_learn" "$base_rr" "$rss_rr" "$base_dx" \
		"$rss_dx" "$base_dd" "$rss_dd" "$rss_sx" "${cpu[@]}" \
		"$(bgp_rr "$BGP_DIR/rr" "show bgp neighbors 10.77.0.1 json" 2>/dev/null |
		   jq -r '.["10.77.0.1"].messageStats.updatesSent // "NA"')" \
		"$(bgp_counter bgp-paths)" "$(bgp_counter duplicates)" \
		"$status" "$note"
	bgp_stop_all
	rm -rf "$BGP_DIR"
}

part_bgprib()
{
	local f=$OUT/bgprib.tsv n

	tsv_header "$f" paths learnt learn_ms rss_rr_base_kb rss_rr_kb \
		rss_router_speaker_base_kb rss_router_speaker_kb \
		rss_router_agent_base_kb rss_router_agent_kb rss_site_speaker_kb \
		cpu_rr_s cpu_router_speaker_s cpu_router_relay_s \
		cpu_router_agent_s cpu_site_speaker_s rr_updates_to_router \
		router_paths_rx router_duplicates status note
	if ! bgp_have; then
		tsv_row "$f" NA NA NA NA NA NA NA NA NA NA NA NA NA NA NA NA NA NA missing \
			"ExaBGP or FRR is not installed"
		return
	fi
	DYNCASTD_CLI=$DYNCAST_TOP/userspace/dyncast/dyncast
	for n in "${RIB_SIZES[@]}"; do
		bgprib_run "$f" "$n"
	done
}

# --- main -----------------------------------------------------------------------

log "dyncast benchmarks: parts ${PARTS[*]}; $REPS repetitions of $WINDOW s ($INSTR_WINDOW s of guest time in part instr)"
if ! prepare; then
	echo "bench: cannot prepare; nothing measured"
	exit 1
fi
[ "$(getconf _NPROCESSORS_ONLN)" -eq 1 ] || spin_start
for part in "${PARTS[@]}"; do
	log "part $part"
	t=$SECONDS
	if declare -F "part_$part" >/dev/null; then
		"part_$part"
	else
		log "no part $part"
	fi
	log "part $part took $(( SECONDS - t )) s"
	printf '%s\t%s\n' "$part" $(( SECONDS - t )) >> "$OUT/durations.tsv"
done
spin_stop
rm -f "$OUT/.err" "$OUT/.flood" "$OUT/.batch"
log "done"
exit 0

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The steering simulation ("make bench-steer"): runs build/bench/steersim
# over the scenario of bench/scenario.sh and build/bench/selcost, and
# writes their output to DATA (default bench/data):
#
#   steer-selftest.txt   the model checked against closed forms
#   steer-mmc.tsv        the scenario with exponential service times
#                        (M/M/c sites), every policy, updates every 100 ms
#                        and every second
#   steer-mdc.tsv        the same with fixed service times (M/D/c), as in
#                        the VM
#   steer-lognorm.tsv    the same with lognormal service times of squared
#                        coefficient of variation 4 (M/G/c)
#   steer-mmc-large.tsv  the M/M/c scenario with ten times the slots and
#                        the demand
#   steer-mm1.tsv        single-server sites of different speeds (M/M/1)
#   steer-interval.tsv   the policies that read metrics, updates every
#                        10 ms to 5 s
#   steer-report-*.tsv   the old least-cost when agents report less: cpu and
#                        capacity only, or cpu only
#   steer-sc-NAME.tsv    the scenario bench/scenarios/NAME.sc: events,
#                        several routers, per window after each event
#   selcost.tsv          the cost of the choices and of rebuilding
#
# STEER_DEMANDS and STEER_SEEDS set the length and the number of runs
# (200000 demands, 5 seeds).

set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/bench/scenario.sh"
DATA=${1:-$TOP/bench/data}
SIM=$TOP/build/bench/steersim
N=${STEER_DEMANDS:-200000}
SEEDS=${STEER_SEEDS:-5}

mkdir -p "$DATA"
sim()
{
	"$SIM" -n "$N" -r "$SEEDS" "$@"
}

run()
{
	local out=$1 t=$SECONDS

	shift
	sim "$@" > "$DATA/$out.tmp"
	mv "$DATA/$out.tmp" "$DATA/$out"
	echo "steer: $out ($(( SECONDS - t )) s)"
}

"$SIM" -T > "$DATA/steer-selftest.txt" ||
	echo "steer: the model check failed, see $DATA/steer-selftest.txt" >&2
run steer-mmc.tsv -S "$STEER_SVC_MS" -i 100,1000 "${STEER_SITES[@]}"
run steer-mdc.tsv -S "$STEER_SVC_MS" -d det -i 100,1000 "${STEER_SITES[@]}"
run steer-lognorm.tsv -S "$STEER_SVC_MS" -d lognorm:4 -i 100,1000 "${STEER_SITES[@]}"
run steer-mmc-large.tsv -S "$STEER_SVC_MS" -i 100,1000 "${STEER_LARGE_SITES[@]}"
run steer-mm1.tsv -S "$STEER_MM1_SVC_MS" -i 100,1000 "${STEER_MM1_SITES[@]}"
run steer-interval.tsv -S "$STEER_SVC_MS" -p least-load,least-cost-old,least-cost-metrics,optimum \
	-i 10,20,50,100,200,500,1000,2000,5000 "${STEER_SITES[@]}"
for r in cpu cpu-nocap; do
	run "steer-report-$r.tsv" -S "$STEER_SVC_MS" -R "$r" \
		-p least-cost-old,least-cost-old-w,optimum -i 10,100,1000 "${STEER_SITES[@]}"
done
for sc in "$TOP"/bench/scenarios/*.sc; do
	name=$(basename "$sc" .sc)
	t=$SECONDS
	"$SIM" -f "$sc" > "$DATA/steer-sc-$name.tsv.tmp"
	mv "$DATA/steer-sc-$name.tsv.tmp" "$DATA/steer-sc-$name.tsv"
	echo "steer: steer-sc-$name.tsv ($(( SECONDS - t )) s)"
done
"$TOP/build/bench/selcost" > "$DATA/selcost.tsv"
echo "steer: selcost.tsv"
{
	printf 'date\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	printf 'host_cpu\t%s\n' "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
	printf 'demands\t%s\nseeds\t%s\n' "$N" "$SEEDS"
	printf 'commit\t%s\n' "$(git -C "$TOP" describe --always --dirty 2>/dev/null || echo unknown)"
} > "$DATA/steer-env.tsv"

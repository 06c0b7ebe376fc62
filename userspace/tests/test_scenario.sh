#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# steersim's scenario files (bench/scenarios/, the format in
# bench/README.md): every shipped scenario is read without error, and each
# kind of bad input is refused with exit status 2 and a message naming the
# file, the line and the setting.

set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
O=$(mktemp -d)
trap 'rm -rf "$O"' EXIT
make -s -C "$TOP/bench" O="$O" "$O/steersim" >/dev/null || exit 1
SIM=$O/steersim
fail=0 n=0

ok()
{
	n=$((n + 1))
	echo "ok $n - $1"
}

not_ok()
{
	n=$((n + 1))
	fail=$((fail + 1))
	echo "not ok $n - $1"
}

for sc in "$TOP"/bench/scenarios/*.sc; do
	if out=$("$SIM" -C "$sc" 2>&1); then
		ok "$(basename "$sc"): $out"
	else
		not_ok "$(basename "$sc"): $out"
	fi
done

SITES=$'site a 5 2\nsite b 20 3\n'
# bad FILE-CONTENT EXPECTED-MESSAGE: refused, naming the line
bad()
{
	local f=$O/bad.sc out rc

	printf '%s\n' "$1" > "$f"
	out=$("$SIM" -C "$f" 2>&1)
	rc=$?
	if [ $rc = 2 ] && [ "$out" = "steersim: $f$2" ]; then
		ok "refused: ${2#*: }"
	else
		not_ok "expected exit 2 and \"steersim: $f$2\", got $rc \"$out\""
	fi
}

bad $'duration 60\nsite a 5 2\nspeed 3' ":3: unknown setting \"speed\""
bad $'site a 5 x' ":1: site slots: bad value"
bad $'site a 5 2.5' ":1: site: slots are a whole number"
bad $'site a 5' ":1: site: site NAME RTT_MS SLOTS [SPEED [DIST]]"
bad $'site a 5 2 1 gamma' ":1: site: \"gamma\": exp, det or lognorm:SCV"
bad $'site a 5 2 1 lognorm:0' ":1: site lognorm SCV: bad value"
bad $'site a 5 2 1 det x' ":1: site: too many words"
bad $'site a -1 2' ":1: site rtt: bad value"
bad "${SITES}load 0.5 0.6" ":3: load: too many words"
bad "${SITES}load" ":3: load: a value is missing"
bad "${SITES}routers 65" ":3: routers: bad value"
bad "${SITES}report 100,x" ":3: report: bad value"
bad "${SITES}distribution gamma" ":3: distribution: \"gamma\": exp, det or lognorm SCV"
bad "${SITES}policies lc,fastest" ":3: policies: unknown policy \"fastest\""
bad "${SITES}at 10 fail c" ":3: no site \"c\" (sites come before the events)"
bad "${SITES}at 10 explode a" ":3: unknown event \"explode\" (load, speed, rtt, fail, recover, foreign)"
bad "${SITES}at 10 fail a b" ":3: fail: too many words"
bad "${SITES}at 10 speed a" ":3: speed: a value is missing"
bad "${SITES}at 10 foreign a 0.5" ":3: foreign period: a value is missing"
bad "${SITES}at 20 load 1"$'\n'"at 10 load 2" ":4: at: events must come in order of time"
bad "${SITES}at 10 load 1"$'\n'"site c 5 1" ":4: site: sites come before the events"
bad "${SITES}duration 60"$'\n'"at 60 fail a" ": event \"a fail\": at or after the end of the duration"
bad "${SITES}" ": no duration"
bad "duration 60" ": no site"

# a site's own distribution: one site of fixed 40 ms service times at 5 %
# load, in a scenario of exponential ones: its 99th percentile is about
# its round trip and service time (exponential times would give about
# 4.6 times the mean)
printf '%s\n' 'site a 5 1 1 det' 'distribution exp' 'service-time 40' \
	'load 0.05' 'report 100' 'duration 20' 'warmup 1' 'seeds 1' \
	'policies weighted' > "$O/det.sc"
out=$("$SIM" -f "$O/det.sc" 2>&1)
p99=$(echo "$out" | awk -F'\t' '$1 == "weighted" && $5 == "steady" { print $11 }')
if echo "$out" | grep -q '^# site a: .*service times deterministic, SCV 0$' &&
   awk -v p="$p99" 'BEGIN { exit !(p > 44 && p < 70) }'; then
	ok "a site of fixed service times among exponential ones: p99 $p99 ms"
else
	not_ok "a site of fixed service times: p99 ${p99:-none} ms, expected 45-70: $out"
fi

echo "1..$n"
[ $fail = 0 ]

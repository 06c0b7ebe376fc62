#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The metrics endpoint of dyncastd (topology: agent_topo.sh): D-Router 1
# gets metrics-listen by a reload, and serves Prometheus' text format:
#  - promtool (Debian's prometheus) finds the exposition valid, and it
#    has every name Documentation/dyncast-grafana.json queries;
#  - the module's figures are the kernel's: demands of a service after
#    ten requests, an instance's cost and state (the cost held still for
#    it: edge 3 announces bid31 at 7 ms, and D-Router 1 adds no RTT, which
#    moves with every probe); the agent's counters are "dyncast agent
#    show"'s, per peer too;
#  - HEAD, an unknown path (404), another method (405), a request that is
#    not HTTP (400), and a flood of 50 half-open connections leave it
#    answering;
#  - a Prometheus server scrapes it: its query API returns the demands.
#
# timeout=600

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/agent_topo.sh"

require_root
require_vm
require_cmd ip jq curl nginx socat promtool

ktap_print_header
ktap_set_plan 6

[ -x "$DYNCASTD" ] || ktap_skip_all "dyncastd not built: $DYNCASTD"
dc_load || ktap_skip_all "cannot load the module"
atopo_setup || ktap_skip_all "cannot build the topology"
atopo_start || { agent_logs; ktap_fail_all "cannot start the servers and agents"; }
atopo_quiet
slowwait 60 kinst_is "$DR1" $SID1 80 198.19.3.31 state up
slowwait 30 kinst_is "$DR1" $SID1 80 198.19.2.21 state up

URL=http://127.0.0.1:9477/metrics
sed -i 's|^\[agent\]$|[agent]\nmetrics-listen = 127.0.0.1:9477|
	s|^\[router\]$|[router]\nprobe-cost = no|' "$AT/dr1.conf"
sed -i 's|^\[instance bid31\]$|[instance bid31]\ncost = 7000|' "$AT/e3.conf"
kill -HUP "${AGENT_PID[dr1]}" "${AGENT_PID[e3]}"
# shellcheck disable=SC2120 # slowwait passes the arguments
scrape()
{
	ip netns exec "$DR1" curl -sf --max-time $(( 5 * TIME_FACTOR )) "$@" "$URL"
}
slowwait 20 scrape -o /dev/null

asks 10 $SID1 80 > /dev/null
scrape > "$AT/m1" || true
ip netns exec "$DR1" promtool check metrics < "$AT/m1" > "$AT/promtool" 2>&1
rc=$?
sed 's/^/# promtool: /' "$AT/promtool" | head -n 20
echo "# $(wc -l < "$AT/m1") lines, $(grep -vc '^#' "$AT/m1") samples"
# every name the Grafana dashboard queries is served
missing=()
for n in $(grep -o 'dyncastd\?_[a-z_]*' "$DYNCAST_TOP/Documentation/dyncast-grafana.json" | sort -u); do
	grep -q "^# TYPE $n " "$AT/m1" || missing+=("$n")
done
echo "# names of the dashboard not served: ${missing[*]:-none}"
# every name has its help text (one without had "(null)" printed, and
# has its own name now)
nohelp=$(grep -Ec '^# HELP ([^ ]*) (\(null\)|\1)$' "$AT/m1")
echo "# names without help: $nohelp"
ktap_test_result "a reload opens it; promtool finds it valid; it has the dashboard's names" \
	eval "[ $rc = 0 ] && [ -s $AT/m1 ] && [ ${#missing[@]} = 0 ] && [ $nohelp = 0 ]"

# value NAME LABELS: the sample of NAME with exactly these labels
value()
{
	awk -v want="$1{$2}" '$1 == want { print $2 }' "$AT/m1"
}
svc="sid=\"$SID1\",proto=\"tcp\",port=\"80\""
k_demands=$("$DYNCAST" -n "$DR1" -s -j service show $SID1 proto tcp port 80 |
	jq -r '.[0].stats.demands')
m_demands=$(value dyncast_service_demands_total "$svc")
# the cost as announced, held still (the RTT not added): the one a
# scrape past the second for which the last one's text is kept shows
slowwait 30 kinst_is "$DR1" $SID1 80 198.19.3.31 cost 7000
sleep 1.1
scrape > "$AT/m1" || true
k_cost=$("$DYNCAST" -n "$DR1" -j instance show $SID1 proto tcp port 80 bid 198.19.3.31 |
	jq -r '.[0].cost')
m_cost=$(value dyncast_instance_cost_seconds "$svc,bid=\"198.19.3.31\"")
cost_ok()
{
	[ "$k_cost" = 7000 ] &&
		awk -v m="$m_cost" 'BEGIN { exit !(m * 1e6 > 6999 && m * 1e6 < 7001) }'
}
m_site=$(value dyncast_instance_site "$svc,bid=\"198.19.3.31\"")
m_up=$(value dyncast_instance_state "$svc,bid=\"198.19.3.31\",state=\"up\"")
echo "# demands: kernel $k_demands, metrics $m_demands; cost: kernel $k_cost us, metrics $m_cost s; site $m_site; up $m_up"
ktap_test_result "the module's figures are the kernel's" \
	eval "[ \"$m_demands\" = \"$k_demands\" ] && [ \"$k_demands\" -ge 10 ] && cost_ok &&
	      [ \"$m_site\" = 3 ] && [ \"$m_up\" = 1 ]"

# the agent's counters as "agent show" gave them just before: announcements
# only grow, so the scrape's is at least that (a scrape past the second
# for which the previous one's text is kept)
a_ann=$(agent_counter dr1 announcements)
sleep 1.1
scrape > "$AT/m1" || true
m_ann=$(value dyncastd_announcements_total "")
[ -n "$m_ann" ] || m_ann=$(awk '$1 == "dyncastd_announcements_total" { print $2 }' "$AT/m1")
m_peer=$(value dyncastd_peer_rx_total 'peer="dr2"')
echo "# announcements: agent show $a_ann, metrics $m_ann; rx from dr2: $m_peer"
ktap_test_result "the agent's counters are agent show's, per peer too" \
	eval "[ -n \"$m_ann\" ] && [ \"$m_ann\" -ge \"$a_ann\" ] && [ \"\${m_peer:-0}\" -gt 0 ]"

# status CURL-ARGS...: the HTTP status of one request
status()
{
	ip netns exec "$DR1" curl -s -o /dev/null -w '%{http_code}' \
		--max-time $(( 5 * TIME_FACTOR )) "$@"
}
s_head=$(status -I "$URL")
s_404=$(status http://127.0.0.1:9477/other)
s_405=$(status -X POST "$URL")
s_400=$(echo "hello" | ip netns exec "$DR1" socat -t 2 - TCP:127.0.0.1:9477 | head -n 1)
# 50 connections that send nothing for a while: the control socket's
# clients do not share the metrics clients' places
pids=()
for _ in $(seq 50); do
	sleep $(( 4 * TIME_FACTOR )) | ip netns exec "$DR1" socat -u - TCP:127.0.0.1:9477 &
	pids+=($!)
done
sleep 1
agent_show dr1 agent > /dev/null
ctl=$?
wait "${pids[@]}"
s_after=$(status "$URL")
echo "# HEAD $s_head, /other $s_404, POST $s_405, not HTTP: $s_400; agent show during 50 idle connections: exit $ctl; after them: $s_after"
ktap_test_result "HEAD, 404, 405, 400; idle connections do not block agent show, nor it after them" \
	eval "[ $s_head = 200 ] && [ $s_404 = 404 ] && [ $s_405 = 405 ] &&
	      [[ '$s_400' == 'HTTP/1.1 400'* ]] && [ $ctl = 0 ] && [ $s_after = 200 ]"

# a Prometheus server scrapes it every second
if command -v prometheus >/dev/null; then
	mkdir -p "$AT/prom"
	cat > "$AT/prom/prometheus.yml" <<-EOF
		global:
		  scrape_interval: 1s
		scrape_configs:
		  - job_name: dyncastd
		    static_configs:
		      - targets: ['127.0.0.1:9477']
	EOF
	ip netns exec "$DR1" prometheus --config.file="$AT/prom/prometheus.yml" \
		--storage.tsdb.path="$AT/prom/data" --web.listen-address=127.0.0.1:9090 \
		> "$AT/prom/log" 2>&1 &
	prom=$!
	defer "kill $prom; wait $prom"
	query()
	{
		ip netns exec "$DR1" curl -sf --max-time 5 \
			"http://127.0.0.1:9090/api/v1/query?query=dyncast_service_demands_total" |
			jq -e "[.data.result[] | select(.metric.sid == \"$SID1\" and .metric.port == \"80\") | .value[1] | tonumber] | .[0] >= 10" \
			> /dev/null
	}
	ktap_test_result "a Prometheus server scrapes it: its query API has the demands" \
		slowwait 120 query
	ip netns exec "$DR1" curl -s --max-time 5 "http://127.0.0.1:9090/api/v1/targets" |
		jq -c '.data.activeTargets[] | {health, lastError}' | sed 's/^/# /'
else
	ktap_test_skip "a Prometheus server scrapes it (no prometheus)"
fi

kill -HUP "${AGENT_PID[dr1]}"
ktap_test_result "it goes on working" slowwait 10 scrape -o /dev/null

ktap_finished

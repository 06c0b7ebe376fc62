#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# replace and flush (dyncast(8)), against the module:
#  - "service replace" creates a service that is not there and changes one
#    that is (what it does not name stays), where "add" says it exists;
#  - "instance replace" adds the instances that are not there and changes
#    those that are, in one request: one new instance set;
#  - a replace the kernel refuses changes nothing;
#  - "instance flush" deletes every instance of one service, more than fit
#    one request, and no other service's; "service flush" every service;
#  - "save" prints the commands that make the configuration again: read
#    back with -batch into the empty namespace, the same configuration.
# (A failure after the kernel staged a replace, out of memory, needs fault
# injection, which Debian's kernel lacks: the refusals here come first.)
#
# timeout=180

. "$(dirname "$0")/lib.sh"

require_root
require_vm
require_cmd ip jq

ktap_print_header
ktap_set_plan 9

dc_load || ktap_skip_all "cannot load the module"
setup_ns NS || ktap_skip_all "cannot create a netns"
D=$(mktemp -d /tmp/dyncast-replace.XXXXXX) || ktap_skip_all "no temporary directory"
defer "rm -rf $D"

dc()
{
	ip netns exec "$NS" "$DYNCAST" "$@"
}

S=(192.0.2.1 proto tcp port 80)
T=(192.0.2.2 proto udp port 53)
svc_field()
{
	dc -j service show "${S[@]}" | jq -r ".[0][\"$1\"]"
}
inst_field()
{
	dc -j instance show "${S[@]}" bid "$1" 2>/dev/null | jq -r ".[0][\"$2\"]"
}

dc service replace "${S[@]}" mode tunnel timeout 30
ok1=$?
dc service replace "${S[@]}" timeout 60
ok2=$?
echo "# mode $(svc_field mode), timeout $(svc_field timeout)"
ktap_test_result "service replace: made, then changed, what it does not name kept" \
	eval "[ $ok1 = 0 ] && [ $ok2 = 0 ] && [ $(svc_field mode) = tunnel ] && [ $(svc_field timeout) = 60 ]"
dc service add "${S[@]}" timeout 90 2>/dev/null
rc=$?
ktap_test_result "service add of it: refused, nothing changed" \
	eval "[ $rc = 2 ] && [ $(svc_field timeout) = 60 ]"

dc instance add "${S[@]}" bid 10.0.0.1 weight 1
dc instance replace "${S[@]}" bid 10.0.0.1 weight 5 bid 10.0.0.2 weight 2 cost 300
rc=$?
echo "# weights $(inst_field 10.0.0.1 weight) $(inst_field 10.0.0.2 weight), cost $(inst_field 10.0.0.2 cost)"
ktap_test_result "instance replace: one changed, one added, in one request" \
	eval "[ $rc = 0 ] && [ $(inst_field 10.0.0.1 weight) = 5 ] && [ $(inst_field 10.0.0.2 weight) = 2 ] && [ $(inst_field 10.0.0.2 cost) = 300 ]"

# refused: a forwarder's instances are learnt; a service that would have
# more than 1024 instances (10.0.0.1, 10.0.0.2 and 1021 more, then two
# new ones and a change): nothing changes
dc service add "${T[@]}" mode forward router 192.0.2.9 \
	key 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
dc instance replace "${T[@]}" bid 10.0.0.5 2>/dev/null
rc=$?
for (( i = 0; i < 1021; i += 32 )); do
	args=()
	for (( j = i; j < i + 32 && j < 1021; j++ )); do
		args+=(bid "10.1.$(( j / 250 )).$(( j % 250 + 1 ))")
	done
	dc instance add "${S[@]}" "${args[@]}" || break
done
n=$(dc -j instance show "${S[@]}" | jq length)
dc instance replace "${S[@]}" bid 10.0.0.1 weight 7 bid 10.0.0.3 bid 10.0.0.4 2>/dev/null
rc2=$?
echo "# $n instances; replace of a forwarder's: $rc, beyond 1024: $rc2"
ktap_test_result "a replace refused changes nothing" \
	eval "[ $rc = 2 ] && [ $n = 1023 ] && [ $rc2 = 2 ] && [ $(inst_field 10.0.0.1 weight) = 5 ] && [ -z \"$(inst_field 10.0.0.3 weight)\" ]"

dc service add 192.0.2.3 proto tcp
dc instance add 192.0.2.3 proto tcp bid 10.0.0.9
dc instance flush "${S[@]}"
rc=$?
ktap_test_result "instance flush: all 1023 gone, 32 a request" \
	eval "[ $rc = 0 ] && [ $(dc -j instance show "${S[@]}" | jq length) = 0 ]"
ktap_test_result "instance flush: no other service's instance" \
	test "$(dc -j instance show 192.0.2.3 proto tcp | jq length)" = 1
dc instance flush "${S[@]}" bid 10.0.0.1 2>/dev/null
ktap_test_result "instance flush with a bid: refused" test $? = 1
dc service flush
rc=$?
ktap_test_result "service flush: every service gone" \
	eval "[ $rc = 0 ] && [ $(dc -j service show | jq length) = 0 ]"

# save: the commands that make the configuration again; read back into
# the empty namespace, the same configuration, which saves the same
dc service add 192.0.2.5 proto tcp port 443 mode tunnel affinity 3tuple \
	timeout 30 policy least-cost service-time 20000
dc instance add 192.0.2.5 proto tcp port 443 bid 10.0.5.1 weight 3 capacity 8 \
	bid 10.0.5.2 state drain cost 900 site 4
dc service add 2001:db8::5 proto udp policy hash
dc instance add 2001:db8::5 proto udp bid 2001:db8::6 weight 2
dc save > "$D/save1"
dc service flush
dc -batch "$D/save1"
rc=$?
dc save > "$D/save2"
sed 's/^/# /' "$D/save1"
ktap_test_result "save, flush, -batch: the same configuration, saved the same" \
	eval "[ $rc = 0 ] && grep -q '^instance add 192.0.2.5 proto tcp port 443 bid 10.0.5.2 .*state drain .*cost 900 site 4' $D/save1 && cmp -s $D/save1 $D/save2 && [ \$(dc -j instance show | jq length) = 3 ]"

ktap_finished

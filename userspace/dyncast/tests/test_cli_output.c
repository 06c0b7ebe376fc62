// SPDX-License-Identifier: GPL-2.0
/*
 * Output: canned kernel replies printed as text and as JSON; kernel errors
 * with their extended ack; interrupted and multi-part dumps; -batch;
 * monitor.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/genetlink.h>

#include "mock.h"

static void put_in4(struct nlmsghdr *nlh, uint16_t type, const char *addr)
{
	struct in_addr in;

	assert_int_equal(inet_pton(AF_INET, addr, &in), 1);
	mnl_attr_put(nlh, type, sizeof(in), &in);
}

static void put_in6(struct nlmsghdr *nlh, uint16_t type, const char *addr)
{
	struct in6_addr in6;

	assert_int_equal(inet_pton(AF_INET6, addr, &in6), 1);
	mnl_attr_put(nlh, type, sizeof(in6), &in6);
}

static void put_be16(struct nlmsghdr *nlh, uint16_t type, uint16_t v)
{
	mnl_attr_put_u16(nlh, type, htons(v));
}

static void put_key4(struct nlmsghdr *nlh)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, DYNCAST_A_SERVICE);

	put_in4(nlh, DYNCAST_A_SERVICE_ADDR4, "192.0.2.1");
	mnl_attr_put_u8(nlh, DYNCAST_A_SERVICE_PROTO, IPPROTO_TCP);
	put_be16(nlh, DYNCAST_A_SERVICE_PORT, 80);
	mnl_attr_nest_end(nlh, nest);
}

static void put_service_full(struct mock *m, uint16_t flags)
{
	struct nlmsghdr *nlh = mock_genl(m, DYNCAST_CMD_SERVICE_GET, flags);
	struct nlattr *svc, *st;

	svc = mnl_attr_nest_start(nlh, DYNCAST_A_SERVICE);
	put_in4(nlh, DYNCAST_A_SERVICE_ADDR4, "192.0.2.1");
	mnl_attr_put_u8(nlh, DYNCAST_A_SERVICE_PROTO, IPPROTO_TCP);
	put_be16(nlh, DYNCAST_A_SERVICE_PORT, 80);
	mnl_attr_put_u8(nlh, DYNCAST_A_SERVICE_MODE, DYNCAST_MODE_TUNNEL);
	mnl_attr_put_u8(nlh, DYNCAST_A_SERVICE_AFFINITY, DYNCAST_AFFINITY_3TUPLE);
	mnl_attr_put_u8(nlh, DYNCAST_A_SERVICE_SRC_PREFIX, 24);
	mnl_attr_put_u32(nlh, DYNCAST_A_SERVICE_TIMEOUT, 300);
	mnl_attr_put_u8(nlh, DYNCAST_A_SERVICE_POLICY, DYNCAST_POLICY_LEAST_COST);
	mnl_attr_put_u32(nlh, DYNCAST_A_SERVICE_MAX_BINDINGS, 1000);
	mnl_attr_put_u32(nlh, DYNCAST_A_SERVICE_SERVICE_TIME, 250);
	mnl_attr_put_u32(nlh, DYNCAST_A_SERVICE_BINDINGS, 5);
	mnl_attr_put_u32(nlh, DYNCAST_A_SERVICE_INSTANCES, 2);
	st = mnl_attr_nest_start(nlh, DYNCAST_A_SERVICE_STATS);
	mnl_attr_put_u64(nlh, DYNCAST_A_STATS_PACKETS, 10);
	mnl_attr_put_u64(nlh, DYNCAST_A_STATS_BYTES, 1500);
	mnl_attr_put_u64(nlh, DYNCAST_A_STATS_DEMANDS, 3);
	mnl_attr_put_u64(nlh, DYNCAST_A_STATS_NO_INSTANCE, 0);
	mnl_attr_put_u64(nlh, DYNCAST_A_STATS_TABLE_FULL, 0);
	mnl_attr_put_u64(nlh, DYNCAST_A_STATS_NOT_START, 1);
	mnl_attr_put_u64(nlh, DYNCAST_A_STATS_TOO_BIG, 0);
	mnl_attr_put_u64(nlh, DYNCAST_A_STATS_XMIT_ERRORS, 0);
	mnl_attr_put_u64(nlh, DYNCAST_A_STATS_EXPIRED, 2);
	mnl_attr_nest_end(nlh, st);
	mnl_attr_nest_end(nlh, svc);
}

/* A sparse service, with what a newer or broken kernel might add. */
static void put_service_odd(struct mock *m, uint16_t flags)
{
	struct nlmsghdr *nlh = mock_genl(m, DYNCAST_CMD_SERVICE_GET, flags);
	struct nlattr *svc;

	mnl_attr_put_u32(nlh, 77, 1);		/* unknown: ignored */
	svc = mnl_attr_nest_start(nlh, DYNCAST_A_SERVICE);
	put_in6(nlh, DYNCAST_A_SERVICE_ADDR6, "2001:db8::1");
	mnl_attr_put_u8(nlh, DYNCAST_A_SERVICE_PROTO, IPPROTO_UDP);
	mnl_attr_put_u8(nlh, DYNCAST_A_SERVICE_MODE, 7);	/* unknown value */
	mnl_attr_put_u16(nlh, DYNCAST_A_SERVICE_TIMEOUT, 1);	/* bad length */
	mnl_attr_put_u32(nlh, 99, 1);		/* unknown: ignored */
	mnl_attr_nest_end(nlh, svc);
}

/* A forwarder: its router, a flag, a flag of a wrong length (ignored). */
static void put_service_fwd(struct mock *m, uint16_t flags)
{
	struct nlmsghdr *nlh = mock_genl(m, DYNCAST_CMD_SERVICE_GET, flags);
	struct nlattr *svc, *st;

	svc = mnl_attr_nest_start(nlh, DYNCAST_A_SERVICE);
	put_in4(nlh, DYNCAST_A_SERVICE_ADDR4, "192.0.2.2");
	mnl_attr_put_u8(nlh, DYNCAST_A_SERVICE_PROTO, IPPROTO_UDP);
	mnl_attr_put_u8(nlh, DYNCAST_A_SERVICE_MODE, DYNCAST_MODE_FORWARD);
	put_in4(nlh, DYNCAST_A_SERVICE_ROUTER4, "198.51.100.1");
	mnl_attr_put(nlh, DYNCAST_A_SERVICE_KEYED, 0, NULL);
	st = mnl_attr_nest_start(nlh, DYNCAST_A_SERVICE_STATS);
	mnl_attr_put_u64(nlh, DYNCAST_A_STATS_MISSES_SENT, 4);
	mnl_attr_put_u64(nlh, DYNCAST_A_STATS_BINDINFO_RECV, 3);
	mnl_attr_put_u8(nlh, DYNCAST_A_STATS_BAD_AUTH, 1);	/* bad length */
	mnl_attr_nest_end(nlh, st);
	mnl_attr_nest_end(nlh, svc);
}

static const char service_text[] =
	"192.0.2.1 proto tcp port 80 mode tunnel affinity 3tuple src-prefix 24 timeout 300 policy least-cost max-bindings 1000 service-time 250 bindings 5 instances 2\n"
	"    stats packets 10 bytes 1500 demands 3 no-instance 0 table-full 0 not-start 1 too-big 0 xmit-errors 0 expired 2\n"
	"2001:db8::1 proto udp mode 7\n"
	"192.0.2.2 proto udp mode forward router 198.51.100.1 keyed\n"
	"    stats misses-sent 4 bindinfo-recv 3\n";

static const char service_json[] =
	"[{\"sid\":\"192.0.2.1\",\"proto\":\"tcp\",\"port\":80,\"mode\":\"tunnel\","
	"\"affinity\":\"3tuple\",\"src-prefix\":24,\"timeout\":300,"
	"\"policy\":\"least-cost\",\"max-bindings\":1000,\"service-time\":250,"
	"\"bindings\":5,\"instances\":2,\"stats\":{\"packets\":10,\"bytes\":1500,"
	"\"demands\":3,\"no-instance\":0,\"table-full\":0,\"not-start\":1,"
	"\"too-big\":0,\"xmit-errors\":0,\"expired\":2}},"
	"{\"sid\":\"2001:db8::1\",\"proto\":\"udp\",\"mode\":7},"
	"{\"sid\":\"192.0.2.2\",\"proto\":\"udp\",\"mode\":\"forward\","
	"\"router\":\"198.51.100.1\",\"keyed\":true,"
	"\"stats\":{\"misses-sent\":4,\"bindinfo-recv\":3}}]\n";

static void test_service_text(void **state)
{
	struct mock *m = *state;

	put_service_full(m, NLM_F_MULTI);
	put_service_odd(m, NLM_F_MULTI);
	put_service_fwd(m, NLM_F_MULTI);
	mock_done(m, 0);
	assert_int_equal(mock_run(m, "-s -d service show"), 0);
	assert_string_equal(m->out, service_text);
	assert_int_equal(m->err_len, 0);

	/* without -s, no counters; without -d, no details */
	put_service_full(m, NLM_F_MULTI);
	put_service_fwd(m, NLM_F_MULTI);
	mock_done(m, 0);
	assert_int_equal(mock_run(m, "service show"), 0);
	assert_string_equal(m->out + sizeof(service_text) - 1,
		"192.0.2.1 proto tcp port 80 mode tunnel affinity 3tuple src-prefix 24 timeout 300 policy least-cost service-time 250 bindings 5 instances 2\n"
		"192.0.2.2 proto udp mode forward router 198.51.100.1 keyed\n");
}

static void test_service_json(void **state)
{
	struct mock *m = *state;
	json_t *j, *s;

	put_service_full(m, NLM_F_MULTI);
	put_service_odd(m, NLM_F_MULTI);
	put_service_fwd(m, NLM_F_MULTI);
	mock_done(m, 0);
	assert_int_equal(mock_run(m, "-s -j service show"), 0);
	assert_string_equal(m->out, service_json);

	/* the same, pretty */
	put_service_full(m, NLM_F_MULTI);
	put_service_odd(m, NLM_F_MULTI);
	mock_done(m, 0);
	mock_clear(m);
	assert_int_equal(mock_run(m, "-p -s service show"), 0);
	assert_non_null(strstr(m->out, "[\n    {\n        \"sid\": \"192.0.2.1\",\n"));
	j = mock_json(m);
	assert_int_equal(json_array_size(j), 2);
	s = json_array_get(j, 0);
	assert_int_equal(json_object_size(s), 13);
	assert_string_equal(json_string_value(json_object_get(s, "policy")),
			    "least-cost");
	assert_int_equal(json_integer_value(json_object_get(
			 json_object_get(s, "stats"), "expired")), 2);
	s = json_array_get(j, 1);
	assert_null(json_object_get(s, "timeout"));
	assert_null(json_object_get(s, "port"));
	json_decref(j);
}

static void test_service_get(void **state)
{
	struct mock *m = *state;

	/* a get is answered by one message and the ack */
	put_service_full(m, 0);
	mock_error(m, 0, NULL);
	assert_int_equal(mock_run(m, "-details service show 192.0.2.1 proto tcp port 80"), 0);
	assert_memory_equal(m->out, service_text, strchr(service_text, '\n') - service_text);
}

static void test_empty(void **state)
{
	struct mock *m = *state;

	assert_int_equal(mock_run(m, "-j service show"), 0);
	assert_string_equal(m->out, "[]\n");
	mock_clear(m);
	assert_int_equal(mock_run(m, "binding show"), 0);
	assert_int_equal(m->out_len, 0);
}

static void put_instance(struct mock *m, uint8_t cmd, uint16_t flags,
			 const char *bid, bool full)
{
	struct nlmsghdr *nlh = mock_genl(m, cmd, flags);
	struct nlattr *inst, *st;

	put_key4(nlh);
	inst = mnl_attr_nest_start(nlh, DYNCAST_A_INSTANCE);
	put_in4(nlh, DYNCAST_A_INSTANCE_ADDR4, bid);
	if (!full) {
		mnl_attr_put_u32(nlh, DYNCAST_A_INSTANCE_WEIGHT, 0);
		mnl_attr_put_u8(nlh, DYNCAST_A_INSTANCE_STATE, DYNCAST_STATE_DOWN);
		mnl_attr_nest_end(nlh, inst);
		return;
	}
	put_be16(nlh, DYNCAST_A_INSTANCE_PORT, 8080);
	mnl_attr_put_u32(nlh, DYNCAST_A_INSTANCE_WEIGHT, 5);
	mnl_attr_put_u8(nlh, DYNCAST_A_INSTANCE_STATE, DYNCAST_STATE_DRAIN);
	mnl_attr_put_u32(nlh, DYNCAST_A_INSTANCE_CPU, 375);
	mnl_attr_put_u32(nlh, DYNCAST_A_INSTANCE_GPU, 0);
	mnl_attr_put_u32(nlh, DYNCAST_A_INSTANCE_SESSIONS, 4);
	mnl_attr_put_u32(nlh, DYNCAST_A_INSTANCE_QUEUE, 2);
	mnl_attr_put_u32(nlh, DYNCAST_A_INSTANCE_CAPACITY, 100);
	mnl_attr_put_u32(nlh, DYNCAST_A_INSTANCE_COST, 250);
	mnl_attr_put_u32(nlh, DYNCAST_A_INSTANCE_SITE, 7);
	mnl_attr_put_u64(nlh, DYNCAST_A_INSTANCE_METRICS_AGE, 1234);
	mnl_attr_put_u32(nlh, DYNCAST_A_INSTANCE_BINDINGS, 3);
	mnl_attr_put_u32(nlh, DYNCAST_A_INSTANCE_SERVICE_TIME, 50000);
	mnl_attr_put_u32(nlh, DYNCAST_A_INSTANCE_LOAD, 805);
	mnl_attr_put_u32(nlh, DYNCAST_A_INSTANCE_INFLIGHT_ADJUST, (uint32_t)-2250);
	mnl_attr_put_u32(nlh, DYNCAST_A_INSTANCE_INFLIGHT, 12);
	st = mnl_attr_nest_start(nlh, DYNCAST_A_INSTANCE_STATS);
	mnl_attr_put_u64(nlh, DYNCAST_A_STATS_PACKETS, 7);
	mnl_attr_nest_end(nlh, st);
	mnl_attr_nest_end(nlh, inst);
}

static void test_instance(void **state)
{
	struct mock *m = *state;

	put_instance(m, DYNCAST_CMD_INSTANCE_GET, NLM_F_MULTI, "10.0.0.1", true);
	mock_done(m, 0);
	assert_int_equal(mock_run(m, "-stats -d instance show"), 0);
	assert_string_equal(m->out,
		"192.0.2.1 proto tcp port 80 bid 10.0.0.1 bid-port 8080 weight 5 state drain cpu 37.5 gpu 0.0 sessions 4 queue 2 capacity 100 cost 250 site 7 metrics-age 1.234s bindings 3 service-time 50000 load 80.5 inflight-adjust -2.25 inflight 12\n"
		"    stats packets 7\n");

	/* the least-cost model and the metrics' age are details */
	mock_clear(m);
	put_instance(m, DYNCAST_CMD_INSTANCE_GET, NLM_F_MULTI, "10.0.0.1", true);
	mock_done(m, 0);
	assert_int_equal(mock_run(m, "instance show"), 0);
	assert_string_equal(m->out,
		"192.0.2.1 proto tcp port 80 bid 10.0.0.1 weight 5 state drain cpu 37.5 gpu 0.0 sessions 4 queue 2 capacity 100 cost 250 site 7 bindings 3 inflight 12\n");

	/* JSON has them all, with -d or not */

	mock_clear(m);
	put_instance(m, DYNCAST_CMD_INSTANCE_GET, NLM_F_MULTI, "10.0.0.1", true);
	mock_done(m, 0);
	assert_int_equal(mock_run(m, "-s -j instance show"), 0);
	assert_string_equal(m->out,
		"[{\"sid\":\"192.0.2.1\",\"proto\":\"tcp\",\"port\":80,"
		"\"bid\":\"10.0.0.1\",\"bid-port\":8080,\"weight\":5,"
		"\"state\":\"drain\",\"cpu\":37.5,\"gpu\":0.0,\"sessions\":4,"
		"\"queue\":2,\"capacity\":100,\"cost\":250,\"site\":7,"
		"\"metrics-age\":1234,\"bindings\":3,\"service-time\":50000,"
		"\"load\":80.5,\"inflight-adjust\":-2.25,\"inflight\":12,"
		"\"stats\":{\"packets\":7}}]\n");
}

/* A dump in many datagrams, one message each, as a large dump comes. */
static void test_multipart(void **state)
{
	struct mock *m = *state;
	json_t *j;

	put_instance(m, DYNCAST_CMD_INSTANCE_GET, NLM_F_MULTI, "10.0.0.1", false);
	put_instance(m, DYNCAST_CMD_INSTANCE_GET, NLM_F_MULTI, "10.0.0.2", false);
	put_instance(m, DYNCAST_CMD_INSTANCE_GET, NLM_F_MULTI, "10.0.0.3", false);
	mock_done(m, 0);
	m->datagrams = true;
	assert_int_equal(mock_run(m, "-j instance show"), 0);
	j = mock_json(m);
	assert_int_equal(json_array_size(j), 3);
	assert_string_equal(json_string_value(json_object_get(
			    json_array_get(j, 2), "bid")), "10.0.0.3");
	json_decref(j);
}

static void test_binding(void **state)
{
	struct mock *m = *state;
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	nlh = mock_genl(m, DYNCAST_CMD_BINDING_GET, NLM_F_MULTI);
	nest = mnl_attr_nest_start(nlh, DYNCAST_A_SERVICE);
	put_in6(nlh, DYNCAST_A_SERVICE_ADDR6, "2001:db8::1");
	mnl_attr_put_u8(nlh, DYNCAST_A_SERVICE_PROTO, IPPROTO_UDP);
	put_be16(nlh, DYNCAST_A_SERVICE_PORT, 53);
	mnl_attr_nest_end(nlh, nest);
	nest = mnl_attr_nest_start(nlh, DYNCAST_A_BINDING);
	put_in6(nlh, DYNCAST_A_BINDING_SRC6, "2001:db8::7");
	put_be16(nlh, DYNCAST_A_BINDING_SPORT, 40000);
	put_be16(nlh, DYNCAST_A_BINDING_DPORT, 53);
	put_in6(nlh, DYNCAST_A_BINDING_BID6, "2001:db8::10");
	put_be16(nlh, DYNCAST_A_BINDING_BID_PORT, 5353);
	mnl_attr_put_u64(nlh, DYNCAST_A_BINDING_AGE, 12345);
	mnl_attr_put_u64(nlh, DYNCAST_A_BINDING_IDLE, 100);
	mnl_attr_put_u64(nlh, DYNCAST_A_BINDING_EXPIRES, 299900);
	mnl_attr_put_u64(nlh, DYNCAST_A_BINDING_PACKETS, 10);
	mnl_attr_put_u64(nlh, DYNCAST_A_BINDING_BYTES, 1000);
	mnl_attr_nest_end(nlh, nest);
	mock_done(m, 0);
	assert_int_equal(mock_run(m, "-d binding show"), 0);
	assert_string_equal(m->out,
		"2001:db8::1 proto udp port 53 src 2001:db8::7 sport 40000 dport 53 bid 2001:db8::10 bid-port 5353 age 12.345s idle 0.100s expires 299.900s packets 10 bytes 1000\n");
}

static void put_stats(struct mock *m)
{
	struct nlmsghdr *nlh = mock_genl(m, DYNCAST_CMD_STATS_GET, 0);
	struct nlattr *st = mnl_attr_nest_start(nlh, DYNCAST_A_STATS);
	uint16_t t;

	for (t = DYNCAST_A_STATS_PACKETS; t <= DYNCAST_A_STATS_EXPIRED; t++)
		mnl_attr_put_u64(nlh, t, t * 100);
	mnl_attr_put_u32(nlh, DYNCAST_A_STATS_BINDINGS, 5);
	mnl_attr_put_u32(nlh, DYNCAST_A_STATS_MAX_BINDINGS, 65536);
	mnl_attr_put_u32(nlh, DYNCAST_A_STATS_SERVICES, 2);
	mnl_attr_nest_end(nlh, st);
	mock_error(m, 0, NULL);
}

static void test_stats(void **state)
{
	struct mock *m = *state;
	json_t *j;

	put_stats(m);
	assert_int_equal(mock_run(m, "stats"), 0);
	assert_string_equal(m->out,
		"packets 200 bytes 300 demands 400 no-instance 500 table-full 600 not-start 700 too-big 800 xmit-errors 900 expired 1000 bindings 5 max-bindings 65536 services 2\n");

	/* one object, not an array */
	mock_clear(m);
	put_stats(m);
	assert_int_equal(mock_run(m, "-j stats"), 0);
	assert_string_equal(m->out,
		"{\"packets\":200,\"bytes\":300,\"demands\":400,\"no-instance\":500,"
		"\"table-full\":600,\"not-start\":700,\"too-big\":800,"
		"\"xmit-errors\":900,\"expired\":1000,\"bindings\":5,"
		"\"max-bindings\":65536,\"services\":2}\n");

	mock_clear(m);
	put_stats(m);
	assert_int_equal(mock_run(m, "-p stats"), 0);
	j = mock_json(m);
	assert_true(json_is_object(j));
	assert_int_equal(json_object_size(j), 12);
	json_decref(j);
}

static void test_dump_intr(void **state)
{
	struct mock *m = *state;
	json_t *j;

	put_service_full(m, NLM_F_MULTI);
	put_service_odd(m, NLM_F_MULTI | NLM_F_DUMP_INTR);
	mock_done(m, 0);
	assert_int_equal(mock_run(m, "-j service show"), -1);
	assert_string_equal(m->err,
		"Warning: dump interrupted, output may be inconsistent.\n");
	/* what came is printed all the same */
	j = mock_json(m);
	assert_int_equal(json_array_size(j), 2);
	json_decref(j);
}

/* Messages of another request (an older sequence number) are skipped. */
static void test_stale(void **state)
{
	struct mock *m = *state;
	struct nlmsghdr *nlh;

	put_service_odd(m, NLM_F_MULTI);
	nlh = (struct nlmsghdr *)m->reply;
	nlh->nlmsg_seq += 1000;
	mock_done(m, 0);
	((struct nlmsghdr *)m->reply)->nlmsg_seq -= 1;
	assert_int_equal(mock_run(m, "service show"), 0);
	assert_int_equal(m->out_len, 0);
}

/*
 * Replies no kernel sends, found by the fuzzer: a message 4 GiB long
 * (libmnl's own check takes its length for -1, and its iterator never moves
 * on), and an error code that is no errno.
 */
static void test_hostile_replies(void **state)
{
	struct mock *m = *state;
	struct nlmsghdr *nlh;

	nlh = mock_genl(m, DYNCAST_CMD_SERVICE_NEW, 0);
	put_key4(nlh);
	m->reply_len = MNL_ALIGN(nlh->nlmsg_len);
	m->open = NULL;
	nlh->nlmsg_len = 0xffffffff;
	assert_int_equal(mock_run(m, "monitor"), 0);
	assert_int_equal(m->out_len, 0);

	mock_error(m, INT32_MIN, NULL);
	assert_int_equal(mock_run(m, "service add 192.0.2.1 proto tcp"), -1);
	assert_string_equal(m->err, "Error: Bad message.\n");
}

/* on_talk for the flushes: each request's command and instance count */
static char flush_log[256];

static void log_talk(struct mock *m, const struct nlmsghdr *req)
{
	size_t n = strlen(flush_log);

	(void)m;
	snprintf(flush_log + n, sizeof(flush_log) - n, "%u:%u ",
		 ((const struct genlmsghdr *)mnl_nlmsg_get_payload(req))->cmd,
		 mock_count(req, DYNCAST_A_INSTANCE));
}

/* flush: a dump, then a del of each service, or of all the instances */
static void test_flush(void **state)
{
	struct mock *m = *state;
	const struct nlmsghdr *nlh = mock_req(m);
	char want[64];

	put_service_full(m, NLM_F_MULTI);
	put_service_fwd(m, NLM_F_MULTI);
	mock_done(m, 0);
	flush_log[0] = '\0';
	m->on_talk = log_talk;
	assert_int_equal(mock_run(m, "service flush"), 0);
	snprintf(want, sizeof(want), "%u:0 %u:0 %u:0 ", DYNCAST_CMD_SERVICE_GET,
		 DYNCAST_CMD_SERVICE_DEL, DYNCAST_CMD_SERVICE_DEL);
	assert_string_equal(flush_log, want);
	/* the last, the forwarder's service, by its key alone */
	assert_int_equal(mnl_attr_get_u8(mock_attr(nlh, 2, DYNCAST_A_SERVICE, 0,
						   DYNCAST_A_SERVICE_PROTO, 0)),
			 IPPROTO_UDP);
	assert_null(mock_attr(nlh, 2, DYNCAST_A_SERVICE, 0,
			      DYNCAST_A_SERVICE_MODE, 0));

	put_instance(m, DYNCAST_CMD_INSTANCE_GET, NLM_F_MULTI, "10.0.0.1", false);
	put_instance(m, DYNCAST_CMD_INSTANCE_GET, NLM_F_MULTI, "10.0.0.2", false);
	put_instance(m, DYNCAST_CMD_INSTANCE_GET, NLM_F_MULTI, "10.0.0.3", false);
	mock_done(m, 0);
	flush_log[0] = '\0';
	assert_int_equal(mock_run(m, "instance flush 192.0.2.1 proto tcp port 80"), 0);
	snprintf(want, sizeof(want), "%u:0 %u:3 ", DYNCAST_CMD_INSTANCE_GET,
		 DYNCAST_CMD_INSTANCE_DEL);
	assert_string_equal(flush_log, want);
	m->on_talk = NULL;

	assert_int_equal(mock_run(m, "instance flush"), -1);
	assert_int_equal(mock_run(m, "instance flush 192.0.2.1 proto tcp bid 10.0.0.1"), -1);
	assert_int_equal(mock_run(m, "service flush now"), -1);
}

/*
 * A flush's dump interrupted (NLM_F_DUMP_INTR, a service twice in it):
 * asked again; interrupted every time, nothing deleted, and an error
 */
static unsigned int intr_times, intr_gets, intr_dels;

static void flush_intr(struct mock *m, const struct nlmsghdr *req)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(req);
	uint16_t intr;

	if (g->cmd != DYNCAST_CMD_SERVICE_GET) {
		intr_dels++;
		return;
	}
	intr = ++intr_gets <= intr_times ? NLM_F_DUMP_INTR : 0;
	mock_reset(m);
	put_service_full(m, NLM_F_MULTI | intr);
	if (intr)
		put_service_full(m, NLM_F_MULTI | intr);
	put_service_fwd(m, NLM_F_MULTI | intr);
	mock_done(m, 0);
}

static void test_flush_interrupted(void **state)
{
	struct mock *m = *state;
	int ret;

	m->on_talk = flush_intr;
	intr_times = 1;
	intr_gets = intr_dels = 0;
	assert_int_equal(mock_run(m, "service flush"), 0);
	assert_int_equal(intr_gets, 2);
	assert_int_equal(intr_dels, 2);

	intr_times = 10;
	intr_gets = intr_dels = 0;
	ret = mock_run(m, "service flush");
	assert_int_equal(ret, -1);
	assert_int_equal(dc_exit_status(&m->ctx, ret), DC_EXIT_KERNEL);
	assert_int_equal(intr_gets, 3);
	assert_int_equal(intr_dels, 0);
	assert_non_null(strstr(m->err, "kept changing"));
	m->on_talk = NULL;
}

static char *batch_file(const char *text);

/*
 * The dels of a flush: the first refused (EPERM), the second gone
 * meanwhile (ENOENT); a del of several instances gone meanwhile, then each
 */
static unsigned int del_seen;

static void flush_errors(struct mock *m, const struct nlmsghdr *req)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(req);

	if (g->cmd == DYNCAST_CMD_SERVICE_DEL && !del_seen++)
		mock_error(m, -EPERM, NULL);
	else if (g->cmd == DYNCAST_CMD_SERVICE_DEL)
		mock_error(m, -ENOENT, "service not found");
	else if (g->cmd == DYNCAST_CMD_INSTANCE_DEL &&
		 mock_count(req, DYNCAST_A_INSTANCE) > 1)
		mock_error(m, -ENOENT, "instance not found");
}

static void test_flush_errors(void **state)
{
	struct mock *m = *state;
	int ret;

	/* the status of the refusal, not of the one gone meanwhile */
	put_service_full(m, NLM_F_MULTI);
	put_service_fwd(m, NLM_F_MULTI);
	mock_done(m, 0);
	del_seen = 0;
	m->on_talk = flush_errors;
	ret = mock_run(m, "service flush");
	assert_int_equal(ret, -1);
	assert_int_equal(dc_exit_status(&m->ctx, ret), DC_EXIT_KERNEL);

	/* only ENOENT: done, 0 */
	put_service_full(m, NLM_F_MULTI);
	mock_done(m, 0);
	del_seen = 1;
	assert_int_equal(mock_run(m, "service flush"), 0);

	/* a del of three refused for one gone: each alone, done */
	put_instance(m, DYNCAST_CMD_INSTANCE_GET, NLM_F_MULTI, "10.0.0.1", false);
	put_instance(m, DYNCAST_CMD_INSTANCE_GET, NLM_F_MULTI, "10.0.0.2", false);
	put_instance(m, DYNCAST_CMD_INSTANCE_GET, NLM_F_MULTI, "10.0.0.3", false);
	mock_done(m, 0);
	m->talks = 0;
	ret = mock_run(m, "instance flush 192.0.2.1 proto tcp port 80");
	m->on_talk = NULL;
	assert_int_equal(ret, 0);
	assert_int_equal(m->talks, 5);	/* the dump, the three, each */

	/* save of an interrupted dump: the kernel's side, 2 */
	put_service_full(m, NLM_F_MULTI | NLM_F_DUMP_INTR);
	mock_done(m, 0);
	ret = mock_run(m, "save");
	assert_int_equal(ret, -1);
	assert_int_equal(dc_exit_status(&m->ctx, ret), DC_EXIT_KERNEL);
}

/* save: the services' dump, then the instances' */
static void save_talk(struct mock *m, const struct nlmsghdr *req)
{
	if (((const struct genlmsghdr *)mnl_nlmsg_get_payload(req))->cmd !=
	    DYNCAST_CMD_INSTANCE_GET)
		return;
	put_instance(m, DYNCAST_CMD_INSTANCE_GET, NLM_F_MULTI, "10.0.0.1", true);
	put_instance(m, DYNCAST_CMD_INSTANCE_GET, NLM_F_MULTI, "10.0.0.2", false);
	mock_done(m, 0);
}

static void test_save(void **state)
{
	static const char want[] =
		"# dyncast save\n"
		"service add 192.0.2.1 proto tcp port 80 mode tunnel affinity 3tuple src-prefix 24 timeout 300 policy least-cost max-bindings 1000 service-time 250\n"
		"# with key-file FILE added: service add 192.0.2.2 proto udp mode forward router 198.51.100.1\n"
		"instance add 192.0.2.1 proto tcp port 80 bid 10.0.0.1 bid-port 8080 weight 5 state drain capacity 100 cost 250 site 7 service-time 50000\n"
		"instance add 192.0.2.1 proto tcp port 80 bid 10.0.0.2 weight 0 state down\n";
	struct mock *m = *state;
	char cmd[64], *name;
	int n;

	put_service_full(m, NLM_F_MULTI);
	put_service_fwd(m, NLM_F_MULTI);
	mock_done(m, 0);
	m->on_talk = save_talk;
	assert_int_equal(mock_run(m, "save"), 0);
	m->on_talk = NULL;
	assert_string_equal(m->out, want);
	assert_int_equal(m->err_len, 0);

	/* what it prints, the CLI takes back: three requests (the
	 * forwarder's service is a comment)
	 */
	name = batch_file(want);
	n = snprintf(cmd, sizeof(cmd), "-batch %s", name);
	assert_true(n > 0 && (size_t)n < sizeof(cmd));
	m->talks = 0;
	assert_int_equal(mock_run(m, cmd), 0);
	assert_int_equal(m->talks, 3);
	assert_int_equal(m->err_len, 0);
	unlink(name);
	free(name);
	assert_int_equal(mock_run(m, "save all"), -1);

	/* it has no JSON form: -j is refused, not ignored */
	mock_clear(m);
	assert_int_equal(mock_run(m, "-j save"), -1);
	assert_int_equal(dc_exit_status(&m->ctx, -1), DC_EXIT_USAGE);
	assert_non_null(strstr(m->err, "save prints commands, not JSON"));
	assert_int_equal(m->out_len, 0);
}

/* the exit status: the command line's fault, the kernel's refusal, not found */
static void test_exit_status(void **state)
{
	struct mock *m = *state;
	int ret;

	ret = mock_run(m, "service add 192.0.2.1 proto tcp port 99999");
	assert_int_equal(dc_exit_status(&m->ctx, ret), DC_EXIT_USAGE);
	ret = mock_run(m, "frobnicate");
	assert_int_equal(dc_exit_status(&m->ctx, ret), DC_EXIT_USAGE);
	ret = mock_run(m, "service add 192.0.2.1 proto tcp");
	assert_int_equal(dc_exit_status(&m->ctx, ret), DC_EXIT_OK);

	mock_error(m, -EPERM, NULL);
	ret = mock_run(m, "service add 192.0.2.1 proto tcp");
	assert_int_equal(dc_exit_status(&m->ctx, ret), DC_EXIT_KERNEL);
	mock_error(m, -EEXIST, "the service exists");
	ret = mock_run(m, "service add 192.0.2.1 proto tcp");
	assert_int_equal(dc_exit_status(&m->ctx, ret), DC_EXIT_KERNEL);
	mock_error(m, -ENOENT, "no such service");
	ret = mock_run(m, "service del 192.0.2.1 proto tcp");
	assert_int_equal(dc_exit_status(&m->ctx, ret), DC_EXIT_NOT_FOUND);
	/* a command after one that failed starts afresh */
	ret = mock_run(m, "service del 192.0.2.1 proto tcp port x");
	assert_int_equal(dc_exit_status(&m->ctx, ret), DC_EXIT_USAGE);
	ret = mock_run(m, "-batch /nonexistent/batch");
	assert_int_equal(dc_exit_status(&m->ctx, ret), DC_EXIT_KERNEL);
	/* a name that cannot be a namespace's: the command line's fault */
	ret = mock_run(m, "-n ../x service show");
	assert_int_equal(dc_exit_status(&m->ctx, ret), DC_EXIT_USAGE);
}

static void talk_bad_timeout(struct mock *m, const struct nlmsghdr *req)
{
	const struct nlattr *a = mock_attr(req, 2, DYNCAST_A_SERVICE, 0,
					   DYNCAST_A_SERVICE_TIMEOUT, 0);
	struct nlmsghdr *nlh = mock_error(m, -ERANGE, "Timeout too long.");

	assert_non_null(a);
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, mock_offset(req, a));
}

static void talk_bad_cpu(struct mock *m, const struct nlmsghdr *req)
{
	const struct nlattr *a = mock_attr(req, 2, DYNCAST_A_INSTANCE, 1,
					   DYNCAST_A_INSTANCE_CPU, 0);
	struct nlmsghdr *nlh = mock_error(m, -EINVAL, "Load above limit");

	assert_non_null(a);
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, mock_offset(req, a));
}

/* The kernel blames a whole nest: name it by its key. */
static void talk_bad_instance(struct mock *m, const struct nlmsghdr *req)
{
	const struct nlattr *a = mock_attr(req, 1, DYNCAST_A_INSTANCE, 1);
	struct nlmsghdr *nlh = mock_error(m, -ENOENT, "instance: not found");

	assert_non_null(a);
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, mock_offset(req, a));
}

static void talk_bad_service(struct mock *m, const struct nlmsghdr *req)
{
	const struct nlattr *a = mock_attr(req, 1, DYNCAST_A_SERVICE, 0);
	struct nlmsghdr *nlh = mock_error(m, -ENOENT, "service: not found");

	assert_non_null(a);
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, mock_offset(req, a));
}

static void talk_bad_binding(struct mock *m, const struct nlmsghdr *req)
{
	const struct nlattr *a = mock_attr(req, 1, DYNCAST_A_BINDING, 0);
	struct nlmsghdr *nlh = mock_error(m, -ENOENT, NULL);

	assert_non_null(a);
	nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, mock_offset(req, a));
}

static void talk_bad_offset(struct mock *m, const struct nlmsghdr *req)
{
	struct nlmsghdr *nlh = mock_error(m, -EINVAL, "Odd");

	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, req->nlmsg_len + 8);
}

static void talk_missing_proto(struct mock *m, const struct nlmsghdr *req)
{
	const struct nlattr *a = mock_attr(req, 1, DYNCAST_A_SERVICE, 0);
	struct nlmsghdr *nlh = mock_error(m, -EINVAL, NULL);

	nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_MISS_TYPE, DYNCAST_A_SERVICE_PROTO);
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_MISS_NEST, mock_offset(req, a));
}

static void talk_missing_top(struct mock *m, const struct nlmsghdr *req)
{
	struct nlmsghdr *nlh = mock_error(m, -EINVAL, "Missing instance");

	(void)req;
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_MISS_TYPE, DYNCAST_A_INSTANCE);
}

static void talk_exists(struct mock *m, const struct nlmsghdr *req)
{
	(void)req;
	mock_error(m, -EEXIST, NULL);
}

static void talk_warning(struct mock *m, const struct nlmsghdr *req)
{
	(void)req;
	mock_error(m, 0, "Attribute ignored");
}

/* Without NETLINK_CAP_ACK the request comes back before the TLVs. */
static void talk_uncapped(struct mock *m, const struct nlmsghdr *req)
{
	const struct nlattr *a = mock_attr(req, 2, DYNCAST_A_SERVICE, 0,
					   DYNCAST_A_SERVICE_MODE, 0);
	struct nlmsghdr *nlh = mock_error(m, -EOPNOTSUPP, "No tunnel here");
	struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	size_t tlvs = nlh->nlmsg_len - NLMSG_HDRLEN - sizeof(*err);
	size_t echo = req->nlmsg_len - NLMSG_HDRLEN;
	char *p = (char *)(err + 1);

	memmove(p + echo, p, tlvs);
	memcpy(p, mnl_nlmsg_get_payload(req), echo);
	memcpy(&err->msg, req, sizeof(*req));
	nlh->nlmsg_len += echo;
	nlh->nlmsg_flags &= ~NLM_F_CAPPED;
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, mock_offset(req, a));
}

static void talk_dump_error(struct mock *m, const struct nlmsghdr *req)
{
	struct nlmsghdr *nlh;

	(void)req;
	put_service_odd(m, NLM_F_MULTI);
	mock_done(m, -ENOENT);
	nlh = m->open;
	nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "No such service");
}

static void test_kernel_errors(void **state)
{
	static const struct {
		void (*talk)(struct mock *m, const struct nlmsghdr *req);
		const char *cmdline;
		int ret;
		const char *err;
	} cases[] = {
		{ talk_bad_timeout,
		  "service add 192.0.2.1 proto tcp port 80 mode tunnel timeout 86400", -1,
		  "Error: Timeout too long, bad argument \"timeout\" (Numerical result out of range).\n" },
		{ talk_bad_cpu,
		  "instance set 192.0.2.1 proto tcp bid 10.0.0.1 cpu 10 bid 10.0.0.2 weight 1 cpu 99.9", -1,
		  "Error: Load above limit, bad argument \"cpu\" (Invalid argument).\n" },
		{ talk_bad_instance,
		  "instance del 192.0.2.1 proto tcp bid 10.0.0.1 bid 10.0.0.2", -1,
		  "Error: instance: not found, for bid 10.0.0.2 (No such file or directory).\n" },
		{ talk_bad_service,
		  "instance del 2001:db8::1 proto udp port 53 bid 2001:db8::2", -1,
		  "Error: service: not found, for 2001:db8::1 proto udp port 53 (No such file or directory).\n" },
		{ talk_bad_binding,
		  "binding del 192.0.2.1 proto tcp src 198.51.100.7 sport 1234", -1,
		  "Error: No such file or directory, for src 198.51.100.7 sport 1234 dport 0.\n" },
		{ talk_bad_offset, "service del 192.0.2.1 proto tcp", -1,
		  "Error: Odd (Invalid argument).\n" },
		{ talk_missing_proto, "service del 192.0.2.1 proto tcp", -1,
		  "Error: Invalid argument, missing argument \"proto\".\n" },
		{ talk_missing_top, "service del 192.0.2.1 proto tcp", -1,
		  "Error: Missing instance, missing argument \"instance\" (Invalid argument).\n" },
		{ talk_exists, "service add 192.0.2.1 proto tcp", -1,
		  "Error: File exists.\n" },
		{ talk_warning, "service set 192.0.2.1 proto tcp timeout 5", 0,
		  "Warning: Attribute ignored.\n" },
		{ talk_uncapped, "service set 192.0.2.1 proto tcp mode tunnel", -1,
		  "Error: No tunnel here, bad argument \"mode\" (Operation not supported).\n" },
		{ talk_dump_error, "-j service show", -1,
		  "Error: No such service (No such file or directory).\n" },
	};
	struct mock *m = *state;
	unsigned int i;

	for (i = 0; i < DC_ARRAY_SIZE(cases); i++) {
		mock_clear(m);
		m->on_talk = cases[i].talk;
		assert_int_equal(mock_run(m, cases[i].cmdline), cases[i].ret);
		assert_string_equal(m->err, cases[i].err);
		assert_int_equal(m->talks, i + 1);
	}
	/* a failed dump prints nothing, not even part of its JSON */
	assert_int_equal(m->out_len, 0);
}

static char *batch_file(const char *text)
{
	char *name = strdup("/tmp/dyncast-batch-XXXXXX");
	int fd;

	assert_non_null(name);
	fd = mkstemp(name);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return name;
}

static void talk_fail_del(struct mock *m, const struct nlmsghdr *req)
{
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(req);

	if (genl->cmd == DYNCAST_CMD_SERVICE_DEL)
		mock_error(m, -ENOENT, "No such service");
}

static void test_batch(void **state)
{
	struct mock *m = *state;
	char *name, cmd[128], expect[512];
	int n;

	name = batch_file("# set up\n"
			  "service add 192.0.2.1 proto tcp\n"
			  "\n"
			  "   service add 192.0.2.2 proto tcp timeout 0  # typo\n"
			  "service del 192.0.2.9 proto tcp\n"
			  "instance add 192.0.2.1 proto tcp bid 10.0.0.1\n");
	m->on_talk = talk_fail_del;

	/* stops at the first failure */
	n = snprintf(cmd, sizeof(cmd), "-batch %s", name);
	assert_true(n > 0 && (size_t)n < sizeof(cmd));
	assert_int_equal(mock_run(m, cmd), -1);
	n = snprintf(expect, sizeof(expect),
		     "Error: argument \"timeout\" must be an integer between 1 and 86400, got \"0\".\n"
		     "Command failed %s:4\n", name);
	assert_true(n > 0 && (size_t)n < sizeof(expect));
	assert_string_equal(m->err, expect);
	assert_int_equal(m->talks, 1);

	/* -force: goes on, and fails at the end */
	mock_clear(m);
	n = snprintf(cmd, sizeof(cmd), "-force -batch %s", name);
	assert_true(n > 0 && (size_t)n < sizeof(cmd));
	assert_int_equal(mock_run(m, cmd), -1);
	n = snprintf(expect, sizeof(expect),
		     "Error: argument \"timeout\" must be an integer between 1 and 86400, got \"0\".\n"
		     "Command failed %s:4\n"
		     "Error: No such service (No such file or directory).\n"
		     "Command failed %s:5\n", name, name);
	assert_true(n > 0 && (size_t)n < sizeof(expect));
	assert_string_equal(m->err, expect);
	assert_int_equal(m->talks, 4);

	unlink(name);
	free(name);

	/* all good: success */
	name = batch_file("stats\nbinding flush\n");
	mock_clear(m);
	n = snprintf(cmd, sizeof(cmd), "-b %s", name);
	assert_true(n > 0 && (size_t)n < sizeof(cmd));
	assert_int_equal(mock_run(m, cmd), 0);
	assert_int_equal(m->talks, 6);
	unlink(name);
	free(name);
}

static void put_events(struct mock *m)
{
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	nlh = mock_genl(m, DYNCAST_CMD_SERVICE_NEW, 0);
	nest = mnl_attr_nest_start(nlh, DYNCAST_A_SERVICE);
	put_in4(nlh, DYNCAST_A_SERVICE_ADDR4, "192.0.2.1");
	mnl_attr_put_u8(nlh, DYNCAST_A_SERVICE_PROTO, IPPROTO_TCP);
	put_be16(nlh, DYNCAST_A_SERVICE_PORT, 80);
	mnl_attr_put_u8(nlh, DYNCAST_A_SERVICE_MODE, DYNCAST_MODE_REWRITE);
	mnl_attr_nest_end(nlh, nest);

	put_instance(m, DYNCAST_CMD_INSTANCE_SET, 0, "10.0.0.1", false);
	mock_genl(m, 99, 0);			/* an event we do not know */
	nlh = mock_genl(m, DYNCAST_CMD_SERVICE_DEL, 0);
	put_key4(nlh);
}

/*
 * Each of the three lines of @out is @pre, a time such as
 * 2026-12-05T06:33:04.123456+0000, then the rest; the first's rest
 * begins with @first
 */
static bool has_times(const char *out, const char *pre, const char *first)
{
	const char *p = out;
	int i, y, mo, d, h, mi, s, us, n;
	char zone[8];

	for (i = 0; i < 3; i++) {
		if (strncmp(p, pre, strlen(pre)))
			return false;
		p += strlen(pre);
		n = 0;
		if (sscanf(p, "%4d-%2d-%2dT%2d:%2d:%2d.%6d%5[-+0-9]%n", &y, &mo,
			   &d, &h, &mi, &s, &us, zone, &n) != 8 || n != 31)
			return false;
		p += n;
		if (!i && strncmp(p, first, strlen(first)))
			return false;
		p = strchr(p, '\n');
		if (!p)
			return false;
		p++;
	}
	return !*p;
}

static void test_monitor(void **state)
{
	struct mock *m = *state;

	put_events(m);
	assert_int_equal(mock_run(m, "monitor"), 0);
	assert_string_equal(m->out,
		"service add 192.0.2.1 proto tcp port 80 mode rewrite\n"
		"instance set 192.0.2.1 proto tcp port 80 bid 10.0.0.1 weight 0 state down\n"
		"service del 192.0.2.1 proto tcp port 80\n");

	/* one object per line, even with -p */
	mock_clear(m);
	put_events(m);
	assert_int_equal(mock_run(m, "-p monitor"), 0);
	assert_string_equal(m->out,
		"{\"object\":\"service\",\"event\":\"add\",\"sid\":\"192.0.2.1\",\"proto\":\"tcp\",\"port\":80,\"mode\":\"rewrite\"}\n"
		"{\"object\":\"instance\",\"event\":\"set\",\"sid\":\"192.0.2.1\",\"proto\":\"tcp\",\"port\":80,\"bid\":\"10.0.0.1\",\"weight\":0,\"state\":\"down\"}\n"
		"{\"object\":\"service\",\"event\":\"del\",\"sid\":\"192.0.2.1\",\"proto\":\"tcp\",\"port\":80}\n");
	assert_int_equal(m->err_len, 0);

	/* -t: each after its time, in text and JSON */
	mock_clear(m);
	put_events(m);
	assert_int_equal(mock_run(m, "-t monitor"), 0);
	assert_true(has_times(m->out, "", " service add 192.0.2.1 proto tcp port 80 mode rewrite\n"));
	mock_clear(m);
	put_events(m);
	assert_int_equal(mock_run(m, "-t -j monitor"), 0);
	assert_true(has_times(m->out, "{\"time\":\"", "\",\"object\":\"service\",\"event\":\"add\""));
}

/* The output layer on its own: text nesting and huge counters. */
static void test_output_layer(void **state)
{
	struct mock *m = *state;
	struct dc_out o;

	dc_out_init(&o, m->outf, false, false);
	dc_out_open(&o, NULL);
	dc_out_str(&o, "sid", "192.0.2.1", true);
	dc_out_uint(&o, "max", UINT64_MAX);
	dc_out_tenths(&o, "cpu", 5);
	dc_out_msecs(&o, "age", 5);
	dc_out_close(&o);
	assert_int_equal(dc_out_flush(&o), 0);
	assert_string_equal(m->out,
		"192.0.2.1 max 18446744073709551615 cpu 0.5 age 0.005s\n");

	mock_clear(m);
	dc_out_init(&o, m->outf, true, false);
	dc_out_open(&o, NULL);
	dc_out_uint(&o, "max", UINT64_MAX);
	dc_out_uint(&o, "big", INT64_MAX);
	dc_out_close(&o);
	assert_int_equal(dc_out_flush(&o), 0);
	assert_string_equal(m->out,
		"{\"max\":1.844674407e19,\"big\":9223372036854775807}\n");

	/* misuse is reported, and nothing half-built is printed */
	mock_clear(m);
	dc_out_init(&o, m->outf, true, false);
	dc_out_uint(&o, "orphan", 1);
	assert_int_not_equal(dc_out_flush(&o), 0);
	dc_out_init(&o, m->outf, true, false);
	dc_out_open(&o, NULL);
	dc_out_close(&o);
	dc_out_open(&o, NULL);
	assert_int_not_equal(dc_out_flush(&o), 0);
	assert_int_equal(m->out_len, 0);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, mock_setup, mock_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_service_text),
		T(test_service_json),
		T(test_service_get),
		T(test_empty),
		T(test_instance),
		T(test_multipart),
		T(test_binding),
		T(test_stats),
		T(test_dump_intr),
		T(test_stale),
		T(test_kernel_errors),
		T(test_batch),
		T(test_monitor),
		T(test_hostile_replies),
		T(test_exit_status),
		T(test_flush),
		T(test_save),
		T(test_flush_interrupted),
		T(test_flush_errors),
		T(test_output_layer),
	};

	return cmocka_run_group_tests_name("dyncast CLI: output", tests,
					   NULL, NULL);
}

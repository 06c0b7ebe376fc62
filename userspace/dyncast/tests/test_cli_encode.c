// SPDX-License-Identifier: GPL-2.0
/* Request encoding: the message each command sends, attribute by attribute. */
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/genetlink.h>

#include "mock.h"

#define REQ	NLM_F_REQUEST
#define ACK	(NLM_F_REQUEST | NLM_F_ACK)

static const struct genlmsghdr *genl(const struct nlmsghdr *nlh)
{
	return mnl_nlmsg_get_payload(nlh);
}

static void check_header(const struct nlmsghdr *nlh, uint8_t cmd,
			 uint16_t flags)
{
	assert_int_equal(nlh->nlmsg_type, MOCK_FAMILY);
	assert_int_equal(nlh->nlmsg_flags, flags);
	assert_int_equal(genl(nlh)->cmd, cmd);
	assert_int_equal(genl(nlh)->version, DYNCAST_FAMILY_VERSION);
}

/* Attribute @a is there, @len bytes long. */
static const struct nlattr *check_len(const struct nlattr *a, uint16_t len)
{
	assert_non_null(a);
	assert_int_equal(mnl_attr_get_payload_len(a), len);
	return a;
}

static uint8_t u8_at(const struct nlattr *a)
{
	return mnl_attr_get_u8(check_len(a, 1));
}

static uint16_t be16_at(const struct nlattr *a)
{
	return ntohs(mnl_attr_get_u16(check_len(a, 2)));
}

static uint32_t u32_at(const struct nlattr *a)
{
	return mnl_attr_get_u32(check_len(a, 4));
}

static void check_in4(const struct nlattr *a, const char *addr)
{
	struct in_addr in;

	assert_int_equal(inet_pton(AF_INET, addr, &in), 1);
	assert_memory_equal(mnl_attr_get_payload(check_len(a, 4)), &in, 4);
}

static void check_in6(const struct nlattr *a, const char *addr)
{
	struct in6_addr in6;

	assert_int_equal(inet_pton(AF_INET6, addr, &in6), 1);
	assert_memory_equal(mnl_attr_get_payload(check_len(a, 16)), &in6, 16);
}

/* Counts the attributes inside nest @a. */
static unsigned int nest_len(const struct nlattr *a)
{
	const struct nlattr *i;
	unsigned int n = 0;

	assert_non_null(a);
	mnl_attr_for_each_nested(i, a)
		n++;
	return n;
}

#define SVC(t)		mock_attr(nlh, 2, DYNCAST_A_SERVICE, 0, t, 0)
#define INST(i, t)	mock_attr(nlh, 2, DYNCAST_A_INSTANCE, i, t, 0)
#define BIND(t)		mock_attr(nlh, 2, DYNCAST_A_BINDING, 0, t, 0)

static void test_service_add(void **state)
{
	struct mock *m = *state;
	const struct nlmsghdr *nlh = mock_req(m);

	assert_int_equal(mock_run(m, "service add 192.0.2.1 proto tcp port 80 mode tunnel affinity 3tuple src-prefix 24 timeout 300 policy least-cost max-bindings 1000 service-time 250"), 0);
	check_header(nlh, DYNCAST_CMD_SERVICE_NEW, ACK);
	assert_int_equal(mock_count(nlh, DYNCAST_A_SERVICE), 1);
	assert_int_equal(mock_count(nlh, DYNCAST_A_INSTANCE), 0);
	check_in4(SVC(DYNCAST_A_SERVICE_ADDR4), "192.0.2.1");
	assert_int_equal(u8_at(SVC(DYNCAST_A_SERVICE_PROTO)), IPPROTO_TCP);
	assert_int_equal(be16_at(SVC(DYNCAST_A_SERVICE_PORT)), 80);
	assert_int_equal(u8_at(SVC(DYNCAST_A_SERVICE_MODE)), DYNCAST_MODE_TUNNEL);
	assert_int_equal(u8_at(SVC(DYNCAST_A_SERVICE_AFFINITY)),
			 DYNCAST_AFFINITY_3TUPLE);
	assert_int_equal(u8_at(SVC(DYNCAST_A_SERVICE_SRC_PREFIX)), 24);
	assert_int_equal(u32_at(SVC(DYNCAST_A_SERVICE_TIMEOUT)), 300);
	assert_int_equal(u8_at(SVC(DYNCAST_A_SERVICE_POLICY)),
			 DYNCAST_POLICY_LEAST_COST);
	assert_int_equal(u32_at(SVC(DYNCAST_A_SERVICE_MAX_BINDINGS)), 1000);
	assert_int_equal(u32_at(SVC(DYNCAST_A_SERVICE_SERVICE_TIME)), 250);
	assert_int_equal(nest_len(mock_attr(nlh, 1, DYNCAST_A_SERVICE, 0)), 10);
}

/* replace: the NEW command with the top-level replace flag; add has none */
static void test_replace(void **state)
{
	struct mock *m = *state;
	const struct nlmsghdr *nlh = mock_req(m);
	const struct nlattr *r;

	assert_int_equal(mock_run(m, "service add 192.0.2.1 proto tcp timeout 5"), 0);
	assert_int_equal(mock_count(nlh, DYNCAST_A_REPLACE), 0);
	assert_int_equal(mock_run(m, "service replace 192.0.2.1 proto tcp timeout 5"), 0);
	check_header(nlh, DYNCAST_CMD_SERVICE_NEW, ACK);
	assert_int_equal(u32_at(SVC(DYNCAST_A_SERVICE_TIMEOUT)), 5);
	r = mock_attr(nlh, 1, DYNCAST_A_REPLACE, 0);
	assert_non_null(r);
	assert_int_equal(mnl_attr_get_payload_len(r), 0);

	assert_int_equal(mock_run(m, "instance replace 192.0.2.1 proto tcp bid 10.0.0.1 weight 3 bid 10.0.0.2 bid-port 8080"), 0);
	check_header(nlh, DYNCAST_CMD_INSTANCE_NEW, ACK);
	assert_int_equal(mock_count(nlh, DYNCAST_A_INSTANCE), 2);
	assert_int_equal(u32_at(INST(0, DYNCAST_A_INSTANCE_WEIGHT)), 3);
	assert_int_equal(be16_at(INST(1, DYNCAST_A_INSTANCE_PORT)), 8080);
	assert_int_equal(mock_count(nlh, DYNCAST_A_REPLACE), 1);
	assert_int_equal(mock_run(m, "instance add 192.0.2.1 proto tcp bid 10.0.0.1"), 0);
	assert_int_equal(mock_count(nlh, DYNCAST_A_REPLACE), 0);
}

static void test_service_add_ipv6(void **state)
{
	struct mock *m = *state;
	const struct nlmsghdr *nlh = mock_req(m);

	/* port 0 is the default and is left out */
	assert_int_equal(mock_run(m, "service add 2001:db8::1 proto udp port 0 affinity 2tuple src-prefix 64"), 0);
	check_header(nlh, DYNCAST_CMD_SERVICE_NEW, ACK);
	check_in6(SVC(DYNCAST_A_SERVICE_ADDR6), "2001:db8::1");
	assert_null(SVC(DYNCAST_A_SERVICE_ADDR4));
	assert_int_equal(u8_at(SVC(DYNCAST_A_SERVICE_PROTO)), IPPROTO_UDP);
	assert_null(SVC(DYNCAST_A_SERVICE_PORT));
	assert_int_equal(u8_at(SVC(DYNCAST_A_SERVICE_AFFINITY)),
			 DYNCAST_AFFINITY_2TUPLE);
	assert_int_equal(u8_at(SVC(DYNCAST_A_SERVICE_SRC_PREFIX)), 64);
	assert_int_equal(nest_len(mock_attr(nlh, 1, DYNCAST_A_SERVICE, 0)), 4);
}

static void test_service_set_del(void **state)
{
	struct mock *m = *state;
	const struct nlmsghdr *nlh = mock_req(m);

	assert_int_equal(mock_run(m, "service set 192.0.2.1 proto udp port 53 mode rewrite"), 0);
	check_header(nlh, DYNCAST_CMD_SERVICE_SET, ACK);
	assert_int_equal(u8_at(SVC(DYNCAST_A_SERVICE_MODE)), DYNCAST_MODE_REWRITE);
	assert_int_equal(be16_at(SVC(DYNCAST_A_SERVICE_PORT)), 53);
	assert_int_equal(nest_len(mock_attr(nlh, 1, DYNCAST_A_SERVICE, 0)), 4);

	assert_int_equal(mock_run(m, "service del 192.0.2.1 proto udp port 53"), 0);
	check_header(nlh, DYNCAST_CMD_SERVICE_DEL, ACK);
	assert_int_equal(nest_len(mock_attr(nlh, 1, DYNCAST_A_SERVICE, 0)), 3);
}

static void test_service_forwarder(void **state)
{
	static const uint8_t key[DYNCAST_KEY_LEN] = {
		0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
		0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
		0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
		0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
	};
	struct mock *m = *state;
	const struct nlmsghdr *nlh = mock_req(m);

	assert_int_equal(mock_run(m, "service add 192.0.2.1 proto tcp port 80 mode forward router 192.0.2.9 key-file " DC_TEST_DIR "/key.hex"), 0);
	check_header(nlh, DYNCAST_CMD_SERVICE_NEW, ACK);
	assert_int_equal(u8_at(SVC(DYNCAST_A_SERVICE_MODE)), DYNCAST_MODE_FORWARD);
	check_in4(SVC(DYNCAST_A_SERVICE_ROUTER4), "192.0.2.9");
	assert_memory_equal(mnl_attr_get_payload(check_len(SVC(DYNCAST_A_SERVICE_KEY),
							   DYNCAST_KEY_LEN)),
			    key, DYNCAST_KEY_LEN);
	assert_int_equal(nest_len(mock_attr(nlh, 1, DYNCAST_A_SERVICE, 0)), 6);

	/* a new key alone, on an IPv6 service */
	assert_int_equal(mock_run(m, "service set 2001:db8::1 proto udp key 00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF"), 0);
	check_header(nlh, DYNCAST_CMD_SERVICE_SET, ACK);
	assert_memory_equal(mnl_attr_get_payload(check_len(SVC(DYNCAST_A_SERVICE_KEY),
							   DYNCAST_KEY_LEN)),
			    key, DYNCAST_KEY_LEN);
	assert_null(SVC(DYNCAST_A_SERVICE_ROUTER6));
	assert_int_equal(nest_len(mock_attr(nlh, 1, DYNCAST_A_SERVICE, 0)), 3);

	/* the same key in base64, as dyncastd --genkey prints keys */
	assert_int_equal(mock_run(m, "service set 2001:db8::1 proto udp key ABEiM0RVZneImaq7zN3u/wARIjNEVWZ3iJmqu8zd7v8="), 0);
	assert_memory_equal(mnl_attr_get_payload(check_len(SVC(DYNCAST_A_SERVICE_KEY),
							   DYNCAST_KEY_LEN)),
			    key, DYNCAST_KEY_LEN);

	assert_int_equal(mock_run(m, "service add 2001:db8::1 proto udp mode forward router 2001:db8::9 key-file " DC_TEST_DIR "/key.hex"), 0);
	check_in6(SVC(DYNCAST_A_SERVICE_ROUTER6), "2001:db8::9");
}

static void test_service_show(void **state)
{
	struct mock *m = *state;
	const struct nlmsghdr *nlh = mock_req(m);

	assert_int_equal(mock_run(m, "service show"), 0);
	check_header(nlh, DYNCAST_CMD_SERVICE_GET, REQ | NLM_F_DUMP);
	assert_int_equal(nlh->nlmsg_len, NLMSG_HDRLEN + GENL_HDRLEN);

	/* one service: a plain get */
	assert_int_equal(mock_run(m, "service show 192.0.2.1 proto tcp port 80"), 0);
	check_header(nlh, DYNCAST_CMD_SERVICE_GET, ACK);
	check_in4(SVC(DYNCAST_A_SERVICE_ADDR4), "192.0.2.1");
	assert_int_equal(be16_at(SVC(DYNCAST_A_SERVICE_PORT)), 80);
}

static void test_instance_add(void **state)
{
	struct mock *m = *state;
	const struct nlmsghdr *nlh = mock_req(m);

	assert_int_equal(mock_run(m, "instance add 192.0.2.1 proto tcp port 80 bid 10.0.0.1 bid-port 8080 weight 5 state drain cpu 37.5 gpu 0.1 sessions 4 queue 2 capacity 100 cost 250 site 7"), 0);
	check_header(nlh, DYNCAST_CMD_INSTANCE_NEW, ACK);
	/* the service nest holds the key only */
	assert_int_equal(nest_len(mock_attr(nlh, 1, DYNCAST_A_SERVICE, 0)), 3);
	assert_int_equal(mock_count(nlh, DYNCAST_A_INSTANCE), 1);
	check_in4(INST(0, DYNCAST_A_INSTANCE_ADDR4), "10.0.0.1");
	assert_int_equal(be16_at(INST(0, DYNCAST_A_INSTANCE_PORT)), 8080);
	assert_int_equal(u32_at(INST(0, DYNCAST_A_INSTANCE_WEIGHT)), 5);
	assert_int_equal(u8_at(INST(0, DYNCAST_A_INSTANCE_STATE)),
			 DYNCAST_STATE_DRAIN);
	assert_int_equal(u32_at(INST(0, DYNCAST_A_INSTANCE_CPU)), 375);
	assert_int_equal(u32_at(INST(0, DYNCAST_A_INSTANCE_GPU)), 1);
	assert_int_equal(u32_at(INST(0, DYNCAST_A_INSTANCE_SESSIONS)), 4);
	assert_int_equal(u32_at(INST(0, DYNCAST_A_INSTANCE_QUEUE)), 2);
	assert_int_equal(u32_at(INST(0, DYNCAST_A_INSTANCE_CAPACITY)), 100);
	assert_int_equal(u32_at(INST(0, DYNCAST_A_INSTANCE_COST)), 250);
	assert_int_equal(u32_at(INST(0, DYNCAST_A_INSTANCE_SITE)), 7);
	assert_int_equal(nest_len(mock_attr(nlh, 1, DYNCAST_A_INSTANCE, 0)), 11);
}

/* the least-cost model of an instance, the service's demand-idle, slack */
static void test_instance_model(void **state)
{
	struct mock *m = *state;
	const struct nlmsghdr *nlh = mock_req(m);

	assert_int_equal(mock_run(m, "instance set 192.0.2.1 proto tcp bid 10.0.0.1 service-time 50000 load 80.5 inflight-adjust -2.25"), 0);
	check_header(nlh, DYNCAST_CMD_INSTANCE_SET, ACK);
	assert_int_equal(u32_at(INST(0, DYNCAST_A_INSTANCE_SERVICE_TIME)), 50000);
	assert_int_equal(u32_at(INST(0, DYNCAST_A_INSTANCE_LOAD)), 805);
	assert_int_equal((int32_t)u32_at(INST(0, DYNCAST_A_INSTANCE_INFLIGHT_ADJUST)),
			 -2250);
	assert_int_equal(nest_len(mock_attr(nlh, 1, DYNCAST_A_INSTANCE, 0)), 4);

	assert_int_equal(mock_run(m, "service set 192.0.2.1 proto tcp demand-idle 500"), 0);
	check_header(nlh, DYNCAST_CMD_SERVICE_SET, ACK);
	assert_int_equal(u32_at(SVC(DYNCAST_A_SERVICE_DEMAND_IDLE)), 500);

	assert_int_equal(mock_run(m, "service set 192.0.2.1 proto tcp slack 4"), 0);
	check_header(nlh, DYNCAST_CMD_SERVICE_SET, ACK);
	assert_int_equal(u32_at(SVC(DYNCAST_A_SERVICE_SLACK)), 4);

	assert_int_equal(mock_run(m, "service set 192.0.2.1 proto tcp counters on"), 0);
	assert_int_equal(u8_at(SVC(DYNCAST_A_SERVICE_COUNTERS)), 1);
	assert_int_equal(mock_run(m, "service set 192.0.2.1 proto tcp counters off"), 0);
	assert_int_equal(u8_at(SVC(DYNCAST_A_SERVICE_COUNTERS)), 0);
}

static void test_instance_several(void **state)
{
	struct mock *m = *state;
	const struct nlmsghdr *nlh = mock_req(m);

	/* settings before the first bid belong to it */
	assert_int_equal(mock_run(m, "instance set 2001:db8::1 proto udp weight 3 bid 2001:db8::10 cpu 100 bid 2001:db8::11 state down"), 0);
	check_header(nlh, DYNCAST_CMD_INSTANCE_SET, ACK);
	check_in6(SVC(DYNCAST_A_SERVICE_ADDR6), "2001:db8::1");
	assert_int_equal(mock_count(nlh, DYNCAST_A_INSTANCE), 2);
	check_in6(INST(0, DYNCAST_A_INSTANCE_ADDR6), "2001:db8::10");
	assert_int_equal(u32_at(INST(0, DYNCAST_A_INSTANCE_WEIGHT)), 3);
	assert_int_equal(u32_at(INST(0, DYNCAST_A_INSTANCE_CPU)), 1000);
	assert_int_equal(nest_len(mock_attr(nlh, 1, DYNCAST_A_INSTANCE, 0)), 3);
	check_in6(INST(1, DYNCAST_A_INSTANCE_ADDR6), "2001:db8::11");
	assert_int_equal(u8_at(INST(1, DYNCAST_A_INSTANCE_STATE)),
			 DYNCAST_STATE_DOWN);
	assert_int_equal(nest_len(mock_attr(nlh, 1, DYNCAST_A_INSTANCE, 1)), 2);

	assert_int_equal(mock_run(m, "instance del 192.0.2.1 proto tcp bid 10.0.0.1 bid 10.0.0.2"), 0);
	check_header(nlh, DYNCAST_CMD_INSTANCE_DEL, ACK);
	assert_int_equal(mock_count(nlh, DYNCAST_A_INSTANCE), 2);
	check_in4(INST(1, DYNCAST_A_INSTANCE_ADDR4), "10.0.0.2");
	assert_int_equal(nest_len(mock_attr(nlh, 1, DYNCAST_A_INSTANCE, 0)), 1);
}

static void test_instance_show(void **state)
{
	struct mock *m = *state;
	const struct nlmsghdr *nlh = mock_req(m);

	assert_int_equal(mock_run(m, "instance show"), 0);
	check_header(nlh, DYNCAST_CMD_INSTANCE_GET, REQ | NLM_F_DUMP);
	assert_int_equal(nlh->nlmsg_len, NLMSG_HDRLEN + GENL_HDRLEN);

	/* dump filtered by service */
	assert_int_equal(mock_run(m, "instance show 192.0.2.1 proto tcp"), 0);
	check_header(nlh, DYNCAST_CMD_INSTANCE_GET, REQ | NLM_F_DUMP);
	check_in4(SVC(DYNCAST_A_SERVICE_ADDR4), "192.0.2.1");
	assert_int_equal(mock_count(nlh, DYNCAST_A_INSTANCE), 0);

	/* one instance: a plain get */
	assert_int_equal(mock_run(m, "instance show 192.0.2.1 proto tcp bid 10.0.0.9"), 0);
	check_header(nlh, DYNCAST_CMD_INSTANCE_GET, ACK);
	check_in4(INST(0, DYNCAST_A_INSTANCE_ADDR4), "10.0.0.9");
}

static void test_binding(void **state)
{
	struct mock *m = *state;
	const struct nlmsghdr *nlh = mock_req(m);

	assert_int_equal(mock_run(m, "binding show"), 0);
	check_header(nlh, DYNCAST_CMD_BINDING_GET, REQ | NLM_F_DUMP);
	assert_int_equal(nlh->nlmsg_len, NLMSG_HDRLEN + GENL_HDRLEN);

	assert_int_equal(mock_run(m, "binding show 2001:db8::1 proto udp port 53"), 0);
	check_header(nlh, DYNCAST_CMD_BINDING_GET, REQ | NLM_F_DUMP);
	check_in6(SVC(DYNCAST_A_SERVICE_ADDR6), "2001:db8::1");
	assert_int_equal(be16_at(SVC(DYNCAST_A_SERVICE_PORT)), 53);

	/* both ports are always sent: 0 unless given */
	assert_int_equal(mock_run(m, "binding del 192.0.2.1 proto tcp port 80 src 198.51.100.7 sport 40000"), 0);
	check_header(nlh, DYNCAST_CMD_BINDING_DEL, ACK);
	check_in4(SVC(DYNCAST_A_SERVICE_ADDR4), "192.0.2.1");
	check_in4(BIND(DYNCAST_A_BINDING_SRC4), "198.51.100.7");
	assert_int_equal(be16_at(BIND(DYNCAST_A_BINDING_SPORT)), 40000);
	assert_int_equal(be16_at(BIND(DYNCAST_A_BINDING_DPORT)), 0);
	assert_int_equal(nest_len(mock_attr(nlh, 1, DYNCAST_A_BINDING, 0)), 3);

	assert_int_equal(mock_run(m, "binding del 2001:db8::1 proto udp src 2001:db8::7 dport 53"), 0);
	check_in6(BIND(DYNCAST_A_BINDING_SRC6), "2001:db8::7");
	assert_int_equal(be16_at(BIND(DYNCAST_A_BINDING_SPORT)), 0);
	assert_int_equal(be16_at(BIND(DYNCAST_A_BINDING_DPORT)), 53);

	assert_int_equal(mock_run(m, "binding flush"), 0);
	check_header(nlh, DYNCAST_CMD_BINDING_FLUSH, ACK);
	assert_int_equal(nlh->nlmsg_len, NLMSG_HDRLEN + GENL_HDRLEN);

	assert_int_equal(mock_run(m, "binding flush 192.0.2.1 proto tcp"), 0);
	check_header(nlh, DYNCAST_CMD_BINDING_FLUSH, ACK);
	assert_int_equal(nest_len(mock_attr(nlh, 1, DYNCAST_A_SERVICE, 0)), 2);
	assert_int_equal(mock_count(nlh, DYNCAST_A_BINDING), 0);
}

static void test_stats(void **state)
{
	struct mock *m = *state;
	const struct nlmsghdr *nlh = mock_req(m);

	assert_int_equal(mock_run(m, "stats"), 0);
	check_header(nlh, DYNCAST_CMD_STATS_GET, ACK);
	assert_int_equal(nlh->nlmsg_len, NLMSG_HDRLEN + GENL_HDRLEN);
}

/* The builders on their own, without dc_main() or a transport. */
static void test_builders(void **state)
{
	struct mock *m = *state;
	char *argv[] = { "192.0.2.1", "proto", "tcp", "timeout", "5" };
	static struct dc_instance_req ireq;
	char buf[DC_NL_REQ_SIZE];
	struct dc_service svc;
	struct nlmsghdr *nlh;
	unsigned int i;

	assert_int_equal(dc_service_parse(&m->ctx, DYNCAST_CMD_SERVICE_SET,
					  5, argv, &svc), 0);
	nlh = dc_service_build(buf, DYNCAST_CMD_SERVICE_SET, &svc);
	assert_non_null(nlh);
	assert_int_equal(nlh->nlmsg_type, 0);	/* set by the transport */
	assert_int_equal(nlh->nlmsg_flags, ACK);
	assert_int_equal(u32_at(SVC(DYNCAST_A_SERVICE_TIMEOUT)), 5);

	/* a command that is not a service command builds nothing */
	assert_null(dc_service_build(buf, DYNCAST_CMD_INSTANCE_NEW, &svc));
	assert_null(dc_service_build(buf, DYNCAST_CMD_MAX + 1, &svc));

	/* the largest instance request fits the request buffer */
	memset(&ireq, 0, sizeof(ireq));
	assert_int_equal(dc_parse_addr("2001:db8::1", &ireq.svc.sid), 0);
	ireq.svc.vals.present = 1u << DYNCAST_A_SERVICE_PROTO |
				1u << DYNCAST_A_SERVICE_PORT;
	ireq.svc.vals.val[DYNCAST_A_SERVICE_PROTO] = IPPROTO_TCP;
	ireq.svc.vals.val[DYNCAST_A_SERVICE_PORT] = 443;
	ireq.n = DC_INSTANCES_MAX;
	for (i = 0; i < ireq.n; i++) {
		assert_int_equal(dc_parse_addr("2001:db8::ffff:ffff", &ireq.inst[i].bid), 0);
		ireq.inst[i].vals.present = ~0u;
	}
	nlh = dc_instance_build(buf, DYNCAST_CMD_INSTANCE_NEW, &ireq);
	assert_non_null(nlh);
	assert_int_equal(mock_count(nlh, DYNCAST_A_INSTANCE), DC_INSTANCES_MAX);
	assert_int_equal(nest_len(mock_attr(nlh, 1, DYNCAST_A_INSTANCE, 31)), 14);
	assert_null(dc_instance_build(buf, DYNCAST_CMD_SERVICE_NEW, &ireq));

	nlh = dc_stats_build(buf);
	assert_int_equal(genl(nlh)->cmd, DYNCAST_CMD_STATS_GET);
}

/* Nothing of the stack reaches the kernel: attribute padding is zero. */
static void test_padding(void **state)
{
	struct mock *m = *state;
	char *argv[] = { "192.0.2.1", "proto", "tcp", "mode", "tunnel" };
	char buf[DC_NL_REQ_SIZE];
	const struct nlattr *a;
	struct dc_service svc;
	struct nlmsghdr *nlh;
	const uint8_t *pad;

	assert_int_equal(dc_service_parse(&m->ctx, DYNCAST_CMD_SERVICE_NEW,
					  5, argv, &svc), 0);
	memset(buf, 0xa5, sizeof(buf));
	nlh = dc_service_build(buf, DYNCAST_CMD_SERVICE_NEW, &svc);
	assert_non_null(nlh);
	mnl_attr_for_each_nested(a, mock_attr(nlh, 1, DYNCAST_A_SERVICE, 0)) {
		if (mnl_attr_get_type(a) != DYNCAST_A_SERVICE_PROTO &&
		    mnl_attr_get_type(a) != DYNCAST_A_SERVICE_MODE)
			continue;
		pad = (const uint8_t *)a + a->nla_len;
		assert_int_equal(pad[0] | pad[1] | pad[2], 0);
	}
}

#define T(f)	cmocka_unit_test_setup_teardown(f, mock_setup, mock_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_service_add),
		T(test_service_add_ipv6),
		T(test_replace),
		T(test_service_set_del),
		T(test_service_forwarder),
		T(test_service_show),
		T(test_instance_add),
		T(test_instance_model),
		T(test_instance_several),
		T(test_instance_show),
		T(test_binding),
		T(test_stats),
		T(test_builders),
		T(test_padding),
	};

	return cmocka_run_group_tests_name("dyncast CLI: request encoding",
					   tests, NULL, NULL);
}

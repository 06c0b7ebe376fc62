// SPDX-License-Identifier: GPL-2.0
/*
 * The BGP transport's codec: records to ExaBGP's commands, ExaBGP's JSON
 * back to records (both ways, through the text ExaBGP would turn one into
 * the other), and routes that are not valid instances ignored and counted.
 * Then the transport itself (bgp.c) with a speaker on its socket: which
 * paths the router learns and withdraws, against a stand-in for the
 * router's table.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "dyncastd.h"

static const struct dd_bgp_codec codec = {
	.asn = 64512, .link_bandwidth = true,
};

static struct dd_record record4(void)
{
	struct dd_record r = {};

	dc_parse_addr("203.0.113.1", &r.key.svc.sid);
	r.key.svc.proto = IPPROTO_TCP;
	r.key.svc.port = 80;
	dc_parse_addr("198.19.3.31", &r.key.bid);
	r.state = DD_STATE_UP;
	r.present = 1u << DD_M_WEIGHT | 1u << DD_M_CPU | 1u << DD_M_SESSIONS |
		    1u << DD_M_QUEUE | 1u << DD_M_CAPACITY | 1u << DD_M_SITE |
		    1u << DD_M_SERVICE_TIME;
	r.m[DD_M_WEIGHT] = 2;
	r.m[DD_M_CPU] = 415;
	r.m[DD_M_SESSIONS] = 37;
	r.m[DD_M_QUEUE] = 3;
	r.m[DD_M_CAPACITY] = 4;
	r.m[DD_M_SITE] = 3;
	r.m[DD_M_SERVICE_TIME] = 50000;
	return r;
}

static void announce_ipv4(void **state)
{
	struct dd_record r = record4();
	struct dd_bgp_probe probe = { .port = 4960 };
	char buf[DD_BGP_CMD_MAX];
	int n;

	(void)state;
	dc_parse_addr("198.18.13.2", &probe.addr);
	n = dd_bgp_announce_cmd(&codec, &r, 7, 0x0a000003, &probe, buf,
				sizeof(buf));
	assert_int_equal(n, strlen(buf));
	assert_string_equal(buf,
		"announce route 203.0.113.1/32 next-hop 198.19.3.31 path-information 0.0.0.7"
		" large-community [ 64512:1:393296 64512:2:167772163 64512:3:0"
		" 64512:4:2 64512:5:415 64512:7:37 64512:8:3 64512:9:4"
		" 64512:11:3 64512:12:50000 64512:14:4960 64512:15:3323071746 ]"
		" extended-community [ 0x4004fc0048f42400 ]\n");
	/* too small a buffer: an error, never a cut command */
	assert_int_equal(dd_bgp_announce_cmd(&codec, &r, 7, 1, &probe, buf, 64),
			 -ENOSPC);
}

static void withdraw_cmd(void **state)
{
	struct dd_record r = record4();
	char buf[DD_BGP_CMD_MAX];

	(void)state;
	assert_true(dd_bgp_withdraw_cmd(&r.key, 0x01020304, buf,
					sizeof(buf)) > 0);
	assert_string_equal(buf,
		"withdraw route 203.0.113.1/32 next-hop 198.19.3.31 path-information 1.2.3.4\n");
}

/* RFC 8092's float: 4 slots of 1 Mbit/s, 2-octet AS (AS_TRANS above) */
static void link_bandwidth(void **state)
{
	(void)state;
	assert_true(dd_bgp_link_bandwidth(64512, 4) == 0x4004fc0048f42400ull);
	assert_true(dd_bgp_link_bandwidth(4200000000u, 0) ==
		    0x40045ba000000000ull);
	assert_true(dd_bgp_link_bandwidth(1, 1) == 0x4004000147f42400ull);
}

/*
 * What ExaBGP writes when it receives the route of @cmd (as an "announce
 * route ..." command) from @peer: its large communities as [g, l1, l2].
 */
static char *json_of(const char *cmd, const char *peer)
{
	char prefix[64], hop[64], pid[32], lcs[2048] = "";
	const char *lc = strstr(cmd, "large-community [ ");
	char *out = malloc(8192);
	size_t n = 0;

	assert_non_null(out);
	assert_int_equal(sscanf(cmd, "announce route %63s next-hop %63s path-information %31s",
				prefix, hop, pid), 3);
	assert_non_null(lc);
	for (lc += 18; *lc != ']';) {
		unsigned int g, a, b;
		int used;

		assert_int_equal(sscanf(lc, "%u:%u:%u %n", &g, &a, &b, &used), 3);
		n += snprintf(lcs + n, sizeof(lcs) - n, "%s[ %u, %u , %u ]",
			      n ? ", " : "", g, a, b);
		lc += used;
	}
	snprintf(out, 8192,
		 "{ \"exabgp\": \"4.0.1\", \"time\": 1764950000.1, \"host\" : \"dr1\", "
		 "\"pid\" : 42, \"ppid\" : 1, \"counter\": 3, \"type\": \"update\", "
		 "\"neighbor\": { \"address\": { \"local\": \"198.18.11.1\", \"peer\": \"%s\" }, "
		 "\"asn\": { \"local\": 64512, \"peer\": 64512 } , \"direction\": \"receive\", "
		 "\"message\": { \"update\": { \"attribute\": { \"origin\": \"igp\", "
		 "\"local-preference\": 100, \"originator-id\": \"198.18.13.2\", "
		 "\"cluster-list\": [ \"198.18.0.1\" ], \"large-community\": [ %s ], "
		 "\"extended-community\": [ { \"value\": 4612531575052247040, \"string\": \"bandwith:64512:500000\" } ] }, "
		 "\"announce\": { \"%s unicast\": { \"%s\": [ { \"nlri\": \"%s\", \"path-information\": \"%s\" } ] } } } } } }",
		 peer, lcs, strchr(prefix, ':') ? "ipv6" : "ipv4", hop, prefix,
		 pid);
	return out;
}

struct seen {
	unsigned int n;
	struct dd_bgp_path p[8];
};

static void collect(void *data, const struct dd_bgp_path *p)
{
	struct seen *s = data;

	assert_true(s->n < 8);
	s->p[s->n++] = *p;
}

static enum dd_bgp_event parse(const char *line, struct seen *s,
			       struct dd_bgp_counts *cnt)
{
	struct dc_addr peer;

	memset(s, 0, sizeof(*s));
	return dd_bgp_parse(&codec, line, &peer, collect, s, cnt);
}

static void round_trip(void **state)
{
	struct dd_record r = record4(), r6 = record4();
	struct dd_bgp_probe probe = { .port = 4961 };
	struct dd_bgp_counts cnt = {};
	char buf[DD_BGP_CMD_MAX], *json;
	struct dc_addr rr;
	struct seen s;

	(void)state;
	dc_parse_addr("198.18.0.1", &rr);
	dc_parse_addr("198.18.13.2", &probe.addr);
	assert_true(dd_bgp_announce_cmd(&codec, &r, 7, 0x0a000003, &probe,
					buf, sizeof(buf)) > 0);
	json = json_of(buf, "198.18.0.1");
	assert_int_equal(parse(json, &s, &cnt), DD_BGP_EV_UPDATE);
	free(json);
	assert_int_equal(s.n, 1);
	assert_true(s.p[0].valid && !s.p[0].withdrawn);
	assert_true(dd_addr_eq(&s.p[0].peer, &rr));
	assert_int_equal(s.p[0].path_id, 7);
	assert_int_equal(s.p[0].agent, 0x0a000003);
	assert_true(dd_inst_key_eq(&s.p[0].rec.key, &r.key));
	assert_int_equal(s.p[0].rec.present, r.present);
	assert_memory_equal(s.p[0].rec.m, r.m, sizeof(r.m));
	assert_int_equal(s.p[0].rec.state, DD_STATE_UP);
	assert_true(dd_addr_eq(&s.p[0].probe.addr, &probe.addr));
	assert_int_equal(s.p[0].probe.port, 4961);
	assert_int_equal(cnt.paths, 1);
	assert_int_equal(cnt.malformed, 0);

	/* IPv6, drained, a bid-port, the probe on IPv6, no optional metric */
	dc_parse_addr("2001:db8::1", &r6.key.svc.sid);
	dc_parse_addr("2001:db8:3::31", &r6.key.bid);
	r6.key.svc.proto = IPPROTO_UDP;
	r6.key.svc.port = 5353;
	r6.state = DD_STATE_DRAIN;
	r6.bid_port = 8053;
	r6.present = 1u << DD_M_GPU;
	memset(r6.m, 0, sizeof(r6.m));
	r6.m[DD_M_GPU] = 1000;
	dc_parse_addr("2001:db8:ff::13", &probe.addr);
	assert_true(dd_bgp_announce_cmd(&codec, &r6, 0xfffffffe, 1, &probe,
					buf, sizeof(buf)) > 0);
	/* capacity absent: no Link Bandwidth */
	assert_null(strstr(buf, "extended-community"));
	json = json_of(buf, "2001:db8::ff");
	assert_int_equal(parse(json, &s, &cnt), DD_BGP_EV_UPDATE);
	free(json);
	assert_int_equal(s.n, 1);
	assert_true(s.p[0].valid);
	assert_int_equal(s.p[0].path_id, 0xfffffffe);
	assert_true(dd_inst_key_eq(&s.p[0].rec.key, &r6.key));
	assert_int_equal(s.p[0].rec.bid_port, 8053);
	assert_int_equal(s.p[0].rec.state, DD_STATE_DRAIN);
	assert_int_equal(s.p[0].rec.present, 1u << DD_M_GPU);
	assert_int_equal(s.p[0].rec.m[DD_M_GPU], 1000);
	assert_true(dd_addr_eq(&s.p[0].probe.addr, &probe.addr));

	/* a next hop of 32 bytes: each prefix under both; one path */
	json = json_of(buf, "2001:db8::ff");
	assert_non_null(strstr(json, "\"2001:db8:3::31\": ["));
	{
		char *at = strstr(json, "\"2001:db8:3::31\": [");
		char *two = malloc(strlen(json) + 128);
		char *end = strstr(at, "] }");

		assert_non_null(two);
		assert_non_null(end);
		sprintf(two, "%.*s], \"fe80::1\": [%.*s%s", (int)(end - json),
			json, (int)(end - strchr(at, '[') - 1),
			strchr(at, '[') + 1, end);
		assert_int_equal(parse(two, &s, &cnt), DD_BGP_EV_UPDATE);
		free(two);
	}
	free(json);
	assert_int_equal(s.n, 1);
	assert_true(s.p[0].valid);
	assert_true(dd_inst_key_eq(&s.p[0].rec.key, &r6.key));
}

#define HEAD "{ \"exabgp\": \"4.0.1\", \"time\": 1.0, \"host\" : \"h\", \"pid\" : 1, " \
	     "\"ppid\" : 1, \"counter\": 9, \"type\": \"update\", \"neighbor\": { " \
	     "\"address\": { \"local\": \"198.18.11.1\", \"peer\": \"198.18.0.1\" }, " \
	     "\"asn\": { \"local\": 64512, \"peer\": 64512 } , \"direction\": \"receive\", " \
	     "\"message\": { \"update\": { "
#define TAIL " } } } }"
#define ANN_ID(id, lcs) HEAD "\"attribute\": { \"origin\": \"igp\", \"large-community\": [ " lcs " ] }, " \
	"\"announce\": { \"ipv4 unicast\": { \"198.19.3.31\": [ { \"nlri\": \"203.0.113.1/32\", " \
	"\"path-information\": \"0.0.0." id "\" } ] } }" TAIL
#define ANN(lcs) ANN_ID("7", lcs)
#define WDR(id) HEAD "\"withdraw\": { \"ipv4 unicast\": [ { \"nlri\": \"203.0.113.1/32\", " \
	"\"path-information\": \"0.0.0." id "\" } ] }" TAIL
#define GOOD "[ 64512, 1 , 393296 ], [ 64512, 2 , 9 ]"

static void withdrawals(void **state)
{
	struct dd_bgp_counts cnt = {};
	struct seen s;

	(void)state;
	assert_int_equal(parse(HEAD "\"withdraw\": { \"ipv4 unicast\": [ "
			       "{ \"nlri\": \"203.0.113.1/32\", \"path-information\": \"0.0.0.7\" }, "
			       "{ \"nlri\": \"203.0.113.2/32\", \"path-information\": \"0.0.0.8\" } ], "
			       "\"ipv6 unicast\": [ \"2001:db8::1/128\" ] }" TAIL,
			       &s, &cnt), DD_BGP_EV_UPDATE);
	assert_int_equal(s.n, 3);
	assert_true(s.p[0].withdrawn && s.p[1].withdrawn && s.p[2].withdrawn);
	assert_int_equal(s.p[1].path_id, 8);
	assert_int_equal(s.p[2].path_id, 0);
	assert_int_equal(s.p[2].prefix.family, AF_INET6);
	assert_int_equal(cnt.malformed, 0);
}

/* Out of range, twice given, missing: ignored (withdrawn) and counted. */
static void malformed(void **state)
{
	static const char *const bad[] = {
		"[ 64512, 1 , 393296 ], [ 64512, 2 , 9 ], [ 64512, 5 , 1001 ]",
		"[ 64512, 1 , 393296 ], [ 64512, 2 , 9 ], [ 64512, 6 , 4000 ]",
		"[ 64512, 1 , 393296 ], [ 64512, 2 , 9 ], [ 64512, 3 , 3 ]",
		"[ 64512, 1 , 393296 ], [ 64512, 2 , 9 ], [ 64512, 4 , 65536 ]",
		"[ 64512, 1 , 393296 ], [ 64512, 2 , 9 ], [ 64512, 12 , 10000001 ]",
		"[ 64512, 1 , 393296 ], [ 64512, 2 , 9 ], [ 64512, 13 , 65536 ]",
		"[ 64512, 1 , 393296 ], [ 64512, 2 , 9 ], [ 64512, 2 , 9 ]",
		"[ 64512, 1 , 393296 ], [ 64512, 1 , 393297 ], [ 64512, 2 , 9 ]",
		"[ 64512, 1 , 65616 ], [ 64512, 2 , 9 ]",	/* protocol 1 */
		"[ 64512, 2 , 9 ]",				/* no service */
		"[ 64512, 1 , 393296 ]",			/* no agent */
		"[ 64512, 1 , 393296 ], [ 64512, 2 , 9 ], [ 64512, 15 , 1 ]",
		"[ 64512, 1 , 393296 ], [ 64512, 2 , 9 ], [ 64512, 14 , 0 ]",
		"[ 64512, 1 , 393296 ], [ 64512, 2 , 9 ], [ 64512, 14 , 1 ], "
		"[ 64512, 16 , 1 ], [ 64512, 17 , 1 ]",
		"[ 64512, 1 , 393296 ], [ 64512, 2 , 9 ], [ 64512, 5 , -1 ]",
		"[ 64512, 1 , 393296 ], [ 64512, 2 , 9 ], [ 64512, 5 ]",
		"[ 64512, 1 , 393296 ], [ 64512, 2 , 9 ], [ 64512, 5 , \"1\" ]",
		"[ 64512, 1 , 393296 ], [ 64512, 2 , 9 ], 7",
		"[ 64512, 1 , 393296 ], [ 64512, 2 , 9 ], [ 64512, 5 , 1.5 ]",
		"[ 64512, 1 , 393296 ], [ 64512, 2 , 4294967296 ]",
	};
	struct dd_bgp_counts cnt = {};
	struct seen s;
	unsigned int i;

	(void)state;
	assert_int_equal(parse(ANN(GOOD), &s, &cnt), DD_BGP_EV_UPDATE);
	assert_int_equal(s.n, 1);
	assert_true(s.p[0].valid);
	for (i = 0; i < DC_ARRAY_SIZE(bad); i++) {
		char line[2048];

		snprintf(line, sizeof(line), ANN("%s"), bad[i]);
		memset(&cnt, 0, sizeof(cnt));
		assert_int_equal(parse(line, &s, &cnt), DD_BGP_EV_UPDATE);
		if (s.n != 1 || s.p[0].valid || !s.p[0].withdrawn ||
		    cnt.malformed != 1)
			fail_msg("accepted: %s", bad[i]);
		/* the path it replaces is still named, to be withdrawn */
		assert_int_equal(s.p[0].path_id, 7);
		assert_int_equal(s.p[0].prefix.family, AF_INET);
	}
	/* other operators' communities and kinds of a later version: fine */
	assert_int_equal(parse(ANN(GOOD ", [ 65000, 5 , 99999 ], [ 64512, 99 , 1 ]"),
			       &s, &cnt), DD_BGP_EV_UPDATE);
	assert_true(s.n == 1 && s.p[0].valid);
	assert_int_equal(s.p[0].rec.present, 0);
	/* extended communities beyond 2^63 (ExaBGP writes them unsigned) */
	assert_int_equal(parse(HEAD "\"attribute\": { \"large-community\": [ " GOOD " ], "
			       "\"extended-community\": [ { \"value\": 18446744073709551615, \"string\": \"\" } ] }, "
			       "\"announce\": { \"ipv4 unicast\": { \"198.19.3.31\": [ "
			       "{ \"nlri\": \"203.0.113.1/32\" } ] } }" TAIL, &s, &cnt),
			 DD_BGP_EV_UPDATE);
	assert_true(s.n == 1 && s.p[0].valid);
	/* not a host route: not an instance */
	memset(&cnt, 0, sizeof(cnt));
	assert_int_equal(parse(HEAD "\"attribute\": { \"large-community\": [ " GOOD " ] }, "
			       "\"announce\": { \"ipv4 unicast\": { \"198.19.3.31\": [ "
			       "{ \"nlri\": \"203.0.113.0/24\" } ] } }" TAIL, &s, &cnt),
			 DD_BGP_EV_UPDATE);
	assert_int_equal(s.n, 0);
	assert_int_equal(cnt.malformed, 1);
	/* no large communities at all: a plain route, ignored and counted */
	memset(&cnt, 0, sizeof(cnt));
	assert_int_equal(parse(HEAD "\"attribute\": { \"origin\": \"igp\" }, "
			       "\"announce\": { \"ipv4 unicast\": { \"198.19.3.31\": [ "
			       "{ \"nlri\": \"203.0.113.1/32\" } ] } }" TAIL, &s, &cnt),
			 DD_BGP_EV_UPDATE);
	assert_true(s.n == 1 && !s.p[0].valid && s.p[0].withdrawn);
	assert_int_equal(cnt.malformed, 1);
	/* a next hop that is not an address */
	memset(&cnt, 0, sizeof(cnt));
	assert_int_equal(parse(HEAD "\"attribute\": { \"large-community\": [ " GOOD " ] }, "
			       "\"announce\": { \"ipv4 unicast\": { \"null\": [ "
			       "{ \"nlri\": \"203.0.113.1/32\" } ] } }" TAIL, &s, &cnt),
			 DD_BGP_EV_UPDATE);
	assert_true(s.n == 1 && !s.p[0].valid);
	assert_int_equal(cnt.malformed, 1);
	/* no D-BID: 0.0.0.0 or :: is nobody's */
	memset(&cnt, 0, sizeof(cnt));
	assert_int_equal(parse(HEAD "\"attribute\": { \"large-community\": [ " GOOD " ] }, "
			       "\"announce\": { \"ipv4 unicast\": { \"0.0.0.0\": [ "
			       "{ \"nlri\": \"203.0.113.1/32\" } ] } }" TAIL, &s, &cnt),
			 DD_BGP_EV_UPDATE);
	assert_true(s.n == 1 && !s.p[0].valid);
	assert_int_equal(cnt.malformed, 1);
	/* what the kernel would refuse: treated as withdrawn, counted */
	for (i = 0; i < 3; i++) {
		static const char *const hop[] = { "2001:db8::1", "224.0.0.1",
						   "198.19.3.31" };
		static const char *const nlri[] = { "203.0.113.1/32",
						    "203.0.113.1/32",
						    "239.1.2.3/32" };
		char line[2048];

		snprintf(line, sizeof(line),
			 HEAD "\"attribute\": { \"large-community\": [ " GOOD " ] }, "
			 "\"announce\": { \"ipv4 unicast\": { \"%s\": [ "
			 "{ \"nlri\": \"%s\" } ] } }" TAIL, hop[i], nlri[i]);
		memset(&cnt, 0, sizeof(cnt));
		assert_int_equal(parse(line, &s, &cnt), DD_BGP_EV_UPDATE);
		if (s.n != 1 || s.p[0].valid || !s.p[0].withdrawn ||
		    cnt.malformed != 1)
			fail_msg("accepted: %s via %s", nlri[i], hop[i]);
	}
	/* families other than unicast are not ours */
	assert_int_equal(parse(HEAD "\"attribute\": { \"large-community\": [ " GOOD " ] }, "
			       "\"announce\": { \"ipv4 flow\": { \"no-nexthop\": [ "
			       "{ \"destination-ipv4\": [ \"10.0.0.1/32\" ] } ] } }" TAIL, &s, &cnt),
			 DD_BGP_EV_UPDATE);
	assert_int_equal(s.n, 0);
}

static void events(void **state)
{
	struct dd_bgp_counts cnt = {};
	struct dc_addr peer, want;
	struct seen s;

	(void)state;
	dc_parse_addr("198.18.0.1", &want);
	assert_int_equal(dd_bgp_parse(&codec,
		"{ \"exabgp\": \"4.0.1\", \"time\": 1.0, \"host\" : \"h\", \"pid\" : 1, \"ppid\" : 1, "
		"\"counter\": 1, \"type\": \"state\", \"neighbor\": { \"address\": { "
		"\"local\": \"198.18.11.1\", \"peer\": \"198.18.0.1\" }, \"asn\": { "
		"\"local\": 64512, \"peer\": 64512 } , \"state\": \"down\", \"reason\": "
		"\"peer reset, message [closing connection] error[the TCP connection was closed by the remote end]\" } }",
		&peer, collect, &s, &cnt), DD_BGP_EV_DOWN);
	assert_true(dd_addr_eq(&peer, &want));
	assert_int_equal(dd_bgp_parse(&codec,
		"{ \"exabgp\": \"4.0.1\", \"time\": 1.0, \"host\" : \"h\", \"pid\" : 1, \"ppid\" : 1, "
		"\"counter\": 2, \"type\": \"state\", \"neighbor\": { \"address\": { "
		"\"local\": \"198.18.11.1\", \"peer\": \"198.18.0.1\" }, \"asn\": { "
		"\"local\": 64512, \"peer\": 64512 } , \"state\": \"up\" } }",
		&peer, collect, &s, &cnt), DD_BGP_EV_UP);
	assert_int_equal(parse(HEAD "\"update\": {}" TAIL, &s, &cnt),
			 DD_BGP_EV_UPDATE);
	assert_int_equal(parse("{ \"exabgp\": \"4.0.1\", \"type\": \"update\", \"neighbor\": { "
			       "\"address\": { \"local\": \"198.18.11.1\", \"peer\": \"198.18.0.1\" }, "
			       "\"direction\": \"receive\", \"message\": { \"eor\": { \"afi\" : \"ipv4\", "
			       "\"safi\" : \"unicast\" } } } }", &s, &cnt), DD_BGP_EV_NONE);
	assert_int_equal(parse("{ \"exabgp\": \"4.0.1\", \"type\": \"keepalive\" }", &s, &cnt),
			 DD_BGP_EV_NONE);
	assert_int_equal(parse("done", &s, &cnt), DD_BGP_EV_ACK);
	assert_int_equal(parse("error", &s, &cnt), DD_BGP_EV_ERROR);
	assert_int_equal(parse("{ \"type\": \"update\" ", &s, &cnt), DD_BGP_EV_BAD);
	assert_int_equal(parse("{ \"type\": \"state\", \"neighbor\": { \"address\": { \"peer\": \"x\" } } }",
			       &s, &cnt), DD_BGP_EV_BAD);
	assert_int_equal(parse("hello", &s, &cnt), DD_BGP_EV_BAD);
	assert_int_equal(parse("", &s, &cnt), DD_BGP_EV_BAD);
	/* what ExaBGP sent (were it configured to say): not learnt */
	assert_int_equal(parse("{ \"type\": \"update\", \"neighbor\": { \"address\": { "
			       "\"local\": \"198.18.11.1\", \"peer\": \"198.18.0.1\" }, "
			       "\"direction\": \"send\", \"message\": { \"update\": {} } } }",
			       &s, &cnt), DD_BGP_EV_NONE);
}

/* --- the transport: paths the router learns ------------------------------ */

static uint64_t now_ms = 1000000;

uint64_t dd_now_ms(void)
{
	return now_ms;
}

/* the router's table, as far as BGP reaches it: who gave the instance */
static unsigned int learnt, withdrawn;
static uint32_t learnt_from;		/* 0: not learnt */

int dd_router_bgp(struct dd_ctx *ctx, const struct dd_record *r,
		  uint32_t agent, const struct dd_bgp_probe *probe,
		  uint64_t seq, bool again)
{
	(void)ctx, (void)r, (void)probe, (void)seq, (void)again;
	learnt++;
	learnt_from = agent;
	return 0;
}

void dd_router_bgp_withdraw(struct dd_ctx *ctx, const struct dd_inst_key *k,
			    uint32_t agent, uint64_t seq)
{
	(void)ctx, (void)k, (void)seq;
	assert_int_equal(agent, learnt_from);
	withdrawn++;
	learnt_from = 0;
}

void dd_show_put(struct dd_show_out *so, struct json_t *o)
{
	(void)so, (void)o;
}

const char *dd_unix_strerror(int err)
{
	return strerror(-err);
}

static struct sockaddr_un bgp_sun;
static socklen_t bgp_sun_len;

/* the socket bgp.c asks for, abstract so that nothing is left behind */
int dd_unix_bind(const char *path, int type, mode_t mode, gid_t gid)
{
	int fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	(void)mode, (void)gid;
	assert_true(fd >= 0);
	assert_int_equal(path[0], '@');
	memset(&bgp_sun, 0, sizeof(bgp_sun));
	bgp_sun.sun_family = AF_UNIX;
	memcpy(bgp_sun.sun_path + 1, path + 1, strlen(path) - 1);
	bgp_sun_len = offsetof(struct sockaddr_un, sun_path) + strlen(path);
	assert_int_equal(bind(fd, (struct sockaddr *)&bgp_sun, bgp_sun_len), 0);
	return fd;
}

#define OWN_ID	9			/* GOOD's agent */

struct rib {
	struct dd_config cfg;
	struct dd_ctx ctx;
	int speaker;
};

static int rib_setup(void **state)
{
	struct dd_config old;
	struct rib *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	t->cfg.router = true;
	t->cfg.bgp = true;
	snprintf(t->cfg.bgp_socket, sizeof(t->cfg.bgp_socket),
		 "@dyncastd-test-bgp-%d", (int)getpid());
	t->cfg.bgp_gid = UINT32_MAX;
	t->cfg.bgp_asn = 64512;
	t->cfg.hold_ms = 30000;
	t->cfg.max_instances = 64;
	old = t->cfg;
	old.bgp = false;
	t->ctx.cfg = &t->cfg;
	t->ctx.id = OWN_ID;
	assert_int_equal(dd_loop_init(&t->ctx.loop), 0);
	assert_int_equal(dd_bgp_apply(&t->ctx, &old), 0);
	assert_non_null(t->ctx.bgp);
	t->speaker = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(t->speaker >= 0);
	assert_int_equal(connect(t->speaker, (struct sockaddr *)&bgp_sun,
				 bgp_sun_len), 0);
	assert_int_equal(dd_loop_once(&t->ctx.loop, now_ms), 0);
	learnt = withdrawn = 0;
	learnt_from = 0;
	*state = t;
	return 0;
}

static int rib_teardown(void **state)
{
	struct rib *t = *state;

	dd_bgp_exit(&t->ctx);
	assert_null(t->ctx.bgp);
	close(t->speaker);
	dd_loop_exit(&t->ctx.loop);
	free(t);
	return 0;
}

/* ExaBGP writes @line; the daemon reads it */
static void speak(struct rib *t, const char *line)
{
	assert_int_equal(write(t->speaker, line, strlen(line)),
			 (ssize_t)strlen(line));
	assert_int_equal(write(t->speaker, "\n", 1), 1);
	assert_int_equal(dd_loop_once(&t->ctx.loop, now_ms), 0);
}

#define OTHER "[ 64512, 1 , 393296 ], [ 64512, 2 , 5 ]"
#define OTHER6 "[ 64512, 1 , 393296 ], [ 64512, 2 , 6 ]"

/* a path learnt from agent 5, then the same path carries our own instance */
static void path_becomes_ours(void **state)
{
	struct rib *t = *state;

	speak(t, ANN(OTHER));
	assert_int_equal(learnt_from, 5);
	speak(t, ANN(GOOD));
	assert_int_equal(withdrawn, 1);
	assert_int_equal(learnt_from, 0);
	assert_int_equal(t->ctx.cnt.c[DD_C_LOOPS], 1);
	/* and back: learnt again */
	speak(t, ANN(OTHER));
	assert_int_equal(learnt_from, 5);
	speak(t, WDR("7"));
	assert_int_equal(withdrawn, 2);
}

/* of two paths to an instance, the one left is ours: the instance goes */
static void last_path_ours(void **state)
{
	struct rib *t = *state;

	speak(t, ANN_ID("7", OTHER));
	speak(t, ANN_ID("8", GOOD));
	assert_int_equal(learnt_from, 5);
	assert_int_equal(t->ctx.cnt.c[DD_C_LOOPS], 1);
	speak(t, WDR("7"));
	assert_int_equal(withdrawn, 1);
	assert_int_equal(learnt_from, 0);
	/* another agent's path left: it takes over */
	speak(t, ANN_ID("7", OTHER));
	speak(t, ANN_ID("9", OTHER6));
	assert_int_equal(learnt_from, 6);
	speak(t, ANN_ID("7", OTHER));
	assert_int_equal(learnt_from, 5);
	learnt = 0;
	speak(t, WDR("7"));
	assert_int_equal(withdrawn, 1);
	assert_int_equal(learnt, 1);
	assert_int_equal(learnt_from, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(announce_ipv4),
		cmocka_unit_test(withdraw_cmd),
		cmocka_unit_test(link_bandwidth),
		cmocka_unit_test(round_trip),
		cmocka_unit_test(withdrawals),
		cmocka_unit_test(malformed),
		cmocka_unit_test(events),
		cmocka_unit_test_setup_teardown(path_becomes_ours, rib_setup,
						rib_teardown),
		cmocka_unit_test_setup_teardown(last_path_ours, rib_setup,
						rib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The configuration file: the example parses; defaults; every error names
 * the file, the line, the section and the key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/dyncast.h>
#include <cmocka.h>

#include "config.h"

#define KEY "key = lmKv2p0fOqO7BFMSYhPHhZF4Cg8n7m+f+8o9oI6cCNE=\n"

static char errbuf[1024];

static struct dd_config *parse(const char *text)
{
	FILE *err = fmemopen(errbuf, sizeof(errbuf), "w");
	struct dd_config *cfg;

	assert_non_null(err);
	memset(errbuf, 0, sizeof(errbuf));
	cfg = dd_config_parse_string(text, "t.conf", err);
	fclose(err);
	return cfg;
}

static void fails(const char *text, const char *msg)
{
	struct dd_config *cfg = parse(text);

	if (cfg) {
		dd_config_free(cfg);
		fail_msg("accepted, expected \"%s\"", msg);
	}
	if (!strstr(errbuf, msg))
		fail_msg("expected \"%s\", got \"%s\"", msg, errbuf);
}

static void example(void **state)
{
	FILE *err = fmemopen(errbuf, sizeof(errbuf), "w");
	struct dd_config *cfg;

	(void)state;
	cfg = dd_config_load(DD_TEST_DIR "/../dyncastd.conf.example", err);
	fclose(err);
	assert_non_null(cfg);
	assert_int_equal(cfg->id, 0x0a000002);
	assert_true(cfg->router);
	assert_int_equal(cfg->n_peers, 1);
	assert_int_equal(cfg->peers[0].port, 4960);
	assert_int_equal(cfg->n_services, 2);
	assert_int_equal(cfg->services[0].val[DYNCAST_A_SERVICE_POLICY],
			 DYNCAST_POLICY_LEAST_COST);
	assert_int_equal(cfg->services[1].val[DYNCAST_A_SERVICE_AFFINITY],
			 DYNCAST_AFFINITY_2TUPLE);
	assert_int_equal(cfg->n_instances, 2);
	assert_string_equal(cfg->instances[0].name, "bid21");
	assert_int_equal(cfg->instances[0].health, DD_HEALTH_HTTP);
	assert_int_equal(cfg->instances[0].site, 2);
	assert_int_equal(cfg->instances[1].key.svc.port, 8080);
	assert_int_equal(cfg->hold_ms, 15000);
	assert_int_equal(cfg->policy.threshold_load, 100);
	dd_config_free(cfg);
}

static void defaults(void **state)
{
	struct dd_config *cfg;

	(void)state;
	cfg = parse("[agent]\n" KEY "interval = 2s\n[router]\n");
	assert_non_null(cfg);
	assert_false(cfg->has_id);
	assert_int_equal(cfg->port, 4960);
	assert_int_equal(cfg->listen.family, AF_INET6);
	assert_true(cfg->router);		/* an empty [router] is enough */
	assert_true(cfg->relay);
	assert_int_equal(cfg->hold_ms, 6000);	/* 3 intervals */
	assert_int_equal(cfg->report_ttl_ms, 6000);
	assert_string_equal(cfg->control, "/run/dyncastd.sock");
	assert_int_equal(cfg->probe_ms, 500);
	dd_config_free(cfg);

	cfg = parse("[agent]\n" KEY "listen = 192.0.2.1\n"
		    "[peer a]\nendpoint = [2001:db8::1]:5000\n"
		    "[instance x]\nsid = 192.0.2.9\nproto = udp\nbid = 192.0.2.10\n"
		    "service-time = 40000\n");
	assert_non_null(cfg);
	assert_int_equal(cfg->listen.family, AF_INET);
	assert_int_equal(cfg->peers[0].port, 5000);
	assert_int_equal(cfg->peers[0].addr.family, AF_INET6);
	assert_false(cfg->router);
	assert_int_equal(cfg->instances[0].weight, 1);
	assert_int_equal(cfg->instances[0].service_time, 40000);
	assert_int_equal(cfg->instances[0].health, DD_HEALTH_OFF);
	assert_int_equal(cfg->instances[0].health_rise, 2);
	assert_int_equal(cfg->instances[0].health_fall, 3);
	dd_config_free(cfg);

	/* a least-cost service plans unless told not to; others do not */
	cfg = parse("[agent]\n" KEY "[router]\n"
		    "[service a]\nsid = 192.0.2.1\nproto = tcp\npolicy = least-cost\n"
		    "[service b]\nsid = 192.0.2.2\nproto = tcp\npolicy = least-cost\nplan = no\n"
		    "[service c]\nsid = 192.0.2.3\nproto = tcp\n"
		    "[service d]\nsid = 192.0.2.4\nproto = tcp\npolicy = weighted\nplan = yes\n"
		    "[service e]\nsid = 192.0.2.5\nproto = tcp\npolicy = weighted\n");
	assert_non_null(cfg);
	assert_true(cfg->services[0].plan);
	assert_false(cfg->services[1].plan);
	assert_false(cfg->services[2].plan);
	assert_true(cfg->services[3].plan);
	assert_false(cfg->services[4].plan);
	dd_config_free(cfg);
}

static void errors(void **state)
{
	(void)state;
	fails("[agent]\n" KEY "interval = 5 s\n",
	      "t.conf:3: [agent] interval: must be a duration");
	fails("[agent]\n" KEY "\n[instance web]\nsid = 192.0.2.1\nproto = sctp\n",
	      "t.conf:6: [instance web] proto: must be tcp or udp, got \"sctp\"");
	fails("[agent]\n" KEY "colour = blue\n", "t.conf:3: [agent] colour: unknown key");
	fails("[agent]\n" KEY "site = 1\nsite = 2\n",
	      "t.conf:4: [agent] site: given more than once");
	fails("[agent]\n" KEY "[agent]\n", "t.conf:3: section [agent] is given twice");
	fails("[agnet]\n" KEY, "t.conf:1: unknown section [agnet]");
	fails("[peer]\n", "t.conf:1: section [peer] needs a NAME");
	fails("[router x]\n", "t.conf:1: section [router] takes no name");
	fails("[agent]\n" KEY "[peer a]\nendpoint = 1.2.3.4\n[peer a]\n",
	      "t.conf:5: section [peer a] is given twice");
	fails("id = 1\n", "t.conf:1: key \"id\" outside of any section");
	fails("[agent]\nid = 0\n", "t.conf:2: [agent] id: must not be 0");
	fails("[agent]\nkey = c2hvcnQ=\n", "t.conf:2: [agent] key: must be 32 bytes in base64");
	fails("[agent]\n", "t.conf: [agent] key or key-file is required");
	fails("[agent]\n" KEY "interval = 10s\nhold-time = 5s\n",
	      "hold-time (5000ms) must be longer than interval (10000ms)");
	fails("[agent]\n" KEY "[peer a]\n", "t.conf:3: [peer a] endpoint is required");
	fails("[agent]\n" KEY "[peer a]\nendpoint = 1.2.3.4:0\n",
	      "t.conf:4: [peer a] endpoint: must be ADDRESS");
	fails("[agent]\n" KEY "[instance i]\nsid = 192.0.2.1\nproto = tcp\n",
	      "t.conf:3: [instance i] bid is required");
	fails("[agent]\n" KEY "[instance i]\nservice-time = 10000001\n",
	      "t.conf:4: [instance i] service-time: must be an integer between 0 and 10000000, got \"10000001\"");
	fails("[agent]\n" KEY "[instance i]\nsid = 192.0.2.1\nproto = tcp\nbid = 2001:db8::1\n",
	      "[instance i] bid must be of the family of sid");
	fails("[agent]\n" KEY "[instance i]\nsid = 192.0.2.1\nproto = tcp\nbid = 192.0.2.2\nhealth = tcp\n",
	      "[instance i] health-port is required");
	fails("[agent]\n" KEY "[instance i]\nsid = 192.0.2.1\nproto = tcp\nbid = 192.0.2.2\nhealth = icmp\n",
	      "t.conf:7: [instance i] health: must be one of off, tcp, http, got \"icmp\"");
	fails("[agent]\n" KEY "[service s]\nsid = 192.0.2.1\nproto = tcp\n",
	      "[service] sections need a [router] section");
	fails("[agent]\n" KEY "[router]\n[service s]\nsid = 192.0.2.1\nproto = tcp\nsrc-prefix = 33\n",
	      "[service s] src-prefix is longer than the address");
	fails("[agent]\n" KEY "[router]\n[service s]\nsid = 192.0.2.1\nproto = tcp\npolicy = fastest\n",
	      "t.conf:7: [service s] policy: unknown value \"fastest\"");
	fails("[agent]\n" KEY "[router]\n[service s]\nsid = 192.0.2.1\nproto = tcp\ntimeout = 0\n",
	      "t.conf:7: [service s] timeout: must be an integer between 1 and 86400");
	fails("[agent]\n" KEY "junk\n", "t.conf:3: syntax error");
}

static void long_line(void **state)
{
	char text[600];

	(void)state;
	snprintf(text, sizeof(text), "[agent]\n" KEY "control = /%0400d\n", 0);
	fails(text, "t.conf:3: line longer than");
}

static void key_file(void **state)
{
	char text[256];
	FILE *fp = fopen("/tmp/dyncastd-test.key", "w");
	struct dd_config *cfg;

	(void)state;
	assert_non_null(fp);
	fputs("lmKv2p0fOqO7BFMSYhPHhZF4Cg8n7m+f+8o9oI6cCNE=\n", fp);
	fclose(fp);
	snprintf(text, sizeof(text), "[agent]\nkey-file = /tmp/dyncastd-test.key\n");
	cfg = parse(text);
	assert_non_null(cfg);
	assert_int_equal(cfg->key[0], 0x96);
	dd_config_free(cfg);
	fails("[agent]\nkey-file = /nonexistent/key\n",
	      "t.conf:2: [agent] key-file: cannot open \"/nonexistent/key\"");
	remove("/tmp/dyncastd-test.key");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(example),
		cmocka_unit_test(defaults),
		cmocka_unit_test(errors),
		cmocka_unit_test(long_line),
		cmocka_unit_test(key_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

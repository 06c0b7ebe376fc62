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
#include <unistd.h>
#include <sys/stat.h>
#include <linux/dyncast.h>
#include <cmocka.h>

#include "config.h"

#define KEY "key = lmKv2p0fOqO7BFMSYhPHhZF4Cg8n7m+f+8o9oI6cCNE=\n"

static char errbuf[1024];

static char *printed(const struct dd_config *cfg);
static void reads_back(const char *one);

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

/*
 * The example names a key file that a test does not have, and holds no key
 * of its own: it is read with that line replaced by an inline key.
 */
static struct dd_config *example_load(void)
{
	static const char kf[] = "key-file = /etc/dyncast/agent.key\n";
	char text[8192], *at;
	struct dd_config *cfg;
	size_t n;
	FILE *fp;

	fp = fopen(DD_TEST_DIR "/../dyncastd.conf.example", "r");
	assert_non_null(fp);
	n = fread(text, 1, sizeof(text) - sizeof(KEY), fp);
	fclose(fp);
	assert_true(n < sizeof(text) - sizeof(KEY));
	text[n] = '\0';
	assert_null(strstr(text, "\nkey ="));
	at = strstr(text, kf);
	assert_non_null(at);
	memmove(at + strlen(KEY), at + strlen(kf), strlen(at + strlen(kf)) + 1);
	memcpy(at, KEY, strlen(KEY));
	cfg = parse(text);
	if (!cfg)
		fail_msg("the example: %s", errbuf);
	return cfg;
}

static void example(void **state)
{
	struct dd_config *cfg;

	(void)state;
	cfg = example_load();
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
	char *one;

	(void)state;
	/*
	 * hold-time: three intervals, but no more than receivers take (an
	 * announcement with a longer one is dropped as malformed)
	 */
	cfg = parse("[agent]\n" KEY "interval = 30m\n");
	assert_non_null(cfg);
	assert_int_equal(cfg->hold_ms, DD_HOLD_MAX_MS);
	one = printed(cfg);
	assert_non_null(strstr(one, "\nhold-time = 3600000ms\n"));
	reads_back(one);
	free(one);
	dd_config_free(cfg);

	cfg = parse("[agent]\n" KEY "interval = 2s\n[router]\n");
	assert_non_null(cfg);
	assert_false(cfg->has_id);
	assert_int_equal(cfg->port, 4960);
	assert_int_equal(cfg->listen.family, AF_INET6);
	assert_true(cfg->router);		/* an empty [router] is enough */
	assert_true(cfg->relay);
	assert_int_equal(cfg->hold_ms, 6000);	/* 3 intervals */
	assert_int_equal(cfg->report_ttl_ms, 6000);
	assert_string_equal(cfg->control, "/run/dyncast/dyncastd.sock");
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
		    "[service e]\nsid = 192.0.2.5\nproto = tcp\npolicy = weighted\n"
		    "service-time-scv = 4\n"
		    "[service f]\nsid = 192.0.2.6\nproto = tcp\nservice-time-scv = 0\n");
	assert_non_null(cfg);
	assert_true(cfg->services[0].plan);
	assert_false(cfg->services[1].plan);
	assert_false(cfg->services[2].plan);
	assert_true(cfg->services[3].plan);
	assert_false(cfg->services[4].plan);
	/* service times exponential unless told */
	assert_int_equal(cfg->services[0].scv, 10);
	assert_int_equal(cfg->services[4].scv, 40);
	assert_int_equal(cfg->services[5].scv, 0);
	dd_config_free(cfg);
	fails("[agent]\n" KEY "[service a]\nsid = 192.0.2.1\nproto = tcp\n"
	      "service-time-scv = 100.5\n",
	      "t.conf:6: [service a] service-time-scv: must be a number between 0 and 100, in tenths at most, got \"100.5\"");
	fails("[agent]\n" KEY "[service a]\nsid = 192.0.2.1\nproto = tcp\n"
	      "service-time-scv = -1\n",
	      "service-time-scv: must be a number between 0 and 100");
}

/* a comment after a value; the report socket's mode and group */
static void comments_and_report(void **state)
{
	struct dd_config *cfg;

	(void)state;
	cfg = parse("[agent] # the agent\n" KEY
		    "interval = 2s # two seconds\n"
		    "site = 4\t; the fourth\n"
		    "report = /run/r.sock\n"
		    "  # a comment line, indented\n"
		    "report-mode = 0620\nreport-group = 4242\n");
	assert_non_null(cfg);
	assert_int_equal(cfg->policy.interval_ms, 2000);
	assert_int_equal(cfg->site, 4);
	assert_int_equal(cfg->report_mode, 0620);
	assert_true(cfg->has_report_gid);
	assert_int_equal(cfg->report_gid, 4242);
	dd_config_free(cfg);

	/* no blank before it: part of the value */
	fails("[agent]\n" KEY "site = 4#5\n", "t.conf:3: [agent] site:");
	cfg = parse("[agent]\n" KEY "report-group = root\n");
	assert_non_null(cfg);
	assert_int_equal(cfg->report_mode, 0660);
	assert_int_equal(cfg->report_gid, 0);
	dd_config_free(cfg);
	fails("[agent]\n" KEY "report-group = no-such-group-here\n",
	      "t.conf:3: [agent] report-group: no group \"no-such-group-here\"");
	fails("[agent]\n" KEY "report-mode = 0800\n",
	      "t.conf:3: [agent] report-mode: must be an octal mode of at most 777");
	fails("[agent]\n" KEY "report-mode = 1777\n",
	      "t.conf:3: [agent] report-mode: must be an octal mode");
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
	/* 45 minutes, with the hold-time of 60 min it could always have */
	dd_config_free(parse("[agent]\n" KEY "interval = 45m\nhold-time = 60m\n"));
	assert_string_equal(errbuf, "");
	fails("[agent]\n" KEY "interval = 1h\n",
	      "t.conf:3: [agent] interval: must be a duration between 100ms and 3599000ms");
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
	/* what the kernel and every D-Router would refuse */
	fails("[agent]\n" KEY "[instance i]\nsid = 192.0.2.1\nproto = tcp\nbid = 224.0.0.1\n",
	      "[instance i] bid must be a unicast address");
	fails("[agent]\n" KEY "[instance i]\nsid = 0.0.0.0\nproto = tcp\nbid = 192.0.2.2\n",
	      "[instance i] sid must be a unicast address");
	fails("[agent]\n" KEY "[instance i]\nsid = ff02::1\nproto = tcp\nbid = 2001:db8::1\n",
	      "[instance i] sid must be a unicast address");
	fails("[agent]\n" KEY "[router]\n[service s]\nsid = 255.255.255.255\nproto = tcp\n",
	      "[service s] sid must be a unicast address");
	fails("[agent]\n" KEY "[instance i]\nsid = 192.0.2.1\nproto = udp\nbid = 192.0.2.2\nmeasure-service-time = yes\n",
	      "[instance i] measure-service-time needs a TCP service");
	fails("[agent]\n" KEY "[instance i]\nsid = 192.0.2.1\nproto = tcp\nbid = 192.0.2.2\nmeasure-service-time = maybe\n",
	      "t.conf:7: [instance i] measure-service-time: must be yes or no, got \"maybe\"");
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

	/* readable by others: taken, with a warning; 0600: no warning */
	assert_int_equal(chmod("/tmp/dyncastd-test.key", 0644), 0);
	cfg = parse(text);
	assert_non_null(cfg);
	dd_config_free(cfg);
	assert_non_null(strstr(errbuf, "dyncastd: warning: t.conf:2: [agent] key-file: \"/tmp/dyncastd-test.key\" is readable by others; chmod o-rwx it"));
	assert_int_equal(chmod("/tmp/dyncastd-test.key", 0600), 0);
	cfg = parse(text);
	assert_non_null(cfg);
	dd_config_free(cfg);
	assert_null(strstr(errbuf, "warning"));

	/* the CLI's format, hexadecimal, in the file and inline */
	fp = fopen("/tmp/dyncastd-test.key", "w");
	assert_non_null(fp);
	fputs("96a2afda9d1f3aa3bb0453126213c78591780a0f27ee67e7fbca3da08e8e08d1\n", fp);
	fclose(fp);
	cfg = parse(text);
	assert_non_null(cfg);
	assert_int_equal(cfg->key[0], 0x96);
	assert_int_equal(cfg->key[31], 0xd1);
	dd_config_free(cfg);
	cfg = parse("[agent]\nkey = 96a2afda9d1f3aa3bb0453126213c78591780a0f27ee67e7fbca3da08e8e08d1\n");
	assert_non_null(cfg);
	assert_int_equal(cfg->key[1], 0xa2);
	dd_config_free(cfg);
	fails("[agent]\nkey = 96a2\n",
	      "t.conf:2: [agent] key: must be 32 bytes in base64 (dyncastd --genkey makes one) or 64 hexadecimal digits");
	remove("/tmp/dyncastd-test.key");
}

/* printed with -T, whose output reads back to the same configuration */
static char *printed(const struct dd_config *cfg)
{
	char *text = NULL, *body;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	assert_non_null(fp);
	dd_config_print(cfg, fp);
	fclose(fp);
	/* without its first line, which names the file */
	body = strdup(strchr(text, '\n') + 1);
	free(text);
	return body;
}

/* @one, with the key put back, reads back to a configuration that prints
 * the same
 */
static void reads_back(const char *one)
{
	const char *agent = strstr(one, "[agent]\n");
	struct dd_config *again;
	char *text, *two;

	assert_non_null(agent);
	text = malloc(strlen(one) + sizeof(KEY));
	assert_non_null(text);
	sprintf(text, "%.*s[agent]\n" KEY "%s", (int)(agent - one), one,
		agent + strlen("[agent]\n"));
	again = parse(text);
	if (!again)
		fail_msg("the printed configuration does not parse: %s", errbuf);
	two = printed(again);
	assert_string_equal(one, two);
	free(two);
	free(text);
	dd_config_free(again);
}

/* A relative key-file is the configuration's directory's, whatever the cwd. */
static void key_file_relative(void **state)
{
	char dir[] = "/tmp/test_config.XXXXXX", path[64], cwd[4096];
	FILE *err = fmemopen(errbuf, sizeof(errbuf), "w");
	struct dd_config *cfg;
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/agent.key", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", fp);
	fclose(fp);
	chmod(path, 0600);
	snprintf(path, sizeof(path), "%s/a.conf", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("[agent]\nkey-file = agent.key\n", fp);
	fclose(fp);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir("/"), 0);
	cfg = dd_config_load(path, err);
	assert_int_equal(chdir(cwd), 0);
	fclose(err);
	if (!cfg)
		fail_msg("%s", errbuf);
	assert_int_equal(cfg->key[31], 31);
	snprintf(path, sizeof(path), "%s/agent.key", dir);
	assert_string_equal(cfg->key_file, path);
	dd_config_free(cfg);
	unlink(path);
	snprintf(path, sizeof(path), "%s/a.conf", dir);
	unlink(path);
	rmdir(dir);
}

/* next-key and next-key-file: the key accepted too during a key change */
static void next_key(void **state)
{
	struct dd_config *cfg;
	char *one;
	FILE *fp;

	(void)state;
	cfg = parse("[agent]\n" KEY);
	assert_non_null(cfg);
	assert_false(cfg->has_next_key);
	dd_config_free(cfg);

	cfg = parse("[agent]\n" KEY "next-key = " "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n");
	assert_non_null(cfg);
	assert_true(cfg->has_next_key);
	assert_int_equal(cfg->next_key[0], 0);
	assert_int_equal(cfg->next_key[31], 31);
	assert_int_equal(cfg->key[0], 0x96);
	one = printed(cfg);
	assert_non_null(strstr(one, "# key: given, not shown\n# next-key: given, not shown\n"));
	assert_null(strstr(one, "AAECAwQF"));
	free(one);
	dd_config_free(cfg);

	fp = fopen("/tmp/dyncastd-test-next.key", "w");
	assert_non_null(fp);
	fputs("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", fp);
	fclose(fp);
	assert_int_equal(chmod("/tmp/dyncastd-test-next.key", 0600), 0);
	cfg = parse("[agent]\n" KEY "next-key-file = /tmp/dyncastd-test-next.key\n");
	assert_non_null(cfg);
	assert_true(cfg->has_next_key);
	assert_int_equal(cfg->next_key[31], 31);
	one = printed(cfg);
	assert_non_null(strstr(one, "next-key-file = /tmp/dyncastd-test-next.key\n"));
	free(one);
	dd_config_free(cfg);

	fails("[agent]\n" KEY "next-key = AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
	      "next-key-file = /tmp/dyncastd-test-next.key\n",
	      "t.conf:4: [agent] next-key-file: only one of next-key and next-key-file may be given");
	fails("[agent]\n" KEY "next-key = short\n",
	      "t.conf:3: [agent] next-key: must be 32 bytes in base64");
	/* a next key alone is not a key */
	fails("[agent]\nnext-key-file = /tmp/dyncastd-test-next.key\n",
	      "t.conf: [agent] key or key-file is required");
	unlink("/tmp/dyncastd-test-next.key");
}

/* A forwarder service: its D-Router and its key; the errors of each. */
static void forwarder(void **state)
{
#define FSVC "[agent]\n" KEY "[router]\n[service f]\nsid = 203.0.113.1\nproto = tcp\nport = 80\n"
#define FKEY "key = 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
	struct dd_config *cfg;
	char *one;
	FILE *fp;

	(void)state;
	fp = fopen("/tmp/dyncastd-test-fwd.key", "w");
	assert_non_null(fp);
	fputs("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", fp);
	fclose(fp);
	assert_int_equal(chmod("/tmp/dyncastd-test-fwd.key", 0600), 0);
	cfg = parse(FSVC "mode = forward\nrouter = 10.1.0.1\n" FKEY "key-id = 3\n");
	if (!cfg)
		fail_msg("%s", errbuf);
	assert_true(dd_service_forward(&cfg->services[0]));
	assert_false(cfg->services[0].plan);
	assert_int_equal(cfg->services[0].router.family, AF_INET);
	assert_true(cfg->services[0].has_fwd_key);
	assert_int_equal(cfg->services[0].fwd_key[31], 31);
	assert_int_equal(cfg->services[0].val[DYNCAST_A_SERVICE_KEY_ID], 3);
	one = printed(cfg);
	assert_non_null(strstr(one, "\nmode = forward\n"));
	assert_non_null(strstr(one, "\nrouter = 10.1.0.1\n"));
	assert_non_null(strstr(one, "\n# key: given, not shown\nkey-id = 3\n"));
	assert_null(strstr(one, "000102"));
	free(one);
	dd_config_free(cfg);

	/* least-cost on a forwarder: no plan, and -T reads back */
	cfg = parse(FSVC "mode = forward\nrouter = 10.1.0.1\npolicy = least-cost\n"
		    "key-file = /tmp/dyncastd-test-fwd.key\n");
	if (!cfg)
		fail_msg("%s", errbuf);
	assert_false(cfg->services[0].plan);
	one = printed(cfg);
	assert_non_null(strstr(one, "\nplan = no\n"));
	reads_back(one);
	free(one);
	dd_config_free(cfg);

	/* a D-Router's service with the key its forwarders' keys come from */
	cfg = parse(FSVC "policy = least-cost\n" FKEY);
	assert_non_null(cfg);
	assert_false(dd_service_forward(&cfg->services[0]));
	assert_true(cfg->services[0].has_fwd_key);
	assert_true(cfg->services[0].plan);
	dd_config_free(cfg);

	fails(FSVC "mode = forward\n" FKEY, "t.conf:4: [service f] mode forward needs router");
	fails(FSVC "mode = forward\nrouter = 10.1.0.1\n",
	      "[service f] mode forward needs key or key-file");
	fails(FSVC "mode = forward\nrouter = 2001:db8::1\n" FKEY,
	      "[service f] router is not of the family of sid");
	fails(FSVC "mode = forward\nrouter = 224.0.0.5\n" FKEY,
	      "[service f] router must be a unicast address");
	fails(FSVC "mode = forward\nrouter = 10.1.0.1\nplan = yes\n" FKEY,
	      "[service f] a forwarder service has no plan");
	fails(FSVC "router = 10.1.0.1\n", "[service f] router is for mode forward");
	fails(FSVC "key-id = 1\n", "[service f] key-id and key-overlap go with key or key-file");
	fails(FSVC FKEY "key-file = /nonexistent\n",
	      "t.conf:9: [service f] key-file: only one of key and key-file may be given");
	fails(FSVC "key = short\n", "t.conf:8: [service f] key: must be 32 bytes");
	unlink("/tmp/dyncastd-test-fwd.key");
#undef FSVC
#undef FKEY
}

static void print_effective(void **state)
{
	struct dd_config *cfg;
	char *one;

	(void)state;
	cfg = example_load();
	one = printed(cfg);
	/* defaults and derived values are in it, the key is not */
	assert_non_null(strstr(one, "\n[agent]\nid = 10.0.0.2\nlisten = [::]:4960\n# key: given, not shown\n"));
	assert_non_null(strstr(one, "hold-time = 15000ms\n"));
	assert_non_null(strstr(one, "probe-interval = 500ms\n"));
	assert_non_null(strstr(one, "\n[service api]\nsid = 203.0.113.2\nproto = tcp\nport = 8080\nkeep = no\nplan = yes\nservice-time-scv = 1.0\naffinity = 2tuple\npolicy = least-cost\n"));
	assert_null(strstr(one, "lmKv2p0f"));

	reads_back(one);
	free(one);
	dd_config_free(cfg);

	/* IPv6, a peer, a command, a group, a port that stands for another */
	cfg = parse("[agent]\n" KEY "id = 7\nlisten = [2001:db8::2]:5000\n"
		    "report = @r\nreport-group = 0\n"
		    "[peer a]\nendpoint = [2001:db8::1]:4960\n"
		    "[instance x]\nsid = 2001:db8::9\nproto = udp\nport = 53\n"
		    "bid = 2001:db8::10\nhealth = tcp\ncommand = echo gpu 1\n"
		    "cgroup = /sys/fs/cgroup/x\n"
		    "[router]\n[service s]\nsid = 2001:db8::9\nproto = udp\n"
		    "port = 53\nmode = tunnel\nsrc-prefix = 64\nplan = yes\n");
	assert_non_null(cfg);
	one = printed(cfg);
	assert_non_null(strstr(one, "id = 0.0.0.7\nlisten = [2001:db8::2]:5000\n"));
	assert_non_null(strstr(one, "report = @r\nreport-group = 0\nreport-mode = 0660\n"));
	assert_non_null(strstr(one, "[peer a]\nendpoint = [2001:db8::1]:4960\n"));
	assert_non_null(strstr(one, "command = echo gpu 1\n"));
	assert_null(strstr(one, "health-port"));	/* 0: the service's */
	assert_non_null(strstr(one, "mode = tunnel\nsrc-prefix = 64\n"));
	reads_back(one);
	free(one);
	dd_config_free(cfg);
}

/* [bgp]: defaults, what it prints, and what it refuses */
static void bgp(void **state)
{
	struct dd_config *cfg;
	char *one;

	(void)state;
	cfg = parse("[agent]\n" KEY "listen = 198.18.13.1:4961\n"
		    "[bgp]\nasn = 4200000000\n"
		    "[instance x]\nsid = 203.0.113.1\nproto = tcp\nport = 80\n"
		    "bid = 198.19.3.31\n");
	assert_non_null(cfg);
	assert_true(cfg->bgp);
	assert_int_equal(cfg->bgp_asn, 4200000000u);
	assert_true(cfg->bgp_link_bandwidth);
	assert_string_equal(cfg->bgp_socket, "/run/dyncast/bgp.sock");
	assert_int_equal(cfg->bgp_probe.family, 0);
	one = printed(cfg);
	assert_non_null(strstr(one, "\n[bgp]\nsocket = /run/dyncast/bgp.sock\n"
				    "asn = 4200000000\nlink-bandwidth = yes\n"));
	reads_back(one);
	free(one);
	dd_config_free(cfg);

	/* the probe's port is the listen port unless given */
	cfg = parse("[agent]\n" KEY "listen = [::]:4961\n[bgp]\nasn = 1\n"
		    "socket = @bgp\nsocket-group = 0\nlink-bandwidth = no\n"
		    "probe-address = 2001:db8::13\n[router]\n");
	assert_non_null(cfg);
	assert_int_equal(cfg->bgp_probe_port, 4961);
	assert_int_equal(cfg->bgp_gid, 0);
	one = printed(cfg);
	assert_non_null(strstr(one, "[bgp]\nsocket = @bgp\nsocket-group = 0\n"
				    "asn = 1\nlink-bandwidth = no\n"
				    "probe-address = [2001:db8::13]:4961\n"));
	reads_back(one);
	free(one);
	dd_config_free(cfg);

	fails("[agent]\n" KEY "[bgp]\nsocket = @b\n", "t.conf: [bgp] asn is required");
	fails("[agent]\n" KEY "[bgp]\nasn = 0\n", "t.conf:4: [bgp] asn:");
	fails("[agent]\n" KEY "[bgp]\nasn = 1\n[bgp]\nasn = 2\n",
	      "t.conf:5: section [bgp] is given twice");
	fails("[agent]\n" KEY "[bgp]\nasn = 1\nprobe-address = 0.0.0.0\n",
	      "t.conf:5: [bgp] probe-address: must be ADDRESS");
	fails("[agent]\n" KEY "[bgp]\nasn = 1\nsocket = bgp.sock\n",
	      "t.conf:5: [bgp] socket: must be an absolute path");
	fails("[agent]\n" KEY "[bgp]\nasn = 1\nmetadata = 42\n",
	      "t.conf:5: [bgp] metadata: unknown key");
	fails("[agent]\n" KEY "[bgp]\nasn = 1\n[peer p]\nendpoint = 192.0.2.1\n",
	      "t.conf:5: [peer p]: with [bgp], announcements ride BGP");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(example),
		cmocka_unit_test(defaults),
		cmocka_unit_test(comments_and_report),
		cmocka_unit_test(errors),
		cmocka_unit_test(long_line),
		cmocka_unit_test(key_file),
		cmocka_unit_test(next_key),
		cmocka_unit_test(key_file_relative),
		cmocka_unit_test(forwarder),
		cmocka_unit_test(print_effective),
		cmocka_unit_test(bgp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

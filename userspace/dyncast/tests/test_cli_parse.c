// SPDX-License-Identifier: GPL-2.0
/*
 * Argument parsing: the value parsers, and every rejection of a command
 * line, which must name its argument and never reach the kernel.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>

#include "mock.h"

static void test_parse_uint(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(dc_parse_uint("0", 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(dc_parse_uint("007", 10, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(dc_parse_uint("65535", 65535, &v), 0);
	assert_int_equal(v, 65535);
	assert_int_equal(dc_parse_uint("18446744073709551615", UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);

	assert_int_equal(dc_parse_uint("65536", 65535, &v), -1);
	assert_int_equal(dc_parse_uint("18446744073709551616", UINT64_MAX, &v), -1);
	assert_int_equal(dc_parse_uint("99999999999999999999999", UINT64_MAX, &v), -1);
	assert_int_equal(dc_parse_uint("7", 5, &v), -1);
	assert_int_equal(dc_parse_uint("", 10, &v), -1);
	assert_int_equal(dc_parse_uint("-1", 10, &v), -1);
	assert_int_equal(dc_parse_uint("+1", 10, &v), -1);
	assert_int_equal(dc_parse_uint(" 1", 10, &v), -1);
	assert_int_equal(dc_parse_uint("1 ", 10, &v), -1);
	assert_int_equal(dc_parse_uint("0x1", 10, &v), -1);
}

static void test_parse_tenths(void **state)
{
	static const struct {
		const char *s;
		int ret;
		uint32_t v;
	} cases[] = {
		{ "0", 0, 0 }, { "0.0", 0, 0 }, { "0.1", 0, 1 },
		{ "37.5", 0, 375 }, { "37", 0, 370 }, { "100", 0, 1000 },
		{ "100.0", 0, 1000 }, { "099.9", 0, 999 },
		{ "100.1", -1, 0 }, { "101", -1, 0 }, { "37.55", -1, 0 },
		{ ".5", -1, 0 }, { "5.", -1, 0 }, { "", -1, 0 }, { "x", -1, 0 },
		{ "-1", -1, 0 }, { "1e2", -1, 0 }, { "37,5", -1, 0 },
		{ "5%", -1, 0 }, { "99999999999999999999999", -1, 0 },
	};
	unsigned int i;
	uint32_t v;

	(void)state;
	for (i = 0; i < DC_ARRAY_SIZE(cases); i++) {
		v = 0;
		assert_int_equal(dc_parse_tenths(cases[i].s, 1000, &v),
				 cases[i].ret);
		assert_int_equal(v, cases[i].v);
	}
}

static void test_parse_milli(void **state)
{
	static const struct {
		const char *s;
		int ret;
		int32_t v;
	} cases[] = {
		{ "0", 0, 0 }, { "-0", 0, 0 }, { "1", 0, 1000 },
		{ "-2.5", 0, -2500 }, { "0.001", 0, 1 }, { "-0.125", 0, -125 },
		{ "1000", 0, 1000000 }, { "-1000", 0, -1000000 },
		{ "1000.001", -1, 0 }, { "0.0001", -1, 0 }, { ".5", -1, 0 },
		{ "5.", -1, 0 }, { "-", -1, 0 }, { "", -1, 0 }, { "--1", -1, 0 },
		{ "+1", -1, 0 }, { "1e2", -1, 0 }, { "1,5", -1, 0 },
		{ "99999999999999999999999", -1, 0 },
	};
	unsigned int i;
	int32_t v;

	(void)state;
	for (i = 0; i < DC_ARRAY_SIZE(cases); i++) {
		v = 0;
		assert_int_equal(dc_parse_milli(cases[i].s, 1000000, &v),
				 cases[i].ret);
		assert_int_equal(v, cases[i].v);
	}
}

static void test_parse_addr(void **state)
{
	struct dc_addr a;
	char buf[DC_ADDR_STRLEN];

	(void)state;
	assert_int_equal(dc_parse_addr("192.0.2.1", &a), 0);
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(a.u.in.s_addr, htonl(0xc0000201));
	assert_int_equal(dc_parse_addr("2001:db8::1", &a), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_string_equal(dc_addr_fmt(AF_INET6, &a.u, buf, sizeof(buf)),
			    "2001:db8::1");
	assert_int_equal(dc_parse_addr("::ffff:192.0.2.1", &a), 0);
	assert_int_equal(a.family, AF_INET6);

	assert_int_equal(dc_parse_addr("192.0.2", &a), -1);
	assert_int_equal(dc_parse_addr("192.0.2.256", &a), -1);
	assert_int_equal(dc_parse_addr("fe80::1%eth0", &a), -1);
	assert_int_equal(dc_parse_addr("192.0.2.0/24", &a), -1);
	assert_int_equal(dc_parse_addr("", &a), -1);
	assert_int_equal(dc_parse_addr("host.example", &a), -1);
}

static void test_parse_keyword(void **state)
{
	static const char *const names[] = { [1] = "b", [3] = "d" };

	(void)state;
	assert_int_equal(dc_parse_keyword("b", names, 4), 1);
	assert_int_equal(dc_parse_keyword("d", names, 4), 3);
	assert_int_equal(dc_parse_keyword("", names, 4), -1);
	assert_int_equal(dc_parse_keyword("B", names, 4), -1);
	/* exact words only: no prefixes */
	assert_int_equal(dc_parse_keyword("d ", names, 4), -1);
}

#define S4	"service add 192.0.2.1 proto tcp "
#define S6	"service add 2001:db8::1 proto udp "
#define I4	"instance add 192.0.2.1 proto tcp bid 10.0.0.1 "
#define ISET	"instance set 192.0.2.1 proto tcp bid 10.0.0.1 "
/*
 * A key in a file, with blanks around it: key.hex copied to a file only
 * its owner reads (a checkout's may be anyone's, and draw a warning), and
 * to one anyone reads
 */
#define KEYFILE		"/tmp/dyncast-test-cli-parse.key"
#define KEYFILE_OPEN	"/tmp/dyncast-test-cli-parse-open.key"

static int key_copy(const char *to, mode_t mode)
{
	char buf[256];
	FILE *in = fopen(DC_TEST_DIR "/key.hex", "r");
	size_t n = in ? fread(buf, 1, sizeof(buf), in) : 0;
	int fd, ret = -1;

	if (in)
		fclose(in);
	unlink(to);
	fd = open(to, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (n && fd >= 0 && write(fd, buf, n) == (ssize_t)n &&
	    !fchmod(fd, mode))
		ret = 0;
	if (fd >= 0)
		close(fd);
	return ret;
}

static int keys_setup(void **state)
{
	(void)state;
	return key_copy(KEYFILE, 0600) || key_copy(KEYFILE_OPEN, 0644);
}

static int keys_teardown(void **state)
{
	(void)state;
	unlink(KEYFILE);
	unlink(KEYFILE_OPEN);
	return 0;
}

static const struct {
	const char *cmdline;
	const char *err;
} bad[] = {
	/* the service key */
	{ "service add", "argument \"SID\" is required" },
	{ "service add 192.0.2.1", "argument \"proto\" is required" },
	{ "service add 192.0.2.1 port 80", "argument \"proto\" is required" },
	{ "service add foo proto tcp",
	  "argument \"SID\" must be an IPv4 or IPv6 address, got \"foo\"" },
	{ "service add proto tcp",
	  "argument \"SID\" must be an IPv4 or IPv6 address, got \"proto\"" },
	{ "service add 192.0.2.1 proto icmp",
	  "argument \"proto\" must be tcp or udp, got \"icmp\"" },
	{ "service add 192.0.2.1 proto TCP",
	  "argument \"proto\" must be tcp or udp, got \"TCP\"" },
	{ "service add 192.0.2.1 proto", "argument \"proto\" requires a value" },
	{ S4 "proto udp", "argument \"proto\" is given more than once" },
	{ S4 "port 65536",
	  "argument \"port\" must be an integer between 0 and 65535, got \"65536\"" },
	{ S4 "port -1",
	  "argument \"port\" must be an integer between 0 and 65535, got \"-1\"" },
	{ S4 "port http",
	  "argument \"port\" must be an integer between 0 and 65535, got \"http\"" },
	{ S4 "port", "argument \"port\" requires a value" },
	{ S4 "port 80 port 81", "argument \"port\" is given more than once" },

	/* service settings */
	{ S4 "mode nat",
	  "argument \"mode\" must be rewrite, tunnel or forward, got \"nat\"" },
	{ S4 "router 192.0.2.9", "argument \"router\" requires \"mode forward\"" },
	{ S4 "mode tunnel router 192.0.2.9",
	  "argument \"router\" requires \"mode forward\"" },
	{ S4 "mode forward router 2001:db8::9",
	  "argument \"router\" must be an IPv4 address like the service, got \"2001:db8::9\"" },
	{ S4 "mode forward router", "argument \"router\" requires a value" },
	{ S4 "mode forward router 192.0.2.9 router 192.0.2.8",
	  "argument \"router\" is given more than once" },
	{ S4 "key 00ff", "argument \"key\" must be a key: 64 hexadecimal digits, or 32 bytes in base64" },
	{ S4 "key ABEiM0RVZneImaq7zN3u/wARIjNEVWZ3iJmqu8zd7v8",
	  "argument \"key\" must be a key: 64 hexadecimal digits, or 32 bytes in base64" },
	{ S4 "key-id 1", "argument \"key-id\" requires \"key\" or \"key-file\"" },
	{ S4 "key-file " KEYFILE " key-id 256",
	  "argument \"key-id\" must be an integer between 0 and 255, got \"256\"" },
	{ S4 "key-overlap 86401",
	  "argument \"key-overlap\" must be an integer between 0 and 86400, got \"86401\"" },
	{ S4 "hash-seed 000102030405060708090a0b0c0d0e",
	  "argument \"hash-seed\" must be 32 hexadecimal digits" },
	{ S4 "hash-seed 000102030405060708090a0b0c0d0e0f hash-seed 000102030405060708090a0b0c0d0e0f",
	  "argument \"hash-seed\" is given more than once" },
	{ "derivekey", "derivekey: the forwarder's address is missing" },
	{ "derivekey 192.0.2.300", "argument \"ADDR\" must be an IPv4 or IPv6 address, got \"192.0.2.300\"" },
	{ "derivekey 192.0.2.9 key-file " KEYFILE " 7", "unknown argument \"7\"" },
	{ S4 "key 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1g",
	  "argument \"key\" must be a key: 64 hexadecimal digits, or 32 bytes in base64" },
	{ S4 "key 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f key-file /dev/null",
	  "argument \"key\" is given more than once" },
	{ S4 "key-file /dev/null",
	  "argument \"key-file\": \"/dev/null\" must hold a key: 64 hexadecimal digits, or 32 bytes in base64" },
	{ S4 "key-file /nonexistent/key",
	  "argument \"key-file\": cannot read \"/nonexistent/key\": No such file or directory" },
	{ "genkey 32", "unknown argument \"32\"" },
	{ S4 "mode", "argument \"mode\" requires a value" },
	{ S4 "affinity 4tuple",
	  "argument \"affinity\" must be 5tuple, 3tuple or 2tuple, got \"4tuple\"" },
	{ S4 "affinity 2tuple src-prefix 33",
	  "argument \"src-prefix\" must be an integer between 0 and 32, got \"33\"" },
	{ S6 "affinity 2tuple src-prefix 129",
	  "argument \"src-prefix\" must be an integer between 0 and 128, got \"129\"" },
	{ S4 "src-prefix 24", "argument \"src-prefix\" requires \"affinity\"" },
	{ S4 "timeout 0",
	  "argument \"timeout\" must be an integer between 1 and 86400, got \"0\"" },
	{ S4 "timeout 86401",
	  "argument \"timeout\" must be an integer between 1 and 86400, got \"86401\"" },
	{ S4 "timeout 1.5",
	  "argument \"timeout\" must be an integer between 1 and 86400, got \"1.5\"" },
	{ S4 "policy random",
	  "argument \"policy\" must be weighted, least-cost or hash, got \"random\"" },
	{ S4 "max-bindings -1",
	  "argument \"max-bindings\" must be an integer between 0 and 4294967295, got \"-1\"" },
	{ S4 "max-bindings 4294967296",
	  "argument \"max-bindings\" must be an integer between 0 and 4294967295, got \"4294967296\"" },
	{ S4 "slack 65537",
	  "argument \"slack\" must be an integer between 0 and 65536, got \"65537\"" },
	{ S4 "counters yes",
	  "argument \"counters\" must be off or on, got \"yes\"" },
	{ S4 "service-time 1ms",
	  "argument \"service-time\" must be an integer between 1 and 10000000, got \"1ms\"" },
	{ S4 "service-time 0",
	  "argument \"service-time\" must be an integer between 1 and 10000000, got \"0\"" },
	{ S4 "service-time 10000001",
	  "argument \"service-time\" must be an integer between 1 and 10000000, got \"10000001\"" },
	{ S4 "timeout 5 timeout 6", "argument \"timeout\" is given more than once" },
	{ S4 "foo 1", "unknown argument \"foo\"" },
	{ S4 "time 5", "unknown argument \"time\"" },
	{ S4 "weight 5", "unknown argument \"weight\"" },
	{ "service set 192.0.2.1 proto tcp port 80",
	  "\"service set\" needs at least one setting" },
	{ "service del 192.0.2.1 proto tcp timeout 5",
	  "unknown argument \"timeout\"" },
	{ "service show 192.0.2.1", "argument \"proto\" is required" },
	{ "service show 192.0.2.1 proto tcp mode tunnel",
	  "unknown argument \"mode\"" },
	{ "service frob", "unknown command \"frob\", try \"dyncast service help\"" },
	{ "service ad 192.0.2.1 proto tcp",
	  "unknown command \"ad\", try \"dyncast service help\"" },

	/* instances */
	{ "instance add 192.0.2.1 proto tcp", "argument \"bid\" is required" },
	{ "instance add 192.0.2.1 proto tcp weight 1", "argument \"bid\" is required" },
	{ "instance add 192.0.2.1 bid 10.0.0.1", "argument \"proto\" is required" },
	{ "instance add 192.0.2.1 proto tcp bid", "argument \"bid\" requires a value" },
	{ "instance add 192.0.2.1 proto tcp bid 2001:db8::1",
	  "argument \"bid\" must be an IPv4 address like the service, got \"2001:db8::1\"" },
	{ "instance add 2001:db8::1 proto tcp bid 10.0.0.1",
	  "argument \"bid\" must be an IPv6 address like the service, got \"10.0.0.1\"" },
	{ "instance add 192.0.2.1 proto tcp bid 10.0.0",
	  "argument \"bid\" must be an IPv4 or IPv6 address, got \"10.0.0\"" },
	{ I4 "weight 65536",
	  "argument \"weight\" must be an integer between 0 and 65535, got \"65536\"" },
	{ I4 "bid-port 70000",
	  "argument \"bid-port\" must be an integer between 0 and 65535, got \"70000\"" },
	{ I4 "cpu x",
	  "argument \"cpu\" must be a percentage between 0 and 100, got \"x\"" },
	{ I4 "cpu 100.5",
	  "argument \"cpu\" must be a percentage between 0 and 100, got \"100.5\"" },
	{ I4 "cpu 37.25",
	  "argument \"cpu\" must be a percentage between 0 and 100, got \"37.25\"" },
	{ I4 "gpu -1",
	  "argument \"gpu\" must be a percentage between 0 and 100, got \"-1\"" },
	{ I4 "load 101",
	  "argument \"load\" must be a percentage between 0 and 100, got \"101\"" },
	{ I4 "inflight-adjust 1.2345",
	  "argument \"inflight-adjust\" must be a number between -1000000 and 1000000 with at most 3 decimals, got \"1.2345\"" },
	{ I4 "inflight-adjust 1000001",
	  "argument \"inflight-adjust\" must be a number between -1000000 and 1000000 with at most 3 decimals, got \"1000001\"" },
	{ I4 "inflight-adjust --1",
	  "argument \"inflight-adjust\" must be a number between -1000000 and 1000000 with at most 3 decimals, got \"--1\"" },
	{ I4 "service-time 1e3",
	  "argument \"service-time\" must be an integer between 0 and 10000000, got \"1e3\"" },
	{ I4 "service-time 20000000",
	  "argument \"service-time\" must be an integer between 0 and 10000000, got \"20000000\"" },
	{ I4 "state sleeping",
	  "argument \"state\" must be up, drain or down, got \"sleeping\"" },
	{ I4 "sessions many",
	  "argument \"sessions\" must be an integer between 0 and 4294967295, got \"many\"" },
	{ I4 "queue 1e3",
	  "argument \"queue\" must be an integer between 0 and 4294967295, got \"1e3\"" },
	{ I4 "capacity -5",
	  "argument \"capacity\" must be an integer between 0 and 4294967295, got \"-5\"" },
	{ I4 "cost 2.5",
	  "argument \"cost\" must be an integer between 0 and 4294967295, got \"2.5\"" },
	{ I4 "site s1",
	  "argument \"site\" must be an integer between 0 and 4294967295, got \"s1\"" },
	{ I4 "weight 1 weight 2", "argument \"weight\" is given more than once" },
	{ I4 "weight", "argument \"weight\" requires a value" },
	{ I4 "mode tunnel", "unknown argument \"mode\"" },
	{ ISET, "no setting given for bid 10.0.0.1" },
	{ ISET "weight 1 bid 10.0.0.2", "no setting given for bid 10.0.0.2" },
	{ ISET "bid-port 80", "unknown argument \"bid-port\"" },
	{ "instance del 192.0.2.1 proto tcp bid 10.0.0.1 weight 1",
	  "unknown argument \"weight\"" },
	{ "instance del 192.0.2.1 proto tcp", "argument \"bid\" is required" },
	{ "instance show 192.0.2.1 proto tcp bid 10.0.0.1 bid 10.0.0.2",
	  "argument \"bid\" is given more than once" },
	{ "instance show 192.0.2.1 proto tcp weight 1", "unknown argument \"weight\"" },
	{ "instance show 192.0.2.1", "argument \"proto\" is required" },
	{ "instance frob", "unknown command \"frob\", try \"dyncast instance help\"" },

	/* bindings */
	{ "binding del 192.0.2.1 proto tcp", "argument \"src\" is required" },
	{ "binding del 192.0.2.1 proto tcp sport 1", "argument \"src\" is required" },
	{ "binding del 192.0.2.1 proto tcp src", "argument \"src\" requires a value" },
	{ "binding del 192.0.2.1 proto tcp src 2001:db8::7",
	  "argument \"src\" must be an IPv4 address like the service, got \"2001:db8::7\"" },
	{ "binding del 192.0.2.1 proto tcp src 198.51.100.7 src 198.51.100.8",
	  "argument \"src\" is given more than once" },
	{ "binding del 192.0.2.1 proto tcp src 198.51.100.7 sport 70000",
	  "argument \"sport\" must be an integer between 0 and 65535, got \"70000\"" },
	{ "binding del 192.0.2.1 proto tcp src 198.51.100.7 dport x",
	  "argument \"dport\" must be an integer between 0 and 65535, got \"x\"" },
	{ "binding del 192.0.2.1 proto tcp src 198.51.100.7 bid 10.0.0.1",
	  "unknown argument \"bid\"" },
	{ "binding flush 192.0.2.1 proto tcp src 198.51.100.7",
	  "unknown argument \"src\"" },
	{ "binding show 192.0.2.1 proto sctp",
	  "argument \"proto\" must be tcp or udp, got \"sctp\"" },
	{ "binding add", "unknown command \"add\", try \"dyncast binding help\"" },

	/* the rest */
	{ "stats foo", "unknown argument \"foo\"" },
	{ "stats show foo", "unknown argument \"foo\"" },
	{ "monitor foo", "unknown argument \"foo\"" },
	{ "frob", "unknown object \"frob\", try \"dyncast help\"" },
	{ "services", "unknown object \"services\", try \"dyncast help\"" },
	{ "-x stats", "unknown option \"-x\", try \"dyncast help\"" },
	{ "-js stats", "unknown option \"-js\", try \"dyncast help\"" },
	{ "-n", "option \"-n\" requires a value" },
	{ "-batch", "option \"-batch\" requires a value" },
	{ "-n ../x stats", "invalid network namespace name \"../x\"" },
	{ "-n a/b stats", "invalid network namespace name \"a/b\"" },
	{ "-n dyncast-test-no-such-ns stats",
	  "cannot open network namespace \"dyncast-test-no-such-ns\": No such file or directory" },
	{ "-batch /nonexistent/file",
	  "cannot open \"/nonexistent/file\": No such file or directory" },
	{ "-batch - stats", "unknown argument \"stats\"" },
};

static void test_bad_arguments(void **state)
{
	struct mock *m = *state;
	char expect[512];
	unsigned int i;

	for (i = 0; i < DC_ARRAY_SIZE(bad); i++) {
		size_t start = m->err_len;
		int n;

		n = snprintf(expect, sizeof(expect), "Error: %s.\n", bad[i].err);
		assert_true(n > 0 && (size_t)n < sizeof(expect));
		assert_int_equal(mock_run(m, bad[i].cmdline), -1);
		if (strcmp(m->err + start, expect))
			print_error("dyncast %s\n  got:  %s  want: %s",
				    bad[i].cmdline, m->err + start, expect);
		assert_string_equal(m->err + start, expect);
		assert_int_equal(m->talks, 0);
	}
	assert_int_equal(m->out_len, 0);
}

static void test_too_many_instances(void **state)
{
	struct mock *m = *state;
	char line[2048] = "instance del 192.0.2.1 proto tcp";
	size_t len = strlen(line);
	int i, n;

	for (i = 0; i < DC_INSTANCES_MAX; i++) {
		n = snprintf(line + len, sizeof(line) - len, " bid 10.0.0.%d", i);
		assert_true(n > 0 && (size_t)n < sizeof(line) - len);
		len += n;
	}
	assert_int_equal(mock_run(m, line), 0);
	assert_int_equal(m->talks, 1);

	n = snprintf(line + len, sizeof(line) - len, " bid 10.0.1.1");
	assert_true(n > 0 && (size_t)n < sizeof(line) - len);
	assert_int_equal(mock_run(m, line), -1);
	assert_string_equal(m->err,
			    "Error: too many instances in one command, at most 32.\n");
	assert_int_equal(m->talks, 1);
}

static const char *const good[] = {
	"service add 192.0.2.1 proto tcp",
	"service add 192.0.2.1 proto tcp port 80 mode tunnel affinity 2tuple src-prefix 24 timeout 86400 policy hash max-bindings 4294967295 service-time 10000000",
	"service add 2001:db8::1 proto udp port 0 affinity 3tuple src-prefix 128 timeout 1",
	"service add 192.0.2.1 port 443 proto tcp policy least-cost",
	"service add 192.0.2.1 proto tcp port 80 mode forward router 192.0.2.9 key 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	"service add 2001:db8::1 proto udp router 2001:db8::9 key-file " KEYFILE " mode forward",
	"service set 192.0.2.1 proto tcp port 80 key FFEEDDCCBBAA99887766554433221100ffeeddccbbaa99887766554433221100",
	"service set 192.0.2.1 proto udp port 53 timeout 30",
	"service set 192.0.2.1 proto tcp port 80 key-file " KEYFILE " key-id 3 key-overlap 60",
	"service set 192.0.2.1 proto tcp port 80 hash-seed 000102030405060708090a0b0c0d0e0f",
	"service del 192.0.2.1 proto udp port 53",
	"service delete 192.0.2.1 proto udp",
	"service show",
	"service",
	"service list",
	"service show 192.0.2.1 proto tcp port 80",
	"instance add 192.0.2.1 proto tcp bid 10.0.0.1",
	"instance add 192.0.2.1 proto tcp weight 0 bid 10.0.0.1 state down",
	"instance add 192.0.2.1 proto tcp bid 10.0.0.1 bid-port 8080 weight 65535 state drain cpu 100 gpu 0.0 sessions 4294967295 queue 0 capacity 1 cost 0 site 7",
	"instance add 192.0.2.1 proto tcp bid 10.0.0.1 bid 10.0.0.2 weight 2",
	"instance set 192.0.2.1 proto tcp bid 10.0.0.1 cpu 0.5",
	"instance set 192.0.2.1 proto tcp bid 10.0.0.1 service-time 50000 load 80 inflight-adjust -1000000",
	"service set 192.0.2.1 proto tcp demand-idle 0",
	"service set 192.0.2.1 proto tcp demand-idle 3600000",
	"service set 192.0.2.1 proto tcp slack 0",
	"service add 192.0.2.1 proto tcp counters on",
	"service set 192.0.2.1 proto tcp policy least-cost slack 65536",
	"instance set 2001:db8::1 proto udp port 53 bid 2001:db8::10 state up bid 2001:db8::11 state drain",
	"instance del 192.0.2.1 proto tcp bid 10.0.0.1",
	"instance show",
	"instance",
	"instance show 192.0.2.1 proto tcp",
	"instance show 192.0.2.1 proto tcp bid 10.0.0.1",
	"binding show",
	"binding",
	"binding show 192.0.2.1 proto tcp port 80",
	"binding del 192.0.2.1 proto tcp src 198.51.100.7",
	"binding del 192.0.2.1 proto tcp port 80 src 198.51.100.7 sport 40000 dport 80",
	"binding flush",
	"binding flush 2001:db8::1 proto udp",
	"stats",
	"stats show",
	"-j stats",
	"-json service show",
	"--json instance show",
	"-p binding show",
	"-pretty -j stats",
};

static void test_good_arguments(void **state)
{
	struct mock *m = *state;
	unsigned int i;

	for (i = 0; i < DC_ARRAY_SIZE(good); i++) {
		if (mock_run(m, good[i]))
			print_error("dyncast %s: %s", good[i], m->err);
		assert_int_equal(m->err_len, 0);
		assert_int_equal(m->talks, i + 1);
	}
}

static void test_genkey(void **state)
{
	struct mock *m = *state;
	char first[65];
	size_t i;

	assert_int_equal(mock_run(m, "genkey"), 0);
	assert_int_equal(m->out_len, 65);
	assert_int_equal(m->out[64], '\n');
	for (i = 0; i < 64; i++)
		assert_non_null(strchr("0123456789abcdef", m->out[i]));
	memcpy(first, m->out, 64);
	first[64] = '\0';
	/* another one differs */
	assert_int_equal(mock_run(m, "genkey"), 0);
	assert_int_equal(m->out_len, 130);
	assert_memory_not_equal(m->out + 65, first, 64);
	assert_int_equal(m->talks, 0);
	assert_int_equal(m->err_len, 0);
}

/* The forwarder's key, as Documentation/dyncast-protocol.rst derives it. */
static void test_derivekey(void **state)
{
	static const char k4[] =
		"0e451a4072a9963f3400c3dc7994c1bd2fe3d45e1c8f2c53247ebf1e7b205616\n";
	static const char k6[] =
		"65c0fafb1ef705737a7bc9d737991697a506db79aa4948d24e009f8e897d9adc\n";
	struct mock *m = *state;

	assert_int_equal(mock_run(m, "derivekey 192.0.2.9 key-file " KEYFILE), 0);
	assert_int_equal(m->out_len, 65);
	assert_memory_equal(m->out, k4, 65);
	assert_int_equal(mock_run(m, "derivekey 2001:db8::9 key-file " KEYFILE), 0);
	assert_int_equal(m->out_len, 130);
	assert_memory_equal(m->out + 65, k6, 65);
	assert_int_equal(m->talks, 0);
	assert_int_equal(m->err_len, 0);

	/* a key file anyone may read: taken, with a warning */
	assert_int_equal(mock_run(m, "derivekey 192.0.2.9 key-file " KEYFILE_OPEN), 0);
	assert_memory_equal(m->out + 130, k4, 65);
	assert_string_equal(m->err, "Warning: key file \"" KEYFILE_OPEN
			    "\" is readable by others; chmod 600 it\n");
}

/* -batch lines: words as iproute2 splits them */
static void test_split(void **state)
{
	static const struct {
		const char *line;
		int argc;
		const char *words[6];
	} cases[] = {
		{ "  service add  192.0.2.1\n", 3, { "service", "add", "192.0.2.1" } },
		{ "a 'b c' \"d e\"", 3, { "a", "b c", "d e" } },
		{ "a\\ b c", 2, { "a b", "c" } },
		{ "'it''s' \"x\"y", 2, { "its", "xy" } },
		{ "\"a \\\" b\" 'c\\'", 2, { "a \" b", "c\\" } },
		{ "a # a comment", 1, { "a" } },
		{ "a#b '#c'", 2, { "a#b", "#c" } },
		{ "# all of it", 0, { NULL } },
		{ "''", 1, { "" } },
		{ "a 'b", -2, { NULL } },
		{ "a \"b", -2, { NULL } },
		{ "a b c d e f g", -1, { NULL } },
	};
	char buf[64], *argv[6];
	unsigned int i;
	int j, n;

	(void)state;
	for (i = 0; i < DC_ARRAY_SIZE(cases); i++) {
		snprintf(buf, sizeof(buf), "%s", cases[i].line);
		n = dc_split(buf, argv, 6);
		if (n != cases[i].argc)
			fail_msg("\"%s\": %d words, want %d", cases[i].line, n,
				 cases[i].argc);
		for (j = 0; j < n; j++)
			assert_string_equal(argv[j], cases[i].words[j]);
	}
}

/* a batch: quotes, a line continued with a backslash, the failed line */
static void test_batch_lines(void **state)
{
	struct mock *m = *state;
	FILE *fp = fopen("/tmp/dyncast-test-batch", "w");

	assert_non_null(fp);
	fputs("# services\n"
	      "service add 192.0.2.1 \\\n"
	      "    proto tcp port '80'\n"
	      "\n"
	      "service add 192.0.2.2 proto \"udp\" \\\n"
	      "   port 'x y'\n", fp);
	fclose(fp);
	assert_int_equal(mock_run(m, "-batch /tmp/dyncast-test-batch"), -1);
	assert_int_equal(m->talks, 1);
	assert_string_equal(m->err,
			    "Error: argument \"port\" must be an integer between 0 and 65535, got \"x y\".\n"
			    "Command failed /tmp/dyncast-test-batch:5\n");
	remove("/tmp/dyncast-test-batch");

	/*
	 * a backslash that ends a comment continues nothing: the next line
	 * is a command of its own (and a '#' in quotes or inside a word
	 * starts no comment)
	 */
	fp = fopen("/tmp/dyncast-test-batch", "w");
	assert_non_null(fp);
	fputs("service add 192.0.2.1 proto tcp   # was C:\\\n"
	      "service add 192.0.2.2 proto tcp port 'x#'\n", fp);
	fclose(fp);
	assert_int_equal(mock_run(m, "-batch /tmp/dyncast-test-batch"), -1);
	assert_int_equal(m->talks, 2);
	assert_string_equal(m->err + strlen(m->err) -
			    strlen("got \"x#\".\nCommand failed /tmp/dyncast-test-batch:2\n"),
			    "got \"x#\".\nCommand failed /tmp/dyncast-test-batch:2\n");
	remove("/tmp/dyncast-test-batch");
}

static void test_help(void **state)
{
	static const struct {
		const char *cmdline;
		const char *start;
	} cases[] = {
		{ "help", "Usage: dyncast [ OPTIONS ] OBJECT" },
		{ "-h", "Usage: dyncast [ OPTIONS ] OBJECT" },
		{ "--help", "Usage: dyncast [ OPTIONS ] OBJECT" },
		{ "-V", "dyncast utility, version " DC_VERSION "\n" },
		{ "service help", "Usage: dyncast service { add | replace } SID" },
		{ "service add help", "Usage: dyncast service { add | replace } SID" },
		{ "service add 192.0.2.1 proto tcp help", "Usage: dyncast service { add | replace } SID" },
		{ "instance set help", "Usage: dyncast instance { add | replace } SID" },
		{ "--version", "dyncast utility, version " DC_VERSION "\n" },
		{ "binding help", "Usage: dyncast binding show" },
		{ "stats help", "Usage: dyncast stats" },
		{ "monitor help", "Usage: dyncast [ -j ] [ -t ] monitor" },
	};
	struct mock *m = *state;
	unsigned int i;

	for (i = 0; i < DC_ARRAY_SIZE(cases); i++) {
		size_t start = m->out_len;

		assert_int_equal(mock_run(m, cases[i].cmdline), 0);
		assert_memory_equal(m->out + start, cases[i].start,
				    strlen(cases[i].start));
	}
	assert_int_equal(m->talks, 0);
	assert_int_equal(m->err_len, 0);

	/* no object at all: usage on stderr, and failure */
	assert_int_equal(mock_run(m, ""), -1);
	assert_memory_equal(m->err, "Usage: dyncast", 14);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_uint),
		cmocka_unit_test(test_parse_tenths),
		cmocka_unit_test(test_parse_milli),
		cmocka_unit_test(test_parse_addr),
		cmocka_unit_test(test_parse_keyword),
		cmocka_unit_test_setup_teardown(test_bad_arguments, mock_setup,
						mock_teardown),
		cmocka_unit_test_setup_teardown(test_too_many_instances,
						mock_setup, mock_teardown),
		cmocka_unit_test_setup_teardown(test_good_arguments, mock_setup,
						mock_teardown),
		cmocka_unit_test_setup_teardown(test_genkey, mock_setup,
						mock_teardown),
		cmocka_unit_test_setup_teardown(test_derivekey, mock_setup,
						mock_teardown),
		cmocka_unit_test_setup_teardown(test_help, mock_setup,
						mock_teardown),
		cmocka_unit_test(test_split),
		cmocka_unit_test_setup_teardown(test_batch_lines, mock_setup,
						mock_teardown),
	};

	return cmocka_run_group_tests_name("dyncast CLI: parsing", tests,
					   keys_setup, keys_teardown);
}

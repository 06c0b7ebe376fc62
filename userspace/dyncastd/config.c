// SPDX-License-Identifier: GPL-2.0
/*
 * The configuration file, read with libinih: sections [agent], [router],
 * [bgp], [peer NAME], [instance NAME] and [service NAME], "key = value"
 * lines.
 * Every error names the file, the line, the section and the key.
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <ini.h>
#include <sodium.h>
#include <linux/dyncast.h>

#include "config.h"

enum dd_sec {
	DD_SEC_NONE,
	DD_SEC_AGENT,
	DD_SEC_ROUTER,
	DD_SEC_BGP,
	DD_SEC_PEER,
	DD_SEC_INSTANCE,
	DD_SEC_SERVICE,
};

static const char *const dd_sec_names[] = {
	[DD_SEC_AGENT] = "agent",
	[DD_SEC_ROUTER] = "router",
	[DD_SEC_BGP] = "bgp",
	[DD_SEC_PEER] = "peer",
	[DD_SEC_INSTANCE] = "instance",
	[DD_SEC_SERVICE] = "service",
};

struct dd_cfg_parse {
	struct dd_config *cfg;
	const char *file;
	FILE *fp, *errfp;		/* errfp: warnings */
	unsigned int line;
	bool failed;
	char err[384];
	enum dd_sec sec;
	char sec_text[DD_NAME_MAX + 16];
	uint64_t seen[2];		/* keys of this section given */
	bool has_hold, has_ttl, has_site;
	bool seen_agent, seen_router, seen_bgp;
	bool has_sid[DD_INSTANCES_MAX + DD_SERVICES_MAX];
};

static void dd_cfg_fail(struct dd_cfg_parse *p, const char *key,
			const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void dd_cfg_fail(struct dd_cfg_parse *p, const char *key,
			const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (p->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->failed = true;
	if (key)
		snprintf(p->err, sizeof(p->err), "%s:%u: [%s] %s: %s", p->file,
			 p->line, p->sec_text, key, msg);
	else
		snprintf(p->err, sizeof(p->err), "%s:%u: %s", p->file, p->line,
			 msg);
}

/* --- value parsers, shared with the command line -------------------------- */

/* "250ms", "5s", "2m", or seconds without a unit. */
int dd_parse_duration(const char *s, uint32_t min, uint32_t max, uint32_t *ms)
{
	uint64_t v, mult = 1000;
	char num[24];
	size_t n = strspn(s, "0123456789");

	if (!n || n >= sizeof(num))
		return -1;
	memcpy(num, s, n);
	num[n] = '\0';
	if (dc_parse_uint(num, UINT32_MAX, &v))
		return -1;
	if (!strcmp(s + n, "ms"))
		mult = 1;
	else if (!strcmp(s + n, "m"))
		mult = 60000;
	else if (s[n] && strcmp(s + n, "s"))
		return -1;
	v *= mult;
	if (v < min || v > max)
		return -1;
	*ms = v;
	return 0;
}

/* "192.0.2.1", "192.0.2.1:4960", "[2001:db8::1]:4960", "2001:db8::1" */
int dd_parse_endpoint(const char *s, struct dc_addr *a, uint16_t *port)
{
	char host[DC_ADDR_STRLEN + 2];
	const char *colon, *p = NULL;
	uint64_t v;
	size_t n;

	if (*s == '[') {
		const char *end = strchr(s, ']');

		if (!end || (end[1] && end[1] != ':'))
			return -1;
		n = end - s - 1;
		if (end[1])
			p = end + 2;
		s++;
	} else {
		colon = strchr(s, ':');
		if (colon && !strchr(colon + 1, ':')) {
			n = colon - s;
			p = colon + 1;
		} else {
			n = strlen(s);
		}
	}
	if (n >= sizeof(host))
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	if (dc_parse_addr(host, a))
		return -1;
	if (p) {
		if (dc_parse_uint(p, UINT16_MAX, &v) || !v)
			return -1;
		*port = v;
	}
	return 0;
}

/* base64, as --genkey prints it, or hexadecimal, as dyncast genkey does */
int dd_key_decode(const char *s, uint8_t *key)
{
	return dc_parse_key(s, key, DD_KEY_LEN);
}

static int dd_parse_bool(const char *s, bool *b)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	if (dc_parse_keyword(s, yes, 4) >= 0)
		*b = true;
	else if (dc_parse_keyword(s, no, 4) >= 0)
		*b = false;
	else
		return -1;
	return 0;
}

/* --- keys ----------------------------------------------------------------- */

struct dd_key;
typedef int (*dd_key_fn)(struct dd_cfg_parse *p, const struct dd_key *k,
			 void *obj, const char *key, const char *val);

struct dd_key {
	enum dd_sec sec;
	const char *name;
	dd_key_fn fn;
	size_t off;
	uint32_t min, max;
	const char *const *names;
	unsigned int n_names;
};

static int dd_key_u32(struct dd_cfg_parse *p, void *obj, const char *key,
		      const char *val, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v;

	(void)obj;
	if (dc_parse_uint(val, max, &v) || v < min) {
		dd_cfg_fail(p, key, "must be an integer between %u and %u, got \"%s\"",
			    min, max, val);
		return -1;
	}
	*out = v;
	return 0;
}

#define DD_FIELD(obj, k, type)	((type *)((char *)(obj) + (k)->off))

static int dd_k_u32(struct dd_cfg_parse *p, const struct dd_key *k,
		    void *obj, const char *key, const char *val)
{
	return dd_key_u32(p, obj, key, val, k->min, k->max,
			  DD_FIELD(obj, k, uint32_t));
}

static int dd_k_dur(struct dd_cfg_parse *p, const struct dd_key *k,
		    void *obj, const char *key, const char *val)
{
	if (dd_parse_duration(val, k->min, k->max, DD_FIELD(obj, k, uint32_t))) {
		dd_cfg_fail(p, key, "must be a duration between %ums and %ums (like 500ms, 5s, 1m), got \"%s\"",
			    k->min, k->max, val);
		return -1;
	}
	if (!strcmp(key, "hold-time"))
		p->has_hold = true;
	if (!strcmp(key, "report-ttl"))
		p->has_ttl = true;
	return 0;
}

static int dd_k_pct(struct dd_cfg_parse *p, const struct dd_key *k,
		    void *obj, const char *key, const char *val)
{
	if (dc_parse_tenths(val, k->max, DD_FIELD(obj, k, uint32_t))) {
		dd_cfg_fail(p, key, "must be a percentage between 0 and %u, got \"%s\"",
			    k->max / 10, val);
		return -1;
	}
	return 0;
}

static int dd_k_tenths(struct dd_cfg_parse *p, const struct dd_key *k,
		       void *obj, const char *key, const char *val)
{
	if (dc_parse_tenths(val, k->max, DD_FIELD(obj, k, uint32_t))) {
		dd_cfg_fail(p, key, "must be a number between 0 and %u, in tenths at most, got \"%s\"",
			    k->max / 10, val);
		return -1;
	}
	return 0;
}

static int dd_k_bool(struct dd_cfg_parse *p, const struct dd_key *k,
		     void *obj, const char *key, const char *val)
{
	if (dd_parse_bool(val, DD_FIELD(obj, k, bool))) {
		dd_cfg_fail(p, key, "must be yes or no, got \"%s\"", val);
		return -1;
	}
	return 0;
}

/* plan: as a bool, and remembered as given (its default is the policy's) */
static int dd_k_plan(struct dd_cfg_parse *p, const struct dd_key *k,
		     void *obj, const char *key, const char *val)
{
	if (dd_k_bool(p, k, obj, key, val))
		return -1;
	((struct dd_service_cfg *)obj)->plan_set = true;
	return 0;
}

static int dd_k_enum8(struct dd_cfg_parse *p, const struct dd_key *k,
		      void *obj, const char *key, const char *val)
{
	int v = dc_parse_keyword(val, k->names, k->n_names);
	char list[128] = "";
	unsigned int i;

	if (v < 0) {
		for (i = 0; i < k->n_names; i++) {
			if (!k->names[i])
				continue;
			if (*list)
				strncat(list, ", ", sizeof(list) - strlen(list) - 1);
			strncat(list, k->names[i], sizeof(list) - strlen(list) - 1);
		}
		dd_cfg_fail(p, key, "must be one of %s, got \"%s\"", list, val);
		return -1;
	}
	*DD_FIELD(obj, k, uint8_t) = v;
	return 0;
}

static int dd_k_str(struct dd_cfg_parse *p, const struct dd_key *k,
		    void *obj, const char *key, const char *val)
{
	size_t n = strlen(val);

	if (!n || n >= k->max) {
		dd_cfg_fail(p, key, "must be 1 to %u characters long", k->max - 1);
		return -1;
	}
	memcpy(DD_FIELD(obj, k, char), val, n + 1);
	return 0;
}

static int dd_k_port(struct dd_cfg_parse *p, const struct dd_key *k,
		     void *obj, const char *key, const char *val)
{
	uint32_t v;

	if (dd_key_u32(p, obj, key, val, k->min, UINT16_MAX, &v))
		return -1;
	*DD_FIELD(obj, k, uint16_t) = v;
	return 0;
}

static int dd_k_addr(struct dd_cfg_parse *p, const struct dd_key *k,
		     void *obj, const char *key, const char *val)
{
	if (dc_parse_addr(val, DD_FIELD(obj, k, struct dc_addr))) {
		dd_cfg_fail(p, key, "must be an IPv4 or IPv6 address, got \"%s\"",
			    val);
		return -1;
	}
	return 0;
}

static int dd_k_proto(struct dd_cfg_parse *p, const struct dd_key *k,
		      void *obj, const char *key, const char *val)
{
	uint8_t *proto = DD_FIELD(obj, k, uint8_t);

	if (!strcmp(val, "tcp")) {
		*proto = IPPROTO_TCP;
	} else if (!strcmp(val, "udp")) {
		*proto = IPPROTO_UDP;
	} else {
		dd_cfg_fail(p, key, "must be tcp or udp, got \"%s\"", val);
		return -1;
	}
	return 0;
}

static int dd_k_id(struct dd_cfg_parse *p, const struct dd_key *k,
		   void *obj, const char *key, const char *val)
{
	struct dd_config *cfg = obj;
	struct in_addr in;
	uint64_t v;

	(void)k;
	if (inet_pton(AF_INET, val, &in) == 1) {
		v = ntohl(in.s_addr);
	} else if (dc_parse_uint(val, UINT32_MAX, &v)) {
		dd_cfg_fail(p, key, "must be a dotted quad or an integer below 2^32, got \"%s\"",
			    val);
		return -1;
	}
	if (!v) {
		dd_cfg_fail(p, key, "must not be 0");
		return -1;
	}
	cfg->id = v;
	cfg->has_id = true;
	return 0;
}

static int dd_k_listen(struct dd_cfg_parse *p, const struct dd_key *k,
		       void *obj, const char *key, const char *val)
{
	struct dd_config *cfg = obj;

	(void)k;
	if (dd_parse_endpoint(val, &cfg->listen, &cfg->port)) {
		dd_cfg_fail(p, key, "must be ADDRESS, ADDRESS:PORT or [IPv6]:PORT, got \"%s\"",
			    val);
		return -1;
	}
	return 0;
}

#define DD_METRICS_PORT		9477

static int dd_k_metrics(struct dd_cfg_parse *p, const struct dd_key *k,
			void *obj, const char *key, const char *val)
{
	struct dd_config *cfg = obj;

	(void)k;
	cfg->metrics_port = DD_METRICS_PORT;
	if (dd_parse_endpoint(val, &cfg->metrics_addr, &cfg->metrics_port) ||
	    !cfg->metrics_port) {
		dd_cfg_fail(p, key, "must be ADDRESS, ADDRESS:PORT or [IPv6]:PORT, got \"%s\"",
			    val);
		return -1;
	}
	cfg->has_metrics = true;
	return 0;
}

/* key and key-file, or next-key and next-key-file: where each goes */
struct dd_key_slot {
	uint8_t *key;
	bool *has;
	char *file;
	size_t file_size;
	const char *both;
};

static struct dd_key_slot dd_key_slot(struct dd_cfg_parse *p, void *obj,
				      const struct dd_key *k)
{
	struct dd_config *cfg = obj;

	if (p->sec == DD_SEC_SERVICE) {
		struct dd_service_cfg *svc = obj;

		return (struct dd_key_slot){
			svc->fwd_key, &svc->has_fwd_key, svc->fwd_key_file,
			sizeof(svc->fwd_key_file),
			"only one of key and key-file may be given",
		};
	}
	if (!strncmp(k->name, "next-", 5))
		return (struct dd_key_slot){
			cfg->next_key, &cfg->has_next_key, cfg->next_key_file,
			sizeof(cfg->next_key_file),
			"only one of next-key and next-key-file may be given",
		};
	return (struct dd_key_slot){
		cfg->key, &cfg->has_key, cfg->key_file, sizeof(cfg->key_file),
		"only one of key and key-file may be given",
	};
}

static int dd_k_key(struct dd_cfg_parse *p, const struct dd_key *k,
		    void *obj, const char *key, const char *val)
{
	struct dd_key_slot slot = dd_key_slot(p, obj, k);

	if (*slot.has) {
		dd_cfg_fail(p, key, "%s", slot.both);
		return -1;
	}
	if (dd_key_decode(val, slot.key)) {
		dd_cfg_fail(p, key, "must be 32 bytes in base64 (dyncastd --genkey makes one) or 64 hexadecimal digits");
		return -1;
	}
	*slot.has = true;
	return 0;
}

static int dd_k_key_file(struct dd_cfg_parse *p, const struct dd_key *k,
			 void *obj, const char *key, const char *val)
{
	struct dd_key_slot slot = dd_key_slot(p, obj, k);
	const char *slash = strrchr(p->file, '/');
	char line[128], path[256];
	FILE *fp;
	size_t n;

	if (*slot.has) {
		dd_cfg_fail(p, key, "%s", slot.both);
		return -1;
	}
	/*
	 * A relative path is the configuration file's directory's: the same
	 * at a reload, after the daemon went to /
	 */
	if (val[0] != '/' && slash) {
		if (snprintf(path, sizeof(path), "%.*s/%s",
			     (int)(slash - p->file), p->file, val) >=
		    (int)sizeof(path)) {
			dd_cfg_fail(p, key, "path too long");
			return -1;
		}
		val = path;
	}
	if (strlen(val) >= slot.file_size) {
		dd_cfg_fail(p, key, "path too long");
		return -1;
	}
	fp = fopen(val, "re");
	if (!fp) {
		dd_cfg_fail(p, key, "cannot open \"%s\": %s", val, strerror(errno));
		return -1;
	}
	/* no copy of the key in a stdio buffer */
	setvbuf(fp, NULL, _IONBF, 0);
	if (dc_key_file_open(fileno(fp)))
		fprintf(p->errfp, "dyncastd: warning: %s:%u: [%s] %s: \"%s\" is readable by others; chmod o-rwx it\n",
			p->file, p->line, p->sec_text, key, val);
	if (!fgets(line, sizeof(line), fp))
		line[0] = '\0';
	fclose(fp);
	n = strcspn(line, " \t\r\n");
	line[n] = '\0';
	if (dd_key_decode(line, slot.key)) {
		dd_cfg_fail(p, key, "\"%s\" must hold 32 bytes in base64 or 64 hexadecimal digits",
			    val);
		sodium_memzero(line, sizeof(line));
		return -1;
	}
	sodium_memzero(line, sizeof(line));
	*slot.has = true;
	memcpy(slot.file, val, strlen(val) + 1);
	return 0;
}

static int dd_k_endpoint(struct dd_cfg_parse *p, const struct dd_key *k,
			 void *obj, const char *key, const char *val)
{
	struct dd_peer_cfg *peer = obj;

	(void)k;
	if (dd_parse_endpoint(val, &peer->addr, &peer->port)) {
		dd_cfg_fail(p, key, "must be ADDRESS, ADDRESS:PORT or [IPv6]:PORT, got \"%s\"",
			    val);
		return -1;
	}
	return 0;
}

/* [bgp] probe-address: ADDRESS or ADDRESS:PORT (default the listen port) */
static int dd_k_probe(struct dd_cfg_parse *p, const struct dd_key *k,
		      void *obj, const char *key, const char *val)
{
	struct dd_config *cfg = obj;

	(void)k;
	if (dd_parse_endpoint(val, &cfg->bgp_probe, &cfg->bgp_probe_port) ||
	    (cfg->bgp_probe.family == AF_INET ?
	     !cfg->bgp_probe.u.in.s_addr :
	     IN6_IS_ADDR_UNSPECIFIED(&cfg->bgp_probe.u.in6))) {
		dd_cfg_fail(p, key, "must be ADDRESS, ADDRESS:PORT or [IPv6]:PORT of this agent, got \"%s\"",
			    val);
		return -1;
	}
	return 0;
}

static int dd_k_sun(struct dd_cfg_parse *p, const struct dd_key *k,
		    void *obj, const char *key, const char *val)
{
	size_t n = strlen(val);

	if (!n || n >= DD_SUN_PATH_MAX || (val[0] != '/' && val[0] != '@')) {
		dd_cfg_fail(p, key, "must be an absolute path (or @name, abstract) of at most %d characters",
			    DD_SUN_PATH_MAX - 1);
		return -1;
	}
	memcpy(DD_FIELD(obj, k, char), val, n + 1);
	return 0;
}

/* a group, by name or number */
static int dd_k_group(struct dd_cfg_parse *p, const struct dd_key *k,
		      void *obj, const char *key, const char *val)
{
	struct dd_config *cfg = obj;
	uint32_t *to = DD_FIELD(obj, k, uint32_t);
	struct group *gr;
	uint64_t gid;

	if (!dc_parse_uint(val, UINT32_MAX - 1, &gid)) {
		*to = (uint32_t)gid;
	} else {
		gr = getgrnam(val);
		if (!gr) {
			dd_cfg_fail(p, key, "no group \"%s\"", val);
			return -1;
		}
		*to = gr->gr_gid;
	}
	if (to == &cfg->report_gid)
		cfg->has_report_gid = true;
	return 0;
}

/* a file mode, octal */
static int dd_k_mode(struct dd_cfg_parse *p, const struct dd_key *k,
		     void *obj, const char *key, const char *val)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(val, &end, 8);
	if (errno || end == val || *end || val[0] == '-' || v > k->max) {
		dd_cfg_fail(p, key, "must be an octal mode of at most %o, got \"%s\"",
			    k->max, val);
		return -1;
	}
	*DD_FIELD(obj, k, uint32_t) = v;
	return 0;
}

static int dd_k_sid(struct dd_cfg_parse *p, const struct dd_key *k,
		    void *obj, const char *key, const char *val)
{
	return dd_k_addr(p, k, obj, key, val);
}

/* a service setting: its value in val[attr], its bit in present */
static int dd_k_svc(struct dd_cfg_parse *p, const struct dd_key *k,
		    void *obj, const char *key, const char *val)
{
	struct dd_service_cfg *svc = obj;
	unsigned int attr = k->off;
	int v;

	if (k->names) {
		v = dc_parse_keyword(val, k->names, k->n_names);
		if (v < 0) {
			dd_cfg_fail(p, key, "unknown value \"%s\"", val);
			return -1;
		}
		svc->val[attr] = v;
	} else if (dd_key_u32(p, obj, key, val, k->min, k->max,
			      &svc->val[attr])) {
		return -1;
	}
	svc->present |= 1u << attr;
	return 0;
}

static const char *const dd_state_names[] = { "up", "drain" };
static const char *const dd_sess_names[] = {
	[DD_SESS_AUTO] = "auto", [DD_SESS_CONNTRACK] = "conntrack",
	[DD_SESS_SOCKETS] = "sockets", [DD_SESS_OFF] = "off",
};

static const char *const dd_health_names[] = {
	[DD_HEALTH_OFF] = "off", [DD_HEALTH_TCP] = "tcp",
	[DD_HEALTH_HTTP] = "http",
};

static const char *const dd_mode_names[] = {
	[DYNCAST_MODE_REWRITE] = "rewrite", [DYNCAST_MODE_TUNNEL] = "tunnel",
	[DYNCAST_MODE_FORWARD] = "forward",
};
static const char *const dd_affinity_names[] = { "5tuple", "3tuple", "2tuple" };
static const char *const dd_policy_names[] = { "weighted", "least-cost", "hash" };

#define K(s, n, f, t, fld, lo, hi) \
	{ DD_SEC_##s, n, f, offsetof(t, fld), lo, hi, NULL, 0 }
#define KE(s, n, t, fld, tbl) \
	{ DD_SEC_##s, n, dd_k_enum8, offsetof(t, fld), 0, 0, tbl, \
	  sizeof(tbl) / sizeof((tbl)[0]) }
#define KS(n, attr, lo, hi) \
	{ DD_SEC_SERVICE, n, dd_k_svc, attr, lo, hi, NULL, 0 }
#define KSE(n, attr, tbl) \
	{ DD_SEC_SERVICE, n, dd_k_svc, attr, 0, 0, tbl, \
	  sizeof(tbl) / sizeof((tbl)[0]) }
#define HOUR	3600000

static const struct dd_key dd_keys[] = {
	K(AGENT, "id", dd_k_id, struct dd_config, id, 0, 0),
	K(AGENT, "listen", dd_k_listen, struct dd_config, listen, 0, 0),
	K(AGENT, "key", dd_k_key, struct dd_config, key, 0, 0),
	K(AGENT, "key-file", dd_k_key_file, struct dd_config, key, 0, 0),
	K(AGENT, "next-key", dd_k_key, struct dd_config, next_key, 0, 0),
	K(AGENT, "next-key-file", dd_k_key_file, struct dd_config, next_key, 0, 0),
	K(AGENT, "control", dd_k_sun, struct dd_config, control, 0, 0),
	K(AGENT, "metrics-listen", dd_k_metrics, struct dd_config, metrics_addr, 0, 0),
	K(AGENT, "report", dd_k_sun, struct dd_config, report, 0, 0),
	K(AGENT, "report-group", dd_k_group, struct dd_config, report_gid, 0, 0),
	K(AGENT, "report-mode", dd_k_mode, struct dd_config, report_mode, 0, 0777),
	K(AGENT, "site", dd_k_u32, struct dd_config, site, 0, UINT32_MAX),
	/* below the longest hold-time, which must be longer */
	K(AGENT, "interval", dd_k_dur, struct dd_config, policy.interval_ms, 100, DD_HOLD_MAX_MS - 1000),
	K(AGENT, "min-interval", dd_k_dur, struct dd_config, policy.min_interval_ms, 10, HOUR),
	K(AGENT, "threshold-load", dd_k_pct, struct dd_config, policy.threshold_load, 0, 1000),
	K(AGENT, "threshold-count", dd_k_u32, struct dd_config, policy.threshold_count, 0, UINT32_MAX),
	K(AGENT, "threshold-ratio", dd_k_u32, struct dd_config, policy.threshold_ratio, 0, 1000),
	K(AGENT, "hold-time", dd_k_dur, struct dd_config, hold_ms, DD_HOLD_MIN_MS, DD_HOLD_MAX_MS),
	K(AGENT, "collect-interval", dd_k_dur, struct dd_config, collect_ms, 100, HOUR),
	K(AGENT, "smoothing", dd_k_u32, struct dd_config, smoothing, 1, 100),
	K(AGENT, "report-ttl", dd_k_dur, struct dd_config, report_ttl_ms, 100, 24 * HOUR),
	K(AGENT, "probe-interval", dd_k_dur, struct dd_config, probe_ms, 100, HOUR),

	K(ROUTER, "relay", dd_k_bool, struct dd_config, relay, 0, 0),
	K(ROUTER, "probe-cost", dd_k_bool, struct dd_config, probe_cost, 0, 0),
	K(ROUTER, "passive-rtt", dd_k_bool, struct dd_config, passive_rtt, 0, 0),
	K(ROUTER, "max-instances", dd_k_u32, struct dd_config, max_instances, 1, 1048576),
	K(ROUTER, "forget-time", dd_k_dur, struct dd_config, forget_ms, 0, 7 * 24 * HOUR),
	K(ROUTER, "keep", dd_k_bool, struct dd_config, keep, 0, 0),

	K(BGP, "socket", dd_k_sun, struct dd_config, bgp_socket, 0, 0),
	K(BGP, "socket-group", dd_k_group, struct dd_config, bgp_gid, 0, 0),
	K(BGP, "asn", dd_k_u32, struct dd_config, bgp_asn, 1, UINT32_MAX),
	K(BGP, "link-bandwidth", dd_k_bool, struct dd_config, bgp_link_bandwidth, 0, 0),
	K(BGP, "probe-address", dd_k_probe, struct dd_config, bgp_probe, 0, 0),

	K(PEER, "endpoint", dd_k_endpoint, struct dd_peer_cfg, addr, 0, 0),

	K(INSTANCE, "sid", dd_k_sid, struct dd_instance_cfg, key.svc.sid, 0, 0),
	K(INSTANCE, "proto", dd_k_proto, struct dd_instance_cfg, key.svc.proto, 0, 0),
	K(INSTANCE, "port", dd_k_port, struct dd_instance_cfg, key.svc.port, 0, 0),
	K(INSTANCE, "bid", dd_k_addr, struct dd_instance_cfg, key.bid, 0, 0),
	K(INSTANCE, "bid-port", dd_k_port, struct dd_instance_cfg, bid_port, 0, 0),
	KE(INSTANCE, "state", struct dd_instance_cfg, state, dd_state_names),
	K(INSTANCE, "weight", dd_k_u32, struct dd_instance_cfg, weight, 0, DYNCAST_WEIGHT_MAX),
	K(INSTANCE, "capacity", dd_k_u32, struct dd_instance_cfg, capacity, 0, UINT32_MAX),
	K(INSTANCE, "cost", dd_k_u32, struct dd_instance_cfg, cost, 0, UINT32_MAX),
	K(INSTANCE, "site", dd_k_u32, struct dd_instance_cfg, site, 0, UINT32_MAX),
	K(INSTANCE, "service-time", dd_k_u32, struct dd_instance_cfg, service_time, 0, DD_SERVICE_TIME_MAX),
	K(INSTANCE, "measure-service-time", dd_k_bool, struct dd_instance_cfg, measure_svc, 0, 0),
	K(INSTANCE, "cgroup", dd_k_str, struct dd_instance_cfg, cgroup, 0, DD_CMD_MAX),
	KE(INSTANCE, "sessions", struct dd_instance_cfg, sessions, dd_sess_names),
	KE(INSTANCE, "health", struct dd_instance_cfg, health, dd_health_names),
	K(INSTANCE, "health-port", dd_k_port, struct dd_instance_cfg, health_port, 1, 0),
	K(INSTANCE, "health-path", dd_k_str, struct dd_instance_cfg, health_path, 0, DD_CMD_MAX),
	K(INSTANCE, "health-interval", dd_k_dur, struct dd_instance_cfg, health_interval_ms, 100, HOUR),
	K(INSTANCE, "health-timeout", dd_k_dur, struct dd_instance_cfg, health_timeout_ms, 10, HOUR),
	K(INSTANCE, "health-rise", dd_k_u32, struct dd_instance_cfg, health_rise, 1, 100),
	K(INSTANCE, "health-fall", dd_k_u32, struct dd_instance_cfg, health_fall, 1, 100),
	K(INSTANCE, "command", dd_k_str, struct dd_instance_cfg, command, 0, DD_CMD_MAX),
	K(INSTANCE, "command-interval", dd_k_dur, struct dd_instance_cfg, command_interval_ms, 100, HOUR),
	K(INSTANCE, "command-timeout", dd_k_dur, struct dd_instance_cfg, command_timeout_ms, 10, HOUR),

	K(SERVICE, "sid", dd_k_sid, struct dd_service_cfg, key.sid, 0, 0),
	K(SERVICE, "proto", dd_k_proto, struct dd_service_cfg, key.proto, 0, 0),
	K(SERVICE, "port", dd_k_port, struct dd_service_cfg, key.port, 0, 0),
	K(SERVICE, "keep", dd_k_bool, struct dd_service_cfg, keep, 0, 0),
	K(SERVICE, "plan", dd_k_plan, struct dd_service_cfg, plan, 0, 0),
	K(SERVICE, "service-time-scv", dd_k_tenths, struct dd_service_cfg, scv, 0, 1000),
	KSE("mode", DYNCAST_A_SERVICE_MODE, dd_mode_names),
	KSE("affinity", DYNCAST_A_SERVICE_AFFINITY, dd_affinity_names),
	KS("src-prefix", DYNCAST_A_SERVICE_SRC_PREFIX, 0, 128),
	KS("timeout", DYNCAST_A_SERVICE_TIMEOUT, 1, DYNCAST_TIMEOUT_MAX),
	KSE("policy", DYNCAST_A_SERVICE_POLICY, dd_policy_names),
	KS("max-bindings", DYNCAST_A_SERVICE_MAX_BINDINGS, 0, UINT32_MAX),
	KS("service-time", DYNCAST_A_SERVICE_SERVICE_TIME, 1, DYNCAST_SERVICE_TIME_MAX),
	K(SERVICE, "router", dd_k_addr, struct dd_service_cfg, router, 0, 0),
	K(SERVICE, "key", dd_k_key, struct dd_service_cfg, fwd_key, 0, 0),
	K(SERVICE, "key-file", dd_k_key_file, struct dd_service_cfg, fwd_key, 0, 0),
	KS("key-id", DYNCAST_A_SERVICE_KEY_ID, 0, 255),
	KS("key-overlap", DYNCAST_A_SERVICE_KEY_OVERLAP, 0, 86400),
};

_Static_assert(DC_ARRAY_SIZE(dd_keys) <= 128,
	       "the keys of a section must fit dd_cfg_parse.seen");

/* --- sections ------------------------------------------------------------- */

static void *dd_cfg_obj(struct dd_cfg_parse *p)
{
	struct dd_config *cfg = p->cfg;

	switch (p->sec) {
	case DD_SEC_AGENT:
	case DD_SEC_ROUTER:
	case DD_SEC_BGP:
		return cfg;
	case DD_SEC_PEER:
		return &cfg->peers[cfg->n_peers - 1];
	case DD_SEC_INSTANCE:
		return &cfg->instances[cfg->n_instances - 1];
	case DD_SEC_SERVICE:
		return &cfg->services[cfg->n_services - 1];
	default:
		return NULL;
	}
}

static bool dd_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= DD_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return false;
	return true;
}

static void dd_cfg_section(struct dd_cfg_parse *p, const char *text)
{
	struct dd_config *cfg = p->cfg;
	char kind[16], name[DD_NAME_MAX + 1], extra[2];
	unsigned int i, n, max = 0;
	int words;
	char *dst;

	snprintf(p->sec_text, sizeof(p->sec_text), "%.*s",
		 (int)sizeof(p->sec_text) - 1, text);
	p->seen[0] = p->seen[1] = 0;
	p->sec = DD_SEC_NONE;
	words = sscanf(text, "%15s %32s %1s", kind, name, extra);
	for (i = DD_SEC_AGENT; i <= DD_SEC_SERVICE; i++)
		if (words >= 1 && !strcmp(kind, dd_sec_names[i]))
			break;
	if (i > DD_SEC_SERVICE) {
		dd_cfg_fail(p, NULL, "unknown section [%s]; sections are [agent], [router], [bgp], [peer NAME], [instance NAME], [service NAME]",
			    text);
		return;
	}
	if (i == DD_SEC_AGENT || i == DD_SEC_ROUTER || i == DD_SEC_BGP) {
		bool *seen = i == DD_SEC_AGENT ? &p->seen_agent :
			     i == DD_SEC_ROUTER ? &p->seen_router : &p->seen_bgp;

		if (words != 1) {
			dd_cfg_fail(p, NULL, "section [%s] takes no name", kind);
			return;
		}
		if (*seen) {
			dd_cfg_fail(p, NULL, "section [%s] is given twice", kind);
			return;
		}
		*seen = true;
		if (i == DD_SEC_ROUTER)
			cfg->router = true;
		if (i == DD_SEC_BGP)
			cfg->bgp = true;
		p->sec = i;
		return;
	}
	if (words != 2 || !dd_name_ok(name)) {
		dd_cfg_fail(p, NULL, "section [%s] needs a NAME of 1 to %d letters, digits, '.', '_' or '-'",
			    kind, DD_NAME_MAX - 1);
		return;
	}
	switch (i) {
	case DD_SEC_PEER:
		n = cfg->n_peers;
		max = DD_PEERS_MAX;
		break;
	case DD_SEC_INSTANCE:
		n = cfg->n_instances;
		max = DD_INSTANCES_MAX;
		break;
	default:
		n = cfg->n_services;
		max = DD_SERVICES_MAX;
		break;
	}
	for (unsigned int j = 0; j < n; j++) {
		const char *other = i == DD_SEC_PEER ? cfg->peers[j].name :
				    i == DD_SEC_INSTANCE ? cfg->instances[j].name :
				    cfg->services[j].name;

		if (!strcmp(other, name)) {
			dd_cfg_fail(p, NULL, "section [%s %s] is given twice", kind, name);
			return;
		}
	}
	if (n == max) {
		dd_cfg_fail(p, NULL, "too many [%s] sections, at most %u", kind, max);
		return;
	}
	p->sec = i;
	if (i == DD_SEC_PEER) {
		struct dd_peer_cfg *peer = &cfg->peers[cfg->n_peers++];

		peer->port = DD_PROTO_PORT;
		peer->line = p->line;
		dst = peer->name;
	} else if (i == DD_SEC_INSTANCE) {
		struct dd_instance_cfg *inst = &cfg->instances[cfg->n_instances++];

		inst->line = p->line;
		inst->weight = 1;
		inst->site = UINT32_MAX;	/* the agent's, once known */
		inst->health_interval_ms = 2000;
		inst->health_timeout_ms = 1000;
		inst->health_rise = 2;
		inst->health_fall = 3;
		inst->command_interval_ms = 5000;
		inst->command_timeout_ms = 2000;
		snprintf(inst->health_path, sizeof(inst->health_path), "/");
		dst = inst->name;
	} else {
		struct dd_service_cfg *svc = &cfg->services[cfg->n_services++];

		svc->line = p->line;
		svc->scv = 10;		/* exponential */
		dst = svc->name;
	}
	memcpy(dst, name, strlen(name) + 1);
}

/*
 * The lines go through here before libinih sees them: this counts them,
 * so that errors found in the handler name their line, cuts a comment
 * that follows a value, and opens each section as its header goes by,
 * empty ones included.
 */
static char *dd_cfg_reader(char *str, int num, void *stream)
{
	struct dd_cfg_parse *p = stream;
	char *s, *end;
	size_t n;

	if (p->failed || !fgets(str, num, p->fp))
		return NULL;
	p->line++;
	n = strlen(str);
	if (n == (size_t)num - 1 && str[n - 1] != '\n' && !feof(p->fp)) {
		dd_cfg_fail(p, NULL, "line longer than %d characters", num - 2);
		return NULL;
	}
	/* a # or ; after a blank starts a comment to the end of the line */
	for (s = str + 1; *s; s++) {
		if ((*s == '#' || *s == ';') && (s[-1] == ' ' || s[-1] == '\t')) {
			s[0] = '\n';
			s[1] = '\0';
			break;
		}
	}
	s = str + strspn(str, " \t");
	if (*s == '[') {
		end = strchr(s, ']');
		if (end) {
			char sec[64];

			s++;
			s += strspn(s, " \t");
			while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
				end--;
			snprintf(sec, sizeof(sec), "%.*s", (int)(end - s), s);
			dd_cfg_section(p, sec);
		}
	}
	return str;
}

static int dd_cfg_handler(void *user, const char *section, const char *name,
			  const char *value)
{
	struct dd_cfg_parse *p = user;
	unsigned int i;
	void *obj;

	(void)section;
	if (p->failed)
		return 0;
	if (p->sec == DD_SEC_NONE) {
		dd_cfg_fail(p, NULL, "key \"%s\" outside of any section", name);
		return 0;
	}
	for (i = 0; i < DC_ARRAY_SIZE(dd_keys); i++)
		if (dd_keys[i].sec == p->sec && !strcmp(dd_keys[i].name, name))
			break;
	if (i == DC_ARRAY_SIZE(dd_keys)) {
		dd_cfg_fail(p, name, "unknown key");
		return 0;
	}
	if (p->seen[i / 64] & (1ULL << (i % 64))) {
		dd_cfg_fail(p, name, "given more than once");
		return 0;
	}
	p->seen[i / 64] |= 1ULL << (i % 64);
	if (!strcmp(name, "site") && p->sec == DD_SEC_AGENT)
		p->has_site = true;
	obj = dd_cfg_obj(p);
	return dd_keys[i].fn(p, &dd_keys[i], obj, name, value) ? 0 : 1;
}

/* --- checks of the whole -------------------------------------------------- */

/* true for a forwarder service (mode forward) */
bool dd_service_forward(const struct dd_service_cfg *s)
{
	return (s->present & (1u << DYNCAST_A_SERVICE_MODE)) &&
	       s->val[DYNCAST_A_SERVICE_MODE] == DYNCAST_MODE_FORWARD;
}

/*
 * true for a TCP service whose demands are rewritten (mode rewrite, or no
 * mode: the kernel's default): whose handshakes the passive RTT times
 */
bool dd_service_rewrite_tcp(const struct dd_service_cfg *s)
{
	return s->key.proto == IPPROTO_TCP &&
	       (!(s->present & (1u << DYNCAST_A_SERVICE_MODE)) ||
		s->val[DYNCAST_A_SERVICE_MODE] == DYNCAST_MODE_REWRITE);
}

/*
 * A forwarder service needs its D-Router, of the family of its address,
 * and has no plan; the router is for it alone; a key id goes with a key.
 */
static int dd_cfg_check_forward(struct dd_cfg_parse *p,
				const struct dd_service_cfg *s)
{
	const char *why = NULL;

	if (dd_service_forward(s)) {
		if (!s->router.family)
			why = "mode forward needs router";
		else if (s->router.family != s->key.sid.family)
			why = "router is not of the family of sid";
		else if (!dc_addr_unicast(&s->router))
			why = "router must be a unicast address";
		else if (!s->has_fwd_key)
			why = "mode forward needs key or key-file";
		else if (s->plan_set && s->plan)
			why = "a forwarder service has no plan";
	} else if (s->router.family) {
		why = "router is for mode forward";
	}
	if (!why && !s->has_fwd_key &&
	    (s->present & ((1u << DYNCAST_A_SERVICE_KEY_ID) |
			   (1u << DYNCAST_A_SERVICE_KEY_OVERLAP))))
		why = "key-id and key-overlap go with key or key-file";
	if (!why)
		return 0;
	snprintf(p->err, sizeof(p->err), "%s:%u: [service %s] %s", p->file,
		 s->line, s->name, why);
	return -1;
}

static int dd_cfg_check(struct dd_cfg_parse *p)
{
	struct dd_config *cfg = p->cfg;
	unsigned int i, j;

	p->sec_text[0] = '\0';
	if (!cfg->has_key) {
		snprintf(p->err, sizeof(p->err), "%s: [agent] key or key-file is required",
			 p->file);
		return -1;
	}
	/*
	 * Three intervals, within what a receiver takes: a longer hold-time
	 * would have every announcement dropped as malformed
	 */
	if (!p->has_hold)
		cfg->hold_ms = 3 * cfg->policy.interval_ms < DD_HOLD_MAX_MS ?
			       3 * cfg->policy.interval_ms : DD_HOLD_MAX_MS;
	if (cfg->hold_ms < DD_HOLD_MIN_MS)
		cfg->hold_ms = DD_HOLD_MIN_MS;
	if (cfg->hold_ms <= cfg->policy.interval_ms) {
		snprintf(p->err, sizeof(p->err), "%s: [agent] hold-time (%ums) must be longer than interval (%ums)",
			 p->file, cfg->hold_ms, cfg->policy.interval_ms);
		return -1;
	}
	if (cfg->policy.min_interval_ms > cfg->policy.interval_ms) {
		snprintf(p->err, sizeof(p->err), "%s: [agent] min-interval must not be longer than interval",
			 p->file);
		return -1;
	}
	if (!p->has_ttl)
		cfg->report_ttl_ms = 3 * cfg->policy.interval_ms;

	for (i = 0; i < cfg->n_peers; i++) {
		if (!cfg->peers[i].addr.family) {
			snprintf(p->err, sizeof(p->err), "%s:%u: [peer %s] endpoint is required",
				 p->file, cfg->peers[i].line, cfg->peers[i].name);
			return -1;
		}
	}
	for (i = 0; i < cfg->n_instances; i++) {
		struct dd_instance_cfg *in = &cfg->instances[i];
		const char *miss = !in->key.svc.sid.family ? "sid" :
				   !in->key.svc.proto ? "proto" :
				   !in->key.bid.family ? "bid" : NULL;

		if (miss) {
			snprintf(p->err, sizeof(p->err), "%s:%u: [instance %s] %s is required",
				 p->file, in->line, in->name, miss);
			return -1;
		}
		if (in->key.svc.sid.family != in->key.bid.family) {
			snprintf(p->err, sizeof(p->err), "%s:%u: [instance %s] bid must be of the family of sid",
				 p->file, in->line, in->name);
			return -1;
		}
		/* what the kernel and every D-Router would refuse */
		miss = !dc_addr_unicast(&in->key.svc.sid) ? "sid" :
		       !dc_addr_unicast(&in->key.bid) ? "bid" : NULL;
		if (miss) {
			snprintf(p->err, sizeof(p->err), "%s:%u: [instance %s] %s must be a unicast address",
				 p->file, in->line, in->name, miss);
			return -1;
		}
		if (in->site == UINT32_MAX)
			in->site = cfg->site;
		if (in->measure_svc && in->key.svc.proto != IPPROTO_TCP) {
			snprintf(p->err, sizeof(p->err), "%s:%u: [instance %s] measure-service-time needs a TCP service: a UDP service reports its own",
				 p->file, in->line, in->name);
			return -1;
		}
		if (in->health != DD_HEALTH_OFF && !in->health_port &&
		    !in->bid_port && !in->key.svc.port) {
			snprintf(p->err, sizeof(p->err), "%s:%u: [instance %s] health-port is required: the service has no port",
				 p->file, in->line, in->name);
			return -1;
		}
		for (j = 0; j < i; j++) {
			if (dd_inst_key_eq(&cfg->instances[j].key, &in->key)) {
				snprintf(p->err, sizeof(p->err), "%s:%u: [instance %s] is the same instance as [instance %s]",
					 p->file, in->line, in->name,
					 cfg->instances[j].name);
				return -1;
			}
		}
	}
	for (i = 0; i < cfg->n_services; i++) {
		struct dd_service_cfg *s = &cfg->services[i];
		const char *miss = !s->key.sid.family ? "sid" :
				   !s->key.proto ? "proto" : NULL;

		if (miss) {
			snprintf(p->err, sizeof(p->err), "%s:%u: [service %s] %s is required",
				 p->file, s->line, s->name, miss);
			return -1;
		}
		if (!dc_addr_unicast(&s->key.sid)) {
			snprintf(p->err, sizeof(p->err), "%s:%u: [service %s] sid must be a unicast address",
				 p->file, s->line, s->name);
			return -1;
		}
		if ((s->present & (1u << DYNCAST_A_SERVICE_SRC_PREFIX)) &&
		    s->val[DYNCAST_A_SERVICE_SRC_PREFIX] >
		    (s->key.sid.family == AF_INET ? 32u : 128u)) {
			snprintf(p->err, sizeof(p->err), "%s:%u: [service %s] src-prefix is longer than the address",
				 p->file, s->line, s->name);
			return -1;
		}
		if (dd_cfg_check_forward(p, s))
			return -1;
		/* a least-cost service plans unless told not to; a forwarder never */
		if (!s->plan_set)
			s->plan = !dd_service_forward(s) &&
				  (s->present & (1u << DYNCAST_A_SERVICE_POLICY)) &&
				  s->val[DYNCAST_A_SERVICE_POLICY] ==
				  DYNCAST_POLICY_LEAST_COST;
		for (j = 0; j < i; j++) {
			if (dd_svc_key_eq(&cfg->services[j].key, &s->key)) {
				snprintf(p->err, sizeof(p->err), "%s:%u: [service %s] is the same service as [service %s]",
					 p->file, s->line, s->name,
					 cfg->services[j].name);
				return -1;
			}
		}
	}
	if (cfg->bgp && !cfg->bgp_asn) {
		snprintf(p->err, sizeof(p->err), "%s: [bgp] asn is required",
			 p->file);
		return -1;
	}
	if (cfg->bgp && cfg->n_peers) {
		snprintf(p->err, sizeof(p->err), "%s:%u: [peer %s]: with [bgp], announcements ride BGP; peers are for the agent protocol",
			 p->file, cfg->peers[0].line, cfg->peers[0].name);
		return -1;
	}
	if (cfg->bgp_probe.family && !cfg->bgp_probe_port)
		cfg->bgp_probe_port = cfg->port;
	if (cfg->n_services && !cfg->router) {
		snprintf(p->err, sizeof(p->err), "%s: [service] sections need a [router] section",
			 p->file);
		return -1;
	}
	return 0;
}

/* --- the effective configuration (-T) ------------------------------------ */

static const char *dd_fmt_endpoint(const struct dc_addr *a, uint16_t port,
				   char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN];

	dc_addr_fmt(a->family, &a->u, s, sizeof(s));
	snprintf(buf, len, a->family == AF_INET6 ? "[%s]:%u" : "%s:%u", s, port);
	return buf;
}

/*
 * One key of a section as the parser would read it back; nothing (or a
 * comment) for what is not set and has no value a key could give
 */
static void dd_print_key(FILE *fp, const struct dd_config *cfg,
			 const struct dd_key *k, const void *obj)
{
	const void *f = (const char *)obj + k->off;
	char buf[INET6_ADDRSTRLEN + 16];
	const struct dd_service_cfg *svc = obj;
	uint32_t v;

	if (k->fn == dd_k_id) {
		if (cfg->has_id)
			fprintf(fp, "id = %u.%u.%u.%u\n", cfg->id >> 24,
				(cfg->id >> 16) & 255, (cfg->id >> 8) & 255,
				cfg->id & 255);
		else
			fputs("# id: random at each start\n", fp);
	} else if (k->fn == dd_k_listen) {
		fprintf(fp, "listen = %s\n",
			dd_fmt_endpoint(&cfg->listen, cfg->port, buf, sizeof(buf)));
	} else if (k->fn == dd_k_metrics) {
		if (cfg->has_metrics)
			fprintf(fp, "metrics-listen = %s\n",
				dd_fmt_endpoint(&cfg->metrics_addr,
						cfg->metrics_port, buf, sizeof(buf)));
	} else if (k->fn == dd_k_probe) {
		if (cfg->bgp_probe.family)
			fprintf(fp, "probe-address = %s\n",
				dd_fmt_endpoint(&cfg->bgp_probe,
						cfg->bgp_probe_port, buf, sizeof(buf)));
	} else if (k->fn == dd_k_endpoint) {
		const struct dd_peer_cfg *peer = obj;

		fprintf(fp, "endpoint = %s\n",
			dd_fmt_endpoint(&peer->addr, peer->port, buf, sizeof(buf)));
	} else if (k->fn == dd_k_key || k->fn == dd_k_key_file) {
		bool next = !strncmp(k->name, "next-", 5);
		const char *file = next ? cfg->next_key_file : cfg->key_file;
		bool has = next ? cfg->has_next_key : cfg->has_key;

		if (k->sec == DD_SEC_SERVICE) {
			file = svc->fwd_key_file;
			has = svc->has_fwd_key;
		}

		/* one line for the pair: the file, or that a key was given */
		if (k->fn == dd_k_key && has && !file[0])
			fprintf(fp, "# %s: given, not shown\n", k->name);
		else if (k->fn == dd_k_key_file && file[0])
			fprintf(fp, "%s = %s\n", k->name, file);
	} else if (k->fn == dd_k_sun || k->fn == dd_k_str) {
		if (*(const char *)f)
			fprintf(fp, "%s = %s\n", k->name, (const char *)f);
	} else if (k->fn == dd_k_group) {
		if (f == &cfg->report_gid ? cfg->has_report_gid :
		    *(const uint32_t *)f != UINT32_MAX)
			fprintf(fp, "%s = %u\n", k->name, *(const uint32_t *)f);
	} else if (k->fn == dd_k_mode) {
		fprintf(fp, "%s = %04o\n", k->name, *(const uint32_t *)f);
	} else if (k->fn == dd_k_u32) {
		fprintf(fp, "%s = %u\n", k->name, *(const uint32_t *)f);
	} else if (k->fn == dd_k_dur) {
		fprintf(fp, "%s = %ums\n", k->name, *(const uint32_t *)f);
	} else if (k->fn == dd_k_pct || k->fn == dd_k_tenths) {
		v = *(const uint32_t *)f;
		fprintf(fp, "%s = %u.%u\n", k->name, v / 10, v % 10);
	} else if (k->fn == dd_k_bool || k->fn == dd_k_plan) {
		fprintf(fp, "%s = %s\n", k->name, *(const bool *)f ? "yes" : "no");
	} else if (k->fn == dd_k_addr || k->fn == dd_k_sid) {
		const struct dc_addr *a = f;

		if (a->family)
			fprintf(fp, "%s = %s\n", k->name,
				dc_addr_fmt(a->family, &a->u, buf, sizeof(buf)));
	} else if (k->fn == dd_k_proto) {
		fprintf(fp, "%s = %s\n", k->name,
			*(const uint8_t *)f == IPPROTO_UDP ? "udp" : "tcp");
	} else if (k->fn == dd_k_port) {
		/* 0 of a key that takes no 0: what it stands for */
		if (*(const uint16_t *)f || !k->min)
			fprintf(fp, "%s = %u\n", k->name, *(const uint16_t *)f);
	} else if (k->fn == dd_k_enum8) {
		v = *(const uint8_t *)f;
		if (v < k->n_names && k->names[v])
			fprintf(fp, "%s = %s\n", k->name, k->names[v]);
	} else if (k->fn == dd_k_svc) {
		if (!(svc->present & (1u << k->off)))
			return;
		v = svc->val[k->off];
		if (k->names && v < k->n_names && k->names[v])
			fprintf(fp, "%s = %s\n", k->name, k->names[v]);
		else
			fprintf(fp, "%s = %u\n", k->name, v);
	}
}

static void dd_print_section(FILE *fp, const struct dd_config *cfg,
			     enum dd_sec sec, const char *name,
			     const void *obj)
{
	unsigned int i;

	if (name)
		fprintf(fp, "\n[%s %s]\n", dd_sec_names[sec], name);
	else
		fprintf(fp, "\n[%s]\n", dd_sec_names[sec]);
	for (i = 0; i < sizeof(dd_keys) / sizeof(dd_keys[0]); i++)
		if (dd_keys[i].sec == sec)
			dd_print_key(fp, cfg, &dd_keys[i], obj);
}

/*
 * The configuration in effect, defaults and derived values included, in
 * the file's own syntax: what dyncastd -T prints.  An inline key is not
 * shown.
 */
void dd_config_print(const struct dd_config *cfg, FILE *fp)
{
	unsigned int i;

	fprintf(fp, "# dyncastd: the configuration in effect, from %s\n",
		cfg->path);
	dd_print_section(fp, cfg, DD_SEC_AGENT, NULL, cfg);
	if (cfg->router)
		dd_print_section(fp, cfg, DD_SEC_ROUTER, NULL, cfg);
	if (cfg->bgp)
		dd_print_section(fp, cfg, DD_SEC_BGP, NULL, cfg);
	for (i = 0; i < cfg->n_peers; i++)
		dd_print_section(fp, cfg, DD_SEC_PEER, cfg->peers[i].name,
				 &cfg->peers[i]);
	for (i = 0; i < cfg->n_instances; i++)
		dd_print_section(fp, cfg, DD_SEC_INSTANCE,
				 cfg->instances[i].name, &cfg->instances[i]);
	for (i = 0; i < cfg->n_services; i++)
		dd_print_section(fp, cfg, DD_SEC_SERVICE, cfg->services[i].name,
				 &cfg->services[i]);
}

static void dd_cfg_defaults(struct dd_config *cfg)
{
	cfg->port = DD_PROTO_PORT;
	dc_parse_addr("::", &cfg->listen);
	snprintf(cfg->control, sizeof(cfg->control), "%s", DD_CONTROL_DEFAULT);
	cfg->report_mode = 0660;
	cfg->policy = (struct dd_policy_cfg){
		.interval_ms = 5000,
		.min_interval_ms = 1000,
		.threshold_load = 100,
		.threshold_count = 5,
		.threshold_ratio = 10,
	};
	cfg->collect_ms = 1000;
	cfg->smoothing = 50;
	cfg->probe_ms = 500;
	cfg->relay = true;
	snprintf(cfg->bgp_socket, sizeof(cfg->bgp_socket), "%s",
		 DD_BGP_SOCKET_DEFAULT);
	cfg->bgp_link_bandwidth = true;
	cfg->bgp_gid = UINT32_MAX;
	cfg->probe_cost = true;
	cfg->passive_rtt = true;
	cfg->max_instances = 4096;
	cfg->forget_ms = HOUR;
}

static struct dd_config *dd_cfg_run(FILE *fp, const char *name, FILE *err)
{
	struct dd_cfg_parse *p;
	struct dd_config *cfg;
	int ret;

	p = calloc(1, sizeof(*p));
	cfg = calloc(1, sizeof(*cfg));
	if (!p || !cfg) {
		fprintf(err, "dyncastd: out of memory\n");
		goto err;
	}
	dd_cfg_defaults(cfg);
	snprintf(cfg->path, sizeof(cfg->path), "%s", name);
	p->cfg = cfg;
	p->file = name;
	p->fp = fp;
	p->errfp = err;
	ret = ini_parse_stream(dd_cfg_reader, p, dd_cfg_handler, p);
	if (!p->failed && ret > 0) {
		p->line = ret;
		dd_cfg_fail(p, NULL, "syntax error (expected [section] or key = value)");
	}
	if (p->failed || ferror(fp) || dd_cfg_check(p)) {
		if (!p->err[0])
			snprintf(p->err, sizeof(p->err), "%s: cannot read", name);
		fprintf(err, "dyncastd: %s\n", p->err);
		goto err;
	}
	free(p);
	return cfg;
err:
	dd_config_free(cfg);
	free(p);
	return NULL;
}

struct dd_config *dd_config_load(const char *path, FILE *err)
{
	struct dd_config *cfg;
	FILE *fp;

	fp = fopen(path, "re");
	if (!fp) {
		fprintf(err, "dyncastd: cannot open \"%s\": %s\n", path,
			strerror(errno));
		return NULL;
	}
	cfg = dd_cfg_run(fp, path, err);
	fclose(fp);
	return cfg;
}

struct dd_config *dd_config_parse_string(const char *text, const char *name,
					 FILE *err)
{
	struct dd_config *cfg;
	FILE *fp;

	fp = fmemopen((void *)text, strlen(text), "r");
	if (!fp)
		return NULL;
	cfg = dd_cfg_run(fp, name, err);
	fclose(fp);
	return cfg;
}

void dd_config_free(struct dd_config *cfg)
{
	if (!cfg)
		return;
	sodium_memzero(cfg->key, sizeof(cfg->key));
	sodium_memzero(cfg->next_key, sizeof(cfg->next_key));
	for (unsigned int i = 0; i < cfg->n_services; i++)
		sodium_memzero(cfg->services[i].fwd_key,
			       sizeof(cfg->services[i].fwd_key));
	free(cfg);
}

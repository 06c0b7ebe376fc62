// SPDX-License-Identifier: GPL-2.0
/*
 * What Prometheus scrapes: the text exposition format (version 0.0.4) of
 * the agent's counters, its peers and sites, and, for a D-Router, the
 * module's counters and figures per service and per instance, read from
 * the kernel at each scrape.  The HTTP side is control.c's.
 *
 * Names are dyncastd_* for the agent, dyncast_* for the module; labels
 * name the service (sid, proto, port), the instance (bid), the peer or the
 * site.  Counters end in _total; times are in seconds, loads as ratios.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/dyncast.h>
#include <linux/genetlink.h>

#include "dyncastd.h"

/* what the module holds, read for one scrape */
#define DD_MX_SVC_MAX	4096
#define DD_MX_INST_MAX	65536
#define DD_MX_CACHE_MS	1000

struct dd_mx_obj {
	char labels[192];
	uint64_t v[DYNCAST_A_INSTANCE_MAX + 1];
	uint32_t has;				/* bits of v[] */
	uint64_t st[DYNCAST_A_STATS_MAX + 1];
	uint32_t st_has;			/* bits of st[] */
};

struct dd_mx {
	struct dd_mx_obj *svc, *inst, ns;
	unsigned int n_svc, n_inst, cap_svc, cap_inst;
	bool ns_ok, full;
};

_Static_assert(DYNCAST_A_INSTANCE_MAX < 32 && DYNCAST_A_STATS_MAX < 32,
	       "the figures present are bits of a u32");

enum dd_mx_kind { DD_MX_COUNTER, DD_MX_GAUGE };

/* one figure: its attribute, name, kind, scale (value / div) and help */
struct dd_mx_fig {
	uint16_t attr;
	const char *name;
	uint8_t kind;
	uint32_t div;
	const char *help;
};

static const struct dd_mx_fig dd_mx_stats[] = {
	{ DYNCAST_A_STATS_PACKETS, "packets_total", DD_MX_COUNTER, 1, "Packets steered." },
	{ DYNCAST_A_STATS_BYTES, "bytes_total", DD_MX_COUNTER, 1, "Bytes steered." },
	{ DYNCAST_A_STATS_DEMANDS, "demands_total", DD_MX_COUNTER, 1, "New demands (instance selections)." },
	{ DYNCAST_A_STATS_NO_INSTANCE, "no_instance_drops_total", DD_MX_COUNTER, 1, "New demands dropped: no instance up." },
	{ DYNCAST_A_STATS_TABLE_FULL, "table_full_total", DD_MX_COUNTER, 1, "New demands steered by hash without a binding: the table full." },
	{ DYNCAST_A_STATS_NOT_START, "not_start_drops_total", DD_MX_COUNTER, 1, "Packets dropped: no binding, and not the start of a flow." },
	{ DYNCAST_A_STATS_TOO_BIG, "too_big_total", DD_MX_COUNTER, 1, "Packets answered with ICMP too big (tunnel mode)." },
	{ DYNCAST_A_STATS_XMIT_ERRORS, "xmit_errors_total", DD_MX_COUNTER, 1, "Packets lost on the way out." },
	{ DYNCAST_A_STATS_EXPIRED, "expired_bindings_total", DD_MX_COUNTER, 1, "Bindings removed after their idle timeout." },
	{ DYNCAST_A_STATS_BINDINGS, "bindings", DD_MX_GAUGE, 1, "Bindings now." },
	{ DYNCAST_A_STATS_MAX_BINDINGS, "max_bindings", DD_MX_GAUGE, 1, "Most bindings of the namespace." },
	{ DYNCAST_A_STATS_SERVICES, "services", DD_MX_GAUGE, 1, "Services now." },
	{ DYNCAST_A_STATS_MISSES_SENT, "misses_sent_total", DD_MX_COUNTER, 1, "Demands a forwarder sent to its D-Router marked miss." },
	{ DYNCAST_A_STATS_MISSES, "misses_total", DD_MX_COUNTER, 1, "Misses a D-Router steered." },
	{ DYNCAST_A_STATS_BINDINFO_SENT, "bindinfo_sent_total", DD_MX_COUNTER, 1, "Binding Info messages sent (D-Router)." },
	{ DYNCAST_A_STATS_BINDINFO_RECV, "bindinfo_received_total", DD_MX_COUNTER, 1, "Binding Info messages taken (forwarder)." },
	{ DYNCAST_A_STATS_NOTICES_SENT, "notices_sent_total", DD_MX_COUNTER, 1, "Unreachable-egress notices sent (D-Router)." },
	{ DYNCAST_A_STATS_NOTICES_RECV, "notices_received_total", DD_MX_COUNTER, 1, "Unreachable-egress notices taken (forwarder)." },
	{ DYNCAST_A_STATS_BAD_AUTH, "bad_auth_drops_total", DD_MX_COUNTER, 1, "Forwarder-protocol messages dropped: not authenticated." },
	{ DYNCAST_A_STATS_REPLAYED, "replayed_drops_total", DD_MX_COUNTER, 1, "Forwarder-protocol messages dropped: replayed." },
	{ DYNCAST_A_STATS_MALFORMED, "malformed_drops_total", DD_MX_COUNTER, 1, "Forwarder-protocol messages dropped: malformed or for no service." },
	{ DYNCAST_A_STATS_FORWARDERS, "forwarders", DD_MX_GAUGE, 1, "Forwarders a D-Router serves." },
	{ DYNCAST_A_STATS_LEARN_DROPS, "learn_drops_total", DD_MX_COUNTER, 1, "Binding Info not learnt: backlog, table or instances full." },
	{ DYNCAST_A_STATS_PEERS_FULL, "peers_full_drops_total", DD_MX_COUNTER, 1, "Misses dropped: the D-Router serves as many forwarders as it may." },
	{ DYNCAST_A_STATS_KEEPALIVES_SENT, "keepalives_sent_total", DD_MX_COUNTER, 1, "Keepalives sent (forwarder)." },
	{ DYNCAST_A_STATS_KEEPALIVES_RECV, "keepalives_received_total", DD_MX_COUNTER, 1, "Keepalives taken (D-Router)." },
	{ DYNCAST_A_STATS_RATELIMITED, "ratelimited_drops_total", DD_MX_COUNTER, 1, "Forwarder-protocol messages dropped over a rate." },
	{ DYNCAST_A_STATS_STALE, "stale_drops_total", DD_MX_COUNTER, 1, "Binding Info and notices older than one taken since about their instance (forwarder)." },
};

static const struct dd_mx_fig dd_mx_service[] = {
	{ DYNCAST_A_SERVICE_INSTANCES, "instances", DD_MX_GAUGE, 1, "Instances of the service." },
};

/* the state is a figure of its own: dyncast_instance_up */
static const struct dd_mx_fig dd_mx_instance[] = {
	{ DYNCAST_A_INSTANCE_WEIGHT, "weight", DD_MX_GAUGE, 1, "Weight of the instance." },
	{ DYNCAST_A_INSTANCE_CPU, "cpu_load_ratio", DD_MX_GAUGE, 1000, "CPU load of the instance, 0 to 1." },
	{ DYNCAST_A_INSTANCE_GPU, "gpu_load_ratio", DD_MX_GAUGE, 1000, "GPU load of the instance, 0 to 1." },
	{ DYNCAST_A_INSTANCE_SESSIONS, "sessions", DD_MX_GAUGE, 1, "Sessions the instance reports." },
	{ DYNCAST_A_INSTANCE_QUEUE, "queue", DD_MX_GAUGE, 1, "Queued requests the instance reports." },
	{ DYNCAST_A_INSTANCE_CAPACITY, "capacity", DD_MX_GAUGE, 1, "Sessions the instance serves at once, 0 unknown." },
	{ DYNCAST_A_INSTANCE_COST, "cost_seconds", DD_MX_GAUGE, 1000000, "Network cost to reach the instance." },
	{ DYNCAST_A_INSTANCE_SITE, "site", DD_MX_GAUGE, 1, "Edge site of the instance." },
	{ DYNCAST_A_INSTANCE_METRICS_AGE, "metrics_age_seconds", DD_MX_GAUGE, 1000, "Time since the instance's metrics were last set." },
	{ DYNCAST_A_INSTANCE_BINDINGS, "bindings", DD_MX_GAUGE, 1, "Bindings to the instance now." },
	{ DYNCAST_A_INSTANCE_SERVICE_TIME, "service_time_seconds", DD_MX_GAUGE, 1000000, "Service time of one demand (least-cost), 0 the service's." },
	{ DYNCAST_A_INSTANCE_LOAD, "load_ratio", DD_MX_GAUGE, 1000, "Expected load (least-cost), 0 to 1; 0 the larger of cpu and gpu." },
	{ DYNCAST_A_INSTANCE_INFLIGHT, "inflight", DD_MX_GAUGE, 1, "This router's demands at the instance that started and have not ended." },
};

/* dyncastd's own counters, as "dyncast agent show" names them */
static const char *const dd_mx_counter_help[DD_C_COUNT] = {
	[DD_C_RX] = "Datagrams received.",
	[DD_C_TX] = "Datagrams sent.",
	[DD_C_TX_ERRORS] = "Datagrams that could not be sent.",
	[DD_C_ANNOUNCES] = "Valid announcements received.",
	[DD_C_RECORDS] = "Instance records applied.",
	[DD_C_STALE] = "Records older than what is held.",
	[DD_C_DUPLICATES] = "Records already held.",
	[DD_C_LOOPS] = "Origin blocks that came back.",
	[DD_C_UNKNOWN_SERVICE] = "Records of services not configured.",
	[DD_C_TABLE_FULL] = "Records or BGP paths dropped: max-instances or the sites' limit reached (a BGP path once, however often tried again).",
	[DD_C_NOT_ROUTER] = "Announcements to an agent without the router role.",
	[DD_C_RELAYED] = "Records relayed.",
	[DD_C_PROBES] = "Probes answered.",
	[DD_C_PROBE_REPLIES] = "Probe replies matched.",
	[DD_C_KERNEL_ERRORS] = "Requests the kernel refused.",
	[DD_C_REPORTS] = "Report socket datagrams applied.",
	[DD_C_BAD_REPORTS] = "Report socket datagrams not understood.",
	[DD_C_REFUSED_REPORTS] = "Report socket datagrams from a user not allowed.",
	[DD_C_RX_NEXT_KEY] = "Messages taken with next-key.",
	[DD_C_CT_READ] = "Conntrack entries read to count sessions.",
	[DD_C_SOCK_READ] = "Established sockets read to count sessions.",
	[DD_C_SVCT_EVENTS] = "Events read to measure service times.",
	[DD_C_SVCT_LOST] = "Times events to measure service times were lost (a full buffer).",
	[DD_C_SVCT_UNTRACKED] = "Connections not followed to measure service times: too many open.",
	[DD_C_BGP_COMMANDS] = "Commands given to the BGP speaker.",
	[DD_C_BGP_REFUSED] = "Commands the BGP speaker refused.",
	[DD_C_BGP_REFUSED_CONN] = "Second BGP speakers refused while one is connected.",
	[DD_C_BGP_REFUSED_USER] = "BGP speakers of a user not allowed refused (abstract socket).",
	[DD_C_BGP_PATHS] = "BGP paths announced or withdrawn to this router.",
	[DD_C_BGP_MALFORMED] = "BGP paths that are no valid instance, taken as withdrawn.",
	[DD_C_WRONG_TRANSPORT] = "Agent protocol announcements while BGP carries them.",
	[DD_C_KERNEL_REPAIRED] = "Instances found missing from the kernel (by the audit or an update), added again.",
	[DD_C_PASSIVE_RTT] = "Handshakes of demands in rewrite mode timed, as samples of their site's RTT.",
};

/* a label value: backslash, double quote and newline escaped */
static const char *dd_mx_esc(char *out, size_t size, const char *in)
{
	size_t o = 0;

	for (; *in && o + 3 < size; in++) {
		if (*in == '\\' || *in == '"' || *in == '\n') {
			out[o++] = '\\';
			out[o++] = *in == '\n' ? 'n' : *in;
		} else {
			out[o++] = *in;
		}
	}
	out[o] = '\0';
	return out;
}

/* the counters a peer has of its own */
#define DD_C_PER_PEER							\
	((1ull << DD_C_RX) | (1ull << DD_C_TX) |			\
	 (1ull << DD_C_TX_ERRORS) | (1ull << DD_C_ANNOUNCES) |		\
	 (1ull << DD_C_RECORDS) | (1ull << DD_C_STALE) |		\
	 (1ull << DD_C_DUPLICATES) | (1ull << DD_C_LOOPS) |		\
	 (1ull << DD_C_UNKNOWN_SERVICE) | (1ull << DD_C_TABLE_FULL) |	\
	 (1ull << DD_C_NOT_ROUTER) | (1ull << DD_C_RELAYED) |		\
	 (1ull << DD_C_PROBES) | (1ull << DD_C_PROBE_REPLIES) |	\
	 (1ull << DD_C_RX_NEXT_KEY))

_Static_assert(DD_C_COUNT <= 64, "the counters are bits of a u64");

/* Prometheus wants [a-zA-Z0-9_]: "tx-errors" is tx_errors */
static void dd_mx_name(char *out, size_t size, const char *in)
{
	size_t i;

	for (i = 0; i + 1 < size && in[i]; i++)
		out[i] = in[i] == '-' ? '_' : in[i];
	out[i] = '\0';
}

static void dd_mx_head(FILE *fp, const char *name, uint8_t kind,
		       const char *help)
{
	fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", name, help ? help : name,
		name, kind == DD_MX_COUNTER ? "counter" : "gauge");
}

static void dd_mx_value(FILE *fp, uint64_t v, uint32_t div)
{
	if (div == 1)
		fprintf(fp, "%llu\n", (unsigned long long)v);
	else
		fprintf(fp, "%.6g\n", (double)v / div);
}

/* ------------------------------------------------------------------ */
/* The agent                                                            */

static void dd_mx_agent(FILE *fp, struct dd_ctx *ctx)
{
	char name[96], key[64], peer[2 * DD_NAME_MAX + 1];
	unsigned int c, i;

	for (c = 0; c < DD_C_COUNT; c++) {
		dd_mx_name(key, sizeof(key), dd_counter_names[c]);
		snprintf(name, sizeof(name), "dyncastd_%s_total", key);
		dd_mx_head(fp, name, DD_MX_COUNTER, dd_mx_counter_help[c]);
		fprintf(fp, "%s %llu\n", name,
			(unsigned long long)ctx->cnt.c[c]);
		if (!ctx->n_peers || !(DD_C_PER_PEER & (1ull << c)))
			continue;
		snprintf(name, sizeof(name), "dyncastd_peer_%s_total", key);
		dd_mx_head(fp, name, DD_MX_COUNTER, dd_mx_counter_help[c]);
		for (i = 0; i < ctx->n_peers; i++)
			fprintf(fp, "%s{peer=\"%s\"} %llu\n", name,
				dd_mx_esc(peer, sizeof(peer), ctx->peers[i].cfg.name),
				(unsigned long long)ctx->peers[i].cnt.c[c]);
	}

	dd_mx_head(fp, "dyncastd_dropped_total", DD_MX_COUNTER,
		   "Agent-protocol messages dropped, by reason.");
	for (c = 1; c < DD_DROP_COUNT; c++)
		fprintf(fp, "dyncastd_dropped_total{reason=\"%s\"} %llu\n",
			dd_drop_names[c], (unsigned long long)ctx->cnt.drop[c]);
	if (ctx->n_peers) {
		dd_mx_head(fp, "dyncastd_peer_dropped_total", DD_MX_COUNTER,
			   "Agent-protocol messages dropped, by peer and reason.");
		for (i = 0; i < ctx->n_peers; i++)
			for (c = 1; c < DD_DROP_COUNT; c++)
				fprintf(fp, "dyncastd_peer_dropped_total{peer=\"%s\",reason=\"%s\"} %llu\n",
					dd_mx_esc(peer, sizeof(peer),
						  ctx->peers[i].cfg.name),
					dd_drop_names[c],
					(unsigned long long)ctx->peers[i].cnt.drop[c]);
		dd_mx_head(fp, "dyncastd_peer_rtt_seconds", DD_MX_GAUGE,
			   "Smoothed round-trip time to the peer (absent: not measured yet).");
		for (i = 0; i < ctx->n_peers; i++)
			if (ctx->peers[i].rtt.has)
				fprintf(fp, "dyncastd_peer_rtt_seconds{peer=\"%s\"} %.6g\n",
					dd_mx_esc(peer, sizeof(peer), ctx->peers[i].cfg.name),
					ctx->peers[i].rtt.srtt_us / 1e6);
		dd_mx_head(fp, "dyncastd_peer_probes_lost_total", DD_MX_COUNTER,
			   "Probes to the peer that got no reply.");
		for (i = 0; i < ctx->n_peers; i++)
			fprintf(fp, "dyncastd_peer_probes_lost_total{peer=\"%s\"} %llu\n",
				dd_mx_esc(peer, sizeof(peer), ctx->peers[i].cfg.name),
				(unsigned long long)ctx->peers[i].rtt.lost);
	}
	if (!ctx->cfg->router)
		return;

	dd_mx_head(fp, "dyncastd_kernel_up", DD_MX_GAUGE,
		   "1 when the agent talks to the dyncast module.");
	fprintf(fp, "dyncastd_kernel_up %d\n", ctx->nl_ready ? 1 : 0);
	dd_mx_head(fp, "dyncastd_learned_instances", DD_MX_GAUGE,
		   "Instances learnt from other agents.");
	fprintf(fp, "dyncastd_learned_instances %u\n",
		ctx->entries.n - ctx->n_gone);
	if (!ctx->n_sites)
		return;
	dd_mx_head(fp, "dyncastd_site_up", DD_MX_GAUGE,
		   "1 while the site's announcements arrive within its hold time.");
	for (i = 0; i < ctx->n_sites; i++) {
		struct in_addr in = { .s_addr = htonl(ctx->sites[i]->id) };
		char id[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &in, id, sizeof(id));
		fprintf(fp, "dyncastd_site_up{site=\"%s\"} %d\n", id,
			!ctx->sites[i]->down);
	}
}

/* ------------------------------------------------------------------ */
/* The module                                                           */

struct dd_mx_tb {
	const struct nlattr *a[32];
	unsigned int max;
};

/* labels of a service (@tb: its nest's attributes) */
static int dd_mx_svc_labels(char *buf, size_t size, const struct dd_mx_tb *s)
{
	const struct nlattr *a4 = s->a[DYNCAST_A_SERVICE_ADDR4];
	const struct nlattr *a6 = s->a[DYNCAST_A_SERVICE_ADDR6];
	const struct nlattr *proto = s->a[DYNCAST_A_SERVICE_PROTO];
	const struct nlattr *port = s->a[DYNCAST_A_SERVICE_PORT];
	char addr[INET6_ADDRSTRLEN];
	uint8_t p;

	if (a4 && mnl_attr_get_payload_len(a4) == 4)
		inet_ntop(AF_INET, mnl_attr_get_payload(a4), addr, sizeof(addr));
	else if (a6 && mnl_attr_get_payload_len(a6) == 16)
		inet_ntop(AF_INET6, mnl_attr_get_payload(a6), addr, sizeof(addr));
	else
		return -1;
	if (!proto || mnl_attr_get_payload_len(proto) != 1)
		return -1;
	p = mnl_attr_get_u8(proto);
	snprintf(buf, size, "sid=\"%s\",proto=\"%s\",port=\"%u\"", addr,
		 p == IPPROTO_TCP ? "tcp" : p == IPPROTO_UDP ? "udp" : "?",
		 port && mnl_attr_get_payload_len(port) == 2 ?
		 ntohs(mnl_attr_get_u16(port)) : 0);
	return 0;
}

static int dd_mx_tb_cb(const struct nlattr *attr, void *data)
{
	struct dd_mx_tb *tb = data;
	unsigned int type = mnl_attr_get_type(attr);

	if (type <= tb->max && type < 32)
		tb->a[type] = attr;
	return MNL_CB_OK;
}

static void dd_mx_tb_nest(struct dd_mx_tb *tb, const struct nlattr *nest,
			  unsigned int max)
{
	memset(tb, 0, sizeof(*tb));
	tb->max = max;
	if (nest)
		mnl_attr_parse_nested(nest, dd_mx_tb_cb, tb);
}

/* a number of 1, 4 or 8 bytes */
static bool dd_mx_num(const struct nlattr *a, uint64_t *v)
{
	switch (mnl_attr_get_payload_len(a)) {
	case 1:
		*v = mnl_attr_get_u8(a);
		return true;
	case 4:
		*v = mnl_attr_get_u32(a);
		return true;
	case 8:
		*v = mnl_attr_get_u64(a);
		return true;
	default:
		return false;
	}
}

/* the top-level attributes of a reply */
static void dd_mx_tb_msg(struct dd_mx_tb *tb, const struct nlmsghdr *nlh)
{
	memset(tb, 0, sizeof(*tb));
	tb->max = DYNCAST_A_MAX;
	mnl_attr_parse(nlh, GENL_HDRLEN, dd_mx_tb_cb, tb);
}

/* the figures of @figs that @tb has, into @o */
static void dd_mx_figs_of(struct dd_mx_obj *o, const struct dd_mx_tb *tb,
			  const struct dd_mx_fig *figs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint16_t at = figs[i].attr;

		if (tb->a[at] && dd_mx_num(tb->a[at], &o->v[at]))
			o->has |= 1u << at;
	}
}

static void dd_mx_stats_of(struct dd_mx_obj *o, const struct nlattr *nest)
{
	struct dd_mx_tb tb;
	unsigned int i;

	dd_mx_tb_nest(&tb, nest, DYNCAST_A_STATS_MAX);
	for (i = 2; i <= DYNCAST_A_STATS_MAX; i++)
		if (tb.a[i] && dd_mx_num(tb.a[i], &o->st[i]))
			o->st_has |= 1u << i;
}

/* room for one more service or instance; NULL (and mx->full) past a limit */
static struct dd_mx_obj *dd_mx_add(struct dd_mx *mx, bool inst)
{
	struct dd_mx_obj **arr = inst ? &mx->inst : &mx->svc;
	unsigned int *n = inst ? &mx->n_inst : &mx->n_svc;
	unsigned int *cap = inst ? &mx->cap_inst : &mx->cap_svc;
	unsigned int max = inst ? DD_MX_INST_MAX : DD_MX_SVC_MAX;
	struct dd_mx_obj *o;

	if (*n >= max) {
		mx->full = true;
		return NULL;
	}
	if (*n == *cap) {
		unsigned int want = *cap ? 2 * *cap : 16;

		o = reallocarray(*arr, want, sizeof(**arr));
		if (!o) {
			mx->full = true;
			return NULL;
		}
		*arr = o;
		*cap = want;
	}
	o = &(*arr)[(*n)++];
	memset(o, 0, sizeof(*o));
	return o;
}

static int dd_mx_service_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dd_mx *mx = data;
	struct dd_mx_tb top, s;
	struct dd_mx_obj *o;

	dd_mx_tb_msg(&top, nlh);
	dd_mx_tb_nest(&s, top.a[DYNCAST_A_SERVICE], DYNCAST_A_SERVICE_MAX);
	o = dd_mx_add(mx, false);
	if (!o)
		return MNL_CB_OK;
	if (dd_mx_svc_labels(o->labels, sizeof(o->labels), &s)) {
		mx->n_svc--;
		return MNL_CB_OK;
	}
	dd_mx_figs_of(o, &s, dd_mx_service,
		      sizeof(dd_mx_service) / sizeof(dd_mx_service[0]));
	dd_mx_stats_of(o, s.a[DYNCAST_A_SERVICE_STATS]);
	return MNL_CB_OK;
}

static int dd_mx_instance_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dd_mx *mx = data;
	struct dd_mx_tb top, s, in;
	char svc[120], bid[INET6_ADDRSTRLEN];
	struct dd_mx_obj *o;

	dd_mx_tb_msg(&top, nlh);
	dd_mx_tb_nest(&s, top.a[DYNCAST_A_SERVICE], DYNCAST_A_SERVICE_MAX);
	dd_mx_tb_nest(&in, top.a[DYNCAST_A_INSTANCE], DYNCAST_A_INSTANCE_MAX);
	if (dd_mx_svc_labels(svc, sizeof(svc), &s))
		return MNL_CB_OK;
	if (in.a[DYNCAST_A_INSTANCE_ADDR4] &&
	    mnl_attr_get_payload_len(in.a[DYNCAST_A_INSTANCE_ADDR4]) == 4)
		inet_ntop(AF_INET, mnl_attr_get_payload(in.a[DYNCAST_A_INSTANCE_ADDR4]),
			  bid, sizeof(bid));
	else if (in.a[DYNCAST_A_INSTANCE_ADDR6] &&
		 mnl_attr_get_payload_len(in.a[DYNCAST_A_INSTANCE_ADDR6]) == 16)
		inet_ntop(AF_INET6, mnl_attr_get_payload(in.a[DYNCAST_A_INSTANCE_ADDR6]),
			  bid, sizeof(bid));
	else
		return MNL_CB_OK;
	o = dd_mx_add(mx, true);
	if (!o)
		return MNL_CB_OK;
	snprintf(o->labels, sizeof(o->labels), "%s,bid=\"%s\"", svc, bid);
	dd_mx_figs_of(o, &in, dd_mx_instance,
		      sizeof(dd_mx_instance) / sizeof(dd_mx_instance[0]));
	if (in.a[DYNCAST_A_INSTANCE_STATE] &&
	    dd_mx_num(in.a[DYNCAST_A_INSTANCE_STATE],
		      &o->v[DYNCAST_A_INSTANCE_STATE]))
		o->has |= 1u << DYNCAST_A_INSTANCE_STATE;
	dd_mx_stats_of(o, in.a[DYNCAST_A_INSTANCE_STATS]);
	return MNL_CB_OK;
}

static int dd_mx_ns_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dd_mx *mx = data;
	struct dd_mx_tb top;

	dd_mx_tb_msg(&top, nlh);
	dd_mx_stats_of(&mx->ns, top.a[DYNCAST_A_STATS]);
	mx->ns_ok = true;
	return MNL_CB_OK;
}

/* each figure of @figs, for each object of @objs that has it */
static void dd_mx_family(FILE *fp, const char *prefix,
			 const struct dd_mx_fig *figs, unsigned int n_figs,
			 const struct dd_mx_obj *objs, unsigned int n_objs,
			 bool stats)
{
	char name[96];
	unsigned int f, i;

	for (f = 0; f < n_figs; f++) {
		const struct dd_mx_fig *fig = &figs[f];
		bool head = false;

		for (i = 0; i < n_objs; i++) {
			const struct dd_mx_obj *o = &objs[i];
			uint32_t has = stats ? o->st_has : o->has;

			if (!(has & (1u << fig->attr)))
				continue;
			if (!head) {
				snprintf(name, sizeof(name), "%s_%s", prefix,
					 fig->name);
				dd_mx_head(fp, name, fig->kind, fig->help);
				head = true;
			}
			if (o->labels[0])
				fprintf(fp, "%s{%s} ", name, o->labels);
			else
				fprintf(fp, "%s ", name);
			dd_mx_value(fp, stats ? o->st[fig->attr] : o->v[fig->attr],
				    fig->div);
		}
	}
}

static void dd_mx_kernel(FILE *fp, struct dd_ctx *ctx)
{
	static const char *const states[] = { "up", "drain", "down" };
	struct dd_mx mx = {};
	unsigned int i, s;
	int ret;

	dd_mx_head(fp, "dyncastd_kernel_read_ok", DD_MX_GAUGE,
		   "1 when this scrape read everything the module holds.");
	if (dd_kernel_open(ctx)) {
		fputs("dyncastd_kernel_read_ok 0\n", fp);
		return;
	}
	ret = dd_kernel_read(ctx, DYNCAST_CMD_SERVICE_GET, true,
			     dd_mx_service_cb, &mx);
	if (!ret)
		ret = dd_kernel_read(ctx, DYNCAST_CMD_INSTANCE_GET, true,
				     dd_mx_instance_cb, &mx);
	if (!ret)
		ret = dd_kernel_read(ctx, DYNCAST_CMD_STATS_GET, false,
				     dd_mx_ns_cb, &mx);
	fprintf(fp, "dyncastd_kernel_read_ok %d\n", !ret && !mx.full);

	if (mx.ns_ok)
		dd_mx_family(fp, "dyncast", dd_mx_stats,
			     sizeof(dd_mx_stats) / sizeof(dd_mx_stats[0]),
			     &mx.ns, 1, true);
	dd_mx_family(fp, "dyncast_service", dd_mx_service,
		     sizeof(dd_mx_service) / sizeof(dd_mx_service[0]),
		     mx.svc, mx.n_svc, false);
	dd_mx_family(fp, "dyncast_service", dd_mx_stats,
		     sizeof(dd_mx_stats) / sizeof(dd_mx_stats[0]),
		     mx.svc, mx.n_svc, true);
	if (mx.n_inst) {
		dd_mx_head(fp, "dyncast_instance_state", DD_MX_GAUGE,
			   "1 for the state the instance is in (up, drain, down).");
		for (i = 0; i < mx.n_inst; i++)
			for (s = 0; s < 3; s++)
				fprintf(fp, "dyncast_instance_state{%s,state=\"%s\"} %d\n",
					mx.inst[i].labels, states[s],
					mx.inst[i].v[DYNCAST_A_INSTANCE_STATE] == s);
	}
	dd_mx_family(fp, "dyncast_instance", dd_mx_instance,
		     sizeof(dd_mx_instance) / sizeof(dd_mx_instance[0]),
		     mx.inst, mx.n_inst, false);
	dd_mx_family(fp, "dyncast_instance", dd_mx_stats,
		     sizeof(dd_mx_stats) / sizeof(dd_mx_stats[0]),
		     mx.inst, mx.n_inst, true);
	free(mx.svc);
	free(mx.inst);
}

/* The whole text of one scrape, or NULL (out of memory). */
static char *dd_metrics_build(struct dd_ctx *ctx, size_t *len)
{
	char *text = NULL;
	FILE *fp;

	fp = open_memstream(&text, len);
	if (!fp)
		return NULL;
	dd_mx_agent(fp, ctx);
	if (ctx->cfg->router)
		dd_mx_kernel(fp, ctx);
	if (fclose(fp)) {
		free(text);
		return NULL;
	}
	return text;
}

/*
 * What a scraper gets, a copy for it to free: the module is read at most
 * once every DD_MX_CACHE_MS, however often and by how many it is asked.
 */
char *dd_metrics_text(struct dd_ctx *ctx, size_t *len)
{
	uint64_t now = dd_now_ms();
	char *copy;

	if (!ctx->mx_cache || now - ctx->mx_cache_at >= DD_MX_CACHE_MS) {
		free(ctx->mx_cache);
		ctx->mx_cache = dd_metrics_build(ctx, &ctx->mx_cache_len);
		ctx->mx_cache_at = now;
		if (!ctx->mx_cache)
			return NULL;
	}
	copy = malloc(ctx->mx_cache_len + 1);
	if (!copy)
		return NULL;
	memcpy(copy, ctx->mx_cache, ctx->mx_cache_len + 1);
	*len = ctx->mx_cache_len;
	return copy;
}

void dd_metrics_free(struct dd_ctx *ctx)
{
	free(ctx->mx_cache);
	ctx->mx_cache = NULL;
}

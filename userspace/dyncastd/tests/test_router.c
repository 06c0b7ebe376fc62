// SPDX-License-Identifier: GPL-2.0
/*
 * The router's table and its kernel passes, against a stand-in for the
 * dyncast generic netlink family: what is learnt reaches the kernel in
 * batches, a pass sends only what changed, withdrawn instances are deleted
 * and freed, what the kernel refused is tried again by itself, a service
 * deleted behind our back is made again with all its instances, and a
 * silent agent's instances go down.  Each service's instances are listed
 * apart; a plan pushes the service time an instance shows; the audit puts
 * back what was deleted behind our back.  The clock is the test's; calloc
 * fails where a test says.
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
#include <cmocka.h>
#include <linux/dyncast.h>
#include <linux/genetlink.h>

#include "dyncastd.h"

/* --- allocations ---------------------------------------------------------- */

void *__real_calloc(size_t n, size_t size);
static size_t calloc_fail_size;	/* calloc(1, this) fails; 0 none */

void *__wrap_calloc(size_t n, size_t size)
{
	if (calloc_fail_size && n == 1 && size == calloc_fail_size)
		return NULL;
	return __real_calloc(n, size);
}

/* --- the clock and the network ------------------------------------------- */

static uint64_t now_ms = 1000000;

uint64_t dd_now_ms(void)
{
	return now_ms;
}

void dd_probe(struct dd_ctx *ctx, struct dd_rtt *r, const struct dc_addr *a,
	      uint16_t port, uint32_t to, int id)
{
	(void)ctx, (void)r, (void)a, (void)port, (void)to, (void)id;
}

/* the handshakes' timing has its own test (test_prtt) */
void dd_passive_apply(struct dd_ctx *ctx)
{
	(void)ctx;
}

void dd_passive_exit(struct dd_ctx *ctx)
{
	(void)ctx;
}

/* records sent on to peers (relayed), withdrawals among them */
static unsigned int sent_records, sent_withdrawals;

int dd_send_origin(struct dd_ctx *ctx, const struct dd_origin *o,
		   const struct dd_record *recs, unsigned int n,
		   const struct dc_addr *to, uint16_t port)
{
	unsigned int i;

	(void)ctx, (void)o, (void)to, (void)port;
	sent_records += n;
	for (i = 0; i < n; i++)
		sent_withdrawals += recs[i].withdrawn;
	return 0;
}

/* --- the kernel: services and their instances ------------------------------ */

#define K_SVC	4
#define K_INST	4096

struct k_inst {
	uint32_t svc, bid;	/* svc: its service's address */
	uint8_t state;
	uint32_t cpu, cost, service_time;
	bool has_service_time;	/* in a request: SET changes it */
	uint16_t port;		/* host order */
	bool has_port;		/* in a request: SET changes it */
	uint64_t demands;	/* the router's, as its dump says */
};

static struct {
	uint32_t svc[K_SVC];
	unsigned int n_svc;
	struct k_inst inst[K_INST];
	unsigned int n_inst;
	/* per command: requests and the instances they carried */
	unsigned int req[DYNCAST_CMD_MAX + 1], inst_req[DYNCAST_CMD_MAX + 1];
	/* the next fail_n requests of fail_cmd get fail_err */
	uint8_t fail_cmd;
	int fail_err;
	unsigned int fail_n;
	bool open;		/* the socket, between open and close */
	unsigned int opened;
	bool missing;		/* no dyncast family: the module not loaded */
	uint16_t family;	/* its id, 42 until loaded again */
	bool dump_intr;		/* dumps interrupted by a change */
	/* requests naming bid fail with err, n times */
	struct {
		uint32_t bid;
		int err;
		unsigned int n;
	} fail_bid[2];
} k;

static int k_svc(uint32_t sid)
{
	unsigned int i;

	for (i = 0; i < k.n_svc; i++)
		if (k.svc[i] == sid)
			return (int)i;
	return -1;
}

static struct k_inst *k_inst(uint32_t sid, uint32_t bid)
{
	unsigned int i;

	for (i = 0; i < k.n_inst; i++)
		if (k.inst[i].svc == sid && k.inst[i].bid == bid)
			return &k.inst[i];
	return NULL;
}

static unsigned int k_count(uint32_t sid)
{
	unsigned int i, n = 0;

	for (i = 0; i < k.n_inst; i++)
		n += k.inst[i].svc == sid;
	return n;
}

static void k_del_svc(uint32_t sid)
{
	unsigned int i;

	for (i = 0; i < k.n_inst;) {
		if (k.inst[i].svc == sid)
			k.inst[i] = k.inst[--k.n_inst];
		else
			i++;
	}
	for (i = 0; i < k.n_svc; i++)
		if (k.svc[i] == sid)
			k.svc[i] = k.svc[--k.n_svc];
}

struct k_req {
	uint32_t sid;
	struct k_inst inst[64];
	unsigned int n;
};

static void k_parse(const struct nlmsghdr *nlh, struct k_req *r)
{
	const struct nlattr *a, *b;

	memset(r, 0, sizeof(*r));
	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(a) == DYNCAST_A_SERVICE) {
			mnl_attr_for_each_nested(b, a)
				if (mnl_attr_get_type(b) == DYNCAST_A_SERVICE_ADDR4)
					memcpy(&r->sid, mnl_attr_get_payload(b), 4);
		} else if (mnl_attr_get_type(a) == DYNCAST_A_INSTANCE) {
			struct k_inst *in = &r->inst[r->n++];

			assert_true(r->n <= 64);
			mnl_attr_for_each_nested(b, a) {
				switch (mnl_attr_get_type(b)) {
				case DYNCAST_A_INSTANCE_ADDR4:
					memcpy(&in->bid, mnl_attr_get_payload(b), 4);
					break;
				case DYNCAST_A_INSTANCE_STATE:
					in->state = mnl_attr_get_u8(b);
					break;
				case DYNCAST_A_INSTANCE_CPU:
					in->cpu = mnl_attr_get_u32(b);
					break;
				case DYNCAST_A_INSTANCE_COST:
					in->cost = mnl_attr_get_u32(b);
					break;
				case DYNCAST_A_INSTANCE_SERVICE_TIME:
					in->service_time = mnl_attr_get_u32(b);
					in->has_service_time = true;
					break;
				case DYNCAST_A_INSTANCE_PORT:
					in->port = ntohs(mnl_attr_get_u16(b));
					in->has_port = true;
					break;
				}
			}
		}
	}
}

/* One request, all or nothing, as the module does it */
static int k_do(uint8_t cmd, struct k_req *r)
{
	unsigned int i;

	switch (cmd) {
	case DYNCAST_CMD_SERVICE_NEW:
		if (k_svc(r->sid) >= 0)
			return -EEXIST;
		assert_true(k.n_svc < K_SVC);
		k.svc[k.n_svc++] = r->sid;
		return 0;
	case DYNCAST_CMD_SERVICE_SET:
		return k_svc(r->sid) < 0 ? -ENOENT : 0;
	case DYNCAST_CMD_SERVICE_DEL:
		if (k_svc(r->sid) < 0)
			return -ENOENT;
		k_del_svc(r->sid);
		return 0;
	}
	if (k_svc(r->sid) < 0)
		return -ENOENT;
	for (i = 0; i < r->n; i++) {
		bool have = k_inst(r->sid, r->inst[i].bid);

		if (cmd == DYNCAST_CMD_INSTANCE_NEW && have)
			return -EEXIST;
		if (cmd != DYNCAST_CMD_INSTANCE_NEW && !have)
			return -ENOENT;
	}
	for (i = 0; i < r->n; i++) {
		struct k_inst *in = k_inst(r->sid, r->inst[i].bid);

		r->inst[i].svc = r->sid;
		if (cmd == DYNCAST_CMD_INSTANCE_NEW) {
			assert_true(k.n_inst < K_INST);
			k.inst[k.n_inst++] = r->inst[i];
		} else if (cmd == DYNCAST_CMD_INSTANCE_SET) {
			/* what a SET leaves out stays, as in the module */
			r->inst[i].demands = in->demands;
			if (!r->inst[i].has_service_time)
				r->inst[i].service_time = in->service_time;
			if (!r->inst[i].has_port)
				r->inst[i].port = in->port;
			*in = r->inst[i];
		} else {
			*in = k.inst[--k.n_inst];
		}
	}
	return 0;
}

/* The instances of service @sid as INSTANCE_GET dumps them, in part */
static int k_dump(uint32_t sid, mnl_cb_t cb, void *data)
{
	char buf[512];
	struct nlmsghdr *nlh;
	struct nlattr *nest, *stats;
	unsigned int i;

	if (k_svc(sid) < 0)
		return -ENOENT;
	for (i = 0; i < k.n_inst; i++) {
		if (k.inst[i].svc != sid)
			continue;
		nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = k.family;
		mnl_nlmsg_put_extra_header(nlh, GENL_HDRLEN);
		nest = mnl_attr_nest_start(nlh, DYNCAST_A_INSTANCE);
		mnl_attr_put(nlh, DYNCAST_A_INSTANCE_ADDR4, 4, &k.inst[i].bid);
		stats = mnl_attr_nest_start(nlh, DYNCAST_A_INSTANCE_STATS);
		mnl_attr_put_u64(nlh, DYNCAST_A_STATS_DEMANDS,
				 k.inst[i].demands);
		mnl_attr_nest_end(nlh, stats);
		mnl_attr_nest_end(nlh, nest);
		if (cb(nlh, data) < 0)
			return -EINVAL;
	}
	return 0;
}

int __wrap_dc_nl_open(struct dc_nl *nl, FILE *err)
{
	memset(nl, 0, sizeof(*nl));
	nl->err = err;
	k.open = true;
	k.opened++;
	return 0;
}

int __wrap_dc_nl_resolve(struct dc_nl *nl, const char *name, const char *grp)
{
	(void)name, (void)grp;
	if (k.missing)
		return -ENOENT;
	nl->family = k.family;
	return 0;
}

void __wrap_dc_nl_close(struct dc_nl *nl)
{
	(void)nl;
	k.open = false;
}

int __wrap_dc_nl_talk(struct dc_nl *nl, struct nlmsghdr *req,
		      const struct dc_attr_set *names, mnl_cb_t cb, void *data)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(req);
	unsigned int i, j;
	struct k_req r;
	int ret;

	(void)nl, (void)names, (void)cb, (void)data;
	/* a closed socket is not written to: the real one would crash */
	assert_true(k.open);
	assert_true(g->cmd <= DYNCAST_CMD_MAX);
	/* a family id of an earlier load of the module: no such family */
	if (req->nlmsg_type != k.family)
		return -ENOENT;
	/* the plan's dump of a service: each instance's demands */
	if (req->nlmsg_flags & NLM_F_DUMP) {
		k_parse(req, &r);
		ret = k_dump(r.sid, cb, data);
		return ret || !k.dump_intr ? ret : DC_NL_INTR;
	}
	k_parse(req, &r);
	k.req[g->cmd]++;
	k.inst_req[g->cmd] += r.n;
	if (k.fail_n && g->cmd == k.fail_cmd) {
		k.fail_n--;
		return k.fail_err;
	}
	for (i = 0; i < r.n; i++) {
		for (j = 0; j < 2; j++) {
			if (k.fail_bid[j].n &&
			    r.inst[i].bid == htonl(k.fail_bid[j].bid)) {
				k.fail_bid[j].n--;
				return k.fail_bid[j].err;
			}
		}
	}
	return k_do(g->cmd, &r);
}

/* --- the router ------------------------------------------------------------ */

#define SID_A	0xcb007101	/* 203.0.113.1 */
#define SID_B	0xcb007102

static const char conf[] =
	"[agent]\n"
	"id = 10.0.0.9\n"
	"key = lmKv2p0fOqO7BFMSYhPHhZF4Cg8n7m+f+8o9oI6cCNE=\n"
	"[router]\n"
	"probe-cost = no\n"
	"max-instances = 100000\n"
	"[service a]\n"
	"sid = 203.0.113.1\nproto = tcp\nport = 80\nplan = no\n"
	"[service b]\n"
	"sid = 203.0.113.2\nproto = tcp\nport = 80\nplan = no\n";

static struct dd_ctx *ctx;

static int setup_with(const char *text)
{
	memset(&k, 0, sizeof(k));
	k.family = 42;
	ctx = calloc(1, sizeof(*ctx));
	assert_non_null(ctx);
	assert_int_equal(dd_loop_init(&ctx->loop), 0);
	ctx->cfg = dd_config_parse_string(text, "t.conf", stderr);
	assert_non_null(ctx->cfg);
	ctx->id = ctx->cfg->id;
	assert_int_equal(dd_router_apply(ctx), 0);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	return setup_with(conf);
}

/* room for 4 instances */
static int setup_small(void **state)
{
	char text[sizeof(conf)];
	char *at;

	(void)state;
	memcpy(text, conf, sizeof(conf));
	at = strstr(text, "max-instances = 100000\n");
	assert_non_null(at);
	memcpy(at, "max-instances = 4     ", 22);
	return setup_with(text);
}

static int teardown(void **state)
{
	(void)state;
	calloc_fail_size = 0;
	ctx->peers = NULL;
	ctx->n_peers = 0;
	dd_router_exit(ctx);
	dd_loop_exit(&ctx->loop);
	dd_config_free(ctx->cfg);
	free(ctx);
	return 0;
}

/* the configuration @text in place of the running one (SIGHUP) */
static void reload(const char *text)
{
	struct dd_config *old = ctx->cfg;

	ctx->cfg = dd_config_parse_string(text, "t.conf", stderr);
	assert_non_null(ctx->cfg);
	assert_int_equal(dd_router_apply(ctx), 0);
	dd_config_free(old);
}

/*
 * The timers due by now, the kernel's pass among them.  The loop is told
 * a time beyond every timer, so that it does not wait for the next one
 * in real time; it runs those due on the test's clock.
 */
static void run(uint64_t ms)
{
	now_ms += ms;
	assert_int_equal(dd_loop_once(&ctx->loop, UINT64_MAX), 0);
}

static void reset_counts(void)
{
	memset(k.req, 0, sizeof(k.req));
	memset(k.inst_req, 0, sizeof(k.inst_req));
}

static struct dd_record rec(uint32_t sid, uint32_t bid, uint32_t cpu)
{
	struct dd_record r = { .state = DD_STATE_UP };

	r.key.svc.sid.family = AF_INET;
	r.key.svc.sid.u.in.s_addr = htonl(sid);
	r.key.svc.proto = IPPROTO_TCP;
	r.key.svc.port = 80;
	r.key.bid.family = AF_INET;
	r.key.bid.u.in.s_addr = htonl(bid);
	r.present = 1u << DD_M_CPU;
	r.m[DD_M_CPU] = cpu;
	return r;
}

static struct dd_entry *entry(uint32_t sid, uint32_t bid)
{
	struct dd_record r = rec(sid, bid, 0);

	return dd_entry_lookup(ctx, &r.key);
}

static uint64_t seq = 1;

/* An instance learnt through BGP, on port @port (0: the service's) */
static void bgp_port(uint32_t sid, uint32_t bid, uint32_t cpu, uint16_t port)
{
	struct dd_record r = rec(sid, bid, cpu);
	struct dd_bgp_probe probe = { 0 };

	r.bid_port = port;
	assert_int_equal(dd_router_bgp(ctx, &r, 0x0a000100 + (bid & 15),
				       &probe, seq++, false), 0);
}

static void bgp(uint32_t sid, uint32_t bid, uint32_t cpu)
{
	bgp_port(sid, bid, cpu, 0);
}

static void bgp_withdraw(uint32_t sid, uint32_t bid)
{
	struct dd_record r = rec(sid, bid, 0);

	dd_router_bgp_withdraw(ctx, &r.key, 0x0a000100 + (bid & 15), seq++);
}

static uint32_t kcpu(uint32_t sid, uint32_t bid)
{
	struct k_inst *in = k_inst(htonl(sid), htonl(bid));

	assert_non_null(in);
	return in->cpu;
}

#define BID(i)	(0x0a640000 + (i))

/* @n instances, every other one of service a and b, learnt and pushed */
static void learn_ab(unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		bgp(i % 2 ? SID_B : SID_A, BID(i), 100);
	run(100);
}

/* @n instances of service a learnt and pushed */
static void learn_a(unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		bgp(SID_A, BID(i), 100);
	run(100);
}

/*
 * Service a deleted behind the agent's back; one change tells the agent
 * (its SET, then its NEW, answered ENOENT)
 */
static void lose_a(void)
{
	k_del_svc(htonl(SID_A));
	bgp(SID_A, BID(5), 300);
	run(100);
	assert_int_equal(k_svc(htonl(SID_A)), -1);
}

/*
 * An instance's port as its agent announces it: on INSTANCE_NEW, and on a
 * SET when it changes, back to 0 (the service's) too; and an adopted
 * instance's port is the agent's
 */
static void bid_port(void **state)
{
	struct k_inst *in;

	(void)state;
	bgp_port(SID_A, BID(1), 100, 8080);
	run(100);
	in = k_inst(htonl(SID_A), htonl(BID(1)));
	assert_non_null(in);
	assert_int_equal(in->port, 8080);

	bgp_port(SID_A, BID(1), 100, 8081);
	run(100);
	assert_int_equal(k_inst(htonl(SID_A), htonl(BID(1)))->port, 8081);

	bgp_port(SID_A, BID(1), 100, 0);
	run(100);
	assert_int_equal(k_inst(htonl(SID_A), htonl(BID(1)))->port, 0);
}

/* learnt in batches; a pass sends what changed, and only that */
static void passes(void **state)
{
	unsigned int i;

	(void)state;
	learn_ab(100);
	assert_int_equal(k.n_svc, 2);
	assert_int_equal(k_count(htonl(SID_A)), 50);
	assert_int_equal(k_count(htonl(SID_B)), 50);
	/* 24 a message: 3 for each service */
	assert_int_equal(k.req[DYNCAST_CMD_INSTANCE_NEW], 6);
	assert_null(ctx->kernel_queue);
	assert_false(ctx->kernel_timer.armed);

	reset_counts();
	bgp(SID_A, BID(10), 700);
	bgp(SID_A, BID(12), 100);	/* the same figures */
	run(100);
	assert_int_equal(k.req[DYNCAST_CMD_INSTANCE_SET], 1);
	assert_int_equal(k.inst_req[DYNCAST_CMD_INSTANCE_SET], 1);
	assert_int_equal(kcpu(SID_A, BID(10)), 700);

	reset_counts();
	bgp_withdraw(SID_B, BID(11));
	bgp_withdraw(SID_B, BID(13));
	run(100);
	assert_int_equal(k.inst_req[DYNCAST_CMD_INSTANCE_DEL], 2);
	assert_int_equal(k_count(htonl(SID_B)), 48);
	assert_int_equal(ctx->entries.n, 98);	/* freed */
	assert_null(ctx->kernel_queue);

	/* nothing changed: no request at all */
	reset_counts();
	for (i = 0; i < 10; i++)
		run(1000);
	for (i = 0; i <= DYNCAST_CMD_MAX; i++)
		assert_int_equal(k.req[i], 0);
}

/* what the kernel refused is tried again, with nothing else changing */
static void refused_again(void **state)
{
	(void)state;
	bgp(SID_A, BID(1), 100);
	bgp(SID_A, BID(2), 100);
	run(100);
	assert_int_equal(k_count(htonl(SID_A)), 2);

	/* a new instance, then a changed one: both refused once */
	k.fail_cmd = DYNCAST_CMD_INSTANCE_NEW;
	k.fail_err = -ENOBUFS;
	k.fail_n = 1;
	bgp(SID_A, BID(3), 100);
	run(100);
	assert_null(k_inst(htonl(SID_A), htonl(BID(3))));
	assert_int_equal(ctx->cnt.c[DD_C_KERNEL_ERRORS], 1);
	assert_true(ctx->kernel_timer.armed);
	run(2000);
	assert_non_null(k_inst(htonl(SID_A), htonl(BID(3))));

	k.fail_cmd = DYNCAST_CMD_INSTANCE_SET;
	k.fail_n = 1;
	bgp(SID_A, BID(1), 900);
	run(100);
	assert_int_equal(kcpu(SID_A, BID(1)), 100);
	assert_true(ctx->kernel_timer.armed);
	run(2000);
	assert_int_equal(kcpu(SID_A, BID(1)), 900);

	k.fail_cmd = DYNCAST_CMD_INSTANCE_DEL;
	k.fail_n = 1;
	bgp_withdraw(SID_A, BID(2));
	run(100);
	assert_non_null(k_inst(htonl(SID_A), htonl(BID(2))));
	assert_int_equal(ctx->entries.n, 3);
	run(2000);
	assert_null(k_inst(htonl(SID_A), htonl(BID(2))));
	assert_int_equal(ctx->entries.n, 2);
	assert_null(ctx->kernel_queue);
	assert_int_equal(ctx->cnt.c[DD_C_KERNEL_ERRORS], 3);
}

/*
 * The socket fails under a batch: nothing more is sent on it; the next
 * pass opens it again and pushes everything.
 */
static void socket_lost(void **state)
{
	(void)state;
	bgp(SID_B, BID(100), 100);
	run(100);
	assert_int_equal(k.opened, 1);
	k.fail_cmd = DYNCAST_CMD_INSTANCE_NEW;
	k.fail_err = -ECONNREFUSED;
	k.fail_n = 1;
	learn_ab(30);
	assert_false(k.open);
	assert_int_equal(k.n_inst, 1);
	/* not the kernel's refusal: no error of its, no waiting longer */
	assert_int_equal(ctx->cnt.c[DD_C_KERNEL_ERRORS], 0);
	assert_int_equal(entry(SID_A, BID(0))->refused_cmd, 0);
	assert_true(ctx->kernel_timer.armed);
	run(2000);
	assert_int_equal(k.opened, 2);
	assert_int_equal(k_count(htonl(SID_A)), 15);
	assert_int_equal(k_count(htonl(SID_B)), 16);
	assert_null(ctx->kernel_queue);
}

/* an instance deleted behind the agent's back */
static void k_del_inst(uint32_t sid, uint32_t bid)
{
	struct k_inst *in = k_inst(htonl(sid), htonl(bid));

	assert_non_null(in);
	*in = k.inst[--k.n_inst];
}

/* a service deleted behind our back comes back with all its instances */
static void service_again(void **state)
{
	(void)state;
	bgp(SID_B, BID(100), 100);
	learn_a(30);
	assert_int_equal(k_count(htonl(SID_A)), 30);
	lose_a();
	run(2000);
	assert_true(k_svc(htonl(SID_A)) >= 0);
	assert_int_equal(k_count(htonl(SID_A)), 30);
	assert_int_equal(kcpu(SID_A, BID(5)), 300);
	assert_int_equal(k_count(htonl(SID_B)), 1);
	assert_null(ctx->kernel_queue);
	/* the service was lost, not an instance of it repaired */
	assert_int_equal(ctx->cnt.c[DD_C_KERNEL_REPAIRED], 0);
}

/*
 * SID_A's instance BID(1) already in the kernel, then learnt: the agent
 * adopts it
 */
static void adopt_a1(void)
{
	k.svc[k.n_svc++] = htonl(SID_A);
	k.inst[k.n_inst++] = (struct k_inst){ .svc = htonl(SID_A),
					      .bid = htonl(BID(1)) };
	bgp(SID_A, BID(1), 100);
	run(100);
	assert_true(entry(SID_A, BID(1))->adopted);
}

/*
 * An instance made by hand with its own port, adopted: the agent's SETs,
 * which name no port, leave it; one that names a port sets it
 */
static void adopted_port(void **state)
{
	(void)state;
	k.svc[k.n_svc++] = htonl(SID_A);
	k.inst[k.n_inst++] = (struct k_inst){ .svc = htonl(SID_A),
					      .bid = htonl(BID(1)),
					      .port = 9000 };
	bgp(SID_A, BID(1), 100);
	run(100);
	assert_true(entry(SID_A, BID(1))->adopted);
	bgp(SID_A, BID(1), 300);
	run(100);
	assert_int_equal(kcpu(SID_A, BID(1)), 300);
	assert_int_equal(k_inst(htonl(SID_A), htonl(BID(1)))->port, 9000);
	bgp_port(SID_A, BID(1), 200, 8080);
	run(100);
	assert_int_equal(k_inst(htonl(SID_A), htonl(BID(1)))->port, 8080);
}

/*
 * Someone else's instance, deleted by hand, then withdrawn: its setting
 * down finds it gone, and it is not added again to be deleted
 */
static void adopted_gone(void **state)
{
	(void)state;
	adopt_a1();
	k_del_inst(SID_A, BID(1));
	reset_counts();
	bgp_withdraw(SID_A, BID(1));
	run(100);
	run(DD_AUDIT_MS);
	assert_int_equal(k.inst_req[DYNCAST_CMD_INSTANCE_NEW], 0);
	assert_null(k_inst(htonl(SID_A), htonl(BID(1))));
	assert_int_equal(ctx->cnt.c[DD_C_KERNEL_REPAIRED], 0);
}

/* a reload that changes nothing sends no instance again */
static void reload_quiet(void **state)
{
	(void)state;
	learn_a(30);
	reset_counts();
	reload(conf);
	run(100);
	assert_int_equal(k.req[DYNCAST_CMD_SERVICE_NEW], 2);
	assert_int_equal(k.inst_req[DYNCAST_CMD_INSTANCE_NEW], 0);
	assert_int_equal(k.inst_req[DYNCAST_CMD_INSTANCE_SET], 0);
	assert_int_equal(k_count(htonl(SID_A)), 30);
}

/*
 * A reload that changes how instances are pushed (probe-cost: the RTT in
 * the cost) sets every instance again, with nothing else changing.
 */
static void reload_settings(void **state)
{
	char text[sizeof(conf)];
	struct dd_entry *e;
	char *at;

	(void)state;
	learn_a(3);
	e = entry(SID_A, BID(1));
	e->site->rtt.has = true;
	e->site->rtt.srtt_us = 5000;
	run(100);
	assert_int_equal(k_inst(htonl(SID_A), htonl(BID(1)))->cost, 0);
	memcpy(text, conf, sizeof(conf));
	at = strstr(text, "probe-cost = no\n");
	assert_non_null(at);
	memcpy(at, "probe-cost = 1 \n", 16);
	reload(text);
	run(100);
	assert_int_equal(k_inst(htonl(SID_A), htonl(BID(1)))->cost, 5000);
}

/*
 * A planned service removed by a reload, then back with plan = no: its
 * instances no longer carry the old plan.
 */
static void plan_after_removal(void **state)
{
	static const char planned[] =
		"[agent]\nid = 10.0.0.9\n"
		"key = lmKv2p0fOqO7BFMSYhPHhZF4Cg8n7m+f+8o9oI6cCNE=\n"
		"[router]\nprobe-cost = no\n"
		"[service a]\nsid = 203.0.113.1\nproto = tcp\nport = 80\n"
		"policy = least-cost\nplan = yes\n";
	static const char none[] =
		"[agent]\nid = 10.0.0.9\n"
		"key = lmKv2p0fOqO7BFMSYhPHhZF4Cg8n7m+f+8o9oI6cCNE=\n"
		"[router]\nprobe-cost = no\n";
	static const char unplanned[] =
		"[agent]\nid = 10.0.0.9\n"
		"key = lmKv2p0fOqO7BFMSYhPHhZF4Cg8n7m+f+8o9oI6cCNE=\n"
		"[router]\nprobe-cost = no\n"
		"[service a]\nsid = 203.0.113.1\nproto = tcp\nport = 80\n"
		"policy = least-cost\nplan = no\n";
	unsigned int i;

	(void)state;
	reload(planned);
	bgp(SID_A, BID(1), 100);
	bgp(SID_A, BID(2), 100);
	for (i = 0; i < 20; i++)
		run(100);
	assert_true(entry(SID_A, BID(1))->planned);
	reload(none);
	run(100);
	assert_int_equal(k_svc(htonl(SID_A)), -1);
	reload(unplanned);
	for (i = 0; i < 20; i++)
		run(100);
	assert_int_equal(k_count(htonl(SID_A)), 2);
	assert_false(entry(SID_A, BID(1))->planned);
	assert_false(entry(SID_A, BID(1))->plan_in_kernel);
}

/*
 * An instance of a planned service going down is planned around at once,
 * not at the next round: right after the kernel's pass that takes it
 * down (DD_PLAN_SOON_MS after the last plan at the soonest), it is out of
 * the plan; one coming up, or new, is in it as soon; one withdrawn (its
 * instance deleted) plans the others at once too.
 */
static void plan_on_state_change(void **state)
{
	static const char planned[] =
		"[agent]\nid = 10.0.0.9\n"
		"key = lmKv2p0fOqO7BFMSYhPHhZF4Cg8n7m+f+8o9oI6cCNE=\n"
		"[router]\nprobe-cost = no\n"
		"[service a]\nsid = 203.0.113.1\nproto = tcp\nport = 80\n"
		"policy = least-cost\nplan = yes\n";
	struct dd_bgp_probe probe = { 0 };
	struct dd_record r;
	uint64_t last;
	unsigned int i;

	(void)state;
	reload(planned);
	for (i = 1; i <= 3; i++)
		bgp(SID_A, BID(i), 100);
	for (i = 0; i < 20; i++)
		run(100);
	/* just after a round */
	run(ctx->plan_timer.when - now_ms);
	last = now_ms;
	assert_int_equal(ctx->plan_timer.when - now_ms, DD_PLAN_MS);
	assert_int_not_equal(entry(SID_A, BID(1))->plan_since, 0);

	/* down: planned around after the pass, once the pause is over */
	r = rec(SID_A, BID(1), 100);
	r.state = DD_STATE_DOWN;
	assert_int_equal(dd_router_bgp(ctx, &r, 0x0a000101, &probe, seq++,
				       false), 0);
	run(60);
	assert_int_equal(k_inst(htonl(SID_A), htonl(BID(1)))->state,
			 DYNCAST_STATE_DOWN);
	assert_int_not_equal(entry(SID_A, BID(1))->plan_since, 0);
	run(last + DD_PLAN_SOON_MS - now_ms);
	assert_int_equal(entry(SID_A, BID(1))->plan_since, 0);
	last = now_ms;
	assert_int_equal(ctx->plan_timer.when - now_ms, DD_PLAN_MS);

	/* up again: in the plan as soon */
	run(10);
	bgp(SID_A, BID(1), 100);
	run(60);
	assert_int_equal(k_inst(htonl(SID_A), htonl(BID(1)))->state,
			 DYNCAST_STATE_UP);
	run(last + DD_PLAN_SOON_MS - now_ms);
	assert_int_not_equal(entry(SID_A, BID(1))->plan_since, 0);
	last = now_ms;

	/* a new one, the same */
	run(10);
	bgp(SID_A, BID(4), 100);
	run(60);
	assert_non_null(k_inst(htonl(SID_A), htonl(BID(4))));
	assert_int_equal(entry(SID_A, BID(4))->plan_since, 0);
	run(last + DD_PLAN_SOON_MS - now_ms);
	assert_int_not_equal(entry(SID_A, BID(4))->plan_since, 0);
	last = now_ms;

	/* withdrawn: deleted from the kernel, the others planned at once */
	run(10);
	bgp_withdraw(SID_A, BID(4));
	run(60);
	assert_null(k_inst(htonl(SID_A), htonl(BID(4))));
	run(last + DD_PLAN_SOON_MS - now_ms);
	assert_int_equal(ctx->plan_timer.when - now_ms, DD_PLAN_MS);
}

/*
 * Whose handshakes the passive RTT times: instances in the kernel of TCP
 * services in rewrite mode (configured so or by default), on their port
 * (the bid-port, the service's, or any for a service of every port), at
 * a site that gave a probe address; not in tunnel mode, not at a site
 * without one.
 */
static void passive_instances(void **state)
{
	static const char text[] =
		"[agent]\nid = 10.0.0.9\n"
		"key = lmKv2p0fOqO7BFMSYhPHhZF4Cg8n7m+f+8o9oI6cCNE=\n"
		"[router]\n"
		"[service a]\nsid = 203.0.113.1\nproto = tcp\nport = 80\n"
		"[service b]\nsid = 203.0.113.2\nproto = tcp\nport = 80\n"
		"mode = tunnel\n"
		"[service c]\nsid = 203.0.113.3\nproto = tcp\n"
		"mode = rewrite\n";
	struct dd_bgp_probe probe = { .port = 4960 };
	struct dd_record r;
	struct dc_addr bid;
	unsigned int i;

	(void)state;
	dc_parse_addr("198.18.0.9", &probe.addr);
	reload(text);
	for (i = 0; i < 3; i++) {
		r = rec(SID_A + i, BID(1), 100);
		if (i == 0)
			r.bid_port = 8080;
		if (i == 2)
			r.key.svc.port = 0;
		assert_int_equal(dd_router_bgp(ctx, &r, 0x0a000101, &probe,
					       seq++, false), 0);
	}
	/* the same D-BID for a: from a site that gave no probe address */
	r = rec(SID_A, BID(2), 100);
	probe.addr.family = 0;
	assert_int_equal(dd_router_bgp(ctx, &r, 0x0a000102, &probe, seq++,
				       false), 0);
	run(100);

	bid.family = AF_INET;
	bid.u.in.s_addr = htonl(BID(1));
	/* a: its bid-port, not the service's */
	assert_ptr_equal(dd_router_rewrite_entry(ctx, &bid, 8080),
			 entry(SID_A, BID(1)));
	/* c, of every port: any */
	r = rec(SID_A + 2, BID(1), 0);
	r.key.svc.port = 0;
	assert_non_null(dd_entry_lookup(ctx, &r.key));
	assert_ptr_equal(dd_router_rewrite_entry(ctx, &bid, 443),
			 dd_entry_lookup(ctx, &r.key));
	/* b is in tunnel mode: port 80 is c's */
	assert_ptr_equal(dd_router_rewrite_entry(ctx, &bid, 80),
			 dd_entry_lookup(ctx, &r.key));
	bid.u.in.s_addr = htonl(BID(2));
	assert_null(dd_router_rewrite_entry(ctx, &bid, 80));
	bid.u.in.s_addr = htonl(BID(3));
	assert_null(dd_router_rewrite_entry(ctx, &bid, 80));
	/* IPv6: none here */
	dc_parse_addr("2001:db8::1", &bid);
	assert_null(dd_router_rewrite_entry(ctx, &bid, 80));

	/* a sample moves the site's RTT, and is counted */
	bid.family = AF_INET;
	bid.u.in.s_addr = htonl(BID(1));
	dd_router_passive_rtt(ctx, dd_router_rewrite_entry(ctx, &bid, 8080),
			      5000);
	assert_int_equal(ctx->cnt.c[DD_C_PASSIVE_RTT], 1);
	assert_true(entry(SID_A, BID(1))->site->rtt.has);
	assert_int_equal(entry(SID_A, BID(1))->site->rtt.last_us, 5000);
}

/* the same, the service made again by someone else, empty */
static void found_again(void **state)
{
	(void)state;
	learn_a(30);
	lose_a();
	k.svc[k.n_svc++] = htonl(SID_A);
	run(2000);
	assert_int_equal(k_count(htonl(SID_A)), 30);
	assert_int_equal(kcpu(SID_A, BID(5)), 300);
	assert_null(ctx->kernel_queue);
}

/*
 * The module loaded again (another family id, nothing in it), a service
 * made by someone else meanwhile: the agent finds the family anew and
 * fills both services, found and made.
 */
static void module_reloaded(void **state)
{
	unsigned int i;

	(void)state;
	learn_ab(30);
	k_del_svc(htonl(SID_A));
	k_del_svc(htonl(SID_B));
	k.family = 43;
	k.svc[k.n_svc++] = htonl(SID_A);
	bgp(SID_B, BID(1), 300);
	for (i = 0; i < 3; i++)
		run(2000);
	assert_int_equal(k.opened, 2);
	assert_int_equal(k_count(htonl(SID_A)), 15);
	assert_int_equal(k_count(htonl(SID_B)), 15);
	assert_int_equal(kcpu(SID_B, BID(1)), 300);
	assert_null(ctx->kernel_queue);
}

/*
 * An instance of someone else's whose update was refused, then
 * withdrawn: set down at once, not after the refusal's wait.
 */
static void refused_then_down(void **state)
{
	(void)state;
	adopt_a1();
	k.fail_bid[0].bid = BID(1);
	k.fail_bid[0].err = -ENOMEM;
	k.fail_bid[0].n = 1;
	bgp(SID_A, BID(1), 400);
	run(100);
	assert_int_equal(kcpu(SID_A, BID(1)), 100);
	bgp_withdraw(SID_A, BID(1));
	run(100);
	assert_int_equal(k_inst(htonl(SID_A), htonl(BID(1)))->state,
			 DD_STATE_DOWN);
}

/* the same with a reload between the loss and the next pass */
static void found_after_reload(void **state)
{
	(void)state;
	learn_a(30);
	lose_a();
	k.svc[k.n_svc++] = htonl(SID_A);
	reload(conf);
	run(100);
	assert_int_equal(k_count(htonl(SID_A)), 30);
	assert_null(ctx->kernel_queue);
}

/*
 * What the kernel keeps refusing (its 1024 instances of a service) is
 * tried again 2 s later, then at doubling intervals, not at every pass;
 * once the kernel takes it, at the next of those.
 */
static void refused_backoff(void **state)
{
	unsigned int i;

	(void)state;
	bgp(SID_A, BID(1), 100);
	run(100);
	k.fail_cmd = DYNCAST_CMD_INSTANCE_NEW;
	k.fail_err = -ENOSPC;
	k.fail_n = 1000;
	bgp(SID_A, BID(2), 100);
	bgp(SID_A, BID(3), 100);
	run(100);
	assert_int_equal(k.n_inst, 1);
	/* other changes meanwhile: passes that leave the refused alone */
	reset_counts();
	for (i = 0; i < 10; i++) {
		bgp(SID_A, BID(1), 200 + i);
		run(100);
	}
	assert_int_equal(k.req[DYNCAST_CMD_INSTANCE_NEW], 0);
	assert_int_equal(k.req[DYNCAST_CMD_INSTANCE_SET], 10);
	/* 70 s: tried again at 2, 6, 14, 30 and 62 s, a batch then each */
	reset_counts();
	for (i = 0; i < 700; i++)
		run(100);
	assert_int_equal(k.req[DYNCAST_CMD_INSTANCE_NEW], 5 * 3);
	k.fail_n = 0;
	for (i = 0; i < 640 && k.n_inst < 3; i++)
		run(100);
	assert_int_equal(k.n_inst, 3);
	assert_null(ctx->kernel_queue);
	assert_int_equal(entry(SID_A, BID(2))->refused_shift, 0);
}

/*
 * Waiting is per entry and per request: a withdrawal after a refused
 * update goes at once, and an instance refused for the first time is
 * tried again 2 s later, whatever another waits for.
 */
static void refused_per_entry(void **state)
{
	unsigned int i;

	(void)state;
	bgp(SID_A, BID(1), 100);
	run(100);
	k.fail_bid[0].bid = BID(1);
	k.fail_bid[0].err = -ENOMEM;
	k.fail_bid[0].n = 1;
	bgp(SID_A, BID(1), 500);
	run(100);
	assert_int_equal(kcpu(SID_A, BID(1)), 100);
	bgp_withdraw(SID_A, BID(1));
	run(100);
	assert_null(k_inst(htonl(SID_A), htonl(BID(1))));

	/* one refused for a long time, its wait at 64 s */
	k.fail_bid[0].bid = BID(2);
	k.fail_bid[0].err = -ENOSPC;
	k.fail_bid[0].n = 1000;
	bgp(SID_A, BID(2), 100);
	for (i = 0; i < 1300; i++)
		run(100);
	assert_int_equal(entry(SID_A, BID(2))->refused_shift, 5);
	k.fail_bid[1].bid = BID(3);
	k.fail_bid[1].err = -ENOMEM;
	k.fail_bid[1].n = 1;
	bgp(SID_A, BID(3), 100);
	run(100);
	assert_null(k_inst(htonl(SID_A), htonl(BID(3))));
	run(2000);
	assert_non_null(k_inst(htonl(SID_A), htonl(BID(3))));
	assert_null(k_inst(htonl(SID_A), htonl(BID(2))));
}

/*
 * A service the kernel will not make: its withdrawn instances are freed
 * all the same.
 */
static void not_made(void **state)
{
	unsigned int i;

	(void)state;
	k.fail_cmd = DYNCAST_CMD_SERVICE_NEW;
	k.fail_err = -EPERM;
	k.fail_n = 1000;
	for (i = 0; i < 10; i++)
		bgp(SID_A, BID(i), 100);
	run(100);
	assert_int_equal(k.n_svc, 0);
	assert_int_equal(ctx->entries.n, 10);
	for (i = 0; i < 10; i++)
		bgp_withdraw(SID_A, BID(i));
	run(2000);
	assert_int_equal(ctx->entries.n, 0);
}

/*
 * Instances of a service not configured here are kept for relaying, not
 * pushed; withdrawn, they are freed.
 */
static void not_steered(void **state)
{
	(void)state;
	bgp(0xcb007109, BID(1), 100);
	bgp(SID_A, BID(1), 100);
	run(100);
	assert_int_equal(k.n_inst, 1);
	assert_int_equal(ctx->entries.n, 2);
	assert_null(ctx->kernel_queue);
	bgp_withdraw(0xcb007109, BID(1));
	run(100);
	assert_int_equal(ctx->entries.n, 1);
}

/*
 * At max-instances, an instance withdrawn makes room at once, not only
 * once the pass that deletes it has run.
 */
static void room_after_withdrawal(void **state)
{
	struct dd_record r = rec(SID_A, BID(5), 100);
	struct dd_bgp_probe probe = { 0 };
	unsigned int i;

	(void)state;
	for (i = 0; i < 4; i++)
		bgp(SID_A, BID(i), 100);
	run(100);
	assert_int_equal(dd_router_bgp(ctx, &r, 0x0a000105, &probe, seq++,
				       false), -ENOSPC);
	assert_int_equal(ctx->cnt.c[DD_C_TABLE_FULL], 1);
	bgp_withdraw(SID_A, BID(1));
	bgp(SID_A, BID(5), 100);
	/* back again before the pass: it takes its own place again */
	bgp_withdraw(SID_A, BID(2));
	bgp(SID_A, BID(2), 200);
	assert_int_equal(dd_router_bgp(ctx, &r, 0x0a000105, &probe, seq++,
				       false), 0);
	r = rec(SID_A, BID(6), 100);
	assert_int_equal(dd_router_bgp(ctx, &r, 0x0a000106, &probe, seq++,
				       false), -ENOSPC);
	run(100);
	assert_int_equal(k_count(htonl(SID_A)), 4);
	assert_null(k_inst(htonl(SID_A), htonl(BID(1))));
	assert_non_null(k_inst(htonl(SID_A), htonl(BID(5))));
	assert_int_equal(kcpu(SID_A, BID(2)), 200);
	assert_int_equal(ctx->entries.n, 4);
	assert_int_equal(ctx->n_gone, 0);
}

/*
 * Without the module, withdrawn entries wait: at most max-instances of
 * them besides the live ones.
 */
static void room_without_module(void **state)
{
	struct dd_record r = rec(SID_A, BID(20), 100);
	struct dd_bgp_probe probe = { 0 };
	unsigned int i;

	(void)state;
	k.missing = true;
	for (i = 0; i < 4; i++)
		bgp(SID_A, BID(i), 100);
	run(100);
	assert_false(ctx->nl_ready);
	for (i = 0; i < 4; i++)
		bgp_withdraw(SID_A, BID(i));
	for (i = 4; i < 8; i++)
		bgp(SID_A, BID(i), 100);
	for (i = 4; i < 7; i++)
		bgp_withdraw(SID_A, BID(i));
	run(2000);
	assert_int_equal(ctx->entries.n, 8);
	assert_int_equal(dd_router_bgp(ctx, &r, 0x0a000104, &probe, seq++,
				       false), -ENOSPC);
	k.missing = false;
	run(2000);
	assert_true(ctx->nl_ready);
	assert_int_equal(ctx->entries.n, 1);
	assert_int_equal(k.n_inst, 1);
	assert_int_equal(dd_router_bgp(ctx, &r, 0x0a000104, &probe, seq++,
				       false), 0);
}

/* an agent silent for its hold time: its instances down, then forgotten */
static void silent_agent(void **state)
{
	struct dd_msg *msg = calloc(1, sizeof(*msg));
	struct dc_addr from = { .family = AF_INET };
	unsigned int i;

	(void)state;
	assert_non_null(msg);
	from.u.in.s_addr = htonl(0x0a000001);
	msg->n_origins = 1;
	msg->origins[0] = (struct dd_origin){ .id = 0x0a000077, .seq = 1,
					      .hold_ms = 3000 };
	msg->n_records = 4;
	for (i = 0; i < 4; i++)
		msg->records[i] = rec(SID_A, BID(i), 100);
	dd_router_announce(ctx, msg, &from, 4960);
	bgp(SID_A, BID(9), 100);	/* a BGP site: no hold time */
	run(100);
	assert_int_equal(k_count(htonl(SID_A)), 5);
	for (i = 0; i < 4; i++)
		assert_int_equal(k_inst(htonl(SID_A), htonl(BID(i)))->state,
				 DD_STATE_UP);
	for (i = 0; i < 16; i++)
		run(250);
	for (i = 0; i < 4; i++)
		assert_int_equal(k_inst(htonl(SID_A), htonl(BID(i)))->state,
				 DD_STATE_DOWN);
	assert_int_equal(k_inst(htonl(SID_A), htonl(BID(9)))->state,
			 DD_STATE_UP);
	free(msg);
}

/*
 * Where a site is moves only with news of it: a round of its origin
 * already seen, replayed from another address, leaves it; a new round
 * from there moves it.  A probe reply counts only from the site the
 * probe went to: another agent's, authenticated as it is, takes no
 * sample.
 */
static void site_spoofed(void **state)
{
	struct dd_msg *msg = calloc(1, sizeof(*msg));
	struct dc_addr from = { .family = AF_INET };
	struct dd_site *s = NULL, *t = NULL;
	uint32_t bucket = 0, b;
	unsigned int i;

	(void)state;
	assert_non_null(msg);
	msg->n_origins = 1;
	msg->origins[0] = (struct dd_origin){ .id = 0x0a000077, .seq = 5,
					      .hold_ms = 3000 };
	msg->n_records = 1;
	msg->records[0] = rec(SID_A, BID(1), 100);
	from.u.in.s_addr = htonl(0x0a000001);
	dd_router_announce(ctx, msg, &from, 4960);
	for (i = 0; i < ctx->n_sites; i++)
		if (ctx->sites[i]->id == 0x0a000077)
			s = ctx->sites[i];
	assert_non_null(s);
	assert_int_equal(ntohl(s->addr.u.in.s_addr), 0x0a000001);

	from.u.in.s_addr = htonl(0x0a000066);
	dd_router_announce(ctx, msg, &from, 4960);
	assert_int_equal(ntohl(s->addr.u.in.s_addr), 0x0a000001);
	msg->origins[0].seq = 6;
	dd_router_announce(ctx, msg, &from, 4960);
	assert_int_equal(ntohl(s->addr.u.in.s_addr), 0x0a000066);

	/*
	 * another origin, heard first through a relay (which names its
	 * address), then direct in the same round: the direct copy is taken,
	 * and a replay of it from elsewhere is not
	 */
	msg->sender = 0x0a000055;
	msg->origins[0] = (struct dd_origin){ .id = 0x0a000078, .seq = 3,
					      .hold_ms = 3000, .path_len = 1,
					      .path = { 0x0a000055 },
					      .port = 4960 };
	msg->origins[0].addr.family = AF_INET;
	msg->origins[0].addr.u.in.s_addr = htonl(0x0a000002);
	msg->records[0] = rec(SID_A, BID(2), 100);
	from.u.in.s_addr = htonl(0x0a000055);
	dd_router_announce(ctx, msg, &from, 4960);
	for (i = 0; i < ctx->n_sites; i++)
		if (ctx->sites[i]->id == 0x0a000078)
			t = ctx->sites[i];
	assert_non_null(t);
	assert_ptr_not_equal(t, s);
	assert_int_equal(ntohl(t->addr.u.in.s_addr), 0x0a000002);
	memset(&msg->origins[0].addr, 0, sizeof(msg->origins[0].addr));
	msg->origins[0].path_len = 0;
	msg->sender = 0x0a000078;
	from.u.in.s_addr = htonl(0x0a000003);
	dd_router_announce(ctx, msg, &from, 4960);
	assert_int_equal(ntohl(t->addr.u.in.s_addr), 0x0a000003);
	from.u.in.s_addr = htonl(0x0a000066);
	dd_router_announce(ctx, msg, &from, 4960);
	assert_int_equal(ntohl(t->addr.u.in.s_addr), 0x0a000003);

	/* the probe, tagged with the site's bucket as dd_site_probe() does */
	for (b = 0; b < (1u << DD_SITE_HASH_BITS); b++)
		for (t = ctx->site_hash[b]; t; t = t->hnext)
			if (t == s)
				bucket = b;
	dd_rtt_sent(&s->rtt, (0x5a5u << DD_SITE_HASH_BITS) | bucket, 1000000);
	memset(msg, 0, sizeof(*msg));
	msg->sender = 0x0a000099;
	msg->probe_id = (0x5a5u << DD_SITE_HASH_BITS) | bucket;
	msg->probe_time = 1000000;
	dd_router_probe_reply(ctx, msg, 1002000);
	assert_false(s->rtt.has);
	msg->sender = 0x0a000077;
	dd_router_probe_reply(ctx, msg, 1003000);
	assert_true(s->rtt.has);
	assert_int_equal(s->rtt.srtt_us, 3000);
	free(msg);
}

/* the records of @o, from peer 10.0.0.@peer (the origin's relay) */
static void heard(struct dd_msg *msg, const struct dd_origin *o,
		  unsigned int peer)
{
	struct dc_addr from = { .family = AF_INET };

	from.u.in.s_addr = htonl(0x0a000000 + peer);
	msg->sender = 0x0a000000 + peer;
	msg->origins[0] = *o;
	msg->origins[0].path_len = 1;
	msg->origins[0].path[0] = msg->sender;
	msg->origins[0].addr.family = AF_INET;
	msg->origins[0].addr.u.in.s_addr = htonl(0x0a000077);
	msg->origins[0].port = 4960;
	dd_router_announce(ctx, msg, &from, 4960);
}

/*
 * A withdrawal is news once: the copies other relays bring of it, after
 * the kernel let the instance go, are not relayed again, nor is one of
 * an instance never held; a late announcement of an older round does
 * not bring the instance back, a newer one does.  The withdrawal is
 * forgotten after the origin's hold time, and its site with it.
 */
static void withdrawal_once(void **state)
{
	struct dd_peer peers[3] = { 0 };
	struct dd_msg *msg = calloc(1, sizeof(*msg));
	struct dd_origin o = { .id = 0x0a000077, .seq = 1, .hold_ms = 3000 };
	unsigned int i;

	(void)state;
	assert_non_null(msg);
	for (i = 0; i < 3; i++) {
		peers[i].cfg.addr.family = AF_INET;
		peers[i].cfg.addr.u.in.s_addr = htonl(0x0a000001 + i);
		peers[i].cfg.port = 4960;
		peers[i].id = 0x0a000001 + i;
	}
	ctx->peers = peers;
	ctx->n_peers = 3;
	sent_records = 0;
	sent_withdrawals = 0;

	/* round 1 announces BID(1), round 2 withdraws it and BID(2) */
	msg->n_origins = 1;
	msg->n_records = 1;
	msg->records[0] = rec(SID_A, BID(1), 100);
	heard(msg, &o, 1);
	run(100);
	assert_non_null(k_inst(htonl(SID_A), htonl(BID(1))));
	assert_int_equal(sent_records, 2);	/* to peers 2 and 3 */

	o.seq = 2;
	msg->n_records = 2;
	msg->records[0].withdrawn = true;
	msg->records[1] = rec(SID_A, BID(2), 0);
	msg->records[1].withdrawn = true;
	heard(msg, &o, 1);
	assert_int_equal(sent_withdrawals, 4);
	run(100);
	assert_null(k_inst(htonl(SID_A), htonl(BID(1))));
	heard(msg, &o, 2);
	heard(msg, &o, 3);
	assert_int_equal(sent_withdrawals, 4);
	assert_int_equal(ctx->cnt.c[DD_C_DUPLICATES], 4);

	/* round 1 again, late, by another path: nothing comes back */
	o.seq = 1;
	msg->n_records = 2;
	msg->records[0] = rec(SID_A, BID(1), 100);
	msg->records[1] = rec(SID_A, BID(2), 100);
	heard(msg, &o, 3);
	run(100);
	assert_int_equal(k_count(htonl(SID_A)), 0);
	assert_int_equal(ctx->cnt.c[DD_C_STALE], 2);
	assert_int_equal(sent_records, 2 + 4);

	/* round 3 announces BID(2): it is news */
	o.seq = 3;
	msg->n_records = 1;
	msg->records[0] = rec(SID_A, BID(2), 100);
	heard(msg, &o, 1);
	run(100);
	assert_non_null(k_inst(htonl(SID_A), htonl(BID(2))));
	assert_int_equal(ctx->entries.n - ctx->n_gone, 1);

	/* the origin falls silent: BID(1)'s withdrawal forgotten, then all */
	assert_int_equal(ctx->entries.n, 2);
	for (i = 0; i < 12; i++)
		run(250);
	assert_null(entry(SID_A, BID(1)));
	assert_non_null(entry(SID_A, BID(2)));
	assert_int_equal(ctx->n_gone, 0);
	assert_int_equal(ctx->n_sites, 1);
	free(msg);
}

/*
 * Room for 4 instances.  Withdrawals of instances never held are
 * remembered while fewer than 4 are withdrawn, and never keep live ones
 * out; a withdrawn instance announced again needs room as a new one.
 */
static void tombstone_room(void **state)
{
	struct dd_msg *msg = calloc(1, sizeof(*msg));
	struct dd_origin o = { .id = 0x0a000077, .seq = 1, .hold_ms = 3000 };
	struct dd_record r;
	struct dd_bgp_probe probe = { 0 };
	unsigned int i;

	(void)state;
	assert_non_null(msg);
	msg->n_origins = 1;
	msg->n_records = 6;
	for (i = 0; i < 6; i++) {
		msg->records[i] = rec(SID_A, BID(10 + i), 0);
		msg->records[i].withdrawn = true;
	}
	heard(msg, &o, 1);
	assert_int_equal(ctx->n_gone, 4);
	for (i = 0; i < 4; i++)
		bgp(SID_A, BID(i), 100);
	run(100);
	assert_int_equal(k_count(htonl(SID_A)), 4);
	assert_int_equal(ctx->cnt.c[DD_C_TABLE_FULL], 0);

	/* BID(10), withdrawn, announced again: the table is full */
	o.seq = 2;
	msg->n_records = 1;
	msg->records[0] = rec(SID_A, BID(10), 100);
	heard(msg, &o, 1);
	assert_true(entry(SID_A, BID(10))->gone);
	run(100);
	assert_null(k_inst(htonl(SID_A), htonl(BID(10))));
	assert_int_equal(ctx->cnt.c[DD_C_TABLE_FULL], 1);
	assert_int_equal(ctx->entries.n - ctx->n_gone, 4);
	/* room again: it comes */
	bgp_withdraw(SID_A, BID(0));
	o.seq = 3;
	heard(msg, &o, 1);
	run(100);
	assert_non_null(k_inst(htonl(SID_A), htonl(BID(10))));
	r = rec(SID_A, BID(20), 100);
	assert_int_equal(dd_router_bgp(ctx, &r, 0x0a000120, &probe, seq++,
				       false), -ENOSPC);
	free(msg);
}

/*
 * Room for 4 instances: 4 withdrawals of instances never held, 4 live
 * instances of the same agent, then one of these withdrawn: the table
 * holds 8, 3 of them live.  A new instance takes the room of the
 * tombstone whose time is nearest up.
 */
static void tombstone_evict(void **state)
{
	struct dd_msg *msg = calloc(1, sizeof(*msg));
	struct dd_origin o = { .id = 0x0a000077, .seq = 1, .hold_ms = 3000 };
	unsigned int i;

	(void)state;
	assert_non_null(msg);
	msg->n_origins = 1;
	msg->n_records = 4;
	for (i = 0; i < 4; i++) {
		msg->records[i] = rec(SID_A, BID(10 + i), 0);
		msg->records[i].withdrawn = true;
	}
	heard(msg, &o, 1);
	o.seq = 2;
	for (i = 0; i < 4; i++)
		msg->records[i] = rec(SID_A, BID(i), 100);
	heard(msg, &o, 1);
	run(100);
	assert_int_equal(k_count(htonl(SID_A)), 4);
	o.seq = 3;
	msg->n_records = 1;
	msg->records[0].withdrawn = true;
	heard(msg, &o, 1);
	run(100);
	assert_int_equal(k_count(htonl(SID_A)), 3);
	assert_int_equal(ctx->entries.n, 8);
	bgp(SID_A, BID(20), 100);
	run(100);
	assert_non_null(k_inst(htonl(SID_A), htonl(BID(20))));
	assert_int_equal(ctx->entries.n, 8);
	assert_int_equal(ctx->n_gone, 4);
	/* the withdrawn BID(0), its time furthest, is still remembered */
	assert_non_null(entry(SID_A, BID(0)));
	free(msg);
}

/*
 * A planned service whose first instance serves at half the speed the
 * others do: for as many of the router's demands (the router alone), it
 * reports twice their load.  The plan pushes it twice the service's
 * service time; undone, the service's again.
 */
static void plan_slow(void **state)
{
	static const char planned[] =
		"[agent]\nid = 10.0.0.9\n"
		"key = lmKv2p0fOqO7BFMSYhPHhZF4Cg8n7m+f+8o9oI6cCNE=\n"
		"[router]\nprobe-cost = no\n"
		"[service a]\nsid = 203.0.113.1\nproto = tcp\nport = 80\n"
		"policy = least-cost\nplan = yes\nservice-time = 25000\n";
	static const char unplanned[] =
		"[agent]\nid = 10.0.0.9\n"
		"key = lmKv2p0fOqO7BFMSYhPHhZF4Cg8n7m+f+8o9oI6cCNE=\n"
		"[router]\nprobe-cost = no\n"
		"[service a]\nsid = 203.0.113.1\nproto = tcp\nport = 80\n"
		"policy = least-cost\nplan = no\nservice-time = 25000\n";
	unsigned int i, j;

	(void)state;
	reload(planned);
	bgp(SID_A, BID(1), 1000);
	bgp(SID_A, BID(2), 500);
	bgp(SID_A, BID(3), 500);
	run(100);
	assert_int_equal(k_count(htonl(SID_A)), 3);
	/* 20 new demands a second at each, all of them ours */
	for (i = 0; i < 40; i++) {
		for (j = 1; j <= 3; j++)
			k_inst(htonl(SID_A), htonl(BID(j)))->demands += 10;
		run(500);
	}
	assert_true(entry(SID_A, BID(1))->planned);
	assert_int_equal(kcpu(SID_A, BID(1)), 1000);
	assert_int_equal(k_inst(htonl(SID_A), htonl(BID(1)))->service_time,
			 50000);
	assert_int_equal(k_inst(htonl(SID_A), htonl(BID(2)))->service_time, 0);
	assert_int_equal(k_inst(htonl(SID_A), htonl(BID(3)))->service_time, 0);

	reload(unplanned);
	for (i = 0; i < 4; i++)
		run(500);
	assert_false(entry(SID_A, BID(1))->planned);
	assert_int_equal(k_inst(htonl(SID_A), htonl(BID(1)))->service_time, 0);
}

/*
 * The audit: nothing asked of the kernel but its dumps while it holds what
 * we put there; instances deleted by hand are added again; a service
 * deleted and made again empty by hand, with nothing of it changing since,
 * gets all its instances again; a service deleted, the same
 */
static void audit(void **state)
{
	unsigned int i;

	(void)state;
	learn_ab(20);
	reset_counts();
	run(DD_AUDIT_MS);
	for (i = 0; i <= DYNCAST_CMD_MAX; i++)
		assert_int_equal(k.req[i], 0);
	assert_int_equal(ctx->cnt.c[DD_C_KERNEL_REPAIRED], 0);

	k_del_inst(SID_A, BID(0));
	k_del_inst(SID_A, BID(2));
	k_del_inst(SID_B, BID(1));
	assert_int_equal(k_count(htonl(SID_A)), 8);
	run(DD_AUDIT_MS);
	assert_int_equal(k_count(htonl(SID_A)), 10);
	assert_int_equal(k_count(htonl(SID_B)), 10);
	assert_int_equal(ctx->cnt.c[DD_C_KERNEL_REPAIRED], 3);
	assert_false(entry(SID_A, BID(0))->adopted);

	/* an update that finds one gone adds it again, counted the same */
	k_del_inst(SID_A, BID(2));
	bgp(SID_A, BID(2), 700);
	run(100);
	assert_int_equal(k_count(htonl(SID_A)), 10);
	assert_int_equal(ctx->cnt.c[DD_C_KERNEL_REPAIRED], 4);
	run(DD_AUDIT_MS);
	assert_int_equal(ctx->cnt.c[DD_C_KERNEL_REPAIRED], 4);

	/* found again as at a loss: its settings, then all its instances */
	k_del_svc(htonl(SID_A));
	k.svc[k.n_svc++] = htonl(SID_A);
	reset_counts();
	run(DD_AUDIT_MS);
	run(100);
	assert_int_equal(k_count(htonl(SID_A)), 10);
	assert_int_equal(k.req[DYNCAST_CMD_SERVICE_NEW], 1);
	assert_int_equal(ctx->cnt.c[DD_C_KERNEL_REPAIRED], 14);

	k_del_svc(htonl(SID_B));
	run(DD_AUDIT_MS);
	run(100);
	assert_int_equal(k_svc(htonl(SID_B)) >= 0, 1);
	assert_int_equal(k_count(htonl(SID_B)), 10);
	assert_int_equal(k_count(htonl(SID_A)), 10);

	/* a dump a change interrupted may lack what is there: nothing taken */
	k.dump_intr = true;
	k_del_inst(SID_A, BID(4));
	reset_counts();
	run(DD_AUDIT_MS);
	assert_int_equal(k.req[DYNCAST_CMD_INSTANCE_NEW], 0);
	assert_int_equal(k_count(htonl(SID_A)), 9);
	k.dump_intr = false;
	run(DD_AUDIT_MS);
	assert_int_equal(k_count(htonl(SID_A)), 10);
}

/* the router role off, then on again (two reloads): the audit goes on */
static void audit_after_role(void **state)
{
	struct dd_config *cfg = ctx->cfg;

	(void)state;
	learn_a(4);
	dd_router_exit(ctx);
	assert_false(ctx->audit_timer.armed);
	assert_int_equal(dd_router_apply(ctx), 0);
	assert_true(ctx->audit_timer.armed);
	learn_a(4);
	k_del_inst(SID_A, BID(1));
	run(DD_AUDIT_MS);
	assert_int_equal(k_count(htonl(SID_A)), 4);
	assert_ptr_equal(ctx->cfg, cfg);
}

/* @e is on its service's list */
static bool listed(uint32_t sid, const struct dd_entry *e)
{
	struct dd_record r = rec(sid, 0, 0);
	const struct dd_entry *x;

	for (x = dd_svc_entries(ctx, &r.key.svc); x; x = x->gnext)
		if (x == e)
			return true;
	return false;
}

static unsigned int listed_n(uint32_t sid)
{
	struct dd_record r = rec(sid, 0, 0);
	const struct dd_entry *x;
	unsigned int n = 0;

	for (x = dd_svc_entries(ctx, &r.key.svc); x; x = x->gnext) {
		assert_true(dd_svc_key_eq(&x->rec.key.svc, &r.key.svc));
		n++;
	}
	return n;
}

/*
 * Each service's instances on a list of their own, the list gone with its
 * last instance; an instance's service found again after a reload that
 * reorders the services
 */
static void groups(void **state)
{
	static const char reordered[] =
		"[agent]\nid = 10.0.0.9\n"
		"key = lmKv2p0fOqO7BFMSYhPHhZF4Cg8n7m+f+8o9oI6cCNE=\n"
		"[router]\nprobe-cost = no\n"
		"[service b]\nsid = 203.0.113.2\nproto = tcp\nport = 80\n"
		"[service a]\nsid = 203.0.113.1\nproto = tcp\nport = 80\n";
	unsigned int i;

	(void)state;
	learn_ab(20);
	assert_int_equal(ctx->groups.n, 2);
	assert_int_equal(listed_n(SID_A), 10);
	assert_int_equal(listed_n(SID_B), 10);
	assert_true(listed(SID_A, entry(SID_A, BID(0))));
	assert_ptr_equal(dd_entry_svc(ctx, entry(SID_A, BID(0))), &ctx->svc[0]);

	reload(reordered);
	assert_ptr_equal(dd_entry_svc(ctx, entry(SID_A, BID(0))), &ctx->svc[1]);
	assert_ptr_equal(dd_entry_svc(ctx, entry(SID_B, BID(1))), &ctx->svc[0]);
	bgp(SID_A, BID(0), 555);
	run(100);
	assert_int_equal(kcpu(SID_A, BID(0)), 555);

	for (i = 0; i < 20; i += 2)
		bgp_withdraw(SID_A, BID(i));
	run(100);
	assert_int_equal(k_count(htonl(SID_A)), 0);
	assert_null(entry(SID_A, BID(0)));
	assert_int_equal(listed_n(SID_A), 0);
	assert_int_equal(ctx->groups.n, 1);
	assert_int_equal(listed_n(SID_B), 10);

	/* back: a new list */
	bgp(SID_A, BID(0), 100);
	run(100);
	assert_int_equal(ctx->groups.n, 2);
	assert_int_equal(listed_n(SID_A), 1);
	assert_int_equal(k_count(htonl(SID_A)), 1);
}

/* no list for a new service: the instance is not taken, nothing kept */
static void group_enomem(void **state)
{
	struct dd_record r = rec(SID_A, BID(1), 100);
	struct dd_bgp_probe probe = { 0 };

	(void)state;
	learn_ab(2);	/* BID(0) of a, BID(1) of b */
	bgp_withdraw(SID_A, BID(0));
	run(100);
	assert_int_equal(ctx->groups.n, 1);
	calloc_fail_size = sizeof(struct dd_group);
	assert_int_equal(dd_router_bgp(ctx, &r, 0x0a000101, &probe, seq++,
				       false), -ENOSPC);
	/* an instance of a service with a list still comes in */
	bgp(SID_B, BID(3), 100);
	calloc_fail_size = 0;
	run(100);
	assert_null(entry(SID_A, BID(1)));
	assert_int_equal(ctx->entries.n, 2);
	assert_int_equal(ctx->groups.n, 1);
	assert_int_equal(k_count(htonl(SID_A)), 0);
	assert_int_equal(k_count(htonl(SID_B)), 2);
	bgp(SID_A, BID(1), 100);
	run(100);
	assert_int_equal(k_count(htonl(SID_A)), 1);
	assert_int_equal(listed_n(SID_A), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(passes, setup, teardown),
		cmocka_unit_test_setup_teardown(site_spoofed, setup, teardown),
		cmocka_unit_test_setup_teardown(withdrawal_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(tombstone_room, setup_small,
						teardown),
		cmocka_unit_test_setup_teardown(tombstone_evict, setup_small,
						teardown),
		cmocka_unit_test_setup_teardown(bid_port, setup, teardown),
		cmocka_unit_test_setup_teardown(adopted_port, setup, teardown),
		cmocka_unit_test_setup_teardown(refused_again, setup, teardown),
		cmocka_unit_test_setup_teardown(service_again, setup, teardown),
		cmocka_unit_test_setup_teardown(socket_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(found_again, setup, teardown),
		cmocka_unit_test_setup_teardown(found_after_reload, setup,
						teardown),
		cmocka_unit_test_setup_teardown(module_reloaded, setup, teardown),
		cmocka_unit_test_setup_teardown(refused_then_down, setup,
						teardown),
		cmocka_unit_test_setup_teardown(refused_backoff, setup, teardown),
		cmocka_unit_test_setup_teardown(refused_per_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(reload_quiet, setup, teardown),
		cmocka_unit_test_setup_teardown(reload_settings, setup, teardown),
		cmocka_unit_test_setup_teardown(plan_after_removal, setup,
						teardown),
		cmocka_unit_test_setup_teardown(not_made, setup, teardown),
		cmocka_unit_test_setup_teardown(not_steered, setup, teardown),
		cmocka_unit_test_setup_teardown(silent_agent, setup, teardown),
		cmocka_unit_test_setup_teardown(room_after_withdrawal,
						setup_small, teardown),
		cmocka_unit_test_setup_teardown(plan_slow, setup, teardown),
		cmocka_unit_test_setup_teardown(plan_on_state_change, setup,
						teardown),
		cmocka_unit_test_setup_teardown(passive_instances, setup,
						teardown),
		cmocka_unit_test_setup_teardown(audit, setup, teardown),
		cmocka_unit_test_setup_teardown(adopted_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(audit_after_role, setup, teardown),
		cmocka_unit_test_setup_teardown(groups, setup, teardown),
		cmocka_unit_test_setup_teardown(group_enomem, setup, teardown),
		cmocka_unit_test_setup_teardown(room_without_module,
						setup_small, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

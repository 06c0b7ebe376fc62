// SPDX-License-Identifier: GPL-2.0
/*
 * What the router role puts into the kernel, over the dyncast generic
 * netlink family: the configured services, and the learnt instances with
 * their metrics and network cost, several instances per message.
 *
 * Only what changed is sent: an unchanged instance is left alone, and a
 * cost moves only beyond its slack.  At exit, what the agent created goes,
 * unless the configuration says keep; a plan is undone in what stays.
 *
 * A service that plans (plan yes) gets, every DD_PLAN_MS, the plan of
 * plan.c: its instances' weights, curve loads and inflight-adjust, and
 * its slack; what it needs from the kernel, this router's new demands at
 * each instance, it reads back with a dump.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sodium.h>
#include <linux/dyncast.h>
#include <linux/genetlink.h>

#include "dyncastd.h"

#define DD_BATCH		24	/* instances per message */
#define DD_NL_RETRY_MS		2000
#define DD_REFUSED_MAX_MS	64000	/* the longest wait after refusals */

static struct dd_ratelimit dd_rl_nl, dd_rl_audit;
static bool dd_nl_missing_said;

int dd_kernel_open(struct dd_ctx *ctx)
{
	unsigned int i;
	int ret;

	if (ctx->nl_ready)
		return 0;
	if (!ctx->nl_err)
		ctx->nl_err = dd_log_stream(LOG_ERR);
	ret = dc_nl_open(&ctx->nl, ctx->nl_err);
	if (ret)
		return ret;
	ret = dc_nl_resolve(&ctx->nl, DYNCAST_FAMILY_NAME, NULL);
	if (ret) {
		if (!dd_nl_missing_said)
			dd_warn("the dyncast module is not loaded (no generic netlink family \"%s\"); trying again every %us",
				DYNCAST_FAMILY_NAME, DD_NL_RETRY_MS / 1000);
		dd_nl_missing_said = true;
		dc_nl_close(&ctx->nl);
		return ret;
	}
	ctx->nl_ready = true;
	dd_nl_missing_said = false;
	dd_info("talking to the dyncast module");
	/*
	 * The module may have been loaded again: every service anew, by a
	 * pass now unless this is one (the metrics endpoint and the removal
	 * of a service open the socket too)
	 */
	for (i = 0; i < ctx->n_svc; i++) {
		ctx->svc[i].ready = false;
		ctx->svc[i].lost = true;
	}
	if (ctx->kernel_timer.cb && !ctx->in_sync)
		dd_timer_arm(&ctx->loop, &ctx->kernel_timer, dd_now_ms());
	return 0;
}

void dd_kernel_close(struct dd_ctx *ctx)
{
	if (ctx->nl_ready)
		dc_nl_close(&ctx->nl);
	ctx->nl_ready = false;
	if (ctx->nl_err)
		fclose(ctx->nl_err);
	if (ctx->nl_dbg)
		fclose(ctx->nl_dbg);
	ctx->nl_err = ctx->nl_dbg = NULL;
}

/*
 * Kernel errors we expect (EEXIST, ENOENT) are not worth a log line.  A
 * dump's messages go to @cb.  A socket closed after a fatal error is not
 * used again until a pass opens it anew.
 */
static int dd_nl_talk_cb(struct dd_ctx *ctx, struct nlmsghdr *nlh, bool quiet,
			 mnl_cb_t cb, void *data)
{
	FILE *err = ctx->nl.err;
	int ret;

	if (!ctx->nl_ready)
		return -ENOTCONN;
	if (quiet) {
		if (!ctx->nl_dbg)
			ctx->nl_dbg = dd_log_stream(LOG_DEBUG);
		if (ctx->nl_dbg)
			ctx->nl.err = ctx->nl_dbg;
	}
	nlh->nlmsg_type = ctx->nl.family;
	ret = dc_nl_talk(&ctx->nl, nlh, NULL, cb, data);
	ctx->nl.err = err;
	if (ret == -EBADF || ret == -ENOTCONN || ret == -ECONNREFUSED) {
		dc_nl_close(&ctx->nl);
		ctx->nl_ready = false;
	}
	return ret;
}

static int dd_nl_talk(struct dd_ctx *ctx, struct nlmsghdr *nlh, bool quiet)
{
	return dd_nl_talk_cb(ctx, nlh, quiet, NULL, NULL);
}

static struct nlmsghdr *dd_nl_start(void *buf, uint8_t cmd)
{
	return dc_genl_start(buf, DC_NL_REQ_SIZE, cmd, DYNCAST_FAMILY_VERSION,
			     NLM_F_REQUEST | NLM_F_ACK);
}

static void dd_put_addr(struct nlmsghdr *nlh, const struct dc_addr *a,
			uint16_t t4, uint16_t t6)
{
	if (a->family == AF_INET)
		mnl_attr_put(nlh, t4, 4, &a->u.in);
	else
		mnl_attr_put(nlh, t6, 16, &a->u.in6);
}

static void dd_put_service(struct nlmsghdr *nlh, const struct dd_svc_key *k,
			   const struct dd_service_cfg *settings)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, DYNCAST_A_SERVICE);
	unsigned int a;

	dd_put_addr(nlh, &k->sid, DYNCAST_A_SERVICE_ADDR4,
		    DYNCAST_A_SERVICE_ADDR6);
	mnl_attr_put_u8(nlh, DYNCAST_A_SERVICE_PROTO, k->proto);
	if (k->port)
		mnl_attr_put_u16(nlh, DYNCAST_A_SERVICE_PORT, htons(k->port));
	for (a = 0; settings && a < 32; a++) {
		if (!(settings->present & (1u << a)))
			continue;
		switch (a) {
		case DYNCAST_A_SERVICE_TIMEOUT:
		case DYNCAST_A_SERVICE_MAX_BINDINGS:
		case DYNCAST_A_SERVICE_SERVICE_TIME:
		case DYNCAST_A_SERVICE_SLACK:
		case DYNCAST_A_SERVICE_KEY_OVERLAP:
			mnl_attr_put_u32(nlh, a, settings->val[a]);
			break;
		default:
			mnl_attr_put_u8(nlh, a, settings->val[a]);
			break;
		}
	}
	if (settings && settings->router.family)
		dd_put_addr(nlh, &settings->router, DYNCAST_A_SERVICE_ROUTER4,
			    DYNCAST_A_SERVICE_ROUTER6);
	if (settings && settings->has_fwd_key)
		mnl_attr_put(nlh, DYNCAST_A_SERVICE_KEY, DD_KEY_LEN,
			     settings->fwd_key);
	mnl_attr_nest_end(nlh, nest);
}

static const uint16_t dd_metric_attr[DD_M_COUNT] = {
	[DD_M_WEIGHT] = DYNCAST_A_INSTANCE_WEIGHT,
	[DD_M_CPU] = DYNCAST_A_INSTANCE_CPU,
	[DD_M_GPU] = DYNCAST_A_INSTANCE_GPU,
	[DD_M_SESSIONS] = DYNCAST_A_INSTANCE_SESSIONS,
	[DD_M_QUEUE] = DYNCAST_A_INSTANCE_QUEUE,
	[DD_M_CAPACITY] = DYNCAST_A_INSTANCE_CAPACITY,
	[DD_M_COST] = DYNCAST_A_INSTANCE_COST,
	[DD_M_SITE] = DYNCAST_A_INSTANCE_SITE,
	[DD_M_SERVICE_TIME] = DYNCAST_A_INSTANCE_SERVICE_TIME,
};

static void dd_put_instance(struct dd_ctx *ctx, struct nlmsghdr *nlh,
			    const struct dd_entry *e, uint8_t cmd)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, DYNCAST_A_INSTANCE);
	unsigned int m;

	dd_put_addr(nlh, &e->rec.key.bid, DYNCAST_A_INSTANCE_ADDR4,
		    DYNCAST_A_INSTANCE_ADDR6);
	if (cmd != DYNCAST_CMD_INSTANCE_DEL) {
		/*
		 * its port on every SET too, where it changed (0: the
		 * service's); an instance adopted from the kernel keeps the
		 * port it was given there unless the agent names one
		 */
		if (e->rec.bid_port ||
		    (cmd != DYNCAST_CMD_INSTANCE_NEW && !e->adopted))
			mnl_attr_put_u16(nlh, DYNCAST_A_INSTANCE_PORT,
					 htons(e->rec.bid_port));
		mnl_attr_put_u8(nlh, DYNCAST_A_INSTANCE_STATE, dd_entry_state(e));
		/* a figure no longer announced goes back to its default */
		for (m = 0; m < DD_M_COUNT; m++) {
			uint32_t v = e->rec.m[m];

			if (m == DD_M_COST)
				v = dd_entry_cost(ctx, e);
			else if (m == DD_M_WEIGHT && e->planned)
				v = e->plan.weight;
			else if (m == DD_M_SERVICE_TIME && e->planned &&
				 e->plan.svc_us)
				v = e->plan.svc_us;
			else if (!(e->rec.present & (1u << m)))
				v = m == DD_M_WEIGHT ? 1 : 0;
			mnl_attr_put_u32(nlh, dd_metric_attr[m], v);
		}
		/* a plan, or none any more: back to the kernel's defaults */
		if (e->planned || e->plan_in_kernel) {
			mnl_attr_put_u32(nlh, DYNCAST_A_INSTANCE_LOAD,
					 e->planned ? e->plan.load : 0);
			mnl_attr_put_u32(nlh, DYNCAST_A_INSTANCE_INFLIGHT_ADJUST,
					 (uint32_t)(e->planned ? e->plan.adjust : 0));
		}
	}
	mnl_attr_nest_end(nlh, nest);
}

static void dd_pushed(struct dd_ctx *ctx, struct dd_entry *e)
{
	uint8_t state = dd_entry_state(e);

	/* the plans share the demands among the instances up */
	if ((state == DD_STATE_UP) != (e->pushed_state == DD_STATE_UP))
		ctx->plan_soon = true;
	e->pushed = e->rec;
	e->pushed_state = state;
	e->pushed_cost = dd_entry_cost(ctx, e);
	e->plan_pushed = e->plan;
	e->plan_in_kernel = e->planned;
	e->dirty = false;
}

/* A plan worth pushing (plan.c) */
static bool dd_entry_plan_moved(const struct dd_entry *e)
{
	if (e->planned != e->plan_in_kernel)
		return true;
	return e->planned && dd_plan_moved(&e->plan, &e->plan_pushed);
}

/* A cost worth pushing: it moved by more than 200 us and 10 %. */
bool dd_cost_moved(uint32_t cost, uint32_t old)
{
	uint32_t d = cost > old ? cost - old : old - cost;

	return d > DD_COST_SLACK_US && (uint64_t)d * 10 > old;
}

static bool dd_entry_changed(const struct dd_ctx *ctx, const struct dd_entry *e)
{
	unsigned int m;

	if (dd_entry_state(e) != e->pushed_state ||
	    e->rec.present != e->pushed.present ||
	    e->rec.bid_port != e->pushed.bid_port || dd_entry_plan_moved(e))
		return true;
	for (m = 0; m < DD_M_COUNT; m++)
		if (m != DD_M_COST && (m != DD_M_WEIGHT || !e->planned) &&
		    e->rec.m[m] != e->pushed.m[m])
			return true;
	return dd_cost_moved(dd_entry_cost(ctx, e), e->pushed_cost);
}

/* Nothing of @e refused (any more): no wait for its next request */
static void dd_entry_accepted(struct dd_entry *e)
{
	e->refused_cmd = 0;
	e->refused_shift = 0;
}

/* One request for @n entries; on failure, one per entry. */
static void dd_push(struct dd_ctx *ctx, struct dd_svc_state *s, uint8_t cmd,
		    struct dd_entry **ents, unsigned int n)
{
	char buf[DC_NL_REQ_SIZE];
	struct nlmsghdr *nlh;
	unsigned int i;
	int ret;

	/* a socket that failed: the next pass opens it and tries again */
	if (!n || !ctx->nl_ready)
		return;
	nlh = dd_nl_start(buf, cmd);
	dd_put_service(nlh, &s->cfg.key, NULL);
	for (i = 0; i < n; i++)
		dd_put_instance(ctx, nlh, ents[i], cmd);
	ret = dd_nl_talk(ctx, nlh, true);
	if (!ret) {
		for (i = 0; i < n; i++) {
			dd_entry_accepted(ents[i]);
			if (cmd == DYNCAST_CMD_INSTANCE_DEL) {
				ents[i]->in_kernel = false;
				/* the plans share its demands out */
				if (ents[i]->pushed_state == DD_STATE_UP)
					ctx->plan_soon = true;
				ents[i]->pushed_state = DD_STATE_UNKNOWN;
			} else {
				ents[i]->in_kernel = true;
				dd_pushed(ctx, ents[i]);
			}
		}
		return;
	}
	if (!ctx->nl_ready)
		return;
	if (n > 1) {
		for (i = 0; i < n; i++)
			dd_push(ctx, s, cmd, &ents[i], 1);
		return;
	}
	/* one instance: what the kernel said decides */
	if (cmd == DYNCAST_CMD_INSTANCE_NEW && ret == -EEXIST) {
		/* someone else's instance: we only update it */
		ents[0]->adopted = true;
		ents[0]->in_kernel = true;
		dd_push(ctx, s, DYNCAST_CMD_INSTANCE_SET, ents, 1);
	} else if (cmd == DYNCAST_CMD_INSTANCE_SET && ret == -ENOENT) {
		ents[0]->in_kernel = false;
		ents[0]->adopted = false;
		/* one withdrawn (set down) is gone already: nothing to add */
		if (ents[0]->gone)
			return;
		dd_push(ctx, s, DYNCAST_CMD_INSTANCE_NEW, ents, 1);
		/*
		 * deleted behind our back, as the audit would find it; not
		 * the service gone (the NEW finds it lost), nor one made
		 * again, whose instances this pass pushes anyway
		 */
		if (ents[0]->in_kernel && s->ready && !s->remade)
			ctx->cnt.c[DD_C_KERNEL_REPAIRED]++;
	} else if (cmd == DYNCAST_CMD_INSTANCE_DEL && ret == -ENOENT) {
		ents[0]->in_kernel = false;
	} else if (ret == -ENOENT) {
		/* the service went: make it again, with all its instances */
		s->ready = false;
		s->lost = true;
	} else {
		struct dd_entry *e = ents[0];
		uint64_t now = dd_now_ms();

		/* another request than the one refused: from 2 s again */
		if (e->refused_cmd != cmd || e->refused_state != dd_entry_state(e))
			e->refused_shift = 0;
		e->refused_cmd = cmd;
		e->refused_state = dd_entry_state(e);
		/* on whole seconds: those refused together are tried together */
		e->refused_until = now - now % 1000 +
				   ((uint64_t)DD_NL_RETRY_MS << e->refused_shift);
		if ((DD_NL_RETRY_MS << e->refused_shift) < DD_REFUSED_MAX_MS)
			e->refused_shift++;
		ctx->cnt.c[DD_C_KERNEL_ERRORS]++;
		if (dd_ratelimit(&dd_rl_nl, dd_now_ms()))
			dd_warn("kernel refused an instance update: %s",
				strerror(-ret));
	}
}

/* @e into the batch @ents of @n, pushed once full */
static void dd_batch(struct dd_ctx *ctx, struct dd_svc_state *s, uint8_t cmd,
		     struct dd_entry **ents, unsigned int *n, struct dd_entry *e)
{
	ents[(*n)++] = e;
	if (*n == DD_BATCH) {
		dd_push(ctx, s, cmd, ents, *n);
		*n = 0;
	}
}

/*
 * The service, made or found in the kernel.  Made, it holds none of our
 * instances (it was deleted behind our back, or the module loaded again);
 * found, what it holds is not known: either way the next pass looks at
 * every entry and pushes each instance of it again (dd_kernel_sync_svc()).
 */
static int dd_service_push(struct dd_ctx *ctx, struct dd_svc_state *s)
{
	char buf[DC_NL_REQ_SIZE];
	struct nlmsghdr *nlh;
	int ret;

	nlh = dd_nl_start(buf, DYNCAST_CMD_SERVICE_NEW);
	dd_put_service(nlh, &s->cfg.key, &s->cfg);
	ret = dd_nl_talk(ctx, nlh, true);
	if (!ret) {
		s->created = true;
		dd_info("service %s: created", s->cfg.name);
		s->remade = DD_REMADE_NEW;
	} else if (ret == -ENOENT) {
		/*
		 * No such family: its module was loaded again, under another
		 * id.  The next pass opens the socket and looks it up anew.
		 */
		dc_nl_close(&ctx->nl);
		ctx->nl_ready = false;
	} else if (ret == -EEXIST) {
		/* there all along (a reload), or made again by someone else */
		if (s->lost)
			s->remade = DD_REMADE_FOUND;
		if (s->cfg.present || s->cfg.has_fwd_key ||
		    s->cfg.router.family) {
			nlh = dd_nl_start(buf, DYNCAST_CMD_SERVICE_SET);
			dd_put_service(nlh, &s->cfg.key, &s->cfg);
			ret = dd_nl_talk(ctx, nlh, false);
		} else {
			ret = 0;
		}
		if (!s->created && !ret)
			dd_info("service %s: exists, adopted", s->cfg.name);
	}
	/* the requests carried the service's key */
	if (s->cfg.has_fwd_key)
		sodium_memzero(buf, sizeof(buf));
	if (ret) {
		ctx->cnt.c[DD_C_KERNEL_ERRORS]++;
		if (dd_ratelimit(&dd_rl_nl, dd_now_ms()))
			dd_warn("service %s: the kernel refused it: %s",
				s->cfg.name, strerror(-ret));
		return ret;
	}
	s->ready = true;
	s->lost = false;
	/* new, or someone else's: its slack is not known */
	s->slack_known = false;
	ctx->kernel_all = true;
	return 0;
}

static void dd_plan_slack(struct dd_ctx *ctx, struct dd_svc_state *s,
			  uint32_t slack);

/*
 * A plan of @e, if one comes again, starts anew: its rates and load from
 * then on, not averaged over the pause (dd_plan() measures an instance's
 * service time only when both are of the same time)
 */
static void dd_plan_forget(struct dd_entry *e)
{
	e->plan_since = 0;
	e->demands_at = 0;
	e->own_rate = 0;
	e->busy = -1;
}

/*
 * What a plan put into the kernel, for a service that stays there when
 * the agent no longer plans it (plan = no, the section gone or the agent
 * stopping with keep, an adopted service): the announced weights, the
 * kernel's own loads, no adjustment, no slack of ours.
 */
static void dd_plan_undo(struct dd_ctx *ctx, struct dd_svc_state *s)
{
	struct dd_entry *set[DD_BATCH], *e;
	unsigned int n = 0;

	for (e = dd_svc_entries(ctx, &s->cfg.key); e; e = e->gnext) {
		dd_plan_forget(e);
		if (!e->planned && !e->plan_in_kernel)
			continue;
		e->planned = false;
		if (!e->in_kernel || e->gone)
			continue;
		dd_batch(ctx, s, DYNCAST_CMD_INSTANCE_SET, set, &n, e);
	}
	dd_push(ctx, s, DYNCAST_CMD_INSTANCE_SET, set, n);
	if (s->slack_ours && ctx->nl_ready)
		dd_plan_slack(ctx, s, 0);
	s->planned = false;
}

/* After a pass: the kernel still lacks what @e says (a request failed) */
static bool dd_entry_pending(const struct dd_entry *e)
{
	if (e->gone)
		return e->in_kernel;
	return !e->in_kernel || e->dirty;
}

/*
 * The queued entries of @s (s->queue), pushed in batches; what the kernel
 * refused goes to @again, the withdrawn ones it no longer holds are freed.
 * A request the kernel refused is not made again before its time (@now).
 */
static void dd_kernel_sync_svc(struct dd_ctx *ctx, struct dd_svc_state *s,
			       uint64_t now, struct dd_entry **again)
{
	struct dd_entry *add[DD_BATCH], *set[DD_BATCH], *del[DD_BATCH];
	struct dd_entry *e, *next, *done = NULL;
	unsigned int na = 0, ns = 0, nd = 0;
	uint8_t cmd;

	for (e = s->queue; e && ctx->nl_ready; e = next) {
		next = e->qnext;
		e->qnext = done;
		done = e;
		if (s->remade == DD_REMADE_NEW) {
			e->in_kernel = false;
			e->adopted = false;
		} else if (s->remade == DD_REMADE_FOUND && e->in_kernel) {
			/* pushed again whatever it was: the kernel may lack it */
			e->pushed_state = DD_STATE_UNKNOWN;
			e->dirty = true;
		}
		cmd = 0;
		if (e->gone) {
			if (!e->in_kernel)
				continue;
			if (!e->adopted)
				cmd = DYNCAST_CMD_INSTANCE_DEL;
			else if (e->pushed_state != DD_STATE_DOWN)
				cmd = DYNCAST_CMD_INSTANCE_SET;
		} else if (!e->in_kernel) {
			cmd = DYNCAST_CMD_INSTANCE_NEW;
		} else if (e->dirty && dd_entry_changed(ctx, e)) {
			cmd = DYNCAST_CMD_INSTANCE_SET;
		} else {
			e->dirty = false;
		}
		/* the request refused, again: not before its time */
		if (!cmd || (cmd == e->refused_cmd &&
			     dd_entry_state(e) == e->refused_state &&
			     now < e->refused_until))
			continue;
		if (cmd == DYNCAST_CMD_INSTANCE_NEW)
			dd_batch(ctx, s, cmd, add, &na, e);
		else if (cmd == DYNCAST_CMD_INSTANCE_SET)
			dd_batch(ctx, s, cmd, set, &ns, e);
		else
			dd_batch(ctx, s, cmd, del, &nd, e);
	}
	/* the socket closed: the rest waits for the next pass */
	for (; e; e = next) {
		next = e->qnext;
		e->qnext = *again;
		*again = e;
	}
	s->queue = NULL;
	dd_push(ctx, s, DYNCAST_CMD_INSTANCE_NEW, add, na);
	dd_push(ctx, s, DYNCAST_CMD_INSTANCE_SET, set, ns);
	dd_push(ctx, s, DYNCAST_CMD_INSTANCE_DEL, del, nd);
	for (e = done; e; e = next) {
		next = e->qnext;
		/* adopted instances withdrawn: set down, now forgotten */
		if (e->gone && e->adopted && e->pushed_state == DD_STATE_DOWN)
			e->in_kernel = false;
		if (dd_entry_pending(e)) {
			e->qnext = *again;
			*again = e;
			continue;
		}
		e->queued = false;
		dd_entry_accepted(e);
		if (e->gone && !e->in_kernel)
			dd_entry_release(ctx, e);
	}
}

/*
 * A pass: the entries queued since the last one (dd_entry_dirty()), or
 * every entry when a service was made again or the settings changed.
 * What is left for want of the kernel stays queued and is tried again
 * DD_NL_RETRY_MS later; what the kernel refused, 2 s later, then at
 * intervals that double up to DD_REFUSED_MAX_MS while it keeps refusing
 * that request (another, say a withdrawal, goes at once).
 */
void dd_kernel_sync(struct dd_ctx *ctx)
{
	struct dd_entry *q, *again = NULL, *e, *next;
	uint64_t now = dd_now_ms(), when = 0;
	struct dd_svc_state *s;
	bool retry = false;
	int ret;
	unsigned int i, b;

	if (!ctx->nl_ready) {
		if (now < ctx->nl_retry_at)
			goto again;
		ctx->in_sync = true;
		ret = dd_kernel_open(ctx);
		ctx->in_sync = false;
		if (ret) {
			ctx->nl_retry_at = now + DD_NL_RETRY_MS;
			goto again;
		}
	}
	for (i = 0; i < ctx->n_svc; i++) {
		s = &ctx->svc[i];
		if (!s->ready && (!ctx->nl_ready || dd_service_push(ctx, s)))
			retry = true;
	}
	if (ctx->kernel_all) {
		for (e = dd_entry_first(ctx, &b); e; e = dd_entry_next(ctx, e, &b))
			dd_entry_queue(ctx, e);
		ctx->kernel_all = false;
	}
	/* each entry to its service's queue, or done with */
	q = ctx->kernel_queue;
	ctx->kernel_queue = NULL;
	for (e = q; e; e = next) {
		next = e->qnext;
		s = dd_entry_svc(ctx, e);
		/* a forwarder learns its instances from its D-Router */
		if (s && dd_service_forward(&s->cfg))
			s = NULL;
		if (s && s->ready) {
			e->qnext = s->queue;
			s->queue = e;
		} else if (s && (!e->gone || e->in_kernel)) {
			e->qnext = again;	/* its service, not made yet */
			again = e;
		} else {
			/* not steered here, or withdrawn and not in the kernel */
			e->queued = false;
			dd_entry_accepted(e);
			if (e->gone) {
				e->in_kernel = false;
				dd_entry_release(ctx, e);
			}
		}
	}
	for (i = 0; i < ctx->n_svc; i++) {
		s = &ctx->svc[i];
		if (s->queue)
			dd_kernel_sync_svc(ctx, s, now, &again);
		if (!s->ready)
			retry = true;
		s->remade = 0;
	}
	/* back on the queue; the next pass when the first of them is due */
	if (again) {
		for (e = again; ; e = e->qnext) {
			if (e->refused_cmd && e->refused_until > now)
				when = !when || e->refused_until < when ?
				       e->refused_until : when;
			else
				retry = true;
			if (!e->qnext)
				break;
		}
		e->qnext = ctx->kernel_queue;
		ctx->kernel_queue = again;
	}
	/* sites whose last entries the pass freed */
	dd_sites_reap(ctx);
	ctx->kernel_dirty = false;
	if (ctx->plan_soon) {
		ctx->plan_soon = false;
		dd_router_plan_soon(ctx);
	}
	if (retry) {
		ctx->nl_retry_at = now + DD_NL_RETRY_MS;
		if (!when || ctx->nl_retry_at < when)
			when = ctx->nl_retry_at;
	}
	/* a pass due sooner (dd_kernel_soon()) stays so */
	if (when && (!ctx->kernel_timer.armed || ctx->kernel_timer.when > when))
		dd_timer_arm(&ctx->loop, &ctx->kernel_timer, when);
	return;
again:
	dd_timer_arm(&ctx->loop, &ctx->kernel_timer, ctx->nl_retry_at);
}

/*
 * A service leaves the configuration (or the agent stops): delete it if
 * we created it, else delete the instances we added to it; unless the
 * configuration says keep.
 */
void dd_kernel_remove_service(struct dd_ctx *ctx, struct dd_svc_state *s)
{
	struct dd_entry *del[DD_BATCH], *e;
	char buf[DC_NL_REQ_SIZE];
	struct nlmsghdr *nlh;
	unsigned int n = 0;
	bool keep = s->cfg.keep || ctx->cfg->keep;

	if (!ctx->nl_ready && dd_kernel_open(ctx))
		goto forget;
	if (keep || !s->created)
		dd_plan_undo(ctx, s);
	if (keep) {
		dd_info("service %s: left in the kernel (keep)", s->cfg.name);
	} else if (s->created) {
		nlh = dd_nl_start(buf, DYNCAST_CMD_SERVICE_DEL);
		dd_put_service(nlh, &s->cfg.key, NULL);
		if (!dd_nl_talk(ctx, nlh, true))
			dd_info("service %s: deleted", s->cfg.name);
	} else {
		for (e = dd_svc_entries(ctx, &s->cfg.key); e; e = e->gnext) {
			if (!e->in_kernel || e->adopted)
				continue;
			dd_batch(ctx, s, DYNCAST_CMD_INSTANCE_DEL, del, &n, e);
		}
		dd_push(ctx, s, DYNCAST_CMD_INSTANCE_DEL, del, n);
	}
forget:
	for (e = dd_svc_entries(ctx, &s->cfg.key); e; e = e->gnext) {
		e->in_kernel = false;
		e->adopted = false;
		/* a plan of it, if it comes back, starts anew */
		e->planned = false;
		e->plan_in_kernel = false;
		dd_plan_forget(e);
	}
	s->ready = false;
	s->created = false;
}

void dd_kernel_exit(struct dd_ctx *ctx)
{
	unsigned int i;

	for (i = 0; i < ctx->n_svc; i++)
		dd_kernel_remove_service(ctx, &ctx->svc[i]);
	dd_kernel_close(ctx);
}

/* --- the plan ------------------------------------------------------------ */

struct dd_plan_read {
	struct dd_ctx *ctx;
	struct dd_svc_state *s;
	uint64_t now;
};

/* One instance of the dump: this router's demands there so far */
static int dd_plan_read_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dd_plan_read *r = data;
	const struct nlattr *a, *b, *c;
	struct dd_inst_key k = { .svc = r->s->cfg.key };
	uint64_t demands = 0, now = r->now;
	bool have_bid = false, have_demands = false;
	struct dd_entry *e;
	double dt, rate;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(a) != DYNCAST_A_INSTANCE)
			continue;
		mnl_attr_for_each_nested(b, a) {
			switch (mnl_attr_get_type(b)) {
			case DYNCAST_A_INSTANCE_ADDR4:
				if (mnl_attr_get_payload_len(b) != 4)
					break;
				k.bid.family = AF_INET;
				memcpy(&k.bid.u.in, mnl_attr_get_payload(b), 4);
				have_bid = true;
				break;
			case DYNCAST_A_INSTANCE_ADDR6:
				if (mnl_attr_get_payload_len(b) != 16)
					break;
				k.bid.family = AF_INET6;
				memcpy(&k.bid.u.in6, mnl_attr_get_payload(b), 16);
				have_bid = true;
				break;
			case DYNCAST_A_INSTANCE_STATS:
				mnl_attr_for_each_nested(c, b) {
					if (mnl_attr_get_type(c) !=
					    DYNCAST_A_STATS_DEMANDS ||
					    mnl_attr_validate(c, MNL_TYPE_U64) < 0)
						continue;
					demands = mnl_attr_get_u64(c);
					have_demands = true;
				}
				break;
			}
		}
	}
	if (!have_bid || !have_demands)
		return MNL_CB_OK;
	e = dd_entry_lookup(r->ctx, &k);
	if (!e || e->gone)
		return MNL_CB_OK;
	/* a rate from the second reading on; a count that fell starts again */
	if (e->demands_at && now > e->demands_at && demands >= e->demands) {
		dt = (now - e->demands_at) / 1e3;
		rate = (demands - e->demands) / dt;
		e->own_rate += (1 - exp(-dt * 1e3 / DD_PLAN_TAU_MS)) *
			       (rate - e->own_rate);
	} else if (e->demands_at && demands < e->demands) {
		e->own_rate = 0;
	}
	e->demands = demands;
	e->demands_at = now;
	return MNL_CB_OK;
}

static int dd_plan_read(struct dd_ctx *ctx, struct dd_svc_state *s)
{
	struct dd_plan_read r = { .ctx = ctx, .s = s, .now = dd_now_ms() };
	char buf[DC_NL_REQ_SIZE];
	struct nlmsghdr *nlh;
	int ret;

	nlh = dc_genl_start(buf, sizeof(buf), DYNCAST_CMD_INSTANCE_GET,
			    DYNCAST_FAMILY_VERSION,
			    NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP);
	dd_put_service(nlh, &s->cfg.key, NULL);
	ret = dd_nl_talk_cb(ctx, nlh, true, dd_plan_read_cb, &r);
	return ret < 0 ? ret : 0;
}

/*
 * A request with no attributes, a dump (@dump) or not, its replies to @cb:
 * what the metrics endpoint reads.
 */
int dd_kernel_read(struct dd_ctx *ctx, uint8_t cmd, bool dump, mnl_cb_t cb,
		   void *data)
{
	char buf[DC_NL_REQ_SIZE];
	struct nlmsghdr *nlh;
	int ret;

	nlh = dc_genl_start(buf, sizeof(buf), cmd, DYNCAST_FAMILY_VERSION,
			    NLM_F_REQUEST | NLM_F_ACK | (dump ? NLM_F_DUMP : 0));
	ret = dd_nl_talk_cb(ctx, nlh, false, cb, data);
	return ret < 0 ? ret : 0;
}

/* The slack of the plan, to the kernel when it changed */
static void dd_plan_slack(struct dd_ctx *ctx, struct dd_svc_state *s,
			  uint32_t slack)
{
	struct dd_service_cfg set = {
		.present = 1u << DYNCAST_A_SERVICE_SLACK,
		.val[DYNCAST_A_SERVICE_SLACK] = slack,
	};
	char buf[DC_NL_REQ_SIZE];
	struct nlmsghdr *nlh;
	int ret;

	_Static_assert(DYNCAST_A_SERVICE_SLACK < 32,
		       "the settings of a service fit dd_service_cfg.present");
	if (s->slack_known && s->slack == slack)
		return;
	if (!s->ready)
		return;
	nlh = dd_nl_start(buf, DYNCAST_CMD_SERVICE_SET);
	dd_put_service(nlh, &s->cfg.key, &set);
	ret = dd_nl_talk(ctx, nlh, true);
	if (ret) {
		ctx->cnt.c[DD_C_KERNEL_ERRORS]++;
		if (dd_ratelimit(&dd_rl_nl, dd_now_ms()))
			dd_warn("service %s: the kernel refused its slack: %s",
				s->cfg.name, strerror(-ret));
		return;
	}
	s->slack = slack;
	s->slack_known = true;
	s->slack_ours = slack != 0;
}

static void dd_plan_service(struct dd_ctx *ctx, struct dd_svc_state *s)
{
	static struct dd_plan_in in[DYNCAST_MAX_INSTANCES];
	static struct dd_plan_out out[DYNCAST_MAX_INSTANCES];
	static struct dd_entry *ents[DYNCAST_MAX_INSTANCES];
	uint32_t svc_us = s->cfg.present & (1u << DYNCAST_A_SERVICE_SERVICE_TIME) ?
			  s->cfg.val[DYNCAST_A_SERVICE_SERVICE_TIME] :
			  DD_PLAN_SERVICE_TIME_US;
	double a = 1 - exp(-(double)DD_PLAN_MS / DD_PLAN_TAU_MS), busy;
	uint64_t now = dd_now_ms();
	struct dd_entry *e;
	unsigned int i, n = 0;
	bool dirty = false;

	if (dd_plan_read(ctx, s))
		return;
	for (e = dd_svc_entries(ctx, &s->cfg.key); e; e = e->gnext) {
		if (n == DYNCAST_MAX_INSTANCES || e->gone || !e->in_kernel ||
		    dd_entry_state(e) != DD_STATE_UP) {
			e->plan_since = 0;
			continue;
		}
		if (!e->plan_since)
			e->plan_since = now;
		/* the larger of cpu and gpu, smoothed as the own rates */
		busy = -1;
		if (e->rec.present & (1u << DD_M_CPU))
			busy = e->rec.m[DD_M_CPU] / 1000.0;
		if (e->rec.present & (1u << DD_M_GPU))
			busy = fmax(busy, e->rec.m[DD_M_GPU] / 1000.0);
		if (busy < 0)
			e->busy = -1;
		else if (e->busy < 0)
			e->busy = busy;
		else
			e->busy += a * (busy - e->busy);
		in[n] = (struct dd_plan_in){
			.cost = dd_entry_cost(ctx, e) / 1e6,
			.slots = e->rec.present & (1u << DD_M_CAPACITY) ?
				 e->rec.m[DD_M_CAPACITY] : 0,
			/* the instance's own, else the service's */
			.svc = (e->rec.present & (1u << DD_M_SERVICE_TIME) &&
				e->rec.m[DD_M_SERVICE_TIME] ?
				e->rec.m[DD_M_SERVICE_TIME] : svc_us) / 1e6,
			.scv = s->cfg.scv / 10.0,
			.has_scv = true,
			.busy = e->busy,
			.own = e->own_rate,
			.planned = (now - e->plan_since) / 1e3,
			.svc_us = e->plan.svc_us,
		};
		ents[n++] = e;
	}
	if (!n)
		return;
	dd_plan(in, n, out, &s->plan);
	s->planned = true;
	for (i = 0; i < n; i++) {
		ents[i]->plan = out[i];
		ents[i]->planned = true;
		if (dd_entry_plan_moved(ents[i])) {
			dd_entry_dirty(ctx, ents[i]);
			dirty = true;
		}
	}
	dd_plan_slack(ctx, s, s->plan.slack);
	if (dirty)
		ctx->kernel_dirty = true;
}

/*
 * Plan every service that plans; a service that stopped planning goes
 * back to the announced weights, the kernel's loads and no slack.
 */
void dd_kernel_plan(struct dd_ctx *ctx)
{
	struct dd_entry *e;
	unsigned int i;

	if (!ctx->nl_ready)
		return;
	for (i = 0; i < ctx->n_svc; i++) {
		struct dd_svc_state *s = &ctx->svc[i];

		/* a fatal error closed the socket: the next sync reopens it */
		if (!ctx->nl_ready)
			return;
		if (!s->ready)
			continue;
		if (s->cfg.plan) {
			dd_plan_service(ctx, s);
			continue;
		}
		if (s->slack_ours)
			dd_plan_slack(ctx, s, 0);
		/* its entries hold a plan: once, not at each round */
		if (!s->planned)
			continue;
		s->planned = false;
		for (e = dd_svc_entries(ctx, &s->cfg.key); e; e = e->gnext) {
			dd_plan_forget(e);
			if (!e->planned)
				continue;
			e->planned = false;
			dd_entry_dirty(ctx, e);
			ctx->kernel_dirty = true;
		}
	}
	if (ctx->kernel_dirty)
		dd_kernel_sync(ctx);
}

/* --- the audit ----------------------------------------------------------- */

struct dd_audit {
	struct dd_ctx *ctx;
	struct dd_svc_state *s;
};

/* One instance of the dump: one of ours is still there */
static int dd_audit_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dd_audit *a = data;
	struct dd_inst_key k = { .svc = a->s->cfg.key };
	const struct nlattr *n, *b;
	struct dd_entry *e;

	mnl_attr_for_each(n, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(n) != DYNCAST_A_INSTANCE)
			continue;
		mnl_attr_for_each_nested(b, n) {
			if (mnl_attr_get_type(b) == DYNCAST_A_INSTANCE_ADDR4 &&
			    mnl_attr_get_payload_len(b) == 4) {
				k.bid.family = AF_INET;
				memcpy(&k.bid.u.in, mnl_attr_get_payload(b), 4);
			} else if (mnl_attr_get_type(b) == DYNCAST_A_INSTANCE_ADDR6 &&
				   mnl_attr_get_payload_len(b) == 16) {
				k.bid.family = AF_INET6;
				memcpy(&k.bid.u.in6, mnl_attr_get_payload(b), 16);
			}
		}
	}
	e = k.bid.family ? dd_entry_lookup(a->ctx, &k) : NULL;
	if (e)
		e->audited = a->ctx->audit_gen;
	return MNL_CB_OK;
}

/*
 * Each service's instances in the kernel against those we put there, every
 * DD_AUDIT_MS.  What a pass sends follows what changed; what someone else
 * changed behind our back goes unnoticed until then: an instance deleted
 * (by hand, by another agent) is added again; a service deleted, or with
 * none of ours left (deleted and made again empty: its settings too), is
 * made or found again with its settings and all its instances, at the
 * next pass.  A dump that a change interrupted (NLM_F_DUMP_INTR: DC_NL_INTR)
 * may lack instances that are there, and tells nothing.
 */
void dd_kernel_audit(struct dd_ctx *ctx)
{
	char buf[DC_NL_REQ_SIZE];
	struct dd_audit a = { .ctx = ctx };
	struct nlmsghdr *nlh;
	struct dd_entry *e;
	unsigned int i, n, held;
	int ret;

	for (i = 0; i < ctx->n_svc && ctx->nl_ready; i++) {
		a.s = &ctx->svc[i];
		if (!a.s->ready || dd_service_forward(&a.s->cfg))
			continue;
		/* 0 is never an audit: a new entry is not taken for seen */
		if (!++ctx->audit_gen)
			ctx->audit_gen++;
		nlh = dc_genl_start(buf, sizeof(buf), DYNCAST_CMD_INSTANCE_GET,
				    DYNCAST_FAMILY_VERSION,
				    NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP);
		dd_put_service(nlh, &a.s->cfg.key, NULL);
		ret = dd_nl_talk_cb(ctx, nlh, true, dd_audit_cb, &a);
		if (ret == -ENOENT) {
			/* or the family is: dd_service_push() looks it up */
			if (dd_ratelimit(&dd_rl_audit, dd_now_ms()))
				dd_info("service %s: not found in the kernel, made again",
					a.s->cfg.name);
			a.s->ready = false;
			a.s->lost = true;
			ctx->kernel_dirty = true;
			continue;
		}
		/* an error, or DC_NL_INTR: nothing learnt */
		if (ret)
			continue;
		n = 0;
		held = 0;
		for (e = dd_svc_entries(ctx, &a.s->cfg.key); e; e = e->gnext) {
			if (!e->in_kernel || e->gone)
				continue;
			held++;
			if (e->audited != ctx->audit_gen)
				n++;
		}
		if (n && n == held) {
			/*
			 * none left: made again by hand, most likely, with
			 * settings of its own; made or found as at a loss
			 */
			a.s->ready = false;
			a.s->lost = true;
		} else {
			for (e = dd_svc_entries(ctx, &a.s->cfg.key); e;
			     e = e->gnext) {
				if (!e->in_kernel || e->gone ||
				    e->audited == ctx->audit_gen)
					continue;
				e->in_kernel = false;
				e->adopted = false;
				dd_entry_dirty(ctx, e);
			}
		}
		if (n) {
			ctx->cnt.c[DD_C_KERNEL_REPAIRED] += n;
			ctx->kernel_dirty = true;
			if (dd_ratelimit(&dd_rl_audit, dd_now_ms()))
				dd_info("service %s: %u of its instances gone from the kernel, added again",
					a.s->cfg.name, n);
		}
	}
	if (ctx->kernel_dirty)
		dd_kernel_sync(ctx);
}

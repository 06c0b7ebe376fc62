// SPDX-License-Identifier: GPL-2.0
/*
 * The D-MA role: the local instances of the configuration, their metrics
 * from the collectors, and the announcements that carry them to the
 * D-Routers (and to our own router role, when there is one).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dyncastd.h"

/* how many announcements repeat the withdrawal of a removed instance */
#define DD_WITHDRAW_REPEAT	3

struct dd_inst *dd_dma_find(struct dd_ctx *ctx, const char *name)
{
	unsigned int i;

	for (i = 0; i < ctx->n_inst; i++)
		if (!ctx->inst[i]->stale && !strcmp(ctx->inst[i]->cfg.name, name))
			return ctx->inst[i];
	return NULL;
}

static bool dd_fresh(const struct dd_ctx *ctx, uint64_t at, uint64_t now)
{
	return at && now - at <= ctx->cfg->report_ttl_ms;
}

static void dd_rec_set(struct dd_record *r, unsigned int m, uint32_t v)
{
	r->m[m] = v;
	r->present |= 1u << m;
}

/*
 * What the instance is now.  A figure the service reported itself comes
 * first while fresh, then the command's, then the collectors'.
 */
static void dd_inst_record(struct dd_ctx *ctx, struct dd_inst *in,
			   uint64_t now)
{
	const struct dd_figures *rep = dd_fresh(ctx, in->report_at, now) ?
				       &in->report : NULL;
	const struct dd_figures *cmd = dd_fresh(ctx, in->command_at, now) ?
				       &in->command : NULL;
	double tau = dd_smooth_tau(ctx->cfg->collect_ms, ctx->cfg->smoothing);
	struct dd_record *r = &in->now;
	unsigned int m;

	memset(r, 0, sizeof(*r));
	r->key = in->cfg.key;
	r->bid_port = in->cfg.bid_port;
	r->state = in->cfg.state;
	if (cmd && cmd->has_state)
		r->state = cmd->state;
	if (rep && rep->has_state)
		r->state = rep->state;
	if (!in->healthy)
		r->state = DD_STATE_DOWN;

	dd_rec_set(r, DD_M_WEIGHT, in->cfg.weight);
	dd_rec_set(r, DD_M_CAPACITY, in->cfg.capacity);
	dd_rec_set(r, DD_M_COST, in->cfg.cost);
	dd_rec_set(r, DD_M_SITE, in->cfg.site);
	if (in->cfg.service_time)
		dd_rec_set(r, DD_M_SERVICE_TIME, in->cfg.service_time);
	if (in->cfg.measure_svc && in->svc_measured)
		dd_rec_set(r, DD_M_SERVICE_TIME, in->svc_measured);
	if (in->cpu_ok && in->cpu.has_value)
		dd_rec_set(r, DD_M_CPU, in->cpu.value);
	if (in->sessions_ok)
		dd_rec_set(r, DD_M_SESSIONS, in->sessions);
	for (m = 0; m < DD_M_COUNT; m++) {
		if (cmd && (cmd->present & (1u << m)))
			dd_rec_set(r, m, cmd->m[m]);
		if (!rep || !(rep->present & (1u << m)))
			continue;
		if (m == DD_M_CPU || m == DD_M_GPU)
			dd_rec_set(r, m, dd_smooth_value(&in->report_load[m == DD_M_GPU],
							 now, tau));
		else
			dd_rec_set(r, m, rep->m[m]);
	}
}

/* The capacity @in announces now, 0 unknown */
uint32_t dd_inst_capacity(const struct dd_inst *in)
{
	return in->now.present & (1u << DD_M_CAPACITY) ?
	       in->now.m[DD_M_CAPACITY] : in->cfg.capacity;
}

static void dd_announce_schedule(struct dd_ctx *ctx)
{
	uint64_t due = dd_policy_due(&ctx->policy, &ctx->cfg->policy);

	dd_timer_arm(&ctx->loop, &ctx->announce_timer, due);
}

/* Recomputes what @in is, and triggers an update if it moved enough. */
void dd_dma_update(struct dd_ctx *ctx, struct dd_inst *in)
{
	dd_inst_record(ctx, in, dd_now_ms());
	if (!in->ever_announced ||
	    dd_policy_moved(&ctx->cfg->policy, &in->announced, &in->now)) {
		dd_policy_trigger(&ctx->policy);
		dd_announce_schedule(ctx);
	}
}

void dd_dma_report(struct dd_ctx *ctx, const char *name,
		   const struct dd_figures *f)
{
	struct dd_inst *in = dd_dma_find(ctx, name);
	double tau = dd_smooth_tau(ctx->cfg->collect_ms, ctx->cfg->smoothing);
	uint64_t now = dd_now_ms();
	unsigned int m;

	if (!in) {
		ctx->cnt.c[DD_C_BAD_REPORTS]++;
		dd_dbg("report for unknown instance \"%s\"", name);
		return;
	}
	/* a report adds to the figures still fresh from the last one */
	if (!dd_fresh(ctx, in->report_at, now)) {
		memset(&in->report, 0, sizeof(in->report));
		memset(in->report_load, 0, sizeof(in->report_load));
	}
	for (m = 0; m < DD_M_COUNT; m++) {
		if (!(f->present & (1u << m)))
			continue;
		in->report.m[m] = f->m[m];
		in->report.present |= 1u << m;
		if (m == DD_M_CPU || m == DD_M_GPU)
			dd_smooth_report(&in->report_load[m == DD_M_GPU], f->m[m],
					 now, tau);
	}
	if (f->has_state) {
		in->report.has_state = true;
		in->report.state = f->state;
	}
	in->report_at = now;
	ctx->cnt.c[DD_C_REPORTS]++;
	dd_dma_update(ctx, in);
}

static void dd_collect(struct dd_timer *t)
{
	struct dd_ctx *ctx = t->data;
	uint64_t now = dd_now_ms();
	unsigned int i;

	dd_sessions_count(ctx);
	for (i = 0; i < ctx->n_inst; i++) {
		struct dd_inst *in = ctx->inst[i];
		int ret;

		if (in->stale)
			continue;
		ret = dd_cpu_sample(&in->cpu, dd_now_us(), ctx->ncpu,
				    ctx->cfg->smoothing);
		if (ret && in->cpu_ok)
			dd_warn("instance %s: cannot read the CPU usage of %s: %s",
				in->cfg.name, in->cpu.path, strerror(-ret));
		in->cpu_ok = !ret;
		if (dd_svc_followed(ctx, in))
			in->svc_measured = dd_svct_fold(&in->svct,
							dd_inst_capacity(in),
							dd_now_us(),
							DD_SERVICE_TIME_MAX);
		dd_dma_update(ctx, in);
	}
	dd_timer_arm(&ctx->loop, t, now + ctx->cfg->collect_ms);
}

static void dd_inst_free(struct dd_ctx *ctx, struct dd_inst *in)
{
	dd_health_stop(ctx, in);
	dd_command_stop(ctx, in);
	free(in);
}

/* One round: every instance, or its withdrawal, to every peer. */
static void dd_announce(struct dd_timer *t)
{
	struct dd_ctx *ctx = t->data;
	struct dd_origin o = {
		.id = ctx->id,
		.hold_ms = ctx->cfg->hold_ms,
	};
	struct dd_record *recs;
	unsigned int i, j, n = 0;

	recs = calloc(ctx->n_inst ? ctx->n_inst : 1, sizeof(*recs));
	if (!recs) {
		dd_timer_arm(&ctx->loop, t, dd_now_ms() + 1000);
		return;
	}
	for (i = 0; i < ctx->n_inst; i++) {
		struct dd_inst *in = ctx->inst[i];

		if (in->stale) {
			memset(&recs[n], 0, sizeof(recs[n]));
			recs[n].key = in->cfg.key;
			recs[n++].withdrawn = true;
			in->withdraw_left--;
			continue;
		}
		dd_inst_record(ctx, in, dd_now_ms());
		recs[n++] = in->now;
		in->announced = in->now;
		in->ever_announced = true;
	}
	o.seq = ++ctx->origin_seq;
	for (i = 0; i < ctx->n_peers; i++)
		dd_send_origin(ctx, &o, recs, n, &ctx->peers[i].cfg.addr,
			       ctx->peers[i].cfg.port);
	if (ctx->cfg->router)
		dd_router_local(ctx, recs, n);
	free(recs);
	dd_bgp_announce(ctx);

	for (i = 0, j = 0; i < ctx->n_inst; i++) {
		struct dd_inst *in = ctx->inst[i];

		if (in->stale && !in->withdraw_left)
			dd_inst_free(ctx, in);
		else
			ctx->inst[j++] = in;
	}
	ctx->n_inst = j;

	dd_policy_sent(&ctx->policy, &ctx->cfg->policy, dd_now_ms());
	for (i = 0; i < ctx->n_inst; i++)
		if (ctx->inst[i]->stale)
			dd_policy_trigger(&ctx->policy);
	if (ctx->n_inst)
		dd_announce_schedule(ctx);
}

static bool dd_inst_same(const struct dd_instance_cfg *a,
			 const struct dd_instance_cfg *b)
{
	return !strcmp(a->name, b->name) && dd_inst_key_eq(&a->key, &b->key) &&
	       a->bid_port == b->bid_port;
}

static struct dd_inst *dd_inst_new(struct dd_ctx *ctx,
				   const struct dd_instance_cfg *cfg)
{
	struct dd_inst *in = calloc(1, sizeof(*in));

	if (!in)
		return NULL;
	in->ctx = ctx;
	in->cfg = *cfg;
	in->hc_fd = -1;
	in->cmd_fd = -1;
	in->healthy = cfg->health == DD_HEALTH_OFF;
	if (dd_cpu_init(&in->cpu, NULL, cfg->cgroup)) {
		free(in);
		return NULL;
	}
	return in;
}

/*
 * The instances of the configuration.  Those that stay keep their state
 * (health, reports, what was announced); removed ones are withdrawn in
 * the next announcements, then forgotten.  Short of memory, nothing
 * changes: the instances there were go on as they were.
 */
int dd_dma_apply(struct dd_ctx *ctx)
{
	const struct dd_config *cfg = ctx->cfg;
	struct dd_inst **list, *in;
	unsigned int i, j, n = 0;
	bool *kept, *fresh;

	list = calloc(cfg->n_instances + ctx->n_inst + 1, sizeof(*list));
	kept = calloc(ctx->n_inst + 1, sizeof(*kept));
	fresh = calloc(cfg->n_instances + 1, sizeof(*fresh));
	if (!list || !kept || !fresh)
		goto err;
	/* first what may fail: the new instances, nothing changed yet */
	for (i = 0; i < cfg->n_instances; i++) {
		const struct dd_instance_cfg *ic = &cfg->instances[i];

		in = NULL;
		for (j = 0; j < ctx->n_inst; j++) {
			if (!kept[j] && !ctx->inst[j]->stale &&
			    dd_inst_same(&ctx->inst[j]->cfg, ic)) {
				in = ctx->inst[j];
				kept[j] = true;
				break;
			}
		}
		if (!in) {
			in = dd_inst_new(ctx, ic);
			if (!in)
				goto err;
			fresh[i] = true;
		}
		list[n++] = in;
	}
	for (i = 0; i < cfg->n_instances; i++) {
		const struct dd_instance_cfg *ic = &cfg->instances[i];

		in = list[i];
		if (fresh[i]) {
			dd_info("instance %s: new", ic->name);
			continue;
		}
		dd_health_stop(ctx, in);
		dd_command_stop(ctx, in);
		if (strcmp(in->cfg.cgroup, ic->cgroup))
			dd_cpu_init(&in->cpu, NULL, ic->cgroup);
		if (ic->health == DD_HEALTH_OFF)
			in->healthy = true;
		else if (in->cfg.health == DD_HEALTH_OFF)
			in->healthy = false;
		in->cfg = *ic;
	}
	for (j = 0; j < ctx->n_inst; j++) {
		in = ctx->inst[j];
		if (kept[j])
			continue;
		if (!in->stale) {
			dd_info("instance %s: removed, withdrawing it", in->cfg.name);
			in->stale = true;
			in->withdraw_left = DD_WITHDRAW_REPEAT;
			dd_health_stop(ctx, in);
			dd_command_stop(ctx, in);
		}
		list[n++] = in;
	}
	free(ctx->inst);
	free(kept);
	free(fresh);
	ctx->inst = list;
	ctx->n_inst = n;

	for (i = 0; i < n; i++) {
		if (list[i]->stale)
			continue;
		dd_health_start(ctx, list[i]);
		dd_command_start(ctx, list[i]);
	}
	if (!ctx->collect_timer.cb) {
		dd_timer_init(&ctx->collect_timer, dd_collect, ctx);
		dd_timer_init(&ctx->announce_timer, dd_announce, ctx);
		dd_policy_init(&ctx->policy, &cfg->policy);
	}
	if (n) {
		dd_timer_arm(&ctx->loop, &ctx->collect_timer, dd_now_ms());
		dd_policy_trigger(&ctx->policy);
		dd_announce_schedule(ctx);
	}
	dd_svc_sync(ctx);
	return 0;
err:
	for (i = 0; fresh && i < n; i++)
		if (fresh[i])
			free(list[i]);
	free(list);
	free(kept);
	free(fresh);
	return -ENOMEM;
}

/* Withdraws every instance from the D-Routers, and stops. */
void dd_dma_exit(struct dd_ctx *ctx)
{
	unsigned int i;

	for (i = 0; i < ctx->n_inst; i++) {
		if (!ctx->inst[i]->stale) {
			ctx->inst[i]->stale = true;
			ctx->inst[i]->withdraw_left = 1;
		}
	}
	if (ctx->n_inst && ctx->n_peers)
		dd_announce(&ctx->announce_timer);
	for (i = 0; i < ctx->n_inst; i++)
		dd_inst_free(ctx, ctx->inst[i]);
	free(ctx->inst);
	ctx->inst = NULL;
	ctx->n_inst = 0;
	dd_timer_cancel(&ctx->collect_timer);
	dd_timer_cancel(&ctx->announce_timer);
	dd_svc_stop(ctx);
}

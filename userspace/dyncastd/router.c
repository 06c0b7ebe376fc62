// SPDX-License-Identifier: GPL-2.0
/*
 * The router role: the table of instances learnt from announcements (and
 * from our own D-MA), the sites that announced them, their hold timers,
 * and the relay of what we learn to the other D-Routers.
 *
 * Freshness is per origin: each record carries the sequence number its
 * origin gave it, and a record no newer than the one held is a duplicate
 * (it came by two paths) or stale (reordered); neither is applied nor
 * relayed, so relayed records cannot circulate.  A relay appends its id
 * to the record's path and never sends a record to the peer it came from,
 * to its origin, or to an agent on its path; an agent that finds its own
 * id on the path drops the record.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "dyncastd.h"

static struct dd_ratelimit dd_rl_unknown, dd_rl_full;

static struct dd_entry *dd_entry_find(struct dd_ctx *ctx,
				      const struct dd_inst_key *k)
{
	uint32_t h = dd_inst_key_hash(k);
	struct dd_hnode *n;

	for (n = dd_htab_chain(&ctx->entries, h); n; n = n->next) {
		struct dd_entry *e = dd_htab_entry(n, struct dd_entry, node);

		if (n->hash == h && dd_inst_key_eq(&e->rec.key, k))
			return e;
	}
	return NULL;
}

struct dd_entry *dd_entry_lookup(struct dd_ctx *ctx,
				 const struct dd_inst_key *k)
{
	return dd_entry_find(ctx, k);
}

static struct dd_group *dd_group_find(const struct dd_ctx *ctx,
				      const struct dd_svc_key *k)
{
	uint32_t h = dd_svc_key_hash(k);
	struct dd_hnode *n;

	for (n = dd_htab_chain(&ctx->groups, h); n; n = n->next) {
		struct dd_group *g = dd_htab_entry(n, struct dd_group, node);

		if (n->hash == h && dd_svc_key_eq(&g->key, k))
			return g;
	}
	return NULL;
}

static struct dd_group *dd_group_get(struct dd_ctx *ctx,
				     const struct dd_svc_key *k)
{
	struct dd_group *g = dd_group_find(ctx, k);

	if (g)
		return g;
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->key = *k;
	g->svc_gen = ctx->svc_gen - 1;	/* its service to be looked up */
	if (dd_htab_add(&ctx->groups, &g->node, dd_svc_key_hash(k))) {
		free(g);
		return NULL;
	}
	return g;
}

/* @e joins group @g */
static void dd_group_link(struct dd_group *g, struct dd_entry *e)
{
	e->group = g;
	e->gnext = g->entries;
	if (e->gnext)
		e->gnext->gprev = &e->gnext;
	e->gprev = &g->entries;
	g->entries = e;
	g->n_entries++;
}

/* @e leaves its group; the group goes with its last entry */
static void dd_group_unlink(struct dd_ctx *ctx, struct dd_entry *e)
{
	struct dd_group *g = e->group;

	*e->gprev = e->gnext;
	if (e->gnext)
		e->gnext->gprev = e->gprev;
	e->group = NULL;
	if (--g->n_entries)
		return;
	dd_htab_del(&ctx->groups, &g->node);
	free(g);
}

/* The learnt instances of service @k, linked by gnext */
struct dd_entry *dd_svc_entries(const struct dd_ctx *ctx,
				const struct dd_svc_key *k)
{
	const struct dd_group *g = dd_group_find(ctx, k);

	return g ? g->entries : NULL;
}

/*
 * The service of the configuration that @e is an instance of, or NULL;
 * remembered in its group until the services change
 */
struct dd_svc_state *dd_entry_svc(struct dd_ctx *ctx, const struct dd_entry *e)
{
	struct dd_group *g = e->group;
	unsigned int i;

	if (g->svc_gen == ctx->svc_gen)
		return g->svc;
	g->svc = NULL;
	for (i = 0; i < ctx->n_svc; i++) {
		if (dd_svc_key_eq(&ctx->svc[i].cfg.key, &g->key)) {
			g->svc = &ctx->svc[i];
			break;
		}
	}
	g->svc_gen = ctx->svc_gen;
	return g->svc;
}

static struct dd_entry *dd_entry_add(struct dd_ctx *ctx,
				     const struct dd_inst_key *k)
{
	struct dd_group *g;
	struct dd_entry *e;

	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->busy = -1;
	e->rec.key = *k;
	e->pushed_state = DD_STATE_UNKNOWN;	/* not in the kernel yet */
	g = dd_group_get(ctx, &k->svc);
	if (!g) {
		free(e);
		return NULL;
	}
	dd_group_link(g, e);
	if (dd_htab_add(&ctx->entries, &e->node, dd_inst_key_hash(k))) {
		/* a group made for it goes with it */
		dd_group_unlink(ctx, e);
		free(e);
		return NULL;
	}
	return e;
}

static void dd_entry_set_site(struct dd_entry *e, struct dd_site *site)
{
	if (e->site == site)
		return;
	if (e->site) {
		*e->sprev = e->snext;
		if (e->snext)
			e->snext->sprev = e->sprev;
		e->site->n_entries--;
	}
	e->site = site;
	if (site) {
		e->snext = site->entries;
		if (e->snext)
			e->snext->sprev = &e->snext;
		e->sprev = &site->entries;
		site->entries = e;
		site->n_entries++;
	}
}

/*
 * @e changed: the next kernel pass looks at it.  A pass looks only at the
 * entries queued since the last one (unless it must look at all), so that
 * its work follows the changes, not the table.
 */
void dd_entry_queue(struct dd_ctx *ctx, struct dd_entry *e)
{
	if (e->queued)
		return;
	e->queued = true;
	e->qnext = ctx->kernel_queue;
	ctx->kernel_queue = e;
}

void dd_entry_dirty(struct dd_ctx *ctx, struct dd_entry *e)
{
	e->dirty = true;
	dd_entry_queue(ctx, e);
}

/*
 * Withdrawn entries wait for the kernel pass that deletes them; they do
 * not count against max-instances meanwhile.
 */
static void dd_entry_set_gone(struct dd_ctx *ctx, struct dd_entry *e,
			      bool gone)
{
	if (e->gone == gone)
		return;
	e->gone = gone;
	if (gone)
		ctx->n_gone++;
	else
		ctx->n_gone--;
}

/* A withdrawn entry the kernel no longer holds; never a queued one */
void dd_entry_free(struct dd_ctx *ctx, struct dd_entry *e)
{
	dd_entry_set_gone(ctx, e, false);
	dd_htab_del(&ctx->entries, &e->node);
	dd_group_unlink(ctx, e);
	dd_entry_set_site(e, NULL);
	free(e);
}

/*
 * The same, unless it is the tombstone of a withdrawal the agent protocol
 * brought: that one stays, gone, until dd_hold_timer() frees it.
 */
void dd_entry_release(struct dd_ctx *ctx, struct dd_entry *e)
{
	if (e->site && e->tomb_until > dd_now_ms())
		return;
	dd_entry_free(ctx, e);
}

/* Its instances, withdrawn ones aside */
unsigned int dd_site_instances(const struct dd_site *s)
{
	const struct dd_entry *e;
	unsigned int n = 0;

	for (e = s->entries; e; e = e->snext)
		n += !e->gone;
	return n;
}

static struct dd_entry *dd_entry_of(struct dd_hnode *n)
{
	return n ? dd_htab_entry(n, struct dd_entry, node) : NULL;
}

struct dd_entry *dd_entry_first(struct dd_ctx *ctx, unsigned int *bucket)
{
	return dd_entry_of(dd_htab_first(&ctx->entries, bucket));
}

/* @e may be freed once its successor was taken */
struct dd_entry *dd_entry_next(struct dd_ctx *ctx, struct dd_entry *e,
			       unsigned int *bucket)
{
	return dd_entry_of(dd_htab_next(&ctx->entries, &e->node, bucket));
}

static unsigned int dd_site_bucket(uint32_t id)
{
	return (id * 2654435761u) >> (32 - DD_SITE_HASH_BITS);
}

static struct dd_site **dd_site_slot(struct dd_ctx *ctx, uint32_t id)
{
	struct dd_site **pp;

	pp = &ctx->site_hash[dd_site_bucket(id)];
	while (*pp && (*pp)->id != id)
		pp = &(*pp)->hnext;
	return pp;
}

static struct dd_site *dd_site_find(struct dd_ctx *ctx, uint32_t id)
{
	return *dd_site_slot(ctx, id);
}

static struct dd_site *dd_site_get(struct dd_ctx *ctx, uint32_t id)
{
	struct dd_site **pp = dd_site_slot(ctx, id);
	struct dd_site *s = *pp;

	if (s)
		return s;
	if (ctx->n_sites == DD_SITES_MAX)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->id = id;
	s->idx = ctx->n_sites;
	ctx->sites[ctx->n_sites++] = s;
	*pp = s;
	return s;
}

static void dd_site_free(struct dd_ctx *ctx, struct dd_site *s)
{
	struct dd_site **pp = dd_site_slot(ctx, s->id);

	*pp = s->hnext;
	ctx->sites[s->idx] = ctx->sites[--ctx->n_sites];
	ctx->sites[s->idx]->idx = s->idx;
	ctx->sites[ctx->n_sites] = NULL;
	free(s);
}

/* A probe to site @s, if it said where: tagged with its hash bucket */
void dd_site_probe(struct dd_ctx *ctx, struct dd_site *s)
{
	if (s->addr.family)
		dd_probe(ctx, &s->rtt, &s->addr, s->port, s->id,
			 (int)dd_site_bucket(s->id));
}

/*
 * Sites left without instances are forgotten: at once if BGP carried
 * them, once silent for their hold time if the agent protocol did.  One
 * that comes back is learnt anew, its RTT measured again.
 */
void dd_sites_reap(struct dd_ctx *ctx)
{
	unsigned int i;

	for (i = ctx->n_sites; i--;) {
		struct dd_site *s = ctx->sites[i];

		if (!s->n_entries && (s->bgp || s->down))
			dd_site_free(ctx, s);
	}
}

uint32_t dd_entry_cost(const struct dd_ctx *ctx, const struct dd_entry *e)
{
	uint64_t cost = 0;

	if (e->rec.present & (1u << DD_M_COST))
		cost = e->rec.m[DD_M_COST];
	if (e->site && ctx->cfg->probe_cost && e->site->rtt.has)
		cost += e->site->rtt.srtt_us;
	return cost > UINT32_MAX ? UINT32_MAX : cost;
}

uint8_t dd_entry_state(const struct dd_entry *e)
{
	return e->held_down || e->gone ? DD_STATE_DOWN : e->rec.state;
}

/* an agent id as it is shown: a dotted quad */
static const char *dd_id_str(uint32_t id, char *buf, size_t size)
{
	snprintf(buf, size, "%u.%u.%u.%u", id >> 24, (id >> 16) & 255,
		 (id >> 8) & 255, id & 255);
	return buf;
}

/*
 * The changes of DD_KERNEL_SOON_MS share one pass, not one each: BGP
 * brings its paths one line at a time, and each pass costs a netlink
 * round trip per service and kind of change.
 */
#define DD_KERNEL_SOON_MS	50

static void dd_kernel_soon(struct dd_ctx *ctx)
{
	uint64_t when = dd_now_ms() + DD_KERNEL_SOON_MS;

	ctx->kernel_dirty = true;
	/* a pass due sooner takes this change as well */
	if (!ctx->kernel_timer.armed || ctx->kernel_timer.when > when)
		dd_timer_arm(&ctx->loop, &ctx->kernel_timer, when);
}

static bool dd_path_has(const struct dd_origin *o, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < o->path_len; i++)
		if (o->path[i] == id)
			return true;
	return false;
}

static void dd_relay(struct dd_ctx *ctx, const struct dd_origin *o,
		     const struct dd_record *recs, unsigned int n,
		     const struct dc_addr *from, uint16_t port)
{
	struct dd_origin r = *o;
	unsigned int i;

	if (o->path_len == DD_PATH_MAX)
		return;
	r.path[r.path_len++] = ctx->id;
	for (i = 0; i < ctx->n_peers; i++) {
		struct dd_peer *p = &ctx->peers[i];

		if ((dd_addr_eq(&p->cfg.addr, from) && p->cfg.port == port) ||
		    (dd_addr_eq(&p->cfg.addr, &o->addr) && p->cfg.port == o->port) ||
		    (p->id && (p->id == o->id || dd_path_has(o, p->id))))
			continue;
		if (dd_send_origin(ctx, &r, recs, n, &p->cfg.addr, p->cfg.port) == 0)
			ctx->cnt.c[DD_C_RELAYED] += n;
	}
}

static bool dd_service_known(const struct dd_ctx *ctx,
			     const struct dd_svc_key *k)
{
	unsigned int i;

	for (i = 0; i < ctx->n_svc; i++)
		if (!ctx->svc[i].stale && !dd_service_forward(&ctx->svc[i].cfg) &&
		    dd_svc_key_eq(&ctx->svc[i].cfg.key, k))
			return true;
	return false;
}

/* A withdrawn entry that no pass to the kernel holds: free to go */
static bool dd_entry_idle_gone(const struct dd_entry *e)
{
	return e->gone && !e->queued && !e->in_kernel;
}

/*
 * The tombstone whose time is nearest up goes, to make room for a live
 * entry; false if there is none (the withdrawn entries all wait for the
 * kernel).  A walk of the table: only when it holds 2 x max-instances.
 */
static bool dd_tomb_evict(struct dd_ctx *ctx)
{
	struct dd_entry *e, *old = NULL;
	unsigned int b;

	for (e = dd_entry_first(ctx, &b); e; e = dd_entry_next(ctx, e, &b))
		if (dd_entry_idle_gone(e) && e->tomb_until &&
		    (!old || e->tomb_until < old->tomb_until))
			old = e;
	if (!old)
		return false;
	dd_entry_free(ctx, old);
	return true;
}

/*
 * Room for instance @k: it is known and not withdrawn, or max-instances
 * not reached (a withdrawn one coming back counts as new).  A tombstone
 * makes room for it if need be.
 */
static bool dd_entry_fits(struct dd_ctx *ctx, const struct dd_inst_key *k)
{
	unsigned int max = ctx->cfg->max_instances;
	struct dd_entry *e = dd_entry_find(ctx, k);

	if (e && !e->gone)
		return true;
	if (ctx->entries.n - ctx->n_gone >= max)
		return false;
	/* withdrawn ones too, while the kernel cannot be told (2 x max) */
	return e || ctx->entries.n < 2 * max || dd_tomb_evict(ctx);
}

/* The same, a refusal counted and logged */
static bool dd_entry_room(struct dd_ctx *ctx, const struct dd_inst_key *k,
			  uint64_t now)
{
	if (dd_entry_fits(ctx, k))
		return true;
	ctx->cnt.c[DD_C_TABLE_FULL]++;
	if (dd_ratelimit(&dd_rl_full, now))
		dd_warn("instance table full (max-instances %u)",
			ctx->cfg->max_instances);
	return false;
}

/*
 * Applies one record of origin @o; true if it was new.
 *
 * A withdrawal an origin's block brought (@site) is remembered for the
 * origin's hold time, the instance held or not: the copies other relays
 * bring of it are duplicates, not news to relay again, and a late record
 * of an older round does not bring the instance back.  A withdrawal of
 * an instance not held is remembered only while fewer than max-instances
 * are withdrawn (live ones keep their room); beyond, it is not relayed.
 */
static bool dd_router_record(struct dd_ctx *ctx, const struct dd_origin *o,
			     struct dd_site *site, const struct dd_record *r,
			     uint64_t now)
{
	struct dd_entry *e = dd_entry_find(ctx, &r->key);
	char buf[DC_ADDR_STRLEN];

	if (e && e->origin == o->id && o->seq <= e->seq) {
		ctx->cnt.c[o->seq == e->seq ? DD_C_DUPLICATES : DD_C_STALE]++;
		return false;
	}
	if (e && e->origin == ctx->id && o->id != ctx->id && !e->gone) {
		/* our own D-MA says what our instances are */
		ctx->cnt.c[DD_C_STALE]++;
		return false;
	}
	if (r->withdrawn) {
		if (!e) {
			if (!site || ctx->n_gone >= ctx->cfg->max_instances)
				return false;
			e = dd_entry_add(ctx, &r->key);
			if (!e)
				return false;
			e->rec = *r;
			dd_entry_set_gone(ctx, e, true);
		} else if (!e->gone) {
			dd_entry_set_gone(ctx, e, true);
			dd_entry_dirty(ctx, e);
			dd_info("instance %s withdrawn by its agent",
				dc_addr_fmt(r->key.bid.family, &r->key.bid.u,
					    buf, sizeof(buf)));
		}
		e->origin = o->id;
		e->seq = o->seq;
		if (site) {
			dd_entry_set_site(e, site);
			e->tomb_until = now + site->hold_ms;
		}
		return true;
	}
	/* a withdrawn one back needs room as a new one */
	if ((!e || e->gone) && !dd_entry_room(ctx, &r->key, now))
		return false;
	if (!e) {
		e = dd_entry_add(ctx, &r->key);
		if (!e)
			return false;
		if (!dd_service_known(ctx, &r->key.svc)) {
			ctx->cnt.c[DD_C_UNKNOWN_SERVICE]++;
			if (dd_ratelimit(&dd_rl_unknown, now))
				dd_info("instance %s of a service not configured here: kept for relaying only",
					dc_addr_fmt(r->key.bid.family,
						    &r->key.bid.u, buf,
						    sizeof(buf)));
		}
	}
	e->rec = *r;
	e->origin = o->id;
	e->seq = o->seq;
	dd_entry_set_site(e, site);
	e->refreshed = now;
	e->held_down = false;
	e->tomb_until = 0;
	dd_entry_set_gone(ctx, e, false);
	dd_entry_dirty(ctx, e);
	ctx->cnt.c[DD_C_RECORDS]++;
	return true;
}

void dd_router_announce(struct dd_ctx *ctx, const struct dd_msg *msg,
			const struct dc_addr *from, uint16_t port)
{
	struct dd_record *acc;
	uint64_t now = dd_now_ms();
	char buf[DC_ADDR_STRLEN];
	unsigned int i, j, n;

	acc = calloc(DD_RECORDS_MAX, sizeof(*acc));
	if (!acc)
		return;
	for (i = 0; i < msg->n_origins; i++) {
		struct dd_origin o = msg->origins[i];
		struct dd_site *site;

		if (o.id == ctx->id || dd_path_has(&o, ctx->id)) {
			ctx->cnt.c[DD_C_LOOPS]++;
			continue;
		}
		if (!o.addr.family) {
			o.addr = *from;
			o.port = port;
		}
		site = dd_site_get(ctx, o.id);
		if (!site) {
			ctx->cnt.c[DD_C_TABLE_FULL]++;
			continue;
		}
		/*
		 * a direct announcement says best where the origin is; only
		 * news of it (a new round, or the round a relay brought, now
		 * direct) moves it: a round already seen, replayed from
		 * elsewhere, does not
		 */
		if (!site->addr.family ||
		    ((!o.path_len || site->path_len) &&
		     (o.seq > site->seq ||
		      (o.seq == site->seq && !o.path_len && site->path_len)))) {
			site->addr = o.addr;
			site->port = o.port;
			/* heard direct now: its next copies are replays */
			if (o.seq == site->seq && !o.path_len) {
				site->path_len = 0;
				site->via = 0;
			}
		}
		site->hold_ms = o.hold_ms;
		site->bgp = false;
		if (o.seq > site->seq) {
			site->seq = o.seq;
			site->last_update = now;
			site->via = o.path_len ? msg->sender : 0;
			site->path_len = o.path_len;
			site->updates++;
			if (site->down) {
				char id[16];

				site->down = false;
				dd_info("agent %s at %s is back",
					dd_id_str(o.id, id, sizeof(id)),
					dc_addr_fmt(o.addr.family, &o.addr.u,
						    buf, sizeof(buf)));
			}
		}
		for (j = 0, n = 0; j < msg->n_records; j++) {
			const struct dd_record *r = &msg->records[j];

			if (r->origin == i && dd_router_record(ctx, &o, site, r, now))
				acc[n++] = *r;
		}
		if (n && ctx->cfg->relay)
			dd_relay(ctx, &o, acc, n, from, port);
	}
	free(acc);
	dd_kernel_soon(ctx);
}

/* Our own D-MA's round: straight into the table, no hold time. */
void dd_router_local(struct dd_ctx *ctx, const struct dd_record *recs,
		     unsigned int n)
{
	struct dd_origin o = { .id = ctx->id, .seq = ctx->origin_seq };
	uint64_t now = dd_now_ms();
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct dd_entry *e = dd_entry_find(ctx, &recs[i].key);

		/* ours, whoever announced it before */
		if (e && e->origin != ctx->id)
			e->seq = 0;
		dd_router_record(ctx, &o, NULL, &recs[i], now);
	}
	dd_kernel_soon(ctx);
}

/*
 * An instance carried by a BGP path (bgp.c): its agent is its origin and
 * its site; BGP's sessions, not a hold time, say how long it lasts.
 */
static struct dd_site *dd_bgp_site(struct dd_ctx *ctx, uint32_t agent,
				   uint64_t seq, uint64_t now, bool again)
{
	struct dd_site *site = dd_site_get(ctx, agent);
	struct dd_entry *e, *next;

	if (!site) {
		if (!again)
			ctx->cnt.c[DD_C_TABLE_FULL]++;
		return NULL;
	}
	/*
	 * the agent protocol's tombstones go: the hold timer, which frees
	 * them, passes BGP's sites by
	 */
	for (e = site->bgp ? NULL : site->entries; e; e = next) {
		next = e->snext;
		if (!e->gone)
			continue;
		e->tomb_until = 0;
		if (dd_entry_idle_gone(e))
			dd_entry_free(ctx, e);
	}
	site->bgp = true;
	site->hold_ms = 0;
	site->seq = seq;
	site->last_update = now;
	site->updates++;
	site->down = false;
	return site;
}

/*
 * -ENOSPC: no room for its site or for it, counted as table-full unless
 * @again (a path refused before, tried again: counted once)
 */
int dd_router_bgp(struct dd_ctx *ctx, const struct dd_record *r,
		  uint32_t agent, const struct dd_bgp_probe *probe,
		  uint64_t seq, bool again)
{
	struct dd_origin o = { .id = agent, .seq = seq };
	uint64_t now = dd_now_ms();
	struct dd_site *site;
	int ret = 0;

	/* no site made for an instance there is no room for */
	if (again ? !dd_entry_fits(ctx, &r->key) :
		    !dd_entry_room(ctx, &r->key, now))
		return -ENOSPC;
	site = dd_bgp_site(ctx, agent, seq, now, again);
	if (!site)
		return -ENOSPC;
	if (probe->addr.family &&
	    (!dd_addr_eq(&site->addr, &probe->addr) ||
	     site->port != probe->port)) {
		site->addr = probe->addr;
		site->port = probe->port;
		memset(&site->rtt, 0, sizeof(site->rtt));
	}
	if (!dd_router_record(ctx, &o, site, r, now) &&
	    !dd_entry_find(ctx, &r->key))
		ret = -ENOSPC;
	dd_kernel_soon(ctx);
	return ret;
}

void dd_router_bgp_withdraw(struct dd_ctx *ctx, const struct dd_inst_key *k,
			    uint32_t agent, uint64_t seq)
{
	struct dd_origin o = { .id = agent, .seq = seq };
	struct dd_record r = { .key = *k, .withdrawn = true };
	uint64_t now = dd_now_ms();
	struct dd_site *site = dd_site_find(ctx, agent);

	/* no site for an agent we have nothing of */
	if (site) {
		site->seq = seq;
		site->last_update = now;
		site->updates++;
	}
	dd_router_record(ctx, &o, NULL, &r, now);
	dd_kernel_soon(ctx);
}

/*
 * A site's RTT changed: its instances whose cost the kernel holds is now
 * off by more than the cost slack are due again.  Announcements mark
 * them too, but BGP sends none while nothing else changes.
 */
static void dd_site_rtt_moved(struct dd_ctx *ctx, struct dd_site *s)
{
	struct dd_entry *e;
	bool any = false;

	/* no entry's cost can have moved by more than the slack */
	if (!ctx->cfg->probe_cost ||
	    (s->rtt.srtt_us > s->rtt_seen ? s->rtt.srtt_us - s->rtt_seen :
	     s->rtt_seen - s->rtt.srtt_us) <= DD_COST_SLACK_US)
		return;
	s->rtt_seen = s->rtt.srtt_us;
	for (e = s->entries; e; e = e->snext) {
		if (!e->in_kernel ||
		    !dd_cost_moved(dd_entry_cost(ctx, e), e->pushed_cost))
			continue;
		dd_entry_dirty(ctx, e);
		any = true;
	}
	if (any)
		dd_kernel_soon(ctx);
}

/*
 * The instance at @bid, port @port, of a TCP service in rewrite mode
 * configured here, in the kernel: whose handshakes passive.c times
 */
struct dd_entry *dd_router_rewrite_entry(struct dd_ctx *ctx,
					 const struct dc_addr *bid,
					 uint16_t port)
{
	struct dd_inst_key k = { .bid = *bid };
	struct dd_entry *e;
	unsigned int i;
	uint16_t want;

	for (i = 0; i < ctx->n_svc; i++) {
		const struct dd_service_cfg *s = &ctx->svc[i].cfg;

		if (ctx->svc[i].stale || !dd_service_rewrite_tcp(s) ||
		    s->key.sid.family != bid->family)
			continue;
		k.svc = s->key;
		e = dd_entry_lookup(ctx, &k);
		/*
		 * a site with no probe address has no RTT at all: one from
		 * handshakes would count against it beside those without
		 */
		if (!e || !e->in_kernel || e->gone || !e->site ||
		    !e->site->addr.family)
			continue;
		/* 0: a service of every port, the demand's port kept */
		want = e->rec.bid_port ? e->rec.bid_port : s->key.port;
		if (!want || want == port)
			return e;
	}
	return NULL;
}

/* A handshake's round trip to @e, @us: a sample of its site's RTT */
void dd_router_passive_rtt(struct dd_ctx *ctx, struct dd_entry *e,
			   uint32_t us)
{
	dd_rtt_sample(&e->site->rtt, us);
	ctx->cnt.c[DD_C_PASSIVE_RTT]++;
	dd_site_rtt_moved(ctx, e->site);
}

void dd_router_probe_reply(struct dd_ctx *ctx, const struct dd_msg *msg,
			   uint64_t now_us)
{
	struct dd_site *s;

	/* the sites of the bucket the identifier names (dd_site_probe()) */
	for (s = ctx->site_hash[msg->probe_id & ((1u << DD_SITE_HASH_BITS) - 1)];
	     s; s = s->hnext) {
		/* from the agent it went to: another's would be a replay */
		if (msg->sender != s->id ||
		    !dd_rtt_answer(&s->rtt, msg->probe_id, msg->probe_time,
				   now_us))
			continue;
		ctx->cnt.c[DD_C_PROBE_REPLIES]++;
		dd_site_rtt_moved(ctx, s);
		/* a longer path, or a busy moment? ask again at once */
		if (dd_rtt_suspect(&s->rtt))
			dd_site_probe(ctx, s);
		return;
	}
}

/*
 * Entries whose origin fell silent for its hold time go down; the
 * tombstones of withdrawals whose time is up are freed.
 */
static void dd_hold_timer(struct dd_timer *t)
{
	struct dd_ctx *ctx = t->data;
	uint64_t now = dd_now_ms();
	char buf[DC_ADDR_STRLEN], id[16];
	struct dd_entry *e, *next;
	unsigned int i, live;
	bool changed = false;

	for (i = 0; i < ctx->n_sites; i++) {
		struct dd_site *s = ctx->sites[i];

		/* BGP's sessions say how long its paths last */
		if (s->bgp)
			continue;
		live = 0;
		for (e = s->entries; e; e = next) {
			next = e->snext;
			if (e->gone) {
				if (dd_entry_idle_gone(e) && e->tomb_until &&
				    now >= e->tomb_until)
					dd_entry_free(ctx, e);
				continue;
			}
			live++;
			if (!e->held_down && now - e->refreshed > s->hold_ms) {
				e->held_down = true;
				dd_entry_dirty(ctx, e);
				changed = true;
			}
			/* down for forget-time: deleted, as if withdrawn */
			if (e->held_down && ctx->cfg->forget_ms &&
			    now - e->refreshed > (uint64_t)s->hold_ms +
						 ctx->cfg->forget_ms) {
				dd_info("instance %s of silent agent %s forgotten",
					dc_addr_fmt(e->rec.key.bid.family,
						    &e->rec.key.bid.u, buf,
						    sizeof(buf)),
					dd_id_str(e->origin, id, sizeof(id)));
				dd_entry_set_gone(ctx, e, true);
				dd_entry_dirty(ctx, e);
				changed = true;
			}
		}
		if (!s->down && s->last_update &&
		    now - s->last_update > s->hold_ms) {
			s->down = true;
			if (live)
				dd_warn("agent %s at %s silent for %llums (hold time %ums): its %u instances are down",
					dd_id_str(s->id, id, sizeof(id)),
					dc_addr_fmt(s->addr.family, &s->addr.u,
						    buf, sizeof(buf)),
					(unsigned long long)(now - s->last_update),
					s->hold_ms, live);
		}
	}
	if (changed)
		dd_kernel_soon(ctx);
	dd_sites_reap(ctx);
	dd_timer_arm(&ctx->loop, t, now + 250);
}

static void dd_kernel_timer(struct dd_timer *t)
{
	struct dd_ctx *ctx = t->data;

	dd_kernel_sync(ctx);
}

/*
 * Plans take time with many instances of many slots: the next one waits
 * ten times as long as this one took, so that planning never takes more
 * than a tenth of the agent's time from its peers and checks.
 */
static void dd_plan_timer(struct dd_timer *t)
{
	struct dd_ctx *ctx = t->data;
	uint64_t start = dd_now_ms(), took, now;

	ctx->in_plan = true;
	dd_kernel_plan(ctx);
	ctx->in_plan = false;
	now = dd_now_ms();
	took = now - start;
	ctx->plan_earliest = now + (took * 10 > DD_PLAN_SOON_MS ?
				    took * 10 : DD_PLAN_SOON_MS);
	if (ctx->plan_again) {
		/* an instance its own pass pushed up or down */
		ctx->plan_again = false;
		dd_timer_arm(&ctx->loop, t, ctx->plan_earliest);
		return;
	}
	dd_timer_arm(&ctx->loop, t, now +
		     (took * 10 > DD_PLAN_MS ? took * 10 : DD_PLAN_MS));
}

/*
 * An instance went up or down in the kernel: the plans share the demands
 * among the others at once, not at the next round (the kernel meanwhile
 * spreads a dead instance's share in proportion to the weights left, not
 * as a plan would).  Still no sooner than DD_PLAN_SOON_MS (or ten times
 * what it took) after the last plan, however often instances flap.
 */
void dd_router_plan_soon(struct dd_ctx *ctx)
{
	uint64_t when = dd_now_ms();

	if (ctx->in_plan) {
		ctx->plan_again = true;
		return;
	}
	if (!ctx->plan_timer.cb || !ctx->plan_timer.armed)
		return;
	if (when < ctx->plan_earliest)
		when = ctx->plan_earliest;
	if (when < ctx->plan_timer.when)
		dd_timer_arm(&ctx->loop, &ctx->plan_timer, when);
}

static void dd_audit_timer(struct dd_timer *t)
{
	struct dd_ctx *ctx = t->data;

	dd_kernel_audit(ctx);
	dd_timer_arm(&ctx->loop, t, dd_now_ms() + DD_AUDIT_MS);
}

/*
 * The services of the configuration.  Those that stay keep their kernel
 * state; the kernel side of removed ones is undone as at exit.
 */
int dd_router_apply(struct dd_ctx *ctx)
{
	const struct dd_config *cfg = ctx->cfg;
	struct dd_svc_state *svc;
	struct dd_entry *e;
	unsigned int i, j, b;

	svc = calloc(cfg->n_services + 1, sizeof(*svc));
	if (!svc)
		return -ENOMEM;
	for (j = 0; j < ctx->n_svc; j++) {
		for (i = 0; i < cfg->n_services; i++)
			if (dd_svc_key_eq(&ctx->svc[j].cfg.key,
					  &cfg->services[i].key))
				break;
		if (i == cfg->n_services)
			dd_kernel_remove_service(ctx, &ctx->svc[j]);
	}
	for (i = 0; i < cfg->n_services; i++) {
		svc[i].cfg = cfg->services[i];
		for (j = 0; j < ctx->n_svc; j++) {
			if (dd_svc_key_eq(&ctx->svc[j].cfg.key,
					  &cfg->services[i].key)) {
				svc[i].created = ctx->svc[j].created;
				/* ours to undo if it plans no more */
				svc[i].slack_ours = ctx->svc[j].slack_ours;
				svc[i].planned = ctx->svc[j].planned;
				svc[i].plan = ctx->svc[j].plan;
				/* lost by the kernel: whatever holds it now lacks ours */
				svc[i].lost = ctx->svc[j].lost;
				break;
			}
		}
		/* ready again once its settings are applied */
		svc[i].ready = false;
	}
	for (j = 0; j < ctx->n_svc; j++)
		sodium_memzero(ctx->svc[j].cfg.fwd_key,
			       sizeof(ctx->svc[j].cfg.fwd_key));
	free(ctx->svc);
	ctx->svc = svc;
	ctx->n_svc = cfg->n_services;
	ctx->svc_gen++;
	/* settings may have changed: every entry is looked at again */
	for (e = dd_entry_first(ctx, &b); e; e = dd_entry_next(ctx, e, &b))
		dd_entry_dirty(ctx, e);

	if (!ctx->hold_timer.cb) {
		dd_timer_init(&ctx->hold_timer, dd_hold_timer, ctx);
		dd_timer_init(&ctx->kernel_timer, dd_kernel_timer, ctx);
		dd_timer_init(&ctx->plan_timer, dd_plan_timer, ctx);
		dd_timer_init(&ctx->audit_timer, dd_audit_timer, ctx);
	}
	/* not pushed back by each reload; again after the role was off */
	if (!ctx->audit_timer.armed)
		dd_timer_arm(&ctx->loop, &ctx->audit_timer,
			     dd_now_ms() + DD_AUDIT_MS);
	dd_timer_arm(&ctx->loop, &ctx->hold_timer, dd_now_ms() + 250);
	dd_timer_arm(&ctx->loop, &ctx->plan_timer, dd_now_ms() + DD_PLAN_MS);
	dd_kernel_soon(ctx);
	dd_passive_apply(ctx);
	return 0;
}

/*
 * The changes of the last DD_KERNEL_SOON_MS, into the kernel now: before
 * the router role ends, and before BGP's paths are dropped at exit (so
 * that keep leaves the kernel as the instances last were).
 */
void dd_router_flush(struct dd_ctx *ctx)
{
	if (ctx->kernel_dirty)
		dd_kernel_sync(ctx);
}

void dd_router_exit(struct dd_ctx *ctx)
{
	struct dd_entry *e, *next;
	unsigned int b, i;

	dd_passive_exit(ctx);
	dd_kernel_exit(ctx);
	dd_timer_cancel(&ctx->hold_timer);
	dd_timer_cancel(&ctx->kernel_timer);
	dd_timer_cancel(&ctx->plan_timer);
	dd_timer_cancel(&ctx->audit_timer);
	ctx->plan_soon = ctx->plan_again = false;
	for (e = dd_entry_first(ctx, &b); e; e = next) {
		next = dd_entry_next(ctx, e, &b);
		dd_group_unlink(ctx, e);
		free(e);
	}
	dd_htab_destroy(&ctx->entries);
	dd_htab_destroy(&ctx->groups);
	ctx->n_gone = 0;
	ctx->kernel_queue = NULL;
	while (ctx->n_sites)
		dd_site_free(ctx, ctx->sites[0]);
	for (i = 0; i < ctx->n_svc; i++)
		sodium_memzero(ctx->svc[i].cfg.fwd_key,
			       sizeof(ctx->svc[i].cfg.fwd_key));
	free(ctx->svc);
	ctx->svc = NULL;
	ctx->n_svc = 0;
	ctx->svc_gen++;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * dyncast: the binding table, flow identifier -> instance.
 *
 * One rhashtable per namespace, keyed by the flow identifier masked as the
 * service's affinity says, plus the service id.  The packet path looks up
 * under RCU and takes no lock; a miss inserts with
 * rhashtable_lookup_get_insert_key() so that two CPUs seeing the first
 * packets of one flow end on the same instance.  Expired bindings are never
 * used, and a collector removes them in bounded batches.
 *
 * Each binding holds a reference on its instance, which holds one on its
 * service, so a binding never points to freed memory, whatever races with
 * the control path; bindings of a deleted instance are found dead and
 * removed.
 */

#include <linux/jhash.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/inetdevice.h>
#include <net/ipv6.h>

#include "dyncast.h"
#include "binding.h"
#include "demand.h"
#include "instance.h"
#include "rewrite.h"
#include "service.h"
#include "stats.h"

/* The collector visits at most this many bindings per run... */
#define DC_GC_BATCH		4096
/* ...and runs this often, or at once while a walk is unfinished. */
#define DC_GC_INTERVAL		HZ

/* [IPv6][counters]: 64, 80, 80 and 96 bytes */
static struct kmem_cache *dc_binding_cache[2][2] __read_mostly;

static struct kmem_cache *dc_binding_cache_of(u32 id, unsigned long flags)
{
	return dc_binding_cache[!!(id & DC_FLOW_KEY_IPV6)]
			       [!!(flags & DC_BINDING_COUNTERS)];
}

/* Keys are 12 or 24 bytes long, as their first word says. */
static u32 dc_key_hash(const void *data, u32 len, u32 seed)
{
	const u32 *key = data;

	return jhash2(key, dc_flow_key_len(key[0]) / sizeof(u32), seed);
}

static u32 dc_obj_hash(const void *data, u32 len, u32 seed)
{
	const struct dc_binding *b = data;

	return dc_key_hash(b->key, len, seed);
}

/*
 * Word by word: the kernel's memcmp() goes byte by byte, and this runs
 * for every packet of a bound flow.
 */
static int dc_obj_cmp(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct dc_binding *b = obj;
	const u32 *key = arg->key;
	unsigned int i, n;
	u32 diff;

	/* the same first word, the same length */
	if (b->key[0] != key[0])
		return 1;
	n = dc_flow_key_len(key[0]) / sizeof(u32);
	diff = 0;
	for (i = 1; i < n; i++)
		diff |= b->key[i] ^ key[i];
	return diff != 0;
}

static const struct rhashtable_params dc_binding_params = {
	.head_offset = offsetof(struct dc_binding, node),
	.key_offset = offsetof(struct dc_binding, key),
	.key_len = DC_FLOW_KEY_LEN6,
	.hashfn = dc_key_hash,
	.obj_hashfn = dc_obj_hash,
	.obj_cmpfn = dc_obj_cmp,
	.automatic_shrinking = true,
};

void dc_flow_key_make(struct dc_flow_key *key, const struct dc_service *svc,
		      const struct dc_pkt *pkt)
{
	u8 plen = READ_ONCE(svc->src_prefix);

	memset(key, 0, sizeof(*key));
	key->id = svc->id | (svc->family == AF_INET6 ? DC_FLOW_KEY_IPV6 : 0);
	key->saddr = pkt->saddr;
	if (plen) {
		if (svc->family == AF_INET)
			key->saddr.ip &= inet_make_mask(plen);
		else
			ipv6_addr_prefix(&key->saddr.in6, &pkt->saddr.in6, plen);
	}
	if (READ_ONCE(svc->affinity) == DYNCAST_AFFINITY_5TUPLE) {
		key->sport = pkt->sport;
		key->dport = pkt->dport;
	}
}

struct dc_binding *dc_binding_lookup(struct dc_net *dn,
				     const struct dc_flow_key *key)
{
	return rhashtable_lookup(&dn->bindings, key, dc_binding_params);
}

/*
 * Idle time after which a binding expires.  Until its flow sends more than
 * the packet that made it, the shorter unconfirmed timeout: a forged
 * source's single SYN or datagram must not hold a binding for the whole
 * affinity timeout.
 */
unsigned long dc_binding_timeout(const struct dc_binding *b)
{
	const struct dc_service *svc = b->inst->svc;
	unsigned long timeout = READ_ONCE(svc->timeout);
	unsigned long flags = READ_ONCE(b->flags);
	unsigned long unconfirmed;

	if (flags & DC_BINDING_HOLD)
		return min_t(unsigned long, timeout, DC_HOLD_TIME);
	unconfirmed = READ_ONCE(svc->unconfirmed);
	if (!(flags & DC_BINDING_CONFIRMED) && unconfirmed)
		return min(timeout, unconfirmed);
	return timeout;
}

bool dc_binding_expired(const struct dc_binding *b)
{
	const struct dc_instance *inst = b->inst;

	return READ_ONCE(inst->dead) ||
	       READ_ONCE(inst->state) == DYNCAST_STATE_DOWN ||
	       dc_binding_idle_time(b) > dc_binding_timeout(b);
}

/*
 * The demand of a binding has ended: it leaves its instance's inflight
 * count, once, whoever sees the end first.
 */
static void dc_binding_end(struct dc_binding *b)
{
	if (test_and_clear_bit(DC_BINDING_INFLIGHT_BIT, &b->flags))
		atomic_dec(&b->inst->inflight);
}

/*
 * A packet that may start or end the demand of a binding this router
 * steered.  The client's FIN or RST ends it; after that only a SYN starts
 * it again (not the ACK that closes the connection).  Any other packet
 * starts a demand that ended by idleness (dc_binding_idle()).  The bit
 * and the count change together, so that racing CPUs keep the count
 * exact: it moves on each change of the bit, and only then.  With 3tuple
 * or 2tuple affinity a binding holds several connections: one demand,
 * from a SYN to the next FIN or RST of any of them.
 */
static void dc_binding_track(struct dc_binding *b, const struct dc_pkt *pkt)
{
	if (!test_bit(DC_BINDING_OWN_BIT, &b->flags) || pkt->icmp_err)
		return;
	if (pkt->fin_rst) {
		set_bit(DC_BINDING_ENDED_BIT, &b->flags);
		dc_binding_end(b);
		return;
	}
	if (pkt->syn)
		clear_bit(DC_BINDING_ENDED_BIT, &b->flags);
	else if (test_bit(DC_BINDING_ENDED_BIT, &b->flags))
		return;
	if (test_and_set_bit(DC_BINDING_INFLIGHT_BIT, &b->flags))
		return;
	atomic_inc(&b->inst->inflight);
	/*
	 * A FIN on another CPU may have set the end after our look at it and
	 * found no demand to end: then it ends here.  The FIN sets the end
	 * before its test-and-clear of the bit, we look again after our
	 * test-and-set, both fully ordered: if its clear came first, we see
	 * its end; if ours, it ends the demand (once: dc_binding_end()).
	 */
	if (test_bit(DC_BINDING_ENDED_BIT, &b->flags))
		dc_binding_end(b);
}

/*
 * A packet of a bound flow: the instance to use, or NULL when the binding
 * must not be used any more.  The last-use time is written once a jiffy at
 * most, and the flags only when the flow is confirmed or its demand starts
 * or ends, so that a busy flow does not bounce the line between CPUs.
 */
struct dc_instance *dc_binding_hit(struct dc_binding *b,
				   const struct dc_pkt *pkt)
{
	u32 now = jiffies;
	unsigned long flags;

	if (dc_binding_expired(b))
		return NULL;
	if (READ_ONCE(b->last_used) != now)
		WRITE_ONCE(b->last_used, now);
	flags = READ_ONCE(b->flags);
	if (pkt->confirms && !(flags & DC_BINDING_CONFIRMED))
		set_bit(DC_BINDING_CONFIRMED_BIT, &b->flags);
	/* a forwarder's learnt bindings are not its own demands */
	if (unlikely((flags & (DC_BINDING_OWN | DC_BINDING_INFLIGHT)) ==
		     DC_BINDING_OWN || (pkt->fin_rst && (flags & DC_BINDING_OWN))))
		dc_binding_track(b, pkt);
	if (flags & DC_BINDING_COUNTERS) {
		struct dc_binding_counters *c = dc_binding_counters(b);

		atomic64_inc(&c->packets);
		atomic64_add(pkt->len, &c->bytes);
	}
	return b->inst;
}

/*
 * A binding for @key, of the service's kind, with its key set and nothing
 * else: NULL when memory is short.
 */
static struct dc_binding *dc_binding_alloc(const struct dc_service *svc,
					   const struct dc_flow_key *key,
					   gfp_t gfp)
{
	unsigned long flags = READ_ONCE(svc->counters) ? DC_BINDING_COUNTERS : 0;
	struct dc_binding *b;

	b = dc_service_alloc(svc, dc_binding_cache_of(key->id, flags), 0, gfp);
	if (!b)
		return NULL;
	memcpy(b->key, key, dc_flow_key_len(key->id));
	b->flags = flags;
	if (flags & DC_BINDING_COUNTERS) {
		atomic64_set(&dc_binding_counters(b)->packets, 0);
		atomic64_set(&dc_binding_counters(b)->bytes, 0);
	}
	return b;
}

static void dc_binding_free(struct dc_binding *b)
{
	kmem_cache_free(dc_binding_cache_of(b->key[0], b->flags), b);
}

/*
 * A packet that found the binding just before it was unlinked may have
 * started its demand again after dc_binding_unlink() ended it: after the
 * grace period no one can, and the demand ends for good.
 */
static void dc_binding_free_rcu(struct rcu_head *rcu)
{
	struct dc_binding *b = container_of(rcu, struct dc_binding, rcu);

	dc_binding_end(b);
	dc_instance_put(b->inst);
	dc_binding_free(b);
}

/* Give back the room dc_binding_reserve() took. */
static void dc_binding_unreserve(struct dc_net *dn, struct dc_service *svc)
{
	atomic_dec(&svc->nr_bindings);
	atomic_dec(&dn->nr_bindings);
}

static void dc_binding_uncount(struct dc_net *dn, struct dc_instance *inst)
{
	atomic_dec(&inst->nr_bindings);
	dc_binding_unreserve(dn, inst->svc);
}

/* Remove a binding unless someone else already did. */
void dc_binding_unlink(struct dc_net *dn, struct dc_binding *b)
{
	if (rhashtable_remove_fast(&dn->bindings, &b->node, dc_binding_params))
		return;
	dc_binding_end(b);
	dc_binding_uncount(dn, b->inst);
	call_rcu(&b->rcu, dc_binding_free_rcu);
}

/* Reserve room for one binding in the namespace and the service. */
static bool dc_binding_reserve(struct dc_net *dn, struct dc_service *svc)
{
	u32 svc_max = READ_ONCE(svc->max_bindings);

	if (atomic_inc_return(&dn->nr_bindings) > READ_ONCE(dc_max_bindings))
		goto full_net;
	if (svc_max && atomic_inc_return(&svc->nr_bindings) > svc_max)
		goto full_svc;
	if (!svc_max)
		atomic_inc(&svc->nr_bindings);
	return true;

full_svc:
	atomic_dec(&svc->nr_bindings);
full_net:
	atomic_dec(&dn->nr_bindings);
	return false;
}

static void dc_count_demand(struct dc_net *dn, struct dc_service *svc,
			    struct dc_instance *inst)
{
	dc_stats_count(dn->stats, DC_STAT_DEMANDS);
	dc_stats_count(svc->stats, DC_STAT_DEMANDS);
	dc_stats_count(inst->stats, DC_STAT_DEMANDS);
}

/* A packet steered by hash: its connection may run for the timeout. */
void dc_binding_hashed(struct dc_service *svc)
{
	unsigned long until = jiffies + READ_ONCE(svc->timeout);

	if (time_after(until, READ_ONCE(svc->hashed_until) + HZ))
		WRITE_ONCE(svc->hashed_until, until);
}

/*
 * Whether a connection that began without a binding, steered by hash, may
 * still run: within the timeout of the service's last packet steered so
 */
bool dc_binding_hashed_recently(const struct dc_service *svc)
{
	return time_before(jiffies, READ_ONCE(svc->hashed_until));
}

/*
 * The flow has no usable binding: choose an instance and remember it.
 * When the table is full, or memory short, the flow is steered by the
 * stateless hash instead, which gives its later packets the same instance
 * as long as the set of instances does not change.  With @hash_only the
 * flow is a connection steered so before, whose packet finds room now:
 * it is bound to the instance the hash gives, and no new demand counts.
 * Called under RCU.
 */
struct dc_instance *dc_binding_get_or_create(struct dc_net *dn,
					     struct dc_service *svc,
					     const struct dc_flow_key *key,
					     const struct dc_pkt *pkt,
					     unsigned int flags, bool hash_only)
{
	struct dc_instance *inst;
	struct dc_binding *b, *old;
	int tries;

	for (tries = 0; tries < 2; tries++) {
		/* a full table: no shared count written for each datagram */
		if (dc_bindings_full(dn, svc) || !dc_binding_reserve(dn, svc))
			goto stateless;
		inst = dc_select(svc, key, hash_only);
		if (!inst)
			goto unreserve;
		if (!refcount_inc_not_zero(&inst->refcnt))
			goto unreserve;
		/* no reserves: a flood of flows takes what memory is free */
		b = dc_binding_alloc(svc, key, GFP_NOWAIT | __GFP_NOWARN);
		if (!b) {
			dc_instance_put(inst);
			goto unreserve_full;
		}
		b->inst = inst;
		/*
		 * The demand counts in its instance's inflight from now on,
		 * before any other CPU can see it end.  A forwarded demand
		 * (hold) counts until its binding goes or its miss is
		 * demand-idle old: its later packets pass the forwarder,
		 * never this router.
		 */
		b->flags |= flags | DC_BINDING_OWN | DC_BINDING_INFLIGHT;
		atomic_inc(&inst->inflight);
		b->created = jiffies;
		b->last_used = b->created;
		if (b->flags & DC_BINDING_COUNTERS) {
			atomic64_set(&dc_binding_counters(b)->packets, 1);
			atomic64_set(&dc_binding_counters(b)->bytes, pkt->len);
		}

		/* counted before it is seen: an unlink may come at once */
		atomic_inc(&inst->nr_bindings);
		old = rhashtable_lookup_get_insert_key(&dn->bindings, b->key,
						       &b->node,
						       dc_binding_params);
		if (!old) {
			if (!hash_only)
				dc_count_demand(dn, svc, inst);
			if (unlikely(READ_ONCE(svc->nomem)))
				WRITE_ONCE(svc->nomem, false);
			return inst;
		}
		/* Never published: no reader can hold it. */
		atomic_dec(&inst->nr_bindings);
		atomic_dec(&inst->inflight);
		dc_instance_put(inst);
		dc_binding_free(b);
		dc_binding_unreserve(dn, svc);
		if (IS_ERR(old))
			goto nomem;
		/* Another CPU bound the flow first: follow it. */
		inst = dc_binding_hit(old, pkt);
		if (inst)
			return inst;
		dc_binding_unlink(dn, old);
	}
	goto stateless;

unreserve:
	dc_binding_unreserve(dn, svc);
	return NULL;

unreserve_full:
	dc_binding_unreserve(dn, svc);
nomem:
	if (!READ_ONCE(svc->nomem))
		WRITE_ONCE(svc->nomem, true);
stateless:
	inst = dc_select(svc, key, true);
	dc_binding_hashed(svc);
	if (inst && !hash_only) {
		dc_stats_count(dn->stats, DC_STAT_TABLE_FULL);
		dc_stats_count(svc->stats, DC_STAT_TABLE_FULL);
		dc_count_demand(dn, svc, inst);
	}
	return inst;
}

/*
 * A forwarder learnt the instance of a flow from its D-Router: bind it,
 * or move its binding, to expire in @remaining jiffies of idleness (at most
 * the service's timeout).  A flow the D-Router saw idle before is
 * confirmed; a new one is confirmed by its next packet here.  Under
 * dn->lock, which orders every change of a forwarder service's bindings
 * but their removal.
 */
int dc_binding_learn(struct dc_net *dn, struct dc_service *svc,
		     const struct dc_flow_key *key, struct dc_instance *inst,
		     unsigned long remaining)
{
	u32 last = jiffies - (svc->timeout - remaining);
	struct dc_binding *b, *old;
	int ret = 0;

	lockdep_assert_held(&dn->lock);
	/* charged: at the cgroup's limit, fail rather than OOM-kill */
	b = dc_binding_alloc(svc, key, GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN);
	if (!b)
		return -ENOMEM;

	rcu_read_lock();
	old = rhashtable_lookup(&dn->bindings, key, dc_binding_params);
	if (old && old->inst == inst && !dc_binding_expired(old)) {
		/* a repeated Binding Info: only the time moves */
		WRITE_ONCE(old->last_used, last);
		dc_binding_free(b);
		goto out;
	}
	if (old)
		dc_binding_unlink(dn, old);
	if (!dc_binding_reserve(dn, svc)) {
		dc_binding_free(b);
		ret = -ENOSPC;
		goto out;
	}
	refcount_inc(&inst->refcnt);
	b->inst = inst;
	if (remaining < svc->timeout)
		b->flags |= DC_BINDING_CONFIRMED;
	b->created = jiffies;
	b->last_used = last;
	atomic_inc(&inst->nr_bindings);
	old = rhashtable_lookup_get_insert_key(&dn->bindings, b->key,
					       &b->node, dc_binding_params);
	if (old) {
		/* only a full table fails here: no one else inserts */
		atomic_dec(&inst->nr_bindings);
		dc_instance_put(inst);
		dc_binding_free(b);
		dc_binding_unreserve(dn, svc);
		ret = IS_ERR(old) ? PTR_ERR(old) : -EEXIST;
		goto out;
	}
out:
	rcu_read_unlock();
	return ret;
}

/*
 * One pass of a flush, over the bindings made by @start, of @svc (NULL:
 * all) and, with @gone, only those to an instance on a gone list.  The
 * walk pauses every 1024 bindings; when the binding it paused on was
 * removed (by us or by anyone), the walker resumes a little too far and
 * may skip a binding.
 */
static int dc_bindings_flush_pass(struct dc_net *dn,
				  const struct dc_service *svc, bool gone,
				  unsigned long start)
{
	struct rhashtable_iter iter;
	struct dc_binding *b;
	int n = 0, seen = 0;

	rhashtable_walk_enter(&dn->bindings, &iter);
	rhashtable_walk_start(&iter);
	while ((b = rhashtable_walk_next(&iter))) {
		if (IS_ERR(b)) {
			if (PTR_ERR(b) == -EAGAIN)
				continue;
			break;
		}
		if ((!svc || dc_binding_svc_id(b) == svc->id) &&
		    (!gone || !list_empty(&b->inst->gone)) &&
		    time_before_eq(b->created, start)) {
			dc_binding_unlink(dn, b);
			n++;
		}
		if (++seen % 1024 == 0) {
			rhashtable_walk_stop(&iter);
			cond_resched();
			rhashtable_walk_start(&iter);
		}
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
	return n;
}

/*
 * In passes until one finds nothing more: what a pass skipped, the next
 * one finds.  Only bindings made by the time the flush began are removed
 * (or in that jiffy): new flows arriving meanwhile, made under the
 * settings the flush follows, cannot keep it going.
 */
static int __dc_bindings_flush(struct dc_net *dn,
			       const struct dc_service *svc, bool gone)
{
	unsigned long start = jiffies;
	int n = 0, removed;

	do {
		removed = dc_bindings_flush_pass(dn, svc, gone, start);
		n += removed;
	} while (removed);
	return n;
}

/*
 * Remove the bindings of a service, or all of them.  Returns how many were
 * removed.
 */
int dc_bindings_flush(struct dc_net *dn, const struct dc_service *svc)
{
	return __dc_bindings_flush(dn, svc, false);
}

/*
 * Remove the bindings of @svc to its instances on a gone list (under
 * dn->lock, which orders the lists), in one walk for all of them.
 */
int dc_bindings_flush_gone(struct dc_net *dn, const struct dc_service *svc)
{
	lockdep_assert_held(&dn->lock);
	return __dc_bindings_flush(dn, svc, true);
}

/*
 * The namespace or the service holds as many bindings as it may: new
 * demands are steered by hash, without a binding.
 */
bool dc_bindings_full(struct dc_net *dn, const struct dc_service *svc)
{
	u32 svc_max = READ_ONCE(svc->max_bindings);

	return atomic_read(&dn->nr_bindings) >= READ_ONCE(dc_max_bindings) ||
	       (svc_max && atomic_read(&svc->nr_bindings) >= svc_max);
}

/*
 * A demand whose flow has been idle for the service's demand-idle time has
 * ended, whatever its binding's timeout: UDP, and TCP not confirmed (a
 * forged SYN, or a client gone).  A confirmed TCP connection ends with its
 * FIN or RST, or its binding: a client may wait longer than demand-idle,
 * silent, for a slow answer.
 */
static bool dc_binding_idle(const struct dc_binding *b)
{
	unsigned long idle = READ_ONCE(b->inst->svc->demand_idle);

	if (b->inst->svc->proto == IPPROTO_TCP &&
	    test_bit(DC_BINDING_CONFIRMED_BIT, &b->flags))
		return false;
	return idle && dc_binding_idle_time(b) >= idle;
}

/*
 * A binding whose connection a flowtable carries past our hooks is kept
 * alive as if its packets passed: looked at when its demand would end by
 * idleness, and when it has been idle for half its timeout (so that the
 * packet path, which does not ask, never finds it expired while the
 * connection lives; the collector comes back well before then).
 */
static bool dc_binding_offloaded(struct dc_net *dn, struct dc_binding *b)
{
	u32 idle = dc_binding_idle_time(b);

	if (READ_ONCE(b->inst->dead) ||
	    READ_ONCE(b->inst->state) == DYNCAST_STATE_DOWN)
		return false;
	if (idle < dc_binding_timeout(b) / 2 &&
	    !(test_bit(DC_BINDING_INFLIGHT_BIT, &b->flags) && dc_binding_idle(b)))
		return false;
	if (!dc_rewrite_offloaded(dn->net, b))
		return false;
	WRITE_ONCE(b->last_used, (u32)jiffies);
	return true;
}

static void dc_gc_work(struct work_struct *work)
{
	struct dc_net *dn = container_of(to_delayed_work(work), struct dc_net,
					 gc_work);
	struct dc_binding *b;
	unsigned long delay = DC_GC_INTERVAL;
	int seen = 0;

	rhashtable_walk_start(&dn->gc_iter);
	while (seen < DC_GC_BATCH) {
		b = rhashtable_walk_next(&dn->gc_iter);
		if (!b) {
			/* A full pass is done: start the next one later. */
			rhashtable_walk_stop(&dn->gc_iter);
			rhashtable_walk_exit(&dn->gc_iter);
			rhashtable_walk_enter(&dn->bindings, &dn->gc_iter);
			goto out;
		}
		if (IS_ERR(b))
			continue;
		seen++;
		if (dc_binding_offloaded(dn, b))
			continue;
		if (dc_binding_expired(b)) {
			dc_binding_unlink(dn, b);
			atomic64_inc(&dn->expired);
		} else if (test_bit(DC_BINDING_INFLIGHT_BIT, &b->flags) &&
			   dc_binding_idle(b)) {
			dc_binding_end(b);
		}
	}
	rhashtable_walk_stop(&dn->gc_iter);
	delay = 1;
out:
	queue_delayed_work(system_power_efficient_wq, &dn->gc_work, delay);
}

int dc_net_bindings_init(struct dc_net *dn)
{
	int ret;

	ret = rhashtable_init(&dn->bindings, &dc_binding_params);
	if (ret)
		return ret;
	rhashtable_walk_enter(&dn->bindings, &dn->gc_iter);
	INIT_DEFERRABLE_WORK(&dn->gc_work, dc_gc_work);
	queue_delayed_work(system_power_efficient_wq, &dn->gc_work,
			   DC_GC_INTERVAL);
	return 0;
}

static void dc_binding_destroy(void *ptr, void *arg)
{
	struct dc_binding *b = ptr;

	dc_binding_end(b);
	dc_instance_put(b->inst);
	dc_binding_free(b);
}

/* After the hooks are gone and the services deleted. */
void dc_net_bindings_exit(struct dc_net *dn)
{
	cancel_delayed_work_sync(&dn->gc_work);
	rhashtable_walk_exit(&dn->gc_iter);
	rhashtable_free_and_destroy(&dn->bindings, dc_binding_destroy, NULL);
}

void dc_binding_exit(void)
{
	int v6, ctr;

	for (v6 = 0; v6 < 2; v6++)
		for (ctr = 0; ctr < 2; ctr++)
			kmem_cache_destroy(dc_binding_cache[v6][ctr]);
}

int dc_binding_init(void)
{
	static const char * const names[2][2] = {
		{ "dc_binding", "dc_binding_ctr" },
		{ "dc_binding6", "dc_binding6_ctr" },
	};
	int v6, ctr;

	BUILD_BUG_ON(dc_binding_size(0) != 64);
	for (v6 = 0; v6 < 2; v6++) {
		for (ctr = 0; ctr < 2; ctr++) {
			unsigned int size = dc_binding_size(v6 ? DC_FLOW_KEY_IPV6 : 0);

			if (ctr)
				size += sizeof(struct dc_binding_counters);
			dc_binding_cache[v6][ctr] =
				kmem_cache_create(names[v6][ctr], size,
						  __alignof__(struct dc_binding),
						  0, NULL);
			if (!dc_binding_cache[v6][ctr]) {
				dc_binding_exit();
				return -ENOMEM;
			}
		}
	}
	return 0;
}

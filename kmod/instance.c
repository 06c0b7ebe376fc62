// SPDX-License-Identifier: GPL-2.0
/*
 * dyncast: the instances of a service (D-BID), and the set of those that
 * take new demands.
 *
 * Each service publishes the set of instances that take new demands, with
 * the weighted round robin schedule and the Maglev table built from their
 * weights, as one immutable object: the packet path never takes a lock to
 * choose an instance.  A change is staged on the instances (inst->next),
 * the new set built from the staged values, and only then published
 * (prepare, commit); a failure unstages and leaves everything as it was.
 * Every change happens under dn->lock.
 */

#include <linux/bsearch.h>
#include <linux/error-injection.h>
#include <linux/percpu.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>

#include "dyncast.h"
#include "binding.h"
#include "fwd_router.h"
#include "instance.h"
#include "rewrite.h"
#include "select.h"
#include "service.h"
#include "stats.h"
#include "tunnel.h"

/*
 * A set holds a reference on each of its instances: a reader that found an
 * instance in a published set may use it until its RCU read section ends,
 * whatever the control path did to the instance meanwhile.
 */
void dc_inst_set_destroy(struct dc_inst_set *set)
{
	unsigned int i;

	for (i = 0; i < set->n; i++)
		dc_instance_put(set->inst[i]);
	free_percpu(set->credit);
	kvfree(set);
}

static void dc_inst_set_free_rcu(struct rcu_head *rcu)
{
	dc_inst_set_destroy(container_of(rcu, struct dc_inst_set, rcu));
}

/* A set that was published: readers may still hold it. */
void dc_inst_set_release(struct dc_inst_set *set)
{
	if (set)
		call_rcu(&set->rcu, dc_inst_set_free_rcu);
}

static void dc_instance_free_rcu(struct rcu_head *rcu)
{
	struct dc_instance *inst = container_of(rcu, struct dc_instance, rcu);

	dc_service_put(inst->svc);
	dc_route_free(rcu_dereference_protected(inst->route, true));
	free_percpu(inst->stats);
	kfree(inst);
}

void dc_instance_put(struct dc_instance *inst)
{
	if (refcount_dec_and_test(&inst->refcnt))
		call_rcu(&inst->rcu, dc_instance_free_rcu);
}

struct dc_instance *dc_instance_find(struct dc_service *svc,
				     const union nf_inet_addr *addr)
{
	struct dc_instance *inst;

	lockdep_assert_held(&svc->dn->lock);
	list_for_each_entry(inst, &svc->instances, list)
		if (nf_inet_addr_cmp(&inst->addr, addr))
			return inst;
	return NULL;
}

struct dc_instance *dc_instance_create(struct dc_service *svc,
				       const union nf_inet_addr *addr)
{
	struct dc_instance *inst;

	lockdep_assert_held(&svc->dn->lock);
	inst = kzalloc(sizeof(*inst), GFP_KERNEL_ACCOUNT);
	if (!inst)
		return NULL;
	inst->stats = dc_stats_alloc();
	if (!inst->stats)
		goto err_free;
	spin_lock_init(&inst->route_lock);
	INIT_LIST_HEAD(&inst->gone);
	refcount_set(&inst->refcnt, 1);
	refcount_inc(&svc->refcnt);
	inst->svc = svc;
	inst->addr = *addr;
	inst->weight = 1;
	inst->state = DYNCAST_STATE_UP;
	inst->next.weight = inst->weight;
	inst->next.state = inst->state;
	inst->metrics_updated = jiffies;
	inst->id = dc_sel_mix64(((u64)addr->all[0] << 32 ^ addr->all[1]) ^
				dc_sel_mix64((u64)addr->all[2] << 32 ^
					     addr->all[3]));
	seqcount_init(&inst->delta_seq);
	dc_instance_delta_update(inst, true);
	list_add_tail(&inst->list, &svc->instances);
	svc->nr_instances++;
	return inst;

err_free:
	kfree(inst);
	return NULL;
}

/*
 * Prepare the instance's marginal delay curve (dc_sel_delta_build()) from
 * its capacity, its service time (or its service's) and its load: the one
 * its agent set, or else the larger of its cpu and gpu.  Redone only when
 * one of them changes; a load taken from the metrics, only once the idle
 * share (1000 - load) moves by more than a sixteenth, since each metric
 * update changes it a little and a curve of 1024 slots takes some 10 us
 * to build.  A load set by an agent and then cleared leaves its curve
 * until the metrics' load moves that much.  Built aside and copied under
 * the sequence count with softirqs off, so that no reader on this CPU
 * spins on a half-written curve.  Under dn->lock.
 */
void dc_instance_delta_update(struct dc_instance *inst, bool force)
{
	u32 st = inst->service_time ? : inst->svc->service_time;
	u32 load = inst->load ? : max(inst->cpu, inst->gpu);
	struct dc_sel_delta d;

	load = min_t(u32, max_t(u32, load, DC_SEL_LOAD_MIN), DC_SEL_LOAD_CLAMP);
	if (!force && inst->delta_in.capacity == inst->capacity &&
	    inst->delta_in.service_time == st) {
		u32 was = 1000 - inst->delta_in.load, now = 1000 - load;

		if (load == inst->delta_in.load ||
		    (!inst->load && abs((int)was - (int)now) <= was / 16))
			return;
	}
	inst->delta_in.capacity = inst->capacity;
	inst->delta_in.service_time = st;
	inst->delta_in.load = load;

	memset(&d, 0, sizeof(d));
	dc_sel_delta_build(&d, inst->capacity, load, st);
	/* preemption off too: softirqs do not disable it on PREEMPT_RT */
	local_bh_disable();
	preempt_disable();
	write_seqcount_begin(&inst->delta_seq);
	inst->delta = d;
	write_seqcount_end(&inst->delta_seq);
	preempt_enable();
	local_bh_enable();
}

/*
 * Instances of @svc stop taking traffic, for @reason (enum dc_fwd_reason):
 * their bindings go, in rewrite mode the connections translated to them
 * too, so that no packet keeps flowing to an instance declared down, and
 * the forwarders that may hold bindings to them are told; then @done, if
 * given, is called for each.  The caller has published a set without them
 * and put them on @gone (inst->gone), which ends empty: one walk of the
 * bindings and one of the conntrack table serve them all, however many
 * one request takes down.
 */
void dc_instances_gone(struct dc_service *svc, struct list_head *gone,
		       u8 reason, void (*done)(struct dc_instance *inst))
{
	bool rewrite = svc->mode == DYNCAST_MODE_REWRITE;
	struct dc_instance *inst, *tmp;

	lockdep_assert_held(&svc->dn->lock);
	if (list_empty(gone))
		return;
	/*
	 * A packet that took an instance from the old set has its connection
	 * confirmed before it leaves its read-side section: once every such
	 * section has ended, the conntrack walk finds it (not one that a
	 * queue took out between its NAT and its confirmation: the walk sees
	 * no unconfirmed entry).  A bound flow's packet needs no wait: a
	 * binding to an instance down or dead is taken as expired.
	 */
	if (rewrite)
		synchronize_rcu();
	dc_bindings_flush_gone(svc->dn, svc);
	if (rewrite)
		dc_rewrite_forget_gone(svc, gone);
	list_for_each_entry_safe(inst, tmp, gone, gone) {
		list_del_init(&inst->gone);
		dc_miss_notify(inst, reason);
		if (done)
			done(inst);
	}
}

/* Unlink an instance; the caller rebuilds the service's set afterwards. */
void dc_instance_delete(struct dc_instance *inst)
{
	struct dc_service *svc = inst->svc;

	lockdep_assert_held(&svc->dn->lock);
	WRITE_ONCE(inst->dead, true);
	list_del(&inst->list);
	svc->nr_instances--;
}

/*
 * Changes of instances are made in two steps, so that a failure leaves
 * everything as it was: the caller stages the new weight and state of
 * each instance it changes (inst->next) and marks those it removes, then
 * calls dc_service_rebuild(): dc_inst_set_prepare() builds the set of the
 * staged configuration, which may fail, and then everything staged is
 * forgotten; dc_inst_set_commit() publishes it and makes the staged values
 * current, which cannot fail.  All under dn->lock.
 */
static bool dc_inst_staged_up(const struct dc_instance *inst)
{
	return !inst->next.leaving && inst->next.state == DYNCAST_STATE_UP &&
	       inst->next.weight;
}

/* Addresses in the order of their bytes, for sort() and bsearch(). */
int dc_addr_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(union nf_inet_addr));
}

/*
 * Whether @addr is the address of an instance of @svc that takes new
 * demands now (up, of weight above 0: in the published set).  Under RCU.
 */
bool dc_instance_takes_new(const struct dc_service *svc,
			   const union nf_inet_addr *addr)
{
	const struct dc_inst_set *set = rcu_dereference(svc->set);

	return set && bsearch(addr, set->addrs, set->n, sizeof(*set->addrs),
			      dc_addr_cmp);
}

/* Its own function, so that tests can make it fail (fail_function). */
static noinline struct dc_inst_set *dc_inst_set_alloc(size_t size)
{
	return kvzalloc(size, GFP_KERNEL_ACCOUNT);
}

ALLOW_ERROR_INJECTION(dc_inst_set_alloc, NULL);

static struct dc_inst_set *dc_inst_set_prepare(struct dc_service *svc)
{
	unsigned int n = 0, wrr_max, mg_size, i;
	struct dc_inst_set *set;
	struct dc_instance *inst;
	size_t sz, off_inst, off_addrs, off_share, off_wrr, off_mg;
	u32 *weights = NULL;
	u64 *ids = NULL;
	void *scratch = NULL;
	int ret = -ENOMEM;

	lockdep_assert_held(&svc->dn->lock);
	list_for_each_entry(inst, &svc->instances, list)
		if (dc_inst_staged_up(inst))
			n++;

	wrr_max = DC_SEL_WRR_MAX;
	mg_size = n ? dc_sel_maglev_size(n) : 0;
	off_inst = ALIGN(sizeof(*set), sizeof(void *));
	off_addrs = off_inst + n * sizeof(struct dc_instance *);
	off_share = off_addrs + n * sizeof(union nf_inet_addr);
	off_wrr = off_share + n * sizeof(u32);
	off_mg = off_wrr + (n ? wrr_max : 0) * sizeof(u16);
	sz = off_mg + mg_size * sizeof(u16);

	set = dc_inst_set_alloc(sz);
	if (!set)
		return ERR_PTR(-ENOMEM);
	set->inst = (void *)set + off_inst;
	set->addrs = (void *)set + off_addrs;
	set->share = (void *)set + off_share;
	set->wrr = (void *)set + off_wrr;
	set->maglev = (void *)set + off_mg;
	if (!n)
		return set;
	if (n > 1) {
		/* n <= DYNCAST_MAX_INSTANCES: a few KiB per CPU at most */
		set->credit = __alloc_percpu_gfp(struct_size(set->credit, in,
							     n),
						 __alignof__(u32),
						 GFP_KERNEL_ACCOUNT);
		if (!set->credit)
			goto err;
	}

	weights = kvcalloc(n, sizeof(*weights), GFP_KERNEL);
	ids = kvcalloc(n, sizeof(*ids), GFP_KERNEL);
	scratch = kvzalloc(dc_sel_maglev_scratch_size(n), GFP_KERNEL);
	if (!weights || !ids || !scratch)
		goto err;
	i = 0;
	list_for_each_entry(inst, &svc->instances, list) {
		if (!dc_inst_staged_up(inst))
			continue;
		weights[i] = inst->next.weight;
		ids[i] = inst->id;
		i++;
	}
	dc_sel_shares(weights, n, set->share);
	set->wrr_len = dc_sel_wrr_build(weights, n, set->wrr, wrr_max);
	if (!set->wrr_len ||
	    dc_sel_maglev_build(ids, weights, n, set->maglev, mg_size, scratch))
		goto err;
	set->maglev_size = mg_size;
	/* Last, once nothing can fail: the set owns these references. */
	list_for_each_entry(inst, &svc->instances, list) {
		if (!dc_inst_staged_up(inst))
			continue;
		refcount_inc(&inst->refcnt);
		set->addrs[set->n] = inst->addr;
		set->inst[set->n++] = inst;
	}
	sort(set->addrs, n, sizeof(*set->addrs), dc_addr_cmp, NULL);
	ret = 0;
err:
	kvfree(scratch);
	kvfree(ids);
	kvfree(weights);
	if (ret) {
		free_percpu(set->credit);
		kvfree(set);
		return ERR_PTR(ret);
	}
	return set;
}

/* Forget what is staged: the instances' next values are their own. */
void dc_inst_unstage(struct dc_service *svc)
{
	struct dc_instance *inst;

	list_for_each_entry(inst, &svc->instances, list) {
		inst->next.weight = inst->weight;
		inst->next.state = inst->state;
		inst->next.leaving = false;
	}
}

/*
 * least-cost's slack counts of a new set: on each CPU, every instance
 * that stays starts as far ahead of its share as it was in the old set
 * (within the slack and one), so that reweighting, as an agent that plans
 * does every few seconds, does not forget the split so far.  The old
 * set's counts are read from other CPUs as they change: a demand steered
 * meanwhile may be missed, no more.
 */
static void dc_inst_set_carry(struct dc_service *svc,
			      const struct dc_inst_set *old,
			      struct dc_inst_set *set)
{
	u32 slack = READ_ONCE(svc->slack);
	struct dc_sel_credit *from, *to;
	struct dc_instance *inst;
	unsigned int i, j;
	int cpu;

	if (!slack || !old || !old->credit || !set->credit)
		return;
	list_for_each_entry(inst, &svc->instances, list)
		inst->next.old_idx = 0;
	for (j = 0; j < old->n; j++)
		old->inst[j]->next.old_idx = j + 1;
	for_each_possible_cpu(cpu) {
		from = per_cpu_ptr(old->credit, cpu);
		to = per_cpu_ptr(set->credit, cpu);
		for (i = 0; i < set->n; i++) {
			j = set->inst[i]->next.old_idx;
			if (j--)
				to->in[i].base =
					dc_sel_lead_clamp(dc_sel_lead(from,
								      old->share[j],
								      j),
							  slack);
		}
		cond_resched();
	}
}

static void dc_inst_set_commit(struct dc_service *svc, struct dc_inst_set *set)
{
	struct dc_inst_set *old = rcu_dereference_protected(svc->set,
				lockdep_is_held(&svc->dn->lock));
	struct dc_instance *inst;

	lockdep_assert_held(&svc->dn->lock);
	list_for_each_entry(inst, &svc->instances, list) {
		WRITE_ONCE(inst->weight, inst->next.weight);
		WRITE_ONCE(inst->state, inst->next.state);
	}
	dc_inst_set_carry(svc, old, set);
	dc_inst_set_release(rcu_replace_pointer(svc->set, set,
						lockdep_is_held(&svc->dn->lock)));
}

/* Build and publish the set of the staged configuration, or leave all. */
int dc_service_rebuild(struct dc_service *svc)
{
	struct dc_inst_set *set = dc_inst_set_prepare(svc);

	if (IS_ERR(set)) {
		dc_inst_unstage(svc);
		return PTR_ERR(set);
	}
	dc_inst_set_commit(svc, set);
	return 0;
}

/*
 * Set the state of an instance outside a staged change (a forwarder's
 * learnt instances, which are never in a set).
 */
void dc_instance_set_state(struct dc_instance *inst, u8 state)
{
	lockdep_assert_held(&inst->svc->dn->lock);
	inst->next.state = state;
	WRITE_ONCE(inst->state, state);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * dyncast: services (D-SID) and their instances (D-BID), and the choice of
 * an instance for a new service demand.
 *
 * Services hang in a small hash table read under RCU by the packet path.
 * Each service publishes the set of instances that take new demands, with
 * the weighted round robin schedule and the Maglev table built from their
 * weights, as one immutable object: the packet path never takes a lock to
 * choose an instance.  Every change happens under dn->lock.
 */

#include <linux/error-injection.h>
#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/random.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "dyncast.h"
#include "fwd.h"
#include "select.h"

static u32 dc_svc_hash(u8 family, const union nf_inet_addr *addr, u8 proto,
		       __be16 port)
{
	u32 h = jhash2(addr->all, ARRAY_SIZE(addr->all),
		       ((u32)family << 24) | ((u32)proto << 16) | ntohs(port));

	return hash_32(h, DC_SVC_HASH_BITS);
}

static bool dc_svc_match(const struct dc_service *svc, u8 family,
			 const union nf_inet_addr *addr, u8 proto, __be16 port)
{
	return svc->family == family && svc->proto == proto &&
	       svc->port == port && nf_inet_addr_cmp(&svc->addr, addr);
}

static struct dc_service *__dc_service_lookup(struct dc_net *dn, u8 family,
					      const union nf_inet_addr *addr,
					      u8 proto, __be16 port)
{
	struct hlist_head *head;
	struct dc_service *svc;

	head = &dn->services[dc_svc_hash(family, addr, proto, port)];
	hlist_for_each_entry_rcu(svc, head, hnode, lockdep_is_held(&dn->lock))
		if (dc_svc_match(svc, family, addr, proto, port))
			return svc;
	return NULL;
}

/*
 * The service a packet is addressed to: the one of its port, else the one
 * of every port.  Called under RCU.
 */
struct dc_service *dc_service_lookup(struct dc_net *dn, u8 family,
				     const union nf_inet_addr *addr, u8 proto,
				     __be16 port)
{
	struct dc_service *svc;

	svc = __dc_service_lookup(dn, family, addr, proto, port);
	if (!svc && port)
		svc = __dc_service_lookup(dn, family, addr, proto, 0);
	return svc;
}

/* The service of exactly this key, under dn->lock. */
struct dc_service *dc_service_find(struct dc_net *dn, u8 family,
				   const union nf_inet_addr *addr, u8 proto,
				   __be16 port)
{
	lockdep_assert_held(&dn->lock);
	return __dc_service_lookup(dn, family, addr, proto, port);
}

/*
 * A set holds a reference on each of its instances: a reader that found an
 * instance in a published set may use it until its RCU read section ends,
 * whatever the control path did to the instance meanwhile.
 */
static void dc_inst_set_destroy(struct dc_inst_set *set)
{
	unsigned int i;

	for (i = 0; i < set->n; i++)
		dc_instance_put(set->inst[i]);
	kvfree(set);
}

static void dc_inst_set_free_rcu(struct rcu_head *rcu)
{
	dc_inst_set_destroy(container_of(rcu, struct dc_inst_set, rcu));
}

/* A set that was published: readers may still hold it. */
static void dc_inst_set_release(struct dc_inst_set *set)
{
	if (set)
		call_rcu(&set->rcu, dc_inst_set_free_rcu);
}

struct dc_service *dc_service_create(struct dc_net *dn, u8 family,
				     const union nf_inet_addr *addr, u8 proto,
				     __be16 port)
{
	struct dc_service *svc;

	svc = kzalloc(sizeof(*svc), GFP_KERNEL_ACCOUNT);
	if (!svc)
		return NULL;
	svc->stats = dc_stats_alloc();
	if (!svc->stats) {
		kfree(svc);
		return NULL;
	}
	refcount_set(&svc->refcnt, 1);
	svc->dn = dn;
	svc->family = family;
	svc->addr = *addr;
	svc->proto = proto;
	svc->port = port;
	svc->mode = DYNCAST_MODE_REWRITE;
	svc->affinity = DYNCAST_AFFINITY_5TUPLE;
	svc->policy = DYNCAST_POLICY_WEIGHTED;
	svc->timeout = 300 * HZ;
	svc->unconfirmed = DYNCAST_UNCONFIRMED_TIMEOUT * HZ;
	svc->service_time = 1000;
	svc->key_overlap = DYNCAST_KEY_OVERLAP * HZ;
	dc_replay_init(&svc->replay);
	dc_bucket_init(&svc->rx_bucket);
	dc_seq_init(&svc->tx_seq);
	svc->keepalive_sent = jiffies;
	INIT_LIST_HEAD(&svc->instances);
	return svc;
}

static void dc_service_free_rcu(struct rcu_head *rcu)
{
	struct dc_service *svc = container_of(rcu, struct dc_service, rcu);

	free_percpu(svc->stats);
	kfree(svc);
}

void dc_service_put(struct dc_service *svc)
{
	if (refcount_dec_and_test(&svc->refcnt))
		call_rcu(&svc->rcu, dc_service_free_rcu);
}

/* A service that was never published: no reader can have seen it. */
void dc_service_free_unpublished(struct dc_service *svc)
{
	struct dc_inst_set *set = rcu_dereference_protected(svc->set, true);

	if (set)
		dc_inst_set_destroy(set);
	dc_key_release(svc);
	free_percpu(svc->stats);
	kfree(svc);
}

int dc_service_publish(struct dc_service *svc, struct netlink_ext_ack *extack)
{
	struct dc_net *dn = svc->dn;
	int idx = dc_fam_idx(svc->family);
	int ret;

	lockdep_assert_held(&dn->lock);
	svc->id = ++dn->next_id;
	if (rcu_access_pointer(svc->key)) {
		dn->nr_keyed[idx]++;
		ret = dc_sockets_update(dn, extack);
		if (ret) {
			dn->nr_keyed[idx]--;
			dc_sockets_update(dn, NULL);
			return ret;
		}
	}
	dn->nr_family[idx]++;
	if (svc->mode == DYNCAST_MODE_REWRITE)
		dn->nr_rewrite[idx]++;
	ret = dc_hooks_update(dn);
	if (ret) {
		dn->nr_family[idx]--;
		if (svc->mode == DYNCAST_MODE_REWRITE)
			dn->nr_rewrite[idx]--;
		dc_hooks_update(dn);
		if (rcu_access_pointer(svc->key)) {
			dn->nr_keyed[idx]--;
			dc_sockets_update(dn, NULL);
		}
		NL_SET_ERR_MSG_MOD(extack, "cannot register the netfilter hooks");
		return ret;
	}
	hlist_add_head_rcu(&svc->hnode,
			   &dn->services[dc_svc_hash(svc->family, &svc->addr,
						     svc->proto, svc->port)]);
	WRITE_ONCE(dn->nr_services, dn->nr_services + 1);
	dn->genid++;
	return 0;
}

/*
 * Set or replace the key of a published service; the first key opens the
 * namespace's socket of the family.  Under dn->lock.
 */
int dc_service_set_key(struct dc_service *svc, const u8 *raw, u8 id,
		       unsigned long overlap, struct netlink_ext_ack *extack)
{
	struct dc_net *dn = svc->dn;
	int idx = dc_fam_idx(svc->family);
	bool first = !rcu_access_pointer(svc->key);
	int ret;

	lockdep_assert_held(&dn->lock);
	if (first) {
		dn->nr_keyed[idx]++;
		ret = dc_sockets_update(dn, extack);
		if (ret)
			goto undo;
	}
	ret = dc_key_set(svc, raw, id, overlap);
	if (ret) {
		NL_SET_ERR_MSG_MOD(extack, "no memory for the key");
		goto undo;
	}
	return 0;
undo:
	if (first) {
		dn->nr_keyed[idx]--;
		dc_sockets_update(dn, NULL);
	}
	return ret;
}

int dc_service_mode_changed(struct dc_service *svc, u8 old_mode,
			    struct netlink_ext_ack *extack)
{
	struct dc_net *dn = svc->dn;
	int idx = dc_fam_idx(svc->family);
	int ret;

	lockdep_assert_held(&dn->lock);
	if (old_mode == svc->mode)
		return 0;
	if (svc->mode == DYNCAST_MODE_REWRITE)
		dn->nr_rewrite[idx]++;
	else
		dn->nr_rewrite[idx]--;
	ret = dc_hooks_update(dn);
	if (ret) {
		/* the caller restores the mode: the count goes back too */
		if (svc->mode == DYNCAST_MODE_REWRITE)
			dn->nr_rewrite[idx]--;
		else
			dn->nr_rewrite[idx]++;
		NL_SET_ERR_MSG_MOD(extack, "cannot register the NAT hooks");
	}
	return ret;
}

static void dc_instance_free_rcu(struct rcu_head *rcu)
{
	struct dc_instance *inst = container_of(rcu, struct dc_instance, rcu);

	dc_service_put(inst->svc);
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
	if (!inst->stats) {
		kfree(inst);
		return NULL;
	}
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
	list_add_tail(&inst->list, &svc->instances);
	svc->nr_instances++;
	return inst;
}

/*
 * An instance stops taking traffic, for @reason (enum dc_fwd_reason): its
 * bindings go, in rewrite mode the connections translated to it too, so
 * that no packet keeps flowing to an instance declared down, and the
 * forwarders that may hold bindings to it are told.
 */
void dc_instance_gone(struct dc_instance *inst, u8 reason)
{
	struct dc_service *svc = inst->svc;

	dc_bindings_flush(svc->dn, NULL, inst);
	if (svc->mode == DYNCAST_MODE_REWRITE)
		dc_rewrite_forget(svc, inst);
	dc_miss_notify(inst, reason);
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
	size_t sz, off_inst, off_wrr, off_mg;
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
	off_wrr = off_inst + n * sizeof(struct dc_instance *);
	off_mg = off_wrr + (n ? wrr_max : 0) * sizeof(u16);
	sz = off_mg + mg_size * sizeof(u16);

	set = dc_inst_set_alloc(sz);
	if (!set)
		return ERR_PTR(-ENOMEM);
	set->inst = (void *)set + off_inst;
	set->wrr = (void *)set + off_wrr;
	set->maglev = (void *)set + off_mg;
	if (!n)
		return set;

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
		set->inst[set->n++] = inst;
	}
	ret = 0;
err:
	kvfree(scratch);
	kvfree(ids);
	kvfree(weights);
	if (ret) {
		kvfree(set);
		return ERR_PTR(ret);
	}
	return set;
}

static void dc_inst_unstage(struct dc_service *svc)
{
	struct dc_instance *inst;

	list_for_each_entry(inst, &svc->instances, list) {
		inst->next.weight = inst->weight;
		inst->next.state = inst->state;
		inst->next.leaving = false;
	}
}

static void dc_inst_set_commit(struct dc_service *svc, struct dc_inst_set *set)
{
	struct dc_instance *inst;

	lockdep_assert_held(&svc->dn->lock);
	list_for_each_entry(inst, &svc->instances, list) {
		WRITE_ONCE(inst->weight, inst->next.weight);
		WRITE_ONCE(inst->state, inst->next.state);
	}
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

/* Remove a service with its instances and bindings. */
void dc_service_delete(struct dc_service *svc)
{
	struct dc_net *dn = svc->dn;
	struct dc_instance *inst, *tmp;
	int idx = dc_fam_idx(svc->family);

	lockdep_assert_held(&dn->lock);
	hlist_del_rcu(&svc->hnode);
	WRITE_ONCE(svc->dead, true);
	WRITE_ONCE(dn->nr_services, dn->nr_services - 1);
	dn->nr_family[idx]--;
	if (svc->mode == DYNCAST_MODE_REWRITE)
		dn->nr_rewrite[idx]--;
	dn->genid++;

	if (rcu_access_pointer(svc->key)) {
		dc_miss_service_gone(svc);
		dc_key_release(svc);
		dn->nr_keyed[idx]--;
		/* waits for the packets in flight on the socket */
		dc_sockets_update(dn, NULL);
	}

	list_for_each_entry_safe(inst, tmp, &svc->instances, list) {
		dc_instance_delete(inst);
		dc_instance_put(inst);
	}
	if (svc->mode == DYNCAST_MODE_REWRITE)
		dc_rewrite_forget(svc, NULL);
	dc_inst_set_release(rcu_replace_pointer(svc->set, NULL,
						lockdep_is_held(&dn->lock)));
	dc_bindings_flush(dn, svc, NULL);
	/* Dropping the last hooks waits for the packets in flight. */
	dc_hooks_update(dn);
	dc_service_put(svc);
}

void dc_net_services_init(struct dc_net *dn)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(dn->services); i++)
		INIT_HLIST_HEAD(&dn->services[i]);
}

void dc_net_services_exit(struct dc_net *dn)
{
	struct dc_service *svc;
	struct hlist_node *tmp;
	int i;

	mutex_lock(&dn->lock);
	for (i = 0; i < ARRAY_SIZE(dn->services); i++)
		hlist_for_each_entry_safe(svc, tmp, &dn->services[i], hnode)
			dc_service_delete(svc);
	mutex_unlock(&dn->lock);
}

/*
 * Every router of the service hashes a flow with the service's seed: over
 * the same instances they pick the same one, like Maglev load balancers,
 * and clients that do not know the seed cannot aim at one.
 */
static u32 dc_flow_hash(const struct dc_service *svc,
			const struct dc_flow_key *key)
{
	/* a seed changing meanwhile makes one odd choice, no harm */
	siphash_key_t seed = { .key = {
		READ_ONCE(svc->hash_seed.key[0]),
		READ_ONCE(svc->hash_seed.key[1]),
	} };

	BUILD_BUG_ON(offsetof(struct dc_flow_key, dport) + sizeof(key->dport) !=
		     offsetof(struct dc_flow_key, svc_id));
	return siphash(&key->saddr, offsetof(struct dc_flow_key, svc_id),
		       &seed);
}

static void dc_sel_fill(struct dc_sel_metrics *m, const struct dc_instance *inst)
{
	m->weight = READ_ONCE(inst->weight);
	m->cpu = READ_ONCE(inst->cpu);
	m->gpu = READ_ONCE(inst->gpu);
	m->sessions = READ_ONCE(inst->sessions);
	m->queue = READ_ONCE(inst->queue);
	m->capacity = READ_ONCE(inst->capacity);
	m->cost = READ_ONCE(inst->cost);
	m->pending = atomic_read(&inst->pending);
}

/*
 * Choose an instance for a new demand, under RCU.  With hash_only, the
 * stateless Maglev choice whatever the policy: used when no binding can be
 * kept, so that the flow's later packets make the same choice.
 */
struct dc_instance *dc_select(struct dc_service *svc,
			      const struct dc_flow_key *key, bool hash_only)
{
	const struct dc_inst_set *set = rcu_dereference(svc->set);
	struct dc_sel_metrics ma, mb;
	unsigned int a, b;

	if (!set || !set->n)
		return NULL;
	if (hash_only)
		goto hash;

	switch (READ_ONCE(svc->policy)) {
	case DYNCAST_POLICY_WEIGHTED:
		a = (u32)atomic_inc_return(&svc->wrr_seq) % set->wrr_len;
		return set->inst[set->wrr[a]];
	case DYNCAST_POLICY_LEAST_COST:
		if (set->n == 1)
			return set->inst[0];
		/*
		 * Two candidates drawn in proportion to the weights, the one
		 * with the lower expected delay wins.  Never the single best
		 * for everyone: that herds every router onto one instance
		 * between two metric updates.
		 */
		a = dc_sel_candidates(set->wrr, set->wrr_len, set->n,
				      get_random_u64(), &b);
		dc_sel_fill(&ma, set->inst[a]);
		dc_sel_fill(&mb, set->inst[b]);
		a = dc_sel_better(&ma, a, &mb, b, READ_ONCE(svc->service_time));
		atomic_inc(&set->inst[a]->pending);
		return set->inst[a];
	default:
		break;
	}
hash:
	return set->inst[set->maglev[dc_flow_hash(svc, key) % set->maglev_size]];
}

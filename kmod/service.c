// SPDX-License-Identifier: GPL-2.0
/*
 * dyncast: services (D-SID): their life, their settings, and the hooks and
 * sockets they need.
 *
 * Services hang in a small hash table read under RCU by the packet path;
 * their instances are in instance.c.  Every change happens under
 * dn->lock.
 */

#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/memcontrol.h>
#include <linux/rculist.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "dyncast.h"
#include "binding.h"
#include "fwd.h"
#include "fwd_router.h"
#include "hooks.h"
#include "instance.h"
#include "rewrite.h"
#include "service.h"
#include "socket.h"
#include "stats.h"

static u32 dc_svc_hash(u8 family, const union nf_inet_addr *addr, u8 proto,
		       __be16 port)
{
	u32 initval = ((u32)family << 24) | ((u32)proto << 16) | ntohs(port);
	u32 h;

	/* an IPv4 address is one word of four, the others zero */
	if (family == AF_INET)
		h = jhash_1word((__force u32)addr->ip, initval);
	else
		h = jhash2(addr->all, ARRAY_SIZE(addr->all), initval);

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

/*
 * The memory cgroup of the process at hand, with a reference; NULL for
 * the root cgroup (no parent; it is charged nothing), or without kernel
 * memory accounting.
 */
static struct mem_cgroup *dc_memcg_current(void)
{
#ifdef CONFIG_MEMCG_KMEM
	struct mem_cgroup *memcg;

	if (!memcg_kmem_enabled())
		return NULL;
	memcg = get_mem_cgroup_from_mm(current->mm);
	if (memcg && parent_mem_cgroup(memcg))
		return memcg;
	mem_cgroup_put(memcg);
#endif
	return NULL;
}

/*
 * Memory for a service's traffic (bindings, forwarders' records), from
 * @cache or else kmalloc(): charged to the memory cgroup of the process
 * that made the service, whatever context the packet is in, so that
 * memory.max bounds what namespaces of a cgroup hold all together (each
 * has its own max_bindings).  A charge past memory.max fails when @gfp
 * has no __GFP_HIGH and cannot reclaim enough (no OOM kill without
 * blocking, nor with __GFP_NORETRY): the caller treats it as memory short.
 */
void *dc_service_alloc(const struct dc_service *svc, struct kmem_cache *cache,
		       size_t size, gfp_t gfp)
{
	struct mem_cgroup *old;
	void *p;

	if (!svc->memcg)
		return cache ? kmem_cache_alloc(cache, gfp) : kmalloc(size, gfp);
	old = set_active_memcg(svc->memcg);
	gfp |= __GFP_ACCOUNT;
	p = cache ? kmem_cache_alloc(cache, gfp) : kmalloc(size, gfp);
	set_active_memcg(old);
	return p;
}

static u32 dc_sid_hash(u8 family, const union nf_inet_addr *addr)
{
	return family == AF_INET ? dc_sid_hash4(addr->ip) :
				   dc_sid_hash6(&addr->in6);
}

/* The address filter's hash, fewer bits: hash_32() keeps the top ones. */
static u32 dc_sid_bucket(u8 family, const union nf_inet_addr *addr)
{
	BUILD_BUG_ON(DC_SVC_HASH_BITS > DC_SID_FILTER_BITS);
	return dc_sid_hash(family, addr) >>
	       (DC_SID_FILTER_BITS - DC_SVC_HASH_BITS);
}

/*
 * Whether a service has this address, whatever its protocol and port: a
 * fragment is reassembled only then.  The address filter cannot tell on
 * its own, and a fragment in transit taken for reassembly is held until
 * all of its datagram passes this router, which it may never do (paths
 * split upstream).  Called under RCU.
 */
bool dc_sid_exists(struct dc_net *dn, u8 family,
		   const union nf_inet_addr *addr)
{
	struct dc_service *svc;

	hlist_for_each_entry_rcu(svc, &dn->sid_addrs[dc_sid_bucket(family, addr)],
				 anode)
		if (svc->family == family && nf_inet_addr_cmp(&svc->addr, addr))
			return true;
	return false;
}

/* The service of exactly this key, under dn->lock. */
struct dc_service *dc_service_find(struct dc_net *dn, u8 family,
				   const union nf_inet_addr *addr, u8 proto,
				   __be16 port)
{
	lockdep_assert_held(&dn->lock);
	return __dc_service_lookup(dn, family, addr, proto, port);
}

struct dc_service *dc_service_create(struct dc_net *dn, u8 family,
				     const union nf_inet_addr *addr, u8 proto,
				     __be16 port)
{
	struct dc_service *svc;

	svc = kzalloc(sizeof(*svc), GFP_KERNEL_ACCOUNT);
	if (!svc)
		return NULL;
	svc->hashed_until = jiffies;
	svc->stats = dc_stats_alloc();
	if (!svc->stats) {
		kfree(svc);
		return NULL;
	}
	refcount_set(&svc->refcnt, 1);
	svc->dn = dn;
	svc->memcg = dc_memcg_current();
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
	svc->demand_idle = msecs_to_jiffies(DYNCAST_DEMAND_IDLE);
	svc->key_overlap = DYNCAST_KEY_OVERLAP * HZ;
	dc_replay_init(&svc->replay);
	dc_bucket_init(&svc->rx_check);
	dc_bucket_init(&svc->rx_bucket);
	dc_seq_init(&svc->tx_seq);
	svc->keepalive_sent = jiffies;
	INIT_LIST_HEAD(&svc->instances);
	return svc;
}

static void dc_service_free_rcu(struct rcu_head *rcu)
{
	struct dc_service *svc = container_of(rcu, struct dc_service, rcu);

	mem_cgroup_put(svc->memcg);
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
	mem_cgroup_put(svc->memcg);
	free_percpu(svc->stats);
	kfree(svc);
}

/* What one service needs of the namespace, in @mode, @keyed or not. */
static void dc_needs_add(struct dc_needs *n, const struct dc_service *svc,
			 u8 mode, bool keyed)
{
	int idx = dc_fam_idx(svc->family);

	if (mode == DYNCAST_MODE_REWRITE)
		n->nat[idx] = true;
	else
		n->hooks[idx] = true;
	if (keyed)
		n->sock[idx] = true;
}

/*
 * Give the namespace the hooks, NAT hooks and forwarder sockets that its
 * services need, as they are configured now, plus what @extra (a service
 * about to be published, or to change) needs in @extra_mode, with a key
 * if @extra_keyed, and drop those that none needs any more.  Taking away
 * cannot fail; on failure to add, the caller undoes its change and calls
 * this again.  Under dn->lock.
 */
static int __dc_net_sync(struct dc_net *dn, const struct dc_service *extra,
			 u8 extra_mode, bool extra_keyed,
			 struct netlink_ext_ack *extack)
{
	struct dc_service *svc;
	struct dc_needs n = {};
	int i, ret;

	lockdep_assert_held(&dn->lock);
	for (i = 0; i < ARRAY_SIZE(dn->services); i++)
		hlist_for_each_entry(svc, &dn->services[i], hnode)
			dc_needs_add(&n, svc, svc->mode,
				     rcu_access_pointer(svc->key));
	if (extra)
		dc_needs_add(&n, extra, extra_mode, extra_keyed);
	ret = dc_sockets_update(dn, n.sock, extack);
	if (ret)
		return ret;
	ret = dc_hooks_update(dn, &n);
	if (ret)
		NL_SET_ERR_MSG_MOD(extack, "cannot register the netfilter hooks");
	return ret;
}

static int dc_net_sync(struct dc_net *dn, const struct dc_service *extra,
		       struct netlink_ext_ack *extack)
{
	return __dc_net_sync(dn, extra, extra ? extra->mode : 0,
			     extra && rcu_access_pointer(extra->key), extack);
}

static bool dc_service_id_used(struct dc_net *dn, u32 id)
{
	struct dc_service *svc;
	int i;

	for (i = 0; i < ARRAY_SIZE(dn->services); i++)
		hlist_for_each_entry(svc, &dn->services[i], hnode)
			if (svc->id == id)
				return true;
	return false;
}

/*
 * A service id, 1..DC_SVC_ID_MAX, that no other service of the namespace
 * has: the next one, or after a wrap (two thousand million services
 * later) the next one unused.
 */
static u32 dc_service_new_id(struct dc_net *dn)
{
	do {
		if (dn->next_id++ == DC_SVC_ID_MAX) {
			dn->next_id = 1;
			dn->id_wrapped = true;
		}
	} while (dn->id_wrapped && dc_service_id_used(dn, dn->next_id));
	return dn->next_id;
}

/*
 * The address filter after a service went: rebuilt from those left, each
 * word replaced at once, so that the packet path never reads clear the bit
 * of a service still there.
 */
static void dc_sid_filter_rebuild(struct dc_net *dn, u8 family)
{
	unsigned long *filter = dn->sid_filter[dc_fam_idx(family)];
	struct dc_service *svc;
	int i;

	lockdep_assert_held(&dn->lock);
	bitmap_zero(dn->sid_scratch, 1 << DC_SID_FILTER_BITS);
	for (i = 0; i < ARRAY_SIZE(dn->services); i++)
		hlist_for_each_entry(svc, &dn->services[i], hnode)
			if (svc->family == family)
				__set_bit(dc_sid_hash(family, &svc->addr),
					  dn->sid_scratch);
	for (i = 0; i < DC_SID_FILTER_LONGS; i++)
		if (filter[i] != dn->sid_scratch[i])
			WRITE_ONCE(filter[i], dn->sid_scratch[i]);
}

int dc_service_publish(struct dc_service *svc, struct netlink_ext_ack *extack)
{
	struct dc_net *dn = svc->dn;
	int ret;

	lockdep_assert_held(&dn->lock);
	ret = dc_net_sync(dn, svc, extack);
	if (ret) {
		dc_net_sync(dn, NULL, NULL);
		return ret;
	}
	svc->id = dc_service_new_id(dn);
	/* before the service can be found: hlist_add_head_rcu() orders it */
	set_bit(dc_sid_hash(svc->family, &svc->addr),
		dn->sid_filter[dc_fam_idx(svc->family)]);
	hlist_add_head_rcu(&svc->hnode,
			   &dn->services[dc_svc_hash(svc->family, &svc->addr,
						     svc->proto, svc->port)]);
	hlist_add_head_rcu(&svc->anode,
			   &dn->sid_addrs[dc_sid_bucket(svc->family, &svc->addr)]);
	WRITE_ONCE(dn->nr_services, dn->nr_services + 1);
	WRITE_ONCE(dn->genid, dn->genid + 1);
	return 0;
}

/*
 * The service's settings changed (mode, keys): give the namespace what it
 * now needs, drop what it no longer does.  On failure the caller puts the
 * settings back and calls this again, which cannot fail then.  Under
 * dn->lock.
 */
int dc_service_sync(struct dc_service *svc, struct netlink_ext_ack *extack)
{
	return dc_net_sync(svc->dn, NULL, extack);
}

/*
 * Before a service changes to @mode, keyed or not: what it needs then too,
 * so that the hooks of the new mode and the socket of its first key are
 * there when the change takes effect, and nothing has changed if they
 * cannot be had.
 */
int dc_service_sync_for(struct dc_service *svc, u8 mode, bool keyed,
			struct netlink_ext_ack *extack)
{
	return __dc_net_sync(svc->dn, svc, mode, keyed, extack);
}

/* Remove a service with its instances and bindings. */
void dc_service_delete(struct dc_service *svc)
{
	struct dc_net *dn = svc->dn;
	struct dc_instance *inst, *tmp;

	lockdep_assert_held(&dn->lock);
	hlist_del_rcu(&svc->hnode);
	hlist_del_rcu(&svc->anode);
	dc_sid_filter_rebuild(dn, svc->family);
	WRITE_ONCE(svc->dead, true);
	WRITE_ONCE(dn->nr_services, dn->nr_services - 1);
	WRITE_ONCE(dn->genid, dn->genid + 1);

	if (rcu_access_pointer(svc->key)) {
		dc_miss_service_gone(svc);
		dc_key_release(svc);
	}

	list_for_each_entry_safe(inst, tmp, &svc->instances, list) {
		dc_instance_delete(inst);
		dc_instance_put(inst);
	}
	dc_inst_set_release(rcu_replace_pointer(svc->set, NULL,
						lockdep_is_held(&dn->lock)));
	if (svc->mode == DYNCAST_MODE_REWRITE)
		dc_rewrite_forget(svc);
	dc_bindings_flush(dn, svc);
	/*
	 * The last service takes the hooks and the socket with it; the
	 * service itself is freed after a grace period (dc_service_put()).
	 */
	dc_net_sync(dn, NULL, NULL);
	dc_service_put(svc);
}

void dc_net_services_init(struct dc_net *dn)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(dn->services); i++)
		INIT_HLIST_HEAD(&dn->services[i]);
	for (i = 0; i < ARRAY_SIZE(dn->sid_addrs); i++)
		INIT_HLIST_HEAD(&dn->sid_addrs[i]);
}

void dc_net_services_exit(struct dc_net *dn)
{
	struct dc_service *svc;
	struct hlist_node *tmp;
	int i;

	mutex_lock(&dn->lock);
	dn->exiting = true;
	for (i = 0; i < ARRAY_SIZE(dn->services); i++)
		hlist_for_each_entry_safe(svc, tmp, &dn->services[i], hnode)
			dc_service_delete(svc);
	mutex_unlock(&dn->lock);
}

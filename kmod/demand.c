// SPDX-License-Identifier: GPL-2.0
/*
 * dyncast: a new service demand, once the hook has parsed its first
 * packet and found no binding for its flow: the choice of an instance
 * (the service's policy over its published instance set, select.c for
 * the arithmetic), then the binding that keeps the flow there
 * (binding.c).  Under RCU, in softirq; no lock is taken.
 */

#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/random.h>
#include <linux/siphash.h>
#include <net/netfilter/ipv4/nf_reject.h>
#include <net/netfilter/ipv6/nf_reject.h>

#include "dyncast.h"
#include "binding.h"
#include "demand.h"
#include "select.h"
#include "stats.h"

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
		/* the binding counts it in the instance's pending demands */
		return set->inst[a];
	default:
		break;
	}
hash:
	return set->inst[set->maglev[dc_flow_hash(svc, key) % set->maglev_size]];
}

/* No instance takes new demands: tell the client at once. */
void dc_reject(struct net *net, struct sk_buff *skb, u8 family)
{
	if (family == AF_INET)
		nf_send_unreach(skb, ICMP_PORT_UNREACH, NF_INET_PRE_ROUTING);
	else
		nf_send_unreach6(net, skb, ICMPV6_PORT_UNREACH,
				 NF_INET_PRE_ROUTING);
}

/*
 * A packet whose flow has no usable binding: the instance of the new
 * demand, or NULL when the packet is to be dropped (counted, and the
 * client told when no instance is left).
 *
 * A TCP segment other than a SYN, with no binding, belongs to a connection
 * that started elsewhere or whose binding expired; no instance would know
 * it, so it is dropped rather than started anew.  With the table full,
 * though, its SYN was steered by hash without a binding: the hash steers
 * the rest alike.
 */
struct dc_instance *dc_new_demand(struct net *net, struct sk_buff *skb,
				  struct dc_net *dn, struct dc_service *svc,
				  const struct dc_flow_key *key,
				  const struct dc_pkt *pkt, unsigned int flags)
{
	struct dc_instance *inst;

	if (pkt->proto == IPPROTO_TCP && !pkt->syn) {
		if (!dc_bindings_full(dn, svc)) {
			dc_count_event(dn, svc, DC_STAT_NOT_START);
			return NULL;
		}
		inst = dc_select(svc, key, true);
	} else {
		inst = dc_binding_get_or_create(dn, svc, key, pkt, flags);
	}
	if (!inst) {
		dc_count_event(dn, svc, DC_STAT_NO_INSTANCE);
		dc_reject(net, skb, pkt->family);
	}
	return inst;
}

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
#include <linux/inetdevice.h>
#include <linux/random.h>
#include <linux/siphash.h>
#include <net/ip_fib.h>
#include <net/l3mdev.h>
#include <net/xfrm.h>
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

	/* the ports and the address, the service's id aside */
	BUILD_BUG_ON(offsetof(struct dc_flow_key, sport) != sizeof(u32));
	return siphash(&key->sport, dc_flow_key_len(key->id) - sizeof(u32),
		       &seed);
}

/* Instances every one of which least-cost weighs; above, a draw of three */
#define DC_SEL_ALL		8
#define DC_SEL_DRAW		3

/*
 * What one more demand costs at an instance: its network cost plus the
 * marginal delay D(n) of its curve at n, this router's demands in flight
 * there, the backlog the instance last reported beyond them, and the
 * adjustment the agent set (others' demands there, less those still on
 * their way).  The curve is read under its sequence count:
 * a retry when its writer, in process context with softirqs off, was
 * changing it; dc_sel_delta() stays in bounds on a torn read.
 */
static u64 dc_sel_cost(const struct dc_instance *inst, u64 *held)
{
	s64 n = ((s64)atomic_read(&inst->inflight) + READ_ONCE(inst->backlog)) *
		(1 << DC_SEL_N_SHIFT) +
		div_s64((s64)READ_ONCE(inst->adjust) * (1 << DC_SEL_N_SHIFT),
			1000);
	unsigned int seq;
	u64 d;

	if (n < 0)
		n = 0;
	*held = n;
	do {
		seq = read_seqcount_begin(&inst->delta_seq);
		d = dc_sel_delta(&inst->delta, n);
	} while (read_seqcount_retry(&inst->delta_seq, seq));
	return READ_ONCE(inst->cost) + d;
}

/*
 * With a slack, least-cost keeps to the split of the weights: on this CPU,
 * how far instance i would be ahead of its weighted share of the demands
 * steered here (this one included, and its lead carried into the set) if
 * it took this one, in 2^-16 demands.
 */
static s64 dc_sel_ahead(const struct dc_inst_set *set,
			const struct dc_sel_credit *cr, unsigned int i)
{
	return dc_sel_lead(cr, set->share[i], i) + (1 << 16);
}

/*
 * Start the count again before it can overflow, keeping what is ahead
 * (within the slack and one, the most that can matter).  The CPU's own
 * counts: marked, since a rebuild may read them from another CPU.
 */
static void dc_sel_credit_rebase(const struct dc_inst_set *set,
				 struct dc_sel_credit *cr, u32 slack)
{
	unsigned int i;

	for (i = 0; i < set->n; i++) {
		WRITE_ONCE(cr->in[i].base,
			   dc_sel_lead_clamp(dc_sel_lead(cr, set->share[i], i),
					     slack));
		WRITE_ONCE(cr->in[i].got, 0);
	}
	WRITE_ONCE(cr->demands, 0);
}

/*
 * Least cost: the candidate of the least dc_sel_cost(), of the fewest
 * demands on a tie (where the curve is flat, far below the capacity, the
 * demands still spread), the first on a tie of both.  Every instance when
 * there are at most DC_SEL_ALL, from a random one on so that the first is
 * any; else DC_SEL_DRAW drawn from the weighted schedule, 16 bits of @rnd
 * each.
 *
 * With a @slack, a candidate that would be more than that many demands
 * ahead of its weighted share on this CPU is passed over; if every one
 * would, the one least ahead is taken.  Routers that each see a small
 * part of the demands know little from their own counts: without the
 * bound they would all send to the instance that looks best when they
 * hold none there, while with it they split as planned and choose only
 * within the slack.
 */
static struct dc_instance *dc_select_least_cost(const struct dc_inst_set *set,
						u64 rnd, u32 slack)
{
	u64 best_cost = U64_MAX, best_held = U64_MAX, cost, held;
	s64 limit = (s64)slack << 16, ahead, least = S64_MAX;
	unsigned int k, i, n, first = 0, best = 0, fallback = 0;
	struct dc_sel_credit *cr = NULL;
	bool found = false;

	if (slack) {
		/*
		 * This CPU's counts, with softirqs off: the hooks take them
		 * off in a task too (dc_hook_bh()); so must any other caller.
		 */
		local_bh_disable();
		cr = this_cpu_ptr(set->credit);
		if (unlikely(cr->demands >= BIT(31)))
			dc_sel_credit_rebase(set, cr, slack);
		WRITE_ONCE(cr->demands, cr->demands + 1);
	}
	n = set->n <= DC_SEL_ALL ? set->n : DC_SEL_DRAW;
	if (set->n <= DC_SEL_ALL)
		first = (u32)(rnd >> 32) % set->n;
	for (k = 0; k < n; k++) {
		if (set->n <= DC_SEL_ALL)
			i = first + k < set->n ? first + k : first + k - set->n;
		else
			i = set->wrr[((rnd >> (16 * k)) & 0xffff) %
				     set->wrr_len];
		if (cr) {
			ahead = dc_sel_ahead(set, cr, i);
			if (ahead < least) {
				least = ahead;
				fallback = i;
			}
			if (ahead > limit)
				continue;
		}
		cost = dc_sel_cost(set->inst[i], &held);
		if (cost < best_cost ||
		    (cost == best_cost && held < best_held)) {
			best_cost = cost;
			best_held = held;
			best = i;
			found = true;
		}
	}
	if (!found)
		best = fallback;
	if (cr) {
		WRITE_ONCE(cr->in[best].got, cr->in[best].got + 1);
		local_bh_enable();
	}
	return set->inst[best];
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
	unsigned int a;

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
		return dc_select_least_cost(set, get_random_u64(),
					    READ_ONCE(svc->slack));
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
 * Whether the source of a client's packet that would start a demand, come
 * in on @dev, is one IPv4 routing takes there.  Steered packets leave
 * before routing (tunnel and forward modes), or are bound before it
 * (rewrite mode), so its checks are made here as ip_route_input_slow()
 * and fib_validate_source() make them: no martian source (0.0.0.0,
 * multicast, limited broadcast; loopback unless route_localnet); with
 * rp_filter on for @dev (the larger of all's and the device's: 1 strict,
 * 2 loose; off for a packet IPsec decrypted), a unicast route back to the
 * source (or a local one with accept_local), through @dev when strict or
 * when @dev has no IPv4 address.  A source refused for want of such a
 * route counts in IPReversePathFilter, as routing counts it.  Unlike
 * routing with rp_filter off, a source that is one of our own addresses is
 * not looked up; and the lookup's input interface is the loopback's, as
 * for a packet routing delivers here (one it forwards gets its output
 * interface, which only iif rules tell apart).  IPv6 drops martian
 * sources before any hook and has no rp_filter.  Under RCU, softirqs off
 * (the hooks' dc_hook_bh()).
 */
bool dc_source_ok(struct net *net, struct sk_buff *skb,
		  const struct net_device *dev, const struct dc_pkt *pkt)
{
	__be32 saddr = pkt->saddr.ip;
	struct flow_keys flkeys;
	struct in_device *in_dev;
	struct fib_result res;
	struct flowi4 fl4;
	int rpf;

	if (pkt->family != AF_INET || !dev || dev->flags & IFF_LOOPBACK)
		return true;
	in_dev = __in_dev_get_rcu(dev);
	if (!in_dev)
		return false;
	if (ipv4_is_multicast(saddr) || ipv4_is_lbcast(saddr) ||
	    ipv4_is_zeronet(saddr) ||
	    (ipv4_is_loopback(saddr) && !IN_DEV_NET_ROUTE_LOCALNET(in_dev, net)))
		return false;
	rpf = secpath_exists(skb) ? 0 : IN_DEV_RPFILTER(in_dev);
	if (!rpf)
		return true;

	/* the key of __fib_validate_source() */
	memset(&fl4, 0, sizeof(fl4));
	fl4.flowi4_l3mdev = l3mdev_master_ifindex_rcu(dev);
	fl4.flowi4_iif = LOOPBACK_IFINDEX;
	fl4.daddr = saddr;
	fl4.saddr = pkt->daddr.ip;
	fl4.flowi4_tos = ip_hdr(skb)->tos & IPTOS_RT_MASK;
	fl4.flowi4_scope = RT_SCOPE_UNIVERSE;
	fl4.flowi4_uid = sock_net_uid(net, NULL);
	fl4.flowi4_mark = IN_DEV_SRC_VMARK(in_dev) ? skb->mark : 0;
	if (fib4_rules_early_flow_dissect(net, skb, &fl4, &flkeys))
		swap(fl4.fl4_sport, fl4.fl4_dport);
	else
		fl4.flowi4_proto = 0;

	if (fib_lookup(net, &fl4, &res, 0))
		goto no_route;
	if (res.type != RTN_UNICAST &&
	    (res.type != RTN_LOCAL || !IN_DEV_ACCEPT_LOCAL(in_dev)))
		return false;
	if (fib_info_nh_uses_dev(res.fi, dev))
		return true;
	if (rpf == 1 || !rcu_access_pointer(in_dev->ifa_list))
		goto no_route;
	return true;

no_route:
	__NET_INC_STATS(net, LINUX_MIB_IPRPFILTER);
	return false;
}

/*
 * A packet whose flow has no usable binding: the instance of the new
 * demand, or NULL when the packet is to be dropped (counted, and the
 * client told when no instance is left).
 *
 * A TCP segment other than a SYN, with no binding, belongs to a connection
 * that started elsewhere or whose binding expired; no instance would know
 * it, so it is dropped rather than started anew.  With the table full,
 * though, its SYN may have been steered by hash without a binding: the
 * hash steers the rest alike, and keeps the service's window open
 * (dc_binding_hashed()).  Once the table has room, within that window, a
 * tunnel-mode connection is bound to the instance the hash gives it (its
 * SYN counted the demand), or only steered there by its FIN or RST, which
 * need no binding; in rewrite mode conntrack carries it on, and a segment
 * that reaches us is one conntrack picked up mid-stream.
 */
struct dc_instance *dc_new_demand(struct net *net, struct sk_buff *skb,
				  struct dc_net *dn, struct dc_service *svc,
				  const struct dc_flow_key *key,
				  const struct dc_pkt *pkt, unsigned int flags)
{
	struct dc_instance *inst;

	if (pkt->proto == IPPROTO_TCP && !pkt->syn) {
		if (dc_bindings_full(dn, svc)) {
			dc_binding_hashed(svc);
			inst = dc_select(svc, key, true);
		} else if (READ_ONCE(svc->mode) == DYNCAST_MODE_REWRITE ||
			   !dc_binding_hashed_recently(svc)) {
			dc_count_event(dn, svc, DC_STAT_NOT_START);
			return NULL;
		} else if (pkt->fin_rst) {
			inst = dc_select(svc, key, true);
		} else {
			inst = dc_binding_get_or_create(dn, svc, key, pkt,
							flags, true);
		}
	} else {
		inst = dc_binding_get_or_create(dn, svc, key, pkt, flags,
						false);
	}
	if (!inst) {
		dc_count_event(dn, svc, DC_STAT_NO_INSTANCE);
		dc_reject(net, skb, pkt->family);
	}
	return inst;
}

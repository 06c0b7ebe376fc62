// SPDX-License-Identifier: GPL-2.0
/*
 * dyncast: steering by rewriting the destination, with conntrack NAT.
 *
 * The NAT core calls dc_nat_fn() once, for the first packet of each new
 * connection to a rewrite-mode service; it binds the flow (or follows the
 * binding an earlier connection of the same flow identifier made) and sets
 * up a destination NAT to the instance.  From then on conntrack translates
 * every packet of the connection both ways, ICMP errors included, and the
 * client sees replies come from the service address.
 *
 * Priority NF_IP_PRI_NAT_DST - 1: before any nftables or iptables nat
 * chain, so that a service address belongs to dyncast.  The later packets
 * of a flow refresh its binding in a PREROUTING hook right after conntrack
 * (dc_rewrite_hook()), which finds their entry there and reads the packet
 * from it: no lookup of the service or the binding for a connection's
 * first packet but the NAT lookup's, and none of conntrack's own.
 */

#include <linux/bsearch.h>
#include <linux/mm.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/sort.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_core.h>
#include <net/netfilter/nf_conntrack_helper.h>
#include <net/netfilter/nf_conntrack_timeout.h>
#include <net/netfilter/nf_conntrack_zones.h>
#include <net/netfilter/nf_nat.h>

#include "dyncast.h"
#include "binding.h"
#include "demand.h"
#include "hooks.h"
#include "instance.h"
#include "rewrite.h"
#include "service.h"
#include "stats.h"

/*
 * A client's packet of a connection, read from its conntrack entry:
 * conntrack found or made the entry by the packet's addresses, protocol
 * and ports (reassembled), which its original tuple holds, NAT not yet
 * applied.  Only the TCP flags come from the packet, at its transport
 * header: after the IPv4 header, or after IPv6's fixed one when the TCP
 * or UDP header follows it (with extension headers between, the packet is
 * parsed whole).
 */
static int dc_rewrite_pkt(struct sk_buff *skb, const struct nf_conn *ct,
			  struct dc_pkt *pkt)
{
	const struct nf_conntrack_tuple *t =
		&ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	u8 proto = t->dst.protonum;
	unsigned int off;

	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return -EINVAL;
	if (nf_ct_l3num(ct) == NFPROTO_IPV4) {
		off = skb_network_offset(skb) + ip_hdrlen(skb);
	} else if (ipv6_hdr(skb)->nexthdr == proto) {
		off = skb_network_offset(skb) + sizeof(struct ipv6hdr);
	} else {
		if (dc_pkt_parse(skb, AF_INET6, pkt, &off) || pkt->icmp_err)
			return -EINVAL;
		return 0;
	}

	memset(pkt, 0, sizeof(*pkt));
	pkt->family = nf_ct_l3num(ct);
	pkt->proto = proto;
	pkt->len = skb->len;
	pkt->saddr = t->src.u3;
	pkt->daddr = t->dst.u3;
	if (proto == IPPROTO_TCP)
		return dc_pkt_l4(skb, off, pkt);
	pkt->sport = t->src.u.all;
	pkt->dport = t->dst.u.all;
	pkt->confirms = true;
	return 0;
}

/*
 * Whether conntrack sends the flow of @ct to @inst: its address, and its
 * port (an instance without one takes the service's).
 */
static bool dc_ct_goes_to(const struct nf_conn *ct,
			  const struct dc_instance *inst)
{
	const struct nf_conntrack_tuple *r =
		&ct->tuplehash[IP_CT_DIR_REPLY].tuple;
	__be16 port = READ_ONCE(inst->port);

	if (r->src.u.all != (port ?:
			ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple.dst.u.all))
		return false;
	return nf_ct_l3num(ct) == NFPROTO_IPV4 ?
	       r->src.u3.ip == inst->addr.ip :
	       ipv6_addr_equal(&r->src.u3.in6, &inst->addr.in6);
}

/*
 * The rewrite-mode service of a client's packet, with its flow key and the
 * instance its binding gives (NULL: none usable, the hit taken otherwise);
 * NULL when the packet is for no rewrite-mode service.  With @ct, the
 * packet's entry already set up: a binding that may hold several
 * connections (3tuple or 2tuple affinity, a source prefix) is not this
 * one's when conntrack sends it elsewhere (the binding went, and another
 * connection of the client made a new one since): neither its packets nor
 * its end count there.  Nor is a connection's own binding while it has no
 * answer and conntrack sends it elsewhere: a copy of its SYN, sent again
 * while the first was held in a queue, made the binding and lost the race
 * to confirm its entry.
 */
static struct dc_service *dc_rewrite_flow(struct dc_net *dn,
					  const struct dc_pkt *pkt,
					  const struct nf_conn *ct,
					  struct dc_flow_key *key,
					  struct dc_instance **inst)
{
	struct dc_service *svc;
	struct dc_binding *b;

	svc = dc_service_lookup(dn, pkt->family, &pkt->daddr, pkt->proto,
				pkt->dport);
	if (!svc || READ_ONCE(svc->mode) != DYNCAST_MODE_REWRITE)
		return NULL;
	dc_flow_key_make(key, svc, pkt);
	b = dc_binding_lookup(dn, key);
	if (b && ct && (READ_ONCE(svc->affinity) != DYNCAST_AFFINITY_5TUPLE ||
			READ_ONCE(svc->src_prefix) ||
			!test_bit(IPS_SEEN_REPLY_BIT, &ct->status)) &&
	    !dc_ct_goes_to(ct, b->inst))
		b = NULL;
	*inst = b ? dc_binding_hit(b, pkt) : NULL;
	return svc;
}

static unsigned int __dc_nat_fn(void *priv, struct sk_buff *skb,
				const struct nf_hook_state *state)
{
	struct dc_net *dn = dc_net(state->net);
	struct nf_nat_range2 range = {};
	enum ip_conntrack_info ctinfo;
	__be16 port;
	struct dc_instance *inst;
	struct dc_service *svc;
	struct dc_flow_key key;
	struct nf_conn *ct;
	struct dc_pkt pkt;

	ct = nf_ct_get(skb, &ctinfo);
	if (!ct || ctinfo != IP_CT_NEW || !dc_sid_maybe(dn, skb, state->pf))
		return NF_ACCEPT;
	/*
	 * A connection that follows a binding (3tuple, 2tuple, a source
	 * prefix) refreshes it with its first packet, which may start its
	 * demand again: no other hook sees that packet.
	 */
	if (dc_rewrite_pkt(skb, ct, &pkt))
		return NF_ACCEPT;
	svc = dc_rewrite_flow(dn, &pkt, NULL, &key, &inst);
	if (!svc)
		return NF_ACCEPT;
	if (!inst) {
		/* routing would drop it after the NAT: not bound first */
		if (!dc_source_ok(state->net, skb, state->in, &pkt))
			return NF_DROP;
		inst = dc_new_demand(state->net, skb, dn, svc, &key, &pkt, 0);
		if (!inst)
			return NF_DROP;
	}
	dc_count_packet(dn, svc, inst, pkt.len);

	range.flags = NF_NAT_RANGE_MAP_IPS;
	range.min_addr = inst->addr;
	range.max_addr = inst->addr;
	port = READ_ONCE(inst->port);
	if (port) {
		range.flags |= NF_NAT_RANGE_PROTO_SPECIFIED;
		range.min_proto.all = port;
		range.max_proto.all = port;
	}
	return nf_nat_setup_info(ct, &range, NF_NAT_MANIP_DST);
}

static unsigned int dc_nat_fn(void *priv, struct sk_buff *skb,
			      const struct nf_hook_state *state)
{
	return dc_hook_bh(__dc_nat_fn, priv, skb, state);
}

const struct nf_hook_ops dc_nat_ops[2] = {
	{
		.hook = dc_nat_fn,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP_PRI_NAT_DST - 1,
	},
	{
		.hook = dc_nat_fn,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP6_PRI_NAT_DST - 1,
	},
};

/*
 * A UDP datagram whose binding is gone, or sends its client elsewhere
 * (dc_rewrite_flow()), while conntrack still translates its flow to the
 * instance it had: for UDP the binding is the flow, so that entry goes,
 * and conntrack tracks the datagram anew, as the first of a new flow,
 * which the NAT lookup binds.  Likewise a TCP connection's SYN sent again
 * when no answer came from an instance that now takes no new demand.
 * The raw table's template is gone by now: an entry that had one's
 * settings (a zone, a helper, a timeout policy) is kept, as an answered
 * TCP connection's is, rather than made again without them.  So is an
 * entry that a flowtable carries: its flow lives, and its binding is the
 * collector's to keep.
 */
static unsigned int dc_rewrite_retrack(struct sk_buff *skb, struct nf_conn *ct,
				       const struct nf_hook_state *state)
{
	if (!nf_ct_zone_equal_any(ct, &nf_ct_zone_dflt) || nfct_help(ct) ||
	    nf_ct_timeout_find(ct) || test_bit(IPS_OFFLOAD_BIT, &ct->status))
		return NF_ACCEPT;
	nf_ct_delete(ct, 0, 0);
	nf_reset_ct(skb);
	return nf_conntrack_in(skb, state);
}

/*
 * The instance the stateless hash gives a UDP flow that has no binding
 * while the table is full, or while the service's bindings cannot be
 * made for want of memory (from a failure to the next binding made),
 * when the flow's entry translates to it already: the flow keeps that
 * entry.  Tracking it anew would only make the same
 * choice again (dc_binding_get_or_create()), at the cost of a new entry,
 * a demand counted and a window where replies go untranslated, for each
 * of its datagrams.  NULL when the service binds flows (the flow gets a
 * binding), or when the hash now gives another instance (the set
 * changed: the flow moves).
 */
static struct dc_instance *dc_rewrite_hashed(struct dc_net *dn,
					     struct dc_service *svc,
					     const struct dc_flow_key *key,
					     const struct nf_conn *ct)
{
	struct dc_instance *inst;

	if (!dc_bindings_full(dn, svc) && !READ_ONCE(svc->nomem))
		return NULL;
	inst = dc_select(svc, key, true);
	return inst && dc_ct_goes_to(ct, inst) ? inst : NULL;
}

/*
 * Packets of rewrite-mode services, after conntrack: a packet of an
 * established flow, from the client, read from its conntrack entry,
 * refreshes its binding and counts;
 * a UDP flow whose binding is gone is tracked anew (dc_rewrite_retrack()),
 * unless the table is full and the hash keeps it where it goes.
 * So is the SYN of a TCP connection sent again with no binding and no
 * answer yet when its instance takes no new demand: the instance went
 * down or away while the first SYN was held between the NAT and the
 * entry's confirmation (an NFQUEUE queue after dyncast's NAT), where the
 * walk of dc_rewrite_forget_gone() cannot see the entry; or it went to
 * drain (or weight 0), and the connection's binding expired unanswered.
 * A connection that was answered keeps its instance, as a binding's
 * expiry leaves it.
 * The first packet of a connection, its entry not yet confirmed, is the
 * NAT lookup's alone; replies and ICMP errors are conntrack's.
 */
static unsigned int __dc_rewrite_hook(void *priv, struct sk_buff *skb,
				      const struct nf_hook_state *state)
{
	struct dc_net *dn = dc_net(state->net);
	enum ip_conntrack_info ctinfo;
	struct dc_instance *inst;
	struct dc_service *svc;
	struct dc_flow_key key;
	struct nf_conn *ct;
	struct dc_pkt pkt;

	/*
	 * The filter, not the entry's NAT bit: an instance whose address
	 * and port are the service's takes its connections untranslated.
	 */
	ct = nf_ct_get(skb, &ctinfo);
	if (!ct || (ctinfo != IP_CT_ESTABLISHED && ctinfo != IP_CT_NEW) ||
	    !nf_ct_is_confirmed(ct) || !dc_sid_maybe(dn, skb, state->pf))
		return NF_ACCEPT;
	if (dc_rewrite_pkt(skb, ct, &pkt))
		return NF_ACCEPT;
	svc = dc_rewrite_flow(dn, &pkt, ct, &key, &inst);
	if (!svc)
		return NF_ACCEPT;
	if (inst) {
		dc_count_packet(dn, svc, inst, pkt.len);
		return NF_ACCEPT;
	}
	if (!test_bit(IPS_DST_NAT_BIT, &ct->status))
		return NF_ACCEPT;
	if (pkt.proto == IPPROTO_TCP) {
		if (ctinfo != IP_CT_NEW || !pkt.syn ||
		    dc_instance_takes_new(svc,
					  &ct->tuplehash[IP_CT_DIR_REPLY].tuple.src.u3))
			return NF_ACCEPT;
		return dc_rewrite_retrack(skb, ct, state);
	}
	inst = dc_rewrite_hashed(dn, svc, &key, ct);
	if (inst) {
		dc_count_packet(dn, svc, inst, pkt.len);
		return NF_ACCEPT;
	}
	return dc_rewrite_retrack(skb, ct, state);
}

static unsigned int dc_rewrite_hook(void *priv, struct sk_buff *skb,
				    const struct nf_hook_state *state)
{
	return dc_hook_bh(__dc_rewrite_hook, priv, skb, state);
}

const struct nf_hook_ops dc_rewrite_ops[2] = {
	{
		.hook = dc_rewrite_hook,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP_PRI_CONNTRACK + 1,
	},
	{
		.hook = dc_rewrite_hook,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP6_PRI_CONNTRACK + 1,
	},
};

/*
 * Whether the connection of a binding sits in a flowtable ("flow add"):
 * its packets then pass none of our hooks, and the collector keeps the
 * binding alive for it.  Only a rewrite-mode binding of 5tuple affinity
 * without a source prefix names one connection, which conntrack can be
 * asked for (default zone).  In process context.
 */
bool dc_rewrite_offloaded(struct net *net, const struct dc_binding *b)
{
	const struct dc_service *svc = b->inst->svc;
	const struct dc_flow_key *key = dc_binding_key(b);
	struct nf_conntrack_tuple_hash *h;
	struct nf_conntrack_tuple tuple;
	struct nf_conn *ct;
	bool ret;

	if (READ_ONCE(svc->mode) != DYNCAST_MODE_REWRITE ||
	    READ_ONCE(svc->affinity) != DYNCAST_AFFINITY_5TUPLE ||
	    READ_ONCE(svc->src_prefix))
		return false;
	memset(&tuple, 0, sizeof(tuple));
	tuple.src.l3num = svc->family;
	if (svc->family == AF_INET)
		tuple.src.u3.ip = key->saddr.ip;
	else
		tuple.src.u3.in6 = key->saddr.in6;
	tuple.src.u.all = key->sport;
	tuple.dst.u3 = svc->addr;
	tuple.dst.u.all = key->dport;
	tuple.dst.protonum = svc->proto;
	tuple.dst.dir = IP_CT_DIR_ORIGINAL;

	rcu_read_lock();
	h = nf_conntrack_find_get(net, &nf_ct_zone_dflt, &tuple);
	rcu_read_unlock();
	if (!h)
		return false;
	ct = nf_ct_tuplehash_to_ctrack(h);
	/* the client's connection, translated to this binding's instance */
	ret = NF_CT_DIRECTION(h) == IP_CT_DIR_ORIGINAL &&
	      test_bit(IPS_OFFLOAD_BIT, &ct->status) &&
	      nf_inet_addr_cmp(&ct->tuplehash[IP_CT_DIR_REPLY].tuple.src.u3,
			       &b->inst->addr);
	nf_ct_put(ct);
	return ret;
}

struct dc_ct_match {
	const struct dc_service *svc;
	/* the instances' addresses, sorted; NULL: any instance */
	const union nf_inet_addr *addrs;
	unsigned int n;
};

static int dc_ct_match(struct nf_conn *ct, void *data)
{
	const struct dc_ct_match *m = data;
	const struct dc_service *svc = m->svc;
	const struct nf_conntrack_tuple *orig, *reply;

	if (!test_bit(IPS_DST_NAT_BIT, &ct->status))
		return 0;
	orig = &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	reply = &ct->tuplehash[IP_CT_DIR_REPLY].tuple;
	if (orig->src.l3num != svc->family ||
	    orig->dst.protonum != svc->proto ||
	    (svc->port && orig->dst.u.all != svc->port) ||
	    !nf_inet_addr_cmp(&orig->dst.u3, &svc->addr))
		return 0;
	/* IPv4: the unused words are zero on both sides (nf_inet_addr_cmp()) */
	if (m->addrs && !bsearch(&reply->src.u3, m->addrs, m->n,
				 sizeof(*m->addrs), dc_addr_cmp))
		return 0;
	/*
	 * an every-port service's, unless another rewrite-mode service of
	 * the address takes that port and has an instance at the address the
	 * connection goes to: then it is that one's (or made before it came,
	 * which nothing tells apart).  A service being deleted is found no
	 * more; none comes or goes during the walk (dn->lock).
	 */
	if (!svc->port) {
		struct dc_service *other;

		rcu_read_lock();
		other = dc_service_lookup(svc->dn, svc->family, &orig->dst.u3,
					  svc->proto, orig->dst.u.all);
		rcu_read_unlock();
		if (other && other != svc &&
		    other->mode == DYNCAST_MODE_REWRITE &&
		    dc_instance_find(other, &reply->src.u3))
			return 0;
	}
	return 1;
}

static void dc_rewrite_walk(const struct dc_service *svc,
			    const union nf_inet_addr *addrs, unsigned int n)
{
	struct dc_ct_match m = {
		.svc = svc,
		.addrs = addrs,
		.n = n,
	};
	struct nf_ct_iter_data data = {
		.net = svc->dn->net,
		.data = &m,
	};

	nf_ct_iterate_cleanup_net(dc_ct_match, &data);
}

/*
 * Drop the connections translated to any instance of a service, which
 * goes, or leaves rewrite mode.  A packet that found it a rewrite-mode
 * service before, and set up its connection's translation, has the
 * connection confirmed before it leaves its read-side section: after a
 * grace period the walk finds it (as in dc_instances_gone()).  Not when
 * the namespace or the module goes (dc_net_services_exit()): a grace
 * period per service would make that slow, and a connection set up
 * meanwhile outlives dyncast as one nftables translated outlives its rule.
 */
void dc_rewrite_forget(const struct dc_service *svc)
{
	if (!svc->dn->exiting)
		synchronize_rcu();
	dc_rewrite_walk(svc, NULL, 0);
}

/*
 * Drop the connections translated to the instances on @gone (inst->gone),
 * which went down or away: one walk of the conntrack table for them all,
 * or, short of memory for their addresses, one each.
 */
void dc_rewrite_forget_gone(const struct dc_service *svc,
			    const struct list_head *gone)
{
	union nf_inet_addr *addrs;
	struct dc_instance *inst;
	unsigned int n = 0;

	list_for_each_entry(inst, gone, gone)
		n++;
	addrs = kvmalloc_array(n, sizeof(*addrs), GFP_KERNEL | __GFP_NOWARN);
	if (!addrs) {
		list_for_each_entry(inst, gone, gone)
			dc_rewrite_walk(svc, &inst->addr, 1);
		return;
	}
	n = 0;
	list_for_each_entry(inst, gone, gone)
		addrs[n++] = inst->addr;
	sort(addrs, n, sizeof(*addrs), dc_addr_cmp, NULL);
	dc_rewrite_walk(svc, addrs, n);
	kvfree(addrs);
}

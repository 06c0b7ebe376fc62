// SPDX-License-Identifier: GPL-2.0
/*
 * dyncast: the PREROUTING hooks, IPv4 and IPv6.
 *
 * Registered in a namespace only while it has a tunnel-mode or forwarder
 * service of that family.  Priority NF_IP_PRI_RAW + 10: after the raw
 * table (so an operator can drop or untrack before dyncast), before
 * conntrack.  It reassembles the fragments addressed to services itself
 * (dc_defrag()), so that every packet it steers shows its ports.
 * Tunnel mode takes its packets here, before conntrack, and leaves no
 * conntrack entry behind for flows whose replies never come back through
 * this router.  A forwarder (fwd_forwarder.c) tunnels bound flows like
 * tunnel mode and sends the rest to its D-Router.  Rewrite mode has hooks
 * of its own, with conntrack (rewrite.c), registered here too.
 */

#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/tcp.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/ipv6_frag.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_nat.h>
#include <net/netfilter/ipv6/nf_defrag_ipv6.h>

#include "dyncast.h"
#include "binding.h"
#include "demand.h"
#include "fwd_forwarder.h"
#include "hooks.h"
#include "rewrite.h"
#include "service.h"
#include "stats.h"
#include "tunnel.h"

static bool dc_icmp_is_error(u8 family, u8 type)
{
	if (family == AF_INET)
		return type == ICMP_DEST_UNREACH || type == ICMP_SOURCE_QUENCH ||
		       type == ICMP_TIME_EXCEEDED || type == ICMP_PARAMETERPROB;
	return type < 128;	/* RFC 4443: errors are 0..127 */
}

/*
 * Addresses and protocol of an IP header at @off; the L4 offset in *l4off.
 * -EAGAIN for a fragment when @frag_ok is false, else -EINVAL for one that
 * is not the first (no ports to read).
 */
static int dc_parse_ip(struct sk_buff *skb, u8 family, unsigned int off,
		       struct dc_pkt *pkt, unsigned int *l4off, bool frag_ok)
{
	if (family == AF_INET) {
		struct iphdr _iph;
		const struct iphdr *iph;

		iph = skb_header_pointer(skb, off, sizeof(_iph), &_iph);
		if (!iph || iph->ihl < 5 || iph->version != 4)
			return -EINVAL;
		if (iph->frag_off & htons(IP_MF | IP_OFFSET)) {
			if (!frag_ok)
				return -EAGAIN;
			if (iph->frag_off & htons(IP_OFFSET))
				return -EINVAL;
		}
		pkt->saddr.ip = iph->saddr;
		pkt->daddr.ip = iph->daddr;
		pkt->proto = iph->protocol;
		*l4off = off + iph->ihl * 4;
	} else {
		struct ipv6hdr _ip6h;
		const struct ipv6hdr *ip6h;
		__be16 frag_off;
		u8 nexthdr;
		int hoff;

		ip6h = skb_header_pointer(skb, off, sizeof(_ip6h), &_ip6h);
		if (!ip6h || ip6h->version != 6)
			return -EINVAL;
		pkt->saddr.in6 = ip6h->saddr;
		pkt->daddr.in6 = ip6h->daddr;
		nexthdr = ip6h->nexthdr;
		hoff = ipv6_skip_exthdr(skb, off + sizeof(_ip6h), &nexthdr,
					&frag_off);
		if (hoff < 0)
			return -EINVAL;
		/* the offset, and IP6_MF */
		if (frag_off & htons(IP6_OFFSET | IP6_MF)) {
			if (!frag_ok)
				return -EAGAIN;
			if (frag_off & htons(IP6_OFFSET))
				return -EINVAL;
		}
		pkt->proto = nexthdr;
		*l4off = hoff;
	}
	return 0;
}

/* The ports and what the hooks need of a TCP or UDP header at @off. */
int dc_pkt_l4(struct sk_buff *skb, unsigned int off, struct dc_pkt *pkt)
{
	const __be16 *ports;
	__be16 _ports[2];

	if (pkt->proto == IPPROTO_TCP) {
		struct tcphdr _th;
		const struct tcphdr *th;

		th = skb_header_pointer(skb, off, sizeof(_th), &_th);
		if (!th)
			return -EINVAL;
		pkt->sport = th->source;
		pkt->dport = th->dest;
		pkt->syn = th->syn && !th->ack && !th->rst;
		pkt->fin_rst = th->fin || th->rst;
		/* the handshake's ACK, or anything after it */
		pkt->confirms = th->ack && !th->syn && !th->rst;
		return 0;
	}
	if (pkt->proto != IPPROTO_UDP)
		return -EINVAL;
	ports = skb_header_pointer(skb, off, sizeof(_ports), _ports);
	if (!ports)
		return -EINVAL;
	pkt->sport = ports[0];
	pkt->dport = ports[1];
	/* a datagram that finds its flow bound is a second one */
	pkt->confirms = true;
	return 0;
}

/*
 * Read what the hooks need of a packet.  An ICMP error is read as the flow
 * it is about, seen from the client: its quoted packet went from the
 * service to the client, so addresses and ports are swapped back.
 * pkt->icmp_err tells the two apart.  A fragment gives -EAGAIN: it must be
 * reassembled first (dc_defrag()); the quoted packet of an ICMP error may be
 * a first fragment.
 */
int dc_pkt_parse(struct sk_buff *skb, u8 family, struct dc_pkt *pkt,
		 unsigned int *l4off)
{
	unsigned int off;
	__be16 _ports[2];
	const __be16 *ports;
	int ret;

	memset(pkt, 0, sizeof(*pkt));
	pkt->family = family;
	pkt->len = skb->len;
	ret = dc_parse_ip(skb, family, skb_network_offset(skb), pkt, &off,
			  false);
	if (ret)
		return ret;

	if (pkt->proto == IPPROTO_ICMP || pkt->proto == IPPROTO_ICMPV6) {
		struct dc_pkt inner;
		u8 _type;
		const u8 *type;

		if (pkt->proto != (family == AF_INET ? IPPROTO_ICMP :
						       IPPROTO_ICMPV6))
			return -EINVAL;
		type = skb_header_pointer(skb, off, 1, &_type);
		if (!type || !dc_icmp_is_error(family, *type))
			return -EINVAL;
		memset(&inner, 0, sizeof(inner));
		if (dc_parse_ip(skb, family, off + 8, &inner, &off, true))
			return -EINVAL;
		if (inner.proto != IPPROTO_TCP && inner.proto != IPPROTO_UDP)
			return -EINVAL;
		ports = skb_header_pointer(skb, off, sizeof(_ports), _ports);
		if (!ports)
			return -EINVAL;
		pkt->saddr = inner.daddr;
		pkt->daddr = inner.saddr;
		pkt->proto = inner.proto;
		pkt->sport = ports[1];
		pkt->dport = ports[0];
		pkt->icmp_err = true;
		*l4off = off;
		return 0;
	}

	*l4off = off;
	return dc_pkt_l4(skb, off, pkt);
}

/*
 * Reassemble a fragment addressed to a service, as nf_defrag would (the
 * same queues: when conntrack's reassembly runs in the namespace, no
 * fragment reaches this hook), but only those: fragments routed elsewhere
 * pass untouched, and no packet pays a defragmentation hook, neither in
 * PREROUTING nor, for the tunnel's outer packets, in LOCAL_OUT.  Returns
 * NF_ACCEPT with the whole packet in @skb, or the verdict on a fragment
 * queued or dropped.
 */
static unsigned int dc_defrag(struct sk_buff *skb,
			      const struct nf_hook_state *state)
{
	int err;

	if (state->pf == NFPROTO_IPV4) {
		err = ip_defrag(state->net, skb, IP_DEFRAG_CONNTRACK_IN);
		if (err)
			return NF_STOLEN;	/* queued, or freed */
		skb->ignore_df = 1;
		return NF_ACCEPT;
	}
	err = nf_ct_frag6_gather(state->net, skb, IP6_DEFRAG_CONNTRACK_IN);
	if (err == -EINPROGRESS)
		return NF_STOLEN;
	return err ? NF_DROP : NF_ACCEPT;
}

/*
 * Whether a fragment is addressed to a service: the address filter told
 * only that it may be, and a fragment in transit must pass as it came.
 */
static bool dc_frag_to_sid(struct dc_net *dn, const struct sk_buff *skb,
			   u8 family)
{
	union nf_inet_addr daddr = {};

	if (family == AF_INET)
		daddr.ip = ip_hdr(skb)->daddr;
	else
		daddr.in6 = ipv6_hdr(skb)->daddr;
	return dc_sid_exists(dn, family, &daddr);
}

static unsigned int __dc_hook(void *priv, struct sk_buff *skb,
			      const struct nf_hook_state *state)
{
	u8 family = state->pf == NFPROTO_IPV4 ? AF_INET : AF_INET6;
	struct dc_net *dn = dc_net(state->net);
	struct dc_instance *inst = NULL;
	struct dc_service *svc;
	struct dc_binding *b;
	struct dc_flow_key key;
	struct dc_pkt pkt;
	unsigned int l4off, verdict;
	int err;

	if (!dc_sid_maybe(dn, skb, state->pf))
		return NF_ACCEPT;
	err = dc_pkt_parse(skb, family, &pkt, &l4off);
	if (unlikely(err == -EAGAIN)) {
		if (!dc_frag_to_sid(dn, skb, family))
			return NF_ACCEPT;
		verdict = dc_defrag(skb, state);
		if (verdict != NF_ACCEPT)
			return verdict;
		/* still a fragment when IPv6 could not reassemble it */
		err = dc_pkt_parse(skb, family, &pkt, &l4off);
	}
	if (err)
		return NF_ACCEPT;
	svc = dc_service_lookup(dn, pkt.family, &pkt.daddr, pkt.proto,
				pkt.dport);
	if (!svc)
		return NF_ACCEPT;

	/* conntrack NAT carries the packet, see rewrite.c */
	if (READ_ONCE(svc->mode) == DYNCAST_MODE_REWRITE)
		return NF_ACCEPT;

	dc_flow_key_make(&key, svc, &pkt);
	b = dc_binding_lookup(dn, &key);
	if (b)
		inst = dc_binding_hit(b, &pkt);
	/* what starts a demand passes routing's checks of its source */
	if (!inst && !pkt.icmp_err &&
	    !dc_source_ok(state->net, skb, state->in, &pkt))
		return NF_DROP;
	if (READ_ONCE(svc->mode) == DYNCAST_MODE_FORWARD)
		return dc_fwd_steer(state->net, skb, dn, svc, inst, &pkt);

	if (pkt.icmp_err) {
		/* About a flow we do not know: leave it to routing. */
		if (!inst)
			return NF_ACCEPT;
	} else if (!inst) {
		inst = dc_new_demand(state->net, skb, dn, svc, &key, &pkt, 0);
		if (!inst)
			return NF_DROP;
	}
	dc_count_packet(dn, svc, inst, pkt.len);
	return dc_tunnel_xmit(state->net, skb, inst) ? NF_DROP : NF_STOLEN;
}

static unsigned int dc_hook(void *priv, struct sk_buff *skb,
			    const struct nf_hook_state *state)
{
	return dc_hook_bh(__dc_hook, priv, skb, state);
}

static const struct nf_hook_ops dc_ops[2] = {
	{
		.hook = dc_hook,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP_PRI_RAW + 10,
	},
	{
		.hook = dc_hook,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP6_PRI_RAW + 10,
	},
};

static int dc_nat_register(struct net *net, int idx)
{
	u8 pf = idx ? NFPROTO_IPV6 : NFPROTO_IPV4;
	int ret;

	ret = nf_ct_netns_get(net, pf);
	if (ret)
		return ret;
	ret = idx ? nf_nat_ipv6_register_fn(net, &dc_nat_ops[1]) :
		    nf_nat_ipv4_register_fn(net, &dc_nat_ops[0]);
	if (ret)
		goto err_ct;
	ret = nf_register_net_hook(net, &dc_rewrite_ops[idx]);
	if (ret)
		goto err_nat;
	return 0;

err_nat:
	if (idx)
		nf_nat_ipv6_unregister_fn(net, &dc_nat_ops[1]);
	else
		nf_nat_ipv4_unregister_fn(net, &dc_nat_ops[0]);
err_ct:
	nf_ct_netns_put(net, pf);
	return ret;
}

static void dc_nat_unregister(struct net *net, int idx)
{
	nf_unregister_net_hook(net, &dc_rewrite_ops[idx]);
	if (idx) {
		nf_nat_ipv6_unregister_fn(net, &dc_nat_ops[1]);
		nf_ct_netns_put(net, NFPROTO_IPV6);
	} else {
		nf_nat_ipv4_unregister_fn(net, &dc_nat_ops[0]);
		nf_ct_netns_put(net, NFPROTO_IPV4);
	}
}

/*
 * Register or unregister the hooks of a namespace as its services need
 * (dc_net_sync()): the PREROUTING hook while a family has a service,
 * conntrack and the NAT lookup hook while it has a rewrite-mode service.
 * Unregistering cannot fail.
 */
int dc_hooks_update(struct dc_net *dn, const struct dc_needs *n)
{
	struct net *net = dn->net;
	int idx, ret;

	lockdep_assert_held(&dn->lock);
	for (idx = 0; idx < 2; idx++) {
		bool want_hooks = n->hooks[idx];
		bool want_nat = n->nat[idx];

		if (want_hooks && !dn->hooks_on[idx]) {
			ret = nf_register_net_hook(net, &dc_ops[idx]);
			if (ret)
				return ret;
			dn->hooks_on[idx] = true;
		}
		if (want_nat && !dn->nat_on[idx]) {
			ret = dc_nat_register(net, idx);
			if (ret)
				return ret;
			dn->nat_on[idx] = true;
		}
		if (!want_nat && dn->nat_on[idx]) {
			dc_nat_unregister(net, idx);
			dn->nat_on[idx] = false;
		}
		if (!want_hooks && dn->hooks_on[idx]) {
			nf_unregister_net_hook(net, &dc_ops[idx]);
			dn->hooks_on[idx] = false;
		}
	}
	return 0;
}

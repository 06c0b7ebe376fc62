// SPDX-License-Identifier: GPL-2.0
/*
 * dyncast: steering by encapsulation.
 *
 * The client's packet is carried unchanged in IPIP (IPv4) or IPv6-in-IPv6
 * to the instance, which holds the service address on a local interface
 * and decapsulates with a stock ipip or ip6tnl device; it answers the
 * client directly.  A packet that no longer fits the path once
 * encapsulated is answered with the ICMP error the client needs to lower
 * its path MTU, as a router would; IPv4 packets without DF are sent and
 * fragmented on the way out.  Like a router, too, it decrements the
 * packet's TTL or hop limit and answers "time exceeded" when none is left:
 * a packet steered in a loop (an instance that is this router itself,
 * routers steering to each other) dies after as many hops as it had.
 *
 * The route to each instance is kept with it, checked for validity on
 * each use as tunnel devices do, and attached to the packets without a
 * reference, as IPVS does: the cache holds the one reference, and is
 * freed after an RCU grace period when replaced, so that packets of many
 * CPUs share the route without writing its reference count.  Packets
 * with a mark, or IPv4 packets with a TOS (which policy routing may route
 * otherwise), are routed one by one.  Outer packets are not tracked by
 * conntrack (as IPVS does with its own): they are this router's, and
 * their flows' state is the binding.
 */

#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <net/dsfield.h>
#include <net/icmp.h>
#include <net/inet_ecn.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/ip_tunnels.h>
#include <net/ipv6.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/route.h>

#include "dyncast.h"
#include "stats.h"
#include "tunnel.h"

/* A route to an instance, and the source address it gives */
struct dc_route {
	struct dst_entry *dst;		/* the cache's reference */
	union nf_inet_addr saddr;
	u32 cookie;			/* IPv6: of the fib entry */
	struct rcu_head rcu;
};

void dc_route_free(struct dc_route *r)
{
	if (r) {
		dst_release(r->dst);
		kfree(r);
	}
}

static void dc_route_free_rcu(struct rcu_head *rcu)
{
	dc_route_free(container_of(rcu, struct dc_route, rcu));
}

/* The instance's route, if still valid: under RCU, no reference taken */
static struct dc_route *dc_route_get(struct dc_instance *inst)
{
	struct dc_route *r = rcu_dereference(inst->route);

	if (r && r->dst->obsolete && !r->dst->ops->check(r->dst, r->cookie))
		return NULL;
	return r;
}

/*
 * Caches @dst (whose reference stays the caller's) with @saddr as the
 * instance's route; the route before is freed once no reader is left.
 * Without memory, the instance has none: each packet is routed.
 */
static void dc_route_set(struct dc_instance *inst, struct dst_entry *dst,
			 const union nf_inet_addr *saddr, u32 cookie)
{
	struct dc_route *r, *old;

	r = kmalloc(sizeof(*r), GFP_ATOMIC | __GFP_NOWARN);
	if (r) {
		dst_hold(dst);
		r->dst = dst;
		r->saddr = *saddr;
		r->cookie = cookie;
	}
	spin_lock_bh(&inst->route_lock);
	old = rcu_replace_pointer(inst->route, r,
				  lockdep_is_held(&inst->route_lock));
	spin_unlock_bh(&inst->route_lock);
	if (old)
		call_rcu(&old->rcu, dc_route_free_rcu);
}

/*
 * Whether a packet fits a path of MTU @mtu.  A packet reassembled from
 * fragments is judged by its largest fragment, as ip_forward() does: the
 * client already sends below that, and the packet leaves in fragments.
 */
bool dc_fits(const struct sk_buff *skb, u8 family, unsigned int mtu)
{
	u16 frag_max = family == AF_INET ? IPCB(skb)->frag_max_size :
					   IP6CB(skb)->frag_max_size;

	if (frag_max)
		return frag_max <= mtu;
	if (skb->len <= mtu)
		return true;
	return skb_is_gso(skb) && skb_gso_validate_network_len(skb, mtu);
}

/*
 * icmp_send() answers from the route the packet took; in PREROUTING it has
 * none yet, so give it the route back to the client, as nf_reject does.
 */
static int dc_route_back4(struct net *net, struct sk_buff *skb)
{
	struct flowi4 fl4 = {
		.daddr = ip_hdr(skb)->saddr,
		.flowi4_mark = skb->mark,
	};
	struct rtable *rt;

	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	skb_dst_drop(skb);
	skb_dst_set(skb, &rt->dst);
	return 0;
}

static void dc_too_big4(struct net *net, struct sk_buff *skb, unsigned int mtu)
{
	if (!dc_route_back4(net, skb))
		icmp_send(skb, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, htonl(mtu));
}

/* The packet's TTL or hop limit ran out here: tell the client. */
static void dc_ttl_expired(struct net *net, struct sk_buff *skb, u8 family)
{
	if (family == AF_INET) {
		if (!dc_route_back4(net, skb))
			icmp_send(skb, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, 0);
	} else {
		icmpv6_send(skb, ICMPV6_TIME_EXCEED, ICMPV6_EXC_HOPLIMIT, 0);
	}
}

/* Tell the client that its packet does not fit the path (MTU @mtu). */
void dc_too_big(struct net *net, struct sk_buff *skb, u8 family,
		unsigned int mtu)
{
	if (family == AF_INET)
		dc_too_big4(net, skb, mtu);
	else
		icmpv6_send(skb, ICMPV6_PKT_TOOBIG, 0, mtu);
}

static int dc_xmit4(struct net *net, struct sk_buff *skb,
		    struct dc_instance *inst, struct dc_service *svc)
{
	const struct iphdr *old = ip_hdr(skb);
	struct flowi4 fl4 = {
		.daddr = inst->addr.ip,
		.flowi4_proto = IPPROTO_IPIP,
		.flowi4_tos = RT_TOS(old->tos),
		.flowi4_mark = skb->mark,
	};
	__be16 df = old->frag_off & htons(IP_DF);
	bool cache = !skb->mark && !RT_TOS(old->tos);
	u8 tos = old->tos;
	struct dc_route *r = NULL;
	struct iphdr *iph;
	struct rtable *rt;
	unsigned int mtu;

	if (old->ttl <= 1) {
		dc_ttl_expired(net, skb, AF_INET);
		return -ETIMEDOUT;
	}
	if (cache)
		r = dc_route_get(inst);
	if (r) {
		rt = (struct rtable *)r->dst;
		fl4.saddr = r->saddr.ip;
	} else {
		rt = ip_route_output_key(net, &fl4);
		if (IS_ERR(rt))
			return -EHOSTUNREACH;
		if (rt->rt_type != RTN_UNICAST && rt->rt_type != RTN_LOCAL) {
			ip_rt_put(rt);
			return -EHOSTUNREACH;
		}
		if (cache)
			dc_route_set(inst, &rt->dst,
				     &(union nf_inet_addr){ .ip = fl4.saddr }, 0);
	}

	mtu = dst_mtu(&rt->dst) - sizeof(struct iphdr);
	if (df && !dc_fits(skb, AF_INET, mtu)) {
		if (!r)
			ip_rt_put(rt);
		dc_count_event(svc->dn, svc, DC_STAT_TOO_BIG);
		dc_too_big(net, skb, AF_INET, mtu);
		return -EMSGSIZE;
	}
	/*
	 * Reassembled from fragments with DF: its fragments fit, so the
	 * outer packet may be fragmented (ip_forward() refragments such a
	 * packet too, keeping DF on the fragments, which an outer header
	 * cannot say).
	 */
	if (IPCB(skb)->frag_max_size)
		df = 0;
	/*
	 * reassembled this close to 64 KiB, no outer packet holds it (an
	 * aggregate of GRO leaves as its segments: dc_fits() judged them)
	 */
	if (!skb_is_gso(skb) && skb->len + sizeof(struct iphdr) > IP_MAX_MTU) {
		if (!r)
			ip_rt_put(rt);
		dc_count_event(svc->dn, svc, DC_STAT_TOO_BIG);
		return -EMSGSIZE;
	}

	if (skb_cow_head(skb, LL_RESERVED_SPACE(rt->dst.dev) +
			      sizeof(struct iphdr)) ||
	    iptunnel_handle_offloads(skb, SKB_GSO_IPXIP4)) {
		if (!r)
			ip_rt_put(rt);
		return -ENOMEM;
	}
	/* the header is ours to write since skb_cow_head() */
	ip_decrease_ttl(ip_hdr(skb));
	skb_set_inner_ipproto(skb, IPPROTO_IPIP);
	skb->transport_header = skb->network_header;
	skb_set_inner_mac_header(skb, skb_inner_network_offset(skb));

	nf_reset_ct(skb);
	nf_ct_set(skb, NULL, IP_CT_UNTRACKED);
	/* a receive time stamp is no departure time for fq (as IPVS) */
	skb_clear_tstamp(skb);
	skb_dst_drop(skb);
	if (r)
		skb_dst_set_noref(skb, &rt->dst);
	else
		skb_dst_set(skb, &rt->dst);

	skb_push(skb, sizeof(struct iphdr));
	skb_reset_network_header(skb);
	memset(IPCB(skb), 0, sizeof(*IPCB(skb)));
	iph = ip_hdr(skb);
	iph->version = 4;
	iph->ihl = sizeof(struct iphdr) >> 2;
	iph->frag_off = df;
	iph->protocol = IPPROTO_IPIP;
	iph->tos = INET_ECN_encapsulate(tos, tos);
	iph->saddr = fl4.saddr;
	iph->daddr = fl4.daddr;
	iph->ttl = ip4_dst_hoplimit(&rt->dst);
	ip_select_ident(net, skb, NULL);
	/* The size was checked above: outer fragments only without DF. */
	skb->ignore_df = !df;

	ip_local_out(net, NULL, skb);
	return 0;
}

static int dc_xmit6(struct net *net, struct sk_buff *skb,
		    struct dc_instance *inst, struct dc_service *svc)
{
	const struct ipv6hdr *old = ipv6_hdr(skb);
	struct flowi6 fl6 = {
		.daddr = inst->addr.in6,
		.flowi6_proto = IPPROTO_IPV6,
		.flowi6_mark = skb->mark,
	};
	__be32 flowlabel = ip6_flowlabel(old);
	u8 tclass = ipv6_get_dsfield(old);
	struct dc_route *r = NULL;
	struct dst_entry *dst;
	struct ipv6hdr *ip6h;
	unsigned int mtu;

	if (old->hop_limit <= 1) {
		dc_ttl_expired(net, skb, AF_INET6);
		return -ETIMEDOUT;
	}
	if (!skb->mark)
		r = dc_route_get(inst);
	if (r) {
		dst = r->dst;
		fl6.saddr = r->saddr.in6;
	} else {
		dst = ip6_dst_lookup_flow(net, NULL, &fl6, NULL);
		if (IS_ERR(dst))
			return -EHOSTUNREACH;
		if (!skb->mark)
			dc_route_set(inst, dst,
				     &(union nf_inet_addr){ .in6 = fl6.saddr },
				     rt6_get_cookie((struct rt6_info *)dst));
	}

	mtu = dst_mtu(dst) - sizeof(struct ipv6hdr);
	if (mtu < IPV6_MIN_MTU)
		mtu = IPV6_MIN_MTU;
	if (!dc_fits(skb, AF_INET6, mtu)) {
		if (!r)
			dst_release(dst);
		dc_count_event(svc->dn, svc, DC_STAT_TOO_BIG);
		dc_too_big(net, skb, AF_INET6, mtu);
		return -EMSGSIZE;
	}
	/* the same, for the outer payload length */
	if (!skb_is_gso(skb) && skb->len > IPV6_MAXPLEN) {
		if (!r)
			dst_release(dst);
		dc_count_event(svc->dn, svc, DC_STAT_TOO_BIG);
		return -EMSGSIZE;
	}

	if (skb_cow_head(skb, LL_RESERVED_SPACE(dst->dev) +
			      sizeof(struct ipv6hdr)) ||
	    iptunnel_handle_offloads(skb, SKB_GSO_IPXIP6)) {
		if (!r)
			dst_release(dst);
		return -ENOMEM;
	}
	ipv6_hdr(skb)->hop_limit--;
	skb_set_inner_ipproto(skb, IPPROTO_IPV6);
	skb->transport_header = skb->network_header;
	skb_set_inner_mac_header(skb, skb_inner_network_offset(skb));

	nf_reset_ct(skb);
	nf_ct_set(skb, NULL, IP_CT_UNTRACKED);
	skb_clear_tstamp(skb);
	skb_dst_drop(skb);
	if (r)
		skb_dst_set_noref(skb, dst);
	else
		skb_dst_set(skb, dst);

	skb_push(skb, sizeof(struct ipv6hdr));
	skb_reset_network_header(skb);
	memset(IP6CB(skb), 0, sizeof(*IP6CB(skb)));
	ip6h = ipv6_hdr(skb);
	ip6_flow_hdr(ip6h, INET_ECN_encapsulate(tclass, tclass), flowlabel);
	ip6h->nexthdr = IPPROTO_IPV6;
	ip6h->hop_limit = ip6_dst_hoplimit(dst);
	ip6h->saddr = fl6.saddr;
	ip6h->daddr = fl6.daddr;
	/*
	 * A path below the IPv6 minimum MTU: the packet fits 1280, so the
	 * outer packet is fragmented here, as RFC 2473 allows.
	 */
	skb->ignore_df = 1;

	ip6_local_out(net, NULL, skb);
	return 0;
}

/*
 * Send the packet to the instance: 0 when sent, and @skb consumed; else an
 * error, counted, and @skb is the caller's to drop.
 */
int dc_tunnel_xmit(struct net *net, struct sk_buff *skb,
		   struct dc_instance *inst)
{
	struct dc_service *svc = inst->svc;
	int ret;

	if (svc->family == AF_INET)
		ret = dc_xmit4(net, skb, inst, svc);
	else
		ret = dc_xmit6(net, skb, inst, svc);
	/* too big or out of hops: counted or not, and the client told */
	if (ret && ret != -EMSGSIZE && ret != -ETIMEDOUT)
		dc_count_event(svc->dn, svc, DC_STAT_XMIT_ERRORS);
	return ret;
}

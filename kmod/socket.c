// SPDX-License-Identifier: GPL-2.0
/*
 * dyncast: the UDP sockets that carry the messages between D-Forwarders and
 * D-Routers.
 *
 * A namespace opens a kernel UDP socket per family, on port dc_fwd_port,
 * while it has a service of that family with a key: a D-Router takes misses
 * on it, a forwarder Binding Info and notices.  The socket is a UDP tunnel
 * socket (as VXLAN's or WireGuard's): the UDP layer checks the checksum
 * and hands every datagram to dc_sock_rcv() in softirq, and messages go out
 * through the UDP tunnel transmit helpers.
 */

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/route.h>
#include <net/udp.h>
#include <net/udp_tunnel.h>

#include "dyncast.h"
#include "fwd.h"
#include "fwd_forwarder.h"
#include "fwd_router.h"
#include "socket.h"
#include "stats.h"

/*
 * The route of a message to @daddr, from @saddr when given (a D-Router
 * answers from the address a miss came to).  Fills the outer addresses the
 * tag covers.
 */
int dc_fwd_route(struct net *net, u8 family, const union nf_inet_addr *daddr,
		 const union nf_inet_addr *saddr, u32 mark,
		 struct dc_fwd_addrs *a, struct dst_entry **dstp)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	if (family == AF_INET) {
		struct flowi4 fl4 = {
			.daddr = daddr->ip,
			.saddr = saddr ? saddr->ip : 0,
			.flowi4_proto = IPPROTO_UDP,
			.flowi4_mark = mark,
		};
		struct rtable *rt;

		rt = ip_route_output_key(net, &fl4);
		if (IS_ERR(rt))
			return PTR_ERR(rt);
		if (rt->rt_type != RTN_UNICAST && rt->rt_type != RTN_LOCAL) {
			ip_rt_put(rt);
			return -EHOSTUNREACH;
		}
		a->src.ip = fl4.saddr;
		a->dst.ip = fl4.daddr;
		*dstp = &rt->dst;
	} else {
		struct flowi6 fl6 = {
			.daddr = daddr->in6,
			.saddr = saddr ? saddr->in6 : in6addr_any,
			.flowi6_proto = IPPROTO_UDP,
			.flowi6_mark = mark,
		};
		struct dst_entry *dst;

		dst = ip6_dst_lookup_flow(net, NULL, &fl6, NULL);
		if (IS_ERR(dst))
			return PTR_ERR(dst);
		a->src.in6 = fl6.saddr;
		a->dst.in6 = fl6.daddr;
		*dstp = dst;
	}
	return 0;
}

/*
 * Send a message, @skb starting at its header, along @dst (whose reference
 * is taken over) from a->src to a->dst.  IPv4 messages keep the DF bit of
 * what they carry (skb->ignore_df clear) or let the outer packet be
 * fragmented (set).  Consumes @skb.
 */
int dc_fwd_xmit(struct dc_net *dn, struct sk_buff *skb, struct dst_entry *dst,
		const struct dc_fwd_addrs *a, __be16 df, __be16 sport)
{
	struct socket *sock;
	int ret = 0;

	skb_scrub_packet(skb, false);
	/* a receive time stamp is no departure time for fq */
	skb_clear_tstamp(skb);
	/* the tunnel helpers count on skb->dev when it is a tunnel device */
	skb->dev = NULL;
	skb->ip_summed = CHECKSUM_NONE;

	rcu_read_lock_bh();
	sock = rcu_dereference_bh(dn->sock[dc_fam_idx(a->family)]);
	if (!sock) {
		dst_release(dst);
		kfree_skb(skb);
		ret = -ENOTCONN;
		goto out;
	}
	if (a->family == AF_INET) {
		udp_tunnel_xmit_skb((struct rtable *)dst, sock->sk, skb,
				    a->src.ip, a->dst.ip, 0,
				    ip4_dst_hoplimit(dst), df, sport,
				    htons(dc_fwd_port), false, false);
	} else {
		/* a path below 1280 bytes: fragment, as RFC 2473 allows */
		skb->ignore_df = 1;
		udp_tunnel6_xmit_skb(dst, sock->sk, skb, NULL,
				     (struct in6_addr *)&a->src.in6,
				     (struct in6_addr *)&a->dst.in6, 0,
				     ip6_dst_hoplimit(dst), 0, sport,
				     htons(dc_fwd_port), false);
	}
out:
	rcu_read_unlock_bh();
	return ret;
}

/*
 * A datagram to our port, with the UDP checksum checked, skb->data at the
 * UDP header.  Returns 0: the datagram is ours, whatever becomes of it.
 */
static int dc_sock_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct dc_net *dn = rcu_dereference_sk_user_data(sk);
	const struct dc_fwd_hdr *hdr;

	if (!dn)
		goto drop;
	if (!pskb_may_pull(skb, sizeof(struct udphdr) + sizeof(*hdr)))
		goto malformed;
	hdr = (const struct dc_fwd_hdr *)(skb->data + sizeof(struct udphdr));
	if (hdr->version != DC_FWD_VERSION)
		goto malformed;
	switch (hdr->type) {
	case DC_FWD_MISS:
		dc_miss_rcv(dn, skb, hdr);
		return 0;
	case DC_FWD_KEEPALIVE:
		dc_miss_keepalive_rcv(dn, skb, hdr);
		return 0;
	case DC_FWD_BIND:
	case DC_FWD_NOTICE:
		dc_fwd_rcv(dn, skb, hdr);
		return 0;
	}
malformed:
	dc_stats_count(dn->stats, DC_STAT_MALFORMED);
drop:
	kfree_skb(skb);
	return 0;
}

static int dc_sock_open(struct dc_net *dn, int idx, struct socket **sockp)
{
	struct udp_tunnel_sock_cfg cfg = {
		.sk_user_data = dn,
		.encap_type = 1,
		.encap_rcv = dc_sock_rcv,
	};
	struct udp_port_cfg port = {
		.local_udp_port = htons(dc_fwd_port),
	};
	int ret;

	if (idx) {
		port.family = AF_INET6;
		port.local_ip6 = in6addr_any;
		port.ipv6_v6only = 1;
		port.use_udp6_tx_checksums = 1;
		port.use_udp6_rx_checksums = 1;
	} else {
		port.family = AF_INET;
		port.local_ip.s_addr = htonl(INADDR_ANY);
		port.use_udp_checksums = 1;
	}
	ret = udp_sock_create(dn->net, &port, sockp);
	if (ret)
		return ret;
	setup_udp_tunnel_sock(dn->net, *sockp, &cfg);
	return 0;
}

/*
 * Open a family's socket when @want says so (the namespace has a keyed
 * service of that family, dc_net_sync()), close it otherwise; closing
 * cannot fail.  Under dn->lock.
 */
int dc_sockets_update(struct dc_net *dn, const bool want[2],
		      struct netlink_ext_ack *extack)
{
	struct socket *sock;
	int idx, ret;

	lockdep_assert_held(&dn->lock);
	for (idx = 0; idx < 2; idx++) {
		sock = rcu_dereference_protected(dn->sock[idx],
						 lockdep_is_held(&dn->lock));
		if (want[idx] && !sock) {
			ret = dc_sock_open(dn, idx, &sock);
			if (ret) {
				NL_SET_ERR_MSG_MOD(extack,
						   "cannot open the UDP port of forwarder messages (module parameter fwd_port)");
				return ret;
			}
			rcu_assign_pointer(dn->sock[idx], sock);
		} else if (!want[idx] && sock) {
			RCU_INIT_POINTER(dn->sock[idx], NULL);
			/* waits for the readers of the socket, then closes it */
			udp_tunnel_sock_release(sock);
		}
	}
	return 0;
}

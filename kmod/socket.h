/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dyncast: the UDP sockets of the forwarder messages (socket.c).
 */
#ifndef _DYNCAST_SOCKET_H
#define _DYNCAST_SOCKET_H

#include "dyncast.h"
#include "fwd.h"

int dc_sockets_update(struct dc_net *dn, const bool want[2],
		      struct netlink_ext_ack *extack);
int dc_fwd_xmit(struct dc_net *dn, struct sk_buff *skb, struct dst_entry *dst,
		const struct dc_fwd_addrs *a, __be16 df, __be16 sport);
int dc_fwd_route(struct net *net, u8 family, const union nf_inet_addr *daddr,
		 const union nf_inet_addr *saddr, u32 mark,
		 struct dc_fwd_addrs *a, struct dst_entry **dstp);

#endif /* _DYNCAST_SOCKET_H */

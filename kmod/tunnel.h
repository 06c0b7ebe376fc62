/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dyncast: tunnel mode: IPIP and IPv6-in-IPv6 to the instance (tunnel.c).
 */
#ifndef _DYNCAST_TUNNEL_H
#define _DYNCAST_TUNNEL_H

#include "dyncast.h"

int dc_tunnel_xmit(struct net *net, struct sk_buff *skb,
		   struct dc_instance *inst);
void dc_too_big(struct net *net, struct sk_buff *skb, u8 family,
		unsigned int mtu);
bool dc_fits(const struct sk_buff *skb, u8 family, unsigned int mtu);
void dc_route_free(struct dc_route *r);

#endif /* _DYNCAST_TUNNEL_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dyncast: the D-Router's side of D-Forwarders (fwd_router.c).
 */
#ifndef _DYNCAST_FWD_ROUTER_H
#define _DYNCAST_FWD_ROUTER_H

#include "dyncast.h"
#include "fwd.h"

void dc_miss_rcv(struct dc_net *dn, struct sk_buff *skb,
		 const struct dc_fwd_hdr *hdr);
void dc_miss_keepalive_rcv(struct dc_net *dn, struct sk_buff *skb,
			   const struct dc_fwd_hdr *hdr);
void dc_miss_notify(struct dc_instance *inst, u8 reason);
void dc_miss_service_gone(struct dc_service *svc);
int dc_net_peers_init(struct dc_net *dn);
void dc_net_peers_exit(struct dc_net *dn);

#endif /* _DYNCAST_FWD_ROUTER_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dyncast: the D-Forwarder (fwd_forwarder.c).
 */
#ifndef _DYNCAST_FWD_FORWARDER_H
#define _DYNCAST_FWD_FORWARDER_H

#include "dyncast.h"
#include "fwd.h"

unsigned int dc_fwd_steer(struct net *net, struct sk_buff *skb,
			  struct dc_net *dn, struct dc_service *svc,
			  struct dc_instance *inst, const struct dc_pkt *pkt);
void dc_fwd_rcv(struct dc_net *dn, struct sk_buff *skb,
		const struct dc_fwd_hdr *hdr);
void dc_net_fwd_init(struct dc_net *dn);
void dc_net_fwd_exit(struct dc_net *dn);

#endif /* _DYNCAST_FWD_FORWARDER_H */

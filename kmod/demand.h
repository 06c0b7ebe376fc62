/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dyncast: a new service demand: the choice of its instance (demand.c).
 */
#ifndef _DYNCAST_DEMAND_H
#define _DYNCAST_DEMAND_H

#include "dyncast.h"

struct dc_instance *dc_select(struct dc_service *svc,
			      const struct dc_flow_key *key, bool hash_only);
void dc_reject(struct net *net, struct sk_buff *skb, u8 family);
bool dc_source_ok(struct net *net, struct sk_buff *skb,
		  const struct net_device *dev, const struct dc_pkt *pkt);
struct dc_instance *dc_new_demand(struct net *net, struct sk_buff *skb,
				  struct dc_net *dn, struct dc_service *svc,
				  const struct dc_flow_key *key,
				  const struct dc_pkt *pkt, unsigned int flags);

#endif /* _DYNCAST_DEMAND_H */

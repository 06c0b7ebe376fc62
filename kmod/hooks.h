/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dyncast: the PREROUTING hooks and the parsing of packets (hooks.c).
 */
#ifndef _DYNCAST_HOOKS_H
#define _DYNCAST_HOOKS_H

#include "dyncast.h"

int dc_hooks_update(struct dc_net *dn, const struct dc_needs *n);
int dc_pkt_l4(struct sk_buff *skb, unsigned int off, struct dc_pkt *pkt);
int dc_pkt_parse(struct sk_buff *skb, u8 family, struct dc_pkt *pkt,
		 unsigned int *l4off);

#endif /* _DYNCAST_HOOKS_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dyncast: rewrite mode, with conntrack NAT (rewrite.c).
 */
#ifndef _DYNCAST_REWRITE_H
#define _DYNCAST_REWRITE_H

#include "dyncast.h"

extern const struct nf_hook_ops dc_nat_ops[2];
extern const struct nf_hook_ops dc_rewrite_ops[2];
bool dc_rewrite_offloaded(struct net *net, const struct dc_binding *b);
void dc_rewrite_forget(const struct dc_service *svc);
void dc_rewrite_forget_gone(const struct dc_service *svc,
			    const struct list_head *gone);

#endif /* _DYNCAST_REWRITE_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dyncast: the PREROUTING hooks and the parsing of packets (hooks.c).
 */
#ifndef _DYNCAST_HOOKS_H
#define _DYNCAST_HOOKS_H

#include <linux/bottom_half.h>
#include <linux/netfilter.h>

#include "dyncast.h"

int dc_hooks_update(struct dc_net *dn, const struct dc_needs *n);
int dc_pkt_l4(struct sk_buff *skb, unsigned int off, struct dc_pkt *pkt);
int dc_pkt_parse(struct sk_buff *skb, u8 family, struct dc_pkt *pkt,
		 unsigned int *l4off);

/*
 * Netfilter runs the hooks in softirq, but for a packet that a queue
 * gives back (nf_reinject()): the rest of the chain then runs in the task
 * that gave the verdict.  The packet path counts on per-CPU counters and
 * credits, and on ip_defrag()'s context: softirqs off, as they would be.
 * Inline, so that @fn is called directly.
 */
static __always_inline unsigned int
dc_hook_bh(nf_hookfn *fn, void *priv, struct sk_buff *skb,
	   const struct nf_hook_state *state)
{
	unsigned int verdict;

	local_bh_disable();
	verdict = fn(priv, skb, state);
	local_bh_enable();
	return verdict;
}

#endif /* _DYNCAST_HOOKS_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dyncast: per-CPU counters (stats.c).
 */
#ifndef _DYNCAST_STATS_H
#define _DYNCAST_STATS_H

#include "dyncast.h"

struct dc_pcpu_stats __percpu *dc_stats_alloc(void);
void dc_stats_count(struct dc_pcpu_stats __percpu *s, enum dc_stat what);
void dc_stats_count_svc(struct dc_net *dn, struct dc_service *svc,
			enum dc_stat what);
void dc_stats_read(struct dc_pcpu_stats __percpu *s, struct dc_stats *sum);

/* Inline: the packet path counts every packet it steers three times. */
static inline void dc_stats_packet(struct dc_pcpu_stats __percpu *s,
				   unsigned int len)
{
	struct dc_pcpu_stats *p = this_cpu_ptr(s);

	u64_stats_update_begin(&p->syncp);
	u64_stats_inc(&p->packets);
	u64_stats_add(&p->bytes, len);
	u64_stats_update_end(&p->syncp);
}

static inline void dc_count_packet(struct dc_net *dn, struct dc_service *svc,
				   struct dc_instance *inst, unsigned int len)
{
	dc_stats_packet(dn->stats, len);
	dc_stats_packet(svc->stats, len);
	dc_stats_packet(inst->stats, len);
}

void dc_count_event(struct dc_net *dn, struct dc_service *svc,
		    enum dc_stat what);

#endif /* _DYNCAST_STATS_H */

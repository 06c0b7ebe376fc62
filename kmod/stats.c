// SPDX-License-Identifier: GPL-2.0
/*
 * dyncast: per-CPU counters of a namespace, a service or an instance.
 */

#include <linux/percpu.h>

#include "dyncast.h"
#include "stats.h"

struct dc_pcpu_stats __percpu *dc_stats_alloc(void)
{
	struct dc_pcpu_stats __percpu *s;
	int cpu;

	s = alloc_percpu_gfp(struct dc_pcpu_stats, GFP_KERNEL_ACCOUNT);
	if (!s)
		return NULL;
	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(s, cpu)->syncp);
	return s;
}

/*
 * Called from the packet path, and from process context with bottom
 * halves disabled (dc_stats_count_svc()), so that the CPU cannot change.
 */
void dc_stats_count(struct dc_pcpu_stats __percpu *s, enum dc_stat what)
{
	struct dc_pcpu_stats *p = this_cpu_ptr(s);

	u64_stats_update_begin(&p->syncp);
	u64_stats_inc(&p->count[what]);
	u64_stats_update_end(&p->syncp);
}

/* An event of a service (NULL: of the namespace only), from any context. */
void dc_stats_count_svc(struct dc_net *dn, struct dc_service *svc,
			enum dc_stat what)
{
	local_bh_disable();
	dc_stats_count(dn->stats, what);
	if (svc)
		dc_stats_count(svc->stats, what);
	local_bh_enable();
}

void dc_stats_read(struct dc_pcpu_stats __percpu *s, struct dc_stats *sum)
{
	int cpu, i;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const struct dc_pcpu_stats *p = per_cpu_ptr(s, cpu);
		struct dc_stats v;
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&p->syncp);
			v.packets = u64_stats_read(&p->packets);
			v.bytes = u64_stats_read(&p->bytes);
			for (i = 0; i < DC_STAT_NR; i++)
				v.count[i] = u64_stats_read(&p->count[i]);
		} while (u64_stats_fetch_retry(&p->syncp, start));

		sum->packets += v.packets;
		sum->bytes += v.bytes;
		for (i = 0; i < DC_STAT_NR; i++)
			sum->count[i] += v.count[i];
	}
}

/* An event of a service, in softirq. */
void dc_count_event(struct dc_net *dn, struct dc_service *svc,
		    enum dc_stat what)
{
	dc_stats_count(dn->stats, what);
	dc_stats_count(svc->stats, what);
}

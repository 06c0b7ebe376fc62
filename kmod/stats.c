// SPDX-License-Identifier: GPL-2.0
/*
 * dyncast: per-CPU counters of a namespace, a service or an instance.
 */

#include <linux/percpu.h>

#include "dyncast.h"

struct dc_pcpu_stats __percpu *dc_stats_alloc(void)
{
	struct dc_pcpu_stats __percpu *s;
	int cpu;

	s = alloc_percpu(struct dc_pcpu_stats);
	if (!s)
		return NULL;
	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(s, cpu)->syncp);
	return s;
}

void dc_stats_count(struct dc_pcpu_stats __percpu *s, enum dc_stat what)
{
	struct dc_pcpu_stats *p = this_cpu_ptr(s);
	u64_stats_t *c;

	switch (what) {
	case DC_STAT_DEMANDS:
		c = &p->demands;
		break;
	case DC_STAT_NO_INSTANCE:
		c = &p->no_instance;
		break;
	case DC_STAT_TABLE_FULL:
		c = &p->table_full;
		break;
	case DC_STAT_NOT_START:
		c = &p->not_start;
		break;
	case DC_STAT_TOO_BIG:
		c = &p->too_big;
		break;
	default:
		c = &p->xmit_errors;
		break;
	}
	u64_stats_update_begin(&p->syncp);
	u64_stats_inc(c);
	u64_stats_update_end(&p->syncp);
}

void dc_stats_packet(struct dc_pcpu_stats __percpu *s, unsigned int len)
{
	struct dc_pcpu_stats *p = this_cpu_ptr(s);

	u64_stats_update_begin(&p->syncp);
	u64_stats_inc(&p->packets);
	u64_stats_add(&p->bytes, len);
	u64_stats_update_end(&p->syncp);
}

void dc_stats_read(struct dc_pcpu_stats __percpu *s, struct dc_stats *sum)
{
	int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const struct dc_pcpu_stats *p = per_cpu_ptr(s, cpu);
		struct dc_stats v;
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&p->syncp);
			v.packets = u64_stats_read(&p->packets);
			v.bytes = u64_stats_read(&p->bytes);
			v.demands = u64_stats_read(&p->demands);
			v.no_instance = u64_stats_read(&p->no_instance);
			v.table_full = u64_stats_read(&p->table_full);
			v.not_start = u64_stats_read(&p->not_start);
			v.too_big = u64_stats_read(&p->too_big);
			v.xmit_errors = u64_stats_read(&p->xmit_errors);
		} while (u64_stats_fetch_retry(&p->syncp, start));

		sum->packets += v.packets;
		sum->bytes += v.bytes;
		sum->demands += v.demands;
		sum->no_instance += v.no_instance;
		sum->table_full += v.table_full;
		sum->not_start += v.not_start;
		sum->too_big += v.too_big;
		sum->xmit_errors += v.xmit_errors;
	}
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dyncast: choice of an instance for a new service demand.
 *
 * Kernel-independent: select.c is built into the module and into the
 * userspace unit tests (userspace/tests/).  It allocates nothing, takes no
 * lock and every loop is bounded by DC_SEL_MAX, DC_SEL_WRR_MAX or the Maglev
 * table size.
 */
#ifndef _DYNCAST_SELECT_H
#define _DYNCAST_SELECT_H

#ifdef __KERNEL__
#include <linux/bits.h>
#include <linux/limits.h>
#include <linux/math.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/types.h>
#else
/* the kernel's types for the unit tests, from userspace/tests/ */
#include "select_shim.h"
#endif

/* Instances per service, as DYNCAST_MAX_INSTANCES in uapi/linux/dyncast.h */
#define DC_SEL_MAX		1024

#define DC_SEL_WRR_MAX		4096	/* schedule length cap */
#define DC_SEL_LOAD_CLAMP	990	/* per mille */

/* Largest Maglev table, the last of the primes of dc_sel_maglev_size() */
#define DC_SEL_MAGLEV_MAX	65521

unsigned int dc_sel_wrr_build(const u32 *weights, unsigned int n, u16 *table,
			      unsigned int max_len);

unsigned int dc_sel_maglev_size(unsigned int n);
size_t dc_sel_maglev_scratch_size(unsigned int n);
int dc_sel_maglev_build(const u64 *ids, const u32 *weights, unsigned int n,
			u16 *table, unsigned int size, void *scratch);

/*
 * The marginal delay curve of an instance: D(n), the increase of the total
 * expected delay of all demands when one more joins an instance holding n.
 * Kept at up to DC_SEL_DELTA_POINTS points from 0 to c - 1, denser towards
 * c - 1 where it bends, linear between them and beyond; see
 * dc_sel_delta_build().  Demand counts are in 1/16ths (DC_SEL_N_SHIFT).
 */
#define DC_SEL_DELTA_POINTS	32
#define DC_SEL_DELTA_CMAX	1024	/* slots modelled */
#define DC_SEL_N_SHIFT		4
#define DC_SEL_LOAD_MIN		1	/* per mille */

struct dc_sel_delta {
	u32 value[DC_SEL_DELTA_POINTS];	/* D(at[j]), microseconds */
	u16 at[DC_SEL_DELTA_POINTS];	/* modelled demands, increasing */
	u64 slope;	/* beyond the last point, 2^-16 us per demand */
	u64 nscale;	/* modelled demands per demand, 2^-32 units */
	u8 points;
};

void dc_sel_delta_build(struct dc_sel_delta *d, u32 capacity, u32 load,
			u32 service_time);
u64 dc_sel_delta(const struct dc_sel_delta *d, u64 n);

void dc_sel_shares(const u32 *weights, unsigned int n, u32 *share);

u64 dc_sel_mix64(u64 x);

#endif /* _DYNCAST_SELECT_H */

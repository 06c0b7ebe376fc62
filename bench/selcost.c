// SPDX-License-Identifier: GPL-2.0
/*
 * selcost: the cost of choosing an instance, and of rebuilding a service's
 * schedules, measured on this machine with the module's own code
 * (kmod/select.c) built for userspace.
 *
 * For each number of instances and each policy, the mean time of one
 * choice over many, done as dc_select() does it:
 *   weighted    the next slot of the WRR schedule (a counter)
 *   least-cost  every instance up to 8, else 3 drawn from the WRR schedule,
 *               each one's cost plus dc_sel_delta() at its demands in
 *               flight, the least kept (dc_select_least_cost()); the
 *               chosen one's count goes up, another's down
 *   least-cost-slack  the same with a slack of 4 (what an agent's plan
 *               sets for a router that sees a small part of the demands):
 *               each candidate's lead over its share of the demands
 *               counted, one ahead by more than the slack passed over,
 *               as dc_select_least_cost() does with the CPU's credits
 *               (struct dc_sel_credit, kmod/dyncast.h, mirrored here)
 *   hash        a slot of the Maglev table by the flow's hash; the module
 *               hashes the flow key with jhash2(), here dc_sel_mix64()
 *               stands in for it
 * and the time to build each table (dc_sel_wrr_build(), with weights 1 to
 * 4, and dc_sel_maglev_build()), which dc_service_rebuild() does on every
 * change of weight or state, under the namespace's lock, and an instance's
 * marginal delay curve (dc_sel_delta_build(), "rebuild-curve", instances
 * standing for their capacity), which a change of its capacity, load or
 * service time redoes.  Times are CPU time of this process.
 *
 * What the kernel adds is not here: the RCU dereference of the set, the
 * atomic reads of the counts and the sequence count, get_random_u64().  Output: one line per
 * figure, tab-separated: policy, instances, nanoseconds.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "select.h"

static double now(void)
{
	struct timespec ts;

	/* CPU time: other processes on a shared machine do not count */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static u64 rng = 0x243f6a8885a308d3ULL;

static u64 next_rnd(void)
{
	rng += 0x9e3779b97f4a7c15ULL;
	return dc_sel_mix64(rng);
}

/* Keeps the compiler from dropping the choices. */
static volatile unsigned int sink;

int main(void)
{
	static const unsigned int sizes[] = { 2, 8, 16, 128, 1024 };
	static u16 wrr[DC_SEL_WRR_MAX], maglev[DC_SEL_MAGLEV_MAX];
	static struct dc_sel_delta d[DC_SEL_MAX];
	static u32 cost[DC_SEL_MAX], held[DC_SEL_MAX];
	static u32 w[DC_SEL_MAX], share[DC_SEL_MAX];
	static u64 ids[DC_SEL_MAX];
	static struct {
		int32_t base;
		u32 got;
	} cr[DC_SEL_MAX];
	unsigned int s, i, len, size, a, b, acc = 0;
	const unsigned long iters = 20000000;
	void *scratch = malloc(dc_sel_maglev_scratch_size(DC_SEL_MAX));
	double t0, t;
	unsigned long k;
	int builds;

	if (!scratch)
		return 1;
	printf("# policy\tinstances\tns\n");
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		unsigned int n = sizes[s];

		for (i = 0; i < n; i++) {
			w[i] = 1 + i % 4;
			ids[i] = dc_sel_mix64(i + 1);
			dc_sel_delta_build(&d[i], 100, next_rnd() % 900, 1000);
			held[i] = next_rnd() % 100;
			cost[i] = next_rnd() % 50000;
		}

		/* rebuilds: each repeated for at least 0.2 s */
		size = dc_sel_maglev_size(n);
		t0 = now();
		builds = 0;
		do {
			len = dc_sel_wrr_build(w, n, wrr, DC_SEL_WRR_MAX);
			if (!len)
				return 1;
			builds++;
			t = now();
		} while (t - t0 < 0.2);
		printf("rebuild-wrr\t%u\t%.0f\n", n, (t - t0) / builds * 1e9);
		t0 = now();
		builds = 0;
		do {
			if (dc_sel_maglev_build(ids, w, n, maglev, size, scratch))
				return 1;
			builds++;
			t = now();
		} while (t - t0 < 0.2);
		printf("rebuild-maglev\t%u\t%.0f\n", n, (t - t0) / builds * 1e9);
		/* the curve of an instance of n slots */
		t0 = now();
		builds = 0;
		do {
			dc_sel_delta_build(&d[DC_SEL_MAX - 1], n, 300 + builds % 600,
					   1000);
			builds++;
			t = now();
		} while (t - t0 < 0.2);
		printf("rebuild-curve\t%u\t%.0f\n", n, (t - t0) / builds * 1e9);

		t0 = now();
		for (k = 0; k < iters; k++)
			acc += wrr[k % len];
		t = now();
		printf("weighted\t%u\t%.2f\n", n, (t - t0) / iters * 1e9);

		t0 = now();
		for (k = 0; k < iters; k++) {
			u64 rnd = next_rnd(), best = UINT64_MAX, bh = UINT64_MAX;
			unsigned int c, nc = n <= 8 ? n : 3, first;

			first = n <= 8 ? (u32)(rnd >> 32) % n : 0;
			for (c = 0, a = 0; c < nc; c++) {
				u64 v, h;

				i = n <= 8 ? (first + c < n ? first + c : first + c - n) :
					     wrr[((rnd >> (16 * c)) & 0xffff) % len];
				h = (u64)held[i] << DC_SEL_N_SHIFT;
				v = cost[i] + dc_sel_delta(&d[i], h);
				if (v < best || (v == best && h < bh)) {
					best = v;
					bh = h;
					a = i;
				}
			}
			held[a]++;
			b = (u32)rnd % n;
			held[b] -= held[b] > 0;
			acc += a;
		}
		t = now();
		printf("least-cost\t%u\t%.2f\n", n, (t - t0) / iters * 1e9);

		/* the same, kept within a slack of 4 of the weights' split */
		dc_sel_shares(w, n, share);
		memset(cr, 0, sizeof(cr));
		t0 = now();
		for (k = 0; k < iters; k++) {
			u64 rnd = next_rnd(), best = UINT64_MAX, bh = UINT64_MAX;
			unsigned int c, nc = n <= 8 ? n : 3, first, fb = 0;
			s64 limit = 4LL << 16, least = INT64_MAX, ahead;
			u32 demands = (u32)(k % (1u << 31)) + 1;
			bool found = false;

			first = n <= 8 ? (u32)(rnd >> 32) % n : 0;
			for (c = 0, a = 0; c < nc; c++) {
				u64 v, h;

				i = n <= 8 ? (first + c < n ? first + c : first + c - n) :
					     wrr[((rnd >> (16 * c)) & 0xffff) % len];
				ahead = cr[i].base + (s64)cr[i].got * (1 << 16) -
					(s64)share[i] * demands + (1 << 16);
				if (ahead < least) {
					least = ahead;
					fb = i;
				}
				if (ahead > limit)
					continue;
				h = (u64)held[i] << DC_SEL_N_SHIFT;
				v = cost[i] + dc_sel_delta(&d[i], h);
				if (v < best || (v == best && h < bh)) {
					best = v;
					bh = h;
					a = i;
					found = true;
				}
			}
			if (!found)
				a = fb;
			cr[a].got++;
			held[a]++;
			b = (u32)rnd % n;
			held[b] -= held[b] > 0;
			acc += a;
		}
		t = now();
		printf("least-cost-slack\t%u\t%.2f\n", n, (t - t0) / iters * 1e9);

		t0 = now();
		for (k = 0; k < iters; k++)
			acc += maglev[(u32)dc_sel_mix64(k) % size];
		t = now();
		printf("hash\t%u\t%.2f\n", n, (t - t0) / iters * 1e9);
	}
	sink = acc;
	free(scratch);
	return 0;
}

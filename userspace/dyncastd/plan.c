// SPDX-License-Identifier: GPL-2.0
/*
 * The D-Router's plan of a least-cost service (plan.h).
 *
 * The demands of every router at instance i, a second: what its report
 * shows busy, load x slots / service time, and at least this router's
 * own.  Their sum, at most DD_PLAN_LOAD_MAX of the capacity, is split
 * over the instances by dd_split() (split.c), each an Erlang C station at
 * its network cost.  From the split x_i:
 *   - the weight, x_i's share, at least 1 for every instance so that none
 *     is shut out by a stale plan;
 *   - the load of its marginal delay curve, x_i S / c;
 *   - inflight-adjust, what the kernel adds to its own count: the other
 *     routers' demands there, (1 - f) x_i T_i(x_i) by Little's law (f the
 *     router's share of all demands), less its own still on their way,
 *     f x_i d_i (the kernel counts a demand from its first packet to its
 *     end, the instance only from arrival);
 *   - the slack: a router with less than DD_PLAN_SLACK_SHARE of the
 *     demands keeps to the split within DD_PLAN_SLACK demands, since its
 *     own counts, mostly zero, cannot tell its instances apart; until it
 *     has more than DD_PLAN_SLACK_SHARE_OFF.
 */
#include <math.h>

#include "linux/dyncast.h"
#include "plan.h"
#include "split.h"

#define DD_PLAN_MAX	DYNCAST_MAX_INSTANCES

static double dd_clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

void dd_plan(const struct dd_plan_in *in, unsigned int n,
	     struct dd_plan_out *out, struct dd_plan_sum *sum)
{
	static double share[DD_PLAN_MAX];
	static struct dd_station st[DD_PLAN_MAX];
	double total = 0, own = 0, f, rate, x, t, v, cap;
	unsigned int i;

	if (n > DD_PLAN_MAX)
		n = DD_PLAN_MAX;
	for (i = 0; i < n; i++) {
		st[i] = (struct dd_station){
			.rtt = in[i].cost > 0 ? in[i].cost : 0,
			.slots = in[i].slots ? in[i].slots : 1,
			.svc = in[i].svc > 0 ? in[i].svc : 1e-3,
			.scv = 1,
		};
		/* beyond DD_PLAN_SLOTS_MAX, as many faster slots (the kernel's
		 * curve models 1024 too): the Erlang recursion is O(slots)
		 */
		if (st[i].slots > DD_PLAN_SLOTS_MAX) {
			st[i].svc *= (double)DD_PLAN_SLOTS_MAX / st[i].slots;
			st[i].slots = DD_PLAN_SLOTS_MAX;
		}
		rate = in[i].busy >= 0 ?
		       dd_clamp(in[i].busy, 0, 1) * st[i].slots / st[i].svc : 0;
		own += in[i].own > 0 ? in[i].own : 0;
		total += fmax(rate, in[i].own > 0 ? in[i].own : 0);
	}
	f = total > 0 ? dd_clamp(own / total, 0, 1) : 1;
	sum->total = total;
	sum->own_share = f;
	for (cap = 0, i = 0; i < n; i++)
		cap += dd_capacity(&st[i]);
	/* near capacity the estimate is at its worst, the delays steepest */
	if (total > DD_PLAN_LOAD_MAX * cap)
		total = DD_PLAN_LOAD_MAX * cap;
	sum->mean = n ? dd_split(st, n, total, share) : NAN;
	/* on below a fifth, off above a quarter: no flapping in between */
	sum->slack = f < DD_PLAN_SLACK_SHARE ||
		     (sum->slack && f < DD_PLAN_SLACK_SHARE_OFF) ?
		     DD_PLAN_SLACK : 0;

	for (i = 0; i < n; i++) {
		x = share[i] * total;
		out[i].weight = (uint32_t)lround(dd_clamp(share[i] *
							  DD_PLAN_WEIGHT_SCALE,
							  1, DD_PLAN_WEIGHT_SCALE));
		out[i].load = (uint32_t)lround(dd_clamp(1000 * x * st[i].svc /
							st[i].slots, 1, 999));
		/* at most the time in system at DD_PLAN_LOAD_MAX */
		t = dd_sojourn(&st[i], fmin(x, DD_PLAN_LOAD_MAX *
					     dd_capacity(&st[i])));
		v = 1000 * ((1 - f) * x * t - f * x * st[i].rtt);
		out[i].adjust = (int32_t)lround(dd_clamp(v, -DYNCAST_ADJUST_MAX,
							 DYNCAST_ADJUST_MAX));
	}
}

static bool dd_moved(int64_t now, int64_t was, int64_t floor)
{
	int64_t d = now > was ? now - was : was - now;

	return d >= floor && d * 20 >= (was < 0 ? -was : was);
}

/*
 * A load moved by 10 per mille at least, and by 5 % or a quarter of the
 * room left above the lower of the two: near saturation the wait grows
 * as 1 / (1 - load), and 95 % against 99.5 % is ten times the wait.
 */
static bool dd_load_moved(uint32_t now, uint32_t was)
{
	uint32_t d = now > was ? now - was : was - now;
	uint32_t low = now < was ? now : was;

	return d >= 10 &&
	       (d * 20 >= was || d * 4 >= 1000 - (low < 1000 ? low : 1000));
}

/*
 * A weight or an adjustment moved by 5 %, and by at least 1, a quarter
 * of a demand (a new weight rebuilds the kernel's instance set); a load
 * as dd_load_moved() says
 */
bool dd_plan_moved(const struct dd_plan_out *now,
		   const struct dd_plan_out *pushed)
{
	return dd_moved(now->weight, pushed->weight, 1) ||
	       dd_load_moved(now->load, pushed->load) ||
	       dd_moved(now->adjust, pushed->adjust, 250);
}

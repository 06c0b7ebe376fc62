// SPDX-License-Identifier: GPL-2.0
/*
 * The D-Router's plan of a least-cost service (plan.h).
 *
 * The demands of every router at instance i, a second: what its report
 * shows busy, load x slots / service time, and at least this router's
 * own.  Their sum, at most DD_PLAN_LOAD_MAX of the capacity, is split
 * over the instances by dd_split() (split.c), each an Erlang C station at
 * its network cost.  From the split x_i:
 *   - the weight, x_i's share plus DD_PLAN_STEER_GAIN times the gap between
 *     it and instance i's share of the demands the reports show now (where
 *     every instance reports its load): the router's own demands go where
 *     the others' fall short, so that all of them come to the split, a
 *     plan period after another; at least 1 for every instance so that
 *     none is shut out by a stale plan;
 *   - the load of its marginal delay curve, x_i S / c, or the reported load
 *     where higher: a load the plan does not steer (work that is not the
 *     service's, demands slower than planned), smoothed as the plan's
 *     inputs (a curve that followed each report would swing the demands
 *     away and back with it); where the router shares the demands with
 *     others (f below DD_PLAN_RAISE_SHARE) only where higher by
 *     DD_PLAN_RAISE per mille or more (DD_PLAN_RAISE_FULL at a saturated
 *     instance, where a few points are most of the wait): a report a
 *     little above the split is the others' demands in the noise of the
 *     estimate, which inflight-adjust counts already, and curves raised
 *     with it on every router at once steer all of them away together;
 *   - inflight-adjust, what the kernel adds to its own count: the other
 *     routers' demands there, (1 - f) x_i T_i(x_i) by Little's law (f the
 *     router's share of all demands), less its own still on their way,
 *     f x_i d_i (the kernel counts a demand from its first packet to its
 *     end, the instance only from arrival);
 *   - the slack: a router with less than DD_PLAN_SLACK_SHARE of the
 *     demands keeps to the split within DD_PLAN_SLACK demands, since its
 *     own counts, mostly zero, cannot tell its instances apart; until it
 *     has more than DD_PLAN_SLACK_SHARE_OFF.
 *
 * An instance slower than its service time says (a CPU hog beside it, a
 * slower machine) would be given more than it can serve, and a router
 * that keeps to the split would feed its queue for good.  Its demands
 * show it: by the utilisation law, busy_i c_i = X_i S_i, X_i the demands
 * it serves a second and S_i its true service time.  The router sees its
 * own part of X_i, own_i = f X_i, f the same at every instance where it
 * keeps to the split (slack) or sees nearly all demands (f at least
 * DD_PLAN_SLOW_ALONE); not where it chooses freely among several routers,
 * since it then sends more to its nearer instances.  So
 * f_i = svc_i own_i / (busy_i c_i) is f where svc_i is right, and f / g_i
 * where the instance is g_i times slower.  Each f_i is compared with the
 * lower median of at least two others' (most instances serve as they
 * say; a slow one pulls no median down, and of two others a faster one is
 * not taken), and an instance busy DD_PLAN_SLOW_BUSY or more and
 * DD_PLAN_SLOW times slower or more is planned with g_i svc_i: its
 * capacity, its curve (svc_us) and the others' count there.  In a round
 * that cannot measure it (fewer than two others, or a router that
 * chooses freely), the g_i of the last plan stays (a slowness down to
 * DD_PLAN_SLOW_BUSY, a speed until it is saturated).  The lower median of
 * all tells whether the router is nearly alone.  A saturated instance
 * (busy DD_PLAN_SATURATED or more) serves fewer than it is sent: its f_i
 * is no measure of f, and its own g_i falls short at first and grows
 * round by round as its share shrinks.
 * An instance in the plan for less than DD_PLAN_SLOW_AFTER seconds (new,
 * or back up) is taken as it says: its smoothed load and the router's
 * smoothed demands there are not yet of the same time.
 * An instance faster than it says is estimated alike: one busy
 * DD_PLAN_FAST_BUSY or more whose f_i is DD_PLAN_SLOW times the upper
 * median of at least two others' busy DD_PLAN_SLOW_BUSY or more (a
 * slower one among them makes it look no faster; at one little loaded, a
 * base load that is not the service's would make it look faster) is
 * planned with g_i, down to 1 / DD_PLAN_FAST_MAX: sites of different
 * speeds that all say the service's time.  Only from DD_PLAN_FAST_DEMANDS
 * of the router's demands there, and below its own service time to
 * DD_PLAN_FAST_STEP times the last plan's at least: a share that has just
 * grown shows more demands than load for a while.  Never while it is
 * saturated, where it looks faster since it serves fewer than it is
 * sent: a speed it does not have costs a queue that grows.  A slowness
 * is measured against the f_i of the instances busy DD_PLAN_FAST_BUSY or
 * more and not saturated.
 * Work at an instance that is not the service's is taken for slowness
 * too, the more so as its share shrinks, up to DD_PLAN_SLOW_MAX or until
 * its load falls below DD_PLAN_SLOW_BUSY: the load an instance reports
 * should be the service's own.
 */
#include <math.h>
#include <stdlib.h>

#include "linux/dyncast.h"
#include "plan.h"
#include "split.h"

#define DD_PLAN_MAX	DYNCAST_MAX_INSTANCES

static double dd_clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static int dd_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Element @j of the @m sorted @v with the one at @skip taken out */
static double dd_at(const double *v, unsigned int j, unsigned int skip)
{
	return v[j < skip ? j : j + 1];
}

/*
 * The lower (@upper: upper) median of the @m sorted @v without the one at
 * @skip (@skip >= @m: all of them); NAN when none is left
 */
static double dd_median(const double *v, unsigned int m, unsigned int skip,
			bool upper)
{
	unsigned int k = skip < m ? m - 1 : m;

	return k ? dd_at(v, (k - !upper) / 2, skip) : NAN;
}

/* The slowness the last plan showed for @in, 1 none (of the time it says now) */
static double dd_plan_last(const struct dd_plan_in *in)
{
	return in->svc_us ? in->svc_us / (in->svc * 1e6) : 1;
}

/*
 * The slowness the last plan showed for @in, as long as no round
 * measures it again; taken anew against the service time it says now
 * (DD_PLAN_ROUNDING: the microseconds it came in).  A slowness ends below
 * DD_PLAN_SLOW_BUSY; a speed (any, the steps towards one too) at a
 * saturated instance, which may be fed more than it serves because of it.
 */
static double dd_plan_held(const struct dd_plan_in *in)
{
	double h = dd_plan_last(in);

	if (h * (1 + DD_PLAN_ROUNDING) >= DD_PLAN_SLOW &&
	    in->busy >= DD_PLAN_SLOW_BUSY)
		return fmin(h, DD_PLAN_SLOW_MAX);
	if (h * (1 + DD_PLAN_ROUNDING) < 1 && in->busy < DD_PLAN_SATURATED)
		return fmax(h, 1 / DD_PLAN_FAST_MAX);
	return 1;
}

/*
 * Whether @in's part of its demands is a measure of the router's: not
 * at a saturated instance, which serves fewer than it is sent; for a
 * speed (@fast), only at one busy DD_PLAN_SLOW_BUSY or more, where a base
 * load (the host's, in a cpu that is not the service's alone) weighs
 * little: at a little loaded one it would make the others look faster
 */
static bool dd_plan_ref(const struct dd_plan_in *in, bool fast)
{
	return in->busy < DD_PLAN_SATURATED &&
	       (!fast || in->busy >= DD_PLAN_SLOW_BUSY);
}

/*
 * The parts of the references (dd_plan_ref(@fast)) among @in, sorted
 * into @v; their number
 */
static unsigned int dd_plan_refs(const struct dd_plan_in *in, unsigned int n,
				 const double *fi, bool fast, double *v)
{
	unsigned int i, m = 0;

	for (i = 0; i < n; i++)
		if (fi[i] > 0 && dd_plan_ref(&in[i], fast))
			v[m++] = fi[i];
	qsort(v, m, sizeof(*v), dd_cmp_double);
	return m;
}

/*
 * Where instance @i's part @fi is among the @m sorted @v: the index to
 * leave out, @m when it is not a reference
 */
static unsigned int dd_plan_self(const struct dd_plan_in *in, const double *fi,
				 unsigned int i, bool fast, const double *v,
				 unsigned int m)
{
	const double *at = NULL;

	if (dd_plan_ref(&in[i], fast))
		at = bsearch(&fi[i], v, m, sizeof(*v), dd_cmp_double);
	return at ? (unsigned int)(at - v) : m;
}

/*
 * Each instance's slowness g_i (1 where not shown, below 1 where it is
 * faster), as dd_plan() says
 */
static void dd_plan_slow(const struct dd_plan_in *in, unsigned int n,
			 const struct dd_plan_sum *sum, double *g)
{
	static double fi[DD_PLAN_MAX], lo[DD_PLAN_MAX], hi[DD_PLAN_MAX];
	unsigned int i, m, mh, skip;
	bool measure;
	double f, last;

	for (i = 0; i < n; i++) {
		g[i] = 1;
		fi[i] = 0;
		if (in[i].own <= 0 || in[i].busy < DD_PLAN_FAST_BUSY ||
		    in[i].svc <= 0 || in[i].planned < DD_PLAN_SLOW_AFTER)
			continue;
		fi[i] = in[i].svc * in[i].own /
			(fmin(in[i].busy, 1) * (in[i].slots ? in[i].slots : 1));
	}
	m = dd_plan_refs(in, n, fi, false, lo);
	mh = dd_plan_refs(in, n, fi, true, hi);
	/*
	 * f is the router's part of the demands: one that is not (nearly)
	 * alone and chooses freely sends more to its nearer instances
	 */
	measure = m >= 2 && (sum->slack ||
			     dd_median(lo, m, m, false) >= DD_PLAN_SLOW_ALONE);
	for (i = 0; i < n; i++) {
		if (fi[i] <= 0)
			continue;
		/*
		 * no measure this round (the others saturated or not busy
		 * enough, or the router chooses freely): what the last plan
		 * showed stays, rather than flap back to the instance's own
		 * service time each time they fill up
		 */
		g[i] = dd_plan_held(&in[i]);
		if (!measure)
			continue;
		/*
		 * slower: against the lower median of at least two others
		 * (a slow one pulls no median down, and of two others a
		 * faster one is not taken)
		 */
		skip = dd_plan_self(in, fi, i, false, lo, m);
		if (in[i].busy >= DD_PLAN_SLOW_BUSY && m - (skip < m) >= 2) {
			f = dd_median(lo, m, skip, false);
			if (f >= DD_PLAN_SLOW * fi[i]) {
				g[i] = fmin(f / fi[i], DD_PLAN_SLOW_MAX);
				continue;
			}
			g[i] = fmin(g[i], 1);
		}
		/*
		 * faster: against the upper median of at least two others
		 * busy DD_PLAN_SLOW_BUSY or more (a slower one among them
		 * makes it look no faster, and of two others the faster
		 * is taken), not saturated, from enough of its demands
		 * (DD_PLAN_FAST_DEMANDS in DD_PLAN_TAU_MS), and below its
		 * own service time to DD_PLAN_FAST_STEP times the last
		 * plan's at least: a share that has just grown shows more
		 * demands than load for a while
		 */
		skip = dd_plan_self(in, fi, i, true, hi, mh);
		if (in[i].busy < DD_PLAN_SATURATED && mh - (skip < mh) >= 2 &&
		    in[i].own * DD_PLAN_TAU_MS / 1000 >= DD_PLAN_FAST_DEMANDS) {
			f = dd_median(hi, mh, skip, true);
			last = dd_clamp(dd_plan_last(&in[i]),
					1 / DD_PLAN_FAST_MAX, 1);
			g[i] = 1;
			if (fi[i] >= DD_PLAN_SLOW * f)
				g[i] = fmax(fmax(f / fi[i], 1 / DD_PLAN_FAST_MAX),
					    last * DD_PLAN_FAST_STEP);
		}
	}
}

/*
 * The weights @w: the split @share, moved by DD_PLAN_STEER_GAIN of the gap
 * between it and the demands each instance shows now, @now of @total;
 * only where every instance reports its load (one that does not shows
 * only the router's own demands there, and would draw the others')
 */
static void dd_plan_steer(const struct dd_plan_in *in, const double *share,
			  const double *now, unsigned int n, double total,
			  double *w)
{
	bool known = total > 0;
	double sum = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		known = known && in[i].busy >= 0;
	for (i = 0; i < n; i++) {
		w[i] = share[i];
		if (known)
			w[i] = fmax(share[i] + DD_PLAN_STEER_GAIN *
				    (share[i] - now[i] / total), 0);
		sum += w[i];
	}
	if (!(sum > 0))
		return;
	for (i = 0; i < n; i++)
		w[i] /= sum;
}

/*
 * Whether the curve of @in takes its reported load over the split's
 * @load, the router's share of the demands @f: see the head comment
 */
static bool dd_plan_raise(const struct dd_plan_in *in, uint32_t load, double f)
{
	double busy = in->busy * 1000;

	if (!(busy > load))
		return false;
	return f >= DD_PLAN_RAISE_SHARE || busy >= load + DD_PLAN_RAISE ||
	       (in->busy >= DD_PLAN_SATURATED &&
		busy >= load + DD_PLAN_RAISE_FULL);
}

void dd_plan(const struct dd_plan_in *in, unsigned int n,
	     struct dd_plan_out *out, struct dd_plan_sum *sum)
{
	static double share[DD_PLAN_MAX], slow[DD_PLAN_MAX], now[DD_PLAN_MAX];
	static double w[DD_PLAN_MAX];
	static struct dd_station st[DD_PLAN_MAX];
	double total = 0, own = 0, f, rate, x, t, v, cap;
	unsigned int i;

	if (n > DD_PLAN_MAX)
		n = DD_PLAN_MAX;
	dd_plan_slow(in, n, sum, slow);
	for (i = 0; i < n; i++) {
		st[i] = (struct dd_station){
			.rtt = in[i].cost > 0 ? in[i].cost : 0,
			.slots = in[i].slots ? in[i].slots : 1,
			.svc = (in[i].svc > 0 ? in[i].svc : 1e-3) * slow[i],
			.scv = !in[i].has_scv ? 1 : fmax(in[i].scv, 0),
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
		now[i] = fmax(rate, in[i].own > 0 ? in[i].own : 0);
		total += now[i];
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
	dd_plan_steer(in, share, now, n, sum->total, w);
	/* on below a fifth, off above a quarter: no flapping in between */
	sum->slack = f < DD_PLAN_SLACK_SHARE ||
		     (sum->slack && f < DD_PLAN_SLACK_SHARE_OFF) ?
		     DD_PLAN_SLACK : 0;

	for (i = 0; i < n; i++) {
		x = share[i] * total;
		out[i].weight = (uint32_t)lround(dd_clamp(w[i] *
							  DD_PLAN_WEIGHT_SCALE,
							  1, DD_PLAN_WEIGHT_SCALE));
		out[i].load = (uint32_t)lround(dd_clamp(1000 * x * st[i].svc /
							st[i].slots, 1, 999));
		out[i].raised = dd_plan_raise(&in[i], out[i].load, f);
		if (out[i].raised)
			out[i].load = (uint32_t)lround(fmin(in[i].busy * 1000,
							    999));
		/* at most the time in system at DD_PLAN_LOAD_MAX */
		t = dd_sojourn(&st[i], fmin(x, DD_PLAN_LOAD_MAX *
					     dd_capacity(&st[i])));
		v = 1000 * ((1 - f) * x * t - f * x * st[i].rtt);
		out[i].adjust = (int32_t)lround(dd_clamp(v, -DYNCAST_ADJUST_MAX,
							 DYNCAST_ADJUST_MAX));
		/* the instance's own, not the model's (DD_PLAN_SLOTS_MAX) */
		v = in[i].svc * slow[i] * 1e6;
		out[i].svc_us = slow[i] != 1 ?
				(uint32_t)lround(dd_clamp(v, 1,
							  DD_PLAN_SVC_MAX_US)) : 0;
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
 * as dd_load_moved() says; a service time by 5 %, or shown or no more
 */
bool dd_plan_moved(const struct dd_plan_out *now,
		   const struct dd_plan_out *pushed)
{
	return dd_moved(now->weight, pushed->weight, 1) ||
	       dd_load_moved(now->load, pushed->load) ||
	       dd_moved(now->adjust, pushed->adjust, 250) ||
	       dd_moved(now->svc_us, pushed->svc_us, 1);
}

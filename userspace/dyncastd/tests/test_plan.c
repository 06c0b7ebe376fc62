// SPDX-License-Identifier: GPL-2.0
/*
 * The router's plan of a least-cost service: its weights follow the
 * optimum split of all routers' demands, its slack the router's part of
 * them, its inflight-adjust the other routers' demands less its own on
 * their way; an instance slower than it says is planned as slow as its
 * demands show it; and what it does with no demand, unknown loads,
 * overload.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <cmocka.h>

#include "plan.h"
#include "split.h"

static void near(double got, double want, double rel)
{
	if (!(fabs(got - want) <= rel * fabs(want) + 1e-9)) {
		print_error("got %.9g, want %.9g\n", got, want);
		fail();
	}
}

/*
 * Three sites 5, 20 and 50 ms away with 2, 3 and 5 slots of 50 ms, busy
 * as given; this router's part of what each serves is own_part
 */
static void three(struct dd_plan_in *in, double busy0, double busy1,
		  double busy2, double own_part)
{
	static const double cost[3] = { 0.005, 0.020, 0.050 };
	static const unsigned int slots[3] = { 2, 3, 5 };
	double busy[3] = { busy0, busy1, busy2 };
	unsigned int i;

	for (i = 0; i < 3; i++)
		in[i] = (struct dd_plan_in){
			.cost = cost[i],
			.slots = slots[i],
			.svc = 0.050,
			.busy = busy[i],
			.own = own_part * busy[i] * slots[i] / 0.050,
			.planned = 60,
		};
}

/* the rates the reports show, split as dd_split() does */
static void follows_the_split(void **state)
{
	struct dd_station st[3];
	struct dd_plan_out out[3];
	struct dd_plan_sum sum = { 0 };
	struct dd_plan_in in[3];
	double share[3], lam, mean;
	unsigned int i;

	(void)state;
	three(in, 0.6, 0.5, 0.4, 1);
	dd_plan(in, 3, out, &sum);
	lam = 0.6 * 2 / 0.05 + 0.5 * 3 / 0.05 + 0.4 * 5 / 0.05;
	near(sum.total, lam, 1e-12);
	near(sum.own_share, 1, 1e-12);
	for (i = 0; i < 3; i++)
		st[i] = (struct dd_station){ in[i].cost, in[i].slots, 0.05, 1 };
	mean = dd_split(st, 3, lam, share);
	near(sum.mean, mean, 1e-12);
	for (i = 0; i < 3; i++) {
		double x = share[i] * lam, now = in[i].busy * in[i].slots / 0.05;

		/* past the split by the gain times the gap (the shares add to 1) */
		near(out[i].weight, fmax(1, round(10000 * (share[i] +
			DD_PLAN_STEER_GAIN * (share[i] - now / lam)))), 0);
		/* the split's load, or the reported one where higher */
		near(out[i].load, fmax(round(1000 * x * 0.05 / in[i].slots),
				       round(1000 * in[i].busy)), 0);
		/* the router's demands are all there are: only the transit */
		near(out[i].adjust, round(-1000 * x * in[i].cost), 0);
	}
	/* it sees all the demands: no slack */
	assert_int_equal(sum.slack, 0);
}

/* a router of ten: the others' demands by Little's law, and a slack */
static void one_of_ten(void **state)
{
	struct dd_station st[3];
	struct dd_plan_out out[3];
	struct dd_plan_sum sum = { 0 };
	struct dd_plan_in in[3];
	double share[3];
	unsigned int i;

	(void)state;
	three(in, 0.8, 0.8, 0.8, 0.1);
	dd_plan(in, 3, out, &sum);
	near(sum.own_share, 0.1, 1e-9);
	assert_int_equal(sum.slack, DD_PLAN_SLACK);
	for (i = 0; i < 3; i++)
		st[i] = (struct dd_station){ in[i].cost, in[i].slots, 0.05, 1 };
	dd_split(st, 3, sum.total, share);
	for (i = 0; i < 3; i++) {
		double x = share[i] * sum.total;

		near(out[i].adjust, round(1000 * (0.9 * x * dd_sojourn(&st[i], x) -
						  0.1 * x * in[i].cost)), 1e-9);
		assert_true(out[i].adjust > 0);
	}
	/* from a slack of 4, a fifth keeps it, more than a quarter not */
	three(in, 0.8, 0.8, 0.8, 0.2);
	dd_plan(in, 3, out, &sum);
	assert_int_equal(sum.slack, DD_PLAN_SLACK);
	three(in, 0.8, 0.8, 0.8, 0.26);
	dd_plan(in, 3, out, &sum);
	assert_int_equal(sum.slack, 0);
	/* and from none, a fifth exactly chooses freely */
	three(in, 0.8, 0.8, 0.8, 0.2);
	dd_plan(in, 3, out, &sum);
	assert_int_equal(sum.slack, 0);
}

/*
 * two identical instances: the same weight, load and adjustment; loaded
 * unequally, the less loaded gets more of the router's demands, and the
 * curves take a reported load above the split's when the router is
 * alone, not when others' demands are most of it and it is within
 * DD_PLAN_RAISE of the split
 */
static void identical(void **state)
{
	struct dd_plan_in in[2] = {
		{ .cost = 0.01, .slots = 4, .svc = 0.02, .busy = 0.6, .own = 10 },
		{ .cost = 0.01, .slots = 4, .svc = 0.02, .busy = 0.6, .own = 10 },
	};
	struct dd_plan_out out[2];
	struct dd_plan_sum sum = { 0 };

	(void)state;
	dd_plan(in, 2, out, &sum);
	assert_int_equal(out[0].weight, 5000);
	assert_int_equal(out[1].weight, 5000);
	assert_int_equal(out[0].load, out[1].load);
	assert_int_equal(out[0].load, 600);
	assert_int_equal(out[0].adjust, out[1].adjust);

	/* 140 and 100 demands a second, planned 120 each */
	in[0].busy = 0.7;
	in[1].busy = 0.5;
	dd_plan(in, 2, out, &sum);
	/*
	 * 700 reported against the split's 600, the router's part a twelfth:
	 * others' demands, within DD_PLAN_RAISE of the split; not taken
	 */
	assert_int_equal(out[0].load, 600);
	assert_int_equal(out[1].load, 600);
	assert_int_equal(out[0].weight,
			 lround(10000 * (0.5 + DD_PLAN_STEER_GAIN * (0.5 - 140.0 / 240))));
	assert_int_equal(out[1].weight,
			 lround(10000 * (0.5 + DD_PLAN_STEER_GAIN * (0.5 - 100.0 / 240))));

	/*
	 * the router's own, three quarters of them or all: the reported
	 * load where higher
	 */
	in[0].own = 105;
	in[1].own = 75;
	dd_plan(in, 2, out, &sum);
	near(sum.own_share, 0.75, 1e-12);
	assert_int_equal(out[0].load, 700);
	assert_int_equal(out[1].load, 600);
	in[0].own = 140;
	in[1].own = 100;
	dd_plan(in, 2, out, &sum);
	near(sum.own_share, 1, 1e-12);
	assert_int_equal(out[0].load, 700);
	assert_int_equal(out[1].load, 600);
}

/*
 * One of two identical instances busy with what this router does not
 * send (99.5 %, work of others or not the service's), the router's own
 * few demands at the other: the split is even, and the router, keeping
 * to it within its slack, would send every other demand to the loaded
 * one; its weights send them where the others' fall short.
 */
static void elsewhere(void **state)
{
	struct dd_plan_in in[2] = {
		{ .cost = 0.001, .slots = 100, .svc = 0.01, .busy = 0.995,
		  .planned = 60 },
		{ .cost = 0.001, .slots = 100, .svc = 0.01, .busy = 0,
		  .own = 1, .planned = 60 },
	};
	struct dd_plan_out out[2];
	struct dd_plan_sum sum = { 0 };

	(void)state;
	dd_plan(in, 2, out, &sum);
	assert_int_equal(sum.slack, DD_PLAN_SLACK);
	near(sum.total, 9951, 1e-9);
	near(out[0].weight, round(10000 * (0.5 + DD_PLAN_STEER_GAIN *
					   (0.5 - 9950.0 / 9951))), 0);
	assert_true(out[0].weight < 3000);
	assert_true(out[1].weight > 7000);
	/* the curves: the reported 99.5 %, and the even split's half */
	assert_int_equal(out[0].load, 995);
	assert_int_equal(out[1].load, 498);

	/*
	 * The loaded one the nearer by 0.6 ms: the split gives it some 80 %
	 * of the 9951 a second, and the report is less than DD_PLAN_RAISE
	 * above; saturated, it is taken all the same (agent_load)
	 */
	in[0].cost = 0.000588;
	in[1].cost = 0.0012;
	dd_plan(in, 2, out, &sum);
	assert_int_equal(out[0].load, 995);
	/* 90 % reported, not saturated: within DD_PLAN_RAISE of the split's */
	in[0].busy = 0.9;
	dd_plan(in, 2, out, &sum);
	assert_true(out[0].load < 900 && out[0].load + DD_PLAN_RAISE > 900);
}

/*
 * No demand: the shares of the capacities, the least load; unknown
 * loads: only the router's own demands, and weights as split; a far site
 * that gets nothing in the split still has weight 1; overload: planned
 * as 98 % of capacity
 */
static void edges(void **state)
{
	struct dd_plan_out out[3];
	struct dd_plan_sum sum = { 0 };
	struct dd_plan_in in[3];
	unsigned int i;

	(void)state;
	three(in, 0, 0, 0, 1);
	dd_plan(in, 3, out, &sum);
	assert_true(isnan(sum.mean));
	near(sum.own_share, 1, 0);
	assert_int_equal(out[0].weight, 2000);
	assert_int_equal(out[1].weight, 3000);
	assert_int_equal(out[2].weight, 5000);
	for (i = 0; i < 3; i++) {
		assert_int_equal(out[i].load, 1);
		assert_int_equal(out[i].adjust, 0);
	}

	three(in, -1, -1, -1, 0);
	for (i = 0; i < 3; i++)
		in[i].own = 4;
	dd_plan(in, 3, out, &sum);
	near(sum.total, 12, 1e-12);
	near(sum.own_share, 1, 0);
	assert_int_equal(sum.slack, 0);
	/*
	 * one load unknown: its own demands only, no sign of the others'
	 * there; the weights are the split's, not moved by the gap
	 */
	three(in, 0.8, 0.8, 0.8, 0.1);
	in[1].busy = -1;
	dd_plan(in, 3, out, &sum);
	{
		struct dd_station st[3];
		double share[3];

		for (i = 0; i < 3; i++)
			st[i] = (struct dd_station){ in[i].cost, in[i].slots,
						     0.05, 1 };
		dd_split(st, 3, sum.total, share);
		for (i = 0; i < 3; i++)
			near(out[i].weight, fmax(1, round(share[i] * 10000)), 0);
	}

	/* 10 demands a second: the far site is not worth its 50 ms */
	three(in, 0.1, 0, 0, 1);
	in[0].own = 4;
	in[1].own = 6;
	dd_plan(in, 3, out, &sum);
	assert_int_equal(out[2].weight, 1);
	assert_int_equal(out[2].load, 1);

	/* all busy: planned as 98 % of the capacity, finite; the curves
	 * at the reported load, all but full
	 */
	three(in, 1, 1, 1, 1);
	dd_plan(in, 3, out, &sum);
	near(sum.total, 200, 1e-12);
	assert_true(isfinite(sum.mean));
	assert_int_equal(out[0].weight + out[1].weight + out[2].weight, 10000);
	for (i = 0; i < 3; i++) {
		assert_int_equal(out[i].load, 999);
		assert_true(out[i].adjust < 0);
	}
}

/*
 * The near site serves at half the speed its service time says: its
 * demands keep its slots busy twice as long as the others' for as many
 * of this router's demands.  Planned with 100 ms, it gets less than
 * when it is as fast as it says; the others are taken as they say.  A
 * router with a tenth of the demands keeps to the split (slack).
 */
static void slow_instance(void **state)
{
	struct dd_plan_out out[3], fast[3];
	struct dd_plan_sum sum = { 0 };
	struct dd_plan_in in[3];

	(void)state;
	/* a router alone, or one of several that keeps to the split */
	three(in, 0.8, 0.8, 0.8, 1);
	in[0].own /= 2;
	dd_plan(in, 3, out, &sum);
	near(out[0].svc_us, 100000, 1e-6);
	three(in, 0.8, 0.8, 0.8, 0.3);
	in[0].own /= 2;
	sum.slack = 0;
	dd_plan(in, 3, out, &sum);
	assert_int_equal(out[0].svc_us, 0);
	sum.slack = DD_PLAN_SLACK;

	three(in, 0.8, 0.8, 0.8, 0.1);
	dd_plan(in, 3, fast, &sum);
	assert_int_equal(fast[0].svc_us, 0);
	assert_int_equal(fast[1].svc_us, 0);
	assert_int_equal(fast[2].svc_us, 0);

	in[0].own /= 2;
	dd_plan(in, 3, out, &sum);
	near(out[0].svc_us, 100000, 1e-6);
	assert_int_equal(out[1].svc_us, 0);
	assert_int_equal(out[2].svc_us, 0);
	assert_true(out[0].weight < fast[0].weight * 0.75);
	assert_true(dd_plan_moved(&out[0], &fast[0]));

	/* a fifth slower: within the estimate's noise, taken as it says */
	three(in, 0.8, 0.8, 0.8, 0.1);
	in[0].own /= 1.2;
	dd_plan(in, 3, out, &sum);
	assert_int_equal(out[0].svc_us, 0);

	/* at most DD_PLAN_SLOW_MAX times */
	three(in, 0.8, 0.8, 0.8, 0.1);
	in[0].own /= 100;
	dd_plan(in, 3, out, &sum);
	near(out[0].svc_us, 0.050 * DD_PLAN_SLOW_MAX * 1e6, 1e-6);

	/*
	 * the others are not taken for slower when one is faster (nor is it
	 * taken for faster: too few of its demands, fast_instance)
	 */
	three(in, 0.8, 0.8, 0.8, 0.1);
	in[2].own *= 2;
	dd_plan(in, 3, out, &sum);
	assert_int_equal(out[0].svc_us, 0);
	assert_int_equal(out[1].svc_us, 0);
	assert_int_equal(out[2].svc_us, 0);

	/* of more slots than the model takes: its own service time */
	three(in, 0.8, 0.8, 0.8, 0.1);
	in[0].slots = 4 * DD_PLAN_SLOTS_MAX;
	in[0].own *= 2 * DD_PLAN_SLOTS_MAX;
	in[0].own /= 2;
	dd_plan(in, 3, out, &sum);
	near(out[0].svc_us, 100000, 1e-6);

	/* saturated, it serves fewer than it is sent: shown, but not a measure */
	three(in, 1, 0.8, 0.8, 0.1);
	in[0].own /= 2;
	dd_plan(in, 3, out, &sum);
	near(out[0].svc_us, 100000, 1e-6);
	three(in, 0.8, 1, 1, 0.1);
	in[0].own /= 2;
	dd_plan(in, 3, out, &sum);
	assert_int_equal(out[0].svc_us, 0);
	/*
	 * one of the others saturated: one other left is no measure (the
	 * faster of two would make the other look slow), nor a median of
	 * two the slow one pulls down (1.5 times)
	 */
	three(in, 0.8, 0.8, 1, 0.1);
	in[0].own /= 2;
	dd_plan(in, 3, out, &sum);
	assert_int_equal(out[0].svc_us, 0);
	three(in, 0.8, 0.8, 1, 0.1);
	in[1].own *= 1.5;
	dd_plan(in, 3, out, &sum);
	assert_int_equal(out[0].svc_us, 0);
	assert_int_equal(out[1].svc_us, 0);
	/*
	 * ... where the last plan showed it slower, it keeps that: no
	 * measure this round is no reason to take it as it says; so does
	 * a router alone, which keeps to no split
	 */
	three(in, 0.8, 0.8, 1, 0.1);
	in[0].own /= 2;
	in[0].svc_us = 100000;
	dd_plan(in, 3, out, &sum);
	assert_int_equal(out[0].svc_us, 100000);
	assert_int_equal(out[1].svc_us, 0);
	three(in, 0.8, 1, 1, 0.1);
	in[0].own /= 2;
	in[0].svc_us = 100000;
	dd_plan(in, 3, out, &sum);
	assert_int_equal(out[0].svc_us, 100000);
	assert_int_equal(out[1].svc_us, 0);
	assert_int_equal(out[2].svc_us, 0);
	three(in, 0.8, 1, 1, 1);
	in[0].own /= 2;
	in[0].svc_us = 100000;
	sum.slack = 0;
	dd_plan(in, 3, out, &sum);
	assert_int_equal(out[0].svc_us, 100000);
	sum.slack = DD_PLAN_SLACK;
	/* ... against the service time it says now: 90 ms is no slowness */
	three(in, 0.8, 1, 1, 0.1);
	in[0].svc = 0.090;
	in[0].svc_us = 100000;
	dd_plan(in, 3, out, &sum);
	assert_int_equal(out[0].svc_us, 0);
	/* ... until a round measures it: as fast as it says */
	three(in, 0.8, 0.8, 0.8, 0.1);
	in[0].svc_us = 100000;
	dd_plan(in, 3, out, &sum);
	assert_int_equal(out[0].svc_us, 0);
	three(in, 0.8, 1, 1, 0.1);
	in[0].own /= 2;
	in[0].svc_us = 0.050 * 1e6 * 2 * DD_PLAN_SLOW_MAX;
	dd_plan(in, 3, out, &sum);
	near(out[0].svc_us, 0.050 * DD_PLAN_SLOW_MAX * 1e6, 1e-6);
	/* not one new in the plan, nor one not busy enough to be measured */
	in[0].svc_us = 100000;
	in[0].planned = DD_PLAN_SLOW_AFTER - 1;
	dd_plan(in, 3, out, &sum);
	assert_int_equal(out[0].svc_us, 0);
	three(in, 0.4, 1, 1, 0.1);
	in[0].svc_us = 100000;
	dd_plan(in, 3, out, &sum);
	assert_int_equal(out[0].svc_us, 0);

	/* new in the plan: its load and our demands are of different times */
	three(in, 0.8, 0.8, 0.8, 0.1);
	in[0].own /= 2;
	in[0].planned = DD_PLAN_SLOW_AFTER - 1;
	dd_plan(in, 3, out, &sum);
	assert_int_equal(out[0].svc_us, 0);

	/*
	 * two instances, two routers each near its own, choosing freely:
	 * this one's parts 0.95 and 0.3 are no slowness (an upper median,
	 * taking the router for alone, would plan the other 3.2 times
	 * slower, and a router alone with one instance half as fast looks
	 * the same: 1 and 0.5; neither is estimated)
	 */
	three(in, 0.8, 0.8, 0.8, 0.95);
	in[1].own *= 0.3 / 0.95;
	sum.slack = 0;
	dd_plan(in, 2, out, &sum);
	assert_int_equal(out[0].svc_us, 0);
	assert_int_equal(out[1].svc_us, 0);
	three(in, 0.8, 0.8, 0.8, 1);
	in[1].own /= 2;
	dd_plan(in, 2, out, &sum);
	assert_int_equal(out[1].svc_us, 0);
	sum.slack = DD_PLAN_SLACK;

	/* nothing to compare with: one instance, or no demand of ours */
	dd_plan(in, 1, out, &sum);
	assert_int_equal(out[0].svc_us, 0);
	three(in, 0.8, 0.8, 0.8, 0.1);
	in[1].own = 0;
	in[2].busy = -1;
	in[0].own /= 2;
	dd_plan(in, 3, out, &sum);
	assert_int_equal(out[0].svc_us, 0);
}

/*
 * Two identical instances of 4 slots of 20 ms, reporting @busy0 and
 * @busy1, this router's part of the demands at each @f: whether this
 * plan raises instance 0's curve, checked to have split the demands
 * evenly (the curve's load the mean of the two)
 */
static bool raise_at(double busy0, double busy1, double f)
{
	struct dd_plan_in in[2];
	struct dd_plan_out out[2];
	struct dd_plan_sum sum = { 0 };
	double busy[2] = { busy0, busy1 };
	unsigned int i;

	for (i = 0; i < 2; i++)
		in[i] = (struct dd_plan_in){
			.cost = 0.01, .slots = 4, .svc = 0.02,
			.busy = busy[i], .own = f * busy[i] * 4 / 0.02,
		};
	dd_plan(in, 2, out, &sum);
	near(sum.own_share, f, 1e-9);
	assert_false(out[1].raised);
	assert_int_equal(out[1].load, lround(500 * (busy0 + busy1)));
	if (!out[0].raised) {
		assert_int_equal(out[0].load, out[1].load);
		return false;
	}
	assert_int_equal(out[0].load, lround(1000 * busy0));
	return true;
}

/*
 * Where a curve takes the reported load over the split's: every branch
 * of the rule, on both sides of its threshold
 */
static void raise_rules(void **state)
{
	(void)state;
	/* not above the split's: never */
	assert_false(raise_at(0.6, 0.6, 1));

	/* the router sees DD_PLAN_RAISE_SHARE or more: any excess */
	assert_true(raise_at(0.62, 0.6, DD_PLAN_RAISE_SHARE + 0.01));
	assert_false(raise_at(0.62, 0.6, DD_PLAN_RAISE_SHARE - 0.01));

	/* less: DD_PLAN_RAISE per mille above (0.9 against 0.7) */
	assert_true(raise_at(0.92, 0.5, 0.1));
	assert_false(raise_at(0.88, 0.5, 0.1));

	/* saturated: DD_PLAN_RAISE_FULL (0.96 against 0.86) */
	assert_true(raise_at(0.96, 0.74, 0.1));
	assert_false(raise_at(0.96, 0.78, 0.1));
	/* not saturated, the same excess: no */
	assert_false(raise_at(0.94, 0.72, 0.1));
}

/*
 * three() with ten times the slots and the demands: enough of the
 * router's demands for a speed to be measured (DD_PLAN_FAST_DEMANDS)
 */
static void three10(struct dd_plan_in *in, double busy0, double busy1,
		    double busy2, double own_part)
{
	unsigned int i;

	three(in, busy0, busy1, busy2, own_part);
	for (i = 0; i < 3; i++) {
		in[i].slots *= 10;
		in[i].own *= 10;
	}
}

/* @k plans in a row, each told the service times the last one showed */
static void rounds(struct dd_plan_in *in, unsigned int n,
		   struct dd_plan_out *out, struct dd_plan_sum *sum,
		   unsigned int k)
{
	unsigned int i;

	while (k--) {
		dd_plan(in, n, out, sum);
		for (i = 0; i < n; i++)
			in[i].svc_us = out[i].svc_us;
	}
}

/*
 * Sites of different speeds that all say the same service time: the
 * faster one shows more of the router's demands for its load, and is
 * planned with the service time they show, so that it gets its share.
 */
static void fast_instance(void **state)
{
	struct dd_plan_out out[5], as_said[3];
	struct dd_plan_sum sum = { 0 };
	struct dd_plan_in in[5];
	unsigned int i;

	(void)state;
	/* a router alone: half as fast, as fast, twice as fast */
	three10(in, 0.8, 0.8, 0.4, 1);
	in[0].own /= 2;
	in[2].own *= 2;
	rounds(in, 3, out, &sum, 20);
	near(out[0].svc_us, 100000, 1e-6);
	assert_int_equal(out[1].svc_us, 0);
	near(out[2].svc_us, 25000, 1e-6);
	/* ... the same, new in the plan: taken as it says, a smaller share */
	in[2].svc_us = 0;
	in[2].planned = DD_PLAN_SLOW_AFTER - 1;
	dd_plan(in, 3, as_said, &sum);
	assert_int_equal(as_said[2].svc_us, 0);
	assert_true(out[2].weight > as_said[2].weight * 1.25);
	assert_true(dd_plan_moved(&out[2], &as_said[2]));

	/*
	 * by DD_PLAN_FAST_STEP a plan at most (a share that has just grown
	 * shows more demands than load for a while); back at once
	 */
	three10(in, 0.8, 0.8, 0.4, 1);
	in[2].own *= 2;
	rounds(in, 3, out, &sum, 1);
	near(out[2].svc_us, 50000 * DD_PLAN_FAST_STEP, 1e-6);
	rounds(in, 3, out, &sum, 1);
	near(out[2].svc_us, 50000 * DD_PLAN_FAST_STEP * DD_PLAN_FAST_STEP,
	     1e-4);
	rounds(in, 3, out, &sum, 20);
	near(out[2].svc_us, 25000, 1e-6);
	in[2].own /= 2;
	dd_plan(in, 3, out, &sum);
	assert_int_equal(out[2].svc_us, 0);

	/* one that keeps to the split (slack) alike */
	sum.slack = DD_PLAN_SLACK;
	three10(in, 0.8, 0.8, 0.4, 0.1);
	in[2].own *= 2;
	rounds(in, 3, out, &sum, 20);
	assert_int_equal(out[0].svc_us, 0);
	assert_int_equal(out[1].svc_us, 0);
	near(out[2].svc_us, 25000, 1e-6);

	/* too few of its demands to tell (40 in DD_PLAN_TAU_MS) */
	three(in, 0.8, 0.8, 0.4, 0.1);
	in[2].own *= 2;
	rounds(in, 3, out, &sum, 20);
	assert_int_equal(out[2].svc_us, 0);

	/* a fifth faster: within the estimate's noise, taken as it says */
	three10(in, 0.8, 0.8, 0.8, 0.1);
	in[2].own *= 1.2;
	rounds(in, 3, out, &sum, 20);
	assert_int_equal(out[2].svc_us, 0);

	/* at most DD_PLAN_FAST_MAX times */
	three10(in, 0.8, 0.8, 0.8, 0.05);
	in[2].own *= 5;
	rounds(in, 3, out, &sum, 40);
	near(out[2].svc_us, 0.050 / DD_PLAN_FAST_MAX * 1e6, 1e-6);

	/* measured from DD_PLAN_FAST_BUSY, where slowness is not */
	three10(in, 0.8, 0.8, DD_PLAN_FAST_BUSY, 0.1);
	in[2].own *= 2;
	rounds(in, 3, out, &sum, 20);
	near(out[2].svc_us, 25000, 1e-6);
	three10(in, 0.8, 0.8, DD_PLAN_FAST_BUSY * 0.9, 0.1);
	in[2].own *= 2;
	rounds(in, 3, out, &sum, 20);
	assert_int_equal(out[2].svc_us, 0);
	three10(in, 0.8, 0.8, DD_PLAN_SLOW_BUSY * 0.9, 0.1);
	in[2].own /= 2;
	rounds(in, 3, out, &sum, 20);
	assert_int_equal(out[2].svc_us, 0);

	/*
	 * against others busy DD_PLAN_SLOW_BUSY or more: a base load of 8 %
	 * (the host's, in a cpu that is not the service's alone) makes the
	 * demands of two instances busy 25 % look a third fewer than those
	 * of one busy 90 %, all as fast as they say
	 */
	three10(in, 0.9, 0.25, 0.25, 0.1);
	for (i = 0; i < 3; i++)
		in[i].own *= (in[i].busy - 0.08) / in[i].busy;
	rounds(in, 3, out, &sum, 20);
	assert_int_equal(out[0].svc_us, 0);
	assert_int_equal(out[1].svc_us, 0);
	assert_int_equal(out[2].svc_us, 0);

	/*
	 * a slower one among the others makes it look no faster: against
	 * the upper median (the lower one would take it four times faster);
	 * with three others alike (both medians are the middle one there),
	 * with four two slower ones
	 */
	three10(in, 0.8, 0.8, 0.8, 0.1);
	in[1].own /= 2;
	in[2].own *= 2;
	rounds(in, 3, out, &sum, 20);
	assert_int_equal(out[0].svc_us, 0);
	near(out[1].svc_us, 100000, 1e-6);
	near(out[2].svc_us, 25000, 1e-6);
	three10(in, 0.8, 0.8, 0.8, 0.1);
	in[3] = in[2];
	in[3].cost = 0.080;
	in[0].own /= 2;
	in[3].own *= 2;
	rounds(in, 4, out, &sum, 20);
	near(out[0].svc_us, 100000, 1e-6);
	assert_int_equal(out[1].svc_us, 0);
	assert_int_equal(out[2].svc_us, 0);
	near(out[3].svc_us, 25000, 1e-6);
	three10(in, 0.8, 0.8, 0.8, 0.1);
	in[3] = in[4] = in[2];
	in[3].cost = 0.080;
	in[4].cost = 0.100;
	in[0].own /= 2;
	in[1].own /= 2;
	in[4].own *= 2;
	rounds(in, 5, out, &sum, 20);
	near(out[0].svc_us, 100000, 1e-6);
	near(out[1].svc_us, 100000, 1e-6);
	assert_int_equal(out[2].svc_us, 0);
	assert_int_equal(out[3].svc_us, 0);
	near(out[4].svc_us, 25000, 1e-6);

	/* a slowness the last plan showed: down from its own time */
	three10(in, 0.8, 0.8, 0.8, 0.1);
	in[2].own *= 2;
	in[2].svc_us = 100000;
	dd_plan(in, 3, out, &sum);
	near(out[2].svc_us, 50000 * DD_PLAN_FAST_STEP, 1e-6);

	/*
	 * saturated, it serves fewer than it is sent: it looks faster, and
	 * is not; a speed the last plan showed is not kept there either,
	 * measured or not
	 */
	three10(in, 0.8, 0.8, 1, 0.1);
	in[2].own *= 2;
	rounds(in, 3, out, &sum, 20);
	assert_int_equal(out[2].svc_us, 0);
	in[2].svc_us = 25000;
	dd_plan(in, 3, out, &sum);
	assert_int_equal(out[2].svc_us, 0);
	three10(in, 1, 1, 1, 0.1);
	in[2].own *= 2;
	in[2].svc_us = 25000;
	dd_plan(in, 3, out, &sum);
	assert_int_equal(out[2].svc_us, 0);

	/*
	 * ... kept where no round measures it, the others saturated; a step
	 * on its way down too
	 */
	three10(in, 1, 1, 0.8, 0.1);
	in[2].svc_us = 25000;
	dd_plan(in, 3, out, &sum);
	near(out[2].svc_us, 25000, 1e-6);
	in[2].svc_us = 50000 * DD_PLAN_FAST_STEP;
	dd_plan(in, 3, out, &sum);
	near(out[2].svc_us, 50000 * DD_PLAN_FAST_STEP, 1e-6);
	/* ... as the last plan rounded it, at the threshold (a slowness too) */
	in[2].svc_us = (uint32_t)lround(50000 / DD_PLAN_SLOW);
	dd_plan(in, 3, out, &sum);
	assert_int_equal(out[2].svc_us, in[2].svc_us);
	in[2].svc = 1 / 30.0;
	in[2].svc_us = (uint32_t)lround(1e6 / 30 * DD_PLAN_SLOW);
	dd_plan(in, 3, out, &sum);
	assert_int_equal(out[2].svc_us, in[2].svc_us);
	in[2].svc = 0.050;
	/* ... at most DD_PLAN_FAST_MAX times, against its time said now */
	in[2].svc_us = 5000;
	dd_plan(in, 3, out, &sum);
	near(out[2].svc_us, 0.050 / DD_PLAN_FAST_MAX * 1e6, 1e-6);
	in[2].svc = 0.020;
	in[2].svc_us = 25000;
	dd_plan(in, 3, out, &sum);
	assert_int_equal(out[2].svc_us, 0);
	/* ... and where a round finds it no slower, but cannot tell faster */
	three10(in, 0.4, 0.4, 0.8, 0.1);
	in[2].svc_us = 25000;
	dd_plan(in, 3, out, &sum);
	near(out[2].svc_us, 25000, 1e-6);

	/*
	 * a router that chooses freely among several sends more to its
	 * nearer instances: no measure of speed
	 */
	sum.slack = 0;
	three10(in, 0.8, 0.8, 0.8, 0.3);
	in[0].own *= 3;
	rounds(in, 3, out, &sum, 20);
	assert_int_equal(out[0].svc_us, 0);
	assert_int_equal(out[1].svc_us, 0);
	assert_int_equal(out[2].svc_us, 0);
}

/* what is worth pushing into the kernel */
static void pushed(void **state)
{
	struct dd_plan_out was = { .weight = 5000, .load = 500, .adjust = 0 };
	struct dd_plan_out now = was;

	(void)state;
	assert_false(dd_plan_moved(&now, &was));
	now.weight = 5200;
	assert_false(dd_plan_moved(&now, &was));
	now.weight = 5300;
	assert_true(dd_plan_moved(&now, &was));

	/* mid-range, a load moves by 5 % */
	now = was;
	now.load = 520;
	assert_false(dd_plan_moved(&now, &was));
	now.load = 530;
	assert_true(dd_plan_moved(&now, &was));
	now.load = 470;
	assert_true(dd_plan_moved(&now, &was));

	/*
	 * near saturation the delay is steep: 95 % against 99.5 % is ten
	 * times the wait, although 5 % apart
	 */
	was.load = 950;
	now = was;
	now.load = 995;
	assert_true(dd_plan_moved(&now, &was));
	now.load = 965;
	assert_true(dd_plan_moved(&now, &was));
	now.load = 955;
	assert_false(dd_plan_moved(&now, &was));
	was.load = 995;
	now.load = 950;
	assert_true(dd_plan_moved(&now, &was));
	/* a service time shown, changed by 5 %, no more shown */
	was = (struct dd_plan_out){ .weight = 5000, .load = 500 };
	now = was;
	now.svc_us = 100000;
	assert_true(dd_plan_moved(&now, &was));
	was = now;
	now.svc_us = 104000;
	assert_false(dd_plan_moved(&now, &was));
	now.svc_us = 106000;
	assert_true(dd_plan_moved(&now, &was));
	now.svc_us = 0;
	assert_true(dd_plan_moved(&now, &was));
	was = (struct dd_plan_out){ .weight = 5000, .load = 995 };
	now = was;

	/* never below a point */
	was.load = 995;
	now.load = 999;
	assert_false(dd_plan_moved(&now, &was));

	/* adjustments: a quarter of a demand, and 5 % */
	now = was;
	now.adjust = 200;
	assert_false(dd_plan_moved(&now, &was));
	now.adjust = -250;
	assert_true(dd_plan_moved(&now, &was));
}

/*
 * The service times' variability: one single-slot instance at half load,
 * all of it the router's: the planned mean is the network delay plus
 * Pollaczek-Khinchine's M/G/1 time in system, S + rho S / (1 - rho) *
 * (1 + scv) / 2, for fixed, exponential (also when not given) and
 * heavy-tailed service times.
 */
static void variability(void **state)
{
	struct dd_plan_in in[1] = {
		{ .cost = 0.01, .slots = 1, .svc = 0.02, .busy = 0.5,
		  .own = 25 },
	};
	struct dd_plan_out out[1];
	struct dd_plan_sum sum = { 0 };
	static const double scv[] = { 0, 1, 4 };
	unsigned int i;

	(void)state;
	dd_plan(in, 1, out, &sum);
	near(sum.mean, 0.01 + 0.02 + 0.02, 1e-9);
	for (i = 0; i < 3; i++) {
		in[0].scv = scv[i];
		in[0].has_scv = true;
		sum = (struct dd_plan_sum){ 0 };
		dd_plan(in, 1, out, &sum);
		near(sum.mean, 0.01 + 0.02 + 0.02 * (1 + scv[i]) / 2, 1e-9);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(follows_the_split),
		cmocka_unit_test(one_of_ten),
		cmocka_unit_test(identical),
		cmocka_unit_test(elsewhere),
		cmocka_unit_test(raise_rules),
		cmocka_unit_test(edges),
		cmocka_unit_test(slow_instance),
		cmocka_unit_test(fast_instance),
		cmocka_unit_test(pushed),
		cmocka_unit_test(variability),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

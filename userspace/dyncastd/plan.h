/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The D-Router's plan of a least-cost service: the split of its demands
 * over its instances that minimises their mean response time, and the
 * parameters that make the kernel's least-cost keep close to it.
 */
#ifndef DD_PLAN_H
#define DD_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "linux/dyncast.h"

/* How often a D-Router plans each service that plans, ms */
#define DD_PLAN_MS		500
/* an instance up or down plans again, this long after the last at least */
#define DD_PLAN_SOON_MS		100
/* Its own rates and the reported loads are smoothed over about this, ms */
#define DD_PLAN_TAU_MS		5000
/* The service time of a service that sets none, us (the kernel's) */
#define DD_PLAN_SERVICE_TIME_US	1000

/*
 * The plan never takes the demands for more than this part of the
 * capacity: near it, the estimate from reported loads is at its worst and
 * the delays steepest
 */
#define DD_PLAN_LOAD_MAX	0.98

/*
 * The weights close this part of the gap between the split and the
 * demands the reports show at each instance: a router that keeps to the
 * split (slack) sends its own demands where the others' fall short, as
 * where an instance is loaded by work the plan does not steer.  Above
 * it, the routers together overshoot on reports seconds old.
 */
#define DD_PLAN_STEER_GAIN	0.5

/* Slots modelled at most, as the kernel's curve */
#define DD_PLAN_SLOTS_MAX	1024

/* Weights of a plan: a share of 1 is this much */
#define DD_PLAN_WEIGHT_SCALE	10000
/*
 * A router that sees less than a fifth of a service's demands keeps to
 * the planned split within DD_PLAN_SLACK demands per CPU (the kernel's
 * slack); one that sees more chooses freely by cost.
 */
#define DD_PLAN_SLACK_SHARE	0.2
#define DD_PLAN_SLACK_SHARE_OFF	0.25
#define DD_PLAN_SLACK		4

/*
 * An instance whose demands show it this many times slower than its
 * service time says, or more, is planned with the service time they show
 * (at most DD_PLAN_SLOW_MAX times its own); see dd_plan()
 */
#define DD_PLAN_SLOW		1.3
#define DD_PLAN_SLOW_MAX	16
/*
 * ... and one they show DD_PLAN_SLOW times faster or more, against the
 * upper median of the others', with the service time they show, down to
 * 1 / DD_PLAN_FAST_MAX of its own; not while it is saturated
 */
#define DD_PLAN_FAST_MAX	4.0
/*
 * ... measured where it is this busy or more (a slowness: from
 * DD_PLAN_SLOW_BUSY) and the router sent it this many demands in
 * DD_PLAN_TAU_MS or more; below its own, its service time falls to
 * DD_PLAN_FAST_STEP times the last plan's at least, and rises at once
 */
#define DD_PLAN_FAST_BUSY	0.25
#define DD_PLAN_FAST_DEMANDS	100
#define DD_PLAN_FAST_STEP	0.9
/* A service time the last plan showed is this close (whole microseconds) */
#define DD_PLAN_ROUNDING	1e-3
/*
 * ... from its load and the router's demands smoothed alike: not in its
 * first seconds in the plan (its load and the router's demands there
 * would be of different times), nor against a saturated instance's
 */
#define DD_PLAN_SLOW_AFTER	10
#define DD_PLAN_SATURATED	0.95
/*
 * ... only where the router's part of each instance's demands is the
 * same: it keeps to the split (slack) or sees nearly all demands; and
 * a slowness only at instances busy enough for it to matter (work that
 * is not the service's is taken for slowness: at an instance the plan
 * gives less, it weighs more and more), a speed only against them
 */
#define DD_PLAN_SLOW_ALONE	0.9
#define DD_PLAN_SLOW_BUSY	0.5
/*
 * A curve takes the reported load where it is higher than the split's
 * when the router sees DD_PLAN_RAISE_SHARE of the demands or more (not
 * 90 %: an instance slower than it says makes the others' part look
 * larger than it is), or where it is higher by DD_PLAN_RAISE per mille
 * or more: see dd_plan()
 */
#define DD_PLAN_RAISE_SHARE	0.7
#define DD_PLAN_RAISE		200
/* ... or, at an instance DD_PLAN_SATURATED or more, by this much */
#define DD_PLAN_RAISE_FULL	100
/* The longest service time the kernel takes, us */
#define DD_PLAN_SVC_MAX_US	DYNCAST_SERVICE_TIME_MAX

/* What the router knows of one instance that takes new demands */
struct dd_plan_in {
	double cost;		/* network round trip to it, seconds */
	unsigned int slots;	/* its capacity; 0 unknown, taken as 1 */
	double svc;		/* mean service time of a demand, seconds */
	double scv;		/* the squared coefficient of variation of
				 * its service times: 1 exponential, 0
				 * fixed (Allen-Cunneen's waits) ...
				 */
	bool has_scv;		/* ... if given; else 1 */
	double busy;		/* its reported load, 0..1; < 0 unknown */
	double own;		/* this router's new demands a second there */
	double planned;		/* seconds it has been planned, up, on end */
	uint32_t svc_us;	/* the service time the last plan showed for
				 * it (dd_plan_out's svc_us), 0 none
				 */
};

/* What the kernel is told of it */
struct dd_plan_out {
	uint32_t weight;	/* 1..DD_PLAN_WEIGHT_SCALE: the planned share */
	uint32_t load;		/* per mille, 1..999: its curve's load */
	int32_t adjust;		/* thousandths of a demand: inflight-adjust */
	uint32_t svc_us;	/* the service time it shows, microseconds,
				 * where the plan takes it slower or faster
				 * than its own (see dd_plan()); else 0
				 */
	bool raised;		/* its curve took the reported load */
};

struct dd_plan_sum {
	double total;		/* demands a second, of every router */
	double own_share;	/* this router's part of them, 0..1 */
	double mean;		/* planned mean response time, seconds;
				 * INFINITY when the load exceeds capacity,
				 * NAN with no demand
				 */
	uint32_t slack;		/* for the service; on entry, its slack now
				 * (0 at first), for the hysteresis
				 */
};

void dd_plan(const struct dd_plan_in *in, unsigned int n,
	     struct dd_plan_out *out, struct dd_plan_sum *sum);

/* Whether @now differs enough from @pushed, in the kernel, to be pushed */
bool dd_plan_moved(const struct dd_plan_out *now,
		   const struct dd_plan_out *pushed);

#endif /* DD_PLAN_H */

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

/* How often a D-Router plans each service that plans, ms */
#define DD_PLAN_MS		500
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

/* What the router knows of one instance that takes new demands */
struct dd_plan_in {
	double cost;		/* network round trip to it, seconds */
	unsigned int slots;	/* its capacity; 0 unknown, taken as 1 */
	double svc;		/* mean service time of a demand, seconds */
	double busy;		/* its reported load, 0..1; < 0 unknown */
	double own;		/* this router's new demands a second there */
};

/* What the kernel is told of it */
struct dd_plan_out {
	uint32_t weight;	/* 1..DD_PLAN_WEIGHT_SCALE: the planned share */
	uint32_t load;		/* per mille, 1..999: its curve's load */
	int32_t adjust;		/* thousandths of a demand: inflight-adjust */
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

// SPDX-License-Identifier: GPL-2.0
/*
 * steersim: how well steering policies serve demands, by discrete-event
 * simulation, with the D-Router's own selection code (kmod/select.c).
 *
 * One D-Router steers the demands of one service to its instances, one per
 * edge site.  Demands arrive at the router as a Poisson process.  Site i
 * is at a round-trip time d_i from the router and its instance serves at
 * most c_i demands at once (its slots); a demand waits in FIFO order for a
 * slot and holds it for a service time of mean S / speed_i drawn from an
 * exponential (M/M/c), deterministic (M/D/c) or lognormal (M/G/c)
 * distribution.  A demand's response time is d_i plus its wait plus its
 * service time.
 *
 * Each site's metric agent reports periodically, as the kernel expects
 * from an agent: cpu (the busy share of the slots since the last report,
 * per mille), sessions (slots busy now), queue (demands waiting now),
 * capacity (c_i) and cost (d_i in microseconds); with -R cpu, no sessions
 * or queue; with -R cpu-nocap, no capacity either (0, unknown).  Report k of site i is
 * taken at t0_i + k * T (t0_i uniform in [0, T), each interval jittered by
 * up to +-J) and reaches the router d_i / 2 later, where it replaces the
 * instance's metrics and resets its pending demands, as the module does.
 *
 * Policies:
 *   nearest      the site of least d_i, always
 *   round-robin  each site in turn
 *   lc           fewest demands open at the router (sent, response not yet
 *                back), the first one on a tie: IPVS "lc"
 *   least-load   least load as last reported (old_sel_delay() without cost
 *                or pending demands), over all sites; ties at random
 *   weighted     dyncast "weighted", weights c_i * speed_i
 *   hash         dyncast "hash", weights c_i * speed_i, a new flow each
 *   least-cost-old    dyncast's "least-cost" before the marginal delay
 *                curve: the expected delay of one more demand from the last
 *                report and the demands sent since, the better of two
 *                candidates drawn by weight, all weights 1
 *   least-cost-old-w  the same, weights c_i * speed_i
 *   optimum      the best static probabilistic split: the shares p_i that
 *                minimise sum p_i * (d_i + sojourn_i(p_i * lambda)),
 *                exact for M/M/c (Erlang C) and, for other service times,
 *                with the Allen-Cunneen approximation (exact for c = 1)
 *   wrr-opt      dyncast "weighted" with the optimum's shares as weights
 *   wlc          fewest demands open per slot (open / c_i), the first one on
 *                a tie: IPVS "wlc" with weights c_i * speed_i
 *   least-cost   dyncast "least-cost": the least d_i + D_i(n_i),
 *                dc_sel_delta() over all sites, n_i the demands open at the
 *                router less those in transit (rate x d_i), D_i built for
 *                the load of the optimum split: what an agent that knows the
 *                sites' parameters would push; with 5 routers or more, as
 *                the agent sets it when it sees less than a fifth of the
 *                demands, a slack of 4 (DC_PLAN_SLACK) with the optimum's
 *                shares as weights
 *   least-cost-metrics  the same, fed by the agents' reports alone, as
 *                the module is without an agent that plans: the load of
 *                each curve the reported cpu smoothed by 1/16 a report
 *                (as a D-MA smooths it), the reported capacity and the
 *                service's service time, no adjustment for transit, and
 *                the backlog a report shows beyond the open demands
 *   least-cost-plan  the same, planned by dyncastd's own code (dd_plan(),
 *                plan yes) every 0.5 s from the reports and router 0's
 *                own rates (the routers are alike): the busy fraction of
 *                each report, the capacity, the service's service time
 *                (not the site's speed, which an agent does not know:
 *                the plan takes a slower one from the site's load for
 *                its demands), the cost; weights, curve loads and service
 *                times, inflight-adjust and slack as it pushes them (a
 *                new weight only when one moved by 5 %), and the backlog
 *                the module takes from reports
 *   least-cost-plan-svc  the same, each site's agent measuring the
 *                service time it announces (dyncastd's measure-service-
 *                time: busy slot time over completions, svctime.c)
 *   oracle       the same with the true count at each site and on the way
 *                there: full information
 * The dyncast policies run the module's code: dc_sel_wrr_build(),
 * dc_sel_maglev_build(), dc_sel_delta_build(), dc_sel_delta().
 *
 * Output: one line per (policy, load, interval), tab-separated, with the
 * median over the seeds of the mean and 99th percentile response times,
 * their spread, and their gaps to the optimum split of the same seed.
 *
 * With -f FILE, a scenario file (format: bench/README.md): runs of fixed
 * time, K routers each with its own counts (a demand goes to one of them
 * at random), timed events (load, a site's speed or round-trip time, a
 * failure and recovery, foreign load), and figures per window after each
 * event, against the full-information oracle.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "select.h"
#include "split.h"
#include "svctime.h"

/*
 * --- dyncast's least-cost policy before the marginal delay curve --------
 *
 * The expected delay of one more demand from the last metric report and the
 * demands sent since, between two candidates: kept here, out of the
 * module, for comparison ("least-cost-old").
 */
#define OLD_SEL_EXCESS_MAX	0x80000000U	/* 2^31: bound of a queue or excess */
#define OLD_SEL_DEFAULT_CAPACITY	1000

struct old_sel_metrics {
	u32 weight;	/* 0..65535 */
	u32 cpu;	/* per mille, 0..1000 */
	u32 gpu;	/* per mille */
	u32 sessions;
	u32 queue;
	u32 capacity;	/* sessions servable at once; 0 = unknown */
	u32 cost;	/* network cost to the instance, microseconds */
	u32 pending;	/* demands sent to it since its last metric update */
};

/*
 * old_sel_delay() - expected delay of one more demand at an instance
 * @m: the instance's metrics
 * @service_time: time one demand takes on an idle instance, microseconds
 *
 * The aim (Mancuso et al., 2024) is the least network delay plus sojourn
 * time: cost + S + the wait before service.  Two estimates of the wait are
 * taken, and the larger one counts.
 *
 * From the counts, against the capacity c (OLD_SEL_DEFAULT_CAPACITY when
 * unknown), the sessions it serves at once: the demands in service are the
 * sessions and the pending ones (sent since the last metric update, which
 * the instance has not reported yet); those beyond c wait, with the queue.
 * When any wait, or all c slots are busy, one more waits for those ahead
 * and one more to leave, one every S / c: (ahead + 1) * S / c.  This is
 * the wait of an M/M/c server in that state; it grows with every demand
 * sent, without bound, so that a longer queue is always worse and demands
 * do not all go to one instance until its next report.
 *
 * From the utilisation rho of the busiest resource (CPU, GPU), shared by
 * all the demands in service: the wait of a processor-sharing M/M/1 server,
 * S * rho / (1 - rho).  When the capacity is unknown the pending demands
 * raise rho by 1 / OLD_SEL_DEFAULT_CAPACITY each: the only figure that
 * moves between reports then.  From rho = 0.99 on, the instance is
 * saturated: the estimate stays at its value there (99 S), plus the excess
 * (rho - 0.99) * S, plus the wait from the counts, so that saturated
 * instances still compare by their queues rather than tie.
 *
 * Every intermediate fits in 64 bits for any u32 input: the queued count
 * and the excess are bounded by OLD_SEL_EXCESS_MAX (2^31) before they are
 * multiplied by S, which keeps each term below 2^63 and their sum, with
 * the cost, the service time and the plateau, below 2^64.
 *
 * Return: cost + S + wait, in microseconds.
 */
static u64 old_sel_delay(const struct old_sel_metrics *m, u32 service_time)
{
	u32 cap = m->capacity ? m->capacity : OLD_SEL_DEFAULT_CAPACITY;
	u64 busy = (u64)m->sessions + m->pending;
	u64 ahead = m->queue, wait = 0, rho, w, x;

	if (busy > cap)
		ahead += busy - cap;
	if (ahead || busy == cap) {
		x = ahead + 1;
		if (x > OLD_SEL_EXCESS_MAX)
			x = OLD_SEL_EXCESS_MAX;
		wait = div_u64(x * service_time, cap);
	}

	rho = m->cpu > m->gpu ? m->cpu : m->gpu;
	if (!m->capacity)
		rho += div_u64((u64)m->pending * 1000, OLD_SEL_DEFAULT_CAPACITY);
	if (rho < DC_SEL_LOAD_CLAMP) {
		w = div_u64((u64)service_time * rho, 1000 - (u32)rho);
	} else {
		w = div_u64((u64)service_time * DC_SEL_LOAD_CLAMP,
			    1000 - DC_SEL_LOAD_CLAMP);
		x = rho - DC_SEL_LOAD_CLAMP;
		if (x > OLD_SEL_EXCESS_MAX)
			x = OLD_SEL_EXCESS_MAX;
		w += div_u64(x * service_time, 1000) + wait;
	}
	if (wait < w)
		wait = w;

	return (u64)m->cost + service_time + wait;
}

/*
 * old_sel_better() - the better of two candidate instances
 * @ma: metrics of the first candidate
 * @a: its index
 * @mb: metrics of the second candidate
 * @b: its index
 * @service_time: as for old_sel_delay()
 *
 * Two candidates drawn at random, rather than the best of all, spread
 * demands nearly as well and keep routers from herding onto the single
 * best instance between metric updates (the power of two choices).
 *
 * Return: @b if its delay is lower, else @a.
 */
static unsigned int old_sel_better(const struct old_sel_metrics *ma, unsigned int a,
			   const struct old_sel_metrics *mb, unsigned int b,
			   u32 service_time)
{
	if (old_sel_delay(mb, service_time) < old_sel_delay(ma, service_time))
		return b;
	return a;
}

/*
 * old_sel_candidates() - draw the two candidates of the least-cost policy
 * @wrr: the smooth weighted round robin schedule, from dc_sel_wrr_build()
 * @wrr_len: its length
 * @n: number of instances, at least 2
 * @rnd: 64 random bits
 * @b: the second candidate
 *
 * Each candidate is a random slot of the schedule, so that instances are
 * drawn in proportion to their weights (as the schedule rounds them).
 * When both draws name one instance, the second becomes another one drawn
 * uniformly, so that two different instances always compete.  The bits of
 * @rnd are used apart: 16 for each slot, 32 for that redraw.
 *
 * Return: the first candidate.
 */
static unsigned int old_sel_candidates(const u16 *wrr, unsigned int wrr_len,
			       unsigned int n, u64 rnd, unsigned int *b)
{
	unsigned int a = wrr[(rnd & 0xffff) % wrr_len];

	*b = wrr[((rnd >> 16) & 0xffff) % wrr_len];
	if (a == *b)
		*b = (a + 1 + (u32)(rnd >> 32) % (n - 1)) % n;
	return a;
}


#define MAX_SITES	16
#define MAX_LIST	32
#define MAX_ROUTERS	64
#define MAX_EVENTS	32
#define MAX_WINDOWS	(1 + 4 * MAX_EVENTS)

enum policy {
	P_NEAREST,
	P_RR,
	P_LC,
	P_LEAST_LOAD,
	P_WEIGHTED,
	P_HASH,
	P_LEAST_COST_OLD,
	P_LEAST_COST_OLD_W,
	P_OPTIMUM,
	P_WRR_OPT,
	P_WLC,
	P_LEAST_COST,
	P_LEAST_COST_M,
	P_LEAST_COST_PLAN,
	P_LEAST_COST_PLAN_SVC,
	P_ORACLE,
	NR_POLICIES
};

static const char * const policy_names[NR_POLICIES] = {
	[P_NEAREST] = "nearest",
	[P_RR] = "round-robin",
	[P_LC] = "lc",
	[P_LEAST_LOAD] = "least-load",
	[P_WEIGHTED] = "weighted",
	[P_HASH] = "hash",
	[P_LEAST_COST_OLD] = "least-cost-old",
	[P_LEAST_COST_OLD_W] = "least-cost-old-w",
	[P_OPTIMUM] = "optimum",
	[P_WRR_OPT] = "wrr-opt",
	[P_WLC] = "wlc",
	[P_LEAST_COST] = "least-cost",
	[P_LEAST_COST_M] = "least-cost-metrics",
	[P_LEAST_COST_PLAN] = "least-cost-plan",
	[P_LEAST_COST_PLAN_SVC] = "least-cost-plan-svc",
	[P_ORACLE] = "oracle",
};

/* Policies that read the metrics: the others ignore the update interval. */
static bool policy_uses_metrics(enum policy p)
{
	return p == P_LEAST_LOAD || p == P_LEAST_COST_OLD ||
	       p == P_LEAST_COST_OLD_W || p == P_LEAST_COST_M ||
	       p == P_LEAST_COST_PLAN || p == P_LEAST_COST_PLAN_SVC;
}

/* Policies planned by dyncastd's code (EV_AGENT) */
static bool policy_plans(enum policy p)
{
	return p == P_LEAST_COST_PLAN || p == P_LEAST_COST_PLAN_SVC;
}

enum dist { D_EXP, D_DET, D_LOGNORM };

/* A demand waiting at an instance */
struct qent {
	double arrival;
	unsigned int router;
};

struct site {
	char name[16];
	double rtt;		/* seconds */
	unsigned int slots;
	double speed;
	bool own_dist;		/* its service times' distribution, not */
	enum dist dist;		/* ... the scenario's */
	double scv;

	/* the instance */
	unsigned int busy;
	struct qent *queue;	/* waiting demands, a ring */
	unsigned int qhead, qlen, qcap;
	/* scenario: failed now, and since when the routers know it */
	bool failed, down;
	unsigned int epoch;	/* a failure loses what is in service */
	double factor, foreign;	/* speed = base * factor * (1 - foreign) */
	double base_speed;
	double area;		/* integral of busy slots over time */
	double area_at_report, last_change, last_report;
	struct dd_svct svct;	/* least-cost-plan-svc: its agent's measure */
	u32 m_svc_us;		/* ... the service time it announced */

	/* what the router knows */
	struct old_sel_metrics m;
	unsigned int open;	/* all routers' */
	unsigned int kopen[MAX_ROUTERS];	/* each router's own */
	unsigned int kbacklog[MAX_ROUTERS];
	double others;		/* least-cost: other routers' modelled count */
	unsigned long own_sent;	/* least-cost-plan: router 0's demands */
	double own_rate;	/* ... and their rate, as dyncastd smooths it */
	u32 plan_weight;	/* ... the weight it pushed */
	double busy_avg;	/* ... the reported load, smoothed alike */
	double planned_since;	/* ... up in its plan since, s */
	u32 plan_svc_us;	/* ... the service time it showed */
	unsigned int enroute;	/* sent, not yet at the site: for the oracle */
	unsigned long sent;
	struct dc_sel_delta delta;	/* for marginal and oracle */
	s64 adjust;		/* in 1/16ths: demands in transit, less */
	double load;		/* least-cost-metrics: smoothed cpu, per mille */
};

/* A timed event of a scenario (seconds after the warm-up) */
enum sc_kind { SC_LOAD, SC_SPEED, SC_RTT, SC_FAIL, SC_RECOVER, SC_FOREIGN };

struct sc_event {
	double t;
	enum sc_kind kind;
	unsigned int site;
	double v, period;
	char label[40];
};

struct config {
	struct site sites[MAX_SITES];
	unsigned int n;
	double svc;		/* mean service time at speed 1, seconds */
	u32 svc_us;		/* the service's service-time setting */
	enum dist dist;
	double scv;		/* squared coefficient of variation */
	double jitter;
	enum report { R_FULL, R_CPU, R_CPU_NOCAP } report;
	unsigned long demands;	/* measured per run, after the warm-up */
	unsigned int seeds;
	double loads[MAX_LIST];
	unsigned int nloads;
	double intervals[MAX_LIST];	/* seconds */
	unsigned int nintervals;
	bool policies[NR_POLICIES];
	/* a scenario file: runs of fixed time, routers, events */
	bool scenario;
	unsigned int routers[MAX_LIST];
	unsigned int nrouters;
	double warmup, duration;	/* seconds */
	struct sc_event ev[MAX_EVENTS];
	unsigned int nev;
};

/* --- random numbers: xoshiro256**, seeded by splitmix64 --------------- */

struct rng {
	uint64_t s[4];
};

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
	uint64_t res = rotl(r->s[1] * 5, 7) * 9, t = r->s[1] << 17;

	r->s[2] ^= r->s[0];
	r->s[3] ^= r->s[1];
	r->s[1] ^= r->s[2];
	r->s[0] ^= r->s[3];
	r->s[2] ^= t;
	r->s[3] = rotl(r->s[3], 45);
	return res;
}

static void rng_seed(struct rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++) {
		seed += 0x9e3779b97f4a7c15ULL;
		r->s[i] = dc_sel_mix64(seed);
	}
}

/* Uniform in (0, 1). */
static double rng_unit(struct rng *r)
{
	return ((rng_next(r) >> 11) + 0.5) / 9007199254740992.0;
}

static double rng_exp(struct rng *r, double mean)
{
	return -log(rng_unit(r)) * mean;
}

static double rng_normal(struct rng *r)
{
	return sqrt(-2 * log(rng_unit(r))) * cos(2 * M_PI * rng_unit(r));
}

/* the distribution of site s's service times: its own, else the run's */
static enum dist site_dist(const struct config *cf, const struct site *s,
			   double *scv)
{
	*scv = s->own_dist ? s->scv : cf->scv;
	return s->own_dist ? s->dist : cf->dist;
}

static double service_time(const struct config *cf, struct rng *r,
			   const struct site *s)
{
	double mean = cf->svc / s->speed, sigma2, scv;

	switch (site_dist(cf, s, &scv)) {
	case D_DET:
		return mean;
	case D_LOGNORM:
		sigma2 = log(1 + scv);
		return exp(log(mean) - sigma2 / 2 + sqrt(sigma2) * rng_normal(r));
	default:
		return rng_exp(r, mean);
	}
}

/* --- events --------------------------------------------------------------- */

enum ev_type {
	EV_ARRIVAL,	/* a demand reaches the router */
	EV_ENTER,	/* it reaches its instance */
	EV_DONE,	/* its service ends */
	EV_RESPONSE,	/* its response passes the router */
	EV_REPORT,	/* a site's agent takes its figures */
	EV_METRICS,	/* they reach the router */
	EV_SCENARIO,	/* a scenario's event, cf->ev[idx] */
	EV_DOWN,	/* the routers notice a failed site (hold time) */
	EV_PLAN,	/* least-cost's agent plans the split anew */
	EV_FOREIGN,	/* foreign load at a site starts or stops */
	EV_AGENT,	/* least-cost-plan's agent plans (DD_PLAN_MS) */
};

struct event {
	double t;
	double arrival;
	uint64_t seq;
	u32 type, site, cpu, sessions, queue;
	u32 router, epoch, idx;
	u32 svc_us;		/* EV_METRICS: the service time measured */
};

struct heap {
	struct event *ev;
	size_t n, cap;
	uint64_t seq;
};

static bool ev_before(const struct event *a, const struct event *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void heap_push(struct heap *h, struct event e)
{
	size_t i;

	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 1024;
		h->ev = realloc(h->ev, h->cap * sizeof(*h->ev));
		if (!h->ev) {
			perror("steersim");
			exit(1);
		}
	}
	e.seq = h->seq++;
	for (i = h->n++; i; i = (i - 1) / 2) {
		if (!ev_before(&e, &h->ev[(i - 1) / 2]))
			break;
		h->ev[i] = h->ev[(i - 1) / 2];
	}
	h->ev[i] = e;
}

static struct event heap_pop(struct heap *h)
{
	struct event top = h->ev[0], last = h->ev[--h->n];
	size_t i = 0, c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && ev_before(&h->ev[c + 1], &h->ev[c]))
			c++;
		if (!ev_before(&h->ev[c], &last))
			break;
		h->ev[i] = h->ev[c];
		i = c;
	}
	if (h->n)
		h->ev[i] = last;
	return top;
}

/* --- the optimum static split -------------------------------------------- */

/* Site s as a station of userspace/dyncastd/split.c */
static struct dd_station station(const struct config *cf, const struct site *s)
{
	double scv;

	site_dist(cf, s, &scv);
	return (struct dd_station){ .rtt = s->rtt, .slots = s->slots,
				    .svc = cf->svc / s->speed, .scv = scv };
}

/* Mean time in system at site s for an arrival rate x; INFINITY if unstable. */
static double sojourn(const struct config *cf, const struct site *s, double x)
{
	struct dd_station st = station(cf, s);

	return dd_sojourn(&st, x);
}

static double site_capacity(const struct config *cf, const struct site *s)
{
	return s->slots * s->speed / cf->svc;
}

/*
 * The shares that minimise the mean response time for a total rate lam
 * (dd_split(), the agent's own code); returns that mean.
 */
static double optimum_split(const struct config *cf, double lam, double *share)
{
	struct dd_station st[MAX_SITES];
	unsigned int i;

	for (i = 0; i < cf->n; i++)
		st[i] = station(cf, &cf->sites[i]);
	return dd_split(st, cf->n, lam, share);
}

/*
 * For M/M/1 sites the optimum has a closed form: with marginal cost nu,
 * d_i + mu_i / (mu_i - x_i)^2 = nu, so x_i = mu_i - sqrt(mu_i / (nu - d_i))
 * where nu > d_i + 1 / mu_i, else 0.
 */
static double mm1_split(const struct config *cf, double lam, double *share)
{
	double lo = 0, hi = 1e9, mean = 0;
	unsigned int i;
	int k;

	for (k = 0; k < 300; k++) {
		double mid = (lo + hi) / 2, sum = 0;

		for (i = 0; i < cf->n; i++) {
			const struct site *s = &cf->sites[i];
			double mu = site_capacity(cf, s);

			if (mid > s->rtt + 1 / mu)
				sum += mu - sqrt(mu / (mid - s->rtt));
		}
		if (sum < lam)
			lo = mid;
		else
			hi = mid;
	}
	for (i = 0; i < cf->n; i++) {
		const struct site *s = &cf->sites[i];
		double mu = site_capacity(cf, s), x = 0;

		if (hi > s->rtt + 1 / mu)
			x = mu - sqrt(mu / (hi - s->rtt));
		share[i] = x / lam;
		mean += share[i] * (s->rtt + 1 / (mu - x));
	}
	return mean;
}

/*
 * The agent's slack: with fewer than a fifth of the demands (five routers
 * or more), a router's own counts tell it too little to choose freely.
 */
#define DC_PLAN_SLACK_ROUTERS	5
#define DC_PLAN_SLACK		4

/* --- one run ------------------------------------------------------------- */

struct run {
	const struct config *cf;
	enum policy policy;
	double lam, interval;
	double share[MAX_SITES];	/* of the optimum */
	struct rng rng;
	struct heap heap;
	struct site s[MAX_SITES];
	u16 wrr[DC_SEL_WRR_MAX];
	unsigned int wrr_len;
	u16 *maglev;
	unsigned int maglev_size;
	unsigned long arrived;
	unsigned long warmup;
	float *resp;
	unsigned long nresp;
	/* K routers, each with its own counts and schedule position */
	unsigned int K, cur;
	unsigned long krr[MAX_ROUTERS];
	/* least-cost's slack: the planned shares, each router's credits */
	u32 slack;
	u32 qshare[MAX_SITES];
	u32 cdemands[MAX_ROUTERS];
	u32 cgot[MAX_ROUTERS][MAX_SITES];
	struct dd_plan_sum psum;	/* least-cost-plan's plan */
	s64 cbase[MAX_ROUTERS][MAX_SITES];	/* ahead when the shares changed */
	/* a scenario: when arrivals stop, what is still out, the records */
	double t0, t_end, nominal_cap;
	unsigned long outstanding;
	float *arr;		/* arrival time of resp[k], after t0 */
	unsigned long cap;
	float *failed;		/* arrival times of lost demands */
	unsigned long nfailed, fcap;
};

struct result {
	double mean, p99;
	double share[MAX_SITES];
	double util[MAX_SITES];
};

static void site_set_busy(struct site *s, double now, int delta)
{
	s->area += s->busy * (now - s->last_change);
	s->last_change = now;
	s->busy += delta;
}

static uint64_t to_us(double t)
{
	return (uint64_t)llround(t * 1e6);
}

static void start_service(struct run *r, struct site *s, unsigned int i,
			  double now, double arrival, unsigned int router)
{
	struct event e = {
		.t = now + service_time(r->cf, &r->rng, s),
		.arrival = arrival,
		.type = EV_DONE,
		.site = i,
		.router = router,
		.epoch = s->epoch,
	};

	site_set_busy(s, now, 1);
	heap_push(&r->heap, e);
}

static void enqueue(struct site *s, double arrival, unsigned int router)
{
	if (s->qlen == s->qcap) {
		unsigned int cap = s->qcap ? 2 * s->qcap : 64, k;
		struct qent *q = malloc(cap * sizeof(*q));

		if (!q) {
			perror("steersim");
			exit(1);
		}
		for (k = 0; k < s->qlen; k++)
			q[k] = s->queue[(s->qhead + k) % s->qcap];
		free(s->queue);
		s->queue = q;
		s->qhead = 0;
		s->qcap = cap;
	}
	s->queue[(s->qhead + s->qlen++) % s->qcap] =
		(struct qent){ .arrival = arrival, .router = router };
}

static struct qent dequeue(struct site *s)
{
	struct qent a = s->queue[s->qhead];

	s->qhead = (s->qhead + 1) % s->qcap;
	s->qlen--;
	return a;
}

static unsigned int pick_least_load(struct run *r)
{
	unsigned int i, best = 0, ties = 0;
	u64 best_d = UINT64_MAX;

	for (i = 0; i < r->cf->n; i++) {
		struct old_sel_metrics m = r->s[i].m;
		u64 d;

		if (r->s[i].down)
			continue;
		m.cost = 0;
		m.pending = 0;
		d = old_sel_delay(&m, r->cf->svc_us);
		if (d < best_d) {
			best_d = d;
			best = i;
			ties = 1;
		} else if (d == best_d && rng_next(&r->rng) % ++ties == 0) {
			best = i;
		}
	}
	return best;
}

/*
 * The least d_i + D_i(n_i) over every site, the fewest demands on a tie,
 * from a random one on, as the module does for up to 8 instances
 * (dc_select_least_cost()); with a slack, a site that would be more than
 * that many demands ahead of its planned share of the router's demands is
 * passed over (the module keeps those counts per CPU; here one per router)
 */
static unsigned int pick_marginal(struct run *r, bool oracle)
{
	unsigned int i, k, best = 0, fallback = 0,
		     first = rng_next(&r->rng) % r->cf->n;
	u64 best_v = UINT64_MAX, best_n = UINT64_MAX, v;
	s64 n, ahead, least = INT64_MAX;
	u32 *got = r->cgot[r->cur];
	bool found = false;

	if (r->slack)
		r->cdemands[r->cur]++;
	for (k = 0; k < r->cf->n; k++) {
		const struct site *s = &r->s[(first + k) % r->cf->n];

		i = (first + k) % r->cf->n;
		if (oracle ? s->failed : s->down)
			continue;
		if (r->slack) {
			ahead = r->cbase[r->cur][i] +
				((s64)got[i] + 1) * (1 << 16) -
				(s64)r->qshare[i] * r->cdemands[r->cur];
			if (ahead < least) {
				least = ahead;
				fallback = i;
			}
			if (ahead > (s64)r->slack << 16)
				continue;
		}
		if (oracle)
			n = (s64)(s->busy + s->qlen + s->enroute) << DC_SEL_N_SHIFT;
		else
			n = ((s64)(s->kopen[r->cur] + s->kbacklog[r->cur]) <<
			     DC_SEL_N_SHIFT) - s->adjust +
			    lround(s->others * (1 << DC_SEL_N_SHIFT));
		n = n > 0 ? n : 0;
		v = lround(s->rtt * 1e6) + dc_sel_delta(&s->delta, n);
		if (v < best_v || (v == best_v && (u64)n < best_n)) {
			best_v = v;
			best_n = n;
			best = i;
			found = true;
		}
	}
	if (r->slack) {
		if (!found)
			best = fallback;
		got[best]++;
	}
	return best;
}

/* The first site from @i on that the routers do not know down */
static unsigned int next_up(const struct run *r, unsigned int i)
{
	unsigned int k;

	for (k = 0; k < r->cf->n; k++)
		if (!r->s[(i + k) % r->cf->n].down)
			return (i + k) % r->cf->n;
	return i;
}

/* Fewer open at a per slot weight: open_a / w_a < open_b / w_b */
static bool fewer(const struct run *r, unsigned int a, unsigned int b,
		  bool weighted)
{
	u64 oa = r->s[a].kopen[r->cur], ob = r->s[b].kopen[r->cur];

	if (weighted)
		return oa * r->s[b].m.weight < ob * r->s[a].m.weight;
	return oa < ob;
}

/*
 * The choice of router r->cur for a new demand.  Every policy skips the
 * sites the routers know to be down (health checks, or the agents' hold
 * time): the schedules and the hash go on to the next slot.
 */
static unsigned int pick(struct run *r)
{
	unsigned int i, a = 0, b, n = r->cf->n;
	unsigned long *rr = &r->krr[r->cur];
	double u, acc;

	switch (r->policy) {
	case P_NEAREST:
		for (a = next_up(r, 0), i = 0; i < n; i++)
			if (!r->s[i].down && r->s[i].rtt < r->s[a].rtt)
				a = i;
		return a;
	case P_RR:
		return next_up(r, (*rr)++ % n);
	case P_LC:
	case P_WLC:
		/* IPVS's lc and wlc: the first of the fewest */
		for (a = next_up(r, 0), i = 0; i < n; i++)
			if (!r->s[i].down && fewer(r, i, a, r->policy == P_WLC))
				a = i;
		return a;
	case P_LEAST_LOAD:
		return pick_least_load(r);
	case P_WEIGHTED:
	case P_WRR_OPT:
		for (i = 0; i < r->wrr_len; i++) {
			a = r->wrr[(*rr)++ % r->wrr_len];
			if (!r->s[a].down)
				return a;
		}
		return a;
	case P_LEAST_COST:
	case P_LEAST_COST_M:
	case P_LEAST_COST_PLAN:
	case P_LEAST_COST_PLAN_SVC:
	case P_ORACLE:
		return pick_marginal(r, r->policy == P_ORACLE);
	case P_HASH:
		a = (u32)rng_next(&r->rng) % r->maglev_size;
		for (i = 0; i < r->maglev_size; i++)
			if (!r->s[r->maglev[(a + i) % r->maglev_size]].down)
				break;
		return r->maglev[(a + i) % r->maglev_size];
	case P_LEAST_COST_OLD:
	case P_LEAST_COST_OLD_W:
		if (n == 1)
			return 0;
		a = old_sel_candidates(r->wrr, r->wrr_len, n, rng_next(&r->rng),
				       &b);
		if (r->s[a].down || r->s[b].down) {
			a = next_up(r, r->s[a].down ? b : a);
		} else {
			a = old_sel_better(&r->s[a].m, a, &r->s[b].m, b,
					   r->cf->svc_us);
		}
		r->s[a].m.pending++;
		return a;
	case P_OPTIMUM:
	default:
		u = rng_unit(&r->rng);
		for (acc = 0, i = 0; i < n - 1; i++) {
			acc += r->share[i];
			if (u < acc)
				break;
		}
		return next_up(r, i);
	}
}

static void schedule_report(struct run *r, unsigned int i, double now)
{
	double j = r->cf->jitter * (2 * rng_unit(&r->rng) - 1);
	struct event e = {
		.t = now + r->interval * (1 + j),
		.type = EV_REPORT,
		.site = i,
	};

	heap_push(&r->heap, e);
}

/* A scenario's record of a demand: its response, or its loss */
static void record(struct run *r, double arrival, double resp, bool lost)
{
	float **v = lost ? &r->failed : &r->resp;
	float **t = lost ? NULL : &r->arr;
	unsigned long *n = lost ? &r->nfailed : &r->nresp;
	unsigned long *cap = lost ? &r->fcap : &r->cap;

	r->outstanding--;
	if (*n == *cap) {
		float *nv, *nt = NULL;

		*cap = *cap ? 2 * *cap : 65536;
		nv = realloc(*v, *cap * sizeof(*nv));
		if (nv)
			*v = nv;
		if (nv && t) {
			nt = realloc(*t, *cap * sizeof(*nt));
			if (nt)
				*t = nt;
		}
		if (!nv || (t && !nt)) {
			perror("steersim");
			exit(1);
		}
	}
	(*v)[*n] = lost ? arrival - r->t0 : resp;
	if (t)
		(*t)[*n] = arrival - r->t0;
	(*n)++;
}

/* A demand ends, answered or lost: the routers' counts */
static void demand_end(struct run *r, struct site *s, const struct event *e,
		       double now, bool lost)
{
	s->open--;
	s->kopen[e->router]--;
	if (e->arrival < 0)	/* of the warm-up */
		return;
	if (r->cf->scenario)
		record(r, e->arrival, now - e->arrival, lost);
	else if (!lost && r->nresp < r->cf->demands)
		r->resp[r->nresp++] = now - e->arrival;
}

static void plan(struct run *r, bool oracle);
static void agent_plan(struct run *r, double now);
static void scenario_event(struct run *r, const struct sc_event *se,
			   double now);

static void handle(struct run *r, const struct event *e)
{
	struct site *s = &r->s[e->site];
	double now = e->t;
	struct event n = { 0 };
	struct qent q;
	unsigned int i;

	switch (e->type) {
	case EV_ARRIVAL:
		if (r->cf->scenario && now >= r->t_end)
			break;
		n.t = now + rng_exp(&r->rng, 1 / r->lam);
		n.type = EV_ARRIVAL;
		heap_push(&r->heap, n);

		r->cur = r->K > 1 ? rng_next(&r->rng) % r->K : 0;
		i = pick(r);
		if (!r->cur)
			r->s[i].own_sent++;
		r->s[i].open++;
		r->s[i].kopen[r->cur]++;
		r->s[i].enroute++;
		n.t = now + r->s[i].rtt / 2;
		n.type = EV_ENTER;
		n.site = i;
		n.router = r->cur;
		if (r->cf->scenario) {
			n.arrival = now >= r->t0 ? now : -now - 1;
			r->outstanding += now >= r->t0;
			r->s[i].sent += now >= r->t0;
		} else {
			n.arrival = r->arrived >= r->warmup ? now : -now - 1;
			r->s[i].sent += r->arrived >= r->warmup;
		}
		r->arrived++;
		heap_push(&r->heap, n);
		break;
	case EV_ENTER:
		s->enroute--;
		if (s->failed)
			demand_end(r, s, e, now, true);
		else if (s->busy < s->slots)
			start_service(r, s, e->site, now, e->arrival, e->router);
		else
			enqueue(s, e->arrival, e->router);
		if (!s->failed && r->policy == P_LEAST_COST_PLAN_SVC)
			dd_svct_open(&s->svct, s->slots, to_us(now));
		break;
	case EV_DONE:
		if (e->epoch != s->epoch) {
			/* its site failed meanwhile */
			demand_end(r, s, e, now, true);
			break;
		}
		site_set_busy(s, now, -1);
		if (r->policy == P_LEAST_COST_PLAN_SVC)
			dd_svct_close(&s->svct, s->slots, to_us(now), true);
		if (s->qlen) {
			q = dequeue(s);
			start_service(r, s, e->site, now, q.arrival, q.router);
		}
		n = *e;
		n.t = now + s->rtt / 2;
		n.type = EV_RESPONSE;
		heap_push(&r->heap, n);
		break;
	case EV_RESPONSE:
		/* demands of the warm-up carry a negative arrival time */
		demand_end(r, s, e, now, false);
		break;
	case EV_REPORT:
		schedule_report(r, e->site, now);
		site_set_busy(s, now, 0);
		if (s->failed)	/* its agent is silent */
			break;
		n.t = now + s->rtt / 2;
		n.type = EV_METRICS;
		n.site = e->site;
		n.cpu = lround(1000 * (s->area - s->area_at_report) /
			       (s->slots * (now - s->last_report)));
		n.sessions = r->cf->report == R_FULL ? s->busy : 0;
		n.queue = r->cf->report == R_FULL ? s->qlen : 0;
		n.svc_us = r->policy == P_LEAST_COST_PLAN_SVC ?
			   dd_svct_fold(&s->svct, s->slots, to_us(now),
					DD_PLAN_SVC_MAX_US) : 0;
		heap_push(&r->heap, n);
		s->area_at_report = s->area;
		s->last_report = now;
		break;
	case EV_METRICS:
		s->m.cpu = e->cpu;
		s->m.sessions = e->sessions;
		s->m.queue = e->queue;
		s->m.pending = 0;
		/* none measured: the configured one, as dyncastd announces */
		if (r->policy == P_LEAST_COST_PLAN_SVC)
			s->m_svc_us = e->svc_us;
		/* a site back: its first report tells the routers */
		s->down = false;
		/* the module's backlog, unless the agent set an adjustment */
		if (policy_plans(r->policy)) {
			for (i = 0; i < r->K; i++)
				s->kbacklog[i] = !s->adjust &&
						 e->sessions + e->queue >
						 s->kopen[i] ?
						 e->sessions + e->queue -
						 s->kopen[i] : 0;
		}
		if (r->policy == P_LEAST_COST_M) {
			/* the module's, fed by reports: see the policy */
			s->load += (e->cpu - s->load) / 16;
			dc_sel_delta_build(&s->delta, s->m.capacity,
					   lround(s->load), r->cf->svc_us);
			for (i = 0; i < r->K; i++)
				s->kbacklog[i] = e->sessions + e->queue >
						 s->kopen[i] ?
						 e->sessions + e->queue -
						 s->kopen[i] : 0;
		}
		break;
	case EV_SCENARIO:
		scenario_event(r, &r->cf->ev[e->idx], now);
		break;
	case EV_DOWN:
		if (s->failed && e->epoch == s->epoch) {
			s->down = true;
			if (r->policy == P_LEAST_COST)
				plan(r, false);
		}
		break;
	case EV_PLAN:
		plan(r, false);
		break;
	case EV_AGENT:
		agent_plan(r, now);
		n = *e;
		n.t = now + DD_PLAN_MS / 1e3;
		heap_push(&r->heap, n);
		break;
	case EV_FOREIGN:
		/* a square wave: on for half of each period */
		s->foreign = s->foreign > 0 ? 0 : r->cf->ev[e->idx].v;
		s->speed = s->base_speed * s->factor * (1 - s->foreign);
		n = *e;
		n.t = now + r->cf->ev[e->idx].period / 2;
		heap_push(&r->heap, n);
		if (r->policy == P_ORACLE)
			plan(r, true);
		else if (r->policy == P_LEAST_COST)
			heap_push(&r->heap, (struct event){
				.t = now + r->interval, .type = EV_PLAN });
		break;
	}
}

/* The k-th smallest of v[0..n) (quickselect; reorders v). */
static float kth(float *v, unsigned long n, unsigned long k)
{
	unsigned long lo = 0, hi = n - 1;

	while (lo < hi) {
		float p = v[(lo + hi) / 2], t;
		unsigned long i = lo, j = hi;

		while (i <= j) {
			while (v[i] < p)
				i++;
			while (v[j] > p)
				j--;
			if (i <= j) {
				t = v[i];
				v[i] = v[j];
				v[j] = t;
				i++;
				if (!j)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			break;
	}
	return v[k];
}

/*
 * New weights, shares @q: the module's new set, where each router's (each
 * CPU's) counts start with each instance as far ahead of its share as it
 * was, within the slack and one (dc_inst_set_carry())
 */
static void new_set(struct run *r, const u32 *q)
{
	s64 b, lim = ((s64)r->slack + 1) << 16;
	unsigned int i, k;

	for (k = 0; k < r->K; k++)
		for (i = 0; i < r->cf->n; i++) {
			b = r->cbase[k][i] + (s64)r->cgot[k][i] * (1 << 16) -
			    (s64)r->qshare[i] * r->cdemands[k];
			r->cbase[k][i] = !r->slack ? 0 : b > lim ? lim :
					 b < -lim ? -lim : b;
		}
	memcpy(r->qshare, q, sizeof(r->qshare[0]) * r->cf->n);
	memset(r->cdemands, 0, sizeof(r->cdemands));
	memset(r->cgot, 0, sizeof(r->cgot));
}

/*
 * The split least-cost's agent plans, from the sites as it knows them now
 * (the oracle: as they are): the optimum split's load for each curve, the
 * router's demands in transit taken out (its rate there times d_i), and
 * the other routers' demands there modelled as their share of the mean
 * number in system (Little's law).
 */
static void plan(struct run *r, bool oracle)
{
	static struct config c;
	double share[MAX_SITES], x, st;
	unsigned int i;

	c = *r->cf;
	for (i = 0; i < c.n; i++) {
		c.sites[i].rtt = r->s[i].rtt;
		c.sites[i].speed = (oracle ? r->s[i].failed : r->s[i].down) ?
				   1e-9 : r->s[i].speed;
	}
	optimum_split(&c, r->lam, share);
	if (!oracle && r->K >= DC_PLAN_SLACK_ROUTERS) {
		u32 w[MAX_SITES], q[MAX_SITES];

		/* the shares as weights, each up instance at least 1 */
		for (i = 0; i < c.n; i++)
			w[i] = c.sites[i].speed > 1e-9 ?
			       fmax(1, lround(share[i] * 10000)) : 0;
		dc_sel_shares(w, c.n, q);
		r->slack = DC_PLAN_SLACK;
		if (memcmp(q, r->qshare, sizeof(q[0]) * c.n))
			new_set(r, q);
	}
	for (i = 0; i < c.n; i++) {
		struct site *s = &r->s[i];

		r->share[i] = share[i];
		x = share[i] * r->lam;
		st = c.svc / c.sites[i].speed;
		dc_sel_delta_build(&s->delta, s->slots,
				   lround(1000 * x * st / s->slots),
				   st * 1e6 < UINT32_MAX ? lround(st * 1e6) :
							   UINT32_MAX);
		s->adjust = lround(x / r->K * s->rtt * (1 << DC_SEL_N_SHIFT));
		s->others = x > 0 ? x * sojourn(&c, &c.sites[i], x) *
				    (r->K - 1) / r->K : 0;
	}
}

/*
 * dyncastd's plan (plan.c), as its kernel.c pushes it, for every router
 * alike from router 0's own rates: each instance's weight only when one
 * moved by 5 % (the module's new set, with each instance's lead carried
 * over), the loads, adjustments and slack each time
 */
static void agent_plan(struct run *r, double now)
{
	struct dd_plan_in in[MAX_SITES];
	struct dd_plan_out out[MAX_SITES];
	struct dd_plan_sum *sum = &r->psum;
	unsigned int i, n = 0, idx[MAX_SITES];
	u32 w[MAX_SITES] = { 0 };
	double dt = DD_PLAN_MS / 1e3, a = 1 - exp(-dt * 1e3 / DD_PLAN_TAU_MS);
	bool moved = false;

	for (i = 0; i < r->cf->n; i++) {
		struct site *s = &r->s[i];

		s->own_rate += a * (s->own_sent / dt - s->own_rate);
		s->own_sent = 0;
		if (s->down) {
			s->planned_since = -1;
			continue;
		}
		if (s->planned_since < 0)
			s->planned_since = now;
		s->busy_avg += a * (s->m.cpu / 1000.0 - s->busy_avg);
		in[n] = (struct dd_plan_in){
			.cost = s->rtt,
			.slots = s->slots,
			.svc = s->m_svc_us ? s->m_svc_us / 1e6 : r->cf->svc,
			.busy = s->busy_avg,
			.own = s->own_rate,
			.planned = now - s->planned_since,
			.svc_us = s->plan_svc_us,
		};
		idx[n++] = i;
	}
	if (!n)
		return;
	dd_plan(in, n, out, sum);
	for (i = 0; i < n; i++) {
		struct site *s = &r->s[idx[i]];
		u32 was = s->plan_weight, now = out[i].weight;

		if (!was || (now != was &&
			     (now > was ? now - was : was - now) * 20 >= was))
			moved = true;
		w[idx[i]] = now;
		s->plan_svc_us = out[i].svc_us;
		dc_sel_delta_build(&s->delta, s->slots, out[i].load,
				   out[i].svc_us ? out[i].svc_us :
				   s->m_svc_us ? s->m_svc_us : r->cf->svc_us);
		s->adjust = -(s64)out[i].adjust * (1 << DC_SEL_N_SHIFT) / 1000;
		s->others = 0;
	}
	if (moved) {
		u32 q[MAX_SITES];

		for (i = 0; i < r->cf->n; i++)
			r->s[i].plan_weight = w[i];
		dc_sel_shares(w, r->cf->n, q);
		new_set(r, q);
	}
	r->slack = sum->slack;
}

static void scenario_event(struct run *r, const struct sc_event *se,
			   double now)
{
	struct site *s = &r->s[se->site];
	struct event e = { 0 };
	struct qent q;

	switch (se->kind) {
	case SC_LOAD:
		r->lam = se->v * r->nominal_cap;
		break;
	case SC_SPEED:
		s->factor = se->v;
		s->speed = s->base_speed * s->factor * (1 - s->foreign);
		break;
	case SC_RTT:
		s->rtt = se->v;
		s->m.cost = lround(se->v * 1e6);
		break;
	case SC_FAIL:
		if (s->failed)
			break;
		/* what it was serving and holding is lost */
		s->failed = true;
		s->epoch++;
		dd_svct_lost(&s->svct, to_us(now));
		site_set_busy(s, now, -(int)s->busy);
		while (s->qlen) {
			q = dequeue(s);
			e.site = se->site;
			e.router = q.router;
			e.arrival = q.arrival;
			demand_end(r, s, &e, now, true);
		}
		/* the routers know after three silent report intervals */
		e = (struct event){ .t = now + 3 * r->interval, .type = EV_DOWN,
				    .site = se->site, .epoch = s->epoch };
		heap_push(&r->heap, e);
		break;
	case SC_RECOVER:
		s->failed = false;
		s->epoch++;
		break;
	case SC_FOREIGN:
		e = (struct event){ .t = now, .type = EV_FOREIGN,
				    .site = se->site, .idx = se - r->cf->ev };
		heap_push(&r->heap, e);
		break;
	}
	if (r->policy == P_ORACLE) {
		plan(r, true);
	} else if (r->policy == P_LEAST_COST) {
		/* its agent learns of it with the next reports */
		e = (struct event){ .t = now + r->interval, .type = EV_PLAN };
		heap_push(&r->heap, e);
	}
}

static struct run the_run;

static struct run *run_one(const struct config *cf, enum policy p,
			   double load, double interval, unsigned int K,
			   unsigned int seed, const double *share,
			   struct result *res)
{
	struct run *r = &the_run;
	double total_cap = 0, sum = 0, end = 0;
	u32 w[MAX_SITES];
	u64 ids[MAX_SITES];
	unsigned int i;
	void *scratch;
	unsigned long k;

	free(r->heap.ev);
	free(r->maglev);
	for (i = 0; i < MAX_SITES; i++)
		free(r->s[i].queue);
	free(r->resp);
	free(r->arr);
	free(r->failed);
	memset(r, 0, sizeof(*r));
	r->cf = cf;
	r->policy = p;
	r->interval = interval;
	r->K = K;
	memcpy(r->share, share, sizeof(r->share));
	memcpy(r->s, cf->sites, sizeof(r->s));
	rng_seed(&r->rng, 0x5eed0000ULL + seed);
	for (i = 0; i < cf->n; i++) {
		total_cap += site_capacity(cf, &cf->sites[i]);
		r->s[i].base_speed = r->s[i].speed;
		r->s[i].factor = 1;
	}
	r->nominal_cap = total_cap;
	r->lam = load * total_cap;
	if (cf->scenario) {
		r->t0 = cf->warmup;
		r->t_end = cf->warmup + cf->duration;
	} else {
		r->warmup = cf->demands / 5;
		r->resp = malloc(cf->demands * sizeof(*r->resp));
		if (!r->resp) {
			perror("steersim");
			exit(1);
		}
	}

	/* weights: 1 for least-cost, the service rate for the others */
	for (i = 0; i < cf->n; i++) {
		const struct site *s = &cf->sites[i];

		double x = share[i] * r->lam, st = cf->svc / s->speed;

		w[i] = p == P_LEAST_COST_OLD ? 1 :
		       lround(s->slots * s->speed * 100);
		if (p == P_WRR_OPT)
			w[i] = lround(share[i] * 10000);
		ids[i] = i + 1;
		dc_sel_delta_build(&r->s[i].delta, s->slots,
				   lround(1000 * x * st / s->slots),
				   lround(st * 1e6));
		r->s[i].adjust = lround(x * s->rtt * (1 << DC_SEL_N_SHIFT));
		r->s[i].m.weight = w[i];
		r->s[i].m.capacity = cf->report == R_CPU_NOCAP ? 0 : s->slots;
		if (p == P_LEAST_COST_M || policy_plans(p)) {
			/* nothing reported yet */
			dc_sel_delta_build(&r->s[i].delta, r->s[i].m.capacity, 0,
					   cf->svc_us);
			r->s[i].adjust = 0;
		}
		r->s[i].m.cost = lround(s->rtt * 1e6);
	}
	if (p == P_LEAST_COST || p == P_ORACLE)
		plan(r, p == P_ORACLE);
	r->wrr_len = dc_sel_wrr_build(w, cf->n, r->wrr, DC_SEL_WRR_MAX);
	r->maglev_size = dc_sel_maglev_size(cf->n);
	r->maglev = malloc(r->maglev_size * sizeof(*r->maglev));
	scratch = malloc(dc_sel_maglev_scratch_size(cf->n));
	if (!r->wrr_len || !r->maglev || !scratch ||
	    dc_sel_maglev_build(ids, w, cf->n, r->maglev, r->maglev_size,
				scratch)) {
		fprintf(stderr, "steersim: cannot build the schedules\n");
		exit(1);
	}
	free(scratch);

	heap_push(&r->heap, (struct event){ .t = 0, .type = EV_ARRIVAL });
	if (policy_plans(p))
		heap_push(&r->heap, (struct event){ .t = DD_PLAN_MS / 1e3,
						   .type = EV_AGENT });
	for (i = 0; i < cf->n; i++) {
		double t0 = interval * rng_unit(&r->rng);

		r->s[i].last_report = 0;
		heap_push(&r->heap, (struct event){ .t = t0, .type = EV_REPORT,
						   .site = i });
	}
	for (i = 0; cf->scenario && i < cf->nev; i++)
		heap_push(&r->heap, (struct event){ .t = r->t0 + cf->ev[i].t,
						   .type = EV_SCENARIO,
						   .idx = i });
	for (;;) {
		struct event e;

		if (!cf->scenario && r->nresp >= cf->demands)
			break;
		e = heap_pop(&r->heap);
		/* a scenario ends once its demands are answered or lost, or
		 * two minutes after its last one (an unstable queue) */
		if (cf->scenario && e.t > r->t_end &&
		    (!r->outstanding || e.t > r->t_end + 120))
			break;
		handle(r, &e);
		end = e.t;
	}
	if (cf->scenario)
		return r;

	for (k = 0; k < r->nresp; k++)
		sum += r->resp[k];
	res->mean = sum / r->nresp;
	res->p99 = kth(r->resp, r->nresp, (unsigned long)(0.99 * r->nresp));
	for (sum = 0, i = 0; i < cf->n; i++)
		sum += r->s[i].sent;
	for (i = 0; i < cf->n; i++) {
		struct site *s = &r->s[i];

		site_set_busy(s, end, 0);
		res->share[i] = s->sent / sum;
		res->util[i] = s->area / (s->slots * end);
	}
	return r;
}

/* --- statistics over the seeds ------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double vmin(const double *v, unsigned int n)
{
	double m = v[0];

	while (n--)
		m = v[n] < m ? v[n] : m;
	return m;
}

static double vmax(const double *v, unsigned int n)
{
	double m = v[0];

	while (n--)
		m = v[n] > m ? v[n] : m;
	return m;
}

#define MAX_SEEDS	64

static void run_policy(const struct config *cf, enum policy p, double load,
		       double interval, const double *share,
		       const struct result *opt)
{
	double mean[MAX_SEEDS] = { 0 }, p99[MAX_SEEDS] = { 0 };
	double gm[MAX_SEEDS] = { 0 }, g99[MAX_SEEDS] = { 0 };
	double sh[MAX_SITES][MAX_SEEDS] = { { 0 } }, ut[MAX_SITES][MAX_SEEDS] = { { 0 } };
	double total_cap = 0, peak = 0;
	struct result res;
	unsigned int k, i;

	for (i = 0; i < cf->n; i++)
		total_cap += site_capacity(cf, &cf->sites[i]);
	for (k = 0; k < cf->seeds; k++) {
		run_one(cf, p, load, interval, 1, k, share, &res);
		mean[k] = res.mean;
		p99[k] = res.p99;
		gm[k] = res.mean / opt[k].mean - 1;
		g99[k] = res.p99 / opt[k].p99 - 1;
		for (i = 0; i < cf->n; i++) {
			sh[i][k] = res.share[i];
			ut[i][k] = res.util[i];
		}
	}
	/* a site offered more than it can serve: the figures only grow with
	 * the length of the run */
	for (i = 0; i < cf->n; i++) {
		double offered = median(sh[i], cf->seeds) * load * total_cap /
				 site_capacity(cf, &cf->sites[i]);

		peak = offered > peak ? offered : peak;
	}
	printf("%s\t%.2f\t%g\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.4f\t%.4f\t%.4f\t%.4f\t%s",
	       policy_names[p], load, policy_uses_metrics(p) ? interval * 1e3 : 0,
	       median(mean, cf->seeds) * 1e3, vmin(mean, cf->seeds) * 1e3,
	       vmax(mean, cf->seeds) * 1e3, median(p99, cf->seeds) * 1e3,
	       vmin(p99, cf->seeds) * 1e3, vmax(p99, cf->seeds) * 1e3,
	       median(gm, cf->seeds), vmin(gm, cf->seeds), vmax(gm, cf->seeds),
	       median(g99, cf->seeds), peak > 1.01 ? "unstable" : "stable");
	for (i = 0; i < cf->n; i++)
		printf("\t%.3f", median(sh[i], cf->seeds));
	for (i = 0; i < cf->n; i++)
		printf("\t%.3f", median(ut[i], cf->seeds));
	printf("\n");
	fflush(stdout);
}

static void run_all(const struct config *cf)
{
	struct result opt[MAX_SEEDS];
	double share[MAX_SITES], total_cap = 0, analytic;
	unsigned int l, v, k, i;
	int p;

	for (i = 0; i < cf->n; i++)
		total_cap += site_capacity(cf, &cf->sites[i]);

	printf("# policy\tload\tinterval_ms\tmean_ms\tmean_min\tmean_max\tp99_ms\tp99_min\tp99_max\tgap_mean\tgap_min\tgap_max\tgap_p99\tstability");
	for (i = 0; i < cf->n; i++)
		printf("\tshare%u", i + 1);
	for (i = 0; i < cf->n; i++)
		printf("\tutil%u", i + 1);
	printf("\n");

	for (l = 0; l < cf->nloads; l++) {
		double load = cf->loads[l];

		analytic = optimum_split(cf, load * total_cap, share);
		printf("# load %.2f: optimum split", load);
		for (i = 0; i < cf->n; i++)
			printf(" %.4f", share[i]);
		printf(", mean response %.3f ms (%s)\n", analytic * 1e3,
		       cf->dist == D_EXP ? "Erlang C, exact" :
		       "Allen-Cunneen approximation");
		for (k = 0; k < cf->seeds; k++)
			run_one(cf, P_OPTIMUM, load, cf->intervals[0], 1, k,
				share, &opt[k]);

		for (p = 0; p < NR_POLICIES; p++) {
			if (!cf->policies[p])
				continue;
			if (!policy_uses_metrics(p)) {
				run_policy(cf, p, load, cf->intervals[0], share,
					   opt);
				continue;
			}
			for (v = 0; v < cf->nintervals; v++)
				run_policy(cf, p, load, cf->intervals[v], share,
					   opt);
		}
	}
}

/* --- checks of the model ------------------------------------------------- */

/*
 * The numeric optimum against the closed form for M/M/1, and the simulated
 * mean response time of the optimum split against its formula.
 */
static int self_test(void)
{
	struct config cf = {
		.n = 3,
		.svc = 0.010,
		.svc_us = 10000,
		.dist = D_EXP,
		.scv = 1,
		.demands = 400000,
		.seeds = 1,
		.intervals = { 0.1 },
		.sites = {
			{ .rtt = 0.004, .slots = 1, .speed = 0.5 },
			{ .rtt = 0.012, .slots = 1, .speed = 1 },
			{ .rtt = 0.030, .slots = 1, .speed = 2 },
		},
	};
	double a[MAX_SITES], b[MAX_SITES], ma, mb, cap = 350;
	static const double loads[] = { 0.3, 0.5, 0.8, 0.95 };
	struct result res;
	unsigned int l, i;
	int bad = 0;

	for (l = 0; l < 4; l++) {
		ma = optimum_split(&cf, loads[l] * cap, a);
		mb = mm1_split(&cf, loads[l] * cap, b);
		printf("M/M/1 load %.2f: numeric %.4f ms (%.3f %.3f %.3f), closed form %.4f ms (%.3f %.3f %.3f)\n",
		       loads[l], ma * 1e3, a[0], a[1], a[2], mb * 1e3, b[0],
		       b[1], b[2]);
		for (i = 0; i < 3; i++)
			bad |= fabs(a[i] - b[i]) > 1e-4;
		bad |= fabs(ma - mb) / mb > 1e-5;

		run_one(&cf, P_OPTIMUM, loads[l], 0.1, 1, 1, a, &res);
		printf("  simulated: %.4f ms (%+.2f%%)\n", res.mean * 1e3,
		       100 * (res.mean / ma - 1));
		/* near saturation a run of this length varies more */
		bad |= fabs(res.mean / ma - 1) > (loads[l] > 0.9 ? 0.1 : 0.03);
	}
	/* M/M/c: one site of 4 slots at 80%, against Erlang C */
	cf.n = 1;
	cf.sites[0] = (struct site){ .rtt = 0, .slots = 4, .speed = 1 };
	ma = sojourn(&cf, &cf.sites[0], 0.8 * 400);
	a[0] = 1;
	run_one(&cf, P_OPTIMUM, 0.8, 0.1, 1, 2, a, &res);
	printf("M/M/4 at 80%%: Erlang C %.4f ms, simulated %.4f ms (%+.2f%%)\n",
	       ma * 1e3, res.mean * 1e3, 100 * (res.mean / ma - 1));
	bad |= fabs(res.mean / ma - 1) > 0.03;
	printf("self-test: %s\n", bad ? "FAIL" : "ok");
	return bad;
}

/* --- options ------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: steersim [ OPTIONS ] SITE...\n"
		"       steersim -f SCENARIO    run a scenario file\n"
		"       steersim -C SCENARIO    check one and exit\n"
		"       steersim -T\n"
		"SITE := RTT_MS:SLOTS[:SPEED]   an edge site with one instance\n"
		"  -S MS          mean service time at speed 1 (default 40)\n"
		"  -t USEC        the service's service-time setting (default: -S)\n"
		"  -d DIST        exp (default), det, or lognorm:SCV\n"
		"  -l LOADS       loads, fractions of the total capacity (0.5,0.8,0.95)\n"
		"  -i MS          metric update intervals (100)\n"
		"  -J FRACTION    jitter of each interval (0.1)\n"
		"  -R WHAT        what the agents report: full (cpu, sessions, queue,\n"
		"                 capacity; the default), cpu (cpu, capacity) or\n"
		"                 cpu-nocap (cpu; capacity 0, unknown)\n"
		"  -p POLICIES    comma-separated (default all): nearest round-robin lc\n"
		"                 least-load weighted hash least-cost-old least-cost-old-w\n"
		"                 optimum wrr-opt wlc least-cost least-cost-metrics\n"
		"                 least-cost-plan least-cost-plan-svc oracle\n"
		"  -n DEMANDS     measured demands per run, after 20%% more of warm-up\n"
		"                 (200000)\n"
		"  -r SEEDS       runs per figure, each with its own seed (5)\n"
		"  -T             check the model against closed forms and exit\n");
}

static unsigned int parse_list(const char *arg, double *v, double scale)
{
	char *dup = strdup(arg), *tok, *save = NULL, *end;
	unsigned int n = 0;

	for (tok = strtok_r(dup, ",", &save); tok && n < MAX_LIST;
	     tok = strtok_r(NULL, ",", &save)) {
		v[n] = strtod(tok, &end) * scale;
		if (*end || v[n] <= 0) {
			fprintf(stderr, "steersim: bad value \"%s\"\n", tok);
			exit(2);
		}
		n++;
	}
	free(dup);
	return n;
}

static void parse_policies(const char *arg, bool *on)
{
	char *dup = strdup(arg), *tok, *save = NULL;
	int p;

	memset(on, 0, NR_POLICIES * sizeof(*on));
	for (tok = strtok_r(dup, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (p = 0; p < NR_POLICIES; p++)
			if (!strcmp(tok, policy_names[p]))
				break;
		if (p == NR_POLICIES) {
			fprintf(stderr, "steersim: unknown policy \"%s\"\n", tok);
			exit(2);
		}
		on[p] = true;
	}
	free(dup);
}

static void parse_site(const char *arg, struct site *s)
{
	char *end;

	s->rtt = strtod(arg, &end) / 1e3;
	if (*end != ':' || s->rtt < 0)
		goto bad;
	s->slots = strtoul(end + 1, &end, 10);
	if (!s->slots || (*end && *end != ':'))
		goto bad;
	s->speed = 1;
	if (*end) {
		s->speed = strtod(end + 1, &end);
		if (*end || s->speed <= 0)
			goto bad;
	}
	return;
bad:
	fprintf(stderr, "steersim: bad site \"%s\" (RTT_MS:SLOTS[:SPEED])\n", arg);
	exit(2);
}

/* --- scenario files ------------------------------------------------------ */

static const char *sc_path;
static unsigned int sc_line;

static void sc_fail(const char *fmt, const char *arg)
{
	if (sc_line)
		fprintf(stderr, "steersim: %s:%u: ", sc_path, sc_line);
	else
		fprintf(stderr, "steersim: %s: ", sc_path);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(2);
}

/* A number in [lo, hi] */
static double sc_num(const char *tok, const char *what, double lo, double hi)
{
	char *end;
	double v;

	if (!tok)
		sc_fail("%s: a value is missing", what);
	v = strtod(tok, &end);
	if (*end || end == tok || !(v >= lo && v <= hi))
		sc_fail("%s: bad value", what);
	return v;
}

static unsigned int sc_site(const struct config *cf, const char *name)
{
	unsigned int i;

	if (!name)
		sc_fail("%s: a site name is missing", "at");
	for (i = 0; i < cf->n; i++)
		if (!strcmp(cf->sites[i].name, name))
			return i;
	sc_fail("no site \"%s\" (sites come before the events)", name);
	return 0;
}

/* A comma-separated list of numbers in [lo, hi], times @scale */
static unsigned int sc_list(char *tok, const char *what, double lo, double hi,
			    double scale, double *v)
{
	char *save = NULL, *t;
	unsigned int n = 0;

	if (!tok)
		sc_fail("%s: a value is missing", what);
	for (t = strtok_r(tok, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (n == MAX_LIST)
			sc_fail("%s: too many values", what);
		v[n++] = sc_num(t, what, lo, hi) * scale;
	}
	return n;
}

static void sc_event(struct config *cf, char **tok, unsigned int ntok)
{
	struct sc_event *e;
	char label[sizeof(e->label)];

	if (cf->nev == MAX_EVENTS)
		sc_fail("%s: too many events", "at");
	if (ntok < 3)
		sc_fail("%s: at SECONDS WHAT ...", "at");
	e = &cf->ev[cf->nev];
	memset(e, 0, sizeof(*e));
	e->t = sc_num(tok[1], "at", 0, 1e6);
	if (cf->nev && e->t < cf->ev[cf->nev - 1].t)
		sc_fail("%s: events must come in order of time", "at");
	if (!strcmp(tok[2], "load")) {
		e->kind = SC_LOAD;
		e->v = sc_num(ntok > 3 ? tok[3] : NULL, "load", 0.001, 10);
		snprintf(label, sizeof(label), "load x%g", e->v);
		ntok -= 4;
	} else if (!strcmp(tok[2], "speed")) {
		e->kind = SC_SPEED;
		e->site = sc_site(cf, ntok > 3 ? tok[3] : NULL);
		e->v = sc_num(ntok > 4 ? tok[4] : NULL, "speed", 0.01, 100);
		snprintf(label, sizeof(label), "%s speed x%g",
			 cf->sites[e->site].name, e->v);
		ntok -= 5;
	} else if (!strcmp(tok[2], "rtt")) {
		e->kind = SC_RTT;
		e->site = sc_site(cf, ntok > 3 ? tok[3] : NULL);
		e->v = sc_num(ntok > 4 ? tok[4] : NULL, "rtt", 0, 10000) / 1e3;
		snprintf(label, sizeof(label), "%s rtt %gms",
			 cf->sites[e->site].name, e->v * 1e3);
		ntok -= 5;
	} else if (!strcmp(tok[2], "fail") || !strcmp(tok[2], "recover")) {
		e->kind = tok[2][0] == 'f' ? SC_FAIL : SC_RECOVER;
		e->site = sc_site(cf, ntok > 3 ? tok[3] : NULL);
		snprintf(label, sizeof(label), "%s %s",
			 cf->sites[e->site].name, tok[2]);
		ntok -= 4;
	} else if (!strcmp(tok[2], "foreign")) {
		e->kind = SC_FOREIGN;
		e->site = sc_site(cf, ntok > 3 ? tok[3] : NULL);
		e->v = sc_num(ntok > 4 ? tok[4] : NULL, "foreign", 0.01, 0.99);
		e->period = sc_num(ntok > 5 ? tok[5] : NULL, "foreign period",
				   0.01, 1e4);
		snprintf(label, sizeof(label), "%s foreign %g/%gs",
			 cf->sites[e->site].name, e->v, e->period);
		ntok -= 6;
	} else {
		sc_fail("unknown event \"%s\" (load, speed, rtt, fail, recover, foreign)",
			tok[2]);
	}
	if ((int)ntok > 0)
		sc_fail("%s: too many words", tok[2]);
	memcpy(e->label, label, sizeof(label));
	cf->nev++;
}

/*
 * Read a scenario (see the header of this file for the format); every
 * problem is an error naming the line.
 */
static void parse_scenario(const char *path, struct config *cf)
{
	char line[512], *tok[8], *save, *t, *hash;
	unsigned int ntok;
	double v[MAX_LIST];
	FILE *f = fopen(path, "r");
	int p;

	sc_path = path;
	sc_line = 0;
	if (!f) {
		perror(path);
		exit(2);
	}
	cf->scenario = true;
	memset(cf->policies, 0, sizeof(cf->policies));
	for (p = 0; p < NR_POLICIES; p++)
		cf->policies[p] = p != P_OPTIMUM;
	while (fgets(line, sizeof(line), f)) {
		sc_line++;
		if (!strchr(line, '\n') && !feof(f))
			sc_fail("%s", "line too long");
		hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		ntok = 0;
		save = NULL;
		for (t = strtok_r(line, " \t\r\n", &save); t;
		     t = strtok_r(NULL, " \t\r\n", &save)) {
			if (ntok == 8)
				sc_fail("%s", "too many words");
			tok[ntok++] = t;
		}
		if (!ntok)
			continue;
		if (!strcmp(tok[0], "at")) {
			sc_event(cf, tok, ntok);
			continue;
		}
		if (ntok > (strcmp(tok[0], "site") ? (strcmp(tok[0], "distribution") ? 2u : 3u) : 6u))
			sc_fail("%s: too many words", tok[0]);
		if (!strcmp(tok[0], "site")) {
			struct site *s;

			if (cf->nev)
				sc_fail("%s: sites come before the events", "site");
			if (cf->n == MAX_SITES)
				sc_fail("%s: too many sites", "site");
			if (ntok < 4 || strlen(tok[1]) >= sizeof(s->name))
				sc_fail("%s: site NAME RTT_MS SLOTS [SPEED [DIST]]", "site");
			if (!strcmp(tok[1], "load") || !strcmp(tok[1], "speed"))
				sc_fail("%s: a reserved name", "site");
			s = &cf->sites[cf->n];
			memset(s, 0, sizeof(*s));
			strcpy(s->name, tok[1]);
			s->rtt = sc_num(tok[2], "site rtt", 0, 10000) / 1e3;
			s->slots = sc_num(tok[3], "site slots", 1, 100000);
			if (s->slots != strtod(tok[3], NULL))
				sc_fail("%s: slots are a whole number", "site");
			s->speed = ntok > 4 ? sc_num(tok[4], "site speed", 0.001, 1000) : 1;
			if (ntok > 5) {
				s->own_dist = true;
				if (!strcmp(tok[5], "exp")) {
					s->dist = D_EXP;
					s->scv = 1;
				} else if (!strcmp(tok[5], "det")) {
					s->dist = D_DET;
					s->scv = 0;
				} else if (!strncmp(tok[5], "lognorm:", 8)) {
					s->dist = D_LOGNORM;
					s->scv = sc_num(tok[5] + 8, "site lognorm SCV",
							0.01, 100);
				} else {
					sc_fail("site: \"%s\": exp, det or lognorm:SCV",
						tok[5]);
				}
			}
			cf->n++;
		} else if (!strcmp(tok[0], "service-time")) {
			cf->svc = sc_num(ntok > 1 ? tok[1] : NULL, "service-time",
					 0.001, 1e6) / 1e3;
		} else if (!strcmp(tok[0], "distribution")) {
			if (ntok < 2)
				sc_fail("%s: exp, det or lognorm SCV", "distribution");
			if (!strcmp(tok[1], "exp")) {
				cf->dist = D_EXP;
				cf->scv = 1;
			} else if (!strcmp(tok[1], "det")) {
				cf->dist = D_DET;
				cf->scv = 0;
			} else if (!strcmp(tok[1], "lognorm")) {
				cf->dist = D_LOGNORM;
				cf->scv = sc_num(ntok > 2 ? tok[2] : NULL,
						 "lognorm SCV", 0.01, 100);
			} else {
				sc_fail("distribution: \"%s\": exp, det or lognorm SCV",
					tok[1]);
			}
		} else if (!strcmp(tok[0], "load")) {
			cf->nloads = sc_list(ntok > 1 ? tok[1] : NULL, "load",
					     0.01, 2, 1, cf->loads);
		} else if (!strcmp(tok[0], "report")) {
			cf->nintervals = sc_list(ntok > 1 ? tok[1] : NULL,
						 "report", 1, 1e5, 1e-3,
						 cf->intervals);
		} else if (!strcmp(tok[0], "routers")) {
			unsigned int i, n = sc_list(ntok > 1 ? tok[1] : NULL,
						    "routers", 1, MAX_ROUTERS,
						    1, v);

			for (i = 0; i < n; i++)
				cf->routers[i] = v[i];
			cf->nrouters = n;
		} else if (!strcmp(tok[0], "jitter")) {
			cf->jitter = sc_num(ntok > 1 ? tok[1] : NULL, "jitter",
					    0, 0.9);
		} else if (!strcmp(tok[0], "warmup")) {
			cf->warmup = sc_num(ntok > 1 ? tok[1] : NULL, "warmup",
					    0, 1e6);
		} else if (!strcmp(tok[0], "duration")) {
			cf->duration = sc_num(ntok > 1 ? tok[1] : NULL,
					      "duration", 1, 1e6);
		} else if (!strcmp(tok[0], "seeds")) {
			cf->seeds = sc_num(ntok > 1 ? tok[1] : NULL, "seeds", 1,
					   MAX_SEEDS);
		} else if (!strcmp(tok[0], "policies")) {
			char *save2 = NULL, *q;

			if (ntok < 2)
				sc_fail("%s: a value is missing", "policies");
			memset(cf->policies, 0, sizeof(cf->policies));
			for (q = strtok_r(tok[1], ",", &save2); q;
			     q = strtok_r(NULL, ",", &save2)) {
				for (p = 0; p < NR_POLICIES; p++)
					if (!strcmp(q, policy_names[p]))
						break;
				if (p == NR_POLICIES)
					sc_fail("policies: unknown policy \"%s\"", q);
				cf->policies[p] = true;
			}
		} else {
			sc_fail("unknown setting \"%s\"", tok[0]);
		}
	}
	fclose(f);
	sc_line = 0;
	if (!cf->n)
		sc_fail("%s", "no site");
	if (!cf->duration)
		sc_fail("%s", "no duration");
	for (p = 0; p < (int)cf->nev; p++)
		if (cf->ev[p].t >= cf->duration)
			sc_fail("event \"%s\": at or after the end of the duration",
				cf->ev[p].label);
	if (!cf->nrouters) {
		cf->routers[0] = 1;
		cf->nrouters = 1;
	}
	cf->policies[P_ORACLE] = true;	/* the reference of the gaps */
}

/* The windows of a scenario: steady before the first event, then after each */
struct window {
	char name[64];
	double from, to;
};

static unsigned int windows(const struct config *cf, struct window *w)
{
	static const double edges[][2] = { { 0, 2 }, { 2, 5 }, { 5, 10 },
					   { 30, -1 } };
	unsigned int n = 0, i, k;
	double next;

	snprintf(w[n].name, sizeof(w[n].name), "steady");
	w[n].from = 0;
	w[n].to = cf->nev ? cf->ev[0].t : cf->duration;
	n += w[n].to > 0;
	for (i = 0; i < cf->nev; i++) {
		next = i + 1 < cf->nev ? cf->ev[i + 1].t : cf->duration;
		for (k = 0; k < 4; k++) {
			double from = cf->ev[i].t + edges[k][0];
			double to = edges[k][1] < 0 ? next :
				    cf->ev[i].t + edges[k][1];

			if (to > next)
				to = next;
			if (from >= to)
				continue;
			snprintf(w[n].name, sizeof(w[n].name), "%s %g-%s", cf->ev[i].label,
				 edges[k][0], edges[k][1] < 0 ? "end" : "");
			if (edges[k][1] >= 0)
				snprintf(w[n].name + strlen(w[n].name),
					 sizeof(w[n].name) - strlen(w[n].name),
					 "%gs", edges[k][1]);
			w[n].from = from;
			w[n].to = to;
			n++;
		}
	}
	return n;
}

/* Mean and 99th percentile of the responses to demands of window @w */
static unsigned long window_stats(const struct run *r, const struct window *w,
				  double *mean, double *p99,
				  unsigned long *lost)
{
	static float *v;
	static unsigned long cap;
	unsigned long k, n = 0;
	double sum = 0;

	if (cap < r->nresp) {
		free(v);
		cap = r->nresp;
		v = malloc(cap * sizeof(*v));
		if (!v) {
			perror("steersim");
			exit(1);
		}
	}
	for (k = 0; k < r->nresp; k++) {
		if (r->arr[k] < w->from || r->arr[k] >= w->to)
			continue;
		v[n++] = r->resp[k];
		sum += r->resp[k];
	}
	for (*lost = 0, k = 0; k < r->nfailed; k++)
		*lost += r->failed[k] >= w->from && r->failed[k] < w->to;
	*mean = n ? sum / n : NAN;
	*p99 = n ? kth(v, n, (unsigned long)(0.99 * n)) : NAN;
	return n;
}

/*
 * Every policy of the scenario, for each load, number of routers and
 * report interval: per window, the median over the seeds of the mean and
 * 99th percentile response times, the demands and those lost, and the
 * gap of the mean to the oracle's (same seed, load and routers).
 */
static void run_scenario(const struct config *cf)
{
	static struct window w[MAX_WINDOWS];
	static double omean[MAX_SEEDS][MAX_WINDOWS];
	static double mean[MAX_WINDOWS][MAX_SEEDS], p99[MAX_WINDOWS][MAX_SEEDS];
	static double gap[MAX_WINDOWS][MAX_SEEDS], dem[MAX_WINDOWS][MAX_SEEDS];
	static double lst[MAX_WINDOWS][MAX_SEEDS];
	double share[MAX_SITES], total_cap = 0;
	unsigned int nw = windows(cf, w), l, kk, v, k, j, i;
	struct result res;
	unsigned long lost;
	int p;

	for (i = 0; i < cf->n; i++)
		total_cap += site_capacity(cf, &cf->sites[i]);
	printf("# steersim scenario %s: %u sites, service time %.1f ms (%s), warm-up %g s, %g s measured, %u seeds\n",
	       sc_path, cf->n, cf->svc * 1e3,
	       cf->dist == D_EXP ? "exponential" : cf->dist == D_DET ?
	       "deterministic" : "lognormal", cf->warmup, cf->duration,
	       cf->seeds);
	for (i = 0; i < cf->n; i++) {
		const struct site *s = &cf->sites[i];
		double scv;
		enum dist d = site_dist(cf, s, &scv);

		printf("# site %s: rtt %.1f ms, %u slots, speed %g: capacity %.1f demands/s; service times %s, SCV %g\n",
		       s->name, s->rtt * 1e3, s->slots, s->speed,
		       site_capacity(cf, s), d == D_EXP ? "exponential" :
		       d == D_DET ? "deterministic" : "lognormal", scv);
	}
	for (i = 0; i < cf->nev; i++)
		printf("# event at %g s: %s\n", cf->ev[i].t, cf->ev[i].label);
	printf("# policy\tload\trouters\treport_ms\twindow\tfrom_s\tto_s\tdemands\tlost\tmean_ms\tp99_ms\tgap_oracle\n");
	for (l = 0; l < cf->nloads; l++) {
		optimum_split(cf, cf->loads[l] * total_cap, share);
		for (kk = 0; kk < cf->nrouters; kk++) {
			unsigned int K = cf->routers[kk];

			for (k = 0; k < cf->seeds; k++) {
				const struct run *r = run_one(cf, P_ORACLE,
					cf->loads[l], cf->intervals[0], K, k,
					share, &res);

				for (j = 0; j < nw; j++)
					window_stats(r, &w[j], &omean[k][j],
						     &res.p99, &lost);
			}
			for (p = 0; p < NR_POLICIES; p++) {
				if (!cf->policies[p])
					continue;
				for (v = 0; v < cf->nintervals; v++) {
					for (k = 0; k < cf->seeds; k++) {
						const struct run *r = run_one(cf, p,
							cf->loads[l], cf->intervals[v],
							K, k, share, &res);

						for (j = 0; j < nw; j++) {
							dem[j][k] = window_stats(r, &w[j],
								&mean[j][k], &p99[j][k], &lost);
							lst[j][k] = lost;
							gap[j][k] = mean[j][k] / omean[k][j] - 1;
						}
					}
					for (j = 0; j < nw; j++)
						printf("%s\t%.2f\t%u\t%g\t%s\t%g\t%g\t%.0f\t%.0f\t%.3f\t%.3f\t%.4f\n",
						       policy_names[p], cf->loads[l], K,
						       cf->intervals[v] * 1e3, w[j].name,
						       w[j].from, w[j].to,
						       median(dem[j], cf->seeds),
						       median(lst[j], cf->seeds),
						       median(mean[j], cf->seeds) * 1e3,
						       median(p99[j], cf->seeds) * 1e3,
						       median(gap[j], cf->seeds));
					fflush(stdout);
				}
			}
		}
	}
}

int main(int argc, char **argv)
{
	static struct config cf = {
		.svc = 0.040,
		.dist = D_EXP,
		.scv = 1,
		.jitter = 0.1,
		.demands = 200000,
		.seeds = 5,
		.loads = { 0.5, 0.8, 0.95 },
		.nloads = 3,
		.intervals = { 0.1 },
		.nintervals = 1,
	};
	long svc_us = -1;
	unsigned int i;
	int opt, p;

	for (p = 0; p < NR_POLICIES; p++)
		cf.policies[p] = true;
	while ((opt = getopt(argc, argv, "f:C:S:t:d:l:i:J:R:p:n:r:Th")) != -1) {
		switch (opt) {
		case 'S':
			cf.svc = strtod(optarg, NULL) / 1e3;
			break;
		case 't':
			svc_us = strtol(optarg, NULL, 10);
			break;
		case 'd':
			if (!strcmp(optarg, "exp")) {
				cf.dist = D_EXP;
				cf.scv = 1;
			} else if (!strcmp(optarg, "det")) {
				cf.dist = D_DET;
				cf.scv = 0;
			} else if (!strncmp(optarg, "lognorm:", 8)) {
				cf.dist = D_LOGNORM;
				cf.scv = strtod(optarg + 8, NULL);
			} else {
				fprintf(stderr, "steersim: bad distribution \"%s\"\n",
					optarg);
				return 2;
			}
			break;
		case 'l':
			cf.nloads = parse_list(optarg, cf.loads, 1);
			break;
		case 'i':
			cf.nintervals = parse_list(optarg, cf.intervals, 1e-3);
			break;
		case 'J':
			cf.jitter = strtod(optarg, NULL);
			break;
		case 'R':
			if (!strcmp(optarg, "full")) {
				cf.report = R_FULL;
			} else if (!strcmp(optarg, "cpu")) {
				cf.report = R_CPU;
			} else if (!strcmp(optarg, "cpu-nocap")) {
				cf.report = R_CPU_NOCAP;
			} else {
				fprintf(stderr, "steersim: bad -R \"%s\"\n", optarg);
				return 2;
			}
			break;
		case 'p':
			parse_policies(optarg, cf.policies);
			break;
		case 'n':
			cf.demands = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			cf.seeds = strtoul(optarg, NULL, 10);
			break;
		case 'f':
		case 'C':
			cf.warmup = 10;
			parse_scenario(optarg, &cf);
			cf.svc_us = lround(cf.svc * 1e6);
			if (opt == 'C') {
				printf("%s: %u sites, %u events, %g s\n", optarg,
				       cf.n, cf.nev, cf.duration);
				return 0;
			}
			run_scenario(&cf);
			return 0;
		case 'T':
			return self_test();
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind == argc || argc - optind > MAX_SITES || cf.svc <= 0 ||
	    !cf.demands || !cf.seeds || cf.seeds > MAX_SEEDS ||
	    cf.jitter < 0 || cf.jitter >= 1) {
		usage(stderr);
		return 2;
	}
	for (i = 0; optind < argc; i++)
		parse_site(argv[optind++], &cf.sites[i]);
	cf.n = i;
	cf.svc_us = svc_us >= 0 ? svc_us : lround(cf.svc * 1e6);

	printf("# steersim: %u sites, service time %.1f ms (%s, SCV %.2f), service-time setting %u us, %lu demands x %u seeds\n",
	       cf.n, cf.svc * 1e3, cf.dist == D_EXP ? "exponential" :
	       cf.dist == D_DET ? "deterministic" : "lognormal", cf.scv,
	       cf.svc_us, cf.demands, cf.seeds);
	for (i = 0; i < cf.n; i++)
		printf("# site %u: rtt %.1f ms, %u slots, speed %g: capacity %.1f demands/s\n",
		       i + 1, cf.sites[i].rtt * 1e3, cf.sites[i].slots,
		       cf.sites[i].speed, site_capacity(&cf, &cf.sites[i]));
	run_all(&cf);
	return 0;
}

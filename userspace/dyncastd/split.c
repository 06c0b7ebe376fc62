// SPDX-License-Identifier: GPL-2.0
/*
 * The optimum static split (split.h).  Each station's cost, its demands'
 * total delay per second, x (d + T(x)), is convex in its rate x; at the
 * optimum every station used has the same marginal cost nu, and nu is
 * found by bisection over the total rate.
 */
#include <math.h>

#include "split.h"

/* Demands a second it can serve */
double dd_capacity(const struct dd_station *s)
{
	return s->svc > 0 ? s->slots / s->svc : INFINITY;
}

/*
 * Mean time in system at rate x: Erlang C (exact for exponential service
 * times), its wait scaled by (1 + SCV) / 2 otherwise (Allen-Cunneen; exact
 * for one slot, Pollaczek-Khinchine).  INFINITY at or beyond capacity.
 */
double dd_sojourn(const struct dd_station *s, double x)
{
	double a = x * s->svc, b = 1, c;
	unsigned int k;

	if (a >= s->slots)
		return INFINITY;
	if (x <= 0)
		return s->svc;
	/* Erlang B by its recursion, then Erlang C */
	for (k = 1; k <= s->slots; k++)
		b = a * b / (k + a * b);
	c = b / (1 - a / s->slots * (1 - b));
	return s->svc + c * s->svc / (s->slots - a) * (1 + s->scv) / 2;
}

static double cost(const struct dd_station *s, double x)
{
	return x * (s->rtt + dd_sojourn(s, x));
}

/* d/dx of cost(), numerically; increasing since the cost is convex */
static double marginal(const struct dd_station *s, double x)
{
	double h = dd_capacity(s) * 1e-7;

	return (cost(s, x + h) - cost(s, x)) / h;
}

/* The rate at which the station's marginal cost reaches nu */
static double rate_at(const struct dd_station *s, double nu)
{
	double lo = 0, hi = dd_capacity(s) * (1 - 1e-12);
	int i;

	if (s->slots == 0 || !(hi > 0) || marginal(s, 0) >= nu)
		return 0;
	/* to a millionth of a per cent of its capacity */
	for (i = 0; i < 200 && hi - lo > dd_capacity(s) * 1e-8; i++) {
		double mid = (lo + hi) / 2;

		if (marginal(s, mid) < nu)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The shares (summing to 1) of @n stations that minimise the mean
 * response time at total rate @lam, and that mean.  At or beyond the
 * stations' total capacity no split is stable: the shares are their
 * capacities', the mean INFINITY.
 */
double dd_split(const struct dd_station *s, unsigned int n, double lam,
		double *share)
{
	double lo = 0, hi = 1, sum = 0, mean = 0, span = 0, rlo[DD_SPLIT_MAX];
	unsigned int i;
	int k;

	if (n > DD_SPLIT_MAX)
		n = DD_SPLIT_MAX;

	for (i = 0; i < n; i++)
		sum += dd_capacity(&s[i]);
	if (!(lam < sum) || lam <= 0) {
		for (i = 0; i < n; i++)
			share[i] = sum > 0 ? dd_capacity(&s[i]) / sum : 1.0 / n;
		return lam <= 0 ? NAN : INFINITY;
	}
	/* grow hi until the stations take more than lam */
	for (k = 0; k < 200; k++) {
		for (sum = 0, i = 0; i < n; i++)
			sum += rate_at(&s[i], hi);
		if (sum >= lam)
			break;
		hi *= 2;
	}
	for (k = 0; k < 200 && hi - lo > hi * 1e-10; k++) {
		double mid = (lo + hi) / 2;

		for (sum = 0, i = 0; i < n; i++)
			sum += rate_at(&s[i], mid);
		if (sum < lam)
			lo = mid;
		else
			hi = mid;
	}
	/*
	 * Between nu = lo and hi the rates add up to lam.  A station whose
	 * marginal cost is flat there (many slots, no wait yet: only its
	 * network cost and service time) takes any rate from 0 to near its
	 * capacity at that one nu, and which one the bisection lands on is
	 * down to rounding: the rest of lam goes to the stations in
	 * proportion to how much they take between lo and hi.
	 */
	for (sum = 0, i = 0; i < n; i++) {
		rlo[i] = rate_at(&s[i], lo);
		share[i] = rate_at(&s[i], hi);
		if (share[i] < rlo[i])
			share[i] = rlo[i];
		sum += rlo[i];
		span += share[i] - rlo[i];
	}
	for (i = 0; i < n; i++) {
		if (span > 0)
			share[i] = rlo[i] + (share[i] - rlo[i]) *
					    (lam - sum) / span;
	}
	for (sum = 0, i = 0; i < n; i++)
		sum += share[i];
	for (i = 0; i < n; i++) {
		share[i] /= sum;
		mean += share[i] * (s[i].rtt + dd_sojourn(&s[i], share[i] * lam));
	}
	return mean;
}

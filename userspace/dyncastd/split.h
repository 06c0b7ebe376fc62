/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The split of a service's demands over its instances that minimises
 * their mean response time: network delay plus time in system, each
 * instance a c-slot station (Erlang C; Allen-Cunneen for service times of
 * another variability).  For the agent's plan, and for steersim.
 */
#ifndef DD_SPLIT_H
#define DD_SPLIT_H

/* Stations one split takes at most (an instance set's most) */
#define DD_SPLIT_MAX	1024

struct dd_station {
	double rtt;		/* network delay to it, seconds */
	unsigned int slots;	/* demands it serves at once, c */
	double svc;		/* mean service time, seconds */
	double scv;		/* squared coefficient of variation of it */
};

double dd_capacity(const struct dd_station *s);
double dd_sojourn(const struct dd_station *s, double x);
double dd_split(const struct dd_station *s, unsigned int n, double lam,
		double *share);

#endif /* DD_SPLIT_H */

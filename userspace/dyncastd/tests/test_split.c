// SPDX-License-Identifier: GPL-2.0
/*
 * The optimum split: against closed forms (M/M/1's split and Erlang C,
 * Pollaczek-Khinchine for fixed service times), identical stations,
 * stations that should get nothing, and loads beyond the capacity.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "split.h"

static void near(double got, double want, double rel)
{
	if (!(fabs(got - want) <= rel * fabs(want) + 1e-12)) {
		print_error("got %.9g, want %.9g\n", got, want);
		fail();
	}
}

/*
 * M/M/1 stations: with marginal cost nu, d_i + mu_i / (mu_i - x_i)^2 =
 * nu, so x_i = mu_i - sqrt(mu_i / (nu - d_i)) where nu > d_i + 1 / mu_i.
 */
static void mm1_closed_form(void **state)
{
	static const struct dd_station st[3] = {
		{ .rtt = 0.004, .slots = 1, .svc = 0.020, .scv = 1 },
		{ .rtt = 0.012, .slots = 1, .svc = 0.010, .scv = 1 },
		{ .rtt = 0.030, .slots = 1, .svc = 0.005, .scv = 1 },
	};
	static const double loads[] = { 0.3, 0.5, 0.8, 0.95 };
	double share[3], want[3], lam, lo, hi, mean, wmean;
	unsigned int l, i, k;

	(void)state;
	for (l = 0; l < 4; l++) {
		lam = loads[l] * 350;
		mean = dd_split(st, 3, lam, share);
		for (lo = 0, hi = 1e9, k = 0; k < 300; k++) {
			double mid = (lo + hi) / 2, sum = 0;

			for (i = 0; i < 3; i++) {
				double mu = 1 / st[i].svc;

				if (mid > st[i].rtt + 1 / mu)
					sum += mu - sqrt(mu / (mid - st[i].rtt));
			}
			if (sum < lam)
				lo = mid;
			else
				hi = mid;
		}
		for (wmean = 0, i = 0; i < 3; i++) {
			double mu = 1 / st[i].svc, x = 0;

			if (hi > st[i].rtt + 1 / mu)
				x = mu - sqrt(mu / (hi - st[i].rtt));
			want[i] = x / lam;
			wmean += want[i] * (st[i].rtt + 1 / (mu - x));
		}
		for (i = 0; i < 3; i++)
			assert_true(fabs(share[i] - want[i]) < 1e-4);
		near(mean, wmean, 1e-5);
	}
}

/* Erlang C for 4 slots at 80 %: C = 0.5964, W = S (1 + C / (c - A)) */
static void erlang_c(void **state)
{
	struct dd_station s = { .slots = 4, .svc = 0.010, .scv = 1 };

	(void)state;
	near(dd_sojourn(&s, 320), 0.0174554, 1e-4);
	/* idle: the service time; at or beyond capacity: unbounded */
	near(dd_sojourn(&s, 0), 0.010, 1e-12);
	assert_true(isinf(dd_sojourn(&s, 400)));
	assert_true(isinf(dd_sojourn(&s, 1000)));
	/* one slot, fixed service times: S + rho S / (2 (1 - rho)) */
	s.slots = 1;
	s.scv = 0;
	near(dd_sojourn(&s, 80), 0.010 + 0.8 * 0.010 / (2 * 0.2), 1e-9);
}

/* Identical stations share evenly; a far one gets nothing at low load */
static void shares(void **state)
{
	struct dd_station st[3] = {
		{ .rtt = 0.010, .slots = 3, .svc = 0.050, .scv = 1 },
		{ .rtt = 0.010, .slots = 3, .svc = 0.050, .scv = 1 },
		{ .rtt = 0.010, .slots = 3, .svc = 0.050, .scv = 1 },
	};
	double share[3];
	unsigned int i;

	(void)state;
	dd_split(st, 3, 90, share);
	for (i = 0; i < 3; i++)
		near(share[i], 1.0 / 3, 1e-6);
	/* 500 ms away, 10 % load: the near ones take it all */
	st[2].rtt = 0.5;
	dd_split(st, 3, 18, share);
	assert_true(share[2] < 1e-9);
	near(share[0] + share[1], 1, 1e-9);
	/* and it takes its part as the others fill */
	dd_split(st, 3, 170, share);
	assert_true(share[2] > 0.2);
}

/* Beyond the capacity no split is stable: capacity shares, no mean */
static void overload(void **state)
{
	static const struct dd_station st[2] = {
		{ .rtt = 0, .slots = 1, .svc = 0.010, .scv = 1 },
		{ .rtt = 0, .slots = 3, .svc = 0.010, .scv = 1 },
	};
	double share[2];

	(void)state;
	assert_true(isinf(dd_split(st, 2, 400, share)));
	near(share[0], 0.25, 1e-12);
	near(share[1], 0.75, 1e-12);
	assert_true(isinf(dd_split(st, 2, 1000, share)));
	assert_true(isnan(dd_split(st, 2, 0, share)));
	assert_true(isfinite(dd_split(st, 2, 399, share)));
}

/*
 * Many slots: a station's marginal cost stays at its network cost plus
 * its service time until its queue starts, flat over most of its range.
 * Near 70 ms further, the second station takes only what the first
 * cannot serve at that marginal cost, 80.7 ms: the first up to where its
 * own marginal cost reaches it (some 9635 of its 10 000 a second).
 */
static void flat_marginal(void **state)
{
	static const struct dd_station st[2] = {
		{ .rtt = 0.001, .slots = 100, .svc = 0.010, .scv = 1 },
		{ .rtt = 0.0707, .slots = 100, .svc = 0.010, .scv = 1 },
	};
	double share[2], x1;

	(void)state;
	dd_split(st, 2, 12000, share);
	x1 = share[0] * 12000;
	near(share[0] + share[1], 1, 1e-12);
	assert_true(x1 > 9600 && x1 < 9660);
	/* alone, flat where it is asked: all of it */
	dd_split(st, 1, 5000, share);
	near(share[0], 1, 1e-12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mm1_closed_form),
		cmocka_unit_test(erlang_c),
		cmocka_unit_test(shares),
		cmocka_unit_test(overload),
		cmocka_unit_test(flat_marginal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

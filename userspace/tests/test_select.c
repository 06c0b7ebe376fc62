// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of kmod/select.c, built here against the userspace shim of
 * select.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "select.h"

#define GUARD	0xbeef

/* Small deterministic generator, so that failures can be replayed. */
static uint64_t rng_state = 1;

static uint32_t rnd(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return rng_state >> 33;
}

static uint32_t rnd_range(uint32_t lo, uint32_t hi)
{
	return lo + rnd() % (hi - lo + 1);
}

static uint64_t gcd64(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t r = a % b;

		a = b;
		b = r;
	}
	return a;
}

/*
 * nginx's smooth weighted round robin, straight from
 * ngx_http_upstream_get_peer(): the reference for dc_sel_wrr_build().
 * Weights are reduced by their gcd first; returns the cycle length.
 */
static unsigned int ref_swrr(const uint32_t *w, unsigned int n, uint16_t *out)
{
	int64_t cur[DC_SEL_MAX] = { 0 };
	uint64_t g = 0, total = 0;
	unsigned int i, t, len;

	for (i = 0; i < n; i++)
		g = gcd64(w[i], g);
	if (!g)
		return 0;
	for (i = 0; i < n; i++)
		total += w[i] / g;
	len = total;
	for (t = 0; t < len; t++) {
		int best = -1;

		for (i = 0; i < n; i++) {
			if (!w[i])
				continue;
			cur[i] += w[i] / g;
			if (best < 0 || cur[i] > cur[best])
				best = i;
		}
		if (best < 0)	/* every weight 0: no slot */
			return 0;
		cur[best] -= total;
		out[t] = best;
	}
	return len;
}

static void count_slots(const uint16_t *table, unsigned int len,
			unsigned int n, unsigned int *count)
{
	unsigned int i;

	memset(count, 0, n * sizeof(*count));
	for (i = 0; i < len; i++) {
		assert_in_range(table[i], 0, n - 1);
		count[table[i]]++;
	}
}

static unsigned int wrr(const uint32_t *w, unsigned int n, uint16_t *table,
			unsigned int max_len)
{
	unsigned int len;

	table[max_len] = GUARD;
	len = dc_sel_wrr_build(w, n, table, max_len);
	assert_true(len <= max_len);
	assert_int_equal(table[max_len], GUARD);
	return len;
}

static uint16_t table[DC_SEL_WRR_MAX + 1];
static uint16_t ref[1 << 20];

static void test_wrr_nginx_sequence(void **state)
{
	static const uint32_t w[] = { 5, 1, 1 };
	static const uint16_t expect[] = { 0, 0, 1, 0, 2, 0, 0 };	/* aabacaa */
	unsigned int len;

	(void)state;
	len = wrr(w, 3, table, DC_SEL_WRR_MAX);
	assert_int_equal(len, 7);
	assert_memory_equal(table, expect, sizeof(expect));
}

static void test_wrr_exact_proportions(void **state)
{
	unsigned int count[16], it, i, n, len;
	uint32_t w[16];

	(void)state;
	for (it = 0; it < 500; it++) {
		uint64_t g = 0, sum = 0;

		n = rnd_range(1, 16);
		for (i = 0; i < n; i++) {
			w[i] = rnd_range(0, 20);
			g = gcd64(w[i], g);
			sum += w[i];
		}
		len = wrr(w, n, table, DC_SEL_WRR_MAX);
		if (!g) {
			assert_int_equal(len, 0);
			continue;
		}
		assert_int_equal(len, sum / g);
		count_slots(table, len, n, count);
		for (i = 0; i < n; i++)
			assert_int_equal(count[i], w[i] / g);
		/* and in exactly nginx's order */
		assert_int_equal(ref_swrr(w, n, ref), len);
		assert_memory_equal(table, ref, len * sizeof(table[0]));
	}
}

/* Any window of k consecutive picks (wrapping around the cycle) holds at
 * most ceil(k * w / sum) + 1 picks of an instance of weight w.
 */
static void check_smooth(const uint16_t *t, unsigned int len,
			 const uint32_t *w, unsigned int n)
{
	unsigned int k, start, i, c[16];
	uint64_t sum = 0;

	for (i = 0; i < n; i++)
		sum += w[i];
	for (k = 1; k <= len; k++) {
		for (start = 0; start < len; start++) {
			memset(c, 0, sizeof(c));
			for (i = 0; i < k; i++)
				c[t[(start + i) % len]]++;
			for (i = 0; i < n; i++)
				assert_true(c[i] <= (k * w[i] + sum - 1) / sum + 1);
		}
	}
}

static void test_wrr_smooth(void **state)
{
	static const uint32_t w1[] = { 5, 1, 1 };
	static const uint32_t w2[] = { 1, 1, 1, 1 };
	static const uint32_t w3[] = { 10, 3, 2, 1 };
	uint32_t w[8];
	unsigned int it, i, n, len;

	(void)state;
	len = wrr(w1, 3, table, DC_SEL_WRR_MAX);
	check_smooth(table, len, w1, 3);
	len = wrr(w2, 4, table, DC_SEL_WRR_MAX);
	check_smooth(table, len, w2, 4);
	len = wrr(w3, 4, table, DC_SEL_WRR_MAX);
	check_smooth(table, len, w3, 4);
	for (it = 0; it < 200; it++) {
		uint32_t g = 0;

		n = rnd_range(1, 8);
		for (i = 0; i < n; i++) {
			w[i] = rnd_range(1, 12);
			g = gcd64(w[i], g);
		}
		for (i = 0; i < n; i++)
			w[i] /= g;
		len = wrr(w, n, table, DC_SEL_WRR_MAX);
		check_smooth(table, len, w, n);
	}
}

static void test_wrr_gcd(void **state)
{
	static const uint32_t w[] = { 400, 200, 600 };
	static const uint32_t r[] = { 2, 1, 3 };
	static const uint32_t big[] = { 3000000000u, 1500000000u };
	uint16_t t2[8];
	unsigned int len;

	(void)state;
	len = wrr(w, 3, table, DC_SEL_WRR_MAX);
	assert_int_equal(len, 6);
	assert_int_equal(dc_sel_wrr_build(r, 3, t2, 8), 6);
	assert_memory_equal(table, t2, 6 * sizeof(t2[0]));

	/* a gcd that is all that brings the length under the cap */
	len = wrr(big, 2, table, 3);
	assert_int_equal(len, 3);
	assert_int_equal(table[0], 0);
	assert_int_equal(table[1], 1);
	assert_int_equal(table[2], 0);
}

/*
 * Scaled weights: every instance with a weight keeps a slot; the others
 * get counts within 1 of a common proportion of their weights (floor() on
 * the scaled weights), and the order is nginx's for those counts.
 */
static void check_scaled(const uint32_t *w, unsigned int n,
			 unsigned int max_len)
{
	static unsigned int count[DC_SEL_MAX];
	unsigned int i, len, active = 0;
	double cw = 0, ww = 0, r;

	len = wrr(w, n, table, max_len);
	for (i = 0; i < n; i++)
		active += !!w[i];
	assert_true(len >= active);
	count_slots(table, len, n, count);
	for (i = 0; i < n; i++) {
		if (!w[i]) {
			assert_int_equal(count[i], 0);
			continue;
		}
		assert_true(count[i] >= 1);
		if (count[i] > 1) {
			cw += count[i];
			ww += w[i];
		}
	}
	r = ww ? cw / ww : 0;
	for (i = 0; i < n; i++) {
		if (count[i] > 1)
			assert_true(count[i] >= w[i] * r - 2 &&
				    count[i] <= w[i] * r + 2);
		else if (w[i])
			assert_true(w[i] * r < 2.0001);
	}
	/* the counts, run through nginx, give back the very same order */
	assert_int_equal(ref_swrr(count, n, ref), len);
	assert_memory_equal(table, ref, len * sizeof(table[0]));
}

static void test_wrr_scaling(void **state)
{
	static uint32_t w[DC_SEL_MAX];
	unsigned int i, len;

	(void)state;
	/* all equal and huge: the gcd brings them down to 1 each */
	for (i = 0; i < DC_SEL_MAX; i++)
		w[i] = 65535;
	len = wrr(w, DC_SEL_MAX, table, DC_SEL_WRR_MAX);
	assert_int_equal(len, DC_SEL_MAX);
	for (i = 0; i < DC_SEL_MAX; i++)
		assert_int_equal(table[i], i);

	/* 1024 distinct weights: scaled under the cap, and not far under */
	for (i = 0; i < DC_SEL_MAX; i++)
		w[i] = 65535 - i * 61;
	len = wrr(w, DC_SEL_MAX, table, DC_SEL_WRR_MAX);
	assert_true(len > DC_SEL_WRR_MAX - DC_SEL_MAX);
	check_scaled(w, DC_SEL_MAX, DC_SEL_WRR_MAX);

	/* one heavy, many light: the light ones keep their single slot */
	w[0] = 65535;
	for (i = 1; i < DC_SEL_MAX; i++)
		w[i] = 1;
	check_scaled(w, DC_SEL_MAX, DC_SEL_WRR_MAX);

	/* weights beyond the uapi range, up to UINT32_MAX, don't overflow */
	for (i = 0; i < DC_SEL_MAX; i++)
		w[i] = UINT32_MAX - rnd() % 1000000;
	check_scaled(w, DC_SEL_MAX, DC_SEL_WRR_MAX);
	for (i = 0; i < 100; i++)
		w[i] = i % 3 ? rnd() : 0;
	check_scaled(w, 100, DC_SEL_WRR_MAX);

	/* a short cap */
	w[0] = 1000;
	w[1] = 10;
	w[2] = 1;
	check_scaled(w, 3, 50);
	len = wrr(w, 3, table, 3);
	assert_int_equal(len, 3);

	/* a cap beyond DC_SEL_WRR_MAX is held to DC_SEL_WRR_MAX */
	w[0] = 10000;
	w[1] = 1;
	assert_true(dc_sel_wrr_build(w, 2, ref, 20000) <= DC_SEL_WRR_MAX);

	/* random sets of random sizes */
	for (i = 0; i < 30; i++) {
		unsigned int j, n = rnd_range(1, DC_SEL_MAX);

		for (j = 0; j < n; j++)
			w[j] = rnd() % 3 ? rnd_range(0, 65535) : rnd_range(1, 9);
		w[0] = 1;
		check_scaled(w, n, rnd_range(n, DC_SEL_WRR_MAX));
	}
}

static void test_wrr_zero_weight(void **state)
{
	static const uint32_t w[] = { 0, 3, 0, 1, 0 };
	unsigned int count[5], len;

	(void)state;
	len = wrr(w, 5, table, DC_SEL_WRR_MAX);
	assert_int_equal(len, 4);
	count_slots(table, len, 5, count);
	assert_int_equal(count[0], 0);
	assert_int_equal(count[1], 3);
	assert_int_equal(count[2], 0);
	assert_int_equal(count[3], 1);
	assert_int_equal(count[4], 0);
}

static void test_wrr_edges(void **state)
{
	static const uint32_t one[] = { 7 };
	static const uint32_t zero[] = { 0, 0, 0 };
	static uint32_t w[DC_SEL_MAX + 1];
	unsigned int i;

	(void)state;
	assert_int_equal(wrr(one, 1, table, DC_SEL_WRR_MAX), 1);
	assert_int_equal(table[0], 0);
	assert_int_equal(wrr(one, 1, table, 1), 1);
	assert_int_equal(wrr(zero, 3, table, DC_SEL_WRR_MAX), 0);
	assert_int_equal(wrr(zero, 0, table, DC_SEL_WRR_MAX), 0);
	assert_int_equal(wrr(one, 1, table, 0), 0);

	for (i = 0; i <= DC_SEL_MAX; i++)
		w[i] = 1;
	/* more instances than fit */
	assert_int_equal(wrr(w, DC_SEL_MAX + 1, table, DC_SEL_WRR_MAX), 0);
	/* fewer slots than instances with a weight */
	assert_int_equal(wrr(w, 10, table, 9), 0);
	assert_int_equal(wrr(w, 10, table, 10), 10);
}

/* Maglev */

static uint16_t mtab[DC_SEL_MAGLEV_MAX + 1], mtab2[DC_SEL_MAGLEV_MAX + 1];

static void maglev(const uint64_t *ids, const uint32_t *w, unsigned int n,
		   uint16_t *t, unsigned int size)
{
	void *scratch = malloc(dc_sel_maglev_scratch_size(n) + 1);

	assert_non_null(scratch);
	t[size] = GUARD;
	assert_int_equal(dc_sel_maglev_build(ids, w, n, t, size, scratch), 0);
	assert_int_equal(t[size], GUARD);
	free(scratch);
}

static void make_ids(uint64_t *ids, unsigned int n, uint64_t seed)
{
	unsigned int i;

	/* ids as the module makes them: a hash of the instance address */
	for (i = 0; i < n; i++)
		ids[i] = dc_sel_mix64(0x0a000000 + seed * 65536 + i);
}

static void test_maglev_size(void **state)
{
	(void)state;
	assert_int_equal(dc_sel_maglev_size(0), 251);
	assert_int_equal(dc_sel_maglev_size(1), 251);
	assert_int_equal(dc_sel_maglev_size(2), 251);
	assert_int_equal(dc_sel_maglev_size(3), 509);
	assert_int_equal(dc_sel_maglev_size(10), 1021);
	assert_int_equal(dc_sel_maglev_size(11), 2039);
	assert_int_equal(dc_sel_maglev_size(40), 4093);
	assert_int_equal(dc_sel_maglev_size(81), 8191);
	assert_int_equal(dc_sel_maglev_size(82), 16381);
	assert_int_equal(dc_sel_maglev_size(164), 32749);
	assert_int_equal(dc_sel_maglev_size(327), 32749);
	assert_int_equal(dc_sel_maglev_size(328), 65521);
	assert_int_equal(dc_sel_maglev_size(1024), 65521);
	assert_int_equal(dc_sel_maglev_size(UINT32_MAX), 65521);
	assert_true(dc_sel_maglev_scratch_size(DC_SEL_MAX) > 0);
}

static void check_maglev_shares(const uint16_t *t, unsigned int size,
				const uint32_t *w, unsigned int n)
{
	static unsigned int count[DC_SEL_MAX];
	uint64_t sum = 0;
	unsigned int i;

	count_slots(t, size, n, count);
	for (i = 0; i < n; i++)
		sum += w[i];
	for (i = 0; i < n; i++) {
		double share = (double)size * w[i] / sum;

		if (!w[i]) {
			assert_int_equal(count[i], 0);
			continue;
		}
		assert_true(count[i] >= 1);
		/* within 3% of the share, or 2 slots for small shares */
		assert_true(count[i] <= share * 1.03 + 2);
		assert_true(count[i] + 2 >= share * 0.97);
	}
}

static void test_maglev_fill_and_weights(void **state)
{
	static uint64_t ids[DC_SEL_MAX];
	static uint32_t w[DC_SEL_MAX];
	unsigned int i, n, size, it;

	(void)state;
	for (it = 0; it < 40; it++) {
		n = it < 20 ? rnd_range(1, 20) : rnd_range(1, DC_SEL_MAX);
		size = dc_sel_maglev_size(n);
		make_ids(ids, n, it);
		for (i = 0; i < n; i++)
			w[i] = it % 2 ? 1 : rnd_range(0, 10);
		w[0] = 3;
		maglev(ids, w, n, mtab, size);
		check_maglev_shares(mtab, size, w, n);
	}
	/* heavy against light */
	n = 3;
	make_ids(ids, n, 99);
	w[0] = 65535;
	w[1] = 1;
	w[2] = 655;
	maglev(ids, w, n, mtab, dc_sel_maglev_size(n));
	check_maglev_shares(mtab, dc_sel_maglev_size(n), w, n);
	/* n = 1 */
	maglev(ids, w, 1, mtab, 251);
	for (i = 0; i < 251; i++)
		assert_int_equal(mtab[i], 0);
}

static void test_maglev_order_independent(void **state)
{
	static uint64_t ids[200], pids[200];
	static uint32_t w[200], pw[200];
	unsigned int perm[200], i, n = 200, size, it;

	(void)state;
	size = dc_sel_maglev_size(n);
	make_ids(ids, n, 7);
	for (i = 0; i < n; i++) {
		w[i] = rnd_range(0, 5);
		perm[i] = i;
	}
	maglev(ids, w, n, mtab, size);
	for (it = 0; it < 5; it++) {
		for (i = n - 1; i > 0; i--) {
			unsigned int j = rnd() % (i + 1), tmp = perm[i];

			perm[i] = perm[j];
			perm[j] = tmp;
		}
		for (i = 0; i < n; i++) {
			pids[i] = ids[perm[i]];
			pw[i] = w[perm[i]];
		}
		maglev(pids, pw, n, mtab2, size);
		for (i = 0; i < size; i++)
			assert_true(ids[mtab[i]] == pids[mtab2[i]]);
	}
}

/*
 * Removing one of n instances moves its own slots and only a few others.
 * As in the Maglev paper, the others lose a few percent of the table at
 * about 100 slots per instance (up to 5.5% seen in small tables, 0.5% to
 * 1.5% from 50 instances on).
 */
static void check_removal(unsigned int n, int weighted)
{
	static uint64_t ids[DC_SEL_MAX], ids2[DC_SEL_MAX];
	static uint32_t w[DC_SEL_MAX], w2[DC_SEL_MAX];
	unsigned int i, j, size, victim, moved = 0, own = 0;
	uint64_t sum = 0;

	size = dc_sel_maglev_size(n);
	make_ids(ids, n, n);
	for (i = 0; i < n; i++) {
		w[i] = weighted ? rnd_range(1, 100) : 1;
		sum += w[i];
	}
	victim = rnd() % n;
	for (i = 0, j = 0; i < n; i++) {
		if (i == victim)
			continue;
		ids2[j] = ids[i];
		w2[j++] = w[i];
	}
	maglev(ids, w, n, mtab, size);
	maglev(ids2, w2, n - 1, mtab2, size);
	for (i = 0; i < size; i++) {
		if (mtab[i] == victim)
			own++;
		else if (ids[mtab[i]] != ids2[mtab2[i]])
			moved++;
	}
	print_message("maglev n=%u%s: removed share %.4f, others moved %.4f\n",
		      n, weighted ? " weighted" : "", (double)own / size,
		      (double)moved / size);
	assert_true((double)own / size <= (double)w[victim] / sum + 0.01);
	assert_true((double)moved / size <= (n < 50 ? 0.06 : 0.02));
}

static void test_maglev_removal(void **state)
{
	(void)state;
	check_removal(5, 0);
	check_removal(10, 0);
	check_removal(10, 1);
	check_removal(50, 0);
	check_removal(100, 1);
	check_removal(1000, 0);
	check_removal(1000, 1);
}

static void test_maglev_errors(void **state)
{
	static const uint64_t ids[3] = { 1, 2, 3 };
	static const uint32_t zero[3] = { 0, 0, 0 };
	static const uint32_t w[3] = { 0, 1, 0 };
	uint64_t scratch[8];
	unsigned int i;

	(void)state;
	assert_true(dc_sel_maglev_scratch_size(3) <= sizeof(scratch));
	assert_int_equal(dc_sel_maglev_build(ids, zero, 3, mtab, 251, scratch),
			 -1);
	/* a size that is not one of ours (not prime) */
	assert_int_equal(dc_sel_maglev_build(ids, w, 3, mtab, 250, scratch),
			 -1);
	assert_int_equal(dc_sel_maglev_build(ids, w, 3, mtab, 0, scratch), -1);
	assert_int_equal(dc_sel_maglev_build(ids, w, DC_SEL_MAX + 1, mtab, 251,
					     scratch), -1);
	/* weight 0 never gets a slot */
	assert_int_equal(dc_sel_maglev_build(ids, w, 3, mtab, 251, scratch), 0);
	for (i = 0; i < 251; i++)
		assert_int_equal(mtab[i], 1);
}

static void test_mix64(void **state)
{
	uint64_t x, y;
	unsigned int i, flips = 0;

	(void)state;
	/* the first output of splitmix64 seeded with 0 */
	assert_true(dc_sel_mix64(0) == 0xe220a8397b1dcdafULL);
	assert_true(dc_sel_mix64(1) != dc_sel_mix64(2));
	/* avalanche: one input bit flips about half of the output bits */
	for (i = 0; i < 64 * 100; i++) {
		x = (uint64_t)rnd() << 32 | rnd();
		y = x ^ (1ULL << (i % 64));
		flips += __builtin_popcountll(dc_sel_mix64(x) ^ dc_sel_mix64(y));
	}
	assert_true(flips > 64 * 100 * 30 && flips < 64 * 100 * 34);
}

/* the marginal delay curve */

/* Erlang C for c slots offered A erlangs, in doubles */
static double erlang_c(unsigned int c, double a)
{
	double b = 1;
	unsigned int k;

	for (k = 1; k <= c; k++)
		b = a * b / (k + a * b);
	return b / (1 - a / c * (1 - b));
}

/* Mean number in system of M/M/c, and D(n) / S from its definition */
static double mmc_l(unsigned int c, double a)
{
	return a + erlang_c(c, a) * a / (c - a);
}

static u64 delta_at(const struct dc_sel_delta *d, u64 n)
{
	return dc_sel_delta(d, n << DC_SEL_N_SHIFT);
}

static void assert_near(double got, double want, double rel)
{
	if (fabs(got - want) > rel * want + 1) {
		print_error("got %.1f, want %.1f (within %g)\n", got, want, rel);
		fail();
	}
}

/* M/M/1: D(n) = (n + 1) S / (1 - rho), every n, every load */
static void test_delta_mm1(void **state)
{
	static const u32 loads[] = { 1, 100, 500, 800, 950, 990 };
	struct dc_sel_delta d;
	unsigned int i, n;

	(void)state;
	for (i = 0; i < sizeof(loads) / sizeof(loads[0]); i++) {
		double rho = loads[i] / 1000.0;

		dc_sel_delta_build(&d, 1, loads[i], 1000000);
		assert_int_equal(d.points, 1);
		for (n = 0; n < 200; n++)
			assert_near(delta_at(&d, n), (n + 1) * 1e6 / (1 - rho),
				    1e-6);
	}
	/* beyond 990 per mille the load is clamped, below 1 raised */
	dc_sel_delta_build(&d, 1, 1000, 1000000);
	assert_near(delta_at(&d, 0), 1e8, 1e-6);
	dc_sel_delta_build(&d, 1, 0, 1000000);
	assert_near(delta_at(&d, 0), 1e6 / 0.999, 1e-6);
}

/* D(n) / S in doubles, each recursion where it is stable */
static double ref_delta(unsigned int c, double a, unsigned int n)
{
	double l = mmc_l(c, a), top, v;
	unsigned int m = a, k;

	top = (c - 1 + c / (c - a) - l) / (c - a);
	if (n >= c - 1)
		return top + (n - (c - 1.0)) / (c - a);
	if (m + 2 > c)
		m = c - 2;
	if (n <= m) {
		for (v = l / a, k = 1; k <= n; k++)
			v = (l - k + k * v) / a;
		return v;
	}
	for (v = top, k = c - 1; k > n; k--)
		v = (a * v - l + k) / k;
	return v;
}

/*
 * M/M/c: D(0) is the mean time in system (Erlang C), the tail grows by
 * S / (c - A) a demand; at the points (every count up to 32 slots) the
 * values solve Poisson's equation lambda D(n) = L - n + min(n, c) mu
 * D(n-1), and between points they are within 1 % of the curve.
 */
static void test_delta_mmc(void **state)
{
	static const unsigned int caps[] = { 2, 3, 5, 16, 31, 32, 33, 100,
					     1000, 1024 };
	static const u32 loads[] = { 10, 300, 500, 800, 950, 990 };
	const double s = 1e6;
	struct dc_sel_delta d;
	unsigned int i, k, n;

	(void)state;
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		for (k = 0; k < sizeof(loads) / sizeof(loads[0]); k++) {
			unsigned int c = caps[i];
			double a = loads[k] * c / 1000.0, l = mmc_l(c, a);
			double x, y, exact = c <= 32 ? 1e-6 : 0.01;

			dc_sel_delta_build(&d, c, loads[k], s);
			assert_true(d.points <= DC_SEL_DELTA_POINTS);
			assert_int_equal(d.at[0], 0);
			assert_int_equal(d.at[d.points - 1], c - 1);
			assert_near(delta_at(&d, 0), l * s / a, 1e-6);
			assert_near(delta_at(&d, 0), s * (1 + erlang_c(c, a) /
							 (c - a)), 1e-6);
			for (n = 0; n < 3 * c; n++)
				assert_near(delta_at(&d, n),
					    s * ref_delta(c, a, n), exact);
			for (n = 1; c <= 32 && n < 3 * c; n++) {
				x = delta_at(&d, n) / s;
				y = delta_at(&d, n - 1) / s;
				assert_true(fabs(a * x - (l - n + (n < c ? n : c)
							  * y)) < 1e-4 * c);
			}
			assert_near(delta_at(&d, 5 * c) - delta_at(&d, 4 * c),
				    c * s / (c - a), 1e-6);
		}
	}
}

/*
 * Every curve rises with n, between points too, on a fine grid of
 * sixteenths; and no input overflows it.
 */
static void test_delta_monotone_and_bounds(void **state)
{
	struct dc_sel_delta d;
	unsigned int i;
	u64 n, prev, v;

	(void)state;
	for (i = 0; i < 300; i++) {
		u32 c = i < 100 ? rnd_range(1, 40) : rnd_range(1, 5000);
		u32 load = rnd_range(0, 1100), st = rnd_range(0, 10000000);

		dc_sel_delta_build(&d, c, load, st);
		prev = 0;
		for (n = 0; n < 32ULL * (c + 10); n += 1 + n / 64) {
			v = dc_sel_delta(&d, n);
			assert_true(v >= prev);
			prev = v;
		}
	}
	/* a service time of zero: no delay at all */
	dc_sel_delta_build(&d, 4, 500, 0);
	assert_int_equal(dc_sel_delta(&d, 1000 << DC_SEL_N_SHIFT), 0);
	/* the largest inputs: saturated, below 2^63, still rising */
	dc_sel_delta_build(&d, 1, 990, UINT32_MAX);
	assert_int_equal(delta_at(&d, 0), UINT32_MAX);
	v = dc_sel_delta(&d, UINT64_MAX);
	assert_true(v < 1ULL << 63 && v > UINT32_MAX);
	assert_true(dc_sel_delta(&d, 1ULL << 30) < v);
	dc_sel_delta_build(&d, UINT32_MAX, 990, UINT32_MAX);
	assert_true(dc_sel_delta(&d, UINT64_MAX) < 1ULL << 63);
	/* capacity 0, unknown, is one shared processor */
	{
		struct dc_sel_delta e;

		memset(&e, 0, sizeof(e));
		memset(&d, 0, sizeof(d));
		dc_sel_delta_build(&e, 1, 500, 1000);
		dc_sel_delta_build(&d, 0, 500, 1000);
		assert_memory_equal(&d, &e, sizeof(d));
	}
}

/*
 * An instance beyond DC_SEL_DELTA_CMAX slots counts as DC_SEL_DELTA_CMAX
 * slots of proportionally more demands: four times the slots, four times
 * the demands for the same value.
 */
static void test_delta_large(void **state)
{
	struct dc_sel_delta d, e;
	unsigned int n;

	(void)state;
	dc_sel_delta_build(&d, DC_SEL_DELTA_CMAX, 800, 50000);
	dc_sel_delta_build(&e, 4 * DC_SEL_DELTA_CMAX, 800, 50000);
	for (n = 0; n < 3 * DC_SEL_DELTA_CMAX; n += 7)
		assert_int_equal(delta_at(&d, n), delta_at(&e, 4 * n));
	/* the largest capacities keep their counts: the tail still rises */
	dc_sel_delta_build(&e, 100000000, 800, 50000);
	assert_true(delta_at(&e, 200000000) > delta_at(&e, 100000000));
	assert_true(delta_at(&e, 100000000) > delta_at(&e, 0));
	dc_sel_delta_build(&e, UINT32_MAX, 800, 50000);
	assert_true(delta_at(&e, 2ULL * UINT32_MAX) > delta_at(&e, UINT32_MAX));
}

/*
 * Least network cost plus D(n), the demand counted at once: two identical
 * instances split evenly at every step; a nearer one takes more, the
 * farther one gets demands once the near one holds enough.
 */
static void test_delta_split(void **state)
{
	struct dc_sel_delta d[2];
	u64 cost[2] = { 1000, 1000 }, v[2];
	unsigned int held[2] = { 0, 0 }, i, c;

	(void)state;
	dc_sel_delta_build(&d[0], 4, 800, 50000);
	dc_sel_delta_build(&d[1], 4, 800, 50000);
	for (i = 0; i < 1000; i++) {
		v[0] = cost[0] + delta_at(&d[0], held[0]);
		v[1] = cost[1] + delta_at(&d[1], held[1]);
		c = v[1] < v[0] || (v[1] == v[0] && i % 2);
		held[c]++;
		assert_true(abs((int)held[0] - (int)held[1]) <= 1);
	}
	/*
	 * 40 ms nearer, 4 slots of 50 ms at 80 %: D(n) is 87.3, 98.9, 117.9,
	 * 150.9 ms for n = 0..3, then 62.5 ms more a demand.  The near one
	 * takes three before the far one gets its first; then they alternate,
	 * the difference in cost worth less than one demand there.
	 */
	held[0] = 0;
	held[1] = 0;
	cost[1] = 41000;
	for (i = 0; i < 40; i++) {
		v[0] = cost[0] + delta_at(&d[0], held[0]);
		v[1] = cost[1] + delta_at(&d[1], held[1]);
		c = v[1] < v[0];
		if (c && !held[1])
			assert_int_equal(held[0], 3);
		held[c]++;
		assert_true(held[0] >= held[1] && held[0] - held[1] <= 3);
	}
}

/* shares: within one unit of the exact ones, and adding up to 2^16 */
static void test_shares(void **state)
{
	static const u32 three[] = { 1, 1, 1 };
	static u32 w[1024], share[1024];
	unsigned int i, j, n;
	u64 total, sum;
	double exact;

	(void)state;
	dc_sel_shares(three, 3, share);
	assert_int_equal(share[0], 21845);
	assert_int_equal(share[1], 21846);
	assert_int_equal(share[2], 21845);

	w[0] = 0;
	w[1] = 7;
	dc_sel_shares(w, 2, share);
	assert_int_equal(share[0], 0);
	assert_int_equal(share[1], 65536);

	for (i = 0; i < 200; i++) {
		n = rnd_range(1, 1024);
		total = 0;
		for (j = 0; j < n; j++) {
			w[j] = rnd() % 3 ? rnd_range(0, 65535) : rnd_range(1, 9);
			total += w[j];
		}
		if (!total) {
			w[0] = 1;
			total = 1;
		}
		dc_sel_shares(w, n, share);
		for (sum = 0, j = 0; j < n; j++) {
			exact = 65536.0 * w[j] / total;
			assert_true(fabs(share[j] - exact) < 1);
			sum += share[j];
		}
		assert_int_equal(sum, 65536);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrr_nginx_sequence),
		cmocka_unit_test(test_wrr_exact_proportions),
		cmocka_unit_test(test_wrr_smooth),
		cmocka_unit_test(test_wrr_gcd),
		cmocka_unit_test(test_wrr_scaling),
		cmocka_unit_test(test_wrr_zero_weight),
		cmocka_unit_test(test_wrr_edges),
		cmocka_unit_test(test_maglev_size),
		cmocka_unit_test(test_maglev_fill_and_weights),
		cmocka_unit_test(test_maglev_order_independent),
		cmocka_unit_test(test_maglev_removal),
		cmocka_unit_test(test_maglev_errors),
		cmocka_unit_test(test_mix64),
		cmocka_unit_test(test_delta_mm1),
		cmocka_unit_test(test_delta_mmc),
		cmocka_unit_test(test_delta_monotone_and_bounds),
		cmocka_unit_test(test_delta_large),
		cmocka_unit_test(test_delta_split),
		cmocka_unit_test(test_shares),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * dyncast: instance selection policies.
 *
 * Everything here is computed from plain arrays handed in by the caller, so
 * that the same file builds into the module and into the userspace unit
 * tests: no kernel header beyond select.h, no allocation, no floating point.
 */
#include "select.h"

#define DC_SEL_EMPTY		0xffff	/* Maglev slot not yet claimed */
/* Bits of state of one WRR schedule; see dc_sel_wrr_build() for the bound */
#define DC_SEL_WRR_STATE_BITS	4096

static unsigned int dc_sel_fls64(u64 x)
{
	return x ? 64 - __builtin_clzll(x) : 0;
}

static u32 dc_sel_gcd(u32 a, u32 b)
{
	while (b) {
		u32 r = a % b;

		a = b;
		b = r;
	}
	return a;
}

/*
 * Scaled weight of an instance: weight * mult / 2^32, but never below one
 * slot for a weight above zero.  mult == 2^32 keeps the weight as it is;
 * weight < 2^32 and mult <= 2^32 keep the product within 64 bits.
 */
static u64 dc_sel_wrr_weight(u32 weight, u64 mult)
{
	u64 w = ((u64)weight * mult) >> 32;

	if (!weight)
		return 0;
	return w ? w : 1;
}

static u64 dc_sel_wrr_total(const u32 *weights, unsigned int n, u64 mult)
{
	u64 total = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		total += dc_sel_wrr_weight(weights[i], mult);
	return total;
}

/* A field of at most 15 bits at bit offset off of a bitmap */
static u32 dc_sel_bits_get(const u64 *map, unsigned int off,
			   unsigned int width)
{
	unsigned int word = off / 64, shift = off % 64;
	u64 v = map[word] >> shift;

	if (shift + width > 64)
		v |= map[word + 1] << (64 - shift);
	return v & ((1ULL << width) - 1);
}

/* Add one to the field at bit offset off; the caller knows it can't wrap */
static void dc_sel_bits_inc(u64 *map, unsigned int off)
{
	unsigned int word = off / 64;
	u64 old = map[word];

	map[word] += 1ULL << (off % 64);
	if (map[word] < old)
		map[word + 1]++;
}

/**
 * dc_sel_wrr_build() - lay out one cycle of smooth weighted round robin
 * @weights: weight of each instance
 * @n: number of instances, at most DC_SEL_MAX
 * @table: filled with instance indices in the order they are picked
 * @max_len: room in @table; at most DC_SEL_WRR_MAX entries are used
 *
 * nginx's smooth WRR adds each weight to a running "current" value, picks
 * the largest current (the first one on a tie) and takes the sum of the
 * weights off it.  Over a cycle of sum(w) picks each instance comes up
 * exactly w times, spread out as evenly as integers allow, so that a burst
 * of demands does not land on one instance.  Laid out in advance, the
 * packet path needs only an atomic counter, no lock.
 *
 * Multiplying every weight by g multiplies every current by g and leaves
 * the picks unchanged: the first sum(w)/gcd picks with the weights as given
 * are the whole cycle of the reduced weights.  So the weights are never
 * divided; the cycle is simply cut at sum/gcd.
 *
 * When even that is longer than the cap, the weights are scaled by
 * mult / 2^32 (at least one slot each), with the largest mult whose total
 * fits, found by bisection since the total only grows with mult.
 *
 * The state of the simulation is not the current values, which are not
 * bounded by a small multiple of the sum, but the number of picks p each
 * instance has had: current = t * w - sum * p after t picks.  p never
 * exceeds w / gcd, so it needs fls(w) - fls(gcd) + 1 bits.  With at most
 * DC_SEL_MAX instances and DC_SEL_WRR_MAX picks those fields take at most
 * DC_SEL_MAX * (2 + log2(DC_SEL_WRR_MAX / DC_SEL_MAX)) = 4096 bits (the
 * sum of log2 of the picks is largest when they are equal), which lets the
 * whole state live on the stack instead of in a caller's buffer.
 *
 * Cost: one pass over the instances per pick, at most 1024 * 4096 steps.
 *
 * Return: the length of the schedule, or 0 when no weight is above zero,
 * when @n exceeds DC_SEL_MAX or when @max_len is smaller than the number of
 * instances with a weight (each must get a slot).
 */
unsigned int dc_sel_wrr_build(const u32 *weights, unsigned int n, u16 *table,
			      unsigned int max_len)
{
	u64 state[DC_SEL_WRR_STATE_BITS / 64] = { 0 };
	unsigned int i, t, len, cap, active = 0, gcd_bits, bits = 0;
	u64 mult = 1ULL << 32, total = 0;
	u32 gcd = 0;

	if (n > DC_SEL_MAX)
		return 0;
	cap = max_len < DC_SEL_WRR_MAX ? max_len : DC_SEL_WRR_MAX;

	for (i = 0; i < n; i++) {
		if (!weights[i])
			continue;
		active++;
		total += weights[i];
		gcd = dc_sel_gcd(weights[i], gcd);
	}
	if (!active || active > cap)
		return 0;

	if (div_u64(total, gcd) > cap) {
		u64 lo = 0, hi = 1ULL << 32;

		/* total(lo) = active <= cap; total(hi) > cap */
		while (hi - lo > 1) {
			u64 mid = lo + (hi - lo) / 2;

			if (dc_sel_wrr_total(weights, n, mid) <= cap)
				lo = mid;
			else
				hi = mid;
		}
		mult = lo;
		total = 0;
		gcd = 0;
		for (i = 0; i < n; i++) {
			u64 w = dc_sel_wrr_weight(weights[i], mult);

			if (!w)
				continue;
			total += w;
			gcd = dc_sel_gcd(w, gcd);
		}
	}
	len = div_u64(total, gcd);
	gcd_bits = dc_sel_fls64(gcd);

	for (i = 0; i < n; i++) {
		u64 w = dc_sel_wrr_weight(weights[i], mult);

		if (w)
			bits += dc_sel_fls64(w) - gcd_bits + 1;
	}
	if (bits > DC_SEL_WRR_STATE_BITS)
		return 0;	/* not reached, see the bound above */

	for (t = 1; t <= len; t++) {
		unsigned int best = n, best_off = 0, off = 0;
		s64 best_cur = 0;

		for (i = 0; i < n; i++) {
			u64 w = dc_sel_wrr_weight(weights[i], mult);
			unsigned int width;
			s64 cur;

			if (!w)
				continue;
			width = dc_sel_fls64(w) - gcd_bits + 1;
			/* t * w < 2^44 and total * picks < 2^54: no overflow */
			cur = (s64)(t * w) -
			      (s64)(total * dc_sel_bits_get(state, off, width));
			if (best == n || cur > best_cur) {
				best = i;
				best_cur = cur;
				best_off = off;
			}
			off += width;
		}
		table[t - 1] = best;
		dc_sel_bits_inc(state, best_off);
	}
	return len;
}

#define DC_SEL_NR_PRIMES	9

static const u16 dc_sel_primes[DC_SEL_NR_PRIMES] = {
	251, 509, 1021, 2039, 4093, 8191, 16381, 32749, DC_SEL_MAGLEV_MAX,
};

/**
 * dc_sel_maglev_size() - Maglev table size for a number of instances
 * @n: number of instances
 *
 * Maglev spreads the slots over the instances to within about n / size of
 * their shares, so about 100 slots per instance keep that under 1%.  The
 * size must be prime for every skip to walk the whole table.  A u16 index
 * and a table of at most 128 KiB cap it at 65521.
 *
 * Return: the smallest of the primes 251 ... 65521 at least 100 * @n, or
 * 65521.
 */
unsigned int dc_sel_maglev_size(unsigned int n)
{
	unsigned int i;

	for (i = 0; i < DC_SEL_NR_PRIMES; i++)
		if (dc_sel_primes[i] >= 100ULL * n)
			return dc_sel_primes[i];
	return DC_SEL_MAGLEV_MAX;
}

/* Per instance state while a Maglev table is filled */
struct dc_sel_mh {
	u32 next;	/* next slot of its permutation to try */
	u32 skip;
	u32 claims;	/* slots it has claimed so far */
};

struct dc_sel_mh_ctx {
	const u64 *ids;
	const u32 *weights;
	struct dc_sel_mh *mh;
	u16 *heap;
	unsigned int nr;
};

/**
 * dc_sel_maglev_scratch_size() - scratch needed by dc_sel_maglev_build()
 * @n: number of instances
 *
 * Return: the size in bytes, for memory aligned as kmalloc() or malloc()
 * return it.
 */
size_t dc_sel_maglev_scratch_size(unsigned int n)
{
	return (size_t)n * (sizeof(struct dc_sel_mh) + sizeof(u16));
}

/*
 * Whether instance a claims its next slot before instance b: the k-th
 * claim of an instance of weight w falls at virtual time k / w, so that
 * claims keep pace with the weights.  Ties go to the lower id, so that the
 * order of the arrays never matters, and only for equal ids to the index.
 */
static bool dc_sel_mh_before(const struct dc_sel_mh_ctx *c, unsigned int a,
			     unsigned int b)
{
	/* claims <= 65521 and weights < 2^32: both products fit in 64 bits */
	u64 ta = (u64)c->mh[a].claims * c->weights[b];
	u64 tb = (u64)c->mh[b].claims * c->weights[a];

	if (ta != tb)
		return ta < tb;
	if (c->ids[a] != c->ids[b])
		return c->ids[a] < c->ids[b];
	return a < b;
}

static void dc_sel_mh_sift_down(struct dc_sel_mh_ctx *c, unsigned int pos)
{
	u16 *heap = c->heap;

	for (;;) {
		unsigned int l = 2 * pos + 1, r = l + 1, m = pos;
		u16 tmp;

		if (l < c->nr && dc_sel_mh_before(c, heap[l], heap[m]))
			m = l;
		if (r < c->nr && dc_sel_mh_before(c, heap[r], heap[m]))
			m = r;
		if (m == pos)
			return;
		tmp = heap[pos];
		heap[pos] = heap[m];
		heap[m] = tmp;
		pos = m;
	}
}

/**
 * dc_sel_maglev_build() - fill a weighted Maglev lookup table
 * @ids: stable identity of each instance
 * @weights: weight of each instance; 0 gets no slot
 * @n: number of instances, at most DC_SEL_MAX
 * @table: @size slots, filled with instance indices
 * @size: a size returned by dc_sel_maglev_size()
 * @scratch: dc_sel_maglev_scratch_size(@n) bytes
 *
 * As in Maglev (Eisenbud et al., NSDI 2016), each instance has its own
 * permutation of the slots, offset + j * skip modulo the prime size, both
 * drawn from a hash of its id rather than from its position, and instances
 * take turns claiming the next free slot of their permutation.  An
 * instance's preferences thus never depend on the others: when one goes,
 * the others mostly keep their slots and take over the freed ones, and a
 * flow keeps its instance unless that instance went away.
 *
 * Plain Maglev takes turns round robin.  Here turns follow virtual time:
 * the k-th claim (from 0) of an instance of weight w comes at time k / w,
 * so that an instance gets about size * w / sum(w) slots.  Every instance
 * with a weight claims once at time 0, so each gets a slot, and with equal
 * weights this is plain Maglev.  Turns are kept in a binary heap, in
 * @scratch, ordered by time then id: the result depends only on the set of
 * (id, weight) pairs.
 *
 * Return: 0, or -1 when no weight is above zero, when @n exceeds
 * DC_SEL_MAX or when @size is not one of the sizes of dc_sel_maglev_size().
 */
int dc_sel_maglev_build(const u64 *ids, const u32 *weights, unsigned int n,
			u16 *table, unsigned int size, void *scratch)
{
	struct dc_sel_mh_ctx c = {
		.ids = ids,
		.weights = weights,
		.mh = scratch,
	};
	unsigned int i, filled;
	bool prime = false;

	for (i = 0; i < DC_SEL_NR_PRIMES; i++)
		if (dc_sel_primes[i] == size)
			prime = true;
	if (!prime || n > DC_SEL_MAX)
		return -1;

	c.heap = (u16 *)(c.mh + n);
	for (i = 0; i < n; i++) {
		u64 h = dc_sel_mix64(ids[i]);

		if (!weights[i])
			continue;
		c.mh[i].next = (u32)h % size;
		c.mh[i].skip = (u32)(h >> 32) % (size - 1) + 1;
		c.mh[i].claims = 0;
		c.heap[c.nr++] = i;
	}
	if (!c.nr)
		return -1;
	i = c.nr / 2;
	while (i--)
		dc_sel_mh_sift_down(&c, i);

	for (i = 0; i < size; i++)
		table[i] = DC_SEL_EMPTY;

	/*
	 * Each turn fills one slot.  The size being prime, a permutation
	 * visits every slot, so the walk ends at a free one within size
	 * steps; over the whole table, about size * ln(size) steps.
	 */
	for (filled = 0; filled < size; filled++) {
		struct dc_sel_mh *mh = &c.mh[c.heap[0]];
		u32 slot = mh->next;

		while (table[slot] != DC_SEL_EMPTY) {
			slot += mh->skip;
			if (slot >= size)
				slot -= size;
		}
		table[slot] = c.heap[0];
		slot += mh->skip;
		mh->next = slot < size ? slot : slot - size;
		mh->claims++;
		dc_sel_mh_sift_down(&c, 0);
	}
	return 0;
}

/* Fixed point for dc_sel_delta_build(): 32 bits of fraction */
#define DC_SEL_Q		32
#define DC_SEL_ONE		BIT_ULL(DC_SEL_Q)

static u64 dc_sel_qmul(u64 a, u64 b)
{
	return mul_u64_u64_shr(a, b, DC_SEL_Q);
}

static u64 dc_sel_qdiv(u64 a, u64 b)
{
	return mul_u64_u64_div_u64(a, DC_SEL_ONE, b);
}

/*
 * Bounds of the linear part: 2^27 us (134 s) more per demand, 2^35 demands
 * beyond the last point; their product, 2^62, keeps D(n) below 2^63.
 */
#define DC_SEL_SLOPE_MAX	BIT_ULL(43)
#define DC_SEL_EXCESS_N_MAX	BIT_ULL(39)

static u32 dc_sel_sat32(u64 x)
{
	return x > U32_MAX ? U32_MAX : (u32)x;
}

/* A 32.32 multiple of the service time, in microseconds, saturated */
static u32 dc_sel_usec(u64 v, u32 service_time)
{
	return dc_sel_sat32(mul_u64_u64_shr(v, service_time, DC_SEL_Q));
}

/**
 * dc_sel_delta_build() - prepare the marginal delay curve of an instance
 * @d: the curve
 * @capacity: demands the instance serves at once, c; 0 for unknown: one
 *	processor its demands share (c = 1: processor sharing has the mean
 *	delays of M/M/1, so its curve)
 * @load: its expected utilisation, rho, per mille: clamped to
 *	[DC_SEL_LOAD_MIN, DC_SEL_LOAD_CLAMP]
 * @service_time: time one demand holds a slot, S, microseconds
 *
 * The instance is taken as an M/M/c station (c slots, mean service time S,
 * Poisson arrivals of rate lambda = rho c / S).  Its relative value h(n)
 * in state n, for the cost of the demands' total time in system, solves
 * Poisson's equation
 *
 *	n + lambda (h(n+1) - h(n)) + min(n, c) mu (h(n-1) - h(n)) = L
 *
 * (mu = 1 / S, L = the mean number in system, from Erlang C), and
 * D(n) = h(n+1) - h(n) is what sending one more demand there costs all
 * demands: its own delay and the wait it adds for those that come later.
 * Choosing the instance of the least network cost plus D(n) is one step of
 * policy iteration from the static split whose rates the loads describe:
 * never worse than that split, and much better in practice (Krishnan
 * 1990; Hyytia, Penttinen and Aalto 2012).  With A = lambda S:
 *
 *	D(0) = L S / A, the mean time in system;
 *	D(n) = (L - n + n D(n-1) / S) S / A, for 0 < n < c;
 *	D(n) = D(c-1) + (n - c + 1) S / (c - A), for n >= c - 1, with
 *	D(c-1) = (c - 1 + c / (c - A) - L) S / (c - A).
 *
 * For M/M/1 this is D(n) = (n + 1) S / (1 - rho).  The forward recursion
 * loses precision above n = A and the backward one below, so each runs
 * only where it is stable: forward from D(0) up to n = A, backward from
 * D(c-1) down to there.  Every value is a 32.32 fixed-point multiple of S.
 *
 * The curve is flat far below c and bends near it, so the points are
 * spaced quadratically, denser towards c - 1 (every count when c is at
 * most DC_SEL_DELTA_POINTS): linear interpolation between them is then
 * within 1 % of the curve.  At most DC_SEL_DELTA_CMAX slots are modelled:
 * a larger instance counts as that many slots serving c /
 * DC_SEL_DELTA_CMAX demands each, demand counts scaled alike.  The cost is
 * O(min(c, DC_SEL_DELTA_CMAX)) 128-bit multiplications and divisions, in
 * process context, when a parameter changes.
 */
void dc_sel_delta_build(struct dc_sel_delta *d, u32 capacity, u32 load,
			u32 service_time)
{
	const unsigned int p1 = DC_SEL_DELTA_POINTS - 1;
	u64 b = DC_SEL_ONE, a, cq, ca, erl_c, l, rho, top, v = 0;
	u32 c = capacity ? capacity : 1;
	unsigned int k, n, m, j;

	d->nscale = 1ULL << 32;
	if (c > DC_SEL_DELTA_CMAX) {
		d->nscale = div_u64((u64)DC_SEL_DELTA_CMAX << 32, c);
		c = DC_SEL_DELTA_CMAX;
	}
	if (load < DC_SEL_LOAD_MIN)
		load = DC_SEL_LOAD_MIN;
	if (load > DC_SEL_LOAD_CLAMP)
		load = DC_SEL_LOAD_CLAMP;
	rho = div_u64((u64)load << DC_SEL_Q, 1000);
	a = div_u64((u64)load * c << DC_SEL_Q, 1000);
	cq = (u64)c << DC_SEL_Q;
	ca = cq - a;

	/* the points: every count up to c - 1, or quadratically spaced */
	d->points = 0;
	for (j = 0; j <= p1; j++) {
		if (c <= DC_SEL_DELTA_POINTS)
			n = j;
		else
			n = c - 1 - (c - 1) * (p1 - j) * (p1 - j) / (p1 * p1);
		if (n > c - 1)
			break;
		if (!d->points || n > d->at[d->points - 1])
			d->at[d->points++] = n;
	}

	/* Erlang B by its recursion, then Erlang C and L */
	for (k = 1; k <= c; k++) {
		u64 ab = dc_sel_qmul(a, b);

		b = mul_u64_u64_div_u64(ab, DC_SEL_ONE,
					((u64)k << DC_SEL_Q) + ab);
	}
	erl_c = dc_sel_qdiv(b, DC_SEL_ONE - dc_sel_qmul(rho, DC_SEL_ONE - b));
	l = a + dc_sel_qmul(erl_c, dc_sel_qdiv(a, ca));

	/* D(c-1): its numerator is D(c-1) (c - A) >= 0 but for rounding */
	top = ((u64)(c - 1) << DC_SEL_Q) + dc_sel_qdiv(cq, ca);
	top = top > l ? dc_sel_qdiv(top - l, ca) : 0;
	d->value[d->points - 1] = dc_sel_usec(top, service_time);
	d->slope = min_t(u64, mul_u64_u64_shr(dc_sel_qdiv(DC_SEL_ONE, ca),
					      service_time, DC_SEL_Q - 16),
			 DC_SEL_SLOPE_MAX);

	/* forward from D(0) up to n = A, at most c - 2 */
	m = a >> DC_SEL_Q;
	if (m + 2 > c)
		m = c >= 2 ? c - 2 : 0;
	for (n = 0, j = 0; n <= m && c > 1; n++) {
		if (!n)
			v = dc_sel_qdiv(l, a);
		else
			v = dc_sel_qdiv(l - ((u64)n << DC_SEL_Q) + n * v, a);
		if (d->at[j] == n)
			d->value[j++] = dc_sel_usec(v, service_time);
	}
	/* backward from D(c-1) down to n = m + 1 */
	v = top;
	j = d->points - 1;
	for (n = c - 1; n > m + 1; n--) {
		u64 x = dc_sel_qmul(a, v) + ((u64)n << DC_SEL_Q);

		v = x > l ? div_u64(x - l, n) : 0;
		if (j && d->at[j - 1] == n - 1)
			d->value[--j] = dc_sel_usec(v, service_time);
	}
	/* rounding never makes the curve fall */
	for (j = 1; j < d->points; j++)
		if (d->value[j] < d->value[j - 1])
			d->value[j] = d->value[j - 1];
}

/**
 * dc_sel_delta() - the marginal delay of one more demand at an instance
 * @d: its curve, from dc_sel_delta_build()
 * @n: the demands it holds, in 1/16ths (DC_SEL_N_SHIFT)
 *
 * Linear between two points, and beyond the last one.  A binary search
 * over the points and one division.
 *
 * Return: D(n), microseconds, below 2^63.
 */
u64 dc_sel_delta(const struct dc_sel_delta *d, u64 n)
{
	unsigned int lo = 0, hi, mid;
	u64 x, span;

	/* bounded, for a reader that raced with a rebuild and retries */
	hi = min_t(unsigned int, d->points, DC_SEL_DELTA_POINTS);
	if (!hi)
		return 0;
	hi--;
	n = mul_u64_u64_shr(n, d->nscale, 32);
	if (n >= (u64)d->at[hi] << DC_SEL_N_SHIFT) {
		x = min_t(u64, n - ((u64)d->at[hi] << DC_SEL_N_SHIFT),
			  DC_SEL_EXCESS_N_MAX);
		return d->value[hi] +
		       mul_u64_u64_shr(x, d->slope, 16 + DC_SEL_N_SHIFT);
	}
	/* at[lo] <= n < at[hi] */
	while (hi - lo > 1) {
		mid = (lo + hi) / 2;
		if (n >= (u64)d->at[mid] << DC_SEL_N_SHIFT)
			lo = mid;
		else
			hi = mid;
	}
	x = n - ((u64)d->at[lo] << DC_SEL_N_SHIFT);
	span = (u64)(d->at[hi] - d->at[lo]) << DC_SEL_N_SHIFT;
	if (!span)
		return d->value[lo];
	return d->value[lo] +
	       div64_u64((u64)(d->value[hi] - d->value[lo]) * x, span);
}

/**
 * dc_sel_shares() - each weight's share of their sum
 * @weights: the weights, not all 0
 * @n: how many
 * @share: the shares, 2^-16 units
 *
 * The differences of the rounded running sums: each within one unit of the
 * exact share, and all adding up to exactly 2^16.  least-cost with a slack
 * counts the demands due to each instance by them; shares adding up to
 * less would leave every instance ahead in the end.
 */
void dc_sel_shares(const u32 *weights, unsigned int n, u32 *share)
{
	u64 total = 0, sum = 0, at, prev = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		total += weights[i];
	for (i = 0; i < n; i++) {
		if (!total) {
			share[i] = 0;
			continue;
		}
		sum += weights[i];
		at = div64_u64((sum << 16) + total / 2, total);
		share[i] = at - prev;
		prev = at;
	}
}

/**
 * dc_sel_mix64() - mix the bits of a 64-bit value
 * @x: value
 *
 * splitmix64's output function (a golden-ratio increment, then Stafford's
 * "Mix13" finaliser): a bijection in which every input bit flips about
 * half of the output bits, so that ids derived from addresses differing in
 * a few bits, or their two halves, look independent.
 *
 * Return: the mixed value.
 */
u64 dc_sel_mix64(u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

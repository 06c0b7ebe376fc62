// SPDX-License-Identifier: GPL-2.0
/*
 * The service time a D-MA measures (svctime.c): busy slot time over
 * completions, against what a schedule of connections makes it, with the
 * slots bounding the busy time, too few completions, lost events, and a
 * change of speed followed within a few time constants.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "svctime.h"

#define MS	1000ull		/* us */
#define MAX	10000000u

/*
 * @n connections every @period_ms, each open @hold_ms, over @secs
 * seconds from @t0 (us), folded every 500 ms; the last fold's figure
 */
static uint32_t run(struct dd_svct *m, uint32_t cap, uint64_t *t0,
		    unsigned int n, unsigned int period_ms,
		    unsigned int hold_ms, unsigned int secs)
{
	uint64_t t = *t0, end = *t0 + secs * 1000 * MS, next_fold = t + 500 * MS;
	uint32_t got = 0;
	unsigned int i;

	for (; t < end; t += period_ms * MS) {
		for (; next_fold <= t; next_fold += 500 * MS)
			got = dd_svct_fold(m, cap, next_fold, MAX);
		for (i = 0; i < n; i++)
			dd_svct_open(m, cap, t);
		/* they all end before the next ones start */
		for (; next_fold <= t + hold_ms * MS; next_fold += 500 * MS)
			got = dd_svct_fold(m, cap, next_fold, MAX);
		for (i = 0; i < n; i++)
			dd_svct_close(m, cap, t + hold_ms * MS, true);
	}
	*t0 = end;
	return got;
}

static void near(uint32_t got, double want, double rel)
{
	if (!(fabs(got - want) <= rel * want)) {
		print_error("got %u us, want %.0f\n", got, want);
		fail();
	}
}

/* One connection at a time, 50 ms each, 10 a second: 50 ms */
static void one_at_a_time(void **state)
{
	struct dd_svct m;
	uint64_t t = 1000 * MS;

	(void)state;
	dd_svct_reset(&m, t);
	near(run(&m, 4, &t, 1, 100, 50, 10), 50000, 0.01);
}

/*
 * Four at once for 80 ms each on two slots: the slots are busy 80 ms for
 * four completions, 40 ms each, as a two-slot server that queues the
 * other two would show; with no bound on the slots, 80 ms
 */
static void slots_bound_busy(void **state)
{
	struct dd_svct m;
	uint64_t t = 1000 * MS;

	(void)state;
	dd_svct_reset(&m, t);
	near(run(&m, 2, &t, 4, 200, 80, 10), 40000, 0.01);
	dd_svct_reset(&m, t);
	near(run(&m, 0, &t, 4, 200, 80, 10), 80000, 0.01);
}

/* Fewer than DD_SVCT_MIN_DONE completions in DD_SVCT_TAU_MS: none */
static void too_few(void **state)
{
	struct dd_svct m;
	uint64_t t = 1000 * MS;

	(void)state;
	dd_svct_reset(&m, t);
	/* two a second: 4 in the time constant */
	assert_int_equal(run(&m, 4, &t, 2, 1000, 50, 20), 0);
	/* three: 6, enough */
	near(run(&m, 4, &t, 3, 1000, 50, 20), 50000, 0.01);
	/* nothing at all */
	dd_svct_reset(&m, t);
	assert_int_equal(dd_svct_fold(&m, 4, t + 500 * MS, MAX), 0);
	assert_int_equal(dd_svct_fold(&m, 4, t + 1000 * MS, MAX), 0);
}

/* The instance slows from 50 to 100 ms: followed within 4 time constants */
static void speed_change(void **state)
{
	struct dd_svct m;
	uint64_t t = 1000 * MS;
	uint32_t got;

	(void)state;
	dd_svct_reset(&m, t);
	near(run(&m, 1, &t, 1, 200, 50, 10), 50000, 0.01);
	got = run(&m, 1, &t, 1, 200, 100, 1);
	assert_true(got > 50000 && got < 100000);
	near(run(&m, 1, &t, 1, 200, 100, 4 * DD_SVCT_TAU_MS / 1000), 100000,
	     0.05);
}

/*
 * Events lost: what was open is forgotten, the interval is left out, and
 * the figure goes on from the connections seen whole
 */
static void lost_events(void **state)
{
	struct dd_svct m;
	uint64_t t = 1000 * MS;
	uint32_t was;
	unsigned int i;

	(void)state;
	dd_svct_reset(&m, t);
	was = run(&m, 4, &t, 1, 100, 50, 10);
	near(was, 50000, 0.01);
	/* three open when the events are lost; their ends never come */
	for (i = 0; i < 3; i++)
		dd_svct_open(&m, 4, t + 10 * MS);
	dd_svct_lost(&m, t + 20 * MS);
	assert_int_equal(m.open, 0);
	/* one seen whole after the loss, far slower: its interval is out */
	dd_svct_open(&m, 4, t + 30 * MS);
	dd_svct_close(&m, 4, t + 430 * MS, true);
	assert_int_equal(dd_svct_fold(&m, 4, t + 500 * MS, MAX), was);
	t += 500 * MS;
	/* an end of a connection it no longer follows takes nothing */
	dd_svct_close(&m, 4, t, false);
	assert_int_equal(m.open, 0);
	assert_int_equal(m.done, 0);
	/* and the next intervals count: slower ones now */
	near(run(&m, 4, &t, 1, 100, 80, 4 * DD_SVCT_TAU_MS / 1000), 80000,
	     0.05);
	/* lost for a time constant: the figure stands; for longer, none */
	was = dd_svct_fold(&m, 4, t, MAX);
	for (i = 1; i <= 4; i++) {
		dd_svct_skip(&m);
		assert_int_equal(dd_svct_fold(&m, 4, t + i * 500 * MS, MAX),
				 was);
	}
	dd_svct_skip(&m);
	assert_int_equal(dd_svct_fold(&m, 4, t + 2500 * MS, MAX), 0);
	/* then a measure anew */
	t += 2500 * MS;
	near(run(&m, 4, &t, 1, 100, 50, 2 * DD_SVCT_TAU_MS / 1000), 50000,
	     0.01);
}

/*
 * Sockets: the open connections counted at times 25-75 ms apart, drawn
 * at random as the agent does, each count held until the next, and the
 * ends counted as they come.  One connection every 100 ms, open 50 ms:
 * counts every 100 ms would see it always (or never), counts at
 * random times see it half the time, as long as it is open.
 */
static void sampled(void **state)
{
	uint64_t t0 = 1000 * MS, t, next = t0, fold = t0 + 500 * MS;
	uint64_t end = t0 + 60000 * MS;
	unsigned int seed = 1;
	struct dd_svct m;
	uint32_t got = 0;

	(void)state;
	dd_svct_reset(&m, t0);
	for (t = t0; t < end; t += MS) {
		uint64_t phase = (t - t0) % (100 * MS);

		if (phase == 50 * MS)
			dd_svct_done(&m);
		if (t == fold) {
			got = dd_svct_fold(&m, 4, t, MAX);
			fold += 500 * MS;
		}
		if (t == next) {
			dd_svct_sample(&m, 4, phase < 50 * MS, t);
			seed = seed * 1103515245 + 12345;
			next += (25 + (seed >> 16) % 51) * MS;
		}
	}
	near(got, 50000, 0.15);
	/* five open on two slots for a second: two slot-seconds */
	dd_svct_reset(&m, end);
	dd_svct_sample(&m, 2, 5, end);
	dd_svct_sample(&m, 2, 0, end + 1000 * MS);
	assert_true(fabs(m.busy - 2) < 1e-9);
}

/* At most @max */
static void bounds(void **state)
{
	struct dd_svct m;
	uint64_t t = 1000 * MS;

	(void)state;
	dd_svct_reset(&m, t);
	run(&m, 4, &t, 1, 100, 50, 10);
	assert_int_equal(dd_svct_fold(&m, 4, t + 500 * MS, 20000), 20000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(one_at_a_time),
		cmocka_unit_test(slots_bound_busy),
		cmocka_unit_test(too_few),
		cmocka_unit_test(speed_change),
		cmocka_unit_test(lost_events),
		cmocka_unit_test(sampled),
		cmocka_unit_test(bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0
/* The RTT estimate: outliers from a busy host are ignored, a longer or a
 * shorter path is followed at once. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "rtt.h"

/* A first sample taken while the host was busy does not stay. */
static void warm_up(void **state)
{
	struct dd_rtt r = {};

	(void)state;
	dd_rtt_sample(&r, 80000);
	assert_int_equal(r.srtt_us, 80000);
	dd_rtt_sample(&r, 2000);
	assert_int_equal(r.srtt_us, 2000);
}

static void outliers(void **state)
{
	struct dd_rtt r = {};
	unsigned int i;

	(void)state;
	dd_rtt_sample(&r, 1000);
	assert_int_equal(r.srtt_us, 1000);
	/* a host stalled for 800 ms now and then: no effect */
	for (i = 0; i < 50; i++)
		dd_rtt_sample(&r, i % 4 ? 1000 + i : 800000);
	assert_true(r.srtt_us >= 1000 && r.srtt_us < 1100);
	assert_int_equal(r.last_us, 1049);
	assert_int_equal(r.samples, 51);
}

static void longer_path(void **state)
{
	struct dd_rtt r = {};
	unsigned int i;

	(void)state;
	for (i = 0; i < 20; i++)
		dd_rtt_sample(&r, 2000);
	/* 100 ms more: followed once DD_RTT_SHIFT samples in a row show it */
	for (i = 0; i < DD_RTT_SHIFT - 1; i++)
		dd_rtt_sample(&r, 102000 + i);
	assert_int_equal(r.srtt_us, 2000);
	dd_rtt_sample(&r, 103000);
	assert_int_equal(r.srtt_us, 102000);
	for (i = 0; i < 40; i++)
		dd_rtt_sample(&r, 102000);
	assert_int_equal(r.srtt_us, 102000);
	/* and shorter again, at the first sample that shows it */
	dd_rtt_sample(&r, 2000);
	assert_int_equal(r.srtt_us, 2000);
	for (i = 0; i < 40; i++)
		dd_rtt_sample(&r, 2500);
	assert_true(r.srtt_us < 3000);
}

/* A sample far above the estimate is suspect until the estimate follows:
 * the D-Router probes again at once. */
static void suspect(void **state)
{
	struct dd_rtt r = {};
	unsigned int i;

	(void)state;
	assert_false(dd_rtt_suspect(&r));
	/* 22 samples: the shift below wraps around the window */
	for (i = 0; i < 21; i++)
		dd_rtt_sample(&r, 2000);
	assert_false(dd_rtt_suspect(&r));
	dd_rtt_sample(&r, 2900);		/* within the quarter and 1 ms */
	assert_false(dd_rtt_suspect(&r));
	dd_rtt_sample(&r, 103000);
	assert_true(dd_rtt_suspect(&r));
	dd_rtt_sample(&r, 102000);
	assert_true(dd_rtt_suspect(&r));
	dd_rtt_sample(&r, 104000);		/* followed */
	assert_false(dd_rtt_suspect(&r));
	assert_int_equal(r.srtt_us, 102000);
	/* the window holds the three samples of the longer path alone */
	assert_int_equal(r.filled, DD_RTT_SHIFT);
	assert_int_equal(r.window[0], 103000);
	assert_int_equal(r.window[1], 102000);
	assert_int_equal(r.window[2], 104000);
}

/* Small moves are smoothed, not followed at once. */
static void small_moves(void **state)
{
	struct dd_rtt r = {};
	unsigned int i;

	(void)state;
	for (i = 0; i < 20; i++)
		dd_rtt_sample(&r, 10000);
	/* 20 % longer: below the quarter, so smoothed */
	for (i = 0; i < DD_RTT_WINDOW; i++)
		dd_rtt_sample(&r, 12000);
	assert_true(r.srtt_us > 10000 && r.srtt_us < 12000);
	/* 0.8 ms more on a 1 ms path: below DD_RTT_SHIFT_MIN_US */
	memset(&r, 0, sizeof(r));
	for (i = 0; i < 20; i++)
		dd_rtt_sample(&r, 1000);
	for (i = 0; i < DD_RTT_SHIFT; i++)
		dd_rtt_sample(&r, 1800);
	assert_int_equal(r.srtt_us, 1000);
}

/* A host stalled for fewer than DD_RTT_SHIFT probes changes nothing; a
 * longer stall moves the estimate for one probe only. */
static void stalls(void **state)
{
	struct dd_rtt r = {};
	unsigned int i;

	(void)state;
	for (i = 0; i < 20; i++)
		dd_rtt_sample(&r, 5000);
	for (i = 0; i < DD_RTT_SHIFT - 1; i++)
		dd_rtt_sample(&r, 900000);
	dd_rtt_sample(&r, 5000);
	assert_int_equal(r.srtt_us, 5000);
	for (i = 0; i < DD_RTT_SHIFT; i++)
		dd_rtt_sample(&r, 900000);
	assert_int_equal(r.srtt_us, 900000);
	dd_rtt_sample(&r, 5100);
	assert_int_equal(r.srtt_us, 5100);
}

/* Several probes outstanding: a path longer than the probe interval is
 * measured; an answer counts once, and only for a probe of ours. */
static void pending(void **state)
{
	struct dd_rtt r = {};
	unsigned int i;

	(void)state;
	dd_rtt_sent(&r, 11, 1000000);
	dd_rtt_sent(&r, 12, 1500000);
	dd_rtt_sent(&r, 13, 2000000);
	/* the first probe's answer, 1.2 s later, after two more were sent */
	assert_true(dd_rtt_answer(&r, 11, 1000000, 2200000));
	assert_int_equal(r.srtt_us, 1200000);
	/* again: no */
	assert_false(dd_rtt_answer(&r, 11, 1000000, 2300000));
	/* another time than the one sent, an unknown probe, id 0: no */
	assert_false(dd_rtt_answer(&r, 12, 1400000, 2300000));
	assert_false(dd_rtt_answer(&r, 14, 2000000, 2300000));
	assert_false(dd_rtt_answer(&r, 0, 0, 2300000));
	/* an answer before its probe went out: no */
	assert_false(dd_rtt_answer(&r, 13, 2000000, 1900000));
	assert_int_equal(r.samples, 1);
	assert_int_equal(r.lost, 0);
	/* DD_RTT_PENDING more: 12 and 13 are given up as lost */
	for (i = 0; i < DD_RTT_PENDING; i++)
		dd_rtt_sent(&r, 20 + i, 3000000 + i);
	assert_int_equal(r.lost, 2);
	assert_false(dd_rtt_answer(&r, 12, 1500000, 3100000));
	assert_true(dd_rtt_answer(&r, 20, 3000000, 3100000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(warm_up),
		cmocka_unit_test(outliers),
		cmocka_unit_test(longer_path),
		cmocka_unit_test(suspect),
		cmocka_unit_test(small_moves),
		cmocka_unit_test(stalls),
		cmocka_unit_test(pending),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0
/* The RTT estimate: outliers from a busy host are ignored, a longer path
 * is followed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
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
	/* 100 ms more: followed once a window of samples shows it */
	for (i = 0; i < DD_RTT_WINDOW - 1; i++)
		dd_rtt_sample(&r, 102000);
	assert_int_equal(r.srtt_us, 2000);
	for (i = 0; i < 40; i++)
		dd_rtt_sample(&r, 102000);
	assert_true(r.srtt_us > 100000);
	/* and shorter again */
	dd_rtt_sample(&r, 2000);
	for (i = 0; i < 40; i++)
		dd_rtt_sample(&r, 2500);
	assert_true(r.srtt_us < 3000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(warm_up),
		cmocka_unit_test(outliers),
		cmocka_unit_test(longer_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0
/* The update policy: interval, thresholds, minimum interval and damping. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "policy.h"

static const struct dd_policy_cfg cfg = {
	.interval_ms = 5000,
	.min_interval_ms = 500,
	.threshold_load = 100,
	.threshold_count = 5,
	.threshold_ratio = 10,
};

static void rec(struct dd_record *r, uint32_t cpu, uint32_t queue)
{
	memset(r, 0, sizeof(*r));
	r->present = 1u << DD_M_CPU | 1u << DD_M_QUEUE | 1u << DD_M_WEIGHT;
	r->m[DD_M_CPU] = cpu;
	r->m[DD_M_QUEUE] = queue;
	r->m[DD_M_WEIGHT] = 1;
}

static void interval(void **state)
{
	struct dd_policy p;

	(void)state;
	dd_policy_init(&p, &cfg);
	assert_int_equal(dd_policy_due(&p, &cfg), 0);	/* never sent: now */
	dd_policy_sent(&p, &cfg, 1000);
	assert_int_equal(dd_policy_due(&p, &cfg), 6000);
	dd_policy_sent(&p, &cfg, 6000);
	assert_int_equal(dd_policy_due(&p, &cfg), 11000);
}

static void threshold(void **state)
{
	struct dd_record a, b;

	(void)state;
	rec(&a, 300, 10);
	rec(&b, 399, 10);
	assert_false(dd_policy_moved(&cfg, &a, &b));	/* 9.9 points */
	b.m[DD_M_CPU] = 400;
	assert_true(dd_policy_moved(&cfg, &a, &b));	/* 10 points */
	b.m[DD_M_CPU] = 200;
	assert_true(dd_policy_moved(&cfg, &a, &b));	/* down as well */

	rec(&b, 300, 14);
	assert_false(dd_policy_moved(&cfg, &a, &b));	/* 4 < 5 */
	b.m[DD_M_QUEUE] = 15;
	assert_true(dd_policy_moved(&cfg, &a, &b));

	/* large counts move by the ratio: 10 % of 1000 */
	rec(&a, 300, 1000);
	rec(&b, 300, 1099);
	assert_false(dd_policy_moved(&cfg, &a, &b));
	b.m[DD_M_QUEUE] = 1100;
	assert_true(dd_policy_moved(&cfg, &a, &b));

	/* state, presence and configured figures move at once */
	rec(&b, 300, 1000);
	b.state = DD_STATE_DOWN;
	assert_true(dd_policy_moved(&cfg, &a, &b));
	rec(&b, 300, 1000);
	b.m[DD_M_WEIGHT] = 2;
	assert_true(dd_policy_moved(&cfg, &a, &b));
	rec(&b, 300, 1000);
	b.present |= 1u << DD_M_GPU;
	assert_true(dd_policy_moved(&cfg, &a, &b));
	rec(&b, 300, 1000);
	b.withdrawn = true;
	assert_true(dd_policy_moved(&cfg, &a, &b));

	/* a service time moves by the ratio alone: 10 % of 50 ms */
	a.present |= 1u << DD_M_SERVICE_TIME;
	a.m[DD_M_SERVICE_TIME] = 50000;
	b = a;
	b.m[DD_M_SERVICE_TIME] = 54999;
	assert_false(dd_policy_moved(&cfg, &a, &b));
	b.m[DD_M_SERVICE_TIME] = 45000;
	assert_true(dd_policy_moved(&cfg, &a, &b));
}

/* A trigger waits for the minimum interval since the last update. */
static void min_interval(void **state)
{
	struct dd_policy p;

	(void)state;
	dd_policy_init(&p, &cfg);
	dd_policy_sent(&p, &cfg, 10000);
	dd_policy_trigger(&p);
	assert_int_equal(dd_policy_due(&p, &cfg), 10500);
	dd_policy_sent(&p, &cfg, 10500);
	assert_int_equal(dd_policy_due(&p, &cfg), 15500);
}

/* Triggers in a row back off to the interval; quiet resets. */
static void damping(void **state)
{
	uint64_t t = 10000, due;
	struct dd_policy p;
	unsigned int n = 0;

	(void)state;
	dd_policy_init(&p, &cfg);
	dd_policy_sent(&p, &cfg, t);
	/* a metric that flaps every 100 ms for 60 s */
	for (t += 100; t < 70000; t += 100) {
		dd_policy_trigger(&p);
		due = dd_policy_due(&p, &cfg);
		if (due <= t) {
			dd_policy_sent(&p, &cfg, t);
			n++;
		}
	}
	/* 500, 1000, 2000, 4000, then every 5000: 4 + 11 */
	assert_true(n <= 16);
	assert_true(n >= 12);
	assert_int_equal(p.holddown, cfg.interval_ms);

	/* quiet for an interval: the next trigger is quick again */
	t += cfg.interval_ms;
	dd_policy_sent(&p, &cfg, t);
	t += cfg.interval_ms;
	dd_policy_sent(&p, &cfg, t);
	dd_policy_trigger(&p);
	assert_int_equal(dd_policy_due(&p, &cfg), t + cfg.min_interval_ms);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(interval),
		cmocka_unit_test(threshold),
		cmocka_unit_test(min_interval),
		cmocka_unit_test(damping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Collectors on fixture files (fixtures/): CPU of the host from /proc/stat,
 * of a cgroup v2 from cpu.stat and cpu.max; the report and command
 * grammar; the HTTP status line of a health check.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "collect.h"

static void host_cpu(void **state)
{
	struct dd_cpu c;

	(void)state;
	assert_int_equal(dd_cpu_init(&c, DD_TEST_DIR "/fixtures/proc1", NULL), 0);
	assert_int_equal(dd_cpu_sample(&c, 0, 2, 100), 0);
	assert_false(c.has_value);		/* one sample is no rate */
	snprintf(c.path, sizeof(c.path), DD_TEST_DIR "/fixtures/proc2/stat");
	assert_int_equal(dd_cpu_sample(&c, 0, 2, 100), 0);
	assert_true(c.has_value);
	/* busy 1500 -> 2400 of 10000 -> 11200 ticks: 900 / 1200 */
	assert_int_equal(c.value, 750);
	assert_int_not_equal(dd_cpu_init(&c, DD_TEST_DIR "/fixtures/none", NULL), 1);
	assert_true(dd_cpu_sample(&c, 0, 2, 100) < 0);
}

static void host_cpu_smoothed(void **state)
{
	struct dd_cpu c;

	(void)state;
	dd_cpu_init(&c, DD_TEST_DIR "/fixtures/proc1", NULL);
	dd_cpu_sample(&c, 0, 2, 50);
	snprintf(c.path, sizeof(c.path), DD_TEST_DIR "/fixtures/proc2/stat");
	dd_cpu_sample(&c, 0, 2, 50);
	assert_int_equal(c.value, 750);		/* the first rate is taken */
	/* the same file again: no time passed, no new rate */
	dd_cpu_sample(&c, 0, 2, 50);
	assert_int_equal(c.value, 750);
	snprintf(c.path, sizeof(c.path), DD_TEST_DIR "/fixtures/proc1/stat");
	c.busy = 0;
	c.total = 0;
	/* busy 0 -> 1500 of 0 -> 10000: 150, half of it with half of 750 */
	dd_cpu_sample(&c, 0, 2, 50);
	assert_int_equal(c.value, 450);
}

static void cgroup_cpu(void **state)
{
	struct dd_cpu c;

	(void)state;
	assert_int_equal(dd_cpu_init(&c, NULL, DD_TEST_DIR "/fixtures/cg1"), 0);
	assert_int_equal(dd_cpu_sample(&c, 1000000, 2, 100), 0);
	snprintf(c.path, sizeof(c.path), DD_TEST_DIR "/fixtures/cg2");
	assert_int_equal(dd_cpu_sample(&c, 2000000, 2, 100), 0);
	/* 0.5 s of CPU in 1 s on 2 CPUs */
	assert_int_equal(c.value, 250);

	/* the same, limited by cpu.max to half a CPU: saturated */
	dd_cpu_init(&c, NULL, DD_TEST_DIR "/fixtures/cg1");
	dd_cpu_sample(&c, 1000000, 2, 100);
	snprintf(c.path, sizeof(c.path), DD_TEST_DIR "/fixtures/cgmax");
	dd_cpu_sample(&c, 2000000, 2, 100);
	assert_int_equal(c.value, 1000);
}

static void figures(void **state)
{
	struct dd_figures f;
	char err[128], buf[128];

	(void)state;
	strcpy(buf, "queue 12 gpu 37.5\nstate drain cpu 100");
	assert_int_equal(dd_figures_parse(buf, &f, err, sizeof(err)), 0);
	assert_int_equal(f.m[DD_M_QUEUE], 12);
	assert_int_equal(f.m[DD_M_GPU], 375);
	assert_int_equal(f.m[DD_M_CPU], 1000);
	assert_true(f.has_state);
	assert_int_equal(f.state, DD_STATE_DRAIN);
	assert_int_equal(f.present, 1u << DD_M_QUEUE | 1u << DD_M_GPU |
			 1u << DD_M_CPU);

	/* a capacity reported replaces the configured one (dma.c) */
	strcpy(buf, "capacity 3 queue 0");
	assert_int_equal(dd_figures_parse(buf, &f, err, sizeof(err)), 0);
	assert_int_equal(f.m[DD_M_CAPACITY], 3);
	assert_int_equal(f.present, 1u << DD_M_CAPACITY | 1u << DD_M_QUEUE);
	strcpy(buf, "service-time 48500");
	assert_int_equal(dd_figures_parse(buf, &f, err, sizeof(err)), 0);
	assert_int_equal(f.m[DD_M_SERVICE_TIME], 48500);
	strcpy(buf, "service-time 10000001");
	assert_int_equal(dd_figures_parse(buf, &f, err, sizeof(err)), -1);
	assert_string_equal(err, "\"service-time\" must be an integer between 0 and 10000000, got \"10000001\"");
	strcpy(buf, "capacity 1.5");
	assert_int_equal(dd_figures_parse(buf, &f, err, sizeof(err)), -1);
	assert_string_equal(err, "\"capacity\" must be an integer between 0 and 4294967295, got \"1.5\"");

	strcpy(buf, "gpu 100.1");
	assert_int_equal(dd_figures_parse(buf, &f, err, sizeof(err)), -1);
	assert_string_equal(err, "\"gpu\" must be a percentage between 0 and 100, got \"100.1\"");
	strcpy(buf, "load 3");
	assert_int_equal(dd_figures_parse(buf, &f, err, sizeof(err)), -1);
	assert_string_equal(err, "unknown key \"load\"");
	strcpy(buf, "queue");
	assert_int_equal(dd_figures_parse(buf, &f, err, sizeof(err)), -1);
	assert_string_equal(err, "key \"queue\" has no value");
	strcpy(buf, "queue -1");
	assert_int_equal(dd_figures_parse(buf, &f, err, sizeof(err)), -1);
	strcpy(buf, "queue 4294967296");
	assert_int_equal(dd_figures_parse(buf, &f, err, sizeof(err)), -1);
	strcpy(buf, "state sleeping");
	assert_int_equal(dd_figures_parse(buf, &f, err, sizeof(err)), -1);
	strcpy(buf, "  \n");
	assert_int_equal(dd_figures_parse(buf, &f, err, sizeof(err)), -1);
	assert_string_equal(err, "no figure given");
}

/* Reported loads: held, and followed at the collector's pace. */
static void smooth(void **state)
{
	double tau = dd_smooth_tau(1000, 50);
	struct dd_smooth s = { 0 };
	uint32_t v;
	int i;

	(void)state;
	/* half per second: tau = 1 s / ln 2 */
	assert_true(tau > 1442 && tau < 1443);
	assert_true(dd_smooth_tau(1000, 100) == 0);
	/* the first report is taken as it is */
	dd_smooth_report(&s, 600, 10000, tau);
	assert_int_equal(dd_smooth_value(&s, 10000, tau), 600);
	/* a step to 0, held: half-way after a second, near 0 after ten */
	dd_smooth_report(&s, 0, 20000, tau);
	assert_int_equal(dd_smooth_value(&s, 20000, tau), 600);
	assert_int_equal(dd_smooth_value(&s, 21000, tau), 300);
	assert_int_equal(dd_smooth_value(&s, 30000, tau), 1);
	assert_int_equal(dd_smooth_value(&s, 31000, tau), 0);
	/* 0 and 1000 every 100 ms, alternately: close to 500 */
	for (i = 0; i < 100; i++)
		dd_smooth_report(&s, i % 2 ? 0 : 1000, 40000 + 100 * i, tau);
	v = dd_smooth_value(&s, 40000 + 100 * i, tau);
	assert_true(v > 450 && v < 550);
	/* no smoothing: the last report */
	dd_smooth_report(&s, 700, 60000, 0);
	assert_int_equal(dd_smooth_value(&s, 60000, 0), 700);
}

static void report_line(void **state)
{
	char buf[128], name[32], err[128];
	struct dd_figures f;

	(void)state;
	strcpy(buf, "web21 queue 40\n");
	assert_int_equal(dd_report_parse(buf, name, sizeof(name), &f, err,
					 sizeof(err)), 0);
	assert_string_equal(name, "web21");
	assert_int_equal(f.m[DD_M_QUEUE], 40);
	strcpy(buf, "   ");
	assert_int_equal(dd_report_parse(buf, name, sizeof(name), &f, err,
					 sizeof(err)), -1);
	strcpy(buf, "a-name-longer-than-thirty-two-characters queue 1");
	assert_int_equal(dd_report_parse(buf, name, sizeof(name), &f, err,
					 sizeof(err)), -1);
	assert_string_equal(err, "instance name too long");
}

static void http_status(void **state)
{
	(void)state;
	assert_int_equal(dd_http_status("HTTP/1.1 200 OK\r\n", 17), 200);
	assert_int_equal(dd_http_status("HTTP/1.0 503 Busy\r\n", 19), 503);
	assert_int_equal(dd_http_status("HTTP/1.1 302", 12), 302);
	assert_int_equal(dd_http_status("HTTP/2 200 OK\r\n", 15), -1);
	assert_int_equal(dd_http_status("SSH-2.0-OpenSSH\r\n", 17), -1);
	assert_int_equal(dd_http_status("HTTP/1.1 20", 11), -1);
	assert_int_equal(dd_http_status("HTTP/1.1 2000 OK", 16), -1);
	assert_int_equal(dd_http_status("HTTP/1.1 099 OK", 15), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(host_cpu),
		cmocka_unit_test(host_cpu_smoothed),
		cmocka_unit_test(cgroup_cpu),
		cmocka_unit_test(figures),
		cmocka_unit_test(smooth),
		cmocka_unit_test(report_line),
		cmocka_unit_test(http_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

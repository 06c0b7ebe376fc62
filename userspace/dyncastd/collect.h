/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Metric collectors that read files: CPU utilisation of the host
 * (/proc/stat) or of a cgroup v2 (cpu.stat, cpu.max); the figures a
 * service reports (report socket, command output); the status line of an
 * HTTP health check.  Paths come from the caller, so that the unit tests
 * read fixture files.
 */
#ifndef DD_COLLECT_H
#define DD_COLLECT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct dd_cpu {
	char path[PATH_MAX];	/* /proc/stat, or a cgroup directory */
	bool cgroup;
	bool init;
	uint64_t busy, total;	/* host: ticks; cgroup: usec used, usec */
	uint32_t value;		/* smoothed, per mille */
	bool has_value;
};

int dd_cpu_init(struct dd_cpu *c, const char *proc_root, const char *cgroup);
int dd_cpu_sample(struct dd_cpu *c, uint64_t now_us, unsigned int ncpu,
		  unsigned int smoothing);

/*
 * A load (cpu, gpu) a service reports, smoothed as the collector's CPU:
 * the reported value is held until the next report, and the smoothed one
 * moves towards it continuously, by @smoothing per cent per
 * collect-interval.  A service that reports the busy share of its last
 * 100 ms says 0, 50 or 100 % on two slots; announced as it came, the
 * D-Routers would see a random one of those every few seconds.
 */
struct dd_smooth {
	uint64_t at;		/* ms of the last report, 0: none */
	double from;		/* the smoothed value then */
	uint32_t target;	/* the reported value, held since */
};

double dd_smooth_tau(uint32_t interval_ms, unsigned int smoothing);
void dd_smooth_report(struct dd_smooth *s, uint32_t v, uint64_t now,
		      double tau_ms);
uint32_t dd_smooth_value(const struct dd_smooth *s, uint64_t now,
			 double tau_ms);

/* Figures a service reports about itself: "queue 12 gpu 37.5". */
struct dd_figures {
	uint32_t present;	/* bit per enum dd_metric */
	uint32_t m[DD_M_COUNT];
	bool has_state;
	uint8_t state;
};

int dd_figures_parse(char *s, struct dd_figures *f, char *err, size_t size);
int dd_report_parse(char *line, char *name, size_t name_size,
		    struct dd_figures *f, char *err, size_t size);
int dd_http_status(const char *buf, size_t len);

#endif /* DD_COLLECT_H */

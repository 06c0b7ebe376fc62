// SPDX-License-Identifier: GPL-2.0
/*
 * Collectors on files: CPU of the host or of a cgroup v2, and the parsers
 * of what services report.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "collect.h"

int dd_cpu_init(struct dd_cpu *c, const char *proc_root, const char *cgroup)
{
	int n;

	memset(c, 0, sizeof(*c));
	c->cgroup = cgroup && *cgroup;
	if (c->cgroup)
		n = snprintf(c->path, sizeof(c->path), "%s", cgroup);
	else
		n = snprintf(c->path, sizeof(c->path), "%s/stat",
			     proc_root ? proc_root : "/proc");
	return n < 0 || (size_t)n >= sizeof(c->path) ? -ENAMETOOLONG : 0;
}

/* The first line of /proc/stat: busy and total ticks of all CPUs. */
static int dd_cpu_read_host(const char *path, uint64_t *busy, uint64_t *total)
{
	uint64_t v[10] = {}, sum = 0;
	char line[512];
	FILE *fp;
	int i, n;

	fp = fopen(path, "re");
	if (!fp)
		return -errno;
	if (!fgets(line, sizeof(line), fp)) {
		fclose(fp);
		return -EINVAL;
	}
	fclose(fp);
	n = sscanf(line, "cpu %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
		   " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
		   " %" SCNu64 " %" SCNu64,
		   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
		   &v[8], &v[9]);
	if (n < 4)
		return -EINVAL;
	/* guest time is already in user and nice */
	for (i = 0; i < n && i < 8; i++)
		sum += v[i];
	*total = sum;
	*busy = sum - v[3] - v[4];	/* idle, iowait */
	return 0;
}

/* "usage_usec N" of cpu.stat; the CPUs that cpu.max allows, in 1/1000. */
static int dd_cpu_read_cgroup(const char *dir, uint64_t *usage,
			      uint64_t *cpus_milli)
{
	char path[PATH_MAX + 16], line[256], quota[32];
	uint64_t q, period;
	bool found = false;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/cpu.stat", dir);
	fp = fopen(path, "re");
	if (!fp)
		return -errno;
	while (fgets(line, sizeof(line), fp))
		if (sscanf(line, "usage_usec %" SCNu64, usage) == 1)
			found = true;
	fclose(fp);
	if (!found)
		return -EINVAL;

	*cpus_milli = 0;
	snprintf(path, sizeof(path), "%s/cpu.max", dir);
	fp = fopen(path, "re");
	if (!fp)
		return 0;	/* the root cgroup has none */
	if (fgets(line, sizeof(line), fp) &&
	    sscanf(line, "%31s %" SCNu64, quota, &period) == 2 &&
	    strcmp(quota, "max") && period &&
	    sscanf(quota, "%" SCNu64, &q) == 1)
		*cpus_milli = q * 1000 / period;
	fclose(fp);
	return 0;
}

/*
 * Takes a sample at @now_us; from the second one on, the utilisation since
 * the previous sample goes into the smoothed value (weight @smoothing per
 * cent for the new sample; 100 is no smoothing).  A cgroup's utilisation
 * is against @ncpu CPUs, or fewer if its cpu.max says so.
 */
int dd_cpu_sample(struct dd_cpu *c, uint64_t now_us, unsigned int ncpu,
		  unsigned int smoothing)
{
	uint64_t busy, total, cpus_milli = 0, db, dt, load;
	int ret;

	if (c->cgroup) {
		ret = dd_cpu_read_cgroup(c->path, &busy, &cpus_milli);
		total = now_us;
	} else {
		ret = dd_cpu_read_host(c->path, &busy, &total);
	}
	if (ret)
		return ret;

	if (c->init && busy >= c->busy && total > c->total) {
		db = busy - c->busy;
		dt = total - c->total;
		if (c->cgroup) {
			uint64_t milli = (uint64_t)(ncpu ? ncpu : 1) * 1000;

			if (cpus_milli && cpus_milli < milli)
				milli = cpus_milli;
			dt = dt * milli / 1000;
		}
		load = dt ? db * 1000 / dt : 0;
		if (load > DD_LOAD_MAX)
			load = DD_LOAD_MAX;
		if (!c->has_value || smoothing >= 100)
			c->value = load;
		else
			c->value = (c->value * (100 - smoothing) +
				    load * smoothing + 50) / 100;
		c->has_value = true;
	}
	c->busy = busy;
	c->total = total;
	c->init = true;
	return 0;
}

/*
 * The time constant of a smoothing by @smoothing per cent per
 * @interval_ms, as the collector's; 0 for none.
 */
double dd_smooth_tau(uint32_t interval_ms, unsigned int smoothing)
{
	if (smoothing >= 100 || !smoothing || !interval_ms)
		return 0;
	return -(double)interval_ms / log(1 - smoothing / 100.0);
}

static double dd_smooth_at(const struct dd_smooth *s, uint64_t now,
			   double tau_ms)
{
	if (!s->at || tau_ms <= 0)
		return s->target;
	if (now <= s->at)
		return s->from;
	return s->target + (s->from - s->target) *
			   exp(-(double)(now - s->at) / tau_ms);
}

/* A new reported value @v at @now (the first is taken as it is). */
void dd_smooth_report(struct dd_smooth *s, uint32_t v, uint64_t now,
		      double tau_ms)
{
	s->from = s->at ? dd_smooth_at(s, now, tau_ms) : v;
	s->target = v;
	s->at = now ? now : 1;
}

uint32_t dd_smooth_value(const struct dd_smooth *s, uint64_t now,
			 double tau_ms)
{
	return (uint32_t)lround(dd_smooth_at(s, now, tau_ms));
}

static const struct {
	const char *name;
	int metric;		/* -1: state */
	bool percent;
	uint32_t max;		/* of an integer */
} dd_figure_keys[] = {
	{ "cpu", DD_M_CPU, true, 0 },
	{ "gpu", DD_M_GPU, true, 0 },
	{ "sessions", DD_M_SESSIONS, false, UINT32_MAX },
	{ "queue", DD_M_QUEUE, false, UINT32_MAX },
	{ "capacity", DD_M_CAPACITY, false, UINT32_MAX },
	{ "service-time", DD_M_SERVICE_TIME, false, DD_SERVICE_TIME_MAX },
	{ "state", -1, false, 0 },
};

static const char *const dd_state_names[] = { "up", "drain", "down" };

/*
 * "KEY VALUE [KEY VALUE]...", words separated by blanks or newlines:
 * cpu and gpu in per cent with at most one decimal, sessions, queue and
 * capacity as integers, service-time in microseconds, state up, drain or
 * down.  On error, says why in @err.
 */
int dd_figures_parse(char *s, struct dd_figures *f, char *err, size_t size)
{
	char *save = NULL, *key, *val;
	unsigned int i;

	memset(f, 0, sizeof(*f));
	for (key = strtok_r(s, " \t\r\n", &save); key;
	     key = strtok_r(NULL, " \t\r\n", &save)) {
		uint64_t v;
		uint32_t t;

		for (i = 0; i < DC_ARRAY_SIZE(dd_figure_keys); i++)
			if (!strcmp(key, dd_figure_keys[i].name))
				break;
		if (i == DC_ARRAY_SIZE(dd_figure_keys)) {
			snprintf(err, size, "unknown key \"%.32s\"", key);
			return -1;
		}
		val = strtok_r(NULL, " \t\r\n", &save);
		if (!val) {
			snprintf(err, size, "key \"%s\" has no value", key);
			return -1;
		}
		if (dd_figure_keys[i].metric < 0) {
			int k = dc_parse_keyword(val, dd_state_names, 3);

			if (k < 0) {
				snprintf(err, size, "\"state\" must be up, drain or down, got \"%.32s\"",
					 val);
				return -1;
			}
			f->state = k;
			f->has_state = true;
			continue;
		}
		if (dd_figure_keys[i].percent) {
			if (dc_parse_tenths(val, DD_LOAD_MAX, &t)) {
				snprintf(err, size, "\"%s\" must be a percentage between 0 and 100, got \"%.32s\"",
					 key, val);
				return -1;
			}
			v = t;
		} else if (dc_parse_uint(val, dd_figure_keys[i].max, &v)) {
			snprintf(err, size, "\"%s\" must be an integer between 0 and %u, got \"%.32s\"",
				 key, dd_figure_keys[i].max, val);
			return -1;
		}
		f->m[dd_figure_keys[i].metric] = v;
		f->present |= 1u << dd_figure_keys[i].metric;
	}
	if (!f->present && !f->has_state) {
		snprintf(err, size, "no figure given");
		return -1;
	}
	return 0;
}

/* "NAME KEY VALUE [KEY VALUE]...": one datagram of the report socket. */
int dd_report_parse(char *line, char *name, size_t name_size,
		    struct dd_figures *f, char *err, size_t size)
{
	size_t n;

	line += strspn(line, " \t");
	n = strcspn(line, " \t\r\n");
	if (!n) {
		snprintf(err, size, "no instance name");
		return -1;
	}
	if (n >= name_size) {
		snprintf(err, size, "instance name too long");
		return -1;
	}
	memcpy(name, line, n);
	name[n] = '\0';
	return dd_figures_parse(line + n, f, err, size);
}

/* The status code of an HTTP/1.x response's status line, or -1. */
int dd_http_status(const char *buf, size_t len)
{
	int code = 0, i;

	if (len < 12 || memcmp(buf, "HTTP/1.", 7) ||
	    (buf[7] != '0' && buf[7] != '1') || buf[8] != ' ')
		return -1;
	for (i = 9; i < 12; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return -1;
		code = code * 10 + buf[i] - '0';
	}
	if (len > 12 && buf[12] != ' ' && buf[12] != '\r' && buf[12] != '\n')
		return -1;
	return code >= 100 ? code : -1;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * An instance's service time measured by its D-MA (svctime.h): busy slot
 * time over completions, each smoothed over DD_SVCT_TAU_MS.
 */
#include <math.h>
#include <string.h>

#include "svctime.h"

static uint32_t dd_svct_busy_slots(uint32_t open, uint32_t cap)
{
	return cap && open > cap ? cap : open;
}

/* The busy time up to @now_us */
static void dd_svct_advance(struct dd_svct *m, uint32_t cap, uint64_t now_us)
{
	if (now_us > m->since_us)
		m->busy += dd_svct_busy_slots(m->open, cap) *
			   ((now_us - m->since_us) / 1e6);
	m->since_us = now_us;
}

void dd_svct_reset(struct dd_svct *m, uint64_t now_us)
{
	memset(m, 0, sizeof(*m));
	m->since_us = now_us;
	m->fold_us = now_us;
}

void dd_svct_open(struct dd_svct *m, uint32_t cap, uint64_t now_us)
{
	dd_svct_advance(m, cap, now_us);
	m->open++;
}

void dd_svct_close(struct dd_svct *m, uint32_t cap, uint64_t now_us,
		   bool done)
{
	dd_svct_advance(m, cap, now_us);
	if (m->open)
		m->open--;
	if (done)
		m->done++;
}

void dd_svct_sample(struct dd_svct *m, uint32_t cap, uint32_t open,
		    uint64_t now_us)
{
	dd_svct_advance(m, cap, now_us);
	m->open = open;
}

void dd_svct_done(struct dd_svct *m)
{
	m->done++;
}

void dd_svct_skip(struct dd_svct *m)
{
	m->lost = true;
}

void dd_svct_lost(struct dd_svct *m, uint64_t now_us)
{
	m->open = 0;
	m->since_us = now_us;
	m->lost = true;
}

uint32_t dd_svct_fold(struct dd_svct *m, uint32_t cap, uint64_t now_us,
		      uint32_t max)
{
	double dt, a, svc;

	dd_svct_advance(m, cap, now_us);
	/* lost for longer than the time constant: the measure is stale */
	if (!m->lost)
		m->lost_us = 0;
	else if (!m->lost_us)
		m->lost_us = m->fold_us;
	if (m->lost_us && now_us - m->lost_us > DD_SVCT_TAU_MS * 1000ull) {
		m->avg_busy = 0;
		m->avg_done = 0;
		m->weight = 0;
	}
	/*
	 * an interval with events lost is left out: its busy time and
	 * completions are those of the connections still followed
	 */
	if (!m->lost && now_us > m->fold_us) {
		dt = (now_us - m->fold_us) / 1e6;
		a = 1 - exp(-dt * 1000 / DD_SVCT_TAU_MS);
		/*
		 * from 0 with a weight: a first interval of a few ms (the
		 * first collection) weighs no more than its length
		 */
		m->avg_busy += a * (m->busy / dt - m->avg_busy);
		m->avg_done += a * (m->done / dt - m->avg_done);
		m->weight += a * (1 - m->weight);
	}
	m->fold_us = now_us;
	m->busy = 0;
	m->done = 0;
	m->lost = false;
	if (!(m->weight > 0) ||
	    m->avg_done / m->weight * DD_SVCT_TAU_MS / 1000 < DD_SVCT_MIN_DONE)
		return 0;
	svc = 1e6 * m->avg_busy / m->avg_done;
	if (!(svc >= 1))
		return 1;
	return svc >= max ? max : (uint32_t)lround(svc);
}

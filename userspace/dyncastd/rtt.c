// SPDX-License-Identifier: GPL-2.0
/* The round-trip time estimate behind the network cost of an instance. */
#include "rtt.h"

/* the least of the last @n samples */
static uint32_t dd_rtt_min(const struct dd_rtt *r, unsigned int n)
{
	uint32_t min = UINT32_MAX;
	unsigned int i;

	if (n > r->filled)
		n = r->filled;
	for (i = 1; i <= n; i++) {
		uint32_t v = r->window[(r->next + DD_RTT_WINDOW - i) %
				       DD_RTT_WINDOW];

		if (v < min)
			min = v;
	}
	return min;
}

static uint32_t dd_rtt_shift(uint32_t srtt)
{
	return srtt / 4 > DD_RTT_SHIFT_MIN_US ? srtt / 4 : DD_RTT_SHIFT_MIN_US;
}

void dd_rtt_sample(struct dd_rtt *r, uint32_t us)
{
	uint32_t min, recent, last[DD_RTT_SHIFT];
	unsigned int i;

	r->last_us = us;
	r->window[r->next] = us;
	r->next = (r->next + 1) % DD_RTT_WINDOW;
	if (r->filled < DD_RTT_WINDOW)
		r->filled++;
	r->has = true;
	r->samples++;
	min = dd_rtt_min(r, DD_RTT_WINDOW);
	recent = dd_rtt_min(r, DD_RTT_SHIFT);

	/* until the window is full, the first samples are all we know */
	if (r->filled < DD_RTT_WINDOW) {
		r->srtt_us = min;
	} else if (recent > r->srtt_us + dd_rtt_shift(r->srtt_us)) {
		/* a longer path: the older samples are of the old one */
		for (i = 0; i < DD_RTT_SHIFT; i++)
			last[i] = r->window[(r->next + DD_RTT_WINDOW -
					     DD_RTT_SHIFT + i) % DD_RTT_WINDOW];
		for (i = 0; i < DD_RTT_SHIFT; i++)
			r->window[i] = last[i];
		r->next = DD_RTT_SHIFT % DD_RTT_WINDOW;
		r->filled = DD_RTT_SHIFT;
		r->srtt_us = recent;
	} else if (min + dd_rtt_shift(r->srtt_us) < r->srtt_us) {
		/* a shorter path: no sample is shorter than the path */
		r->srtt_us = min;
	} else {
		r->srtt_us = ((uint64_t)r->srtt_us * 7 + min) / 8;
	}
}

/*
 * The last sample says the path may be longer, and the estimate does not
 * follow yet: worth another probe at once.
 */
bool dd_rtt_suspect(const struct dd_rtt *r)
{
	return r->has && r->last_us > r->srtt_us + dd_rtt_shift(r->srtt_us);
}

/* A probe @id went out at @now_us. */
void dd_rtt_sent(struct dd_rtt *r, uint32_t id, uint64_t now_us)
{
	unsigned int i = r->next_probe;

	if (r->pending[i].id)
		r->lost++;
	r->pending[i].id = id;
	r->pending[i].sent_us = now_us;
	r->next_probe = (i + 1) % DD_RTT_PENDING;
}

/*
 * The answer to a probe: a sample if it is one of ours still outstanding
 * (@sent_us echoed as sent), once.
 */
bool dd_rtt_answer(struct dd_rtt *r, uint32_t id, uint64_t sent_us,
		   uint64_t now_us)
{
	unsigned int i;

	if (!id)
		return false;
	for (i = 0; i < DD_RTT_PENDING; i++) {
		if (r->pending[i].id != id || r->pending[i].sent_us != sent_us ||
		    now_us < sent_us)
			continue;
		r->pending[i].id = 0;
		dd_rtt_sample(r, now_us - sent_us > UINT32_MAX ?
				 UINT32_MAX : (uint32_t)(now_us - sent_us));
		return true;
	}
	return false;
}

// SPDX-License-Identifier: GPL-2.0
/* The round-trip time estimate behind the network cost of an instance. */
#include "rtt.h"

void dd_rtt_sample(struct dd_rtt *r, uint32_t us)
{
	uint32_t min = us;
	unsigned int i;

	r->last_us = us;
	r->window[r->next] = us;
	r->next = (r->next + 1) % DD_RTT_WINDOW;
	if (r->filled < DD_RTT_WINDOW)
		r->filled++;
	for (i = 0; i < r->filled; i++)
		if (r->window[i] < min)
			min = r->window[i];
	/* until the window is full, the first samples are all we know */
	if (r->filled < DD_RTT_WINDOW)
		r->srtt_us = min;
	else
		r->srtt_us = ((uint64_t)r->srtt_us * 7 + min) / 8;
	r->has = true;
	r->samples++;
	r->probe_id = 0;
}

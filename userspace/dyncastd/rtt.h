/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The round-trip time to a peer or site, from probes: the least of the
 * last DD_RTT_WINDOW samples (what a busy host adds to a sample is never
 * negative, so the minimum is the path's), smoothed as RFC 6298's SRTT
 * once the window is full.
 */
#ifndef DD_RTT_H
#define DD_RTT_H

#include <stdbool.h>
#include <stdint.h>

#define DD_RTT_WINDOW		8

struct dd_rtt {
	uint32_t probe_id;		/* outstanding probe, 0 none */
	uint64_t sent_us;
	uint32_t srtt_us;
	uint32_t last_us;
	uint32_t window[DD_RTT_WINDOW];
	unsigned int next, filled;
	bool has;
	uint64_t samples, lost;
};

void dd_rtt_sample(struct dd_rtt *r, uint32_t us);

#endif /* DD_RTT_H */

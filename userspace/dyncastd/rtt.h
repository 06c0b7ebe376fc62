/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The round-trip time to a peer or site, from probes (and, for a site,
 * the handshakes of the demands to its instances: passive.c): the least
 * of the last DD_RTT_WINDOW samples (what a busy host adds to a sample is
 * never negative, so the minimum is the path's), smoothed as RFC 6298's SRTT
 * once the window is full.  A level shift is followed at once: the least
 * of the last DD_RTT_SHIFT samples above the estimate by more than a
 * quarter and DD_RTT_SHIFT_MIN_US (a longer path), or any sample that far
 * below it (a shorter one).
 *
 * A sample that far above the estimate is suspect: the D-Router probes
 * again at once, so that a longer path is taken within DD_RTT_SHIFT round
 * trips of the first probe that crossed it, not DD_RTT_SHIFT intervals.
 *
 * DD_RTT_PENDING probes may be outstanding, so that a path longer than
 * the probe interval is still measured; a probe whose slot is taken
 * again before its answer counts as lost.
 */
#ifndef DD_RTT_H
#define DD_RTT_H

#include <stdbool.h>
#include <stdint.h>

#define DD_RTT_WINDOW		8
#define DD_RTT_SHIFT		3
#define DD_RTT_SHIFT_MIN_US	1000
#define DD_RTT_PENDING		4

struct dd_rtt {
	struct {
		uint32_t id;		/* 0: free */
		uint64_t sent_us;
	} pending[DD_RTT_PENDING];
	unsigned int next_probe;
	uint32_t srtt_us;
	uint32_t last_us;
	uint32_t window[DD_RTT_WINDOW];
	unsigned int next, filled;
	bool has;
	uint64_t samples, lost;
};

void dd_rtt_sample(struct dd_rtt *r, uint32_t us);
bool dd_rtt_suspect(const struct dd_rtt *r);
void dd_rtt_sent(struct dd_rtt *r, uint32_t id, uint64_t now_us);
bool dd_rtt_answer(struct dd_rtt *r, uint32_t id, uint64_t sent_us,
		   uint64_t now_us);

#endif /* DD_RTT_H */

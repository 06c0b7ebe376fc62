/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An instance's service time as its D-MA measures it, by the utilisation
 * law: the time its slots were busy over the demands it completed.  A
 * connection takes a slot from the moment it is established until its
 * first FIN or RST; the busy time is that of min(open, capacity) slots,
 * so that connections waiting for a slot count no more than the slots.
 * Where no event says when a connection is established (sockets), the
 * open connections are counted every so often, each count held until the
 * next, and the ends counted as they come.
 */
#ifndef DD_SVCTIME_H
#define DD_SVCTIME_H

#include <stdbool.h>
#include <stdint.h>

/* Busy time and completions are smoothed over about this, ms */
#define DD_SVCT_TAU_MS		2000
/* A measure needs this many completions in DD_SVCT_TAU_MS, smoothed */
#define DD_SVCT_MIN_DONE	5
/* Connections followed at once, all instances together */
#define DD_SVCT_MAX		65536

struct dd_svct {
	uint32_t open;		/* connections established, not ended */
	uint64_t since_us;	/* when open last changed, or the last fold */
	uint64_t fold_us;	/* the last fold (or reset) */
	double busy;		/* slot-seconds since the last fold */
	uint32_t done;		/* connections ended since the last fold */
	bool lost;		/* events lost since the last fold */
	uint64_t lost_us;	/* since when every fold was lost, 0: none */
	double avg_busy;	/* smoothed, slot-seconds a second */
	double avg_done;	/* smoothed, completions a second */
	double weight;		/* of the averages, from 0 towards 1 */
};

void dd_svct_reset(struct dd_svct *m, uint64_t now_us);
/* A connection established at @now_us; @cap 0: no bound on the slots */
void dd_svct_open(struct dd_svct *m, uint32_t cap, uint64_t now_us);
/* One ended (@done: a completion; else it is no longer followed) */
void dd_svct_close(struct dd_svct *m, uint32_t cap, uint64_t now_us,
		   bool done);
/* @open connections counted at @now_us, held until the next count */
void dd_svct_sample(struct dd_svct *m, uint32_t cap, uint32_t open,
		    uint64_t now_us);
/* One ended, its end the only event of it */
void dd_svct_done(struct dd_svct *m);
/* Events were lost: the interval is left out, what is open still known */
void dd_svct_skip(struct dd_svct *m);
/* Events were lost: what is open is no longer known */
void dd_svct_lost(struct dd_svct *m, uint64_t now_us);
/*
 * Folds the time since the last fold into the averages; the service
 * time measured, microseconds (at most @max), or 0 while there is none
 */
uint32_t dd_svct_fold(struct dd_svct *m, uint32_t cap, uint64_t now_us,
		      uint32_t max);

#endif /* DD_SVCTIME_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * When a D-MA announces: at an interval, at once when a metric moves
 * beyond a threshold, never more often than a minimum interval that backs
 * off while the triggers keep coming (damping).
 */
#ifndef DD_POLICY_H
#define DD_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "proto.h"

struct dd_policy_cfg {
	uint32_t interval_ms;		/* refresh, at least this often */
	uint32_t min_interval_ms;	/* first hold-down after an update */
	uint32_t threshold_load;	/* cpu, gpu: per mille */
	uint32_t threshold_count;	/* sessions, queue: absolute */
	uint32_t threshold_ratio;	/* sessions, queue: per cent of the
					 * announced value
					 */
};

struct dd_policy {
	uint64_t last_sent;		/* ms; 0 never */
	uint64_t last_trigger;		/* ms of the last triggered update */
	uint64_t holddown;		/* ms between triggered updates now */
	bool triggered;			/* one is waiting */
};

void dd_policy_init(struct dd_policy *p, const struct dd_policy_cfg *cfg);
bool dd_policy_moved(const struct dd_policy_cfg *cfg,
		     const struct dd_record *announced,
		     const struct dd_record *now);
void dd_policy_trigger(struct dd_policy *p);
uint64_t dd_policy_due(const struct dd_policy *p,
		       const struct dd_policy_cfg *cfg);
void dd_policy_sent(struct dd_policy *p, const struct dd_policy_cfg *cfg,
		    uint64_t now);

#endif /* DD_POLICY_H */

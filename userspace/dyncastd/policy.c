// SPDX-License-Identifier: GPL-2.0
/*
 * The update policy of a D-MA, without I/O: the caller says what it
 * measured and when it sent, and asks when the next announcement is due.
 *
 * Damping follows OSPF's SPF throttling: a triggered update waits for the
 * hold-down since the last announcement; each triggered update that comes
 * within one interval of the previous one doubles the hold-down, up to the
 * interval itself; a whole interval without a trigger resets it.  An
 * instance whose metrics oscillate is thus announced at most once per
 * interval, and a quiet one reacts within the minimum interval.
 */
#include "policy.h"

void dd_policy_init(struct dd_policy *p, const struct dd_policy_cfg *cfg)
{
	*p = (struct dd_policy){ .holddown = cfg->min_interval_ms };
}

static uint32_t dd_absdiff(uint32_t a, uint32_t b)
{
	return a > b ? a - b : b - a;
}

static bool dd_count_moved(const struct dd_policy_cfg *cfg, uint32_t old,
			   uint32_t now)
{
	uint32_t d = dd_absdiff(old, now);

	return d >= cfg->threshold_count &&
	       (uint64_t)d * 100 >= (uint64_t)old * cfg->threshold_ratio;
}

/*
 * Whether @now differs enough from what was last @announced to be sent at
 * once: a change of state, of presence, of a configured figure (weight,
 * capacity, cost, site), or a load or count beyond its threshold (a
 * service time by threshold-ratio alone).
 */
bool dd_policy_moved(const struct dd_policy_cfg *cfg,
		     const struct dd_record *announced,
		     const struct dd_record *now)
{
	unsigned int m;

	if (announced->state != now->state ||
	    announced->withdrawn != now->withdrawn ||
	    announced->present != now->present)
		return true;
	for (m = 0; m < DD_M_COUNT; m++) {
		uint32_t a = announced->m[m], b = now->m[m];

		if (!(now->present & (1u << m)) || a == b)
			continue;
		switch (m) {
		case DD_M_CPU:
		case DD_M_GPU:
			if (dd_absdiff(a, b) >= cfg->threshold_load)
				return true;
			break;
		case DD_M_SESSIONS:
		case DD_M_QUEUE:
			if (dd_count_moved(cfg, a, b))
				return true;
			break;
		case DD_M_SERVICE_TIME:
			/* measured by the service: its share alone */
			if ((uint64_t)dd_absdiff(a, b) * 100 >=
			    (uint64_t)a * cfg->threshold_ratio)
				return true;
			break;
		default:
			return true;
		}
	}
	return false;
}

void dd_policy_trigger(struct dd_policy *p)
{
	p->triggered = true;
}

/* When the next announcement is due, in ms (0: at once). */
uint64_t dd_policy_due(const struct dd_policy *p,
		       const struct dd_policy_cfg *cfg)
{
	uint64_t periodic, triggered;

	if (!p->last_sent)
		return 0;
	periodic = p->last_sent + cfg->interval_ms;
	if (!p->triggered)
		return periodic;
	triggered = p->last_sent + p->holddown;
	return triggered < periodic ? triggered : periodic;
}

void dd_policy_sent(struct dd_policy *p, const struct dd_policy_cfg *cfg,
		    uint64_t now)
{
	if (p->triggered) {
		if (p->last_trigger &&
		    now - p->last_trigger <= cfg->interval_ms) {
			p->holddown *= 2;
			if (p->holddown > cfg->interval_ms)
				p->holddown = cfg->interval_ms;
		} else {
			p->holddown = cfg->min_interval_ms;
		}
		p->last_trigger = now;
	} else if (p->last_trigger &&
		   now - p->last_trigger > cfg->interval_ms) {
		p->holddown = cfg->min_interval_ms;
	}
	p->triggered = false;
	p->last_sent = now;
}

// SPDX-License-Identifier: GPL-2.0
#include "control.h"

const char *const dc_show_kinds[__DC_SHOW_MAX] = {
	[DC_SHOW_AGENT] = "agent",
	[DC_SHOW_BGP] = "bgp",
	[DC_SHOW_NEIGHBOR] = "neighbor",
	[DC_SHOW_PEER] = "peer",
	[DC_SHOW_SITE] = "site",
	[DC_SHOW_INSTANCE] = "instance",
	[DC_SHOW_LEARNED] = "learned",
	[DC_SHOW_PLAN] = "plan",
};

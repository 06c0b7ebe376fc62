/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DC_OPTS_H
#define DC_OPTS_H

#include <stdint.h>
#include <stdio.h>
#include <libmnl/libmnl.h>

#include "parse.h"

/*
 * A keyword argument that maps one to one onto a netlink attribute of the
 * nest being built: "weight 5" -> DYNCAST_A_INSTANCE_WEIGHT.  A table of
 * them describes the settings a command takes, so that parsing, range
 * checks, duplicate detection and encoding are written once.
 */
enum dc_opt_kind {
	DC_OPT_U8,		/* integer min..max, sent as u8 */
	DC_OPT_U32,		/* integer min..max, sent as u32 */
	DC_OPT_PORT,		/* 0..65535, sent as be16 */
	DC_OPT_ENUM,		/* keyword, index in names[], sent as u8 */
	DC_OPT_PERCENT,		/* percent, one decimal; min/max and the
				 * value sent (u32) in per mille
				 */
	DC_OPT_MILLI,		/* signed, three decimals; +-max and the
				 * value sent (s32) in thousandths
				 */
};

struct dc_opt {
	const char *name;	/* NULL ends a table */
	uint16_t attr;
	uint8_t kind;
	uint32_t min, max;
	const char *const *names;
	unsigned int n_names;
};

#define DC_OPT(n, a, k, lo, hi)	\
	{ .name = (n), .attr = (a), .kind = (k), .min = (lo), .max = (hi) }
#define DC_OPT_KEYWORD(n, a, tbl)	\
	{ .name = (n), .attr = (a), .kind = DC_OPT_ENUM, .names = (tbl), \
	  .n_names = sizeof(tbl) / sizeof((tbl)[0]) }

#define DC_OPTS_ATTR_MAX	31

struct dc_optvals {
	uint32_t present;	/* bit per attribute type */
	uint32_t val[DC_OPTS_ATTR_MAX + 1];
};

static inline int dc_opt_isset(const struct dc_optvals *v, unsigned int attr)
{
	return !!(v->present & (1u << attr));
}

int dc_opts_arg(FILE *err, const struct dc_opt *opts, int *argc, char ***argv,
		struct dc_optvals *v);
int dc_opts_put(struct nlmsghdr *nlh, size_t size, const struct dc_opt *opts,
		const struct dc_optvals *v);
int dc_put_addr(struct nlmsghdr *nlh, size_t size, const struct dc_addr *a,
		uint16_t type4, uint16_t type6);
void dc_opts_print(FILE *fp, const struct dc_opt *opts,
		   const struct nlattr *const *tb, uint32_t only);

#endif /* DC_OPTS_H */

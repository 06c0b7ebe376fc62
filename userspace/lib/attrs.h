/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DC_ATTRS_H
#define DC_ATTRS_H

#include <stdint.h>
#include <libmnl/libmnl.h>

#include "output.h"

/*
 * Description of the attributes of one nest: how to validate, print and
 * name each of them.  The name is the CLI keyword, which is also the JSON
 * key, and names the attribute in kernel error messages.
 */
enum dc_attr_kind {
	DC_ATTR_NONE,		/* unknown to us: ignored */
	DC_ATTR_PAD,
	DC_ATTR_U8,
	DC_ATTR_U32,
	DC_ATTR_U64,
	DC_ATTR_BE16,
	DC_ATTR_IN4,
	DC_ATTR_IN6,
	DC_ATTR_ENUM,		/* u8 printed as names[value] */
	DC_ATTR_PERMILLE,	/* u32 printed as a percentage */
	DC_ATTR_MSEC,		/* u64 milliseconds */
	DC_ATTR_MILLI,		/* s32 thousandths printed as a decimal */
	DC_ATTR_NEST,
	DC_ATTR_FLAG,		/* no payload: printed as its keyword */
};

#define DC_ATTR_BARE	0x1	/* text: the value without its keyword */
#define DC_ATTR_KEY	0x2	/* part of what names the object, in the
				 * replies about it and in errors
				 */
#define DC_ATTR_STATS	0x4	/* counters: printed only when asked (-s) */
#define DC_ATTR_DETAIL	0x8	/* details: in text only when asked (-d);
				 * JSON always has them
				 */

#define DC_ATTR_SET_MAX	31

struct dc_attr_set;

struct dc_attr_desc {
	const char *name;
	uint8_t kind;
	uint8_t flags;
	const char *const *names;
	unsigned int n_names;
	const struct dc_attr_set *nest;
};

struct dc_attr_set {
	unsigned int max;		/* at most DC_ATTR_SET_MAX */
	const struct dc_attr_desc *desc;	/* [0..max] */
};

#define DC_ATTR(n, k, f)		{ .name = (n), .kind = (k), .flags = (f) }
#define DC_ATTR_KEYWORD(n, tbl, f)					\
	{ .name = (n), .kind = DC_ATTR_ENUM, .flags = (f), .names = (tbl), \
	  .n_names = sizeof(tbl) / sizeof((tbl)[0]) }
#define DC_ATTR_NESTED(n, set)	{ .name = (n), .kind = DC_ATTR_NEST, .nest = (set) }
#define DC_ATTR_STATS_NEST(n, set)					\
	{ .name = (n), .kind = DC_ATTR_NEST, .flags = DC_ATTR_STATS,	\
	  .nest = (set) }

typedef const struct nlattr *dc_attr_tb[DC_ATTR_SET_MAX + 1];

int dc_attrs_parse_msg(const struct nlmsghdr *nlh, size_t hdrlen,
		       const struct dc_attr_set *set, dc_attr_tb tb);
int dc_attrs_parse_nest(const struct nlattr *nest,
			const struct dc_attr_set *set, dc_attr_tb tb);
void dc_attrs_print(struct dc_out *o, const struct dc_attr_set *set,
		    dc_attr_tb tb, unsigned int need);
const struct nlattr *dc_attrs_find(const struct nlmsghdr *req, size_t hdrlen,
				   const struct dc_attr_set *top, uint32_t offs,
				   const struct dc_attr_desc **desc);
void dc_attrs_print_key(FILE *fp, const struct nlattr *nest,
			const struct dc_attr_set *set);

#endif /* DC_ATTRS_H */

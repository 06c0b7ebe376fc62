// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <string.h>

#include <sys/socket.h>

#include "opts.h"

static int dc_opt_parse(FILE *err, const struct dc_opt *o, const char *s,
			uint32_t *val)
{
	uint16_t port;
	int k;

	switch (o->kind) {
	case DC_OPT_U8:
	case DC_OPT_U32:
		return dc_arg_u32(err, o->name, s, o->min, o->max, val);
	case DC_OPT_PORT:
		if (dc_arg_port(err, o->name, s, &port))
			return -1;
		*val = port;
		return 0;
	case DC_OPT_ENUM:
		k = dc_arg_keyword(err, o->name, s, o->names, o->n_names);
		if (k < 0)
			return -1;
		*val = k;
		return 0;
	case DC_OPT_PERCENT:
		return dc_arg_percent(err, o->name, s, o->min, o->max, val);
	case DC_OPT_MILLI:
		return dc_arg_milli(err, o->name, s, o->max, (int32_t *)val);
	}
	return -1;
}

/*
 * If **argv names an option of @opts, parse its value into @v and step
 * over both: returns 1.  Returns 0 if **argv is no option of @opts, -1 on
 * a bad or repeated value.
 */
int dc_opts_arg(FILE *err, const struct dc_opt *opts, int *argc, char ***argv,
		struct dc_optvals *v)
{
	const char *name = **argv;
	const struct dc_opt *o;
	uint32_t val;

	for (o = opts; o && o->name; o++)
		if (!strcmp(o->name, name))
			break;
	if (!o || !o->name)
		return 0;
	if (*argc < 2)
		return dc_arg_novalue(err, name);
	if (dc_opt_isset(v, o->attr))
		return dc_arg_twice(err, name);
	if (dc_opt_parse(err, o, (*argv)[1], &val))
		return -1;
	v->val[o->attr] = val;
	v->present |= 1u << o->attr;
	*argc -= 2;
	*argv += 2;
	return 1;
}

/* Puts the options present in @v into the open nest of @nlh. */
int dc_opts_put(struct nlmsghdr *nlh, size_t size, const struct dc_opt *opts,
		const struct dc_optvals *v)
{
	const struct dc_opt *o;
	bool ok = true;

	for (o = opts; o && o->name && ok; o++) {
		uint32_t val = v->val[o->attr];

		if (!dc_opt_isset(v, o->attr))
			continue;
		switch (o->kind) {
		case DC_OPT_U8:
		case DC_OPT_ENUM:
			ok = mnl_attr_put_u8_check(nlh, size, o->attr, val);
			break;
		case DC_OPT_U32:
		case DC_OPT_PERCENT:
		case DC_OPT_MILLI:
			ok = mnl_attr_put_u32_check(nlh, size, o->attr, val);
			break;
		case DC_OPT_PORT:
			ok = mnl_attr_put_u16_check(nlh, size, o->attr,
						    htons(val));
			break;
		}
	}
	return ok ? 0 : -1;
}

/* @a as attribute @type4 or @type6, after its family. */
int dc_put_addr(struct nlmsghdr *nlh, size_t size, const struct dc_addr *a,
		uint16_t type4, uint16_t type6)
{
	bool v4 = a->family == AF_INET;

	return mnl_attr_put_check(nlh, size, v4 ? type4 : type6,
				  v4 ? sizeof(a->u.in) : sizeof(a->u.in6),
				  &a->u) ? 0 : -1;
}

/*
 * The options of @opts whose attribute @tb holds (a parsed nest of
 * attributes indexed by type), as " name value" words that
 * dc_opts_arg() reads back to the same values; those whose attribute
 * bit is not in @only are left out.
 */
void dc_opts_print(FILE *fp, const struct dc_opt *opts,
		   const struct nlattr *const *tb, uint32_t only)
{
	const struct dc_opt *o;
	uint32_t v;
	int32_t m;

	for (o = opts; o && o->name; o++) {
		const struct nlattr *a = tb[o->attr];

		if (!a || !(only & (1u << o->attr)))
			continue;
		switch (o->kind) {
		case DC_OPT_U8:
			fprintf(fp, " %s %u", o->name, mnl_attr_get_u8(a));
			break;
		case DC_OPT_U32:
			fprintf(fp, " %s %u", o->name, mnl_attr_get_u32(a));
			break;
		case DC_OPT_PORT:
			fprintf(fp, " %s %u", o->name, ntohs(mnl_attr_get_u16(a)));
			break;
		case DC_OPT_ENUM:
			v = mnl_attr_get_u8(a);
			if (v < o->n_names && o->names[v])
				fprintf(fp, " %s %s", o->name, o->names[v]);
			break;
		case DC_OPT_PERCENT:
			v = mnl_attr_get_u32(a);
			fprintf(fp, " %s %u.%u", o->name, v / 10, v % 10);
			break;
		case DC_OPT_MILLI:
			m = (int32_t)mnl_attr_get_u32(a);
			fprintf(fp, " %s %s%u.%03u", o->name, m < 0 ? "-" : "",
				(unsigned int)((m < 0 ? -(int64_t)m : m) / 1000),
				(unsigned int)((m < 0 ? -(int64_t)m : m) % 1000));
			break;
		}
	}
}

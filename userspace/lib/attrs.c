// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <string.h>

#include "attrs.h"
#include "parse.h"

struct dc_attrs_parse_data {
	const struct dc_attr_set *set;
	const struct nlattr **tb;
};

static bool dc_attr_valid(const struct nlattr *a, const struct dc_attr_desc *d)
{
	uint16_t len = mnl_attr_get_payload_len(a);

	switch (d->kind) {
	case DC_ATTR_U8:
	case DC_ATTR_ENUM:
		return len == sizeof(uint8_t);
	case DC_ATTR_BE16:
		return len == sizeof(uint16_t);
	case DC_ATTR_U32:
	case DC_ATTR_PERMILLE:
	case DC_ATTR_MILLI:
	case DC_ATTR_IN4:
		return len == sizeof(uint32_t);
	case DC_ATTR_U64:
	case DC_ATTR_MSEC:
		/* also accept the 4 bytes of a variable-width uint */
		return len == sizeof(uint64_t) || len == sizeof(uint32_t);
	case DC_ATTR_IN6:
		return len == sizeof(struct in6_addr);
	case DC_ATTR_NEST:
		return mnl_attr_validate(a, MNL_TYPE_NESTED) == 0;
	case DC_ATTR_FLAG:
		return len == 0;
	}
	return false;
}

/* Attributes we do not know, or that are malformed, are left out. */
static int dc_attrs_parse_cb(const struct nlattr *a, void *data)
{
	struct dc_attrs_parse_data *p = data;
	unsigned int type = mnl_attr_get_type(a);

	if (type <= p->set->max && type <= DC_ATTR_SET_MAX &&
	    dc_attr_valid(a, &p->set->desc[type]))
		p->tb[type] = a;
	return MNL_CB_OK;
}

int dc_attrs_parse_msg(const struct nlmsghdr *nlh, size_t hdrlen,
		       const struct dc_attr_set *set, dc_attr_tb tb)
{
	struct dc_attrs_parse_data p = { set, tb };

	memset(tb, 0, sizeof(dc_attr_tb));
	return mnl_attr_parse(nlh, hdrlen, dc_attrs_parse_cb, &p) == MNL_CB_OK ?
	       0 : -1;
}

int dc_attrs_parse_nest(const struct nlattr *nest,
			const struct dc_attr_set *set, dc_attr_tb tb)
{
	struct dc_attrs_parse_data p = { set, tb };

	memset(tb, 0, sizeof(dc_attr_tb));
	return mnl_attr_parse_nested(nest, dc_attrs_parse_cb, &p) == MNL_CB_OK ?
	       0 : -1;
}

static uint64_t dc_attr_get_uint(const struct nlattr *a)
{
	if (mnl_attr_get_payload_len(a) == sizeof(uint64_t))
		return mnl_attr_get_u64(a);
	return mnl_attr_get_u32(a);
}

static void dc_attr_print(struct dc_out *o, const struct dc_attr_desc *d,
			  const struct nlattr *a)
{
	char buf[DC_ADDR_STRLEN];
	dc_attr_tb tb;
	unsigned int v;

	switch (d->kind) {
	case DC_ATTR_U8:
		dc_out_uint(o, d->name, mnl_attr_get_u8(a));
		break;
	case DC_ATTR_U32:
		dc_out_uint(o, d->name, mnl_attr_get_u32(a));
		break;
	case DC_ATTR_U64:
		dc_out_uint(o, d->name, dc_attr_get_uint(a));
		break;
	case DC_ATTR_BE16:
		dc_out_uint(o, d->name, ntohs(mnl_attr_get_u16(a)));
		break;
	case DC_ATTR_IN4:
	case DC_ATTR_IN6:
		dc_out_str(o, d->name,
			   dc_addr_fmt(d->kind == DC_ATTR_IN4 ? AF_INET : AF_INET6,
				       mnl_attr_get_payload(a), buf, sizeof(buf)),
			   d->flags & DC_ATTR_BARE);
		break;
	case DC_ATTR_ENUM:
		v = mnl_attr_get_u8(a);
		if (v < d->n_names && d->names[v])
			dc_out_str(o, d->name, d->names[v], false);
		else
			dc_out_uint(o, d->name, v);
		break;
	case DC_ATTR_PERMILLE:
		dc_out_tenths(o, d->name, mnl_attr_get_u32(a));
		break;
	case DC_ATTR_MSEC:
		dc_out_msecs(o, d->name, dc_attr_get_uint(a));
		break;
	case DC_ATTR_MILLI:
		dc_out_milli(o, d->name, (int32_t)mnl_attr_get_u32(a));
		break;
	case DC_ATTR_FLAG:
		dc_out_flag(o, d->name);
		break;
	case DC_ATTR_NEST:
		if (!d->nest || dc_attrs_parse_nest(a, d->nest, tb))
			break;
		dc_out_open(o, d->name);
		dc_attrs_print(o, d->nest, tb, 0);
		dc_out_close(o);
		break;
	}
}

/*
 * Prints, in attribute order, every attribute present in @tb whose flags
 * include all of @need.
 */
/*
 * Values first, then nests: in text, a nest starts a line of its own and
 * what followed it would land on that line.  Counters only if @o asks;
 * details in text only if it asks.
 */
void dc_attrs_print(struct dc_out *o, const struct dc_attr_set *set,
		    dc_attr_tb tb, unsigned int need)
{
	unsigned int type, pass;

	for (pass = 0; pass < 2; pass++) {
		for (type = 0; type <= set->max; type++) {
			const struct dc_attr_desc *d = &set->desc[type];

			if (tb[type] && d->name && (d->flags & need) == need &&
			    (!(d->flags & DC_ATTR_STATS) || o->stats) &&
			    (!(d->flags & DC_ATTR_DETAIL) || o->details ||
			     o->json) &&
			    (d->kind == DC_ATTR_NEST) == pass)
				dc_attr_print(o, d, tb[type]);
		}
	}
}

/*
 * The attribute of request @req that starts at byte @offs, as the kernel
 * reports it in NLMSGERR_ATTR_OFFS or NLMSGERR_ATTR_MISS_NEST, and its
 * description in @desc.  NULL if there is none that we know there.
 */
const struct nlattr *dc_attrs_find(const struct nlmsghdr *req, size_t hdrlen,
				   const struct dc_attr_set *top, uint32_t offs,
				   const struct dc_attr_desc **desc)
{
	const struct dc_attr_set *cur = top;
	const char *base = (const char *)req;
	const struct nlattr *a;
	const char *end;

	if (offs >= req->nlmsg_len)
		return NULL;
	a = (const struct nlattr *)(base + MNL_NLMSG_HDRLEN + MNL_ALIGN(hdrlen));
	end = base + req->nlmsg_len;

	while (cur && mnl_attr_ok(a, end - (const char *)a)) {
		uint32_t start = (const char *)a - base;
		unsigned int type = mnl_attr_get_type(a);
		const struct dc_attr_desc *d;

		if (offs < start || offs >= start + a->nla_len) {
			a = mnl_attr_next(a);
			continue;
		}
		d = type <= cur->max ? &cur->desc[type] : NULL;
		if (!d || !d->name)
			return NULL;
		if (offs == start) {
			*desc = d;
			return a;
		}
		if (d->kind != DC_ATTR_NEST)
			return NULL;
		cur = d->nest;
		end = (const char *)a + a->nla_len;
		a = mnl_attr_get_payload(a);
	}
	return NULL;
}

/* Text: what names the object of @nest, its attributes flagged DC_ATTR_KEY. */
void dc_attrs_print_key(FILE *fp, const struct nlattr *nest,
			const struct dc_attr_set *set)
{
	struct dc_out o;
	dc_attr_tb tb;

	if (!set || dc_attrs_parse_nest(nest, set, tb))
		return;
	dc_out_init(&o, fp, false, false);
	dc_out_open(&o, NULL);
	dc_attrs_print(&o, set, tb, DC_ATTR_KEY);
	dc_out_discard(&o);
}

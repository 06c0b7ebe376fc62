// SPDX-License-Identifier: GPL-2.0
/* dyncast stats: the namespace-wide counters */
#include <string.h>
#include <linux/genetlink.h>

#include "dyncast.h"

static const struct dc_attr_desc stats_attrs[DYNCAST_A_STATS_MAX + 1] = {
	[DYNCAST_A_STATS_PAD] = DC_ATTR(NULL, DC_ATTR_PAD, 0),
	[DYNCAST_A_STATS_PACKETS] = DC_ATTR("packets", DC_ATTR_U64, 0),
	[DYNCAST_A_STATS_BYTES] = DC_ATTR("bytes", DC_ATTR_U64, 0),
	[DYNCAST_A_STATS_DEMANDS] = DC_ATTR("demands", DC_ATTR_U64, 0),
	[DYNCAST_A_STATS_NO_INSTANCE] = DC_ATTR("no-instance", DC_ATTR_U64, 0),
	[DYNCAST_A_STATS_TABLE_FULL] = DC_ATTR("table-full", DC_ATTR_U64, 0),
	[DYNCAST_A_STATS_NOT_START] = DC_ATTR("not-start", DC_ATTR_U64, 0),
	[DYNCAST_A_STATS_TOO_BIG] = DC_ATTR("too-big", DC_ATTR_U64, 0),
	[DYNCAST_A_STATS_XMIT_ERRORS] = DC_ATTR("xmit-errors", DC_ATTR_U64, 0),
	[DYNCAST_A_STATS_EXPIRED] = DC_ATTR("expired", DC_ATTR_U64, 0),
	[DYNCAST_A_STATS_BINDINGS] = DC_ATTR("bindings", DC_ATTR_U32, 0),
	[DYNCAST_A_STATS_MAX_BINDINGS] = DC_ATTR("max-bindings", DC_ATTR_U32, 0),
	[DYNCAST_A_STATS_SERVICES] = DC_ATTR("services", DC_ATTR_U32, 0),
	[DYNCAST_A_STATS_MISSES_SENT] = DC_ATTR("misses-sent", DC_ATTR_U64, 0),
	[DYNCAST_A_STATS_MISSES] = DC_ATTR("misses", DC_ATTR_U64, 0),
	[DYNCAST_A_STATS_BINDINFO_SENT] = DC_ATTR("bindinfo-sent", DC_ATTR_U64, 0),
	[DYNCAST_A_STATS_BINDINFO_RECV] = DC_ATTR("bindinfo-recv", DC_ATTR_U64, 0),
	[DYNCAST_A_STATS_NOTICES_SENT] = DC_ATTR("notices-sent", DC_ATTR_U64, 0),
	[DYNCAST_A_STATS_NOTICES_RECV] = DC_ATTR("notices-recv", DC_ATTR_U64, 0),
	[DYNCAST_A_STATS_BAD_AUTH] = DC_ATTR("bad-auth", DC_ATTR_U64, 0),
	[DYNCAST_A_STATS_REPLAYED] = DC_ATTR("replayed", DC_ATTR_U64, 0),
	[DYNCAST_A_STATS_MALFORMED] = DC_ATTR("malformed", DC_ATTR_U64, 0),
	[DYNCAST_A_STATS_FORWARDERS] = DC_ATTR("forwarders", DC_ATTR_U32, 0),
	[DYNCAST_A_STATS_LEARN_DROPS] = DC_ATTR("learn-drops", DC_ATTR_U64, 0),
	[DYNCAST_A_STATS_PEERS_FULL] = DC_ATTR("peers-full", DC_ATTR_U64, 0),
	[DYNCAST_A_STATS_KEEPALIVES_SENT] = DC_ATTR("keepalives-sent", DC_ATTR_U64, 0),
	[DYNCAST_A_STATS_KEEPALIVES_RECV] = DC_ATTR("keepalives-recv", DC_ATTR_U64, 0),
	[DYNCAST_A_STATS_RATELIMITED] = DC_ATTR("ratelimited", DC_ATTR_U64, 0),
	[DYNCAST_A_STATS_STALE] = DC_ATTR("stale", DC_ATTR_U64, 0),
};

const struct dc_attr_set dc_stats_set = { DYNCAST_A_STATS_MAX, stats_attrs };

_Static_assert(DYNCAST_A_STATS_MAX <= DC_ATTR_SET_MAX,
	       "stats attributes do not fit the tables");

/* @buf holds DC_NL_REQ_SIZE bytes. */
struct nlmsghdr *dc_stats_build(void *buf)
{
	return dc_req_start(buf, DYNCAST_CMD_STATS_GET, NLM_F_ACK);
}

int dc_stats_print(struct dc_out *o, const struct nlmsghdr *nlh)
{
	dc_attr_tb top, tb;

	if (dc_attrs_parse_msg(nlh, GENL_HDRLEN, &dc_top_set, top) ||
	    !top[DYNCAST_A_STATS] ||
	    dc_attrs_parse_nest(top[DYNCAST_A_STATS], &dc_stats_set, tb))
		return MNL_CB_OK;

	dc_out_open(o, NULL);
	dc_attrs_print(o, &dc_stats_set, tb, 0);
	dc_out_close(o);
	return MNL_CB_OK;
}

static int stats_cb(const struct nlmsghdr *nlh, void *data)
{
	return dc_stats_print(data, nlh);
}

void dc_stats_usage(FILE *fp)
{
	fputs("Usage: dyncast stats [ show ]\n", fp);
}

int dc_do_stats(struct dc_ctx *ctx, int argc, char **argv)
{
	char buf[DC_NL_REQ_SIZE];

	if (argc > 0 && !strcmp(*argv, "show")) {
		argc--;
		argv++;
	}
	if (argc > 0)
		return dc_arg_unknown(ctx->err, *argv);
	return dc_show(ctx, dc_stats_build(buf), stats_cb, false);
}
